/* Discovery is event driven end to end:
 *
 *   @introduceDomain -> list /local/domain, read each new domid's toolstack
 *                       name, match it to a configured [domain]; watch
 *                       /local/domain/<domid>/data/tessera for a match
 *   vchan watch      -> try libxenvchan_client_init() (fails quietly until
 *                       the agent has published its ring)
 *   @releaseDomain   -> every tracked domid that xenstored no longer knows
 *                       is gone: its link is closed, the core unmaps all of
 *                       its buffers
 *
 * Identity: the domid comes from xenstore's own directory, the name from
 * /local/domain/<domid>/name, which only the toolstack can write. A guest
 * can write below its data/ directory; that only triggers a connection
 * attempt (bounded work: one failed client_init), and the event's path is
 * never parsed (the watch token, which we chose, names the domid). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxenvchan.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "core/guest_directory.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "transport/xen_link.h"
#include "transport/xen_identity.h"
#include "transport/xen_paths.h"
#include "transport/xen_transport.h"
#include "transport/xs_watches.h"

/* Domains tracked at once (configured or ignored). Ignored domains beyond
 * this are simply not remembered: they are logged again on the next scan. */
#define MAX_TRACKED_DOMAINS 256u

#define INTRODUCE_TOKEN "tessera-introduce"
#define RELEASE_TOKEN "tessera-release"

struct tracked_domain {
	struct tsr_xen_transport *transport;
	bool in_use;
	uint32_t domid;
	int domain_index; /* in the configuration, or -1: not ours, ignored */
	bool watching;
	struct tsr_guest_link *link; /* while connected */
};

struct tsr_xen_transport {
	struct tsr_event_loop *loop;
	struct tsr_guest_directory *guests;
	const struct tsr_config *config;
	struct xs_handle *xs;
	struct tsr_event_source *xs_source;
	/* libxenvchan logs failed maps and reads; guests can trigger those. */
	xentoollog_logger_stdiostream *quiet_logger;
	uint32_t self_domid;
	enum tsr_xen_dmabuf_export dmabuf_export;
	struct tracked_domain tracked[MAX_TRACKED_DOMAINS];
};

static const char *domain_name(struct tsr_xen_transport *transport, int index)
{
	return transport->config->domains[index].name;
}

static struct tracked_domain *find_tracked(struct tsr_xen_transport *transport, uint32_t domid)
{
	for (size_t i = 0; i < MAX_TRACKED_DOMAINS; i++)
		if (transport->tracked[i].in_use && transport->tracked[i].domid == domid)
			return &transport->tracked[i];
	return NULL;
}

static void link_destroyed(void *data)
{
	struct tracked_domain *tracked = data;
	tracked->link = NULL;
}

static void try_connect(struct tracked_domain *tracked)
{
	struct tsr_xen_transport *transport = tracked->transport;
	struct tsr_guest_directory *guests = transport->guests;
	size_t index = (size_t)tracked->domain_index;
	const char *name = domain_name(transport, tracked->domain_index);
	/* Asked before any vchan is mapped: a banned instance costs nothing. */
	if (tracked->link || tsr_guests_connected(guests, index) ||
	    !tsr_guests_may_connect(guests, index, (int32_t)tracked->domid))
		return;
	char path[TSR_XEN_PATH_MAX];
	if (!tsr_xen_vchan_path(tracked->domid, path, sizeof(path)))
		return;
	/* Fails until the agent published ring-ref and event-channel. */
	struct libxenvchan *vchan = libxenvchan_client_init(
	    (xentoollog_logger *)transport->quiet_logger, (int)tracked->domid, path);
	if (!vchan) {
		tsr_log_domain(TSR_LOG_DEBUG, name, (int32_t)tracked->domid, "no vchan at %s yet",
			       path);
		return;
	}
	char err[160];
	struct tsr_xen_link_owner owner = {.link_destroyed = link_destroyed, .data = tracked};
	struct tsr_guest_link *link = tsr_xen_link_create(
	    transport->loop, tracked->domid, name,
	    transport->dmabuf_export == TSR_XEN_DMABUF_AVAILABLE, vchan, &owner, err, sizeof(err));
	if (!link) {
		tsr_log_domain(TSR_LOG_ERROR, name, (int32_t)tracked->domid,
			       "cannot set up the link: %s", err);
		return;
	}
	if (!tsr_guests_attach_link(guests, index, link, (int32_t)tracked->domid)) {
		tsr_guest_link_destroy(link);
		return;
	}
	tracked->link = link;
	tsr_log_domain(TSR_LOG_INFO, name, (int32_t)tracked->domid, "vchan connected (%s)", path);
	if (!tsr_xen_link_start(link))
		tsr_guests_disconnect(guests, index, "cannot watch the vchan", false);
}

