/* The seat: physical input state, the secure-hotkey filter and the focus
 * router. The rules are spelled out in tessera/input.h.
 *
 * Why the strict rule (holding chord modifiers back) is safe to implement:
 * a held-back modifier is always flushed before any event that could depend
 * on it reaches the focused domain (key press, button, scroll, its own
 * release), in press order and with its press time, so the guest's view is
 * a consistent, merely later, key sequence. Motion is not a flush point: it
 * carries no modifier state in any guest protocol we deliver to. Repeats of
 * a held-back modifier are dropped; guests synthesise their own repeat
 * anyway. The price is that a guest sees a lone Ctrl tap at release time
 * instead of press time, which nothing relies on. */
#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "hotkey.h"
#include "tessera/event_loop.h"
#include "tessera/input.h"
#include "tessera/log.h"

#define SEAT_BUTTON_COUNT (BTN_TASK - BTN_MOUSE + 1)

struct pending_modifier {
	uint32_t code;
	uint64_t time_ns;
};

struct tsr_seat {
	struct tsr_seat_listener listener;
	void *data;

	struct tsr_chord chords[TSR_MAX_HOTKEYS];
	size_t chord_count;

	/* Physical state: how many devices hold each key or button down. */
	uint8_t key_presses[KEY_CNT];
	uint8_t button_presses[SEAT_BUTTON_COUNT];

	/* Keys and buttons the focused domain was given as pressed. Only the
	 * focused domain can hold any: a focus change releases them all. */
	bool key_delivered[KEY_CNT];
	bool button_delivered[SEAT_BUTTON_COUNT];

	/* Held, but their presses and releases go to nobody. */
	bool key_swallowed[KEY_CNT];
	bool button_swallowed[SEAT_BUTTON_COUNT];

	/* Modifier presses held back because they may start a chord. */
	struct pending_modifier pending[TSR_MODIFIER_KEY_COUNT];
	size_t pending_count;

	int focus;
	bool mosaic;

	/* Locked: nothing reaches any domain; focus is what unlocking
	 * restores (tsr_seat_set_focus only changes that meanwhile). */
	bool locked;
	int locked_focus;

	int32_t cursor_x, cursor_y;
	uint32_t output_width, output_height;

	uint64_t resyncs; /* kernel overruns the devices layer recovered from */
};

static bool is_keyboard_key(uint32_t code)
{
	return code <= KEY_MAX && (code < BTN_MISC || code >= KEY_OK);
}

static bool button_index(uint32_t button, size_t *index)
{
	if (button < BTN_MOUSE || button > BTN_TASK) {
		return false;
	}
	*index = button - BTN_MOUSE;
	return true;
}

static int valid_domain_or_none(int domain)
{
	return domain >= 0 && (unsigned)domain < TSR_MAX_DOMAINS ? domain : -1;
}

struct tsr_seat *tsr_seat_create(const struct tsr_hotkey *hotkeys, size_t hotkey_count,
				 const struct tsr_seat_listener *listener, void *data)
{
	if (hotkey_count > TSR_MAX_HOTKEYS) {
		tsr_log(TSR_LOG_ERROR, "input: %zu hotkeys, at most %u", hotkey_count,
			TSR_MAX_HOTKEYS);
		return NULL;
	}
	struct tsr_seat *seat = calloc(1, sizeof(*seat));
	if (seat == NULL) {
		tsr_log(TSR_LOG_ERROR, "input: out of memory for the seat");
		return NULL;
	}
	for (size_t i = 0; i < hotkey_count; i++) {
		char err[128];
		if (!tsr_chord_from_hotkey(&hotkeys[i], &seat->chords[i], err, sizeof(err))) {
			tsr_log(TSR_LOG_ERROR, "input: hotkey %zu: %s", i + 1, err);
			free(seat);
			return NULL;
		}
	}
	seat->chord_count = hotkey_count;
	seat->listener = *listener;
	seat->data = data;
	seat->focus = -1;
	seat->locked_focus = -1;
	seat->output_width = 1;
	seat->output_height = 1;
	return seat;
}

