/* Pixel-level tests of the pixman renderer, memory buffers, label text,
 * PNG files and the image comparison behind reference tests. */
#include <drm_fourcc.h>
#include <errno.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reference.h"
#include "tessera/buffer.h"
#include "tessera/font.h"
#include "tessera/image.h"
#include "tessera/renderer.h"
#include "test.h"

#define SENTINEL 0xff123456u
#define OUTPUT_DIR TSR_BUILD_ROOT "/test-output"
#define TEST_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

static uint32_t get_pixel(const struct tsr_buffer *buffer, uint32_t x, uint32_t y)
{
	uint32_t pixel;
	memcpy(&pixel, (uint8_t *)buffer->data + (size_t)y * buffer->stride + (size_t)x * 4, 4);
	return pixel;
}

static void put_pixel(struct tsr_buffer *buffer, uint32_t x, uint32_t y, uint32_t pixel)
{
	memcpy((uint8_t *)buffer->data + (size_t)y * buffer->stride + (size_t)x * 4, &pixel, 4);
}

static uint8_t get_mask(const struct tsr_buffer *mask, uint32_t x, uint32_t y)
{
	return ((const uint8_t *)mask->data)[(size_t)y * mask->stride + x];
}

static void fill_buffer(struct tsr_buffer *buffer, uint32_t pixel)
{
	for (uint32_t y = 0; y < buffer->height; y++)
		for (uint32_t x = 0; x < buffer->width; x++)
			put_pixel(buffer, x, y, pixel);
}

/* A pattern where every pixel differs from its neighbours. */
static uint32_t pattern_pixel(uint32_t x, uint32_t y)
{
	return 0xff000000u | ((x * 37 + y * 11) & 0xff) << 16 | ((x * 5 + y * 71) & 0xff) << 8 |
	       ((x ^ y) * 13 & 0xff);
}

static struct tsr_buffer *pattern_buffer(uint32_t width, uint32_t height, uint32_t format)
{
	struct tsr_buffer *buffer = tsr_buffer_create_memory(width, height, format);
	if (buffer)
		for (uint32_t y = 0; y < height; y++)
			for (uint32_t x = 0; x < width; x++)
				put_pixel(buffer, x, y, pattern_pixel(x, y));
	return buffer;
}

static bool channel_near(uint32_t actual, uint32_t expected, int tolerance)
{
	for (int shift = 0; shift <= 16; shift += 8) {
		int delta = (int)((actual >> shift) & 0xff) - (int)((expected >> shift) & 0xff);
		if (delta < -tolerance || delta > tolerance)
			return false;
	}
	return true;
}

static bool in_box(int32_t x, int32_t y, int32_t x1, int32_t y1, int32_t x2, int32_t y2)
{
	return x >= x1 && x < x2 && y >= y1 && y < y2;
}

static void ensure_output_dir(void)
{
	mkdir(OUTPUT_DIR, 0755);
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && st.st_size > 0;
}

static void test_memory_buffers(void)
{
	struct tsr_buffer *xrgb = tsr_buffer_create_memory(7, 3, DRM_FORMAT_XRGB8888);
	CHECK(xrgb != NULL);
	if (xrgb) {
		CHECK_EQ_INT(xrgb->stride, 28);
		CHECK_EQ_INT(xrgb->width, 7);
		CHECK_EQ_INT(xrgb->height, 3);
		CHECK(!xrgb->read_only);
		bool zero = true;
		for (size_t i = 0; i < (size_t)xrgb->stride * xrgb->height; i++)
			zero = zero && ((uint8_t *)xrgb->data)[i] == 0;
		CHECK(zero);
	}
	struct tsr_buffer *r8 = tsr_buffer_create_memory(5, 2, DRM_FORMAT_R8);
	CHECK(r8 != NULL);
	if (r8)
		CHECK_EQ_INT(r8->stride, 8);
	struct tsr_buffer *argb = tsr_buffer_create_memory(1, 1, DRM_FORMAT_ARGB8888);
	CHECK(argb != NULL && argb->stride == 4);

	CHECK(tsr_buffer_create_memory(0, 4, DRM_FORMAT_XRGB8888) == NULL);
	CHECK(tsr_buffer_create_memory(4, 0, DRM_FORMAT_XRGB8888) == NULL);
	CHECK(tsr_buffer_create_memory(4, 4, DRM_FORMAT_RGB565) == NULL);
	CHECK(tsr_buffer_create_memory(UINT32_MAX, 4, DRM_FORMAT_XRGB8888) == NULL);
	CHECK(tsr_buffer_create_memory(0x40000000u, 0x40000000u, DRM_FORMAT_XRGB8888) == NULL);

	tsr_buffer_destroy(xrgb);
	tsr_buffer_destroy(r8);
	tsr_buffer_destroy(argb);
	tsr_buffer_destroy(NULL);
}

