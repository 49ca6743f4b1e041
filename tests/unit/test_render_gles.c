/* The GLES renderer against pixman: the same operations (fills, masks,
 * XRGB/ARGB/RGB565/YUYV blits, area-averaged and bilinear scaling) and the
 * same whole scenes, compared per channel with a small tolerance; pixels
 * outside begin()'s clip must keep their poison exactly. The scenes also
 * match the pixman reference images. On a mismatch the two renderings and
 * a diff are written to <build>/test-output/render-gles-NAME-*.png.
 *
 * Exits 77 (skipped) when EGL's surfaceless platform cannot give a GLES
 * context here, saying why. */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/layout.h"
#include "reference.h"
#include "render/renderer_select.h"
#include "scene_fixture.h"
#include "tessera/buffer.h"
#include "tessera/image.h"
#include "tessera/renderer.h"
#include "test.h"

#define POISON 0x5a123456u
/* Per channel, GLES vs pixman: rounding of blends (1:1) and of bilinear
 * weights (pixman's are 7-bit) and transforms (16.16) when scaling. */
#define TOLERANCE_EXACT 2
#define TOLERANCE_SCALED 6

static struct tsr_buffer *make_source(uint32_t width, uint32_t height, uint32_t format,
				      uint32_t seed)
{
	uint32_t bpp = tsr_buffer_format_bpp(format);
	struct tsr_buffer *buffer = tsr_buffer_create_memory(width, height, DRM_FORMAT_XRGB8888);
	if (!buffer)
		return NULL;
	/* 8888 sources as they are; 2-byte formats in the same memory, with
	 * a pitch of width * bpp (rounded to 4 by the memory buffer). */
	buffer->format = format;
	if (bpp == 2)
		buffer->stride = (width * 2 + 3) & ~3u;
	for (uint32_t y = 0; y < height; y++) {
		uint8_t *row = (uint8_t *)buffer->data + (size_t)y * buffer->stride;
		for (uint32_t x = 0; x < width; x++) {
			uint32_t r = (x * 7 + seed) & 0xff, g = (y * 5 + seed * 3) & 0xff;
			uint32_t b = ((x / 8 + y / 8) % 2) ? 0xe0 : 0x30;
			if (format == DRM_FORMAT_ARGB8888) {
				uint32_t a = (x * 255 / (width - 1)) & 0xff;
				((uint32_t *)row)[x] = a << 24 | (r * a / 255) << 16 |
						       (g * a / 255) << 8 | (b * a / 255);
			} else if (bpp == 4) {
				((uint32_t *)row)[x] = 0xab000000u | r << 16 | g << 8 | b;
			} else {
				uint16_t value = (uint16_t)(r << 8 | g << 3 | b >> 3 | x);
				memcpy(row + (size_t)x * 2, &value, 2);
			}
		}
	}
	return buffer;
}

static struct tsr_buffer *make_mask(uint32_t width, uint32_t height)
{
	struct tsr_buffer *mask = tsr_buffer_create_memory(width, height, DRM_FORMAT_R8);
	if (!mask)
		return NULL;
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++)
			((uint8_t *)mask->data)[(size_t)y * mask->stride + x] =
			    (uint8_t)((x * 37 + y * 11) & 0xff);
	return mask;
}

static void poison(struct tsr_buffer *target)
{
	for (uint32_t y = 0; y < target->height; y++)
		for (uint32_t x = 0; x < target->width; x++)
			((uint32_t *)((uint8_t *)target->data + (size_t)y * target->stride))[x] =
			    POISON;
}

static uint32_t word_at(const struct tsr_buffer *buffer, uint32_t x, uint32_t y)
{
	return ((const uint32_t *)((const uint8_t *)buffer->data + (size_t)y * buffer->stride))[x];
}

static void write_image(const struct tsr_buffer *buffer, const char *name, const char *kind)
{
	char path[4096], err[256];
	snprintf(path, sizeof(path), "%s/test-output/render-gles-%s-%s.png", TSR_BUILD_ROOT, name,
		 kind);
	if (tsr_png_write(path, buffer, err, sizeof(err)))
		fprintf(stderr, "render-gles: wrote %s\n", path);
	else
		fprintf(stderr, "render-gles: cannot write %s: %s\n", path, err);
}

