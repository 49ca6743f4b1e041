/* The draw list alone (core/draw_list.h): built from layouts of many
 * randomised configurations (1..TSR_MAX_DOMAINS domains, focus and mosaic,
 * output sizes, borders, banners, scales, fixed-size displays, guest
 * buffers smaller and larger than their content boxes, label masks that
 * fit and do not), checked item by item against the frame property, and
 * rendered through a renderer that records every call, so that no guest
 * draw is ever handed a pixel outside its clip, whatever the damage. Then
 * the pixman renderer: a guest buffer larger than its content box leaves
 * no pixel outside it, and lists that break the property are refused. */
#include <drm_fourcc.h>
#include <stdlib.h>

#include "core/draw_list.h"
#include "core/layout.h"
#include "tessera/renderer.h"
#include "test.h"

#define ROUNDS 3000
#define MAX_CALLS (2 * TSR_DRAW_LIST_CAPACITY + 4096)

/* A fixed sequence: failures reproduce. */
static uint64_t random_state = 0x9e3779b97f4a7c15ull;

static uint32_t random_below(uint32_t bound)
{
	random_state = random_state * 6364136223846793005ull + 1442695040888963407ull;
	return bound ? (uint32_t)((random_state >> 33) % bound) : 0;
}

static bool box_empty(const pixman_box32_t *box)
{
	return box->x2 <= box->x1 || box->y2 <= box->y1;
}

static bool box_inside(const pixman_box32_t *inner, const pixman_box32_t *outer)
{
	return inner->x1 >= outer->x1 && inner->y1 >= outer->y1 && inner->x2 <= outer->x2 &&
	       inner->y2 <= outer->y2;
}

static bool boxes_meet(const pixman_box32_t *a, const pixman_box32_t *b)
{
	return !box_empty(a) && !box_empty(b) && a->x1 < b->x2 && b->x1 < a->x2 && a->y1 < b->y2 &&
	       b->y1 < a->y2;
}

/* ---- a renderer that records ---------------------------------------------- */

struct call {
	enum tsr_draw_op op; /* BACKGROUND is not a renderer call: FILL */
	struct tsr_buffer *buffer;
	pixman_box32_t box;	/* fill box, blit_scaled image, mask box */
	pixman_box32_t extents; /* of the region handed to blit and blit_scaled */
	bool region_empty;
};

struct recorder {
	struct tsr_renderer base;
	size_t count;
	bool overflow;
	struct call calls[MAX_CALLS];
};

static struct call *record(struct tsr_renderer *renderer, enum tsr_draw_op op)
{
	struct recorder *recorder = (struct recorder *)renderer;
	if (recorder->count >= MAX_CALLS) {
		recorder->overflow = true;
		return NULL;
	}
	struct call *call = &recorder->calls[recorder->count++];
	*call = (struct call){.op = op};
	return call;
}

static void record_region(struct call *call, const pixman_region32_t *region)
{
	call->region_empty = !region || !pixman_region32_not_empty((pixman_region32_t *)region);
	if (region)
		call->extents = *pixman_region32_extents((pixman_region32_t *)region);
}

static bool recorder_begin(struct tsr_renderer *renderer, struct tsr_buffer *target,
			   const pixman_region32_t *clip)
{
	(void)renderer, (void)target, (void)clip;
	return true;
}

static void recorder_fill(struct tsr_renderer *renderer, const pixman_box32_t *box, uint32_t argb)
{
	(void)argb;
	struct call *call = record(renderer, TSR_DRAW_FILL);
	if (call)
		call->box = *box;
}

static void recorder_blit(struct tsr_renderer *renderer, struct tsr_buffer *src, int32_t x,
			  int32_t y, const pixman_region32_t *region)
{
	struct call *call = record(renderer, TSR_DRAW_BLIT);
	if (!call)
		return;
	call->buffer = src;
	call->box = (pixman_box32_t){x, y, x + (int32_t)src->width, y + (int32_t)src->height};
	record_region(call, region);
}

static void recorder_blit_scaled(struct tsr_renderer *renderer, struct tsr_buffer *src,
				 const pixman_box32_t *image, const pixman_region32_t *region)
{
	struct call *call = record(renderer, TSR_DRAW_BLIT_SCALED);
	if (!call)
		return;
	call->buffer = src;
	call->box = *image;
	record_region(call, region);
}

static void recorder_mask(struct tsr_renderer *renderer, struct tsr_buffer *mask, int32_t x,
			  int32_t y, uint32_t argb)
{
	(void)argb;
	struct call *call = record(renderer, TSR_DRAW_MASK);
	if (!call)
		return;
	call->buffer = mask;
	call->box = (pixman_box32_t){x, y, x + (int32_t)mask->width, y + (int32_t)mask->height};
}

static bool recorder_end(struct tsr_renderer *renderer)
{
	(void)renderer;
	return true;
}

static void recorder_destroy(struct tsr_renderer *renderer)
{
	(void)renderer;
}

