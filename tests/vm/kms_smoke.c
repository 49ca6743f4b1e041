/* kms-smoke: proves the VM kit gives real KMS with writeback.
 *
 * Runs inside the test VM (tests/vm/smoke.sh), on vkms: becomes DRM master,
 * finds the connected Virtual-1 connector and the writeback connector, does an
 * atomic modeset of the preferred mode with a dumb buffer holding a known
 * pattern, captures the CRTC's output with a writeback commit, waits on the
 * writeback fence, and checks the captured pixels equal the pattern.
 *
 *   kms-smoke [CAPTURE.png]     (device: $KMS_SMOKE_DEVICE or /dev/dri/card0)
 *
 * Prints one line per step and "N passed, N failed"; exits 0 only if all
 * steps passed. Not a host test: build machines have no DRM device. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <png.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#define FENCE_TIMEOUT_MS 10000

struct dumb_buffer {
	uint32_t width, height, pitch, handle, fb_id;
	uint64_t size;
	uint8_t *pixels;
};

struct smoke {
	int fd;
	uint32_t virtual_connector_id;
	uint32_t writeback_connector_id;
	uint32_t crtc_id;
	uint32_t primary_plane_id;
	drmModeModeInfo mode;
	uint32_t mode_blob_id;
	struct dumb_buffer scanout;
	struct dumb_buffer capture;
	const char *png_path;
};

/* The pattern: every pixel distinct in a way that catches swapped channels,
 * shifted rows and a wrong stride. The X byte is not compared. */
static uint32_t pattern_pixel(uint32_t x, uint32_t y)
{
	uint32_t r = (x * 3 + y) & 0xff, g = (y * 5 + (x >> 4)) & 0xff, b = (x ^ y) & 0xff;
	return 0xff000000u | r << 16 | g << 8 | b;
}

static uint32_t find_property(int fd, uint32_t object_id, uint32_t object_type, const char *name,
			      uint64_t *value)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, object_id, object_type);
	uint32_t found = 0;
	if (!props)
		return 0;
	for (uint32_t i = 0; i < props->count_props && !found; i++) {
		drmModePropertyRes *prop = drmModeGetProperty(fd, props->props[i]);
		if (prop && strcmp(prop->name, name) == 0) {
			found = prop->prop_id;
			if (value)
				*value = props->prop_values[i];
		}
		drmModeFreeProperty(prop);
	}
	drmModeFreeObjectProperties(props);
	return found;
}

static bool add_property(drmModeAtomicReq *req, int fd, uint32_t object_id, uint32_t object_type,
			 const char *name, uint64_t value)
{
	uint32_t prop_id = find_property(fd, object_id, object_type, name, NULL);
	if (!prop_id) {
		fprintf(stderr, "object %" PRIu32 " has no property %s\n", object_id, name);
		return false;
	}
	return drmModeAtomicAddProperty(req, object_id, prop_id, value) >= 0;
}

static void dumb_buffer_destroy(int fd, struct dumb_buffer *buffer)
{
	if (buffer->pixels)
		munmap(buffer->pixels, buffer->size);
	if (buffer->fb_id)
		drmModeRmFB(fd, buffer->fb_id);
	if (buffer->handle)
		drmModeDestroyDumbBuffer(fd, buffer->handle);
	memset(buffer, 0, sizeof(*buffer));
}

