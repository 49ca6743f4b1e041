/* The software renderer. The frame property rests on one promise of it
 * (renderer.h): blit and blit_scaled write no pixel outside the region they
 * are given (and the pass clip), and core/draw_list.c gives a guest draw
 * nothing but its clip box cut to the damage. Two paths keep that promise:
 * opaque 1:1 XRGB copies (copy_opaque) are row copies over the boxes of
 * the buffer's placed box ∩ pass clip ∩ region, computed here; every other
 * draw is a pixman composite whose destination carries that same
 * intersection (or the pass clip) as its clip region, so pixman guarantees
 * nothing outside it is written. Only this file wraps the target or sets
 * its clip; render/pixman_sources.c (sources, row reads, block averages)
 * is handed the target only as that clipped image. Matching formats with
 * PIXMAN_OP_SRC hit pixman's blt fast path: one copy per pixel.
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
#include "render/pixman_sources.h"
#include "render/row_copy.h"
#include "render/scale_geometry.h"
#include "tessera/renderer.h"
#include "util/scratch.h"

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
	tsr_row_copy_fn copy_row;
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
	pixman->target_image = tsr_pixman_image_for_buffer(target);
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

/* Opaque copies between XRGB buffers are row copies over the clipped
 * boxes (render/row_copy.c: streaming stores for long rows, memcpy for
 * short ones), which beat pixman's SSE2 blt by 2-3x on full frames
 * (bench_compose). Still exactly one read and one write per damaged
 * pixel. */
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
			pixman->copy_row(to, from, bytes);
		}
	}
	pixman_region32_fini(&boxes);
}

/* Draws the part of a scaled plan that lands in box (output coordinates,
 * inside the image box and the target clip) from 8888 pixels of just the
 * source rectangle it samples: converted (one pass) when the source is not
 * 8888 in place, then block-averaged when reducing. */
static void draw_scaled_box(struct pixman_renderer *pixman, const struct tsr_pixman_plan *plan,
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
	bool in_place =
	    tsr_pixman_readable_in_place(src) && tsr_buffer_format_bpp(src->format) == 4;
	if (in_place) {
		wide = (const uint8_t *)src->data + (size_t)y1 * src->stride + (size_t)x1 * 4;
		wide_stride = src->stride;
	} else {
		wide_stride = (size_t)width * 4;
		if (!tsr_scratch_grow(&pixman->scratch, &pixman->scratch_size,
				      wide_stride * height))
			return;
		pixman_image_t *staging = pixman_image_create_bits_no_clear(
		    plan->wide_format, (int)width, (int)height, (uint32_t *)pixman->scratch,
		    (int)wide_stride);
		if (!staging)
			return;
		tsr_pixman_convert_rows(plan, x1, x2, y1, y2, staging, 0, 0, PIXMAN_OP_SRC);
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
		if (!tsr_scratch_grow(&pixman->reduced, &pixman->reduced_size,
				      (size_t)out_width * out_height * 4 + (size_t)width * 16))
			return;
		uint32_t *sums = (uint32_t *)(pixman->reduced + (size_t)out_width * out_height * 4);
		tsr_pixman_box_reduce(wide, wide_stride, width, height, (uint32_t)kx, (uint32_t)ky,
				      (uint32_t *)pixman->reduced, sums);
		image = pixman_image_create_bits_no_clear(
		    plan->wide_format, (int)out_width, (int)out_height, (uint32_t *)pixman->reduced,
		    (int)out_width * 4);
	}
	if (!image)
		return;
	if (tsr_pixman_prepare_scaled(plan, image, x1, y1))
		pixman_image_composite32(plan->op, image, NULL, pixman->target_image,
					 box->x1 - plan->geometry.image.x1,
					 box->y1 - plan->geometry.image.y1, 0, 0, box->x1, box->y1,
					 box->x2 - box->x1, box->y2 - box->y1);
	pixman_image_unref(image);
}

/* A 1:1 draw of a source pixman cannot read as one image: row by row
 * straight into the target, no copy. */
static void draw_rows_box(struct pixman_renderer *pixman, const struct tsr_pixman_plan *plan,
			  const pixman_box32_t *box)
{
	tsr_pixman_convert_rows(
	    plan, box->x1 - plan->geometry.image.x1, box->x2 - plan->geometry.image.x1,
	    box->y1 - plan->geometry.image.y1, box->y2 - plan->geometry.image.y1,
	    pixman->target_image, box->x1, box->y1, plan->op);
}

/* Draws all of src into image (output coordinates), scaled when the sizes
 * differ, clipped to image, region (if any) and the pass clip. */
static void draw_buffer(struct pixman_renderer *pixman, const struct tsr_buffer *src,
			const pixman_box32_t *image, const pixman_region32_t *region)
{
	struct tsr_pixman_plan plan = {.src = src};
	if (!pixman->in_pass || !src || !src->data || src->width == 0 || src->height == 0 ||
	    src->width > INT32_MAX || src->height > INT32_MAX ||
	    tsr_buffer_format_bpp(src->format) == 0 ||
	    (uint64_t)src->stride < (uint64_t)src->width * tsr_buffer_format_bpp(src->format) ||
	    !tsr_pixman_format_for(src->format, &plan.format))
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
	    pixman->target->format == DRM_FORMAT_XRGB8888 && tsr_pixman_readable_in_place(src)) {
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
	    tsr_pixman_readable_in_place(src) &&
	    (!plan.geometry.scaled || (tsr_buffer_format_bpp(src->format) == 4 &&
				       plan.geometry.reduce_x == 1 && plan.geometry.reduce_y == 1));
	if (narrowed && whole) {
		pixman_image_t *src_image = tsr_pixman_image_for_buffer(src);
		if (src_image &&
		    (!plan.geometry.scaled || tsr_pixman_prepare_scaled(&plan, src_image, 0, 0)))
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
	pixman_image_t *mask_image = tsr_pixman_image_for_buffer(mask);
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
	/* The frame goes to the display (or another thread) after this. */
	tsr_row_copy_finish();
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
	pixman->copy_row = tsr_row_copy_select();
	return &pixman->base;
}
