/* Runs in the VM (tests/vm/kms-dmabuf.sh), with udmabuf loaded: a local
 * guest's memfd buffer reaches Tessera as a dma-buf, and vkms scans that
 * very dma-buf out, with no copy anywhere.
 *
 * This program is the guest: it speaks the protocol to a real tessera
 * (headless, so the card stays ours), draws a pattern into a sealed memfd
 * and commits it. It then takes the dma-buf Tessera holds for that buffer
 * (found by /proc/PID/fdinfo's exp_name, taken with pidfd_getfd; no test
 * hook in Tessera), imports it into vkms (drmPrimeFDToHandle, AddFB2), puts
 * it on the primary plane (atomic TEST_ONLY, then the real commit: 6.1's
 * udmabuf without vmap fails here) and captures the CRTC with writeback:
 * the guest's pixels, exactly. Then it rewrites the memfd in place, with no
 * message to Tessera and no new framebuffer: the next capture shows the new
 * pixels, exactly, so the display read the guest's pages themselves.
 * Last, the buffers that cannot be dma-bufs (write-sealed memfd, a first
 * pixel inside a page) are still shown, from the mapping, with one log line.
 *
 *   TSR_RESULTS_DIR=DIR kms-dmabuf-test      (device: /dev/dri/card0)
 *
 * Prints "ok"/"FAIL" per check and "N passed, N failed". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "harness.h"
#include "tessera/protocol.h"
#include "vm_guest.h"

#define FENCE_TIMEOUT_MS 20000

static int passed, failed;

static bool check(bool condition, const char *what)
{
	printf("%s %s\n", condition ? "ok  " : "FAIL", what);
	fflush(stdout);
	if (condition)
		passed++;
	else
		failed++;
	return condition;
}

/* Two patterns that differ in every pixel, each catching swapped channels,
 * shifted rows and a wrong stride. The X byte is never compared. */
static uint32_t pattern_first(uint32_t x, uint32_t y)
{
	return 0xff000000u | ((x * 3 + y) & 0xff) << 16 | ((y * 5 + (x >> 4)) & 0xff) << 8 |
	       ((x ^ y) & 0xff);
}

static uint32_t pattern_second(uint32_t x, uint32_t y)
{
	return pattern_first(x, y) ^ 0x00a5c35au;
}

/* ---- the guest (vm_guest.c): surface 1 ------------------------------- */

static bool guest_connect(struct vm_guest *guest, const char *path, uint32_t width, uint32_t height)
{
	return vm_guest_connect(guest, path) && vm_guest_create_surface(guest, 1, width, height);
}

/* ATTACH buffer_id (fd, offset, size), full DAMAGE, COMMIT, FRAME_DONE. */
static bool guest_show(struct vm_guest *guest, uint32_t buffer_id, int fd, uint32_t offset,
		       uint32_t size, uint32_t width, uint32_t height)
{
	return vm_guest_attach(guest, 1, buffer_id, fd, offset, size) &&
	       vm_guest_commit(guest, 1, buffer_id, width, height);
}

/* ---- Tessera's dma-buf -------------------------------------------------- */

/* How many of pid's fds are udmabuf dma-bufs; the last one's number and
 * size in *fd_number, *size. */
static int find_udmabufs(pid_t pid, int *fd_number, uint64_t *size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)pid);
	DIR *dir = opendir(path);
	int found = 0;
	if (!dir)
		return -1;
	for (struct dirent *entry; (entry = readdir(dir));) {
		if (entry->d_name[0] == '.')
			continue;
		char info_path[320], line[256];
		snprintf(info_path, sizeof(info_path), "%s/%s", path, entry->d_name);
		FILE *info = fopen(info_path, "r");
		if (!info)
			continue;
		bool udmabuf = false;
		uint64_t bytes = 0;
		while (fgets(line, sizeof(line), info)) {
			udmabuf |= strcmp(line, "exp_name:\tudmabuf\n") == 0;
			sscanf(line, "size:\t%" SCNu64, &bytes);
		}
		fclose(info);
		if (udmabuf) {
			found++;
			*fd_number = atoi(entry->d_name);
			*size = bytes;
		}
	}
	closedir(dir);
	return found;
}