static bool dumb_buffer_create(int fd, uint32_t width, uint32_t height, struct dumb_buffer *buffer)
{
	uint64_t offset = 0;
	void *map;
	memset(buffer, 0, sizeof(*buffer));
	buffer->width = width;
	buffer->height = height;
	if (drmModeCreateDumbBuffer(fd, width, height, 32, 0, &buffer->handle, &buffer->pitch,
				    &buffer->size) != 0) {
		perror("DRM_IOCTL_MODE_CREATE_DUMB");
		goto error;
	}
	const uint32_t handles[4] = {buffer->handle}, pitches[4] = {buffer->pitch};
	const uint32_t offsets[4] = {0};
	if (drmModeAddFB2(fd, width, height, DRM_FORMAT_XRGB8888, handles, pitches, offsets,
			  &buffer->fb_id, 0) != 0) {
		perror("drmModeAddFB2");
		goto error;
	}
	if (drmModeMapDumbBuffer(fd, buffer->handle, &offset) != 0) {
		perror("DRM_IOCTL_MODE_MAP_DUMB");
		goto error;
	}
	map = mmap(NULL, buffer->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
	if (map == MAP_FAILED) {
		perror("mmap dumb buffer");
		goto error;
	}
	buffer->pixels = map;
	return true;

error:
	dumb_buffer_destroy(fd, buffer);
	return false;
}

static uint32_t *buffer_row(const struct dumb_buffer *buffer, uint32_t y)
{
	return (uint32_t *)(void *)(buffer->pixels + (size_t)y * buffer->pitch);
}

static bool step_open_master(struct smoke *smoke)
{
	const char *device = getenv("KMS_SMOKE_DEVICE");
	if (!device)
		device = "/dev/dri/card0";
	smoke->fd = open(device, O_RDWR | O_CLOEXEC);
	if (smoke->fd < 0) {
		fprintf(stderr, "open %s: %s\n", device, strerror(errno));
		return false;
	}
	drmVersion *version = drmGetVersion(smoke->fd);
	if (version) {
		printf("  driver %s (%s)\n", version->name, version->desc);
		drmFreeVersion(version);
	}
	if (drmSetMaster(smoke->fd) != 0 && !drmIsMaster(smoke->fd)) {
		fprintf(stderr, "cannot become DRM master: %s\n", strerror(errno));
		return false;
	}
	if (drmSetClientCap(smoke->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) != 0 ||
	    drmSetClientCap(smoke->fd, DRM_CLIENT_CAP_ATOMIC, 1) != 0 ||
	    drmSetClientCap(smoke->fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1) != 0) {
		fprintf(stderr, "atomic/writeback client caps refused: %s\n", strerror(errno));
		return false;
	}
	return drmIsMaster(smoke->fd);
}

static bool pick_crtc(struct smoke *smoke, drmModeRes *res, drmModeConnector *conn)
{
	for (int e = 0; e < conn->count_encoders; e++) {
		drmModeEncoder *encoder = drmModeGetEncoder(smoke->fd, conn->encoders[e]);
		if (!encoder)
			continue;
		for (int c = 0; c < res->count_crtcs && !smoke->crtc_id; c++) {
			if (encoder->possible_crtcs & (1u << c))
				smoke->crtc_id = res->crtcs[c];
		}
		drmModeFreeEncoder(encoder);
	}
	return smoke->crtc_id != 0;
}

static bool step_find_connectors(struct smoke *smoke)
{
	drmModeRes *res = drmModeGetResources(smoke->fd);
	bool ok = false;
	if (!res) {
		perror("drmModeGetResources");
		return false;
	}
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *conn = drmModeGetConnector(smoke->fd, res->connectors[i]);
		if (!conn)
			continue;
		const char *type = drmModeGetConnectorTypeName(conn->connector_type);
		printf("  connector %" PRIu32 ": %s-%" PRIu32 ", %s, %d modes\n",
		       conn->connector_id, type ? type : "?", conn->connector_type_id,
		       conn->connection == DRM_MODE_CONNECTED ? "connected" : "not connected",
		       conn->count_modes);
		if (conn->connector_type == DRM_MODE_CONNECTOR_WRITEBACK &&
		    !smoke->writeback_connector_id) {
			smoke->writeback_connector_id = conn->connector_id;
		} else if (conn->connector_type == DRM_MODE_CONNECTOR_VIRTUAL &&
			   conn->connection == DRM_MODE_CONNECTED && conn->count_modes > 0 &&
			   !smoke->virtual_connector_id) {
			smoke->virtual_connector_id = conn->connector_id;
			smoke->mode = conn->modes[0];
			for (int m = 0; m < conn->count_modes; m++) {
				if (conn->modes[m].type & DRM_MODE_TYPE_PREFERRED) {
					smoke->mode = conn->modes[m];
					break;
				}
			}
			if (!pick_crtc(smoke, res, conn))
				fprintf(stderr, "no CRTC can drive the virtual connector\n");
		}
		drmModeFreeConnector(conn);
	}
	drmModeFreeResources(res);

	if (!smoke->virtual_connector_id)
		fprintf(stderr, "no connected Virtual connector\n");
	if (!smoke->writeback_connector_id)
		fprintf(stderr, "no writeback connector (vkms enable_writeback=1?)\n");
	ok = smoke->virtual_connector_id && smoke->writeback_connector_id && smoke->crtc_id;
	if (ok)
		printf("  mode %s %ux%u@%u on CRTC %" PRIu32 "\n", smoke->mode.name,
		       smoke->mode.hdisplay, smoke->mode.vdisplay, smoke->mode.vrefresh,
		       smoke->crtc_id);
	return ok;
}