static const struct tsr_renderer_impl recorder_impl = {
    .begin = recorder_begin,
    .fill = recorder_fill,
    .blit = recorder_blit,
    .blit_scaled = recorder_blit_scaled,
    .mask = recorder_mask,
    .end = recorder_end,
    .destroy = recorder_destroy,
};

static struct recorder *recorder_create(void)
{
	struct recorder *recorder = calloc(1, sizeof(*recorder));
	if (recorder)
		recorder->base = (struct tsr_renderer){.impl = &recorder_impl, .name = "recorder"};
	return recorder;
}

/* ---- random scenes --------------------------------------------------------- */

/* Buffers without pixels: the list and the recorder read only their sizes
 * and formats. One per guest surface, display, label and the banner. */
struct scene_buffers {
	struct tsr_buffer surfaces[TSR_MAX_DOMAINS];
	struct tsr_buffer displays[TSR_MAX_DOMAINS][TSR_MAX_SURFACES_PER_GUEST];
	struct tsr_buffer labels[TSR_MAX_DOMAINS];
	struct tsr_buffer banner, cursor;
};

struct random_case {
	struct tsr_layout_params params;
	struct tsr_layout_displays fixed[TSR_MAX_DOMAINS];
	struct tsr_layout layout;
	struct scene_buffers buffers;
	struct tsr_draw_scene scene;
};

static uint32_t random_format(void)
{
	static const uint32_t formats[] = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888,
					   DRM_FORMAT_RGB565, DRM_FORMAT_YUYV};
	return formats[random_below(4)];
}

static struct tsr_buffer fake_buffer(uint32_t width, uint32_t height, uint32_t format)
{
	return (struct tsr_buffer){
	    .width = width ? width : 1, .height = height ? height : 1, .format = format};
}

/* A size around room: smaller, equal or (hostile or stale) much larger. */
static uint32_t size_around(uint32_t room)
{
	switch (random_below(4)) {
	case 0:
		return 1 + random_below(room + 1);
	case 1:
		return room;
	case 2:
		return room + 1 + random_below(600);
	default:
		return 1 + random_below(16384);
	}
}

static void random_scene(struct random_case *c)
{
	struct tsr_layout_params *params = &c->params;
	*params = (struct tsr_layout_params){
	    .output_width = 32 + random_below(4000),
	    .output_height = 32 + random_below(2400),
	    .border_width = random_below(65),
	    .banner_height = random_below(129),
	    .scale = 1 + random_below(TSR_OUTPUT_SCALE_MAX),
	    .domain_count = 1 + random_below(TSR_MAX_DOMAINS),
	    .mode = random_below(2) ? TSR_LAYOUT_MOSAIC : TSR_LAYOUT_FOCUS,
	    .fixed = random_below(2) ? c->fixed : NULL,
	};
	params->focused = (int)random_below((uint32_t)params->domain_count + 1) - 1;
	for (size_t i = 0; i < params->domain_count; i++) {
		struct tsr_layout_displays *displays = &c->fixed[i];
		displays->count =
		    random_below(2) ? 1 + random_below(TSR_MAX_SURFACES_PER_GUEST) : 0;
		for (size_t d = 0; d < displays->count; d++)
			displays->displays[d] = (struct tsr_layout_display){
			    .id = (uint32_t)d + 1,
			    .width = 1 + random_below(5000),
			    .height = 1 + random_below(3000),
			};
	}
	tsr_layout_compute(params, &c->layout);

	struct tsr_draw_scene *scene = &c->scene;
	*scene = (struct tsr_draw_scene){
	    .layout = &c->layout,
	    .output_width = params->output_width,
	    .output_height = params->output_height,
	    .background_argb = 0xff101010,
	    .label_padding = ((int32_t)params->border_width + 4) * (int32_t)params->scale,
	    .banner_argb = 0xff404040,
	    .banner_padding = 12 * (int32_t)params->scale,
	    .banner_text_argb = 0xffffffff,
	};
	for (size_t i = 0; i < c->layout.domain_count; i++) {
		const struct tsr_domain_placement *placement = &c->layout.domains[i];
		struct tsr_draw_domain *domain = &scene->domains[i];
		domain->frame_argb = 0xff0000ff;
		domain->label_argb = 0xffffffff;
		if (random_below(8) != 0) {
			c->buffers.surfaces[i] = fake_buffer(
			    size_around(tsr_box_width(&placement->content)),
			    size_around(tsr_box_height(&placement->content)), random_format());
			domain->surface = &c->buffers.surfaces[i];
		}
		for (size_t v = 0; v < placement->view_count; v++) {
			if (random_below(6) == 0)
				continue;
			const struct tsr_display_view *view = &placement->views[v];
			c->buffers.displays[i][v] =
			    fake_buffer(view->width, view->height, random_format());
			domain->displays[v] = &c->buffers.displays[i][v];
		}
		uint32_t room = tsr_draw_text_room(&placement->label, scene->label_padding);
		c->buffers.labels[i] =
		    fake_buffer(size_around(room), size_around(tsr_box_height(&placement->label)),
				DRM_FORMAT_R8);
		domain->label = random_below(5) ? &c->buffers.labels[i] : NULL;
	}
	uint32_t room = tsr_draw_text_room(&c->layout.banner, scene->banner_padding);
	c->buffers.banner = fake_buffer(
	    size_around(room), size_around(tsr_box_height(&c->layout.banner)), DRM_FORMAT_R8);
	scene->banner_text = random_below(4) ? &c->buffers.banner : NULL;
	c->buffers.cursor =
	    fake_buffer(24 * params->scale, 24 * params->scale, DRM_FORMAT_ARGB8888);
	if (random_below(3)) {
		scene->cursor = &c->buffers.cursor;
		scene->cursor_x = (int32_t)random_below(params->output_width + 64) - 32;
		scene->cursor_y = (int32_t)random_below(params->output_height + 64) - 32;
	}
}

