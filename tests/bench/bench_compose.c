/* Composition cost on the pixman path and, where EGL's surfaceless
 * platform gives a context, on the GLES renderer (render_gles.c, through
 * TSR_TEST_RENDERER=gles in scene_fixture.c), as ratios against a memcpy of
 * the same output frame measured in the same run (absolute times are
 * printed for context only: machines are noisy). Not a test: it asserts
 * nothing. */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/scene.h"
#include "scene_fixture.h"
#include "tessera/event_loop.h"
#include "tessera/renderer.h"

#define RUNS 25

static const char four_domains[] = "[domain work]\ncolour = blue\n"
				   "[domain personal]\ncolour = green\n"
				   "[domain untrusted]\ncolour = red\n"
				   "[domain media]\ncolour = purple\n";

static uint32_t pattern(uint32_t x, uint32_t y)
{
	return (x * 7u) ^ (y * 13u);
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *samples)
{
	qsort(samples, RUNS, sizeof(samples[0]), compare_u64);
	return samples[RUNS / 2];
}

static uint64_t compose_once(struct scene_fixture *fixture, struct tsr_buffer *target,
			     const pixman_region32_t *region)
{
	struct tsr_renderer *renderer = tsr_server_renderer(fixture->server);
	uint64_t start = tsr_now_ns();
	renderer->impl->begin(renderer, target, region);
	tsr_scene_draw(fixture->server, tsr_server_output(fixture->server, 0), region, -1);
	renderer->impl->end(renderer);
	return tsr_now_ns() - start;
}

static uint64_t memcpy_once(struct tsr_buffer *to, const struct tsr_buffer *from, size_t bytes,
			    int run)
{
	uint64_t start = tsr_now_ns();
	memcpy(to->data, from->data, bytes);
	uint64_t ns = tsr_now_ns() - start;
	((volatile uint8_t *)to->data)[run] = 0;
	return ns;
}

static uint64_t time_compose(struct scene_fixture *fixture, struct tsr_buffer *target,
			     const pixman_region32_t *region)
{
	uint64_t samples[RUNS];
	for (int i = 0; i < RUNS; i++)
		samples[i] = compose_once(fixture, target, region);
	return median(samples);
}

static void bench_size(uint32_t width, uint32_t height)
{
	const char *renderer_name = getenv("TSR_TEST_RENDERER") ? "gles" : "pixman";
	struct scene_fixture fixture;
	if (!scene_fixture_init_with(&fixture, width, height, four_domains)) {
		fprintf(stderr, "bench: cannot set up a %ux%u scene\n", width, height);
		exit(1);
	}
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_MOSAIC);
	for (int i = 0; i < 4; i++) {
		const pixman_box32_t *content =
		    &tsr_server_output(fixture.server, 0)->layout.domains[i].content;
		scene_fixture_set_surface(&fixture, i, tsr_box_width(content),
					  tsr_box_height(content), pattern);
	}
	scene_fixture_settle(&fixture);

	struct tsr_buffer *target = tsr_buffer_create_memory(width, height, DRM_FORMAT_XRGB8888);
	struct tsr_buffer *copy = tsr_buffer_create_memory(width, height, DRM_FORMAT_XRGB8888);
	size_t frame_bytes = (size_t)target->stride * height;
	/* Real memory on both sides: a never-written source would be read from
	 * the kernel's shared zero page (always cached) and flatter the
	 * baseline, a never-written destination would add page faults. */
	memset(target->data, 0x5a, frame_bytes);
	memset(copy->data, 0xa5, frame_bytes);
	pixman_region32_t full;
	pixman_region32_init_rect(&full, 0, 0, width, height);
	/* Memcpy and full composition alternate, and the ratio is taken per
	 * pair: on a shared machine both then see the same load, and the
	 * median ratio is steadier than a ratio of two medians. */
	compose_once(&fixture, target, &full); /* faults the target's pages in */
	uint64_t memcpy_samples[RUNS], full_samples[RUNS], ratio_permille[RUNS];
	for (int i = 0; i < RUNS; i++) {
		memcpy_samples[i] = memcpy_once(copy, target, frame_bytes, i);
		full_samples[i] = compose_once(&fixture, target, &full);
		ratio_permille[i] =
		    full_samples[i] * 1000 / (memcpy_samples[i] ? memcpy_samples[i] : 1);
	}
	uint64_t memcpy_ns = median(memcpy_samples);
	uint64_t full_ns = median(full_samples);
	double ratio = (double)median(ratio_permille) / 1000.0;

	pixman_region32_t small;
	const pixman_box32_t *content =
	    &tsr_server_output(fixture.server, 0)->layout.domains[0].content;
	pixman_region32_init_rect(&small, content->x1 + 10, content->y1 + 10, 64, 64);
	uint64_t small_ns = time_compose(&fixture, target, &small);

	printf("%ux%u, 4 guests (mosaic), %s renderer, median of %d:\n", width, height,
	       renderer_name, RUNS);
	printf("  memcpy of the frame      %8.3f ms  (baseline, %.1f GB/s)\n", memcpy_ns / 1e6,
	       (double)frame_bytes / (double)memcpy_ns);
	printf("  full-damage composition  %8.3f ms  ratio to memcpy %.2f (median of per-run "
	       "ratios)\n",
	       full_ns / 1e6, ratio);
	printf("  64x64 damage             %8.3f ms  fraction of a full frame %.4f\n",
	       small_ns / 1e6, (double)small_ns / (double)full_ns);
	pixman_region32_fini(&full);
	pixman_region32_fini(&small);
	tsr_buffer_destroy(target);
	tsr_buffer_destroy(copy);
	scene_fixture_fini(&fixture);
}

int main(void)
{
	setenv("TESSERA_LOG", "warn", 1);
	bench_size(1920, 1080);
	bench_size(3840, 2160);
#ifdef TSR_HAVE_GLES
	char why[256] = "";
	struct tsr_renderer *gles = tsr_renderer_gles_create(true, why, sizeof(why));
	if (!gles) {
		printf("gles renderer: not measured (%s)\n", why);
		return 0;
	}
	tsr_renderer_destroy(gles);
	/* The same scenes drawn by GLES: on llvmpipe (Mesa's software
	 * rasteriser, all there is without a GPU) every pass is an upload of
	 * the clip, the draws and a read-back. */
	setenv("TSR_TEST_RENDERER", "gles", 1);
	bench_size(1920, 1080);
	bench_size(3840, 2160);
#endif
	return 0;
}
