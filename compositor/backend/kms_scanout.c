/* Direct scanout: a guest's dma-buf on the CRTC's overlay plane, at the
 * box the core gives (its content box, 1:1: SRC is the whole buffer and
 * CRTC_W/H its size), under the cursor plane, over Tessera's composed
 * buffer on the primary plane. The overlay, not the primary, takes the
 * guest: drivers such as vkms require the primary plane to cover the whole
 * CRTC (vkms_plane_atomic_check: can_position is false for the primary),
 * and Tessera's banner and border must stay in Tessera's buffer anyway.
 *
 * Imports: drmPrimeFDToHandle returns the card's one handle for a dma-buf
 * it knows, and one GEM close drops it for every importer, so the card has
 * one entry per dma-buf (handle + framebuffer), found again by that handle
 * and dropped when the core says the buffer goes (kms_scanout_forget),
 * which it says only once the buffer is on no plane. While an entry holds
 * its handle the dma-buf lives, so no other dma-buf can get that handle. */
#include <drm_fourcc.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms.h"
#include "tessera/log.h"

static void close_handle(int fd, uint32_t handle)
{
	struct drm_gem_close close_request = {.handle = handle};
	drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &close_request);
}

static struct kms_scanout_fb *find_fb(struct kms_backend *backend, uint32_t handle)
{
	for (size_t i = 0; i < KMS_SCANOUT_FBS; i++)
		if (backend->scanout_fbs[i].handle == handle)
			return &backend->scanout_fbs[i];
	return NULL;
}

/* The framebuffer of guest, imported now or before; 0 with why. */
static uint32_t guest_fb(struct kms_backend *backend, const struct tsr_buffer *guest, char *why,
			 size_t why_len)
{
	int fd = backend->device.fd;
	uint32_t handle = 0;
	if (drmPrimeFDToHandle(fd, guest->dmabuf_fd, &handle) != 0 || handle == 0) {
		snprintf(why, why_len, "the card cannot import the dma-buf (%s)", strerror(errno));
		return 0;
	}
	struct kms_scanout_fb *known = find_fb(backend, handle);
	if (known) {
		if (known->width == guest->width && known->height == guest->height &&
		    known->stride == guest->stride && known->format == guest->format)
			return known->fb_id;
		snprintf(why, why_len, "the dma-buf is imported with another geometry");
		return 0;
	}
	struct kms_scanout_fb *slot = find_fb(backend, 0);
	if (!slot) {
		close_handle(fd, handle);
		snprintf(why, why_len, "more than %u imported guest buffers", KMS_SCANOUT_FBS);
		return 0;
	}
	uint32_t handles[4] = {handle}, pitches[4] = {guest->stride}, offsets[4] = {0};
	uint32_t fb_id = 0;
	if (drmModeAddFB2(fd, guest->width, guest->height, guest->format, handles, pitches, offsets,
			  &fb_id, 0) != 0) {
		snprintf(why, why_len, "no framebuffer for the dma-buf (%s)", strerror(errno));
		close_handle(fd, handle);
		return 0;
	}
	*slot = (struct kms_scanout_fb){
	    .handle = handle,
	    .fb_id = fb_id,
	    .width = guest->width,
	    .height = guest->height,
	    .stride = guest->stride,
	    .format = guest->format,
	};
	return fb_id;
}

void kms_scanout_add_state(struct kms_output *output, struct kms_atomic *atomic)
{
	const struct kms_plane_props *plane = &output->overlay;
	if (!plane->id)
		return;
	if (!output->overlay_fb) {
		kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_FB_ID], 0);
		kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_ID], 0);
		return;
	}
	const pixman_box32_t *box = &output->overlay_box;
	uint64_t width = (uint64_t)(box->x2 - box->x1), height = (uint64_t)(box->y2 - box->y1);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_FB_ID], output->overlay_fb);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_ID], output->crtc.id);
	/* 1:1: the whole buffer (its size is the box's) at exactly the box. */
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_X], 0);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_Y], 0);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_W], width << 16);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_H], height << 16);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_X], (uint64_t)box->x1);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_Y], (uint64_t)box->y1);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_W], width);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_H], height);
}

/* Whether the device takes the overlay as wanted now, with primary's
 * framebuffer on the primary plane (0: the one it has). */
