/* End to end over the local transport: a real tessera process, real
 * tessera-agent processes, the control socket, screenshots checked pixel by
 * pixel. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/layout.h"
#include "harness.h"
#include "harness_image.h"
#include "tessera/image.h"
#include "test.h"

#define WIDTH 640
#define HEIGHT 400

static const char config_text[] = "[output]\nwidth = 640\nheight = 400\n"
				  "[decorations]\nborder_width = 4\nbanner_height = 28\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n"
				  "[domain untrusted]\ncolour = red\n";

static struct harness harness;
static pid_t agents[3];

static pid_t start_agent(const char *name, const char *colour)
{
	char socket_path[512], log_name[64];
	snprintf(socket_path, sizeof(socket_path), "%s/%s.sock", harness.dir, name);
	snprintf(log_name, sizeof(log_name), "agent-%s", name);
	char agent[512];
	snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
	char *argv[] = {agent,		"--socket", socket_path,  "--source",	 "demo", "--colour",
			(char *)colour, "--name",   (char *)name, "--log-input", NULL};
	return harness_spawn(&harness, log_name, argv);
}

static void layout_for(enum tsr_layout_mode mode, int focused, struct tsr_layout *layout)
{
	struct tsr_layout_params params = {.output_width = WIDTH,
					   .output_height = HEIGHT,
					   .border_width = 4,
					   .banner_height = 28,
					   .domain_count = 3,
					   .focused = focused,
					   .mode = mode};
	tsr_layout_compute(&params, layout);
}

/* Share of a grid of sample points in box whose dominant channel is the
 * one given (shift 16 red, 8 green, 0 blue). */
static double dominant_share(const struct tsr_buffer *image, const pixman_box32_t *box, int shift)
{
	int hits = 0, samples = 0;
	for (int32_t y = box->y1 + 2; y < box->y2 - 2; y += 7) {
		for (int32_t x = box->x1 + 2; x < box->x2 - 2; x += 7) {
			uint32_t p = harness_pixel(image, x, y);
			int channel = (int)((p >> shift) & 0xff);
			int others = 0;
			for (int s = 0; s <= 16; s += 8)
				if (s != shift && (int)((p >> s) & 0xff) > others)
					others = (int)((p >> s) & 0xff);
			hits += channel > others + 40;
			samples++;
		}
	}
	return samples ? (double)hits / samples : 0;
}

static struct tsr_buffer *screenshot(const char *name)
{
	return harness_screenshot(&harness, name, NULL);
}

static void test_start_and_connect(void)
{
	CHECK(harness_start(&harness, "local", config_text));
	agents[0] = start_agent("work", "2040e0");
	agents[1] = start_agent("personal", "20e040");
	CHECK(harness_wait_stat(&harness, "work", "commits", 5, 20000));
	CHECK(harness_wait_stat(&harness, "personal", "commits", 5, 20000));
	char reply[256];
	CHECK(harness_control(&harness, "list", reply, sizeof(reply)));
	CHECK(strstr(reply, "work=connected") != NULL);
	CHECK(strstr(reply, "personal=connected") != NULL);
	CHECK(strstr(reply, "untrusted=disconnected") != NULL);
	/* Whether guest memfds are also dma-bufs is decided once, at start,
	 * and said once (build machines have no udmabuf: "unavailable"); the
	 * guests above are shown either way. */
	CHECK_EQ_INT(harness_log_count(&harness, "tessera", "dma-buf: udmabuf "), 1);
	if (access("/dev/udmabuf", F_OK) != 0) {
		CHECK(harness_log_contains(&harness, "tessera", "dma-buf: udmabuf unavailable: "));
		char stats[1024];
		CHECK(harness_control(&harness, "stats work", stats, sizeof(stats)));
		CHECK(strstr(stats, " dmabuf=none ") != NULL);
	}
}

static void wait_for_size(const char *domain, const pixman_box32_t *content)
{
	char expected[64], command[64], reply[1024];
	snprintf(expected, sizeof(expected), "surface=%ux%u", tsr_box_width(content),
		 tsr_box_height(content));
	snprintf(command, sizeof(command), "stats %s", domain);
	for (int i = 0; i < 1000; i++) {
		harness_control(&harness, command, reply, sizeof(reply));
		if (strstr(reply, expected))
			return;
		struct timespec delay = {0, 20000000};
		nanosleep(&delay, NULL);
	}
	fprintf(stderr, "%s never reached %s: %s\n", domain, expected, reply);
	CHECK(!"guest was not configured to its content size");
}

