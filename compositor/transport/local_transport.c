#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/guest_directory.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "transport/fd_closer.h"
#include "transport/local_link.h"
#include "transport/local_transport.h"
#include "transport/udmabuf.h"
#include "util/unix_listener.h"

/* Per domain: room for a live link and a refused second connection with
 * plenty to spare, so a reconnect loop rarely waits for the closer. */
#define CLOSER_CAPACITY 1024u
/* How often a paused listener looks whether its closer caught up. */
#define PAUSE_RETRY_NS (100ull * 1000000ull)

struct domain_listener {
	struct tsr_local_transport *transport;
	size_t index; /* the domain's, in the configuration */
	const char *name;
	struct tsr_unix_listener *socket;
	struct tsr_event_source *source;
	/* Closes what this domain's guests sent (fd_closer.h). */
	struct tsr_fd_closer *closer;
	struct tsr_event_source *retry; /* timer while accepting is paused */
	bool paused;
};

struct tsr_local_transport {
	struct tsr_event_loop *loop;
	struct tsr_guest_directory *guests;
	struct domain_listener listeners[TSR_MAX_DOMAINS];
	size_t listener_count;
	struct tsr_udmabuf *udmabuf; /* NULL without /dev/udmabuf */
};

bool tsr_resolve_runtime_path(const char *runtime_dir, const char *path, char *out, size_t out_len)
{
	int written = path[0] == '/' ? snprintf(out, out_len, "%s", path)
				     : snprintf(out, out_len, "%s/%s", runtime_dir, path);
	return written > 0 && (size_t)written < out_len;
}

/* A new connection may need TSR_LOCAL_LINK_CLOSER_RESERVE closer slots,
 * and a live link keeps as many reserved for its own end. Without that
 * room (the domain's earlier fds are stuck in a close), the listener stops
 * accepting: connections wait in the backlog, then the kernel refuses
 * them, and nothing is ever closed on the event loop. */
static bool closer_has_room(struct domain_listener *listener)
{
	size_t needed = TSR_LOCAL_LINK_CLOSER_RESERVE;
	if (tsr_guests_connected(listener->transport->guests, listener->index))
		needed += TSR_LOCAL_LINK_CLOSER_RESERVE;
	return tsr_fd_closer_room(listener->closer) >= needed;
}

static void pause_accepting(struct domain_listener *listener)
{
	if (!listener->paused)
		tsr_log_domain(TSR_LOG_WARN, listener->name, -1,
			       "not accepting connections until the fds its guests sent are "
			       "closed (%zu of %u still open: a close() blocks)",
			       CLOSER_CAPACITY - tsr_fd_closer_room(listener->closer),
			       CLOSER_CAPACITY);
	listener->paused = true;
	tsr_event_source_fd_update(listener->source, 0);
	tsr_event_source_timer_update(listener->retry, PAUSE_RETRY_NS);
}

static void retry_accepting(void *data)
{
	struct domain_listener *listener = data;
	if (!closer_has_room(listener)) {
		tsr_event_source_timer_update(listener->retry, PAUSE_RETRY_NS);
		return;
	}
	tsr_log_domain(TSR_LOG_INFO, listener->name, -1, "accepting connections again");
	listener->paused = false;
	tsr_event_source_fd_update(listener->source, TSR_EVENT_READABLE);
}

static void handle_connection(int fd, uint32_t mask, void *data)
{
	struct domain_listener *listener = data;
	struct tsr_guest_directory *guests = listener->transport->guests;
	if (!closer_has_room(listener)) {
		pause_accepting(listener);
		return;
	}
	int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (client < 0)
		return;
	struct tsr_guest_link *link =
	    tsr_local_link_create(listener->transport->loop, client, listener->closer,
				  listener->transport->udmabuf, listener->name);
	if (!link) {
		tsr_log_domain(TSR_LOG_ERROR, listener->name, -1,
			       "cannot accept a connection: out of memory");
		return;
	}
	if (!tsr_guests_attach_link(guests, listener->index, link, -1)) {
		tsr_guest_link_destroy(link);
		return;
	}
	if (!tsr_local_link_start(link))
		tsr_guests_disconnect(guests, listener->index, "cannot watch the connection",
				      false);
}

/* A guest fd that cannot be received (EMFILE) is released by the kernel
 * inside recvmsg, on the loop thread: the fd limit must cover every guest
 * fd this transport may hold (each domain's closer queue and one read's
 * worth per link), on top of what the rest of Tessera uses. */
