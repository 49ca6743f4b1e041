/* Reads what the socket holds, up to STAGING_BYTES at a time, and frames
 * messages out of it (header check first, then exactly the length it
 * allows): one recvmsg for a whole frame's DAMAGE and COMMIT instead of two
 * per message, the largest per-domain cost of a frame. fds still belong to
 * exactly one message: the kernel hands them out with the read that holds
 * the first byte of the sendmsg that carried them and ends that read inside
 * it, so they belong to the message holding the read's last byte (for a
 * guest that sends each BUFFER_ATTACH_MEMFD in one sendmsg with its fd, as
 * protocol/README.md 8.1 requires, that is the attach itself). While fds
 * wait for their message, reads ask for at most the rest of that message.
 * BUFFER_ATTACH_MEMFD must bring exactly one, every other message none.
 *
 * Guest fds are hostile whatever their kind (protocol/README.md 8.1): on
 * this thread they are only ever given to fcntl(F_GET_SEALS), which
 * answers without calling into their file system; only a proven memfd is
 * fstat'ed, mapped and closed here. Every other fd, and the connection
 * itself (its queue may hold more guest fds, released by its close), goes
 * to the domain's closer thread (fd_closer.h). Over its life a link hands
 * the closer at most TSR_LOCAL_LINK_CLOSER_RESERVE fds: any fd that is not
 * a memfd drops the link right after the read that brought it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "tessera/protocol.h"
#include "transport/fd_closer.h"
#include "transport/framing.h"
#include "transport/local_link.h"
#include "transport/memfd_buffer.h"

/* Messages handled per wake-up: a flooding guest yields to the others. */
#define MESSAGES_PER_DISPATCH 64
/* Enough for a frame's DAMAGE (272 bytes) and COMMIT (20) many times. */
#define STAGING_BYTES 4096

struct local_link {
	struct tsr_guest_link base;
	struct tsr_event_loop *loop;
	int fd;
	struct tsr_event_source *source;
	struct tsr_frame_reader reader;
	uint8_t staging[STAGING_BYTES]; /* read from the socket, not yet framed */
	size_t staged, staged_used;
	/* Stream offsets: of the next staged byte to frame, and of the last
	 * byte of the read that brought fds[] (their message holds it). */
	uint64_t framed, fd_owner;
	struct tsr_fd_closer *closer; /* the domain's; outlives the link */
	/* waiting for the message holding fd_owner */
	int fds[TSR_LOCAL_MAX_FDS_PER_READ];
	size_t fd_count;
	/* Staged messages left after MESSAGES_PER_DISPATCH: the socket may
	 * never become readable again, so an idle callback goes on. */
	struct tsr_event_source *resume;
	/* Messages queued during one pass of the event loop leave in one
	 * send() at its end: a frame's BUFFER_RELEASE and FRAME_DONE, or a
	 * burst of input events, cost one syscall and wake the guest once. */
	struct tsr_event_source *flush;
	int message_fd; /* the fd of the message being handled, for import */
	struct tsr_send_queue queue;
	bool closed;
};

static bool flush_queue(struct local_link *link);

/* Never blocks: memfds are closed here, anything else by the closer. The
 * reservation made before the link was accepted guarantees room; should
 * it ever fail, the fd is leaked (logged) rather than closed here. */
static void dispose_fd(struct tsr_fd_closer *closer, int fd)
{
	if (!tsr_fd_closer_dispose(closer, fd))
		tsr_log(TSR_LOG_ERROR,
			"fd closer full: leaking guest fd %d rather than "
			"risking a blocking close on the event loop",
			fd);
}

static void close_fds(struct local_link *link)
{
	for (size_t i = 0; i < link->fd_count; i++)
		dispose_fd(link->closer, link->fds[i]);
	link->fd_count = 0;
}

static void local_link_destroy(struct tsr_guest_link *base)
{
	struct local_link *link = (struct local_link *)base;
	if (!link)
		return;
	tsr_event_source_remove(link->source);
	tsr_event_source_remove(link->resume);
	tsr_event_source_remove(link->flush);
	/* What is queued still goes out if the socket takes it: the ERROR
	 * that explains a drop is queued just before the link is destroyed. */
	if (link->fd >= 0 && link->queue.queued) {
		link->source = NULL;
		flush_queue(link);
	}
	close_fds(link);
	if (link->fd >= 0) {
		/* The guest sees the end now (what was sent, an ERROR, stays
		 * readable); the close itself may release guest fds still
		 * queued on the socket, so it happens on the closer. */
		shutdown(link->fd, SHUT_RDWR);
		dispose_fd(link->closer, link->fd);
	}
	tsr_frame_reader_fini(&link->reader);
	tsr_send_queue_fini(&link->queue);
	free(link);
}

