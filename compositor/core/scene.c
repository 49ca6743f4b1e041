/* Draw order: background where no opaque guest pixel lands, then guest
 * content clipped to its content box, then decorations. Content boxes never
 * overlap decorations (layout.c), so each damaged pixel is written once,
 * except text drawn over its strip.
 *
 * An agent's surface is drawn 1:1 at its content box's origin. The displays
 * of a fixed-size guest are drawn into their views' image boxes (1:1 and
 * centred, or scaled down), each clipped to its image box, which lies in
 * the content box: scaled guest pixels never reach a decoration either. */

#include "core/decorations.h"
#include "core/domain.h"
#include "core/lock.h"
#include "core/scene.h"
#include "core/server.h"
#include "tessera/renderer.h"

static struct tsr_buffer *visible_buffer(struct tsr_server *server, size_t index,
					 const struct tsr_domain_placement *placement)
{
	if (!placement->visible || placement->view_count > 0)
		return NULL;
	struct tsr_surface *surface = tsr_domain_main_surface(server->domains[index]);
	return surface && surface->current ? surface->current->buffer : NULL;
}

/* The part of the content box a guest buffer covers, in output coordinates;
 * false when it covers nothing. */
static bool covered_box(const struct tsr_domain_placement *placement,
			const struct tsr_buffer *buffer, pixman_box32_t *out)
{
	const pixman_box32_t *content = &placement->content;
	int64_t x2 = (int64_t)content->x1 + buffer->width;
	int64_t y2 = (int64_t)content->y1 + buffer->height;
	*out =
	    (pixman_box32_t){content->x1, content->y1, x2 < content->x2 ? (int32_t)x2 : content->x2,
			     y2 < content->y2 ? (int32_t)y2 : content->y2};
	return out->x2 > out->x1 && out->y2 > out->y1;
}

static bool touches(const pixman_region32_t *region, const pixman_box32_t *box)
{
	return box->x2 > box->x1 && box->y2 > box->y1 &&
	       pixman_region32_contains_rectangle((pixman_region32_t *)region,
						  (pixman_box32_t *)box) != PIXMAN_REGION_OUT;
}

/* The committed buffer of a fixed-size display, or NULL. */
static struct tsr_buffer *display_buffer(struct tsr_server *server, size_t index,
					 const struct tsr_display_view *view)
{
	struct tsr_surface *surface = tsr_domain_find_surface(server->domains[index], view->id);
	return surface && surface->current ? surface->current->buffer : NULL;
}

/* Adds what the opaque guest pixels of placement cover to covered[]. */
static void add_covered(struct tsr_server *server, size_t index,
			const struct tsr_domain_placement *placement, pixman_box32_t *covered,
			int *count)
{
	if (!placement->visible)
		return;
	for (size_t v = 0; v < placement->view_count; v++) {
		const struct tsr_display_view *view = &placement->views[v];
		struct tsr_buffer *buffer = display_buffer(server, index, view);
		if (buffer && tsr_buffer_format_opaque(buffer->format) &&
		    view->image.x2 > view->image.x1 && view->image.y2 > view->image.y1)
			covered[(*count)++] = view->image;
	}
	struct tsr_buffer *buffer = visible_buffer(server, index, placement);
	if (buffer && tsr_buffer_format_opaque(buffer->format) &&
	    covered_box(placement, buffer, &covered[*count]))
		(*count)++;
}

static void draw_displays(struct tsr_server *server, size_t index,
			  const struct tsr_domain_placement *placement,
			  const pixman_region32_t *damage)
{
	struct tsr_renderer *renderer = server->renderer;
	for (size_t v = 0; v < placement->view_count; v++) {
		const struct tsr_display_view *view = &placement->views[v];
		struct tsr_buffer *buffer = display_buffer(server, index, view);
		if (buffer && touches(damage, &view->image))
			renderer->impl->blit_scaled(renderer, buffer, &view->image, damage);
	}
}

static void fill_region(struct tsr_renderer *renderer, const pixman_region32_t *region,
			uint32_t argb)
{
	int count;
	const pixman_box32_t *boxes = pixman_region32_rectangles(region, &count);
	for (int i = 0; i < count; i++)
		renderer->impl->fill(renderer, &boxes[i], argb);
}

