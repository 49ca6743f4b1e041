/* Discovery and the XenBus handshake of kbdif devices.
 *
 *   watch backend/vinput      -> list <domid>/<devid> below it; for a new
 *   (dom0's own directory)       one read the toolstack's name of domid,
 *                                match [domain NAME] (transport = xen,
 *                                input = pv); write feature-abs-pointer,
 *                                width, height where the toolstack did not;
 *                                InitWait; watch the frontend's state.
 *                                For a device that is there: re-read our
 *                                state node (the toolstack writes 5 to
 *                                remove it: answer 6 at once). A device
 *                                whose directory went is forgotten.
 *   watch frontend state      -> kbdif_state decides; connect maps
 *                                page-gref and binds event-channel
 *                                (kbdif_device), then Connected.
 *
 * Identity: the domid is a directory name under our own backend
 * directory, which only the toolstack writes; the name is the toolstack's
 * /local/domain/<domid>/name. The frontend's directory is built from the
 * domid (never read from the backend's `frontend` node), and every value
 * read there is untrusted: parsed once, checked, and a bad one drops the
 * device with a log line naming the domain. The events' paths are never
 * parsed: our tokens name the device. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xengnttab.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "core/guest_directory.h"
#include "core/input_sink.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "transport/kbdif_backend.h"
#include "transport/kbdif_device.h"
#include "transport/kbdif_state.h"
#include "transport/xen_identity.h"
#include "transport/xen_paths.h"
#include "transport/xs_watches.h"

#define MAX_DEVICES 64u
#define MAX_DEVID 255u
#define PATH_MAX_LEN 96u
#define VINPUT_TOKEN "tessera-vinput"
#define FRONTEND_TOKEN_PREFIX "tessera-vkbd:"
/* Without width/height from the toolstack: xen-kbdfront's own default
 * (XENFB_WIDTH x XENFB_HEIGHT). */
#define DEFAULT_WIDTH 800u
#define DEFAULT_HEIGHT 600u
#define MAX_EXTENT 16384u
/* Event-channel ports (FIFO ABI: 2^17). */
#define MAX_PORT (1u << 17)

struct kbdif_entry {
	struct tsr_kbdif_backend *backend;
	bool in_use;
	uint32_t domid, devid;
	int domain_index; /* -1: not ours (refused once, remembered) */
	bool watching;
	bool seen; /* found by the current scan */
	uint32_t width, height;
	struct tsr_kbdif_state state;
	struct tsr_kbdif_device *device;
};

struct tsr_kbdif_backend {
	struct tsr_event_loop *loop;
	struct tsr_guest_directory *guests;
	const struct tsr_config *config;
	struct xs_handle *xs;
	struct tsr_event_source *xs_source;
	xentoollog_logger_stdiostream *quiet_logger;
	xengnttab_handle *gnttab;
	uint32_t self_domid;
	char vinput_path[PATH_MAX_LEN];
	struct kbdif_entry entries[MAX_DEVICES];
};

static const char *entry_name(struct kbdif_entry *entry)
{
	return entry->domain_index >= 0 ? entry->backend->config->domains[entry->domain_index].name
					: "?";
}

static bool backend_path(struct kbdif_entry *entry, const char *node, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%u/%u%s%s", entry->backend->vinput_path, entry->domid,
			 entry->devid, node ? "/" : "", node ? node : "");
	return n > 0 && (size_t)n < len;
}

static bool frontend_path(struct kbdif_entry *entry, const char *node, char *out, size_t len)
{
	int n = snprintf(out, len, "/local/domain/%u/device/vkbd/%u%s%s", entry->domid,
			 entry->devid, node ? "/" : "", node ? node : "");
	return n > 0 && (size_t)n < len;
}

static bool frontend_token(struct kbdif_entry *entry, char *out, size_t len)
{
	int n = snprintf(out, len, FRONTEND_TOKEN_PREFIX "%u/%u", entry->domid, entry->devid);
	return n > 0 && (size_t)n < len;
}

/* Reads a node as a NUL-terminated string of exactly its length, or NULL. */
static char *read_node(struct tsr_kbdif_backend *backend, const char *path)
{
	unsigned int length = 0;
	char *value = xs_read(backend->xs, XBT_NULL, path, &length);
	if (value && strlen(value) != length) {
		free(value);
		return NULL;
	}
	return value;
}

