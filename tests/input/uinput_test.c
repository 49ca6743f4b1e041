/* Real-device test of the evdev layer, for the test VM (root, /dev/uinput):
 * creates a uinput keyboard and checks that the devices layer refuses it
 * when it cannot grab it, grabs it otherwise, feeds the seat (typing, a
 * secure chord the guest never sees), and releases held keys when the
 * device is unplugged mid-stream. Then real kernel overruns: the test
 * writes far more than the kernel buffers before letting the devices layer
 * read, so evdev reports SYN_DROPPED, and checks the resync (counted, keys
 * released during the drop released, a chord typed during it fired, the
 * pointer where the device is). Exits 77 (skipped) without /dev/uinput. */
#include <errno.h>
#include <fcntl.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <linux/input.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tessera/event_loop.h"
#include "tessera/input.h"
#include "test.h"

#define DEVICE_NAME "tessera-uinput-test-keyboard"
#define MAX_RECORDS 256
#define POINTER_NAME "tessera-uinput-test-pointer"

struct record {
	char kind; /* 'k'ey, 'a'ction, 'm'otion */
	int domain;
	uint32_t code;
	int state;
};

struct fixture {
	struct tsr_event_loop *loop;
	struct tsr_seat *seat;
	struct record records[MAX_RECORDS];
	size_t count;
};

static struct fixture fixture;

static void push(struct record r)
{
	if (fixture.count < MAX_RECORDS) {
		fixture.records[fixture.count++] = r;
	}
}

static void on_action(void *data, enum tsr_action action, int argument)
{
	push((struct record){'a', -1, action, argument});
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
	push((struct record){'k', domain, code, state});
}

static void deliver_focus_in(void *data, int domain, const uint32_t *held, size_t count)
{
}

static void deliver_focus_out(void *data, int domain)
{
}

static void deliver_motion(void *data, int domain, int32_t x, int32_t y, uint64_t time_ns)
{
	push((struct record){'m', domain, (uint32_t)x, y});
}

static void deliver_button(void *data, int domain, uint32_t button, enum tsr_button_state state,
			   uint64_t time_ns)
{
}

static void deliver_axis(void *data, int domain, enum tsr_pointer_axis axis, int32_t steps,
			 uint64_t time_ns)
{
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

/* Creates the device (and frees template). */
static struct libevdev_uinput *create_from(struct libevdev *template)
{
	struct libevdev_uinput *uinput = NULL;
	int rc =
	    libevdev_uinput_create_from_device(template, LIBEVDEV_UINPUT_OPEN_MANAGED, &uinput);
	libevdev_free(template);
	if (rc < 0) {
		fprintf(stderr, "uinput: %s\n", strerror(-rc));
		return NULL;
	}
	/* devtmpfs creates the node; wait (bounded) until it is there. */
	for (int i = 0; i < 100; i++) {
		const char *devnode = libevdev_uinput_get_devnode(uinput);
		if (devnode != NULL && access(devnode, R_OK) == 0) {
			return uinput;
		}
		usleep(20000);
	}
	fprintf(stderr, "uinput: no device node appeared\n");
	libevdev_uinput_destroy(uinput);
	return NULL;
}

static struct libevdev_uinput *create_keyboard(void)
{
	static const unsigned keys[] = {KEY_A, KEY_B,	     KEY_ENTER,	 KEY_1,
					KEY_2, KEY_LEFTCTRL, KEY_LEFTALT};
	struct libevdev *template = libevdev_new();
	libevdev_set_name(template, DEVICE_NAME);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		libevdev_enable_event_code(template, EV_KEY, keys[i], NULL);
	}
	return create_from(template);
}

/* An absolute pointer whose range is the seat's output (1000 x 1000). */
static struct libevdev_uinput *create_pointer(void)
{
	struct libevdev *template = libevdev_new();
	libevdev_set_name(template, POINTER_NAME);
	struct input_absinfo axis = {.minimum = 0, .maximum = 999};
	libevdev_enable_event_code(template, EV_ABS, ABS_X, &axis);
	libevdev_enable_event_code(template, EV_ABS, ABS_Y, &axis);
	libevdev_enable_event_code(template, EV_KEY, BTN_LEFT, NULL);
	return create_from(template);
}

