/* End-to-end input test for the test VM (root, /dev/uinput, evdev): real
 * kernel input devices made with uinput, the real tessera grabbing them, real
 * tessera-agent processes printing what they receive (--log-input), one of
 * them replaying it inside the "guest" (--inject uinput). Every check looks at
 * outcomes in the agents' logs, never at timings:
 *
 *  - typed keys reach only the focused agent;
 *  - Ctrl+Alt+2 switches focus and no agent sees any part of the chord;
 *  - a key held across a switch: the old domain gets its release and a
 *    focus-out, the new one a focus-in listing it, then owns its release;
 *  - 10,000 absolute pointer events written at ~1 kHz with keys and clicks
 *    among them: every key and button arrives, in order; motion may be
 *    coalesced (a kernel overrun under load, a slow guest) but never
 *    invented or reordered, and ends where the device ended; the counts of
 *    overruns, coalesced and dropped events are printed as figures;
 *  - --inject uinput re-creates keys and the pointer position in the guest;
 *  - unplugging the keyboard with a key held releases it (in the guest too)
 *    and leaves tessera running; a re-plugged keyboard is picked up.
 *
 * Exits 77 (skip) without root or /dev/uinput; else 0 only if all pass. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <linux/input.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "test.h"

#define DEVICE_NAME "tessera-e2e-input"
#define OUTPUT_WIDTH 640
#define OUTPUT_HEIGHT 400
#define DOMAIN_COUNT 3
#define MOTION_EVENTS 10000
#define MOTION_COLUMNS 500 /* x runs over 500 columns, then y steps */
#define MOTION_X0 100
#define MOTION_Y0 100
#define WAIT_MS 20000

static const char *const domain_names[DOMAIN_COUNT] = {"work", "personal", "untrusted"};
static const char *const domain_colours[DOMAIN_COUNT] = {"0000ff", "00ff00", "ff0000"};

static const char config_text[] = "[output]\nwidth = 640\nheight = 400\n"
				  "[decorations]\nborder_width = 4\nbanner_height = 28\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n"
				  "[domain untrusted]\ncolour = red\n";

struct input_lines {
	char **lines;
	size_t count;
};

struct e2e {
	struct harness harness;
	pid_t agents[DOMAIN_COUNT];
	struct libevdev *keyboard_template, *pointer_template;
	struct libevdev_uinput *keyboard, *pointer;
	/* The devices agent "personal" (--inject uinput) creates in the guest. */
	struct libevdev *injected_keyboard, *injected_pointer;
	int injected_keyboard_fd, injected_pointer_fd;
};

static struct e2e e2e = {.injected_keyboard_fd = -1, .injected_pointer_fd = -1};

int tsr_test_failures;
static int case_start_failures; /* tsr_test_failures when the case began */

static bool case_failed(void)
{
	return tsr_test_failures > case_start_failures;
}

static void sleep_ms(int ms)
{
	struct timespec delay = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&delay, NULL);
}

/* ---- agent logs ---------------------------------------------------------- */

static void lines_free(struct input_lines *lines)
{
	for (size_t i = 0; i < lines->count; i++)
		free(lines->lines[i]);
	free(lines->lines);
	*lines = (struct input_lines){0};
}

/* All "input ..." lines the agent printed so far (its stderr shares the file
 * but never starts with "input "). */
static struct input_lines read_input_lines(int agent)
{
	struct input_lines lines = {0};
	char path[512], log_name[64];
	snprintf(log_name, sizeof(log_name), "agent-%s.log", domain_names[agent]);
	harness_path(&e2e.harness, log_name, path, sizeof(path));
	FILE *file = fopen(path, "r");
	if (!file)
		return lines;
	size_t capacity = 0;
	char line[1024];
	while (fgets(line, sizeof(line), file)) {
		if (strncmp(line, "input ", 6) != 0 || !strchr(line, '\n'))
			continue; /* not ours, or a line still being written */
		line[strcspn(line, "\n")] = '\0';
		if (lines.count == capacity) {
			capacity = capacity ? capacity * 2 : 256;
			char **grown = realloc(lines.lines, capacity * sizeof(*grown));
			if (!grown)
				break;
			lines.lines = grown;
		}
		lines.lines[lines.count] = strdup(line + 6);
		if (!lines.lines[lines.count])
			break;
		lines.count++;
	}
	fclose(file);
	return lines;
}

static size_t input_line_count(int agent)
{
	char path[512], log_name[64];
	snprintf(log_name, sizeof(log_name), "agent-%s.log", domain_names[agent]);
	harness_path(&e2e.harness, log_name, path, sizeof(path));
	FILE *file = fopen(path, "r");
	if (!file)
		return 0;
	size_t count = 0;
	char line[1024];
	while (fgets(line, sizeof(line), file))
		count += strncmp(line, "input ", 6) == 0 && strchr(line, '\n') != NULL;
	fclose(file);
	return count;
}

/* Index of the first line at or after from that starts with prefix, or -1. */
static long find_line(const struct input_lines *lines, size_t from, const char *prefix)
{
	for (size_t i = from; i < lines->count; i++)
		if (strncmp(lines->lines[i], prefix, strlen(prefix)) == 0)
			return (long)i;
	return -1;
}

static size_t count_lines(const struct input_lines *lines, size_t from, const char *prefix)
{
	size_t count = 0;
	for (size_t i = from; i < lines->count; i++)
		count += strncmp(lines->lines[i], prefix, strlen(prefix)) == 0;
	return count;
}