/* ---- invariants of a built list -------------------------------------------- */

static void check_items(const struct random_case *c, const struct tsr_draw_list *list)
{
	const struct tsr_layout *layout = &c->layout;
	pixman_box32_t output = {0, 0, (int32_t)c->params.output_width,
				 (int32_t)c->params.output_height};
	CHECK(tsr_draw_list_check(list));
	CHECK(list->count > 0 && list->items[0].op == TSR_DRAW_BACKGROUND);
	size_t guests = 0, expected_guests = 0;
	for (size_t d = 0; d < layout->domain_count; d++) {
		const struct tsr_domain_placement *placement = &layout->domains[d];
		const struct tsr_draw_domain *domain = &c->scene.domains[d];
		if (!placement->visible)
			continue;
		if (placement->view_count == 0 && domain->surface &&
		    !box_empty(&placement->content))
			expected_guests++;
		for (size_t v = 0; v < placement->view_count; v++)
			expected_guests +=
			    domain->displays[v] && !box_empty(&placement->views[v].image);
	}
	for (size_t i = 0; i < list->count; i++) {
		const struct tsr_draw_item *item = &list->items[i];
		CHECK(!box_empty(&item->clip));
		if (item->kind != TSR_DRAW_GUEST) {
			if (tsr_draw_item_is_decoration(item))
				CHECK(box_inside(&item->clip, &output));
			if (item->op == TSR_DRAW_MASK) {
				pixman_box32_t mask = {item->x, item->y,
						       item->x + (int32_t)item->buffer->width,
						       item->y + (int32_t)item->buffer->height};
				CHECK(box_inside(&mask, &item->clip));
			}
			continue;
		}
		guests++;
		CHECK(item->domain >= 0 && (size_t)item->domain < layout->domain_count);
		if (item->domain < 0 || (size_t)item->domain >= layout->domain_count)
			continue;
		const struct tsr_domain_placement *placement = &layout->domains[item->domain];
		CHECK(placement->visible);
		CHECK(box_inside(&item->clip, &placement->content));
		if (item->op == TSR_DRAW_BLIT) {
			pixman_box32_t placed = {item->x, item->y,
						 item->x + (int32_t)item->buffer->width,
						 item->y + (int32_t)item->buffer->height};
			CHECK(item->x == placement->content.x1 && item->y == placement->content.y1);
			CHECK(box_inside(&item->clip, &placed));
		} else {
			CHECK(item->op == TSR_DRAW_BLIT_SCALED);
			CHECK(memcmp(&item->clip, &item->image, sizeof(item->clip)) == 0);
		}
		/* Apart from every decoration, whatever order they came in;
		 * after none of its own frame's decorations. */
		for (size_t j = 0; j < list->count; j++) {
			const struct tsr_draw_item *other = &list->items[j];
			if (!tsr_draw_item_is_decoration(other))
				continue;
			CHECK(!boxes_meet(&item->clip, &other->clip));
			if (boxes_meet(&placement->frame, &other->clip))
				CHECK(j > i);
		}
		for (size_t e = 0; e < layout->domain_count; e++)
			if (e != (size_t)item->domain && layout->domains[e].visible)
				CHECK(!boxes_meet(&item->clip, &layout->domains[e].content));
	}
	CHECK_EQ_INT(guests, expected_guests);
}

/* The item of a guest call, found by its buffer (each item has its own). */
static const struct tsr_draw_item *item_of(const struct tsr_draw_list *list,
					   const struct tsr_buffer *buffer)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].buffer == buffer)
			return &list->items[i];
	return NULL;
}

static void random_damage(const struct random_case *c, pixman_region32_t *damage)
{
	pixman_region32_init(damage);
	uint32_t rects = 1 + random_below(16);
	for (uint32_t r = 0; r < rects; r++) {
		int32_t x = (int32_t)random_below(c->params.output_width);
		int32_t y = (int32_t)random_below(c->params.output_height);
		pixman_region32_union_rect(damage, damage, x, y, 1 + random_below(800),
					   1 + random_below(600));
	}
}

