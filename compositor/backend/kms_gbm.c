/* GBM on the KMS card: the render device the backend hands to the
 * renderer (tessera/render_device.h), and output buffers allocated as
 * gbm_bos (SCANOUT | RENDERING | LINEAR) wrapped as tsr_buffers like dumb buffers,
 * each with a framebuffer, a dma-buf the renderer imports as its colour
 * buffer, and a CPU mapping of that dma-buf (screenshots without
 * writeback, a renderer on another card, the upload/read-back path). */
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <gbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms.h"
#include "tessera/log.h"

struct kms_render_device {
	struct tsr_render_device base;
	int fd; /* a dup of the card's: the device may outlive the backend */
};

static void render_device_destroy(struct tsr_render_device *base)
{
	struct kms_render_device *device = (struct kms_render_device *)base;
	if (device->base.gbm)
		gbm_device_destroy(device->base.gbm);
	if (device->fd >= 0)
		close(device->fd);
	free(device);
}

static bool render_device_open_gbm(struct tsr_render_device *base)
{
	struct kms_render_device *device = (struct kms_render_device *)base;
	if (device->base.gbm)
		return true;
	device->base.gbm = gbm_create_device(device->fd);
	if (!device->base.gbm) {
		tsr_log(TSR_LOG_WARN, "kms: %s: no GBM device (Mesa's libgbm has no driver for it)",
			device->base.path);
		return false;
	}
	tsr_log(TSR_LOG_INFO, "kms: %s: GBM device (%s) for the renderer", device->base.path,
		gbm_device_get_backend_name(device->base.gbm));
	return true;
}

static const struct tsr_render_device_impl render_device_impl = {
    .open_gbm = render_device_open_gbm,
    .destroy = render_device_destroy,
};

struct tsr_render_device *kms_gbm_device_create(const struct kms_device *card)
{
	struct kms_render_device *device = calloc(1, sizeof(*device));
	if (!device)
		return NULL;
	device->base.impl = &render_device_impl;
	device->base.refs = 1;
	snprintf(device->base.path, sizeof(device->base.path), "%s", card->path);
	/* A dup shares the open file, so GEM handles of bos are the card's
	 * own (AddFB2 takes them) and DRM master stays one. */
	device->fd = fcntl(card->fd, F_DUPFD_CLOEXEC, 0);
	if (device->fd < 0) {
		tsr_log_errno(TSR_LOG_WARN, "kms: %s: cannot duplicate the card for GBM",
			      card->path);
		goto error;
	}
	char *render_node = drmGetRenderDeviceNameFromFd(device->fd);
	device->base.has_render_node = render_node != NULL;
	free(render_node);
	return &device->base;
error:
	render_device_destroy(&device->base);
	return NULL;
}

/* Far beyond any mode a card offers, as for dumb buffers. */
#define KMS_GBM_MAX_DIMENSION 16384u

struct kms_gbm_buffer {
	struct kms_dumb dumb; /* handle, fb_id, base: as a dumb buffer has them */
	struct gbm_bo *bo;
	struct tsr_render_target target;
};

static void gbm_buffer_destroy(struct tsr_buffer *buffer)
{
	struct kms_gbm_buffer *gbm = (struct kms_gbm_buffer *)buffer;
	if (gbm->dumb.base.data)
		munmap(gbm->dumb.base.data, gbm->dumb.map_size);
	if (gbm->dumb.fb_id)
		drmModeRmFB(gbm->dumb.fd, gbm->dumb.fb_id);
	if (gbm->target.dmabuf_fd >= 0)
		close(gbm->target.dmabuf_fd);
	if (gbm->bo)
		gbm_bo_destroy(gbm->bo);
	free(gbm);
}

static const struct tsr_buffer_impl gbm_buffer_impl = {
    .destroy = gbm_buffer_destroy,
};