/* Waits until the agent printed, after line `from`, the given lines in this
 * order (others may come between). */
static bool wait_for_sequence(int agent, size_t from, const char *const *expected, size_t n)
{
	for (int waited = 0; waited <= WAIT_MS; waited += 20) {
		struct input_lines lines = read_input_lines(agent);
		size_t at = from, found = 0;
		for (; found < n; found++) {
			long index = find_line(&lines, at, expected[found]);
			if (index < 0)
				break;
			at = (size_t)index + 1;
		}
		lines_free(&lines);
		if (found == n)
			return true;
		sleep_ms(20);
	}
	fprintf(stderr, "input-e2e: agent %s never printed the expected lines after line %zu:\n",
		domain_names[agent], from);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  %s\n", expected[i]);
	return false;
}

static bool wait_for_line(int agent, size_t from, const char *prefix)
{
	return wait_for_sequence(agent, from, &prefix, 1);
}

static void dump_lines(int agent, size_t from)
{
	struct input_lines lines = read_input_lines(agent);
	fprintf(stderr, "input-e2e: agent %s, input lines from %zu:\n", domain_names[agent], from);
	for (size_t i = from; i < lines.count && i < from + 40; i++)
		fprintf(stderr, "  %s\n", lines.lines[i]);
	lines_free(&lines);
}

/* ---- compositor ---------------------------------------------------------- */

static bool control(const char *command, char *reply, size_t reply_len)
{
	return harness_control(&e2e.harness, command, reply, reply_len);
}

static bool focused_is(const char *name)
{
	char reply[256], expected[64];
	snprintf(expected, sizeof(expected), " focused=%s ", name);
	return control("status", reply, sizeof(reply)) && strstr(reply, expected) != NULL;
}

static bool wait_focused(const char *name)
{
	for (int waited = 0; waited <= WAIT_MS; waited += 20) {
		if (focused_is(name))
			return true;
		sleep_ms(20);
	}
	char reply[256];
	control("status", reply, sizeof(reply));
	fprintf(stderr, "input-e2e: focus never became %s (%s)\n", name, reply);
	return false;
}

/* Counts lines of tessera's log containing text. */
static size_t tessera_log_count(const char *text)
{
	char path[512];
	harness_path(&e2e.harness, "tessera.log", path, sizeof(path));
	FILE *file = fopen(path, "r");
	if (!file)
		return 0;
	size_t count = 0;
	char line[2048];
	while (fgets(line, sizeof(line), file))
		count += strstr(line, text) != NULL;
	fclose(file);
	return count;
}

static bool wait_tessera_log_count(const char *text, size_t count)
{
	for (int waited = 0; waited <= WAIT_MS; waited += 20) {
		if (tessera_log_count(text) >= count)
			return true;
		if (!harness_alive(e2e.harness.compositor))
			return false;
		sleep_ms(20);
	}
	fprintf(stderr, "input-e2e: tessera's log has %zu lines with '%s', want %zu\n",
		tessera_log_count(text), text, count);
	return false;
}

static bool start_tessera(void)
{
	struct harness *harness = &e2e.harness;
	snprintf(harness->dir, sizeof(harness->dir), "/tmp/tessera-input-e2e-XXXXXX");
	if (!mkdtemp(harness->dir))
		return false;
	fprintf(stderr, "input-e2e: sockets and logs in %s\n", harness->dir);
	char config_path[512];
	harness_path(harness, "tessera.conf", config_path, sizeof(config_path));
	FILE *file = fopen(config_path, "w");
	if (!file)
		return false;
	fputs(config_text, file);
	fclose(file);
	harness_path(harness, "control.sock", harness->control, sizeof(harness->control));
	char tessera[512];
	snprintf(tessera, sizeof(tessera), "%s", harness_binary("compositor/tessera"));
	/* Grabbing is required (no --allow-ungrabbed): the real policy. */
	char *argv[] = {tessera,	  "--config",	config_path,
			"--runtime-dir",  harness->dir, "--input",
			"--input-device", DEVICE_NAME,	NULL};
	harness->compositor = harness_spawn(harness, "tessera", argv);
	if (harness->compositor < 0)
		return false;
	/* A display server runs above ordinary guest-side work (deployments
	 * give it a higher priority too): the kernel buffers only ~40 ms of a
	 * 1 kHz pointer per reader, and in the VM five processes share two
	 * emulated CPUs. */
	if (setpriority(PRIO_PROCESS, (id_t)harness->compositor, -10) < 0)
		fprintf(stderr, "input-e2e: cannot raise tessera's priority: %s\n",
			strerror(errno));
	char reply[256];
	for (int waited = 0; waited < WAIT_MS; waited += 20) {
		if (control("status", reply, sizeof(reply)))
			return true;
		if (!harness_alive(harness->compositor)) {
			fprintf(stderr, "input-e2e: tessera exited at start; see %s/tessera.log\n",
				harness->dir);
			return false;
		}
		sleep_ms(20);
	}
	return false;
}

