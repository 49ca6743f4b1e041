/* One output per connected connector: its CRTC and primary plane, the mode,
 * two buffers (dumb, or GBM's for the GLES renderer), and the commit pacing (one commit in flight
 * per CRTC; later presents and cursor moves wait in a queue of one). */
#include <drm_fourcc.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"

/* How long to wait before retrying a commit the kernel refused with EBUSY. */
#define KMS_RETRY_DELAY_NS 4000000ull
/* How long destroy and capture wait for a commit in flight. */
#define KMS_IDLE_TIMEOUT_MS 1000

static struct kms_output *kms_output_from_base(struct tsr_output *base)
{
	return (struct kms_output *)base;
}

static void release_buffer(struct kms_output_buffer *buffer)
{
	/* Whatever the compositor drew into it never reached the screen and
	 * its old content is gone: its age is unknown from now on. */
	buffer->state = KMS_BUFFER_FREE;
	buffer->shown_seq = 0;
}

static void emit_frame(struct kms_output *output, uint64_t time_ns)
{
	if (output->base.listener.frame)
		output->base.listener.frame(output->base.listener.data, &output->base, time_ns);
}

static void add_primary_plane(struct kms_output *output, struct kms_atomic *atomic,
			      struct kms_dumb *dumb)
{
	const struct kms_plane_props *plane = &output->primary;
	uint32_t width = output->base.width, height = output->base.height;
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_FB_ID], dumb->fb_id);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_ID], output->crtc.id);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_X], 0);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_Y], 0);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_W], (uint64_t)width << 16);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_SRC_H], (uint64_t)height << 16);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_X], 0);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_Y], 0);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_W], width);
	kms_atomic_add(atomic, plane->id, plane->prop[KMS_PLANE_CRTC_H], height);
}

static bool overlay_changes(const struct kms_output *output)
{
	return output->overlay_fb != output->overlay_committed_fb ||
	       (output->overlay_fb && memcmp(&output->overlay_box, &output->overlay_committed_box,
					     sizeof(output->overlay_box)) != 0);
}

/* Commits a frame (frame: buffer on the primary plane or NULL to keep it,
 * and the overlay) or only the cursor, as a non-blocking flip with an
 * event; the first commit also sets the mode. Returns 0 or -errno. */
static int output_commit(struct kms_output *output, struct kms_output_buffer *buffer, bool frame)
{
	struct kms_device *device = &output->backend->device;
	uint32_t flags = DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_ATOMIC_NONBLOCK;
	uint32_t mode_blob = 0;
	struct kms_atomic atomic;
	kms_atomic_init(&atomic);

	if (!output->modeset_done) {
		if (drmModeCreatePropertyBlob(device->fd, &output->mode, sizeof(output->mode),
					      &mode_blob) != 0) {
			tsr_log_errno(TSR_LOG_ERROR, "kms: %s: cannot create the mode blob",
				      output->base.name);
			atomic.failed = true;
		}
		kms_atomic_add(&atomic, output->connector.id,
			       output->connector.prop[KMS_CONNECTOR_CRTC_ID], output->crtc.id);
		kms_atomic_add(&atomic, output->crtc.id, output->crtc.prop[KMS_CRTC_MODE_ID],
			       mode_blob);
		kms_atomic_add(&atomic, output->crtc.id, output->crtc.prop[KMS_CRTC_ACTIVE], 1);
		flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
	}
	if (buffer)
		add_primary_plane(output, &atomic, buffer->dumb);
	bool overlay = frame && overlay_changes(output);
	if (overlay)
		kms_scanout_add_state(output, &atomic);
	if (output->cursor_dirty)
		kms_cursor_add_state(output, &atomic);

	int ret;
	if (frame && output->overlay_fb && output->test_scanout_failures) {
		/* Test hook (test-scanout fail N, test builds only): a scanout
		 * commit fails after its TEST_ONLY passed, as if the kernel
		 * said EINVAL; the kernel's state is not touched. */
		output->test_scanout_failures--;
		tsr_log(TSR_LOG_ERROR, "kms: %s: scanout commit failed [injected for tests]",
			output->base.name);
		ret = -EINVAL;
	} else {
		/* The backend finds the output again by CRTC id in the event:
		 * an output destroyed meanwhile then cannot be reached. */
		ret = kms_atomic_commit(device, &atomic, flags, output->backend,
					output->modeset_done ? "page flip" : "modeset",
					output->base.name);
	}
	kms_atomic_finish(&atomic);
	/* After a successful commit the CRTC state holds its own reference. */
	if (mode_blob)
		drmModeDestroyPropertyBlob(device->fd, mode_blob);
	if (ret != 0)
		return ret;

	output->modeset_done = true;
	output->cursor_dirty = false;
	output->commit_in_flight = true;
	output->in_flight = buffer;
	output->in_flight_frame = frame;
	if (overlay) {
		output->overlay_committed_fb = output->overlay_fb;
		output->overlay_committed_box = output->overlay_box;
	}
	if (buffer)
		buffer->state = KMS_BUFFER_PENDING;
	return 0;
}