static void raise_fd_limit(size_t domains)
{
	rlim_t needed = 1024 + (rlim_t)domains * (CLOSER_CAPACITY + TSR_LOCAL_MAX_FDS_PER_READ + 2);
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) < 0 || limit.rlim_cur >= needed)
		return;
	limit.rlim_cur =
	    limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= needed ? needed : limit.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &limit) < 0 || limit.rlim_cur < needed)
		tsr_log(TSR_LOG_WARN,
			"the open file limit (%llu) is below the %llu fds hostile local guests may "
			"make Tessera hold; raise it (LimitNOFILE=)",
			(unsigned long long)limit.rlim_cur, (unsigned long long)needed);
}

static bool listen_on(struct domain_listener *listener, const char *path, char *err, size_t err_len)
{
	/* Only the owner (root in dom0) may connect: guests reach their own
	 * socket through whatever the deployment forwards, not directly. */
	char reason[512];
	listener->socket = tsr_unix_listener_create(path, 4, reason, sizeof(reason));
	if (!listener->socket) {
		snprintf(err, err_len, "domain %s: %s", listener->name, reason);
		return false;
	}
	listener->source =
	    tsr_event_loop_add_fd(listener->transport->loop, tsr_unix_listener_fd(listener->socket),
				  TSR_EVENT_READABLE, handle_connection, listener);
	listener->retry =
	    tsr_event_loop_add_timer(listener->transport->loop, retry_accepting, listener);
	if (!listener->source || !listener->retry) {
		snprintf(err, err_len, "cannot watch %s", path);
		return false;
	}
	return true;
}

struct tsr_local_transport *tsr_local_transport_create(struct tsr_event_loop *loop,
						       struct tsr_guest_directory *guests,
						       const char *runtime_dir, char *err,
						       size_t err_len)
{
	struct tsr_local_transport *transport = calloc(1, sizeof(*transport));
	if (!transport) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	transport->loop = loop;
	transport->guests = guests;
	const struct tsr_config *config = tsr_guests_config(guests);
	for (size_t i = 0; i < config->domain_count; i++) {
		const struct tsr_domain_config *domain = &config->domains[i];
		if (domain->transport != TSR_TRANSPORT_LOCAL)
			continue;
		struct domain_listener *listener =
		    &transport->listeners[transport->listener_count++];
		listener->transport = transport;
		listener->index = i;
		listener->name = domain->name;
		char path[TSR_PATH_MAX + 256];
		if (!tsr_resolve_runtime_path(runtime_dir, domain->socket_path, path,
					      sizeof(path))) {
			snprintf(err, err_len, "domain %s: socket path too long", domain->name);
			goto error;
		}
		listener->closer =
		    tsr_fd_closer_create(domain->name, CLOSER_CAPACITY, err, err_len);
		if (!listener->closer || !listen_on(listener, path, err, err_len))
			goto error;
		tsr_log_domain(TSR_LOG_INFO, domain->name, -1, "listening on %s", path);
	}
	if (transport->listener_count > 0) {
		raise_fd_limit(transport->listener_count);
		/* Decided once, here (and logged once): links share it. */
		transport->udmabuf = tsr_udmabuf_create(TSR_UDMABUF_DEVICE);
	}
	return transport;
error:
	tsr_local_transport_destroy(transport);
	return NULL;
}

void tsr_local_transport_destroy(struct tsr_local_transport *transport)
{
	if (!transport)
		return;
	for (size_t i = 0; i < transport->listener_count; i++) {
		struct domain_listener *listener = &transport->listeners[i];
		/* Links close through the closer: end them while it runs. */
		tsr_guests_disconnect(transport->guests, listener->index,
				      "compositor shutting down", false);
		tsr_event_source_remove(listener->source);
		tsr_event_source_remove(listener->retry);
		tsr_unix_listener_destroy(listener->socket);
		tsr_fd_closer_stop(listener->closer);
	}
	/* All stopped first, so their queues drain side by side. */
	for (size_t i = 0; i < transport->listener_count; i++)
		tsr_fd_closer_destroy(transport->listeners[i].closer);
	/* After the links, which borrow it (their buffers hold their own
	 * dma-bufs, which outlive the device fd). */
	tsr_udmabuf_destroy(transport->udmabuf);
	free(transport);
}
