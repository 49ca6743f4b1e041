/* Reads one message at a time (header, then exactly the length the header
 * check allows) so that any fds received belong to that message alone:
 * BUFFER_ATTACH_MEMFD must bring exactly one, every other message none. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "tessera/protocol.h"
#include "transport/local_link.h"
#include "transport/memfd_buffer.h"

/* Messages handled per wake-up: a flooding guest yields to the others. */
#define MESSAGES_PER_DISPATCH 64
#define MAX_FDS_PER_MESSAGE 2
#define SEND_QUEUE_BYTES (256u * 1024u)

struct local_link {
	struct tsr_guest_link base;
	struct tsr_event_loop *loop;
	int fd;
	struct tsr_event_source *source;
	uint8_t *receive; /* TSR_MAX_MESSAGE_SIZE bytes */
	size_t received;
	size_t expected; /* header size until the header is checked */
	int fds[MAX_FDS_PER_MESSAGE];
	size_t fd_count;
	int message_fd; /* the fd of the message being handled, for import */
	struct tsr_msg *decoded;
	uint8_t *send_queue;
	size_t queued;
	bool closed;
};

static void close_fds(struct local_link *link)
{
	for (size_t i = 0; i < link->fd_count; i++)
		close(link->fds[i]);
	link->fd_count = 0;
}

static void local_link_destroy(struct tsr_guest_link *base)
{
	struct local_link *link = (struct local_link *)base;
	if (!link)
		return;
	tsr_event_source_remove(link->source);
	close_fds(link);
	if (link->fd >= 0)
		close(link->fd);
	free(link->receive);
	free(link->decoded);
	free(link->send_queue);
	free(link);
}

/* Hands the guest's fate to the listener; nothing touches link afterwards. */
static void close_link(struct local_link *link, const char *reason, bool violation)
{
	link->closed = true;
	tsr_event_source_remove(link->source);
	link->source = NULL;
	link->base.listener.closed(link->base.listener.data, reason, violation);
}

static bool flush_queue(struct local_link *link)
{
	while (link->queued > 0) {
		ssize_t written = send(link->fd, link->send_queue, link->queued,
				       MSG_NOSIGNAL | MSG_DONTWAIT);
		if (written < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return false;
		}
		memmove(link->send_queue, link->send_queue + written,
			link->queued - (size_t)written);
		link->queued -= (size_t)written;
	}
	uint32_t mask = TSR_EVENT_READABLE | (link->queued ? TSR_EVENT_WRITABLE : 0);
	if (link->source)
		tsr_event_source_fd_update(link->source, mask);
	return true;
}

static bool local_link_send(struct tsr_guest_link *base, const struct tsr_msg *msg)
{
	struct local_link *link = (struct local_link *)base;
	uint8_t encoded[256];
	size_t length = tsr_msg_encode(msg, encoded, sizeof(encoded));
	/* Still allowed once closing: the ERROR that explains a drop goes out
	 * from inside close_link(). */
	if (length == 0)
		return false;
	if (link->queued + length > SEND_QUEUE_BYTES)
		return false;
	memcpy(link->send_queue + link->queued, encoded, length);
	link->queued += length;
	/* A write error shows up as a hangup on the next poll. */
	flush_queue(link);
	return true;
}

static struct tsr_buffer *local_link_import(struct tsr_guest_link *base, const struct tsr_msg *msg,
					    const struct tsr_buffer_request *request, char *err,
					    size_t err_len)
{
	struct local_link *link = (struct local_link *)base;
	if (msg->type != TSR_MSG_BUFFER_ATTACH_MEMFD || link->message_fd < 0) {
		snprintf(err, err_len, "no memfd came with the message");
		return NULL;
	}
	return tsr_memfd_buffer_import(link->message_fd, msg->u.attach_memfd.offset,
				       msg->u.attach_memfd.size, request, err, err_len);
}

static const struct tsr_guest_link_impl local_link_impl = {
	.send = local_link_send,
	.import_buffer = local_link_import,
	.destroy = local_link_destroy,
};

static void collect_fds(struct local_link *link, struct msghdr *header, bool *too_many)
{
	for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(header); cmsg;
	     cmsg = CMSG_NXTHDR(header, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *fds = (int *)CMSG_DATA(cmsg);
		for (size_t i = 0; i < count; i++) {
			if (link->fd_count < MAX_FDS_PER_MESSAGE) {
				link->fds[link->fd_count++] = fds[i];
			} else {
				close(fds[i]);
				*too_many = true;
			}
		}
	}
}

