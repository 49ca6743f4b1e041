/* Finds libdrm modetest's default test pattern (SMPTE colour bars, XR24)
 * of a given size in a writeback capture and compares it pixel for pixel:
 *
 *   displif-capture-check CAPTURE.png WIDTH HEIGHT
 *
 * The expected image is built from the pattern's definition (the bar
 * colours and the 7-column, 6/9 + 1/9 + 2/9 row split that modetest
 * draws), not read back from the guest. Prints where the pattern was found
 * and how many pixels differ; exits 0 only when all WxH pixels match
 * exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tessera/buffer.h"
#include "tessera/image.h"

#define RGB(r, g, b) (((uint32_t)(r) << 16) | ((uint32_t)(g) << 8) | (uint32_t)(b))

static uint32_t smpte(uint32_t x, uint32_t y, uint32_t width, uint32_t height)
{
	static const uint32_t top[] = {RGB(192, 192, 192), RGB(192, 192, 0), RGB(0, 192, 192),
				       RGB(0, 192, 0),	   RGB(192, 0, 192), RGB(192, 0, 0),
				       RGB(0, 0, 192)};
	static const uint32_t middle[] = {RGB(0, 0, 192),    RGB(19, 19, 19),  RGB(192, 0, 192),
					  RGB(19, 19, 19),   RGB(0, 192, 192), RGB(19, 19, 19),
					  RGB(192, 192, 192)};
	static const uint32_t bottom[] = {RGB(0, 33, 76),  RGB(255, 255, 255), RGB(50, 0, 106),
					  RGB(19, 19, 19), RGB(9, 9, 9),       RGB(19, 19, 19),
					  RGB(29, 29, 29), RGB(19, 19, 19)};
	if (y < height * 6 / 9)
		return top[x * 7 / width];
	if (y < height * 7 / 9)
		return middle[x * 7 / width];
	if (x < width * 5 / 7)
		return bottom[x * 4 / (width * 5 / 7)];
	if (x < width * 6 / 7)
		return bottom[(x - width * 5 / 7) * 3 / (width / 7) + 4];
	return bottom[7];
}

static uint32_t pixel(const struct tsr_buffer *image, uint32_t x, uint32_t y)
{
	const uint32_t *row = (const uint32_t *)((const uint8_t *)image->data + y * image->stride);
	return row[x] & 0xffffffu;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s CAPTURE.png WIDTH HEIGHT\n", argv[0]);
		return 2;
	}
	char err[256];
	struct tsr_buffer *image = tsr_png_read(argv[1], err, sizeof(err));
	if (!image) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 2;
	}
	uint32_t width = (uint32_t)strtoul(argv[2], NULL, 10);
	uint32_t height = (uint32_t)strtoul(argv[3], NULL, 10);
	if (width < 7 || height < 9 || width > image->width || height > image->height) {
		fprintf(stderr, "pattern %ux%u does not fit a %ux%u capture\n", width, height,
			image->width, image->height);
		return 2;
	}
	/* The pattern's top-left corner: a grey pixel whose row continues
	 * grey up to the yellow bar and whose column stays grey for the top
	 * 6/9. The first such position is compared whole. */
	for (uint32_t y0 = 0; y0 + height <= image->height; y0++) {
		for (uint32_t x0 = 0; x0 + width <= image->width; x0++) {
			if (pixel(image, x0, y0) != smpte(0, 0, width, height) ||
			    pixel(image, x0 + (width + 6) / 7, y0) !=
				smpte((width + 6) / 7, 0, width, height) ||
			    pixel(image, x0, y0 + height - 1) !=
				smpte(0, height - 1, width, height) ||
			    (x0 > 0 && pixel(image, x0 - 1, y0) == pixel(image, x0, y0)) ||
			    (y0 > 0 && pixel(image, x0, y0 - 1) == pixel(image, x0, y0)))
				continue;
			uint64_t differing = 0;
			int32_t first_x = -1, first_y = -1;
			for (uint32_t y = 0; y < height; y++)
				for (uint32_t x = 0; x < width; x++)
					if (pixel(image, x0 + x, y0 + y) !=
					    smpte(x, y, width, height)) {
						if (differing++ == 0) {
							first_x = (int32_t)x;
							first_y = (int32_t)y;
						}
					}
			printf("modetest pattern %ux%u found at %u,%u: %llu of %llu pixels differ",
			       width, height, x0, y0, (unsigned long long)differing,
			       (unsigned long long)width * height);
			if (differing)
				printf(" (first at %d,%d: 0x%06x, expected 0x%06x)", first_x,
				       first_y,
				       pixel(image, x0 + (uint32_t)first_x, y0 + (uint32_t)first_y),
				       smpte((uint32_t)first_x, (uint32_t)first_y, width, height));
			printf("\n");
			tsr_buffer_destroy(image);
			return differing ? 1 : 0;
		}
	}
	printf("no %ux%u modetest pattern in %s\n", width, height, argv[1]);
	tsr_buffer_destroy(image);
	return 1;
}
