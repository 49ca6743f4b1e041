/* Two headless outputs with real tessera and tessera-agent processes:
 * per-output layouts through tessera-ctl's OUTPUT arguments, `status` per
 * output, guests configured to the output they are shown on, screenshots
 * of each output against reference images (guest content, which animates,
 * is checked by colour and masked out of the comparison; every trusted
 * pixel is compared), and input through the test-hooks commands
 * `test-pointer` and `test-button`: the domain under the pointer on the
 * second output gets it, the others nothing. */
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/layout.h"
#include "harness.h"
#include "harness_image.h"
#include "reference.h"
#include "tessera/image.h"
#include "test.h"

static const char config_text[] = "[output]\nwidth = 640\nheight = 400\n"
				  "[output left]\n"
				  "[output right]\nmode = 480x300\n"
				  "[decorations]\nborder_width = 4\nbanner_height = 28\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n"
				  "[domain untrusted]\ncolour = red\n";

static struct harness harness;
static bool started;

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

static void focus_layout(uint32_t width, uint32_t height, struct tsr_layout *layout)
{
	struct tsr_layout_params params = {.output_width = width,
					   .output_height = height,
					   .border_width = 4,
					   .banner_height = 28,
					   .domain_count = 3,
					   .focused = 0,
					   .mode = TSR_LAYOUT_FOCUS};
	tsr_layout_compute(&params, layout);
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
static double dominant_share(const struct tsr_buffer *image, const pixman_box32_t *box, int shift)
{
	int hits = 0, samples = 0;
	for (int32_t y = box->y1 + 2; y < box->y2 - 2; y += 7) {
		for (int32_t x = box->x1 + 2; x < box->x2 - 2; x += 7) {
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

/* The guest's pixels animate: checked by colour by the caller, then
 * painted over so that the reference holds Tessera's pixels only. */
static void mask(struct tsr_buffer *image, const pixman_box32_t *box)
{
	for (int32_t y = box->y1; y < box->y2; y++)
		for (int32_t x = box->x1; x < box->x2; x++)
			((uint32_t *)((uint8_t *)image->data + (size_t)y * image->stride))[x] =
			    0xff00ff;
}

static bool log_has_input(const char *agent, const char *kind)
{
	char text[64];
	snprintf(text, sizeof(text), "input %s", kind);
	return harness_log_contains(&harness, agent, text);
}

static void test_start_two_outputs(void)
{
	started = harness_start(&harness, "multi-output", config_text);
	CHECK(started);
	if (!started)
		return;
	start_agent("work", "2040e0");
	start_agent("personal", "20e040");
	CHECK(harness_wait_stat(&harness, "work", "commits", 3, 20000));
	CHECK(harness_wait_stat(&harness, "personal", "commits", 3, 20000));
	char reply[1024];
	CHECK(harness_control(&harness, "status", reply, sizeof(reply)));
	CHECK(strstr(reply, " outputs=2") != NULL);
	CHECK(strstr(reply, " output.left=0,0,640x400,mosaic") != NULL);
	CHECK(strstr(reply, " output.right=640,0,480x300,mosaic") != NULL);
	CHECK(harness_log_contains(&harness, "tessera",
				   "output right: 480x300 @ 60.000 Hz at 640,0"));
}

static void test_layouts_per_output(void)
{
	if (!started)
		return;
	/* right: personal in focus; left: work in focus, with the keyboard. */
	CHECK(ctl("focus personal right"));
	CHECK(ctl("layout focus right"));
	CHECK(ctl("layout focus left"));
	CHECK(ctl("focus work left"));
	char reply[1024];
	CHECK(harness_control(&harness, "status", reply, sizeof(reply)));
	CHECK(strstr(reply, " focused=work") != NULL);
	CHECK(strstr(reply, " output.left=0,0,640x400,focus:work") != NULL);
	CHECK(strstr(reply, " output.right=640,0,480x300,focus:personal") != NULL);
	/* Errors name what is wrong; nothing changes. */
	CHECK(!harness_control(&harness, "focus work nowhere", reply, sizeof(reply)));
	CHECK(strcmp(reply, "error no output 'nowhere'") == 0);
	CHECK(!harness_control(&harness, "layout mosaic left right", reply, sizeof(reply)));
	CHECK(strcmp(reply, "error too many arguments") == 0);
	CHECK(!harness_control(&harness, "layout sideways right", reply, sizeof(reply)));
	CHECK(harness_control(&harness, "status", reply, sizeof(reply)));
	CHECK(strstr(reply, " output.left=0,0,640x400,focus:work") != NULL);

	/* Each guest is configured to the output it is shown on. */
	struct tsr_layout left, right;
	focus_layout(640, 400, &left);
	focus_layout(480, 300, &right);
	CHECK(wait_for_size("work", tsr_box_width(&left.domains[0].content),
			    tsr_box_height(&left.domains[0].content)));
	CHECK(wait_for_size("personal", tsr_box_width(&right.domains[0].content),
			    tsr_box_height(&right.domains[0].content)));
	CHECK(harness_wait_stat(&harness, "work", "commits",
				harness_stat(&harness, "work", "commits") + 2, 10000));
	CHECK(harness_wait_stat(&harness, "personal", "commits",
				harness_stat(&harness, "personal", "commits") + 2, 10000));
}

static void check_output(const char *output, uint32_t width, uint32_t height, int shift,
			 const char *reference)
{
	char file[64];
	snprintf(file, sizeof(file), "%s.png", reference);
	struct tsr_buffer *image = screenshot(file, output);
	CHECK(image != NULL);
	if (!image)
		return;
	CHECK(image->width == width && image->height == height);
	struct tsr_layout layout;
	focus_layout(width, height, &layout);
	const pixman_box32_t *content = &layout.domains[0].content;
	if (image->width == width && image->height == height) {
		CHECK(dominant_share(image, content, shift) > 0.6);
		mask(image, content);
		CHECK(tsr_check_reference(image, reference));
	}
	tsr_buffer_destroy(image);
}

static void test_screenshots_of_each_output(void)
{
	if (!started)
		return;
	/* left: work's blue, "work - keyboard focus" in full colour; right:
	 * personal's green, its banner dimmed and naming it only. */
	check_output("left", 640, 400, 0, "multi-output-ctl-left");
	check_output("right", 480, 300, 8, "multi-output-ctl-right");
	/* Without OUTPUT: the first output, as always. */
	struct tsr_buffer *first = screenshot("first.png", NULL);
	CHECK(first && first->width == 640 && first->height == 400);
	tsr_buffer_destroy(first);
	char reply[256];
	CHECK(!harness_control(&harness, "screenshot", reply, sizeof(reply)));
}

static void test_input_goes_to_the_domain_under_the_pointer(void)
{
	if (!started)
		return;
	struct tsr_layout right;
	focus_layout(480, 300, &right);
	const pixman_box32_t *content = &right.domains[0].content;
	/* Onto the right output, over personal: motion relative to its
	 * content there; work (left, with the keyboard) gets no motion. */
	char command[64];
	snprintf(command, sizeof(command), "test-pointer %d %d", 640 + content->x1 + 10,
		 content->y1 + 20);
	CHECK(ctl(command));
	CHECK(harness_wait_log(&harness, "agent-personal", "input motion 10 20", 10000));
	/* A click there gives personal the keyboard; the next is its input. */
	CHECK(ctl("test-button 272 1"));
	CHECK(ctl("test-button 272 0"));
	char reply[1024];
	CHECK(harness_control(&harness, "status", reply, sizeof(reply)));
	CHECK(strstr(reply, " focused=personal") != NULL);
	CHECK(ctl("test-button 272 1"));
	CHECK(ctl("test-button 272 0"));
	CHECK(ctl("test-key 30 1"));
	CHECK(ctl("test-key 30 0"));
	CHECK(harness_wait_log(&harness, "agent-personal", "input button 272 released", 10000));
	CHECK(harness_wait_log(&harness, "agent-personal", "input key 30 released", 10000));
	CHECK_EQ_INT(harness_log_count(&harness, "agent-personal", "input button 272 pressed"), 1);
	CHECK(harness_wait_log(&harness, "agent-work", "input focus-out", 10000));
	/* Everything work was sent, in order, came before personal's key:
	 * nothing of it went to work. */
	CHECK(!log_has_input("agent-work", "motion"));
	CHECK(!log_has_input("agent-work", "button"));
	CHECK(!log_has_input("agent-work", "key"));

	/* Both banners changed: right now says personal has the keyboard,
	 * left names work only, dimmed. The cursor is on right, inside
	 * personal's (masked) content. Two more frames of personal first,
	 * so the redrawn banners are on screen. */
	CHECK(harness_wait_stat(&harness, "personal", "commits",
				harness_stat(&harness, "personal", "commits") + 2, 10000));
	check_output("right", 480, 300, 8, "multi-output-ctl-right-keyboard");
	check_output("left", 640, 400, 0, "multi-output-ctl-left-shown");
	/* Past the right output's bottom there is nothing: the pointer
	 * stays on it. */
	CHECK(ctl("test-pointer 1000 399"));
	CHECK(harness_control(&harness, "status", reply, sizeof(reply)));
	CHECK(strstr(reply, " focused=personal") != NULL);
}

static void test_shutdown(void)
{
	if (!started)
		return;
	CHECK(harness_stop(&harness));
}

TSR_TEST_MAIN(TSR_CASE(test_start_two_outputs), TSR_CASE(test_layouts_per_output),
	      TSR_CASE(test_screenshots_of_each_output),
	      TSR_CASE(test_input_goes_to_the_domain_under_the_pointer), TSR_CASE(test_shutdown))