static void test_fill_opaque_and_clip(void)
{
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target = tsr_buffer_create_memory(40, 30, DRM_FORMAT_XRGB8888);
	CHECK(renderer && target);
	if (!renderer || !target)
		goto out;
	CHECK(strcmp(renderer->name, "pixman") == 0);
	fill_buffer(target, SENTINEL);

	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 10, 5, 20, 10); /* 10..30 x 5..15 */
	pixman_region32_union_rect(&clip, &clip, 0, 25, 5, 5);
	CHECK(renderer->impl->begin(renderer, target, &clip));
	/* The box covers much more than the clip, even beyond the target. */
	pixman_box32_t box = {-100, -100, 1000, 1000};
	renderer->impl->fill(renderer, &box, 0xff00ff00u);
	pixman_box32_t small = {12, 6, 14, 8};
	renderer->impl->fill(renderer, &small, 0xff0000ffu);
	CHECK(renderer->impl->end(renderer));

	int wrong = 0;
	for (int32_t y = 0; y < 30; y++) {
		for (int32_t x = 0; x < 40; x++) {
			uint32_t expected = SENTINEL;
			if (in_box(x, y, 12, 6, 14, 8))
				expected = 0xff0000ffu;
			else if (in_box(x, y, 10, 5, 30, 15) || in_box(x, y, 0, 25, 5, 30))
				expected = 0xff00ff00u;
			if ((get_pixel(target, x, y) & 0xffffff) != (expected & 0xffffff))
				wrong++;
		}
	}
	CHECK_EQ_INT(wrong, 0);
	pixman_region32_fini(&clip);
out:
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
}

static void test_fill_translucent(void)
{
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target = tsr_buffer_create_memory(4, 4, DRM_FORMAT_XRGB8888);
	if (!renderer || !target) {
		CHECK(false);
		goto out;
	}
	fill_buffer(target, 0xffffffffu);
	CHECK(renderer->impl->begin(renderer, target, NULL));
	pixman_box32_t box = {0, 0, 2, 4};
	/* Premultiplied half-transparent red over white: red stays full, green
	 * and blue are halved. */
	renderer->impl->fill(renderer, &box, 0x80800000u);
	CHECK(renderer->impl->end(renderer));
	CHECK(channel_near(get_pixel(target, 0, 0), 0xffff7f7fu, 1));
	CHECK(channel_near(get_pixel(target, 1, 3), 0xffff7f7fu, 1));
	CHECK_EQ_INT(get_pixel(target, 2, 0), 0xffffffffu);
out:
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
}

static void test_blit_xrgb_exact_copy(void)
{
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target = tsr_buffer_create_memory(32, 24, DRM_FORMAT_XRGB8888);
	struct tsr_buffer *src = pattern_buffer(20, 10, DRM_FORMAT_XRGB8888);
	if (!renderer || !target || !src) {
		CHECK(false);
		goto out;
	}
	/* The X byte of an XRGB source is garbage that must not matter. */
	for (uint32_t y = 0; y < src->height; y++)
		for (uint32_t x = 0; x < src->width; x++)
			put_pixel(src, x, y, (get_pixel(src, x, y) & 0xffffff) | 0x17000000u);
	fill_buffer(target, SENTINEL);
	CHECK(renderer->impl->begin(renderer, target, NULL));
	renderer->impl->blit(renderer, src, -5, 18, NULL); /* cut left and bottom */
	renderer->impl->blit(renderer, src, 15, 2, NULL);  /* cut right */
	CHECK(renderer->impl->end(renderer));

	int wrong = 0;
	for (int32_t y = 0; y < 24; y++) {
		for (int32_t x = 0; x < 32; x++) {
			uint32_t expected = SENTINEL;
			if (in_box(x, y, 15, 2, 35, 12))
				expected = pattern_pixel(x - 15, y - 2);
			else if (in_box(x, y, -5, 18, 15, 28))
				expected = pattern_pixel(x + 5, y - 18);
			if ((get_pixel(target, x, y) & 0xffffff) != (expected & 0xffffff))
				wrong++;
		}
	}
	CHECK_EQ_INT(wrong, 0);
out:
	tsr_buffer_destroy(src);
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
}