static void write_node(struct kbdif_entry *entry, const char *node, const char *value)
{
	char path[PATH_MAX_LEN];
	if (!backend_path(entry, node, path, sizeof(path)) ||
	    !xs_write(entry->backend->xs, XBT_NULL, path, value, (unsigned int)strlen(value)))
		tsr_log_domain(TSR_LOG_WARN, entry_name(entry), (int32_t)entry->domid,
			       "kbdif: cannot write %s: %s", node, strerror(errno));
}

static void write_state(struct kbdif_entry *entry, int state)
{
	char text[12];
	snprintf(text, sizeof(text), "%d", state);
	write_node(entry, "state", text);
}

static void disconnect(struct kbdif_entry *entry)
{
	if (!entry->device)
		return;
	if (entry->domain_index >= 0)
		tsr_guests_detach_input_sink(entry->backend->guests, (size_t)entry->domain_index,
					     tsr_kbdif_device_sink(entry->device));
	tsr_kbdif_device_destroy(entry->device);
	entry->device = NULL;
	tsr_log_domain(TSR_LOG_INFO, entry_name(entry), (int32_t)entry->domid,
		       "kbdif: vkbd/%u disconnected", entry->devid);
}

static void drop(struct kbdif_entry *entry, const char *reason)
{
	tsr_log_domain(TSR_LOG_WARN, entry_name(entry), (int32_t)entry->domid,
		       "kbdif: dropping vkbd/%u: %s", entry->devid, reason);
	/* The core's one ban policy: this instance stays Closed, and is
	 * refused over any other device or transport too. */
	if (entry->domain_index >= 0)
		tsr_guests_report_violation(entry->backend->guests, (size_t)entry->domain_index,
					    (int32_t)entry->domid);
	disconnect(entry);
	entry->state.connected = false;
	if (entry->state.ours != TSR_XENBUS_CLOSED) {
		entry->state.ours = TSR_XENBUS_CLOSED;
		write_state(entry, TSR_XENBUS_CLOSED);
	}
}

static void handle_device_violation(void *data, const char *reason)
{
	drop(data, reason);
}

static bool connect_device(struct kbdif_entry *entry, char *err, size_t err_len)
{
	struct tsr_kbdif_backend *backend = entry->backend;
	char path[PATH_MAX_LEN];
	uint32_t gref, port;
	char *untrusted_gref =
	    frontend_path(entry, "page-gref", path, sizeof(path)) ? read_node(backend, path) : NULL;
	char *untrusted_port = frontend_path(entry, "event-channel", path, sizeof(path))
				   ? read_node(backend, path)
				   : NULL;
	bool ok = tsr_kbdif_parse_uint(untrusted_gref, UINT32_MAX, &gref) &&
		  tsr_kbdif_parse_uint(untrusted_port, MAX_PORT, &port);
	if (!ok)
		snprintf(err, err_len, "page-gref '%.16s' or event-channel '%.16s' is not a number",
			 untrusted_gref ? untrusted_gref : "(none)",
			 untrusted_port ? untrusted_port : "(none)");
	free(untrusted_gref);
	free(untrusted_port);
	if (!ok)
		return false;
	size_t index = (size_t)entry->domain_index;
	const char *name = entry_name(entry);
	struct tsr_kbdif_device_params params = {
	    .domid = entry->domid,
	    .domain_name = name,
	    .untrusted_gref = gref,
	    .untrusted_port = port,
	    .width = entry->width,
	    .height = entry->height,
	    .input = &backend->config->input,
	};
	struct tsr_kbdif_device_owner owner = {.violation = handle_device_violation, .data = entry};
	entry->device =
	    tsr_kbdif_device_create(backend->loop, backend->gnttab, &params, &owner, err, err_len);
	if (!entry->device)
		return false;
	if (!tsr_guests_attach_input_sink(backend->guests, index,
					  tsr_kbdif_device_sink(entry->device))) {
		/* Not a violation of the guest's: the device stays, idle. */
		tsr_log_domain(TSR_LOG_INFO, name, (int32_t)entry->domid,
			       "kbdif: vkbd/%u connected but gets no input", entry->devid);
		return true;
	}
	tsr_log_domain(TSR_LOG_INFO, name, (int32_t)entry->domid,
		       "kbdif: vkbd/%u connected (absolute pointer %ux%u)", entry->devid,
		       entry->width, entry->height);
	return true;
}

