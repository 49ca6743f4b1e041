/* The pixel formats a PV display frontend may use (XR24, AR24, RG16, RG24,
 * XR12, AR12, XR15, AR15, YUYV), drawn by the pixman renderer: known
 * pixels encoded by hand from drm_fourcc.h's little-endian definitions
 * and compared with what lands in an XRGB target, 1:1 and scaled, with
 * pitches of exactly width x bpp (not a multiple of 4), plus a reference
 * image of all of them. */
#include <drm_fourcc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "tessera/buffer.h"
#include "tessera/renderer.h"
#include "test.h"

#define SENTINEL 0xff123456u
#define BACKDROP 0xff204060u

struct format_case {
	const char *name;
	uint32_t format;
	uint32_t bpp;
	int red_bits, green_bits, blue_bits, alpha_bits; /* 0 alpha: opaque */
};

static const struct format_case formats[] = {
    {"XR24", DRM_FORMAT_XRGB8888, 4, 8, 8, 8, 0}, {"AR24", DRM_FORMAT_ARGB8888, 4, 8, 8, 8, 8},
    {"RG16", DRM_FORMAT_RGB565, 2, 5, 6, 5, 0},	  {"RG24", DRM_FORMAT_RGB888, 3, 8, 8, 8, 0},
    {"XR12", DRM_FORMAT_XRGB4444, 2, 4, 4, 4, 0}, {"AR12", DRM_FORMAT_ARGB4444, 2, 4, 4, 4, 4},
    {"XR15", DRM_FORMAT_XRGB1555, 2, 5, 5, 5, 0}, {"AR15", DRM_FORMAT_ARGB1555, 2, 5, 5, 5, 1},
    {"YUYV", DRM_FORMAT_YUYV, 2, 0, 0, 0, 0},
};
#define FORMAT_COUNT (sizeof(formats) / sizeof(formats[0]))

static void noop_destroy(struct tsr_buffer *buffer)
{
	free(buffer->data);
	free(buffer);
}

static const struct tsr_buffer_impl owned_impl = {.destroy = noop_destroy};

/* A read-only guest buffer with pitch = width x bpp, as displif has it. */
static struct tsr_buffer *guest_buffer(const struct format_case *format, uint32_t width,
				       uint32_t height)
{
	struct tsr_buffer *buffer = calloc(1, sizeof(*buffer));
	uint32_t stride = width * format->bpp;
	*buffer = (struct tsr_buffer){.impl = &owned_impl,
				      .width = width,
				      .height = height,
				      .stride = stride,
				      .format = format->format,
				      .data = calloc(stride, height),
				      .read_only = true,
				      .dmabuf_fd = -1};
	return buffer;
}

/* The 8-bit value pixman (and any display) shows for an n-bit channel:
 * the bits replicated downwards, so 0 stays 0 and all ones become 0xff. */
static uint32_t expand_channel(uint32_t value, int bits)
{
	if (bits == 8)
		return value;
	if (bits == 1)
		return value ? 0xff : 0;
	if (bits == 4)
		return value << 4 | value;
	if (bits == 5)
		return value << 3 | value >> 2;
	return value << 2 | value >> 4; /* 6 */
}

/* A deterministic pixel: channel values in the format's own bit depth. */
struct pixel {
	uint32_t a, r, g, b; /* native bits; a premultiplied: r, g, b <= a */
	uint8_t y, u, v;     /* YUYV */
};

