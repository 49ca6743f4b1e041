/* Output hotplug with real tessera and tessera-agent processes on two
 * headless outputs, unplugged and plugged again through the test-hooks
 * command `test-hotplug OUTPUT 0|1` (the headless backend's stand-in for
 * the KMS backend's udev events, which tests/vm/kms-hotplug.sh tests on
 * real cards): the output that did not change shows the same pixels
 * before and after (guests draw once, --damage none, so any change is
 * Tessera's); the domain with the keyboard moves from a vanished output to
 * a remaining one; with no output left Tessera goes on, guests stay
 * connected and keep getting frames at the hidden rate; an output that
 * comes back shows the keyboard's domain at the right size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/layout.h"
#include "harness.h"
#include "tessera/image.h"
#include "test.h"

static const char config_text[] = "[output]\nwidth = 640\nheight = 400\n"
				  "[output left]\n"
				  "[output right]\nmode = 480x300\n"
				  "[output third]\nmode = 320x240\n"
				  "[decorations]\nborder_width = 4\nbanner_height = 28\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n";

static struct harness harness;

static pid_t start_agent(const char *name, const char *colour)
{
	char socket_path[512], log_name[64], agent[512];
	snprintf(socket_path, sizeof(socket_path), "%s/%s.sock", harness.dir, name);
	snprintf(log_name, sizeof(log_name), "agent-%s", name);
	snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
	char *argv[] = {agent,	    "--socket", socket_path, "--colour",   (char *)colour,
			"--damage", "none",	"--name",    (char *)name, NULL};
	return harness_spawn(&harness, log_name, argv);
}

static bool ctl(const char *command, char *reply, size_t reply_len)
{
	bool ok = harness_control(&harness, command, reply, reply_len);
	if (!ok)
		fprintf(stderr, "%s: %s\n", command, reply);
	return ok;
}

static bool wait_reply(const char *command, const char *text)
{
	return harness_wait_reply(&harness, command, text, 20000);
}

/* A screenshot of an output, once two more frames were presented there:
 * what the output shows now, not a frame from before the change. */
static struct tsr_buffer *screenshot(const char *file, const char *output)
{
	char path[512], command[700], reply[800], err[256];
	harness_sleep_ms(100);
	harness_path(&harness, file, path, sizeof(path));
	snprintf(command, sizeof(command), "screenshot %s %s", path, output);
	if (!ctl(command, reply, sizeof(reply)))
		return NULL;
	struct tsr_buffer *image = tsr_png_read(path, err, sizeof(err));
	if (!image)
		fprintf(stderr, "%s\n", err);
	return image;
}

static long differing_pixels(const struct tsr_buffer *a, const struct tsr_buffer *b)
{
	if (a->width != b->width || a->height != b->height)
		return -1;
	long differ = 0;
	for (uint32_t y = 0; y < a->height; y++) {
		const uint32_t *ra = (const uint32_t *)((const uint8_t *)a->data + y * a->stride);
		const uint32_t *rb = (const uint32_t *)((const uint8_t *)b->data + y * b->stride);
		for (uint32_t x = 0; x < a->width; x++)
			differ += (ra[x] & 0xffffffu) != (rb[x] & 0xffffffu);
	}
	return differ;
}

/* The banner's colour at its left end (domain colours are pure here). */
static uint32_t banner_pixel(const struct tsr_buffer *image)
{
	return ((const uint32_t *)((const uint8_t *)image->data + 2 * image->stride))[2] &
	       0xffffffu;
}

/* Both outputs that stay show exactly what they showed in before_*. */
static void check_unchanged(struct tsr_buffer *before_left, struct tsr_buffer *before_right,
			    const char *when)
{
	char file[64];
	snprintf(file, sizeof(file), "left-%s.png", when);
	struct tsr_buffer *left = screenshot(file, "left");
	snprintf(file, sizeof(file), "right-%s.png", when);
	struct tsr_buffer *right = screenshot(file, "right");
	CHECK(left != NULL && right != NULL);
	if (left && before_left)
		CHECK_EQ_INT(differing_pixels(before_left, left), 0);
	if (right && before_right)
		CHECK_EQ_INT(differing_pixels(before_right, right), 0);
	tsr_buffer_destroy(left);
	tsr_buffer_destroy(right);
}