static int take_fd(pid_t pid, int fd_number)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -1;
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, fd_number, 0);
	close(pidfd);
	return fd;
}

/* ---- KMS ---------------------------------------------------------------- */

struct kms {
	int fd;
	uint32_t virtual_id, writeback_id, crtc_id, plane_id;
	drmModeModeInfo mode;
	uint32_t mode_blob;
	uint32_t capture_handle, capture_fb, capture_pitch;
	uint64_t capture_size;
	uint32_t *capture;
	bool clone; /* Virtual-1 and writeback at once */
};

static uint32_t property_id(int fd, uint32_t object, uint32_t type, const char *name)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, object, type);
	uint32_t found = 0;
	for (uint32_t i = 0; props && i < props->count_props && !found; i++) {
		drmModePropertyRes *prop = drmModeGetProperty(fd, props->props[i]);
		if (prop && strcmp(prop->name, name) == 0)
			found = prop->prop_id;
		drmModeFreeProperty(prop);
	}
	drmModeFreeObjectProperties(props);
	return found;
}

static bool add(drmModeAtomicReq *req, struct kms *kms, uint32_t object, uint32_t type,
		const char *name, uint64_t value)
{
	uint32_t id = property_id(kms->fd, object, type, name);
	if (!id)
		fprintf(stderr, "  object %" PRIu32 " has no property %s\n", object, name);
	return id && drmModeAtomicAddProperty(req, object, id, value) >= 0;
}

/* Card, connectors, CRTC, primary plane; the 640x480 mode if offered
 * (small captures under emulation), the preferred one otherwise. */
static bool kms_open(struct kms *kms)
{
	kms->fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	if (kms->fd < 0 || drmSetClientCap(kms->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) ||
	    drmSetClientCap(kms->fd, DRM_CLIENT_CAP_ATOMIC, 1) ||
	    drmSetClientCap(kms->fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1))
		return false;
	drmModeRes *res = drmModeGetResources(kms->fd);
	if (!res)
		return false;
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *conn = drmModeGetConnector(kms->fd, res->connectors[i]);
		if (!conn)
			continue;
		if (conn->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			kms->writeback_id = conn->connector_id;
		} else if (conn->connector_type == DRM_MODE_CONNECTOR_VIRTUAL &&
			   conn->connection == DRM_MODE_CONNECTED && conn->count_modes > 0) {
			kms->virtual_id = conn->connector_id;
			kms->mode = conn->modes[0];
			for (int m = 0; m < conn->count_modes; m++) {
				if (conn->modes[m].hdisplay == 640 &&
				    conn->modes[m].vdisplay == 480) {
					kms->mode = conn->modes[m];
					break;
				}
			}
		}
		drmModeFreeConnector(conn);
	}
	kms->crtc_id = res->count_crtcs > 0 ? res->crtcs[0] : 0;
	drmModeFreeResources(res);
	drmModePlaneRes *planes = drmModeGetPlaneResources(kms->fd);
	for (uint32_t i = 0; planes && i < planes->count_planes && !kms->plane_id; i++) {
		drmModeObjectProperties *props =
		    drmModeObjectGetProperties(kms->fd, planes->planes[i], DRM_MODE_OBJECT_PLANE);
		uint32_t type_id =
		    property_id(kms->fd, planes->planes[i], DRM_MODE_OBJECT_PLANE, "type");
		for (uint32_t p = 0; props && p < props->count_props; p++)
			if (props->props[p] == type_id &&
			    props->prop_values[p] == DRM_PLANE_TYPE_PRIMARY)
				kms->plane_id = planes->planes[i];
		drmModeFreeObjectProperties(props);
	}
	drmModeFreePlaneResources(planes);
	return kms->virtual_id && kms->writeback_id && kms->crtc_id && kms->plane_id;
}

