/* PNG files through libpng and the per-channel image comparison that the
 * reference-image tests rely on. libpng reports errors by longjmp: every
 * function keeps what the error path must free in variables that are either
 * set before setjmp or volatile. */
#include <drm_fourcc.h>
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/image.h"
#include "tessera/log.h"
#include "util/atomic_file.h"

/* Same cap as memory buffers: anything larger is not one of our images. */
#define TSR_PNG_MAX_DIMENSION 16384u

struct png_error_context {
	char *err;
	size_t err_len;
	const char *path;
};

static void png_error_to_context(png_structp png, png_const_charp message)
{
	struct png_error_context *context = png_get_error_ptr(png);
	snprintf(context->err, context->err_len, "%s: %s", context->path, message);
	png_longjmp(png, 1);
}

static void png_warning_ignored(png_structp png, png_const_charp message)
{
	/* Warnings (odd chunks, sRGB profiles) never change the pixels we read. */
}

static bool is_rgb32(const struct tsr_buffer *buffer)
{
	return buffer->format == DRM_FORMAT_XRGB8888 || buffer->format == DRM_FORMAT_ARGB8888;
}

static bool valid_rgb32(const struct tsr_buffer *buffer)
{
	return buffer && buffer->data && is_rgb32(buffer) && buffer->width > 0 &&
	       buffer->height > 0 && buffer->stride / 4 >= buffer->width;
}

static bool write_png_file(FILE *file, const struct tsr_buffer *buffer,
			   struct png_error_context *context)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, context,
						  png_error_to_context, png_warning_ignored);
	if (!png) {
		snprintf(context->err, context->err_len, "%s: out of memory", context->path);
		return false;
	}
	png_infop info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		snprintf(context->err, context->err_len, "%s: out of memory", context->path);
		return false;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return false;
	}
	png_init_io(png, file);
	png_set_IHDR(png, info, buffer->width, buffer->height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	/* Our pixels are little-endian 32-bit words, bytes B G R X in memory:
	 * swap to RGB and drop the fourth byte while libpng copies each row. */
	png_set_bgr(png);
	png_set_filler(png, 0, PNG_FILLER_AFTER);
	const uint8_t *pixels = buffer->data;
	for (uint32_t y = 0; y < buffer->height; y++)
		png_write_row(png, pixels + (size_t)y * buffer->stride);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return true;
}

bool tsr_png_write(const char *path, const struct tsr_buffer *buffer, char *err, size_t err_len)
{
	if (!valid_rgb32(buffer)) {
		snprintf(err, err_len, "%s: can only write XRGB8888/ARGB8888 buffers", path);
		return false;
	}
	/* 0600: a screenshot may show every domain's content. */
	struct tsr_atomic_file *file = tsr_atomic_file_create(path, 0600, err, err_len);
	if (!file)
		return false;
	struct png_error_context context = {.err = err, .err_len = err_len, .path = path};
	bool ok = write_png_file(tsr_atomic_file_stream(file), buffer, &context) &&
		  tsr_atomic_file_commit(file, err, err_len);
	/* Removes the temporary file if anything failed: never a truncated
	 * image, and never anything that was there before. */
	tsr_atomic_file_destroy(file);
	return ok;
}

static struct tsr_buffer *read_png_file(FILE *file, struct png_error_context *context)
{
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, context,
						 png_error_to_context, png_warning_ignored);
	if (!png) {
		snprintf(context->err, context->err_len, "%s: out of memory", context->path);
		return NULL;
	}
	png_infop info = png_create_info_struct(png);
	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		snprintf(context->err, context->err_len, "%s: out of memory", context->path);
		return NULL;
	}
	/* Assigned after setjmp, freed on the longjmp path: volatile. */
	struct tsr_buffer *volatile buffer = NULL;
	png_bytep *volatile rows = NULL;
	if (setjmp(png_jmpbuf(png))) {
		free(rows);
		tsr_buffer_destroy(buffer);
		png_destroy_read_struct(&png, &info, NULL);
		return NULL;
	}
	png_init_io(png, file);
	png_set_sig_bytes(png, 8);
	png_set_user_limits(png, TSR_PNG_MAX_DIMENSION, TSR_PNG_MAX_DIMENSION);
	png_read_info(png, info);

	uint32_t width = png_get_image_width(png, info);
	uint32_t height = png_get_image_height(png, info);
	/* Whatever the file holds, end with 8-bit B G R X bytes per pixel. */
	png_set_expand(png);   /* palette -> RGB, gray < 8 bit -> 8 bit, tRNS -> alpha */
	png_set_strip_16(png); /* 16-bit channels -> 8 bit */
	png_set_gray_to_rgb(png);
	png_set_strip_alpha(png); /* XRGB has no alpha: keep the colour channels only */
	png_set_bgr(png);
	png_set_filler(png, 0xff, PNG_FILLER_AFTER);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	if (png_get_rowbytes(png, info) != (size_t)width * 4)
		png_error(png, "unexpected row size after conversion");

	buffer = tsr_buffer_create_memory(width, height, DRM_FORMAT_XRGB8888);
	rows = calloc(height, sizeof(*rows));
	if (!buffer || !rows)
		png_error(png, "out of memory");
	for (uint32_t y = 0; y < height; y++)
		rows[y] = (png_bytep)buffer->data + (size_t)y * buffer->stride;
	png_read_image(png, rows);
	png_read_end(png, NULL);

	struct tsr_buffer *result = buffer;
	free(rows);
	png_destroy_read_struct(&png, &info, NULL);
	return result;
}