static void test_hotplug(void)
{
	CHECK(harness_start(&harness, "hotplug", config_text));
	pid_t work = start_agent("work", "0000ff");
	pid_t personal = start_agent("personal", "00ff00");
	char reply[2048];
	struct tsr_layout focus;
	struct tsr_layout_params params = {.output_width = 640,
					   .output_height = 400,
					   .border_width = 4,
					   .banner_height = 28,
					   .domain_count = 2,
					   .focused = 0,
					   .mode = TSR_LAYOUT_FOCUS};
	tsr_layout_compute(&params, &focus);
	char left_size[64];
	snprintf(left_size, sizeof(left_size), "surface=%ux%u",
		 tsr_box_width(&focus.domains[0].content),
		 tsr_box_height(&focus.domains[0].content));

	/* left and right in focus (work with the keyboard on left, personal on
	 * right), third in the mosaic. */
	CHECK(ctl("layout focus left", reply, sizeof(reply)));
	CHECK(ctl("layout focus right", reply, sizeof(reply)));
	CHECK(ctl("layout mosaic third", reply, sizeof(reply)));
	CHECK(ctl("focus personal right", reply, sizeof(reply)));
	CHECK(wait_reply("stats personal", "commits="));
	struct tsr_buffer *personal_banner = screenshot("right-keyboard.png", "right");
	CHECK(personal_banner != NULL);
	uint32_t personal_keyboard = personal_banner ? banner_pixel(personal_banner) : 0;
	tsr_buffer_destroy(personal_banner);
	CHECK(ctl("focus work left", reply, sizeof(reply)));
	CHECK(wait_reply("stats work", left_size));
	CHECK(wait_reply("status", "outputs=3"));
	CHECK(wait_reply("status", "output.right=640,0,480x300,focus:personal"));
	CHECK(wait_reply("status", "output.third=1120,0,320x240,mosaic"));
	struct tsr_buffer *left = screenshot("left-before.png", "left");
	struct tsr_buffer *right = screenshot("right-before.png", "right");
	CHECK(left != NULL && right != NULL);

	/* An output without the keyboard goes and comes back: the others do
	 * not change at all. */
	CHECK(ctl("test-hotplug third 0", reply, sizeof(reply)));
	CHECK(wait_reply("status", "outputs=2"));
	check_unchanged(left, right, "after-unplug");
	CHECK(ctl("test-hotplug third 1", reply, sizeof(reply)));
	CHECK(wait_reply("status", "outputs=3"));
	CHECK(wait_reply("status", "output.third=1120,0,320x240,"));
	check_unchanged(left, right, "after-replug");
	tsr_buffer_destroy(left);
	tsr_buffer_destroy(right);
	/* A name that is no output is refused. */
	CHECK(!harness_control(&harness, "test-hotplug nowhere 1", reply, sizeof(reply)));

	/* The keyboard's output goes: its domain moves to a remaining one. */
	CHECK(ctl("focus personal right", reply, sizeof(reply)));
	CHECK(ctl("test-hotplug right 0", reply, sizeof(reply)));
	CHECK(wait_reply("status", "output.left=0,0,640x400,focus:personal"));
	CHECK(wait_reply("status", "focused=personal"));
	struct tsr_buffer *moved = screenshot("left-moved.png", "left");
	CHECK(moved != NULL);
	if (moved)
		CHECK_EQ_INT(banner_pixel(moved), personal_keyboard);
	tsr_buffer_destroy(moved);

	/* The last outputs go: not fatal; guests stay and are paced at 1 Hz. */
	CHECK(ctl("test-hotplug third 0", reply, sizeof(reply)));
	CHECK(ctl("test-hotplug left 0", reply, sizeof(reply)));
	CHECK(wait_reply("status", "outputs=0"));
	CHECK(!harness_control(&harness, "screenshot /tmp/tessera-none.png", reply, sizeof(reply)));
	CHECK(strstr(reply, "no output") != NULL);
	long long commits = harness_stat(&harness, "work", "commits");
	CHECK(harness_wait_stat(&harness, "work", "commits", commits + 2, 20000));
	CHECK(harness_alive(harness.compositor));
	CHECK(harness_alive(work) && harness_alive(personal));

	/* An output comes back: the keyboard's domain in focus, at its size. */
	CHECK(ctl("test-hotplug left 1", reply, sizeof(reply)));
	CHECK(wait_reply("status", "outputs=1"));
	CHECK(wait_reply("status", "output.left=0,0,640x400,focus:personal"));
	CHECK(wait_reply("stats personal", left_size));
	struct tsr_buffer *back = screenshot("left-back.png", "left");
	CHECK(back != NULL);
	if (back)
		CHECK(banner_pixel(back) != 0);
	tsr_buffer_destroy(back);
	CHECK(harness_log_contains(&harness, "tessera", "output right removed"));
	CHECK(harness_stop(&harness));
}

TSR_TEST_MAIN(TSR_CASE(test_hotplug))
