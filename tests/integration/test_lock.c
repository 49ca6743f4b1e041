/* The lock screen against real tessera and agent processes (headless):
 * `tessera-ctl lock`; a locked capture holds no guest pixel (it equals the
 * lock screen of a Tessera without guests, byte for byte, and no pixel is
 * near any guest's colour); the focused guest got its releases and a
 * focus-out, and no key typed on the lock screen reaches any guest; a
 * wrong password is refused and counted, the right one unlocks (PAM with a
 * test service in a directory of its own, pam_start_confdir: the host's
 * /etc is never read or changed) and the layout, focus and decorations are
 * exactly those of before; a restarted Tessera comes back locked; the idle
 * timeout locks; without [lock] user the lock is refused. Keys are typed
 * through the test-hooks control command `test-key`, which feeds the seat
 * like an evdev device. Waits poll with deadlines; nothing is timed. */
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/layout.h"
#include "core/lock_policy.h"
#include "harness.h"
#include "harness_image.h"
#include "tessera/image.h"
#include "test.h"

#define WIDTH 640
#define HEIGHT 400
#define PASSWORD_CODES "31 4 46 19 18 20" /* s3cret */
#define WRONG_CODES "17 19 24 49 34"	  /* wrong */

static const char config_text[] = "[output]\nwidth = 640\nheight = 400\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n"
				  "[lock]\nuser = tessera-test\n";

static const uint32_t guest_colours[] = {0x2040e0, 0x20e040};

static struct harness harness;
static char pam_dir[256];

static void sleep_ms(int ms)
{
	struct timespec delay = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&delay, NULL);
}

/* Waits out the lock's delay after `failures` refusals, counted from a
 * refusal the caller has already seen: a lower bound, so the next Enter
 * is taken however slow the machine. */
static void sleep_after_refusal(uint32_t failures)
{
	sleep_ms((int)(tsr_lock_policy_delay_ns(failures) / 1000000u) + 100);
}

/* A PAM service "tessera" that accepts exactly "s3cret" (pam_exec gives
 * the script the password on stdin) and records each attempt. */
