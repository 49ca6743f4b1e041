/* The software renderer. The frame property rests on one promise of it
 * (renderer.h): blit and blit_scaled write no pixel outside the region they
 * are given (and the pass clip), and core/draw_list.c gives a guest draw
 * nothing but its clip box cut to the damage. Two paths keep that promise:
 * opaque 1:1 XRGB copies (copy_opaque) are row memcpys over the boxes of
 * the buffer's placed box ∩ pass clip ∩ region, computed here; every other
 * draw is a pixman composite whose destination carries that same
 * intersection (or the pass clip) as its clip region, so pixman guarantees
 * nothing outside it is written. Matching formats with PIXMAN_OP_SRC hit
 * pixman's blt fast path: one copy per pixel.
 *
 * Scaled guest displays are composited under the region narrowed further
 * to the display's image box, so however the filter samples its source, no
 * guest pixel is written outside that box. Fills and masks are Tessera's
 * own pixels, cut by the pass clip (the draw list keeps masks inside their
 * strips). */
#include <drm_fourcc.h>
#include <pixman.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/log.h"
#include "render/scale_geometry.h"
#include "tessera/renderer.h"

struct pixman_renderer {
	struct tsr_renderer base;
	/* Valid between begin() and end() only: a target image is created per
	 * pass, so a destroyed target buffer never leaves a dangling cache. */
	pixman_image_t *target_image;
	struct tsr_buffer *target;
	int32_t target_width, target_height;
	pixman_region32_t clip; /* pass clip ∩ target extent */
	bool in_pass;
	/* Scaled draws: 8888 conversions of guest rectangles, and their
	 * block averages (draw_scaled_box); grow to the largest draw, freed
	 * with the renderer. */
	uint8_t *scratch;
	size_t scratch_size;
	uint8_t *reduced;
	size_t reduced_size;
};

/* A rectangle in target coordinates after clamping to the target extent,
 * with the matching offset into the source (or mask). */
struct clamped_rect {
	int32_t dst_x, dst_y;
	int32_t src_x, src_y;
	int32_t width, height;
};

static struct pixman_renderer *pixman_renderer_from(struct tsr_renderer *renderer)
{
	return (struct pixman_renderer *)renderer;
}

