/* Outputs, damage and the repaint cycle. A repaint happens at most once per
 * output frame, only when something is damaged, and draws only the damaged
 * region (plus what the acquired buffer missed, by its age). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arrangement.h"
#include "core/decorations.h"
#include "core/domain.h"
#include "core/output_scale.h"
#include "core/scene.h"
#include "core/server.h"
#include "core/server_testing.h"
#include "tessera/event_loop.h"
#include "tessera/input.h"
#include "tessera/log.h"
#include "tessera/renderer.h"
#include "util/log_limit.h"

/* The compositor's state; only this file sees inside (server.h gives the
 * others functions). */
struct tsr_server {
	struct tsr_event_loop *loop;
	const struct tsr_config *config;
	struct tsr_renderer *renderer;
	struct tsr_backend *backend; /* main's (NULL with GPU passthrough): test hooks only */
	struct tsr_decorations *decorations;
	struct tsr_output_state *outputs[TSR_MAX_OUTPUTS];
	size_t output_count;
	struct tsr_domain *domains[TSR_MAX_DOMAINS];
	size_t domain_count;
	/* Per output (same index as outputs[]): its layout mode and the
	 * domain it shows; and the one domain with the keyboard. */
	struct tsr_output_views views;
	struct tsr_seat *seat; /* NULL without input */
	bool cursor_visible;   /* after the first pointer motion */
	/* The lock screen is up: no guest pixel is drawn, no domain counts as
	 * visible (guests are paced at the hidden rate), the layout and focus
	 * are kept as they were for unlocking. Set by core/lock.c only
	 * (tsr_server_set_locked). */
	bool locked;
	struct tsr_lock *lock;		       /* NULL until main creates it */
	struct tsr_suspend_lock *suspend_lock; /* NULL: nothing inhibits suspend */
	int32_t cursor_x, cursor_y;	       /* global layout space */
	struct tsr_server_gpu_hooks gpu_hooks;
	/* While locked, every output has shown the lock screen (or the last
	 * one still missing it went away): core/suspend_lock.c. */
	void (*lock_shown)(struct tsr_suspend_lock *suspend);
	struct tsr_screenshot_writer *screenshots;
	struct tsr_log_limit policy_log_limit; /* focus and layout lines */
	struct tsr_event_source *hidden_timer; /* frame-done for hidden surfaces */
	bool hidden_timer_armed;
	bool running;
	/* Input messages are built here, one at a time: a zeroed struct
	 * tsr_msg on the stack would cost 64 KiB of memset per event. */
	struct tsr_msg *input_scratch;
#ifdef TSR_TEST_HOOKS
	bool test_frames_held; /* test-hold-frames: frame events wait */
	bool test_scanout_off; /* test-scanout off: every output composes */
#endif
};

static void handle_hidden_tick(void *data);

/* What domains report (core/domain.h), onto the server's own entry points. */
static void domain_damaged(void *data, int index, const pixman_region32_t *damage)
{
	tsr_server_damage_domain(data, index, damage);
}

static void domain_display_damaged(void *data, int index, uint32_t surface_id,
				   const pixman_region32_t *damage)
{
	tsr_server_damage_display(data, index, surface_id, damage);
}

static void domain_displays_changed(void *data, int index)
{
	tsr_server_domain_displays_changed(data, index);
}

static void domain_frame_wanted(void *data, bool shown)
{
	tsr_server_schedule_frame(data, shown);
}

static void domain_ready(void *data, int index)
{
	tsr_server_guest_ready(data, index);
}

static void domain_gone(void *data, int index)
{
	tsr_server_guest_gone(data, index);
}

static bool domain_visible(void *data, int index)
{
	return tsr_server_domain_visible(data, index);
}

static void domain_content_size(void *data, int index, uint32_t *width, uint32_t *height)
{
	tsr_server_content_size(data, index, width, height);
}

/* Buffers are held while on a plane (core/scanout.h), so one that goes is
 * on none: every output may drop its import. */
static void domain_buffer_gone(void *data, int index, struct tsr_buffer *buffer)
{
	struct tsr_server *server = data;
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output *output = server->outputs[i]->output;
		if (output->impl->forget_buffer)
			output->impl->forget_buffer(output, buffer);
	}
}