static struct pixel pattern(const struct format_case *format, uint32_t x, uint32_t y)
{
	uint32_t seed = (x * 2654435761u) ^ (y * 40503u) ^ 0x9e37u;
	seed ^= seed >> 13;
	seed *= 0x5bd1e995u;
	seed ^= seed >> 15;
	struct pixel pixel = {
	    .r = seed % (1u << format->red_bits),
	    .g = (seed >> 8) % (1u << format->green_bits),
	    .b = (seed >> 16) % (1u << format->blue_bits),
	    .y = (uint8_t)(16 + seed % 220),
	    .u = (uint8_t)(16 + (seed >> 8) % 225),
	    .v = (uint8_t)(16 + (seed >> 16) % 225),
	};
	if (format->format == DRM_FORMAT_YUYV)
		pixel.r = pixel.g = pixel.b = 0;
	if (format->alpha_bits) {
		uint32_t top = (1u << format->alpha_bits) - 1;
		/* Opaque, transparent or in between; colours premultiplied. */
		pixel.a = (seed >> 24) % 3 == 0 ? top : (seed >> 24) % 3 == 1 ? 0 : top / 2 + 1;
		double scale = (double)expand_channel(pixel.a, format->alpha_bits) / 255.0;
		pixel.r = (uint32_t)(pixel.r * scale);
		pixel.g = (uint32_t)(pixel.g * scale);
		pixel.b = (uint32_t)(pixel.b * scale);
	}
	/* YUYV shares U and V per pair: the pair's left pixel decides. */
	if (format->format == DRM_FORMAT_YUYV && x % 2 == 1) {
		struct pixel left = pattern(format, x - 1, y);
		pixel.u = left.u;
		pixel.v = left.v;
	}
	return pixel;
}

/* Encodes one pixel exactly as drm_fourcc.h defines the format. */
static void put(struct tsr_buffer *buffer, const struct format_case *format, uint32_t x, uint32_t y,
		const struct pixel *pixel)
{
	uint8_t *at =
	    (uint8_t *)buffer->data + (size_t)y * buffer->stride + (size_t)x * format->bpp;
	uint32_t word = 0;
	switch (format->format) {
	case DRM_FORMAT_XRGB8888: /* [31:0] x:R:G:B 8:8:8:8 little endian */
		word = 0xab000000u | pixel->r << 16 | pixel->g << 8 | pixel->b;
		break;
	case DRM_FORMAT_ARGB8888:
		word = pixel->a << 24 | pixel->r << 16 | pixel->g << 8 | pixel->b;
		break;
	case DRM_FORMAT_RGB565: /* [15:0] R:G:B 5:6:5 little endian */
		word = pixel->r << 11 | pixel->g << 5 | pixel->b;
		break;
	case DRM_FORMAT_RGB888: /* [23:0] R:G:B little endian: bytes B, G, R */
		at[0] = (uint8_t)pixel->b;
		at[1] = (uint8_t)pixel->g;
		at[2] = (uint8_t)pixel->r;
		return;
	case DRM_FORMAT_XRGB4444: /* [15:0] x:R:G:B 4:4:4:4 little endian */
		word = 0xa000u | pixel->r << 8 | pixel->g << 4 | pixel->b;
		break;
	case DRM_FORMAT_ARGB4444:
		word = pixel->a << 12 | pixel->r << 8 | pixel->g << 4 | pixel->b;
		break;
	case DRM_FORMAT_XRGB1555: /* [15:0] x:R:G:B 1:5:5:5 little endian */
		word = 0x8000u | pixel->r << 10 | pixel->g << 5 | pixel->b;
		break;
	case DRM_FORMAT_ARGB1555:
		word = pixel->a << 15 | pixel->r << 10 | pixel->g << 5 | pixel->b;
		break;
	case DRM_FORMAT_YUYV: /* [31:0] Cr0:Y1:Cb0:Y0: bytes Y0 U Y1 V */
		at[0] = pixel->y;
		if (x % 2 == 0) {
			at[1] = pixel->u;
			if (x + 1 < buffer->width)
				at[3] = pixel->v;
		}
		return;
	}
	for (uint32_t i = 0; i < format->bpp; i++)
		at[i] = (uint8_t)(word >> (8 * i));
}

static uint32_t clamp_byte(double value)
{
	long rounded = lround(value);
	return rounded < 0 ? 0 : rounded > 255 ? 255 : (uint32_t)rounded;
}

/* What the pixel looks like over BACKDROP (premultiplied OVER), as
 * 0xRRGGBB. YUYV: BT.601, limited range (a KMS plane's default). */