static void test_mosaic_shows_each_guest_in_its_frame(void)
{
	struct tsr_layout layout;
	layout_for(TSR_LAYOUT_MOSAIC, 0, &layout);
	wait_for_size("work", &layout.domains[0].content);
	wait_for_size("personal", &layout.domains[1].content);
	/* Two more commits each, so the configured frames are on screen. */
	CHECK(harness_wait_stat(&harness, "work", "commits",
				harness_stat(&harness, "work", "commits") + 2, 10000));
	CHECK(harness_wait_stat(&harness, "personal", "commits",
				harness_stat(&harness, "personal", "commits") + 2, 10000));
	struct tsr_buffer *image = screenshot("mosaic.png");
	CHECK(image != NULL);
	if (!image)
		return;
	/* Mostly each guest's own colour (its counter and square take the
	 * rest), and never the other guest's. */
	CHECK(dominant_share(image, &layout.domains[0].content, 0) > 0.6);
	CHECK(dominant_share(image, &layout.domains[0].content, 8) < 0.02);
	CHECK(dominant_share(image, &layout.domains[1].content, 8) > 0.6);
	CHECK(dominant_share(image, &layout.domains[1].content, 0) < 0.02);
	/* untrusted has no guest: background inside, red (dimmed) frame. */
	const pixman_box32_t *empty = &layout.domains[2].content;
	CHECK_EQ_INT(harness_pixel(image, (empty->x1 + empty->x2) / 2, (empty->y1 + empty->y2) / 2),
		     0x202020);
	CHECK_EQ_INT(
	    harness_pixel(image, layout.domains[2].frame.x1, layout.domains[2].frame.y2 - 1),
	    0x660000);
	/* The focused domain's frame (work) is in full colour. */
	CHECK_EQ_INT(
	    harness_pixel(image, layout.domains[0].frame.x1, layout.domains[0].frame.y2 - 1),
	    0x3465a4);
	tsr_buffer_destroy(image);
}

static void test_focus_layout_configures_and_shows_one_guest(void)
{
	char reply[256];
	CHECK(harness_control(&harness, "focus personal", reply, sizeof(reply)));
	CHECK(harness_control(&harness, "layout focus", reply, sizeof(reply)));
	struct tsr_layout layout;
	layout_for(TSR_LAYOUT_FOCUS, 1, &layout);
	wait_for_size("personal", &layout.domains[1].content);
	CHECK(harness_wait_stat(&harness, "personal", "commits",
				harness_stat(&harness, "personal", "commits") + 2, 10000));
	struct tsr_buffer *image = screenshot("focus-personal.png");
	CHECK(image != NULL);
	if (!image)
		return;
	CHECK(dominant_share(image, &layout.domains[1].content, 8) > 0.8);
	CHECK_EQ_INT(harness_pixel(image, WIDTH - 2, 2), 0x4e9a06); /* banner in personal's green */
	CHECK_EQ_INT(harness_pixel(image, 0, HEIGHT / 2), 0x4e9a06); /* border */
	tsr_buffer_destroy(image);
}

static void test_guest_death_leaves_others_running(void)
{
	long long work_commits = harness_stat(&harness, "work", "commits");
	kill(agents[1], SIGKILL);
	harness_wait(agents[1], 5000);
	char reply[256];
	for (int i = 0; i < 250; i++) {
		harness_control(&harness, "list", reply, sizeof(reply));
		if (strstr(reply, "personal=disconnected"))
			break;
		struct timespec delay = {0, 20000000};
		nanosleep(&delay, NULL);
	}
	CHECK(strstr(reply, "personal=disconnected") != NULL);
	/* work is hidden in focus layout: paced at 1 Hz, still committing. */
	CHECK(harness_wait_stat(&harness, "work", "commits", work_commits + 3, 10000));
	/* The domain takes a new guest. */
	agents[1] = start_agent("personal", "20e040");
	CHECK(harness_wait_stat(&harness, "personal", "commits", 3, 20000));
	CHECK(harness_alive(harness.compositor));
}

static void test_shutdown_is_clean(void)
{
	for (int i = 0; i < 2; i++) {
		kill(agents[i], SIGTERM);
		harness_wait(agents[i], 5000);
	}
	CHECK(harness_stop(&harness));
}

TSR_TEST_MAIN(TSR_CASE(test_start_and_connect), TSR_CASE(test_mosaic_shows_each_guest_in_its_frame),
	      TSR_CASE(test_focus_layout_configures_and_shows_one_guest),
	      TSR_CASE(test_guest_death_leaves_others_running), TSR_CASE(test_shutdown_is_clean))
