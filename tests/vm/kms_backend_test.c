/* The KMS backend against real KMS (vkms with writeback and a cursor plane,
 * inside the test VM): modeset, page-flip pacing, buffer ages, an injected
 * commit failure, writeback capture, the cursor plane, the restore of the
 * CRTC state on destroy, and the removal of every output announced before
 * it is destroyed. Drives the backend with the real event loop
 * and draws with the pixman renderer.
 *
 * PNGs go to $TESSERA_RESULTS_DIR (default /tmp). Needs /dev/dri/card0 and
 * DRM master: run it through tests/vm/kms-backend.sh. */
#include <drm_fourcc.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "backend/kms.h"
#include "tessera/event_loop.h"
#include "tessera/image.h"
#include "tessera/output.h"
#include "tessera/renderer.h"
#include "test.h"

#define TEST_FLIP_COUNT 120
#define TEST_TIMEOUT_MS 5000

struct test_context {
	struct tsr_event_loop *loop;
	struct tsr_backend *backend;
	struct tsr_renderer *renderer;
	struct tsr_output *output;
	size_t output_count;
	uint64_t frames;
	uint64_t last_frame_ns;
	uint64_t frame_times[TEST_FLIP_COUNT + 8];
	/* listener.removed: how often, frames seen by then, and whether the
	 * output was still whole when it was announced. */
	size_t removed_count;
	uint64_t frames_at_removal;
	bool removed_output_intact;
	char first_name[sizeof(((struct tsr_output *)0)->name)];
};

/* Line-buffered stdout: when the VM runner kills a hung test, its log
 * still shows which case hung. */
