/* The real tessera with [output] renderer = gles on the headless backend,
 * under its seccomp filter: `status` says renderer=gles, its screenshots of
 * both layouts (decorations, labels, dimmed frames) match pixman's within 2
 * levels per channel, a real agent's memfd pixels reach the screen, and it
 * exits cleanly. renderer = auto on a machine without a DRM render node
 * runs pixman and says why, and a GLES renderer that cannot start falls
 * back to pixman with one log line. Skipped (77) where EGL's surfaceless platform
 * gives no GLES context, with the reason from tessera's log. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/layout.h"
#include "harness.h"
#include "harness_image.h"
#include "tessera/image.h"
#include "test.h"

#define WIDTH 640
#define HEIGHT 400
#define TOLERANCE 2

static const char config_format[] = "[output]\nwidth = 640\nheight = 400\nrenderer = %s\n"
				    "[decorations]\nborder_width = 4\nbanner_height = 28\n"
				    "[domain work]\ncolour = blue\n"
				    "[domain personal]\ncolour = green\n"
				    "[domain untrusted]\ncolour = red\n";

static bool start(struct harness *harness, const char *renderer)
{
	char config[1024], name[32];
	snprintf(config, sizeof(config), config_format, renderer);
	snprintf(name, sizeof(name), "renderer-%s", renderer);
	return harness_start(harness, name, config);
}

static struct tsr_buffer *screenshot(struct harness *harness, const char *name)
{
	return harness_screenshot(harness, name, NULL);
}

/* Per channel within TOLERANCE; a diff image next to the screenshots
 * otherwise. */
static bool same_image(struct harness *harness, const struct tsr_buffer *pixman,
		       const struct tsr_buffer *gles, const char *name)
{
	if (pixman->width != gles->width || pixman->height != gles->height)
		return false;
	struct tsr_buffer *diff = tsr_buffer_copy_memory(gles);
	long bad = 0;
	int worst = 0;
	for (uint32_t y = 0; y < gles->height; y++) {
		for (uint32_t x = 0; x < gles->width; x++) {
			uint32_t a = harness_pixel(pixman, (int32_t)x, (int32_t)y);
			uint32_t b = harness_pixel(gles, (int32_t)x, (int32_t)y);
			int pixel_worst = 0;
			for (int c = 0; c < 3; c++) {
				int d = abs((int)((a >> (8 * c)) & 0xff) -
					    (int)((b >> (8 * c)) & 0xff));
				pixel_worst = d > pixel_worst ? d : pixel_worst;
			}
			worst = pixel_worst > worst ? pixel_worst : worst;
			bad += pixel_worst > TOLERANCE;
			if (diff)
				((uint32_t *)((uint8_t *)diff->data +
					      (size_t)y * diff->stride))[x] =
				    pixel_worst > TOLERANCE ? 0xffffffu : 0;
		}
	}
	printf("%s: worst channel difference %d, %ld pixels beyond %d\n", name, worst, bad,
	       TOLERANCE);
	if (bad && diff) {
		char path[512], file[64], err[256];
		snprintf(file, sizeof(file), "%s-diff.png", name);
		harness_path(harness, file, path, sizeof(path));
		if (tsr_png_write(path, diff, err, sizeof(err)))
			fprintf(stderr, "diff image: %s\n", path);
	}
	tsr_buffer_destroy(diff);
	return bad == 0;
}

static long long frames_now(struct harness *harness)
{
	char reply[2048];
	if (!harness_control(harness, "status", reply, sizeof(reply)))
		return -1;
	const char *found = strstr(reply, " frames=");
	return found ? atoll(found + 8) : -1;
}

/* Until a frame after `before` is presented (the screenshot copies the
 * last presented one). */
static bool wait_frame_after(struct harness *harness, long long before)
{
	for (int waited = 0; waited <= 10000; waited += 20) {
		if (frames_now(harness) > before)
			return true;
		harness_sleep_ms(20);
	}
	fprintf(stderr, "no frame after %lld\n", before);
	return false;
}

static bool command_and_frame(struct harness *harness, const char *command)
{
	char reply[256];
	long long before = frames_now(harness);
	return before >= 0 && harness_control(harness, command, reply, sizeof(reply)) &&
	       wait_frame_after(harness, before);
}

/* Screenshots of the mosaic (the first layout) and of focus on personal,
 * without guests: the scene is the same every run, so the two renderers
 * must agree. Each command's repaint is one frame. */
static bool shoot_layouts(struct harness *harness, const char *prefix, struct tsr_buffer *images[2])
{
	char name[64];
	images[0] = images[1] = NULL;
	if (!wait_frame_after(harness, 0))
		return false;
	snprintf(name, sizeof(name), "%s-mosaic.png", prefix);
	images[0] = screenshot(harness, name);
	if (!command_and_frame(harness, "focus personal") ||
	    !command_and_frame(harness, "layout focus"))
		return false;
	snprintf(name, sizeof(name), "%s-focus.png", prefix);
	images[1] = screenshot(harness, name);
	return images[0] && images[1];
}

static struct tsr_buffer *pixman_images[2];

static void test_pixman_baseline(void)
{
	struct harness harness;
	CHECK(start(&harness, "pixman"));
	CHECK(harness_wait_reply(&harness, "status", " renderer=pixman", 10000));
	CHECK(shoot_layouts(&harness, "pixman", pixman_images));
	CHECK(harness_stop(&harness));
}

static pid_t start_agent(struct harness *harness, const char *name, const char *colour)
{
	char socket_path[512], log_name[64], agent[512];
	snprintf(socket_path, sizeof(socket_path), "%s/%s.sock", harness->dir, name);
	snprintf(log_name, sizeof(log_name), "agent-%s", name);
	snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
	char *argv[] = {agent,	    "--socket",	    socket_path, "--source",   "demo",
			"--colour", (char *)colour, "--name",	 (char *)name, NULL};
	return harness_spawn(harness, log_name, argv);
}