/* Renders list against damage and checks every guest call: its region
 * lies in its item's clip and the damage; with full damage every guest
 * item is drawn once. */
static void check_render(struct recorder *recorder, const struct tsr_draw_list *list,
			 const pixman_region32_t *damage, bool full)
{
	recorder->count = 0;
	CHECK(tsr_draw_list_render(list, &recorder->base, damage));
	CHECK(!recorder->overflow);
	const pixman_box32_t *damage_extents = pixman_region32_extents((pixman_region32_t *)damage);
	size_t guest_calls = 0;
	for (size_t i = 0; i < recorder->count; i++) {
		const struct call *call = &recorder->calls[i];
		if (call->op != TSR_DRAW_BLIT && call->op != TSR_DRAW_BLIT_SCALED)
			continue;
		const struct tsr_draw_item *item = item_of(list, call->buffer);
		CHECK(item != NULL);
		if (!item || item->kind != TSR_DRAW_GUEST)
			continue;
		guest_calls++;
		CHECK(!call->region_empty);
		CHECK(box_inside(&call->extents, &item->clip));
		CHECK(box_inside(&call->extents, damage_extents));
	}
	if (full) {
		size_t guests = 0;
		for (size_t i = 0; i < list->count; i++)
			guests += list->items[i].kind == TSR_DRAW_GUEST;
		CHECK_EQ_INT(guest_calls, guests);
	}
}

static bool same_item(const struct tsr_draw_item *a, const struct tsr_draw_item *b)
{
	return a->op == b->op && a->kind == b->kind && a->domain == b->domain &&
	       memcmp(&a->clip, &b->clip, sizeof(a->clip)) == 0 && a->buffer == b->buffer &&
	       a->x == b->x && a->y == b->y && a->argb == b->argb &&
	       (a->op != TSR_DRAW_BLIT_SCALED ||
		memcmp(&a->image, &b->image, sizeof(a->image)) == 0);
}

/* Built for a damage region, the list holds the items of the full list
 * whose frame (banner, cursor) the damage touches, in the same order, and
 * no other; the background always. */
static void check_damaged_list(const struct random_case *c, const struct tsr_draw_list *all,
			       const struct tsr_draw_list *damaged, const pixman_region32_t *damage)
{
	CHECK(tsr_draw_list_check(damaged));
	size_t next = 0;
	for (size_t i = 0; i < all->count; i++) {
		const struct tsr_draw_item *item = &all->items[i];
		const pixman_box32_t *owner =
		    item->op == TSR_DRAW_BACKGROUND ? NULL
		    : item->domain >= 0		    ? &c->layout.domains[item->domain].frame
		    : item->buffer == c->scene.cursor && item->op == TSR_DRAW_BLIT
			? &item->clip
			: &c->layout.banner;
		bool wanted = !owner || pixman_region32_contains_rectangle(
					    (pixman_region32_t *)damage, (pixman_box32_t *)owner) !=
					    PIXMAN_REGION_OUT;
		if (!wanted)
			continue;
		CHECK(next < damaged->count);
		if (next >= damaged->count)
			return;
		CHECK(same_item(item, &damaged->items[next]));
		next++;
	}
	CHECK_EQ_INT(next, damaged->count);
}

static void test_random_layouts(void)
{
	struct random_case *c = calloc(1, sizeof(*c));
	struct tsr_draw_list *list = malloc(sizeof(*list));
	struct tsr_draw_list *damaged = malloc(sizeof(*damaged));
	struct recorder *recorder = recorder_create();
	CHECK(c && list && damaged && recorder);
	if (!c || !list || !damaged || !recorder)
		goto cleanup;
	size_t with_views = 0, guest_larger = 0;
	for (int round = 0; round < ROUNDS; round++) {
		random_scene(c);
		tsr_draw_list_build(list, &c->scene);
		int before = tsr_test_failures;
		check_items(c, list);

		pixman_region32_t full;
		pixman_region32_init_rect(&full, 0, 0, c->params.output_width,
					  c->params.output_height);
		check_render(recorder, list, &full, true);
		pixman_region32_fini(&full);
		pixman_region32_t damage;
		random_damage(c, &damage);
		c->scene.region = &damage;
		tsr_draw_list_build(damaged, &c->scene);
		c->scene.region = NULL;
		check_damaged_list(c, list, damaged, &damage);
		check_render(recorder, damaged, &damage, false);
		check_render(recorder, list, &damage, false);
		pixman_region32_fini(&damage);
		if (tsr_test_failures != before) {
			fprintf(stderr, "round %d: %ux%u, %zu domains, %s, border %u, scale %u\n",
				round, c->params.output_width, c->params.output_height,
				c->params.domain_count,
				c->params.mode == TSR_LAYOUT_MOSAIC ? "mosaic" : "focus",
				c->params.border_width, c->params.scale);
			break;
		}
		for (size_t d = 0; d < c->layout.domain_count; d++) {
			const struct tsr_domain_placement *placement = &c->layout.domains[d];
			with_views += placement->visible && placement->view_count > 0;
			const struct tsr_buffer *surface = c->scene.domains[d].surface;
			guest_larger += placement->visible && placement->view_count == 0 &&
					surface &&
					surface->width > tsr_box_width(&placement->content);
		}
	}
	/* The rounds did reach the cases they are for. */
	CHECK(with_views > 100);
	CHECK(guest_larger > 100);
cleanup:
	free(recorder);
	free(damaged);
	free(list);
	free(c);
}

