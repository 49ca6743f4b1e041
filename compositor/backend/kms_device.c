/* The DRM card: opening it, the client caps Tessera needs, DRM master, and
 * the property ids of connectors, CRTCs and planes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms.h"
#include "tessera/log.h"

static const char *const connector_prop_names[KMS_CONNECTOR_PROP_COUNT] = {
    [KMS_CONNECTOR_CRTC_ID] = "CRTC_ID",
    [KMS_CONNECTOR_WRITEBACK_FB_ID] = "WRITEBACK_FB_ID",
    [KMS_CONNECTOR_WRITEBACK_OUT_FENCE_PTR] = "WRITEBACK_OUT_FENCE_PTR",
};

static const char *const crtc_prop_names[KMS_CRTC_PROP_COUNT] = {
    [KMS_CRTC_ACTIVE] = "ACTIVE",
    [KMS_CRTC_MODE_ID] = "MODE_ID",
};

static const char *const plane_prop_names[KMS_PLANE_PROP_COUNT] = {
    [KMS_PLANE_TYPE] = "type",	   [KMS_PLANE_FB_ID] = "FB_ID",	  [KMS_PLANE_CRTC_ID] = "CRTC_ID",
    [KMS_PLANE_SRC_X] = "SRC_X",   [KMS_PLANE_SRC_Y] = "SRC_Y",	  [KMS_PLANE_SRC_W] = "SRC_W",
    [KMS_PLANE_SRC_H] = "SRC_H",   [KMS_PLANE_CRTC_X] = "CRTC_X", [KMS_PLANE_CRTC_Y] = "CRTC_Y",
    [KMS_PLANE_CRTC_W] = "CRTC_W", [KMS_PLANE_CRTC_H] = "CRTC_H",
};

static bool read_props(int fd, uint32_t object_id, uint32_t object_type, const char *const *names,
		       size_t count, uint32_t *prop_ids, uint64_t *values)
{
	memset(prop_ids, 0, count * sizeof(*prop_ids));
	memset(values, 0, count * sizeof(*values));
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, object_id, object_type);
	if (!props)
		return false;
	for (uint32_t i = 0; i < props->count_props; i++) {
		drmModePropertyRes *prop = drmModeGetProperty(fd, props->props[i]);
		if (!prop)
			continue;
		for (size_t n = 0; n < count; n++) {
			if (strcmp(prop->name, names[n]) == 0) {
				prop_ids[n] = prop->prop_id;
				values[n] = props->prop_values[i];
			}
		}
		drmModeFreeProperty(prop);
	}
	drmModeFreeObjectProperties(props);
	return true;
}

bool kms_read_connector_props(int fd, uint32_t id, struct kms_connector_props *out)
{
	out->id = id;
	return read_props(fd, id, DRM_MODE_OBJECT_CONNECTOR, connector_prop_names,
			  KMS_CONNECTOR_PROP_COUNT, out->prop, out->saved);
}

bool kms_read_crtc_props(int fd, uint32_t id, struct kms_crtc_props *out)
{
	out->id = id;
	return read_props(fd, id, DRM_MODE_OBJECT_CRTC, crtc_prop_names, KMS_CRTC_PROP_COUNT,
			  out->prop, out->saved);
}

bool kms_read_plane_props(int fd, uint32_t id, struct kms_plane_props *out)
{
	out->id = id;
	return read_props(fd, id, DRM_MODE_OBJECT_PLANE, plane_prop_names, KMS_PLANE_PROP_COUNT,
			  out->prop, out->saved);
}

static bool has_connected_connector(int fd)
{
	drmModeRes *resources = drmModeGetResources(fd);
	if (!resources)
		return false;
	bool found = false;
	for (int i = 0; i < resources->count_connectors && !found; i++) {
		drmModeConnector *connector =
		    drmModeGetConnectorCurrent(fd, resources->connectors[i]);
		if (!connector)
			continue;
		found = connector->connection == DRM_MODE_CONNECTED &&
			connector->connector_type != DRM_MODE_CONNECTOR_WRITEBACK;
		drmModeFreeConnector(connector);
	}
	drmModeFreeResources(resources);
	return found;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t kms_find_cards(char paths[][TSR_PATH_MAX], size_t max)
{
	DIR *dir = opendir("/dev/dri");
	if (!dir) {
		tsr_log_errno(TSR_LOG_ERROR, "kms: cannot list /dev/dri (no DRM device?)");
		return 0;
	}
	char names[16][32];
	char *sorted[16];
	size_t count = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)) && count < 16) {
		if (strncmp(entry->d_name, "card", 4) != 0 || strlen(entry->d_name) >= 32)
			continue;
		memcpy(names[count], entry->d_name, strlen(entry->d_name) + 1);
		sorted[count] = names[count];
		count++;
	}
	closedir(dir);
	qsort(sorted, count, sizeof(sorted[0]), compare_names);

	size_t found = 0;
	for (size_t i = 0; i < count && found < max; i++) {
		char candidate[TSR_PATH_MAX];
		snprintf(candidate, sizeof(candidate), "/dev/dri/%s", sorted[i]);
		int fd = open(candidate, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		bool usable = has_connected_connector(fd);
		close(fd);
		if (usable)
			snprintf(paths[found++], TSR_PATH_MAX, "%s", candidate);
	}
	if (found == 0)
		tsr_log(TSR_LOG_ERROR, "kms: no /dev/dri/card* has a connected connector");
	return found;
}

/* The first /dev/dri/cardN (by name order) with a connected connector. */
static bool find_card(char *path, size_t path_len)
{
	char paths[1][TSR_PATH_MAX];
	if (kms_find_cards(paths, 1) == 0)
		return false;
	snprintf(path, path_len, "%s", paths[0]);
	return true;
}

