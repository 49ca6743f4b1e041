/* Evdev input devices: found with libudev, read with libevdev, grabbed with
 * EVIOCGRAB so no other dom0 process sees a keystroke, hot-plugged through a
 * udev monitor. Mechanism only: what events mean is the seat's business. */
#include <errno.h>
#include <fcntl.h>
#include <libevdev/libevdev.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evdev_translate.h"
#include "tessera/event_loop.h"
#include "tessera/input.h"
#include "tessera/log.h"

#define DEVNODE_PREFIX "/dev/input/event"

struct tsr_input_device {
	struct tsr_input_device *next;
	struct tsr_input_devices *devices;
	char devnode[64];
	char name[128];
	int fd;
	struct libevdev *evdev;
	struct tsr_event_source *source;
	struct tsr_evdev_translator translator;
	uint64_t resyncs;	   /* SYN_DROPPED seen on this device */
	uint64_t resyncs_logged;   /* how many the log has told of */
	uint64_t resync_logged_ns; /* when it last did */
};

struct tsr_input_devices {
	struct tsr_event_loop *loop;
	struct tsr_seat *seat;
	bool require_grab;
	char *only_name;
	struct udev *udev;
	struct udev_monitor *monitor;
	struct tsr_event_source *monitor_source;
	struct tsr_input_device *list;
};

enum open_result {
	OPEN_USED,
	OPEN_IGNORED, /* not an input device Tessera uses, or unreadable */
	OPEN_REFUSED, /* a device we need but could not grab */
};

static void device_close(struct tsr_input_device *device)
{
	tsr_event_source_remove(device->source);
	if (device->evdev != NULL) {
		/* Ungrab fails harmlessly once the device is gone. */
		libevdev_grab(device->evdev, LIBEVDEV_UNGRAB);
		libevdev_free(device->evdev);
	}
	if (device->fd >= 0) {
		close(device->fd);
	}
	free(device);
}

/* Unlinks, releases the device's keys in the seat, and frees it. */
static void device_remove(struct tsr_input_device *device)
{
	struct tsr_input_device **link = &device->devices->list;
	while (*link != device) {
		link = &(*link)->next;
	}
	*link = device->next;
	tsr_evdev_translator_release_all(&device->translator, tsr_now_ns());
	device_close(device);
}

static struct tsr_input_device *find_device(struct tsr_input_devices *devices, const char *devnode)
{
	for (struct tsr_input_device *device = devices->list; device != NULL;
	     device = device->next) {
		if (strcmp(device->devnode, devnode) == 0) {
			return device;
		}
	}
	return NULL;
}

/* A device overrun under load may repeat many times a second: one line per
 * interval, with the count. */
#define RESYNC_LOG_INTERVAL_NS (10ull * 1000000000ull)

static void log_resync(struct tsr_input_device *device)
{
	uint64_t now = tsr_now_ns();
	if (device->resyncs_logged != 0 &&
	    now - device->resync_logged_ns < RESYNC_LOG_INTERVAL_NS) {
		return;
	}
	tsr_log(TSR_LOG_WARN,
		"input: %s (%s): the kernel dropped events Tessera had not read yet (SYN_DROPPED, "
		"%llu time%s so far); resynchronised with the device's state, so no key stays "
		"held (is the system overloaded?)",
		device->name, device->devnode, (unsigned long long)device->resyncs,
		device->resyncs == 1 ? "" : "s");
	device->resyncs_logged = device->resyncs;
	device->resync_logged_ns = now;
}

/* After a SYN_DROPPED, libevdev replays the differences between what we
 * read and the kernel's state now; the translator applies them as
 * transitions once the replay is complete (tsr_evdev_translator_resync_done). */
static int resync(struct tsr_input_device *device)
{
	device->resyncs++;
	tsr_seat_note_resync(device->devices->seat);
	log_resync(device);
	tsr_evdev_translator_dropped(&device->translator);
	struct input_event event;
	int rc;
	while ((rc = libevdev_next_event(device->evdev, LIBEVDEV_READ_FLAG_SYNC, &event)) ==
	       LIBEVDEV_READ_STATUS_SYNC) {
		tsr_evdev_translator_event(&device->translator, &event);
	}
	if (rc == -EAGAIN) {
		tsr_evdev_translator_resync_done(&device->translator);
	}
	return rc;
}

static void device_readable(int fd, uint32_t mask, void *data)
{
	struct tsr_input_device *device = data;
	int rc = LIBEVDEV_READ_STATUS_SUCCESS;
	if (mask & TSR_EVENT_READABLE) {
		struct input_event event;
		for (;;) {
			rc = libevdev_next_event(device->evdev, LIBEVDEV_READ_FLAG_NORMAL, &event);
			if (rc == LIBEVDEV_READ_STATUS_SUCCESS) {
				tsr_evdev_translator_event(&device->translator, &event);
			} else if (rc == LIBEVDEV_READ_STATUS_SYNC) {
				rc = resync(device);
				if (rc != -EAGAIN) {
					break;
				}
			} else {
				break;
			}
		}
		if (rc == -EAGAIN) {
			return;
		}
	}
	if (rc == -EAGAIN || rc >= 0) {
		rc = -ENODEV; /* hang-up or error without a readable fd */
	}
	tsr_log(TSR_LOG_WARN, "input: %s (%s) removed: %s", device->name, device->devnode,
		strerror(-rc));
	device_remove(device);
}