struct tsr_server *tsr_server_create(struct tsr_event_loop *loop, const struct tsr_config *config,
				     char *err, size_t err_len)
{
	struct tsr_server *server = calloc(1, sizeof(*server));
	if (!server) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	server->input_scratch = calloc(1, sizeof(*server->input_scratch));
	if (!server->input_scratch) {
		free(server);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	server->loop = loop;
	server->config = config;
	tsr_output_views_init(&server->views, config->domain_count);
	server->running = true;
	server->policy_log_limit = (struct tsr_log_limit)TSR_LOG_LIMIT_INIT(20, 10);
	server->hidden_timer = tsr_event_loop_add_timer(loop, handle_hidden_tick, server);
	if (!server->hidden_timer) {
		snprintf(err, err_len, "cannot create a timer");
		goto error;
	}
	server->screenshots = tsr_screenshot_writer_create(loop);
	if (!server->screenshots) {
		snprintf(err, err_len, "out of memory");
		goto error;
	}
	server->renderer = tsr_renderer_pixman_create();
	if (!server->renderer) {
		snprintf(err, err_len, "cannot create the pixman renderer");
		goto error;
	}
	server->decorations = tsr_decorations_create(config, err, err_len);
	if (!server->decorations)
		goto error;
	for (size_t i = 0; i < config->domain_count; i++) {
		const struct tsr_domain_listener listener = {
		    .damage = domain_damaged,
		    .display_damage = domain_display_damaged,
		    .displays_changed = domain_displays_changed,
		    .frame_wanted = domain_frame_wanted,
		    .ready = domain_ready,
		    .gone = domain_gone,
		    .visible = domain_visible,
		    .content_size = domain_content_size,
		    .buffer_gone = domain_buffer_gone,
		    .data = server,
		};
		server->domains[i] =
		    tsr_domain_create(loop, &listener, (int)i, &config->domains[i]);
		if (!server->domains[i]) {
			snprintf(err, err_len, "out of memory");
			goto error;
		}
		server->domain_count++;
	}
	return server;
error:
	tsr_server_destroy(server);
	return NULL;
}

static void output_state_destroy(struct tsr_output_state *state)
{
	if (!state)
		return;
	tsr_event_source_remove(state->repaint_idle);
	tsr_event_source_remove(state->tick_timer);
	pixman_region32_fini(&state->damage);
	for (size_t i = 0; i < TSR_DAMAGE_HISTORY; i++)
		pixman_region32_fini(&state->history[i]);
	free(state);
}

void tsr_server_destroy(struct tsr_server *server)
{
	if (!server)
		return;
	tsr_screenshot_writer_destroy(server->screenshots);
	for (size_t i = 0; i < server->domain_count; i++) {
		tsr_domain_destroy(server->domains[i]);
		server->domains[i] = NULL; /* a later domain's goodbye relayouts */
	}
	for (size_t i = 0; i < server->output_count; i++)
		output_state_destroy(server->outputs[i]);
	tsr_decorations_destroy(server->decorations);
	tsr_renderer_destroy(server->renderer);
	tsr_event_source_remove(server->hidden_timer);
	free(server->input_scratch);
	free(server);
}

struct tsr_event_loop *tsr_server_loop(const struct tsr_server *server)
{
	return server->loop;
}

const struct tsr_config *tsr_server_config(const struct tsr_server *server)
{
	return server->config;
}

size_t tsr_server_domain_count(const struct tsr_server *server)
{
	return server->domain_count;
}

struct tsr_domain *tsr_server_domain(const struct tsr_server *server, size_t index)
{
	return index < server->domain_count ? server->domains[index] : NULL;
}

size_t tsr_server_output_count(const struct tsr_server *server)
{
	return server->output_count;
}

struct tsr_output_state *tsr_server_output(const struct tsr_server *server, size_t index)
{
	return index < server->output_count ? server->outputs[index] : NULL;
}

struct tsr_renderer *tsr_server_renderer(const struct tsr_server *server)
{
	return server->renderer;
}

void tsr_server_set_renderer(struct tsr_server *server, struct tsr_renderer *renderer)
{
	tsr_renderer_destroy(server->renderer);
	server->renderer = renderer;
}

struct tsr_decorations *tsr_server_decorations(const struct tsr_server *server)
{
	return server->decorations;
}

bool tsr_server_running(const struct tsr_server *server)
{
	return server->running;
}

void tsr_server_stop(struct tsr_server *server)
{
	server->running = false;
}

void tsr_server_set_backend(struct tsr_server *server, struct tsr_backend *backend)
{
	server->backend = backend;
}

struct tsr_backend *tsr_server_backend(const struct tsr_server *server)
{
	return server->backend;
}

void tsr_server_set_gpu_hooks(struct tsr_server *server, const struct tsr_server_gpu_hooks *hooks)
{
	server->gpu_hooks = *hooks;
}

bool tsr_server_gpu_handoff(struct tsr_server *server)
{
	if (!server->gpu_hooks.handoff)
		return false;
	server->gpu_hooks.handoff(server->gpu_hooks.data);
	return true;
}

bool tsr_server_gpu_command(struct tsr_server *server, const char *argument, char *reply,
			    size_t reply_len)
{
	if (!server->gpu_hooks.command)
		return false;
	server->gpu_hooks.command(server->gpu_hooks.data, argument, reply, reply_len);
	return true;
}

void tsr_server_gpu_lock(struct tsr_server *server)
{
	if (server->gpu_hooks.lock)
		server->gpu_hooks.lock(server->gpu_hooks.data);
}

size_t tsr_server_output_index(const struct tsr_server *server,
			       const struct tsr_output_state *output)
{
	for (size_t i = 0; i < server->output_count; i++)
		if (server->outputs[i] == output)
			return i;
	return 0;
}

size_t tsr_server_output_boxes(const struct tsr_server *server,
			       pixman_box32_t boxes[TSR_MAX_OUTPUTS])
{
	for (size_t i = 0; i < server->output_count; i++)
		boxes[i] = server->outputs[i]->box;
	return server->output_count;
}

struct tsr_output_state *tsr_server_pointer_output(const struct tsr_server *server)
{
	if (server->output_count == 0)
		return NULL;
	pixman_box32_t boxes[TSR_MAX_OUTPUTS];
	size_t count = tsr_server_output_boxes(server, boxes);
	int index = tsr_arrangement_output_at(boxes, count, server->cursor_x, server->cursor_y);
	return server->outputs[index >= 0 ? index : 0];
}

struct tsr_output_state *tsr_server_find_output(const struct tsr_server *server, const char *name)
{
	for (size_t i = 0; i < server->output_count; i++)
		if (strcmp(server->outputs[i]->output->name, name) == 0)
			return server->outputs[i];
	return NULL;
}

enum tsr_layout_mode tsr_server_mode(const struct tsr_server *server)
{
	struct tsr_output_state *output = tsr_server_pointer_output(server);
	return output ? server->views.mode[tsr_server_output_index(server, output)]
		      : TSR_LAYOUT_MOSAIC;
}

enum tsr_layout_mode tsr_server_output_mode(const struct tsr_server *server,
					    const struct tsr_output_state *output)
{
	return server->views.mode[tsr_server_output_index(server, output)];
}

int tsr_server_output_shown(const struct tsr_server *server, const struct tsr_output_state *output)
{
	return server->views.shown[tsr_server_output_index(server, output)];
}

int tsr_server_focused(const struct tsr_server *server)
{
	return server->views.keyboard;
}

/* The seat sends the pointer to the domain under it in the mosaic and only
 * to the focused one in the focus layout. With several outputs a domain
 * shown in focus on one output need not have the keyboard, so the seat
 * uses the mosaic rule (the domain under the pointer; a click there gives
 * it the keyboard); with one output in the focus layout the two rules are
 * the same, as the only domain shown is the focused one. */
static void update_seat(struct tsr_server *server)
{
	if (!server->seat)
		return;
	tsr_seat_set_mosaic(server->seat, server->output_count > 1 ||
					      tsr_server_mode(server) == TSR_LAYOUT_MOSAIC);
	pixman_box32_t boxes[TSR_MAX_OUTPUTS];
	size_t count = tsr_server_output_boxes(server, boxes);
	uint32_t width, height;
	tsr_arrangement_extent(boxes, count, &width, &height);
	if (count > 0)
		tsr_seat_set_output_size(server->seat, width, height);
}

/* Places the outputs in the global layout space again (one came or went). */
static void arrange(struct tsr_server *server)
{
	struct tsr_arrangement_output outputs[TSR_MAX_OUTPUTS];
	pixman_box32_t boxes[TSR_MAX_OUTPUTS];
	bool overlapped[TSR_MAX_OUTPUTS];
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output *output = server->outputs[i]->output;
		outputs[i] =
		    (struct tsr_arrangement_output){output->name, output->width, output->height};
	}
	tsr_arrangement_place(&server->config->output, outputs, server->output_count, boxes,
			      overlapped);
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output_state *state = server->outputs[i];
		if (overlapped[i] && memcmp(&state->box, &boxes[i], sizeof(boxes[i])) != 0)
			tsr_log(
			    TSR_LOG_WARN,
			    "output %s: its configured position overlaps another output; placed "
			    "at %d,%d instead",
			    state->output->name, boxes[i].x1, boxes[i].y1);
		state->box = boxes[i];
	}
	update_seat(server);
}