static pid_t start_agent(int index, bool inject)
{
	char socket_path[512], log_name[64], agent[512];
	snprintf(socket_path, sizeof(socket_path), "%s/%s.sock", e2e.harness.dir,
		 domain_names[index]);
	snprintf(log_name, sizeof(log_name), "agent-%s", domain_names[index]);
	snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
	char *argv[] = {agent,
			"--socket",
			socket_path,
			"--source",
			"demo",
			"--colour",
			(char *)domain_colours[index],
			"--name",
			(char *)domain_names[index],
			"--log-input",
			inject ? "--inject" : NULL,
			"uinput",
			NULL};
	return harness_spawn(&e2e.harness, log_name, argv);
}

/* ---- uinput devices (the "physical" keyboard and pointer) ---------------- */

static struct libevdev *make_keyboard_template(void)
{
	struct libevdev *evdev = libevdev_new();
	libevdev_set_name(evdev, DEVICE_NAME);
	libevdev_set_id_bustype(evdev, BUS_USB);
	/* No EV_REP: kernel auto-repeat while a key is held would add repeat
	 * lines at times we do not control. */
	for (unsigned code = KEY_ESC; code <= KEY_MICMUTE; code++)
		libevdev_enable_event_code(evdev, EV_KEY, code, NULL);
	return evdev;
}

/* An absolute pointer (like QEMU's usb-tablet) whose range is the output,
 * so a device position is exactly an output position. */
static struct libevdev *make_pointer_template(void)
{
	struct libevdev *evdev = libevdev_new();
	libevdev_set_name(evdev, DEVICE_NAME);
	libevdev_set_id_bustype(evdev, BUS_USB);
	struct input_absinfo x = {.minimum = 0, .maximum = OUTPUT_WIDTH - 1};
	struct input_absinfo y = {.minimum = 0, .maximum = OUTPUT_HEIGHT - 1};
	libevdev_enable_event_code(evdev, EV_ABS, ABS_X, &x);
	libevdev_enable_event_code(evdev, EV_ABS, ABS_Y, &y);
	libevdev_enable_event_code(evdev, EV_KEY, BTN_LEFT, NULL);
	libevdev_enable_event_code(evdev, EV_KEY, BTN_RIGHT, NULL);
	return evdev;
}

static bool create_keyboard(void)
{
	int rc = libevdev_uinput_create_from_device(e2e.keyboard_template,
						    LIBEVDEV_UINPUT_OPEN_MANAGED, &e2e.keyboard);
	if (rc < 0) {
		fprintf(stderr, "input-e2e: cannot create the uinput keyboard: %s\n",
			strerror(-rc));
		return false;
	}
	return true;
}

static void destroy_keyboard(void)
{
	libevdev_uinput_destroy(e2e.keyboard);
	e2e.keyboard = NULL;
}

static void write_event(struct libevdev_uinput *device, unsigned type, unsigned code, int value)
{
	if (device && libevdev_uinput_write_event(device, type, code, value) < 0)
		fprintf(stderr, "input-e2e: uinput write failed\n");
}

static void key(unsigned code, int value)
{
	write_event(e2e.keyboard, EV_KEY, code, value);
	write_event(e2e.keyboard, EV_SYN, SYN_REPORT, 0);
	/* One frame per read is how a person types; it also lets each step be
	 * seen on its own in tessera's log. */
	sleep_ms(5);
}

static void tap(unsigned code)
{
	key(code, 1);
	key(code, 0);
}

static void chord_ctrl_alt(unsigned code)
{
	key(KEY_LEFTCTRL, 1);
	key(KEY_LEFTALT, 1);
	tap(code);
	key(KEY_LEFTALT, 0);
	key(KEY_LEFTCTRL, 0);
}

static void pointer_to(int x, int y)
{
	write_event(e2e.pointer, EV_ABS, ABS_X, x);
	write_event(e2e.pointer, EV_ABS, ABS_Y, y);
	write_event(e2e.pointer, EV_SYN, SYN_REPORT, 0);
}

/* ---- the devices agent "personal" creates in the guest ------------------- */

static bool open_by_name(const char *name, int *fd_out, struct libevdev **evdev_out)
{
	DIR *dir = opendir("/dev/input");
	if (!dir)
		return false;
	struct dirent *entry;
	bool found = false;
	while (!found && (entry = readdir(dir))) {
		if (strncmp(entry->d_name, "event", 5) != 0)
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/dev/input/%s", entry->d_name);
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		struct libevdev *evdev = NULL;
		if (fd >= 0 && libevdev_new_from_fd(fd, &evdev) == 0 &&
		    strcmp(libevdev_get_name(evdev), name) == 0) {
			*fd_out = fd;
			*evdev_out = evdev;
			found = true;
		} else {
			libevdev_free(evdev);
			if (fd >= 0)
				close(fd);
		}
	}
	closedir(dir);
	return found;
}

static bool open_injected_devices(void)
{
	for (int waited = 0; waited <= WAIT_MS; waited += 50) {
		if (!e2e.injected_keyboard)
			open_by_name("tessera-agent personal keyboard", &e2e.injected_keyboard_fd,
				     &e2e.injected_keyboard);
		if (!e2e.injected_pointer)
			open_by_name("tessera-agent personal pointer", &e2e.injected_pointer_fd,
				     &e2e.injected_pointer);
		if (e2e.injected_keyboard && e2e.injected_pointer)
			return true;
		sleep_ms(50);
	}
	return false;
}

/* Reads the key transitions the guest saw on the injected keyboard, as
 * code*2+value pairs (value 0 or 1; repeats skipped) into out. */
