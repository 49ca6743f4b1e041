/* Atomic requests with a sticky error flag (as in wlroots): adds never need
 * checking, the commit refuses a request that had any failed add. */
#include <errno.h>
#include <string.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms.h"
#include "tessera/log.h"

void kms_atomic_init(struct kms_atomic *atomic)
{
	atomic->req = drmModeAtomicAlloc();
	atomic->failed = atomic->req == NULL;
}

void kms_atomic_add(struct kms_atomic *atomic, uint32_t object_id, uint32_t prop_id, uint64_t value)
{
	if (atomic->failed)
		return;
	/* A property id of 0 means the object lacks a property we need. */
	if (object_id == 0 || prop_id == 0 ||
	    drmModeAtomicAddProperty(atomic->req, object_id, prop_id, value) < 0)
		atomic->failed = true;
}

int kms_atomic_commit(struct kms_device *device, struct kms_atomic *atomic, uint32_t flags,
		      void *user_data, const char *what, const char *output_name)
{
	if (atomic->failed) {
		tsr_log(TSR_LOG_ERROR, "kms: %s: %s: could not build the atomic request",
			output_name, what);
		return -EINVAL;
	}
	device->commit_count++;
	int ret;
	/* Test hook (kms_backend_inject_commit_failure, called only by tests):
	 * the Nth commit fails as if the kernel returned EINVAL. It never
	 * touches the kernel state. */
	if (device->inject_failure_at != 0 && device->commit_count == device->inject_failure_at) {
		ret = -EINVAL;
	} else {
		ret = drmModeAtomicCommit(device->fd, atomic->req, flags, user_data);
		if (ret != 0)
			ret = -errno;
		if (ret == 0)
			return 0;
	}
	/* EBUSY is expected now and then (the caller retries); anything else is
	 * a real failure worth an error line. */
	tsr_log(ret == -EBUSY ? TSR_LOG_DEBUG : TSR_LOG_ERROR,
		"kms: %s: %s commit failed: %s (errno %d)%s", output_name, what, strerror(-ret),
		-ret,
		device->inject_failure_at == device->commit_count ? " [injected for tests]" : "");
	return ret;
}

bool kms_atomic_test(struct kms_device *device, struct kms_atomic *atomic, uint32_t flags)
{
	return !atomic->failed && drmModeAtomicCommit(device->fd, atomic->req,
						      flags | DRM_MODE_ATOMIC_TEST_ONLY, NULL) == 0;
}

void kms_atomic_finish(struct kms_atomic *atomic)
{
	drmModeAtomicFree(atomic->req);
	atomic->req = NULL;
}
