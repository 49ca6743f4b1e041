/* The "physical" keyboard and pointer of tests/vm/kbdif-e2e.sh: one uinput
 * device in dom0 with a keyboard's keys, three buttons and an absolute
 * pointer whose range is the output's size (so Tessera's cursor lands on
 * exactly the output pixel asked for). Commands, one a line on stdin:
 *
 *   type TEXT     taps each character of TEXT: a-z, 0-9, space, '-'
 *   enter         taps Enter
 *   chord LETTER  Ctrl+Alt+LETTER (left Ctrl, left Alt), a secure hotkey
 *   hold CODE MS  holds evdev key CODE down for MS milliseconds
 *   move X Y      puts the pointer at output pixel (X, Y)
 *   click         taps the left button
 *
 * and answers each one with "done" (or "error ...") on stdout once it is
 * written. Prints "ready" when the device exists; exits at the end of
 * stdin, which destroys it. No EV_REP: every repeat the guest sees is
 * Tessera's.
 *
 *   kbdif-input DEVICE_NAME OUTPUT_WIDTH OUTPUT_HEIGHT */
#include <errno.h>
#include <fcntl.h>
#include <linux/uinput.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "kbdif-input"

static const unsigned short letter_codes[26] = {
    KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
    KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
};
static const unsigned short digit_codes[10] = {KEY_0, KEY_1, KEY_2, KEY_3, KEY_4,
					       KEY_5, KEY_6, KEY_7, KEY_8, KEY_9};

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

static int code_of(char c)
{
	if (c >= 'a' && c <= 'z')
		return letter_codes[c - 'a'];
	if (c >= '0' && c <= '9')
		return digit_codes[c - '0'];
	if (c == ' ')
		return KEY_SPACE;
	if (c == '-')
		return KEY_MINUS;
	return -1;
}

static int create_device(const char *name, int width, int height)
{
	int fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, PROGRAM ": cannot open /dev/uinput: %s\n", strerror(errno));
		return -1;
	}
	bool ok = ioctl(fd, UI_SET_EVBIT, EV_KEY) == 0 && ioctl(fd, UI_SET_EVBIT, EV_SYN) == 0 &&
		  ioctl(fd, UI_SET_EVBIT, EV_ABS) == 0;
	for (int code = KEY_ESC; ok && code <= KEY_MICMUTE; code++)
		ok = ioctl(fd, UI_SET_KEYBIT, code) == 0;
	ok = ok && ioctl(fd, UI_SET_KEYBIT, BTN_LEFT) == 0 &&
	     ioctl(fd, UI_SET_KEYBIT, BTN_RIGHT) == 0 && ioctl(fd, UI_SET_KEYBIT, BTN_MIDDLE) == 0;
	struct uinput_abs_setup abs_x = {.code = ABS_X, .absinfo = {.maximum = width - 1}};
	struct uinput_abs_setup abs_y = {.code = ABS_Y, .absinfo = {.maximum = height - 1}};
	ok = ok && ioctl(fd, UI_ABS_SETUP, &abs_x) == 0 && ioctl(fd, UI_ABS_SETUP, &abs_y) == 0;
	struct uinput_setup setup = {.id = {.bustype = BUS_USB, .vendor = 0x1, .product = 0x2}};
	snprintf(setup.name, sizeof(setup.name), "%s", name);
	ok = ok && ioctl(fd, UI_DEV_SETUP, &setup) == 0 && ioctl(fd, UI_DEV_CREATE) == 0;
	if (!ok) {
		fprintf(stderr, PROGRAM ": cannot create the uinput device: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static bool run_command(int fd, char *line)
{
	if (strncmp(line, "type ", 5) == 0) {
		for (const char *p = line + 5; *p; p++) {
			int code = code_of(*p);
			if (code < 0 || !tap(fd, (unsigned short)code))
				return false;
		}
		return true;
	}
	if (strcmp(line, "enter") == 0)
		return tap(fd, KEY_ENTER);
	if (strncmp(line, "chord ", 6) == 0 && line[6] >= 'a' && line[6] <= 'z') {
		unsigned short final = letter_codes[line[6] - 'a'];
		return key(fd, KEY_LEFTCTRL, 1) && key(fd, KEY_LEFTALT, 1) && tap(fd, final) &&
		       key(fd, KEY_LEFTALT, 0) && key(fd, KEY_LEFTCTRL, 0);
	}
	int a, b;
	if (sscanf(line, "hold %d %d", &a, &b) == 2 && a > 0 && a <= KEY_MICMUTE && b >= 0) {
		bool ok = key(fd, (unsigned short)a, 1);
		sleep_ms(b);
		return ok && key(fd, (unsigned short)a, 0);
	}
	if (sscanf(line, "move %d %d", &a, &b) == 2) {
		bool ok = emit(fd, EV_ABS, ABS_X, a) && emit(fd, EV_ABS, ABS_Y, b) &&
			  emit(fd, EV_SYN, SYN_REPORT, 0);
		sleep_ms(20);
		return ok;
	}
	if (strcmp(line, "click") == 0)
		return tap(fd, BTN_LEFT);
	return false;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: " PROGRAM " DEVICE_NAME OUTPUT_WIDTH OUTPUT_HEIGHT\n");
		return 2;
	}
	int fd = create_device(argv[1], atoi(argv[2]), atoi(argv[3]));
	if (fd < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Let udev and Tessera's hot-plug monitor see the device first. */
	sleep_ms(500);
	printf("ready\n");
	char line[256];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (run_command(fd, line))
			printf("done\n");
		else
			printf("error %s\n", line);
	}
	ioctl(fd, UI_DEV_DESTROY);
	close(fd);
	return 0;
}