static void apply(struct kbdif_entry *entry, struct tsr_kbdif_step step, const char *why)
{
	if (step.disconnect)
		disconnect(entry);
	if (step.violation) {
		drop(entry, why);
		return;
	}
	if (step.write_state >= 0)
		write_state(entry, step.write_state);
	if (step.connect) {
		char err[192];
		bool ok = connect_device(entry, err, sizeof(err));
		struct tsr_kbdif_step next = tsr_kbdif_state_connected(&entry->state, ok);
		if (!ok) {
			drop(entry, err);
			return;
		}
		if (next.write_state >= 0)
			write_state(entry, next.write_state);
	}
}

static void frontend_changed(struct kbdif_entry *entry)
{
	if (entry->domain_index < 0 ||
	    !tsr_guests_may_connect(entry->backend->guests, (size_t)entry->domain_index,
				    (int32_t)entry->domid))
		return;
	char path[PATH_MAX_LEN];
	char *untrusted_state = frontend_path(entry, "state", path, sizeof(path))
				    ? read_node(entry->backend, path)
				    : NULL;
	struct tsr_kbdif_step step = tsr_kbdif_state_frontend(&entry->state, untrusted_state);
	free(untrusted_state);
	apply(entry, step, "its frontend state is not a XenBus state (0..8)");
}

/* Size of the absolute range: the toolstack's width/height when present
 * (xl's vkb line), otherwise ours, written for the frontend to read. */
static void announce_features(struct kbdif_entry *entry)
{
	struct tsr_kbdif_backend *backend = entry->backend;
	char path[PATH_MAX_LEN], text[16];
	uint32_t *extents[2] = {&entry->width, &entry->height};
	const char *nodes[2] = {"width", "height"};
	const uint32_t defaults[2] = {DEFAULT_WIDTH, DEFAULT_HEIGHT};
	for (int i = 0; i < 2; i++) {
		char *value = backend_path(entry, nodes[i], path, sizeof(path))
				  ? read_node(backend, path)
				  : NULL;
		if (!tsr_kbdif_parse_uint(value, MAX_EXTENT, extents[i]) || *extents[i] == 0) {
			*extents[i] = defaults[i];
			snprintf(text, sizeof(text), "%u", defaults[i]);
			write_node(entry, nodes[i], text);
		}
		free(value);
	}
	write_node(entry, "feature-abs-pointer", "1");
}

static void start_device(struct kbdif_entry *entry)
{
	struct tsr_kbdif_backend *backend = entry->backend;
	char path[PATH_MAX_LEN], token[40];
	announce_features(entry);
	if (!frontend_path(entry, "state", path, sizeof(path)) ||
	    !frontend_token(entry, token, sizeof(token)) || !xs_watch(backend->xs, path, token)) {
		tsr_log_domain(TSR_LOG_ERROR, entry_name(entry), (int32_t)entry->domid,
			       "kbdif: cannot watch %s", path);
		return;
	}
	entry->watching = true;
	apply(entry, tsr_kbdif_state_start(&entry->state), "");
	tsr_log_domain(TSR_LOG_INFO, entry_name(entry), (int32_t)entry->domid,
		       "kbdif: vkbd/%u found, waiting for xen-kbdfront (absolute pointer %ux%u)",
		       entry->devid, entry->width, entry->height);
	/* xenstored fires the new watch once: that event reads the
	 * frontend's state for the first time. */
}

static struct kbdif_entry *find_entry(struct tsr_kbdif_backend *backend, uint32_t domid,
				      uint32_t devid)
{
	for (size_t i = 0; i < MAX_DEVICES; i++) {
		struct kbdif_entry *entry = &backend->entries[i];
		if (entry->in_use && entry->domid == domid && entry->devid == devid)
			return entry;
	}
	return NULL;
}

