/* DRM hotplug: a udev monitor on the "drm" subsystem that reports cards
 * appearing and vanishing (add/remove of /dev/dri/cardN) and a card's
 * connectors changing (the kernel's "change" event, HOTPLUG=1), so the
 * KMS backend can re-probe without a restart. Connector and render nodes
 * are ignored: one card's event is enough to re-read all its connectors. */
#include <libudev.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kms.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"

struct kms_hotplug {
	struct udev *udev;
	struct udev_monitor *monitor;
	struct tsr_event_source *source;
	struct kms_hotplug_listener listener;
};

/* "card0" yes; "card0-HDMI-A-1" (a connector) and "renderD128" no. */
static bool is_card_node(const char *sysname)
{
	if (!sysname || strncmp(sysname, "card", 4) != 0 || !sysname[4])
		return false;
	for (const char *c = sysname + 4; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	return true;
}

static void monitor_readable(int fd, uint32_t mask, void *data)
{
	struct kms_hotplug *hotplug = data;
	struct udev_device *device = udev_monitor_receive_device(hotplug->monitor);
	if (!device)
		return;
	const char *action = udev_device_get_action(device);
	const char *devnode = udev_device_get_devnode(device);
	const char *sysname = udev_device_get_sysname(device);
	if (action && devnode && is_card_node(sysname)) {
		const struct kms_hotplug_listener *listener = &hotplug->listener;
		if (strcmp(action, "add") == 0) {
			tsr_log(TSR_LOG_INFO, "kms: %s appeared", devnode);
			listener->card_added(listener->data, devnode);
		} else if (strcmp(action, "remove") == 0) {
			tsr_log(TSR_LOG_INFO, "kms: %s vanished", devnode);
			listener->card_removed(listener->data, devnode);
		} else if (strcmp(action, "change") == 0) {
			/* HOTPLUG=1 in the kernel's own events; any change is
			 * worth a re-probe, which touches only connectors whose
			 * state differs (and lease or synthetic events are rare). */
			tsr_log(TSR_LOG_DEBUG, "kms: %s changed", devnode);
			listener->card_changed(listener->data, devnode);
		}
	}
	udev_device_unref(device);
}

struct kms_hotplug *kms_hotplug_create(struct tsr_event_loop *loop,
				       const struct kms_hotplug_listener *listener)
{
	struct kms_hotplug *hotplug = calloc(1, sizeof(*hotplug));
	if (!hotplug)
		return NULL;
	hotplug->listener = *listener;
	/* As for input devices (input/devices.c): udevd's events once its
	 * rules ran when it runs, else the kernel's own. */
	const char *source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
	hotplug->udev = udev_new();
	if (!hotplug->udev)
		goto fail;
	hotplug->monitor = udev_monitor_new_from_netlink(hotplug->udev, source);
	if (!hotplug->monitor ||
	    udev_monitor_filter_add_match_subsystem_devtype(hotplug->monitor, "drm", NULL) < 0 ||
	    udev_monitor_enable_receiving(hotplug->monitor) < 0)
		goto fail;
	hotplug->source = tsr_event_loop_add_fd(loop, udev_monitor_get_fd(hotplug->monitor),
						TSR_EVENT_READABLE, monitor_readable, hotplug);
	if (!hotplug->source)
		goto fail;
	tsr_log(TSR_LOG_DEBUG, "kms: display hotplug through %s events", source);
	return hotplug;
fail:
	tsr_log(TSR_LOG_WARN, "kms: cannot watch for display hotplug (udev monitor); "
			      "outputs are fixed at start");
	kms_hotplug_destroy(hotplug);
	return NULL;
}

void kms_hotplug_destroy(struct kms_hotplug *hotplug)
{
	if (!hotplug)
		return;
	tsr_event_source_remove(hotplug->source);
	if (hotplug->monitor)
		udev_monitor_unref(hotplug->monitor);
	if (hotplug->udev)
		udev_unref(hotplug->udev);
	free(hotplug);
}