static void queue_frame(struct kms_output *output, struct kms_output_buffer *buffer)
{
	/* A newer frame replaces one that never reached the screen. */
	if (output->queued && output->queued != buffer)
		release_buffer(output->queued);
	output->queued = buffer;
	output->frame_queued = true;
	if (buffer)
		buffer->state = KMS_BUFFER_QUEUED;
}

/* A frame whose commit failed: the overlay stays as the screen has it. */
static void frame_failed(struct kms_output *output, struct kms_output_buffer *buffer)
{
	output->overlay_fb = output->overlay_committed_fb;
	output->overlay_box = output->overlay_committed_box;
	if (buffer)
		release_buffer(buffer);
}

void kms_output_flush(struct kms_output *output)
{
	if (output->commit_in_flight || output->capturing)
		return;
	if (!output->frame_queued && !(output->cursor_dirty && output->modeset_done))
		return;

	struct kms_output_buffer *buffer = output->queued;
	bool frame = output->frame_queued;
	output->queued = NULL;
	output->frame_queued = false;
	int ret = output_commit(output, buffer, frame);
	if (ret == 0) {
		output->retried = false;
		return;
	}
	if (ret == -EBUSY && !output->retried) {
		output->retried = true;
		if (frame)
			queue_frame(output, buffer);
		tsr_event_source_timer_update(output->retry_timer, KMS_RETRY_DELAY_NS);
		return;
	}
	output->retried = false;
	if (!frame) {
		/* Give up on this cursor update rather than retry forever. */
		output->cursor_dirty = false;
		return;
	}
	/* present() already said yes: drop the frame but keep the compositor's
	 * pacing going, or it would wait for a frame event forever. */
	tsr_log(TSR_LOG_ERROR, "kms: %s: dropped a frame after a failed commit", output->base.name);
	frame_failed(output, buffer);
	if (output->base.listener.frame_dropped)
		output->base.listener.frame_dropped(output->base.listener.data, &output->base);
	emit_frame(output, tsr_now_ns());
}

static void retry_timer_fired(void *data)
{
	kms_output_flush(data);
}

static void deferred_timer_fired(void *data)
{
	struct kms_output *output = data;
	kms_output_flush(output);
	if (output->frame_owed) {
		output->frame_owed = false;
		emit_frame(output, output->frame_owed_ns);
	}
}

void kms_output_handle_flip(struct kms_output *output, uint64_t time_ns)
{
	if (!output->commit_in_flight)
		return;
	output->commit_in_flight = false;
	struct kms_output_buffer *shown = output->in_flight;
	bool frame = output->in_flight_frame;
	output->in_flight = NULL;
	output->in_flight_frame = false;
	if (shown) {
		for (size_t i = 0; i < 2; i++) {
			if (output->buffers[i].state == KMS_BUFFER_FRONT)
				output->buffers[i].state = KMS_BUFFER_FREE;
		}
		shown->state = KMS_BUFFER_FRONT;
		output->frame_seq++;
		shown->shown_seq = output->frame_seq;
		output->base.last_presented = &shown->dumb->base;
	}
	if (output->capturing) {
		/* capture() or destroy() is waiting: deliver later, from the loop. */
		if (frame) {
			output->frame_owed = true;
			output->frame_owed_ns = time_ns;
		}
		return;
	}
	kms_output_flush(output);
	if (frame)
		emit_frame(output, time_ns);
}

