/* The lock screen in the test VM (root, vkms, /dev/uinput): a real uinput
 * keyboard grabbed by the real tessera on the KMS backend, two real agents.
 *
 *  - Ctrl+Alt+L typed on the device locks, and no agent sees any part of
 *    the chord; the focused agent got a focus-out;
 *  - the capture of the output (the writeback connector: what the CRTC
 *    scans out) has no pixel near either guest's colour;
 *  - a wrong password typed on the device is refused and counted; the
 *    right one (PAM service in a directory of the test's own, pam_exec)
 *    unlocks; no key typed on the lock screen reached an agent; the layout
 *    and focus are those of before, and keys reach the focused agent again.
 *
 * Exits 77 (skip) without root or /dev/uinput; else 0 only if all pass. */
#include <errno.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/lock_policy.h"
#include "harness.h"
#include "tessera/image.h"
#include "test.h"

#define DEVICE_NAME "tessera-lock-uinput"

static const char config_text[] = "[output]\nbackend = kms\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n"
				  "[lock]\nuser = tessera-test\n";
static const uint32_t guest_colours[] = {0x2040e0, 0x20e040};
static const unsigned wrong[] = {KEY_W, KEY_R, KEY_O, KEY_N, KEY_G};
static const unsigned right[] = {KEY_S, KEY_3, KEY_C, KEY_R, KEY_E, KEY_T};

static struct harness harness;
static struct libevdev_uinput *keyboard;
static char pam_dir[256];

static void sleep_ms(int ms)
{
	struct timespec delay = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&delay, NULL);
}

/* Waits out the lock's delay after `failures` refusals, counted from a
 * refusal already seen (lock_failures in the status): a lower bound, so
 * the next Enter is taken however slow the machine, and no Enter typed
 * after the check was taken can reach a guest once unlocked. */
static void sleep_after_refusal(uint32_t failures)
{
	sleep_ms((int)(tsr_lock_policy_delay_ns(failures) / 1000000u) + 100);
}

static void key(unsigned code, int value)
{
	libevdev_uinput_write_event(keyboard, EV_KEY, code, value);
	libevdev_uinput_write_event(keyboard, EV_SYN, SYN_REPORT, 0);
	sleep_ms(5);
}

static void type(const unsigned *codes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		key(codes[i], 1);
		key(codes[i], 0);
	}
}

static bool status_says(const char *text)
{
	char reply[1024];
	return harness_control(&harness, "status", reply, sizeof(reply)) && strstr(reply, text);
}

static bool wait_status(const char *text)
{
	for (int i = 0; i < 1500; i++) {
		if (status_says(text))
			return true;
		sleep_ms(20);
	}
	fprintf(stderr, "lock-uinput: status never said %s\n", text);
	return false;
}

/* On the lock screen: a wrong password is refused and counted, then the
 * right one, once the delay is over, unlocks. */
static void unlock_after_one_refusal(void)
{
	type(wrong, 5);
	type((const unsigned[]){KEY_ENTER}, 1);
	CHECK(wait_status("lock_failures=1"));
	CHECK(status_says("locked=yes"));
	type(right, 6);
	sleep_after_refusal(1);
	type((const unsigned[]){KEY_ENTER}, 1);
	CHECK(wait_status("locked=no"));
}

static bool write_pam_service(void)
{
	snprintf(pam_dir, sizeof(pam_dir), "/tmp/tessera-lock-pam-XXXXXX");
	if (!mkdtemp(pam_dir))
		return false;
	char path[512];
	snprintf(path, sizeof(path), "%s/check-password.sh", pam_dir);
	FILE *file = fopen(path, "w");
	if (!file)
		return false;
	fprintf(file, "#!/bin/sh\npassword=$(tr -d '\\000')\n[ \"$password\" = s3cret ]\n");
	fclose(file);
	chmod(path, 0755);
	snprintf(path, sizeof(path), "%s/tessera", pam_dir);
	file = fopen(path, "w");
	if (!file)
		return false;
	fprintf(file,
		"auth required pam_exec.so expose_authtok quiet %s/check-password.sh\n"
		"account required pam_permit.so\n",
		pam_dir);
	fclose(file);
	return setenv("TESSERA_TEST_PAM_CONFDIR", pam_dir, 1) == 0;
}