static uint32_t expected(const struct format_case *format, const struct pixel *pixel)
{
	if (format->format == DRM_FORMAT_YUYV) {
		double y = 1.164 * (pixel->y - 16), u = pixel->u - 128.0, v = pixel->v - 128.0;
		return clamp_byte(y + 1.596 * v) << 16 |
		       clamp_byte(y - 0.813 * v - 0.391 * u) << 8 | clamp_byte(y + 2.018 * u);
	}
	uint32_t r = expand_channel(pixel->r, format->red_bits);
	uint32_t g = expand_channel(pixel->g, format->green_bits);
	uint32_t b = expand_channel(pixel->b, format->blue_bits);
	if (!format->alpha_bits)
		return r << 16 | g << 8 | b;
	double keep = 1.0 - expand_channel(pixel->a, format->alpha_bits) / 255.0;
	return clamp_byte(r + ((BACKDROP >> 16) & 0xff) * keep) << 16 |
	       clamp_byte(g + ((BACKDROP >> 8) & 0xff) * keep) << 8 |
	       clamp_byte(b + (BACKDROP & 0xff) * keep);
}

static uint32_t get_pixel(const struct tsr_buffer *buffer, uint32_t x, uint32_t y)
{
	uint32_t pixel;
	memcpy(&pixel, (uint8_t *)buffer->data + (size_t)y * buffer->stride + (size_t)x * 4, 4);
	return pixel;
}

static void fill_target(struct tsr_buffer *target, uint32_t pixel)
{
	for (uint32_t y = 0; y < target->height; y++)
		for (uint32_t x = 0; x < target->width; x++)
			memcpy((uint8_t *)target->data + (size_t)y * target->stride + (size_t)x * 4,
			       &pixel, 4);
}

static bool near(uint32_t actual, uint32_t wanted, int tolerance)
{
	for (int shift = 0; shift <= 16; shift += 8) {
		int delta = (int)((actual >> shift) & 0xff) - (int)((wanted >> shift) & 0xff);
		if (delta < -tolerance || delta > tolerance)
			return false;
	}
	return true;
}

static struct tsr_buffer *pattern_buffer(const struct format_case *format, uint32_t width,
					 uint32_t height)
{
	struct tsr_buffer *buffer = guest_buffer(format, width, height);
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++) {
			struct pixel pixel = pattern(format, x, y);
			put(buffer, format, x, y, &pixel);
		}
	return buffer;
}

/* 1:1 at (3, 2) over the backdrop: every pixel as encoded, nothing else
 * touched; widths with pitches that are and are not a multiple of 4. */
static void test_known_pixels_1_to_1(void)
{
	static const uint32_t widths[] = {8, 7, 5, 13};
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target = tsr_buffer_create_memory(24, 12, DRM_FORMAT_XRGB8888);
	for (size_t f = 0; f < FORMAT_COUNT; f++) {
		const struct format_case *format = &formats[f];
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			uint32_t width = widths[w], height = 5;
			struct tsr_buffer *src = pattern_buffer(format, width, height);
			fill_target(target, BACKDROP);
			pixman_region32_t region;
			pixman_region32_init_rect(&region, 0, 0, 24, 12);
			CHECK(renderer->impl->begin(renderer, target, NULL));
			renderer->impl->blit(renderer, src, 3, 2, &region);
			CHECK(renderer->impl->end(renderer));
			pixman_region32_fini(&region);
			int wrong = 0;
			for (uint32_t y = 0; y < 12; y++) {
				for (uint32_t x = 0; x < 24; x++) {
					uint32_t want = BACKDROP & 0xffffff;
					if (x >= 3 && x < 3 + width && y >= 2 && y < 2 + height) {
						struct pixel pixel = pattern(format, x - 3, y - 2);
						/* An odd width's last YUYV pixel has no V. */
						if (format->format == DRM_FORMAT_YUYV &&
						    width % 2 && x - 3 == width - 1)
							continue;
						want = expected(format, &pixel);
					}
					int tolerance = format->format == DRM_FORMAT_YUYV ? 2 : 1;
					if (!near(get_pixel(target, x, y), want, tolerance)) {
						if (wrong++ < 3)
							fprintf(stderr,
								"%s width %u: (%u,%u) is %06x, "
								"want %06x\n",
								format->name, width, x, y,
								get_pixel(target, x, y) & 0xffffff,
								want);
					}
				}
			}
			CHECK_EQ_INT(wrong, 0);
			tsr_buffer_destroy(src);
		}
	}
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
}

/* Scaled down, a solid colour stays that colour (no dark or transparent
 * edges from sampling outside the display) and stays inside its box. */