enum read_result { READ_MORE, READ_WAIT, READ_EOF, READ_ERROR, READ_BAD_FDS };

static enum read_result read_some(struct local_link *link)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} control;
	struct iovec iov = {link->receive + link->received, link->expected - link->received};
	struct msghdr header = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t count = recvmsg(link->fd, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (count < 0)
		return errno == EAGAIN || errno == EINTR ? READ_WAIT : READ_ERROR;
	bool too_many = false;
	collect_fds(link, &header, &too_many);
	if (too_many || (header.msg_flags & MSG_CTRUNC))
		return READ_BAD_FDS;
	if (count == 0)
		return READ_EOF;
	link->received += (size_t)count;
	return READ_MORE;
}

/* Returns false when the link was closed (and may be gone). */
static bool handle_complete_message(struct local_link *link)
{
	char err[160];
	if (!tsr_msg_decode(link->receive, link->received, TSR_FROM_GUEST, link->decoded, err,
			    sizeof(err))) {
		close_link(link, err, true);
		return false;
	}
	size_t wanted = link->decoded->type == TSR_MSG_BUFFER_ATTACH_MEMFD ? 1 : 0;
	if (link->fd_count != wanted) {
		snprintf(err, sizeof(err), "%s came with %zu fds (%zu expected)",
			 tsr_msg_type_name(link->decoded->type), link->fd_count, wanted);
		close_fds(link);
		close_link(link, err, true);
		return false;
	}
	link->message_fd = wanted ? link->fds[0] : -1;
	bool ok = link->base.listener.message(link->base.listener.data, link->decoded);
	close_fds(link); /* an imported memfd is mapped; the fd is no longer needed */
	link->message_fd = -1;
	link->received = 0;
	link->expected = TSR_HEADER_SIZE;
	if (!ok) {
		close_link(link, "protocol violation", true);
		return false;
	}
	return true;
}

static void handle_readable(struct local_link *link)
{
	for (int handled = 0; handled < MESSAGES_PER_DISPATCH;) {
		enum read_result result = read_some(link);
		switch (result) {
		case READ_WAIT:
			return;
		case READ_EOF:
			close_link(link,
				   link->received ? "connection closed in the middle of a message"
						  : "connection closed by the guest",
				   link->received != 0);
			return;
		case READ_ERROR:
			close_link(link, "read error on the connection", false);
			return;
		case READ_BAD_FDS:
			close_link(link, "too many fds sent with one message", true);
			return;
		case READ_MORE:
			break;
		}
		if (link->received < link->expected)
			continue;
		if (link->expected == TSR_HEADER_SIZE) {
			size_t total;
			char err[160];
			if (!tsr_header_check(link->receive, TSR_FROM_GUEST, &total, err,
					      sizeof(err))) {
				close_link(link, err, true);
				return;
			}
			link->expected = total;
			if (total > TSR_HEADER_SIZE)
				continue;
		}
		if (!handle_complete_message(link))
			return;
		handled++;
	}
}

static void handle_event(int fd, uint32_t mask, void *data)
{
	struct local_link *link = data;
	if (mask & TSR_EVENT_WRITABLE) {
		if (!flush_queue(link)) {
			close_link(link, "write error on the connection", false);
			return;
		}
	}
	if (mask & (TSR_EVENT_READABLE | TSR_EVENT_HANGUP | TSR_EVENT_ERROR))
		handle_readable(link);
}

struct tsr_guest_link *tsr_local_link_create(struct tsr_event_loop *loop, int fd)
{
	struct local_link *link = calloc(1, sizeof(*link));
	if (!link) {
		close(fd);
		return NULL;
	}
	link->base.impl = &local_link_impl;
	link->loop = loop;
	link->fd = fd;
	link->expected = TSR_HEADER_SIZE;
	link->message_fd = -1;
	link->receive = malloc(TSR_MAX_MESSAGE_SIZE);
	link->decoded = malloc(sizeof(*link->decoded));
	link->send_queue = malloc(SEND_QUEUE_BYTES);
	if (!link->receive || !link->decoded || !link->send_queue) {
		local_link_destroy(&link->base);
		return NULL;
	}
	return &link->base;
}

bool tsr_local_link_start(struct tsr_guest_link *base)
{
	struct local_link *link = (struct local_link *)base;
	link->source = tsr_event_loop_add_fd(link->loop, link->fd, TSR_EVENT_READABLE,
					     handle_event, link);
	return link->source != NULL;
}