static struct tracked_domain *track(struct tsr_xen_transport *transport, uint32_t domid,
				    int domain_index)
{
	for (size_t i = 0; i < MAX_TRACKED_DOMAINS; i++) {
		struct tracked_domain *tracked = &transport->tracked[i];
		if (tracked->in_use)
			continue;
		*tracked = (struct tracked_domain){.transport = transport,
						   .in_use = true,
						   .domid = domid,
						   .domain_index = domain_index};
		return tracked;
	}
	return NULL;
}

static bool index_in_use(struct tsr_xen_transport *transport, int domain_index)
{
	for (size_t i = 0; i < MAX_TRACKED_DOMAINS; i++)
		if (transport->tracked[i].in_use &&
		    transport->tracked[i].domain_index == domain_index)
			return true;
	return false;
}

static void consider_domain(struct tsr_xen_transport *transport, uint32_t domid)
{
	struct tsr_xen_identity identity;
	/* No name yet (a domain being built): the next scan sees it. */
	if (domid == transport->self_domid || find_tracked(transport, domid) ||
	    !tsr_xen_identify(transport->xs, transport->config, domid, TSR_XEN_ROLE_AGENT,
			      &identity))
		return;
	int index = identity.index;
	if (index >= 0 && index_in_use(transport, index)) {
		tsr_log(TSR_LOG_WARN, "xen: a second domain named '%s' (domid %u): ignored",
			identity.name, domid);
		index = -1;
	} else if (index < 0) {
		tsr_log(TSR_LOG_INFO,
			"xen: domain '%s' (domid %u) has no [domain] with transport = xen and "
			"display = agent: no agent expected",
			identity.name, domid);
	}
	struct tracked_domain *tracked = track(transport, domid, index);
	if (!tracked) {
		if (index >= 0)
			tsr_log(TSR_LOG_ERROR, "xen: more than %u domains, cannot track domid %u",
				MAX_TRACKED_DOMAINS, domid);
		return;
	}
	if (index < 0)
		return;
	char path[TSR_XEN_PATH_MAX];
	char token[32];
	if (!tsr_xen_vchan_path(domid, path, sizeof(path)) ||
	    !tsr_xen_vchan_token(domid, token, sizeof(token)) ||
	    !xs_watch(transport->xs, path, token)) {
		tsr_log_domain(TSR_LOG_ERROR, domain_name(transport, index), (int32_t)domid,
			       "cannot watch %s", path);
		tracked->in_use = false;
		return;
	}
	tracked->watching = true;
	tsr_log_domain(TSR_LOG_INFO, domain_name(transport, index), (int32_t)domid,
		       "waiting for the agent's vchan at %s", path);
	/* xenstored fires a new watch once at once: that event tries the
	 * first connection. */
}

static void scan_domains(struct tsr_xen_transport *transport)
{
	unsigned int count = 0;
	char **entries = xs_directory(transport->xs, XBT_NULL, "/local/domain", &count);
	if (!entries) {
		tsr_log_errno(TSR_LOG_WARN, "xen: cannot list /local/domain");
		return;
	}
	for (unsigned int i = 0; i < count; i++) {
		uint32_t domid;
		if (tsr_xen_parse_domid(entries[i], &domid))
			consider_domain(transport, domid);
	}
	free(entries);
}

static void forget(struct tracked_domain *tracked)
{
	struct tsr_xen_transport *transport = tracked->transport;
	if (tracked->watching) {
		char path[TSR_XEN_PATH_MAX], token[32];
		if (tsr_xen_vchan_path(tracked->domid, path, sizeof(path)) &&
		    tsr_xen_vchan_token(tracked->domid, token, sizeof(token)))
			xs_unwatch(transport->xs, path, token);
	}
	if (tracked->link) {
		/* The core drops the guest: every mapping of it is unmapped. */
		tsr_xen_link_domain_gone(tracked->link);
	}
	if (tracked->domain_index >= 0)
		tsr_log_domain(TSR_LOG_INFO, domain_name(transport, tracked->domain_index),
			       (int32_t)tracked->domid, "domain released");
	tracked->link = NULL;
	tracked->in_use = false;
}