void tsr_seat_destroy(struct tsr_seat *seat)
{
	free(seat);
}

/* The modifiers physically held, as chord bits. */
static uint32_t held_modifiers(const struct tsr_seat *seat)
{
	static const uint32_t modifier_keys[] = {
	    KEY_LEFTCTRL,  KEY_RIGHTCTRL,  KEY_LEFTALT,	 KEY_RIGHTALT,
	    KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_LEFTMETA, KEY_RIGHTMETA,
	};
	uint32_t modifiers = 0;
	for (size_t i = 0; i < sizeof(modifier_keys) / sizeof(modifier_keys[0]); i++) {
		if (seat->key_presses[modifier_keys[i]] > 0) {
			modifiers |= tsr_modifier_of_key(modifier_keys[i]);
		}
	}
	return modifiers;
}

static void deliver_key_press(struct tsr_seat *seat, uint32_t code, uint64_t time_ns)
{
	if (seat->focus < 0) {
		return;
	}
	seat->key_delivered[code] = true;
	seat->listener.deliver_key(seat->data, seat->focus, code, TSR_KEY_PRESSED, time_ns);
}

static void deliver_key_release(struct tsr_seat *seat, uint32_t code, uint64_t time_ns)
{
	if (!seat->key_delivered[code]) {
		return;
	}
	seat->key_delivered[code] = false;
	seat->listener.deliver_key(seat->data, seat->focus, code, TSR_KEY_RELEASED, time_ns);
}

static ssize_t find_pending(const struct tsr_seat *seat, uint32_t code)
{
	for (size_t i = 0; i < seat->pending_count; i++) {
		if (seat->pending[i].code == code) {
			return (ssize_t)i;
		}
	}
	return -1;
}

static void remove_pending(struct tsr_seat *seat, size_t index)
{
	memmove(&seat->pending[index], &seat->pending[index + 1],
		(seat->pending_count - index - 1) * sizeof(seat->pending[0]));
	seat->pending_count--;
}

/* Forwards every held-back modifier press, oldest first. */
static void flush_pending(struct tsr_seat *seat)
{
	for (size_t i = 0; i < seat->pending_count; i++) {
		deliver_key_press(seat, seat->pending[i].code, seat->pending[i].time_ns);
	}
	seat->pending_count = 0;
}

/* Takes every held modifier and the final key away from the guest: what it
 * was given is released now, the rest is dropped; none of them reaches any
 * domain again until physically released. */
static void swallow_chord(struct tsr_seat *seat, uint32_t final_key, uint64_t time_ns)
{
	seat->key_swallowed[final_key] = true;
	seat->pending_count = 0;
	for (uint32_t code = 0; code < KEY_CNT; code++) {
		if (seat->key_presses[code] == 0 || tsr_modifier_of_key(code) == 0) {
			continue;
		}
		deliver_key_release(seat, code, time_ns);
		seat->key_swallowed[code] = true;
	}
}

/* Locked: every key goes to the lock screen and is swallowed, so not even
 * its release reaches a domain after unlocking. */
static void locked_key(struct tsr_seat *seat, uint32_t code, enum tsr_key_state state,
		       uint64_t time_ns)
{
	if (state == TSR_KEY_PRESSED) {
		if (seat->key_presses[code] == UINT8_MAX || seat->key_presses[code]++ > 0)
			return;
		seat->key_swallowed[code] = true;
	} else if (state == TSR_KEY_RELEASED) {
		if (seat->key_presses[code] == 0 || --seat->key_presses[code] > 0)
			return;
		seat->key_swallowed[code] = false;
	} else if (seat->key_presses[code] == 0) {
		return;
	}
	if (seat->listener.lock_key)
		seat->listener.lock_key(seat->data, code, state, time_ns);
}