static bool step_writeback_formats(struct smoke *smoke)
{
	uint64_t blob_id = 0;
	bool has_xrgb = false;
	if (!find_property(smoke->fd, smoke->writeback_connector_id, DRM_MODE_OBJECT_CONNECTOR,
			   "WRITEBACK_PIXEL_FORMATS", &blob_id) ||
	    !blob_id) {
		fprintf(stderr, "writeback connector has no WRITEBACK_PIXEL_FORMATS\n");
		return false;
	}
	drmModePropertyBlobRes *blob = drmModeGetPropertyBlob(smoke->fd, (uint32_t)blob_id);
	if (!blob)
		return false;
	const uint32_t *formats = blob->data;
	printf("  writeback formats:");
	for (uint32_t i = 0; i < blob->length / sizeof(uint32_t); i++) {
		printf(" %.4s", (const char *)&formats[i]);
		has_xrgb |= formats[i] == DRM_FORMAT_XRGB8888;
	}
	printf("\n");
	drmModeFreePropertyBlob(blob);
	return has_xrgb;
}

static bool step_find_primary_plane(struct smoke *smoke)
{
	drmModeRes *res = drmModeGetResources(smoke->fd);
	drmModePlaneRes *planes = drmModeGetPlaneResources(smoke->fd);
	uint32_t crtc_bit = 0;
	if (!res || !planes)
		goto out;
	for (int c = 0; c < res->count_crtcs; c++) {
		if (res->crtcs[c] == smoke->crtc_id)
			crtc_bit = 1u << c;
	}
	for (uint32_t i = 0; i < planes->count_planes && !smoke->primary_plane_id; i++) {
		drmModePlane *plane = drmModeGetPlane(smoke->fd, planes->planes[i]);
		uint64_t type = 0;
		if (plane && (plane->possible_crtcs & crtc_bit) &&
		    find_property(smoke->fd, plane->plane_id, DRM_MODE_OBJECT_PLANE, "type",
				  &type) &&
		    type == DRM_PLANE_TYPE_PRIMARY)
			smoke->primary_plane_id = plane->plane_id;
		drmModeFreePlane(plane);
	}
out:
	drmModeFreePlaneResources(planes);
	drmModeFreeResources(res);
	if (!smoke->primary_plane_id)
		fprintf(stderr, "no primary plane for CRTC %" PRIu32 "\n", smoke->crtc_id);
	return smoke->primary_plane_id != 0;
}

