/* Locking before suspend against a stand-in logind: real tessera and agent
 * processes (headless) on a private D-Bus bus of the test's own
 * (dbus-daemon with a config written here; DBUS_SYSTEM_BUS_ADDRESS points
 * tessera at it), where python3-dbusmock's `logind` template owns
 * org.freedesktop.login1. The real logind needs systemd as PID 1, which a
 * build machine does not have; the template's Inhibit hands out one end of
 * a pipe and forgets the inhibitor when the other end is closed
 * (ListInhibitors), so the test sees when Tessera lets the system sleep.
 *
 * Checked: the inhibitor ("sleep", "delay") is held before the signal;
 * PrepareForSleep(true) locks (the focused guest gets its releases and a
 * focus-out); while the lock frame has not reached the screen (frame
 * events held back by the test-hooks command `test-hold-frames`) the
 * inhibitor stays held, and it is closed once the frame is shown (with two
 * outputs: once it is shown on both, not when one has it); the
 * capture then is the lock screen with no pixel near any guest's colour; a
 * key sent then reaches no guest; PrepareForSleep(false) takes a new
 * inhibitor; logind leaving and coming back (NameOwnerChanged) drops and
 * retakes it; [lock] suspend = no inhibits and locks nothing; without
 * [lock] user the inhibitor is released at once and that is logged; with
 * no bus, or a bus without logind, Tessera runs as before and says so in
 * one line; `--user nobody` under the seccomp filter still gets its
 * inhibitor fds. Exits 77 (skipped) only when dbus-daemon or
 * python3-dbusmock is missing. Waits poll with deadlines; nothing is
 * timed. */
#include <linux/input-event-codes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "harness.h"
#include "harness_image.h"
#include "tessera/image.h"
#include "test.h"

#define LOGIND "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOCK_BACKGROUND 0x101820u /* core/lock.c */

static const uint32_t guest_colours[] = {0x2040e0, 0x20e040};
static const char config_text[] = "[output]\nwidth = 640\nheight = 400\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n"
				  "[lock]\nuser = tessera-test\n";

static struct harness bus_dir; /* only its directory: bus socket and logs */
static char bus_address[400];
static const char *python;
static pid_t bus_pid, mock_pid;

static sd_bus *connect_bus(const char *address)
{
	sd_bus *bus = NULL;
	if (sd_bus_new(&bus) < 0)
		return NULL;
	if (sd_bus_set_address(bus, address) < 0 || sd_bus_set_bus_client(bus, 1) < 0 ||
	    sd_bus_start(bus) < 0)
		return sd_bus_unref(bus);
	return bus;
}

/* The inhibitors the stand-in logind holds now, -1 when it does not
 * answer; what/mode of the first one into what/mode. */
static int inhibitors(char *what, char *mode, size_t len)
{
	sd_bus *bus = connect_bus(bus_address);
	if (!bus)
		return -1;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int count = -1;
	if (sd_bus_call_method(bus, LOGIND, LOGIND_PATH, LOGIND ".Manager", "ListInhibitors",
			       &error, &reply, "") < 0)
		goto out;
	if (sd_bus_message_enter_container(reply, 'a', "(ssssuu)") < 0)
		goto out;
	count = 0;
	const char *w, *who, *why, *m;
	uint32_t uid, pid;
	while (sd_bus_message_read(reply, "(ssssuu)", &w, &who, &why, &m, &uid, &pid) > 0) {
		if (count == 0 && what) {
			snprintf(what, len, "%s/%s", w, who);
			snprintf(mode, len, "%s", m);
		}
		count++;
	}
out:
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	sd_bus_unref(bus);
	return count;
}

static bool wait_inhibitors(int expected)
{
	for (int i = 0; i < 1000; i++) {
		if (inhibitors(NULL, NULL, 0) == expected)
			return true;
		harness_sleep_ms(20);
	}
	fprintf(stderr, "the stand-in logind never held %d inhibitor(s)\n", expected);
	return false;
}

static bool prepare_for_sleep(bool sleeping)
{
	sd_bus *bus = connect_bus(bus_address);
	if (!bus)
		return false;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(bus, LOGIND, LOGIND_PATH, "org.freedesktop.DBus.Mock",
				   "EmitSignal", &error, NULL, "sssav", LOGIND ".Manager",
				   "PrepareForSleep", "b", 1, "b", (int)sleeping);
	if (r < 0)
		fprintf(stderr, "EmitSignal: %s\n", error.message ? error.message : strerror(-r));
	sd_bus_error_free(&error);
	sd_bus_unref(bus);
	return r >= 0;
}