/* A blit whose source extends far beyond both the pass clip and the region
 * writes only inside clip ∩ region ∩ source. */
static void test_blit_clipped(void)
{
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target = tsr_buffer_create_memory(64, 48, DRM_FORMAT_XRGB8888);
	struct tsr_buffer *src = pattern_buffer(60, 40, DRM_FORMAT_XRGB8888);
	if (!renderer || !target || !src) {
		CHECK(false);
		goto out;
	}
	fill_buffer(target, SENTINEL);
	pixman_region32_t clip, region;
	pixman_region32_init_rect(&clip, 10, 10, 30, 20);	     /* 10..40 x 10..30 */
	pixman_region32_init_rect(&region, 0, 20, 64, 48);	     /* y >= 20 */
	pixman_region32_union_rect(&region, &region, 35, 0, 29, 20); /* or x >= 35 */
	CHECK(renderer->impl->begin(renderer, target, &clip));
	renderer->impl->blit(renderer, src, 2, 3, &region);
	/* The pass clip comes back after a blit with a region. */
	pixman_box32_t everything = {0, 0, 64, 48};
	renderer->impl->fill(renderer, &everything, 0xff0000ffu);
	CHECK(renderer->impl->end(renderer));

	int outside_touched = 0, inside_wrong = 0;
	for (int32_t y = 0; y < 48; y++) {
		for (int32_t x = 0; x < 64; x++) {
			uint32_t pixel = get_pixel(target, x, y) & 0xffffff;
			if (!in_box(x, y, 10, 10, 40, 30)) {
				outside_touched += pixel != (SENTINEL & 0xffffff);
				continue;
			}
			/* The fill after the blit covers the whole pass clip again:
			 * the region only narrowed that one blit. */
			inside_wrong += pixel != 0x0000ff;
		}
	}
	CHECK_EQ_INT(outside_touched, 0);
	CHECK_EQ_INT(inside_wrong, 0);

	/* Same blit without the fill: inside the clip, only the region gets
	 * source pixels. */
	fill_buffer(target, SENTINEL);
	CHECK(renderer->impl->begin(renderer, target, &clip));
	renderer->impl->blit(renderer, src, 2, 3, &region);
	CHECK(renderer->impl->end(renderer));
	int wrong = 0;
	for (int32_t y = 0; y < 48; y++) {
		for (int32_t x = 0; x < 64; x++) {
			bool drawn = in_box(x, y, 10, 10, 40, 30) && (y >= 20 || x >= 35) &&
				     in_box(x, y, 2, 3, 62, 43);
			uint32_t expected = drawn ? pattern_pixel(x - 2, y - 3) : SENTINEL;
			wrong += (get_pixel(target, x, y) & 0xffffff) != (expected & 0xffffff);
		}
	}
	CHECK_EQ_INT(wrong, 0);

	/* Without a region, the pass clip alone bounds the blit. */
	fill_buffer(target, SENTINEL);
	CHECK(renderer->impl->begin(renderer, target, &clip));
	renderer->impl->blit(renderer, src, 2, 3, NULL);
	CHECK(renderer->impl->end(renderer));
	wrong = 0;
	for (int32_t y = 0; y < 48; y++) {
		for (int32_t x = 0; x < 64; x++) {
			bool drawn = in_box(x, y, 10, 10, 40, 30);
			uint32_t expected = drawn ? pattern_pixel(x - 2, y - 3) : SENTINEL;
			wrong += (get_pixel(target, x, y) & 0xffffff) != (expected & 0xffffff);
		}
	}
	CHECK_EQ_INT(wrong, 0);
	pixman_region32_fini(&clip);
	pixman_region32_fini(&region);
out:
	tsr_buffer_destroy(src);
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
}

