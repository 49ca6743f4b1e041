/* Captures of the running tessera for integration tests (harness.h): in
 * their own file so that harness users without image checks need not link
 * the image code. */
#ifndef TSR_TESTS_HARNESS_IMAGE_H
#define TSR_TESTS_HARNESS_IMAGE_H

#include <stdint.h>

#include "harness.h"
#include "tessera/buffer.h"

/* `screenshot PATH [OUTPUT]` into the harness directory as file, read back;
 * NULL (with the reason on stderr) on failure. output NULL: the default. */
struct tsr_buffer *harness_screenshot(struct harness *harness, const char *file,
				      const char *output);

/* The 0xRRGGBB of an XRGB image's pixel. */
uint32_t harness_pixel(const struct tsr_buffer *image, int32_t x, int32_t y);

#endif
