/* Runs in the VM: the whole compositor scene on real KMS (vkms). The
 * writeback capture of each layout must match the headless backend's
 * rendering of the same scene, within the render-test tolerance; a small
 * guest damage must lead to a commit without a full repaint, and rewrites
 * only the damaged pixels on screen (buffer age).
 *   TSR_RESULTS_DIR=DIR [TSR_KMS_RENDERER=gles] kms-scene-test
 * TSR_KMS_RENDERER=gles: the KMS side renders with [output] renderer =
 * gles (EGL on the card's GBM device, drawing into its scan-out buffers,
 * kms-gles.sh); the headless side stays pixman, so the captures are
 * compared with pixman's rendering. */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain.h"
#include "core/domain_testing.h"
#include "scene_fixture.h"
#include "tessera/event_loop.h"
#include "tessera/image.h"
#include "tessera/renderer.h"
#include "reference.h"
#include "test.h"

static const char *results_dir = ".";
static bool kms_gles; /* TSR_KMS_RENDERER=gles */

static const char domains[] = "[domain work]\ncolour = blue\n"
			      "[domain personal]\ncolour = green\n"
			      "[domain untrusted]\ncolour = red\n";

static void set_layout(struct scene_fixture *fixture, enum tsr_layout_mode mode)
{
	tsr_server_focus(fixture->server, 1);
	tsr_server_set_layout(fixture->server, mode);
	scene_fixture_populate(fixture);
}

/* A capture of the fixture's KMS output, kept as RESULTS_DIR/writeback-NAME.png
 * for a look; NULL (failing the test) when it fails. */