static void compute_layout(struct tsr_server *server, struct tsr_output_state *state)
{
	size_t index = tsr_server_output_index(server, state);
	struct tsr_layout_displays fixed[TSR_MAX_DOMAINS];
	for (size_t i = 0; i < server->domain_count; i++) {
		fixed[i].count = 0;
		if (server->domains[i])
			tsr_domain_displays(server->domains[i], &fixed[i]);
	}
	struct tsr_layout_params params = {
	    .output_width = state->output->width,
	    .output_height = state->output->height,
	    .border_width = server->config->border_width,
	    .banner_height = server->config->banner_height,
	    .scale = state->scale,
	    .domain_count = server->domain_count,
	    .focused = server->views.shown[index],
	    .mode = server->views.mode[index],
	    .fixed = fixed,
	};
	tsr_layout_compute(&params, &state->layout);
}

static void schedule_repaint(struct tsr_output_state *state);
static bool frame_requested(struct tsr_server *server, bool shown);
static void update_read_deferral(struct tsr_server *server);
static uint64_t frame_period_ns(const struct tsr_output *output);

/* A surface that waited for an output's frame and is hidden now (its
 * output went, or it left the layout) gets its frame from the hidden clock
 * instead: no output frame will ever come for it. */
static void serve_newly_hidden(struct tsr_server *server)
{
	if (frame_requested(server, false))
		tsr_server_schedule_frame(server, false);
}

/* After a layout change: every guest to its new size, and frames for the
 * surfaces that are hidden now. */
static void reconfigure_domains(struct tsr_server *server)
{
	for (size_t i = 0; i < server->domain_count; i++) {
		struct tsr_domain *domain = server->domains[i];
		if (tsr_domain_connected(domain) && !tsr_domain_configure(domain))
			tsr_domain_disconnect(domain, tsr_domain_last_drop_reason(domain), true);
	}
	serve_newly_hidden(server);
	update_read_deferral(server);
}

static void relayout(struct tsr_server *server)
{
	update_seat(server);
	for (size_t i = 0; i < server->output_count; i++)
		compute_layout(server, server->outputs[i]);
	tsr_server_damage_all(server);
	reconfigure_domains(server);
}

/* After an output came or went: only the outputs whose picture changes
 * are redrawn, so the others do not flicker. Their picture changes with
 * their layout (what they show, and where), and on every output when the
 * keyboard moved or the banners switch between the one-output and the
 * several-output texts. */
static void relayout_after_hotplug(struct tsr_server *server, int keyboard_before,
				   size_t count_before)
{
	bool all = keyboard_before != tsr_server_focused(server) ||
		   (count_before > 1) != (server->output_count > 1);
	update_seat(server);
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output_state *state = server->outputs[i];
		struct tsr_layout before = state->layout;
		compute_layout(server, state);
		/* A new output's layout was all zero: it differs. */
		if (all || !tsr_layout_equal(&before, &state->layout)) {
			pixman_box32_t whole = {0, 0, (int32_t)state->output->width,
						(int32_t)state->output->height};
			tsr_server_damage_box(server, state, &whole);
		}
	}
	reconfigure_domains(server);
}

/* Hidden surfaces are paced at 1 Hz: a guest nobody sees gets no reason to
 * draw at the output's rate (protocol/README.md 6.3). */
#define HIDDEN_FRAME_PERIOD_NS 1000000000ull
/* Region work per frame is bounded per domain, never by merging unrelated
 * damage: once an output holds more than OUTPUT_DAMAGE_CHECK_RECTS
 * rectangles, a domain whose part of it has more than
 * MAX_DOMAIN_DAMAGE_RECTS is redrawn as the extents of that part, which lie
 * inside its own content box, so a busy or hostile guest widens only its
 * own redraw. Past MAX_OUTPUT_DAMAGE_RECTS (reachable only when many
 * domains' rectangles split each other into y-bands) every domain's part
 * becomes its extents: at most one box per domain. Tessera's own damage
 * (decorations, banner, cursor) collapses to the bounding box only if that
 * is still too much. */
#define OUTPUT_DAMAGE_CHECK_RECTS 64
#define MAX_DOMAIN_DAMAGE_RECTS 16
#define MAX_OUTPUT_DAMAGE_RECTS 1024

bool tsr_server_domain_visible(const struct tsr_server *server, int index)
{
	if (server->locked)
		return false;
	for (size_t i = 0; i < server->output_count; i++)
		if (server->outputs[i]->layout.domains[index].visible)
			return true;
	return false;
}

static void send_frame_done(struct tsr_server *server, uint64_t time_ns, bool shown)
{
	for (size_t i = 0; i < server->domain_count; i++)
		tsr_domain_send_frame_done(server->domains[i], time_ns, shown);
}

/* A domain's shown surfaces are paced by one output: the first that shows
 * it. Shown on two 60 Hz outputs it gets 60 frames a second, not 120 (one
 * FRAME_DONE per output frame would let it draw for both). NULL: hidden. */
static struct tsr_output_state *pacing_output(const struct tsr_server *server, size_t domain_index)
{
	if (server->locked)
		return NULL;
	for (size_t i = 0; i < server->output_count; i++)
		if (server->outputs[i]->layout.domains[domain_index].visible)
			return server->outputs[i];
	return NULL;
}

/* Returns whether any surface was waiting for this frame. */
static bool send_frame_done_paced_by(struct tsr_output_state *state, uint64_t time_ns)
{
	struct tsr_server *server = state->server;
	bool waiting = false;
	for (size_t i = 0; i < server->domain_count; i++)
		if (pacing_output(server, i) == state)
			waiting |= tsr_domain_send_frame_done(server->domains[i], time_ns, true);
	return waiting;
}

/* Whether the output's next frame-done is already on its way: a frame
 * travelling to the screen, a repaint about to run, or the frame clock
 * armed. Nothing a guest it paces sends could reach the screen before
 * then, so such guests are read at that moment (read_paced_guests), all
 * in one wake-up, instead of each waking Tessera once per frame. */
static bool output_busy(const struct tsr_output_state *state)
{
	return state->frame_pending || state->repaint_idle || state->tick_armed;
}

/* Called after every change of an output's busyness or of who paces whom.
 * Hidden guests are never deferred: their 1 Hz clock reads nothing. */