/* Compares the two renderings; inside: pixels the clip let through
 * (NULL: all). Outside the clip both must still hold the poison. */
static bool compare(const struct tsr_buffer *pixman, const struct tsr_buffer *gles,
		    const pixman_region32_t *inside, int tolerance, const char *name)
{
	bool alpha = gles->format == DRM_FORMAT_ARGB8888;
	uint64_t bad = 0, poisoned = 0;
	int worst = 0;
	struct tsr_buffer *diff =
	    tsr_buffer_create_memory(gles->width, gles->height, DRM_FORMAT_XRGB8888);
	for (uint32_t y = 0; y < gles->height; y++) {
		for (uint32_t x = 0; x < gles->width; x++) {
			uint32_t a = word_at(pixman, x, y), b = word_at(gles, x, y);
			bool in = !inside || pixman_region32_contains_point(
						 (pixman_region32_t *)inside, (int)x, (int)y, NULL);
			uint32_t shown = 0;
			if (!in) {
				if (b != POISON || a != POISON) {
					poisoned++;
					shown = 0xff00ffu;
				}
			} else {
				int channels = alpha ? 4 : 3, pixel_worst = 0;
				for (int c = 0; c < channels; c++) {
					int d = abs((int)((a >> (8 * c)) & 0xff) -
						    (int)((b >> (8 * c)) & 0xff));
					pixel_worst = d > pixel_worst ? d : pixel_worst;
				}
				worst = pixel_worst > worst ? pixel_worst : worst;
				if (pixel_worst > tolerance) {
					bad++;
					shown = 0xffffffu;
				} else if (pixel_worst) {
					shown = 0x404040u;
				}
			}
			if (diff)
				((uint32_t *)((uint8_t *)diff->data +
					      (size_t)y * diff->stride))[x] = shown;
		}
	}
	printf("render-gles %s: worst channel difference %d (tolerance %d), %llu pixels "
	       "beyond, %llu outside the clip written\n",
	       name, worst, tolerance, (unsigned long long)bad, (unsigned long long)poisoned);
	bool ok = bad == 0 && poisoned == 0;
	if (!ok) {
		write_image(pixman, name, "pixman");
		write_image(gles, name, "gles");
		if (diff)
			write_image(diff, name, "diff");
	}
	tsr_buffer_destroy(diff);
	return ok;
}

static struct tsr_renderer *gles_or_skip(void)
{
	char why[256] = "";
	struct tsr_renderer *gles = tsr_renderer_gles_create(true, why, sizeof(why));
	if (!gles) {
		printf(
		    "render-gles: skipped: GLES on EGL's surfaceless platform cannot start: %s\n",
		    why);
		exit(77);
	}
	return gles;
}

/* One drawing, done by both renderers onto poisoned targets. */
typedef void (*draw_fn)(struct tsr_renderer *renderer, void *data);

static void run_both(uint32_t width, uint32_t height, uint32_t format,
		     const pixman_region32_t *clip, draw_fn draw, void *data, int tolerance,
		     const char *name)
{
	struct tsr_renderer *renderers[2] = {tsr_renderer_pixman_create(), gles_or_skip()};
	struct tsr_buffer *targets[2] = {NULL, NULL};
	for (int i = 0; i < 2; i++) {
		targets[i] = tsr_buffer_create_memory(width, height, format);
		CHECK(targets[i] != NULL && renderers[i] != NULL);
		if (!targets[i] || !renderers[i])
			goto out;
		poison(targets[i]);
		CHECK(renderers[i]->impl->begin(renderers[i], targets[i], clip));
		draw(renderers[i], data);
		CHECK(renderers[i]->impl->end(renderers[i]));
	}
	CHECK(compare(targets[0], targets[1], clip, tolerance, name));
	/* A second pass on the same target (its cached framebuffer) over
	 * what the first drew must give the same result again. */
	poison(targets[1]);
	CHECK(renderers[1]->impl->begin(renderers[1], targets[1], clip));
	draw(renderers[1], data);
	CHECK(renderers[1]->impl->end(renderers[1]));
	CHECK(compare(targets[0], targets[1], clip, tolerance, name));
out:
	for (int i = 0; i < 2; i++) {
		tsr_renderer_destroy(renderers[i]);
		tsr_buffer_destroy(targets[i]);
	}
}

