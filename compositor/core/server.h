/* The compositor's state: domains, outputs, layout, focus. One per
 * process, owned by main(). struct tsr_server is opaque: only server.c
 * sees inside; the others read and change it through the functions here
 * (tests that need more use core/server_testing.h). */
#ifndef TSR_CORE_SERVER_H
#define TSR_CORE_SERVER_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/layout.h"
#include "core/output_views.h"
#include "core/scanout.h"
#include "core/screenshot_writer.h"
#include "tessera/config.h"
#include "tessera/output.h"
#include "util/log_limit.h"

#define TSR_MAX_OUTPUTS TSR_VIEWS_MAX_OUTPUTS
#define TSR_DAMAGE_HISTORY 4u

struct tsr_server;
struct tsr_event_loop;
struct tsr_event_source;
struct tsr_renderer;
struct tsr_font;
struct tsr_domain;
struct tsr_decorations;
struct tsr_seat;
struct tsr_lock;
struct tsr_suspend_lock;
struct tsr_backend;
struct tsr_msg;

struct tsr_output_state {
	struct tsr_server *server;
	struct tsr_output *output;
	struct tsr_layout layout;
	/* Where it lies in the global layout space (core/arrangement.h); the
	 * cursor and the seat's pointer are in that space, everything else
	 * of an output in its own coordinates. */
	pixman_box32_t box;
	/* Decorations and the cursor are drawn at this integer scale
	 * (core/output_scale.h), guest content 1:1; fixed when it is added. */
	uint32_t scale;
	pixman_region32_t damage; /* not yet drawn, output coordinates */
	/* damage of the last frames, newest first, for buffer age */
	pixman_region32_t history[TSR_DAMAGE_HISTORY];
	bool frame_pending; /* a presented frame has not reached the screen */
	struct tsr_event_source *repaint_idle;
	struct tsr_event_source *tick_timer; /* frame pacing when nothing is drawn */
	bool tick_armed;
	bool hardware_cursor; /* the output's cursor plane shows the pointer */
	uint64_t frames_presented;
	uint64_t pixels_drawn; /* sum of rendered region areas, for tests */
	/* Damage-to-present latency: from the moment damage arrives on an
	 * idle output to the backend accepting the frame (the atomic commit). */
	uint64_t damage_since_ns;
	uint64_t latency_sum_ns;
	uint64_t latency_count;
	/* The frame on its way to the screen was drawn locked; the lock
	 * screen has reached the screen since the lock began. */
	bool lock_frame_pending;
	bool lock_shown;
	/* "the draw list breaks the frame property" would come every repaint
	 * while a layout bug lasts: bounded like what a peer can trigger. */
	struct tsr_log_limit draw_refusal_log;
	/* Direct scanout of the focused domain's buffer (core/scanout.h). */
	struct tsr_scanout_state scanout;
#ifdef TSR_TEST_HOOKS
	bool frame_held; /* a frame event kept back by test-hold-frames */
	uint64_t held_frame_ns;
#endif
};

struct tsr_server_stats {
	uint64_t frames;
	uint64_t pixels_drawn;
	uint64_t latency_sum_ns, latency_count;
};

/* What the server cannot do itself: the GPU passthrough
 * (core/gpu_policy.h), set by main when it is configured. */
struct tsr_server_gpu_hooks {
	void (*handoff)(void *data);
	/* "gpu ARGUMENT" control commands; writes one reply line. */
	void (*command)(void *data, const char *argument, char *reply, size_t reply_len);
	/* The lock engaged: take the GPU back if a domain has it. */
	void (*lock)(void *data);
	void *data;
};

/* Creates the server for config (which must outlive it): renderer, font,
 * domains (without transports). Outputs arrive via tsr_server_add_output. */
struct tsr_server *tsr_server_create(struct tsr_event_loop *loop, const struct tsr_config *config,
				     char *err, size_t err_len);
void tsr_server_destroy(struct tsr_server *server);

/* What transports are given of the server (core/guest_directory.h). */
struct tsr_guest_directory *tsr_server_guests(struct tsr_server *server);

/* What the server was made with. */
struct tsr_event_loop *tsr_server_loop(const struct tsr_server *server);
const struct tsr_config *tsr_server_config(const struct tsr_server *server);
/* The configured domains, by index (the config's), and how many there
 * are. NULL past the count. */
size_t tsr_server_domain_count(const struct tsr_server *server);
struct tsr_domain *tsr_server_domain(const struct tsr_server *server, size_t index);
/* The outputs in the order they came, and how many there are now (an
 * output's index changes when an earlier one goes). NULL past the count. */
size_t tsr_server_output_count(const struct tsr_server *server);
struct tsr_output_state *tsr_server_output(const struct tsr_server *server, size_t index);
/* Every output's box in the global layout space, in that order; returns
 * how many there are. */
