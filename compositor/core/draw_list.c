/* Draw order: background where no opaque guest pixel lands, then per
 * domain its guest content and its frame, then the banner and the cursor.
 * Content boxes never overlap decorations (layout.c, and checked here
 * before anything is drawn), so each damaged pixel is written once, except
 * text drawn over its strip and the cursor over whatever is under it.
 *
 * An agent's surface is drawn 1:1 at its content box's origin, clipped to
 * the part of the content box it covers. The displays of a fixed-size
 * guest are drawn into their views' image boxes (1:1 and centred, or
 * scaled down), each clipped to its image box, which lies in the content
 * box: scaled guest pixels never reach a decoration either. */

#include <string.h>

#include "core/draw_list.h"
#include "tessera/renderer.h"

/* Branch-free (& not &&): the check runs these for every item of every
 * frame. */
static bool box_empty(const pixman_box32_t *box)
{
	return box->x2 <= box->x1 || box->y2 <= box->y1;
}

/* An empty box lies inside anything: it draws nothing. */
static bool box_inside(const pixman_box32_t *inner, const pixman_box32_t *outer)
{
	return box_empty(inner) || (inner->x1 >= outer->x1 && inner->y1 >= outer->y1 &&
				    inner->x2 <= outer->x2 && inner->y2 <= outer->y2);
}

/* Two boxes meet when they share a pixel (then neither is empty). */
static bool boxes_meet(const pixman_box32_t *a, const pixman_box32_t *b)
{
	return a->x1 < b->x2 && b->x1 < a->x2 && a->y1 < b->y2 && b->y1 < a->y2 && !box_empty(a) &&
	       !box_empty(b);
}

static bool touches(const pixman_region32_t *region, const pixman_box32_t *box)
{
	return !box_empty(box) &&
	       pixman_region32_contains_rectangle((pixman_region32_t *)region,
						  (pixman_box32_t *)box) != PIXMAN_REGION_OUT;
}

/* The box of a width x height buffer placed at (x, y), in 64-bit so that
 * a position near INT32_MAX cannot wrap. */
static pixman_box32_t placed_box(int32_t x, int32_t y, uint32_t width, uint32_t height)
{
	int64_t x2 = (int64_t)x + width, y2 = (int64_t)y + height;
	return (pixman_box32_t){x, y, x2 > INT32_MAX ? INT32_MAX : (int32_t)x2,
				y2 > INT32_MAX ? INT32_MAX : (int32_t)y2};
}

bool tsr_draw_scene_touches(const struct tsr_draw_scene *scene, const pixman_box32_t *box)
{
	return !box_empty(box) && (!scene->region || touches(scene->region, box));
}

uint32_t tsr_draw_text_room(const pixman_box32_t *strip, int32_t left_padding)
{
	int64_t room = (int64_t)tsr_box_width(strip) - 2 * (int64_t)left_padding;
	return room > 0 ? (uint32_t)room : 0;
}

/* ---- building ------------------------------------------------------------ */

/* The capacity counts every item the builder can make: never NULL there. */
static struct tsr_draw_item *push(struct tsr_draw_list *list, enum tsr_draw_op op,
				  enum tsr_draw_kind kind, int domain, const pixman_box32_t *clip)
{
	if (list->count >= TSR_DRAW_LIST_CAPACITY || box_empty(clip))
		return NULL;
	struct tsr_draw_item *item = &list->items[list->count++];
	*item = (struct tsr_draw_item){.op = op, .kind = kind, .domain = domain, .clip = *clip};
	return item;
}

static void add_fill(struct tsr_draw_list *list, int domain, const pixman_box32_t *box,
		     uint32_t argb)
{
	struct tsr_draw_item *item = push(list, TSR_DRAW_FILL, TSR_DRAW_TRUSTED, domain, box);
	if (item)
		item->argb = argb;
}

/* Text vertically centred in its strip after left_padding; one that does
 * not fit its room is left out. */
