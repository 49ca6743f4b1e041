#include "render/pixman_sources.h"

#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>

bool tsr_pixman_format_for(uint32_t drm_format, pixman_format_code_t *format)
{
	/* DRM formats are little-endian words, pixman ones native-endian: the
	 * same layout on the little-endian machines Tessera runs on. */
	switch (drm_format) {
	case DRM_FORMAT_XRGB8888:
		*format = PIXMAN_x8r8g8b8;
		return true;
	case DRM_FORMAT_ARGB8888:
		*format = PIXMAN_a8r8g8b8;
		return true;
	case DRM_FORMAT_R8:
		*format = PIXMAN_a8;
		return true;
	/* drm_fourcc.h: RGB565 is [15:0] R:G:B 5:6:5 little endian, pixman's
	 * r5g6b5 a native 16-bit word with red on top: the same. RGB888 is
	 * [23:0] R:G:B little endian (bytes B, G, R), which is what pixman's
	 * r8g8b8 fetches on little endian. The 4444 and 1555 formats follow
	 * the same rule. YUYV is [31:0] Cr0:Y1:Cb0:Y0 (bytes Y0 U Y1 V), the
	 * byte order of pixman's yuy2, converted with BT.601 limited range,
	 * the default of a KMS plane. */
	case DRM_FORMAT_RGB565:
		*format = PIXMAN_r5g6b5;
		return true;
	case DRM_FORMAT_RGB888:
		*format = PIXMAN_r8g8b8;
		return true;
	case DRM_FORMAT_XRGB4444:
		*format = PIXMAN_x4r4g4b4;
		return true;
	case DRM_FORMAT_ARGB4444:
		*format = PIXMAN_a4r4g4b4;
		return true;
	case DRM_FORMAT_XRGB1555:
		*format = PIXMAN_x1r5g5b5;
		return true;
	case DRM_FORMAT_ARGB1555:
		*format = PIXMAN_a1r5g5b5;
		return true;
	case DRM_FORMAT_YUYV:
		*format = PIXMAN_yuy2;
		return true;
	default:
		return false;
	}
}

/* Wraps buffer memory in a pixman image without copying. Sources may be
 * read-only guest memory: pixman only ever reads a composite's source and
 * mask, so casting away const-ness for the constructor is safe there. */
pixman_image_t *tsr_pixman_image_for_buffer(const struct tsr_buffer *buffer)
{
	pixman_format_code_t format;
	if (!buffer || !buffer->data || !tsr_pixman_format_for(buffer->format, &format))
		return NULL;
	uint32_t bytes_per_pixel = PIXMAN_FORMAT_BPP(format) / 8;
	uint64_t min_stride = (uint64_t)buffer->width * bytes_per_pixel;
	if (buffer->width == 0 || buffer->height == 0 || buffer->width > INT32_MAX ||
	    buffer->height > INT32_MAX || buffer->stride > INT32_MAX || buffer->stride % 4 != 0 ||
	    buffer->stride < min_stride)
		return NULL;
	return pixman_image_create_bits_no_clear(format, (int)buffer->width, (int)buffer->height,
						 buffer->data, (int)buffer->stride);
}

/* pixman wants rows of whole 32-bit words (stride % 4 == 0). A PV
 * display's pitch is width x bpp (RGB565 with an odd width, RGB888 with a
 * width not a multiple of 4), and pixman's yuy2 fetcher reads the V byte of
 * an odd width's last, half pair past the row. Such sources are read row by
 * row (convert_rows), never as one image. */
bool tsr_pixman_readable_in_place(const struct tsr_buffer *src)
{
	return src->stride % 4 == 0 && (uintptr_t)src->data % 4 == 0 &&
	       !(src->format == DRM_FORMAT_YUYV && src->width % 2 != 0);
}

/* Draws source rows [y1, y2), columns [x1, x2) 1:1 into dst at (dst_x,
 * dst_y) with op, one pixman image per row read in place: one pass over
 * the guest pixels whatever the pitch. YUYV starts on a whole pair; an odd
 * width's last pixel goes through a padded 4-byte copy. */
