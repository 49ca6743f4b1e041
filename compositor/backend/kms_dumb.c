/* Dumb buffers (CPU-mapped scanout memory) wrapped as tsr_buffers, each with
 * a DRM framebuffer so planes and writeback connectors can use it. */
#include <drm_fourcc.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms.h"
#include "tessera/log.h"

/* Far beyond any mode a card offers; keeps every size computation small. */
#define KMS_DUMB_MAX_DIMENSION 16384u

static void dumb_destroy(struct tsr_buffer *buffer)
{
	struct kms_dumb *dumb = (struct kms_dumb *)buffer;
	if (dumb->base.data)
		munmap(dumb->base.data, dumb->map_size);
	if (dumb->fb_id)
		drmModeRmFB(dumb->fd, dumb->fb_id);
	if (dumb->handle) {
		struct drm_mode_destroy_dumb destroy = {.handle = dumb->handle};
		drmIoctl(dumb->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	}
	free(dumb);
}

static const struct tsr_buffer_impl dumb_impl = {
    .destroy = dumb_destroy,
};

struct kms_dumb *kms_dumb_create(int fd, uint32_t width, uint32_t height, uint32_t format)
{
	if (width == 0 || height == 0 || width > KMS_DUMB_MAX_DIMENSION ||
	    height > KMS_DUMB_MAX_DIMENSION ||
	    (format != DRM_FORMAT_XRGB8888 && format != DRM_FORMAT_ARGB8888))
		return NULL;

	struct kms_dumb *dumb = calloc(1, sizeof(*dumb));
	if (!dumb)
		return NULL;
	dumb->base.impl = &dumb_impl;
	dumb->base.width = width;
	dumb->base.height = height;
	dumb->base.format = format;
	dumb->base.dmabuf_fd = -1;
	dumb->fd = fd;

	struct drm_mode_create_dumb create = {.width = width, .height = height, .bpp = 32};
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0) {
		tsr_log_errno(TSR_LOG_ERROR, "kms: cannot create a %ux%u dumb buffer", width,
			      height);
		goto error;
	}
	dumb->handle = create.handle;
	dumb->base.stride = create.pitch;
	dumb->map_size = create.size;
	if (create.pitch < width * 4u || create.size / create.pitch < height) {
		tsr_log(TSR_LOG_ERROR, "kms: the kernel gave a dumb buffer too small");
		goto error;
	}

	uint32_t handles[4] = {dumb->handle}, pitches[4] = {create.pitch}, offsets[4] = {0};
	if (drmModeAddFB2(fd, width, height, format, handles, pitches, offsets, &dumb->fb_id, 0) !=
	    0) {
		tsr_log_errno(TSR_LOG_ERROR, "kms: cannot add a %ux%u framebuffer", width, height);
		goto error;
	}

	struct drm_mode_map_dumb map = {.handle = dumb->handle};
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) != 0) {
		tsr_log_errno(TSR_LOG_ERROR, "kms: cannot map a dumb buffer");
		goto error;
	}
	void *data =
	    mmap(NULL, dumb->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
	if (data == MAP_FAILED) {
		tsr_log_errno(TSR_LOG_ERROR, "kms: cannot mmap a dumb buffer");
		goto error;
	}
	dumb->base.data = data;
	memset(data, 0, dumb->map_size);
	return dumb;

error:
	dumb_destroy(&dumb->base);
	return NULL;
}