static void add_text(struct tsr_draw_list *list, int domain, struct tsr_buffer *mask,
		     const pixman_box32_t *strip, int32_t left_padding, uint32_t argb)
{
	if (!mask || box_empty(strip) || mask->height > tsr_box_height(strip) ||
	    mask->width > tsr_draw_text_room(strip, left_padding))
		return;
	struct tsr_draw_item *item = push(list, TSR_DRAW_MASK, TSR_DRAW_TRUSTED, domain, strip);
	if (!item)
		return;
	item->buffer = mask;
	item->x = strip->x1 + left_padding;
	item->y = strip->y1 + ((int32_t)tsr_box_height(strip) - (int32_t)mask->height) / 2;
	item->argb = argb;
}

/* The part of the content box a 1:1 buffer at its origin covers. */
static pixman_box32_t covered_box(const pixman_box32_t *content, const struct tsr_buffer *buffer)
{
	pixman_box32_t placed = placed_box(content->x1, content->y1, buffer->width, buffer->height);
	return (pixman_box32_t){content->x1, content->y1,
				placed.x2 < content->x2 ? placed.x2 : content->x2,
				placed.y2 < content->y2 ? placed.y2 : content->y2};
}

/* A 1:1 buffer at the content box's origin that is exactly its size. */
static bool fills_exactly(const pixman_box32_t *content, const struct tsr_buffer *buffer)
{
	return (int64_t)buffer->width == (int64_t)content->x2 - content->x1 &&
	       (int64_t)buffer->height == (int64_t)content->y2 - content->y1 && !box_empty(content);
}

static void add_guest(struct tsr_draw_list *list, int index,
		      const struct tsr_domain_placement *placement,
		      const struct tsr_draw_domain *domain)
{
	const pixman_box32_t *content = &placement->content;
	if (placement->view_count == 0 && domain->surface) {
		pixman_box32_t clip = covered_box(content, domain->surface);
		bool scanout = domain->scanout && fills_exactly(content, domain->surface);
		struct tsr_draw_item *item = push(list, scanout ? TSR_DRAW_SCANOUT : TSR_DRAW_BLIT,
						  TSR_DRAW_GUEST, index, &clip);
		if (item) {
			item->buffer = domain->surface;
			item->x = content->x1;
			item->y = content->y1;
		}
	}
	for (size_t v = 0; v < placement->view_count && v < TSR_MAX_SURFACES_PER_GUEST; v++) {
		const pixman_box32_t *image = &placement->views[v].image;
		if (!domain->displays[v])
			continue;
		struct tsr_draw_item *item =
		    push(list, TSR_DRAW_BLIT_SCALED, TSR_DRAW_GUEST, index, image);
		if (item) {
			item->buffer = domain->displays[v];
			item->image = *image;
		}
	}
}

static void add_frame(struct tsr_draw_list *list, int index,
		      const struct tsr_domain_placement *placement,
		      const struct tsr_draw_domain *domain, int32_t label_padding)
{
	const pixman_box32_t *frame = &placement->frame;
	const pixman_box32_t *content = &placement->content;
	pixman_box32_t sides[4] = {
	    {frame->x1, frame->y1, frame->x2, content->y1},	/* top, with the label */
	    {frame->x1, content->y2, frame->x2, frame->y2},	/* bottom */
	    {frame->x1, content->y1, content->x1, content->y2}, /* left */
	    {content->x2, content->y1, frame->x2, content->y2}, /* right */
	};
	for (size_t i = 0; i < 4; i++)
		add_fill(list, index, &sides[i], domain->frame_argb);
	add_text(list, index, domain->label, &placement->label, label_padding, domain->label_argb);
}

static void add_cursor(struct tsr_draw_list *list, const struct tsr_draw_scene *scene)
{
	if (!scene->cursor)
		return;
	pixman_box32_t box = placed_box(scene->cursor_x, scene->cursor_y, scene->cursor->width,
					scene->cursor->height);
	if (!tsr_draw_scene_touches(scene, &box))
		return;
	struct tsr_draw_item *item = push(list, TSR_DRAW_BLIT, TSR_DRAW_TRUSTED, -1, &box);
	if (item) {
		item->buffer = scene->cursor;
		item->x = scene->cursor_x;
		item->y = scene->cursor_y;
	}
}