static void make_clip(pixman_region32_t *clip)
{
	pixman_box32_t boxes[] = {{10, 10, 150, 90}, {100, 60, 230, 170}, {0, 175, 240, 180}};
	pixman_region32_init_rects(clip, boxes, 3);
}

struct sources {
	struct tsr_buffer *xrgb, *argb, *rgb565, *yuyv, *mask;
};

static void draw_fills_and_masks(struct tsr_renderer *renderer, void *data)
{
	struct sources *sources = data;
	const struct tsr_renderer_impl *r = renderer->impl;
	r->fill(renderer, &(pixman_box32_t){0, 0, 240, 180}, 0xff202020u);
	r->fill(renderer, &(pixman_box32_t){20, 15, 200, 120}, 0xff3465a4u);
	r->fill(renderer, &(pixman_box32_t){50, 40, 220, 175}, 0x80401008u); /* premultiplied */
	r->mask(renderer, sources->mask, 30, 30, 0xffffffffu);
	r->mask(renderer, sources->mask, 120, 100, 0xc0602000u);
	r->mask(renderer, sources->mask, -20, 160, 0xff00ff00u); /* cut by the edges */
}

static void draw_blits(struct tsr_renderer *renderer, void *data)
{
	struct sources *sources = data;
	const struct tsr_renderer_impl *r = renderer->impl;
	r->fill(renderer, &(pixman_box32_t){0, 0, 240, 180}, 0xff808080u);
	pixman_region32_t region;
	pixman_box32_t boxes[] = {{0, 0, 120, 100}, {60, 120, 240, 180}};
	pixman_region32_init_rects(&region, boxes, 2);
	r->blit(renderer, sources->xrgb, 5, 7, &region);
	pixman_region32_fini(&region);
	r->blit(renderer, sources->argb, 90, 50, NULL);
	r->blit(renderer, sources->rgb565, 130, 5, NULL);
	r->blit(renderer, sources->yuyv, 3, 110, NULL);
	r->blit(renderer, sources->xrgb, -40, 150, NULL);
}

static void draw_scaled(struct tsr_renderer *renderer, void *data)
{
	struct sources *sources = data;
	const struct tsr_renderer_impl *r = renderer->impl;
	r->fill(renderer, &(pixman_box32_t){0, 0, 240, 180}, 0xff101010u);
	/* Down 3.3:1 (block averages, then bilinear), down 1.5:1 (bilinear),
	 * up 1.7:1, ARGB down 2.6:1 blending, RGB565 and YUYV down. */
	r->blit_scaled(renderer, sources->xrgb, &(pixman_box32_t){0, 0, 97, 61}, NULL);
	r->blit_scaled(renderer, sources->xrgb, &(pixman_box32_t){100, 0, 240, 90}, NULL);
	r->blit_scaled(renderer, sources->rgb565, &(pixman_box32_t){0, 70, 170, 140}, NULL);
	r->blit_scaled(renderer, sources->argb, &(pixman_box32_t){60, 40, 200, 120}, NULL);
	r->blit_scaled(renderer, sources->yuyv, &(pixman_box32_t){150, 100, 240, 180}, NULL);
}

static void with_sources(void (*body)(struct sources *))
{
	struct sources sources = {
	    .xrgb = make_source(320, 200, DRM_FORMAT_XRGB8888, 1),
	    .argb = make_source(90, 70, DRM_FORMAT_ARGB8888, 2),
	    .rgb565 = make_source(101, 60, DRM_FORMAT_RGB565, 3),
	    .yuyv = make_source(81, 64, DRM_FORMAT_YUYV, 4),
	    .mask = make_mask(60, 40),
	};
	CHECK(sources.xrgb && sources.argb && sources.rgb565 && sources.yuyv && sources.mask);
	if (sources.xrgb && sources.argb && sources.rgb565 && sources.yuyv && sources.mask)
		body(&sources);
	tsr_buffer_destroy(sources.xrgb);
	tsr_buffer_destroy(sources.argb);
	tsr_buffer_destroy(sources.rgb565);
	tsr_buffer_destroy(sources.yuyv);
	tsr_buffer_destroy(sources.mask);
}

