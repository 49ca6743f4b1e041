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
#include "tessera/image.h"
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

bool kms_writeback_capture(struct tsr_output *base, const char *png_path, char *err,
			   size_t err_len)
{
	struct kms_output *output = (struct kms_output *)base;
	struct kms_backend *backend = output->backend;
	struct kms_writeback *writeback = &backend->writeback;
	if (!backend->has_writeback || !(writeback->possible_crtcs & (1u << output->crtc_index))) {
		snprintf(err, err_len, "no writeback connector");
		return false;
	}
	if (writeback->user && writeback->user != output) {
		snprintf(err, err_len, "the writeback connector is in use by %s",
			 writeback->user->base.name);
		return false;
	}
	if (!output->modeset_done) {
		snprintf(err, err_len, "%s shows nothing yet", base->name);
		return false;
	}

	struct kms_device *device = &backend->device;
	struct kms_dumb *dumb =
		kms_dumb_create(device->fd, base->width, base->height, DRM_FORMAT_XRGB8888);
	if (!dumb) {
		snprintf(err, err_len, "cannot allocate the writeback buffer");
		return false;
	}

	bool ok = false;
	int32_t fence_fd = -1;
	output->capturing = true;
	if (!kms_output_wait_idle(output, KMS_WRITEBACK_TIMEOUT_MS)) {
		snprintf(err, err_len, "the commit in flight on %s did not complete", base->name);
		goto out;
	}

	struct kms_atomic atomic;
	kms_atomic_init(&atomic);
	const struct kms_connector_props *connector = &writeback->connector;
	kms_atomic_add(&atomic, connector->id, connector->prop[KMS_CONNECTOR_CRTC_ID],
		       output->crtc.id);
	kms_atomic_add(&atomic, connector->id, connector->prop[KMS_CONNECTOR_WRITEBACK_FB_ID],
		       dumb->fb_id);
	kms_atomic_add(&atomic, connector->id,
		       connector->prop[KMS_CONNECTOR_WRITEBACK_OUT_FENCE_PTR],
		       (uint64_t)(uintptr_t)&fence_fd);
	/* Attaching the connector to the CRTC is a modeset; once attached it
	 * stays so (until destroy), and later captures are plain commits. */
	uint32_t flags = output->writeback_attached ? 0 : DRM_MODE_ATOMIC_ALLOW_MODESET;
	int ret = kms_atomic_commit(device, &atomic, flags, NULL, "writeback capture",
				    base->name);
	kms_atomic_finish(&atomic);
	if (ret != 0) {
		snprintf(err, err_len, "writeback commit failed: %s", strerror(-ret));
		goto out;
	}
	output->writeback_attached = true;
	writeback->user = output;
	if (fence_fd < 0) {
		snprintf(err, err_len, "the kernel returned no writeback fence");
		goto out;
	}
	if (!wait_fence(fence_fd, KMS_WRITEBACK_TIMEOUT_MS)) {
		snprintf(err, err_len, "timed out waiting for the writeback fence");
		goto out;
	}
	ok = tsr_png_write(png_path, &dumb->base, err, err_len);

out:
	if (fence_fd >= 0)
		close(fence_fd);
	tsr_buffer_destroy(&dumb->base);
	output->capturing = false;
	/* Frame events and presents held back meanwhile go out from the loop. */
	tsr_event_source_timer_update(output->deferred_timer, 1);
	return ok;
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