static bool step_modeset(struct smoke *smoke)
{
	uint32_t width = smoke->mode.hdisplay, height = smoke->mode.vdisplay;
	drmModeAtomicReq *req = NULL;
	bool ok = false;

	if (!dumb_buffer_create(smoke->fd, width, height, &smoke->scanout))
		return false;
	for (uint32_t y = 0; y < height; y++) {
		uint32_t *row = buffer_row(&smoke->scanout, y);
		for (uint32_t x = 0; x < width; x++)
			row[x] = pattern_pixel(x, y);
	}
	if (drmModeCreatePropertyBlob(smoke->fd, &smoke->mode, sizeof(smoke->mode),
				      &smoke->mode_blob_id) != 0) {
		perror("create MODE_ID blob");
		return false;
	}

	req = drmModeAtomicAlloc();
	int fd = smoke->fd;
	uint32_t plane = smoke->primary_plane_id;
	ok = req &&
	     add_property(req, fd, smoke->crtc_id, DRM_MODE_OBJECT_CRTC, "MODE_ID",
			  smoke->mode_blob_id) &&
	     add_property(req, fd, smoke->crtc_id, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1) &&
	     add_property(req, fd, smoke->virtual_connector_id, DRM_MODE_OBJECT_CONNECTOR,
			  "CRTC_ID", smoke->crtc_id) &&
	     add_property(req, fd, plane, DRM_MODE_OBJECT_PLANE, "FB_ID", smoke->scanout.fb_id) &&
	     add_property(req, fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_ID", smoke->crtc_id) &&
	     add_property(req, fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_X", 0) &&
	     add_property(req, fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_Y", 0) &&
	     add_property(req, fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_W", (uint64_t)width << 16) &&
	     add_property(req, fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_H", (uint64_t)height << 16) &&
	     add_property(req, fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_X", 0) &&
	     add_property(req, fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_Y", 0) &&
	     add_property(req, fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_W", width) &&
	     add_property(req, fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_H", height);
	if (ok && drmModeAtomicCommit(fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL) != 0) {
		fprintf(stderr, "atomic modeset failed: %s\n", strerror(errno));
		ok = false;
	}
	drmModeAtomicFree(req);
	return ok;
}

/* Builds the writeback commit. With detach_virtual, Virtual-1 leaves the CRTC
 * so the writeback connector is its only output: vkms in Linux 6.1 does not
 * declare its two encoders clones, so it refuses driving both at once. */
static drmModeAtomicReq *writeback_request(struct smoke *smoke, bool detach_virtual,
					   int32_t *fence_fd)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t conn = smoke->writeback_connector_id;
	int fd = smoke->fd;
	bool ok =
	    req &&
	    add_property(req, fd, conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", smoke->crtc_id) &&
	    add_property(req, fd, conn, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID",
			 smoke->capture.fb_id) &&
	    add_property(req, fd, conn, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_OUT_FENCE_PTR",
			 (uint64_t)(uintptr_t)fence_fd) &&
	    (!detach_virtual || add_property(req, fd, smoke->virtual_connector_id,
					     DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", 0));
	if (!ok) {
		drmModeAtomicFree(req);
		return NULL;
	}
	return req;
}

static bool step_writeback_capture(struct smoke *smoke)
{
	uint32_t width = smoke->mode.hdisplay, height = smoke->mode.vdisplay;
	const uint32_t flags = DRM_MODE_ATOMIC_ALLOW_MODESET;
	int32_t fence_fd = -1;
	drmModeAtomicReq *req = NULL;
	bool ok = false;

	if (!dumb_buffer_create(smoke->fd, width, height, &smoke->capture))
		return false;
	/* Not the pattern (which is black at (0,0)), so an untouched buffer
	 * cannot pass. */
	memset(smoke->capture.pixels, 0x5a, smoke->capture.size);

	req = writeback_request(smoke, false, &fence_fd);
	if (req &&
	    drmModeAtomicCommit(smoke->fd, req, flags | DRM_MODE_ATOMIC_TEST_ONLY, NULL) == 0) {
		printf("  capturing while Virtual-1 stays on (clone)\n");
	} else {
		printf("  no clone of Virtual-1 and writeback; capturing on writeback alone\n");
		drmModeAtomicFree(req);
		req = writeback_request(smoke, true, &fence_fd);
	}
	if (!req)
		goto out;
	if (drmModeAtomicCommit(smoke->fd, req, flags, NULL) != 0) {
		fprintf(stderr, "writeback commit failed: %s\n", strerror(errno));
		goto out;
	}
	if (fence_fd < 0) {
		fprintf(stderr, "writeback commit returned no out-fence\n");
		goto out;
	}

	struct pollfd pfd = {.fd = fence_fd, .events = POLLIN};
	int ready = poll(&pfd, 1, FENCE_TIMEOUT_MS);
	if (ready != 1) {
		fprintf(stderr, "writeback fence did not signal within %d ms\n", FENCE_TIMEOUT_MS);
		goto out;
	}
	ok = true;
out:
	if (fence_fd >= 0)
		close(fence_fd);
	drmModeAtomicFree(req);
	return ok;
}

static bool step_compare(struct smoke *smoke)
{
	uint64_t mismatches = 0;
	for (uint32_t y = 0; y < smoke->capture.height; y++) {
		const uint32_t *row = buffer_row(&smoke->capture, y);
		for (uint32_t x = 0; x < smoke->capture.width; x++) {
			uint32_t want = pattern_pixel(x, y) & 0xffffff, got = row[x] & 0xffffff;
			if (want == got)
				continue;
			if (mismatches++ < 5)
				fprintf(stderr, "  pixel (%u,%u): captured %06x, expected %06x\n",
					x, y, got, want);
		}
	}
	printf("  %" PRIu64 " of %u pixels differ\n", mismatches,
	       smoke->capture.width * smoke->capture.height);
	return mismatches == 0;
}

static bool step_save_png(struct smoke *smoke)
{
	const struct dumb_buffer *capture = &smoke->capture;
	FILE *file = fopen(smoke->png_path, "wb");
	png_structp png = NULL;
	png_infop info = NULL;
	uint8_t *rgb = NULL;
	bool ok = false;

	if (!file) {
		fprintf(stderr, "cannot write %s: %s\n", smoke->png_path, strerror(errno));
		return false;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	rgb = malloc((size_t)capture->width * 3);
	if (!png || !info || !rgb)
		goto out;
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_init_io(png, file);
	png_set_IHDR(png, info, capture->width, capture->height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < capture->height; y++) {
		const uint32_t *row = buffer_row(capture, y);
		for (uint32_t x = 0; x < capture->width; x++) {
			rgb[x * 3] = (uint8_t)(row[x] >> 16);
			rgb[x * 3 + 1] = (uint8_t)(row[x] >> 8);
			rgb[x * 3 + 2] = (uint8_t)row[x];
		}
		png_write_row(png, rgb);
	}
	png_write_end(png, NULL);
	ok = true;
	printf("  capture saved to %s\n", smoke->png_path);
out:
	png_destroy_write_struct(&png, &info);
	free(rgb);
	if (fclose(file) != 0)
		ok = false;
	return ok;
}

struct smoke_step {
	const char *name;
	bool (*run)(struct smoke *smoke);
};

int main(int argc, char **argv)
{
	static const struct smoke_step steps[] = {
	    {"open card, become master, atomic + writeback caps", step_open_master},
	    {"Virtual-1 connected and a writeback connector", step_find_connectors},
	    {"writeback offers XRGB8888", step_writeback_formats},
	    {"primary plane for the CRTC", step_find_primary_plane},
	    {"atomic modeset with a pattern buffer", step_modeset},
	    {"writeback capture, fence signalled", step_writeback_capture},
	    {"captured pixels equal the pattern", step_compare},
	    {"capture saved as PNG", step_save_png},
	};
	struct smoke smoke = {.fd = -1, .png_path = argc > 1 ? argv[1] : NULL};
	int passed = 0, failed = 0;
	bool blocked = false;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].run == step_save_png && !smoke.png_path)
			continue;
		/* Each step needs the ones before it. */
		if (blocked) {
			printf("skip %s\n", steps[i].name);
			failed++;
			continue;
		}
		fflush(stdout);
		if (steps[i].run(&smoke)) {
			printf("ok   %s\n", steps[i].name);
			passed++;
		} else {
			printf("FAIL %s\n", steps[i].name);
			failed++;
			blocked = steps[i].run != step_compare;
		}
	}

	if (smoke.fd >= 0) {
		dumb_buffer_destroy(smoke.fd, &smoke.capture);
		dumb_buffer_destroy(smoke.fd, &smoke.scanout);
		if (smoke.mode_blob_id)
			drmModeDestroyPropertyBlob(smoke.fd, smoke.mode_blob_id);
		close(smoke.fd);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
