/* Compares a screenshot that weston took inside the desktop domU with
 * Tessera's writeback capture of the output that shows that domain:
 *
 *   weston-shot-check CAPTURE.png GUEST.png DIFF.png
 *
 * The guest's picture is shown 1:1 (its display fits the focus layout), so
 * it must appear, whole and unchanged, somewhere in the capture. The place
 * is found, not assumed: every position where the guest picture's first,
 * middle and last rows match the capture exactly is a candidate, and the
 * candidate with the fewest differing pixels over the whole picture wins.
 * Prints where and how many pixels differ; exits 0 only when all pixels
 * match (both sides are drawn by pixman: opaque pixels must be equal).
 *
 * The guest's PNG has an alpha channel: weston's framebuffer holds
 * premultiplied ARGB (the terminal's rounded corners are translucent) and
 * the screenshooter writes it un-premultiplied. A display, like Tessera's
 * XRGB view of the guest's buffer, shows the premultiplied colour, that is
 * the pixel over black; so the guest's picture is premultiplied here, and a
 * translucent pixel may be off by one per channel from the rounding of
 * that round trip. With no candidate, or with differences, writes DIFF.png (the
 * capture's part at the best place, matching pixels dimmed, differing ones
 * magenta) and exits 1. */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/buffer.h"
#include "tessera/image.h"

static const uint32_t *row_of(const struct tsr_buffer *image, uint32_t y)
{
	return (const uint32_t *)((const uint8_t *)image->data + (size_t)y * image->stride);
}

/* The guest's picture over black, and a mask of its translucent pixels
 * (alpha < 255) in the X byte: 0xff opaque, 0 translucent. xrgb8888 is the
 * capture's format (tsr_png_read's). */
static struct tsr_buffer *read_guest(const char *path, uint32_t xrgb8888, char *err, size_t err_len)
{
	png_image image;
	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&image, path)) {
		snprintf(err, err_len, "%s", image.message);
		return NULL;
	}
	image.format = PNG_FORMAT_BGRA;
	struct tsr_buffer *guest = tsr_buffer_create_memory(image.width, image.height, xrgb8888);
	if (!guest ||
	    !png_image_finish_read(&image, NULL, guest->data, (png_int_32)guest->stride, NULL)) {
		snprintf(err, err_len, "%s", guest ? image.message : "out of memory");
		png_image_free(&image);
		tsr_buffer_destroy(guest);
		return NULL;
	}
	for (uint32_t y = 0; y < guest->height; y++) {
		uint8_t *pixel = (uint8_t *)guest->data + (size_t)y * guest->stride;
		for (uint32_t x = 0; x < guest->width; x++, pixel += 4) {
			unsigned alpha = pixel[3];
			for (int c = 0; c < 3; c++)
				pixel[c] = (uint8_t)((pixel[c] * alpha + 127) / 255);
			pixel[3] = alpha == 255 ? 0xff : 0;
		}
	}
	return guest;
}

static bool pixel_matches(uint32_t want, uint32_t have)
{
	if (want >> 24)
		return ((want ^ have) & 0xffffffu) == 0;
	for (int shift = 0; shift < 24; shift += 8) {
		int delta = (int)((want >> shift) & 0xff) - (int)((have >> shift) & 0xff);
		if (delta < -1 || delta > 1)
			return false;
	}
	return true;
}

static bool row_matches(const struct tsr_buffer *capture, const struct tsr_buffer *guest,
			uint32_t x, uint32_t y, uint32_t guest_row)
{
	const uint32_t *want = row_of(guest, guest_row);
	const uint32_t *have = row_of(capture, y + guest_row) + x;
	for (uint32_t i = 0; i < guest->width; i++)
		if (!pixel_matches(want[i], have[i]))
			return false;
	return true;
}