size_t tsr_server_output_boxes(const struct tsr_server *server,
			       pixman_box32_t boxes[TSR_MAX_OUTPUTS]);
/* What draws every output: pixman until main sets the configured one,
 * before any output exists (the one it replaces is destroyed). */
struct tsr_renderer *tsr_server_renderer(const struct tsr_server *server);
void tsr_server_set_renderer(struct tsr_server *server, struct tsr_renderer *renderer);
/* Labels, banner texts and the cursor, per scale. */
struct tsr_decorations *tsr_server_decorations(const struct tsr_server *server);

/* The main loop runs until tsr_server_stop: the quit command, a stop
 * signal, the end of the demo. */
bool tsr_server_running(const struct tsr_server *server);
void tsr_server_stop(struct tsr_server *server);
/* main's output backend (NULL with GPU passthrough), for the test-hotplug
 * control command only. */
void tsr_server_set_backend(struct tsr_server *server, struct tsr_backend *backend);
struct tsr_backend *tsr_server_backend(const struct tsr_server *server);

/* The GPU passthrough, once main has set its hooks. Handoff and command
 * return false when it is not configured (nothing is done). */
void tsr_server_set_gpu_hooks(struct tsr_server *server, const struct tsr_server_gpu_hooks *hooks);
bool tsr_server_gpu_handoff(struct tsr_server *server);
bool tsr_server_gpu_command(struct tsr_server *server, const char *argument, char *reply,
			    size_t reply_len);
void tsr_server_gpu_lock(struct tsr_server *server);

/* A backend listener that adds outputs to the server (data = server). */
void tsr_server_add_output(void *server, struct tsr_output *output);

/* Policy entry points, used by the control interface, hotkeys and demo.
 * Without an output argument they act on the output under the pointer
 * (tsr_server_pointer_output). Focusing gives the domain the keyboard and
 * shows it on that output (core/output_views.h: an output that showed it
 * takes what this one showed). */
bool tsr_server_focus(struct tsr_server *server, int domain_index);
void tsr_server_set_layout(struct tsr_server *server, enum tsr_layout_mode mode);
bool tsr_server_focus_on(struct tsr_server *server, struct tsr_output_state *output,
			 int domain_index);
void tsr_server_set_layout_on(struct tsr_server *server, struct tsr_output_state *output,
			      enum tsr_layout_mode mode);
/* The output under the pointer (the first one before the pointer moved
 * onto another), or NULL without outputs. */
struct tsr_output_state *tsr_server_pointer_output(const struct tsr_server *server);
/* The output of that name, or NULL. */
struct tsr_output_state *tsr_server_find_output(const struct tsr_server *server, const char *name);
/* The index tsr_server_output knows output by. */
size_t tsr_server_output_index(const struct tsr_server *server,
			       const struct tsr_output_state *output);
/* The layout mode of the pointer's output (mosaic without outputs). */
enum tsr_layout_mode tsr_server_mode(const struct tsr_server *server);
/* The layout mode of output, and the domain it shows in the focus layout
 * (-1 for none). */
enum tsr_layout_mode tsr_server_output_mode(const struct tsr_server *server,
					    const struct tsr_output_state *output);
int tsr_server_output_shown(const struct tsr_server *server, const struct tsr_output_state *output);
/* The domain with the keyboard (the one owner of focus), or -1 without
 * domains. */
int tsr_server_focused(const struct tsr_server *server);

/* Marks a region of an output dirty (all outputs if output is NULL) and
 * schedules a repaint. */
void tsr_server_damage_box(struct tsr_server *server, struct tsr_output_state *output,
			   const pixman_box32_t *box);
void tsr_server_damage_all(struct tsr_server *server);
/* A domain's surface changed: damage (surface coordinates) its content area
 * on every output. NULL region: the whole content area. */
void tsr_server_damage_domain(struct tsr_server *server, int domain_index,
			      const pixman_region32_t *surface_damage);
/* A display of a fixed-size domain changed: damage (its coordinates, NULL:
 * all of it) mapped through its view, with the scaling filter's footprint. */
void tsr_server_damage_display(struct tsr_server *server, int domain_index, uint32_t surface_id,
			       const pixman_region32_t *surface_damage);
/* A fixed-size domain gained, lost or resized a display: lay the outputs
 * out again and redraw its content area. */
void tsr_server_domain_displays_changed(struct tsr_server *server, int domain_index);
/* Whether domain index is laid out on any output. */
bool tsr_server_domain_visible(const struct tsr_server *server, int index);

/* A surface waits for frame-done: make sure a frame tick comes (shown:
 * the surface is on screen, paced by output frames; else by the 1 Hz
 * timer of hidden surfaces). */