static size_t read_injected_keys(unsigned *codes, int *values, size_t max)
{
	size_t count = 0;
	struct input_event event;
	int rc;
	while ((rc = libevdev_next_event(e2e.injected_keyboard, LIBEVDEV_READ_FLAG_NORMAL,
					 &event)) >= 0) {
		if (rc == LIBEVDEV_READ_STATUS_SYNC) {
			fprintf(stderr, "input-e2e: the injected keyboard dropped events\n");
			continue;
		}
		if (event.type == EV_KEY && event.value != 2 && count < max) {
			codes[count] = event.code;
			values[count] = event.value;
			count++;
		}
	}
	return count;
}

static bool injected_keys_are(const unsigned *codes, const int *values, size_t n)
{
	unsigned seen_codes[64];
	int seen_values[64];
	size_t seen = 0;
	/* The agent replays what it receives as it receives it: give it time. */
	for (int waited = 0; waited <= WAIT_MS && seen < n; waited += 20) {
		seen += read_injected_keys(seen_codes + seen, seen_values + seen, 64 - seen);
		if (seen < n)
			sleep_ms(20);
	}
	sleep_ms(100);
	seen += read_injected_keys(seen_codes + seen, seen_values + seen, 64 - seen);
	bool same = seen == n;
	for (size_t i = 0; same && i < n; i++)
		same = seen_codes[i] == codes[i] && seen_values[i] == values[i];
	if (!same) {
		fprintf(stderr, "input-e2e: injected keyboard saw:");
		for (size_t i = 0; i < seen; i++)
			fprintf(stderr, " %u=%d", seen_codes[i], seen_values[i]);
		fprintf(stderr, "\n");
	}
	return same;
}

/* ---- checks -------------------------------------------------------------- */

static const char *focus_in_any = "focus-in";

/* Makes sure everything tessera sent an agent before now has been printed:
 * tessera writes each agent's messages in order, so once the focus-in of a
 * focus change we asked for now shows up, all earlier ones are in the log.
 * Moves focus away and back; needs no key held. */
static bool flush_agent(int agent)
{
	char reply[256], command[64];
	char status[256];
	control("status", status, sizeof(status));
	const char *focused = strstr(status, " focused=");
	char previous[32] = "";
	if (focused)
		sscanf(focused + 9, "%31s", previous);
	size_t from = input_line_count(agent);
	snprintf(command, sizeof(command), "focus %s", domain_names[agent]);
	if (!control(command, reply, sizeof(reply)) || !wait_for_line(agent, from, focus_in_any))
		return false;
	if (previous[0] && strcmp(previous, domain_names[agent]) != 0) {
		snprintf(command, sizeof(command), "focus %s", previous);
		return control(command, reply, sizeof(reply)) && wait_focused(previous);
	}
	return true;
}

static bool focus_by_control(int agent)
{
	char reply[256], command[64];
	size_t from = input_line_count(agent);
	snprintf(command, sizeof(command), "focus %s", domain_names[agent]);
	if (focused_is(domain_names[agent]))
		return true;
	return control(command, reply, sizeof(reply)) && wait_for_line(agent, from, focus_in_any);
}

static void test_typing_reaches_only_focused(void)
{
	CHECK(focus_by_control(0));
	size_t from = input_line_count(0);
	static const unsigned word[] = {KEY_H, KEY_E, KEY_L, KEY_L, KEY_O};
	const char *expected[10];
	char text[10][32];
	for (size_t i = 0; i < 5; i++) {
		tap(word[i]);
		snprintf(text[2 * i], sizeof(text[0]), "key %u pressed", word[i]);
		snprintf(text[2 * i + 1], sizeof(text[0]), "key %u released", word[i]);
		expected[2 * i] = text[2 * i];
		expected[2 * i + 1] = text[2 * i + 1];
	}
	CHECK(wait_for_sequence(0, from, expected, 10));
	struct input_lines lines = read_input_lines(0);
	CHECK_EQ_INT(count_lines(&lines, from, "key "), 10);
	lines_free(&lines);

	/* Nothing of it anywhere else. */
	for (int agent = 1; agent < DOMAIN_COUNT; agent++) {
		CHECK(flush_agent(agent));
		lines = read_input_lines(agent);
		CHECK_EQ_INT(count_lines(&lines, 0, "key "), 0);
		lines_free(&lines);
	}
}

static void test_hotkey_switches_and_never_leaks(void)
{
	CHECK(focus_by_control(0));
	size_t from_work = input_line_count(0), from_personal = input_line_count(1);
	chord_ctrl_alt(KEY_2);
	CHECK(wait_focused("personal"));
	/* A key after the chord: once personal prints it, every release of the
	 * chord has been through tessera. */
	tap(KEY_X);
	static const char *const personal_expected[] = {"focus-in 0", "key 45 pressed",
							"key 45 released"};
	CHECK(wait_for_sequence(1, from_personal, personal_expected, 3));
	CHECK(flush_agent(0));

	struct input_lines work = read_input_lines(0), personal = read_input_lines(1);
	CHECK(find_line(&work, from_work, "focus-out") >= 0);
	/* Strict rule: from a clean state the guest sees no Ctrl, Alt or 2. */
	CHECK_EQ_INT(count_lines(&work, from_work, "key "), 0);
	CHECK_EQ_INT(count_lines(&personal, from_personal, "key "), 2);
	CHECK_EQ_INT(count_lines(&personal, from_personal, "key 3 "), 0);
	CHECK_EQ_INT(count_lines(&personal, from_personal, "key 29 "), 0);
	CHECK_EQ_INT(count_lines(&personal, from_personal, "key 56 "), 0);
	if (case_failed())
		dump_lines(0, from_work), dump_lines(1, from_personal);
	lines_free(&work);
	lines_free(&personal);

	/* The guest saw X, and only X, on its own keyboard. */
	static const unsigned codes[] = {KEY_X, KEY_X};
	static const int values[] = {1, 0};
	CHECK(injected_keys_are(codes, values, 2));
}