static void test_scaled_solid_colour(void)
{
	static const uint32_t widths[] = {40, 41, 39};
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target = tsr_buffer_create_memory(40, 30, DRM_FORMAT_XRGB8888);
	for (size_t f = 0; f < FORMAT_COUNT; f++) {
		const struct format_case *format = &formats[f];
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			struct tsr_buffer *src = guest_buffer(format, widths[w], 27);
			struct pixel solid = pattern(format, 2, 1);
			if (format->alpha_bits) /* opaque: the backdrop must not show */
				solid = (struct pixel){.a = (1u << format->alpha_bits) - 1,
						       .r = 1,
						       .g = (1u << format->green_bits) - 1,
						       .b = 0};
			for (uint32_t y = 0; y < src->height; y++)
				for (uint32_t x = 0; x < src->width; x++)
					put(src, format, x, y, &solid);
			fill_target(target, SENTINEL);
			pixman_box32_t image = {5, 4, 5 + 13, 4 + 9};
			CHECK(renderer->impl->begin(renderer, target, NULL));
			renderer->impl->blit_scaled(renderer, src, &image, NULL);
			CHECK(renderer->impl->end(renderer));
			uint32_t want = expected(format, &solid);
			int wrong = 0;
			for (int32_t y = 0; y < 30; y++)
				for (int32_t x = 0; x < 40; x++) {
					bool in = x >= image.x1 && x < image.x2 && y >= image.y1 &&
						  y < image.y2;
					uint32_t pixel =
					    get_pixel(target, (uint32_t)x, (uint32_t)y);
					if (in && format->format == DRM_FORMAT_YUYV &&
					    widths[w] % 2 && x == image.x2 - 1)
						continue; /* the V-less last pixel */
					wrong += in ? !near(pixel, want, 2) : pixel != SENTINEL;
				}
			if (wrong)
				fprintf(stderr, "%s width %u: %d wrong\n", format->name, widths[w],
					wrong);
			CHECK_EQ_INT(wrong, 0);
			tsr_buffer_destroy(src);
		}
	}
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
}

/* A scaled draw limited to a region writes only region ∩ image, and the
 * unaligned (scratch) path gives the same pixels as the aligned one. */
static void test_scaled_region_and_scratch_agree(void)
{
	const struct format_case *format = &formats[2]; /* RG16 */
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *aligned_target = tsr_buffer_create_memory(64, 48, DRM_FORMAT_XRGB8888);
	struct tsr_buffer *scratch_target = tsr_buffer_create_memory(64, 48, DRM_FORMAT_XRGB8888);
	/* 101 wide: pitch 202, not a multiple of 4, read through scratch. The
	 * same pixels with a padded pitch of 204 are read in place. */
	struct tsr_buffer *odd = pattern_buffer(format, 101, 77);
	struct tsr_buffer *padded = calloc(1, sizeof(*padded));
	*padded = *odd;
	padded->stride = 204;
	padded->data = calloc(204, 77);
	for (uint32_t y = 0; y < 77; y++)
		memcpy((uint8_t *)padded->data + y * 204, (uint8_t *)odd->data + y * 202, 202);
	pixman_box32_t image = {3, 2, 3 + 50, 2 + 38};
	pixman_region32_t region;
	pixman_region32_init_rect(&region, 10, 0, 20, 48);
	pixman_region32_union_rect(&region, &region, 0, 30, 64, 5);
	fill_target(aligned_target, SENTINEL);
	fill_target(scratch_target, SENTINEL);
	CHECK(renderer->impl->begin(renderer, aligned_target, NULL));
	renderer->impl->blit_scaled(renderer, padded, &image, &region);
	CHECK(renderer->impl->end(renderer));
	CHECK(renderer->impl->begin(renderer, scratch_target, NULL));
	renderer->impl->blit_scaled(renderer, odd, &image, &region);
	CHECK(renderer->impl->end(renderer));
	int differ = 0, outside = 0, unpainted = 0;
	for (int32_t y = 0; y < 48; y++)
		for (int32_t x = 0; x < 64; x++) {
			uint32_t a = get_pixel(aligned_target, (uint32_t)x, (uint32_t)y);
			uint32_t s = get_pixel(scratch_target, (uint32_t)x, (uint32_t)y);
			differ += a != s;
			bool in = x >= image.x1 && x < image.x2 && y >= image.y1 && y < image.y2 &&
				  pixman_region32_contains_point(&region, x, y, NULL);
			outside += !in && a != SENTINEL;
			unpainted += in && a == SENTINEL;
		}
	CHECK_EQ_INT(differ, 0);
	CHECK_EQ_INT(outside, 0);
	CHECK_EQ_INT(unpainted, 0);
	pixman_region32_fini(&region);
	tsr_buffer_destroy(padded);
	tsr_buffer_destroy(odd);
	tsr_buffer_destroy(aligned_target);
	tsr_buffer_destroy(scratch_target);
	tsr_renderer_destroy(renderer);
}