/* Text never leaves its strip: masks are rendered no wider than the room
 * left of the padding, and taller ones are not drawn. */
static uint32_t text_room(const pixman_box32_t *strip, int32_t left_padding)
{
	int32_t room = (int32_t)tsr_box_width(strip) - 2 * left_padding;
	return room > 0 ? (uint32_t)room : 0;
}

static void draw_text(struct tsr_renderer *renderer, struct tsr_buffer *mask,
		      const pixman_box32_t *strip, int32_t left_padding, uint32_t argb)
{
	if (!mask || mask->height > tsr_box_height(strip) ||
	    mask->width > text_room(strip, left_padding))
		return;
	int32_t y = strip->y1 + ((int32_t)tsr_box_height(strip) - (int32_t)mask->height) / 2;
	renderer->impl->mask(renderer, mask, strip->x1 + left_padding, y, argb);
}

/* Draws only the parts of the frame that damage (the region to draw, cut
 * to this frame) touches: an undamaged border costs nothing. */
/* Full colour marks the domain with the keyboard; every other frame and
 * banner is dimmed. One output in the focus layout shows only the focused
 * domain, so nothing is dimmed there (as before there were several). */
static bool dimmed_on(const struct tsr_server *server, const struct tsr_output_state *state,
		      size_t index)
{
	bool mosaic =
	    server->views.mode[tsr_server_output_index(server, state)] == TSR_LAYOUT_MOSAIC;
	return (mosaic || server->output_count > 1) && (int)index != tsr_server_focused(server);
}

static void draw_frame(struct tsr_server *server, const struct tsr_output_state *state,
		       const struct tsr_domain_placement *placement, size_t index,
		       const pixman_region32_t *damage)
{
	struct tsr_renderer *renderer = server->renderer;
	const struct tsr_domain_config *config = &server->config->domains[index];
	bool dimmed = dimmed_on(server, state, index);
	uint32_t colour = tsr_colour_argb(config->colour, dimmed);
	const pixman_box32_t *frame = &placement->frame;
	const pixman_box32_t *content = &placement->content;
	pixman_box32_t sides[4] = {
	    {frame->x1, frame->y1, frame->x2, content->y1},	/* top, with the label */
	    {frame->x1, content->y2, frame->x2, frame->y2},	/* bottom */
	    {frame->x1, content->y1, content->x1, content->y2}, /* left */
	    {content->x2, content->y1, frame->x2, content->y2}, /* right */
	};
	for (size_t i = 0; i < 4; i++)
		if (touches(damage, &sides[i]))
			renderer->impl->fill(renderer, &sides[i], colour);
	/* Scaled with the border it sits beside. */
	int32_t padding = ((int32_t)server->config->border_width + 4) * (int32_t)state->scale;
	if (touches(damage, &placement->label))
		draw_text(renderer,
			  tsr_decorations_label(server->decorations, state->scale, index,
						text_room(&placement->label, padding)),
			  &placement->label, padding, tsr_text_colour_on(colour & 0xffffffu));
}

/* The banner names what the output shows. With several outputs the one
 * showing the domain with the keyboard says "keyboard focus" after its
 * label, in full colour; the others show their label only, dimmed, and
 * their mosaic banners do not speak of focus. */
static void draw_banner(struct tsr_server *server, const struct tsr_output_state *state)
{
	struct tsr_renderer *renderer = server->renderer;
	const pixman_box32_t *banner = &state->layout.banner;
	if (tsr_box_height(banner) == 0)
		return;
	size_t index = tsr_server_output_index(server, state);
	int shown = server->views.shown[index];
	bool several = server->output_count > 1;
	bool dimmed = false;
	uint32_t rgb = 0x404040;
	uint32_t scale = state->scale;
	int32_t padding = 12 * (int32_t)scale;
	struct tsr_buffer *text = tsr_decorations_no_focus_text(server->decorations, scale);
	if (server->views.mode[index] == TSR_LAYOUT_MOSAIC) {
		text = several ? tsr_decorations_mosaic_outputs_text(server->decorations, scale)
			       : tsr_decorations_mosaic_text(server->decorations, scale);
	} else if (shown >= 0) {
		rgb = server->config->domains[shown].colour;
		bool keyboard = shown == tsr_server_focused(server);
		dimmed = several && !keyboard;
		text =
		    several && keyboard
			? tsr_decorations_keyboard_label(server->decorations, scale, (size_t)shown,
							 text_room(banner, padding))
			: tsr_decorations_label(server->decorations, scale, (size_t)shown,
						text_room(banner, padding));
	}
	uint32_t argb = tsr_colour_argb(rgb, dimmed);
	renderer->impl->fill(renderer, banner, argb);
	draw_text(renderer, text, banner, padding, tsr_text_colour_on(argb & 0xffffffu));
}

