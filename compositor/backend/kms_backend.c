/* The KMS backend: opens the card, gives every connected connector its own
 * CRTC and primary plane (and cursor plane when there is one), finds a
 * writeback connector for captures, and routes page-flip events. */
#include <drm_fourcc.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"

static void page_flip_handler(int fd, unsigned int sequence, unsigned int tv_sec,
			      unsigned int tv_usec, unsigned int crtc_id, void *data)
{
	struct kms_backend *backend = data;
	for (size_t i = 0; i < backend->output_count; i++) {
		struct kms_output *output = backend->outputs[i];
		if (output->crtc.id == crtc_id) {
			kms_output_handle_flip(output, (uint64_t)tv_sec * 1000000000ull +
							   (uint64_t)tv_usec * 1000ull);
			return;
		}
	}
}

void kms_backend_dispatch_drm(struct kms_backend *backend)
{
	drmEventContext context = {
	    .version = 3,
	    .page_flip_handler2 = page_flip_handler,
	};
	if (drmHandleEvent(backend->device.fd, &context) != 0 && errno != EAGAIN)
		tsr_log_errno(TSR_LOG_WARN, "kms: %s: reading DRM events failed",
			      backend->device.path);
}

static void drm_readable(int fd, uint32_t mask, void *data)
{
	kms_backend_dispatch_drm(data);
}

static bool plane_supports(drmModePlane *plane, uint32_t format)
{
	for (uint32_t i = 0; i < plane->count_formats; i++) {
		if (plane->formats[i] == format)
			return true;
	}
	return false;
}

struct kms_claims {
	uint32_t crtcs; /* bitmask over resource CRTC indices */
	uint32_t planes[64];
	size_t plane_count;
};

static bool plane_claimed(const struct kms_claims *claims, uint32_t plane_id)
{
	for (size_t i = 0; i < claims->plane_count; i++) {
		if (claims->planes[i] == plane_id)
			return true;
	}
	return false;
}

static void claim_plane(struct kms_claims *claims, uint32_t plane_id)
{
	if (plane_id && claims->plane_count < 64)
		claims->planes[claims->plane_count++] = plane_id;
}

/* Finds an unclaimed plane of a type for the CRTC at crtc_index. */
static uint32_t find_plane(int fd, const struct kms_claims *claims, uint32_t crtc_index,
			   uint64_t type, uint32_t format)
{
	drmModePlaneRes *planes = drmModeGetPlaneResources(fd);
	if (!planes)
		return 0;
	uint32_t found = 0;
	for (uint32_t i = 0; i < planes->count_planes && !found; i++) {
		uint32_t id = planes->planes[i];
		if (plane_claimed(claims, id))
			continue;
		drmModePlane *plane = drmModeGetPlane(fd, id);
		if (!plane)
			continue;
		struct kms_plane_props props;
		if ((plane->possible_crtcs & (1u << crtc_index)) && plane_supports(plane, format) &&
		    kms_read_plane_props(fd, id, &props) && props.prop[KMS_PLANE_TYPE] &&
		    props.saved[KMS_PLANE_TYPE] == type)
			found = id;
		drmModeFreePlane(plane);
	}
	drmModeFreePlaneResources(planes);
	return found;
}

static int crtc_index_of(const drmModeRes *resources, uint32_t crtc_id)
{
	for (int i = 0; i < resources->count_crtcs && i < 32; i++) {
		if (resources->crtcs[i] == crtc_id)
			return i;
	}
	return -1;
}

/* The CRTCs the connector's encoders can drive. */
static uint32_t connector_possible_crtcs(int fd, const drmModeConnector *connector)
{
	uint32_t possible = 0;
	for (int i = 0; i < connector->count_encoders; i++) {
		drmModeEncoder *encoder = drmModeGetEncoder(fd, connector->encoders[i]);
		if (!encoder)
			continue;
		possible |= encoder->possible_crtcs;
		drmModeFreeEncoder(encoder);
	}
	return possible;
}

/* Prefers the CRTC already driving the connector (no visible switch). */
static int choose_crtc(int fd, const drmModeRes *resources, const drmModeConnector *connector,
		       const struct kms_claims *claims)
{
	uint32_t possible = connector_possible_crtcs(fd, connector) & ~claims->crtcs;
	if (connector->encoder_id) {
		drmModeEncoder *encoder = drmModeGetEncoder(fd, connector->encoder_id);
		if (encoder) {
			int current =
			    encoder->crtc_id ? crtc_index_of(resources, encoder->crtc_id) : -1;
			drmModeFreeEncoder(encoder);
			if (current >= 0 && (possible & (1u << current)))
				return current;
		}
	}
	for (int i = 0; i < resources->count_crtcs && i < 32; i++) {
		if (possible & (1u << i))
			return i;
	}
	return -1;
}

