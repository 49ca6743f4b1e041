/* The seam between a backend that owns a display card and the renderer
 * that draws for it, wlroots style: the KMS backend opens a GBM device on
 * its card and hands it over as a render device before it creates its
 * outputs; the renderer makes its EGL display on it and draws straight
 * into the output buffers the backend allocates there. The renderer only
 * ever sees the GBM device and dma-bufs, never a KMS object. */
#ifndef TESSERA_RENDER_DEVICE_H
#define TESSERA_RENDER_DEVICE_H

#include <stdint.h>

#include "tessera/config.h"

struct gbm_device;
struct tsr_render_device;

struct tsr_render_device_impl {
	/* The last reference went: close the GBM device and its fd. */
	void (*destroy)(struct tsr_render_device *device);
};

/* Reference-counted: the backend holds one while its card is driven, a
 * renderer on it holds another for its own life, so a card unplugged
 * under a running renderer leaves nothing dangling. */
struct tsr_render_device {
	const struct tsr_render_device_impl *impl;
	struct gbm_device *gbm;
	char path[TSR_PATH_MAX]; /* the card, for logs */
	uint32_t refs;
};

static inline struct tsr_render_device *tsr_render_device_ref(struct tsr_render_device *device)
{
	if (device)
		device->refs++;
	return device;
}

static inline void tsr_render_device_unref(struct tsr_render_device *device)
{
	if (device && --device->refs == 0)
		device->impl->destroy(device);
}

/* What an output buffer allocated on a render device (KMS: a gbm_bo) offers
 * the renderer: one linear-or-modified XRGB/ARGB plane as a dma-buf. Set on
 * Tessera's own output buffers only, never on guest buffers: a software
 * driver crashes on dma-bufs of other devices (README.md, "Renderers"). */
struct tsr_render_target {
	struct tsr_render_device *device; /* borrowed: the buffer's allocator */
	int dmabuf_fd;			  /* owned by the buffer */
	uint32_t offset, stride;
	uint64_t modifier;
};

#endif
