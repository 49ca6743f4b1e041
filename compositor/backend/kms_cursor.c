/* The hardware cursor: a 64x64 ARGB8888 dumb buffer on the CRTC's cursor
 * plane. Changes ride on the next commit (or a cursor-only one when the
 * CRTC is idle), so the cursor never adds a second commit in flight. */
#include <drm_fourcc.h>
#include <stdint.h>
#include <string.h>

#include "kms.h"

bool kms_cursor_set(struct tsr_output *base, struct tsr_buffer *image, int32_t hot_x, int32_t hot_y)
{
	struct kms_output *output = (struct kms_output *)base;
	if (!output->cursor.id)
		return false;
	if (!image) {
		output->cursor_visible = false;
		output->cursor_dirty = true;
		kms_output_flush(output);
		return true;
	}
	if (image->width > KMS_CURSOR_SIZE || image->height > KMS_CURSOR_SIZE ||
	    (image->format != DRM_FORMAT_ARGB8888 && image->format != DRM_FORMAT_XRGB8888))
		return false;
	if (!output->cursor_buffer) {
		output->cursor_buffer = kms_dumb_create(output->backend->device.fd, KMS_CURSOR_SIZE,
							KMS_CURSOR_SIZE, DRM_FORMAT_ARGB8888);
		if (!output->cursor_buffer)
			return false;
	}
	struct tsr_buffer *target = &output->cursor_buffer->base;
	for (uint32_t y = 0; y < KMS_CURSOR_SIZE; y++) {
		uint32_t *row = (uint32_t *)((uint8_t *)target->data + (size_t)y * target->stride);
		memset(row, 0, KMS_CURSOR_SIZE * 4u);
		if (y >= image->height)
			continue;
		const uint32_t *src =
		    (const uint32_t *)((const uint8_t *)image->data + (size_t)y * image->stride);
		for (uint32_t x = 0; x < image->width; x++)
			row[x] =
			    image->format == DRM_FORMAT_XRGB8888 ? src[x] | 0xff000000u : src[x];
	}
	output->cursor_hot_x = hot_x;
	output->cursor_hot_y = hot_y;
	output->cursor_visible = true;
	output->cursor_dirty = true;
	kms_output_flush(output);
	return true;
}

bool kms_cursor_move(struct tsr_output *base, int32_t x, int32_t y)
{
	struct kms_output *output = (struct kms_output *)base;
	if (!output->cursor.id)
		return false;
	output->cursor_x = x;
	output->cursor_y = y;
	output->cursor_dirty = true;
	kms_output_flush(output);
	return true;
}

void kms_cursor_add_state(struct kms_output *output, struct kms_atomic *atomic)
{
	const struct kms_plane_props *plane = &output->cursor;
	if (!plane->id)
		return;
	if (!output->cursor_visible || !output->cursor_buffer) {
		kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_FB_ID], 0);
		kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_ID], 0);
		return;
	}
	/* CRTC_X/Y are signed: the cursor may hang off the top-left edge. */
	int64_t left = (int64_t)output->cursor_x - output->cursor_hot_x;
	int64_t top = (int64_t)output->cursor_y - output->cursor_hot_y;
	left = left < INT32_MIN ? INT32_MIN : left > INT32_MAX ? INT32_MAX : left;
	top = top < INT32_MIN ? INT32_MIN : top > INT32_MAX ? INT32_MAX : top;
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_FB_ID],
		       output->cursor_buffer->fb_id);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_ID], output->crtc.id);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_X], 0);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_Y], 0);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_W],
		       (uint64_t)KMS_CURSOR_SIZE << 16);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_H],
		       (uint64_t)KMS_CURSOR_SIZE << 16);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_X], (uint64_t)left);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_Y], (uint64_t)top);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_W], KMS_CURSOR_SIZE);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_H], KMS_CURSOR_SIZE);
}
