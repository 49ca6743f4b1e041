/* A pixel buffer the renderer can read from or draw into: guest buffers
 * (memfd or grant mappings, read-only), output buffers (dumb buffers,
 * headless memory) and text masks. */
#ifndef TESSERA_BUFFER_H
#define TESSERA_BUFFER_H

#include <stdbool.h>
#include <stdint.h>

struct tsr_buffer;
struct tsr_render_target;

struct tsr_buffer_impl {
	void (*destroy)(struct tsr_buffer *buffer);
	/* Where this kind's dmabuf_fd comes from, for `tessera-ctl stats`
	 * ("udmabuf", "gntdev"); NULL for kinds that never have one. */
	const char *dmabuf_kind;
};

struct tsr_buffer {
	const struct tsr_buffer_impl *impl;
	uint32_t width, height;
	uint32_t stride; /* bytes */
	uint32_t format; /* DRM fourcc: one of tsr_buffer_format_bpp's, or R8 for masks */
	void *data;	 /* CPU mapping of the first pixel */
	bool read_only;	 /* guest memory: never written by Tessera */
	/* A dma-buf of the same memory, or -1 (most buffers): its first byte
	 * is the first pixel (data), rows are stride apart, and it ends on a
	 * page boundary at or after the last pixel. Owned by the buffer
	 * (closed by its destroy); borrow it, e.g. to import it into a
	 * display device (drmPrimeFDToHandle) while the buffer lives. */
	int dmabuf_fd;
	/* Output buffers allocated on a render device (tessera/render_device.h)
	 * for the renderer to draw into directly; NULL on every other buffer,
	 * and never set on a guest's. */
	const struct tsr_render_target *render_target;
	/* Set by a renderer that keeps state for this buffer (an imported
	 * render target): called by tsr_buffer_destroy before the buffer goes,
	 * so the renderer can drop it. */
	void (*renderer_forget)(void *data, struct tsr_buffer *buffer);
	void *renderer_forget_data;
};

/* Bytes per pixel of a guest pixel format the renderer shows, 0 for any
 * other. Agents may use only XRGB8888 and ARGB8888 (the wire protocol's
 * tsr_format_bpp, protocol/README.md section 4); links that check their
 * own formats (the PV display, guest_link.h) also bring RGB565, RGB888 (3
 * bytes), XRGB4444, ARGB4444, XRGB1555, ARGB1555 and YUYV (2 bytes per
 * pixel, a Y per pixel and a U, V pair per two pixels). */
uint32_t tsr_buffer_format_bpp(uint32_t fourcc);
/* Whether every pixel of that format is opaque (no alpha channel). */
bool tsr_buffer_format_opaque(uint32_t fourcc);

/* A plain heap buffer (headless outputs, text masks, tests). */
struct tsr_buffer *tsr_buffer_create_memory(uint32_t width, uint32_t height, uint32_t format);
/* A heap copy of source's pixels (XRGB8888, ARGB8888 or R8); NULL on failure. */
struct tsr_buffer *tsr_buffer_copy_memory(const struct tsr_buffer *source);
void tsr_buffer_destroy(struct tsr_buffer *buffer); /* accepts NULL */

#endif
