/* Gathers what an output shows from the server (each domain's current
 * buffers, colours, label masks, the banner, the cursor) into a struct
 * tsr_draw_scene, builds its draw list and renders it: where anything goes
 * and what it is clipped to is core/draw_list.c's, not this file's.
 *
 * Only frames the region touches are gathered (the list leaves the others
 * out), and text masks only for strips it touches: a label is rendered
 * again whenever its room changes, so two outputs of different sizes would
 * otherwise re-render each other's labels on every frame. */

#include "core/decorations.h"
#include "core/domain.h"
#include "core/draw_list.h"
#include "core/lock.h"
#include "core/scene.h"
#include "core/server.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "tessera/renderer.h"

static struct tsr_buffer *current_buffer(struct tsr_surface *surface)
{
	return surface && surface->current ? surface->current->buffer : NULL;
}

/* Full colour marks the domain with the keyboard; every other frame and
 * banner is dimmed. One output in the focus layout shows only the focused
 * domain, so nothing is dimmed there (as before there were several). */
static bool dimmed_on(const struct tsr_server *server, const struct tsr_output_state *state,
		      size_t index)
{
	bool mosaic = tsr_server_output_mode(server, state) == TSR_LAYOUT_MOSAIC;
	return (mosaic || tsr_server_output_count(server) > 1) &&
	       (int)index != tsr_server_focused(server);
}

static void gather_domain(struct tsr_server *server, const struct tsr_output_state *state,
			  size_t index, int scanout_domain, struct tsr_draw_scene *scene)
{
	const struct tsr_domain_placement *placement = &state->layout.domains[index];
	struct tsr_draw_domain *domain = &scene->domains[index];
	struct tsr_domain *guest = tsr_server_domain(server, index);
	/* The scanout item is listed on every frame (the plane is set on
	 * every commit), damaged or not. */
	if ((int)index == scanout_domain && placement->visible && placement->view_count == 0) {
		domain->scanout = true;
		domain->surface = current_buffer(tsr_domain_main_surface(guest));
	}
	if (!placement->visible || !tsr_draw_scene_touches(scene, &placement->frame))
		return;
	if (placement->view_count == 0)
		domain->surface = current_buffer(tsr_domain_main_surface(guest));
	for (size_t v = 0; v < placement->view_count && v < TSR_MAX_SURFACES_PER_GUEST; v++)
		domain->displays[v] =
		    current_buffer(tsr_domain_find_surface(guest, placement->views[v].id));
	uint32_t colour = tsr_colour_argb(tsr_server_config(server)->domains[index].colour,
					  dimmed_on(server, state, index));
	domain->frame_argb = colour;
	domain->label_argb = tsr_text_colour_on(colour & 0xffffffu);
	if (tsr_draw_scene_touches(scene, &placement->label))
		domain->label = tsr_decorations_label(
		    tsr_server_decorations(server), state->scale, index,
		    tsr_draw_text_room(&placement->label, scene->label_padding));
}

/* The banner names what the output shows. With several outputs the one
 * showing the domain with the keyboard says "keyboard focus" after its
 * label, in full colour; the others show their label only, dimmed, and
 * their mosaic banners do not speak of focus. */
static void gather_banner(struct tsr_server *server, const struct tsr_output_state *state,
			  struct tsr_draw_scene *scene)
{
	const pixman_box32_t *banner = &state->layout.banner;
	int shown = tsr_server_output_shown(server, state);
	bool several = tsr_server_output_count(server) > 1;
	bool dimmed = false;
	uint32_t rgb = 0x404040;
	uint32_t scale = state->scale;
	scene->banner_padding = 12 * (int32_t)scale;
	bool text = tsr_draw_scene_touches(scene, banner);
	uint32_t room = tsr_draw_text_room(banner, scene->banner_padding);
	struct tsr_decorations *decorations = tsr_server_decorations(server);
	if (tsr_server_output_mode(server, state) == TSR_LAYOUT_MOSAIC) {
		if (text)
			scene->banner_text =
			    several ? tsr_decorations_mosaic_outputs_text(decorations, scale)
				    : tsr_decorations_mosaic_text(decorations, scale);
	} else if (shown >= 0) {
		rgb = tsr_server_config(server)->domains[shown].colour;
		bool keyboard = shown == tsr_server_focused(server);
		dimmed = several && !keyboard;
		if (text)
			scene->banner_text =
			    several && keyboard
				? tsr_decorations_keyboard_label(decorations, scale, (size_t)shown,
								 room)
				: tsr_decorations_label(decorations, scale, (size_t)shown, room);
	} else if (text) {
		scene->banner_text = tsr_decorations_no_focus_text(decorations, scale);
	}
	scene->banner_argb = tsr_colour_argb(rgb, dimmed);
	scene->banner_text_argb = tsr_text_colour_on(scene->banner_argb & 0xffffffu);
}

static void gather_cursor(struct tsr_server *server, const struct tsr_output_state *state,
			  struct tsr_draw_scene *scene)
{
	int32_t x, y;
	if (!tsr_server_cursor(server, &x, &y) || state->hardware_cursor)
		return;
	scene->cursor = tsr_decorations_cursor(tsr_server_decorations(server), state->scale);
	/* The cursor is in the global layout space; this output starts at
	 * its box's corner. */
	scene->cursor_x = x - state->box.x1;
	scene->cursor_y = y - state->box.y1;
}

void tsr_scene_build(struct tsr_server *server, struct tsr_output_state *state,
		     const pixman_region32_t *region, int scanout_domain,
		     struct tsr_draw_list *list)
{
	const struct tsr_layout *layout = &state->layout;
	const struct tsr_config *config = tsr_server_config(server);
	bool locked = tsr_server_locked(server);
	struct tsr_lock *lock = tsr_server_lock_screen(server);
	struct tsr_draw_scene scene = {
	    .layout = layout,
	    .region = region,
	    .output_width = state->output->width,
	    .output_height = state->output->height,
	    .locked = locked,
	    .lock_screen = locked && lock,
	    .background_argb =
		tsr_colour_argb(locked ? 0x000000 : config->background_colour, false),
	    /* Scaled with the border it sits beside. */
	    .label_padding = ((int32_t)config->border_width + 4) * (int32_t)state->scale,
	};
	if (!locked) {
		for (size_t i = 0; i < layout->domain_count && i < TSR_MAX_DOMAINS; i++)
			gather_domain(server, state, i, scanout_domain, &scene);
		gather_banner(server, state, &scene);
	}
	gather_cursor(server, state, &scene);
	tsr_draw_list_build(list, &scene);
}

void tsr_scene_draw(struct tsr_server *server, struct tsr_output_state *state,
		    const pixman_region32_t *region, int scanout_domain)
{
	struct tsr_lock *lock = tsr_server_lock_screen(server);
	if (tsr_server_locked(server) && lock)
		tsr_lock_draw(lock, state, region);
	/* About 30 KiB, filled only as far as it is used. */
	struct tsr_draw_list list;
	tsr_scene_build(server, state, region, scanout_domain, &list);
	uint64_t suppressed = 0;
	if (tsr_draw_list_render(&list, tsr_server_renderer(server), region) ||
	    !tsr_log_limit_allow(&state->draw_refusal_log, tsr_now_ns(), &suppressed))
		return;
	if (suppressed)
		tsr_log(TSR_LOG_ERROR, "output %s: %llu more frames left guest content out",
			state->output->name, (unsigned long long)suppressed);
	tsr_log(TSR_LOG_ERROR,
		"output %s: the draw list breaks the frame property; guest content left out",
		state->output->name);
}
