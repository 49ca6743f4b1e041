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
	void (*destroy)(struct tsr_output *output);
};

struct tsr_output_listener {
	/* The last presented frame is now on screen (page flip or simulated
	 * vblank); the compositor may draw the next one. */
	void (*frame)(void *data, struct tsr_output *output, uint64_t time_ns);
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

struct tsr_backend_listener {
	void (*output_added)(void *data, struct tsr_output *output);
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