static void fills_and_masks(struct sources *sources)
{
	pixman_region32_t clip;
	make_clip(&clip);
	run_both(240, 180, DRM_FORMAT_XRGB8888, &clip, draw_fills_and_masks, sources,
		 TOLERANCE_EXACT, "fills-masks-xrgb");
	run_both(240, 180, DRM_FORMAT_ARGB8888, &clip, draw_fills_and_masks, sources,
		 TOLERANCE_EXACT, "fills-masks-argb");
	pixman_region32_fini(&clip);
}

static void blits(struct sources *sources)
{
	pixman_region32_t clip;
	make_clip(&clip);
	run_both(240, 180, DRM_FORMAT_XRGB8888, &clip, draw_blits, sources, TOLERANCE_EXACT,
		 "blits-xrgb");
	run_both(240, 180, DRM_FORMAT_ARGB8888, &clip, draw_blits, sources, TOLERANCE_EXACT,
		 "blits-argb");
	run_both(240, 180, DRM_FORMAT_XRGB8888, NULL, draw_blits, sources, TOLERANCE_EXACT,
		 "blits-unclipped");
	pixman_region32_fini(&clip);
}

static void scaled(struct sources *sources)
{
	pixman_region32_t clip;
	make_clip(&clip);
	run_both(240, 180, DRM_FORMAT_XRGB8888, &clip, draw_scaled, sources, TOLERANCE_SCALED,
		 "scaled-xrgb");
	run_both(240, 180, DRM_FORMAT_XRGB8888, NULL, draw_scaled, sources, TOLERANCE_SCALED,
		 "scaled-unclipped");
	pixman_region32_fini(&clip);
}

static void test_fills_and_masks(void)
{
	with_sources(fills_and_masks);
}

static void test_blits(void)
{
	with_sources(blits);
}

static void test_scaled(void)
{
	with_sources(scaled);
}

static uint32_t gradient(uint32_t x, uint32_t y)
{
	return ((x * 255 / 640) << 16) | ((y * 255 / 400) << 8) | 0x80;
}

static uint32_t checker(uint32_t x, uint32_t y)
{
	return ((x / 16 + y / 16) % 2) ? 0xe0e0e0u : 0x909090u;
}

static void use_gles(struct scene_fixture *fixture)
{
	tsr_server_set_renderer(fixture->server, gles_or_skip());
}

/* test_scene.c's reference scenes, drawn by GLES, against the same
 * references (and their tolerance). */
static void test_reference_scenes(void)
{
	static const enum tsr_layout_mode modes[2] = {TSR_LAYOUT_FOCUS, TSR_LAYOUT_MOSAIC};
	static const char *const names[2] = {"scene-focus-work", "scene-mosaic"};
	for (int m = 0; m < 2; m++) {
		struct scene_fixture fixture;
		CHECK(scene_fixture_init(&fixture, 640, 400));
		use_gles(&fixture);
		tsr_server_focus(fixture.server, m == 0 ? 0 : 1);
		tsr_server_set_layout(fixture.server, modes[m]);
		for (int i = 0; i < (m == 0 ? 1 : 2); i++) {
			const struct tsr_domain_placement *placement =
			    &tsr_server_output(fixture.server, 0)->layout.domains[i];
			scene_fixture_set_surface(&fixture, i, tsr_box_width(&placement->content),
						  tsr_box_height(&placement->content),
						  i == 0 ? gradient : checker);
		}
		CHECK(scene_fixture_settle(&fixture));
		CHECK(tsr_check_reference(scene_fixture_front(&fixture), names[m]));
		scene_fixture_fini(&fixture);
	}
}

/* The populated scene at 1024x768 (the KMS references), and the same with
 * surfaces of other sizes than their content (clipped, or short of it),
 * then a small damage: pixman's and GLES's frames compared. Scaled
 * displays: the fixed-size tests, run with TSR_TEST_RENDERER=gles. */