bool kms_output_wait_idle(struct kms_output *output, int timeout_ms)
{
	uint64_t deadline = tsr_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (output->commit_in_flight) {
		uint64_t now = tsr_now_ns();
		if (now >= deadline) {
			tsr_log(TSR_LOG_ERROR, "kms: %s: the commit in flight never completed",
				output->base.name);
			return false;
		}
		struct pollfd pfd = {.fd = output->backend->device.fd, .events = POLLIN};
		int ready = poll(&pfd, 1, (int)((deadline - now) / 1000000ull) + 1);
		if (ready < 0 && errno != EINTR)
			return false;
		if (ready > 0)
			kms_backend_dispatch_drm(output->backend);
	}
	return true;
}

struct kms_output_buffer *kms_output_find_buffer(struct kms_output *output, struct tsr_buffer *base)
{
	for (size_t i = 0; i < 2; i++) {
		if (&output->buffers[i].dumb->base == base)
			return &output->buffers[i];
	}
	return NULL;
}

static struct tsr_buffer *output_acquire(struct tsr_output *base, int *age)
{
	struct kms_output *output = kms_output_from_base(base);
	struct kms_output_buffer *best = NULL;
	for (size_t i = 0; i < 2; i++) {
		struct kms_output_buffer *buffer = &output->buffers[i];
		/* An acquired buffer that was never presented may be handed out
		 * again; it then counts as garbage. */
		if (buffer->state == KMS_BUFFER_ACQUIRED)
			buffer->shown_seq = 0;
		if (buffer->state != KMS_BUFFER_FREE && buffer->state != KMS_BUFFER_ACQUIRED)
			continue;
		if (!best || buffer->shown_seq > best->shown_seq)
			best = buffer;
	}
	if (!best) {
		*age = 0;
		return NULL;
	}
	best->state = KMS_BUFFER_ACQUIRED;
	*age = best->shown_seq ? (int)(output->frame_seq - best->shown_seq + 1) : 0;
	return &best->dumb->base;
}

static bool output_present(struct tsr_output *base, struct tsr_buffer *tsr_buffer,
			   const pixman_region32_t *damage)
{
	struct kms_output *output = kms_output_from_base(base);
	struct kms_output_buffer *buffer = kms_output_find_buffer(output, tsr_buffer);
	if (!buffer || buffer->state != KMS_BUFFER_ACQUIRED) {
		tsr_log(TSR_LOG_ERROR, "kms: %s: present of a buffer not acquired from it",
			base->name);
		return false;
	}
	/* A composed frame shows no guest plane. */
	output->overlay_fb = 0;
	char why[96];
	return kms_output_present_frame(output, buffer, why, sizeof(why));
}

bool kms_output_present_frame(struct kms_output *output, struct kms_output_buffer *buffer,
			      char *why, size_t why_len)
{
	if (output->commit_in_flight || output->capturing || output->frame_queued) {
		queue_frame(output, buffer);
		return true;
	}
	int ret = output_commit(output, buffer, true);
	if (ret == 0)
		return true;
	if (ret == -EBUSY) {
		output->retried = true;
		queue_frame(output, buffer);
		tsr_event_source_timer_update(output->retry_timer, KMS_RETRY_DELAY_NS);
		return true;
	}
	snprintf(why, why_len, "the commit failed (%s)", strerror(-ret));
	frame_failed(output, buffer);
	return false;
}