/* Hands the guest's fate to the listener; nothing touches link afterwards. */
static void close_link(struct local_link *link, const char *reason, bool violation)
{
	link->closed = true;
	tsr_event_source_remove(link->source);
	link->source = NULL;
	tsr_event_source_remove(link->resume);
	link->resume = NULL;
	tsr_event_source_remove(link->flush);
	link->flush = NULL;
	link->base.listener.closed(link->base.listener.data, reason, violation);
}

static bool flush_queue(struct local_link *link)
{
	while (link->queue.queued > 0) {
		ssize_t written = send(link->fd, link->queue.bytes, link->queue.queued,
				       MSG_NOSIGNAL | MSG_DONTWAIT);
		if (written < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return false;
		}
		tsr_send_queue_consume(&link->queue, (size_t)written);
	}
	/* Writable is also watched while a refused sender waits for room, so
	 * that it hears of it even when the queue emptied from inside send. */
	bool want_writable = link->queue.queued > 0 || link->queue.refused;
	uint32_t mask = TSR_EVENT_READABLE | (want_writable ? TSR_EVENT_WRITABLE : 0);
	if (link->source)
		tsr_event_source_fd_update(link->source, mask);
	return true;
}

static void flush_at_end_of_pass(void *data)
{
	struct local_link *link = data;
	link->flush = NULL;
	/* A write error shows up as a hangup on the next poll. */
	flush_queue(link);
}

static bool local_link_send(struct tsr_guest_link *base, const struct tsr_msg *msg)
{
	struct local_link *link = (struct local_link *)base;
	/* Still allowed once closing: the ERROR that explains a drop goes out
	 * from inside close_link() (and local_link_destroy() flushes it). */
	if (!tsr_send_queue_push(&link->queue, msg))
		return false;
	if (!link->flush)
		link->flush = tsr_event_loop_add_idle(link->loop, flush_at_end_of_pass, link);
	if (!link->flush)
		flush_queue(link); /* no memory for the idle: send now */
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

/* Takes every fd of the read. Sets *too_many when there are more than one
 * read can bring (never, with a full-size control buffer). */
static void collect_fds(struct local_link *link, struct msghdr *header, bool *too_many)
{
	for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(header); cmsg; cmsg = CMSG_NXTHDR(header, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const unsigned char *data = CMSG_DATA(cmsg);
		for (size_t i = 0; i < count; i++) {
			int fd;
			memcpy(&fd, data + i * sizeof(int), sizeof(int));
			if (link->fd_count < TSR_LOCAL_MAX_FDS_PER_READ) {
				link->fds[link->fd_count++] = fd;
			} else {
				dispose_fd(link->closer, fd);
				*too_many = true;
			}
		}
	}
}

enum read_result { READ_MORE, READ_WAIT, READ_EOF, READ_ERROR, READ_BAD_FDS };

/* Fills the empty staging buffer: as much as the socket holds, or, while
 * fds wait for their message, at most what that message still needs (so
 * fds of a later message cannot arrive before these found their owner). */
static enum read_result read_some(struct local_link *link)
{
	union {
		/* Room for every fd one recvmsg can return: fds that did not
		 * fit would be released by the kernel inside recvmsg, here. */
		char buf[CMSG_SPACE(sizeof(int) * TSR_LOCAL_MAX_FDS_PER_READ)];
		struct cmsghdr align;
	} control;
	size_t wanted = sizeof(link->staging);
	/* Never more than the staging buffer holds: a message may be longer
	 * (TSR_MAX_MESSAGE_SIZE), and less than the rest of it still cannot
	 * reach a later message's fds. */
	if (link->fd_count && tsr_frame_reader_missing(&link->reader) < wanted)
		wanted = tsr_frame_reader_missing(&link->reader);
	struct iovec iov = {link->staging, wanted};
	struct msghdr header = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf),
	};
	ssize_t count = recvmsg(link->fd, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (count < 0)
		return errno == EAGAIN || errno == EINTR ? READ_WAIT : READ_ERROR;
	size_t had_fds = link->fd_count;
	bool too_many = false;
	collect_fds(link, &header, &too_many);
	if (too_many || (header.msg_flags & MSG_CTRUNC))
		return READ_BAD_FDS;
	if (count == 0)
		return READ_EOF;
	if (link->fd_count > had_fds)
		link->fd_owner = link->framed + (uint64_t)count - 1;
	link->staged = (size_t)count;
	link->staged_used = 0;
	return READ_MORE;
}

