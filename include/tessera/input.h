/* The trusted seat: physical key and pointer state, the secure-hotkey filter
 * and the focus router. Pure logic, no I/O: the evdev layer (input devices)
 * feeds it, the compositor receives its output through a listener table.
 *
 * Domains are indices 0..TSR_MAX_DOMAINS-1 (the compositor's numbering);
 * -1 means "no domain".
 *
 * Secure hotkeys (the rule this file implements, and tests/input checks):
 *
 *  - Modifiers are Ctrl, Alt, Shift and Meta; the left and right keys of a
 *    pair count as the same modifier. A hotkey fires when its final key is
 *    pressed while the set of held modifiers is exactly the hotkey's set.
 *    Other non-modifier keys that happen to be held do not stop it: the
 *    secure attention keys must always work.
 *  - Strict rule: a modifier press is held back (pending) while the set of
 *    held modifiers could still become some hotkey's set. It is forwarded to
 *    the focused domain, in the original order and with its original time,
 *    as soon as something shows it is not part of a chord: a non-hotkey key
 *    press, a modifier that leaves every hotkey's set, its own release (the
 *    guest then sees a tap), or a button press or scroll delivered to the
 *    focused domain (Ctrl+click, Ctrl+wheel). So for a chord typed from a
 *    clean state the guest sees nothing at all: no Ctrl, no Alt, no '1'.
 *  - If a chord modifier had already been forwarded (e.g. Ctrl held, 'c'
 *    typed, then Alt+1), the seat sends the focused domain a release for it
 *    before anything else happens: the guest may have seen Ctrl go down, but
 *    never Ctrl+Alt+1 as a combination and never the '1'.
 *  - The final key press and every modifier held at that moment are then
 *    swallowed: their repeats and physical releases are never forwarded,
 *    even after a focus change. A swallowed modifier stays swallowed until
 *    it is physically released.
 *  - Only then does the listener's action() run.
 *
 * Focus router: keyboard events go to the focused domain only. On a focus
 * change the old domain receives releases for every key and button it has
 * been given as pressed, then focus_out; the new one focus_in with the keys
 * physically held (less swallowed and pending ones), which it then owns:
 * their releases go to it. Pointer buttons are delivered to the focused
 * domain only (a press in mosaic over another domain asks the compositor to
 * focus it and is swallowed with its release); motion and scroll go to the
 * focused domain in the focus layout and to the domain under the pointer in
 * mosaic. No event is delivered to two domains.
 *
 * Lock (tsr_seat_set_locked): while locked no key, button, motion or
 * scroll reaches any domain and no hotkey fires, whatever happens to focus
 * meanwhile. Locking gives the focused domain releases for all it holds and
 * a focus-out; every key and button held or pressed while locked is
 * swallowed up to its physical release. Keys go to lock_key instead (the
 * password typed into Tessera). Unlocking gives focus-in to the domain
 * that had focus (or was given it meanwhile by tsr_seat_set_focus).
 *
 * Several devices may hold the same key: tsr_seat_key counts presses per
 * code, so a device must only report its own transitions (press when it was
 * up, release when it was down), which the evdev layer guarantees. */
#ifndef TESSERA_INPUT_H
#define TESSERA_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/config.h"
#include "tessera/protocol.h" /* enum tsr_key_state */

enum tsr_button_state {
	TSR_BUTTON_RELEASED = 0,
	TSR_BUTTON_PRESSED = 1,
};

enum tsr_pointer_axis {
	TSR_AXIS_VERTICAL,   /* steps as evdev REL_WHEEL: positive scrolls up */
	TSR_AXIS_HORIZONTAL, /* steps as evdev REL_HWHEEL: positive scrolls right */
};

/* Callbacks run synchronously from the tsr_seat_* input calls. action and
 * focus_clicked may call tsr_seat_set_focus / tsr_seat_set_mosaic; the
 * deliver_* callbacks must not call back into the seat. All are required. */
struct tsr_seat_listener {
	/* A secure hotkey fired. */
	void (*action)(void *data, enum tsr_action action, int argument);
	/* A button press in mosaic over a domain that does not have focus. */
	void (*focus_clicked)(void *data, int domain);
	/* Returns the domain whose content lies under (x, y) in output
	 * coordinates and stores the point relative to that content, or
	 * returns -1 (background, borders, labels, banner). */
	int (*pick_domain)(void *data, int32_t x, int32_t y, int32_t *local_x, int32_t *local_y);

