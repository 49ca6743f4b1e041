/* The Xen transport, guest side.
 *
 * Control: this agent is the libxenvchan *server* and the compositor's
 * domain the client. The server allocates and grants the rings, so dom0
 * never shares memory with a guest (it only maps the guest's pages), and
 * the server publishes under its own xenstore home (data/tessera), where a
 * guest may write and where dom0 looks for it by domid.
 *
 * Rings: guest->dom0 carries BUFFER_ATTACH_GRANTS of up to
 * TSR_MAX_MESSAGE_SIZE (64 KiB) bytes, so that ring holds two of them
 * (256 KiB, 64 pages); dom0->guest carries small events and lives inside
 * the shared page.
 *
 * Events: the session polls one fd. It is an epoll set of the vchan's event
 * channel and an eventfd: a blocking send may consume an event that also
 * announced incoming data, and then kicks the eventfd so the session still
 * wakes up and reads.
 *
 * Buffers: gntalloc pages granted read-only to dom0
 * (xengntshr_share_pages(..., writable = 0)). */
#include "transport_xen.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libxenvchan.h>
#include <xengnttab.h>
#include <xentoollog.h>

#include "agent_log.h"

/* Relative to this guest's /local/domain/<domid>/ (the compositor's
 * TSR_XEN_VCHAN_SUBPATH). */
#define VCHAN_PATH "data/tessera"
#define TO_COMPOSITOR_RING_BYTES (2u * TSR_MAX_MESSAGE_SIZE)

struct xen_transport {
	struct agent_transport base;
	xentoollog_logger_stdiostream *logger;
	struct libxenvchan *vchan;
	xengntshr_handle *gntshr;
	struct agent_page_sharer sharer;
	int event_fd;	   /* the vchan's event channel (owned by libxenvchan) */
	int kick_fd;	   /* eventfd */
	int poll_fd;	   /* epoll over both: the fd the session polls */
	uint8_t *recv_buf; /* TSR_MAX_MESSAGE_SIZE bytes */
	size_t recv_have;
	size_t recv_want;  /* TSR_HEADER_SIZE until the header is checked */
	uint8_t *send_buf; /* TSR_MAX_MESSAGE_SIZE bytes */
};

static struct xen_transport *xen_from_base(struct agent_transport *transport)
{
	return (struct xen_transport *)transport;
}

#define GNTALLOC_LIMIT_PATH "/sys/module/xen_gntalloc/parameters/limit"

/* gntalloc caps the pages one guest may share (1024 by default, 4 MiB):
 * less than one 1080p buffer. Say so, with the knob, instead of leaving a
 * bare "No space left on device". */
static void explain_share_failure(uint32_t pages, int error)
{
	char limit[32] = "?";
	FILE *file = fopen(GNTALLOC_LIMIT_PATH, "r");
	if (file) {
		if (!fgets(limit, sizeof(limit), file))
			snprintf(limit, sizeof(limit), "?");
		limit[strcspn(limit, "\n")] = '\0';
		fclose(file);
	}
	if (error == ENOSPC)
		agent_log(NULL,
			  "gntalloc refused %u more pages: this guest may share %s pages in all; "
			  "raise the limit, "
			  "e.g. echo 65536 > " GNTALLOC_LIMIT_PATH,
			  pages, limit);
	else
		agent_log(NULL, "gntalloc cannot share %u pages: %s (limit %s pages)", pages,
			  strerror(error), limit);
}

static void *share_pages(void *data, uint32_t pages, uint32_t *refs)
{
	struct xen_transport *xen = data;
	/* writable = 0: dom0 can only map these pages read-only. */
	void *address =
	    xengntshr_share_pages(xen->gntshr, AGENT_XEN_COMPOSITOR_DOMID, (int)pages, refs, 0);
	if (!address)
		explain_share_failure(pages, errno);
	return address;
}

static void unshare_pages(void *data, void *address, uint32_t pages)
{
	struct xen_transport *xen = data;
	xengntshr_unshare(xen->gntshr, address, pages);
}

/* Consumes a pending event if there is one; never blocks. */
static bool consume_event(struct xen_transport *xen, int timeout_ms)
{
	struct pollfd pfd = {.fd = xen->event_fd, .events = POLLIN};
	int ready;
	do
		ready = poll(&pfd, 1, timeout_ms);
	while (ready < 0 && errno == EINTR);
	if (ready < 0)
		return false;
	if (ready > 0 && libxenvchan_wait(xen->vchan) < 0)
		return false;
	return true;
}