/* Locked: no guest item, no decoration, nothing of any domain reaches the
 * renderer; with a lock screen not even the background. */
static void test_locked(void)
{
	struct random_case *c = calloc(1, sizeof(*c));
	struct tsr_draw_list *list = malloc(sizeof(*list));
	struct recorder *recorder = recorder_create();
	CHECK(c && list && recorder);
	if (!c || !list || !recorder)
		goto cleanup;
	for (int round = 0; round < 200; round++) {
		random_scene(c);
		c->scene.locked = true;
		c->scene.lock_screen = round % 2;
		tsr_draw_list_build(list, &c->scene);
		CHECK_EQ_INT(list->domain_count, 0);
		for (size_t i = 0; i < list->count; i++) {
			CHECK(list->items[i].kind == TSR_DRAW_TRUSTED);
			CHECK(!tsr_draw_item_is_decoration(&list->items[i]));
			CHECK(list->items[i].op != TSR_DRAW_BACKGROUND || !c->scene.lock_screen);
		}
		pixman_region32_t full;
		pixman_region32_init_rect(&full, 0, 0, c->params.output_width,
					  c->params.output_height);
		recorder->count = 0;
		CHECK(tsr_draw_list_render(list, &recorder->base, &full));
		for (size_t i = 0; i < recorder->count; i++)
			CHECK(recorder->calls[i].op == TSR_DRAW_FILL ||
			      recorder->calls[i].buffer == c->scene.cursor);
		pixman_region32_fini(&full);
	}
cleanup:
	free(recorder);
	free(list);
	free(c);
}

/* ---- the pixman renderer ---------------------------------------------------- */

#define OUTPUT_W 160
#define OUTPUT_H 120
#define UNTOUCHED 0x00123456u
#define GUEST 0x00ff00ffu

static uint32_t pixel(const struct tsr_buffer *buffer, int32_t x, int32_t y)
{
	const uint32_t *row =
	    (const uint32_t *)((const uint8_t *)buffer->data + (size_t)y * buffer->stride);
	return row[x] & 0xffffffu;
}

static void fill_buffer(struct tsr_buffer *buffer, uint32_t colour)
{
	for (uint32_t y = 0; y < buffer->height; y++)
		for (uint32_t x = 0; x < buffer->width; x++)
			((uint32_t *)((uint8_t *)buffer->data + (size_t)y * buffer->stride))[x] =
			    0xff000000u | colour;
}

/* A mosaic of two domains whose guests' buffers are far larger than their
 * content boxes (XRGB: the renderer's memcpy path; ARGB: pixman's
 * composite), drawn without background or decorations: every pixel
 * outside the content boxes stays as it was. A executor that handed the
 * damage instead of clip ∩ damage to blit fails here. */