static struct tsr_buffer *render_scene(bool gles, enum tsr_layout_mode mode, bool resized)
{
	struct scene_fixture fixture;
	struct tsr_buffer *copy = NULL;
	if (!scene_fixture_init(&fixture, 1024, 768))
		return NULL;
	if (gles)
		use_gles(&fixture);
	tsr_server_focus(fixture.server, 1);
	tsr_server_set_layout(fixture.server, mode);
	scene_fixture_populate(&fixture);
	if (resized) {
		scene_fixture_set_surface(&fixture, 0, 1500, 900, gradient);
		scene_fixture_set_surface(&fixture, 1, 333, 222, checker);
	}
	if (scene_fixture_settle(&fixture)) {
		scene_fixture_damage(&fixture, 1, 10, 10, 40, 30);
		if (scene_fixture_settle(&fixture))
			copy = tsr_buffer_copy_memory(scene_fixture_front(&fixture));
	}
	scene_fixture_fini(&fixture);
	return copy;
}

static void test_scenes_match_pixman(void)
{
	static const enum tsr_layout_mode modes[2] = {TSR_LAYOUT_FOCUS, TSR_LAYOUT_MOSAIC};
	static const char *const names[4] = {"scene-focus", "scene-focus-resized", "scene-mosaic",
					     "scene-mosaic-resized"};
	for (int i = 0; i < 4; i++) {
		struct tsr_buffer *pixman = render_scene(false, modes[i / 2], i % 2);
		struct tsr_buffer *gles = render_scene(true, modes[i / 2], i % 2);
		CHECK(pixman && gles);
		if (pixman && gles)
			CHECK(compare(pixman, gles, NULL, TOLERANCE_EXACT, names[i]));
		tsr_buffer_destroy(pixman);
		tsr_buffer_destroy(gles);
	}
}

/* [output] renderer: pixman is pixman, gles is gles where it starts (here:
 * gles_or_skip has shown it does), auto on KMS without a GBM device is
 * pixman whatever the driver (the GBM cases run in the VM, kms-gles.sh). */
static void test_select(void)
{
	tsr_renderer_destroy(gles_or_skip());
	struct {
		enum tsr_renderer_choice choice;
		enum tsr_backend_kind backend;
		const char *name;
	} cases[] = {
	    {TSR_RENDERER_PIXMAN, TSR_BACKEND_HEADLESS, "pixman"},
	    {TSR_RENDERER_GLES, TSR_BACKEND_HEADLESS, "gles"},
	    {TSR_RENDERER_GLES, TSR_BACKEND_KMS, "gles"},
	    {TSR_RENDERER_AUTO, TSR_BACKEND_KMS, "pixman"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tsr_output_config output = {.renderer = cases[i].choice,
						   .backend = cases[i].backend};
		struct tsr_renderer *renderer = tsr_renderer_select(&output);
		CHECK(renderer != NULL);
		if (!renderer)
			continue;
		if (strcmp(renderer->name, cases[i].name) != 0) {
			fprintf(stderr, "case %zu: %s, expected %s\n", i, renderer->name,
				cases[i].name);
			CHECK(!"the wrong renderer");
		}
		tsr_renderer_destroy(renderer);
	}
	/* A KMS card without a render device (GBM): auto is pixman, gles is
	 * GLES on the surfaceless platform (upload and read-back). */
	struct {
		enum tsr_renderer_choice choice;
		const char *name;
	} on_device[] = {{TSR_RENDERER_AUTO, "pixman"}, {TSR_RENDERER_GLES, "gles"}};
	for (size_t i = 0; i < sizeof(on_device) / sizeof(on_device[0]); i++) {
		struct tsr_output_config output = {.renderer = on_device[i].choice,
						   .backend = TSR_BACKEND_KMS};
		bool direct = true;
		struct tsr_renderer *renderer =
		    tsr_renderer_select_on_device(&output, NULL, &direct);
		CHECK(renderer != NULL);
		CHECK(!direct);
		if (renderer)
			CHECK(strcmp(renderer->name, on_device[i].name) == 0);
		tsr_renderer_destroy(renderer);
	}
}

TSR_TEST_MAIN(TSR_CASE(test_select), TSR_CASE(test_fills_and_masks), TSR_CASE(test_blits),
	      TSR_CASE(test_scaled), TSR_CASE(test_reference_scenes),
	      TSR_CASE(test_scenes_match_pixman))
