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
 * match exactly (both sides are XRGB8888 drawn by pixman: no tolerance is
 * needed). With no candidate, or with differences, writes DIFF.png (the
 * capture's part at the best place, matching pixels dimmed, differing ones
 * magenta) and exits 1. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tessera/buffer.h"
#include "tessera/image.h"

static const uint32_t *row_of(const struct tsr_buffer *image, uint32_t y)
{
	return (const uint32_t *)((const uint8_t *)image->data + (size_t)y * image->stride);
}

static bool row_matches(const struct tsr_buffer *capture, const struct tsr_buffer *guest,
			uint32_t x, uint32_t y, uint32_t guest_row)
{
	const uint32_t *want = row_of(guest, guest_row);
	const uint32_t *have = row_of(capture, y + guest_row) + x;
	for (uint32_t i = 0; i < guest->width; i++)
		if ((want[i] ^ have[i]) & 0xffffffu)
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
			differing += ((want[i] ^ have[i]) & 0xffffffu) != 0;
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
	struct tsr_buffer *guest = capture ? tsr_png_read(argv[2], err, sizeof(err)) : NULL;
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
	if (part)
		(void)tsr_image_compare(part, guest, 0, 0, argv[3], &diff);
out:
	tsr_buffer_destroy(part);
	tsr_buffer_destroy(guest);
	tsr_buffer_destroy(capture);
	return status;
}