static void test_key_held_across_switch(void)
{
	CHECK(focus_by_control(0));
	size_t from_work = input_line_count(0), from_personal = input_line_count(1);
	key(KEY_A, 1);
	CHECK(wait_for_line(0, from_work, "key 30 pressed"));
	chord_ctrl_alt(KEY_2);
	CHECK(wait_focused("personal"));
	key(KEY_A, 0);
	tap(KEY_X);
	/* seat.c: the new domain is told A is held and owns its release. */
	static const char *const personal_expected[] = {"focus-in 1 30", "key 30 released",
							"key 45 pressed", "key 45 released"};
	CHECK(wait_for_sequence(1, from_personal, personal_expected, 4));
	CHECK(flush_agent(0));

	struct input_lines work = read_input_lines(0), personal = read_input_lines(1);
	static const char *const work_expected[] = {"key 30 pressed", "key 30 released",
						    "focus-out"};
	size_t at = from_work;
	for (size_t i = 0; i < 3; i++) {
		long index = find_line(&work, at, work_expected[i]);
		CHECK(index >= 0);
		at = index >= 0 ? (size_t)index + 1 : at;
	}
	CHECK_EQ_INT(count_lines(&work, from_work, "key "), 2);
	CHECK_EQ_INT(count_lines(&personal, from_personal, "key "), 3);
	CHECK_EQ_INT(count_lines(&personal, from_personal, "key 30 pressed"), 0);
	if (case_failed())
		dump_lines(0, from_work), dump_lines(1, from_personal);
	lines_free(&work);
	lines_free(&personal);

	/* The guest does not type an A it never saw pressed. */
	static const unsigned codes[] = {KEY_X, KEY_X};
	static const int values[] = {1, 0};
	CHECK(injected_keys_are(codes, values, 2));
}

/* ---- the pointer stream under load --------------------------------------- */

/* Follows an agent's log: hands out the input lines added since the last
 * call, only whole ones. */
struct log_follower {
	FILE *file;
	long offset;
};

static bool follower_open(struct log_follower *follower, int agent)
{
	char path[512], log_name[64];
	snprintf(log_name, sizeof(log_name), "agent-%s.log", domain_names[agent]);
	harness_path(&e2e.harness, log_name, path, sizeof(path));
	follower->file = fopen(path, "r");
	follower->offset = 0;
	return follower->file != NULL;
}

static void follower_close(struct log_follower *follower)
{
	if (follower->file)
		fclose(follower->file);
	follower->file = NULL;
}

