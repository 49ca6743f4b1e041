/* The evdev translator: per-device transitions, frames, scaling, unplug.
 * Device capabilities are checked on libevdev devices built in memory, so
 * none of this needs /dev/input or /dev/uinput. */
#include <libevdev/libevdev.h>
#include <stdlib.h>

#include "evdev_translate.h"
#include "tessera/event_loop.h"
#include "tessera/input.h"
#include "test.h"

#define MAX_RECORDS 32

struct record {
	char kind; /* 'k'ey, 'm'otion, 'b'utton, 'a'xis, 'i'n, 'h'otkey */
	uint32_t code;
	int32_t state, x, y;
};

struct fixture {
	struct tsr_seat *seat;
	struct record records[MAX_RECORDS];
	size_t count;
};

static void push(struct fixture *f, struct record r)
{
	if (f->count < MAX_RECORDS) {
		f->records[f->count++] = r;
	}
}

static void on_action(void *data, enum tsr_action action, int argument)
{
	push(data, (struct record){'h', action, argument, 0, 0});
}

static void on_focus_clicked(void *data, int domain)
{
}

static int pick_domain(void *data, int32_t x, int32_t y, int32_t *local_x, int32_t *local_y)
{
	*local_x = x;
	*local_y = y;
	return 0;
}

static void deliver_key(void *data, int domain, uint32_t code, enum tsr_key_state state,
			uint64_t time_ns)
{
	push(data, (struct record){'k', code, state, 0, 0});
}

static void deliver_focus_in(void *data, int domain, const uint32_t *held, size_t count)
{
	push(data, (struct record){'i', 0, (int32_t)count, 0, 0});
}

static void deliver_focus_out(void *data, int domain)
{
}

static void deliver_motion(void *data, int domain, int32_t x, int32_t y, uint64_t time_ns)
{
	push(data, (struct record){'m', 0, 0, x, y});
}

static void deliver_button(void *data, int domain, uint32_t button, enum tsr_button_state state,
			   uint64_t time_ns)
{
	push(data, (struct record){'b', button, state, 0, 0});
}

static void deliver_axis(void *data, int domain, enum tsr_pointer_axis axis, int32_t steps,
			 uint64_t time_ns)
{
	push(data, (struct record){'a', axis, steps, 0, 0});
}

static const struct tsr_seat_listener listener = {
    .action = on_action,
    .focus_clicked = on_focus_clicked,
    .pick_domain = pick_domain,
    .deliver_key = deliver_key,
    .deliver_focus_in = deliver_focus_in,
    .deliver_focus_out = deliver_focus_out,
    .deliver_motion = deliver_motion,
    .deliver_button = deliver_button,
    .deliver_axis = deliver_axis,
};

static struct fixture *fixture_create(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->seat = tsr_seat_create(NULL, 0, &listener, f);
	tsr_seat_set_output_size(f->seat, 1000, 500);
	tsr_seat_set_focus(f->seat, 0);
	f->count = 0;
	return f;
}

static void fixture_destroy(struct fixture *f)
{
	tsr_seat_destroy(f->seat);
	free(f);
}

static void send(struct tsr_evdev_translator *t, uint16_t type, uint16_t code, int32_t value)
{
	struct input_event event = {.type = type, .code = code, .value = value};
	tsr_evdev_translator_event(t, &event);
}

static void syn(struct tsr_evdev_translator *t)
{
	send(t, EV_SYN, SYN_REPORT, 0);
}