static void check_guest_clipped(uint32_t format, bool scaled)
{
	struct tsr_layout_displays fixed[2] = {
	    {.count = 1, .displays = {{.id = 1, .width = 400, .height = 300}}},
	    {.count = 1, .displays = {{.id = 1, .width = 30, .height = 900}}},
	};
	struct tsr_layout_params params = {
	    .output_width = OUTPUT_W,
	    .output_height = OUTPUT_H,
	    .border_width = 3,
	    .banner_height = 12,
	    .scale = 1,
	    .domain_count = 2,
	    .focused = 0,
	    .mode = TSR_LAYOUT_MOSAIC,
	    .fixed = scaled ? fixed : NULL,
	};
	struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	struct tsr_buffer *guests[2] = {
	    tsr_buffer_create_memory(OUTPUT_W * 2, OUTPUT_H * 2, format),
	    tsr_buffer_create_memory(OUTPUT_W * 2, OUTPUT_H * 2, format)};
	struct tsr_buffer *target =
	    tsr_buffer_create_memory(OUTPUT_W, OUTPUT_H, DRM_FORMAT_XRGB8888);
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_draw_list *list = malloc(sizeof(*list));
	CHECK(guests[0] && guests[1] && target && renderer && list);
	if (!guests[0] || !guests[1] || !target || !renderer || !list)
		goto cleanup;
	fill_buffer(guests[0], GUEST);
	fill_buffer(guests[1], GUEST);
	fill_buffer(target, UNTOUCHED);
	struct tsr_draw_scene scene = {
	    .layout = &layout, .output_width = OUTPUT_W, .output_height = OUTPUT_H};
	for (size_t d = 0; d < 2; d++) {
		if (scaled)
			scene.domains[d].displays[0] = guests[d];
		else
			scene.domains[d].surface = guests[d];
	}
	tsr_draw_list_build(list, &scene);
	/* Guest items only. */
	size_t kept = 0;
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].kind == TSR_DRAW_GUEST)
			list->items[kept++] = list->items[i];
	list->count = kept;
	CHECK_EQ_INT(kept, 2);

	pixman_region32_t full;
	pixman_region32_init_rect(&full, 0, 0, OUTPUT_W, OUTPUT_H);
	CHECK(renderer->impl->begin(renderer, target, &full));
	CHECK(tsr_draw_list_render(list, renderer, &full));
	CHECK(renderer->impl->end(renderer));
	pixman_region32_fini(&full);
	size_t outside = 0, inside = 0;
	for (int32_t y = 0; y < OUTPUT_H; y++)
		for (int32_t x = 0; x < OUTPUT_W; x++) {
			pixman_box32_t pixel_box = {x, y, x + 1, y + 1};
			bool in = false;
			for (size_t i = 0; i < list->count; i++)
				in |= box_inside(&pixel_box, &list->items[i].clip);
			if (in)
				inside += pixel(target, x, y) == GUEST;
			else
				outside += pixel(target, x, y) != UNTOUCHED;
		}
	CHECK_EQ_INT(outside, 0);
	size_t clip_area = 0;
	for (size_t i = 0; i < list->count; i++)
		clip_area += (size_t)tsr_box_width(&list->items[i].clip) *
			     tsr_box_height(&list->items[i].clip);
	CHECK_EQ_INT(inside, clip_area);
cleanup:
	free(list);
	tsr_renderer_destroy(renderer);
	tsr_buffer_destroy(target);
	tsr_buffer_destroy(guests[0]);
	tsr_buffer_destroy(guests[1]);
}

static void test_pixman_guest_clipped(void)
{
	check_guest_clipped(DRM_FORMAT_XRGB8888, false);
	check_guest_clipped(DRM_FORMAT_ARGB8888, false);
	check_guest_clipped(DRM_FORMAT_XRGB8888, true);
	check_guest_clipped(DRM_FORMAT_ARGB8888, true);
}

/* ---- refused lists ----------------------------------------------------------- */

/* A list of one focused domain with a guest surface, built and then broken
 * by tamper: the check fails, and rendering it hands no guest buffer to
 * the renderer and paints the background over the content box instead. */
static void check_refused(void (*tamper)(struct tsr_draw_list *list))
{
	struct tsr_layout_params params = {
	    .output_width = 640,
	    .output_height = 400,
	    .border_width = 4,
	    .banner_height = 28,
	    .scale = 1,
	    .domain_count = 3,
	    .focused = 1,
	    .mode = TSR_LAYOUT_MOSAIC,
	};
	struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	struct tsr_buffer surfaces[3] = {fake_buffer(2000, 2000, DRM_FORMAT_XRGB8888),
					 fake_buffer(2000, 2000, DRM_FORMAT_XRGB8888),
					 fake_buffer(2000, 2000, DRM_FORMAT_XRGB8888)};
	struct tsr_buffer label = fake_buffer(20, 10, DRM_FORMAT_R8);
	struct tsr_draw_scene scene = {.layout = &layout,
				       .output_width = 640,
				       .output_height = 400,
				       .label_padding = 8,
				       .banner_padding = 12};
	for (size_t d = 0; d < 3; d++) {
		scene.domains[d].surface = &surfaces[d];
		scene.domains[d].label = &label;
	}
	struct tsr_draw_list *list = malloc(sizeof(*list));
	struct recorder *recorder = recorder_create();
	CHECK(list && recorder);
	if (!list || !recorder)
		goto cleanup;
	tsr_draw_list_build(list, &scene);
	CHECK(tsr_draw_list_check(list));
	tamper(list);
	CHECK(!tsr_draw_list_check(list));
	pixman_region32_t full;
	pixman_region32_init_rect(&full, 0, 0, 640, 400);
	CHECK(!tsr_draw_list_render(list, &recorder->base, &full));
	pixman_region32_fini(&full);
	pixman_region32_t painted;
	pixman_region32_init(&painted);
	for (size_t i = 0; i < recorder->count; i++) {
		const struct call *call = &recorder->calls[i];
		for (size_t d = 0; d < 3; d++)
			CHECK(call->buffer != &surfaces[d]);
		if (call->op == TSR_DRAW_FILL)
			pixman_region32_union_rect(&painted, &painted, call->box.x1, call->box.y1,
						   tsr_box_width(&call->box),
						   tsr_box_height(&call->box));
	}
	for (size_t d = 0; d < 3; d++)
		CHECK(pixman_region32_contains_rectangle(&painted, &layout.domains[d].content) ==
		      PIXMAN_REGION_IN);
	pixman_region32_fini(&painted);
cleanup:
	free(recorder);
	free(list);
}

