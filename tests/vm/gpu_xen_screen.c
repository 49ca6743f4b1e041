/* Pixel checks of tests/vm/gpu-xen.sh on what the GPU really shows: QEMU's
 * screendump of the bochs-display (binary PPM, taken on the host side) and
 * Tessera's own screenshot (PNG).
 *
 *   gpu-xen-screen pattern SHOT     every pixel is the domU's pattern
 *   gpu-xen-screen no-pattern SHOT  under 5% of the pixels are
 *   gpu-xen-screen similar A B MIN  A and B have the same size and at least
 *                                   MIN percent of identical pixels
 *
 * SHOT, A and B are .ppm or .png files. Prints what it found; exit 0 when
 * the check holds, 1 when not, 2 on bad input. */
#include <png.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_xen_pattern.h"

#define PROGRAM "gpu-xen-screen"
#define MAX_SIDE 8192u

struct picture {
	uint32_t width, height;
	uint8_t *rgb; /* width * height * 3 */
};

static bool has_suffix(const char *path, const char *suffix)
{
	size_t length = strlen(path), suffix_length = strlen(suffix);
	return length >= suffix_length && strcmp(path + length - suffix_length, suffix) == 0;
}

static bool size_ok(uint32_t width, uint32_t height)
{
	return width > 0 && height > 0 && width <= MAX_SIDE && height <= MAX_SIDE;
}

static bool read_png(const char *path, struct picture *picture)
{
	png_image image = {.version = PNG_IMAGE_VERSION};
	if (!png_image_begin_read_from_file(&image, path)) {
		fprintf(stderr, PROGRAM ": %s: %s\n", path, image.message);
		return false;
	}
	image.format = PNG_FORMAT_RGB;
	if (!size_ok(image.width, image.height)) {
		png_image_free(&image);
		return false;
	}
	picture->width = image.width;
	picture->height = image.height;
	picture->rgb = malloc(PNG_IMAGE_SIZE(image));
	if (!picture->rgb || !png_image_finish_read(&image, NULL, picture->rgb, 0, NULL)) {
		fprintf(stderr, PROGRAM ": %s: %s\n", path, image.message);
		png_image_free(&image);
		return false;
	}
	return true;
}

/* Binary PPM as QEMU writes it: "P6\n<w> <h>\n255\n" then RGB triplets. */
static bool read_ppm(const char *path, struct picture *picture)
{
	FILE *file = fopen(path, "rb");
	if (!file) {
		fprintf(stderr, PROGRAM ": cannot open %s\n", path);
		return false;
	}
	unsigned width = 0, height = 0, maxval = 0;
	bool ok = fscanf(file, "P6 %u %u %u", &width, &height, &maxval) == 3 && maxval == 255 &&
		  fgetc(file) != EOF && size_ok(width, height);
	if (ok) {
		size_t bytes = (size_t)width * height * 3;
		picture->width = width;
		picture->height = height;
		picture->rgb = malloc(bytes);
		ok = picture->rgb && fread(picture->rgb, 1, bytes, file) == bytes;
	}
	fclose(file);
	if (!ok)
		fprintf(stderr, PROGRAM ": %s is not a complete 8-bit binary PPM\n", path);
	return ok;
}

static bool read_picture(const char *path, struct picture *picture)
{
	*picture = (struct picture){0};
	return has_suffix(path, ".png") ? read_png(path, picture) : read_ppm(path, picture);
}

static uint32_t pixel_at(const struct picture *picture, uint32_t x, uint32_t y)
{
	const uint8_t *p = picture->rgb + ((size_t)y * picture->width + x) * 3;
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint64_t pattern_matches(const struct picture *picture)
{
	uint64_t matches = 0;
	for (uint32_t y = 0; y < picture->height; y++) {
		for (uint32_t x = 0; x < picture->width; x++)
			matches +=
			    pixel_at(picture, x, y) == gpu_xen_pattern_pixel(x, y, picture->width);
	}
	return matches;
}

static int check_pattern(const char *path, bool wanted)
{
	struct picture picture;
	if (!read_picture(path, &picture))
		return 2;
	uint64_t total = (uint64_t)picture.width * picture.height;
	uint64_t matches = pattern_matches(&picture);
	printf("%s: %ux%u, %llu of %llu pixels (%.2f%%) are the domU's pattern\n", path,
	       picture.width, picture.height, (unsigned long long)matches,
	       (unsigned long long)total, 100.0 * (double)matches / (double)total);
	free(picture.rgb);
	bool holds = wanted ? matches == total : matches * 20 < total;
	return holds ? 0 : 1;
}

static int check_similar(const char *path_a, const char *path_b, const char *minimum_text)
{
	char *end;
	double minimum = strtod(minimum_text, &end);
	if (*end || minimum < 0 || minimum > 100) {
		fprintf(stderr, PROGRAM ": MIN must be a percentage, not '%s'\n", minimum_text);
		return 2;
	}
	struct picture a, b;
	if (!read_picture(path_a, &a))
		return 2;
	if (!read_picture(path_b, &b)) {
		free(a.rgb);
		return 2;
	}
	int status = 1;
	if (a.width != b.width || a.height != b.height) {
		printf("%s is %ux%u, %s is %ux%u\n", path_a, a.width, a.height, path_b, b.width,
		       b.height);
	} else {
		uint64_t total = (uint64_t)a.width * a.height, same = 0;
		for (uint32_t y = 0; y < a.height; y++) {
			for (uint32_t x = 0; x < a.width; x++)
				same += pixel_at(&a, x, y) == pixel_at(&b, x, y);
		}
		double percent = 100.0 * (double)same / (double)total;
		printf("%s and %s (%ux%u): %.2f%% of the pixels are identical\n", path_a, path_b,
		       a.width, a.height, percent);
		status = percent >= minimum ? 0 : 1;
	}
	free(a.rgb);
	free(b.rgb);
	return status;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "pattern") == 0)
		return check_pattern(argv[2], true);
	if (argc == 3 && strcmp(argv[1], "no-pattern") == 0)
		return check_pattern(argv[2], false);
	if (argc == 5 && strcmp(argv[1], "similar") == 0)
		return check_similar(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: " PROGRAM " pattern|no-pattern SHOT | similar A B MIN_PERCENT\n");
	return 2;
}
