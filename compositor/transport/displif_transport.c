/* Discovery and the XenBus side of each vdispl device:
 *
 *   backend/vdispl watch -> a new <domid>/<devid>: identify the domain by its
 *                           toolstack name; unconfigured, a second device,
 *                           be-alloc = 1, no usable resolution: refused with
 *                           one log line, state Closed and the state node
 *                           removed, so `xl create` fails at once instead of
 *                           waiting 10 s for InitWait
 *                        -> a configured one: InitWait, watch the frontend
 *                        -> the toolstack writes Closing (xl destroy):
 *                           Closed at once
 *   frontend watch       -> its state through displif_state.c; Initialised:
 *                           read its ring nodes, create the link
 *   @releaseDomain       -> devices of dead domains are closed
 *
 * Paths and values under dom0's backend directory are the toolstack's and
 * ours (the guest cannot write there), so the backend watch's event path is
 * parsed. The frontend directory is the guest's: its watch token (ours)
 * names the device, the event path is never parsed, and the nodes Tessera
 * relies on beyond the ring numbers (be-alloc, resolution) must be owned
 * by dom0 (the toolstack writes them). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "core/guest_directory.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "transport/displif_link.h"
#include "transport/displif_request.h"
#include "transport/displif_state.h"
#include "transport/displif_transport.h"
#include "transport/xen_identity.h"
#include "transport/xen_paths.h"
#include "transport/xs_watches.h"

#define MAX_DEVICES 64u
/* Frontend directory watch events per window before it counts as a flood
 * (each costs a few xenstore reads). */
#define FRONTEND_EVENTS_MAX 200u
#define FRONTEND_EVENT_WINDOW_NS 2000000000ull

#define BACKEND_TOKEN "tessera-vdispl"
#define RELEASE_TOKEN "tessera-vdispl-release"
#define FRONTEND_TOKEN_PREFIX "tessera-vdispl-fe:"

struct device {
	struct tsr_displif_transport *transport;
	bool in_use;
	uint32_t domid, devid;
	int domain_index; /* -1: refused */
	bool watching;
	struct tsr_displif_fsm fsm;
	uint32_t connector_count;
	struct tsr_displif_connector_setup connectors[TSR_DISPLIF_MAX_CONNECTORS];
	struct tsr_guest_link *link;
	uint64_t event_window_ns;
	uint32_t events_in_window;
};

struct tsr_displif_transport {
	struct tsr_event_loop *loop;
	struct tsr_guest_directory *guests;
	const struct tsr_config *config;
	struct xs_handle *xs;
	struct tsr_event_source *xs_source;
	uint32_t self_domid;
	char backend_root[64];
	struct device devices[MAX_DEVICES];
};

/* "640x480" or, for several connectors, "2 connectors: 480x360 320x240"
 * (the log names every connector Tessera will show). */
static void describe_connectors(const struct device *device, char *out, size_t out_len)
{
	size_t used = 0;
	out[0] = '\0';
	if (device->connector_count > 1)
		used = (size_t)snprintf(out, out_len,
					"%" PRIu32 " connectors:", device->connector_count);
	for (uint32_t i = 0; i < device->connector_count && used < out_len; i++)
		used += (size_t)snprintf(out + used, out_len - used, "%s%" PRIu32 "x%" PRIu32,
					 used ? " " : "", device->connectors[i].width,
					 device->connectors[i].height);
}

static const char *device_name(const struct device *device)
{
	return device->domain_index >= 0
		   ? device->transport->config->domains[device->domain_index].name
		   : "?";
}

#define log_device(level, device, ...)                                                             \
	tsr_log_domain(level, device_name(device), (int32_t)(device)->domid, __VA_ARGS__)

static bool backend_path(const struct device *device, const char *node, char *out, size_t len)
{
	int n =
	    snprintf(out, len, "%s/%" PRIu32 "/%" PRIu32 "%s%s", device->transport->backend_root,
		     device->domid, device->devid, node[0] ? "/" : "", node);
	return n > 0 && (size_t)n < len;
}

static bool frontend_path(const struct device *device, const char *node, char *out, size_t len)
{
	int n = snprintf(out, len, "/local/domain/%" PRIu32 "/device/vdispl/%" PRIu32 "%s%s",
			 device->domid, device->devid, node[0] ? "/" : "", node);
	return n > 0 && (size_t)n < len;
}

static bool frontend_token(const struct device *device, char *out, size_t len)
{
	int n = snprintf(out, len, FRONTEND_TOKEN_PREFIX "%" PRIu32 ":%" PRIu32, device->domid,
			 device->devid);
	return n > 0 && (size_t)n < len;
}