static void stop_process(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		harness_wait(*pid, 10000);
	}
	*pid = 0;
}

static bool start_mock(void)
{
	char *argv[] = {(char *)python, "-m", "dbusmock", "--template", "logind", NULL};
	mock_pid = harness_spawn(&bus_dir, "dbusmock", argv);
	/* Answering: a Tessera on the bus may already hold an inhibitor. */
	for (int i = 0; mock_pid > 0 && i < 1000; i++) {
		if (inhibitors(NULL, NULL, 0) >= 0)
			return true;
		harness_sleep_ms(20);
	}
	fprintf(stderr, "the stand-in logind never answered; see %s\n", bus_dir.dir);
	return false;
}

static bool start_bus(void)
{
	snprintf(bus_dir.dir, sizeof(bus_dir.dir), "/tmp/tessera-test-logind-bus-XXXXXX");
	if (!mkdtemp(bus_dir.dir))
		return false;
	char config[512];
	harness_path(&bus_dir, "bus.conf", config, sizeof(config));
	FILE *file = fopen(config, "w");
	if (!file)
		return false;
	/* A bus that lets everyone own and call anything, and passes fds:
	 * the policy of the real system bus is not what is tested here. */
	fprintf(file,
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration "
		"1.0//EN\" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig>\n  <type>system</type>\n"
		"  <listen>unix:path=%s/bus</listen>\n  <auth>EXTERNAL</auth>\n"
		"  <policy context=\"default\">\n    <allow user=\"*\"/>\n"
		"    <allow own=\"*\"/>\n    <allow send_destination=\"*\"/>\n"
		"    <allow receive_sender=\"*\"/>\n  </policy>\n</busconfig>\n",
		bus_dir.dir);
	fclose(file);
	snprintf(bus_address, sizeof(bus_address), "unix:path=%s/bus", bus_dir.dir);
	char daemon[] = "/usr/bin/dbus-daemon", arg[600];
	snprintf(arg, sizeof(arg), "--config-file=%s", config);
	char *argv[] = {daemon, arg, "--nofork", NULL};
	bus_pid = harness_spawn(&bus_dir, "dbus-daemon", argv);
	if (bus_pid <= 0)
		return false;
	for (int i = 0; i < 500; i++) {
		sd_bus *bus = connect_bus(bus_address);
		if (bus) {
			sd_bus_unref(bus);
			return setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_address, 1) == 0;
		}
		harness_sleep_ms(20);
	}
	fprintf(stderr, "the private bus never came up; see %s\n", bus_dir.dir);
	return false;
}

static bool status_says(struct harness *h, const char *text)
{
	char reply[1024];
	return harness_control(h, "status", reply, sizeof(reply)) && strstr(reply, text);
}

static bool wait_status(struct harness *h, const char *text)
{
	return harness_wait_reply(h, "status", text, 30000);
}

static bool key(struct harness *h, unsigned code, unsigned state)
{
	char command[64], reply[128];
	snprintf(command, sizeof(command), "test-key %u %u", code, state);
	return harness_control(h, command, reply, sizeof(reply));
}

static pid_t start_agent(struct harness *h, const char *name, const char *colour)
{
	char socket_path[512], log_name[64], agent[512];
	snprintf(socket_path, sizeof(socket_path), "%s/%s.sock", h->dir, name);
	snprintf(log_name, sizeof(log_name), "agent-%s", name);
	snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
	char *argv[] = {agent,		"--socket", socket_path,  "--source",	 "demo", "--colour",
			(char *)colour, "--name",   (char *)name, "--log-input", NULL};
	return harness_spawn(h, log_name, argv);
}

/* Frame events held from now on, and one is held on `outputs` outputs. */
static bool wait_held_frames(struct harness *h, int outputs)
{
	char reply[64], expected[16];
	snprintf(expected, sizeof(expected), "ok %d", outputs);
	for (int i = 0; i < 1500; i++) {
		if (harness_control(h, "test-hold-frames 1", reply, sizeof(reply)) &&
		    strcmp(reply, expected) == 0)
			return true;
		harness_sleep_ms(10);
	}
	fprintf(stderr, "frames were never held on %d output(s)\n", outputs);
	return false;
}

static bool wait_held_frame(struct harness *h)
{
	return wait_held_frames(h, 1);
}

static uint32_t pixel(const struct tsr_buffer *image, uint32_t x, uint32_t y)
{
	return ((const uint32_t *)((const uint8_t *)image->data + (size_t)y * image->stride))[x] &
	       0xffffffu;
}

