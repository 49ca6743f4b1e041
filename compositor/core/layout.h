/* Layout policy: where each domain's frame, content and label go on an
 * output, for the focus and mosaic layouts. Pure functions, no state. */
#ifndef TSR_CORE_LAYOUT_H
#define TSR_CORE_LAYOUT_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/config.h"
#include "tessera/protocol.h"

enum tsr_layout_mode { TSR_LAYOUT_FOCUS, TSR_LAYOUT_MOSAIC };

/* A display whose size Tessera does not choose: a surface of a fixed-size
 * link (core/guest_link.h), e.g. one connector of a PV display. */
struct tsr_layout_display {
	uint32_t id; /* the surface's id, carried through to its view */
	uint32_t width, height;
};

/* The displays of one domain, in the order they are shown (left to right). */
struct tsr_layout_displays {
	size_t count;
	struct tsr_layout_display displays[TSR_MAX_SURFACES_PER_GUEST];
};

struct tsr_layout_params {
	uint32_t output_width, output_height;
	/* At 1x: the layout uses scale times these (and the mosaic's gap). */
	uint32_t border_width;
	uint32_t banner_height; /* also the height of mosaic name strips */
	/* The output's decoration scale (core/output_scale.h); 0 counts as 1.
	 * Device pixels everywhere: guest content is never scaled by it. */
	uint32_t scale;
	size_t domain_count;
	int focused; /* domain index, or -1 */
	enum tsr_layout_mode mode;
	/* Per domain (domain_count entries) or NULL: the displays of
	 * fixed-size domains; count 0 for a domain whose guest Tessera
	 * configures to its content size (agents). */
	const struct tsr_layout_displays *fixed;
};

/* Where one fixed-size display goes. The content box is split side by
 * side into one slot per display, each as wide as its share of the
 * displays' summed widths (so displays of one height are shown at one
 * scale, like monitors next to each other). A display that fits its slot
 * is shown 1:1, centred; one that does not is scaled down to the largest
 * size that fits with its aspect kept (within a pixel), centred. The rest
 * of the slot is background. Frame property: image lies inside slot,
 * slot inside the content box, and the renderer clips every guest pixel
 * to image, so scaled guest pixels never reach a decoration. */
struct tsr_display_view {
	uint32_t id;
	uint32_t width, height; /* the display's own size */
	pixman_box32_t slot;	/* the pointer anywhere in here goes to this display */
	pixman_box32_t image;	/* the whole display, scaled to this box when scaled */
	bool scaled;
};

struct tsr_domain_placement {
	bool visible;
	pixman_box32_t frame;	/* border + label strip + content */
	pixman_box32_t content; /* guest pixels go here and nowhere else */
	pixman_box32_t label;	/* the name strip (mosaic) or empty (focus) */
	/* Fixed-size domains only: their displays (0 for agents, whose one
	 * surface is drawn 1:1 at the content box's origin, clipped to it). */
	size_t view_count;
	struct tsr_display_view views[TSR_MAX_SURFACES_PER_GUEST];
};

struct tsr_layout {
	pixman_box32_t banner;
	struct tsr_domain_placement domains[TSR_MAX_DOMAINS];
	size_t domain_count;
};

/* Computes the layout. Every box lies inside the output; content boxes
 * never overlap each other, the banner, a frame's border or a label. */
void tsr_layout_compute(const struct tsr_layout_params *params, struct tsr_layout *out);

/* Whether two layouts place everything in the same place (member by
 * member: the structs have padding). */
bool tsr_layout_equal(const struct tsr_layout *a, const struct tsr_layout *b);

/* The domain whose content box holds (x, y), or -1. */
int tsr_layout_domain_at(const struct tsr_layout *layout, int32_t x, int32_t y);

/* Lays count displays out in content (see struct tsr_display_view). */
void tsr_layout_place_displays(const pixman_box32_t *content,
			       const struct tsr_layout_displays *displays,
			       struct tsr_display_view *views);

/* Output pixels a change of surface_box (display coordinates) can alter:
 * the scaled box (outward rounded), grown by TSR_SCALE_FOOTPRINT output
 * pixels each side when scaled, clipped to the view's image; empty when
 * nothing is shown. The area-averaging filter reads about one output
 * pixel's worth of source around each output pixel's centre, which the
 * outward rounding covers; the extra pixels absorb the filter's
 * fixed-point and subsample rounding (conservative, never stale). */
#define TSR_SCALE_FOOTPRINT 2
pixman_box32_t tsr_display_view_damage(const struct tsr_display_view *view,
				       const pixman_box32_t *surface_box);

/* The display under output point (x, y) of a placement with views: the
 * view whose slot holds x (clamped to the content box), or NULL when the
 * placement has none. */
const struct tsr_display_view *tsr_layout_display_at(const struct tsr_domain_placement *placement,
						     int32_t x, int32_t y);

/* The display pixel under output point (x, y): the inverse of the view's
 * scaling (the image's first and last pixels map to the display's first
 * and last; 1:1 it is a translation), clamped to the display, so a point
 * on the background around the image goes to the nearest edge pixel. */
void tsr_display_view_to_display(const struct tsr_display_view *view, int32_t x, int32_t y,
				 int32_t *display_x, int32_t *display_y);

static inline uint32_t tsr_box_width(const pixman_box32_t *box)
{
	return box->x2 > box->x1 ? (uint32_t)(box->x2 - box->x1) : 0;
}

static inline uint32_t tsr_box_height(const pixman_box32_t *box)
{
	return box->y2 > box->y1 ? (uint32_t)(box->y2 - box->y1) : 0;
}

#endif
