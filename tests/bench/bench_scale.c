/* Cost of drawing a fixed-size guest display (PV display) scaled down into
 * a frame, per format, as a ratio against a memcpy of the same output area
 * measured in the same run (absolute times for context only), with pixman
 * and, where EGL's surfaceless platform gives a context, with GLES (on
 * llvmpipe here: a software rasteriser). Not a test: it asserts nothing. */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/buffer.h"
#include "tessera/event_loop.h"
#include "tessera/renderer.h"

#define RUNS 9

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void heap_destroy(struct tsr_buffer *buffer)
{
	free(buffer->data);
	free(buffer);
}

static const struct tsr_buffer_impl heap_impl = {.destroy = heap_destroy};

static struct tsr_buffer *display(uint32_t width, uint32_t height, uint32_t format)
{
	struct tsr_buffer *buffer = calloc(1, sizeof(*buffer));
	uint32_t stride = width * tsr_buffer_format_bpp(format);
	*buffer = (struct tsr_buffer){.impl = &heap_impl,
				      .width = width,
				      .height = height,
				      .stride = stride,
				      .format = format,
				      .data = malloc((size_t)stride * height),
				      .read_only = true,
				      .dmabuf_fd = -1};
	for (size_t i = 0; i < (size_t)stride * height; i++)
		((uint8_t *)buffer->data)[i] = (uint8_t)(i * 7 + i / stride);
	return buffer;
}

/* Median time of drawing src into image on target. */
static uint64_t time_draw(struct tsr_renderer *renderer, struct tsr_buffer *target,
			  struct tsr_buffer *src, const pixman_box32_t *image)
{
	uint64_t samples[RUNS];
	for (int i = 0; i < RUNS; i++) {
		uint64_t start = tsr_now_ns();
		renderer->impl->begin(renderer, target, NULL);
		renderer->impl->blit_scaled(renderer, src, image, NULL);
		renderer->impl->end(renderer);
		samples[i] = tsr_now_ns() - start;
	}
	qsort(samples, RUNS, sizeof(samples[0]), compare_u64);
	return samples[RUNS / 2];
}

static uint64_t time_memcpy(struct tsr_buffer *target, const pixman_box32_t *image)
{
	size_t row = (size_t)(image->x2 - image->x1) * 4;
	uint8_t *from = malloc(row * (size_t)(image->y2 - image->y1));
	memset(from, 0x5a, row * (size_t)(image->y2 - image->y1));
	uint64_t samples[RUNS];
	for (int i = 0; i < RUNS; i++) {
		uint64_t start = tsr_now_ns();
		for (int32_t y = image->y1; y < image->y2; y++)
			memcpy((uint8_t *)target->data + (size_t)y * target->stride +
				   (size_t)image->x1 * 4,
			       from + row * (size_t)(y - image->y1), row);
		samples[i] = tsr_now_ns() - start;
	}
	free(from);
	qsort(samples, RUNS, sizeof(samples[0]), compare_u64);
	return samples[RUNS / 2];
}

static void run_cases(struct tsr_renderer *renderer)
{
	static const struct {
		uint32_t width, height, format;
		const char *name;
	} cases[] = {
	    {1272, 764, DRM_FORMAT_XRGB8888, "XR24 1:1 (fits exactly)"},
	    {1920, 1080, DRM_FORMAT_XRGB8888, "XR24 1920x1080 scaled"},
	    {4095, 2047, DRM_FORMAT_XRGB8888, "XR24 4095x2047 scaled"},
	    {1920, 1080, DRM_FORMAT_RGB565, "RG16 1920x1080 scaled"},
	    {1273, 764, DRM_FORMAT_RGB565, "RG16 1273x764 (odd pitch) scaled"},
	    {1270, 764, DRM_FORMAT_RGB888, "RG24 1270x764 1:1 (pitch not /4)"},
	    {1920, 1080, DRM_FORMAT_YUYV, "YUYV 1920x1080 scaled"},
	};
	struct tsr_buffer *target = tsr_buffer_create_memory(1280, 800, DRM_FORMAT_XRGB8888);
	pixman_box32_t content = {4, 32, 4 + 1272, 32 + 764};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tsr_buffer *src = display(cases[i].width, cases[i].height, cases[i].format);
		/* The layout's image box: fit, aspect kept, centred. */
		uint32_t w = src->width, h = src->height;
		if (w > 1272 || h > 764) {
			if ((uint64_t)1272 * h <= (uint64_t)764 * w) {
				h = (uint32_t)((uint64_t)h * 1272 / w);
				w = 1272;
			} else {
				w = (uint32_t)((uint64_t)w * 764 / h);
				h = 764;
			}
		}
		pixman_box32_t image = {content.x1 + (int32_t)(1272 - w) / 2,
					content.y1 + (int32_t)(764 - h) / 2, 0, 0};
		image.x2 = image.x1 + (int32_t)w;
		image.y2 = image.y1 + (int32_t)h;
		uint64_t draw = time_draw(renderer, target, src, &image);
		uint64_t copy = time_memcpy(target, &image);
		printf("%-6s %-36s into %ux%u: %.1f x a memcpy of that area (%.2f ms vs %.3f ms)\n",
		       renderer->name, cases[i].name, w, h,
		       (double)draw / (double)(copy ? copy : 1), draw / 1e6, copy / 1e6);
		tsr_buffer_destroy(src);
	}
	tsr_buffer_destroy(target);
}

int main(void)
{
	setenv("TESSERA_LOG", "warn", 1);
	struct tsr_renderer *pixman = tsr_renderer_pixman_create();
	if (pixman)
		run_cases(pixman);
	tsr_renderer_destroy(pixman);
#ifdef TSR_HAVE_GLES
	char why[256] = "";
	struct tsr_renderer *gles = tsr_renderer_gles_create(true, why, sizeof(why));
	if (gles)
		run_cases(gles);
	else
		printf("gles: not measured (%s)\n", why);
	tsr_renderer_destroy(gles);
#endif
	return 0;
}