static void test_gles_matches_pixman(void)
{
	struct harness harness;
	CHECK(start(&harness, "gles"));
	char reply[2048];
	/* The renderer is chosen before the control socket exists. */
	if (harness_control(&harness, "status", reply, sizeof(reply)) &&
	    strstr(reply, " renderer=pixman")) {
		printf("skipped: tessera's GLES renderer cannot start here (see %s/tessera.log)\n",
		       harness.dir);
		harness_stop(&harness);
		exit(77);
	}
	CHECK(harness_wait_reply(&harness, "status", " renderer=gles", 10000));
	CHECK(harness_log_contains(&harness, "tessera", "gles renderer: "));
	/* llvmpipe here: guests' dma-bufs must never reach it. */
	CHECK(harness_log_contains(&harness, "tessera",
				   "; guest dma-bufs refused (a software rasteriser crashes on a "
				   "foreign dma-buf): guests uploaded from Tessera's mapping"));
	struct tsr_buffer *images[2];
	CHECK(shoot_layouts(&harness, "gles", images));
	static const char *const names[2] = {"mosaic", "focus"};
	for (int i = 0; i < 2; i++) {
		CHECK(images[i] && pixman_images[i]);
		if (images[i] && pixman_images[i])
			CHECK(same_image(&harness, pixman_images[i], images[i], names[i]));
		tsr_buffer_destroy(images[i]);
	}

	/* A guest: its memfd pixels uploaded, in the focus layout's content. */
	pid_t agent = start_agent(&harness, "personal", "20e040");
	CHECK(harness_wait_stat(&harness, "personal", "commits", 5, 20000));
	CHECK(wait_frame_after(&harness, frames_now(&harness)));
	struct tsr_buffer *image = screenshot(&harness, "gles-agent.png");
	CHECK(image != NULL);
	if (image) {
		struct tsr_layout_params params = {.output_width = WIDTH,
						   .output_height = HEIGHT,
						   .border_width = 4,
						   .banner_height = 28,
						   .domain_count = 3,
						   .focused = 1,
						   .mode = TSR_LAYOUT_FOCUS};
		struct tsr_layout layout;
		tsr_layout_compute(&params, &layout);
		const pixman_box32_t *content = &layout.domains[1].content;
		int green = 0, samples = 0;
		for (int32_t y = content->y1 + 2; y < content->y2 - 2; y += 7) {
			for (int32_t x = content->x1 + 2; x < content->x2 - 2; x += 7) {
				uint32_t p = harness_pixel(image, x, y);
				green += ((p >> 8) & 0xff) > ((p >> 16) & 0xff) + 40 &&
					 ((p >> 8) & 0xff) > (p & 0xff) + 40;
				samples++;
			}
		}
		printf("agent: %d of %d samples the guest's green\n", green, samples);
		CHECK(samples > 0 && green * 10 > samples * 8);
		CHECK_EQ_INT(harness_pixel(image, WIDTH - 2, 2), 0x4e9a06); /* banner */
		tsr_buffer_destroy(image);
	}
	CHECK(harness_alive(harness.compositor));
	CHECK(harness_stop(&harness)); /* exit status 0: no crash, no sandbox kill */
	if (agent > 0)
		harness_wait(agent, 5000);
}

static bool have_render_node(void)
{
	DIR *dir = opendir("/dev/dri");
	bool found = false;
	for (struct dirent *entry; dir && !found && (entry = readdir(dir)) != NULL;)
		found = strncmp(entry->d_name, "renderD", 7) == 0;
	if (dir)
		closedir(dir);
	return found;
}

static void test_auto_without_render_node_is_pixman(void)
{
	if (have_render_node()) {
		printf("auto: this machine has a DRM render node; not checked here\n");
		return;
	}
	struct harness harness;
	CHECK(start(&harness, "auto"));
	CHECK(harness_wait_reply(&harness, "status", " renderer=pixman", 10000));
	CHECK(harness_log_count(&harness, "tessera",
				"renderer: pixman (auto: no DRM render node") == 1);
	CHECK(!harness_log_contains(&harness, "tessera", "gles renderer: "));
	CHECK(harness_stop(&harness));
}

/* A GLES renderer that cannot start: glvnd given no EGL vendor library at
 * all (what a machine without Mesa's libEGL_mesa looks like). */
static void test_gles_that_cannot_start_falls_back(void)
{
	struct harness harness;
	setenv("__EGL_VENDOR_LIBRARY_FILENAMES", "/nonexistent/egl_vendor.json", 1);
	CHECK(start(&harness, "gles"));
	unsetenv("__EGL_VENDOR_LIBRARY_FILENAMES");
	CHECK(harness_wait_reply(&harness, "status", " renderer=pixman", 10000));
	CHECK_EQ_INT(harness_log_count(&harness, "tessera", "renderer: "), 1);
	CHECK(harness_log_contains(&harness, "tessera",
				   "renderer: pixman (gles: GLES cannot start: "));
	CHECK(wait_frame_after(&harness, 0));
	CHECK(harness_stop(&harness));
}

static void release(void)
{
	tsr_buffer_destroy(pixman_images[0]);
	tsr_buffer_destroy(pixman_images[1]);
}

static void test_release(void)
{
	release();
}

TSR_TEST_MAIN(TSR_CASE(test_pixman_baseline), TSR_CASE(test_gles_matches_pixman),
	      TSR_CASE(test_auto_without_render_node_is_pixman),
	      TSR_CASE(test_gles_that_cannot_start_falls_back), TSR_CASE(test_release))
