/* A front-buffer client in the PV-devices domU, like Xorg's modesetting
 * driver: one dumb buffer set on the xen-drm-front CRTC once (SET_CONFIG),
 * then redrawn in place, never flipped, never a DIRTYFB. Every 2 s the
 * whole buffer becomes the next colour of a fixed cycle and
 *   tessera-domu: frontbuffer colour RRGGBB
 * is printed, so dom0 can see that Tessera still shows what the guest draws
 * (it samples a display that does not flip).
 *
 *   pv-frontbuffer /dev/dri/card0
 *
 * Raw DRM ioctls (libdrm's copies of the uapi headers): nothing to link. */
#include <drm.h>
#include <drm_mode.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static const uint32_t colours[] = {0xc02020, 0x20c040, 0x2040c0, 0xc0c020};

static int fail(const char *what)
{
	printf("tessera-domu: frontbuffer: %s failed: %m\n", what);
	fflush(stdout);
	return 1;
}

int main(int argc, char **argv)
{
	int fd = open(argc > 1 ? argv[1] : "/dev/dri/card0", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("open");
	uint32_t crtc_ids[4], connector_ids[4];
	struct drm_mode_card_res res;
	memset(&res, 0, sizeof(res));
	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0)
		return fail("GETRESOURCES");
	if (res.count_crtcs < 1 || res.count_connectors < 1)
		return fail("a CRTC and a connector");
	res.count_crtcs = res.count_crtcs > 4 ? 4 : res.count_crtcs;
	res.count_connectors = res.count_connectors > 4 ? 4 : res.count_connectors;
	res.count_fbs = res.count_encoders = 0;
	res.crtc_id_ptr = (uint64_t)(uintptr_t)crtc_ids;
	res.connector_id_ptr = (uint64_t)(uintptr_t)connector_ids;
	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0)
		return fail("GETRESOURCES (ids)");
	struct drm_mode_modeinfo mode;
	struct drm_mode_get_connector connector;
	memset(&connector, 0, sizeof(connector));
	connector.connector_id = connector_ids[0];
	if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &connector) < 0 || connector.count_modes < 1)
		return fail("GETCONNECTOR");
	connector.count_modes = 1;
	connector.count_props = connector.count_encoders = 0;
	connector.modes_ptr = (uint64_t)(uintptr_t)&mode;
	if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &connector) < 0)
		return fail("GETCONNECTOR (mode)");
	struct drm_mode_create_dumb dumb = {
	    .width = mode.hdisplay, .height = mode.vdisplay, .bpp = 32};
	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb) < 0)
		return fail("CREATE_DUMB");
	struct drm_mode_fb_cmd fb = {.width = dumb.width,
				     .height = dumb.height,
				     .pitch = dumb.pitch,
				     .bpp = 32,
				     .depth = 24,
				     .handle = dumb.handle};
	if (ioctl(fd, DRM_IOCTL_MODE_ADDFB, &fb) < 0)
		return fail("ADDFB");
	struct drm_mode_map_dumb map = {.handle = dumb.handle};
	if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0)
		return fail("MAP_DUMB");
	uint32_t *pixels =
	    mmap(NULL, dumb.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
	if (pixels == MAP_FAILED)
		return fail("mmap");
	for (size_t i = 0; i < dumb.size / 4; i++)
		pixels[i] = colours[0];
	struct drm_mode_crtc crtc = {.crtc_id = crtc_ids[0],
				     .fb_id = fb.fb_id,
				     .set_connectors_ptr = (uint64_t)(uintptr_t)&connector_ids[0],
				     .count_connectors = 1,
				     .mode = mode,
				     .mode_valid = 1};
	if (ioctl(fd, DRM_IOCTL_MODE_SETCRTC, &crtc) < 0)
		return fail("SETCRTC");
	printf("tessera-domu: frontbuffer %ux%u set, drawing in place\n", dumb.width, dumb.height);
	for (unsigned n = 0;; n++) {
		uint32_t colour = colours[n % (sizeof(colours) / sizeof(colours[0]))];
		for (size_t i = 0; i < dumb.size / 4; i++)
			pixels[i] = colour;
		printf("tessera-domu: frontbuffer colour %06x\n", colour);
		fflush(stdout);
		sleep(2);
	}
}
