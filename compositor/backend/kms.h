/* Internal interfaces of the KMS backend (libdrm atomic). Split by concern:
 * kms_device.c (card, caps, master, properties), kms_atomic.c (requests),
 * kms_dumb.c (dumb buffers as tsr_buffers), kms_output.c (outputs, pacing),
 * kms_cursor.c, kms_writeback.c, kms_scanout.c (guest dma-bufs on the
 * overlay plane), kms_backend.c (the tsr_backend of one
 * card), kms_cards.c (several cards) and kms_hotplug.c (udev events). */
#ifndef TESSERA_BACKEND_KMS_H
#define TESSERA_BACKEND_KMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pixman.h>
#include <xf86drmMode.h>

#include "tessera/buffer.h"
#include "tessera/config.h"
#include "tessera/output.h"
#include "tessera/render_device.h"

struct tsr_event_loop;
struct tsr_event_source;

#define KMS_MAX_OUTPUTS 8u
#define KMS_CURSOR_SIZE 64u
/* Imported guest dma-bufs with a framebuffer, per card (kms_scanout.c). */
#define KMS_SCANOUT_FBS 16u

/* ---- properties (kms_device.c) ---- */

enum kms_connector_prop {
	KMS_CONNECTOR_CRTC_ID,
	KMS_CONNECTOR_WRITEBACK_FB_ID,
	KMS_CONNECTOR_WRITEBACK_OUT_FENCE_PTR,
	KMS_CONNECTOR_PROP_COUNT,
};

enum kms_crtc_prop {
	KMS_CRTC_ACTIVE,
	KMS_CRTC_MODE_ID,
	KMS_CRTC_PROP_COUNT,
};

enum kms_plane_prop {
	KMS_PLANE_TYPE,
	KMS_PLANE_FB_ID,
	KMS_PLANE_CRTC_ID,
	KMS_PLANE_SRC_X,
	KMS_PLANE_SRC_Y,
	KMS_PLANE_SRC_W,
	KMS_PLANE_SRC_H,
	KMS_PLANE_CRTC_X,
	KMS_PLANE_CRTC_Y,
	KMS_PLANE_CRTC_W,
	KMS_PLANE_CRTC_H,
	KMS_PLANE_PROP_COUNT,
};

/* A KMS object with the ids of the properties Tessera uses (0 = the object
 * lacks it) and their values when the backend started (for restore). */
struct kms_connector_props {
	uint32_t id;
	uint32_t prop[KMS_CONNECTOR_PROP_COUNT];
	uint64_t saved[KMS_CONNECTOR_PROP_COUNT];
};

struct kms_crtc_props {
	uint32_t id;
	uint32_t prop[KMS_CRTC_PROP_COUNT];
	uint64_t saved[KMS_CRTC_PROP_COUNT];
};

struct kms_plane_props {
	uint32_t id;
	uint32_t prop[KMS_PLANE_PROP_COUNT];
	uint64_t saved[KMS_PLANE_PROP_COUNT];
};

bool kms_read_connector_props(int fd, uint32_t id, struct kms_connector_props *out);
bool kms_read_crtc_props(int fd, uint32_t id, struct kms_crtc_props *out);
bool kms_read_plane_props(int fd, uint32_t id, struct kms_plane_props *out);

/* ---- device (kms_device.c) ---- */

struct kms_device {
	int fd;
	char path[TSR_PATH_MAX];
	bool writeback_cap;
	bool is_master;
	/* Test hook (see kms_atomic.c): commit number that fails, 0 = none.
	 * Set only through kms_backend_inject_commit_failure, never from the
	 * environment, so an installed binary has no way to turn it on. */
	uint64_t inject_failure_at;
	uint64_t commit_count;
	/* The card vanished (hot-unplug): nothing is committed, waited for or
	 * restored on it any more. */
	bool gone;
};

/* Every /dev/dri/card* with a connected connector, by name order, at most
 * max (logs when there is none). */
size_t kms_find_cards(char paths[][TSR_PATH_MAX], size_t max);

/* Opens path, or when path is "" the first /dev/dri/card* with a connected
 * connector; requires atomic KMS and dumb buffers; becomes DRM master. */
bool kms_device_open(struct kms_device *device, const char *path);
void kms_device_close(struct kms_device *device);

/* ---- atomic requests (kms_atomic.c) ---- */

/* A request with a sticky error flag: a missing property or a failed add
 * marks it failed and the commit is refused, so callers add without checks. */
struct kms_atomic {
	drmModeAtomicReq *req;
	bool failed;
};

void kms_atomic_init(struct kms_atomic *atomic);
void kms_atomic_add(struct kms_atomic *atomic, uint32_t object_id, uint32_t prop_id,
		    uint64_t value);
/* Returns 0 or a negative errno. what and output_name go into the log. */
int kms_atomic_commit(struct kms_device *device, struct kms_atomic *atomic, uint32_t flags,
		      void *user_data, const char *what, const char *output_name);
/* Asks the kernel whether the request would pass (TEST_ONLY); never logs. */
bool kms_atomic_test(struct kms_device *device, struct kms_atomic *atomic, uint32_t flags);
void kms_atomic_finish(struct kms_atomic *atomic);