static bool kms_capture_buffer(struct kms *kms)
{
	uint32_t width = kms->mode.hdisplay, height = kms->mode.vdisplay;
	if (drmModeCreateDumbBuffer(kms->fd, width, height, 32, 0, &kms->capture_handle,
				    &kms->capture_pitch, &kms->capture_size))
		return false;
	uint32_t handles[4] = {kms->capture_handle}, pitches[4] = {kms->capture_pitch},
		 offsets[4] = {0};
	uint64_t offset;
	if (drmModeAddFB2(kms->fd, width, height, DRM_FORMAT_XRGB8888, handles, pitches, offsets,
			  &kms->capture_fb, 0) ||
	    drmModeMapDumbBuffer(kms->fd, kms->capture_handle, &offset))
		return false;
	void *map = mmap(NULL, kms->capture_size, PROT_READ | PROT_WRITE, MAP_SHARED, kms->fd,
			 (off_t)offset);
	if (map == MAP_FAILED)
		return false;
	kms->capture = map;
	return true;
}

/* The mode, with the guest's framebuffer filling the primary plane. */
static drmModeAtomicReq *scanout_request(struct kms *kms, uint32_t fb)
{
	uint32_t width = kms->mode.hdisplay, height = kms->mode.vdisplay, plane = kms->plane_id;
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t C = DRM_MODE_OBJECT_CRTC, P = DRM_MODE_OBJECT_PLANE;
	bool ok =
	    req && add(req, kms, kms->crtc_id, C, "MODE_ID", kms->mode_blob) &&
	    add(req, kms, kms->crtc_id, C, "ACTIVE", 1) &&
	    add(req, kms, kms->virtual_id, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", kms->crtc_id) &&
	    add(req, kms, plane, P, "FB_ID", fb) &&
	    add(req, kms, plane, P, "CRTC_ID", kms->crtc_id) &&
	    add(req, kms, plane, P, "SRC_X", 0) && add(req, kms, plane, P, "SRC_Y", 0) &&
	    add(req, kms, plane, P, "SRC_W", (uint64_t)width << 16) &&
	    add(req, kms, plane, P, "SRC_H", (uint64_t)height << 16) &&
	    add(req, kms, plane, P, "CRTC_X", 0) && add(req, kms, plane, P, "CRTC_Y", 0) &&
	    add(req, kms, plane, P, "CRTC_W", width) && add(req, kms, plane, P, "CRTC_H", height);
	if (!ok) {
		drmModeAtomicFree(req);
		return NULL;
	}
	return req;
}

static drmModeAtomicReq *writeback_request(struct kms *kms, bool detach_virtual, int32_t *fence)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t W = DRM_MODE_OBJECT_CONNECTOR;
	bool ok = req && add(req, kms, kms->writeback_id, W, "CRTC_ID", kms->crtc_id) &&
		  add(req, kms, kms->writeback_id, W, "WRITEBACK_FB_ID", kms->capture_fb) &&
		  add(req, kms, kms->writeback_id, W, "WRITEBACK_OUT_FENCE_PTR",
		      (uint64_t)(uintptr_t)fence) &&
		  (!detach_virtual || add(req, kms, kms->virtual_id, W, "CRTC_ID", 0));
	if (!ok) {
		drmModeAtomicFree(req);
		return NULL;
	}
	return req;
}

/* One writeback capture of what the CRTC shows now. */
static bool kms_capture(struct kms *kms)
{
	memset(kms->capture, 0x5a, kms->capture_size); /* no pattern pixel */
	int32_t fence = -1;
	const uint32_t flags = DRM_MODE_ATOMIC_ALLOW_MODESET;
	drmModeAtomicReq *req = writeback_request(kms, false, &fence);
	kms->clone =
	    req && drmModeAtomicCommit(kms->fd, req, flags | DRM_MODE_ATOMIC_TEST_ONLY, NULL) == 0;
	if (!kms->clone) {
		/* vkms in 6.1 cannot drive Virtual-1 and writeback at once. */
		drmModeAtomicFree(req);
		req = writeback_request(kms, true, &fence);
	}
	bool ok = req && drmModeAtomicCommit(kms->fd, req, flags, NULL) == 0 && fence >= 0;
	if (!ok)
		fprintf(stderr, "  writeback commit failed: %s\n", strerror(errno));
	drmModeAtomicFree(req);
	if (ok) {
		struct pollfd pfd = {.fd = fence, .events = POLLIN};
		ok = poll(&pfd, 1, FENCE_TIMEOUT_MS) == 1;
		if (!ok)
			fprintf(stderr, "  writeback fence not signalled in %d ms\n",
				FENCE_TIMEOUT_MS);
	}
	if (fence >= 0)
		close(fence);
	return ok;
}