void tsr_draw_list_build(struct tsr_draw_list *list, const struct tsr_draw_scene *scene)
{
	const struct tsr_layout *layout = scene->layout;
	list->count = 0;
	/* Locked: Tessera's pixels only, no domain is even looked at. */
	list->domain_count = scene->locked			      ? 0
			     : layout->domain_count < TSR_MAX_DOMAINS ? layout->domain_count
								      : TSR_MAX_DOMAINS;
	/* Invisible placements get empty boxes: they may hold no item. */
	for (size_t i = 0; i < list->domain_count; i++) {
		const struct tsr_domain_placement *placement = &layout->domains[i];
		list->frames[i] = placement->visible ? placement->frame : (pixman_box32_t){0};
		list->contents[i] = placement->visible ? placement->content : (pixman_box32_t){0};
	}
	pixman_box32_t output = placed_box(0, 0, scene->output_width, scene->output_height);
	if (scene->locked) {
		if (!scene->lock_screen) {
			struct tsr_draw_item *item =
			    push(list, TSR_DRAW_BACKGROUND, TSR_DRAW_TRUSTED, -1, &output);
			if (item)
				item->argb = scene->background_argb;
		}
		add_cursor(list, scene);
		return;
	}
	struct tsr_draw_item *background =
	    push(list, TSR_DRAW_BACKGROUND, TSR_DRAW_TRUSTED, -1, &output);
	if (background)
		background->argb = scene->background_argb;
	for (size_t i = 0; i < list->domain_count; i++) {
		const struct tsr_domain_placement *placement = &layout->domains[i];
		if (!placement->visible || !tsr_draw_scene_touches(scene, &placement->frame))
			continue;
		add_guest(list, (int)i, placement, &scene->domains[i]);
		add_frame(list, (int)i, placement, &scene->domains[i], scene->label_padding);
	}
	/* A scanout item draws nothing, so it is listed even when the damage
	 * does not touch its frame: the plane is set on every frame. */
	for (size_t i = 0; i < list->domain_count; i++) {
		const struct tsr_domain_placement *placement = &layout->domains[i];
		if (placement->visible && scene->domains[i].scanout &&
		    !tsr_draw_scene_touches(scene, &placement->frame))
			add_guest(list, (int)i, placement, &scene->domains[i]);
	}
	if (tsr_draw_scene_touches(scene, &layout->banner)) {
		add_fill(list, -1, &layout->banner, scene->banner_argb);
		add_text(list, -1, scene->banner_text, &layout->banner, scene->banner_padding,
			 scene->banner_text_argb);
	}
	add_cursor(list, scene);
}

/* ---- checking ------------------------------------------------------------ */

/* Guest clips inside their content boxes, content boxes inside their
 * frames, frames apart from each other, and no decoration meets a content
 * box: then no guest clip meets a decoration or another domain. Only
 * domains with items in the list can draw, so only they are compared. A
 * decoration inside its own domain's frame need only be compared with that
 * domain's content box (the frames are apart); any other (the banner) with
 * every one. So a domain costs what its own items cost, plus one
 * comparison per pair of domains in the list. */
static bool decoration_apart(const struct tsr_draw_list *list, const struct tsr_draw_item *item,
			     uint64_t present)
{
	int d = item->domain;
	if (d >= 0 && (size_t)d < list->domain_count && box_inside(&item->clip, &list->frames[d]))
		return !boxes_meet(&item->clip, &list->contents[d]);
	for (size_t e = 0; e < list->domain_count; e++)
		if ((present >> e & 1) && boxes_meet(&item->clip, &list->contents[e]))
			return false;
	return true;
}

/* A plane shows its whole buffer 1:1 at its clip: the clip must be the
 * buffer placed at (x, y) and the whole content box, and only one plane
 * per list (the output has one for guests). */