static int match_domain(struct tsr_kbdif_backend *backend, uint32_t domid)
{
	struct tsr_xen_identity identity;
	tsr_xen_identify(backend->xs, backend->config, domid, TSR_XEN_ROLE_PV_INPUT, &identity);
	if (identity.index < 0 && identity.named_index >= 0)
		tsr_log_domain(TSR_LOG_INFO, identity.name, (int32_t)domid,
			       "kbdif: the domain has a vkb device but input = agent: refused");
	else if (identity.index < 0)
		tsr_log(TSR_LOG_INFO,
			"kbdif: domain '%s' (domid %u) has a vkb device but no [domain] with "
			"transport = xen and input = pv: refused",
			identity.name, domid);
	return identity.index;
}

static void discover(struct tsr_kbdif_backend *backend, uint32_t domid, uint32_t devid)
{
	struct kbdif_entry *entry = find_entry(backend, domid, devid);
	if (entry) {
		entry->seen = true;
		return;
	}
	for (size_t i = 0; i < MAX_DEVICES && !entry; i++)
		if (!backend->entries[i].in_use)
			entry = &backend->entries[i];
	if (!entry) {
		tsr_log(TSR_LOG_ERROR, "kbdif: more than %u devices, cannot track domid %u",
			MAX_DEVICES, domid);
		return;
	}
	*entry = (struct kbdif_entry){
	    .backend = backend, .in_use = true, .domid = domid, .devid = devid, .seen = true};
	entry->domain_index = match_domain(backend, domid);
	if (entry->domain_index < 0) {
		/* Closed at once: its `xl create` fails instead of waiting. */
		write_state(entry, TSR_XENBUS_CLOSED);
		return;
	}
	start_device(entry);
}

static void forget(struct kbdif_entry *entry)
{
	disconnect(entry);
	if (entry->watching) {
		char path[PATH_MAX_LEN], token[40];
		if (frontend_path(entry, "state", path, sizeof(path)) &&
		    frontend_token(entry, token, sizeof(token)))
			xs_unwatch(entry->backend->xs, path, token);
	}
	if (entry->domain_index >= 0)
		tsr_log_domain(TSR_LOG_INFO, entry_name(entry), (int32_t)entry->domid,
			       "kbdif: vkbd/%u removed", entry->devid);
	entry->in_use = false;
}

/* Our own state node: the toolstack writes 5 to remove the device. */
static void backend_changed(struct kbdif_entry *entry)
{
	if (entry->domain_index < 0)
		return;
	char path[PATH_MAX_LEN];
	char *state = backend_path(entry, "state", path, sizeof(path))
			  ? read_node(entry->backend, path)
			  : NULL;
	struct tsr_kbdif_step step = tsr_kbdif_state_backend(&entry->state, state);
	free(state);
	if (step.disconnect)
		disconnect(entry);
	if (step.write_state >= 0)
		write_state(entry, step.write_state);
}

static void scan(struct tsr_kbdif_backend *backend)
{
	for (size_t i = 0; i < MAX_DEVICES; i++)
		backend->entries[i].seen = false;
	unsigned int domain_count = 0;
	char **domids = xs_directory(backend->xs, XBT_NULL, backend->vinput_path, &domain_count);
	for (unsigned int i = 0; domids && i < domain_count; i++) {
		uint32_t domid;
		if (!tsr_xen_parse_domid(domids[i], &domid))
			continue;
		char path[PATH_MAX_LEN];
		int n = snprintf(path, sizeof(path), "%s/%u", backend->vinput_path, domid);
		if (n <= 0 || (size_t)n >= sizeof(path))
			continue;
		unsigned int device_count = 0;
		char **devids = xs_directory(backend->xs, XBT_NULL, path, &device_count);
		for (unsigned int j = 0; devids && j < device_count; j++) {
			uint32_t devid;
			if (tsr_kbdif_parse_uint(devids[j], MAX_DEVID, &devid))
				discover(backend, domid, devid);
		}
		free(devids);
	}
	free(domids);
	for (size_t i = 0; i < MAX_DEVICES; i++) {
		struct kbdif_entry *entry = &backend->entries[i];
		if (!entry->in_use)
			continue;
		if (!entry->seen)
			forget(entry);
		else
			backend_changed(entry);
	}
}

