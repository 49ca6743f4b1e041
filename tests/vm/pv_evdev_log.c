/* The guest's own view of its input (tests/vm/pv-domu-init.sh runs it in
 * the PV domU): watches /dev/input for evdev devices whose name starts with
 * PREFIX (default "Xen Virtual", i.e. xen-kbdfront's "Xen Virtual Keyboard"
 * and "Xen Virtual Pointer"), and prints on stdout, one line each:
 *
 *   tessera-domu: evdev added eventN "NAME" [abs-x 0..MAX abs-y 0..MAX]
 *   tessera-domu: evdev eventN key CODE VALUE        (EV_KEY; value 0/1/2)
 *   tessera-domu: evdev eventN abs AXIS VALUE        (EV_ABS)
 *   tessera-domu: evdev eventN rel AXIS VALUE        (EV_REL)
 *   tessera-domu: evdev removed eventN
 *
 * so a dom0 test reads what reached the guest's input layer from the
 * guest's console log. EV_SYN and EV_MSC are left out. Devices that appear
 * later (the frontend connects when the backend does) are picked up by a
 * rescan every 200 ms; a device that goes away (unplug) is closed.
 *
 *   pv-evdev-log [PREFIX]
 *
 * Static (the domU has nothing but busybox). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_DEVICES 16

struct device {
	int fd;
	int number; /* N of /dev/input/eventN */
};

static bool tracked(const struct device *devices, int count, int number)
{
	for (int i = 0; i < count; i++)
		if (devices[i].number == number)
			return true;
	return false;
}

static void report_added(int fd, int number, const char *name)
{
	struct input_absinfo x, y;
	if (ioctl(fd, EVIOCGABS(ABS_X), &x) == 0 && ioctl(fd, EVIOCGABS(ABS_Y), &y) == 0 &&
	    (x.maximum != 0 || y.maximum != 0))
		printf("tessera-domu: evdev added event%d \"%s\" abs-x %d..%d abs-y %d..%d\n",
		       number, name, x.minimum, x.maximum, y.minimum, y.maximum);
	else
		printf("tessera-domu: evdev added event%d \"%s\"\n", number, name);
}

/* Opens the matching devices not yet open; returns the new count. */
static int scan(struct device *devices, int count, const char *prefix)
{
	DIR *dir = opendir("/dev/input");
	if (!dir)
		return count;
	struct dirent *entry;
	while ((entry = readdir(dir)) && count < MAX_DEVICES) {
		int number;
		if (sscanf(entry->d_name, "event%d", &number) != 1 ||
		    tracked(devices, count, number))
			continue;
		char path[64], name[256] = "";
		snprintf(path, sizeof(path), "/dev/input/event%d", number);
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (ioctl(fd, EVIOCGNAME(sizeof(name) - 1), name) < 0 ||
		    strncmp(name, prefix, strlen(prefix)) != 0) {
			close(fd);
			continue;
		}
		report_added(fd, number, name);
		devices[count++] = (struct device){.fd = fd, .number = number};
	}
	closedir(dir);
	return count;
}

/* Prints what the device has; false once it is gone. */
static bool drain(const struct device *device)
{
	struct input_event events[64];
	for (;;) {
		ssize_t got = read(device->fd, events, sizeof(events));
		if (got < 0)
			return errno == EAGAIN || errno == EINTR;
		if (got == 0)
			return false;
		for (size_t i = 0; i < (size_t)got / sizeof(events[0]); i++) {
			const char *kind = events[i].type == EV_KEY   ? "key"
					   : events[i].type == EV_ABS ? "abs"
					   : events[i].type == EV_REL ? "rel"
								      : NULL;
			if (kind)
				printf("tessera-domu: evdev event%d %s %u %d\n", device->number,
				       kind, events[i].code, events[i].value);
		}
	}
}

int main(int argc, char **argv)
{
	const char *prefix = argc > 1 ? argv[1] : "Xen Virtual";
	struct device devices[MAX_DEVICES];
	int count = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		count = scan(devices, count, prefix);
		struct pollfd fds[MAX_DEVICES];
		for (int i = 0; i < count; i++)
			fds[i] = (struct pollfd){.fd = devices[i].fd, .events = POLLIN};
		if (poll(fds, (nfds_t)count, 200) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < count; i++) {
			if (!fds[i].revents)
				continue;
			if ((fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) ||
			    !drain(&devices[i])) {
				printf("tessera-domu: evdev removed event%d\n", devices[i].number);
				close(devices[i].fd);
				devices[i] = devices[--count];
				fds[i] = fds[count];
				i--;
			}
		}
	}
}