static bool scanout_sound(const struct tsr_draw_list *list, const struct tsr_draw_item *item)
{
	if (!item->buffer)
		return false;
	pixman_box32_t placed =
	    placed_box(item->x, item->y, item->buffer->width, item->buffer->height);
	const pixman_box32_t *content = &list->contents[item->domain];
	size_t planes = 0;
	for (size_t i = 0; i < list->count; i++)
		planes += list->items[i].op == TSR_DRAW_SCANOUT;
	return planes == 1 && !box_empty(&item->clip) &&
	       memcmp(&placed, &item->clip, sizeof(placed)) == 0 &&
	       memcmp(content, &item->clip, sizeof(placed)) == 0;
}

bool tsr_draw_list_check(const struct tsr_draw_list *list)
{
	if (list->count > TSR_DRAW_LIST_CAPACITY || list->domain_count > TSR_MAX_DOMAINS)
		return false;
	uint64_t present = 0; /* bit d: domain d has items */
	for (size_t i = 0; i < list->count; i++) {
		int d = list->items[i].domain;
		if (d >= 0 && (size_t)d < list->domain_count)
			present |= 1ull << d;
	}
	for (size_t d = 0; d < list->domain_count; d++) {
		if (!(present >> d & 1))
			continue;
		if (!box_inside(&list->contents[d], &list->frames[d]))
			return false;
		for (size_t e = d + 1; e < list->domain_count; e++)
			if ((present >> e & 1) && boxes_meet(&list->frames[d], &list->frames[e]))
				return false;
	}
	for (size_t i = 0; i < list->count; i++) {
		const struct tsr_draw_item *item = &list->items[i];
		if (item->kind == TSR_DRAW_GUEST) {
			if ((item->op != TSR_DRAW_BLIT && item->op != TSR_DRAW_BLIT_SCALED &&
			     item->op != TSR_DRAW_SCANOUT) ||
			    item->domain < 0 || (size_t)item->domain >= list->domain_count ||
			    !box_inside(&item->clip, &list->contents[item->domain]) ||
			    (item->op == TSR_DRAW_SCANOUT && !scanout_sound(list, item)))
				return false;
		} else if (tsr_draw_item_is_decoration(item) &&
			   !decoration_apart(list, item, present)) {
			return false;
		}
	}
	return true;
}

/* ---- drawing ------------------------------------------------------------- */

static void draw_background(const struct tsr_draw_list *list, const struct tsr_draw_item *item,
			    struct tsr_renderer *renderer, const pixman_region32_t *damage,
			    bool guests)
{
	/* One subtraction of all covered boxes, not one per domain. */
	pixman_box32_t covered[TSR_DRAW_LIST_CAPACITY];
	int count = 0;
	for (size_t i = 0; guests && i < list->count; i++) {
		const struct tsr_draw_item *guest = &list->items[i];
		/* A scanout item leaves background in Tessera's buffer under
		 * its plane (the plane covers it). */
		if (guest->kind == TSR_DRAW_GUEST && guest->op != TSR_DRAW_SCANOUT &&
		    guest->buffer && tsr_buffer_format_opaque(guest->buffer->format))
			covered[count++] = guest->clip;
	}
	pixman_region32_t background;
	pixman_region32_init_rects(&background, covered, count);
	/* The damage cut to the item's clip (the output): a region op only
	 * when the damage reaches beyond it. */
	pixman_region32_t visible;
	pixman_region32_init(&visible);
	const pixman_region32_t *cut = damage;
	if (!box_inside(pixman_region32_extents((pixman_region32_t *)damage), &item->clip)) {
		cut = &visible;
		if (!pixman_region32_intersect_rect(
			&visible, (pixman_region32_t *)damage, item->clip.x1, item->clip.y1,
			tsr_box_width(&item->clip), tsr_box_height(&item->clip)))
			pixman_region32_clear(&visible);
	}
	/* Out of memory leaves the region broken: no background this frame. */
	if (!pixman_region32_subtract(&background, (pixman_region32_t *)cut, &background))
		pixman_region32_clear(&background);
	int boxes_count;
	const pixman_box32_t *boxes = pixman_region32_rectangles(&background, &boxes_count);
	for (int i = 0; i < boxes_count; i++)
		renderer->impl->fill(renderer, &boxes[i], item->argb);
	pixman_region32_fini(&visible);
	pixman_region32_fini(&background);
}

