/* Guest buffers as pixman sources, for the software renderer
 * (render_pixman.c): formats, images over buffer memory, row-by-row reads
 * of pitches pixman cannot take whole, the block averages and bilinear
 * transforms of scaled draws. Nothing here holds or clips the target:
 * tsr_pixman_convert_rows composites onto the image it is given, whose
 * clip region (set by render_pixman.c alone) pixman honours for every
 * pixel written; everything else writes only Tessera's scratch memory.
 * So the frame property needs render_pixman.c, not this file. */
#ifndef TSR_RENDER_PIXMAN_SOURCES_H
#define TSR_RENDER_PIXMAN_SOURCES_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "render/scale_geometry.h"
#include "tessera/buffer.h"

/* How a source is drawn into an image box (output coordinates). Scaling:
 * source pixels per output pixel. Downscaling by more than 2 first
 * averages reduce_x x reduce_y blocks of source pixels (a box filter on a
 * grid fixed to the source, so every repaint of a pixel gives the same
 * value), then a bilinear filter scales the rest (at most 2:1, where it
 * still weighs every source pixel): an area-averaging downscale in which
 * thin lines and text do not drop out, at pixman's SSSE3 bilinear speed. */
struct tsr_pixman_plan {
	const struct tsr_buffer *src;
	struct tsr_scale_geometry geometry;
	pixman_op_t op;
	pixman_format_code_t format;	  /* the source's */
	pixman_format_code_t wide_format; /* 8888 with or without alpha */
};

/* The pixman format of a DRM format, false when pixman has none. */
bool tsr_pixman_format_for(uint32_t drm_format, pixman_format_code_t *format);
/* buffer's memory as a pixman image (no copy), or NULL when its size,
 * stride or format do not fit one. */
pixman_image_t *tsr_pixman_image_for_buffer(const struct tsr_buffer *buffer);
/* Whether pixman can read src as one image (else: tsr_pixman_convert_rows). */
bool tsr_pixman_readable_in_place(const struct tsr_buffer *src);
/* Composites source rows [y1, y2), columns [x1, x2) 1:1 onto dst at
 * (dst_x, dst_y) with op, one row image at a time. */
void tsr_pixman_convert_rows(const struct tsr_pixman_plan *plan, int64_t x1, int64_t x2, int64_t y1,
			     int64_t y2, pixman_image_t *dst, int32_t dst_x, int32_t dst_y,
			     pixman_op_t op);
/* Block averages of 8888 pixels into to, with sums as width x 4 counters. */
void tsr_pixman_box_reduce(const uint8_t *from, size_t stride, uint32_t width, uint32_t height,
			   uint32_t factor_x, uint32_t factor_y, uint32_t *to, uint32_t *sums);
/* Sets image up to be sampled for plan's scaling from source (origin_x,
 * origin_y); false when pixman refuses. */
bool tsr_pixman_prepare_scaled(const struct tsr_pixman_plan *plan, pixman_image_t *image,
			       int64_t origin_x, int64_t origin_y);

#endif
