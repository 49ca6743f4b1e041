/* The geometry both renderers use to draw a buffer scaled into an image
 * box, so that they sample the same source pixels: block averages of
 * reduce_x x reduce_y beyond 2:1, then bilinear (renderer.h blit_scaled). */
#ifndef TSR_RENDER_SCALE_GEOMETRY_H
#define TSR_RENDER_SCALE_GEOMETRY_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>

#include "tessera/buffer.h"

struct tsr_scale_geometry {
	pixman_box32_t image;
	int64_t image_width, image_height;
	bool scaled; /* the sizes differ */
	double scale_x, scale_y;
	uint32_t reduce_x, reduce_y;
};

/* false when image is empty. src's size is non-zero (checked by callers). */
bool tsr_scale_geometry_for(const struct tsr_buffer *src, const pixman_box32_t *image,
			    struct tsr_scale_geometry *out);

/* The source rectangle [x1, x2) x [y1, y2) that the part of the image in box
 * samples: the box's pixel centres plus the bilinear neighbours (one reduced
 * pixel) and rounding, on the reduction grid (whole YUYV pairs), inside the
 * source. false when it is empty. */
bool tsr_scale_source_rect(const struct tsr_scale_geometry *geometry, const struct tsr_buffer *src,
			   const pixman_box32_t *box, int64_t *x1, int64_t *y1, int64_t *x2,
			   int64_t *y2);

#endif