/* Strict decimal, like domids: digits only, no leading zero, < 2^32. */
static bool parse_u32(const char *text, uint32_t *out)
{
	if (!text || !text[0] || (text[0] == '0' && text[1]))
		return false;
	uint64_t value = 0;
	for (const char *c = text; *c; c++) {
		if (*c < '0' || *c > '9' || c - text >= 10)
			return false;
		value = value * 10u + (uint64_t)(*c - '0');
	}
	if (value > UINT32_MAX)
		return false;
	*out = (uint32_t)value;
	return true;
}

static char *read_node(struct tsr_displif_transport *transport, const char *path)
{
	unsigned int length = 0;
	char *value = xs_read(transport->xs, XBT_NULL, path, &length);
	/* Embedded NULs: treat as garbage, the parsers then refuse it. */
	if (value && strlen(value) != length) {
		free(value);
		return strdup("?");
	}
	return value;
}

/* The node's value if dom0 owns it (the toolstack wrote it), else NULL. */
static char *read_dom0_node(struct tsr_displif_transport *transport, const char *path,
			    bool *foreign)
{
	*foreign = false;
	unsigned int count = 0;
	struct xs_permissions *perms = xs_get_permissions(transport->xs, XBT_NULL, path, &count);
	if (!perms)
		return NULL;
	bool ours = count > 0 && perms[0].id == transport->self_domid;
	free(perms);
	if (!ours) {
		*foreign = true;
		return NULL;
	}
	return read_node(transport, path);
}

static void write_state(struct device *device, enum tsr_xenbus_state state)
{
	char path[128], value[4];
	if (!backend_path(device, "state", path, sizeof(path)))
		return;
	snprintf(value, sizeof(value), "%d", (int)state);
	if (!xs_write(device->transport->xs, XBT_NULL, path, value, (unsigned)strlen(value)))
		log_device(TSR_LOG_WARN, device, "cannot write %s: %s", path, strerror(errno));
}

static struct device *find_device(struct tsr_displif_transport *transport, uint32_t domid,
				  uint32_t devid)
{
	for (size_t i = 0; i < MAX_DEVICES; i++) {
		struct device *device = &transport->devices[i];
		if (device->in_use && device->domid == domid && device->devid == devid)
			return device;
	}
	return NULL;
}

static void unwatch_frontend(struct device *device)
{
	if (!device->watching)
		return;
	char path[128], token[64];
	if (frontend_path(device, "", path, sizeof(path)) &&
	    frontend_token(device, token, sizeof(token)))
		xs_unwatch(device->transport->xs, path, token);
	device->watching = false;
}

static void close_link(struct device *device, const char *reason, bool violation)
{
	if (device->link)
		tsr_displif_link_close(device->link, reason, violation);
	/* link_destroyed cleared device->link. */
}

static void forget(struct device *device)
{
	close_link(device, "the device was removed", false);
	unwatch_frontend(device);
	device->in_use = false;
}

/* Refuses a device the toolstack offers: Closed, and the state node
 * removed, which ends libxl's wait for InitWait at once ("backend ...
 * wanted state 2 but it was removed"), so `xl create` fails cleanly. */
static void refuse(struct device *device, const char *domain, const char *why)
{
	tsr_log(TSR_LOG_WARN,
		"displif: [domain %s/%" PRIu32 "] vdispl device %" PRIu32 " refused: %s", domain,
		device->domid, device->devid, why);
	device->domain_index = -1;
	device->fsm.finished = true;
	write_state(device, TSR_XENBUS_CLOSED);
	char path[128];
	if (backend_path(device, "state", path, sizeof(path)))
		xs_rm(device->transport->xs, XBT_NULL, path);
}

static void apply(struct device *device, struct tsr_displif_step step);

static void link_destroyed(void *data, bool violation)
{
	struct device *device = data;
	device->link = NULL;
	/* Dropped by the core or the link (which logged why): the device stays
	 * Closed until the domain restarts. */
	if (!violation)
		return;
	/* The core logged the drop already: only the state is left to set. */
	struct tsr_displif_step step = tsr_displif_fsm_fail(&device->fsm, "dropped");
	if (step.write != TSR_XENBUS_UNKNOWN)
		write_state(device, step.write);
}