/* Puts the objects Tessera changed back to their values at start. */
static void restore_state(struct kms_output *output)
{
	struct kms_device *device = &output->backend->device;
	uint32_t mode_blob = 0;
	struct kms_atomic atomic;
	kms_atomic_init(&atomic);

	/* The blob that held the old mode died with our first modeset: make a
	 * new one from the legacy view of the CRTC. */
	bool had_mode = output->saved_crtc && output->saved_crtc->mode_valid &&
			output->crtc.saved[KMS_CRTC_ACTIVE];
	if (had_mode &&
	    drmModeCreatePropertyBlob(device->fd, &output->saved_crtc->mode,
				      sizeof(output->saved_crtc->mode), &mode_blob) != 0)
		atomic.failed = true;
	kms_atomic_add(&atomic, output->connector.id, output->connector.prop[KMS_CONNECTOR_CRTC_ID],
		       output->connector.saved[KMS_CONNECTOR_CRTC_ID]);
	kms_atomic_add(&atomic, output->crtc.id, output->crtc.prop[KMS_CRTC_MODE_ID], mode_blob);
	kms_atomic_add(&atomic, output->crtc.id, output->crtc.prop[KMS_CRTC_ACTIVE],
		       output->crtc.saved[KMS_CRTC_ACTIVE]);
	for (int prop = KMS_PLANE_FB_ID; prop < KMS_PLANE_PROP_COUNT; prop++) {
		kms_atomic_add(&atomic, output->primary.id, output->primary.prop[prop],
			       output->primary.saved[prop]);
		if (output->cursor.id)
			kms_atomic_add(&atomic, output->cursor.id, output->cursor.prop[prop],
				       output->cursor.saved[prop]);
		if (output->overlay.id)
			kms_atomic_add(&atomic, output->overlay.id, output->overlay.prop[prop],
				       output->overlay.saved[prop]);
	}
	kms_writeback_add_restore(output, &atomic);

	int ret = kms_atomic_commit(device, &atomic, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL, "restore",
				    output->base.name);
	kms_atomic_finish(&atomic);
	if (mode_blob)
		drmModeDestroyPropertyBlob(device->fd, mode_blob);
	if (ret == 0)
		return;

	/* Fall back to the legacy call: good enough to give the screen back. */
	tsr_log(TSR_LOG_WARN, "kms: %s: atomic restore failed, trying the legacy path",
		output->base.name);
	if (had_mode) {
		uint32_t connector_id = output->connector.id;
		bool was_ours = output->connector.saved[KMS_CONNECTOR_CRTC_ID] == output->crtc.id;
		ret = drmModeSetCrtc(device->fd, output->crtc.id, output->saved_crtc->buffer_id,
				     output->saved_crtc->x, output->saved_crtc->y, &connector_id,
				     was_ours ? 1 : 0, &output->saved_crtc->mode);
	} else {
		ret = drmModeSetCrtc(device->fd, output->crtc.id, 0, 0, 0, NULL, 0, NULL);
	}
	if (ret != 0)
		tsr_log_errno(TSR_LOG_ERROR, "kms: %s: cannot restore the CRTC", output->base.name);
}

void kms_output_announce_removed(struct kms_output *output)
{
	struct tsr_output_listener listener = output->base.listener;
	output->base.listener = (struct tsr_output_listener){0};
	if (listener.removed)
		listener.removed(listener.data, &output->base);
}

void kms_output_destroy(struct kms_output *output)
{
	if (!output)
		return;
	struct kms_backend *backend = output->backend;
	kms_output_announce_removed(output);
	/* No frame events from here on; the flip in flight must land before
	 * the restore commit, or the kernel refuses it with EBUSY. The output
	 * stays in the backend's list until then: the flip handler finds it
	 * there (removed first, every destroy waited out the full timeout). */
	output->capturing = true;
	bool gone = backend->device.gone; /* a vanished card answers nothing */
	if (output->commit_in_flight && !gone)
		kms_output_wait_idle(output, KMS_IDLE_TIMEOUT_MS);
	for (size_t i = 0; i < backend->output_count; i++) {
		if (backend->outputs[i] == output) {
			backend->outputs[i] = backend->outputs[--backend->output_count];
			break;
		}
	}
	if (backend->writeback.user == output)
		backend->writeback.user = NULL;
	if (!gone && (output->modeset_done || output->writeback_attached))
		restore_state(output);

	tsr_event_source_remove(output->retry_timer);
	tsr_event_source_remove(output->deferred_timer);
	for (size_t i = 0; i < 2; i++) {
		if (output->buffers[i].dumb)
			tsr_buffer_destroy(&output->buffers[i].dumb->base);
	}
	if (output->cursor_buffer)
		tsr_buffer_destroy(&output->cursor_buffer->base);
	drmModeFreeCrtc(output->saved_crtc);
	free(output);
}

