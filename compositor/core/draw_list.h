/* What one output shows, as plain data: the items drawn, in draw order,
 * each with the box it is clipped to. core/scene.c gathers the inputs (the
 * layout, each domain's current buffers, colours, text masks, the cursor)
 * into a struct tsr_draw_scene; tsr_draw_list_build turns them into the
 * list and tsr_draw_list_render hands the list to the renderer, limited to
 * the damage. Nothing here reads server state: the list can be built and
 * checked alone (tests/unit/test_draw_list.c).
 *
 * Frame property: no guest pixel is drawn outside its domain's content
 * box, and none over a decoration (border, name strip, banner) or another
 * domain. The argument needs two files and nothing else:
 *   - core/draw_list.c: the builder clips each guest item to the part of
 *     its content box its buffer covers (1:1) or to its image box
 *     (scaled), and the executor draws a list only after
 *     tsr_draw_list_check has found every guest clip inside its domain's
 *     content box, content boxes inside their frames, the frames of the
 *     list's domains apart and no decoration over a content box (a list
 *     that fails is drawn without any guest item, so a layout bug shows as
 *     background, never as a guest over a border). Each guest draw is
 *     handed its clip ∩ the damage as its region, never more;
 *   - render/render_pixman.c: blit and blit_scaled write no pixel outside
 *     the region they are given (the renderer.h contract).
 * core/layout.c decides where the boxes go (content boxes inside their
 * frames, frames apart, display views' image boxes inside the content
 * box: layout.h), so that the check passes; the property does not rest on
 * it, because the check refuses whatever layout.c gets wrong.
 * Direct scanout adds one item and one file. A scanout item
 * (TSR_DRAW_SCANOUT) is a guest item like a blit: the same check holds it
 * inside its content box, and it must moreover be the whole buffer at its
 * content box's origin and fill the content box exactly (one per list).
 * The renderer draws nothing for it; core/scanout.c hands its clip and
 * buffer, and nothing else, to the backend, and backend/kms_scanout.c
 * (kms_scanout_present, kms_scanout_add_state) puts that buffer whole,
 * unscaled, on the overlay plane at exactly that clip, under Tessera's
 * cursor plane, or refuses. So the guest's pixels cover its content box
 * and nothing else; the decorations, outside every content box, stay in
 * Tessera's buffer on the primary plane, under no guest pixel.
 * Decorations are also drawn after the guest items of their frame, so even
 * an overlap would end under Tessera's pixels, but the property does not
 * rest on the order. */
#ifndef TSR_CORE_DRAW_LIST_H
#define TSR_CORE_DRAW_LIST_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/layout.h"
#include "tessera/buffer.h"
#include "tessera/config.h"
#include "tessera/protocol.h"

struct tsr_renderer;

enum tsr_draw_op {
	/* argb over the damage not covered by an opaque guest item. */
	TSR_DRAW_BACKGROUND,
	TSR_DRAW_FILL,	      /* argb over clip */
	TSR_DRAW_BLIT,	      /* buffer 1:1 with its top-left at (x, y) */
	TSR_DRAW_BLIT_SCALED, /* buffer scaled into image */
	TSR_DRAW_MASK,	      /* argb through the R8 mask buffer at (x, y) */
	/* buffer 1:1 with its top-left at (x, y) on a display plane of its
	 * own (direct scanout): the renderer draws nothing for it, the output
	 * shows the buffer at exactly clip, which is the whole buffer and the
	 * whole content box (core/scanout.c, tsr_draw_list_scanout). */
	TSR_DRAW_SCANOUT,
};

/* Whose pixels an item draws: a guest's buffer, or Tessera's own. */
enum tsr_draw_kind { TSR_DRAW_TRUSTED, TSR_DRAW_GUEST };

struct tsr_draw_item {
	enum tsr_draw_op op;
	enum tsr_draw_kind kind;
	/* The layout index of the frame the item belongs to, or -1
	 * (background, banner, cursor). */
	int domain;
	pixman_box32_t clip; /* no pixel of the item is drawn outside it */
	struct tsr_buffer *buffer;
	int32_t x, y;
	pixman_box32_t image; /* TSR_DRAW_BLIT_SCALED: equal to clip */
	uint32_t argb;	      /* premultiplied */
};