static uint64_t capture_mismatches(const struct kms *kms, uint32_t (*pattern)(uint32_t, uint32_t))
{
	uint64_t mismatches = 0;
	for (uint32_t y = 0; y < kms->mode.vdisplay; y++) {
		const uint32_t *row = (const uint32_t *)((const uint8_t *)kms->capture +
							 (size_t)y * kms->capture_pitch);
		for (uint32_t x = 0; x < kms->mode.hdisplay; x++) {
			uint32_t want = pattern(x, y) & 0xffffff, got = row[x] & 0xffffff;
			if (want != got && mismatches++ < 5)
				printf("  pixel (%u,%u): captured %06x, the guest's %06x\n", x, y,
				       got, want);
		}
	}
	printf("  %" PRIu64 " of %u pixels differ\n", mismatches,
	       (unsigned)kms->mode.hdisplay * kms->mode.vdisplay);
	return mismatches;
}

/* ---- a buffer from another device (vgem) -------------------------------- */

/* vgem's card, when kms-dmabuf.sh loaded it: a DRM device with memory and
 * no display, whose dumb buffers are what a foreign dma-buf looks like to
 * vkms (and what llvmpipe would crash on, README "Renderers"). */
static int open_vgem(void)
{
	char path[32];
	for (int i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		drmVersionPtr version = drmGetVersion(fd);
		bool vgem = version && strcmp(version->name, "vgem") == 0;
		drmFreeVersion(version);
		if (vgem)
			return fd;
		close(fd);
	}
	return -1;
}

/* A vgem dumb buffer exported as a dma-buf, imported by vkms and scanned
 * out; rewritten through vgem's mapping, the next capture follows. */
static void check_foreign_device(struct kms *kms)
{
	uint32_t width = kms->mode.hdisplay, height = kms->mode.vdisplay;
	int vgem = open_vgem();
	if (!check(vgem >= 0, "vgem is loaded: a second DRM device with no display"))
		return;
	struct drm_mode_create_dumb create = {.width = width, .height = height, .bpp = 32};
	struct drm_mode_map_dumb map = {0};
	uint32_t *pixels = MAP_FAILED;
	if (drmIoctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &create) == 0) {
		map.handle = create.handle;
		if (drmIoctl(vgem, DRM_IOCTL_MODE_MAP_DUMB, &map) == 0)
			pixels = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, vgem,
				      (off_t)map.offset);
	}
	int dmabuf = -1;
	uint32_t handle = 0, fb = 0;
	if (!check(pixels != MAP_FAILED &&
		       drmPrimeHandleToFD(vgem, create.handle, DRM_CLOEXEC, &dmabuf) == 0,
		   "a vgem dumb buffer, mapped, exported as a dma-buf"))
		goto out;
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++)
			pixels[(size_t)y * (create.pitch / 4) + x] = pattern_second(x, y);
	uint32_t handles[4] = {0}, pitches[4] = {create.pitch}, offsets[4] = {0};
	bool imported = drmPrimeFDToHandle(kms->fd, dmabuf, &handle) == 0;
	handles[0] = handle;
	if (!check(imported && drmModeAddFB2(kms->fd, width, height, DRM_FORMAT_XRGB8888, handles,
					     pitches, offsets, &fb, 0) == 0,
		   "vkms imports it as a framebuffer (PRIME from another device)"))
		goto out;
	/* The CRTC already runs (the udmabuf scanout above): only the plane's
	 * framebuffer changes, like a page flip. (A full modeset request after
	 * the writeback captures fails vkms's check, whatever the buffer.) */
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	bool shown = req && add(req, kms, kms->plane_id, DRM_MODE_OBJECT_PLANE, "FB_ID", fb) &&
		     drmModeAtomicCommit(kms->fd, req, 0, NULL) == 0;
	if (!shown)
		printf("  the commit of the vgem framebuffer: %s\n", strerror(errno));
	drmModeAtomicFree(req);
	check(shown && kms_capture(kms) && capture_mismatches(kms, pattern_second) == 0,
	      "vkms scans the vgem buffer out: the capture is its pixels, exactly");
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++)
			pixels[(size_t)y * (create.pitch / 4) + x] = pattern_first(x, y);
	check(kms_capture(kms) && capture_mismatches(kms, pattern_first) == 0,
	      "... rewritten through vgem's mapping, the next capture follows: zero copies");
