/* The software renderer: every operation is one pixman composite whose
 * destination carries the pass clip as its clip region, so pixman itself
 * guarantees that nothing outside the clip is written. Matching formats with
 * PIXMAN_OP_SRC hit pixman's blt fast path: one copy per pixel.
 *
 * The same holds for scaled guest displays: a scaled composite is still
 * one composite into the target under the pass clip, narrowed further to
 * the display's image box, so however the filter samples its source, no
 * guest pixel is written outside that box (and the layout puts the box
 * inside the content box). */
#include <drm_fourcc.h>
#include <pixman.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/log.h"
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
	/* Aligned copies of guest rows pixman cannot read in place (see
	 * needs_scratch); grows to the largest draw, freed with the renderer. */
	uint8_t *scratch;
	size_t scratch_size;
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

/* pixman reads rows of whole 32-bit words from word-aligned memory. A
 * PV display's pitch is width x bpp (RGB565 with an odd width, RGB888 with
 * a width not a multiple of 4), and pixman's yuy2 fetcher reads the V byte
 * of an odd width's last, half pair past the row. Such sources are read
 * through an aligned copy of the rows a draw needs. */
static bool needs_scratch(const struct tsr_buffer *src)
{
	return src->stride % 4 != 0 || (uintptr_t)src->data % 4 != 0 ||
	       (src->format == DRM_FORMAT_YUYV && src->width % 2 != 0);
}

/* Area-averaging downscale (a box filter the size of one output pixel):
 * every source pixel counts, so thin lines and text do not drop out as they
 * do with bilinear sampling. The footprint is capped at 16 source pixels,
 * as cairo does, so a huge display in a small tile stays affordable. */
static bool set_scale_filter(pixman_image_t *image, double scale_x, double scale_y)
{
	int count = 0;
	pixman_fixed_t *params = pixman_filter_create_separable_convolution(
	    &count, pixman_double_to_fixed(scale_x > 16.0 ? 16.0 : scale_x),
	    pixman_double_to_fixed(scale_y > 16.0 ? 16.0 : scale_y), PIXMAN_KERNEL_BOX,
	    PIXMAN_KERNEL_BOX, PIXMAN_KERNEL_BOX, PIXMAN_KERNEL_BOX, 4, 4);
	if (!params)
		return false;
	bool set =
	    pixman_image_set_filter(image, PIXMAN_FILTER_SEPARABLE_CONVOLUTION, params, count);
	free(params);
	return set;
}

/* How a source is drawn into an image box: its size, whether scaled, and
 * the scale (source pixels per output pixel). */
struct draw_plan {
	const struct tsr_buffer *src;
	pixman_box32_t image;
	int64_t image_width, image_height;
	bool scaled;
	double scale_x, scale_y;
	pixman_op_t op;
	pixman_format_code_t format;
};

/* Points source (sx, sy) of an image at output pixel centres of the
 * image box: output (image.x1 + i) samples source (i + 0.5) * scale - 0.5
 * around, shifted by the origin of a scratch copy. */
static bool prepare_image(const struct draw_plan *plan, pixman_image_t *image, int32_t origin_x,
			  int32_t origin_y)
{
	if (!plan->scaled)
		return true;
	pixman_transform_t transform;
	pixman_transform_init_identity(&transform);
	transform.matrix[0][0] = pixman_double_to_fixed(plan->scale_x);
	transform.matrix[1][1] = pixman_double_to_fixed(plan->scale_y);
	transform.matrix[0][2] = pixman_int_to_fixed(-origin_x);
	transform.matrix[1][2] = pixman_int_to_fixed(-origin_y);
	pixman_image_set_repeat(image, PIXMAN_REPEAT_PAD);
	return pixman_image_set_transform(image, &transform) &&
	       set_scale_filter(image, plan->scale_x, plan->scale_y);
}

static bool grow_scratch(struct pixman_renderer *pixman, size_t size)
{
	if (size <= pixman->scratch_size)
		return true;
	uint8_t *grown = realloc(pixman->scratch, size);
	if (!grown)
		return false;
	pixman->scratch = grown;
	pixman->scratch_size = size;
	return true;
}

/* Draws the part of plan that lands in box (output coordinates, inside the
 * image box and the current target clip) from an aligned copy of just the
 * source rectangle it samples: one CPU copy per drawn pixel (plus the
 * filter's margin when scaled). */