static void key_pressed(struct tsr_seat *seat, uint32_t code, uint64_t time_ns)
{
	if (seat->key_presses[code] == UINT8_MAX) {
		return;
	}
	if (seat->key_presses[code]++ > 0) {
		return; /* another device holds it already */
	}
	uint32_t modifier = tsr_modifier_of_key(code);
	if (modifier == 0) {
		const struct tsr_chord *chord =
		    tsr_chord_match(seat->chords, seat->chord_count, held_modifiers(seat), code);
		if (chord != NULL) {
			enum tsr_action action = chord->action;
			int argument = chord->argument;
			swallow_chord(seat, code, time_ns);
			/* Last: the compositor may change focus from here. */
			seat->listener.action(seat->data, action, argument);
			return;
		}
	} else if (seat->pending_count < TSR_MODIFIER_KEY_COUNT &&
		   tsr_chord_may_start(seat->chords, seat->chord_count, held_modifiers(seat))) {
		/* The bound always holds (each modifier key is pending at most
		 * once); the check only keeps the array write obviously safe. */
		seat->pending[seat->pending_count++] = (struct pending_modifier){code, time_ns};
		return;
	}
	flush_pending(seat);
	deliver_key_press(seat, code, time_ns);
}

static void key_released(struct tsr_seat *seat, uint32_t code, uint64_t time_ns)
{
	if (seat->key_presses[code] == 0 || --seat->key_presses[code] > 0) {
		return;
	}
	if (seat->key_swallowed[code]) {
		seat->key_swallowed[code] = false;
		return;
	}
	ssize_t pending = find_pending(seat, code);
	if (pending >= 0) {
		/* A tap, not a chord: the guest sees press and release. */
		uint64_t press_time = seat->pending[pending].time_ns;
		remove_pending(seat, (size_t)pending);
		deliver_key_press(seat, code, press_time);
	}
	deliver_key_release(seat, code, time_ns);
}

void tsr_seat_key(struct tsr_seat *seat, uint32_t code, enum tsr_key_state state, uint64_t time_ns)
{
	if (!is_keyboard_key(code)) {
		return;
	}
	if (seat->listener.activity)
		seat->listener.activity(seat->data);
	if (seat->locked) {
		locked_key(seat, code, state, time_ns);
		return;
	}
	switch (state) {
	case TSR_KEY_PRESSED:
		key_pressed(seat, code, time_ns);
		break;
	case TSR_KEY_RELEASED:
		key_released(seat, code, time_ns);
		break;
	case TSR_KEY_REPEAT:
		/* Only a domain that was given the press sees repeats: never
		 * for swallowed or held-back keys. */
		if (seat->key_presses[code] > 0 && seat->key_delivered[code]) {
			seat->listener.deliver_key(seat->data, seat->focus, code, TSR_KEY_REPEAT,
						   time_ns);
		}
		break;
	}
}

/* The domain that gets pointer events at the cursor, or -1, and where. */
static int pointer_target(struct tsr_seat *seat, int32_t *local_x, int32_t *local_y)
{
	*local_x = 0;
	*local_y = 0;
	if (seat->locked)
		return -1;
	int domain = valid_domain_or_none(seat->listener.pick_domain(
	    seat->data, seat->cursor_x, seat->cursor_y, local_x, local_y));
	if (!seat->mosaic && domain != seat->focus) {
		return -1; /* the focus layout shows only the focused domain */
	}
	return domain;
}

static int32_t clamp_coordinate(int64_t value, uint32_t size)
{
	if (value < 0) {
		return 0;
	}
	if (value >= (int64_t)size) {
		return (int32_t)size - 1;
	}
	return (int32_t)value;
}