static void output_impl_destroy(struct tsr_output *base)
{
	kms_output_destroy(kms_output_from_base(base));
}

#ifdef TSR_TEST_HOOKS
static void test_fail_scanout(struct tsr_output *base, uint32_t count)
{
	kms_output_from_base(base)->test_scanout_failures = count;
}
#endif

static const struct tsr_output_impl kms_output_impl = {
    .acquire = output_acquire,
    .present = output_present,
    .capture = kms_writeback_capture,
    .set_cursor = kms_cursor_set,
    .move_cursor = kms_cursor_move,
    .present_scanout = kms_scanout_present,
    .forget_buffer = kms_scanout_forget,
#ifdef TSR_TEST_HOOKS
    .test_fail_scanout = test_fail_scanout,
#endif
    .destroy = output_impl_destroy,
};

static const drmModeModeInfo *choose_mode(const drmModeConnector *connector,
					  const struct tsr_output_config *config, const char *name)
{
	/* The connector's [output NAME] mode, else the [output] size. */
	const struct tsr_output_head_config *head = tsr_config_find_head(config, name);
	uint32_t width = head && head->width ? head->width : config->width;
	uint32_t height = head && head->width ? head->height : config->height;
	const drmModeModeInfo *preferred = NULL, *exact = NULL;
	for (int i = 0; i < connector->count_modes; i++) {
		const drmModeModeInfo *mode = &connector->modes[i];
		if (!preferred && (mode->type & DRM_MODE_TYPE_PREFERRED))
			preferred = mode;
		if (width && mode->hdisplay == width && mode->vdisplay == height &&
		    (!exact || (mode->type & DRM_MODE_TYPE_PREFERRED)))
			exact = mode;
	}
	if (!preferred && connector->count_modes > 0)
		preferred = &connector->modes[0];
	if (width == 0)
		return preferred;
	if (!exact)
		tsr_log(TSR_LOG_WARN, "kms: %s has no %ux%u mode; using its preferred mode", name,
			width, height);
	return exact ? exact : preferred;
}

static bool has_plane_props(const struct kms_plane_props *plane)
{
	for (int prop = 0; prop < KMS_PLANE_PROP_COUNT; prop++) {
		if (!plane->prop[prop])
			return false;
	}
	return true;
}

/* The output's two buffers: gbm_bos when the renderer draws into the
 * card's GBM buffers (kms_gbm.c), else (or when GBM refuses them) dumb
 * buffers. Both kinds are kms_dumbs, so nothing else here tells them apart. */
static bool create_buffers(struct kms_output *output)
{
	int fd = output->backend->device.fd;
	struct tsr_render_device *device = output->backend->render_device;
	for (size_t i = 0; device && i < 2; i++) {
		output->buffers[i].dumb = kms_gbm_buffer_create(
		    device, fd, output->base.width, output->base.height, DRM_FORMAT_XRGB8888);
		if (!output->buffers[i].dumb) {
			tsr_log(TSR_LOG_WARN, "kms: %s: dumb buffers instead of GBM buffers",
				output->base.name);
			for (size_t j = 0; j < i; j++) {
				tsr_buffer_destroy(&output->buffers[j].dumb->base);
				output->buffers[j].dumb = NULL;
			}
			break;
		}
	}
	for (size_t i = 0; i < 2 && !output->buffers[i].dumb; i++) {
		output->buffers[i].dumb = kms_dumb_create(fd, output->base.width,
							  output->base.height, DRM_FORMAT_XRGB8888);
		if (!output->buffers[i].dumb)
			return false;
	}
	return true;
}