static void draw_box_from_scratch(struct pixman_renderer *pixman, const struct draw_plan *plan,
				  const pixman_box32_t *box)
{
	const struct tsr_buffer *src = plan->src;
	int64_t x1 = box->x1 - plan->image.x1, x2 = box->x2 - plan->image.x1;
	int64_t y1 = box->y1 - plan->image.y1, y2 = box->y2 - plan->image.y1;
	if (plan->scaled) {
		int64_t margin_x = (int64_t)plan->scale_x + 3,
			margin_y = (int64_t)plan->scale_y + 3;
		x1 = x1 * src->width / plan->image_width - margin_x;
		x2 = (x2 * src->width + plan->image_width - 1) / plan->image_width + margin_x;
		y1 = y1 * src->height / plan->image_height - margin_y;
		y2 = (y2 * src->height + plan->image_height - 1) / plan->image_height + margin_y;
	}
	x1 = x1 < 0 ? 0 : x1;
	y1 = y1 < 0 ? 0 : y1;
	x2 = x2 > src->width ? src->width : x2;
	y2 = y2 > src->height ? src->height : y2;
	if (src->format == DRM_FORMAT_YUYV)
		x1 &= ~(int64_t)1; /* start on a whole Y U Y V pair */
	if (x1 >= x2 || y1 >= y2)
		return;
	uint32_t bpp = tsr_buffer_format_bpp(src->format);
	/* Whole pairs for YUYV: an odd width's last pair is padded. */
	int64_t padded_width =
	    src->format == DRM_FORMAT_YUYV ? (x2 - x1 + 1) & ~(int64_t)1 : x2 - x1;
	size_t row_bytes = (size_t)(x2 - x1) * bpp;
	size_t stride = ((size_t)padded_width * bpp + 3) & ~(size_t)3;
	size_t rows = (size_t)(y2 - y1);
	if (!grow_scratch(pixman, stride * rows))
		return;
	for (size_t row = 0; row < rows; row++) {
		uint8_t *to = pixman->scratch + row * stride;
		memcpy(to,
		       (const uint8_t *)src->data + ((size_t)y1 + row) * src->stride +
			   (size_t)x1 * bpp,
		       row_bytes);
		/* Neutral chroma, no stale bytes, in the padding. */
		memset(to + row_bytes, 0x80, stride - row_bytes);
	}
	pixman_image_t *image = pixman_image_create_bits_no_clear(
	    plan->format, (int)(x2 - x1), (int)rows, (uint32_t *)pixman->scratch, (int)stride);
	if (!image)
		return;
	if (prepare_image(plan, image, (int32_t)x1, (int32_t)y1)) {
		int32_t src_x = box->x1 - plan->image.x1, src_y = box->y1 - plan->image.y1;
		if (!plan->scaled) {
			src_x -= (int32_t)x1;
			src_y -= (int32_t)y1;
		}
		pixman_image_composite32(plan->op, image, NULL, pixman->target_image, src_x, src_y,
					 0, 0, box->x1, box->y1, box->x2 - box->x1,
					 box->y2 - box->y1);
	}
	pixman_image_unref(image);
}

/* Draws all of src into image (output coordinates), scaled when the sizes
 * differ, clipped to image, region (if any) and the pass clip. */
static void draw_buffer(struct pixman_renderer *pixman, const struct tsr_buffer *src,
			const pixman_box32_t *image, const pixman_region32_t *region)
{
	struct draw_plan plan = {.src = src, .image = *image};
	if (!pixman->in_pass || !src || !src->data || src->width == 0 || src->height == 0 ||
	    src->width > INT32_MAX || src->height > INT32_MAX ||
	    tsr_buffer_format_bpp(src->format) == 0 ||
	    (uint64_t)src->stride < (uint64_t)src->width * tsr_buffer_format_bpp(src->format) ||
	    !pixman_format_for(src->format, &plan.format))
		return;
	plan.image_width = (int64_t)image->x2 - image->x1;
	plan.image_height = (int64_t)image->y2 - image->y1;
	if (plan.image_width <= 0 || plan.image_height <= 0)
		return;
	plan.scaled = plan.image_width != src->width || plan.image_height != src->height;
	plan.scale_x = (double)src->width / (double)plan.image_width;
	plan.scale_y = (double)src->height / (double)plan.image_height;
	plan.op = tsr_buffer_format_opaque(src->format) ? PIXMAN_OP_SRC : PIXMAN_OP_OVER;

	/* Only the image box is composited: outside it pixman would sample
	 * transparent black (or padding) and SRC would write it. */
	struct clamped_rect rect;
	if (!clamp_to_target(pixman, image->x1, image->y1, plan.image_width, plan.image_height,
			     &rect))
		return;
	if (!plan.scaled && src->format == DRM_FORMAT_XRGB8888 &&
	    pixman->target->format == DRM_FORMAT_XRGB8888 && !needs_scratch(src)) {
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
	if (narrowed && needs_scratch(src)) {
		int count;
		const pixman_box32_t *boxes = pixman_region32_rectangles(&clip, &count);
		for (int i = 0; i < count; i++)
			draw_box_from_scratch(pixman, &plan, &boxes[i]);
	} else if (narrowed) {
		pixman_image_t *src_image = image_for_buffer(src);
		if (src_image && prepare_image(&plan, src_image, 0, 0))
			pixman_image_composite32(plan.op, src_image, NULL, pixman->target_image,
						 rect.src_x, rect.src_y, 0, 0, rect.dst_x,
						 rect.dst_y, rect.width, rect.height);
		if (src_image)
			pixman_image_unref(src_image);
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