static void pointer_moved(struct tsr_seat *seat, int64_t x, int64_t y, uint64_t time_ns)
{
	if (seat->listener.activity)
		seat->listener.activity(seat->data);
	seat->cursor_x = clamp_coordinate(x, seat->output_width);
	seat->cursor_y = clamp_coordinate(y, seat->output_height);
	if (seat->listener.constrain_pointer) {
		seat->listener.constrain_pointer(seat->data, &seat->cursor_x, &seat->cursor_y);
		seat->cursor_x = clamp_coordinate(seat->cursor_x, seat->output_width);
		seat->cursor_y = clamp_coordinate(seat->cursor_y, seat->output_height);
	}
	if (seat->listener.cursor_moved)
		seat->listener.cursor_moved(seat->data, seat->cursor_x, seat->cursor_y);
	int32_t local_x, local_y;
	int domain = pointer_target(seat, &local_x, &local_y);
	if (domain >= 0) {
		seat->listener.deliver_motion(seat->data, domain, local_x, local_y, time_ns);
	}
}

void tsr_seat_pointer_motion_relative(struct tsr_seat *seat, int32_t dx, int32_t dy,
				      uint64_t time_ns)
{
	pointer_moved(seat, (int64_t)seat->cursor_x + dx, (int64_t)seat->cursor_y + dy, time_ns);
}

void tsr_seat_pointer_motion_absolute(struct tsr_seat *seat, int32_t x, int32_t y, uint64_t time_ns)
{
	pointer_moved(seat, x, y, time_ns);
}

static void button_pressed(struct tsr_seat *seat, uint32_t button, size_t index, uint64_t time_ns)
{
	if (seat->button_presses[index] == UINT8_MAX || seat->button_presses[index]++ > 0) {
		return;
	}
	if (seat->locked) {
		seat->button_swallowed[index] = true;
		return;
	}
	int32_t local_x, local_y;
	int domain = pointer_target(seat, &local_x, &local_y);
	if (domain < 0) {
		return;
	}
	if (domain != seat->focus) {
		/* Mosaic: a click picks a domain; it is not part of its input. */
		seat->button_swallowed[index] = true;
		seat->listener.focus_clicked(seat->data, domain);
		return;
	}
	flush_pending(seat);
	seat->button_delivered[index] = true;
	seat->listener.deliver_button(seat->data, domain, button, TSR_BUTTON_PRESSED, time_ns);
}

static void button_released(struct tsr_seat *seat, uint32_t button, size_t index, uint64_t time_ns)
{
	if (seat->button_presses[index] == 0 || --seat->button_presses[index] > 0) {
		return;
	}
	seat->button_swallowed[index] = false;
	if (seat->button_delivered[index]) {
		/* To the domain that got the press, wherever the pointer is. */
		seat->button_delivered[index] = false;
		seat->listener.deliver_button(seat->data, seat->focus, button, TSR_BUTTON_RELEASED,
					      time_ns);
	}
}

void tsr_seat_button(struct tsr_seat *seat, uint32_t button, enum tsr_button_state state,
		     uint64_t time_ns)
{
	size_t index;
	if (!button_index(button, &index)) {
		return;
	}
	if (seat->listener.activity)
		seat->listener.activity(seat->data);
	if (state == TSR_BUTTON_PRESSED) {
		button_pressed(seat, button, index, time_ns);
	} else {
		button_released(seat, button, index, time_ns);
	}
}

void tsr_seat_axis(struct tsr_seat *seat, enum tsr_pointer_axis axis, int32_t steps,
		   uint64_t time_ns)
{
	if (seat->listener.activity)
		seat->listener.activity(seat->data);
	int32_t local_x, local_y;
	int domain = pointer_target(seat, &local_x, &local_y);
	if (domain < 0 || steps == 0) {
		return;
	}
	if (domain == seat->focus) {
		flush_pending(seat); /* Ctrl+wheel */
	}
	seat->listener.deliver_axis(seat->data, domain, axis, steps, time_ns);
}

/* Takes back everything the focused domain holds, without telling it. */
static void forget_delivered(struct tsr_seat *seat)
{
	memset(seat->key_delivered, 0, sizeof(seat->key_delivered));
	memset(seat->button_delivered, 0, sizeof(seat->button_delivered));
}