__attribute__((constructor)) static void line_buffered_stdout(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void on_frame(void *data, struct tsr_output *output, uint64_t time_ns)
{
	struct test_context *context = data;
	if (context->frames < sizeof(context->frame_times) / sizeof(context->frame_times[0]))
		context->frame_times[context->frames] = time_ns;
	context->frames++;
	context->last_frame_ns = time_ns;
}

static void on_removed(void *data, struct tsr_output *output)
{
	struct test_context *context = data;
	context->removed_count++;
	if (output == context->output) {
		context->frames_at_removal = context->frames;
		context->removed_output_intact = output->impl && output->width > 0 &&
						 strcmp(output->name, context->first_name) == 0;
	}
}

static void on_output_added(void *data, struct tsr_output *output)
{
	struct test_context *context = data;
	output->listener = (struct tsr_output_listener){
	    .frame = on_frame,
	    .removed = on_removed,
	    .data = context,
	};
	if (!context->output) {
		context->output = output;
		snprintf(context->first_name, sizeof(context->first_name), "%s", output->name);
	}
	context->output_count++;
}

static const char *results_dir(void)
{
	const char *dir = getenv("TESSERA_RESULTS_DIR");
	return dir && dir[0] ? dir : "/tmp";
}

/* inject_failure_at: the commit that fails (kms_backend_inject_commit_failure), 0 none. */
static bool context_start(struct test_context *context, uint64_t inject_failure_at)
{
	memset(context, 0, sizeof(*context));
	context->loop = tsr_event_loop_create();
	context->renderer = tsr_renderer_pixman_create();
	struct tsr_output_config config = {.backend = TSR_BACKEND_KMS};
	struct tsr_backend_listener listener = {.output_added = on_output_added, .data = context};
	context->backend = tsr_backend_kms_create(context->loop, &config, &listener);
	CHECK(context->loop && context->renderer && context->backend);
	if (!context->loop || !context->renderer || !context->backend)
		return false;
	if (inject_failure_at)
		kms_backend_inject_commit_failure(context->backend, inject_failure_at);
	bool started = context->backend->impl->start(context->backend);
	CHECK(started);
	CHECK(context->output_count >= 1);
	return started && context->output;
}

static void context_finish(struct test_context *context)
{
	tsr_backend_destroy(context->backend);
	tsr_renderer_destroy(context->renderer);
	tsr_event_loop_destroy(context->loop);
}

/* Dispatches until frames reaches target; false on timeout. */
static bool wait_frames(struct test_context *context, uint64_t target)
{
	uint64_t deadline = tsr_now_ns() + TEST_TIMEOUT_MS * 1000000ull;
	while (context->frames < target && tsr_now_ns() < deadline)
		tsr_event_loop_dispatch(context->loop, 50);
	return context->frames >= target;
}

/* The test picture: a background that depends on seed, and two boxes. */
static void draw(struct test_context *context, struct tsr_buffer *buffer, uint32_t seed)
{
	struct tsr_renderer *renderer = context->renderer;
	CHECK(renderer->impl->begin(renderer, buffer, NULL));
	pixman_box32_t all = {0, 0, (int32_t)buffer->width, (int32_t)buffer->height};
	renderer->impl->fill(renderer, &all, 0xff000000u | ((seed * 37u) & 0xffu) << 8 | 0x40);
	pixman_box32_t red = {100, 80, 400, 300};
	renderer->impl->fill(renderer, &red, 0xffd02020u);
	pixman_box32_t green = {(int32_t)(seed % 200) + 300, 350, (int32_t)(seed % 200) + 500, 450};
	renderer->impl->fill(renderer, &green, 0xff20c040u);
	CHECK(renderer->impl->end(renderer));
}

/* Acquires, draws and presents one frame; returns the buffer (NULL on failure). */
static struct tsr_buffer *present_frame(struct test_context *context, uint32_t seed, int *age,
					bool *presented)
{
	struct tsr_output *output = context->output;
	int unused_age;
	struct tsr_buffer *buffer = output->impl->acquire(output, age ? age : &unused_age);
	CHECK(buffer != NULL);
	if (!buffer)
		return NULL;
	CHECK_EQ_INT(buffer->width, output->width);
	CHECK_EQ_INT(buffer->format, DRM_FORMAT_XRGB8888);
	draw(context, buffer, seed);
	*presented = output->impl->present(output, buffer, NULL);
	return buffer;
}

/* Writes a copy of buffer as the expected image and compares it with a capture. */
static void check_capture_matches(struct test_context *context, struct tsr_buffer *expected,
				  const char *name)
{
	char path[512], diff_path[512], err[256] = "";
	snprintf(path, sizeof(path), "%s/%s.png", results_dir(), name);
	snprintf(diff_path, sizeof(diff_path), "%s/%s-diff.png", results_dir(), name);
	struct tsr_output *output = context->output;
	CHECK(output->impl->capture != NULL);
	struct tsr_buffer *actual = output->impl->capture(output, err, sizeof(err));
	if (!actual)
		fprintf(stderr, "capture failed: %s\n", err);
	CHECK(actual != NULL);
	if (!actual)
		return;
	if (!tsr_png_write(path, actual, err, sizeof(err))) /* kept for a look */
		fprintf(stderr, "cannot keep the capture: %s\n", err);
	struct tsr_image_diff diff;
	bool same = tsr_image_compare(actual, expected, 0, 0, diff_path, &diff);
	if (!same)
		fprintf(stderr, "%s: %llu pixels differ, first at %d,%d\n", name,
			(unsigned long long)diff.differing_pixels, diff.first_x, diff.first_y);
	CHECK(same);
	tsr_buffer_destroy(actual);
}

/* A copy of what buffer holds now (the dumb buffer is reused later). */
static struct tsr_buffer *snapshot(const struct tsr_buffer *buffer)
{
	struct tsr_buffer *copy =
	    tsr_buffer_create_memory(buffer->width, buffer->height, DRM_FORMAT_XRGB8888);
	if (!copy)
		return NULL;
	for (uint32_t y = 0; y < buffer->height; y++)
		memcpy((uint8_t *)copy->data + (size_t)y * copy->stride,
		       (const uint8_t *)buffer->data + (size_t)y * buffer->stride,
		       (size_t)buffer->width * 4);
	return copy;
}

static void test_modeset_first_frame_and_writeback(void)
{
	struct test_context context;
	if (!context_start(&context, 0))
		goto out;
	struct tsr_output *output = context.output;
	printf("# output %s %ux%u@%u mHz\n", output->name, output->width, output->height,
	       output->refresh_mhz);
	CHECK(output->width > 0 && output->height > 0);

	int age = -1;
	bool presented = false;
	struct tsr_buffer *buffer = present_frame(&context, 1, &age, &presented);
	CHECK_EQ_INT(age, 0);
	CHECK(presented);
	CHECK(wait_frames(&context, 1));
	CHECK_EQ_INT(context.frames, 1);
	CHECK(output->last_presented == buffer);
	if (buffer)
		check_capture_matches(&context, buffer, "kms-first-frame");
out:
	context_finish(&context);
}

static void test_page_flips_ages_and_timestamps(void)
{
	struct test_context context;
	if (!context_start(&context, 0))
		goto out;
	int ages[TEST_FLIP_COUNT];
	int failures = 0;
	for (uint32_t i = 0; i < TEST_FLIP_COUNT; i++) {
		bool presented = false;
		ages[i] = -1;
		if (!present_frame(&context, i, &ages[i], &presented) || !presented) {
			failures++;
			break;
		}
		/* Exactly one frame event per present, never more. */
		if (!wait_frames(&context, i + 1)) {
			failures++;
			break;
		}
		tsr_event_loop_dispatch(context.loop, 0);
		if (context.frames != i + 1) {
			failures++;
			break;
		}
	}
	CHECK_EQ_INT(failures, 0);
	CHECK_EQ_INT(context.frames, TEST_FLIP_COUNT);
	if (failures || context.frames != TEST_FLIP_COUNT)
		goto out;

	/* Double buffering: two fresh buffers, then each one holds the frame
	 * before the previous one. */
	CHECK_EQ_INT(ages[0], 0);
	CHECK_EQ_INT(ages[1], 0);
	int bad_ages = 0;
	for (size_t i = 2; i < TEST_FLIP_COUNT; i++)
		bad_ages += ages[i] != 2;
	CHECK_EQ_INT(bad_ages, 0);

	/* Paced by the display: no flip completes sooner than one refresh
	 * period after the previous one (vblank timestamps step by whole
	 * periods; half a period is the margin). How much longer they take
	 * depends on the machine's load: a figure, not a check. */
	CHECK(context.output->refresh_mhz > 0);
	if (context.output->refresh_mhz == 0)
		goto out;
	uint64_t period_ns = 1000000000000ull / context.output->refresh_mhz;
	int too_soon = 0;
	for (size_t i = 1; i < TEST_FLIP_COUNT; i++)
		too_soon += context.frame_times[i] < context.frame_times[i - 1] + period_ns / 2;
	CHECK_EQ_INT(too_soon, 0);
	double average_ms =
	    (double)(context.frame_times[TEST_FLIP_COUNT - 1] - context.frame_times[0]) /
	    (TEST_FLIP_COUNT - 1) / 1e6;
	printf("# %d flips, average interval %.2f ms (refresh period %.2f ms)\n", TEST_FLIP_COUNT,
	       average_ms, (double)period_ns / 1e6);
out:
	context_finish(&context);
}

static void test_capture_while_flip_pending(void)
{
	struct test_context context;
	if (!context_start(&context, 0))
		goto out;
	bool presented = false;
	present_frame(&context, 3, NULL, &presented);
	CHECK(presented && wait_frames(&context, 1));
	struct tsr_buffer *buffer = present_frame(&context, 4, NULL, &presented);
	CHECK(presented);
	/* The flip is in flight: capture waits for it, and its frame event
	 * still arrives exactly once, from the loop, afterwards. */
	if (buffer) {
		struct tsr_buffer *expected = snapshot(buffer);
		CHECK(expected != NULL);
		if (expected)
			check_capture_matches(&context, expected, "kms-capture-during-flip");
		tsr_buffer_destroy(expected);
	}
	CHECK_EQ_INT(context.frames, 1);
	CHECK(wait_frames(&context, 2));
	tsr_event_loop_dispatch(context.loop, 100);
	CHECK_EQ_INT(context.frames, 2);
	/* Pacing goes on after the capture. */
	present_frame(&context, 5, NULL, &presented);
	CHECK(presented && wait_frames(&context, 3));
out:
	context_finish(&context);
}

static void test_injected_commit_failure(void)
{
	/* Commits 1 (modeset) and 2 succeed, 3 fails as EINVAL. */
	struct test_context context;
	bool started = context_start(&context, 3);
	if (!started)
		goto out;
	bool presented = false;
	present_frame(&context, 1, NULL, &presented);
	CHECK(presented && wait_frames(&context, 1));
	present_frame(&context, 2, NULL, &presented);
	CHECK(presented && wait_frames(&context, 2));

	int age = -1;
	present_frame(&context, 3, &age, &presented);
	CHECK(!presented);
	tsr_event_loop_dispatch(context.loop, 100);
	CHECK_EQ_INT(context.frames, 2);

	/* The failed buffer went back to the pool with unknown content. */
	struct tsr_buffer *buffer = present_frame(&context, 4, &age, &presented);
	CHECK_EQ_INT(age, 0);
	CHECK(presented && wait_frames(&context, 3));
	CHECK_EQ_INT(context.frames, 3);
	if (buffer && presented)
		check_capture_matches(&context, buffer, "kms-after-failure");
out:
	context_finish(&context);
}

static void test_cursor_plane(void)
{
	struct test_context context;
	if (!context_start(&context, 0))
		goto out;
	struct tsr_output *output = context.output;
	struct tsr_buffer *cursor = tsr_buffer_create_memory(16, 16, DRM_FORMAT_ARGB8888);
	CHECK(cursor != NULL);
	if (!cursor)
		goto out;
	for (uint32_t i = 0; i < 16 * 16; i++)
		((uint32_t *)cursor->data)[i] = 0xffffffffu;
	bool presented = false;
	CHECK(output->impl->set_cursor && output->impl->set_cursor(output, cursor, 2, 2));
	CHECK(output->impl->move_cursor && output->impl->move_cursor(output, 52, 42));
	struct tsr_buffer *buffer = present_frame(&context, 6, NULL, &presented);
	CHECK(presented && wait_frames(&context, 1));
	if (buffer && presented) {
		/* The expected picture: the frame with a white 16x16 square at
		 * (50, 40), the cursor position less its hotspot. */
		struct tsr_buffer *expected = snapshot(buffer);
		CHECK(expected != NULL);
		if (expected) {
			for (uint32_t y = 40; y < 56; y++)
				for (uint32_t x = 50; x < 66; x++)
					((uint32_t *)((uint8_t *)expected->data +
						      (size_t)y * expected->stride))[x] =
					    0xffffffffu;
			check_capture_matches(&context, expected, "kms-cursor");
		}
		tsr_buffer_destroy(expected);
	}
	tsr_buffer_destroy(cursor);
out:
	context_finish(&context);
}

/* What the tests compare before start and after destroy. */
struct kms_state {
	uint32_t crtc_count;
	struct {
		uint32_t id, fb_id;
		int mode_valid;
		uint32_t hdisplay, vdisplay, clock;
	} crtcs[8];
	uint32_t plane_count;
	struct {
		uint32_t id, fb_id, crtc_id;
	} planes[32];
	uint32_t connector_count;
	struct {
		uint32_t id, encoder_id;
	} connectors[16];
};

static bool read_state(int fd, struct kms_state *state)
{
	memset(state, 0, sizeof(*state));
	drmModeRes *resources = drmModeGetResources(fd);
	if (!resources)
		return false;
	for (int i = 0; i < resources->count_crtcs && state->crtc_count < 8; i++) {
		drmModeCrtc *crtc = drmModeGetCrtc(fd, resources->crtcs[i]);
		if (!crtc)
			continue;
		uint32_t n = state->crtc_count++;
		state->crtcs[n].id = crtc->crtc_id;
		state->crtcs[n].fb_id = crtc->buffer_id;
		state->crtcs[n].mode_valid = crtc->mode_valid;
		state->crtcs[n].hdisplay = crtc->mode_valid ? crtc->mode.hdisplay : 0;
		state->crtcs[n].vdisplay = crtc->mode_valid ? crtc->mode.vdisplay : 0;
		state->crtcs[n].clock = crtc->mode_valid ? crtc->mode.clock : 0;
		drmModeFreeCrtc(crtc);
	}
	for (int i = 0; i < resources->count_connectors && state->connector_count < 16; i++) {
		drmModeConnector *connector =
		    drmModeGetConnectorCurrent(fd, resources->connectors[i]);
		if (!connector)
			continue;
		uint32_t n = state->connector_count++;
		state->connectors[n].id = connector->connector_id;
		state->connectors[n].encoder_id = connector->encoder_id;
		drmModeFreeConnector(connector);
	}
	drmModeFreeResources(resources);
	drmModePlaneRes *planes = drmModeGetPlaneResources(fd);
	if (!planes)
		return false;
	for (uint32_t i = 0; i < planes->count_planes && state->plane_count < 32; i++) {
		drmModePlane *plane = drmModeGetPlane(fd, planes->planes[i]);
		if (!plane)
			continue;
		uint32_t n = state->plane_count++;
		state->planes[n].id = plane->plane_id;
		state->planes[n].fb_id = plane->fb_id;
		state->planes[n].crtc_id = plane->crtc_id;
		drmModeFreePlane(plane);
	}
	drmModeFreePlaneResources(planes);
	return true;
}

static void print_state(const char *label, const struct kms_state *state)
{
	printf("# %s:", label);
	for (uint32_t i = 0; i < state->crtc_count; i++)
		printf(" crtc %u fb %u mode %s%ux%u;", state->crtcs[i].id, state->crtcs[i].fb_id,
		       state->crtcs[i].mode_valid ? "" : "(none) ", state->crtcs[i].hdisplay,
		       state->crtcs[i].vdisplay);
	for (uint32_t i = 0; i < state->plane_count; i++)
		printf(" plane %u fb %u crtc %u;", state->planes[i].id, state->planes[i].fb_id,
		       state->planes[i].crtc_id);
	for (uint32_t i = 0; i < state->connector_count; i++)
		printf(" connector %u encoder %u;", state->connectors[i].id,
		       state->connectors[i].encoder_id);
	printf("\n");
}

static void test_restore_on_destroy(void)
{
	/* An observer fd: it must not stay DRM master, or the backend could
	 * not become master itself. */
	int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	if (drmIsMaster(fd))
		drmDropMaster(fd);
	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	drmSetClientCap(fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1);
	struct kms_state before, during, after;
	CHECK(read_state(fd, &before));
	print_state("before", &before);

	struct test_context context;
	if (context_start(&context, 0)) {
		bool presented = false;
		present_frame(&context, 7, NULL, &presented);
		CHECK(presented && wait_frames(&context, 1));
		char err[256];
		/* Attach the writeback connector too: restore must detach it. */
		struct tsr_buffer *captured =
		    context.output->impl->capture(context.output, err, sizeof(err));
		CHECK(captured != NULL);
		tsr_buffer_destroy(captured);
		CHECK(read_state(fd, &during));
		print_state("during", &during);
		/* Proves the comparison below can fail: the backend changed state. */
		CHECK(memcmp(&before, &during, sizeof(before)) != 0);
	}
	context_finish(&context);

	CHECK(read_state(fd, &after));
	print_state("after", &after);
	CHECK(memcmp(&before, &after, sizeof(before)) == 0);
	close(fd);
}

static void test_second_backend_after_destroy(void)
{
	/* Master was dropped and the card closed: a new backend starts again. */
	struct test_context context;
	if (context_start(&context, 0)) {
		bool presented = false;
		present_frame(&context, 8, NULL, &presented);
		CHECK(presented && wait_frames(&context, 1));
	}
	context_finish(&context);
}

static void test_removed_before_destroy(void)
{
	/* tessera/output.h: listener.removed for every output before it is
	 * destroyed, and nothing about it afterwards. A flip is in flight when
	 * the backend goes, so destroy dispatches DRM events while it waits. */
	struct test_context context;
	if (context_start(&context, 0)) {
		bool presented = false;
		present_frame(&context, 9, NULL, &presented);
		CHECK(presented && wait_frames(&context, 1));
		present_frame(&context, 10, NULL, &presented);
		CHECK(presented);
	}
	size_t outputs = context.output_count;
	CHECK(outputs >= 1);
	tsr_backend_destroy(context.backend);
	context.backend = NULL;
	CHECK_EQ_INT(context.removed_count, outputs);
	CHECK(context.removed_output_intact);
	CHECK_EQ_INT(context.frames, context.frames_at_removal);
	context_finish(&context);
}

TSR_TEST_MAIN(TSR_CASE(test_modeset_first_frame_and_writeback),
	      TSR_CASE(test_page_flips_ages_and_timestamps),
	      TSR_CASE(test_capture_while_flip_pending), TSR_CASE(test_injected_commit_failure),
	      TSR_CASE(test_cursor_plane), TSR_CASE(test_restore_on_destroy),
	      TSR_CASE(test_second_backend_after_destroy), TSR_CASE(test_removed_before_destroy))