static void test_classify(void)
{
	struct libevdev *keyboard = libevdev_new();
	libevdev_enable_event_code(keyboard, EV_KEY, KEY_A, NULL);
	libevdev_enable_event_code(keyboard, EV_KEY, KEY_ENTER, NULL);
	CHECK_EQ_INT(tsr_evdev_classify(keyboard), TSR_EVDEV_KEYBOARD);

	struct libevdev *power_button = libevdev_new();
	libevdev_enable_event_code(power_button, EV_KEY, KEY_POWER, NULL);
	CHECK_EQ_INT(tsr_evdev_classify(power_button), 0);

	struct libevdev *mouse = libevdev_new();
	libevdev_enable_event_code(mouse, EV_REL, REL_X, NULL);
	libevdev_enable_event_code(mouse, EV_REL, REL_Y, NULL);
	libevdev_enable_event_code(mouse, EV_KEY, BTN_LEFT, NULL);
	CHECK_EQ_INT(tsr_evdev_classify(mouse), TSR_EVDEV_POINTER);

	struct input_absinfo axis = {.minimum = 0, .maximum = 32767};
	struct libevdev *tablet = libevdev_new();
	libevdev_enable_event_code(tablet, EV_ABS, ABS_X, &axis);
	libevdev_enable_event_code(tablet, EV_ABS, ABS_Y, &axis);
	libevdev_enable_event_code(tablet, EV_KEY, BTN_LEFT, NULL);
	CHECK_EQ_INT(tsr_evdev_classify(tablet), TSR_EVDEV_POINTER_ABSOLUTE);

	struct libevdev *touchpad = libevdev_new();
	libevdev_enable_event_code(touchpad, EV_ABS, ABS_X, &axis);
	libevdev_enable_event_code(touchpad, EV_ABS, ABS_Y, &axis);
	libevdev_enable_event_code(touchpad, EV_KEY, BTN_TOOL_FINGER, NULL);
	libevdev_enable_event_code(touchpad, EV_KEY, BTN_TOUCH, NULL);
	CHECK_EQ_INT(tsr_evdev_classify(touchpad), TSR_EVDEV_TOUCHPAD);

	struct libevdev *joystick = libevdev_new();
	libevdev_enable_event_code(joystick, EV_ABS, ABS_X, &axis);
	libevdev_enable_event_code(joystick, EV_ABS, ABS_Y, &axis);
	libevdev_enable_event_code(joystick, EV_KEY, BTN_TRIGGER, NULL);
	CHECK_EQ_INT(tsr_evdev_classify(joystick), 0);

	libevdev_free(keyboard);
	libevdev_free(power_button);
	libevdev_free(mouse);
	libevdev_free(tablet);
	libevdev_free(touchpad);
	libevdev_free(joystick);
}

static void test_keys_are_transitions(void)
{
	struct fixture *f = fixture_create();
	struct tsr_evdev_translator t;
	tsr_evdev_translator_init(&t, f->seat, TSR_EVDEV_KEYBOARD, NULL, NULL);
	send(&t, EV_KEY, KEY_A, 0); /* release of a key we never saw go down */
	send(&t, EV_KEY, KEY_A, 2); /* repeat of it */
	CHECK_EQ_INT(f->count, 0);
	send(&t, EV_KEY, KEY_A, 1);
	send(&t, EV_KEY, KEY_A, 1); /* duplicate press (resync replay) */
	send(&t, EV_KEY, KEY_A, 2);
	send(&t, EV_KEY, KEY_A, 0);
	CHECK_EQ_INT(f->count, 3);
	CHECK(f->records[0].kind == 'k' && f->records[0].state == TSR_KEY_PRESSED);
	CHECK(f->records[1].kind == 'k' && f->records[1].state == TSR_KEY_REPEAT);
	CHECK(f->records[2].kind == 'k' && f->records[2].state == TSR_KEY_RELEASED);
	fixture_destroy(f);
}

static void test_unplug_releases_only_its_keys(void)
{
	struct fixture *f = fixture_create();
	struct tsr_evdev_translator first, second;
	tsr_evdev_translator_init(&first, f->seat, TSR_EVDEV_KEYBOARD, NULL, NULL);
	tsr_evdev_translator_init(&second, f->seat, TSR_EVDEV_KEYBOARD, NULL, NULL);
	send(&first, EV_KEY, KEY_A, 1);
	send(&first, EV_KEY, KEY_B, 1);
	send(&second, EV_KEY, KEY_A, 1);
	send(&second, EV_KEY, KEY_C, 1);
	CHECK_EQ_INT(f->count, 3); /* a, b, c */
	tsr_evdev_translator_release_all(&first, 0);
	/* b released; a is still held by the second keyboard. */
	CHECK_EQ_INT(f->count, 4);
	CHECK(f->records[3].kind == 'k' && f->records[3].code == KEY_B &&
	      f->records[3].state == TSR_KEY_RELEASED);
	tsr_evdev_translator_release_all(&first, 0); /* twice: nothing */
	CHECK_EQ_INT(f->count, 4);
	send(&second, EV_KEY, KEY_A, 0);
	CHECK(f->records[4].kind == 'k' && f->records[4].code == KEY_A &&
	      f->records[4].state == TSR_KEY_RELEASED);
	tsr_evdev_translator_release_all(&second, 0);
	CHECK_EQ_INT(f->count, 6);
	fixture_destroy(f);
}