static long pixels_near(const struct tsr_buffer *image, uint32_t colour, int within)
{
	long count = 0;
	for (uint32_t y = 0; y < image->height; y++) {
		for (uint32_t x = 0; x < image->width; x++) {
			uint32_t p = pixel(image, x, y);
			int d = 0;
			for (int shift = 0; shift <= 16; shift += 8) {
				int delta =
				    (int)((p >> shift) & 0xff) - (int)((colour >> shift) & 0xff);
				d += delta < 0 ? -delta : delta;
			}
			count += d <= within;
		}
	}
	return count;
}

static struct tsr_buffer *screenshot(struct harness *h, const char *name)
{
	return harness_screenshot(h, name, NULL);
}

static void test_lock_before_suspend(void)
{
	struct harness h;
	CHECK(harness_start(&h, "logind", config_text));
	start_agent(&h, "work", "2040e0");
	start_agent(&h, "personal", "20e040");
	CHECK(harness_wait_stat(&h, "work", "commits", 5, 20000));
	CHECK(harness_wait_stat(&h, "personal", "commits", 5, 20000));
	CHECK(wait_status(&h, "focused=work"));

	/* Held before the signal: one delay inhibitor for sleep. */
	CHECK(wait_status(&h, "suspend_inhibitor=held"));
	char what[64] = "", mode[64] = "";
	CHECK_EQ_INT(inhibitors(what, mode, sizeof(what)), 1);
	CHECK(strcmp(what, "sleep/Tessera") == 0);
	CHECK(strcmp(mode, "delay") == 0);
	struct tsr_buffer *before = screenshot(&h, "before.png");
	CHECK(before && pixels_near(before, guest_colours[0], 30) > 10000);

	/* A key held when the system goes to sleep is released to the guest. */
	CHECK(key(&h, KEY_A, 1));
	CHECK(harness_wait_log(&h, "agent-work", "input key 30 pressed", 10000));
	long focus_outs = harness_log_count(&h, "agent-work", "input focus-out");

	/* Frames reach the screen only when the test says so. A frame drawn
	 * before the lock is on its way when the system goes to sleep. */
	CHECK(wait_held_frame(&h));
	CHECK(prepare_for_sleep(true));
	CHECK(wait_status(&h, "locked=yes"));
	CHECK(harness_log_contains(&h, "tessera", "lock: locked (suspend)"));
	CHECK_EQ_INT(inhibitors(NULL, NULL, 0), 1);
	/* That frame reaches the screen; the lock frame is drawn and is on
	 * its way: still held, as the screen shows a guest. */
	char reply[256];
	CHECK(harness_control(&h, "test-hold-frames step", reply, sizeof(reply)));
	CHECK(strcmp(reply, "ok 1") == 0);
	CHECK(wait_held_frame(&h));
	CHECK_EQ_INT(inhibitors(NULL, NULL, 0), 1);
	CHECK(status_says(&h, "suspend_inhibitor=held"));
	CHECK(!harness_log_contains(&h, "tessera", "suspend may go on"));

	/* The lock frame is shown: the system may sleep. */
	CHECK(harness_control(&h, "test-hold-frames 0", reply, sizeof(reply)));
	CHECK(strcmp(reply, "ok 1") == 0);
	CHECK(wait_inhibitors(0));
	CHECK(wait_status(&h, "suspend_inhibitor=none"));
	CHECK(harness_log_contains(&h, "tessera",
				   "suspend may go on (the lock screen is on every output)"));
	CHECK(harness_wait_log(&h, "agent-work", "input key 30 released", 10000));
	for (int i = 0;
	     i < 500 && harness_log_count(&h, "agent-work", "input focus-out") == focus_outs; i++)
		harness_sleep_ms(20);
	CHECK_EQ_INT(harness_log_count(&h, "agent-work", "input focus-out"), focus_outs + 1);
	struct tsr_buffer *locked = screenshot(&h, "locked.png");
	CHECK(locked != NULL);
	if (locked) {
		for (size_t i = 0; i < 2; i++) {
			long near = pixels_near(locked, guest_colours[i], 60);
			fprintf(stderr, "locked capture: %ld pixels near guest colour %06x\n", near,
				guest_colours[i]);
			CHECK_EQ_INT(near, 0);
		}
		CHECK(pixels_near(locked, LOCK_BACKGROUND, 0) > 640 * 400 / 2);
	}
	CHECK(key(&h, KEY_A, 0));
	CHECK(key(&h, KEY_Z, 1) && key(&h, KEY_Z, 0)); /* typed while asleep */

	/* Resumed: a new inhibitor; still locked. */
	CHECK(prepare_for_sleep(false));
	CHECK(wait_inhibitors(1));
	CHECK(wait_status(&h, "suspend_inhibitor=held"));
	CHECK(status_says(&h, "locked=yes"));

	/* logind goes away and comes back. */
	stop_process(&mock_pid);
	CHECK(wait_status(&h, "suspend_inhibitor=none"));
	CHECK(start_mock());
	CHECK(wait_inhibitors(1));
	CHECK(wait_status(&h, "suspend_inhibitor=held"));

	/* The keys typed on the lock screen reached neither guest. */
	CHECK_EQ_INT(harness_log_count(&h, "agent-work", "input key 44 "), 0);
	CHECK_EQ_INT(harness_log_count(&h, "agent-personal", "input key 44 "), 0);
	CHECK_EQ_INT(harness_log_count(&h, "agent-work", "input key 30 released"), 1);
	CHECK(!harness_log_contains(&h, "tessera", "refused system call"));
	CHECK(harness_stop(&h));
	CHECK(wait_inhibitors(0));
	tsr_buffer_destroy(before);
	tsr_buffer_destroy(locked);
}