static pid_t start_agent(const char *name, const char *colour)
{
	char socket_path[512], log_name[64], agent[512];
	snprintf(socket_path, sizeof(socket_path), "%s/%s.sock", harness.dir, name);
	snprintf(log_name, sizeof(log_name), "agent-%s", name);
	snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
	char *argv[] = {agent,		"--socket", socket_path,  "--source",	 "demo", "--colour",
			(char *)colour, "--name",   (char *)name, "--log-input", NULL};
	return harness_spawn(&harness, log_name, argv);
}

static struct tsr_buffer *capture(const char *name)
{
	char path[512], command[600], reply[700], err[256];
	const char *results = getenv("TSR_RESULTS_DIR");
	if (results)
		snprintf(path, sizeof(path), "%s/%s", results, name);
	else
		harness_path(&harness, name, path, sizeof(path));
	sleep_ms(500); /* a few frames after the change */
	snprintf(command, sizeof(command), "screenshot %s", path);
	if (!harness_control(&harness, command, reply, sizeof(reply))) {
		fprintf(stderr, "lock-uinput: screenshot: %s\n", reply);
		return NULL;
	}
	printf("lock-uinput: %s (%s)\n", path, reply);
	return tsr_png_read(path, err, sizeof(err));
}

static long pixels_near(const struct tsr_buffer *image, uint32_t colour, int within)
{
	long count = 0;
	for (uint32_t y = 0; y < image->height; y++) {
		const uint32_t *row =
		    (const uint32_t *)((const uint8_t *)image->data + (size_t)y * image->stride);
		for (uint32_t x = 0; x < image->width; x++) {
			int d = 0;
			for (int shift = 0; shift <= 16; shift += 8) {
				int delta = (int)((row[x] >> shift) & 0xff) -
					    (int)((colour >> shift) & 0xff);
				d += delta < 0 ? -delta : delta;
			}
			count += d <= within;
		}
	}
	return count;
}

static long key_lines(const char *agent, unsigned code)
{
	char text[32];
	snprintf(text, sizeof(text), "input key %u ", code);
	return harness_log_count(&harness, agent, text);
}