static void update_read_deferral(struct tsr_server *server)
{
	for (size_t i = 0; i < server->domain_count; i++) {
		const struct tsr_output_state *pacer = pacing_output(server, i);
		tsr_domain_defer_reads(server->domains[i], pacer && output_busy(pacer));
	}
}

/* Before an output's frame-done goes out: what its deferred guests sent
 * since the last one (their commits then get this frame, as they would
 * have had they been read on arrival). A guest may be dropped here. */
static void read_paced_guests(struct tsr_output_state *state)
{
	struct tsr_server *server = state->server;
	for (size_t i = 0; i < server->domain_count; i++)
		if (pacing_output(server, i) == state)
			tsr_domain_read_deferred(server->domains[i]);
}

/* The frame clock of an output with nothing to draw. Not re-armed while
 * armed: a guest committing again and again cannot push it further out. */
static void arm_tick(struct tsr_output_state *state)
{
	if (!state->tick_armed)
		state->tick_armed = tsr_event_source_timer_update(state->tick_timer,
								  frame_period_ns(state->output));
}

static bool frame_requested(struct tsr_server *server, bool shown)
{
	for (size_t i = 0; i < server->domain_count; i++)
		if (tsr_domain_frame_requested(server->domains[i], shown))
			return true;
	return false;
}

static void handle_hidden_tick(void *data)
{
	struct tsr_server *server = data;
	server->hidden_timer_armed = false;
	send_frame_done(server, tsr_now_ns(), false);
}

/* Replaces the part of damage inside box by that part's extents when it
 * has more than max_rects rectangles. The extents cover the part, so one
 * union does it, and nothing outside box changes. */
static void collapse_within(pixman_region32_t *damage, const pixman_box32_t *box, int max_rects)
{
	pixman_region32_t part;
	pixman_region32_init_rect(&part, box->x1, box->y1, tsr_box_width(box), tsr_box_height(box));
	pixman_region32_intersect(&part, &part, damage);
	if (pixman_region32_n_rects(&part) > max_rects) {
		const pixman_box32_t *extents = pixman_region32_extents(&part);
		pixman_region32_union_rect(damage, damage, extents->x1, extents->y1,
					   tsr_box_width(extents), tsr_box_height(extents));
	}
	pixman_region32_fini(&part);
}

/* Bounds the output's damage after domain_index (-1: Tessera itself) added
 * to it; see MAX_DOMAIN_DAMAGE_RECTS. */
static void bound_damage(struct tsr_output_state *state, int domain_index)
{
	pixman_region32_t *damage = &state->damage;
	if (pixman_region32_n_rects(damage) <= OUTPUT_DAMAGE_CHECK_RECTS)
		return;
	if (domain_index >= 0)
		collapse_within(damage, &state->layout.domains[domain_index].content,
				MAX_DOMAIN_DAMAGE_RECTS);
	if (pixman_region32_n_rects(damage) <= MAX_OUTPUT_DAMAGE_RECTS)
		return;
	for (size_t i = 0; i < state->layout.domain_count; i++)
		if (state->layout.domains[i].visible)
			collapse_within(damage, &state->layout.domains[i].content, 1);
	if (pixman_region32_n_rects(damage) > MAX_OUTPUT_DAMAGE_RECTS) {
		pixman_box32_t extents = *pixman_region32_extents(damage);
		pixman_region32_reset(damage, &extents);
	}
}

static uint64_t frame_period_ns(const struct tsr_output *output)
{
	uint32_t mhz = output->refresh_mhz ? output->refresh_mhz : 60000;
	return 1000000000000ull / mhz;
}

static void collect_render_region(struct tsr_output_state *state, int age,
				  pixman_region32_t *region)
{
	if (age <= 0 || (size_t)age > TSR_DAMAGE_HISTORY + 1) {
		pixman_region32_init_rect(region, 0, 0, state->output->width,
					  state->output->height);
		return;
	}
	pixman_region32_init(region);
	pixman_region32_copy(region, &state->damage);
	for (int i = 0; i < age - 1; i++)
		pixman_region32_union(region, region, &state->history[i]);
}

static void push_history(struct tsr_output_state *state)
{
	pixman_region32_fini(&state->history[TSR_DAMAGE_HISTORY - 1]);
	memmove(&state->history[1], &state->history[0],
		sizeof(state->history[0]) * (TSR_DAMAGE_HISTORY - 1));
	pixman_region32_init(&state->history[0]);
	pixman_region32_copy(&state->history[0], &state->damage);
	pixman_region32_clear(&state->damage);
}

static uint64_t region_area(const pixman_region32_t *region)
{
	int count;
	const pixman_box32_t *boxes = pixman_region32_rectangles(region, &count);
	uint64_t area = 0;
	for (int i = 0; i < count; i++)
		area +=
		    (uint64_t)(boxes[i].x2 - boxes[i].x1) * (uint64_t)(boxes[i].y2 - boxes[i].y1);
	return area;
}

static bool scanout_forbidden(const struct tsr_server *server)
{
#ifdef TSR_TEST_HOOKS
	return server->test_scanout_off;
#else
	(void)server;
	return false;
#endif
}

static void damage_whole_output(struct tsr_output_state *state)
{
	pixman_region32_union_rect(&state->damage, &state->damage, 0, 0, state->output->width,
				   state->output->height);
}

/* Whether Tessera's own buffer must be drawn for a scanout frame: on a
 * change of mode, or for damage outside the guest's plane (the plane
 * covers the rest, and the guest's pixels are not Tessera's to copy). */
static bool primary_needed(struct tsr_output_state *state, const struct tsr_scanout_plan *plan)
{
	pixman_region32_t outside, plane;
	pixman_region32_init(&outside);
	pixman_region32_init_rect(&plane, plan->box.x1, plan->box.y1, tsr_box_width(&plan->box),
				  tsr_box_height(&plan->box));
	/* Out of memory: draw it, to be safe. */
	bool needed = !pixman_region32_subtract(&outside, &state->damage, &plane) ||
		      pixman_region32_not_empty(&outside);
	pixman_region32_fini(&plane);
	pixman_region32_fini(&outside);
	return needed;
}

/* Draws Tessera's buffer (with plan's domain left to its plane, or -1);
 * NULL when there is no free buffer or rendering failed (logged). */