/* ---- dumb buffers (kms_dumb.c) ---- */

struct kms_dumb {
	struct tsr_buffer base;
	int fd;
	uint32_t handle;
	uint32_t fb_id;
	size_t map_size;
};

/* format: DRM_FORMAT_XRGB8888 or DRM_FORMAT_ARGB8888. Mapped, zero-filled,
 * with a framebuffer. Destroy with tsr_buffer_destroy(&dumb->base). */
struct kms_dumb *kms_dumb_create(int fd, uint32_t width, uint32_t height, uint32_t format);

/* ---- GBM (kms_gbm.c, builds with GLES and libgbm) ---- */

#ifdef TSR_HAVE_GBM
/* A render device on a dup of the card's fd, one reference, its GBM
 * device opened on demand (open_gbm); NULL (logged) when the fd cannot be
 * duplicated. */
struct tsr_render_device *kms_gbm_device_create(const struct kms_device *card);
/* A linear gbm_bo (SCANOUT | RENDERING) as a kms_dumb: handle and fb_id like a
 * dumb buffer's, render_target set, mapped (its dma-buf) and zero-filled.
 * NULL (logged) when GBM or the card refuses it. */
struct kms_dumb *kms_gbm_buffer_create(struct tsr_render_device *device, int fd, uint32_t width,
				       uint32_t height, uint32_t format);
#else
static inline struct tsr_render_device *kms_gbm_device_create(const struct kms_device *card)
{
	return NULL;
}
static inline struct kms_dumb *kms_gbm_buffer_create(struct tsr_render_device *device, int fd,
						     uint32_t width, uint32_t height,
						     uint32_t format)
{
	return NULL;
}
#endif

/* ---- outputs (kms_output.c) ---- */

enum kms_buffer_state {
	KMS_BUFFER_FREE,
	KMS_BUFFER_ACQUIRED, /* handed to the compositor by acquire() */
	KMS_BUFFER_QUEUED,   /* presented, waiting for the CRTC to be free */
	KMS_BUFFER_PENDING,  /* in the commit in flight */
	KMS_BUFFER_FRONT,    /* on screen */
};

struct kms_output_buffer {
	struct kms_dumb *dumb;
	enum kms_buffer_state state;
	uint64_t shown_seq; /* output->frame_seq when it reached the screen, 0 = never */
};

struct kms_backend;

struct kms_output {
	struct tsr_output base;
	struct kms_backend *backend;

	struct kms_connector_props connector;
	struct kms_crtc_props crtc;
	struct kms_plane_props primary;
	struct kms_plane_props cursor;	/* id 0: no cursor plane */
	struct kms_plane_props overlay; /* id 0: none (no direct scanout) */
	uint32_t crtc_index;
	drmModeModeInfo mode;
	/* What the CRTC showed before Tessera (legacy view, for restore). */
	drmModeCrtc *saved_crtc;

	struct kms_output_buffer buffers[2];
	uint64_t frame_seq; /* completed buffer flips */
	bool modeset_done;
	bool commit_in_flight;
	struct kms_output_buffer *in_flight; /* NULL for a cursor-only commit */
	struct kms_output_buffer *queued;
	bool retried;	 /* the queued commit already hit EBUSY once */
	bool capturing;	 /* capture() is waiting: defer frame events */
	bool frame_owed; /* a flip completed while capturing */
	uint64_t frame_owed_ns;
	struct tsr_event_source *retry_timer;
	struct tsr_event_source *deferred_timer;

	/* Cursor plane (kms_cursor.c). */
	struct kms_dumb *cursor_buffer;
	bool cursor_visible;
	bool cursor_dirty;
	int32_t cursor_x, cursor_y, cursor_hot_x, cursor_hot_y;

	/* Writeback (kms_writeback.c): attached to our CRTC after the first capture. */
	bool writeback_attached;

	/* Frames (presents) as opposed to cursor-only commits: a frame waits
	 * (frame_queued, its primary buffer in queued or NULL to keep the one
	 * on screen) and the commit in flight is one (in_flight_frame). */
	bool frame_queued;
	bool in_flight_frame;
	/* The overlay plane (kms_scanout.c): what the next frame puts there
	 * (fb 0: off) and what the last successful commit put there. */
	uint32_t overlay_fb, overlay_committed_fb;
	pixman_box32_t overlay_box, overlay_committed_box;
	uint32_t test_scanout_failures; /* test builds: commits to fail */
};

struct kms_output *kms_output_create(struct kms_backend *backend, drmModeConnector *connector,
				     uint32_t crtc_id, uint32_t crtc_index, uint32_t primary_id,
				     uint32_t cursor_id, uint32_t overlay_id);
/* Queues or commits a frame: buffer on the primary plane (NULL: keep the
 * one on screen), the overlay as overlay_fb says. false when the commit
 * failed at once (buffer released; why says how). */
bool kms_output_present_frame(struct kms_output *output, struct kms_output_buffer *buffer,
			      char *why, size_t why_len);
