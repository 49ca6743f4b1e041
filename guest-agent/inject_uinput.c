#include "inject_uinput.h"

#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_log.h"

/* A guest wheel event is a few detents; a larger value is a broken or
 * hostile sender, not a fast scroll. */
#define INJECT_MAX_WHEEL_STEPS 120

struct agent_inject {
	const char *name; /* for log lines */
	struct libevdev *keyboard_template, *pointer_template;
	struct libevdev_uinput *keyboard, *pointer;
	bool down[KEY_CNT]; /* keys and buttons we pressed and not yet released */
};

static bool is_keyboard_key(uint32_t code)
{
	return code > KEY_RESERVED && code <= KEY_MAX && (code < BTN_MISC || code >= KEY_OK);
}

static bool is_button(uint32_t code)
{
	return code >= BTN_LEFT && code <= BTN_TASK;
}

static struct libevdev *keyboard_template(const char *name)
{
	struct libevdev *evdev = libevdev_new();
	if (!evdev)
		return NULL;
	char device_name[128];
	snprintf(device_name, sizeof(device_name), "tessera-agent %s keyboard", name);
	libevdev_set_name(evdev, device_name);
	libevdev_set_id_bustype(evdev, BUS_VIRTUAL);
	libevdev_enable_event_type(evdev, EV_KEY);
	for (uint32_t code = 0; code <= KEY_MAX; code++)
		if (is_keyboard_key(code))
			libevdev_enable_event_code(evdev, EV_KEY, code, NULL);
	/* No EV_REP: the kernel's soft repeat would invent repeats the user
	 * did not make; the compositor sends the real ones. */
	libevdev_enable_event_type(evdev, EV_SYN);
	return evdev;
}

static struct libevdev *pointer_template(const char *name)
{
	struct libevdev *evdev = libevdev_new();
	if (!evdev)
		return NULL;
	char device_name[128];
	snprintf(device_name, sizeof(device_name), "tessera-agent %s pointer", name);
	libevdev_set_name(evdev, device_name);
	libevdev_set_id_bustype(evdev, BUS_VIRTUAL);
	const struct input_absinfo axis = {.minimum = 0, .maximum = AGENT_INJECT_ABS_MAX};
	libevdev_enable_event_code(evdev, EV_ABS, ABS_X, &axis);
	libevdev_enable_event_code(evdev, EV_ABS, ABS_Y, &axis);
	for (uint32_t code = BTN_LEFT; code <= BTN_TASK; code++)
		libevdev_enable_event_code(evdev, EV_KEY, code, NULL);
	libevdev_enable_event_code(evdev, EV_REL, REL_WHEEL, NULL);
	libevdev_enable_event_code(evdev, EV_REL, REL_HWHEEL, NULL);
	libevdev_enable_event_type(evdev, EV_SYN);
	return evdev;
}

struct agent_inject *agent_inject_uinput_create(const char *name)
{
	struct agent_inject *inject = calloc(1, sizeof(*inject));
	if (!inject) {
		agent_log(name, "out of memory");
		return NULL;
	}
	inject->name = name;
	inject->keyboard_template = keyboard_template(name);
	inject->pointer_template = pointer_template(name);
	if (!inject->keyboard_template || !inject->pointer_template) {
		agent_log(name, "out of memory");
		goto fail;
	}
	int rc = libevdev_uinput_create_from_device(
	    inject->keyboard_template, LIBEVDEV_UINPUT_OPEN_MANAGED, &inject->keyboard);
	if (rc == 0)
		rc = libevdev_uinput_create_from_device(
		    inject->pointer_template, LIBEVDEV_UINPUT_OPEN_MANAGED, &inject->pointer);
	if (rc < 0) {
		agent_log(name, "cannot create uinput devices: %s (needs /dev/uinput, root)",
			  strerror(-rc));
		goto fail;
	}
	agent_log(name, "injecting input through %s and %s",
		  libevdev_uinput_get_devnode(inject->keyboard)
		      ? libevdev_uinput_get_devnode(inject->keyboard)
		      : "uinput",
		  libevdev_uinput_get_devnode(inject->pointer)
		      ? libevdev_uinput_get_devnode(inject->pointer)
		      : "uinput");
	return inject;

fail:
	agent_inject_destroy(inject);
	return NULL;
}

static bool write_events(struct agent_inject *inject, struct libevdev_uinput *device, unsigned type,
			 unsigned code, int value)
{
	int rc = libevdev_uinput_write_event(device, type, code, value);
	if (rc == 0)
		rc = libevdev_uinput_write_event(device, EV_SYN, SYN_REPORT, 0);
	if (rc < 0) {
		agent_log(inject->name, "uinput write failed: %s", strerror(-rc));
		return false;
	}
	return true;
}

