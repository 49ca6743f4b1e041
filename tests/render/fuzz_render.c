/* libFuzzer target for the renderer reading guest pixels with geometry a
 * guest chose (a PV display frontend picks format, size and pitch; the
 * transport and core check them, then the renderer reads the memory): every
 * format of tsr_buffer_format_bpp, widths and pitches of any alignment
 * (the scratch-copy path), scaled and 1:1 draws into hostile image boxes
 * and regions.
 *
 * The guest buffer is allocated with exactly the bytes the core's geometry
 * check requires ((height-1) x stride + width x bpp), so AddressSanitizer
 * turns any read past what the guest shared into a crash; and every target
 * pixel outside image ∩ region must keep its sentinel (the frame property),
 * or the target aborts.
 *
 * Input: format, width, height, stride padding, image box, region box
 * (little-endian), then the pixel bytes (repeated to fill the buffer).
 *
 * TSR_TEST_RENDERER=gles: the same with the GLES renderer (the replay
 * test runs both; skipped, 77, where it cannot start). */
#include <drm_fourcc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/buffer.h"
#include "tessera/renderer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER_BYTES 22
#define TARGET_WIDTH 64
#define TARGET_HEIGHT 48
#define SENTINEL 0xff123456u

static const uint32_t formats[] = {
    DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_RGB565,
    DRM_FORMAT_RGB888,	 DRM_FORMAT_XRGB4444, DRM_FORMAT_ARGB4444,
    DRM_FORMAT_XRGB1555, DRM_FORMAT_ARGB1555, DRM_FORMAT_YUYV,
};

static void heap_destroy(struct tsr_buffer *buffer)
{
}

static const struct tsr_buffer_impl heap_impl = {.destroy = heap_destroy};

static int32_t read_i16(const uint8_t *at)
{
	return (int16_t)(uint16_t)(at[0] | at[1] << 8);
}

static uint32_t read_u16(const uint8_t *at)
{
	return (uint32_t)(at[0] | at[1] << 8);
}

static struct tsr_renderer *create_renderer(void)
{
	const char *wanted = getenv("TSR_TEST_RENDERER");
	if (!wanted || strcmp(wanted, "gles") != 0)
		return tsr_renderer_pixman_create();
#ifdef TSR_HAVE_GLES
	char why[256] = "";
	struct tsr_renderer *gles = tsr_renderer_gles_create(true, why, sizeof(why));
	if (gles)
		return gles;
	printf("skipped: the GLES renderer cannot start: %s\n", why);
#else
	printf("skipped: built without GLES\n");
#endif
	exit(77);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tsr_renderer *renderer;
	static struct tsr_buffer *target;
	if (!renderer) {
		renderer = create_renderer();
		target = tsr_buffer_create_memory(TARGET_WIDTH, TARGET_HEIGHT, DRM_FORMAT_XRGB8888);
		if (!renderer || !target)
			abort();
	}
	if (size < HEADER_BYTES)
		return 0;
	uint32_t format = formats[data[0] % (sizeof(formats) / sizeof(formats[0]))];
	uint32_t bpp = tsr_buffer_format_bpp(format);
	uint32_t width = 1 + read_u16(data + 1) % 512;
	uint32_t height = 1 + read_u16(data + 3) % 256;
	uint32_t stride = width * bpp + data[5] % 8;
	pixman_box32_t image = {read_i16(data + 6), read_i16(data + 8), read_i16(data + 10),
				read_i16(data + 12)};
	pixman_box32_t region_box = {read_i16(data + 14), read_i16(data + 16), read_i16(data + 18),
				     read_i16(data + 20)};
	/* Big scaled images cost time, not coverage. */
	if ((int64_t)image.x2 - image.x1 > 4096 || (int64_t)image.y2 - image.y1 > 4096)
		return 0;

	size_t bytes = (size_t)(height - 1) * stride + (size_t)width * bpp;
	uint8_t *pixels = malloc(bytes);
	if (!pixels)
		abort();
	const uint8_t *payload = data + HEADER_BYTES;
	size_t payload_size = size - HEADER_BYTES;
	for (size_t i = 0; i < bytes; i++)
		pixels[i] = payload_size ? payload[i % payload_size] : (uint8_t)i;
	struct tsr_buffer guest = {.impl = &heap_impl,
				   .width = width,
				   .height = height,
				   .stride = stride,
				   .format = format,
				   .data = pixels,
				   .read_only = true,
				   .dmabuf_fd = -1};

	for (uint32_t y = 0; y < TARGET_HEIGHT; y++)
		for (uint32_t x = 0; x < TARGET_WIDTH; x++)
			((uint32_t *)((uint8_t *)target->data + (size_t)y * target->stride))[x] =
			    SENTINEL;
	pixman_region32_t region;
	bool region_valid = region_box.x1 < region_box.x2 && region_box.y1 < region_box.y2;
	if (region_valid)
		pixman_region32_init_rects(&region, &region_box, 1);
	else
		pixman_region32_init(&region);
	if (!renderer->impl->begin(renderer, target, NULL))
		abort();
	renderer->impl->blit_scaled(renderer, &guest, &image, &region);
	renderer->impl->blit(renderer, &guest, image.x1, image.y1, &region);
	if (!renderer->impl->end(renderer))
		abort();

	/* The frame property: nothing outside image ∩ region (the 1:1 blit's
	 * box starts at the same corner and is clipped the same way). */
	for (int32_t y = 0; y < TARGET_HEIGHT; y++) {
		for (int32_t x = 0; x < TARGET_WIDTH; x++) {
			uint32_t pixel =
			    ((uint32_t *)((uint8_t *)target->data + (size_t)y * target->stride))[x];
			bool in_region = region_valid && x >= region_box.x1 && x < region_box.x2 &&
					 y >= region_box.y1 && y < region_box.y2;
			bool in_scaled =
			    x >= image.x1 && x < image.x2 && y >= image.y1 && y < image.y2;
			bool in_blit = x >= image.x1 && (int64_t)x < (int64_t)image.x1 + width &&
				       y >= image.y1 && (int64_t)y < (int64_t)image.y1 + height;
			if (pixel != SENTINEL && !(in_region && (in_scaled || in_blit)))
				abort();
		}
	}
	pixman_region32_fini(&region);
	free(pixels);
	return 0;
}