out:
	if (fb)
		drmModeRmFB(kms->fd, fb);
	if (dmabuf >= 0)
		close(dmabuf);
	if (pixels != MAP_FAILED)
		munmap(pixels, create.size);
	if (create.handle) {
		struct drm_mode_destroy_dumb destroy = {.handle = create.handle};
		drmIoctl(vgem, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	}
	close(vgem);
}

/* ---- the test ----------------------------------------------------------- */

static const char config_text[] = "[output]\nbackend = headless\nwidth = 640\nheight = 480\n"
				  "renderer = pixman\n"
				  "[domain work]\ncolour = blue\n";

static bool stats_say(struct harness *harness, const char *text)
{
	char reply[1024];
	if (!harness_control(harness, "stats work", reply, sizeof(reply)))
		return false;
	if (!strstr(reply, text))
		printf("  stats work: %s\n", reply);
	return strstr(reply, text) != NULL;
}

/* The buffers that stay mapped: shown all the same, one log line. */
static void check_fallbacks(struct harness *harness, struct vm_guest *guest, uint32_t width,
			    uint32_t height)
{
	size_t size = (size_t)width * 4 * height;
	uint32_t *pixels;
	int sealed = vm_guest_memfd(size, 0, &pixels);
	if (sealed >= 0) {
		vm_guest_fill(pixels, width, height, pattern_first);
		munmap(pixels, size);
		if (fcntl(sealed, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_WRITE) < 0) {
			close(sealed);
			sealed = -1;
		}
	}
	check(sealed >= 0 && guest_show(guest, 2, sealed, 0, (uint32_t)size, width, height),
	      "a write-sealed memfd is shown (FRAME_DONE)");
	check(stats_say(harness, " dmabuf=none "), "... from its mapping: stats say dmabuf=none");
	check(harness_wait_log(harness, "tessera",
			       "dma-buf: buffer 2 is only mapped: the memfd is sealed against "
			       "writing",
			       5000),
	      "... and Tessera says why, once");
	if (sealed >= 0)
		close(sealed);

	/* First pixel 256 bytes into the memfd: not a page boundary. */
	int shifted = vm_guest_memfd(size + 4096, F_SEAL_SHRINK, &pixels);
	if (shifted >= 0)
		vm_guest_fill((uint32_t *)((uint8_t *)pixels + 256), width, height, pattern_second);
	check(shifted >= 0 && guest_show(guest, 3, shifted, 256, (uint32_t)size, width, height),
	      "a buffer whose first pixel is inside a page is shown (FRAME_DONE)");
	check(stats_say(harness, " dmabuf=none "), "... from its mapping: stats say dmabuf=none");
	check(harness_log_count(harness, "tessera", "dma-buf: buffer ") == 1,
	      "... with no second log line on this connection");
	if (shifted >= 0)
		close(shifted);
	check(harness_alive(harness->compositor), "Tessera still runs");
}