static struct tsr_draw_item *first_guest(struct tsr_draw_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].kind == TSR_DRAW_GUEST)
			return &list->items[i];
	return &list->items[0];
}

static void clip_over_border(struct tsr_draw_list *list)
{
	first_guest(list)->clip.x1 -= 1; /* onto its left border */
}

static void clip_over_output(struct tsr_draw_list *list)
{
	first_guest(list)->clip = (pixman_box32_t){0, 0, 640, 400};
}

static void domain_out_of_range(struct tsr_draw_list *list)
{
	first_guest(list)->domain = (int)list->domain_count;
}

static void guest_fill(struct tsr_draw_list *list)
{
	first_guest(list)->op = TSR_DRAW_FILL;
}

/* A decoration of another domain's frame laid over this one's content. */
static void decoration_over_content(struct tsr_draw_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (tsr_draw_item_is_decoration(&list->items[i]) && list->items[i].domain == 2) {
			list->items[i].clip = list->contents[0];
			return;
		}
}

static void banner_over_content(struct tsr_draw_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (tsr_draw_item_is_decoration(&list->items[i]) && list->items[i].domain < 0) {
			list->items[i].clip.y2 = list->contents[1].y1 + 1;
			return;
		}
}

static void content_grown(struct tsr_draw_list *list)
{
	/* Content (and the guest clip) over the label strip: the content box
	 * now meets its own frame's top side. */
	list->contents[0].y1 -= 4;
	first_guest(list)->clip.y1 -= 4;
}

static void frames_overlap(struct tsr_draw_list *list)
{
	list->frames[1] = list->frames[0];
	list->contents[1] = list->contents[0];
}

static void test_refused(void)
{
	check_refused(clip_over_border);
	check_refused(clip_over_output);
	check_refused(domain_out_of_range);
	check_refused(guest_fill);
	check_refused(decoration_over_content);
	check_refused(banner_over_content);
	check_refused(content_grown);
	check_refused(frames_overlap);
}

/* A mask moved out of its strip is not drawn (the mask call has no clip). */
static void test_mask_outside_strip(void)
{
	struct tsr_layout_params params = {.output_width = 640,
					   .output_height = 400,
					   .border_width = 4,
					   .banner_height = 28,
					   .scale = 1,
					   .domain_count = 1,
					   .focused = 0,
					   .mode = TSR_LAYOUT_MOSAIC};
	struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	struct tsr_buffer label = fake_buffer(20, 10, DRM_FORMAT_R8);
	struct tsr_draw_scene scene = {
	    .layout = &layout, .output_width = 640, .output_height = 400, .label_padding = 8};
	scene.domains[0].label = &label;
	struct tsr_draw_list *list = malloc(sizeof(*list));
	struct recorder *recorder = recorder_create();
	CHECK(list && recorder);
	if (!list || !recorder)
		goto cleanup;
	tsr_draw_list_build(list, &scene);
	pixman_region32_t full;
	pixman_region32_init_rect(&full, 0, 0, 640, 400);
	size_t masks = 0;
	CHECK(tsr_draw_list_render(list, &recorder->base, &full));
	for (size_t i = 0; i < recorder->count; i++)
		masks += recorder->calls[i].op == TSR_DRAW_MASK;
	CHECK_EQ_INT(masks, 1);
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].op == TSR_DRAW_MASK)
			list->items[i].y = list->items[i].clip.y2 - 5;
	recorder->count = 0;
	masks = 0;
	CHECK(tsr_draw_list_render(list, &recorder->base, &full));
	for (size_t i = 0; i < recorder->count; i++)
		masks += recorder->calls[i].op == TSR_DRAW_MASK;
	CHECK_EQ_INT(masks, 0);
	pixman_region32_fini(&full);
cleanup:
	free(recorder);
	free(list);
}

/* ---- direct scanout ------------------------------------------------------- */

static size_t count_op(const struct tsr_draw_list *list, enum tsr_draw_op op)
{
	size_t count = 0;
	for (size_t i = 0; i < list->count; i++)
		count += list->items[i].op == op;
	return count;
}

static struct tsr_draw_item *scanout_item(struct tsr_draw_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].op == TSR_DRAW_SCANOUT)
			return &list->items[i];
	return NULL;
}

/* A scanout item is the whole buffer on the whole content box, or none: a
 * buffer of another size is drawn as usual, a tampered item (moved over
 * the border, cut, a second one) fails the check like any guest item, and
 * the renderer draws nothing for it but background under it. */
