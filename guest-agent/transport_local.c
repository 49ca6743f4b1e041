/* The local transport: a SOCK_STREAM unix socket to the compositor; buffers
 * travel as memfds with SCM_RIGHTS. Used for development, tests and
 * non-Xen setups. */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent_log.h"

struct local_transport {
	struct agent_transport base;
	int fd;
	/* The message being received: header first, then the rest, so the
	 * header check bounds what we read before we read it. */
	uint8_t *recv_buf; /* TSR_MAX_MESSAGE_SIZE bytes */
	size_t recv_have;
	size_t recv_want; /* TSR_HEADER_SIZE until the header is checked */
};

static struct local_transport *local_from_base(struct agent_transport *transport)
{
	return (struct local_transport *)transport;
}

/* Waits until fd is writable: sends block (politely) on a slow reader. */
static bool wait_writable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	for (;;) {
		int ret = poll(&pfd, 1, -1);
		if (ret > 0)
			return true;
		if (ret < 0 && errno != EINTR)
			return false;
	}
}

static bool send_bytes(struct local_transport *local, const uint8_t *bytes, size_t len, int fd)
{
	size_t sent = 0;
	while (sent < len) {
		struct iovec iov = {.iov_base = (void *)(bytes + sent), .iov_len = len - sent};
		struct msghdr hdr = {.msg_iov = &iov, .msg_iovlen = 1};
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} control;
		/* The fd rides on the first byte of the message only. */
		if (fd >= 0 && sent == 0) {
			memset(&control, 0, sizeof(control));
			hdr.msg_control = control.buf;
			hdr.msg_controllen = sizeof(control.buf);
			struct cmsghdr *cmsg = CMSG_FIRSTHDR(&hdr);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
		}
		ssize_t ret = sendmsg(local->fd, &hdr, MSG_NOSIGNAL);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_writable(local->fd))
				continue;
			agent_log_errno(NULL, "send to compositor failed");
			return false;
		}
		sent += (size_t)ret;
	}
	return true;
}

static bool send_encoded(struct local_transport *local, const struct tsr_msg *msg, int fd)
{
	/* Guest-to-compositor messages other than grant attaches are small;
	 * the heap buffer keeps the one large case off the stack. */
	uint8_t *buf = malloc(TSR_MAX_MESSAGE_SIZE);
	if (!buf)
		return false;
	bool ok = false;
	size_t len = tsr_msg_encode(msg, buf, TSR_MAX_MESSAGE_SIZE);
	if (len == 0) {
		agent_log(NULL, "cannot encode %s message", tsr_msg_type_name(msg->type));
		goto out;
	}
	ok = send_bytes(local, buf, len, fd);
out:
	free(buf);
	return ok;
}

static bool local_send(struct agent_transport *transport, const struct tsr_msg *msg)
{
	return send_encoded(local_from_base(transport), msg, -1);
}

static bool local_send_with_fd(struct agent_transport *transport, const struct tsr_msg *msg, int fd)
{
	if (fd < 0)
		return false;
	return send_encoded(local_from_base(transport), msg, fd);
}

static enum agent_recv_result local_receive(struct agent_transport *transport, struct tsr_msg *out,
					    char *err, size_t err_len)
{
	struct local_transport *local = local_from_base(transport);
	for (;;) {
		if (local->recv_have == local->recv_want) {
			if (local->recv_want == TSR_HEADER_SIZE) {
				size_t total_len;
				if (!tsr_header_check(local->recv_buf, TSR_FROM_COMPOSITOR,
						      &total_len, err, err_len))
					return AGENT_RECV_ERROR;
				local->recv_want = total_len;
				if (total_len > TSR_HEADER_SIZE)
					continue;
			}
			/* A complete message: decode it and start the next. */
			bool ok = tsr_msg_decode(local->recv_buf, local->recv_have,
						 TSR_FROM_COMPOSITOR, out, err, err_len);
			local->recv_have = 0;
			local->recv_want = TSR_HEADER_SIZE;
			return ok ? AGENT_RECV_MESSAGE : AGENT_RECV_ERROR;
		}
		/* Read exactly what this message still needs, never more: the
		 * compositor sends no fds, and the kernel drops any it might. */
		ssize_t ret = read(local->fd, local->recv_buf + local->recv_have,
				   local->recv_want - local->recv_have);
		if (ret == 0) {
			if (local->recv_have > 0)
				snprintf(err, err_len,
					 "connection closed in the middle of a message");
			return local->recv_have > 0 ? AGENT_RECV_ERROR : AGENT_RECV_CLOSED;
		}
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return AGENT_RECV_AGAIN;
			if (errno == ECONNRESET)
				return AGENT_RECV_CLOSED;
			snprintf(err, err_len, "read failed: %s", strerror(errno));
			return AGENT_RECV_ERROR;
		}
		local->recv_have += (size_t)ret;
	}
}

static int local_get_fd(struct agent_transport *transport)
{
	return local_from_base(transport)->fd;
}

static void local_destroy(struct agent_transport *transport)
{
	struct local_transport *local = local_from_base(transport);
	if (local->fd >= 0)
		close(local->fd);
	free(local->recv_buf);
	free(local);
}

static const struct agent_transport_impl local_impl = {
    .send = local_send,
    .send_with_fd = local_send_with_fd,
    .receive = local_receive,
    .get_fd = local_get_fd,
    .destroy = local_destroy,
};

static struct agent_transport *local_connect(const char *socket_path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!socket_path || strlen(socket_path) >= sizeof(addr.sun_path)) {
		agent_log(NULL, "socket path missing or too long");
		return NULL;
	}
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);

	struct local_transport *local = calloc(1, sizeof(*local));
	if (!local)
		return NULL;
	local->base.impl = &local_impl;
	local->recv_want = TSR_HEADER_SIZE;
	local->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	local->recv_buf = malloc(TSR_MAX_MESSAGE_SIZE);
	if (local->fd < 0 || !local->recv_buf) {
		agent_log_errno(NULL, "cannot create socket");
		goto error;
	}
	if (connect(local->fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
		agent_log_errno(NULL, "cannot connect to %s", socket_path);
		goto error;
	}
	/* Non-blocking from here on: receive never blocks the poll loop. */
	int flags = fcntl(local->fd, F_GETFL);
	if (flags < 0 || fcntl(local->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		agent_log_errno(NULL, "cannot make the socket non-blocking");
		goto error;
	}
	return &local->base;

error:
	local_destroy(&local->base);
	return NULL;
}

const struct agent_transport_type agent_transport_local = {
    .name = "local",
    .connect = local_connect,
};