static bool read_ring_nodes(struct device *device,
			    struct tsr_displif_connector_setup *setup /* [connector_count] */)
{
	static const char *const names[] = {"req-ring-ref", "req-event-channel", "evt-ring-ref",
					    "evt-event-channel"};
	for (uint32_t i = 0; i < device->connector_count; i++) {
		uint32_t *fields[] = {&setup[i].req_ring_ref, &setup[i].req_event_channel,
				      &setup[i].evt_ring_ref, &setup[i].evt_event_channel};
		setup[i].width = device->connectors[i].width;
		setup[i].height = device->connectors[i].height;
		for (size_t f = 0; f < 4; f++) {
			char node[48], path[128];
			snprintf(node, sizeof(node), "%" PRIu32 "/%s", i, names[f]);
			if (!frontend_path(device, node, path, sizeof(path)))
				return false;
			char *untrusted = read_node(device->transport, path);
			bool ok = parse_u32(untrusted, fields[f]);
			free(untrusted);
			if (!ok)
				return false;
		}
	}
	return true;
}

static bool connect(struct device *device)
{
	struct tsr_displif_transport *transport = device->transport;
	size_t index = (size_t)device->domain_index;
	if (!tsr_guests_may_connect(transport->guests, index, (int32_t)device->domid))
		return false; /* this instance was dropped for a violation (logged) */
	if (!read_ring_nodes(device, device->connectors)) {
		log_device(TSR_LOG_WARN, device,
			   "vdispl %" PRIu32 ": ring nodes missing or not numbers", device->devid);
		return false;
	}
	char err[160];
	struct tsr_displif_link_owner owner = {.link_destroyed = link_destroyed, .data = device};
	struct tsr_guest_link *link = tsr_displif_link_create(
	    transport->loop, device_name(device), device->domid, device->connectors,
	    device->connector_count, &owner, err, sizeof(err));
	if (!link) {
		log_device(TSR_LOG_WARN, device, "vdispl %" PRIu32 ": %s", device->devid, err);
		return false;
	}
	if (!tsr_guests_attach_link(transport->guests, index, link, (int32_t)device->domid)) {
		tsr_displif_link_forget_owner(link);
		tsr_guest_link_destroy(link);
		return false;
	}
	device->link = link;
	char sizes[96];
	describe_connectors(device, sizes, sizeof(sizes));
	log_device(TSR_LOG_INFO, device, "vdispl %" PRIu32 " connected (%s)", device->devid, sizes);
	/* false: the core refused it and the link is gone already. */
	return tsr_displif_link_start(link);
}

static void apply(struct device *device, struct tsr_displif_step step)
{
	switch (step.action) {
	case TSR_DISPLIF_ACT_NONE:
		break;
	case TSR_DISPLIF_ACT_CONNECT:
		apply(device, tsr_displif_fsm_connected(&device->fsm, connect(device)));
		return;
	case TSR_DISPLIF_ACT_DISCONNECT:
		log_device(TSR_LOG_INFO, device, "vdispl %" PRIu32 ": %s", device->devid,
			   step.reason);
		close_link(device, step.reason, false);
		break;
	case TSR_DISPLIF_ACT_REMOVE:
		if (step.write != TSR_XENBUS_UNKNOWN)
			write_state(device, step.write);
		log_device(TSR_LOG_INFO, device, "vdispl %" PRIu32 ": %s", device->devid,
			   step.reason);
		forget(device);
		return;
	case TSR_DISPLIF_ACT_VIOLATION:
		/* With a link the core logs the drop; without, say it here. */
		if (device->link)
			close_link(device, step.reason, true);
		else
			log_device(TSR_LOG_WARN, device, "vdispl %" PRIu32 " dropped: %s",
				   device->devid, step.reason);
		break;
	}
	if (step.write != TSR_XENBUS_UNKNOWN)
		write_state(device, step.write);
}

static bool ring_nodes_unchanged(struct device *device)
{
	struct tsr_displif_connector_setup now[TSR_DISPLIF_MAX_CONNECTORS];
	if (!read_ring_nodes(device, now))
		return false;
	return memcmp(now, device->connectors, device->connector_count * sizeof(now[0])) == 0;
}

static void backend_changed(struct device *device);