static void test_relative_frames_and_buttons(void)
{
	struct fixture *f = fixture_create();
	struct tsr_evdev_translator t;
	tsr_evdev_translator_init(&t, f->seat, TSR_EVDEV_POINTER, NULL, NULL);
	send(&t, EV_REL, REL_X, 10);
	send(&t, EV_REL, REL_Y, 20);
	CHECK_EQ_INT(f->count, 0); /* nothing until the frame ends */
	syn(&t);
	CHECK_EQ_INT(f->count, 1);
	CHECK(f->records[0].kind == 'm' && f->records[0].x == 10 && f->records[0].y == 20);
	/* A click in the same frame as a move lands after the move. */
	send(&t, EV_REL, REL_X, 5);
	send(&t, EV_KEY, BTN_LEFT, 1);
	syn(&t);
	CHECK_EQ_INT(f->count, 3);
	CHECK(f->records[1].kind == 'm' && f->records[1].x == 15);
	CHECK(f->records[2].kind == 'b' && f->records[2].code == BTN_LEFT &&
	      f->records[2].state == TSR_BUTTON_PRESSED);
	send(&t, EV_REL, REL_WHEEL, -1);
	syn(&t);
	CHECK(f->records[3].kind == 'a' && f->records[3].code == TSR_AXIS_VERTICAL &&
	      f->records[3].state == -1);
	/* SYN_DROPPED throws away the partial frame. */
	send(&t, EV_REL, REL_X, 100);
	send(&t, EV_SYN, SYN_DROPPED, 0);
	syn(&t);
	CHECK_EQ_INT(f->count, 4);
	tsr_evdev_translator_release_all(&t, 0);
	CHECK(f->records[4].kind == 'b' && f->records[4].state == TSR_BUTTON_RELEASED);
	fixture_destroy(f);
}

static void test_absolute_scaling(void)
{
	struct fixture *f = fixture_create();
	struct tsr_evdev_translator t;
	struct tsr_evdev_axis_range range = {0, 32767};
	tsr_evdev_translator_init(&t, f->seat, TSR_EVDEV_POINTER_ABSOLUTE, &range, &range);
	send(&t, EV_ABS, ABS_X, 32767);
	send(&t, EV_ABS, ABS_Y, 0);
	syn(&t);
	CHECK(f->records[0].kind == 'm' && f->records[0].x == 999 && f->records[0].y == 0);
	send(&t, EV_ABS, ABS_Y, 16384); /* x keeps its last value */
	syn(&t);
	CHECK(f->records[1].kind == 'm' && f->records[1].x == 999 && f->records[1].y == 249);
	send(&t, EV_ABS, ABS_X, -5000); /* out of range: clamped */
	syn(&t);
	CHECK(f->records[2].kind == 'm' && f->records[2].x == 0);
	fixture_destroy(f);
}

static void test_touchpad_moves_relatively(void)
{
	struct fixture *f = fixture_create();
	struct tsr_evdev_translator t;
	struct tsr_evdev_axis_range range = {0, 1000};
	tsr_evdev_translator_init(&t, f->seat, TSR_EVDEV_TOUCHPAD, &range, &range);
	tsr_seat_pointer_motion_absolute(f->seat, 500, 250, 0);
	f->count = 0;
	send(&t, EV_ABS, ABS_X, 900); /* finger lands: no jump */
	send(&t, EV_ABS, ABS_Y, 900);
	send(&t, EV_KEY, BTN_TOUCH, 1);
	syn(&t);
	CHECK_EQ_INT(f->count, 0);
	send(&t, EV_ABS, ABS_X, 800); /* 100 units of 1000 = 100 of 1000 pixels */
	syn(&t);
	CHECK_EQ_INT(f->count, 1);
	CHECK(f->records[0].kind == 'm' && f->records[0].x == 400 && f->records[0].y == 250);
	send(&t, EV_KEY, BTN_TOUCH, 0);
	syn(&t);
	send(&t, EV_ABS, ABS_X, 0); /* hovering, not touching: no motion */
	syn(&t);
	CHECK_EQ_INT(f->count, 1);
	fixture_destroy(f);
}

/* After SYN_DROPPED, libevdev replays the state differences in code order
 * and ends them with SYN_REPORT; the translator applies them once the
 * resync is done, in the safe order. */
