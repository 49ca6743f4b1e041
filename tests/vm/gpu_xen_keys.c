/* The "physical" keyboard of tests/vm/gpu-xen.sh: a uinput keyboard in
 * dom0 that types what the script asks for, one command a line on stdin:
 *
 *   type WORD     taps each lowercase letter of WORD
 *   chord LETTER  Ctrl+Alt+LETTER (left Ctrl, left Alt)
 *
 * and answers each command with "done" on stdout once written (the script
 * reads it back through a FIFO). Exits at the end of stdin, which destroys
 * the device.
 *
 *   gpu-xen-keys DEVICE_NAME */
#include <errno.h>
#include <fcntl.h>
#include <linux/uinput.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "gpu-xen-keys"

/* Key codes of 'a'..'z' (linux/input-event-codes.h, QWERTY layout). */
static const unsigned short letter_codes[26] = {
    KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
    KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
};

static void sleep_ms(long ms)
{
	struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&delay, NULL);
}

static bool emit(int fd, unsigned short type, unsigned short code, int value)
{
	struct input_event event = {.type = type, .code = code, .value = value};
	return write(fd, &event, sizeof(event)) == (ssize_t)sizeof(event);
}

/* One key change per frame, as a person types: each is seen on its own. */
static bool key(int fd, unsigned short code, int value)
{
	bool ok = emit(fd, EV_KEY, code, value) && emit(fd, EV_SYN, SYN_REPORT, 0);
	sleep_ms(20);
	return ok;
}

static bool tap(int fd, unsigned short code)
{
	return key(fd, code, 1) && key(fd, code, 0);
}

static int create_keyboard(const char *name)
{
	int fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, PROGRAM ": cannot open /dev/uinput: %s\n", strerror(errno));
		return -1;
	}
	/* A whole keyboard's keys, so Tessera takes it for one. No EV_REP:
	 * auto-repeat would add key events at times we do not control. */
	bool ok = ioctl(fd, UI_SET_EVBIT, EV_KEY) == 0 && ioctl(fd, UI_SET_EVBIT, EV_SYN) == 0;
	for (int code = KEY_ESC; ok && code <= KEY_MICMUTE; code++)
		ok = ioctl(fd, UI_SET_KEYBIT, code) == 0;
	struct uinput_setup setup = {.id = {.bustype = BUS_USB, .vendor = 0x1, .product = 0x1}};
	snprintf(setup.name, sizeof(setup.name), "%s", name);
	ok = ok && ioctl(fd, UI_DEV_SETUP, &setup) == 0 && ioctl(fd, UI_DEV_CREATE) == 0;
	if (!ok) {
		fprintf(stderr, PROGRAM ": cannot create the uinput keyboard: %s\n",
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static bool run_command(int fd, const char *line)
{
	if (strncmp(line, "type ", 5) == 0) {
		bool ok = true;
		for (const char *c = line + 5; ok && *c >= 'a' && *c <= 'z'; c++)
			ok = tap(fd, letter_codes[*c - 'a']);
		return ok;
	}
	if (strncmp(line, "chord ", 6) == 0 && line[6] >= 'a' && line[6] <= 'z') {
		return key(fd, KEY_LEFTCTRL, 1) && key(fd, KEY_LEFTALT, 1) &&
		       tap(fd, letter_codes[line[6] - 'a']) && key(fd, KEY_LEFTALT, 0) &&
		       key(fd, KEY_LEFTCTRL, 0);
	}
	fprintf(stderr, PROGRAM ": unknown command '%s'\n", line);
	return false;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: " PROGRAM " DEVICE_NAME\n");
		return 2;
	}
	int fd = create_keyboard(argv[1]);
	if (fd < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	char line[256];
	int status = 0;
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		bool ok = run_command(fd, line);
		printf("%s\n", ok ? "done" : "failed");
		if (!ok)
			status = 1;
	}
	ioctl(fd, UI_DEV_DESTROY);
	close(fd);
	return status;
}