static struct tsr_buffer *render_frame(struct tsr_output_state *state, int scanout_domain)
{
	struct tsr_server *server = state->server;
	struct tsr_output *output = state->output;
	int age = 0;
	struct tsr_buffer *target = output->impl->acquire(output, &age);
	if (!target) {
		tsr_log(TSR_LOG_WARN, "output %s: no free buffer, repainting on the next frame",
			output->name);
		return NULL;
	}
	pixman_region32_t region;
	collect_render_region(state, age, &region);
	struct tsr_renderer *renderer = server->renderer;
	bool drawn = renderer->impl->begin(renderer, target, &region);
	if (drawn) {
		tsr_scene_draw(server, state, &region, scanout_domain);
		drawn = renderer->impl->end(renderer);
	}
	state->pixels_drawn += region_area(&region);
	pixman_region32_fini(&region);
	if (!drawn) {
		tsr_log(TSR_LOG_ERROR, "output %s: rendering failed", output->name);
		return NULL;
	}
	return target;
}

/* A scanout frame: the guest's plane, and Tessera's buffer when it
 * changed. false: not presented (the device refused; logged), compose. */
static bool present_scanout(struct tsr_output_state *state, struct tsr_scanout_plan *plan,
			    bool *accepted)
{
	struct tsr_output *output = state->output;
	*accepted = false;
	bool primary = primary_needed(state, plan);
	struct tsr_buffer *target = primary ? render_frame(state, plan->domain) : NULL;
	if (primary && !target)
		return true; /* logged: try on the next frame, as composition does */
	char why[128] = "";
	if (!output->impl->present_scanout(output, target, &state->damage, plan->buffer, &plan->box,
					   why, sizeof(why))) {
		tsr_scanout_refused(state, plan, why);
		damage_whole_output(state);
		return false;
	}
	/* Damage under the plane needs no drawing; Tessera's buffer, when
	 * drawn, took it (background under the plane) into its history. */
	if (primary)
		push_history(state);
	else
		pixman_region32_clear(&state->damage);
	*accepted = true;
	return true;
}

static void repaint_output(struct tsr_output_state *state)
{
	struct tsr_server *server = state->server;
	struct tsr_output *output = state->output;
	if (state->frame_pending)
		return;
	if (!pixman_region32_not_empty(&state->damage)) {
		if (frame_requested(server, true))
			arm_tick(state);
		return;
	}
	struct tsr_scanout_plan plan;
	tsr_scanout_plan(server, state, scanout_forbidden(server), &plan);
	/* A change of mode redraws all of Tessera's buffer: after scanout its
	 * content box holds background, not the guest. */
	if (tsr_scanout_mode_changes(state, &plan))
		damage_whole_output(state);
	bool accepted = false;
	if (plan.domain >= 0 && present_scanout(state, &plan, &accepted) && !accepted)
		return;
	if (!accepted) {
		plan.domain = -1; /* the plan's reason, or the refusal's */
		struct tsr_buffer *target = render_frame(state, -1);
		if (!target)
			return;
		if (!output->impl->present(output, target, &state->damage)) {
			/* The backend logged why; keep the damage and try next tick. */
			arm_tick(state);
			return;
		}
		push_history(state);
	}
	tsr_scanout_presented(state, &plan);
	state->frame_pending = true;
	state->lock_frame_pending = server->locked;
	state->frames_presented++;
	if (state->damage_since_ns) {
		state->latency_sum_ns += tsr_now_ns() - state->damage_since_ns;
		state->latency_count++;
		state->damage_since_ns = 0;
	}
}

static void repaint(void *data)
{
	struct tsr_output_state *state = data;
	state->repaint_idle = NULL;
	repaint_output(state);
	update_read_deferral(state->server);
}

static void schedule_repaint(struct tsr_output_state *state)
{
	if (!state->damage_since_ns && pixman_region32_not_empty(&state->damage))
		state->damage_since_ns = tsr_now_ns();
	if (state->repaint_idle || state->frame_pending)
		return;
	state->repaint_idle = tsr_event_loop_add_idle(state->server->loop, repaint, state);
}

static void notify_lock_shown(struct tsr_server *server)
{
	if (server->lock_shown && tsr_server_lock_shown(server))
		server->lock_shown(server->suspend_lock);
}

static void handle_frame_dropped(void *data, struct tsr_output *output)
{
	struct tsr_output_state *state = data;
	tsr_scanout_dropped(state);
	/* The screen shows the frame before: draw everything again. */
	damage_whole_output(state);
}

/* The compositor's part of a frame event (test-hold-frames may delay it). */
static void frame_reached_screen(struct tsr_output_state *state, uint64_t time_ns)
{
	state->frame_pending = false;
	if (state->lock_frame_pending && state->server->locked && !state->lock_shown) {
		state->lock_shown = true;
		notify_lock_shown(state->server);
	}
	state->lock_frame_pending = false;
	read_paced_guests(state);
	send_frame_done_paced_by(state, time_ns);
	if (pixman_region32_not_empty(&state->damage) || frame_requested(state->server, true))
		schedule_repaint(state);
	update_read_deferral(state->server);
}

static void handle_frame(void *data, struct tsr_output *output, uint64_t time_ns)
{
	struct tsr_output_state *state = data;
	/* What the screen shows changed now, whether or not the compositor
	 * hears of the frame yet (test-hold-frames): planes let go first, so
	 * releases precede the FRAME_DONEs. */
	tsr_scanout_frame_shown(state);
#ifdef TSR_TEST_HOOKS
	if (state->server->test_frames_held) {
		state->frame_held = true;
		state->held_frame_ns = time_ns;
		return;
	}
#endif
	frame_reached_screen(state, time_ns);
}

static void handle_tick(void *data)
{
	struct tsr_output_state *state = data;
	state->tick_armed = false;
	if (!state->frame_pending) {
		read_paced_guests(state);
		bool waiting = send_frame_done_paced_by(state, tsr_now_ns());
		if (pixman_region32_not_empty(&state->damage))
			schedule_repaint(state);
		else if (waiting)
			/* Guests that just got their frame-done are likely to
			 * commit again: their commits wait for the next tick
			 * together, which they could not have beaten. */
			arm_tick(state);
	}
	update_read_deferral(state->server);
}

static void handle_output_removed(void *data, struct tsr_output *output)
{
	struct tsr_output_state *state = data;
	struct tsr_server *server = state->server;
	tsr_log(TSR_LOG_INFO, "output %s removed", output->name);
	int keyboard_before = tsr_server_focused(server);
	size_t count_before = server->output_count;
	for (size_t i = 0; i < server->output_count; i++) {
		if (server->outputs[i] != state)
			continue;
		tsr_output_views_remove(&server->views, i);
		/* The array holds pointers: moving pointers is the intent. */
		memmove(&server->outputs[i], &server->outputs[i + 1],
			sizeof(struct tsr_output_state *) * (server->output_count - i - 1));
		server->output_count--;
		break;
	}
	tsr_scanout_forget(state);
	output_state_destroy(state);
	arrange(server);
	relayout_after_hotplug(server, keyboard_before, count_before);
	/* It may have been the last one still missing the lock screen. */
	notify_lock_shown(server);
}