/* The output's buffer whose tsr_buffer is base, or NULL. */
struct kms_output_buffer *kms_output_find_buffer(struct kms_output *output,
						 struct tsr_buffer *base);
/* Page-flip event for this output's CRTC. */
void kms_output_handle_flip(struct kms_output *output, uint64_t time_ns);
/* Commits the queued buffer and/or cursor change when no commit is in flight. */
void kms_output_flush(struct kms_output *output);
/* Waits (dispatching DRM events with frame delivery deferred) until no commit
 * is in flight; false on timeout. */
bool kms_output_wait_idle(struct kms_output *output, int timeout_ms);
/* Tells the compositor the output is going (listener.removed, the contract
 * of tessera/output.h) and clears its listener, so nothing reaches the
 * compositor about it afterwards. Idempotent. */
void kms_output_announce_removed(struct kms_output *output);
/* Announces the removal if that was not done yet, puts the CRTC, connector
 * and planes back as they were, frees the output. */
void kms_output_destroy(struct kms_output *output);

/* kms_cursor.c */
bool kms_cursor_set(struct tsr_output *output, struct tsr_buffer *image, int32_t hot_x,
		    int32_t hot_y);
bool kms_cursor_move(struct tsr_output *output, int32_t x, int32_t y);
/* Adds the cursor plane's state to a request. */
void kms_cursor_add_state(struct kms_output *output, struct kms_atomic *atomic);

/* kms_scanout.c */
struct kms_scanout_fb {
	uint32_t handle; /* 0: a free entry */
	uint32_t fb_id;
	uint32_t width, height, stride, format;
};

bool kms_scanout_present(struct tsr_output *output, struct tsr_buffer *primary,
			 const pixman_region32_t *damage, struct tsr_buffer *guest,
			 const pixman_box32_t *box, char *why, size_t why_len);
void kms_scanout_forget(struct tsr_output *output, struct tsr_buffer *buffer);
/* Adds the overlay plane's wanted state to a request. */
void kms_scanout_add_state(struct kms_output *output, struct kms_atomic *atomic);
/* Every import of the card goes (the backend is destroyed). */
void kms_scanout_forget_all(struct kms_backend *backend);

/* kms_writeback.c */
struct kms_writeback {
	struct kms_connector_props connector;
	uint32_t possible_crtcs; /* bitmask over resource CRTC indices */
	struct kms_output *user; /* output whose CRTC it is attached to */
};

/* A memory copy of what the CRTC scans out, through the writeback connector. */
struct tsr_buffer *kms_writeback_capture(struct tsr_output *output, char *err, size_t err_len);
/* Adds the detach of the writeback connector to a restore request. */
void kms_writeback_add_restore(struct kms_output *output, struct kms_atomic *atomic);

/* ---- the backend (kms_backend.c) ---- */

struct kms_backend {
	struct tsr_backend base;
	struct tsr_event_loop *loop;
	struct tsr_output_config config;
	struct kms_device device;
	struct tsr_event_source *drm_source;
	struct kms_output *outputs[KMS_MAX_OUTPUTS];
	size_t output_count;
	bool has_writeback;
	struct kms_writeback writeback;
	/* GEM handles are per card and not counted per import (importing a
	 * dma-buf the card knows returns the same handle): one handle and one
	 * framebuffer per guest buffer, dropped when the buffer goes. */
	struct kms_scanout_fb scanout_fbs[KMS_SCANOUT_FBS];
	/* The card's GBM device when the renderer draws into its buffers
	 * (listener.render_device said so): outputs then allocate gbm_bos
	 * instead of dumb buffers. NULL otherwise. */
	struct tsr_render_device *render_device;
};

/* Reads and dispatches pending DRM events. */
void kms_backend_dispatch_drm(struct kms_backend *backend);

/* The card's connectors changed (a hotplug event): a connected connector
 * without an output gets one (announced through output_added), an output
 * whose connector is no longer connected is removed; the others are not
 * touched, so they do not flicker. */
void kms_backend_reprobe(struct tsr_backend *backend);
/* The card vanished: its outputs are removed without touching the device. */
void kms_backend_card_gone(struct tsr_backend *backend);
/* The card's device path (/dev/dri/cardN). */
const char *kms_backend_path(const struct tsr_backend *backend);

/* ---- hotplug events (kms_hotplug.c) ---- */

struct kms_hotplug_listener {
	void (*card_added)(void *data, const char *devnode);
	void (*card_removed)(void *data, const char *devnode);
	void (*card_changed)(void *data, const char *devnode);
	void *data;
};

struct kms_hotplug;

/* NULL (logged) when udev cannot be watched: outputs stay as they are. */
struct kms_hotplug *kms_hotplug_create(struct tsr_event_loop *loop,
				       const struct kms_hotplug_listener *listener);
void kms_hotplug_destroy(struct kms_hotplug *hotplug);

/* For tests (tests/vm/kms_backend_test.c): the commit_number-th atomic
 * commit of the backend, counting from 1 (the modeset), fails as if the
 * kernel said EINVAL. Call before start. */
void kms_backend_inject_commit_failure(struct tsr_backend *backend, uint64_t commit_number);

#endif
