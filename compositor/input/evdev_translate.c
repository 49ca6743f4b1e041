#include <libevdev/libevdev.h>
#include <string.h>

#include "evdev_translate.h"
#include "hotkey.h"
#include "tessera/input.h"

static bool is_button(uint32_t code)
{
	return code >= BTN_MOUSE && code <= BTN_TASK;
}

static bool is_keyboard_key(uint32_t code)
{
	return code <= KEY_MAX && (code < BTN_MISC || code >= KEY_OK);
}

static uint64_t event_time_ns(const struct input_event *event)
{
	/* The devices layer sets CLOCK_MONOTONIC, the clock of tsr_now_ns. */
	return (uint64_t)event->input_event_sec * 1000000000u +
	       (uint64_t)event->input_event_usec * 1000u;
}

static int32_t saturating_add(int32_t a, int32_t b)
{
	int32_t sum;
	if (__builtin_add_overflow(a, b, &sum)) {
		return b > 0 ? INT32_MAX : INT32_MIN;
	}
	return sum;
}

uint32_t tsr_evdev_classify(const struct libevdev *evdev)
{
	uint32_t capabilities = 0;
	if (libevdev_has_event_code(evdev, EV_KEY, KEY_A) &&
	    libevdev_has_event_code(evdev, EV_KEY, KEY_ENTER)) {
		capabilities |= TSR_EVDEV_KEYBOARD;
	}
	if (libevdev_has_event_code(evdev, EV_REL, REL_X) &&
	    libevdev_has_event_code(evdev, EV_REL, REL_Y)) {
		capabilities |= TSR_EVDEV_POINTER;
	}
	if (libevdev_has_event_code(evdev, EV_ABS, ABS_X) &&
	    libevdev_has_event_code(evdev, EV_ABS, ABS_Y)) {
		bool direct = libevdev_has_property(evdev, INPUT_PROP_DIRECT);
		if (libevdev_has_event_code(evdev, EV_KEY, BTN_TOOL_FINGER) && !direct) {
			capabilities |= TSR_EVDEV_TOUCHPAD;
		} else if (libevdev_has_event_code(evdev, EV_KEY, BTN_LEFT) ||
			   libevdev_has_event_code(evdev, EV_KEY, BTN_TOUCH) ||
			   libevdev_has_event_code(evdev, EV_KEY, BTN_TOOL_PEN)) {
			/* Not joysticks: they have ABS_X/Y but none of these. */
			capabilities |= TSR_EVDEV_POINTER_ABSOLUTE;
		}
	}
	return capabilities;
}

void tsr_evdev_translator_init(struct tsr_evdev_translator *translator, struct tsr_seat *seat,
			       uint32_t capabilities, const struct tsr_evdev_axis_range *range_x,
			       const struct tsr_evdev_axis_range *range_y)
{
	memset(translator, 0, sizeof(*translator));
	translator->seat = seat;
	translator->capabilities = capabilities;
	if (range_x != NULL) {
		translator->range_x = *range_x;
	}
	if (range_y != NULL) {
		translator->range_y = *range_y;
	}
}

/* Maps an absolute axis value onto [0, size-1]. */
static int32_t scale_absolute(int32_t value, struct tsr_evdev_axis_range range, uint32_t size)
{
	int64_t span = (int64_t)range.maximum - range.minimum;
	if (span <= 0 || size == 0) {
		return 0;
	}
	int64_t offset = (int64_t)value - range.minimum;
	if (offset < 0) {
		offset = 0;
	} else if (offset > span) {
		offset = span;
	}
	return (int32_t)(offset * (int64_t)(size - 1) / span);
}

/* A finger crossing the whole touchpad crosses the whole output once; the
 * remainder keeps slow movements from being lost to rounding. */
static int32_t scale_touch_delta(int32_t delta, struct tsr_evdev_axis_range range, uint32_t size,
				 int64_t *remainder)
{
	int64_t span = (int64_t)range.maximum - range.minimum;
	if (span <= 0) {
		return 0;
	}
	int64_t total = (int64_t)delta * size + *remainder;
	*remainder = total % span;
	int64_t pixels = total / span;
	return pixels > INT32_MAX ? INT32_MAX : pixels < INT32_MIN ? INT32_MIN : (int32_t)pixels;
}

static void flush_frame(struct tsr_evdev_translator *translator, uint64_t time_ns)
{
	struct tsr_seat *seat = translator->seat;
	uint32_t width, height;
	tsr_seat_get_output_size(seat, &width, &height);

	if (translator->frame_dx != 0 || translator->frame_dy != 0) {
		tsr_seat_pointer_motion_relative(seat, translator->frame_dx, translator->frame_dy,
						 time_ns);
	}
	if (translator->frame_abs_moved) {
		if (translator->capabilities & TSR_EVDEV_POINTER_ABSOLUTE) {
			tsr_seat_pointer_motion_absolute(
			    seat, scale_absolute(translator->abs_x, translator->range_x, width),
			    scale_absolute(translator->abs_y, translator->range_y, height),
			    time_ns);
		} else if (translator->touching && translator->touch_has_last) {
			int32_t dx = scale_touch_delta(translator->abs_x - translator->touch_last_x,
						       translator->range_x, width,
						       &translator->touch_remainder_x);
			int32_t dy = scale_touch_delta(translator->abs_y - translator->touch_last_y,
						       translator->range_y, height,
						       &translator->touch_remainder_y);
			if (dx != 0 || dy != 0) {
				tsr_seat_pointer_motion_relative(seat, dx, dy, time_ns);
			}
		}
	}
	if (translator->touching) {
		translator->touch_last_x = translator->abs_x;
		translator->touch_last_y = translator->abs_y;
		translator->touch_has_last = true;
	}
	if (translator->frame_wheel != 0) {
		tsr_seat_axis(seat, TSR_AXIS_VERTICAL, translator->frame_wheel, time_ns);
	}
	if (translator->frame_hwheel != 0) {
		tsr_seat_axis(seat, TSR_AXIS_HORIZONTAL, translator->frame_hwheel, time_ns);
	}
	translator->frame_dx = translator->frame_dy = 0;
	translator->frame_wheel = translator->frame_hwheel = 0;
	translator->frame_abs_moved = false;
}