static void test_blit_hostile_positions(void)
{
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target = tsr_buffer_create_memory(16, 16, DRM_FORMAT_XRGB8888);
	struct tsr_buffer *src = pattern_buffer(8, 8, DRM_FORMAT_XRGB8888);
	if (!renderer || !target || !src) {
		CHECK(false);
		goto out;
	}
	fill_buffer(target, SENTINEL);
	CHECK(renderer->impl->begin(renderer, target, NULL));
	renderer->impl->blit(renderer, src, INT32_MAX - 2, INT32_MAX - 2, NULL);
	renderer->impl->blit(renderer, src, INT32_MIN, INT32_MIN, NULL);
	renderer->impl->blit(renderer, src, INT32_MIN + 1, 4, NULL);
	pixman_box32_t huge = {INT32_MIN, INT32_MIN, INT32_MIN + 5, INT32_MAX};
	renderer->impl->fill(renderer, &huge, 0xff00ff00u);
	pixman_box32_t inverted = {10, 10, 2, 2};
	renderer->impl->fill(renderer, &inverted, 0xff00ff00u);
	CHECK(renderer->impl->end(renderer));
	int touched = 0;
	for (uint32_t y = 0; y < 16; y++)
		for (uint32_t x = 0; x < 16; x++)
			touched += get_pixel(target, x, y) != SENTINEL;
	CHECK_EQ_INT(touched, 0);
out:
	tsr_buffer_destroy(src);
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
}

static void test_argb_blend(void)
{
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target = tsr_buffer_create_memory(4, 1, DRM_FORMAT_XRGB8888);
	struct tsr_buffer *src = tsr_buffer_create_memory(4, 1, DRM_FORMAT_ARGB8888);
	if (!renderer || !target || !src) {
		CHECK(false);
		goto out;
	}
	fill_buffer(target, 0xff204060u);
	put_pixel(src, 0, 0, 0x00000000u); /* transparent: background stays */
	put_pixel(src, 1, 0, 0xff102030u); /* opaque: replaces */
	put_pixel(src, 2, 0, 0x80800000u); /* half red (premultiplied) */
	put_pixel(src, 3, 0, 0x40004000u); /* quarter green */
	CHECK(renderer->impl->begin(renderer, target, NULL));
	renderer->impl->blit(renderer, src, 0, 0, NULL);
	CHECK(renderer->impl->end(renderer));
	CHECK(channel_near(get_pixel(target, 0, 0), 0x204060u, 0));
	CHECK(channel_near(get_pixel(target, 1, 0), 0x102030u, 0));
	/* dst * (1 - a) + src: 0x20*0.498+0x80, 0x40*0.498, 0x60*0.498 */
	CHECK(channel_near(get_pixel(target, 2, 0), 0x8f2030u, 1));
	/* 0x20*0.749, 0x40*0.749+0x40, 0x60*0.749 */
	CHECK(channel_near(get_pixel(target, 3, 0), 0x187048u, 1));
out:
	tsr_buffer_destroy(src);
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
}

static void noop_destroy(struct tsr_buffer *buffer)
{
}

static const struct tsr_buffer_impl borrowed_impl = {.destroy = noop_destroy};

/* Guest buffers are mapped read-only: a renderer that wrote to its source
 * would crash here instead of silently corrupting guest memory. */
static void test_read_only_source(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = (size_t)page * 4;
	uint8_t *memory =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(memory != MAP_FAILED);
	if (memory == MAP_FAILED)
		return;
	struct tsr_buffer guest = {
	    .impl = &borrowed_impl,
	    .width = 16,
	    .height = 8,
	    .stride = 64,
	    .format = DRM_FORMAT_XRGB8888,
	    .data = memory,
	    .read_only = true,
	    .dmabuf_fd = -1,
	};
	for (uint32_t y = 0; y < guest.height; y++)
		for (uint32_t x = 0; x < guest.width; x++)
			put_pixel(&guest, x, y, pattern_pixel(x, y));
	CHECK(mprotect(memory, size, PROT_READ) == 0);

	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target = tsr_buffer_create_memory(16, 8, DRM_FORMAT_XRGB8888);
	if (renderer && target) {
		/* A read-only buffer is never a target. */
		CHECK(!renderer->impl->begin(renderer, &guest, NULL));
		CHECK(!renderer->impl->end(renderer));
		CHECK(renderer->impl->begin(renderer, target, NULL));
		renderer->impl->blit(renderer, &guest, 0, 0, NULL);
		guest.format = DRM_FORMAT_ARGB8888;
		renderer->impl->blit(renderer, &guest, 0, 0, NULL);
		CHECK(renderer->impl->end(renderer));
		CHECK_EQ_INT(get_pixel(target, 5, 3) & 0xffffff, pattern_pixel(5, 3) & 0xffffff);
	} else {
		CHECK(false);
	}
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
	munmap(memory, size);
}