/* The next whole "input ..." line (without the prefix) into line, or false. */
static bool follower_next(struct log_follower *follower, char *line, size_t len)
{
	for (;;) {
		clearerr(follower->file);
		if (fseek(follower->file, follower->offset, SEEK_SET) != 0 ||
		    !fgets(line, (int)len, follower->file) || !strchr(line, '\n'))
			return false; /* nothing new, or a line still being written */
		follower->offset = ftell(follower->file);
		if (strncmp(line, "input ", 6) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		memmove(line, line + 6, strlen(line + 6) + 1);
		return true;
	}
}

/* The discrete events written during the stream, each one only after the
 * agent printed the one before: a press and its release can then never
 * both fall into one kernel overrun (where only the state survives), so
 * the exact sequence is what Tessera promises to deliver, at any load. */
#define STREAM_DISCRETE 24
#define STREAM_DISCRETE_EVERY (MOTION_EVENTS / (STREAM_DISCRETE + 1))

struct discrete_event {
	bool button; /* on the pointer, else the keyboard */
	unsigned code;
	int value;
	char expected[48]; /* the agent's line */
};

static void make_discrete_script(struct discrete_event *script)
{
	static const unsigned keys[] = {KEY_Q, KEY_W, KEY_E, KEY_R};
	for (int i = 0; i < STREAM_DISCRETE; i++) {
		struct discrete_event *event = &script[i];
		int pair = i / 2;
		event->button = pair % 3 == 2;
		event->code = event->button ? (pair % 2 ? BTN_RIGHT : BTN_LEFT) : keys[pair % 4];
		event->value = i % 2 == 0;
		snprintf(event->expected, sizeof(event->expected), "%s %u %s",
			 event->button ? "button" : "key", event->code,
			 event->value ? "pressed" : "released");
	}
}

static void write_discrete(const struct discrete_event *event)
{
	struct libevdev_uinput *device = event->button ? e2e.pointer : e2e.keyboard;
	write_event(device, EV_KEY, event->code, event->value);
	write_event(device, EV_SYN, SYN_REPORT, 0);
}

struct stream_seen {
	size_t motions;
	long last_index; /* of the last motion, in the written sequence; -1: none */
	long indices[MOTION_EVENTS + 64]; /* of each motion; -1: not one written */
	size_t discrete;		  /* discrete lines seen, all as expected so far */
	bool discrete_in_order;
	char unexpected[256];
};

static long motion_index(int x, int y, int offset_x, int offset_y)
{
	int column = x + offset_x - MOTION_X0, row = y + offset_y - MOTION_Y0;
	if (column < 0 || column >= MOTION_COLUMNS || row < 0)
		return -1;
	long index = (long)row * MOTION_COLUMNS + column;
	return index < MOTION_EVENTS ? index : -1;
}

static void stream_take(struct log_follower *follower, struct stream_seen *seen,
			const struct discrete_event *script, int offset_x, int offset_y)
{
	char line[256];
	while (follower_next(follower, line, sizeof(line))) {
		int x, y;
		if (sscanf(line, "motion %d %d", &x, &y) == 2) {
			long index = motion_index(x, y, offset_x, offset_y);
			if (seen->motions < sizeof(seen->indices) / sizeof(seen->indices[0]))
				seen->indices[seen->motions] = index;
			seen->last_index = index;
			seen->motions++;
		} else if (strncmp(line, "key ", 4) == 0 || strncmp(line, "button ", 7) == 0) {
			bool expected = seen->discrete < STREAM_DISCRETE &&
					strcmp(line, script[seen->discrete].expected) == 0;
			if (!expected && seen->discrete_in_order)
				snprintf(seen->unexpected, sizeof(seen->unexpected), "%s", line);
			seen->discrete_in_order &= expected;
			seen->discrete++;
		}
	}
}

/* The longest non-decreasing run of written positions that can be kept by
 * leaving some motions out (patience sorting); positions not written count
 * as left out. */
static size_t longest_in_order(const long *indices, size_t count)
{
	long *tails = malloc((count + 1) * sizeof(*tails));
	size_t length = 0;
	for (size_t i = 0; tails && i < count; i++) {
		if (indices[i] < 0)
			continue;
		size_t low = 0, high = length; /* first tail greater than indices[i] */
		while (low < high) {
			size_t mid = (low + high) / 2;
			if (tails[mid] <= indices[i])
				low = mid + 1;
			else
				high = mid;
		}
		tails[low] = indices[i];
		length += low == length;
	}
	free(tails);
	return length;
}

static void test_pointer_stream(void)
{
	CHECK(focus_by_control(1));
	/* A known start: its line gives the content's place on the output. */
	size_t before = input_line_count(1);
	pointer_to(MOTION_X0 - 10, MOTION_Y0 - 10);
	CHECK(wait_for_line(1, before, "motion "));
	struct input_lines lines = read_input_lines(1);
	long start = find_line(&lines, before, "motion ");
	int offset_x = 0, offset_y = 0;
	if (start >= 0 && sscanf(lines.lines[start], "motion %d %d", &offset_x, &offset_y) == 2) {
		offset_x = MOTION_X0 - 10 - offset_x;
		offset_y = MOTION_Y0 - 10 - offset_y;
	}
	lines_free(&lines);
	CHECK(offset_x >= 0 && offset_x < 64 && offset_y >= 0 && offset_y < 64);

	char reply[512];
	CHECK(control("status", reply, sizeof(reply)));
	const char *resyncs_text = strstr(reply, " input_resyncs=");
	long long resyncs_before = resyncs_text ? atoll(resyncs_text + 15) : -1;
	CHECK(resyncs_before >= 0);
	long long coalesced_before = harness_stat(&e2e.harness, "personal", "input_coalesced");
	CHECK(coalesced_before >= 0);

	struct log_follower follower;
	CHECK(follower_open(&follower, 1));
	if (!follower.file)
		return;
	char skip[256];
	while (follower_next(&follower, skip, sizeof(skip)))
		; /* start after what is already there */

	struct discrete_event script[STREAM_DISCRETE];
	make_discrete_script(script);
	struct stream_seen seen = {.last_index = -1, .discrete_in_order = true};
	int written_discrete = 0;
	for (int i = 0; i < MOTION_EVENTS; i++) {
		pointer_to(MOTION_X0 + i % MOTION_COLUMNS, MOTION_Y0 + i / MOTION_COLUMNS);
		/* The next discrete event, once it is due and the one before it
		 * has reached the guest. */
		if (i % 16 == 0)
			stream_take(&follower, &seen, script, offset_x, offset_y);
		if (written_discrete < STREAM_DISCRETE &&
		    i >= (written_discrete + 1) * STREAM_DISCRETE_EVERY &&
		    seen.discrete == (size_t)written_discrete)
			write_discrete(&script[written_discrete++]);
		sleep_ms(1);
	}
	fprintf(stderr, "input-e2e: %d pointer events written with %d key and button events\n",
		MOTION_EVENTS, written_discrete);
	/* What the stream did not leave room for, then everything in. Waits
	 * while lines keep coming; stops 20 s after the last one. */
	bool done = false;
	for (int idle = 0; idle <= WAIT_MS && !done; idle += 20) {
		size_t had = seen.motions + seen.discrete;
		stream_take(&follower, &seen, script, offset_x, offset_y);
		if (written_discrete < STREAM_DISCRETE && seen.discrete == (size_t)written_discrete)
			write_discrete(&script[written_discrete++]);
		done = seen.discrete == STREAM_DISCRETE && seen.last_index == MOTION_EVENTS - 1;
		if (seen.motions + seen.discrete != had)
			idle = 0;
		if (!done)
			sleep_ms(20);
	}
	sleep_ms(200); /* anything that would come after the end */
	stream_take(&follower, &seen, script, offset_x, offset_y);
	follower_close(&follower);

	CHECK(control("status", reply, sizeof(reply)));
	resyncs_text = strstr(reply, " input_resyncs=");
	long long resyncs = (resyncs_text ? atoll(resyncs_text + 15) : 0) - resyncs_before;
	long long coalesced =
	    harness_stat(&e2e.harness, "personal", "input_coalesced") - coalesced_before;
	long long dropped = harness_stat(&e2e.harness, "personal", "input_dropped");
	printf("     figures: motion delivered %zu of %d (%.3f), kernel overruns resynced %lld, "
	       "motions coalesced for a slow guest %lld, input dropped %lld\n",
	       seen.motions, MOTION_EVENTS, (double)seen.motions / MOTION_EVENTS, resyncs,
	       coalesced, dropped);

	/* The promise: every key and button, in order... */
	if (!seen.discrete_in_order)
		fprintf(stderr, "input-e2e: unexpected key/button line '%s'\n", seen.unexpected);
	CHECK(seen.discrete_in_order);
	CHECK_EQ_INT(seen.discrete, STREAM_DISCRETE);
	/* ...motion only ever coalesced, never invented or reordered: every
	 * position is one written, in order (a repeat allowed), except the one
	 * each kernel overrun's resync reads back from the kernel, which may
	 * mix two written positions' axes (EVIOCGABS reads an axis at a time,
	 * possibly while the device is mid-frame)... */
	size_t kept = longest_in_order(seen.indices,
				       seen.motions < sizeof(seen.indices) / sizeof(seen.indices[0])
					   ? seen.motions
					   : sizeof(seen.indices) / sizeof(seen.indices[0]));
	if (seen.motions - kept > (size_t)resyncs)
		fprintf(stderr,
			"input-e2e: %zu motions out of order or not written, %lld overruns\n",
			seen.motions - kept, resyncs);
	CHECK(seen.motions - kept <= (size_t)resyncs);
	CHECK(seen.motions >= 1 && seen.motions <= MOTION_EVENTS);
	/* ...and the pointer ends where the device ended. */
	CHECK_EQ_INT(seen.last_index, MOTION_EVENTS - 1);
	CHECK_EQ_INT(dropped, 0);
	CHECK(harness_stat(&e2e.harness, "personal", "connected") == 1);
	/* Figures, not limits: a stream whose every motion arrived while the
	 * count says some were coalesced or resynced would be a miscount. */
	if (resyncs == 0 && coalesced == 0)
		CHECK_EQ_INT(seen.motions, MOTION_EVENTS);

	/* The guest's tablet sits where the last motion put it. */
	CHECK(control("stats personal", reply, sizeof(reply)));
	unsigned width = 0, height = 0;
	const char *surface = strstr(reply, " surface=");
	CHECK(surface && sscanf(surface, " surface=%ux%u", &width, &height) == 2);
	int last_x = MOTION_X0 + (MOTION_EVENTS - 1) % MOTION_COLUMNS - offset_x;
	int last_y = MOTION_Y0 + (MOTION_EVENTS - 1) / MOTION_COLUMNS - offset_y;
	if (width > 1 && height > 1) {
		int want_x = (int)((long)last_x * 32767 / (width - 1));
		int want_y = (int)((long)last_y * 32767 / (height - 1));
		int got_x = -1, got_y = -1;
		for (int waited = 0; waited <= WAIT_MS; waited += 20) {
			struct input_event event;
			int rc;
			while ((rc = libevdev_next_event(e2e.injected_pointer,
							 LIBEVDEV_READ_FLAG_NORMAL, &event)) >= 0)
				if (rc == LIBEVDEV_READ_STATUS_SYNC) /* overflowed: catch up */
					while (libevdev_next_event(
						   e2e.injected_pointer, LIBEVDEV_READ_FLAG_SYNC,
						   &event) == LIBEVDEV_READ_STATUS_SYNC)
						;
			got_x = libevdev_get_event_value(e2e.injected_pointer, EV_ABS, ABS_X);
			got_y = libevdev_get_event_value(e2e.injected_pointer, EV_ABS, ABS_Y);
			if (got_x == want_x && got_y == want_y)
				break;
			sleep_ms(20);
		}
		if (got_x != want_x || got_y != want_y)
			fprintf(stderr, "input-e2e: injected pointer at %d,%d, want %d,%d\n", got_x,
				got_y, want_x, want_y);
		CHECK(got_x == want_x && got_y == want_y);
	}
}

static void test_unplug_and_replug(void)
{
	CHECK(focus_by_control(1));
	/* The guest's view starts clean. */
	unsigned ignored_codes[64];
	int ignored_values[64];
	read_injected_keys(ignored_codes, ignored_values, 64);

	size_t from = input_line_count(1);
	size_t plugged = tessera_log_count("input: using " DEVICE_NAME);
	tap(KEY_K);
	key(KEY_K, 1);
	CHECK(wait_for_line(1, from, "key 37 pressed"));
	destroy_keyboard(); /* mid-typing: K is held */
	static const char *const released[] = {"key 37 pressed", "key 37 released",
					       "key 37 pressed", "key 37 released"};
	CHECK(wait_for_sequence(1, from, released, 4));
	char reply[256];
	CHECK(harness_alive(e2e.harness.compositor));
	CHECK(control("status", reply, sizeof(reply)));

	/* Released in the guest as well. */
	static const unsigned codes[] = {KEY_K, KEY_K, KEY_K, KEY_K};
	static const int values[] = {1, 0, 1, 0};
	CHECK(injected_keys_are(codes, values, 4));

	/* Same name again: picked up by hot-plug, typing works. */
	CHECK(create_keyboard());
	CHECK(wait_tessera_log_count("input: using " DEVICE_NAME, plugged + 1));
	from = input_line_count(1);
	tap(KEY_J);
	static const char *const typed[] = {"key 36 pressed", "key 36 released"};
	CHECK(wait_for_sequence(1, from, typed, 2));
}

static void test_no_strays(void)
{
	/* Over the whole run: the pointer only ever moved over personal while it
	 * had focus, and untrusted never had keyboard focus from a hotkey. */
	CHECK(flush_agent(0));
	CHECK(flush_agent(2));
	struct input_lines work = read_input_lines(0), untrusted = read_input_lines(2);
	CHECK_EQ_INT(count_lines(&work, 0, "motion "), 0);
	CHECK_EQ_INT(count_lines(&untrusted, 0, "motion "), 0);
	CHECK_EQ_INT(count_lines(&untrusted, 0, "key "), 0);
	lines_free(&work);
	lines_free(&untrusted);
}

static bool setup(void)
{
	e2e.keyboard_template = make_keyboard_template();
	e2e.pointer_template = make_pointer_template();
	if (!create_keyboard())
		return false;
	int rc = libevdev_uinput_create_from_device(e2e.pointer_template,
						    LIBEVDEV_UINPUT_OPEN_MANAGED, &e2e.pointer);
	if (rc < 0) {
		fprintf(stderr, "input-e2e: cannot create the uinput pointer: %s\n", strerror(-rc));
		return false;
	}
	if (!start_tessera())
		return false;
	/* Both devices grabbed (the log names each one it uses). */
	if (!wait_tessera_log_count("input: using " DEVICE_NAME, 2))
		return false;
	for (int i = 0; i < DOMAIN_COUNT; i++) {
		e2e.agents[i] = start_agent(i, i == 1);
		if (e2e.agents[i] < 0)
			return false;
	}
	for (int i = 0; i < DOMAIN_COUNT; i++)
		if (!harness_wait_stat(&e2e.harness, domain_names[i], "commits", 1, WAIT_MS))
			return false;
	if (!open_injected_devices()) {
		fprintf(stderr, "input-e2e: the agent's injected devices never appeared\n");
		return false;
	}
	/* Tessera focuses the first domain when it starts. */
	return wait_for_line(0, 0, focus_in_any);
}

static void teardown(void)
{
	for (int i = 0; i < DOMAIN_COUNT; i++) {
		if (e2e.agents[i] > 0) {
			kill(e2e.agents[i], SIGTERM);
			harness_wait(e2e.agents[i], 5000);
		}
	}
	libevdev_free(e2e.injected_keyboard);
	libevdev_free(e2e.injected_pointer);
	if (e2e.injected_keyboard_fd >= 0)
		close(e2e.injected_keyboard_fd);
	if (e2e.injected_pointer_fd >= 0)
		close(e2e.injected_pointer_fd);
	destroy_keyboard();
	libevdev_uinput_destroy(e2e.pointer);
	libevdev_free(e2e.keyboard_template);
	libevdev_free(e2e.pointer_template);
}

static const struct tsr_test_case cases[] = {
    TSR_CASE(test_typing_reaches_only_focused), TSR_CASE(test_hotkey_switches_and_never_leaks),
    TSR_CASE(test_key_held_across_switch),	TSR_CASE(test_pointer_stream),
    TSR_CASE(test_unplug_and_replug),		TSR_CASE(test_no_strays),
};

/* The cases share one compositor and run in this order; each prints a line. */
int main(void)
{
	if (geteuid() != 0 || access("/dev/uinput", W_OK) != 0) {
		fprintf(stderr, "input-e2e: needs root and /dev/uinput (the test VM); skipped\n");
		return 77;
	}
	int passed = 0, failed = 0;
	bool ready = setup();
	printf("%s setup (devices grabbed, agents connected)\n", ready ? "ok  " : "FAIL");
	ready ? passed++ : failed++;
	for (size_t i = 0; ready && i < sizeof(cases) / sizeof(cases[0]); i++) {
		case_start_failures = tsr_test_failures;
		struct timespec start, end;
		clock_gettime(CLOCK_MONOTONIC, &start);
		cases[i].run();
		clock_gettime(CLOCK_MONOTONIC, &end);
		/* A figure: where a slow run spends its time. */
		fprintf(stderr, "input-e2e: %s took %.1f s\n", cases[i].name,
			(double)(end.tv_sec - start.tv_sec) +
			    (double)(end.tv_nsec - start.tv_nsec) / 1e9);
		printf("%s %s\n", case_failed() ? "FAIL" : "ok  ", cases[i].name);
		fflush(stdout);
		case_failed() ? failed++ : passed++;
	}
	case_start_failures = tsr_test_failures;
	bool clean_exit = harness_stop(&e2e.harness);
	printf("%s tessera exits cleanly\n", clean_exit ? "ok  " : "FAIL");
	clean_exit ? passed++ : failed++;
	teardown();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
