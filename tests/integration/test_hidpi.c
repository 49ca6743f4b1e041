/* Two headless outputs of scale 1 and 2 with real tessera and
 * tessera-agent processes: `status` says each output's scale, each banner
 * and border has its own size (28 and 4 on the 1x output, 56 and 8 on the
 * 2x one), the cursor is 2x on the 2x output, each guest is configured to
 * exactly its output's content size (output minus the scaled decorations)
 * and is shown 1:1 there; screenshots of both against
 * data/reference/hidpi-ctl-*.png, the animated guest content checked by
 * colour and masked out. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "harness_image.h"
#include "reference.h"
#include "tessera/image.h"
#include "test.h"

static const char config_text[] = "[output]\nwidth = 640\nheight = 400\n"
				  "[output left]\n"
				  "[output right]\nmode = 800x500\nscale = 2\n"
				  "[decorations]\nborder_width = 4\nbanner_height = 28\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n";

#define WORK_BLUE 0x3465a4u
#define PERSONAL_GREEN_DIMMED 0x274d03u

static struct harness harness;
static bool started;

static pid_t start_agent(const char *name, const char *colour)
{
	char socket_path[512], log_name[64], agent[512];
	snprintf(socket_path, sizeof(socket_path), "%s/%s.sock", harness.dir, name);
	snprintf(log_name, sizeof(log_name), "agent-%s", name);
	snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
	char *argv[] = {agent,	    "--socket",	    socket_path, "--source",   "demo",
			"--colour", (char *)colour, "--name",	 (char *)name, NULL};
	return harness_spawn(&harness, log_name, argv);
}

static bool ctl(const char *command)
{
	char reply[1024];
	bool ok = harness_control(&harness, command, reply, sizeof(reply));
	if (!ok)
		fprintf(stderr, "%s: %s\n", command, reply);
	return ok;
}

static bool wait_for_size(const char *domain, uint32_t width, uint32_t height)
{
	char expected[64], command[64];
	snprintf(expected, sizeof(expected), "surface=%ux%u", width, height);
	snprintf(command, sizeof(command), "stats %s", domain);
	return harness_wait_reply(&harness, command, expected, 20000);
}

/* Share of sample points in box whose dominant channel is shift's. */
static double dominant_share(const struct tsr_buffer *image, int32_t x1, int32_t y1, int32_t x2,
			     int32_t y2, int shift)
{
	int hits = 0, samples = 0;
	for (int32_t y = y1 + 2; y < y2 - 2; y += 7) {
		for (int32_t x = x1 + 2; x < x2 - 2; x += 7) {
			uint32_t p = harness_pixel(image, x, y);
			int channel = (int)((p >> shift) & 0xff), others = 0;
			for (int s = 0; s <= 16; s += 8)
				if (s != shift && (int)((p >> s) & 0xff) > others)
					others = (int)((p >> s) & 0xff);
			hits += channel > others + 40;
			samples++;
		}
	}
	return samples ? (double)hits / samples : 0;
}

static struct tsr_buffer *screenshot(const char *file, const char *output)
{
	return harness_screenshot(&harness, file, output);
}

static void mask(struct tsr_buffer *image, int32_t x1, int32_t y1, int32_t x2, int32_t y2)
{
	for (int32_t y = y1; y < y2; y++)
		for (int32_t x = x1; x < x2; x++)
			((uint32_t *)((uint8_t *)image->data + (size_t)y * image->stride))[x] =
			    0xff00ff;
}

static void test_start(void)
{
	started = harness_start(&harness, "hidpi", config_text);
	CHECK(started);
	if (!started)
		return;
	start_agent("work", "2040e0");
	start_agent("personal", "20e040");
	CHECK(harness_wait_stat(&harness, "work", "commits", 3, 20000));
	CHECK(harness_wait_stat(&harness, "personal", "commits", 3, 20000));
	char reply[1024];
	CHECK(harness_control(&harness, "status", reply, sizeof(reply)));
	/* The output.NAME= field keeps its form; the scale is a field of its own. */
	CHECK(strstr(reply, " output.left=0,0,640x400,mosaic scale.left=1 ") != NULL);
	CHECK(strstr(reply, " output.right=640,0,800x500,mosaic scale.right=2") != NULL);
	CHECK(harness_log_contains(&harness, "tessera",
				   "output right: 800x500 @ 60.000 Hz at 640,0, scale 2 "
				   "(configured)"));
	CHECK(harness_log_contains(&harness, "tessera",
				   "output left: 640x400 @ 60.000 Hz at 0,0, scale 1 "
				   "(physical size unknown)"));
}