static struct libevdev_uinput *device_for(struct agent_inject *inject, uint32_t code)
{
	return is_button(code) ? inject->pointer : inject->keyboard;
}

static bool release_all(struct agent_inject *inject)
{
	bool ok = true;
	for (uint32_t code = 0; code < KEY_CNT; code++) {
		if (!inject->down[code])
			continue;
		inject->down[code] = false;
		ok = write_events(inject, device_for(inject, code), EV_KEY, code, 0) && ok;
	}
	return ok;
}

static bool inject_key(struct agent_inject *inject, uint32_t untrusted_code, uint32_t state,
		       bool button)
{
	if (button ? !is_button(untrusted_code) : !is_keyboard_key(untrusted_code))
		return true; /* not a code our devices have: nothing to replay */
	uint32_t code = untrusted_code;
	int value;
	switch (state) {
	case TSR_KEY_RELEASED:
		if (!inject->down[code])
			return true; /* pressed before we had focus, or never */
		inject->down[code] = false;
		value = 0;
		break;
	case TSR_KEY_PRESSED:
		if (inject->down[code])
			return true;
		inject->down[code] = true;
		value = 1;
		break;
	case TSR_KEY_REPEAT:
		if (button || !inject->down[code])
			return true;
		value = 2;
		break;
	default:
		return true;
	}
	return write_events(inject, device_for(inject, code), EV_KEY, code, value);
}

/* Maps a surface coordinate onto 0..AGENT_INJECT_ABS_MAX; out-of-range
 * values are clamped to the surface's edge. */
static int scale_to_abs(int32_t untrusted_value, uint32_t size)
{
	if (size <= 1 || untrusted_value <= 0)
		return 0;
	int64_t value = untrusted_value >= (int64_t)size ? (int64_t)size - 1 : untrusted_value;
	return (int)(value * AGENT_INJECT_ABS_MAX / ((int64_t)size - 1));
}

static bool inject_motion(struct agent_inject *inject, int32_t untrusted_x, int32_t untrusted_y,
			  uint32_t width, uint32_t height)
{
	int rc = libevdev_uinput_write_event(inject->pointer, EV_ABS, ABS_X,
					     scale_to_abs(untrusted_x, width));
	if (rc == 0)
		rc = libevdev_uinput_write_event(inject->pointer, EV_ABS, ABS_Y,
						 scale_to_abs(untrusted_y, height));
	if (rc == 0)
		rc = libevdev_uinput_write_event(inject->pointer, EV_SYN, SYN_REPORT, 0);
	if (rc < 0) {
		agent_log(inject->name, "uinput write failed: %s", strerror(-rc));
		return false;
	}
	return true;
}

static bool inject_axis(struct agent_inject *inject, uint32_t untrusted_axis,
			int32_t untrusted_value)
{
	if (untrusted_axis > 1 || untrusted_value == 0)
		return true;
	int value = untrusted_value > INJECT_MAX_WHEEL_STEPS	? INJECT_MAX_WHEEL_STEPS
		    : untrusted_value < -INJECT_MAX_WHEEL_STEPS ? -INJECT_MAX_WHEEL_STEPS
								: untrusted_value;
	return write_events(inject, inject->pointer, EV_REL,
			    untrusted_axis == 1 ? REL_HWHEEL : REL_WHEEL, value);
}

bool agent_inject_message(struct agent_inject *inject, const struct tsr_msg *msg,
			  uint32_t surface_width, uint32_t surface_height)
{
	switch (msg->type) {
	case TSR_MSG_KEY:
		return inject_key(inject, msg->u.key.code, msg->u.key.state, false);
	case TSR_MSG_POINTER_BUTTON:
		return inject_key(inject, msg->u.pointer_button.code, msg->u.pointer_button.state,
				  true);
	case TSR_MSG_POINTER_MOTION:
		return inject_motion(inject, msg->u.pointer_motion.x, msg->u.pointer_motion.y,
				     surface_width, surface_height);
	case TSR_MSG_POINTER_AXIS:
		return inject_axis(inject, msg->u.pointer_axis.axis, msg->u.pointer_axis.value);
	case TSR_MSG_FOCUS_OUT:
		return release_all(inject);
	default:
		return true;
	}
}

void agent_inject_destroy(struct agent_inject *inject)
{
	if (!inject)
		return;
	/* Nothing stays held in the guest after we are gone. */
	if (inject->keyboard && inject->pointer)
		release_all(inject);
	libevdev_uinput_destroy(inject->keyboard);
	libevdev_uinput_destroy(inject->pointer);
	libevdev_free(inject->keyboard_template);
	libevdev_free(inject->pointer_template);
	free(inject);
}
