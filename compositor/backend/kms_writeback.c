/* Capture through a writeback connector: the CRTC's composed output is
 * written into a dumb buffer, then to a PNG. Done only while no commit is
 * in flight on the CRTC (it waits for one, deferring its frame event), so
 * frame pacing is not disturbed. */
#include <drm_fourcc.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>

#include "kms.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"

#define KMS_WRITEBACK_TIMEOUT_MS 2000

static bool wait_fence(int fence_fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fence_fd, .events = POLLIN};
	uint64_t deadline = tsr_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		uint64_t now = tsr_now_ns();
		if (now >= deadline)
			return false;
		int ready = poll(&pfd, 1, (int)((deadline - now) / 1000000ull) + 1);
		if (ready > 0)
			return true;
		if (ready < 0 && errno != EINTR)
			return false;
	}
}

static void add_writeback_job(struct kms_atomic *atomic, const struct kms_writeback *writeback,
			      uint32_t crtc_id, uint32_t fb_id, int32_t *fence_fd)
{
	const struct kms_connector_props *connector = &writeback->connector;
	kms_atomic_add(atomic, connector->id, connector->prop[KMS_CONNECTOR_CRTC_ID], crtc_id);
	kms_atomic_add(atomic, connector->id, connector->prop[KMS_CONNECTOR_WRITEBACK_FB_ID],
		       fb_id);
	kms_atomic_add(atomic, connector->id,
		       connector->prop[KMS_CONNECTOR_WRITEBACK_OUT_FENCE_PTR],
		       (uint64_t)(uintptr_t)fence_fd);
}

/* Attaches the writeback connector with a job and commits (blocking). When
 * the driver cannot clone the CRTC to the output's connector and the
 * writeback connector at once (vkms before it set possible_clones), the
 * output's connector is detached for the capture: *exclusive tells the caller
 * to put it back. */
static int commit_writeback_job(struct kms_output *output, uint32_t fb_id, int32_t *fence_fd,
				bool *exclusive)
{
	struct kms_backend *backend = output->backend;
	struct kms_device *device = &backend->device;
	uint32_t flags = output->writeback_attached ? 0 : DRM_MODE_ATOMIC_ALLOW_MODESET;
	*exclusive = false;

	struct kms_atomic atomic;
	kms_atomic_init(&atomic);
	add_writeback_job(&atomic, &backend->writeback, output->crtc.id, fb_id, fence_fd);
	if (!output->writeback_attached && !kms_atomic_test(device, &atomic, flags)) {
		kms_atomic_add(&atomic, output->connector.id,
			       output->connector.prop[KMS_CONNECTOR_CRTC_ID], 0);
		*exclusive = true;
		tsr_log(TSR_LOG_DEBUG,
			"kms: %s: the writeback connector cannot clone the CRTC; capturing "
			"with the output's connector detached",
			output->base.name);
	}
	int ret =
	    kms_atomic_commit(device, &atomic, flags, NULL, "writeback capture", output->base.name);
	kms_atomic_finish(&atomic);
	if (ret == 0 && !*exclusive)
		output->writeback_attached = true;
	return ret;
}

/* Gives the CRTC back to the output's connector after an exclusive capture. */
static bool reattach_output(struct kms_output *output)
{
	struct kms_backend *backend = output->backend;
	const struct kms_connector_props *writeback = &backend->writeback.connector;
	struct kms_atomic atomic;
	kms_atomic_init(&atomic);
	kms_atomic_add(&atomic, writeback->id, writeback->prop[KMS_CONNECTOR_CRTC_ID], 0);
	kms_atomic_add(&atomic, output->connector.id, output->connector.prop[KMS_CONNECTOR_CRTC_ID],
		       output->crtc.id);
	int ret = kms_atomic_commit(&backend->device, &atomic, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL,
				    "reattach after capture", output->base.name);
	kms_atomic_finish(&atomic);
	return ret == 0;
}

struct tsr_buffer *kms_writeback_capture(struct tsr_output *base, char *err, size_t err_len)
{
	struct kms_output *output = (struct kms_output *)base;
	struct kms_backend *backend = output->backend;
	struct kms_writeback *writeback = &backend->writeback;
	if (!backend->has_writeback || !(writeback->possible_crtcs & (1u << output->crtc_index))) {
		snprintf(err, err_len, "no writeback connector");
		return NULL;
	}
	if (writeback->user && writeback->user != output) {
		snprintf(err, err_len, "the writeback connector is in use by %s",
			 writeback->user->base.name);
		return NULL;
	}
	if (!output->modeset_done) {
		snprintf(err, err_len, "%s shows nothing yet", base->name);
		return NULL;
	}

	struct kms_dumb *dumb =
	    kms_dumb_create(backend->device.fd, base->width, base->height, DRM_FORMAT_XRGB8888);
	if (!dumb) {
		snprintf(err, err_len, "cannot allocate the writeback buffer");
		return NULL;
	}

	bool ok = false, exclusive = false;
	struct tsr_buffer *image = NULL;
	int32_t fence_fd = -1;
	output->capturing = true;
	if (!kms_output_wait_idle(output, KMS_WRITEBACK_TIMEOUT_MS)) {
		snprintf(err, err_len, "the commit in flight on %s did not complete", base->name);
		goto out;
	}
	int ret = commit_writeback_job(output, dumb->fb_id, &fence_fd, &exclusive);
	if (ret != 0) {
		snprintf(err, err_len, "writeback commit failed: %s", strerror(-ret));
		goto out;
	}
	if (output->writeback_attached)
		writeback->user = output;
	if (fence_fd < 0) {
		snprintf(err, err_len, "the kernel returned no writeback fence");
		goto out;
	}
	if (!wait_fence(fence_fd, KMS_WRITEBACK_TIMEOUT_MS)) {
		snprintf(err, err_len, "timed out waiting for the writeback fence");
		goto out;
	}
	/* Copied out here: the dumb buffer belongs to the device, which a GPU
	 * handoff may close while the file is still being written. */
	image = tsr_buffer_copy_memory(&dumb->base);
	ok = image != NULL;
	if (!ok)
		snprintf(err, err_len, "out of memory for a %ux%u capture", base->width,
			 base->height);

out:
	if (exclusive && !reattach_output(output)) {
		snprintf(err, err_len, "cannot give the CRTC back to %s after the capture",
			 base->name);
		ok = false;
	}
	if (fence_fd >= 0)
		close(fence_fd);
	tsr_buffer_destroy(&dumb->base);
	output->capturing = false;
	/* Frame events and presents held back meanwhile go out from the loop. */
	tsr_event_source_timer_update(output->deferred_timer, 1);
	if (!ok) {
		tsr_buffer_destroy(image);
		return NULL;
	}
	return image;
}

void kms_writeback_add_restore(struct kms_output *output, struct kms_atomic *atomic)
{
	struct kms_writeback *writeback = &output->backend->writeback;
	if (!output->writeback_attached)
		return;
	const struct kms_connector_props *connector = &writeback->connector;
	kms_atomic_add(atomic, connector->id, connector->prop[KMS_CONNECTOR_CRTC_ID],
		       connector->saved[KMS_CONNECTOR_CRTC_ID]);
}