static void test_guests_configured_to_their_output(void)
{
	if (!started)
		return;
	CHECK(ctl("layout focus right"));
	CHECK(ctl("focus personal right"));
	CHECK(ctl("layout focus left"));
	CHECK(ctl("focus work left"));
	/* left at 1x: 640 - 2 x 4 by 400 - 28 - 2 x 4; right at 2x: 800 -
	 * 2 x 8 by 500 - 56 - 2 x 8. Exactly, in device pixels. */
	CHECK(wait_for_size("work", 632, 364));
	CHECK(wait_for_size("personal", 784, 428));
	CHECK(harness_wait_stat(&harness, "work", "commits",
				harness_stat(&harness, "work", "commits") + 2, 10000));
	CHECK(harness_wait_stat(&harness, "personal", "commits",
				harness_stat(&harness, "personal", "commits") + 2, 10000));
}

static void test_decorations_per_scale(void)
{
	if (!started)
		return;
	/* The pointer on right's banner: the 2x arrow, over Tessera's pixels
	 * only (no domain under it). */
	CHECK(ctl("test-pointer 1240 4"));
	CHECK(harness_wait_stat(&harness, "personal", "commits",
				harness_stat(&harness, "personal", "commits") + 2, 10000));

	struct tsr_buffer *left = screenshot("left.png", "left");
	CHECK(left && left->width == 640 && left->height == 400);
	if (left && left->width == 640 && left->height == 400) {
		/* 1x: banner rows 0..27, border 4 wide, guest from (4, 32). */
		CHECK_EQ_INT(harness_pixel(left, 639, 27), WORK_BLUE);
		for (int32_t d = 0; d < 4; d++) {
			CHECK_EQ_INT(harness_pixel(left, d, 200), WORK_BLUE);
			CHECK_EQ_INT(harness_pixel(left, 320, 28 + d), WORK_BLUE);
			CHECK_EQ_INT(harness_pixel(left, 320, 399 - d), WORK_BLUE);
		}
		CHECK(harness_pixel(left, 4, 200) != WORK_BLUE);
		CHECK(harness_pixel(left, 320, 32) != WORK_BLUE);
		CHECK(dominant_share(left, 4, 32, 636, 396, 0) > 0.6);
		mask(left, 4, 32, 636, 396);
		CHECK(tsr_check_reference(left, "hidpi-ctl-left"));
	}
	tsr_buffer_destroy(left);

	struct tsr_buffer *right = screenshot("right.png", "right");
	CHECK(right && right->width == 800 && right->height == 500);
	if (right && right->width == 800 && right->height == 500) {
		/* 2x: banner rows 0..55, border 8 wide, guest from (8, 64);
		 * dimmed, as work has the keyboard. */
		CHECK_EQ_INT(harness_pixel(right, 799, 55), PERSONAL_GREEN_DIMMED);
		for (int32_t d = 0; d < 8; d++) {
			CHECK_EQ_INT(harness_pixel(right, d, 250), PERSONAL_GREEN_DIMMED);
			CHECK_EQ_INT(harness_pixel(right, 799 - d, 250), PERSONAL_GREEN_DIMMED);
			CHECK_EQ_INT(harness_pixel(right, 400, 56 + d), PERSONAL_GREEN_DIMMED);
			CHECK_EQ_INT(harness_pixel(right, 400, 499 - d), PERSONAL_GREEN_DIMMED);
		}
		CHECK(harness_pixel(right, 8, 250) != PERSONAL_GREEN_DIMMED);
		CHECK(harness_pixel(right, 400, 64) != PERSONAL_GREEN_DIMMED);
		CHECK(dominant_share(right, 8, 64, 792, 492, 8) > 0.6);
		/* The arrow at (600, 4): 36 rows, a 2 pixel outline. */
		CHECK_EQ_INT(harness_pixel(right, 601, 4 + 30), 0x000000u);
		CHECK_EQ_INT(harness_pixel(right, 604, 4 + 30), 0xffffffu);
		mask(right, 8, 64, 792, 492);
		CHECK(tsr_check_reference(right, "hidpi-ctl-right"));
	}
	tsr_buffer_destroy(right);
}

static void test_shutdown(void)
{
	if (!started)
		return;
	CHECK(harness_stop(&harness));
}

TSR_TEST_MAIN(TSR_CASE(test_start), TSR_CASE(test_guests_configured_to_their_output),
	      TSR_CASE(test_decorations_per_scale), TSR_CASE(test_shutdown))