/* Two outputs: the lock frame shown on one is not enough. */
static void test_every_output(void)
{
	struct harness h;
	CHECK(harness_start(&h, "logind-two",
			    "[output]\nwidth = 320\nheight = 200\n[output left]\n"
			    "[output right]\n[domain work]\ncolour = blue\n"
			    "[lock]\nuser = tessera-test\n"));
	start_agent(&h, "work", "2040e0");
	CHECK(harness_wait_stat(&h, "work", "commits", 5, 20000));
	CHECK(wait_inhibitors(1));
	/* Damage on both outputs: a frame on its way on each. */
	char reply[256];
	CHECK(harness_control(&h, "test-pointer 400 100", reply, sizeof(reply)));
	CHECK(wait_held_frames(&h, 2));
	CHECK(prepare_for_sleep(true));
	CHECK(wait_status(&h, "locked=yes"));
	CHECK(harness_control(&h, "test-hold-frames step", reply, sizeof(reply)));
	CHECK(strcmp(reply, "ok 2") == 0);
	CHECK(wait_held_frames(&h, 2)); /* both lock frames on their way */
	CHECK(harness_control(&h, "test-hold-frames step right", reply, sizeof(reply)));
	CHECK(strcmp(reply, "ok 1") == 0);
	CHECK(wait_status(&h, "locked=yes"));
	CHECK_EQ_INT(inhibitors(NULL, NULL, 0), 1);
	CHECK(!harness_log_contains(&h, "tessera", "suspend may go on"));
	CHECK(harness_control(&h, "test-hold-frames 0", reply, sizeof(reply)));
	CHECK(wait_inhibitors(0));
	CHECK(harness_log_contains(&h, "tessera",
				   "suspend may go on (the lock screen is on every output)"));
	CHECK(prepare_for_sleep(false));
	CHECK(wait_inhibitors(1));
	CHECK(harness_stop(&h));
	CHECK(wait_inhibitors(0));
}

static void test_suspend_no(void)
{
	struct harness h;
	CHECK(harness_start(&h, "logind-no",
			    "[output]\nwidth = 320\nheight = 200\n"
			    "[lock]\nuser = tessera-test\nsuspend = no\n"));
	CHECK(harness_log_contains(&h, "tessera", "[lock] suspend = no"));
	CHECK(prepare_for_sleep(true));
	/* Nothing to wait for when nothing happens: a Tessera that took an
	 * inhibitor or locked would show it after these bus round trips and
	 * the pause. */
	CHECK_EQ_INT(inhibitors(NULL, NULL, 0), 0);
	harness_sleep_ms(300);
	CHECK(status_says(&h, "locked=no"));
	CHECK(status_says(&h, "suspend_inhibitor=none"));
	CHECK_EQ_INT(inhibitors(NULL, NULL, 0), 0);
	CHECK(prepare_for_sleep(false));
	CHECK(harness_stop(&h));
}

static void test_no_lock_user(void)
{
	struct harness h;
	CHECK(harness_start(&h, "logind-nouser", "[output]\nwidth = 320\nheight = 200\n"));
	CHECK(wait_inhibitors(1));
	CHECK(prepare_for_sleep(true));
	CHECK(wait_inhibitors(0));
	CHECK(harness_wait_log(&h, "tessera", "suspend was not preceded by a lock", 5000));
	CHECK_EQ_INT(harness_log_count(&h, "tessera", "suspend was not preceded by a lock"), 1);
	CHECK(status_says(&h, "locked=no"));
	CHECK(prepare_for_sleep(false));
	CHECK(wait_inhibitors(1));
	CHECK(harness_stop(&h));
	CHECK(wait_inhibitors(0));
}