/* Returns false when the link was closed (and may be gone). */
static bool handle_complete_message(struct local_link *link, const struct tsr_msg *msg)
{
	char err[160];
	size_t wanted = msg->type == TSR_MSG_BUFFER_ATTACH_MEMFD ? 1 : 0;
	/* The message just framed ends before stream offset link->framed. */
	size_t owned = link->fd_count && link->fd_owner < link->framed ? link->fd_count : 0;
	if (owned != wanted) {
		snprintf(err, sizeof(err), "%s came with %zu fds (%zu expected)",
			 tsr_msg_type_name(msg->type), owned, wanted);
		close_fds(link);
		close_link(link, err, true);
		return false;
	}
	link->message_fd = wanted ? link->fds[0] : -1;
	bool ok = link->base.listener.message(link->base.listener.data, msg);
	if (owned)
		close_fds(link); /* an imported memfd is mapped; the fd is no longer needed */
	link->message_fd = -1;
	if (!ok) {
		close_link(link, "protocol violation", true);
		return false;
	}
	return true;
}

static void resume_reading(void *data);

static void handle_readable(struct local_link *link)
{
	for (int handled = 0; handled < MESSAGES_PER_DISPATCH;) {
		if (link->staged_used == link->staged) {
			bool mid_message = tsr_frame_reader_mid_message(&link->reader);
			switch (read_some(link)) {
			case READ_WAIT:
				return;
			case READ_EOF:
				close_link(link,
					   mid_message
					       ? "connection closed in the middle of a message"
					       : "connection closed by the guest",
					   mid_message);
				return;
			case READ_ERROR:
				close_link(link, "read error on the connection", false);
				return;
			case READ_BAD_FDS:
				close_link(
				    link,
				    "more fds than one read can carry (control data truncated)",
				    true);
				return;
			case READ_MORE:
				break;
			}
		}
		/* Never more than the current message still needs: the frame
		 * reader sees one message at a time, as if read exactly. */
		size_t count = link->staged - link->staged_used;
		size_t missing = tsr_frame_reader_missing(&link->reader);
		if (count > missing)
			count = missing;
		memcpy(tsr_frame_reader_tail(&link->reader), link->staging + link->staged_used,
		       count);
		link->staged_used += count;
		link->framed += count;
		const struct tsr_msg *msg;
		char err[160];
		switch (tsr_frame_reader_push(&link->reader, count, &msg, err, sizeof(err))) {
		case TSR_FRAME_INCOMPLETE:
			continue;
		case TSR_FRAME_INVALID:
			close_fds(link);
			close_link(link, err, true);
			return;
		case TSR_FRAME_COMPLETE:
			break;
		}
		if (!handle_complete_message(link, msg))
			return;
		handled++;
	}
	if (link->staged_used < link->staged && !link->resume)
		link->resume = tsr_event_loop_add_idle(link->loop, resume_reading, link);
}

static void resume_reading(void *data)
{
	struct local_link *link = data;
	link->resume = NULL;
	if (!link->closed)
		handle_readable(link);
}

static void handle_event(int fd, uint32_t mask, void *data)
{
	struct local_link *link = data;
	if (mask & TSR_EVENT_WRITABLE) {
		if (!flush_queue(link)) {
			close_link(link, "write error on the connection", false);
			return;
		}
		if (tsr_send_queue_room_regained(&link->queue)) {
			flush_queue(link); /* no longer watching writable for the listener */
			if (link->base.listener.send_ready)
				link->base.listener.send_ready(link->base.listener.data);
		}
	}
	if (mask & (TSR_EVENT_READABLE | TSR_EVENT_HANGUP | TSR_EVENT_ERROR))
		handle_readable(link);
}

struct tsr_guest_link *tsr_local_link_create(struct tsr_event_loop *loop, int fd,
					     struct tsr_fd_closer *closer)
{
	struct local_link *link = calloc(1, sizeof(*link));
	if (!link) {
		shutdown(fd, SHUT_RDWR);
		dispose_fd(closer, fd);
		return NULL;
	}
	link->closer = closer;
	link->base.impl = &local_link_impl;
	link->loop = loop;
	link->fd = fd;
	link->message_fd = -1;
	if (!tsr_frame_reader_init(&link->reader) || !tsr_send_queue_init(&link->queue)) {
		local_link_destroy(&link->base);
		return NULL;
	}
	return &link->base;
}

bool tsr_local_link_start(struct tsr_guest_link *base)
{
	struct local_link *link = (struct local_link *)base;
	link->source =
	    tsr_event_loop_add_fd(link->loop, link->fd, TSR_EVENT_READABLE, handle_event, link);
	return link->source != NULL;
}
