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
	/* Opens the GBM device (device->gbm) if it is not open yet; false
	 * (logged) when Mesa has none for the card. Opening loads the card's
	 * DRI driver, so it is done only when a renderer wants it. */
	bool (*open_gbm)(struct tsr_render_device *device);
	/* The last reference went: close the GBM device and its fd. */
	void (*destroy)(struct tsr_render_device *device);
};

/* Reference-counted: the backend holds one while its card is driven, a
 * renderer on it holds another for its own life, so a card unplugged
 * under a running renderer leaves nothing dangling. */
struct tsr_render_device {
	const struct tsr_render_device_impl *impl;
	struct gbm_device *gbm;	 /* NULL until open_gbm */
	char path[TSR_PATH_MAX]; /* the card, for logs */
	/* The card has a render node (DRIVER_RENDER): a GPU Mesa may drive.
	 * Display-only cards (vkms, bochs, simpledrm) have none, and EGL on
	 * them can only be kms_swrast, a software rasteriser. */
	bool has_render_node;
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
