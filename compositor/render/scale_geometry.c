/* Shared by render_pixman.c and render_gles.c (scale_geometry.h). */
#include <drm_fourcc.h>

#include "render/scale_geometry.h"

/* The smallest block that leaves at most 2:1 for the bilinear step. */
static uint32_t reduction(double scale)
{
	uint32_t factor = (uint32_t)(scale / 2.0);
	while (scale / factor > 2.0 || factor == 0)
		factor++;
	return factor;
}

bool tsr_scale_geometry_for(const struct tsr_buffer *src, const pixman_box32_t *image,
			    struct tsr_scale_geometry *out)
{
	*out = (struct tsr_scale_geometry){.image = *image};
	out->image_width = (int64_t)image->x2 - image->x1;
	out->image_height = (int64_t)image->y2 - image->y1;
	if (out->image_width <= 0 || out->image_height <= 0)
		return false;
	out->scaled = out->image_width != src->width || out->image_height != src->height;
	out->scale_x = (double)src->width / (double)out->image_width;
	out->scale_y = (double)src->height / (double)out->image_height;
	out->reduce_x = out->scale_x > 2.0 ? reduction(out->scale_x) : 1;
	out->reduce_y = out->scale_y > 2.0 ? reduction(out->scale_y) : 1;
	return true;
}

bool tsr_scale_source_rect(const struct tsr_scale_geometry *g, const struct tsr_buffer *src,
			   const pixman_box32_t *box, int64_t *out_x1, int64_t *out_y1,
			   int64_t *out_x2, int64_t *out_y2)
{
	int64_t kx = g->reduce_x, ky = g->reduce_y;
	int64_t x1 = (box->x1 - g->image.x1) * (int64_t)src->width / g->image_width;
	int64_t x2 =
	    ((box->x2 - g->image.x1) * (int64_t)src->width + g->image_width - 1) / g->image_width;
	int64_t y1 = (box->y1 - g->image.y1) * (int64_t)src->height / g->image_height;
	int64_t y2 = ((box->y2 - g->image.y1) * (int64_t)src->height + g->image_height - 1) /
		     g->image_height;
	x1 -= 2 * kx + 1;
	y1 -= 2 * ky + 1;
	x2 += 2 * kx + 1;
	y2 += 2 * ky + 1;
	int64_t grid_x = src->format == DRM_FORMAT_YUYV && kx % 2 ? 2 * kx : kx;
	x1 = x1 < 0 ? 0 : x1 - x1 % grid_x;
	y1 = y1 < 0 ? 0 : y1 - y1 % ky;
	x2 = x2 > src->width ? src->width : x2 + (kx - x2 % kx) % kx;
	y2 = y2 > src->height ? src->height : y2 + (ky - y2 % ky) % ky;
	x2 = x2 > src->width ? src->width : x2;
	y2 = y2 > src->height ? src->height : y2;
	*out_x1 = x1, *out_y1 = y1, *out_x2 = x2, *out_y2 = y2;
	return x1 < x2 && y1 < y2;
}