static uint64_t differing_at(const struct tsr_buffer *capture, const struct tsr_buffer *guest,
			     uint32_t x, uint32_t y)
{
	uint64_t differing = 0;
	for (uint32_t row = 0; row < guest->height; row++) {
		const uint32_t *want = row_of(guest, row);
		const uint32_t *have = row_of(capture, y + row) + x;
		for (uint32_t i = 0; i < guest->width; i++)
			differing += !pixel_matches(want[i], have[i]);
	}
	return differing;
}

/* The capture's part at (x, y), the size of the guest's picture. */
static struct tsr_buffer *crop(const struct tsr_buffer *capture, uint32_t x, uint32_t y,
			       uint32_t width, uint32_t height)
{
	struct tsr_buffer *part = tsr_buffer_create_memory(width, height, capture->format);
	if (!part)
		return NULL;
	for (uint32_t row = 0; row < height; row++)
		memcpy((uint8_t *)part->data + (size_t)row * part->stride,
		       row_of(capture, y + row) + x, (size_t)width * 4);
	return part;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s CAPTURE.png GUEST.png DIFF.png\n", argv[0]);
		return 2;
	}
	int status = 2;
	char err[256];
	struct tsr_buffer *part = NULL;
	struct tsr_buffer *capture = tsr_png_read(argv[1], err, sizeof(err));
	struct tsr_buffer *guest =
	    capture ? read_guest(argv[2], capture->format, err, sizeof(err)) : NULL;
	if (!capture || !guest) {
		fprintf(stderr, "%s: %s\n", capture ? argv[2] : argv[1], err);
		goto out;
	}
	if (guest->width > capture->width || guest->height > capture->height || guest->height < 1) {
		printf("the guest's %ux%u picture cannot be inside the %ux%u capture\n",
		       guest->width, guest->height, capture->width, capture->height);
		status = 1;
		goto out;
	}
	uint64_t best = UINT64_MAX;
	uint32_t best_x = 0, best_y = 0, candidates = 0;
	for (uint32_t y = 0; y + guest->height <= capture->height; y++) {
		for (uint32_t x = 0; x + guest->width <= capture->width; x++) {
			if (!row_matches(capture, guest, x, y, 0) ||
			    !row_matches(capture, guest, x, y, guest->height / 2) ||
			    !row_matches(capture, guest, x, y, guest->height - 1))
				continue;
			candidates++;
			uint64_t differing = differing_at(capture, guest, x, y);
			if (differing < best) {
				best = differing;
				best_x = x;
				best_y = y;
			}
		}
	}
	status = 1;
	if (candidates == 0) {
		/* Nothing lines up: show the centre of the capture for the diff. */
		best_x = (capture->width - guest->width) / 2;
		best_y = (capture->height - guest->height) / 2;
		printf(
		    "the guest's %ux%u picture is nowhere in the %ux%u capture (diff against the "
		    "centre: %s)\n",
		    guest->width, guest->height, capture->width, capture->height, argv[3]);
	} else if (best == 0) {
		printf("the guest's own %ux%u screenshot is in the capture at (%u,%u): all %llu "
		       "pixels equal\n",
		       guest->width, guest->height, best_x, best_y,
		       (unsigned long long)guest->width * guest->height);
		status = 0;
		goto out;
	} else {
		printf("the guest's %ux%u screenshot is at (%u,%u) in the capture but %llu pixels "
		       "differ (diff: %s)\n",
		       guest->width, guest->height, best_x, best_y, (unsigned long long)best,
		       argv[3]);
	}
	part = crop(capture, best_x, best_y, guest->width, guest->height);
	struct tsr_image_diff diff;
	if (part) {
		/* The diff image compares colours only (the mask byte is ours). */
		for (uint32_t y = 0; y < guest->height; y++) {
			uint32_t *row =
			    (uint32_t *)((uint8_t *)guest->data + (size_t)y * guest->stride);
			for (uint32_t x = 0; x < guest->width; x++)
				row[x] |= 0xff000000u;
		}
		(void)tsr_image_compare(part, guest, 1, 1, argv[3], &diff);
	}
out:
	tsr_buffer_destroy(part);
	tsr_buffer_destroy(guest);
	tsr_buffer_destroy(capture);
	return status;
}
