/* Hostile guests over the local transport: each misbehaviour drops that
 * guest (an ERROR message, a log line naming the domain) while two honest
 * guests keep updating, checked through their commits and on the output. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/layout.h"
#include "harness.h"
#include "tessera/protocol.h"
#include "tessera/image.h"
#include "test.h"

static const char config_text[] = "[output]\nwidth = 640\nheight = 400\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n"
				  "[domain untrusted]\ncolour = red\n";

static struct harness harness;
static pid_t honest[2];

static pid_t start_program(const char *log_name, char *const argv[])
{
	return harness_spawn(&harness, log_name, argv);
}

static void test_setup(void)
{
	CHECK(harness_start(&harness, "hostile", config_text));
	const char *names[2] = {"work", "personal"};
	for (int i = 0; i < 2; i++) {
		char socket_path[512], log_name[64], agent[512];
		snprintf(socket_path, sizeof(socket_path), "%s/%s.sock", harness.dir, names[i]);
		snprintf(log_name, sizeof(log_name), "agent-%s", names[i]);
		snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
		char *argv[] = {agent, "--socket", socket_path, "--name", (char *)names[i], NULL};
		honest[i] = start_program(log_name, argv);
	}
	CHECK(harness_wait_stat(&harness, "work", "commits", 3, 20000));
	CHECK(harness_wait_stat(&harness, "personal", "commits", 3, 20000));
}

/* Runs one hostile mode against `untrusted`; expect_drop: the compositor
 * must count a violation and disconnect it, with an ERROR message unless
 * the guest already hung up. */
static void run_mode(const char *mode, bool expect_drop, unsigned code)
{
	long long violations = harness_stat(&harness, "untrusted", "violations");
	long long work_commits = harness_stat(&harness, "work", "commits");
	long long personal_commits = harness_stat(&harness, "personal", "commits");
	char socket_path[512], log_name[64], agent[512];
	snprintf(socket_path, sizeof(socket_path), "%s/untrusted.sock", harness.dir);
	snprintf(log_name, sizeof(log_name), "hostile-%s", mode);
	snprintf(agent, sizeof(agent), "%s", harness_binary("tests/integration/hostile-agent"));
	char *argv[] = {agent, "--socket", socket_path, "--mode", (char *)mode, NULL};
	pid_t pid = start_program(log_name, argv);
	int status = harness_wait(pid, 30000);
	if (status != 0)
		fprintf(stderr, "mode %s: hostile-agent exit %d (see %s/%s.log)\n", mode, status,
			harness.dir, log_name);
	CHECK_EQ_INT(status, 0);
	CHECK(harness_alive(harness.compositor));
	bool hung_up = strncmp(mode, "disconnect-", 11) == 0;
	if (expect_drop && !hung_up) {
		if (!harness_log_contains(&harness, log_name, "hostile: dropped: ") ||
		    harness_log_contains(&harness, log_name, "(no ERROR)"))
			fprintf(stderr, "mode %s: no ERROR message before the drop\n", mode);
		CHECK(harness_log_contains(&harness, log_name, "hostile: dropped: "));
		CHECK(!harness_log_contains(&harness, log_name, "(no ERROR)"));
		/* The code of its category (protocol/README.md section 7). */
		char expected[32];
		snprintf(expected, sizeof(expected), "(code %u)", code);
		if (!harness_log_contains(&harness, log_name, expected))
			fprintf(stderr, "mode %s: no ERROR %s\n", mode, expected);
		CHECK(harness_log_contains(&harness, log_name, expected));
	}
	if (expect_drop) {
		CHECK(harness_wait_stat(&harness, "untrusted", "violations", violations + 1, 5000));
	}
	/* The honest guests went on through it. */
	CHECK(harness_wait_stat(&harness, "work", "commits", work_commits + 3, 10000));
	CHECK(harness_wait_stat(&harness, "personal", "commits", personal_commits + 3, 10000));
}

static void test_dropped_modes(void)
{
	static const struct {
		const char *name;
		unsigned code;
	} modes[] = {
	    {"bad-size", TSR_ERROR_PROTOCOL}, /* the decoder rejects it */
	    {"short-memfd", TSR_ERROR_BUFFER},
	    {"unsealed-memfd", TSR_ERROR_BUFFER},
	    {"unknown-type", TSR_ERROR_PROTOCOL},
	    {"bad-length", TSR_ERROR_PROTOCOL},
	    {"before-hello", TSR_ERROR_PROTOCOL},
	    {"bad-damage", TSR_ERROR_ID},
	    {"too-many-surfaces", TSR_ERROR_LIMIT},
	    {"wrong-fd-count", TSR_ERROR_PROTOCOL},
	    {"disconnect-mid-message", 0}, /* hung up: no ERROR to read */
	    {"disconnect-mid-body", 0},
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		run_mode(modes[i].name, true, modes[i].code);
	CHECK(harness_log_contains(&harness, "tessera", "[domain untrusted] dropped: "));
}

static void test_tolerated_modes(void)
{
	/* The kernel refuses to shrink a sealed memfd; the guest stays. */
	run_mode("shrink-after-attach", false, 0);
	CHECK(harness_log_contains(&harness, "hostile-shrink-after-attach",
				   "still connected, FRAME_DONE received"));
	/* 100k damage messages: bounded work per wake-up; others unaffected. */
	run_mode("flood", false, 0);
}

static void test_output_still_shows_honest_guests(void)
{
	char path[512], command[600], reply[700], err[256];
	harness_path(&harness, "after-hostile.png", path, sizeof(path));
	snprintf(command, sizeof(command), "screenshot %s", path);
	CHECK(harness_control(&harness, command, reply, sizeof(reply)));
	struct tsr_buffer *image = tsr_png_read(path, err, sizeof(err));
	CHECK(image != NULL);
	if (!image)
		return;
	struct tsr_layout_params params = {.output_width = 640,
					   .output_height = 400,
					   .border_width = 4,
					   .banner_height = 28,
					   .domain_count = 3,
					   .focused = 0,
					   .mode = TSR_LAYOUT_MOSAIC};
	struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	/* The agent's default grey background fills most of each honest tile;
	 * untrusted's tile shows the compositor background. */
	for (int i = 0; i < 3; i++) {
		const pixman_box32_t *c = &layout.domains[i].content;
		uint32_t centre =
		    ((const uint32_t *)((const uint8_t *)image->data +
					(size_t)(c->y2 - 8) * image->stride))[c->x2 - 8] &
		    0xffffffu;
		if (i < 2)
			CHECK(centre != 0x202020u);
		else
			CHECK_EQ_INT(centre, 0x202020u);
	}
	tsr_buffer_destroy(image);
}

static void test_shutdown(void)
{
	for (int i = 0; i < 2; i++) {
		kill(honest[i], SIGTERM);
		harness_wait(honest[i], 5000);
	}
	CHECK(harness_stop(&harness));
}

TSR_TEST_MAIN(TSR_CASE(test_setup), TSR_CASE(test_dropped_modes), TSR_CASE(test_tolerated_modes),
	      TSR_CASE(test_output_still_shows_honest_guests), TSR_CASE(test_shutdown))
