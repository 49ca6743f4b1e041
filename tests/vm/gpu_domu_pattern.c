/* Runs inside the passthrough domU of tests/vm/gpu-xen.sh (linked
 * statically: the domU has only busybox): on the card the guest's own
 * bochs-drm made of the GPU Tessera handed over, modesets the first
 * connected connector's preferred mode with a dumb buffer holding the
 * pattern of gpu_xen_pattern.h, checks with GETCRTC that the CRTC scans
 * out that framebuffer in that mode, says so on stdout (the domU console,
 * which dom0 reads) and keeps the mode until it is killed. dom0 then
 * compares QEMU's screendump of the device with the same pattern.
 *
 *   gpu-domu-pattern /dev/dri/card0
 *
 * Exit status 1 (with the reason on stdout) if any step fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "gpu_xen_pattern.h"

#define PROGRAM "gpu-domu-pattern"

struct target {
	uint32_t connector_id, crtc_id;
	drmModeModeInfo mode;
};

static const drmModeModeInfo *preferred_mode(const drmModeConnector *connector)
{
	for (int i = 0; i < connector->count_modes; i++) {
		if (connector->modes[i].type & DRM_MODE_TYPE_PREFERRED)
			return &connector->modes[i];
	}
	return connector->count_modes > 0 ? &connector->modes[0] : NULL;
}

/* A CRTC the connector's first encoder can drive. */
static uint32_t crtc_for(int fd, const drmModeRes *resources, const drmModeConnector *connector)
{
	uint32_t encoder_id = connector->encoder_id;
	if (!encoder_id && connector->count_encoders > 0)
		encoder_id = connector->encoders[0];
	drmModeEncoder *encoder = encoder_id ? drmModeGetEncoder(fd, encoder_id) : NULL;
	if (!encoder)
		return 0;
	uint32_t crtc_id = encoder->crtc_id;
	for (int i = 0; !crtc_id && i < resources->count_crtcs && i < 32; i++) {
		if (encoder->possible_crtcs & (1u << i))
			crtc_id = resources->crtcs[i];
	}
	drmModeFreeEncoder(encoder);
	return crtc_id;
}

static bool find_target(int fd, struct target *target)
{
	drmModeRes *resources = drmModeGetResources(fd);
	if (!resources) {
		printf(PROGRAM ": GETRESOURCES failed: %s\n", strerror(errno));
		return false;
	}
	bool found = false;
	for (int i = 0; i < resources->count_connectors && !found; i++) {
		drmModeConnector *connector = drmModeGetConnector(fd, resources->connectors[i]);
		if (!connector)
			continue;
		const drmModeModeInfo *mode = preferred_mode(connector);
		if (connector->connection == DRM_MODE_CONNECTED && mode) {
			target->connector_id = connector->connector_id;
			target->crtc_id = crtc_for(fd, resources, connector);
			target->mode = *mode;
			found = target->crtc_id != 0;
		}
		drmModeFreeConnector(connector);
	}
	drmModeFreeResources(resources);
	if (!found)
		printf(PROGRAM ": no connected connector with a mode and a CRTC\n");
	return found;
}

/* Creates the dumb buffer and its framebuffer, draws the pattern. */
static bool make_framebuffer(int fd, uint32_t width, uint32_t height, uint32_t *fb_id)
{
	uint32_t handle, pitch;
	uint64_t size, offset;
	if (drmModeCreateDumbBuffer(fd, width, height, 32, 0, &handle, &pitch, &size) != 0) {
		printf(PROGRAM ": CREATE_DUMB %ux%u failed: %s\n", width, height, strerror(errno));
		return false;
	}
	if (drmModeAddFB(fd, width, height, 24, 32, pitch, handle, fb_id) != 0) {
		printf(PROGRAM ": ADDFB failed: %s\n", strerror(errno));
		return false;
	}
	if (drmModeMapDumbBuffer(fd, handle, &offset) != 0) {
		printf(PROGRAM ": MAP_DUMB failed: %s\n", strerror(errno));
		return false;
	}
	uint8_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
	if (pixels == MAP_FAILED) {
		printf(PROGRAM ": mmap of the dumb buffer failed: %s\n", strerror(errno));
		return false;
	}
	for (uint32_t y = 0; y < height; y++) {
		uint32_t *row = (uint32_t *)(pixels + (size_t)y * pitch);
		for (uint32_t x = 0; x < width; x++)
			row[x] = gpu_xen_pattern_pixel(x, y, width);
	}
	/* Nothing of ours stays mapped: when the device leaves the guest only
	 * the fd is left, which the driver's unplug handles. */
	munmap(pixels, size);
	return true;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: " PROGRAM " /dev/dri/cardN\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf(PROGRAM ": cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	drmVersion *version = drmGetVersion(fd);
	printf(PROGRAM ": %s is driven by %s\n", argv[1], version ? version->name : "?");
	drmFreeVersion(version);

	struct target target = {0};
	uint32_t fb_id = 0;
	if (!find_target(fd, &target) ||
	    !make_framebuffer(fd, target.mode.hdisplay, target.mode.vdisplay, &fb_id))
		return 1;
	if (drmModeSetCrtc(fd, target.crtc_id, fb_id, 0, 0, &target.connector_id, 1,
			   &target.mode) != 0) {
		printf(PROGRAM ": SETCRTC failed: %s\n", strerror(errno));
		return 1;
	}
	drmModeCrtc *crtc = drmModeGetCrtc(fd, target.crtc_id);
	bool scanning = crtc && crtc->buffer_id == fb_id && crtc->mode_valid &&
			crtc->mode.hdisplay == target.mode.hdisplay &&
			crtc->mode.vdisplay == target.mode.vdisplay;
	drmModeFreeCrtc(crtc);
	if (!scanning) {
		printf(PROGRAM ": CRTC %u does not scan out fb %u after SETCRTC\n", target.crtc_id,
		       fb_id);
		return 1;
	}
	printf(PROGRAM ": showing the pattern: connector %u, CRTC %u, %ux%u, fb %u\n",
	       target.connector_id, target.crtc_id, target.mode.hdisplay, target.mode.vdisplay,
	       fb_id);
	/* Closing the card would let the driver restore its console: keep
	 * the mode until we are killed (the device leaving, or the end). */
	for (;;)
		pause();
}