bool kms_device_open(struct kms_device *device, const char *path)
{
	memset(device, 0, sizeof(*device));
	device->fd = -1;
	if (path && path[0])
		snprintf(device->path, sizeof(device->path), "%s", path);
	else if (!find_card(device->path, sizeof(device->path)))
		return false;

	device->fd = open(device->path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (device->fd < 0) {
		tsr_log_errno(TSR_LOG_ERROR, "kms: cannot open %s", device->path);
		return false;
	}

	uint64_t dumb = 0;
	if (drmGetCap(device->fd, DRM_CAP_DUMB_BUFFER, &dumb) != 0 || !dumb) {
		tsr_log(TSR_LOG_ERROR, "kms: %s has no dumb buffer support", device->path);
		goto error;
	}
	if (drmSetClientCap(device->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) != 0) {
		tsr_log_errno(TSR_LOG_ERROR, "kms: %s does not support universal planes",
			      device->path);
		goto error;
	}
	if (drmSetClientCap(device->fd, DRM_CLIENT_CAP_ATOMIC, 1) != 0) {
		tsr_log_errno(TSR_LOG_ERROR,
			      "kms: %s does not support atomic modesetting, which Tessera requires",
			      device->path);
		goto error;
	}
	device->writeback_cap =
	    drmSetClientCap(device->fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1) == 0;

	if (drmSetMaster(device->fd) != 0) {
		tsr_log_errno(TSR_LOG_ERROR,
			      "kms: cannot become DRM master of %s (another display server "
			      "holds it?)",
			      device->path);
		goto error;
	}
	device->is_master = true;
	if (!drmIsMaster(device->fd)) {
		tsr_log(TSR_LOG_ERROR, "kms: %s: another process is DRM master", device->path);
		goto error;
	}
	tsr_log(TSR_LOG_INFO, "kms: using %s (writeback connectors %s)", device->path,
		device->writeback_cap ? "enabled" : "unsupported");
	return true;

error:
	kms_device_close(device);
	return false;
}

void kms_device_close(struct kms_device *device)
{
	if (device->fd < 0)
		return;
	if (device->is_master)
		drmDropMaster(device->fd);
	device->is_master = false;
	close(device->fd);
	device->fd = -1;
}