/* All formats in one image: per row, a ramp of known colours 1:1 on the
 * left and the same scaled to half size on the right. */
static uint32_t ramp_channel(uint32_t x, int bits)
{
	return (x * ((1u << bits) - 1) + 31) / 63;
}

static void test_formats_reference(void)
{
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *target =
	    tsr_buffer_create_memory(64 + 8 + 32, (uint32_t)FORMAT_COUNT * 18, DRM_FORMAT_XRGB8888);
	fill_target(target, BACKDROP);
	CHECK(renderer->impl->begin(renderer, target, NULL));
	for (size_t f = 0; f < FORMAT_COUNT; f++) {
		const struct format_case *format = &formats[f];
		struct tsr_buffer *src = guest_buffer(format, 63, 16);
		for (uint32_t y = 0; y < 16; y++)
			for (uint32_t x = 0; x < 63; x++) {
				/* Rows: red, green, blue, grey ramps (alpha: opaque
				 * top half, half transparent bottom half). */
				int band = (int)(y / 4);
				struct pixel pixel = {0};
				if (format->format == DRM_FORMAT_YUYV) {
					pixel.y = (uint8_t)(16 + x * 219 / 62);
					pixel.u = (uint8_t)(band == 2 ? 240 : band == 0 ? 90 : 128);
					pixel.v = (uint8_t)(band == 0 ? 240 : band == 1 ? 34 : 128);
				} else {
					if (band == 0 || band == 3)
						pixel.r = ramp_channel(x, format->red_bits);
					if (band == 1 || band == 3)
						pixel.g = ramp_channel(x, format->green_bits);
					if (band == 2 || band == 3)
						pixel.b = ramp_channel(x, format->blue_bits);
					if (format->alpha_bits)
						pixel.a = (1u << format->alpha_bits) - 1;
				}
				put(src, format, x, y, &pixel);
			}
		int32_t top = (int32_t)f * 18 + 1;
		renderer->impl->blit(renderer, src, 0, top, NULL);
		pixman_box32_t half = {72, top, 72 + 32, top + 8};
		renderer->impl->blit_scaled(renderer, src, &half, NULL);
		tsr_buffer_destroy(src);
	}
	CHECK(renderer->impl->end(renderer));
	CHECK(tsr_check_reference(target, "formats"));
	tsr_buffer_destroy(target);
	tsr_renderer_destroy(renderer);
}

/* The guest-format bytes per pixel and the wire protocol stay apart. */
static void test_format_tables(void)
{
	for (size_t f = 0; f < FORMAT_COUNT; f++)
		CHECK_EQ_INT(tsr_buffer_format_bpp(formats[f].format), formats[f].bpp);
	CHECK_EQ_INT(tsr_buffer_format_bpp(DRM_FORMAT_NV12), 0);
	CHECK_EQ_INT(tsr_buffer_format_bpp(DRM_FORMAT_R8), 0);
	CHECK(tsr_buffer_format_opaque(DRM_FORMAT_RGB565));
	CHECK(tsr_buffer_format_opaque(DRM_FORMAT_YUYV));
	CHECK(!tsr_buffer_format_opaque(DRM_FORMAT_ARGB1555));
	CHECK(!tsr_buffer_format_opaque(DRM_FORMAT_ARGB8888));
}

TSR_TEST_MAIN(TSR_CASE(test_format_tables), TSR_CASE(test_known_pixels_1_to_1),
	      TSR_CASE(test_scaled_solid_colour), TSR_CASE(test_scaled_region_and_scratch_agree),
	      TSR_CASE(test_formats_reference))