static void note_writeback(struct kms_backend *backend, const drmModeConnector *connector)
{
	if (backend->has_writeback)
		return;
	struct kms_writeback *writeback = &backend->writeback;
	if (!kms_read_connector_props(backend->device.fd, connector->connector_id,
				      &writeback->connector))
		return;
	const uint32_t *prop = writeback->connector.prop;
	if (!prop[KMS_CONNECTOR_CRTC_ID] || !prop[KMS_CONNECTOR_WRITEBACK_FB_ID] ||
	    !prop[KMS_CONNECTOR_WRITEBACK_OUT_FENCE_PTR])
		return;
	writeback->possible_crtcs = connector_possible_crtcs(backend->device.fd, connector);
	backend->has_writeback = writeback->possible_crtcs != 0;
}

static struct kms_output *add_output(struct kms_backend *backend, drmModeRes *resources,
				     drmModeConnector *connector, struct kms_claims *claims)
{
	int fd = backend->device.fd;
	if (backend->output_count >= KMS_MAX_OUTPUTS) {
		tsr_log(TSR_LOG_WARN, "kms: more than %u outputs; ignoring connector %u",
			KMS_MAX_OUTPUTS, connector->connector_id);
		return NULL;
	}
	int crtc_index = choose_crtc(fd, resources, connector, claims);
	if (crtc_index < 0) {
		tsr_log(TSR_LOG_WARN, "kms: no free CRTC for connector %u",
			connector->connector_id);
		return NULL;
	}
	uint32_t primary = find_plane(fd, claims, (uint32_t)crtc_index, DRM_PLANE_TYPE_PRIMARY,
				      DRM_FORMAT_XRGB8888);
	if (!primary) {
		tsr_log(TSR_LOG_WARN, "kms: no XRGB8888 primary plane for connector %u",
			connector->connector_id);
		return NULL;
	}
	struct kms_claims with_primary = *claims;
	claim_plane(&with_primary, primary);
	uint32_t cursor = find_plane(fd, &with_primary, (uint32_t)crtc_index, DRM_PLANE_TYPE_CURSOR,
				     DRM_FORMAT_ARGB8888);
	claim_plane(&with_primary, cursor);
	/* For direct scanout of a guest's buffer (kms_scanout.c). */
	uint32_t overlay = find_plane(fd, &with_primary, (uint32_t)crtc_index,
				      DRM_PLANE_TYPE_OVERLAY, DRM_FORMAT_XRGB8888);
	struct kms_output *output =
	    kms_output_create(backend, connector, resources->crtcs[crtc_index],
			      (uint32_t)crtc_index, primary, cursor, overlay);
	if (!output)
		return NULL;
	claims->crtcs |= 1u << crtc_index;
	claim_plane(claims, primary);
	claim_plane(claims, cursor);
	claim_plane(claims, overlay);
	backend->outputs[backend->output_count++] = output;
	return output;
}

static void announce_added(struct kms_backend *backend, struct kms_output *output)
{
	if (backend->base.listener.output_added)
		backend->base.listener.output_added(backend->base.listener.data, &output->base);
}

/* What the outputs already hold, so a re-probe never takes their CRTC or
 * planes (the outputs that did not change keep showing what they show). */
static void claims_of_outputs(const struct kms_backend *backend, struct kms_claims *claims)
{
	*claims = (struct kms_claims){0};
	for (size_t i = 0; i < backend->output_count; i++) {
		const struct kms_output *output = backend->outputs[i];
		claims->crtcs |= 1u << output->crtc_index;
		claim_plane(claims, output->primary.id);
		claim_plane(claims, output->cursor.id);
		claim_plane(claims, output->overlay.id);
	}
}

static struct kms_output *output_of_connector(const struct kms_backend *backend, uint32_t id)
{
	for (size_t i = 0; i < backend->output_count; i++)
		if (backend->outputs[i]->connector.id == id)
			return backend->outputs[i];
	return NULL;
}

/* Whether connector id is still there and connected. */
static bool connector_connected(int fd, const drmModeRes *resources, uint32_t id)
{
	for (int i = 0; i < resources->count_connectors; i++) {
		if (resources->connectors[i] != id)
			continue;
		drmModeConnector *connector = drmModeGetConnector(fd, id);
		bool connected = connector && connector->connection == DRM_MODE_CONNECTED;
		drmModeFreeConnector(connector);
		return connected;
	}
	return false;
}

void kms_backend_reprobe(struct tsr_backend *base)
{
	struct kms_backend *backend = (struct kms_backend *)base;
	int fd = backend->device.fd;
	if (fd < 0 || backend->device.gone)
		return;
	drmModeRes *resources = drmModeGetResources(fd);
	if (!resources) {
		tsr_log_errno(TSR_LOG_WARN, "kms: %s: cannot re-read KMS resources after a hotplug",
			      backend->device.path);
		return;
	}
	/* Removals first: their CRTCs and planes are free for the additions. */
	for (size_t i = backend->output_count; i > 0; i--) {
		struct kms_output *output = backend->outputs[i - 1];
		if (connector_connected(fd, resources, output->connector.id))
			continue;
		tsr_log(TSR_LOG_INFO, "kms: %s disconnected", output->base.name);
		kms_output_destroy(output);
	}
	struct kms_claims claims;
	claims_of_outputs(backend, &claims);
	for (int i = 0; i < resources->count_connectors; i++) {
		if (output_of_connector(backend, resources->connectors[i]))
			continue;
		drmModeConnector *connector = drmModeGetConnector(fd, resources->connectors[i]);
		if (!connector)
			continue;
		struct kms_output *output = NULL;
		if (connector->connector_type != DRM_MODE_CONNECTOR_WRITEBACK &&
		    connector->connection == DRM_MODE_CONNECTED)
			output = add_output(backend, resources, connector, &claims);
		drmModeFreeConnector(connector);
		if (output) {
			tsr_log(TSR_LOG_INFO, "kms: %s connected", output->base.name);
			announce_added(backend, output);
		}
	}
	drmModeFreeResources(resources);
}