/* Where an output's scale came from, for the log. */
static void describe_scale(const struct tsr_server *server, const struct tsr_output *output,
			   char *out, size_t out_len)
{
	const struct tsr_output_head_config *head =
	    tsr_config_find_head(&server->config->output, output->name);
	if (head && head->scale_set)
		snprintf(out, out_len, "configured");
	else if (output->mm_width == 0 || output->mm_height == 0)
		snprintf(out, out_len, "physical size unknown");
	else
		snprintf(out, out_len, "derived from %ux%u mm", output->mm_width,
			 output->mm_height);
}

/* The cursor goes on the output's cursor plane when it has one; until the
 * pointer first moves there is no cursor at all. */
static void try_hardware_cursor(struct tsr_server *server, struct tsr_output_state *state)
{
	struct tsr_output *output = state->output;
	struct tsr_buffer *cursor = tsr_decorations_cursor(server->decorations, state->scale);
	/* A scaled cursor larger than the plane (KMS: 64x64) is refused by
	 * set_cursor and drawn in software. */
	if (state->hardware_cursor || !output->impl->set_cursor || !cursor)
		return;
	if (output->impl->set_cursor(output, cursor, 0, 0))
		state->hardware_cursor = true;
}

void tsr_server_add_output(void *data, struct tsr_output *output)
{
	struct tsr_server *server = data;
	if (server->output_count >= TSR_MAX_OUTPUTS) {
		tsr_log(TSR_LOG_WARN, "output %s ignored: at most %u outputs", output->name,
			TSR_MAX_OUTPUTS);
		return;
	}
	struct tsr_output_state *state = calloc(1, sizeof(*state));
	if (!state || !tsr_output_views_add(&server->views)) {
		free(state);
		return;
	}
	state->server = server;
	state->draw_refusal_log = (struct tsr_log_limit)TSR_LOG_LIMIT_INIT(5, 60);
	tsr_scanout_init(&state->scanout);
	state->output = output;
	state->scale = tsr_output_scale_for(&server->config->output, output);
	pixman_region32_init(&state->damage);
	for (size_t i = 0; i < TSR_DAMAGE_HISTORY; i++)
		pixman_region32_init(&state->history[i]);
	state->tick_timer = tsr_event_loop_add_timer(server->loop, handle_tick, state);
	if (!state->tick_timer) {
		tsr_output_views_remove(&server->views, server->output_count);
		output_state_destroy(state);
		return;
	}
	int keyboard_before = tsr_server_focused(server);
	size_t count_before = server->output_count;
	output->listener.frame = handle_frame;
	output->listener.frame_dropped = handle_frame_dropped;
	output->listener.removed = handle_output_removed;
	output->listener.data = state;
	server->outputs[server->output_count++] = state;
	if (server->cursor_visible)
		try_hardware_cursor(server, state);
	arrange(server);
	char scale_note[64];
	describe_scale(server, output, scale_note, sizeof(scale_note));
	tsr_log(TSR_LOG_INFO, "output %s: %ux%u @ %u.%03u Hz at %d,%d, scale %u (%s)", output->name,
		output->width, output->height, output->refresh_mhz / 1000,
		output->refresh_mhz % 1000, state->box.x1, state->box.y1, state->scale, scale_note);
	relayout_after_hotplug(server, keyboard_before, count_before);
}

void tsr_server_damage_box(struct tsr_server *server, struct tsr_output_state *state,
			   const pixman_box32_t *box)
{
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output_state *each = server->outputs[i];
		if (state && each != state)
			continue;
		pixman_region32_union_rect(&each->damage, &each->damage, box->x1, box->y1,
					   (unsigned)(box->x2 - box->x1),
					   (unsigned)(box->y2 - box->y1));
		pixman_region32_intersect_rect(&each->damage, &each->damage, 0, 0,
					       each->output->width, each->output->height);
		bound_damage(each, -1);
		schedule_repaint(each);
	}
}

void tsr_server_damage_all(struct tsr_server *server)
{
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output *output = server->outputs[i]->output;
		pixman_box32_t box = {0, 0, (int32_t)output->width, (int32_t)output->height};
		tsr_server_damage_box(server, server->outputs[i], &box);
	}
}

void tsr_server_damage_domain(struct tsr_server *server, int domain_index,
			      const pixman_region32_t *surface_damage)
{
	if (server->locked)
		return; /* nothing of a guest is drawn */
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output_state *state = server->outputs[i];
		const struct tsr_domain_placement *placement = &state->layout.domains[domain_index];
		if (!placement->visible)
			continue;
		const pixman_box32_t *content = &placement->content;
		pixman_region32_t damage;
		if (surface_damage) {
			pixman_region32_init(&damage);
			pixman_region32_copy(&damage, (pixman_region32_t *)surface_damage);
			pixman_region32_translate(&damage, content->x1, content->y1);
			pixman_region32_intersect_rect(&damage, &damage, content->x1, content->y1,
						       tsr_box_width(content),
						       tsr_box_height(content));
		} else {
			pixman_region32_init_rect(&damage, content->x1, content->y1,
						  tsr_box_width(content), tsr_box_height(content));
		}
		pixman_region32_union(&state->damage, &state->damage, &damage);
		pixman_region32_fini(&damage);
		bound_damage(state, domain_index);
		if (pixman_region32_not_empty(&state->damage))
			schedule_repaint(state);
	}
}

void tsr_server_damage_display(struct tsr_server *server, int domain_index, uint32_t surface_id,
			       const pixman_region32_t *surface_damage)
{
	if (server->locked)
		return;
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output_state *state = server->outputs[i];
		const struct tsr_domain_placement *placement = &state->layout.domains[domain_index];
		for (size_t v = 0; placement->visible && v < placement->view_count; v++) {
			const struct tsr_display_view *view = &placement->views[v];
			if (view->id != surface_id)
				continue;
			pixman_box32_t all = {0, 0, (int32_t)view->width, (int32_t)view->height};
			int count = 1;
			const pixman_box32_t *boxes =
			    surface_damage ? pixman_region32_rectangles(
						 (pixman_region32_t *)surface_damage, &count)
					   : &all;
			for (int b = 0; b < count; b++) {
				pixman_box32_t box = tsr_display_view_damage(view, &boxes[b]);
				if (box.x2 > box.x1 && box.y2 > box.y1)
					tsr_server_damage_box(server, state, &box);
			}
		}
	}
}