void tsr_pixman_convert_rows(const struct tsr_pixman_plan *plan, int64_t x1, int64_t x2, int64_t y1,
			     int64_t y2, pixman_image_t *dst, int32_t dst_x, int32_t dst_y,
			     pixman_op_t op)
{
	const struct tsr_buffer *src = plan->src;
	uint32_t bpp = tsr_buffer_format_bpp(src->format);
	bool yuyv = src->format == DRM_FORMAT_YUYV;
	int64_t first = yuyv ? x1 & ~(int64_t)1 : x1; /* where the row image starts */
	int64_t last = x2;			      /* read from the guest row up to here */
	bool odd_tail = yuyv && src->width % 2 != 0 && x2 == src->width;
	if (odd_tail)
		last = x2 - 1;
	int64_t count = last - first;
	for (int64_t y = y1; y < y2; y++) {
		const uint8_t *row = (const uint8_t *)src->data + (size_t)y * src->stride;
		int32_t to_y = dst_y + (int32_t)(y - y1);
		if (last > x1) {
			pixman_image_t *line = pixman_image_create_bits_no_clear(
			    plan->format, (int)count, 1, (uint32_t *)(uintptr_t)(row + first * bpp),
			    (int)(((size_t)count * bpp + 3) & ~(size_t)3));
			if (line) {
				pixman_image_composite32(op, line, NULL, dst, (int32_t)(x1 - first),
							 0, 0, 0, dst_x, to_y, (int32_t)(last - x1),
							 1);
				pixman_image_unref(line);
			}
		}
		if (odd_tail && x1 < x2) {
			/* Y and U of the half pair; neutral V. */
			uint32_t word = 0;
			uint8_t *bytes = (uint8_t *)&word;
			bytes[0] = row[(size_t)(x2 - 1) * 2];
			bytes[1] = row[(size_t)(x2 - 1) * 2 + 1];
			bytes[3] = 0x80;
			pixman_image_t *pixel =
			    pixman_image_create_bits_no_clear(plan->format, 1, 1, &word, 4);
			if (pixel) {
				pixman_image_composite32(op, pixel, NULL, dst, 0, 0, 0, 0,
							 dst_x + (int32_t)(x2 - 1 - x1), to_y, 1,
							 1);
				pixman_image_unref(pixel);
			}
		}
	}
}

/* Averages factor_x x factor_y blocks of the 8888 pixels at from (width x
 * height, stride bytes) into to (width/factor rounded up; a block cut by
 * the edge averages what it has). Premultiplied channels average exactly.
 * Rows are first summed per byte into sums (width x 4 counters: a loop
 * the compiler vectorises), then each block's columns. */
void tsr_pixman_box_reduce(const uint8_t *from, size_t stride, uint32_t width, uint32_t height,
			   uint32_t factor_x, uint32_t factor_y, uint32_t *to, uint32_t *sums)
{
	if (factor_x == 0 || factor_y == 0)
		return;
	uint32_t out_width = (width + factor_x - 1) / factor_x;
	uint32_t out_height = (height + factor_y - 1) / factor_y;
	uint32_t full = width / factor_x, tail = width - full * factor_x;
	size_t bytes = (size_t)width * 4;
	for (uint32_t j = 0; j < out_height; j++) {
		uint32_t rows = height - j * factor_y < factor_y ? height - j * factor_y : factor_y;
		memset(sums, 0, sizeof(*sums) * bytes);
		for (uint32_t r = 0; r < rows; r++) {
			const uint8_t *row = from + (size_t)(j * factor_y + r) * stride;
			for (size_t x = 0; x < bytes; x++)
				sums[x] += row[x];
		}
		/* Division by a 32.32 reciprocal: a div per channel would cost
		 * more than all the adds. */
		uint64_t whole_count = (uint64_t)factor_x * rows, cut_count = (uint64_t)tail * rows;
		if (whole_count == 0)
			return; /* cannot happen: j < out_height leaves a row */
		uint64_t whole = ((1ull << 32) + whole_count / 2) / whole_count;
		uint64_t cut = cut_count ? ((1ull << 32) + cut_count / 2) / cut_count : 0;
		const uint32_t *column = sums;
		for (uint32_t i = 0; i < out_width; i++) {
			uint32_t columns = i < full ? factor_x : tail;
			uint64_t inverse = i < full ? whole : cut;
			/* Up to 255 x 8192 x 8192: 64 bits. */
			uint64_t total[4] = {0, 0, 0, 0};
			for (uint32_t c = 0; c < columns; c++, column += 4) {
				total[0] += column[0];
				total[1] += column[1];
				total[2] += column[2];
				total[3] += column[3];
			}
			uint32_t value = 0;
			for (int c = 0; c < 4; c++) {
				uint64_t channel = (total[c] * inverse + (1ull << 31)) >> 32;
				value |= (uint32_t)(channel > 255 ? 255 : channel) << (8 * c);
			}
			to[(size_t)j * out_width + i] = value;
		}
	}
}

/* Bilinear with PAD edges and the transform that maps output pixel centres
 * of the image box to source coordinates, in units of reduced pixels whose
 * grid starts at source (origin_x, origin_y). */
bool tsr_pixman_prepare_scaled(const struct tsr_pixman_plan *plan, pixman_image_t *image,
			       int64_t origin_x, int64_t origin_y)
{
	pixman_transform_t transform;
	pixman_transform_init_identity(&transform);
	transform.matrix[0][0] =
	    pixman_double_to_fixed(plan->geometry.scale_x / plan->geometry.reduce_x);
	transform.matrix[1][1] =
	    pixman_double_to_fixed(plan->geometry.scale_y / plan->geometry.reduce_y);
	transform.matrix[0][2] =
	    pixman_int_to_fixed(-(int32_t)(origin_x / plan->geometry.reduce_x));
	transform.matrix[1][2] =
	    pixman_int_to_fixed(-(int32_t)(origin_y / plan->geometry.reduce_y));
	pixman_image_set_repeat(image, PIXMAN_REPEAT_PAD);
	return pixman_image_set_transform(image, &transform) &&
	       pixman_image_set_filter(image, PIXMAN_FILTER_BILINEAR, NULL, 0);
}