/* Unprivileged and confined: the inhibitor fds still arrive (recvmsg with
 * SCM_RIGHTS under the seccomp filter). */
static void test_unprivileged(void)
{
	if (geteuid() != 0) {
		printf("unprivileged tessera: needs root to drop from; not run\n");
		return;
	}
	struct harness h;
	const char *const args[] = {"--user", "nobody", NULL};
	CHECK(harness_start_args(&h, "logind-nobody", config_text, args));
	CHECK(harness_wait_log(&h, "tessera", "confined by the seccomp filter", 10000));
	CHECK(wait_inhibitors(1));
	chmod(h.dir, 0711);
	CHECK(prepare_for_sleep(true));
	CHECK(wait_inhibitors(0));
	CHECK(status_says(&h, "locked=yes"));
	CHECK(prepare_for_sleep(false));
	CHECK(wait_inhibitors(1));
	CHECK(wait_status(&h, "suspend_inhibitor=held"));
	CHECK(harness_log_contains(&h, "tessera", "running as nobody"));
	CHECK(!harness_log_contains(&h, "tessera", "refused system call"));
	CHECK(harness_stop(&h));
}

static void check_runs_without(const char *name, const char *address, const char *line)
{
	setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1);
	struct harness h;
	CHECK(harness_start(&h, name,
			    "[output]\nwidth = 320\nheight = 200\n[domain work]\ncolour = blue\n"
			    "[lock]\nuser = tessera-test\n"));
	start_agent(&h, "work", "2040e0");
	CHECK(harness_wait_stat(&h, "work", "commits", 5, 20000));
	CHECK(harness_wait_log(&h, "tessera", line, 5000));
	CHECK_EQ_INT(harness_log_count(&h, "tessera", "logind:"), 1);
	CHECK(status_says(&h, "suspend_inhibitor=none"));
	char reply[256];
	CHECK(harness_control(&h, "lock", reply, sizeof(reply)));
	CHECK(status_says(&h, "locked=yes"));
	CHECK(harness_stop(&h));
	setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_address, 1);
}

static void test_no_bus_no_logind(void)
{
	char missing[512];
	harness_path(&bus_dir, "no-such-bus", missing, sizeof(missing));
	char address[600];
	snprintf(address, sizeof(address), "unix:path=%s", missing);
	check_runs_without("logind-nobus", address, "logind: no system bus");
	stop_process(&mock_pid);
	check_runs_without("logind-nologind", bus_address, "logind: no sleep inhibitor");
}

static bool found_tools(void)
{
	if (access("/usr/bin/dbus-daemon", X_OK) != 0) {
		printf("SKIP: dbus-daemon is not installed (Debian: dbus-daemon)\n");
		return false;
	}
	/* The system's python3: python3-dbusmock is a Debian package. */
	static const char *const candidates[] = {"/usr/bin/python3", "/usr/local/bin/python3"};
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		char command[256];
		snprintf(command, sizeof(command), "%s -c 'import dbusmock' 2>/dev/null",
			 candidates[i]);
		if (system(command) == 0) {
			python = candidates[i];
			return true;
		}
	}
	printf("SKIP: python3-dbusmock is not installed\n");
	return false;
}

int tsr_test_failures;

int main(void)
{
	if (!found_tools())
		return 77;
	static const struct tsr_test_case cases[] = {
	    {"locked before suspend, inhibitor closed once shown", test_lock_before_suspend},
	    {"two outputs: released once both show the lock", test_every_output},
	    {"[lock] suspend = no", test_suspend_no},
	    {"no [lock] user: released at once", test_no_lock_user},
	    {"--user nobody under the seccomp filter", test_unprivileged},
	    {"no bus, no logind: runs as before", test_no_bus_no_logind},
	};
	int passed = 0, failed = 0;
	if (!start_bus() || !start_mock()) {
		fprintf(stderr, "the private bus or the stand-in logind did not start; see %s\n",
			bus_dir.dir);
		stop_process(&mock_pid);
		stop_process(&bus_pid);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = tsr_test_failures;
		cases[i].run();
		if (tsr_test_failures == before) {
			passed++;
			printf("ok   %s\n", cases[i].name);
		} else {
			failed++;
			printf("FAIL %s\n", cases[i].name);
		}
	}
	stop_process(&mock_pid);
	stop_process(&bus_pid);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