static void kick(struct xen_transport *xen)
{
	uint64_t one = 1;
	if (write(xen->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		agent_log_errno(NULL, "cannot wake the poll loop");
}

static bool xen_send(struct agent_transport *transport, const struct tsr_msg *msg)
{
	struct xen_transport *xen = xen_from_base(transport);
	size_t len = tsr_msg_encode(msg, xen->send_buf, TSR_MAX_MESSAGE_SIZE);
	if (len == 0) {
		agent_log(NULL, "cannot encode %s message", tsr_msg_type_name(msg->type));
		return false;
	}
	size_t sent = 0;
	while (sent < len) {
		int written = libxenvchan_write(xen->vchan, xen->send_buf + sent, len - sent);
		if (written < 0) {
			agent_log(NULL, "the compositor closed the vchan");
			return false;
		}
		sent += (size_t)written;
		if (sent == len)
			break;
		/* The ring is full: wait until the compositor has read. The
		 * event may also have announced data for us: kick. */
		if (!consume_event(xen, -1)) {
			agent_log_errno(NULL, "waiting on the event channel failed");
			return false;
		}
		kick(xen);
	}
	return true;
}

static bool xen_send_with_fd(struct agent_transport *transport, const struct tsr_msg *msg, int fd)
{
	return false; /* no fds across domains: buffers travel as grant refs */
}

static enum agent_recv_result xen_receive(struct agent_transport *transport, struct tsr_msg *out,
					  char *err, size_t err_len)
{
	struct xen_transport *xen = xen_from_base(transport);
	uint64_t kicks;
	if (read(xen->kick_fd, &kicks, sizeof(kicks)) < 0 && errno != EAGAIN) {
		snprintf(err, err_len, "eventfd read failed: %s", strerror(errno));
		return AGENT_RECV_ERROR;
	}
	if (!consume_event(xen, 0)) {
		snprintf(err, err_len, "event channel failed: %s", strerror(errno));
		return AGENT_RECV_ERROR;
	}
	for (;;) {
		if (xen->recv_have == xen->recv_want) {
			if (xen->recv_want == TSR_HEADER_SIZE) {
				size_t total_len;
				if (!tsr_header_check(xen->recv_buf, TSR_FROM_COMPOSITOR,
						      &total_len, err, err_len))
					return AGENT_RECV_ERROR;
				xen->recv_want = total_len;
				if (total_len > TSR_HEADER_SIZE)
					continue;
			}
			bool ok = tsr_msg_decode(xen->recv_buf, xen->recv_have, TSR_FROM_COMPOSITOR,
						 out, err, err_len);
			xen->recv_have = 0;
			xen->recv_want = TSR_HEADER_SIZE;
			return ok ? AGENT_RECV_MESSAGE : AGENT_RECV_ERROR;
		}
		int count = libxenvchan_read(xen->vchan, xen->recv_buf + xen->recv_have,
					     xen->recv_want - xen->recv_have);
		if (count < 0 || (count == 0 && !libxenvchan_is_open(xen->vchan))) {
			if (xen->recv_have > 0) {
				snprintf(err, err_len, "vchan closed in the middle of a message");
				return AGENT_RECV_ERROR;
			}
			return AGENT_RECV_CLOSED;
		}
		if (count == 0)
			return AGENT_RECV_AGAIN;
		xen->recv_have += (size_t)count;
	}
}

static int xen_get_fd(struct agent_transport *transport)
{
	return xen_from_base(transport)->poll_fd;
}

static void xen_destroy(struct agent_transport *transport)
{
	struct xen_transport *xen = xen_from_base(transport);
	/* Removes data/tessera from xenstore and tells the compositor. */
	libxenvchan_close(xen->vchan);
	/* Buffers were unshared by the pool, which the session destroys
	 * first; closing the handle would end any leftover share anyway. */
	if (xen->gntshr)
		xengntshr_close(xen->gntshr);
	if (xen->poll_fd >= 0)
		close(xen->poll_fd);
	if (xen->kick_fd >= 0)
		close(xen->kick_fd);
	xtl_logger_destroy((xentoollog_logger *)xen->logger);
	free(xen->recv_buf);
	free(xen->send_buf);
	free(xen);
}

static const struct agent_transport_impl xen_impl = {
    .send = xen_send,
    .send_with_fd = xen_send_with_fd,
    .receive = xen_receive,
    .get_fd = xen_get_fd,
    .destroy = xen_destroy,
};

static bool watch_fd(int poll_fd, int fd)
{
	struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
	return epoll_ctl(poll_fd, EPOLL_CTL_ADD, fd, &event) == 0;
}

static struct agent_transport *xen_connect(const char *address)
{
	struct xen_transport *xen = calloc(1, sizeof(*xen));
	if (!xen)
		return NULL;
	xen->base.impl = &xen_impl;
	xen->kick_fd = -1;
	xen->poll_fd = -1;
	xen->recv_want = TSR_HEADER_SIZE;
	xen->recv_buf = malloc(TSR_MAX_MESSAGE_SIZE);
	xen->send_buf = malloc(TSR_MAX_MESSAGE_SIZE);
	xen->logger = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
	if (!xen->recv_buf || !xen->send_buf)
		goto error;
	xen->gntshr = xengntshr_open((xentoollog_logger *)xen->logger, 0);
	if (!xen->gntshr) {
		agent_log_errno(NULL, "cannot open gntalloc (is xen-gntalloc loaded?)");
		goto error;
	}
	xen->sharer =
	    (struct agent_page_sharer){.share = share_pages, .unshare = unshare_pages, .data = xen};
	xen->vchan =
	    libxenvchan_server_init((xentoollog_logger *)xen->logger, AGENT_XEN_COMPOSITOR_DOMID,
				    VCHAN_PATH, 0, TO_COMPOSITOR_RING_BYTES);
	if (!xen->vchan) {
		agent_log_errno(NULL, "cannot publish a vchan at %s", VCHAN_PATH);
		goto error;
	}
	/* libxenvchan leaves these unset: our reads never block, and we stop
	 * when the compositor disconnects. */
	xen->vchan->blocking = 0;
	xen->vchan->server_persist = 0;
	xen->event_fd = libxenvchan_fd_for_select(xen->vchan);
	xen->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	xen->poll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (xen->kick_fd < 0 || xen->poll_fd < 0 || !watch_fd(xen->poll_fd, xen->event_fd) ||
	    !watch_fd(xen->poll_fd, xen->kick_fd)) {
		agent_log_errno(NULL, "cannot set up the poll set");
		goto error;
	}
	return &xen->base;

error:
	xen_destroy(&xen->base);
	return NULL;
}

const struct agent_transport_type agent_transport_xen = {
    .name = "xen",
    .connect = xen_connect,
};

const struct agent_page_sharer *agent_transport_xen_sharer(struct agent_transport *transport)
{
	return &xen_from_base(transport)->sharer;
}
