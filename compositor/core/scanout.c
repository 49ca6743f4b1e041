/* See scanout.h. The policy is scanout_policy.c's, the plane's place the
 * draw list's; this file gathers the facts, keeps the holds and logs. */
#include <stdio.h>
#include <string.h>

#include "core/domain.h"
#include "core/draw_list.h"
#include "core/scanout.h"
#include "core/scanout_policy.h"
#include "core/scene.h"
#include "core/server.h"
#include "tessera/log.h"

void tsr_scanout_init(struct tsr_scanout_state *scanout)
{
	memset(scanout, 0, sizeof(*scanout));
	scanout->domain = -1;
}

static struct tsr_buffer *main_buffer(struct tsr_domain *domain)
{
	struct tsr_surface *surface = domain ? tsr_domain_main_surface(domain) : NULL;
	return surface && surface->current ? surface->current->buffer : NULL;
}

void tsr_scanout_plan(struct tsr_server *server, struct tsr_output_state *state, bool forbidden,
		      struct tsr_scanout_plan *plan)
{
	int shown = tsr_server_output_shown(server, state);
	int32_t x, y;
	struct tsr_scanout_facts facts = {
	    .backend_can = state->output->impl->present_scanout != NULL,
	    .forbidden = forbidden,
	    .locked = tsr_server_locked(server),
	    .software_cursor = !state->hardware_cursor && tsr_server_cursor(server, &x, &y),
	    .mode = tsr_server_output_mode(server, state),
	    .shown = shown,
	};
	if (shown >= 0 && (size_t)shown < state->layout.domain_count) {
		const struct tsr_domain_placement *placement = &state->layout.domains[shown];
		facts.visible = placement->visible;
		facts.view_count = placement->view_count;
		facts.content = placement->content;
		facts.buffer = main_buffer(tsr_server_domain(server, (size_t)shown));
	}
	*plan = (struct tsr_scanout_plan){.domain = -1};
	int domain = tsr_scanout_choose(&facts, &plan->why);
	if (domain >= 0 && facts.buffer == state->scanout.refused) {
		plan->why = state->scanout.refusal;
		return;
	}
	if (domain < 0)
		return;
	/* Where the plane goes is the draw list's: its scanout item, checked
	 * with the frame property, or no scanout at all. */
	struct tsr_draw_list list;
	tsr_scene_build(server, state, NULL, domain, &list);
	const struct tsr_draw_item *item = tsr_draw_list_scanout(&list);
	if (!item || item->domain != domain) {
		plan->why = "the draw list has no scanout item";
		return;
	}
	plan->domain = domain;
	plan->buffer = item->buffer;
	plan->box = item->clip;
	plan->why = "";
}

bool tsr_scanout_mode_changes(const struct tsr_output_state *state,
			      const struct tsr_scanout_plan *plan)
{
	const struct tsr_scanout_state *scanout = &state->scanout;
	return plan->domain != scanout->domain ||
	       (plan->domain >= 0 && memcmp(&plan->box, &scanout->box, sizeof(plan->box)) != 0);
}

static const char *domain_name(const struct tsr_output_state *state, int domain)
{
	return tsr_server_config(state->server)->domains[domain].name;
}

static void unhold(struct tsr_scanout_hold *hold)
{
	struct tsr_scanout_hold old = *hold;
	*hold = (struct tsr_scanout_hold){0};
	if (old.buffer)
		tsr_domain_unhold_buffer(old.domain, old.buffer);
}

void tsr_scanout_presented(struct tsr_output_state *state, const struct tsr_scanout_plan *plan)
{
	struct tsr_scanout_state *scanout = &state->scanout;
	/* A frame replaces one still on its way (the backend queues one): that
	 * one will never be shown, so its hold goes. */
	unhold(&scanout->pending);
	scanout->pending_dropped = false;
	if (plan->domain >= 0) {
		struct tsr_domain *domain = tsr_server_domain(state->server, (size_t)plan->domain);
		scanout->pending = (struct tsr_scanout_hold){
		    .domain = domain, .buffer = tsr_domain_hold_buffer(domain, plan->buffer)};
		scanout->frames_scanout++;
	} else {
		scanout->frames_composed++;
	}
	if (tsr_scanout_mode_changes(state, plan)) {
		if (plan->domain >= 0)
			tsr_log(TSR_LOG_INFO, "output %s: scanout of %s", state->output->name,
				domain_name(state, plan->domain));
		else
			tsr_log(TSR_LOG_INFO, "output %s: composition: %s", state->output->name,
				plan->why);
	}
	scanout->domain = plan->domain;
	scanout->box = plan->domain >= 0 ? plan->box : (pixman_box32_t){0};
	if (plan->domain >= 0)
		scanout->refused = NULL; /* plan never picks the refused one */
}

void tsr_scanout_refused(struct tsr_output_state *state, struct tsr_scanout_plan *plan,
			 const char *why)
{
	struct tsr_scanout_state *scanout = &state->scanout;
	scanout->refused = plan->buffer;
	snprintf(scanout->refusal, sizeof(scanout->refusal), "scanout of %s refused: %s",
		 domain_name(state, plan->domain), why);
	plan->domain = -1;
	plan->why = scanout->refusal;
	/* Composing already: no change of mode to log it with, but it says
	 * why the output never switches; once per reason, as a guest that
	 * alternates two refused buffers would repeat it every frame. */
	if (scanout->domain < 0 && strcmp(scanout->refusal, scanout->refusal_logged) != 0) {
		memcpy(scanout->refusal_logged, scanout->refusal, sizeof(scanout->refusal));
		tsr_log(TSR_LOG_INFO, "output %s: composition: %s", state->output->name,
			scanout->refusal);
	}
}

void tsr_scanout_dropped(struct tsr_output_state *state)
{
	state->scanout.pending_dropped = true;
}

void tsr_scanout_frame_shown(struct tsr_output_state *state)
{
	struct tsr_scanout_state *scanout = &state->scanout;
	if (scanout->pending_dropped) {
		/* Nothing changed on screen: what was in front stays held. A
		 * scanout frame that failed is not tried again with that
		 * buffer; the core composes the next frame. */
		if (scanout->pending.buffer) {
			scanout->refused = scanout->pending.buffer->buffer;
			snprintf(scanout->refusal, sizeof(scanout->refusal),
				 "the scanout commit failed");
		}
		unhold(&scanout->pending);
		scanout->pending_dropped = false;
		return;
	}
	unhold(&scanout->front);
	scanout->front = scanout->pending;
	scanout->pending = (struct tsr_scanout_hold){0};
}

void tsr_scanout_forget(struct tsr_output_state *state)
{
	unhold(&state->scanout.pending);
	unhold(&state->scanout.front);
}