static void draw_cursor(struct tsr_server *server, struct tsr_output_state *state,
			const pixman_region32_t *region);

void tsr_scene_draw(struct tsr_server *server, struct tsr_output_state *state,
		    const pixman_region32_t *region)
{
	struct tsr_renderer *renderer = server->renderer;
	const struct tsr_layout *layout = &state->layout;

	if (server->locked) {
		/* Tessera's pixels only: no domain is even looked at. */
		if (server->lock)
			tsr_lock_draw(server->lock, state, region);
		else
			fill_region(renderer, region, tsr_colour_argb(0x000000, false));
		draw_cursor(server, state, region);
		return;
	}
	/* Background where no opaque guest buffer lands: one subtraction of
	 * all covered boxes, not one per domain. */
	pixman_box32_t covered[TSR_MAX_DOMAINS * (TSR_MAX_SURFACES_PER_GUEST + 1)];
	int covered_count = 0;
	for (size_t i = 0; i < layout->domain_count; i++)
		add_covered(server, i, &layout->domains[i], covered, &covered_count);
	pixman_region32_t background;
	pixman_region32_init_rects(&background, covered, covered_count);
	pixman_region32_subtract(&background, (pixman_region32_t *)region, &background);
	fill_region(renderer, &background,
		    tsr_colour_argb(server->config->background_colour, false));
	pixman_region32_fini(&background);

	for (size_t i = 0; i < layout->domain_count; i++) {
		const struct tsr_domain_placement *placement = &layout->domains[i];
		if (!placement->visible)
			continue;
		/* Everything below works on the damage of this frame alone, so
		 * a domain costs in proportion to its own damage. */
		const pixman_box32_t *frame = &placement->frame;
		pixman_region32_t damage;
		pixman_region32_init_rect(&damage, frame->x1, frame->y1, tsr_box_width(frame),
					  tsr_box_height(frame));
		pixman_region32_intersect(&damage, &damage, (pixman_region32_t *)region);
		if (!pixman_region32_not_empty(&damage)) {
			pixman_region32_fini(&damage);
			continue;
		}
		struct tsr_buffer *buffer = visible_buffer(server, i, placement);
		pixman_box32_t box;
		if (buffer && covered_box(placement, buffer, &box)) {
			pixman_region32_t clip;
			pixman_region32_init_rect(&clip, box.x1, box.y1, tsr_box_width(&box),
						  tsr_box_height(&box));
			pixman_region32_intersect(&clip, &clip, &damage);
			if (pixman_region32_not_empty(&clip))
				renderer->impl->blit(renderer, buffer, placement->content.x1,
						     placement->content.y1, &clip);
			pixman_region32_fini(&clip);
		}
		draw_displays(server, i, placement, &damage);
		draw_frame(server, state, placement, i, &damage);
		pixman_region32_fini(&damage);
	}
	if (touches(region, &layout->banner))
		draw_banner(server, state);
	draw_cursor(server, state, region);
}

static void draw_cursor(struct tsr_server *server, struct tsr_output_state *state,
			const pixman_region32_t *region)
{
	struct tsr_renderer *renderer = server->renderer;
	struct tsr_buffer *cursor = tsr_decorations_cursor(server->decorations, state->scale);
	/* The cursor is in the global layout space; this output starts at
	 * its box's corner. */
	int32_t x = server->cursor_x - state->box.x1, y = server->cursor_y - state->box.y1;
	pixman_box32_t cursor_box = {x, y, x + (int32_t)(cursor ? cursor->width : 0),
				     y + (int32_t)(cursor ? cursor->height : 0)};
	if (server->cursor_visible && cursor && !state->hardware_cursor &&
	    touches(region, &cursor_box))
		renderer->impl->blit(renderer, cursor, x, y, region);
}