static void frontend_changed(struct device *device)
{
	if (device->fsm.finished)
		return;
	/* `xl destroy` writes the backend's Closing and tears the frontend's
	 * nodes down in one transaction, and the frontend's watch can fire
	 * first: the toolstack's Closing is answered before the frontend's
	 * change is looked at, or the InitWait a gone frontend gets would
	 * overwrite it and libxl would wait its 10 s for a Closed. */
	backend_changed(device);
	if (!device->in_use || device->fsm.finished)
		return;
	uint64_t now = tsr_now_ns();
	if (now - device->event_window_ns > FRONTEND_EVENT_WINDOW_NS) {
		device->event_window_ns = now;
		device->events_in_window = 0;
	}
	if (++device->events_in_window > FRONTEND_EVENTS_MAX) {
		apply(device, tsr_displif_fsm_fail(&device->fsm,
						   "the frontend floods its xenstore directory"));
		return;
	}
	char path[128];
	if (!frontend_path(device, "state", path, sizeof(path)))
		return;
	char *untrusted_state = read_node(device->transport, path);
	struct tsr_displif_step step = tsr_displif_fsm_frontend(&device->fsm, untrusted_state, now);
	free(untrusted_state);
	if (step.action == TSR_DISPLIF_ACT_NONE && device->link && !ring_nodes_unchanged(device))
		step = tsr_displif_fsm_fail(&device->fsm,
					    "the frontend rewrote its ring nodes while connected");
	apply(device, step);
}

/* Reads what the toolstack set up for the frontend; NULL or a reason. */
static const char *check_frontend_setup(struct device *device)
{
	struct tsr_displif_transport *transport = device->transport;
	char path[128];
	bool foreign;
	if (!frontend_path(device, "be-alloc", path, sizeof(path)))
		return "path too long";
	char *be_alloc = read_dom0_node(transport, path, &foreign);
	bool backend_allocates = be_alloc && strcmp(be_alloc, "0") != 0;
	free(be_alloc);
	if (foreign)
		return "be-alloc is not the toolstack's node";
	if (backend_allocates)
		return "be-alloc=1 is not supported (use be-alloc=0: the guest allocates)";
	device->connector_count = 0;
	for (uint32_t i = 0; i < TSR_DISPLIF_MAX_CONNECTORS; i++) {
		char node[32];
		snprintf(node, sizeof(node), "%" PRIu32 "/resolution", i);
		if (!frontend_path(device, node, path, sizeof(path)))
			return "path too long";
		char *resolution = read_dom0_node(transport, path, &foreign);
		if (foreign) {
			free(resolution);
			return "a connector's resolution is not the toolstack's node";
		}
		if (!resolution)
			break;
		struct tsr_displif_connector_setup *c = &device->connectors[i];
		bool ok = tsr_displif_parse_resolution(resolution, &c->width, &c->height);
		free(resolution);
		if (!ok)
			return "a connector's resolution is not WxH (1..4096 each)";
		device->connector_count++;
	}
	if (device->connector_count == 0)
		return "no connector with a resolution (xl: connectors=c0:WxH)";
	return NULL;
}

/* Which configured domain device belongs to (xen_identity.h), kept to one
 * live device per domain; -1 after refusing it. */
static int claim_domain(struct device *device)
{
	struct tsr_displif_transport *transport = device->transport;
	struct tsr_xen_identity identity;
	tsr_xen_identify(transport->xs, transport->config, device->domid, TSR_XEN_ROLE_PV_DISPLAY,
			 &identity);
	if (identity.index < 0) {
		refuse(device, identity.name,
		       "no [domain NAME] with transport = xen and display = pv");
		return -1;
	}
	for (size_t i = 0; i < MAX_DEVICES; i++) {
		struct device *other = &transport->devices[i];
		if (other != device && other->in_use && other->domain_index == identity.index) {
			refuse(device, identity.name,
			       other->domid == device->domid ? "only one vdispl device per domain"
							     : "another live domain has this name");
			return -1;
		}
	}
	const char *problem = check_frontend_setup(device);
	if (problem) {
		refuse(device, identity.name, problem);
		return -1;
	}
	return identity.index;
}