static enum open_result device_open(struct tsr_input_devices *devices, const char *devnode)
{
	if (strncmp(devnode, DEVNODE_PREFIX, strlen(DEVNODE_PREFIX)) != 0 ||
	    strlen(devnode) >= sizeof(((struct tsr_input_device *)0)->devnode) ||
	    find_device(devices, devnode) != NULL) {
		return OPEN_IGNORED;
	}
	struct tsr_input_device *device = calloc(1, sizeof(*device));
	if (device == NULL) {
		tsr_log(TSR_LOG_ERROR, "input: out of memory for %s", devnode);
		return OPEN_IGNORED;
	}
	device->devices = devices;
	snprintf(device->devnode, sizeof(device->devnode), "%s", devnode);
	snprintf(device->name, sizeof(device->name), "?");
	enum open_result result = OPEN_IGNORED;

	device->fd = open(devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (device->fd < 0) {
		tsr_log(TSR_LOG_WARN, "input: cannot open %s: %s", devnode, strerror(errno));
		goto fail;
	}
	int rc = libevdev_new_from_fd(device->fd, &device->evdev);
	if (rc < 0) {
		tsr_log(TSR_LOG_WARN, "input: %s is not an evdev device: %s", devnode,
			strerror(-rc));
		goto fail;
	}
	snprintf(device->name, sizeof(device->name), "%s", libevdev_get_name(device->evdev));
	if (devices->only_name != NULL && strcmp(device->name, devices->only_name) != 0) {
		goto fail;
	}
	uint32_t capabilities = tsr_evdev_classify(device->evdev);
	if (capabilities == 0) {
		tsr_log(TSR_LOG_DEBUG, "input: %s (%s): not a keyboard or pointer, ignored",
			device->name, devnode);
		goto fail;
	}
	rc = libevdev_grab(device->evdev, LIBEVDEV_GRAB);
	if (rc < 0) {
		if (devices->require_grab) {
			tsr_log(TSR_LOG_ERROR,
				"input: cannot grab %s (%s): %s; another process could read it",
				device->name, devnode, strerror(-rc));
			result = OPEN_REFUSED;
			goto fail;
		}
		tsr_log(TSR_LOG_WARN, "input: cannot grab %s (%s): %s; using it ungrabbed",
			device->name, devnode, strerror(-rc));
	}
	/* Event times on the clock of tsr_now_ns. */
	if (libevdev_set_clock_id(device->evdev, CLOCK_MONOTONIC) < 0) {
		tsr_log(TSR_LOG_WARN, "input: %s: event times stay on the realtime clock",
			device->name);
	}

	struct tsr_evdev_axis_range range_x = {0, 0}, range_y = {0, 0};
	const struct input_absinfo *abs_x = libevdev_get_abs_info(device->evdev, ABS_X);
	const struct input_absinfo *abs_y = libevdev_get_abs_info(device->evdev, ABS_Y);
	if (abs_x != NULL && abs_y != NULL) {
		range_x = (struct tsr_evdev_axis_range){abs_x->minimum, abs_x->maximum};
		range_y = (struct tsr_evdev_axis_range){abs_y->minimum, abs_y->maximum};
	}
	tsr_evdev_translator_init(&device->translator, devices->seat, capabilities, &range_x,
				  &range_y);

	device->source = tsr_event_loop_add_fd(devices->loop, device->fd, TSR_EVENT_READABLE,
					       device_readable, device);
	if (device->source == NULL) {
		tsr_log(TSR_LOG_ERROR, "input: cannot watch %s (%s)", device->name, devnode);
		result = devices->require_grab ? OPEN_REFUSED : OPEN_IGNORED;
		goto fail;
	}
	device->next = devices->list;
	devices->list = device;
	tsr_log(TSR_LOG_INFO, "input: using %s (%s):%s%s%s%s", device->name, devnode,
		capabilities & TSR_EVDEV_KEYBOARD ? " keyboard" : "",
		capabilities & TSR_EVDEV_POINTER ? " pointer" : "",
		capabilities & TSR_EVDEV_POINTER_ABSOLUTE ? " absolute-pointer" : "",
		capabilities & TSR_EVDEV_TOUCHPAD ? " touchpad" : "");
	return OPEN_USED;

fail:
	device_close(device);
	return result;
}

static void monitor_readable(int fd, uint32_t mask, void *data)
{
	struct tsr_input_devices *devices = data;
	struct udev_device *udev_device = udev_monitor_receive_device(devices->monitor);
	if (udev_device == NULL) {
		return;
	}
	const char *action = udev_device_get_action(udev_device);
	const char *devnode = udev_device_get_devnode(udev_device);
	if (action != NULL && devnode != NULL) {
		if (strcmp(action, "add") == 0) {
			if (device_open(devices, devnode) == OPEN_REFUSED) {
				tsr_log(TSR_LOG_ERROR, "input: refusing hot-plugged %s", devnode);
			}
		} else if (strcmp(action, "remove") == 0) {
			struct tsr_input_device *device = find_device(devices, devnode);
			if (device != NULL) {
				tsr_log(TSR_LOG_INFO, "input: %s (%s) unplugged", device->name,
					devnode);
				device_remove(device);
			}
		}
	}
	udev_device_unref(udev_device);
}

static bool start_monitor(struct tsr_input_devices *devices)
{
	/* udevd's events come after its rules ran (permissions, tags), so they
	 * are preferred; without udevd (minimal dom0, initramfs, the test VM)
	 * nobody sends them, and the kernel's own uevents are the only ones.
	 * Its devtmpfs node exists before the kernel announces the device. */
	const char *source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
	devices->monitor = udev_monitor_new_from_netlink(devices->udev, source);
	if (devices->monitor == NULL ||
	    udev_monitor_filter_add_match_subsystem_devtype(devices->monitor, "input", NULL) < 0 ||
	    udev_monitor_enable_receiving(devices->monitor) < 0) {
		return false;
	}
	devices->monitor_source =
	    tsr_event_loop_add_fd(devices->loop, udev_monitor_get_fd(devices->monitor),
				  TSR_EVENT_READABLE, monitor_readable, devices);
	if (devices->monitor_source != NULL) {
		tsr_log(TSR_LOG_DEBUG, "input: hot-plug through %s events", source);
	}
	return devices->monitor_source != NULL;
}

static bool enumerate(struct tsr_input_devices *devices)
{
	struct udev_enumerate *enumerate = udev_enumerate_new(devices->udev);
	if (enumerate == NULL || udev_enumerate_add_match_subsystem(enumerate, "input") < 0 ||
	    udev_enumerate_scan_devices(enumerate) < 0) {
		tsr_log(TSR_LOG_ERROR, "input: cannot enumerate input devices");
		udev_enumerate_unref(enumerate);
		return false;
	}
	bool ok = true;
	struct udev_list_entry *entry;
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(enumerate))
	{
		struct udev_device *udev_device =
		    udev_device_new_from_syspath(devices->udev, udev_list_entry_get_name(entry));
		if (udev_device == NULL) {
			continue;
		}
		const char *devnode = udev_device_get_devnode(udev_device);
		if (devnode != NULL && device_open(devices, devnode) == OPEN_REFUSED) {
			ok = false;
		}
		udev_device_unref(udev_device);
	}
	udev_enumerate_unref(enumerate);
	return ok;
}