static void test_mask(void)
{
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target = tsr_buffer_create_memory(8, 4, DRM_FORMAT_XRGB8888);
	struct tsr_buffer *mask = tsr_buffer_create_memory(3, 1, DRM_FORMAT_R8);
	if (!renderer || !target || !mask) {
		CHECK(false);
		goto out;
	}
	fill_buffer(target, 0xff000000u);
	uint8_t *coverage = mask->data;
	coverage[0] = 0x00;
	coverage[1] = 0x80;
	coverage[2] = 0xff;
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 4, 4); /* cuts the second mask */
	CHECK(renderer->impl->begin(renderer, target, &clip));
	renderer->impl->mask(renderer, mask, 1, 1, 0xffff8000u);
	renderer->impl->mask(renderer, mask, 2, 2, 0xff00ffffu);
	CHECK(renderer->impl->end(renderer));
	CHECK_EQ_INT(get_pixel(target, 1, 1) & 0xffffff, 0x000000);
	CHECK(channel_near(get_pixel(target, 2, 1), 0x804000u, 1));
	CHECK_EQ_INT(get_pixel(target, 3, 1) & 0xffffff, 0xff8000);
	CHECK(channel_near(get_pixel(target, 3, 2), 0x008080u, 1));
	CHECK_EQ_INT(get_pixel(target, 4, 2) & 0xffffff, 0x000000); /* clipped */
	CHECK_EQ_INT(get_pixel(target, 0, 0) & 0xffffff, 0x000000);
	pixman_region32_fini(&clip);
out:
	tsr_buffer_destroy(mask);
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
}

static bool mask_has_ink(const struct tsr_buffer *mask)
{
	for (uint32_t y = 0; y < mask->height; y++)
		for (uint32_t x = 0; x < mask->width; x++)
			if (get_mask(mask, x, y))
				return true;
	return false;
}

static bool masks_equal(const struct tsr_buffer *a, const struct tsr_buffer *b)
{
	if (a->width != b->width || a->height != b->height)
		return false;
	for (uint32_t y = 0; y < a->height; y++)
		if (memcmp((uint8_t *)a->data + (size_t)y * a->stride,
			   (uint8_t *)b->data + (size_t)y * b->stride, a->width) != 0)
			return false;
	return true;
}

static void test_font(void)
{
	char err[512] = "";
	struct tsr_font *font = tsr_font_create(TEST_FONT, 16, err, sizeof(err));
	CHECK(font != NULL);
	if (!font) {
		fprintf(stderr, "font: %s\n", err);
		return;
	}
	uint32_t line_height = tsr_font_line_height(font);
	CHECK(line_height >= 16 && line_height <= 24);

	struct tsr_buffer *work = tsr_font_render(font, "work", 1000);
	struct tsr_buffer *longer = tsr_font_render(font, "work work", 1000);
	struct tsr_buffer *cut = tsr_font_render(font, "work work", 12);
	struct tsr_buffer *again = tsr_font_render(font, "work", 1000);
	struct tsr_buffer *control = tsr_font_render(font, "a\x01\xc3\xa9", 1000);
	struct tsr_buffer *questions = tsr_font_render(font, "a???", 1000);
	CHECK(work && longer && cut && again && control && questions);
	if (work && longer && cut && again && control && questions) {
		CHECK_EQ_INT(work->format, DRM_FORMAT_R8);
		CHECK_EQ_INT(work->height, line_height);
		CHECK(work->width > 20 && work->width < 60);
		CHECK(mask_has_ink(work));
		CHECK(longer->width > work->width);
		CHECK_EQ_INT(cut->width, 12);
		CHECK(mask_has_ink(cut));
		CHECK(masks_equal(work, again)); /* deterministic */
		CHECK(masks_equal(control, questions));
		/* The cut mask is the left part of the full one. */
		bool prefix = true;
		for (uint32_t y = 0; y < cut->height; y++)
			for (uint32_t x = 0; x < cut->width; x++)
				prefix = prefix && get_mask(cut, x, y) == get_mask(longer, x, y);
		CHECK(prefix);
	}
	CHECK(tsr_font_render(font, "", 100) == NULL);
	CHECK(tsr_font_render(font, "work", 0) == NULL);
	tsr_buffer_destroy(work);
	tsr_buffer_destroy(longer);
	tsr_buffer_destroy(cut);
	tsr_buffer_destroy(again);
	tsr_buffer_destroy(control);
	tsr_buffer_destroy(questions);
	tsr_font_destroy(font);
	tsr_font_destroy(NULL);
}