static void type(struct libevdev_uinput *uinput, unsigned code, int value)
{
	libevdev_uinput_write_event(uinput, EV_KEY, code, value);
	libevdev_uinput_write_event(uinput, EV_SYN, SYN_REPORT, 0);
}

/* Dispatches until count records arrived or about five seconds passed. */
static void wait_for_records(size_t count)
{
	for (int i = 0; i < 50 && fixture.count < count; i++) {
		tsr_event_loop_dispatch(fixture.loop, 100);
	}
}

static bool is_key(size_t index, uint32_t code, int state)
{
	return index < fixture.count && fixture.records[index].kind == 'k' &&
	       fixture.records[index].domain == 0 && fixture.records[index].code == code &&
	       fixture.records[index].state == state;
}

static void test_real_keyboard(void)
{
	struct tsr_hotkey chord = {
	    .action = TSR_ACTION_FOCUS_DOMAIN,
	    .argument = 2,
	    .modifiers = {KEY_LEFTCTRL, KEY_LEFTALT},
	    .modifier_count = 2,
	    .key = KEY_2,
	};
	fixture.loop = tsr_event_loop_create();
	fixture.seat = tsr_seat_create(&chord, 1, &listener, NULL);
	CHECK(fixture.loop != NULL && fixture.seat != NULL);
	tsr_seat_set_focus(fixture.seat, 0);
	struct libevdev_uinput *uinput = create_keyboard();
	CHECK(uinput != NULL);
	if (uinput == NULL || fixture.loop == NULL || fixture.seat == NULL) {
		goto out;
	}
	const struct tsr_input_devices_options options = {.require_grab = true,
							  .only_name = DEVICE_NAME};

	/* Someone else holds the grab: a required grab fails, naming it. */
	int rival = open(libevdev_uinput_get_devnode(uinput), O_RDONLY | O_CLOEXEC);
	CHECK(rival >= 0 && ioctl(rival, EVIOCGRAB, (void *)1) == 0);
	CHECK(tsr_input_devices_create(fixture.loop, fixture.seat, &options) == NULL);
	const struct tsr_input_devices_options lenient = {.require_grab = false,
							  .only_name = DEVICE_NAME};
	struct tsr_input_devices *devices =
	    tsr_input_devices_create(fixture.loop, fixture.seat, &lenient);
	CHECK(devices != NULL && tsr_input_devices_count(devices) == 1);
	tsr_input_devices_destroy(devices);
	close(rival);

	devices = tsr_input_devices_create(fixture.loop, fixture.seat, &options);
	CHECK(devices != NULL);
	if (devices == NULL) {
		goto out;
	}
	CHECK_EQ_INT(tsr_input_devices_count(devices), 1);

	/* It is ours alone now. */
	int other = open(libevdev_uinput_get_devnode(uinput), O_RDONLY | O_CLOEXEC);
	CHECK(other >= 0);
	errno = 0;
	CHECK(ioctl(other, EVIOCGRAB, (void *)1) < 0 && errno == EBUSY);
	close(other);

	type(uinput, KEY_A, 1);
	type(uinput, KEY_A, 0);
	wait_for_records(2);
	CHECK_EQ_INT(fixture.count, 2);
	CHECK(is_key(0, KEY_A, TSR_KEY_PRESSED));
	CHECK(is_key(1, KEY_A, TSR_KEY_RELEASED));

	/* The chord: an action, and not one key event. */
	type(uinput, KEY_LEFTCTRL, 1);
	type(uinput, KEY_LEFTALT, 1);
	type(uinput, KEY_2, 1);
	type(uinput, KEY_2, 0);
	type(uinput, KEY_LEFTALT, 0);
	type(uinput, KEY_LEFTCTRL, 0);
	wait_for_records(3);
	for (int i = 0; i < 5; i++) {
		tsr_event_loop_dispatch(fixture.loop, 20); /* anything that would leak */
	}
	CHECK_EQ_INT(fixture.count, 3);
	CHECK(fixture.count >= 3 && fixture.records[2].kind == 'a' &&
	      fixture.records[2].state == 2);

	/* Unplugged with a key held: the guest gets its release. */
	type(uinput, KEY_ENTER, 1);
	wait_for_records(4);
	CHECK(is_key(3, KEY_ENTER, TSR_KEY_PRESSED));
	libevdev_uinput_destroy(uinput);
	uinput = NULL;
	wait_for_records(5);
	CHECK(is_key(4, KEY_ENTER, TSR_KEY_RELEASED));
	for (int i = 0; i < 50 && tsr_input_devices_count(devices) != 0; i++) {
		tsr_event_loop_dispatch(fixture.loop, 100);
	}
	CHECK_EQ_INT(tsr_input_devices_count(devices), 0);

	/* Hot-plug needs udevd: report it, do not fail without it. */
	uinput = create_keyboard();
	for (int i = 0; i < 20 && uinput != NULL && tsr_input_devices_count(devices) == 0; i++) {
		tsr_event_loop_dispatch(fixture.loop, 100);
	}
	printf("     hot-plug: %s\n", tsr_input_devices_count(devices) == 1
					  ? "new keyboard picked up"
					  : "not seen (no udevd?)");
	tsr_input_devices_destroy(devices);
out:
	if (uinput != NULL) {
		libevdev_uinput_destroy(uinput);
	}
	tsr_seat_destroy(fixture.seat);
	tsr_event_loop_destroy(fixture.loop);
}