/* A buffer draw gets clip ∩ damage as its region and nothing more. */
static void draw_buffer(const struct tsr_draw_item *item, struct tsr_renderer *renderer,
			const pixman_region32_t *damage)
{
	if (!item->buffer || !touches(damage, &item->clip))
		return;
	pixman_region32_t clip;
	pixman_region32_init(&clip);
	pixman_region32_intersect_rect(&clip, (pixman_region32_t *)damage, item->clip.x1,
				       item->clip.y1, tsr_box_width(&item->clip),
				       tsr_box_height(&item->clip));
	if (pixman_region32_not_empty(&clip)) {
		if (item->op == TSR_DRAW_BLIT)
			renderer->impl->blit(renderer, item->buffer, item->x, item->y, &clip);
		else
			renderer->impl->blit_scaled(renderer, item->buffer, &item->image, &clip);
	}
	pixman_region32_fini(&clip);
}

static void draw_item(const struct tsr_draw_list *list, const struct tsr_draw_item *item,
		      struct tsr_renderer *renderer, const pixman_region32_t *damage, bool guests)
{
	switch (item->op) {
	case TSR_DRAW_BACKGROUND:
		draw_background(list, item, renderer, damage, guests);
		break;
	case TSR_DRAW_FILL:
		/* The pass clip (the damage) cuts the box. */
		if (touches(damage, &item->clip))
			renderer->impl->fill(renderer, &item->clip, item->argb);
		break;
	case TSR_DRAW_BLIT:
	case TSR_DRAW_BLIT_SCALED:
		draw_buffer(item, renderer, damage);
		break;
	case TSR_DRAW_SCANOUT:
		break; /* on its own plane */
	case TSR_DRAW_MASK: {
		/* The mask call has no clip of its own: a mask that would leave
		 * its clip is not drawn. */
		if (!item->buffer || !touches(damage, &item->clip))
			break;
		pixman_box32_t box =
		    placed_box(item->x, item->y, item->buffer->width, item->buffer->height);
		if (box_inside(&box, &item->clip))
			renderer->impl->mask(renderer, item->buffer, item->x, item->y, item->argb);
		break;
	}
	}
}

const struct tsr_draw_item *tsr_draw_list_scanout(const struct tsr_draw_list *list)
{
	if (!tsr_draw_list_check(list))
		return NULL;
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].op == TSR_DRAW_SCANOUT)
			return &list->items[i];
	return NULL;
}

bool tsr_draw_list_render(const struct tsr_draw_list *list, struct tsr_renderer *renderer,
			  const pixman_region32_t *region)
{
	bool sound = tsr_draw_list_check(list);
	size_t count = list->count <= TSR_DRAW_LIST_CAPACITY ? list->count : 0;
	/* The damage of one frame at a time: a domain's items are drawn
	 * against region ∩ its frame, computed once per domain. */
	pixman_region32_t frame_damage;
	pixman_region32_init(&frame_damage);
	int current = -1;
	bool undamaged = false; /* current's frame: its items cost nothing */
	for (size_t i = 0; i < count; i++) {
		const struct tsr_draw_item *item = &list->items[i];
		if (item->kind == TSR_DRAW_GUEST && !sound)
			continue;
		const pixman_region32_t *damage = region;
		if (item->domain >= 0 && (size_t)item->domain < list->domain_count) {
			if (item->domain != current) {
				const pixman_box32_t *frame = &list->frames[item->domain];
				current = item->domain;
				pixman_region32_intersect_rect(
				    &frame_damage, (pixman_region32_t *)region, frame->x1,
				    frame->y1, tsr_box_width(frame), tsr_box_height(frame));
				undamaged = !pixman_region32_not_empty(&frame_damage);
			}
			if (undamaged)
				continue;
			damage = &frame_damage;
		}
		draw_item(list, item, renderer, damage, sound);
	}
	pixman_region32_fini(&frame_damage);
	return sound;
}
