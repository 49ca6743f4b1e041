/* The software renderer: every operation is one pixman composite whose
 * destination carries the pass clip as its clip region, so pixman itself
 * guarantees that nothing outside the clip is written. Matching formats with
 * PIXMAN_OP_SRC hit pixman's blt fast path: one copy per pixel. */
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

static void pixman_renderer_blit(struct tsr_renderer *renderer, struct tsr_buffer *src, int32_t x,
				 int32_t y, const pixman_region32_t *region)
{
	struct pixman_renderer *pixman = pixman_renderer_from(renderer);
	if (!pixman->in_pass || !src)
		return;
	if (src->format != DRM_FORMAT_XRGB8888 && src->format != DRM_FORMAT_ARGB8888)
		return;
	/* Only the source's own extent is composited: outside it pixman would
	 * sample transparent black and SRC would write it. */
	struct clamped_rect rect;
	if (!clamp_to_target(pixman, x, y, src->width, src->height, &rect))
		return;
	if (src->format == DRM_FORMAT_XRGB8888 && pixman->target->format == DRM_FORMAT_XRGB8888 &&
	    src->stride >= src->width * 4u) {
		copy_opaque(pixman, src, &rect, region);
		return;
	}
	pixman_image_t *src_image = image_for_buffer(src);
	if (!src_image)
		return;

	if (region) {
		pixman_region32_t clip;
		pixman_region32_init(&clip);
		pixman_region32_intersect(&clip, &pixman->clip, (pixman_region32_t *)region);
		bool narrowed = pixman_image_set_clip_region32(pixman->target_image, &clip);
		pixman_region32_fini(&clip);
		if (!narrowed)
			goto restore; /* drawing unclipped by region would break the contract */
	}

	pixman_op_t op = src->format == DRM_FORMAT_XRGB8888 ? PIXMAN_OP_SRC : PIXMAN_OP_OVER;
	pixman_image_composite32(op, src_image, NULL, pixman->target_image, rect.src_x, rect.src_y,
				 0, 0, rect.dst_x, rect.dst_y, rect.width, rect.height);

restore:
	if (region)
		restore_pass_clip(pixman);
	pixman_image_unref(src_image);
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
	free(pixman);
}

static const struct tsr_renderer_impl pixman_renderer_impl = {
    .begin = pixman_renderer_begin,
    .fill = pixman_renderer_fill,
    .blit = pixman_renderer_blit,
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