static void key_event(struct tsr_evdev_translator *translator, uint32_t code, int32_t value,
		      uint64_t time_ns)
{
	if (code == BTN_TOUCH && (translator->capabilities & TSR_EVDEV_TOUCHPAD)) {
		translator->touching = value != 0;
		translator->touch_has_last = false;
		translator->touch_remainder_x = translator->touch_remainder_y = 0;
		return;
	}
	bool button = is_button(code);
	if (!button && !is_keyboard_key(code)) {
		return;
	}
	/* Motion first, so a click lands where the frame moved the pointer. */
	flush_frame(translator, time_ns);
	bool *down = &translator->down[code];
	if (value == 1 && !*down) {
		*down = true;
		if (button) {
			tsr_seat_button(translator->seat, code, TSR_BUTTON_PRESSED, time_ns);
		} else {
			tsr_seat_key(translator->seat, code, TSR_KEY_PRESSED, time_ns);
		}
	} else if (value == 0 && *down) {
		*down = false;
		if (button) {
			tsr_seat_button(translator->seat, code, TSR_BUTTON_RELEASED, time_ns);
		} else {
			tsr_seat_key(translator->seat, code, TSR_KEY_RELEASED, time_ns);
		}
	} else if (value == 2 && *down && !button) {
		tsr_seat_key(translator->seat, code, TSR_KEY_REPEAT, time_ns);
	}
}

void tsr_evdev_translator_event(struct tsr_evdev_translator *translator,
				const struct input_event *event)
{
	uint64_t time_ns = event_time_ns(event);
	if (translator->resyncing) {
		translator->resync_time_ns = time_ns;
		if (event->type == EV_KEY && event->code < KEY_CNT &&
		    (event->value == 0 || event->value == 1)) {
			translator->resync_reported[event->code] = true;
			translator->resync_down[event->code] = event->value == 1;
			return;
		}
		if (event->type == EV_SYN) {
			return; /* the frame ends in tsr_evdev_translator_resync_done */
		}
	}
	switch (event->type) {
	case EV_KEY:
		key_event(translator, event->code, event->value, time_ns);
		break;
	case EV_REL:
		if (event->code == REL_X) {
			translator->frame_dx = saturating_add(translator->frame_dx, event->value);
		} else if (event->code == REL_Y) {
			translator->frame_dy = saturating_add(translator->frame_dy, event->value);
		} else if (event->code == REL_WHEEL) {
			translator->frame_wheel =
			    saturating_add(translator->frame_wheel, event->value);
		} else if (event->code == REL_HWHEEL) {
			translator->frame_hwheel =
			    saturating_add(translator->frame_hwheel, event->value);
		}
		break;
	case EV_ABS:
		if (event->code == ABS_X) {
			translator->abs_x = event->value;
			translator->frame_abs_moved = true;
		} else if (event->code == ABS_Y) {
			translator->abs_y = event->value;
			translator->frame_abs_moved = true;
		}
		break;
	case EV_SYN:
		if (event->code == SYN_REPORT) {
			flush_frame(translator, time_ns);
		} else if (event->code == SYN_DROPPED) {
			tsr_evdev_translator_dropped(translator);
		}
		break;
	default:
		break;
	}
}

static void forget_frame(struct tsr_evdev_translator *translator)
{
	translator->frame_dx = translator->frame_dy = 0;
	translator->frame_wheel = translator->frame_hwheel = 0;
	translator->frame_abs_moved = false;
	translator->touch_has_last = false;
}

void tsr_evdev_translator_dropped(struct tsr_evdev_translator *translator)
{
	forget_frame(translator);
	translator->resyncing = true;
	memset(translator->resync_reported, 0, sizeof(translator->resync_reported));
}

/* Applies the reported key states that pass the filter, in code order. */
static void apply_resync_keys(struct tsr_evdev_translator *translator, bool down,
			      bool modifiers_only)
{
	for (uint32_t code = 0; code < KEY_CNT; code++) {
		if (!translator->resync_reported[code] || translator->resync_down[code] != down ||
		    (down && modifiers_only != (tsr_modifier_of_key(code) != 0))) {
			continue;
		}
		key_event(translator, code, down ? 1 : 0, translator->resync_time_ns);
	}
}

void tsr_evdev_translator_resync_done(struct tsr_evdev_translator *translator)
{
	if (!translator->resyncing) {
		return;
	}
	translator->resyncing = false;
	flush_frame(translator, translator->resync_time_ns);
	apply_resync_keys(translator, false, false);
	apply_resync_keys(translator, true, true);
	apply_resync_keys(translator, true, false);
}

void tsr_evdev_translator_release_all(struct tsr_evdev_translator *translator, uint64_t time_ns)
{
	forget_frame(translator);
	translator->resyncing = false;
	translator->touching = false;
	for (uint32_t code = 0; code < KEY_CNT; code++) {
		if (!translator->down[code]) {
			continue;
		}
		translator->down[code] = false;
		if (is_button(code)) {
			tsr_seat_button(translator->seat, code, TSR_BUTTON_RELEASED, time_ns);
		} else {
			tsr_seat_key(translator->seat, code, TSR_KEY_RELEASED, time_ns);
		}
	}
}
