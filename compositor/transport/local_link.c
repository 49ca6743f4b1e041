/* The local transport's byte I/O under the stream link (stream_link.c,
 * which frames the bytes and decides which message the fds belong to):
 * recvmsg with SCM_RIGHTS, send, memfd import.
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
#include "transport/local_link.h"
#include "transport/memfd_buffer.h"
#include "transport/stream_link.h"
#include "transport/dmabuf_budget.h"
#include "transport/udmabuf.h"

struct local_io {
	int fd;
	struct tsr_fd_closer *closer;		 /* the domain's; outlives the link */
	const struct tsr_udmabuf *udmabuf;	 /* the transport's, or NULL */
	struct tsr_dmabuf_budget *dmabuf_budget; /* with udmabuf: this connection's */
	const char *domain_name;		 /* for log lines; outlives the link */
	bool dmabuf_refusal_logged;		 /* one line per connection at most */
};

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

static void local_dispose_fd(void *data, int fd)
{
	struct local_io *io = data;
	dispose_fd(io->closer, fd);
}

static void local_destroy(void *data)
{
	struct local_io *io = data;
	/* The guest sees the end now (what was sent, an ERROR, stays
	 * readable); the close itself may release guest fds still queued on
	 * the socket, so it happens on the closer. */
	shutdown(io->fd, SHUT_RDWR);
	dispose_fd(io->closer, io->fd);
	tsr_dmabuf_budget_unref(io->dmabuf_budget);
	free(io);
}

static int local_fd(void *data)
{
	struct local_io *io = data;
	return io->fd;
}

static ssize_t local_write(void *data, const uint8_t *bytes, size_t len)
{
	struct local_io *io = data;
	ssize_t written = send(io->fd, bytes, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (written < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	return written;
}

/* With udmabuf, a buffer that cannot also be a dma-buf is still shown
 * from its mapping: only the zero-copy path is lost, which the guest's own
 * choices (offset, seals, size) decide, so it is logged, once per
 * connection, and not a violation. */
static struct tsr_buffer *local_import(void *data, const struct tsr_msg *msg, int fd,
				       const struct tsr_buffer_request *request, char *err,
				       size_t err_len)
{
	struct local_io *io = data;
	if (msg->type != TSR_MSG_BUFFER_ATTACH_MEMFD || fd < 0) {
		snprintf(err, err_len, "no memfd came with the message");
		return NULL;
	}
	struct tsr_buffer *buffer = tsr_memfd_buffer_import(
	    fd, msg->u.attach_memfd.offset, msg->u.attach_memfd.size, request, err, err_len);
	char why[256];
	if (buffer && io->udmabuf &&
	    !tsr_memfd_buffer_export_dmabuf(buffer, fd, io->udmabuf, io->dmabuf_budget, why,
					    sizeof(why)) &&
	    !io->dmabuf_refusal_logged) {
		io->dmabuf_refusal_logged = true;
		tsr_log_domain(TSR_LOG_INFO, io->domain_name, -1,
			       "dma-buf: buffer %u is only mapped: %s (said once per connection)",
			       msg->u.attach_memfd.buffer_id, why);
	}
	return buffer;
}

/* Takes every fd of the read. Returns false when there are more than one
 * read can bring (never, with a full-size control buffer). */
static bool collect_fds(struct local_io *io, struct msghdr *header, struct tsr_stream_fds *fds)
{
	bool fit = true;
	for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(header); cmsg; cmsg = CMSG_NXTHDR(header, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const unsigned char *data = CMSG_DATA(cmsg);
		for (size_t i = 0; i < count; i++) {
			int fd;
			memcpy(&fd, data + i * sizeof(int), sizeof(int));
			if (fds->count < fds->capacity) {
				fds->fd[fds->count++] = fd;
			} else {
				dispose_fd(io->closer, fd);
				fit = false;
			}
		}
	}
	return fit;
}

static void local_read(void *data, uint8_t *buf, size_t len, bool mid_message,
		       struct tsr_stream_fds *fds, struct tsr_stream_read *result)
{
	struct local_io *io = data;
	union {
		/* Room for every fd one recvmsg can return: fds that did not
		 * fit would be released by the kernel inside recvmsg, here. */
		char buf[CMSG_SPACE(sizeof(int) * TSR_LOCAL_MAX_FDS_PER_READ)];
		struct cmsghdr align;
	} control;
	struct iovec iov = {buf, len};
	struct msghdr header = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf),
	};
	ssize_t count = recvmsg(io->fd, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (count < 0) {
		if (errno != EAGAIN && errno != EINTR)
			result->closed = "read error on the connection";
		return;
	}
	if (!collect_fds(io, &header, fds) || (header.msg_flags & MSG_CTRUNC)) {
		result->closed = "more fds than one read can carry (control data truncated)";
		result->violation = true;
		return;
	}
	if (count == 0) {
		result->closed = mid_message ? "connection closed in the middle of a message"
					     : "connection closed by the guest";
		result->violation = mid_message;
		return;
	}
	result->bytes = (size_t)count;
}

static const struct tsr_stream_io local_io_ops = {
    .read = local_read,
    .write = local_write,
    .fd = local_fd,
    .import_buffer = local_import,
    .dispose_fd = local_dispose_fd,
    .destroy = local_destroy,
    .max_fds_per_read = TSR_LOCAL_MAX_FDS_PER_READ,
    .wakeup = TSR_STREAM_WAKEUP_POLL,
    .batch_sends = true,
    .write_error = "write error on the connection",
};

struct tsr_guest_link *tsr_local_link_create(struct tsr_event_loop *loop, int fd,
					     struct tsr_fd_closer *closer,
					     const struct tsr_udmabuf *udmabuf,
					     const char *domain_name)
{
	struct local_io *io = calloc(1, sizeof(*io));
	if (!io) {
		shutdown(fd, SHUT_RDWR);
		dispose_fd(closer, fd);
		return NULL;
	}
	io->fd = fd;
	io->closer = closer;
	io->udmabuf = udmabuf;
	if (udmabuf) {
		io->dmabuf_budget = tsr_dmabuf_budget_create(
		    TSR_DMABUF_BUDGET_LIVE_BYTES, TSR_DMABUF_BUDGET_BYTES_PER_SECOND, tsr_now_ns());
		if (!io->dmabuf_budget)
			io->udmabuf = NULL; /* out of memory: mapped only */
	}
	io->domain_name = domain_name ? domain_name : "?";
	return tsr_stream_link_create(loop, &local_io_ops, io);
}

bool tsr_local_link_start(struct tsr_guest_link *link)
{
	return tsr_stream_link_start(link);
}