struct tsr_input_devices *tsr_input_devices_create(struct tsr_event_loop *loop,
						   struct tsr_seat *seat,
						   const struct tsr_input_devices_options *options)
{
	struct tsr_input_devices *devices = calloc(1, sizeof(*devices));
	if (devices == NULL) {
		tsr_log(TSR_LOG_ERROR, "input: out of memory");
		return NULL;
	}
	devices->loop = loop;
	devices->seat = seat;
	devices->require_grab = options->require_grab;
	if (options->only_name != NULL) {
		devices->only_name = strdup(options->only_name);
		if (devices->only_name == NULL) {
			goto fail;
		}
	}
	devices->udev = udev_new();
	if (devices->udev == NULL) {
		tsr_log(TSR_LOG_ERROR, "input: udev_new failed");
		goto fail;
	}
	/* Monitor first, so nothing plugged in during enumeration is missed;
	 * a device seen twice is opened once (find_device). */
	if (!start_monitor(devices)) {
		tsr_log(TSR_LOG_WARN, "input: no udev monitor, hot-plugged devices are ignored");
	}
	if (!enumerate(devices)) {
		tsr_log(TSR_LOG_ERROR, "input: a required input device could not be grabbed");
		goto fail;
	}
	if (devices->list == NULL) {
		tsr_log(TSR_LOG_WARN, "input: no keyboard or pointer found yet");
	}
	return devices;

fail:
	tsr_input_devices_destroy(devices);
	return NULL;
}

void tsr_input_devices_destroy(struct tsr_input_devices *devices)
{
	if (devices == NULL) {
		return;
	}
	while (devices->list != NULL) {
		/* device_remove unlinks before it frees: the analyzer loses that. */
		device_remove(devices->list); // NOLINT(clang-analyzer-unix.Malloc)
	}
	tsr_event_source_remove(devices->monitor_source);
	udev_monitor_unref(devices->monitor);
	udev_unref(devices->udev);
	free(devices->only_name);
	free(devices);
}

size_t tsr_input_devices_count(const struct tsr_input_devices *devices)
{
	size_t count = 0;
	for (const struct tsr_input_device *device = devices->list; device != NULL;
	     device = device->next) {
		count++;
	}
	return count;
}