static bool device_accepts(struct kms_output *output, uint32_t primary_fb)
{
	struct kms_atomic atomic;
	kms_atomic_init(&atomic);
	if (primary_fb) {
		const struct kms_plane_props *plane = &output->primary;
		kms_atomic_add(&atomic, plane->id, plane->prop[KMS_PLANE_FB_ID], primary_fb);
		kms_atomic_add(&atomic, plane->id, plane->prop[KMS_PLANE_CRTC_ID], output->crtc.id);
	}
	kms_scanout_add_state(output, &atomic);
	bool accepted = kms_atomic_test(&output->backend->device, &atomic, 0);
	kms_atomic_finish(&atomic);
	return accepted;
}

/* An acquired buffer drawn for a frame that is not shown: free, and its
 * content counts for nothing (age unknown). */
static void drop_primary(struct kms_output_buffer *buffer)
{
	if (!buffer)
		return;
	buffer->state = KMS_BUFFER_FREE;
	buffer->shown_seq = 0;
}

bool kms_scanout_present(struct tsr_output *base, struct tsr_buffer *primary,
			 const pixman_region32_t *damage, struct tsr_buffer *guest,
			 const pixman_box32_t *box, char *why, size_t why_len)
{
	struct kms_output *output = (struct kms_output *)base;
	struct kms_output_buffer *buffer = primary ? kms_output_find_buffer(output, primary) : NULL;
	if (primary && (!buffer || buffer->state != KMS_BUFFER_ACQUIRED)) {
		snprintf(why, why_len, "a primary buffer not acquired from the output");
		return false;
	}
	/* Nothing is shown on a plane that is not exactly the buffer. */
	bool refused = true;
	if (!output->overlay.id)
		snprintf(why, why_len, "the CRTC has no overlay plane");
	else if (!output->modeset_done)
		snprintf(why, why_len, "the output is not set up yet");
	else if (guest->dmabuf_fd < 0 || guest->format != DRM_FORMAT_XRGB8888 ||
		 (int64_t)guest->width != (int64_t)box->x2 - box->x1 ||
		 (int64_t)guest->height != (int64_t)box->y2 - box->y1 || box->x1 < 0 ||
		 box->y1 < 0 || box->x2 > (int32_t)base->width || box->y2 > (int32_t)base->height)
		snprintf(why, why_len, "the buffer does not fit its box 1:1");
	else
		refused = false;
	uint32_t fb = refused ? 0 : guest_fb(output->backend, guest, why, why_len);
	if (!fb) {
		drop_primary(buffer);
		return false;
	}
	uint32_t before_fb = output->overlay_fb;
	pixman_box32_t before_box = output->overlay_box;
	output->overlay_fb = fb;
	output->overlay_box = *box;
	if (!device_accepts(output, buffer ? buffer->dumb->fb_id : 0)) {
		output->overlay_fb = before_fb;
		output->overlay_box = before_box;
		snprintf(why, why_len, "the TEST_ONLY commit failed");
		drop_primary(buffer);
		return false;
	}
	return kms_output_present_frame(output, buffer, why, why_len);
}

void kms_scanout_forget(struct tsr_output *base, struct tsr_buffer *buffer)
{
	struct kms_output *output = (struct kms_output *)base;
	struct kms_backend *backend = output->backend;
	int fd = backend->device.fd;
	uint32_t handle = 0;
	if (buffer->dmabuf_fd < 0 || backend->device.gone ||
	    drmPrimeFDToHandle(fd, buffer->dmabuf_fd, &handle) != 0 || handle == 0)
		return;
	/* Not imported before: the lookup imported it; close that. */
	struct kms_scanout_fb *known = find_fb(backend, handle);
	if (known) {
		drmModeRmFB(fd, known->fb_id);
		*known = (struct kms_scanout_fb){0};
	}
	close_handle(fd, handle);
}

void kms_scanout_forget_all(struct kms_backend *backend)
{
	for (size_t i = 0; i < KMS_SCANOUT_FBS; i++) {
		struct kms_scanout_fb *known = &backend->scanout_fbs[i];
		if (!known->handle)
			continue;
		if (backend->device.fd >= 0 && !backend->device.gone) {
			drmModeRmFB(backend->device.fd, known->fb_id);
			close_handle(backend->device.fd, known->handle);
		}
		*known = (struct kms_scanout_fb){0};
	}
}