void tsr_server_domain_displays_changed(struct tsr_server *server, int domain_index)
{
	for (size_t i = 0; i < server->output_count; i++)
		compute_layout(server, server->outputs[i]);
	tsr_server_damage_domain(server, domain_index, NULL);
}

void tsr_server_schedule_frame(struct tsr_server *server, bool shown)
{
	for (size_t i = 0; i < server->output_count; i++)
		schedule_repaint(server->outputs[i]);
	/* The caller says which clock its surface waits for: asking every
	 * surface of every domain here made each commit cost O(domains). */
	if (!shown && server->hidden_timer && !server->hidden_timer_armed) {
		/* Not re-armed while pending: a flooding hidden guest cannot
		 * push its frame-done further out. */
		server->hidden_timer_armed =
		    tsr_event_source_timer_update(server->hidden_timer, HIDDEN_FRAME_PERIOD_NS);
	}
}

static uint32_t content_on(struct tsr_server *server, size_t output, int domain_index,
			   enum tsr_layout_mode mode, uint32_t *height)
{
	struct tsr_layout layout;
	struct tsr_layout_params params = {
	    .output_width = server->outputs[output]->output->width,
	    .output_height = server->outputs[output]->output->height,
	    .border_width = server->config->border_width,
	    .banner_height = server->config->banner_height,
	    .scale = server->outputs[output]->scale,
	    .domain_count = server->domain_count,
	    .focused = domain_index,
	    .mode = mode,
	};
	tsr_layout_compute(&params, &layout);
	*height = tsr_box_height(&layout.domains[domain_index].content);
	return tsr_box_width(&layout.domains[domain_index].content);
}

void tsr_server_content_size(struct tsr_server *server, int domain_index, uint32_t *width,
			     uint32_t *height)
{
	*width = *height = 0;
	if (server->output_count == 0)
		return;
	int focus = tsr_output_views_focus_output(&server->views, domain_index);
	if (focus >= 0) {
		*width = content_on(server, (size_t)focus, domain_index, TSR_LAYOUT_FOCUS, height);
		return;
	}
	for (size_t i = 0; i < server->output_count; i++) {
		if (server->views.mode[i] == TSR_LAYOUT_MOSAIC) {
			*width = content_on(server, i, domain_index, TSR_LAYOUT_MOSAIC, height);
			return;
		}
	}
	/* A domain not shown now is configured for when it will be. */
	*width = content_on(server, 0, domain_index, TSR_LAYOUT_FOCUS, height);
}

/* Focus and layout lines are bounded: a control client in a loop must not
 * flood the log. note says how many were left out before this one. */
static bool policy_log_allowed(struct tsr_server *server, char *note, size_t note_len)
{
	uint64_t suppressed = 0;
	if (!tsr_log_limit_allow(&server->policy_log_limit, tsr_now_ns(), &suppressed))
		return false;
	if (suppressed)
		snprintf(note, note_len, " (%llu earlier focus and layout lines not logged)",
			 (unsigned long long)suppressed);
	else
		note[0] = '\0';
	return true;
}

bool tsr_server_focus_on(struct tsr_server *server, struct tsr_output_state *output,
			 int domain_index)
{
	if (domain_index < 0 || (size_t)domain_index >= server->domain_count)
		return false;
	size_t index = output ? tsr_server_output_index(server, output) : 0;
	struct tsr_output_views before = server->views;
	if (!tsr_output_views_focus(&server->views, index, domain_index))
		return false;
	if (tsr_output_views_equal(&before, &server->views))
		return true;
	if (before.keyboard != domain_index) {
		if (server->seat)
			tsr_seat_set_focus(server->seat, domain_index);
		char note[96];
		if (policy_log_allowed(server, note, sizeof(note)))
			tsr_log_domain(
			    TSR_LOG_INFO, server->config->domains[domain_index].name,
			    tsr_domain_domid(server->domains[domain_index]), "focused%s%s%s", note,
			    output && server->output_count > 1 ? " on output " : "",
			    output && server->output_count > 1 ? output->output->name : "");
	}
	relayout(server);
	return true;
}

bool tsr_server_focus(struct tsr_server *server, int domain_index)
{
	return tsr_server_focus_on(server, tsr_server_pointer_output(server), domain_index);
}

void tsr_server_set_layout_on(struct tsr_server *server, struct tsr_output_state *output,
			      enum tsr_layout_mode mode)
{
	if (!output)
		return;
	size_t index = tsr_server_output_index(server, output);
	if (server->views.mode[index] == mode)
		return;
	tsr_output_views_set_mode(&server->views, index, mode);
	char note[96];
	if (policy_log_allowed(server, note, sizeof(note))) {
		if (server->output_count > 1)
			tsr_log(TSR_LOG_INFO, "layout of output %s: %s%s", output->output->name,
				mode == TSR_LAYOUT_MOSAIC ? "mosaic" : "focus", note);
		else
			tsr_log(TSR_LOG_INFO, "layout: %s%s",
				mode == TSR_LAYOUT_MOSAIC ? "mosaic" : "focus", note);
	}
	relayout(server);
}

void tsr_server_set_layout(struct tsr_server *server, enum tsr_layout_mode mode)
{
	tsr_server_set_layout_on(server, tsr_server_pointer_output(server), mode);
}

bool tsr_server_screenshot(struct tsr_server *server, struct tsr_output_state *state,
			   const char *path, tsr_screenshot_done_func done, void *data, char *err,
			   size_t err_len)
{
	if (server->output_count == 0) {
		snprintf(err, err_len, "no output");
		return false;
	}
	/* The frame is copied here, on the loop; encoding and writing happen
	 * on the writer's thread. */
	struct tsr_output *output = (state ? state : server->outputs[0])->output;
	struct tsr_buffer *image = NULL;
	if (output->impl->capture)
		image = output->impl->capture(output, err, err_len);
	if (!image && !output->last_presented) {
		if (!output->impl->capture)
			snprintf(err, err_len, "output %s has not shown a frame yet", output->name);
		return false;
	}
	if (!image) {
		image = tsr_buffer_copy_memory(output->last_presented);
		if (!image) {
			snprintf(err, err_len, "out of memory for a %ux%u copy", output->width,
				 output->height);
			return false;
		}
	}
	return tsr_screenshot_writer_start(server->screenshots, path, image, done, data, err,
					   err_len);
}

void tsr_server_screenshot_forget(struct tsr_server *server, void *data)
{
	tsr_screenshot_writer_forget(server->screenshots, data);
}