static void test_lock_with_uinput(void)
{
	if (geteuid() != 0 || access("/dev/uinput", W_OK) != 0) {
		printf("lock-uinput: needs root and /dev/uinput; skipped\n");
		exit(77);
	}
	CHECK(write_pam_service());
	struct libevdev *evdev = libevdev_new();
	libevdev_set_name(evdev, DEVICE_NAME);
	libevdev_set_id_bustype(evdev, BUS_USB);
	for (unsigned code = KEY_ESC; code <= KEY_MICMUTE; code++)
		libevdev_enable_event_code(evdev, EV_KEY, code, NULL);
	int rc = libevdev_uinput_create_from_device(evdev, LIBEVDEV_UINPUT_OPEN_MANAGED, &keyboard);
	libevdev_free(evdev);
	CHECK(rc == 0);
	if (rc != 0)
		return;
	sleep_ms(300); /* udev settles the node */
	const char *const args[] = {"--input-device", DEVICE_NAME, NULL};
	CHECK(harness_start_args(&harness, "lock-uinput", config_text, args));
	start_agent("work", "2040e0");
	start_agent("personal", "20e040");
	CHECK(harness_wait_stat(&harness, "work", "commits", 10, 30000));
	CHECK(harness_wait_stat(&harness, "personal", "commits", 10, 30000));
	CHECK(wait_status("focused=work"));
	type((const unsigned[]){KEY_Z}, 1);
	CHECK(harness_wait_log(&harness, "agent-work", "input key 44 released", 20000));
	struct tsr_buffer *before = capture("lock-before.png");
	CHECK(before && pixels_near(before, guest_colours[0], 30) > 1000);

	/* The chord, from the device. */
	key(KEY_LEFTCTRL, 1);
	key(KEY_LEFTALT, 1);
	key(KEY_L, 1);
	key(KEY_L, 0);
	key(KEY_LEFTALT, 0);
	key(KEY_LEFTCTRL, 0);
	CHECK(wait_status("locked=yes"));
	CHECK(harness_log_contains(&harness, "tessera", "locked (hotkey)"));
	CHECK(harness_wait_log(&harness, "agent-work", "input focus-out", 20000));
	struct tsr_buffer *locked = capture("lock-locked.png");
	CHECK(locked != NULL);
	for (size_t i = 0; locked && i < 2; i++) {
		long near = pixels_near(locked, guest_colours[i], 60);
		printf("lock-uinput: locked capture %ux%u: %ld pixels near guest colour %06x\n",
		       locked->width, locked->height, near, guest_colours[i]);
		CHECK_EQ_INT(near, 0);
	}

	unlock_after_one_refusal();
	CHECK(status_says("layout=mosaic focused=work"));
	struct tsr_buffer *after = capture("lock-after.png");
	CHECK(after && pixels_near(after, guest_colours[0], 30) > 1000);
	CHECK(after && pixels_near(after, guest_colours[1], 30) > 1000);

	/* Nothing of the chord or the passwords reached a guest. */
	static const unsigned typed[] = {KEY_LEFTCTRL, KEY_LEFTALT, KEY_L, KEY_W,    KEY_R,
					 KEY_O,	       KEY_N,	    KEY_G, KEY_S,    KEY_3,
					 KEY_C,	       KEY_E,	    KEY_T, KEY_ENTER};
	for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		CHECK_EQ_INT(key_lines("agent-work", typed[i]), 0);
		CHECK_EQ_INT(key_lines("agent-personal", typed[i]), 0);
	}
	type((const unsigned[]){KEY_Z}, 1);
	for (int i = 0; i < 1000 && key_lines("agent-work", KEY_Z) < 4; i++)
		sleep_ms(20);
	CHECK_EQ_INT(key_lines("agent-work", KEY_Z), 4); /* two presses, two releases */
	tsr_buffer_destroy(before);
	tsr_buffer_destroy(locked);
	tsr_buffer_destroy(after);
	CHECK(harness_stop(&harness));
}

/* The installed service: data/pam/tessera as /etc/pam.d/tessera (Debian's
 * common-auth and common-account: pam_unix against /etc/shadow), a real
 * user with a real password hash. Only in the test VM, whose /etc is a
 * throw-away overlay: it adds a user and writes /etc/pam.d. */
static void test_installed_pam(void)
{
	const char *in_vm = getenv("TSR_IN_VM");
	if (!in_vm || strcmp(in_vm, "1") != 0 || geteuid() != 0 || !keyboard) {
		printf("lock-uinput: the installed PAM stack is tested in the VM only; skipped\n");
		return;
	}
	unsetenv("TESSERA_TEST_PAM_CONFDIR");
	CHECK(
	    system(
		"id tessera-pam >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin tessera-pam") ==
	    0);
	CHECK(system("echo 'tessera-pam:s3cret' | chpasswd") == 0);
	CHECK(system("install -m 644 " TSR_SOURCE_ROOT "/data/pam/tessera /etc/pam.d/tessera") ==
	      0);
	static const char installed_config[] = "[output]\nbackend = kms\n"
					       "[domain work]\ncolour = blue\n"
					       "[lock]\nuser = tessera-pam\n";
	const char *const args[] = {"--input-device", DEVICE_NAME, NULL};
	CHECK(harness_start_args(&harness, "lock-installed-pam", installed_config, args));
	CHECK(wait_status("locked=no"));
	char reply[256];
	CHECK(harness_control(&harness, "lock", reply, sizeof(reply)) &&
	      strncmp(reply, "ok", 2) == 0);
	CHECK(wait_status("locked=yes"));
	unlock_after_one_refusal();
	CHECK(harness_log_contains(&harness, "tessera", "lock: unlocked"));
	CHECK(harness_stop(&harness));
	libevdev_uinput_destroy(keyboard);
	keyboard = NULL;
}

TSR_TEST_MAIN({"lock with a uinput keyboard on KMS", test_lock_with_uinput},
	      {"unlock through the installed PAM service (pam_unix)", test_installed_pam})
