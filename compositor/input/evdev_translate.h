/* Turns one evdev device's events into seat calls. Pure: no fds, so the
 * tests can drive it with scripted events. It keeps the device's own key
 * state so that the seat only ever sees this device's transitions, and so
 * that unplugging the device releases exactly the keys it held. */
#ifndef TSR_INPUT_EVDEV_TRANSLATE_H
#define TSR_INPUT_EVDEV_TRANSLATE_H

#include <linux/input.h>
#include <stdbool.h>
#include <stdint.h>

struct libevdev;
struct tsr_seat;

enum tsr_evdev_capability {
	TSR_EVDEV_KEYBOARD = 1u << 0,
	TSR_EVDEV_POINTER = 1u << 1,	      /* REL_X/REL_Y mouse */
	TSR_EVDEV_POINTER_ABSOLUTE = 1u << 2, /* tablet, touchscreen, VM tablet */
	TSR_EVDEV_TOUCHPAD = 1u << 3,	      /* ABS_X/Y finger: moves relatively */
};

struct tsr_evdev_axis_range {
	int32_t minimum, maximum;
};

struct tsr_evdev_translator {
	struct tsr_seat *seat;
	uint32_t capabilities;
	struct tsr_evdev_axis_range range_x, range_y;

	bool down[KEY_CNT]; /* keys and buttons this device holds */

	/* The frame being assembled until SYN_REPORT. */
	int32_t frame_dx, frame_dy;
	int32_t frame_wheel, frame_hwheel;
	bool frame_abs_moved;
	int32_t abs_x, abs_y;

	/* Touchpad: last finger position and sub-pixel remainders. */
	bool touching, touch_has_last;
	int32_t touch_last_x, touch_last_y;
	int64_t touch_remainder_x, touch_remainder_y;

	/* Between SYN_DROPPED and the end of libevdev's resync: the key
	 * states the kernel reports, applied in a safe order at the end. */
	bool resyncing;
	bool resync_reported[KEY_CNT], resync_down[KEY_CNT];
	uint64_t resync_time_ns;
};

/* Which capabilities a device has that Tessera uses (0: ignore it). */
uint32_t tsr_evdev_classify(const struct libevdev *evdev);

/* ranges may be NULL for devices without absolute axes. */
void tsr_evdev_translator_init(struct tsr_evdev_translator *translator, struct tsr_seat *seat,
			       uint32_t capabilities, const struct tsr_evdev_axis_range *range_x,
			       const struct tsr_evdev_axis_range *range_y);

void tsr_evdev_translator_event(struct tsr_evdev_translator *translator,
				const struct input_event *event);

/* SYN_DROPPED: the kernel lost events before we read them. Forgets the
 * partial frame and starts a resync: the events that follow (libevdev's
 * LIBEVDEV_READ_FLAG_SYNC replay of the device's state) are collected until
 * tsr_evdev_translator_resync_done. */
void tsr_evdev_translator_dropped(struct tsr_evdev_translator *translator);

/* The end of a resync. The order of what happened during the drop is
 * unknown, so its effects are delivered in the order that is safe: the
 * pointer's new position, then every key and button that went up, then
 * modifier presses, then other presses. Nothing stays held that the
 * device let go of, and a secure chord typed during the drop fires (its
 * final key comes after its modifiers) instead of reaching a guest. */
void tsr_evdev_translator_resync_done(struct tsr_evdev_translator *translator);

/* The device is gone: release what it holds, and only that. */
void tsr_evdev_translator_release_all(struct tsr_evdev_translator *translator, uint64_t time_ns);

#endif