int main(void)
{
	struct harness harness;
	struct kms kms = {.fd = -1};
	struct vm_guest guest = {.socket = -1};
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!check(kms_open(&kms), "vkms: Virtual-1, writeback, CRTC, primary plane"))
		return 1;
	uint32_t width = kms.mode.hdisplay, height = kms.mode.vdisplay;
	size_t size = (size_t)width * 4 * height;
	printf("  mode %ux%u; the guest's buffer is the same size (%zu bytes)\n", width, height,
	       size);

	if (!check(harness_start(&harness, "kms-dmabuf", config_text), "tessera started"))
		return 1;
	check(harness_wait_log(&harness, "tessera", "dma-buf: udmabuf available (/dev/udmabuf)",
			       5000),
	      "Tessera says udmabuf is available");

	char socket_path[512];
	harness_path(&harness, "work.sock", socket_path, sizeof(socket_path));
	uint32_t *pixels = NULL;
	int memfd = vm_guest_memfd(size, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, &pixels);
	if (memfd >= 0)
		vm_guest_fill(pixels, width, height, pattern_first);
	if (!check(memfd >= 0 && guest_connect(&guest, socket_path, width, height) &&
		       guest_show(&guest, 1, memfd, 0, (uint32_t)size, width, height),
		   "the guest's sealed memfd is committed and shown (FRAME_DONE)"))
		goto out;
	check(stats_say(&harness, " dmabuf=udmabuf "), "stats say dmabuf=udmabuf");
	long long commits = harness_stat(&harness, "work", "commits");

	int number = -1;
	uint64_t dmabuf_size = 0;
	int found = find_udmabufs(harness.compositor, &number, &dmabuf_size);
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	check(found == 1, "Tessera holds one udmabuf dma-buf (fdinfo exp_name)");
	check(dmabuf_size == (size + page - 1) / page * page,
	      "... the size of the guest's buffer, to a page");
	int dmabuf = found == 1 ? take_fd(harness.compositor, number) : -1;
	if (!check(dmabuf >= 0, "... taken from Tessera (pidfd_getfd)"))
		goto out;

	uint32_t handle = 0, fb = 0;
	check(drmPrimeFDToHandle(kms.fd, dmabuf, &handle) == 0,
	      "vkms imports the dma-buf (drmPrimeFDToHandle)");
	uint32_t handles[4] = {handle}, pitches[4] = {width * 4}, offsets[4] = {0};
	if (!check(handle && drmModeAddFB2(kms.fd, width, height, DRM_FORMAT_XRGB8888, handles,
					   pitches, offsets, &fb, 0) == 0,
		   "... as a framebuffer (drmModeAddFB2, the guest's stride)"))
		goto out;
	check(drmModeCreatePropertyBlob(kms.fd, &kms.mode, sizeof(kms.mode), &kms.mode_blob) == 0 &&
		  kms_capture_buffer(&kms),
	      "mode blob and capture buffer");
	drmModeAtomicReq *req = scanout_request(&kms, fb);
	const uint32_t flags = DRM_MODE_ATOMIC_ALLOW_MODESET;
	check(req && drmModeAtomicCommit(kms.fd, req, flags | DRM_MODE_ATOMIC_TEST_ONLY, NULL) == 0,
	      "the guest's framebuffer on the primary plane passes TEST_ONLY");
	bool shown = req && drmModeAtomicCommit(kms.fd, req, flags, NULL) == 0;
	if (!shown)
		printf("  real commit: %s\n", strerror(errno));
	drmModeAtomicFree(req);
	if (!check(shown, "... and the real commit (udmabuf's vmap)"))
		goto out;

	check(kms_capture(&kms) && capture_mismatches(&kms, pattern_first) == 0,
	      "the writeback capture is the guest's pixels, exactly");

	/* The guest draws again, in place: no message to Tessera, no new
	 * framebuffer, no copy anywhere. */
	vm_guest_fill(pixels, width, height, pattern_second);
	check(kms_capture(&kms) && capture_mismatches(&kms, pattern_second) == 0,
	      "after the guest rewrote its memfd (no commit), the next capture is the new "
	      "pixels, exactly: zero copies");
	check(harness_stat(&harness, "work", "commits") == commits,
	      "... and Tessera saw no commit meanwhile");
	printf("  (writeback %s Virtual-1)\n", kms.clone ? "alongside" : "instead of");

	check_fallbacks(&harness, &guest, width, height);
	check_foreign_device(&kms);
	if (fb)
		drmModeRmFB(kms.fd, fb);
	close(dmabuf);
out:
	vm_guest_close(&guest);
	check(harness_stop(&harness), "tessera exits cleanly");
	if (kms.fd >= 0)
		close(kms.fd);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