static size_t count_records(size_t from, char kind)
{
	size_t count = 0;
	for (size_t i = from; i < fixture.count; i++) {
		count += fixture.records[i].kind == kind;
	}
	return count;
}

/* Writes much more than the kernel buffers for one reader (64 events for
 * this keyboard, 128 for the pointer) while nobody reads: an overrun. */
static void flood_keys(struct libevdev_uinput *uinput)
{
	for (int i = 0; i < 200; i++) {
		type(uinput, KEY_B, 1);
		type(uinput, KEY_B, 0);
	}
}

static void dispatch_a_while(void)
{
	for (int i = 0; i < 10; i++) {
		tsr_event_loop_dispatch(fixture.loop, 20);
	}
}

static void test_kernel_overrun_is_resynced(void)
{
	struct tsr_hotkey chord = {
	    .action = TSR_ACTION_FOCUS_DOMAIN,
	    .argument = 2,
	    .modifiers = {KEY_LEFTCTRL, KEY_LEFTALT},
	    .modifier_count = 2,
	    .key = KEY_2,
	};
	fixture = (struct fixture){0};
	fixture.loop = tsr_event_loop_create();
	fixture.seat = tsr_seat_create(&chord, 1, &listener, NULL);
	CHECK(fixture.loop != NULL && fixture.seat != NULL);
	struct libevdev_uinput *keyboard = create_keyboard();
	struct libevdev_uinput *pointer = create_pointer();
	CHECK(keyboard != NULL && pointer != NULL);
	struct tsr_input_devices *devices = NULL;
	if (keyboard == NULL || pointer == NULL || fixture.loop == NULL || fixture.seat == NULL) {
		goto out;
	}
	tsr_seat_set_output_size(fixture.seat, 1000, 1000);
	tsr_seat_set_focus(fixture.seat, 0);
	const struct tsr_input_devices_options keyboard_only = {.require_grab = true,
								.only_name = DEVICE_NAME};
	devices = tsr_input_devices_create(fixture.loop, fixture.seat, &keyboard_only);
	CHECK(devices != NULL);
	if (devices == NULL) {
		goto out;
	}

	/* A held, then released while the kernel drops everything; Enter
	 * pressed at the end of the drop. */
	type(keyboard, KEY_A, 1);
	wait_for_records(1);
	CHECK(is_key(0, KEY_A, TSR_KEY_PRESSED));
	CHECK_EQ_INT(tsr_seat_resync_count(fixture.seat), 0);
	flood_keys(keyboard);
	type(keyboard, KEY_A, 0);
	type(keyboard, KEY_ENTER, 1);
	wait_for_records(3);
	dispatch_a_while();
	CHECK_EQ_INT(tsr_seat_resync_count(fixture.seat), 1);
	/* The state changes, releases first; nothing of the lost B taps. */
	CHECK_EQ_INT(fixture.count, 3);
	CHECK(is_key(1, KEY_A, TSR_KEY_RELEASED));
	CHECK(is_key(2, KEY_ENTER, TSR_KEY_PRESSED));

	/* Ctrl+Alt+2 pressed during a drop: the chord fires, no part of it
	 * reaches the domain (key codes replay in code order, 2 first: the
	 * translator puts modifiers first). */
	size_t from = fixture.count;
	flood_keys(keyboard);
	type(keyboard, KEY_LEFTCTRL, 1);
	type(keyboard, KEY_LEFTALT, 1);
	type(keyboard, KEY_2, 1);
	wait_for_records(from + 1);
	dispatch_a_while();
	CHECK_EQ_INT(tsr_seat_resync_count(fixture.seat), 2);
	CHECK_EQ_INT(count_records(from, 'a'), 1);
	CHECK_EQ_INT(count_records(from, 'k'), 0);
	/* Released normally: swallowed, as after any chord. Enter goes up. */
	type(keyboard, KEY_2, 0);
	type(keyboard, KEY_LEFTALT, 0);
	type(keyboard, KEY_LEFTCTRL, 0);
	type(keyboard, KEY_ENTER, 0);
	wait_for_records(from + 2);
	dispatch_a_while();
	CHECK_EQ_INT(count_records(from, 'k'), 1);
	CHECK(is_key(fixture.count - 1, KEY_ENTER, TSR_KEY_RELEASED));
	tsr_input_devices_destroy(devices);

	/* The pointer: 1000 positions while nobody reads, then one read. It
	 * ends where the device ended, and fewer positions reached the seat. */
	const struct tsr_input_devices_options pointer_only = {.require_grab = true,
							       .only_name = POINTER_NAME};
	devices = tsr_input_devices_create(fixture.loop, fixture.seat, &pointer_only);
	CHECK(devices != NULL);
	if (devices == NULL) {
		goto out;
	}
	from = fixture.count;
	uint64_t resyncs = tsr_seat_resync_count(fixture.seat);
	for (int i = 0; i < 1000; i++) {
		libevdev_uinput_write_event(pointer, EV_ABS, ABS_X, i);
		libevdev_uinput_write_event(pointer, EV_ABS, ABS_Y, 999 - i);
		libevdev_uinput_write_event(pointer, EV_SYN, SYN_REPORT, 0);
	}
	for (int i = 0;
	     i < 50 && (fixture.count == from || fixture.records[fixture.count - 1].code != 999);
	     i++) {
		tsr_event_loop_dispatch(fixture.loop, 100);
	}
	CHECK(tsr_seat_resync_count(fixture.seat) > resyncs);
	size_t motions = count_records(from, 'm');
	printf("     pointer overrun: %zu of 1000 positions reached the seat\n", motions);
	CHECK(motions >= 1 && motions < 1000);
	CHECK(fixture.count > from && fixture.records[fixture.count - 1].kind == 'm' &&
	      fixture.records[fixture.count - 1].code == 999 &&
	      fixture.records[fixture.count - 1].state == 0);
	int32_t x, y;
	tsr_seat_get_cursor(fixture.seat, &x, &y);
	CHECK(x == 999 && y == 0);
out:
	tsr_input_devices_destroy(devices);
	if (keyboard != NULL) {
		libevdev_uinput_destroy(keyboard);
	}
	if (pointer != NULL) {
		libevdev_uinput_destroy(pointer);
	}
	tsr_seat_destroy(fixture.seat);
	tsr_event_loop_destroy(fixture.loop);
}

static const struct tsr_test_case cases[] = {TSR_CASE(test_real_keyboard),
					     TSR_CASE(test_kernel_overrun_is_resynced)};
int tsr_test_failures;

int main(void)
{
	if (geteuid() != 0 || access("/dev/uinput", W_OK) != 0) {
		printf("skipped: needs root and /dev/uinput (run in the test VM)\n");
		return 77;
	}
	int failed = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = tsr_test_failures;
		cases[i].run();
		bool ok = tsr_test_failures == before;
		failed += !ok;
		printf("%s %s\n", ok ? "ok  " : "FAIL", cases[i].name);
	}
	printf("%d passed, %d failed\n", (int)(sizeof(cases) / sizeof(cases[0])) - failed, failed);
	return failed ? 1 : 0;
}