void tsr_seat_set_focus(struct tsr_seat *seat, int domain)
{
	domain = valid_domain_or_none(domain);
	if (seat->locked) {
		seat->locked_focus = domain; /* given when unlocking */
		return;
	}
	if (domain == seat->focus) {
		return;
	}
	int old = seat->focus;
	if (old >= 0) {
		uint64_t now = tsr_now_ns(); /* synthetic: no physical event behind it */
		for (uint32_t code = 0; code < KEY_CNT; code++) {
			deliver_key_release(seat, code, now);
		}
		for (size_t i = 0; i < SEAT_BUTTON_COUNT; i++) {
			if (seat->button_delivered[i]) {
				seat->button_delivered[i] = false;
				seat->listener.deliver_button(seat->data, old,
							      BTN_MOUSE + (uint32_t)i,
							      TSR_BUTTON_RELEASED, now);
			}
		}
		seat->listener.deliver_focus_out(seat->data, old);
	}
	seat->focus = domain;
	if (domain < 0) {
		return;
	}
	uint32_t held[KEY_CNT];
	size_t count = 0;
	for (uint32_t code = 0; code < KEY_CNT; code++) {
		if (seat->key_presses[code] > 0 && !seat->key_swallowed[code] &&
		    find_pending(seat, code) < 0) {
			seat->key_delivered[code] = true;
			held[count++] = code;
		}
	}
	seat->listener.deliver_focus_in(seat->data, domain, held, count);
}

int tsr_seat_get_focus(const struct tsr_seat *seat)
{
	return seat->locked ? seat->locked_focus : seat->focus;
}

void tsr_seat_set_locked(struct tsr_seat *seat, bool locked)
{
	if (locked == seat->locked)
		return;
	if (locked) {
		int focus = seat->focus;
		/* Releases and focus-out for the focused domain, as a focus
		 * change would; held-back modifiers are dropped, never sent. */
		seat->pending_count = 0;
		tsr_seat_set_focus(seat, -1);
		for (uint32_t code = 0; code < KEY_CNT; code++)
			if (seat->key_presses[code] > 0)
				seat->key_swallowed[code] = true;
		for (size_t i = 0; i < SEAT_BUTTON_COUNT; i++)
			if (seat->button_presses[i] > 0)
				seat->button_swallowed[i] = true;
		seat->locked = true;
		seat->locked_focus = focus;
		return;
	}
	seat->locked = false;
	/* Keys still held were pressed on the lock screen or before it:
	 * swallowed, so the focus-in below does not hand them over. */
	tsr_seat_set_focus(seat, seat->locked_focus);
	seat->locked_focus = -1;
}

bool tsr_seat_locked(const struct tsr_seat *seat)
{
	return seat->locked;
}

void tsr_seat_set_mosaic(struct tsr_seat *seat, bool mosaic)
{
	seat->mosaic = mosaic;
}

void tsr_seat_domain_removed(struct tsr_seat *seat, int domain)
{
	if (domain >= 0 && domain == seat->focus) {
		forget_delivered(seat);
		seat->focus = -1;
	}
	if (seat->locked && domain >= 0 && domain == seat->locked_focus)
		seat->locked_focus = -1;
}

void tsr_seat_set_output_size(struct tsr_seat *seat, uint32_t width, uint32_t height)
{
	seat->output_width = width > 0 && width <= INT32_MAX ? width : 1;
	seat->output_height = height > 0 && height <= INT32_MAX ? height : 1;
	seat->cursor_x = clamp_coordinate(seat->cursor_x, seat->output_width);
	seat->cursor_y = clamp_coordinate(seat->cursor_y, seat->output_height);
}

void tsr_seat_get_output_size(const struct tsr_seat *seat, uint32_t *width, uint32_t *height)
{
	*width = seat->output_width;
	*height = seat->output_height;
}

void tsr_seat_get_cursor(const struct tsr_seat *seat, int32_t *x, int32_t *y)
{
	*x = seat->cursor_x;
	*y = seat->cursor_y;
}

void tsr_seat_note_resync(struct tsr_seat *seat)
{
	seat->resyncs++;
}

uint64_t tsr_seat_resync_count(const struct tsr_seat *seat)
{
	return seat->resyncs;
}