static void handle_watch(void *data, const char *path, const char *token)
{
	(void)path;
	struct tsr_kbdif_backend *backend = data;
	if (strcmp(token, VINPUT_TOKEN) == 0) {
		scan(backend);
		return;
	}
	size_t prefix = strlen(FRONTEND_TOKEN_PREFIX);
	if (strncmp(token, FRONTEND_TOKEN_PREFIX, prefix) != 0)
		return;
	char domid_text[8], devid_text[8];
	const char *slash = strchr(token + prefix, '/');
	size_t length = slash ? (size_t)(slash - token - prefix) : 0;
	if (!slash || length == 0 || length >= sizeof(domid_text) ||
	    strlen(slash + 1) >= sizeof(devid_text))
		return;
	memcpy(domid_text, token + prefix, length);
	domid_text[length] = '\0';
	snprintf(devid_text, sizeof(devid_text), "%s", slash + 1);
	uint32_t domid, devid;
	if (!tsr_xen_parse_domid(domid_text, &domid) ||
	    !tsr_kbdif_parse_uint(devid_text, MAX_DEVID, &devid))
		return;
	struct kbdif_entry *entry = find_entry(backend, domid, devid);
	if (entry)
		frontend_changed(entry);
}

static void handle_xenstore(int fd, uint32_t mask, void *data)
{
	(void)fd;
	(void)mask;
	struct tsr_kbdif_backend *backend = data;
	tsr_xs_dispatch_watches(backend->xs, "kbdif", handle_watch, backend);
}

struct tsr_kbdif_backend *tsr_kbdif_backend_create(struct tsr_event_loop *loop,
						   struct tsr_guest_directory *guests, char *err,
						   size_t err_len)
{
	struct tsr_kbdif_backend *backend = calloc(1, sizeof(*backend));
	if (!backend) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	backend->loop = loop;
	backend->guests = guests;
	backend->config = tsr_guests_config(guests);
	bool wanted = false;
	for (size_t i = 0; i < backend->config->domain_count; i++)
		wanted = wanted || backend->config->domains[i].input == TSR_INPUT_PV;
	if (!wanted)
		return backend;

	backend->xs = xs_open(XS_UNWATCH_FILTER);
	if (!backend->xs) {
		snprintf(err, err_len,
			 "domains with input = pv are configured but xenstore is not reachable: %s",
			 strerror(errno));
		goto error;
	}
	backend->quiet_logger = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
	backend->gnttab = xengnttab_open((xentoollog_logger *)backend->quiet_logger, 0);
	if (!backend->gnttab) {
		snprintf(err, err_len, "input = pv: cannot open /dev/xen/gntdev: %s",
			 strerror(errno));
		goto error;
	}
	char *self = xs_read(backend->xs, XBT_NULL, "domid", NULL);
	if (!self || !tsr_xen_parse_domid(self, &backend->self_domid))
		backend->self_domid = 0;
	free(self);
	snprintf(backend->vinput_path, sizeof(backend->vinput_path),
		 "/local/domain/%u/backend/vinput", backend->self_domid);
	if (!xs_watch(backend->xs, backend->vinput_path, VINPUT_TOKEN)) {
		snprintf(err, err_len, "cannot watch %s: %s", backend->vinput_path,
			 strerror(errno));
		goto error;
	}
	backend->xs_source = tsr_event_loop_add_fd(loop, xs_fileno(backend->xs), TSR_EVENT_READABLE,
						   handle_xenstore, backend);
	if (!backend->xs_source) {
		snprintf(err, err_len, "cannot watch the xenstore connection");
		goto error;
	}
	tsr_log(TSR_LOG_INFO, "kbdif: watching %s for PV keyboards and pointers",
		backend->vinput_path);
	return backend;
error:
	tsr_kbdif_backend_destroy(backend);
	return NULL;
}

void tsr_kbdif_backend_destroy(struct tsr_kbdif_backend *backend)
{
	if (!backend)
		return;
	for (size_t i = 0; i < MAX_DEVICES; i++) {
		struct kbdif_entry *entry = &backend->entries[i];
		if (!entry->in_use || entry->domain_index < 0)
			continue;
		disconnect(entry);
		/* The frontend unplugs; a new Tessera starts it over. */
		write_state(entry, TSR_XENBUS_CLOSED);
	}
	tsr_event_source_remove(backend->xs_source);
	if (backend->gnttab)
		xengnttab_close(backend->gnttab);
	if (backend->xs)
		xs_close(backend->xs);
	xtl_logger_destroy((xentoollog_logger *)backend->quiet_logger);
	free(backend);
}