static bool write_pam_service(void)
{
	snprintf(pam_dir, sizeof(pam_dir), "/tmp/tessera-test-pam-XXXXXX");
	if (!mkdtemp(pam_dir))
		return false;
	char path[512];
	snprintf(path, sizeof(path), "%s/check-password.sh", pam_dir);
	FILE *file = fopen(path, "w");
	if (!file)
		return false;
	fprintf(file,
		"#!/bin/sh\n"
		"password=$(tr -d '\\000')\n"
		"echo attempt >> %s/attempts\n"
		"[ \"$password\" = s3cret ]\n",
		pam_dir);
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

static long attempts(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/attempts", pam_dir);
	FILE *file = fopen(path, "r");
	if (!file)
		return 0;
	long count = 0;
	for (int c; (c = fgetc(file)) != EOF;)
		count += c == '\n';
	fclose(file);
	return count;
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

static bool key(struct harness *h, unsigned code, unsigned state)
{
	char command[64], reply[128];
	snprintf(command, sizeof(command), "test-key %u %u", code, state);
	return harness_control(h, command, reply, sizeof(reply));
}

static void type_codes(struct harness *h, const char *codes)
{
	char copy[128];
	snprintf(copy, sizeof(copy), "%s", codes);
	for (char *token = strtok(copy, " "); token; token = strtok(NULL, " ")) {
		CHECK(key(h, (unsigned)atoi(token), 1));
		CHECK(key(h, (unsigned)atoi(token), 0));
	}
}

static long status_number(struct harness *h, const char *name)
{
	char reply[1024], pattern[64];
	if (!harness_control(h, "status", reply, sizeof(reply)))
		return -1;
	snprintf(pattern, sizeof(pattern), " %s=", name);
	const char *at = strstr(reply, pattern);
	return at ? atol(at + strlen(pattern)) : -1;
}

static bool status_says(struct harness *h, const char *text)
{
	char reply[1024];
	return harness_control(h, "status", reply, sizeof(reply)) && strstr(reply, text);
}

static bool wait_status(struct harness *h, const char *text)
{
	for (int i = 0; i < 1500; i++) {
		if (status_says(h, text))
			return true;
		sleep_ms(20);
	}
	fprintf(stderr, "status never said %s\n", text);
	return false;
}

/* A capture of a frame presented after this call. */
static struct tsr_buffer *capture(struct harness *h, const char *name)
{
	long frames = status_number(h, "frames");
	for (int i = 0; i < 1500 && status_number(h, "frames") <= frames + 1; i++)
		sleep_ms(10);
	return harness_screenshot(h, name, NULL);
}

static int distance(uint32_t a, uint32_t b)
{
	int d = 0;
	for (int shift = 0; shift <= 16; shift += 8) {
		int delta = (int)((a >> shift) & 0xff) - (int)((b >> shift) & 0xff);
		d += delta < 0 ? -delta : delta;
	}
	return d;
}

static long pixels_near(const struct tsr_buffer *image, uint32_t colour, int within)
{
	long count = 0;
	for (uint32_t y = 0; y < image->height; y++)
		for (uint32_t x = 0; x < image->width; x++)
			count += distance(harness_pixel(image, (int32_t)x, (int32_t)y), colour) <=
				 within;
	return count;
}

static bool same_image(const struct tsr_buffer *a, const struct tsr_buffer *b)
{
	if (!a || !b || a->width != b->width || a->height != b->height)
		return false;
	for (uint32_t y = 0; y < a->height; y++)
		for (uint32_t x = 0; x < a->width; x++)
			if (harness_pixel(a, (int32_t)x, (int32_t)y) !=
			    harness_pixel(b, (int32_t)x, (int32_t)y))
				return false;
	return true;
}

/* Equal everywhere Tessera draws (banner, borders, labels, background):
 * layout and focus show there. Inside the content boxes the guests kept
 * drawing while locked (they keep running), so there each box must be
 * mostly its own guest's colour, as before. */
static void check_like_before(const struct tsr_buffer *before, const struct tsr_buffer *after)
{
	struct tsr_layout layout;
	struct tsr_layout_params params = {.output_width = WIDTH,
					   .output_height = HEIGHT,
					   .border_width = 4,
					   .banner_height = 28,
					   .domain_count = 2,
					   .focused = 0,
					   .mode = TSR_LAYOUT_MOSAIC};
	tsr_layout_compute(&params, &layout);
	long differing = 0, compared = 0;
	for (int32_t y = 0; y < HEIGHT; y++) {
		for (int32_t x = 0; x < WIDTH; x++) {
			if (tsr_layout_domain_at(&layout, x, y) >= 0)
				continue;
			compared++;
			differing += harness_pixel(before, x, y) != harness_pixel(after, x, y);
		}
	}
	fprintf(stderr, "unlocked vs before: %ld of %ld decoration pixels differ\n", differing,
		compared);
	CHECK(compared > 10000);
	CHECK_EQ_INT(differing, 0);
	for (int d = 0; d < 2; d++) {
		const pixman_box32_t *box = &layout.domains[d].content;
		long own_before = 0, own_after = 0, samples = 0;
		for (int32_t y = box->y1; y < box->y2; y += 3) {
			for (int32_t x = box->x1; x < box->x2; x += 3) {
				samples++;
				own_before +=
				    distance(harness_pixel(before, x, y), guest_colours[d]) < 48;
				own_after +=
				    distance(harness_pixel(after, x, y), guest_colours[d]) < 48;
			}
		}
		CHECK(own_before * 2 > samples);
		CHECK(own_after * 2 > samples);
	}
}

static struct tsr_buffer *reference_lock_screen(void)
{
	struct harness reference;
	if (!harness_start(&reference, "lock-reference", config_text))
		return NULL;
	char reply[256];
	CHECK(harness_control(&reference, "lock", reply, sizeof(reply)));
	struct tsr_buffer *image = capture(&reference, "locked.png");
	CHECK(harness_stop(&reference));
	return image;
}

static void test_lock_unlock(void)
{
	CHECK(write_pam_service());
	struct tsr_buffer *reference = reference_lock_screen();
	CHECK(reference != NULL);

	CHECK(harness_start(&harness, "lock", config_text));
	start_agent(&harness, "work", "2040e0");
	start_agent(&harness, "personal", "20e040");
	CHECK(harness_wait_stat(&harness, "work", "commits", 5, 20000));
	CHECK(harness_wait_stat(&harness, "personal", "commits", 5, 20000));
	/* Configured to the mosaic's content size and drawn again. */
	CHECK(harness_wait_log(&harness, "tessera", "work", 10000));
	sleep_ms(300);
	CHECK(harness_wait_stat(&harness, "work", "commits",
				harness_stat(&harness, "work", "commits") + 3, 10000));
	CHECK(harness_wait_stat(&harness, "personal", "commits",
				harness_stat(&harness, "personal", "commits") + 3, 10000));
	/* The focused guest gets keys before the lock. */
	CHECK(wait_status(&harness, "focused=work"));
	type_codes(&harness, "44"); /* z */
	CHECK(harness_wait_log(&harness, "agent-work", "input key 44 released", 10000));
	struct tsr_buffer *before = capture(&harness, "before.png");
	CHECK(before != NULL);
	CHECK(pixels_near(before, guest_colours[0], 30) > 10000);
	CHECK(pixels_near(before, guest_colours[1], 30) > 10000);

	/* A key held when the lock begins is released to the guest. */
	CHECK(key(&harness, KEY_A, 1));
	CHECK(harness_wait_log(&harness, "agent-work", "input key 30 pressed", 10000));
	long focus_outs = harness_log_count(&harness, "agent-work", "input focus-out");
	char reply[1024];
	CHECK(harness_control(&harness, "lock", reply, sizeof(reply)));
	CHECK(status_says(&harness, "locked=yes"));
	CHECK(harness_wait_log(&harness, "agent-work", "input key 30 released", 10000));
	CHECK(harness_wait_stat(&harness, "work", "commits", 0, 100));
	for (int i = 0;
	     i < 500 && harness_log_count(&harness, "agent-work", "input focus-out") == focus_outs;
	     i++)
		sleep_ms(20);
	CHECK(harness_log_count(&harness, "agent-work", "input focus-out") == focus_outs + 1);
	CHECK(key(&harness, KEY_A, 0)); /* goes nowhere */
	/* Refused while locked: focus, layout and GPU handoff. */
	CHECK(!harness_control(&harness, "focus personal", reply, sizeof(reply)));
	CHECK(strstr(reply, "locked") != NULL);
	CHECK(!harness_control(&harness, "layout focus", reply, sizeof(reply)));
	/* Every hotkey but the way out is dead: Ctrl+Alt+2 would focus. */
	CHECK(key(&harness, KEY_LEFTCTRL, 1) && key(&harness, KEY_LEFTALT, 1));
	CHECK(key(&harness, KEY_2, 1) && key(&harness, KEY_2, 0));
	CHECK(key(&harness, KEY_LEFTALT, 0) && key(&harness, KEY_LEFTCTRL, 0));

	/* Guests keep running, paced at the hidden rate. */
	long commits = harness_stat(&harness, "work", "commits");
	CHECK(harness_wait_stat(&harness, "work", "commits", commits + 1, 20000));
	struct tsr_buffer *locked = capture(&harness, "locked.png");
	CHECK(locked != NULL);
	if (locked) {
		for (size_t i = 0; i < 2; i++) {
			long near = pixels_near(locked, guest_colours[i], 60);
			fprintf(stderr, "locked capture: %ld pixels near guest colour %06x\n", near,
				guest_colours[i]);
			CHECK_EQ_INT(near, 0);
		}
		/* Nothing a guest drew changed any pixel. */
		CHECK(same_image(locked, reference));
	}

	/* A wrong password: refused, counted, shown, rate-limited. */
	type_codes(&harness, WRONG_CODES);
	struct tsr_buffer *dots = capture(&harness, "dots.png");
	CHECK(dots && !same_image(dots, reference)); /* five dots */
	type_codes(&harness, "28");
	CHECK(wait_status(&harness, "lock_failures=1"));
	CHECK(status_says(&harness, "locked=yes"));
	CHECK_EQ_INT(attempts(), 1);
	CHECK(harness_wait_log(&harness, "tessera", "password refused (1 failed attempts)", 5000));

	/* The right one, once the delay after the refusal is over: an Enter
	 * before that is ignored, and one pressed in a loop after the check
	 * was taken could reach the guest once unlocked. */
	type_codes(&harness, PASSWORD_CODES);
	sleep_after_refusal(1);
	type_codes(&harness, "28");
	CHECK(wait_status(&harness, "locked=no"));
	CHECK_EQ_INT(attempts(), 2);
	CHECK(status_says(&harness, "layout=mosaic focused=work"));
	struct tsr_buffer *after = capture(&harness, "after.png");
	CHECK(after != NULL);
	if (before && after)
		check_like_before(before, after);

	/* Nothing typed on the lock screen reached a guest; the lock chord's
	 * keys neither. Keys work again afterwards. */
	static const int typed[] = {31, 4, 46, 19, 18, 20, 17, 24, 49, 34, 28, 3, 29, 56};
	for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		char text[32];
		snprintf(text, sizeof(text), "input key %d ", typed[i]);
		CHECK_EQ_INT(harness_log_count(&harness, "agent-work", text), 0);
		CHECK_EQ_INT(harness_log_count(&harness, "agent-personal", text), 0);
	}
	CHECK_EQ_INT(harness_log_count(&harness, "agent-work", "input key 30 released"), 1);
	CHECK(harness_log_contains(&harness, "agent-work", "input focus-in"));
	type_codes(&harness, "44");
	CHECK(harness_log_count(&harness, "agent-work", "input key 44 released") == 2 ||
	      harness_wait_log(&harness, "agent-work", "input key 44 released", 100));
	/* The password never reached a log. */
	CHECK(!harness_log_contains(&harness, "tessera", "s3cret"));
	tsr_buffer_destroy(before);
	tsr_buffer_destroy(after);
	tsr_buffer_destroy(locked);
	tsr_buffer_destroy(dots);
	tsr_buffer_destroy(reference);
}

/* A Tessera stopped while locked comes back locked (the lock-state file in
 * the runtime directory), and unlocking says so in the file. */
static bool file_says(const char *path, const char *expected)
{
	char text[64] = "";
	FILE *file = fopen(path, "r");
	if (!file)
		return false;
	size_t length = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[length] = '\0';
	return strcmp(text, expected) == 0;
}

static void test_restart_comes_back_locked(void)
{
	char reply[256], path[512];
	CHECK(harness_control(&harness, "lock", reply, sizeof(reply)));
	harness_path(&harness, "tessera.lock-state", path, sizeof(path));
	CHECK(file_says(path, "locked\n"));
	CHECK(harness_stop(&harness));
	char tessera[512], config_path[512];
	snprintf(tessera, sizeof(tessera), "%s", harness_binary("compositor/tessera"));
	harness_path(&harness, "tessera.conf", config_path, sizeof(config_path));
	char *argv[] = {tessera, "--config", config_path, "--runtime-dir", harness.dir, NULL};
	harness.compositor = harness_spawn(&harness, "tessera-restarted", argv);
	bool up = false;
	for (int i = 0; i < 500 && !up; i++) {
		up = harness_control(&harness, "status", reply, sizeof(reply));
		if (!up)
			sleep_ms(20);
	}
	CHECK(up);
	CHECK(status_says(&harness, "locked=yes"));
	type_codes(&harness, PASSWORD_CODES);
	type_codes(&harness, "28");
	CHECK(wait_status(&harness, "locked=no"));
	CHECK(file_says(path, "unlocked\n"));
	CHECK(harness_stop(&harness));
}

static void test_idle_timeout_and_refusal(void)
{
	struct harness idle;
	CHECK(harness_start(&idle, "lock-idle",
			    "[output]\nwidth = 320\nheight = 200\n"
			    "[lock]\nuser = tessera-test\nidle_timeout = 1\n"));
	CHECK(wait_status(&idle, "locked=yes"));
	CHECK(harness_log_contains(&idle, "tessera", "locked (idle timeout)"));
	CHECK(harness_stop(&idle));

	struct harness nobody;
	CHECK(harness_start(&nobody, "lock-nobody", "[output]\nwidth = 320\nheight = 200\n"));
	char reply[256];
	CHECK(!harness_control(&nobody, "lock", reply, sizeof(reply)));
	CHECK(strstr(reply, "no [lock] user") != NULL);
	CHECK(status_says(&nobody, "locked=no"));
	CHECK(harness_stop(&nobody));
}

/* Tessera as an unprivileged user under its seccomp filter: the password
 * is still checked (by the helper, which stayed root) and nothing the lock
 * does is refused by the filter. */
static void test_unprivileged_tessera_unlocks(void)
{
	if (geteuid() != 0) {
		printf("unprivileged tessera: needs root to drop from; not run\n");
		return;
	}
	struct harness h;
	const char *const args[] = {"--user", "nobody", NULL};
	CHECK(harness_start_args(&h, "lock-nobody-user", config_text, args));
	CHECK(harness_wait_log(&h, "tessera", "confined by the seccomp filter", 10000));
	char reply[256];
	long before = attempts();
	/* The directory stays root's; nobody may only pass through it, to the
	 * lock-state file Tessera made and handed over before the drop. */
	chmod(h.dir, 0711);
	CHECK(harness_control(&h, "lock", reply, sizeof(reply)));
	char path[512];
	harness_path(&h, "tessera.lock-state", path, sizeof(path));
	CHECK(file_says(path, "locked\n"));
	type_codes(&h, WRONG_CODES);
	type_codes(&h, "28");
	CHECK(wait_status(&h, "lock_failures=1"));
	type_codes(&h, PASSWORD_CODES);
	sleep_after_refusal(1);
	type_codes(&h, "28");
	CHECK(wait_status(&h, "locked=no"));
	CHECK_EQ_INT(attempts(), before + 2);
	CHECK(file_says(path, "unlocked\n"));
	CHECK(!harness_log_contains(&h, "tessera", "cannot write"));
	CHECK(harness_log_contains(&h, "tessera", "running as nobody"));
	CHECK(!harness_log_contains(&h, "tessera", "refused system call"));
	CHECK(harness_stop(&h));
}

TSR_TEST_MAIN({"lock, no guest pixel, wrong and right password", test_lock_unlock},
	      {"restart comes back locked", test_restart_comes_back_locked},
	      {"idle timeout, refusal without a user", test_idle_timeout_and_refusal},
	      {"unprivileged tessera unlocks through the helper",
	       test_unprivileged_tessera_unlocks})