static bool pixman_format_for(uint32_t drm_format, pixman_format_code_t *format)
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
static pixman_image_t *image_for_buffer(const struct tsr_buffer *buffer)
{
	pixman_format_code_t format;
	if (!buffer || !buffer->data || !pixman_format_for(buffer->format, &format))
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

/* Clamps the width x height rectangle placed at (x, y) to the target, in
 * 64-bit arithmetic so that hostile positions cannot overflow. */
static bool clamp_to_target(const struct pixman_renderer *pixman, int64_t x, int64_t y,
			    int64_t width, int64_t height, struct clamped_rect *rect)
{
	int64_t x1 = x < 0 ? 0 : x;
	int64_t y1 = y < 0 ? 0 : y;
	int64_t x2 = x + width > pixman->target_width ? pixman->target_width : x + width;
	int64_t y2 = y + height > pixman->target_height ? pixman->target_height : y + height;
	if (x1 >= x2 || y1 >= y2)
		return false;
	rect->dst_x = (int32_t)x1;
	rect->dst_y = (int32_t)y1;
	rect->src_x = (int32_t)(x1 - x);
	rect->src_y = (int32_t)(y1 - y);
	rect->width = (int32_t)(x2 - x1);
	rect->height = (int32_t)(y2 - y1);
	return true;
}

static pixman_color_t pixman_color_from_argb(uint32_t argb)
{
	/* 8-bit to 16-bit channel: v * 257 maps 0xff to 0xffff exactly. */
	return (pixman_color_t){
	    .alpha = (uint16_t)(((argb >> 24) & 0xff) * 257),
	    .red = (uint16_t)(((argb >> 16) & 0xff) * 257),
	    .green = (uint16_t)(((argb >> 8) & 0xff) * 257),
	    .blue = (uint16_t)((argb & 0xff) * 257),
	};
}

static bool pixman_renderer_begin(struct tsr_renderer *renderer, struct tsr_buffer *target,
				  const pixman_region32_t *clip)
{
	struct pixman_renderer *pixman = pixman_renderer_from(renderer);
	if (pixman->in_pass) {
		tsr_log(TSR_LOG_ERROR, "pixman renderer: begin() while a pass is running");
		return false;
	}
	if (!target || target->read_only ||
	    (target->format != DRM_FORMAT_XRGB8888 && target->format != DRM_FORMAT_ARGB8888)) {
		tsr_log(TSR_LOG_ERROR,
			"pixman renderer: target is not a writable XRGB/ARGB buffer");
		return false;
	}
	pixman->target_image = image_for_buffer(target);
	if (!pixman->target_image) {
		tsr_log(TSR_LOG_ERROR, "pixman renderer: cannot wrap %ux%u target (stride %u)",
			target->width, target->height, target->stride);
		return false;
	}
	pixman->target = target;
	pixman->target_width = (int32_t)target->width;
	pixman->target_height = (int32_t)target->height;

	pixman_region32_init_rect(&pixman->clip, 0, 0, target->width, target->height);
	if (clip)
		pixman_region32_intersect(&pixman->clip, &pixman->clip, (pixman_region32_t *)clip);
	if (!pixman_image_set_clip_region32(pixman->target_image, &pixman->clip)) {
		tsr_log(TSR_LOG_ERROR, "pixman renderer: cannot set the clip region");
		pixman_region32_fini(&pixman->clip);
		pixman_image_unref(pixman->target_image);
		pixman->target_image = NULL;
		return false;
	}
	pixman->in_pass = true;
	return true;
}

static void pixman_renderer_fill(struct tsr_renderer *renderer, const pixman_box32_t *box,
				 uint32_t argb)
{
	struct pixman_renderer *pixman = pixman_renderer_from(renderer);
	struct clamped_rect rect;
	if (!pixman->in_pass || !box ||
	    !clamp_to_target(pixman, box->x1, box->y1, (int64_t)box->x2 - box->x1,
			     (int64_t)box->y2 - box->y1, &rect))
		return;

	pixman_color_t color = pixman_color_from_argb(argb);
	pixman_image_t *solid = pixman_image_create_solid_fill(&color);
	if (!solid)
		return;
	pixman_op_t op = (argb >> 24) == 0xff ? PIXMAN_OP_SRC : PIXMAN_OP_OVER;
	pixman_image_composite32(op, solid, NULL, pixman->target_image, 0, 0, 0, 0, rect.dst_x,
				 rect.dst_y, rect.width, rect.height);
	pixman_image_unref(solid);
}

/* Puts the pass clip back on the target after an operation narrowed it. */
static void restore_pass_clip(struct pixman_renderer *pixman)
{
	if (pixman_image_set_clip_region32(pixman->target_image, &pixman->clip))
		return;
	/* Out of memory: clip everything for the rest of the pass rather than
	 * risk drawing outside the pass clip. An empty region needs no memory. */
	pixman_region32_clear(&pixman->clip);
	pixman_image_set_clip_region32(pixman->target_image, &pixman->clip);
}

/* Opaque copies between XRGB buffers are row memcpys over the clipped
 * boxes: glibc's memcpy uses the widest vector moves the CPU has, which
 * beats pixman's SSE2 blt by 2-3x on full frames (bench_compose). Still
 * exactly one read and one write per damaged pixel. */
static void copy_opaque(struct pixman_renderer *pixman, const struct tsr_buffer *src,
			const struct clamped_rect *rect, const pixman_region32_t *region)
{
	pixman_region32_t boxes;
	pixman_region32_init_rect(&boxes, rect->dst_x, rect->dst_y, (unsigned)rect->width,
				  (unsigned)rect->height);
	pixman_region32_intersect(&boxes, &boxes, &pixman->clip);
	if (region)
		pixman_region32_intersect(&boxes, &boxes, (pixman_region32_t *)region);
	int count;
	const pixman_box32_t *box = pixman_region32_rectangles(&boxes, &count);
	struct tsr_buffer *dst = pixman->target;
	/* The source pixel for target (tx, ty) is (tx - dx, ty - dy). */
	int32_t dx = rect->dst_x - rect->src_x, dy = rect->dst_y - rect->src_y;
	for (int i = 0; i < count; i++, box++) {
		size_t bytes = (size_t)(box->x2 - box->x1) * 4u;
		for (int32_t ty = box->y1; ty < box->y2; ty++) {
			const uint8_t *from = (const uint8_t *)src->data +
					      (size_t)(ty - dy) * src->stride +
					      (size_t)(box->x1 - dx) * 4u;
			uint8_t *to =
			    (uint8_t *)dst->data + (size_t)ty * dst->stride + (size_t)box->x1 * 4u;
			memcpy(to, from, bytes);
		}
	}
	pixman_region32_fini(&boxes);
}

/* pixman wants rows of whole 32-bit words (stride % 4 == 0). A PV
 * display's pitch is width x bpp (RGB565 with an odd width, RGB888 with a
 * width not a multiple of 4), and pixman's yuy2 fetcher reads the V byte of
 * an odd width's last, half pair past the row. Such sources are read row by
 * row (convert_rows), never as one image. */
static bool readable_in_place(const struct tsr_buffer *src)
{
	return src->stride % 4 == 0 && (uintptr_t)src->data % 4 == 0 &&
	       !(src->format == DRM_FORMAT_YUYV && src->width % 2 != 0);
}

/* How a source is drawn into an image box (output coordinates). Scaling:
 * source pixels per output pixel. Downscaling by more than 2 first
 * averages reduce_x x reduce_y blocks of source pixels (a box filter on a
 * grid fixed to the source, so every repaint of a pixel gives the same
 * value), then a bilinear filter scales the rest (at most 2:1, where it
 * still weighs every source pixel): an area-averaging downscale in which
 * thin lines and text do not drop out, at pixman's SSSE3 bilinear speed. */
struct draw_plan {
	const struct tsr_buffer *src;
	struct tsr_scale_geometry geometry;
	pixman_op_t op;
	pixman_format_code_t format;	  /* the source's */
	pixman_format_code_t wide_format; /* 8888 with or without alpha */
};

static bool grow(uint8_t **memory, size_t *capacity, size_t size)
{
	if (size <= *capacity)
		return true;
	uint8_t *grown = realloc(*memory, size);
	if (!grown)
		return false;
	*memory = grown;
	*capacity = size;
	return true;
}

/* Draws source rows [y1, y2), columns [x1, x2) 1:1 into dst at (dst_x,
 * dst_y) with op, one pixman image per row read in place: one pass over
 * the guest pixels whatever the pitch. YUYV starts on a whole pair; an odd
 * width's last pixel goes through a padded 4-byte copy. */
static void convert_rows(const struct draw_plan *plan, int64_t x1, int64_t x2, int64_t y1,
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
static void box_reduce(const uint8_t *from, size_t stride, uint32_t width, uint32_t height,
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
static bool prepare_scaled(const struct draw_plan *plan, pixman_image_t *image, int64_t origin_x,
			   int64_t origin_y)
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

/* Draws the part of a scaled plan that lands in box (output coordinates,
 * inside the image box and the target clip) from 8888 pixels of just the
 * source rectangle it samples: converted (one pass) when the source is not
 * 8888 in place, then block-averaged when reducing. */
static void draw_scaled_box(struct pixman_renderer *pixman, const struct draw_plan *plan,
			    const pixman_box32_t *box)
{
	const struct tsr_buffer *src = plan->src;
	int64_t kx = plan->geometry.reduce_x, ky = plan->geometry.reduce_y;
	int64_t x1, y1, x2, y2;
	if (!tsr_scale_source_rect(&plan->geometry, src, box, &x1, &y1, &x2, &y2))
		return;
	uint32_t width = (uint32_t)(x2 - x1), height = (uint32_t)(y2 - y1);

	/* 8888 pixels of the rectangle: the guest's own or a converted copy. */
	const uint8_t *wide;
	size_t wide_stride;
	bool in_place = readable_in_place(src) && tsr_buffer_format_bpp(src->format) == 4;
	if (in_place) {
		wide = (const uint8_t *)src->data + (size_t)y1 * src->stride + (size_t)x1 * 4;
		wide_stride = src->stride;
	} else {
		wide_stride = (size_t)width * 4;
		if (!grow(&pixman->scratch, &pixman->scratch_size, wide_stride * height))
			return;
		pixman_image_t *staging = pixman_image_create_bits_no_clear(
		    plan->wide_format, (int)width, (int)height, (uint32_t *)pixman->scratch,
		    (int)wide_stride);
		if (!staging)
			return;
		convert_rows(plan, x1, x2, y1, y2, staging, 0, 0, PIXMAN_OP_SRC);
		pixman_image_unref(staging);
		wide = pixman->scratch;
	}

	pixman_image_t *image;
	if (kx == 1 && ky == 1) {
		image = pixman_image_create_bits_no_clear(plan->wide_format, (int)width,
							  (int)height, (uint32_t *)(uintptr_t)wide,
							  (int)wide_stride);
	} else {
		uint32_t out_width = (width + (uint32_t)kx - 1) / (uint32_t)kx;
		uint32_t out_height = (height + (uint32_t)ky - 1) / (uint32_t)ky;
		if (!grow(&pixman->reduced, &pixman->reduced_size,
			  (size_t)out_width * out_height * 4 + (size_t)width * 16))
			return;
		uint32_t *sums = (uint32_t *)(pixman->reduced + (size_t)out_width * out_height * 4);
		box_reduce(wide, wide_stride, width, height, (uint32_t)kx, (uint32_t)ky,
			   (uint32_t *)pixman->reduced, sums);
		image = pixman_image_create_bits_no_clear(
		    plan->wide_format, (int)out_width, (int)out_height, (uint32_t *)pixman->reduced,
		    (int)out_width * 4);
	}
	if (!image)
		return;
	if (prepare_scaled(plan, image, x1, y1))
		pixman_image_composite32(plan->op, image, NULL, pixman->target_image,
					 box->x1 - plan->geometry.image.x1,
					 box->y1 - plan->geometry.image.y1, 0, 0, box->x1, box->y1,
					 box->x2 - box->x1, box->y2 - box->y1);
	pixman_image_unref(image);
}

/* A 1:1 draw of a source pixman cannot read as one image: row by row
 * straight into the target, no copy. */
static void draw_rows_box(struct pixman_renderer *pixman, const struct draw_plan *plan,
			  const pixman_box32_t *box)
{
	convert_rows(plan, box->x1 - plan->geometry.image.x1, box->x2 - plan->geometry.image.x1,
		     box->y1 - plan->geometry.image.y1, box->y2 - plan->geometry.image.y1,
		     pixman->target_image, box->x1, box->y1, plan->op);
}

/* Draws all of src into image (output coordinates), scaled when the sizes
 * differ, clipped to image, region (if any) and the pass clip. */
static void draw_buffer(struct pixman_renderer *pixman, const struct tsr_buffer *src,
			const pixman_box32_t *image, const pixman_region32_t *region)
{
	struct draw_plan plan = {.src = src};
	if (!pixman->in_pass || !src || !src->data || src->width == 0 || src->height == 0 ||
	    src->width > INT32_MAX || src->height > INT32_MAX ||
	    tsr_buffer_format_bpp(src->format) == 0 ||
	    (uint64_t)src->stride < (uint64_t)src->width * tsr_buffer_format_bpp(src->format) ||
	    !pixman_format_for(src->format, &plan.format))
		return;
	if (!tsr_scale_geometry_for(src, image, &plan.geometry))
		return;
	bool opaque = tsr_buffer_format_opaque(src->format);
	plan.op = opaque ? PIXMAN_OP_SRC : PIXMAN_OP_OVER;
	plan.wide_format = opaque ? PIXMAN_x8r8g8b8 : PIXMAN_a8r8g8b8;

	/* Only the image box is composited: outside it pixman would sample
	 * transparent black (or padding) and SRC would write it. */
	struct clamped_rect rect;
	if (!clamp_to_target(pixman, image->x1, image->y1, plan.geometry.image_width,
			     plan.geometry.image_height, &rect))
		return;
	if (!plan.geometry.scaled && src->format == DRM_FORMAT_XRGB8888 &&
	    pixman->target->format == DRM_FORMAT_XRGB8888 && readable_in_place(src)) {
		copy_opaque(pixman, src, &rect, region);
		return;
	}

	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, rect.dst_x, rect.dst_y, (unsigned)rect.width,
				  (unsigned)rect.height);
	pixman_region32_intersect(&clip, &clip, &pixman->clip);
	if (region)
		pixman_region32_intersect(&clip, &clip, (pixman_region32_t *)region);
	bool narrowed = pixman_region32_not_empty(&clip) &&
			pixman_image_set_clip_region32(pixman->target_image, &clip);
	/* In place: 1:1 always, scaled only when 8888 needs no reduction
	 * (pixman's bilinear fast path reads the guest's pixels directly). */
	bool whole =
	    readable_in_place(src) &&
	    (!plan.geometry.scaled || (tsr_buffer_format_bpp(src->format) == 4 &&
				       plan.geometry.reduce_x == 1 && plan.geometry.reduce_y == 1));
	if (narrowed && whole) {
		pixman_image_t *src_image = image_for_buffer(src);
		if (src_image && (!plan.geometry.scaled || prepare_scaled(&plan, src_image, 0, 0)))
			pixman_image_composite32(plan.op, src_image, NULL, pixman->target_image,
						 rect.src_x, rect.src_y, 0, 0, rect.dst_x,
						 rect.dst_y, rect.width, rect.height);
		if (src_image)
			pixman_image_unref(src_image);
	} else if (narrowed) {
		int count;
		const pixman_box32_t *boxes = pixman_region32_rectangles(&clip, &count);
		for (int i = 0; i < count; i++) {
			if (plan.geometry.scaled)
				draw_scaled_box(pixman, &plan, &boxes[i]);
			else
				draw_rows_box(pixman, &plan, &boxes[i]);
		}
	}
	pixman_region32_fini(&clip);
	restore_pass_clip(pixman);
}

static void pixman_renderer_blit(struct tsr_renderer *renderer, struct tsr_buffer *src, int32_t x,
				 int32_t y, const pixman_region32_t *region)
{
	if (!src)
		return;
	/* 64-bit: a hostile position plus a size must not wrap. */
	int64_t x2 = (int64_t)x + src->width, y2 = (int64_t)y + src->height;
	if (x2 > INT32_MAX || y2 > INT32_MAX) {
		/* Entirely right of or below any target: nothing to draw. The
		 * image box must fit int32 for pixman. */
		return;
	}
	pixman_box32_t image = {x, y, (int32_t)x2, (int32_t)y2};
	draw_buffer(pixman_renderer_from(renderer), src, &image, region);
}

static void pixman_renderer_blit_scaled(struct tsr_renderer *renderer, struct tsr_buffer *src,
					const pixman_box32_t *image,
					const pixman_region32_t *region)
{
	if (image)
		draw_buffer(pixman_renderer_from(renderer), src, image, region);
}

static void pixman_renderer_mask(struct tsr_renderer *renderer, struct tsr_buffer *mask, int32_t x,
				 int32_t y, uint32_t argb)
{
	struct pixman_renderer *pixman = pixman_renderer_from(renderer);
	if (!pixman->in_pass || !mask || mask->format != DRM_FORMAT_R8)
		return;
	struct clamped_rect rect;
	if (!clamp_to_target(pixman, x, y, mask->width, mask->height, &rect))
		return;
	pixman_image_t *mask_image = image_for_buffer(mask);
	if (!mask_image)
		return;
	pixman_color_t color = pixman_color_from_argb(argb);
	pixman_image_t *solid = pixman_image_create_solid_fill(&color);
	if (solid) {
		pixman_image_composite32(PIXMAN_OP_OVER, solid, mask_image, pixman->target_image, 0,
					 0, rect.src_x, rect.src_y, rect.dst_x, rect.dst_y,
					 rect.width, rect.height);
		pixman_image_unref(solid);
	}
	pixman_image_unref(mask_image);
}

static void finish_pass(struct pixman_renderer *pixman)
{
	if (!pixman->in_pass)
		return;
	pixman_image_unref(pixman->target_image);
	pixman->target_image = NULL;
	pixman_region32_fini(&pixman->clip);
	pixman->in_pass = false;
}

static bool pixman_renderer_end(struct tsr_renderer *renderer)
{
	struct pixman_renderer *pixman = pixman_renderer_from(renderer);
	if (!pixman->in_pass)
		return false;
	finish_pass(pixman);
	return true;
}

static void pixman_renderer_destroy(struct tsr_renderer *renderer)
{
	struct pixman_renderer *pixman = pixman_renderer_from(renderer);
	finish_pass(pixman);
	free(pixman->scratch);
	free(pixman->reduced);
	free(pixman);
}

static const struct tsr_renderer_impl pixman_renderer_impl = {
    .begin = pixman_renderer_begin,
    .fill = pixman_renderer_fill,
    .blit = pixman_renderer_blit,
    .blit_scaled = pixman_renderer_blit_scaled,
    .mask = pixman_renderer_mask,
    .end = pixman_renderer_end,
    .destroy = pixman_renderer_destroy,
};

struct tsr_renderer *tsr_renderer_pixman_create(void)
{
	struct pixman_renderer *pixman = calloc(1, sizeof(*pixman));
	if (!pixman)
		return NULL;
	pixman->base.impl = &pixman_renderer_impl;
	pixman->base.name = "pixman";
	return &pixman->base;
}
