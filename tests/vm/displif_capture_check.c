/* Finds libdrm modetest's default test pattern (SMPTE colour bars, XR24)
 * of a given size in a writeback capture and compares it pixel for pixel:
 *
 *   displif-capture-check CAPTURE.png WIDTH HEIGHT [PATTERN_WIDTH PATTERN_HEIGHT X Y]
 *
 * With the four extra numbers the capture is expected to hold only the
 * WIDTH x HEIGHT rectangle at X,Y of a PATTERN_WIDTH x PATTERN_HEIGHT
 * pattern: what one connector shows when modetest sets several connectors
 * at once (one framebuffer across them, each connector scanning out its
 * part, side by side).
 *
 * The expected image is built from the pattern's definition (the bar
 * colours and the 7-column, 6/9 + 1/9 + 2/9 row split that modetest
 * draws), not read back from the guest. Candidates are positions whose
 * corners hold the expected colours and whose top-left pixel starts a new
 * colour on its row and column (the image's edge); each is compared whole.
 * Prints where the rectangle was found and how many pixels differ (the
 * first exact match, else the closest candidate); exits 0 only when all
 * WIDTH x HEIGHT pixels match exactly. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tessera/buffer.h"
#include "tessera/image.h"

#include "smpte_pattern.h"

/* The part of the pattern the capture should hold. */
struct part {
	uint32_t width, height; /* of the rectangle */
	uint32_t pattern_width, pattern_height;
	uint32_t x, y; /* the rectangle's origin in the pattern */
};

static uint32_t expected(const struct part *part, uint32_t x, uint32_t y)
{
	return smpte_pixel(part->x + x, part->y + y, part->pattern_width, part->pattern_height);
}

static uint32_t pixel(const struct tsr_buffer *image, uint32_t x, uint32_t y)
{
	const uint32_t *row = (const uint32_t *)((const uint8_t *)image->data + y * image->stride);
	return row[x] & 0xffffffu;
}

static bool parse(const char *text, uint32_t *out)
{
	char *end;
	unsigned long value = strtoul(text, &end, 10);
	if (*text == '\0' || *end != '\0' || value > 16384)
		return false;
	*out = (uint32_t)value;
	return true;
}

static uint64_t count_differing(const struct tsr_buffer *image, const struct part *part,
				uint32_t x0, uint32_t y0, int32_t *first_x, int32_t *first_y)
{
	uint64_t differing = 0;
	for (uint32_t y = 0; y < part->height; y++)
		for (uint32_t x = 0; x < part->width; x++)
			if (pixel(image, x0 + x, y0 + y) != expected(part, x, y) &&
			    differing++ == 0) {
				*first_x = (int32_t)x;
				*first_y = (int32_t)y;
			}
	return differing;
}

static bool candidate(const struct tsr_buffer *image, const struct part *part, uint32_t x0,
		      uint32_t y0)
{
	uint32_t w = part->width, h = part->height;
	return pixel(image, x0, y0) == expected(part, 0, 0) &&
	       pixel(image, x0 + w - 1, y0) == expected(part, w - 1, 0) &&
	       pixel(image, x0, y0 + h - 1) == expected(part, 0, h - 1) &&
	       pixel(image, x0 + w - 1, y0 + h - 1) == expected(part, w - 1, h - 1) &&
	       (x0 == 0 || pixel(image, x0 - 1, y0) != pixel(image, x0, y0)) &&
	       (y0 == 0 || pixel(image, x0, y0 - 1) != pixel(image, x0, y0));
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 8) {
		fprintf(stderr,
			"usage: %s CAPTURE.png WIDTH HEIGHT [PATTERN_WIDTH PATTERN_HEIGHT X Y]\n",
			argv[0]);
		return 2;
	}
	struct part part = {0};
	bool ok = parse(argv[2], &part.width) && parse(argv[3], &part.height);
	if (argc == 8)
		ok = ok && parse(argv[4], &part.pattern_width) &&
		     parse(argv[5], &part.pattern_height) && parse(argv[6], &part.x) &&
		     parse(argv[7], &part.y);
	else {
		part.pattern_width = part.width;
		part.pattern_height = part.height;
	}
	if (!ok || part.pattern_width < 7 || part.pattern_height < 9 || part.width == 0 ||
	    part.height == 0 || part.x + part.width > part.pattern_width ||
	    part.y + part.height > part.pattern_height) {
		fprintf(stderr, "%s: the rectangle is not inside a pattern of at least 7x9\n",
			argv[0]);
		return 2;
	}
	char err[256];
	struct tsr_buffer *image = tsr_png_read(argv[1], err, sizeof(err));
	if (!image) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 2;
	}
	char what[96];
	if (argc == 8)
		snprintf(what, sizeof(what), "modetest pattern %ux%u, its %ux%u at %u,%u,",
			 part.pattern_width, part.pattern_height, part.width, part.height, part.x,
			 part.y);
	else
		snprintf(what, sizeof(what), "modetest pattern %ux%u", part.width, part.height);
	if (part.width > image->width || part.height > image->height) {
		printf("%s does not fit a %ux%u capture\n", what, image->width, image->height);
		tsr_buffer_destroy(image);
		return 1;
	}
	bool found = false;
	uint64_t best = UINT64_MAX;
	uint32_t best_x = 0, best_y = 0;
	int32_t first_x = -1, first_y = -1;
	for (uint32_t y0 = 0; y0 + part.height <= image->height && best > 0; y0++) {
		for (uint32_t x0 = 0; x0 + part.width <= image->width && best > 0; x0++) {
			if (!candidate(image, &part, x0, y0))
				continue;
			int32_t fx = -1, fy = -1;
			uint64_t differing = count_differing(image, &part, x0, y0, &fx, &fy);
			if (!found || differing < best) {
				found = true;
				best = differing;
				best_x = x0;
				best_y = y0;
				first_x = fx;
				first_y = fy;
			}
		}
	}
	if (!found) {
		printf("no %s in %s\n", what, argv[1]);
		tsr_buffer_destroy(image);
		return 1;
	}
	printf("%s found at %u,%u: %llu of %llu pixels differ", what, best_x, best_y,
	       (unsigned long long)best, (unsigned long long)part.width * part.height);
	if (best)
		printf(" (first at %d,%d: 0x%06x, expected 0x%06x)", first_x, first_y,
		       pixel(image, best_x + (uint32_t)first_x, best_y + (uint32_t)first_y),
		       expected(&part, (uint32_t)first_x, (uint32_t)first_y));
	printf("\n");
	tsr_buffer_destroy(image);
	return best ? 1 : 0;
}
