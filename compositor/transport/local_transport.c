#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/domain.h"
#include "core/server.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "transport/local_link.h"
#include "transport/local_transport.h"
#include "util/unix_listener.h"

struct domain_listener {
	struct tsr_local_transport *transport;
	struct tsr_domain *domain;
	struct tsr_unix_listener *socket;
	struct tsr_event_source *source;
};

struct tsr_local_transport {
	struct tsr_event_loop *loop;
	struct domain_listener listeners[TSR_MAX_DOMAINS];
	size_t listener_count;
};

bool tsr_resolve_runtime_path(const char *runtime_dir, const char *path, char *out, size_t out_len)
{
	int written = path[0] == '/' ? snprintf(out, out_len, "%s", path)
				     : snprintf(out, out_len, "%s/%s", runtime_dir, path);
	return written > 0 && (size_t)written < out_len;
}

static void handle_connection(int fd, uint32_t mask, void *data)
{
	struct domain_listener *listener = data;
	struct tsr_domain *domain = listener->domain;
	int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (client < 0)
		return;
	struct tsr_guest_link *link = tsr_local_link_create(listener->transport->loop, client);
	if (!link) {
		tsr_log_domain(TSR_LOG_ERROR, domain->config->name, -1,
			       "cannot accept a connection: out of memory");
		return;
	}
	if (!tsr_domain_attach_link(domain, link, -1)) {
		tsr_guest_link_destroy(link);
		return;
	}
	if (!tsr_local_link_start(link))
		tsr_domain_disconnect(domain, "cannot watch the connection", false);
}

static bool listen_on(struct domain_listener *listener, const char *path, char *err, size_t err_len)
{
	/* Only the owner (root in dom0) may connect: guests reach their own
	 * socket through whatever the deployment forwards, not directly. */
	char reason[512];
	listener->socket = tsr_unix_listener_create(path, 4, reason, sizeof(reason));
	if (!listener->socket) {
		snprintf(err, err_len, "domain %s: %s", listener->domain->config->name, reason);
		return false;
	}
	listener->source =
	    tsr_event_loop_add_fd(listener->transport->loop, tsr_unix_listener_fd(listener->socket),
				  TSR_EVENT_READABLE, handle_connection, listener);
	if (!listener->source) {
		snprintf(err, err_len, "cannot watch %s", path);
		return false;
	}
	return true;
}

struct tsr_local_transport *tsr_local_transport_create(struct tsr_event_loop *loop,
						       struct tsr_server *server,
						       const char *runtime_dir, char *err,
						       size_t err_len)
{
	struct tsr_local_transport *transport = calloc(1, sizeof(*transport));
	if (!transport) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	transport->loop = loop;
	for (size_t i = 0; i < server->domain_count; i++) {
		struct tsr_domain *domain = server->domains[i];
		if (domain->config->transport != TSR_TRANSPORT_LOCAL)
			continue;
		struct domain_listener *listener =
		    &transport->listeners[transport->listener_count++];
		listener->transport = transport;
		listener->domain = domain;
		char path[TSR_PATH_MAX + 256];
		if (!tsr_resolve_runtime_path(runtime_dir, domain->config->socket_path, path,
					      sizeof(path))) {
			snprintf(err, err_len, "domain %s: socket path too long",
				 domain->config->name);
			goto error;
		}
		if (!listen_on(listener, path, err, err_len))
			goto error;
		tsr_log_domain(TSR_LOG_INFO, domain->config->name, -1, "listening on %s", path);
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
		tsr_event_source_remove(listener->source);
		tsr_unix_listener_destroy(listener->socket);
	}
	free(transport);
}