void tsr_server_schedule_frame(struct tsr_server *server, bool shown);

/* The content size a domain's surface should use: on the output showing it
 * in the focus layout, else its tile on the first output in the mosaic,
 * else (hidden) the focus layout of the first output, for when it will be
 * shown. */
void tsr_server_content_size(struct tsr_server *server, int domain_index, uint32_t *width,
			     uint32_t *height);

/* Starts writing what output (NULL: the first one) shows (the frame of this moment) to
 * a PNG at path, off the loop (core/screenshot_writer.h); done runs on the
 * loop once the file is in place or not. False, with err, when it cannot
 * start: no frame yet, the capture failed, too many screenshots at once. */
bool tsr_server_screenshot(struct tsr_server *server, struct tsr_output_state *output,
			   const char *path, tsr_screenshot_done_func done, void *data, char *err,
			   size_t err_len);
/* Forgets the callbacks of screenshots started with data. */
void tsr_server_screenshot_forget(struct tsr_server *server, void *data);

struct tsr_server_stats tsr_server_get_stats(const struct tsr_server *server);

/* Input: the seat follows focus and layout changes from now on (NULL: no
 * seat any more). tsr_server_seat is NULL without input. */
void tsr_server_attach_seat(struct tsr_server *server, struct tsr_seat *seat);
struct tsr_seat *tsr_server_seat(const struct tsr_server *server);
/* Input messages are built here, one at a time (core/input_policy.c): a
 * zeroed struct tsr_msg on the stack would cost 64 KiB of memset per
 * event. Only the union member its type names is meaningful. */
struct tsr_msg *tsr_server_input_scratch(struct tsr_server *server);
/* Where the pointer is in the global layout space; false while there is
 * no cursor (before the first pointer motion). */
bool tsr_server_cursor(const struct tsr_server *server, int32_t *x, int32_t *y);
/* A guest of domain index finished HELLO / went away: the seat re-announces
 * focus to a new guest and forgets what it gave an old one. */
void tsr_server_guest_ready(struct tsr_server *server, int index);
void tsr_server_guest_gone(struct tsr_server *server, int index);
/* (x, y) in the global layout space. */
void tsr_server_cursor_moved(struct tsr_server *server, int32_t x, int32_t y);
/* The lock screen is up: no guest pixel is drawn, no domain counts as
 * visible (guests are paced at the hidden rate), the layout and focus are
 * kept as they were for unlocking. */
bool tsr_server_locked(const struct tsr_server *server);
/* core/lock.c only, as the lock engages or ends: the seat is told at once
 * (locked, from here on no event reaches a guest); once the lock's own
 * state is in place, tsr_server_lock_changed. */
void tsr_server_set_locked(struct tsr_server *server, bool locked);
/* tsr_server_locked changed: redraw everything, repace guests. */
void tsr_server_lock_changed(struct tsr_server *server);
/* The lock screen (core/lock.c attaches it as it is made, NULL detaches),
 * NULL until main creates it. */
void tsr_server_attach_lock(struct tsr_server *server, struct tsr_lock *lock);
struct tsr_lock *tsr_server_lock_screen(const struct tsr_server *server);
/* The lock before suspend (core/suspend_lock.c; NULL: nothing inhibits
 * suspend, and detaches): lock_shown(suspend) runs when, while locked,
 * every output has shown the lock screen, or the last one still missing
 * it went away. */
void tsr_server_attach_suspend_lock(struct tsr_server *server, struct tsr_suspend_lock *suspend,
				    void (*lock_shown)(struct tsr_suspend_lock *suspend));
struct tsr_suspend_lock *tsr_server_suspend_lock(const struct tsr_server *server);
/* Locked, and every output has shown a frame drawn while locked (its page
 * flip or simulated vblank came): true at once without outputs. */
bool tsr_server_lock_shown(const struct tsr_server *server);
#ifdef TSR_TEST_HOOKS
/* Outputs' frame events (a presented frame reaching the screen): HOLD
 * keeps them back from now on and returns how many outputs have one held;
 * STEP delivers the held ones and keeps holding the next; RELEASE delivers
 * them and stops holding. STEP and RELEASE return how many they delivered.
 * only: that output's alone (NULL: every output's). */
enum tsr_test_frames {
	TSR_TEST_FRAMES_HOLD,
	TSR_TEST_FRAMES_STEP,
	TSR_TEST_FRAMES_RELEASE,
};
size_t tsr_server_test_hold_frames(struct tsr_server *server, enum tsr_test_frames what,
				   const struct tsr_output_state *only);
/* test-scanout on|off: whether any output may scan a guest out. */
void tsr_server_test_set_scanout(struct tsr_server *server, bool allowed);
#endif

#endif
