/* How many pixels of a capture are exactly one colour:
 *
 *   colour-count CAPTURE.png RRGGBB
 *
 * prints the count (displif-frontbuffer.sh: a front-buffer guest's whole
 * display is one colour at a time). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tessera/buffer.h"
#include "tessera/image.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s CAPTURE.png RRGGBB\n", argv[0]);
		return 2;
	}
	char err[256];
	struct tsr_buffer *image = tsr_png_read(argv[1], err, sizeof(err));
	if (!image) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 2;
	}
	uint32_t colour = (uint32_t)strtoul(argv[2], NULL, 16) & 0xffffffu;
	unsigned long long count = 0;
	for (uint32_t y = 0; y < image->height; y++) {
		const uint32_t *row =
		    (const uint32_t *)((const uint8_t *)image->data + (size_t)y * image->stride);
		for (uint32_t x = 0; x < image->width; x++)
			count += (row[x] & 0xffffffu) == colour;
	}
	printf("%llu\n", count);
	tsr_buffer_destroy(image);
	return 0;
}