void kms_backend_card_gone(struct tsr_backend *base)
{
	struct kms_backend *backend = (struct kms_backend *)base;
	backend->device.gone = true;
	tsr_event_source_remove(backend->drm_source);
	backend->drm_source = NULL;
	while (backend->output_count > 0)
		kms_output_destroy(backend->outputs[backend->output_count - 1]);
}

const char *kms_backend_path(const struct tsr_backend *base)
{
	return ((const struct kms_backend *)base)->device.path;
}

/* Before the outputs exist: their buffers come from GBM when the renderer
 * draws into them (kms_output.c, create_buffers). */
static void offer_render_device(struct kms_backend *backend)
{
	const struct tsr_backend_listener *listener = &backend->base.listener;
	if (!listener->render_device)
		return;
	struct tsr_render_device *device = kms_gbm_device_create(&backend->device);
	if (listener->render_device(listener->data, device))
		backend->render_device = device;
	else
		tsr_render_device_unref(device);
}

static bool backend_start(struct tsr_backend *base)
{
	struct kms_backend *backend = (struct kms_backend *)base;
	uint64_t inject_failure_at = backend->device.inject_failure_at;
	if (!kms_device_open(&backend->device, backend->config.device))
		return false;
	backend->device.inject_failure_at = inject_failure_at;
	int fd = backend->device.fd;

	drmModeRes *resources = drmModeGetResources(fd);
	if (!resources) {
		tsr_log_errno(TSR_LOG_ERROR, "kms: %s: cannot read KMS resources",
			      backend->device.path);
		return false;
	}
	offer_render_device(backend);
	struct kms_claims claims = {0};
	for (int i = 0; i < resources->count_connectors; i++) {
		drmModeConnector *connector = drmModeGetConnector(fd, resources->connectors[i]);
		if (!connector)
			continue;
		if (connector->connector_type == DRM_MODE_CONNECTOR_WRITEBACK)
			note_writeback(backend, connector);
		else if (connector->connection == DRM_MODE_CONNECTED)
			add_output(backend, resources, connector, &claims);
		drmModeFreeConnector(connector);
	}
	drmModeFreeResources(resources);
	if (backend->output_count == 0) {
		tsr_log(TSR_LOG_ERROR, "kms: %s: no usable connected connector",
			backend->device.path);
		return false;
	}

	backend->drm_source =
	    tsr_event_loop_add_fd(backend->loop, fd, TSR_EVENT_READABLE, drm_readable, backend);
	if (!backend->drm_source) {
		tsr_log(TSR_LOG_ERROR, "kms: cannot watch %s", backend->device.path);
		return false;
	}
	for (size_t i = 0; i < backend->output_count; i++)
		announce_added(backend, backend->outputs[i]);
	return true;
}

static void backend_destroy(struct tsr_backend *base)
{
	struct kms_backend *backend = (struct kms_backend *)base;
	/* Every output is announced before any is torn down: destroying one
	 * waits for its flip and dispatches the others' events, which must not
	 * reach a compositor that is letting go of the whole card. */
	for (size_t i = 0; i < backend->output_count; i++)
		kms_output_announce_removed(backend->outputs[i]);
	/* kms_output_destroy takes the output out of the array. */
	while (backend->output_count > 0)
		kms_output_destroy(backend->outputs[backend->output_count - 1]);
	tsr_event_source_remove(backend->drm_source);
	kms_scanout_forget_all(backend);
	tsr_render_device_unref(backend->render_device);
	kms_device_close(&backend->device);
	free(backend);
}

static const struct tsr_backend_impl kms_backend_impl = {
    .start = backend_start,
    .destroy = backend_destroy,
};

struct tsr_backend *tsr_backend_kms_create(struct tsr_event_loop *loop,
					   const struct tsr_output_config *config,
					   const struct tsr_backend_listener *listener)
{
	struct kms_backend *backend = calloc(1, sizeof(*backend));
	if (!backend)
		return NULL;
	backend->base.impl = &kms_backend_impl;
	if (listener)
		backend->base.listener = *listener;
	backend->loop = loop;
	backend->config = *config;
	backend->device.fd = -1;

	return &backend->base;
}

void kms_backend_inject_commit_failure(struct tsr_backend *base, uint64_t commit_number)
{
	struct kms_backend *backend = (struct kms_backend *)base;
	backend->device.inject_failure_at = commit_number;
}