struct kms_output *kms_output_create(struct kms_backend *backend, drmModeConnector *connector,
				     uint32_t crtc_id, uint32_t crtc_index, uint32_t primary_id,
				     uint32_t cursor_id, uint32_t overlay_id)
{
	int fd = backend->device.fd;
	struct kms_output *output = calloc(1, sizeof(*output));
	if (!output)
		return NULL;
	output->backend = backend;
	output->base.impl = &kms_output_impl;
	output->crtc_index = crtc_index;
	const char *type_name = drmModeGetConnectorTypeName(connector->connector_type);
	snprintf(output->base.name, sizeof(output->base.name), "%.12s%s-%u",
		 backend->config.name_prefix, type_name ? type_name : "Unknown",
		 connector->connector_type_id);

	const drmModeModeInfo *mode = choose_mode(connector, &backend->config, output->base.name);
	if (!mode) {
		tsr_log(TSR_LOG_ERROR, "kms: %s has no modes", output->base.name);
		goto error;
	}
	output->mode = *mode;
	output->base.width = mode->hdisplay;
	output->base.height = mode->vdisplay;
	uint64_t total = (uint64_t)mode->htotal * mode->vtotal;
	output->base.refresh_mhz =
	    total ? (uint32_t)((uint64_t)mode->clock * 1000000ull / total) : 60000;
	output->base.mm_width = connector->mmWidth;
	output->base.mm_height = connector->mmHeight;

	if (!kms_read_connector_props(fd, connector->connector_id, &output->connector) ||
	    !kms_read_crtc_props(fd, crtc_id, &output->crtc) ||
	    !kms_read_plane_props(fd, primary_id, &output->primary) ||
	    (cursor_id && !kms_read_plane_props(fd, cursor_id, &output->cursor)) ||
	    (overlay_id && !kms_read_plane_props(fd, overlay_id, &output->overlay))) {
		tsr_log_errno(TSR_LOG_ERROR, "kms: %s: cannot read KMS properties",
			      output->base.name);
		goto error;
	}
	if (!output->connector.prop[KMS_CONNECTOR_CRTC_ID] || !output->crtc.prop[KMS_CRTC_ACTIVE] ||
	    !output->crtc.prop[KMS_CRTC_MODE_ID] || !has_plane_props(&output->primary)) {
		tsr_log(TSR_LOG_ERROR, "kms: %s: the driver lacks atomic properties",
			output->base.name);
		goto error;
	}
	if (cursor_id && !has_plane_props(&output->cursor))
		memset(&output->cursor, 0, sizeof(output->cursor));
	if (overlay_id && !has_plane_props(&output->overlay))
		memset(&output->overlay, 0, sizeof(output->overlay));
	output->saved_crtc = drmModeGetCrtc(fd, crtc_id);

	if (!create_buffers(output))
		goto error;
	output->retry_timer = tsr_event_loop_add_timer(backend->loop, retry_timer_fired, output);
	output->deferred_timer =
	    tsr_event_loop_add_timer(backend->loop, deferred_timer_fired, output);
	if (!output->retry_timer || !output->deferred_timer)
		goto error;

	tsr_log(TSR_LOG_INFO, "kms: output %s: %ux%u@%u.%03u Hz, CRTC %u, primary plane %u%s%s",
		output->base.name, output->base.width, output->base.height,
		output->base.refresh_mhz / 1000, output->base.refresh_mhz % 1000, crtc_id,
		primary_id, output->cursor.id ? ", cursor plane" : "",
		output->overlay.id ? ", overlay plane" : "");
	return output;

error:
	tsr_event_source_remove(output->retry_timer);
	tsr_event_source_remove(output->deferred_timer);
	for (size_t i = 0; i < 2; i++) {
		if (output->buffers[i].dumb)
			tsr_buffer_destroy(&output->buffers[i].dumb->base);
	}
	drmModeFreeCrtc(output->saved_crtc);
	free(output);
	return NULL;
}
