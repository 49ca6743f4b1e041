/* Output backends (headless, KMS) and their outputs. The compositor core
 * only sees these function tables; backends never see the scene. */
#ifndef TESSERA_OUTPUT_H
#define TESSERA_OUTPUT_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/buffer.h"
#include "tessera/config.h"

struct tsr_event_loop;
struct tsr_output;
struct tsr_backend;

struct tsr_output_impl {
	/* A buffer to draw the next frame into. *age is how many frames ago
	 * its content was last presented (1 = the current front buffer's
	 * content is in it... i.e. it was the previous frame), 0 if unknown:
	 * then the whole output must be drawn. NULL when none is free. */
	struct tsr_buffer *(*acquire)(struct tsr_output *output, int *age);
	/* Shows buffer. damage (output coordinates) may let the backend skip
	 * work. Completion is signalled through listener.frame. On failure
	 * the buffer goes back to the free pool and false is returned. */
	bool (*present)(struct tsr_output *output, struct tsr_buffer *buffer,
			const pixman_region32_t *damage);
	/* A copy of what the output shows, in a new memory buffer the caller
	 * destroys (KMS: through a writeback connector when there is one), or
	 * NULL with err. Optional: NULL means the compositor copies its last
	 * presented buffer instead. The caller writes the file, off the loop. */
	struct tsr_buffer *(*capture)(struct tsr_output *output, char *err, size_t err_len);
	/* Optional hardware cursor: NULL or false means draw it in software. */
	bool (*set_cursor)(struct tsr_output *output, struct tsr_buffer *image, int32_t hot_x,
			   int32_t hot_y);
	bool (*move_cursor)(struct tsr_output *output, int32_t x, int32_t y);
	/* Optional direct scanout (KMS; the headless backend has none): shows
	 * guest (a dma-buf, dmabuf_fd >= 0, opaque XRGB8888) 1:1 on a plane
	 * of its own at exactly box (output coordinates, box size = guest
	 * size; the core and core/draw_list.c decide it, never the guest),
	 * under the cursor plane, with primary (Tessera's composed buffer
	 * from acquire, or NULL to keep the one on screen) on the primary
	 * plane behind it. The backend asks the device first (KMS: an atomic
	 * TEST_ONLY commit). false with why when the device refuses it or the
	 * commit fails: nothing changed on screen, primary went back to the
	 * free pool, and the caller composes the frame instead. The next
	 * present() takes the guest plane off again. Completion through
	 * listener.frame as for present(). */
	bool (*present_scanout)(struct tsr_output *output, struct tsr_buffer *primary,
				const pixman_region32_t *damage, struct tsr_buffer *guest,
				const pixman_box32_t *box, char *why, size_t why_len);
	/* Optional: buffer (a dma-buf the output may have imported for
	 * present_scanout) is about to be destroyed and is on no plane of it:
	 * drop the import. */
	void (*forget_buffer)(struct tsr_output *output, struct tsr_buffer *buffer);
#ifdef TSR_TEST_HOOKS
	/* Optional, test builds: the next count scanout commits fail after
	 * their TEST_ONLY passed, as if the kernel said EINVAL. */
	void (*test_fail_scanout)(struct tsr_output *output, uint32_t count);
#endif
	void (*destroy)(struct tsr_output *output);
};

struct tsr_output_listener {
	/* The last presented frame is now on screen (page flip or simulated
	 * vblank); the compositor may draw the next one. */
	void (*frame)(void *data, struct tsr_output *output, uint64_t time_ns);
	/* Optional, called just before a frame event: the frame accepted by
	 * present or present_scanout was dropped after its commit failed, so
	 * the screen still shows the frame before it. */
	void (*frame_dropped)(void *data, struct tsr_output *output);
	/* The output is going away (hot-unplug, GPU handoff); called before
	 * impl->destroy. */
	void (*removed)(void *data, struct tsr_output *output);
	void *data;
};

struct tsr_output {
	const struct tsr_output_impl *impl;
	char name[32];
	uint32_t width, height;
	uint32_t refresh_mhz;
	/* Physical size of the picture in millimetres as the connector
	 * reports it (KMS: from the EDID), 0 when unknown (headless,
	 * projectors); only a hint for the derived scale, never trusted. */
	uint32_t mm_width, mm_height;
	struct tsr_output_listener listener; /* set by the compositor */
	struct tsr_buffer *last_presented;   /* for capture without writeback */
};

struct tsr_render_device;

struct tsr_backend_listener {
	void (*output_added)(void *data, struct tsr_output *output);
	/* Optional (KMS): once per card, after it is opened and before any of
	 * its outputs exists, with a render device on it (a GBM device,
	 * borrowed: take a reference to keep it) or NULL when it has none.
	 * Return true when the renderer draws into buffers of that device:
	 * the card's outputs then allocate their buffers there. Without this
	 * callback no render device is made (dumb buffers). */
	bool (*render_device)(void *data, struct tsr_render_device *device);
	void *data;
};

struct tsr_backend_impl {
	/* Creates the outputs (calling listener.output_added for each). */
	bool (*start)(struct tsr_backend *backend);
	void (*destroy)(struct tsr_backend *backend);
	/* Optional, headless only: simulated hotplug of the output of that
	 * name (one of its [output NAME] sections), for the test-hotplug
	 * command of test builds. KMS follows real hotplug (udev) instead. */
	bool (*set_connected)(struct tsr_backend *backend, const char *name, bool connected);
};

struct tsr_backend {
	const struct tsr_backend_impl *impl;
	struct tsr_backend_listener listener;
};

struct tsr_backend *tsr_backend_headless_create(struct tsr_event_loop *loop,
						const struct tsr_output_config *config,
						const struct tsr_backend_listener *listener);
struct tsr_backend *tsr_backend_kms_create(struct tsr_event_loop *loop,
					   const struct tsr_output_config *config,
					   const struct tsr_backend_listener *listener);

/* KMS over several cards: config->device is a comma list of card paths or
 * "all" (backend/kms_cards.c); NULL when no card is found. */
struct tsr_backend *tsr_backend_kms_cards_create(struct tsr_event_loop *loop,
						 const struct tsr_output_config *config,
						 const struct tsr_backend_listener *listener);

static inline void tsr_backend_destroy(struct tsr_backend *backend)
{
	if (backend)
		backend->impl->destroy(backend);
}

#endif