struct tsr_buffer *tsr_png_read(const char *path, char *err, size_t err_len)
{
	FILE *file = fopen(path, "rb");
	if (!file) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	png_byte signature[8];
	struct tsr_buffer *buffer = NULL;
	if (fread(signature, 1, sizeof(signature), file) != sizeof(signature) ||
	    png_sig_cmp(signature, 0, sizeof(signature)) != 0) {
		snprintf(err, err_len, "%s: not a PNG file", path);
	} else {
		struct png_error_context context = {.err = err, .err_len = err_len, .path = path};
		buffer = read_png_file(file, &context);
	}
	fclose(file);
	return buffer;
}

static uint32_t pixel_at(const struct tsr_buffer *buffer, uint32_t x, uint32_t y)
{
	uint32_t pixel;
	memcpy(&pixel, (const uint8_t *)buffer->data + (size_t)y * buffer->stride + (size_t)x * 4,
	       sizeof(pixel));
	return pixel;
}

static void set_pixel(struct tsr_buffer *buffer, uint32_t x, uint32_t y, uint32_t pixel)
{
	memcpy((uint8_t *)buffer->data + (size_t)y * buffer->stride + (size_t)x * 4, &pixel,
	       sizeof(pixel));
}

/* Compares one pixel's R, G and B; returns whether it is within tolerance
 * and raises *max_delta to the largest absolute channel difference. */
static bool pixel_matches(uint32_t actual, uint32_t expected, int below, int above, int *max_delta)
{
	bool matches = true;
	for (int shift = 0; shift <= 16; shift += 8) {
		int delta = (int)((actual >> shift) & 0xff) - (int)((expected >> shift) & 0xff);
		int magnitude = delta < 0 ? -delta : delta;
		if (magnitude > *max_delta)
			*max_delta = magnitude;
		if (delta < -below || delta > above)
			matches = false;
	}
	return matches;
}

static uint32_t dimmed(uint32_t pixel)
{
	/* A third of each channel: the picture stays recognisable while the
	 * magenta differences stand out. */
	uint32_t r = ((pixel >> 16) & 0xff) / 3, g = ((pixel >> 8) & 0xff) / 3,
		 b = (pixel & 0xff) / 3;
	return 0xff000000u | r << 16 | g << 8 | b;
}

#define DIFF_MAGENTA 0xffff00ffu

/* Diff image of the union of both extents: matching pixels dimmed, the
 * others (including those present in only one image) magenta. */
static void write_diff_image(const struct tsr_buffer *actual, const struct tsr_buffer *expected,
			     int below, int above, const char *path)
{
	uint32_t width = actual->width > expected->width ? actual->width : expected->width;
	uint32_t height = actual->height > expected->height ? actual->height : expected->height;
	struct tsr_buffer *diff_image =
	    tsr_buffer_create_memory(width, height, DRM_FORMAT_XRGB8888);
	if (!diff_image) {
		tsr_log(TSR_LOG_WARN, "%s: no memory for a %ux%u diff image", path, width, height);
		return;
	}
	for (uint32_t y = 0; y < height; y++) {
		for (uint32_t x = 0; x < width; x++) {
			uint32_t shown = DIFF_MAGENTA;
			if (x < actual->width && y < actual->height && x < expected->width &&
			    y < expected->height) {
				int ignored = 0;
				uint32_t pixel = pixel_at(actual, x, y);
				if (pixel_matches(pixel, pixel_at(expected, x, y), below, above,
						  &ignored))
					shown = dimmed(pixel);
			}
			set_pixel(diff_image, x, y, shown);
		}
	}
	char err[512];
	if (!tsr_png_write(path, diff_image, err, sizeof(err)))
		tsr_log(TSR_LOG_WARN, "cannot write diff image: %s", err);
	tsr_buffer_destroy(diff_image);
}

bool tsr_image_compare(const struct tsr_buffer *actual, const struct tsr_buffer *expected,
		       int tolerance_below, int tolerance_above, const char *diff_png_path,
		       struct tsr_image_diff *result)
{
	struct tsr_image_diff diff = {.first_x = -1, .first_y = -1};
	if (!valid_rgb32(actual) || !valid_rgb32(expected)) {
		diff.differing_pixels = UINT64_MAX;
		diff.max_channel_delta = 255;
		if (result)
			*result = diff;
		return false;
	}
	uint32_t width = actual->width > expected->width ? actual->width : expected->width;
	uint32_t height = actual->height > expected->height ? actual->height : expected->height;
	for (uint32_t y = 0; y < height; y++) {
		for (uint32_t x = 0; x < width; x++) {
			bool matches = false;
			/* Pixels present in only one image (different sizes) always differ. */
			if (x < actual->width && y < actual->height && x < expected->width &&
			    y < expected->height)
				matches = pixel_matches(pixel_at(actual, x, y),
							pixel_at(expected, x, y), tolerance_below,
							tolerance_above, &diff.max_channel_delta);
			else
				diff.max_channel_delta = 255;
			if (matches)
				continue;
			if (diff.differing_pixels == 0) {
				diff.first_x = (int32_t)x;
				diff.first_y = (int32_t)y;
			}
			diff.differing_pixels++;
		}
	}
	if (diff.differing_pixels && diff_png_path)
		write_diff_image(actual, expected, tolerance_below, tolerance_above, diff_png_path);
	if (result)
		*result = diff;
	return diff.differing_pixels == 0;
}
