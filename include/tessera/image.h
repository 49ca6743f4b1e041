/* PNG files and image comparison: screenshots, writeback captures and the
 * reference-image oracle of the render tests. */
#ifndef TESSERA_IMAGE_H
#define TESSERA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/buffer.h"

/* Writes an XRGB8888/ARGB8888 buffer as an 8-bit RGB PNG. */
bool tsr_png_write(const char *path, const struct tsr_buffer *buffer, char *err, size_t err_len);

/* Reads any PNG libpng understands into a new XRGB8888 memory buffer. */
struct tsr_buffer *tsr_png_read(const char *path, char *err, size_t err_len);

struct tsr_image_diff {
	uint64_t differing_pixels; /* beyond tolerance */
	int32_t first_x, first_y;  /* first differing pixel, -1 if none */
	int max_channel_delta;
};

/* Compares per channel: a pixel passes when for each of R, G, B
 * -tolerance_below <= actual - expected <= tolerance_above (weston uses -3..+4).
 * Different sizes never match. When they differ and diff_png_path is not
 * NULL, writes a diff image there (matching pixels dimmed, differing ones
 * bright magenta). Returns true when the images match. */
bool tsr_image_compare(const struct tsr_buffer *actual, const struct tsr_buffer *expected,
		       int tolerance_below, int tolerance_above, const char *diff_png_path,
		       struct tsr_image_diff *result);

#endif