struct tsr_server_stats tsr_server_get_stats(const struct tsr_server *server)
{
	struct tsr_server_stats stats = {0};
	for (size_t i = 0; i < server->output_count; i++) {
		stats.frames += server->outputs[i]->frames_presented;
		stats.pixels_drawn += server->outputs[i]->pixels_drawn;
		stats.latency_sum_ns += server->outputs[i]->latency_sum_ns;
		stats.latency_count += server->outputs[i]->latency_count;
	}
	return stats;
}

void tsr_server_attach_seat(struct tsr_server *server, struct tsr_seat *seat)
{
	server->seat = seat;
	if (!seat)
		return;
	update_seat(server);
	tsr_seat_set_focus(seat, tsr_server_focused(server));
	tsr_seat_set_locked(seat, server->locked);
}

bool tsr_server_locked(const struct tsr_server *server)
{
	return server->locked;
}

void tsr_server_set_locked(struct tsr_server *server, bool locked)
{
	server->locked = locked;
	if (server->seat)
		tsr_seat_set_locked(server->seat, locked);
}

void tsr_server_lock_changed(struct tsr_server *server)
{
	for (size_t i = 0; i < server->output_count; i++)
		server->outputs[i]->lock_shown = false;
	tsr_server_damage_all(server);
	/* Surfaces waiting for frame-done switch clocks: shown ones are paced
	 * by output frames again, hidden ones by the 1 Hz timer. */
	tsr_server_schedule_frame(server, !server->locked);
	tsr_server_schedule_frame(server, false);
	update_read_deferral(server);
}

struct tsr_seat *tsr_server_seat(const struct tsr_server *server)
{
	return server->seat;
}

struct tsr_msg *tsr_server_input_scratch(struct tsr_server *server)
{
	return server->input_scratch;
}

void tsr_server_attach_lock(struct tsr_server *server, struct tsr_lock *lock)
{
	server->lock = lock;
}

struct tsr_lock *tsr_server_lock_screen(const struct tsr_server *server)
{
	return server->lock;
}

void tsr_server_attach_suspend_lock(struct tsr_server *server, struct tsr_suspend_lock *suspend,
				    void (*lock_shown)(struct tsr_suspend_lock *suspend))
{
	server->suspend_lock = suspend;
	server->lock_shown = suspend ? lock_shown : NULL;
}

struct tsr_suspend_lock *tsr_server_suspend_lock(const struct tsr_server *server)
{
	return server->suspend_lock;
}

void tsr_server_guest_ready(struct tsr_server *server, int index)
{
	if (!server->seat || index != tsr_server_focused(server))
		return;
	tsr_seat_domain_removed(server->seat, index);
	tsr_seat_set_focus(server->seat, index);
}

void tsr_server_guest_gone(struct tsr_server *server, int index)
{
	if (!server->seat)
		return;
	tsr_seat_domain_removed(server->seat, index);
	if (index == tsr_server_focused(server))
		tsr_seat_set_focus(server->seat, index);
}

static void damage_cursor(struct tsr_server *server)
{
	if (!server->cursor_visible)
		return;
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output_state *state = server->outputs[i];
		struct tsr_buffer *cursor =
		    tsr_decorations_cursor(server->decorations, state->scale);
		if (!cursor)
			continue;
		/* Output coordinates: the cursor may straddle two outputs. */
		pixman_box32_t box = {server->cursor_x - state->box.x1,
				      server->cursor_y - state->box.y1,
				      server->cursor_x - state->box.x1 + (int32_t)cursor->width,
				      server->cursor_y - state->box.y1 + (int32_t)cursor->height};
		if (!state->hardware_cursor && box.x2 > 0 && box.y2 > 0 &&
		    box.x1 < (int32_t)state->output->width &&
		    box.y1 < (int32_t)state->output->height)
			tsr_server_damage_box(server, state, &box);
	}
}

/* Larger than any cursor plane Tessera uses (KMS_CURSOR_SIZE is 64). */
#define HIDDEN_CURSOR_MARGIN 256

void tsr_server_cursor_moved(struct tsr_server *server, int32_t x, int32_t y)
{
	damage_cursor(server);
	server->cursor_x = x;
	server->cursor_y = y;
	server->cursor_visible = true;
	for (size_t i = 0; i < server->output_count; i++)
		try_hardware_cursor(server, server->outputs[i]);
	damage_cursor(server);
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output_state *state = server->outputs[i];
		if (!state->hardware_cursor)
			continue;
		/* On another output the plane waits just off this one's edge:
		 * invisible, with coordinates every driver accepts. */
		int64_t local_x = (int64_t)x - state->box.x1, local_y = (int64_t)y - state->box.y1;
		int64_t right = state->output->width, bottom = state->output->height;
		local_x = local_x < -HIDDEN_CURSOR_MARGIN ? -HIDDEN_CURSOR_MARGIN
			  : local_x > right		  ? right
							  : local_x;
		local_y = local_y < -HIDDEN_CURSOR_MARGIN ? -HIDDEN_CURSOR_MARGIN
			  : local_y > bottom		  ? bottom
							  : local_y;
		state->output->impl->move_cursor(state->output, (int32_t)local_x, (int32_t)local_y);
	}
}

bool tsr_server_cursor(const struct tsr_server *server, int32_t *x, int32_t *y)
{
	*x = server->cursor_x;
	*y = server->cursor_y;
	return server->cursor_visible;
}

bool tsr_server_lock_shown(const struct tsr_server *server)
{
	if (!server->locked)
		return false;
	for (size_t i = 0; i < server->output_count; i++)
		if (!server->outputs[i]->lock_shown)
			return false;
	return true;
}

const struct tsr_output_views *tsr_server_test_views(const struct tsr_server *server)
{
	return &server->views;
}

#ifdef TSR_TEST_HOOKS
void tsr_server_test_set_scanout(struct tsr_server *server, bool allowed)
{
	server->test_scanout_off = !allowed;
	tsr_server_damage_all(server);
}

size_t tsr_server_test_hold_frames(struct tsr_server *server, enum tsr_test_frames what,
				   const struct tsr_output_state *only)
{
	size_t count = 0;
	server->test_frames_held = false;
	for (size_t i = 0; i < server->output_count; i++) {
		struct tsr_output_state *state = server->outputs[i];
		if (!state->frame_held || (only && state != only))
			continue;
		count++;
		if (what == TSR_TEST_FRAMES_HOLD)
			continue;
		state->frame_held = false;
		frame_reached_screen(state, state->held_frame_ns);
	}
	server->test_frames_held = what != TSR_TEST_FRAMES_RELEASE;
	return count;
}
#endif