static void consider_device(struct tsr_displif_transport *transport, uint32_t domid, uint32_t devid)
{
	if (domid == transport->self_domid || domid > TSR_XEN_DOMID_MAX ||
	    find_device(transport, domid, devid))
		return;
	struct device probe = {.transport = transport, .domid = domid, .devid = devid};
	char path[128];
	if (!backend_path(&probe, "state", path, sizeof(path)))
		return;
	char *state_text = read_node(transport, path);
	enum tsr_xenbus_state state;
	bool have_state = tsr_xenbus_parse_state(state_text, &state);
	free(state_text);
	if (!have_state)
		return; /* not (yet, or any more) a device */
	if (!backend_path(&probe, "online", path, sizeof(path)))
		return;
	char *online = read_node(transport, path);
	bool removing = state == TSR_XENBUS_CLOSING || (online && strcmp(online, "0") == 0);
	free(online);
	if (removing) {
		/* Left over from before us (or forgotten), being removed: answer
		 * at once, but only once. Our own write fires this watch again,
		 * and rewriting Closed over Closed would feed on itself: an
		 * endless write/watch loop that starves the event loop and
		 * keeps libxl's removal from finishing. */
		if (state != TSR_XENBUS_CLOSED)
			write_state(&probe, TSR_XENBUS_CLOSED);
		return;
	}
	struct device *device = NULL;
	for (size_t i = 0; i < MAX_DEVICES && !device; i++)
		if (!transport->devices[i].in_use)
			device = &transport->devices[i];
	if (!device) {
		tsr_log(TSR_LOG_ERROR, "displif: more than %u devices, ignoring domid %" PRIu32,
			MAX_DEVICES, domid);
		return;
	}
	*device = probe;
	device->in_use = true;
	device->domain_index = -1;

	int index = claim_domain(device);
	if (index < 0)
		return;
	device->domain_index = index;
	char token[64];
	if (!frontend_path(device, "", path, sizeof(path)) ||
	    !frontend_token(device, token, sizeof(token)) ||
	    !xs_watch(transport->xs, path, token)) {
		log_device(TSR_LOG_ERROR, device, "cannot watch %s", path);
		device->in_use = false;
		return;
	}
	device->watching = true;
	apply(device, tsr_displif_fsm_start(&device->fsm));
	char sizes[96];
	describe_connectors(device, sizes, sizeof(sizes));
	log_device(TSR_LOG_INFO, device, "vdispl %" PRIu32 ": waiting for xen-drm-front (%s)",
		   devid, sizes);
	/* The new watch fires once at once: that reads the frontend's state. */
}

static void backend_changed(struct device *device)
{
	char path[128];
	if (!backend_path(device, "state", path, sizeof(path)))
		return;
	char *state = read_node(device->transport, path);
	if (device->domain_index < 0) {
		/* Refused: remembered (so it is logged once) until the
		 * toolstack removes the directory. */
		char dir[128];
		char *exists = NULL;
		if (backend_path(device, "", dir, sizeof(dir)))
			exists = read_node(device->transport, dir);
		if (!exists && !state)
			device->in_use = false;
		free(exists);
		free(state);
		return;
	}
	struct tsr_displif_step step = tsr_displif_fsm_backend(&device->fsm, state);
	free(state);
	apply(device, step);
}

static void scan_domain(struct tsr_displif_transport *transport, uint32_t domid)
{
	char path[96];
	snprintf(path, sizeof(path), "%s/%" PRIu32, transport->backend_root, domid);
	unsigned int count = 0;
	char **devids = xs_directory(transport->xs, XBT_NULL, path, &count);
	for (unsigned int i = 0; devids && i < count; i++) {
		uint32_t devid;
		if (parse_u32(devids[i], &devid))
			consider_device(transport, domid, devid);
	}
	free(devids);
}

static void scan_all(struct tsr_displif_transport *transport)
{
	unsigned int count = 0;
	char **domids = xs_directory(transport->xs, XBT_NULL, transport->backend_root, &count);
	for (unsigned int i = 0; domids && i < count; i++) {
		uint32_t domid;
		if (tsr_xen_parse_domid(domids[i], &domid))
			scan_domain(transport, domid);
	}
	free(domids);
}

/* An event below backend/vdispl (dom0's directory): <domid>[/<devid>[/...]]. */
static void handle_backend_event(struct tsr_displif_transport *transport, const char *path)
{
	size_t root = strlen(transport->backend_root);
	if (strncmp(path, transport->backend_root, root) != 0 || path[root] != '/') {
		scan_all(transport);
		return;
	}
	char copy[128];
	snprintf(copy, sizeof(copy), "%s", path + root + 1);
	char *devid_text = strchr(copy, '/');
	if (devid_text)
		*devid_text++ = '\0';
	uint32_t domid, devid;
	if (!tsr_xen_parse_domid(copy, &domid))
		return;
	if (!devid_text) {
		scan_domain(transport, domid);
		return;
	}
	char *rest = strchr(devid_text, '/');
	if (rest)
		*rest = '\0';
	if (!parse_u32(devid_text, &devid))
		return;
	struct device *device = find_device(transport, domid, devid);
	if (device)
		backend_changed(device);
	else
		consider_device(transport, domid, devid);
}