static void test_resync_order(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tsr_hotkey chord = {.action = TSR_ACTION_FOCUS_DOMAIN,
				   .argument = 2,
				   .modifiers = {KEY_LEFTCTRL, KEY_LEFTALT},
				   .modifier_count = 2,
				   .key = KEY_2};
	f->seat = tsr_seat_create(&chord, 1, &listener, f);
	tsr_seat_set_output_size(f->seat, 1000, 500);
	tsr_seat_set_focus(f->seat, 0);
	f->count = 0;
	struct tsr_evdev_translator t;
	struct tsr_evdev_axis_range range = {0, 999};
	tsr_evdev_translator_init(&t, f->seat, TSR_EVDEV_KEYBOARD | TSR_EVDEV_POINTER_ABSOLUTE,
				  &range, &range);
	send(&t, EV_KEY, KEY_A, 1);
	send(&t, EV_KEY, BTN_LEFT, 1);
	syn(&t);
	CHECK_EQ_INT(f->count, 2);
	/* A partial frame, then the drop: the partial motion is forgotten. */
	send(&t, EV_ABS, ABS_X, 10);
	send(&t, EV_SYN, SYN_DROPPED, 0);
	tsr_evdev_translator_dropped(&t); /* what the devices layer does */
	/* During the drop: Ctrl+Alt+2 went down, A and the button went up, the
	 * pointer moved. The replay, in code order (2 < Ctrl < A < Alt). */
	send(&t, EV_KEY, KEY_2, 1);
	send(&t, EV_KEY, KEY_LEFTCTRL, 1);
	send(&t, EV_KEY, KEY_A, 0);
	send(&t, EV_KEY, KEY_LEFTALT, 1);
	send(&t, EV_KEY, BTN_LEFT, 0);
	send(&t, EV_ABS, ABS_X, 500);
	send(&t, EV_ABS, ABS_Y, 250);
	syn(&t);
	CHECK_EQ_INT(f->count, 2); /* nothing before the replay is complete */
	tsr_evdev_translator_resync_done(&t);
	/* The position, then the releases, then the chord fires: Ctrl and Alt
	 * were held back, 2 came last, so none of it reached the domain. */
	CHECK_EQ_INT(f->count, 6);
	CHECK(f->records[2].kind == 'm' && f->records[2].x == 500 && f->records[2].y == 124);
	CHECK(f->records[3].kind == 'k' && f->records[3].code == KEY_A &&
	      f->records[3].state == TSR_KEY_RELEASED);
	CHECK(f->records[4].kind == 'b' && f->records[4].code == BTN_LEFT &&
	      f->records[4].state == TSR_BUTTON_RELEASED);
	CHECK(f->records[5].kind == 'h' && f->records[5].code == TSR_ACTION_FOCUS_DOMAIN);
	/* A second done is nothing; normal frames work again. */
	tsr_evdev_translator_resync_done(&t);
	CHECK_EQ_INT(f->count, 6);
	send(&t, EV_ABS, ABS_X, 600);
	syn(&t);
	CHECK_EQ_INT(f->count, 7);
	CHECK(f->records[6].kind == 'm' && f->records[6].x == 600);
	/* Unplugged mid-resync: what it holds is released, the resync ends. */
	send(&t, EV_SYN, SYN_DROPPED, 0);
	send(&t, EV_KEY, KEY_B, 1);
	tsr_evdev_translator_release_all(&t, 0);
	size_t after = f->count;
	send(&t, EV_KEY, KEY_C, 1);
	CHECK_EQ_INT(f->count, after + 1); /* delivered at once: no resync pending */
	fixture_destroy(f);
}

/* The udev side without hardware: whatever input devices this machine has,
 * none has this name, so nothing is opened or grabbed; set-up and tear-down
 * (enumeration, monitor, event source) run clean under the sanitizers. */
static void test_devices_without_hardware(void)
{
	struct fixture *f = fixture_create();
	struct tsr_event_loop *loop = tsr_event_loop_create();
	CHECK(loop != NULL);
	const struct tsr_input_devices_options options = {
	    .require_grab = true,
	    .only_name = "tessera test: no such device",
	};
	struct tsr_input_devices *devices = tsr_input_devices_create(loop, f->seat, &options);
	CHECK(devices != NULL);
	if (devices != NULL) {
		CHECK_EQ_INT(tsr_input_devices_count(devices), 0);
	}
	tsr_event_loop_dispatch(loop, 0);
	tsr_input_devices_destroy(devices);
	tsr_input_devices_destroy(NULL);
	tsr_event_loop_destroy(loop);
	CHECK_EQ_INT(f->count, 0);
	fixture_destroy(f);
}

TSR_TEST_MAIN(TSR_CASE(test_devices_without_hardware), TSR_CASE(test_classify),
	      TSR_CASE(test_keys_are_transitions), TSR_CASE(test_unplug_releases_only_its_keys),
	      TSR_CASE(test_relative_frames_and_buttons), TSR_CASE(test_absolute_scaling),
	      TSR_CASE(test_touchpad_moves_relatively), TSR_CASE(test_resync_order))