struct kms_dumb *kms_gbm_buffer_create(struct tsr_render_device *device, int fd, uint32_t width,
				       uint32_t height, uint32_t format)
{
	if (!device || !device->gbm || width == 0 || height == 0 || width > KMS_GBM_MAX_DIMENSION ||
	    height > KMS_GBM_MAX_DIMENSION ||
	    (format != DRM_FORMAT_XRGB8888 && format != DRM_FORMAT_ARGB8888))
		return NULL;
	struct kms_gbm_buffer *gbm = calloc(1, sizeof(*gbm));
	if (!gbm)
		return NULL;
	gbm->dumb.base.impl = &gbm_buffer_impl;
	gbm->dumb.base.width = width;
	gbm->dumb.base.height = height;
	gbm->dumb.base.format = format;
	gbm->dumb.base.dmabuf_fd = -1; /* the guest-buffer field: not ours to offer */
	gbm->dumb.fd = fd;
	gbm->target.dmabuf_fd = -1;

	/* Linear: the CPU mapping (screenshots on cards without writeback,
	 * a renderer of another card, the read-back fallback) must see rows
	 * in order; a driver's implicit tiling would show it scrambled. */
	gbm->bo = gbm_bo_create(device->gbm, width, height, format,
				GBM_BO_USE_SCANOUT | GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR);
	if (!gbm->bo) {
		tsr_log_errno(TSR_LOG_WARN, "kms: cannot create a %ux%u GBM scan-out buffer", width,
			      height);
		goto error;
	}
	uint64_t modifier = gbm_bo_get_modifier(gbm->bo);
	/* One plane only: the renderer imports one and AddFB2 below gets one. */
	if (gbm_bo_get_plane_count(gbm->bo) != 1) {
		tsr_log(TSR_LOG_WARN, "kms: a GBM scan-out buffer has several planes");
		goto error;
	}
	gbm->dumb.handle = gbm_bo_get_handle(gbm->bo).u32;
	gbm->dumb.base.stride = gbm_bo_get_stride(gbm->bo);
	gbm->target.stride = gbm->dumb.base.stride;
	gbm->target.offset = gbm_bo_get_offset(gbm->bo, 0);
	gbm->target.modifier = modifier;
	gbm->target.device = device;
	if (gbm->dumb.base.stride < width * 4u || gbm->target.offset != 0) {
		tsr_log(TSR_LOG_WARN, "kms: a GBM scan-out buffer has an unusable layout");
		goto error;
	}

	uint32_t handles[4] = {gbm->dumb.handle}, pitches[4] = {gbm->dumb.base.stride},
		 offsets[4] = {0};
	uint64_t modifiers[4] = {modifier};
	int ret =
	    modifier == DRM_FORMAT_MOD_INVALID
		? drmModeAddFB2(fd, width, height, format, handles, pitches, offsets,
				&gbm->dumb.fb_id, 0)
		: drmModeAddFB2WithModifiers(fd, width, height, format, handles, pitches, offsets,
					     modifiers, &gbm->dumb.fb_id, DRM_MODE_FB_MODIFIERS);
	if (ret != 0) {
		tsr_log_errno(TSR_LOG_WARN, "kms: cannot add a framebuffer for a GBM buffer");
		goto error;
	}

	/* Not gbm_bo_get_fd: its dma-buf is read-only (no O_RDWR), and the
	 * CPU mapping below must be writable. */
	if (drmPrimeHandleToFD(fd, gbm->dumb.handle, DRM_CLOEXEC | DRM_RDWR,
			       &gbm->target.dmabuf_fd) != 0)
		gbm->target.dmabuf_fd = -1;
	if (gbm->target.dmabuf_fd < 0) {
		tsr_log_errno(TSR_LOG_WARN, "kms: cannot export a GBM buffer as a dma-buf");
		goto error;
	}
	/* The CPU view: the dma-buf's own mmap (every exporter of scan-out
	 * memory Tessera meets has one; gbm_bo_map would give a staging copy
	 * on some drivers, which a later read would not see). */
	gbm->dumb.map_size = (size_t)gbm->dumb.base.stride * height;
	void *data = mmap(NULL, gbm->dumb.map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  gbm->target.dmabuf_fd, 0);
	if (data == MAP_FAILED) {
		tsr_log_errno(TSR_LOG_WARN, "kms: cannot map a GBM buffer's dma-buf");
		goto error;
	}
	gbm->dumb.base.data = data;
	memset(data, 0, gbm->dumb.map_size);
	gbm->dumb.base.render_target = &gbm->target;
	return &gbm->dumb;

error:
	gbm_buffer_destroy(&gbm->dumb.base);
	return NULL;
}
