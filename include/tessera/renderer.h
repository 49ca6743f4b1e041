/* The renderer draws into a target buffer and never touches KMS or any
 * output: backends hand it buffers, the scene's draw list
 * (core/draw_list.h) tells it what to draw.
 * Implementations: pixman (render_pixman.c) and GLES2 (render_gles.c);
 * render/renderer_select.c picks one. */
#ifndef TESSERA_RENDERER_H
#define TESSERA_RENDERER_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>

#include "tessera/buffer.h"

struct tsr_renderer;

struct tsr_renderer_impl {
	/* Starts a pass on target; every draw below is clipped to clip
	 * (output coordinates). Pixels outside clip are never written. */
	bool (*begin)(struct tsr_renderer *renderer, struct tsr_buffer *target,
		      const pixman_region32_t *clip);
	/* Solid fill; argb is premultiplied 0xAARRGGBB. */
	void (*fill)(struct tsr_renderer *renderer, const pixman_box32_t *box, uint32_t argb);
	/* Copies src (its whole extent) with its top-left at (x, y), further
	 * clipped to region. Opaque formats (XRGB, ...) are copied; ARGB and
	 * the other alpha formats blend OVER. */
	void (*blit)(struct tsr_renderer *renderer, struct tsr_buffer *src, int32_t x, int32_t y,
		     const pixman_region32_t *region);
	/* Draws all of src scaled to fill image (output coordinates) with an
	 * area-averaging filter (block averages beyond 2:1, then bilinear), or
	 * 1:1 when the sizes match, clipped to image
	 * and to region: no pixel outside image is written. Every format of
	 * tsr_buffer_format_bpp; opaque ones are copied, others blend OVER. */
	void (*blit_scaled)(struct tsr_renderer *renderer, struct tsr_buffer *src,
			    const pixman_box32_t *image, const pixman_region32_t *region);
	/* Paints argb through an R8 coverage mask placed at (x, y). */
	void (*mask)(struct tsr_renderer *renderer, struct tsr_buffer *mask, int32_t x, int32_t y,
		     uint32_t argb);
	bool (*end)(struct tsr_renderer *renderer);
	void (*destroy)(struct tsr_renderer *renderer);
};

struct tsr_renderer {
	const struct tsr_renderer_impl *impl;
	const char *name;
	/* Counters for status (renderer.readback=, renderer.direct=): bytes
	 * GLES read back from its framebuffers into CPU targets, and passes
	 * drawn straight into a GBM scan-out buffer. pixman: both 0. */
	uint64_t readback_bytes, direct_passes;
};

struct tsr_renderer *tsr_renderer_pixman_create(void);
/* GLES2 on EGL's surfaceless platform, into framebuffer objects read back
 * into the targets. NULL, with the reason in err, when EGL or GLES cannot
 * start, or the driver is a software rasteriser and !allow_software. One
 * at a time per process (they share the EGL display). Builds without
 * -Dgles have no such function. */
struct tsr_renderer *tsr_renderer_gles_create(bool allow_software, char *err, size_t err_len);
/* The same on device's GBM platform (NULL: surfaceless), holding a
 * reference to it: targets allocated on it (tsr_buffer.render_target) are
 * drawn into directly, others uploaded and read back. */
struct tsr_render_device;
struct tsr_renderer *tsr_renderer_gles_create_on(struct tsr_render_device *device,
						 bool allow_software, char *err, size_t err_len);

static inline void tsr_renderer_destroy(struct tsr_renderer *renderer)
{
	if (renderer)
		renderer->impl->destroy(renderer);
}

#endif
