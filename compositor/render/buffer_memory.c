/* Heap-backed buffers: headless outputs, text masks, decoded PNGs and tests. */
#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/buffer.h"

/* Far beyond any real output; keeps width * height * 4 well inside size_t
 * and uint32_t strides on every platform. */
#define TSR_MEMORY_BUFFER_MAX_DIMENSION 16384u

struct tsr_memory_buffer {
	struct tsr_buffer base;
};

static void memory_buffer_destroy(struct tsr_buffer *buffer)
{
	struct tsr_memory_buffer *memory = (struct tsr_memory_buffer *)buffer;
	free(memory->base.data);
	free(memory);
}

static const struct tsr_buffer_impl memory_buffer_impl = {
    .destroy = memory_buffer_destroy,
};

static bool stride_for_format(uint32_t width, uint32_t format, uint32_t *stride)
{
	uint32_t bytes_per_pixel;
	switch (format) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
		bytes_per_pixel = 4;
		break;
	case DRM_FORMAT_R8:
		bytes_per_pixel = 1;
		break;
	default:
		return false;
	}
	uint32_t row;
	if (__builtin_mul_overflow(width, bytes_per_pixel, &row))
		return false;
	/* Rows of 4-byte aligned length keep pixman (which wants stride % 4 == 0) happy. */
	if (__builtin_add_overflow(row, 3u, &row))
		return false;
	*stride = row & ~3u;
	return true;
}

struct tsr_buffer *tsr_buffer_create_memory(uint32_t width, uint32_t height, uint32_t format)
{
	if (width == 0 || height == 0 || width > TSR_MEMORY_BUFFER_MAX_DIMENSION ||
	    height > TSR_MEMORY_BUFFER_MAX_DIMENSION)
		return NULL;

	uint32_t stride;
	if (!stride_for_format(width, format, &stride))
		return NULL;
	size_t size;
	if (__builtin_mul_overflow((size_t)stride, (size_t)height, &size))
		return NULL;

	struct tsr_memory_buffer *memory = calloc(1, sizeof(*memory));
	if (!memory)
		return NULL;
	memory->base.data = calloc(1, size);
	if (!memory->base.data) {
		free(memory);
		return NULL;
	}
	memory->base.impl = &memory_buffer_impl;
	memory->base.width = width;
	memory->base.height = height;
	memory->base.stride = stride;
	memory->base.format = format;
	memory->base.read_only = false;
	memory->base.dmabuf_fd = -1;
	return &memory->base;
}

struct tsr_buffer *tsr_buffer_copy_memory(const struct tsr_buffer *source)
{
	struct tsr_buffer *copy =
	    tsr_buffer_create_memory(source->width, source->height, source->format);
	if (!copy)
		return NULL;
	/* Same format and width, so the same row length; strides may differ. */
	size_t row = source->stride < copy->stride ? source->stride : copy->stride;
	for (uint32_t y = 0; y < source->height; y++)
		memcpy((uint8_t *)copy->data + (size_t)y * copy->stride,
		       (const uint8_t *)source->data + (size_t)y * source->stride, row);
	return copy;
}

void tsr_buffer_destroy(struct tsr_buffer *buffer)
{
	if (!buffer)
		return;
	if (buffer->renderer_forget)
		buffer->renderer_forget(buffer->renderer_forget_data, buffer);
	buffer->impl->destroy(buffer);
}
