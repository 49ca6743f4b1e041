/* Layout policy: where each domain's frame, content and label go on an
 * output, for the focus and mosaic layouts. Pure functions, no state. */
#ifndef TSR_CORE_LAYOUT_H
#define TSR_CORE_LAYOUT_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/config.h"

enum tsr_layout_mode { TSR_LAYOUT_FOCUS, TSR_LAYOUT_MOSAIC };

struct tsr_layout_params {
	uint32_t output_width, output_height;
	uint32_t border_width;
	uint32_t banner_height; /* also the height of mosaic name strips */
	size_t domain_count;
	int focused; /* domain index, or -1 */
	enum tsr_layout_mode mode;
};

struct tsr_domain_placement {
	bool visible;
	pixman_box32_t frame;	/* border + label strip + content */
	pixman_box32_t content; /* guest pixels go here and nowhere else */
	pixman_box32_t label;	/* the name strip (mosaic) or empty (focus) */
};

struct tsr_layout {
	pixman_box32_t banner;
	struct tsr_domain_placement domains[TSR_MAX_DOMAINS];
	size_t domain_count;
};

/* Computes the layout. Every box lies inside the output; content boxes
 * never overlap each other, the banner, a frame's border or a label. */
void tsr_layout_compute(const struct tsr_layout_params *params, struct tsr_layout *out);

/* The domain whose content box holds (x, y), or -1. */
int tsr_layout_domain_at(const struct tsr_layout *layout, int32_t x, int32_t y);

static inline uint32_t tsr_box_width(const pixman_box32_t *box)
{
	return box->x2 > box->x1 ? (uint32_t)(box->x2 - box->x1) : 0;
}

static inline uint32_t tsr_box_height(const pixman_box32_t *box)
{
	return box->y2 > box->y1 ? (uint32_t)(box->y2 - box->y1) : 0;
}

#endif
