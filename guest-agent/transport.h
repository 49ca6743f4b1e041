/* How the agent talks to the compositor. A transport moves whole Tessera
 * messages (and, where it can, one fd with a message); the session above it
 * never sees sockets or rings. The local transport (unix socket + memfd) is
 * the only one today; a Xen transport (vchan + gntalloc) slots in as another
 * struct agent_transport_type. */
#ifndef TESSERA_AGENT_TRANSPORT_H
#define TESSERA_AGENT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <tessera/protocol.h>

enum agent_recv_result {
	AGENT_RECV_MESSAGE, /* *out holds one decoded message */
	AGENT_RECV_AGAIN,   /* no complete message yet: poll the fd again */
	AGENT_RECV_CLOSED,  /* the compositor closed the connection */
	AGENT_RECV_ERROR,   /* I/O error or a malformed message: err says which */
};

struct agent_transport;

struct agent_transport_impl {
	/* Sends one message; blocks (poll) while the peer is slow to read. */
	bool (*send)(struct agent_transport *transport, const struct tsr_msg *msg);
	/* Sends one message with fd attached (the fd stays ours). Transports
	 * that cannot pass fds return false. */
	bool (*send_with_fd)(struct agent_transport *transport, const struct tsr_msg *msg, int fd);
	/* Never blocks; call until it stops returning AGENT_RECV_MESSAGE. */
	enum agent_recv_result (*receive)(struct agent_transport *transport, struct tsr_msg *out,
					  char *err, size_t err_len);
	/* The fd to poll for POLLIN. */
	int (*get_fd)(struct agent_transport *transport);
	void (*destroy)(struct agent_transport *transport);
};

struct agent_transport {
	const struct agent_transport_impl *impl;
};

struct agent_transport_type {
	const char *name;
	/* address: a socket path for "local"; NULL on failure (logged). */
	struct agent_transport *(*connect)(const char *address);
};

extern const struct agent_transport_type agent_transport_local;

/* Thin wrappers so callers read like plain function calls; destroy accepts NULL. */
static inline bool agent_transport_send(struct agent_transport *transport,
					const struct tsr_msg *msg)
{
	return transport->impl->send(transport, msg);
}

static inline bool agent_transport_send_with_fd(struct agent_transport *transport,
						const struct tsr_msg *msg, int fd)
{
	return transport->impl->send_with_fd(transport, msg, fd);
}

static inline enum agent_recv_result agent_transport_receive(struct agent_transport *transport,
							     struct tsr_msg *out, char *err,
							     size_t err_len)
{
	return transport->impl->receive(transport, out, err, err_len);
}

static inline int agent_transport_get_fd(struct agent_transport *transport)
{
	return transport->impl->get_fd(transport);
}

static inline void agent_transport_destroy(struct agent_transport *transport)
{
	if (transport)
		transport->impl->destroy(transport);
}

#endif