static void test_font_errors(void)
{
	char err[512] = "";
	CHECK(tsr_font_create("/nonexistent/font.ttf", 16, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent/font.ttf") != NULL);
	CHECK(strstr(err, "No such file") != NULL);

	ensure_output_dir();
	const char *bogus = OUTPUT_DIR "/render-not-a-font.ttf";
	FILE *file = fopen(bogus, "w");
	CHECK(file != NULL);
	if (file) {
		fputs("this is not a font\n", file);
		fclose(file);
	}
	err[0] = '\0';
	CHECK(tsr_font_create(bogus, 16, err, sizeof(err)) == NULL);
	CHECK(strstr(err, bogus) != NULL);
	CHECK(strstr(err, "unknown file format") != NULL);
	fprintf(stderr, "(expected) %s\n", err);
}

static void test_png_round_trip(void)
{
	ensure_output_dir();
	const char *path = OUTPUT_DIR "/render-round-trip.png";
	char err[512] = "";
	uint32_t formats[] = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888};
	for (size_t f = 0; f < 2; f++) {
		struct tsr_buffer *original = pattern_buffer(37, 13, formats[f]);
		CHECK(original != NULL);
		if (!original)
			return;
		CHECK(tsr_png_write(path, original, err, sizeof(err)));
		struct tsr_buffer *read = tsr_png_read(path, err, sizeof(err));
		CHECK(read != NULL);
		if (read) {
			CHECK_EQ_INT(read->format, DRM_FORMAT_XRGB8888);
			CHECK_EQ_INT(read->width, 37);
			CHECK_EQ_INT(read->height, 13);
			int wrong = 0;
			for (uint32_t y = 0; y < 13; y++)
				for (uint32_t x = 0; x < 37; x++)
					wrong += (get_pixel(read, x, y) & 0xffffff) !=
						 (pattern_pixel(x, y) & 0xffffff);
			CHECK_EQ_INT(wrong, 0);
			struct tsr_image_diff diff;
			CHECK(tsr_image_compare(read, original, 0, 0, NULL, &diff));
		}
		tsr_buffer_destroy(read);
		tsr_buffer_destroy(original);
	}
	struct tsr_buffer *mask = tsr_buffer_create_memory(4, 4, DRM_FORMAT_R8);
	CHECK(!tsr_png_write(path, mask, err, sizeof(err)));
	tsr_buffer_destroy(mask);
	CHECK(!tsr_png_write("/nonexistent/dir/x.png", NULL, err, sizeof(err)));
}

/* Writes a PNG in a format Tessera never writes itself, to exercise the
 * read transforms. */
static bool write_foreign_png(const char *path, int color_type, int bit_depth)
{
	FILE *file = fopen(path, "wb");
	if (!file)
		return false;
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!png || !info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		fclose(file);
		return false;
	}
	png_init_io(png, file);
	png_set_IHDR(png, info, 2, 1, bit_depth, color_type, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_color palette[2] = {{0x10, 0x20, 0x30}, {0xa0, 0xb0, 0xc0}};
	if (color_type == PNG_COLOR_TYPE_PALETTE)
		png_set_PLTE(png, info, palette, 2);
	png_write_info(png, info);
	/* Two pixels: gray16 0x4000/0xffff, palette 0/1, RGBA (red 50%, opaque blue). */
	uint8_t gray16[] = {0x40, 0x00, 0xff, 0xff};
	uint8_t indexed[] = {0x40}; /* 1-bit: pixel 0 -> 0, pixel 1 -> 1 */
	uint8_t rgba[] = {0xff, 0, 0, 0x80, 0, 0, 0xff, 0xff};
	const uint8_t *row = rgba;
	if (color_type == PNG_COLOR_TYPE_GRAY)
		row = gray16;
	else if (color_type == PNG_COLOR_TYPE_PALETTE)
		row = indexed;
	png_write_row(png, row);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return fclose(file) == 0;
}

static void test_png_read_formats(void)
{
	ensure_output_dir();
	const char *path = OUTPUT_DIR "/render-foreign.png";
	char err[512] = "";
	struct {
		int color_type, bit_depth;
		uint32_t first, second;
	} cases[] = {
	    {PNG_COLOR_TYPE_GRAY, 16, 0x404040, 0xffffff},
	    {PNG_COLOR_TYPE_PALETTE, 1, 0x102030, 0xa0b0c0},
	    {PNG_COLOR_TYPE_RGB_ALPHA, 8, 0xff0000, 0x0000ff},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(write_foreign_png(path, cases[i].color_type, cases[i].bit_depth));
		struct tsr_buffer *read = tsr_png_read(path, err, sizeof(err));
		CHECK(read != NULL);
		if (!read) {
			fprintf(stderr, "read: %s\n", err);
			continue;
		}
		CHECK_EQ_INT(read->width, 2);
		CHECK_EQ_INT(get_pixel(read, 0, 0) & 0xffffff, cases[i].first);
		CHECK_EQ_INT(get_pixel(read, 1, 0) & 0xffffff, cases[i].second);
		tsr_buffer_destroy(read);
	}
}

static void test_png_read_errors(void)
{
	char err[512] = "";
	CHECK(tsr_png_read("/nonexistent/reference.png", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent/reference.png") != NULL);
	CHECK(strstr(err, "No such file") != NULL);

	ensure_output_dir();
	const char *text = OUTPUT_DIR "/render-not-a-png.png";
	FILE *file = fopen(text, "w");
	if (file) {
		fputs("definitely not a png file\n", file);
		fclose(file);
	}
	err[0] = '\0';
	CHECK(tsr_png_read(text, err, sizeof(err)) == NULL);
	CHECK(strstr(err, text) != NULL && strstr(err, "not a PNG") != NULL);

	/* A valid PNG cut in the middle of its image data. */
	const char *good = OUTPUT_DIR "/render-before-truncation.png";
	const char *truncated = OUTPUT_DIR "/render-truncated.png";
	struct tsr_buffer *original = pattern_buffer(64, 64, DRM_FORMAT_XRGB8888);
	CHECK(original && tsr_png_write(good, original, err, sizeof(err)));
	tsr_buffer_destroy(original);
	FILE *in = fopen(good, "rb");
	FILE *out = fopen(truncated, "wb");
	CHECK(in && out);
	if (in && out) {
		uint8_t bytes[200];
		size_t n = fread(bytes, 1, sizeof(bytes), in);
		CHECK_EQ_INT(n, sizeof(bytes));
		fwrite(bytes, 1, n, out);
	}
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	err[0] = '\0';
	CHECK(tsr_png_read(truncated, err, sizeof(err)) == NULL);
	CHECK(strstr(err, truncated) != NULL);
	fprintf(stderr, "(expected) %s\n", err);
}

static struct tsr_buffer *copy_of(const struct tsr_buffer *buffer)
{
	struct tsr_buffer *copy =
	    tsr_buffer_create_memory(buffer->width, buffer->height, buffer->format);
	if (copy)
		memcpy(copy->data, buffer->data, (size_t)buffer->stride * buffer->height);
	return copy;
}

static void set_green(struct tsr_buffer *buffer, uint32_t x, uint32_t y, int delta)
{
	uint32_t pixel = get_pixel(buffer, x, y);
	int green = (int)((pixel >> 8) & 0xff) + delta;
	put_pixel(buffer, x, y, (pixel & ~0xff00u) | (uint32_t)green << 8);
}

static void test_compare(void)
{
	ensure_output_dir();
	const char *diff_path = OUTPUT_DIR "/render-compare-diff.png";
	unlink(diff_path);
	struct tsr_buffer *expected = tsr_buffer_create_memory(10, 8, DRM_FORMAT_XRGB8888);
	if (!expected) {
		CHECK(false);
		return;
	}
	fill_buffer(expected, 0xff607080u);
	struct tsr_buffer *actual = copy_of(expected);
	struct tsr_image_diff diff;

	CHECK(tsr_image_compare(actual, expected, 3, 4, diff_path, &diff));
	CHECK_EQ_INT(diff.differing_pixels, 0);
	CHECK_EQ_INT(diff.first_x, -1);
	CHECK_EQ_INT(diff.first_y, -1);
	CHECK(!file_exists(diff_path));

	set_green(actual, 6, 2, +4);
	CHECK(tsr_image_compare(actual, expected, 3, 4, diff_path, &diff));
	CHECK_EQ_INT(diff.max_channel_delta, 4);
	set_green(actual, 1, 5, -3);
	CHECK(tsr_image_compare(actual, expected, 3, 4, diff_path, &diff));

	set_green(actual, 6, 2, +1); /* now +5 */
	CHECK(!tsr_image_compare(actual, expected, 3, 4, diff_path, &diff));
	CHECK_EQ_INT(diff.differing_pixels, 1);
	CHECK_EQ_INT(diff.first_x, 6);
	CHECK_EQ_INT(diff.first_y, 2);
	CHECK_EQ_INT(diff.max_channel_delta, 5);
	CHECK(file_exists(diff_path));
	char err[512];
	struct tsr_buffer *diff_image = tsr_png_read(diff_path, err, sizeof(err));
	CHECK(diff_image != NULL);
	if (diff_image) {
		CHECK_EQ_INT(get_pixel(diff_image, 6, 2) & 0xffffff, 0xff00ff);
		CHECK_EQ_INT(get_pixel(diff_image, 0, 0) & 0xffffff, 0x20252a);
		tsr_buffer_destroy(diff_image);
	}

	set_green(actual, 6, 2, -5); /* back to equal */
	set_green(actual, 1, 5, -1); /* now -4 */
	CHECK(!tsr_image_compare(actual, expected, 3, 4, NULL, &diff));
	CHECK_EQ_INT(diff.first_x, 1);
	CHECK_EQ_INT(diff.first_y, 5);
	CHECK_EQ_INT(diff.max_channel_delta, 4);

	/* The alpha/X byte is not compared. */
	tsr_buffer_destroy(actual);
	actual = copy_of(expected);
	put_pixel(actual, 3, 3, get_pixel(actual, 3, 3) & 0xffffff);
	CHECK(tsr_image_compare(actual, expected, 0, 0, NULL, &diff));

	struct tsr_buffer *smaller = tsr_buffer_create_memory(10, 7, DRM_FORMAT_XRGB8888);
	if (smaller)
		fill_buffer(smaller, 0xff607080u);
	CHECK(!tsr_image_compare(smaller, expected, 3, 4, NULL, &diff));
	CHECK_EQ_INT(diff.differing_pixels, 10);
	CHECK_EQ_INT(diff.first_y, 7);
	tsr_buffer_destroy(smaller);
	tsr_buffer_destroy(actual);
	tsr_buffer_destroy(expected);
}

static void test_reference_missing(void)
{
	const char *name = "render-selftest-never-created";
	const char *actual_path = OUTPUT_DIR "/render-selftest-never-created-actual.png";
	unlink(actual_path);
	struct tsr_buffer *buffer = pattern_buffer(8, 8, DRM_FORMAT_XRGB8888);
	CHECK(buffer != NULL);
	CHECK(!tsr_check_reference(buffer, name));
	CHECK(file_exists(actual_path)); /* kept for a developer to look at */
	CHECK(!tsr_check_reference(buffer, "../escape"));
	tsr_buffer_destroy(buffer);
}

TSR_TEST_MAIN(TSR_CASE(test_memory_buffers), TSR_CASE(test_fill_opaque_and_clip),
	      TSR_CASE(test_fill_translucent), TSR_CASE(test_blit_xrgb_exact_copy),
	      TSR_CASE(test_blit_clipped), TSR_CASE(test_blit_hostile_positions),
	      TSR_CASE(test_argb_blend), TSR_CASE(test_read_only_source), TSR_CASE(test_mask),
	      TSR_CASE(test_font), TSR_CASE(test_font_errors), TSR_CASE(test_png_round_trip),
	      TSR_CASE(test_png_read_formats), TSR_CASE(test_png_read_errors),
	      TSR_CASE(test_compare), TSR_CASE(test_reference_missing))