	void (*deliver_key)(void *data, int domain, uint32_t code, enum tsr_key_state state,
			    uint64_t time_ns);
	/* held: evdev codes in ascending order, valid during the call only. */
	void (*deliver_focus_in)(void *data, int domain, const uint32_t *held, size_t count);
	void (*deliver_focus_out)(void *data, int domain);
	void (*deliver_motion)(void *data, int domain, int32_t local_x, int32_t local_y,
			       uint64_t time_ns);
	void (*deliver_button)(void *data, int domain, uint32_t button, enum tsr_button_state state,
			       uint64_t time_ns);
	void (*deliver_axis)(void *data, int domain, enum tsr_pointer_axis axis, int32_t steps,
			     uint64_t time_ns);
	/* Optional: the cursor moved (output coordinates), whoever gets the
	 * motion; the compositor redraws its cursor there. */
	void (*cursor_moved)(void *data, int32_t x, int32_t y);
	/* Optional: every key event while locked (repeats too), in place of
	 * any delivery. */
	void (*lock_key)(void *data, uint32_t code, enum tsr_key_state state, uint64_t time_ns);
	/* Optional: moves the pointer (already clamped to the output size)
	 * onto the nearest point that is shown, when the outputs of a
	 * several-output arrangement do not fill their bounding box. */
	void (*constrain_pointer)(void *data, int32_t *x, int32_t *y);
	/* Optional: some physical input arrived (the idle timer restarts). */
	void (*activity)(void *data);
};

struct tsr_seat;

/* Hotkey modifiers must be Ctrl/Alt/Shift/Meta codes (either side) and the
 * final key must not be one; returns NULL (and logs why) otherwise. The
 * hotkeys are copied. Starts with no focus, focus layout, output 1x1. */
struct tsr_seat *tsr_seat_create(const struct tsr_hotkey *hotkeys, size_t hotkey_count,
				 const struct tsr_seat_listener *listener, void *data);
void tsr_seat_destroy(struct tsr_seat *seat); /* accepts NULL */

/* Keyboard keys (evdev codes below BTN_MISC or from KEY_OK up). */
void tsr_seat_key(struct tsr_seat *seat, uint32_t code, enum tsr_key_state state, uint64_t time_ns);

/* Pointer. Buttons are BTN_LEFT..BTN_TASK; others are ignored. */
void tsr_seat_pointer_motion_relative(struct tsr_seat *seat, int32_t dx, int32_t dy,
				      uint64_t time_ns);
/* (x, y) already scaled to the output; clamped to it. */
void tsr_seat_pointer_motion_absolute(struct tsr_seat *seat, int32_t x, int32_t y,
				      uint64_t time_ns);
void tsr_seat_button(struct tsr_seat *seat, uint32_t button, enum tsr_button_state state,
		     uint64_t time_ns);
void tsr_seat_axis(struct tsr_seat *seat, enum tsr_pointer_axis axis, int32_t steps,
		   uint64_t time_ns);

/* The devices layer found that the kernel dropped events of a device
 * before they were read (evdev SYN_DROPPED) and resynchronised it; counted
 * here so the compositor can report it (`status`: input_resyncs). */
void tsr_seat_note_resync(struct tsr_seat *seat);
uint64_t tsr_seat_resync_count(const struct tsr_seat *seat);

/* Called by the compositor (not by guests) after it changed focus or
 * layout. domain -1: nobody has focus. Out of range counts as -1. */
void tsr_seat_set_focus(struct tsr_seat *seat, int domain);
/* While locked: the domain unlocking will focus. */
int tsr_seat_get_focus(const struct tsr_seat *seat);
/* The lock, see above. Idempotent. */
void tsr_seat_set_locked(struct tsr_seat *seat, bool locked);
bool tsr_seat_locked(const struct tsr_seat *seat);
void tsr_seat_set_mosaic(struct tsr_seat *seat, bool mosaic);

/* The domain is gone: forget what it was given, without calling it. If it
 * had focus, nobody has focus until tsr_seat_set_focus. */
void tsr_seat_domain_removed(struct tsr_seat *seat, int domain);

/* The pointer is clamped to [0, width-1] x [0, height-1] (with several
 * outputs: their bounding box in the global layout space, then
 * constrain_pointer). */
void tsr_seat_set_output_size(struct tsr_seat *seat, uint32_t width, uint32_t height);
void tsr_seat_get_output_size(const struct tsr_seat *seat, uint32_t *width, uint32_t *height);
/* Where the compositor draws the cursor, in output coordinates. */
void tsr_seat_get_cursor(const struct tsr_seat *seat, int32_t *x, int32_t *y);

/* Evdev devices (libudev + libevdev), grabbed with EVIOCGRAB, hot-plugged
 * through a udev monitor, feeding the seat from the event loop. */
struct tsr_event_loop;
struct tsr_input_devices;

struct tsr_input_devices_options {
	/* Fail (startup) or refuse (hot-plug) a device that cannot be
	 * grabbed, naming it. Only for tests and debugging set it false. */
	bool require_grab;
	/* If not NULL, only devices with exactly this name are used (tests). */
	const char *only_name;
};

struct tsr_input_devices *tsr_input_devices_create(struct tsr_event_loop *loop,
						   struct tsr_seat *seat,
						   const struct tsr_input_devices_options *options);
void tsr_input_devices_destroy(struct tsr_input_devices *devices); /* accepts NULL */
/* How many devices are open (for tests and the status line). */
size_t tsr_input_devices_count(const struct tsr_input_devices *devices);

#endif