/* Trusted fills and masks (borders, name strips, the banner) are the
 * decorations no guest item may touch; the background lies under guests
 * and the cursor over them. */
static inline bool tsr_draw_item_is_decoration(const struct tsr_draw_item *item)
{
	return item->kind == TSR_DRAW_TRUSTED &&
	       (item->op == TSR_DRAW_FILL || item->op == TSR_DRAW_MASK);
}

/* Background, per domain its guest items (one 1:1 surface or one per
 * display), four frame sides and a label, the banner and its text, the
 * cursor. */
#define TSR_DRAW_LIST_CAPACITY (4u + TSR_MAX_DOMAINS * (TSR_MAX_SURFACES_PER_GUEST + 5u))

/* Immutable once built: the executor takes it const. */
struct tsr_draw_list {
	size_t count;
	struct tsr_draw_item items[TSR_DRAW_LIST_CAPACITY];
	/* Of the layout the list was built from, per domain index. */
	size_t domain_count;
	pixman_box32_t frames[TSR_MAX_DOMAINS];
	pixman_box32_t contents[TSR_MAX_DOMAINS];
};

/* What one domain shows and how its frame looks. */
struct tsr_draw_domain {
	/* An agent's surface (placements without views), drawn 1:1 at the
	 * content box's origin; or NULL. */
	struct tsr_buffer *surface;
	/* Per view of the placement, its display's buffer or NULL. */
	struct tsr_buffer *displays[TSR_MAX_SURFACES_PER_GUEST];
	uint32_t frame_argb;
	struct tsr_buffer *label; /* R8 mask for the name strip, or NULL */
	uint32_t label_argb;
	/* The surface is to go on a plane of its own (TSR_DRAW_SCANOUT)
	 * rather than be drawn, if it is exactly the size of the content
	 * box; otherwise it is drawn as usual. */
	bool scanout;
};

struct tsr_draw_scene {
	const struct tsr_layout *layout;
	/* The damage the list is built for (output coordinates): a frame,
	 * the banner or the cursor it does not touch gets no items, so a
	 * domain costs nothing while its frame is undamaged. NULL: all. */
	const pixman_region32_t *region;
	uint32_t output_width, output_height;
	/* Locked: nothing of any domain, not even its frame. lock_screen: the
	 * lock screen is drawn before the list, so the list has no background
	 * either (only the cursor). */
	bool locked, lock_screen;
	uint32_t background_argb;
	struct tsr_draw_domain domains[TSR_MAX_DOMAINS]; /* layout->domain_count */
	int32_t label_padding;				 /* left of the text in a name strip */
	uint32_t banner_argb;
	struct tsr_buffer *banner_text; /* R8 mask or NULL */
	uint32_t banner_text_argb;
	int32_t banner_padding;
	struct tsr_buffer *cursor; /* NULL: no cursor drawn */
	int32_t cursor_x, cursor_y;
};

/* Whether box is non-empty and scene's region touches it. */
bool tsr_draw_scene_touches(const struct tsr_draw_scene *scene, const pixman_box32_t *box);

/* Text never leaves its strip: the width a mask may have in strip with
 * left_padding on both sides (a wider or taller mask is not drawn). */
uint32_t tsr_draw_text_room(const pixman_box32_t *strip, int32_t left_padding);

/* Builds the list of scene into list (which needs no initialisation). */
void tsr_draw_list_build(struct tsr_draw_list *list, const struct tsr_draw_scene *scene);

/* Whether list keeps the frame property (see the top of this file). */
bool tsr_draw_list_check(const struct tsr_draw_list *list);

/* The list's scanout item when it has one and keeps the frame property,
 * else NULL: the caller then draws the guest (a list built without
 * scanout). The item's clip is where the plane goes. */
const struct tsr_draw_item *tsr_draw_list_scanout(const struct tsr_draw_list *list);

/* Draws list into the renderer's current pass, only where region (output
 * coordinates: the region the list was built for, or part of it) is:
 * every item is cut to its clip ∩ region, and a domain's items cost in
 * proportion to the damage of its frame. A list that fails
 * tsr_draw_list_check is drawn without its guest items (background where
 * they would be) and false is returned. */
bool tsr_draw_list_render(const struct tsr_draw_list *list, struct tsr_renderer *renderer,
			  const pixman_region32_t *region);

#endif