static void release_domains(struct tsr_xen_transport *transport)
{
	for (size_t i = 0; i < MAX_TRACKED_DOMAINS; i++) {
		struct tracked_domain *tracked = &transport->tracked[i];
		if (tracked->in_use && !xs_is_domain_introduced(transport->xs, tracked->domid))
			forget(tracked);
	}
}

static void handle_watch(void *data, const char *path, const char *token)
{
	(void)path;
	struct tsr_xen_transport *transport = data;
	uint32_t domid;
	if (strcmp(token, INTRODUCE_TOKEN) == 0) {
		scan_domains(transport);
	} else if (strcmp(token, RELEASE_TOKEN) == 0) {
		release_domains(transport);
	} else if (tsr_xen_parse_vchan_token(token, &domid)) {
		struct tracked_domain *tracked = find_tracked(transport, domid);
		if (tracked && tracked->domain_index >= 0)
			try_connect(tracked);
	}
}

static void handle_xenstore(int fd, uint32_t mask, void *data)
{
	(void)fd;
	(void)mask;
	struct tsr_xen_transport *transport = data;
	tsr_xs_dispatch_watches(transport->xs, "xen", handle_watch, transport);
}

struct tsr_xen_transport *tsr_xen_transport_create(struct tsr_event_loop *loop,
						   struct tsr_guest_directory *guests, char *err,
						   size_t err_len)
{
	struct tsr_xen_transport *transport = calloc(1, sizeof(*transport));
	if (!transport) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	transport->loop = loop;
	transport->guests = guests;
	transport->config = tsr_guests_config(guests);
	bool wanted = false;
	for (size_t i = 0; i < transport->config->domain_count; i++)
		wanted = wanted || transport->config->domains[i].transport == TSR_TRANSPORT_XEN;
	if (!wanted)
		return transport;

	transport->quiet_logger = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
	/* XS_UNWATCH_FILTER: no stale events for a watch we removed. */
	transport->xs = xs_open(XS_UNWATCH_FILTER);
	if (!transport->xs) {
		snprintf(err, err_len,
			 "xen domains are configured but xenstore is not reachable: %s",
			 strerror(errno));
		goto error;
	}
	char *self = xs_read(transport->xs, XBT_NULL, "domid", NULL);
	if (!self || !tsr_xen_parse_domid(self, &transport->self_domid))
		transport->self_domid = 0;
	free(self);
	char why[200];
	transport->dmabuf_export =
	    tsr_xen_probe_dmabuf_export(transport->self_domid, why, sizeof(why));
	if (transport->dmabuf_export == TSR_XEN_DMABUF_AVAILABLE)
		tsr_log(TSR_LOG_INFO,
			"xen: gntdev dma-buf export: available (%s): guest buffers are exported "
			"as dma-bufs too",
			why);
	else
		tsr_log(TSR_LOG_INFO,
			"xen: gntdev dma-buf export: unavailable (%s), using mappings", why);
	if (!xs_watch(transport->xs, "@introduceDomain", INTRODUCE_TOKEN) ||
	    !xs_watch(transport->xs, "@releaseDomain", RELEASE_TOKEN)) {
		snprintf(err, err_len, "cannot watch @introduceDomain/@releaseDomain: %s",
			 strerror(errno));
		goto error;
	}
	transport->xs_source = tsr_event_loop_add_fd(
	    loop, xs_fileno(transport->xs), TSR_EVENT_READABLE, handle_xenstore, transport);
	if (!transport->xs_source) {
		snprintf(err, err_len, "cannot watch the xenstore connection");
		goto error;
	}
	tsr_log(TSR_LOG_INFO, "xen: watching xenstore for guests (we are domid %u)",
		transport->self_domid);
	/* The watches fire once on registration: the first scan comes from
	 * the event loop like every later one. */
	return transport;
error:
	tsr_xen_transport_destroy(transport);
	return NULL;
}

void tsr_xen_transport_destroy(struct tsr_xen_transport *transport)
{
	if (!transport)
		return;
	/* Links belong to the core; they must not call back into us later. */
	for (size_t i = 0; i < MAX_TRACKED_DOMAINS; i++)
		if (transport->tracked[i].in_use && transport->tracked[i].link)
			tsr_xen_link_forget_owner(transport->tracked[i].link);
	tsr_event_source_remove(transport->xs_source);
	if (transport->xs)
		xs_close(transport->xs);
	xtl_logger_destroy((xentoollog_logger *)transport->quiet_logger);
	free(transport);
}

enum tsr_xen_dmabuf_export
tsr_xen_transport_dmabuf_export(const struct tsr_xen_transport *transport)
{
	return transport->dmabuf_export;
}