static void test_scanout_item(void)
{
	struct tsr_layout_params params = {.output_width = 640,
					   .output_height = 400,
					   .border_width = 4,
					   .banner_height = 28,
					   .scale = 1,
					   .domain_count = 2,
					   .focused = 0,
					   .mode = TSR_LAYOUT_FOCUS};
	struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	const pixman_box32_t *content = &layout.domains[0].content;
	struct tsr_buffer exact =
	    fake_buffer((uint32_t)tsr_box_width(content), (uint32_t)tsr_box_height(content),
			DRM_FORMAT_XRGB8888);
	struct tsr_buffer smaller = fake_buffer(exact.width - 1, exact.height, DRM_FORMAT_XRGB8888);
	struct tsr_draw_scene scene = {
	    .layout = &layout, .output_width = 640, .output_height = 400, .label_padding = 8};
	scene.domains[0].surface = &exact;
	scene.domains[0].scanout = true;
	struct tsr_draw_list *list = malloc(sizeof(*list));
	struct recorder *recorder = recorder_create();
	CHECK(list && recorder);
	if (!list || !recorder)
		goto cleanup;
	tsr_draw_list_build(list, &scene);
	const struct tsr_draw_item *item = tsr_draw_list_scanout(list);
	CHECK(item != NULL);
	CHECK_EQ_INT(count_op(list, TSR_DRAW_SCANOUT), 1);
	CHECK_EQ_INT(count_op(list, TSR_DRAW_BLIT), 0);
	if (item) {
		CHECK(memcmp(&item->clip, content, sizeof(*content)) == 0);
		CHECK(item->buffer == &exact && item->kind == TSR_DRAW_GUEST);
	}
	/* Drawn: no guest buffer reaches the renderer; the background covers
	 * the content box in Tessera's buffer. */
	pixman_region32_t full;
	pixman_region32_init_rect(&full, 0, 0, 640, 400);
	CHECK(tsr_draw_list_render(list, &recorder->base, &full));
	pixman_region32_t filled;
	pixman_region32_init(&filled);
	for (size_t i = 0; i < recorder->count; i++) {
		CHECK(recorder->calls[i].buffer != &exact);
		if (recorder->calls[i].op == TSR_DRAW_FILL)
			pixman_region32_union_rect(&filled, &filled, recorder->calls[i].box.x1,
						   recorder->calls[i].box.y1,
						   tsr_box_width(&recorder->calls[i].box),
						   tsr_box_height(&recorder->calls[i].box));
	}
	CHECK(pixman_region32_contains_rectangle(&filled, (pixman_box32_t *)content) ==
	      PIXMAN_REGION_IN);
	pixman_region32_fini(&filled);

	/* Damage away from the frame (the banner): the item is still listed. */
	pixman_region32_t banner;
	pixman_region32_init_rect(&banner, layout.banner.x1, layout.banner.y1,
				  tsr_box_width(&layout.banner), tsr_box_height(&layout.banner));
	scene.region = &banner;
	tsr_draw_list_build(list, &scene);
	CHECK(tsr_draw_list_scanout(list) != NULL);
	scene.region = NULL;
	pixman_region32_fini(&banner);

	/* Tampered items fail the check. */
	struct tsr_draw_item *tampered;
	tsr_draw_list_build(list, &scene);
	if ((tampered = scanout_item(list))) {
		tampered->clip.x1--;
		tampered->x--;
		CHECK(!tsr_draw_list_check(list) && !tsr_draw_list_scanout(list));
	}
	tsr_draw_list_build(list, &scene);
	if ((tampered = scanout_item(list))) {
		tampered->clip.x2--;
		CHECK(!tsr_draw_list_check(list) && !tsr_draw_list_scanout(list));
	}
	tsr_draw_list_build(list, &scene);
	if ((tampered = scanout_item(list))) {
		tampered->buffer = &smaller;
		CHECK(!tsr_draw_list_check(list) && !tsr_draw_list_scanout(list));
	}
	tsr_draw_list_build(list, &scene);
	if ((tampered = scanout_item(list)) && list->count < TSR_DRAW_LIST_CAPACITY) {
		list->items[list->count++] = *tampered;
		CHECK(!tsr_draw_list_check(list) && !tsr_draw_list_scanout(list));
	}
	CHECK(!tsr_draw_list_render(list, &recorder->base, &full));

	/* Another size: drawn 1:1 as always, no scanout item. */
	scene.domains[0].surface = &smaller;
	tsr_draw_list_build(list, &scene);
	CHECK(tsr_draw_list_scanout(list) == NULL);
	CHECK_EQ_INT(count_op(list, TSR_DRAW_SCANOUT), 0);
	CHECK_EQ_INT(count_op(list, TSR_DRAW_BLIT), 1);
	pixman_region32_fini(&full);
cleanup:
	free(recorder);
	free(list);
}

TSR_TEST_MAIN(TSR_CASE(test_random_layouts), TSR_CASE(test_locked),
	      TSR_CASE(test_pixman_guest_clipped), TSR_CASE(test_refused),
	      TSR_CASE(test_mask_outside_strip), TSR_CASE(test_scanout_item))