static void handle_frontend_token(struct tsr_displif_transport *transport, const char *token)
{
	const char *ids = token + strlen(FRONTEND_TOKEN_PREFIX);
	char copy[32];
	snprintf(copy, sizeof(copy), "%s", ids);
	char *colon = strchr(copy, ':');
	if (!colon)
		return;
	*colon = '\0';
	uint32_t domid, devid;
	if (!tsr_xen_parse_domid(copy, &domid) || !parse_u32(colon + 1, &devid))
		return;
	struct device *device = find_device(transport, domid, devid);
	if (device && device->domain_index >= 0)
		frontend_changed(device);
}

static void release_domains(struct tsr_displif_transport *transport)
{
	for (size_t i = 0; i < MAX_DEVICES; i++) {
		struct device *device = &transport->devices[i];
		if (device->in_use && !xs_is_domain_introduced(transport->xs, device->domid)) {
			if (device->link)
				close_link(device, "the domain was destroyed", false);
			forget(device);
		}
	}
}

static void handle_watch(void *data, const char *path, const char *token)
{
	struct tsr_displif_transport *transport = data;
	if (strcmp(token, BACKEND_TOKEN) == 0)
		handle_backend_event(transport, path);
	else if (strcmp(token, RELEASE_TOKEN) == 0)
		release_domains(transport);
	else if (strncmp(token, FRONTEND_TOKEN_PREFIX, strlen(FRONTEND_TOKEN_PREFIX)) == 0)
		handle_frontend_token(transport, token);
}

static void handle_xenstore(int fd, uint32_t mask, void *data)
{
	(void)fd;
	(void)mask;
	struct tsr_displif_transport *transport = data;
	tsr_xs_dispatch_watches(transport->xs, "displif", handle_watch, transport);
}

struct tsr_displif_transport *tsr_displif_transport_create(struct tsr_event_loop *loop,
							   struct tsr_guest_directory *guests,
							   char *err, size_t err_len)
{
	struct tsr_displif_transport *transport = calloc(1, sizeof(*transport));
	if (!transport) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	transport->loop = loop;
	transport->guests = guests;
	transport->config = tsr_guests_config(guests);
	bool wanted = false;
	for (size_t i = 0; i < transport->config->domain_count; i++)
		wanted = wanted || transport->config->domains[i].display == TSR_DISPLAY_PV;
	if (!wanted)
		return transport;
	transport->xs = xs_open(XS_UNWATCH_FILTER);
	if (!transport->xs) {
		snprintf(err, err_len,
			 "display = pv domains are configured but xenstore is not reachable: %s",
			 strerror(errno));
		goto error;
	}
	char *self = xs_read(transport->xs, XBT_NULL, "domid", NULL);
	if (!self || !tsr_xen_parse_domid(self, &transport->self_domid))
		transport->self_domid = 0;
	free(self);
	snprintf(transport->backend_root, sizeof(transport->backend_root),
		 "/local/domain/%" PRIu32 "/backend/vdispl", transport->self_domid);
	if (!xs_watch(transport->xs, transport->backend_root, BACKEND_TOKEN) ||
	    !xs_watch(transport->xs, "@releaseDomain", RELEASE_TOKEN)) {
		snprintf(err, err_len, "cannot watch %s: %s", transport->backend_root,
			 strerror(errno));
		goto error;
	}
	transport->xs_source = tsr_event_loop_add_fd(
	    loop, xs_fileno(transport->xs), TSR_EVENT_READABLE, handle_xenstore, transport);
	if (!transport->xs_source) {
		snprintf(err, err_len, "cannot watch the xenstore connection");
		goto error;
	}
	tsr_log(TSR_LOG_INFO, "displif: watching %s for PV displays", transport->backend_root);
	return transport;
error:
	tsr_displif_transport_destroy(transport);
	return NULL;
}

void tsr_displif_transport_destroy(struct tsr_displif_transport *transport)
{
	if (!transport)
		return;
	for (size_t i = 0; i < MAX_DEVICES; i++) {
		struct device *device = &transport->devices[i];
		if (!device->in_use)
			continue;
		/* Links belong to the core; they must not call back into us. */
		if (device->link)
			tsr_displif_link_forget_owner(device->link);
		if (device->domain_index >= 0 && !device->fsm.finished)
			write_state(device, TSR_XENBUS_CLOSED);
		unwatch_frontend(device);
	}
	tsr_event_source_remove(transport->xs_source);
	if (transport->xs)
		xs_close(transport->xs);
	free(transport);
}