static struct tsr_buffer *capture(struct scene_fixture *fixture, const char *name)
{
	struct tsr_output *output = tsr_server_output(fixture->server, 0)->output;
	char err[256], path[512];
	struct tsr_buffer *captured =
	    output->impl->capture ? output->impl->capture(output, err, sizeof(err)) : NULL;
	if (!captured) {
		fprintf(stderr, "writeback capture failed: %s\n",
			output->impl->capture ? err : "none");
		CHECK(!"writeback capture");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/writeback-%s.png", results_dir, name);
	if (!tsr_png_write(path, captured, err, sizeof(err)))
		fprintf(stderr, "cannot keep the capture: %s\n", err);
	return captured;
}

/* Compares what KMS shows (writeback) with headless for one layout. */
static void compare_layout(struct scene_fixture *kms, struct scene_fixture *headless,
			   enum tsr_layout_mode mode, const char *name)
{
	set_layout(kms, mode);
	set_layout(headless, mode);
	CHECK(scene_fixture_settle(kms));
	CHECK(scene_fixture_settle(headless));
	/* Two more flips so the capture sees a settled frame. */
	for (int i = 0; i < 2; i++) {
		scene_fixture_damage(kms, 0, 0, 0, 1, 1);
		CHECK(scene_fixture_settle(kms));
	}
	char capture_path[512], expected_path[512], diff_path[512], err[256];
	snprintf(capture_path, sizeof(capture_path), "%s/writeback-%s.png", results_dir, name);
	snprintf(expected_path, sizeof(expected_path), "%s/headless-%s.png", results_dir, name);
	snprintf(diff_path, sizeof(diff_path), "%s/diff-%s.png", results_dir, name);
	struct tsr_output *output = tsr_server_output(kms->server, 0)->output;
	CHECK(output->impl->capture != NULL);
	struct tsr_buffer *captured = capture(kms, name);
	if (!captured)
		return;
	/* Kept beside the capture, for a look when the comparison fails. */
	tsr_png_write(expected_path, scene_fixture_front(headless), err, sizeof(err));
	struct tsr_image_diff diff;
	bool same =
	    tsr_image_compare(captured, scene_fixture_front(headless), 3, 4, diff_path, &diff);
	if (!same)
		fprintf(stderr, "%s: %llu pixels differ (first at %d,%d, max delta %d); see %s\n",
			name, (unsigned long long)diff.differing_pixels, diff.first_x, diff.first_y,
			diff.max_channel_delta, diff_path);
	CHECK(same);
	printf("%s: writeback capture matches the headless rendering (%s)\n", name, capture_path);
	/* And the reference image the host's render test checks too (same
	 * scene, same size), when the mode is the one it was made for. */
	char reference[64];
	snprintf(reference, sizeof(reference), "kms-scene-%s", name);
	if (captured->width == 1024 && captured->height == 768)
		CHECK(tsr_check_reference(captured, reference));
	else
		printf("%s: SKIP reference comparison: output is %ux%u, references are 1024x768\n",
		       name, captured->width, captured->height);
	tsr_buffer_destroy(captured);
}

static struct scene_fixture kms, headless;
static bool ready;

static void test_setup(void)
{
	if (getenv("TSR_RESULTS_DIR"))
		results_dir = getenv("TSR_RESULTS_DIR");
	char config[512];
	kms_gles = getenv("TSR_KMS_RENDERER") && strcmp(getenv("TSR_KMS_RENDERER"), "gles") == 0;
	snprintf(config, sizeof(config), "[output]\nbackend = kms\nrenderer = %s\n%s",
		 kms_gles ? "gles" : "pixman", domains);
	ready = scene_fixture_init_with(&kms, 0, 0, config);
	CHECK(ready);
	if (!ready)
		return;
	struct tsr_output *output = tsr_server_output(kms.server, 0)->output;
	printf("kms output %s: %ux%u @ %u mHz\n", output->name, output->width, output->height,
	       output->refresh_mhz);
	ready = scene_fixture_init_with(&headless, output->width, output->height, domains);
	CHECK(ready);
	const struct tsr_renderer *renderer = tsr_server_renderer(kms.server);
	printf("kms renderer: %s\n", renderer->name);
	if (kms_gles)
		CHECK(strcmp(renderer->name, "gles") == 0);
}

static void test_mosaic_matches_headless(void)
{
	if (ready)
		compare_layout(&kms, &headless, TSR_LAYOUT_MOSAIC, "mosaic");
}

static void test_focus_matches_headless(void)
{
	if (ready)
		compare_layout(&kms, &headless, TSR_LAYOUT_FOCUS, "focus");
}

static void test_small_damage_small_commit(void)
{
	if (!ready)
		return;
	/* Steady state first: a capture's modesets leave buffer ages unknown,
	 * so two small frames age both buffers again. */
	for (int i = 0; i < 2; i++) {
		scene_fixture_damage(&kms, 1, 10, 10, 16, 16);
		CHECK(scene_fixture_settle(&kms));
	}
	struct tsr_server_stats before = tsr_server_get_stats(kms.server);
	scene_fixture_damage(&kms, 1, 10, 10, 16, 16);
	CHECK(scene_fixture_settle(&kms));
	struct tsr_server_stats after = tsr_server_get_stats(kms.server);
	struct tsr_output *output = tsr_server_output(kms.server, 0)->output;
	uint64_t drawn = after.pixels_drawn - before.pixels_drawn;
	printf("small damage: 1 frame, %llu pixels drawn of %u (buffer age included)\n",
	       (unsigned long long)drawn, output->width * output->height);
	CHECK_EQ_INT(after.frames - before.frames, 1);
	CHECK(drawn <= 2 * 16 * 16 + 2); /* this frame's and the previous frame's damage */
	CHECK(drawn > 0);
}

/* Buffer age on screen: the guest's whole buffer changes but only a 16x16
 * rectangle is damaged; the next capture differs from the one before in
 * that rectangle only (nothing outside the damage was redrawn). */
static void test_damage_rewrites_only_damage(void)
{
	if (!ready)
		return;
	struct tsr_buffer *before = capture(&kms, "damage-before");
	if (!before)
		return;
	/* The capture's modesets leave buffer ages unknown: age them again. */
	for (int i = 0; i < 2; i++) {
		scene_fixture_damage(&kms, 1, 10, 10, 16, 16);
		CHECK(scene_fixture_settle(&kms));
	}
	struct tsr_buffer *guest =
	    tsr_domain_test_buffer_slot(tsr_server_domain(kms.server, 1), 0)->buffer;
	CHECK(guest != NULL);
	if (guest) {
		for (uint32_t y = 0; y < guest->height; y++)
			for (uint32_t x = 0; x < guest->width; x++)
				((uint32_t *)((uint8_t *)guest->data +
					      (size_t)y * guest->stride))[x] = 0xffff00ffu;
	}
	scene_fixture_damage(&kms, 1, 10, 10, 16, 16);
	CHECK(scene_fixture_settle(&kms));
	struct tsr_buffer *after = capture(&kms, "damage-after");
	if (after && guest) {
		uint64_t differing = 0;
		int32_t x1 = INT32_MAX, y1 = INT32_MAX, x2 = -1, y2 = -1;
		for (uint32_t y = 0; y < after->height; y++)
			for (uint32_t x = 0; x < after->width; x++) {
				if ((pixel_at(after, x, y) & 0xffffff) ==
				    (pixel_at(before, x, y) & 0xffffff))
					continue;
				differing++;
				x1 = (int32_t)x < x1 ? (int32_t)x : x1;
				y1 = (int32_t)y < y1 ? (int32_t)y : y1;
				x2 = (int32_t)x > x2 ? (int32_t)x : x2;
				y2 = (int32_t)y > y2 ? (int32_t)y : y2;
			}
		printf("damage: %llu pixels changed on screen, within %d,%d-%d,%d\n",
		       (unsigned long long)differing, x1, y1, x2, y2);
		CHECK(differing > 0);
		CHECK(differing <= 16 * 16);
		CHECK(x2 - x1 < 16 && y2 - y1 < 16);
	}
	const struct tsr_renderer *renderer = tsr_server_renderer(kms.server);
	printf("renderer %s: %llu bytes read back, %llu passes straight into GBM buffers\n",
	       renderer->name, (unsigned long long)renderer->readback_bytes,
	       (unsigned long long)renderer->direct_passes);
	if (kms_gles) {
		CHECK(renderer->readback_bytes == 0);
		CHECK(renderer->direct_passes > 0);
	}
	tsr_buffer_destroy(before);
	tsr_buffer_destroy(after);
}

static void test_latency_figure(void)
{
	if (!ready)
		return;
	/* Not a test of speed: prints guest-damage -> atomic-commit latency on
	 * KMS against the headless backend for the same scene, same run. */
	double per_backend[2];
	struct scene_fixture *fixtures[2] = {&kms, &headless};
	for (int b = 0; b < 2; b++) {
		struct tsr_server_stats before = tsr_server_get_stats(fixtures[b]->server);
		for (int i = 0; i < 60; i++) {
			scene_fixture_damage(fixtures[b], 1, i, i, 64, 64);
			scene_fixture_settle(fixtures[b]);
		}
		struct tsr_server_stats after = tsr_server_get_stats(fixtures[b]->server);
		uint64_t count = after.latency_count - before.latency_count;
		per_backend[b] = count ? (double)(after.latency_sum_ns - before.latency_sum_ns) /
					     (double)count / 1e6
				       : 0;
	}
	printf("benchmark: damage -> commit latency kms %.3f ms, headless %.3f ms, ratio %.2f\n",
	       per_backend[0], per_backend[1],
	       per_backend[1] > 0 ? per_backend[0] / per_backend[1] : 0);
}

static void test_two_outputs(void)
{
	if (!ready)
		return;
	size_t outputs = tsr_server_output_count(kms.server);
	if (outputs < 2) {
		printf("SKIP two outputs: the kernel offers %zu connected connector(s) "
		       "(vkms in Linux 6.1 has one)\n",
		       outputs);
		return;
	}
	/* Every output shows the scene laid out for its own size. */
	for (size_t i = 0; i < outputs; i++)
		CHECK(tsr_server_output(kms.server, i)->frames_presented > 0);
}

static void test_teardown(void)
{
	if (!ready)
		return;
	scene_fixture_fini(&kms);
	scene_fixture_fini(&headless);
}

TSR_TEST_MAIN(TSR_CASE(test_setup), TSR_CASE(test_mosaic_matches_headless),
	      TSR_CASE(test_focus_matches_headless), TSR_CASE(test_small_damage_small_commit),
	      TSR_CASE(test_damage_rewrites_only_damage), TSR_CASE(test_latency_figure),
	      TSR_CASE(test_two_outputs), TSR_CASE(test_teardown))
