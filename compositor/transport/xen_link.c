/* The Xen transport's byte I/O under the stream link (stream_link.c, which
 * frames the bytes): libxenvchan reads and writes, grant import.
 * libxenvchan_read() copies out of the shared ring into our own buffer, so
 * the guest cannot change bytes after they were checked.
 *
 * Events: the vchan's event-channel fd is in the event loop. When it fires,
 * libxenvchan_wait() consumes the event (it would block otherwise, so it is
 * only ever called then), and the link reads what is ready and flushes
 * what it has queued. Nothing polls: bytes already in the ring (written
 * before we connected, or left by the per-wake-up cap) are read from an
 * idle callback (TSR_STREAM_WAKEUP_EVENT).
 *
 * libxenvchan notes (hardening, see README-xen.md):
 * - libxenvchan_client_init() leaves ctrl->blocking uninitialised; we set it
 *   to 0 before any I/O, or a read could block dom0 on a silent guest.
 * - Ring indices live in guest-writable memory. libxenvchan clamps "ready"
 *   and "space" to the ring size and masks every offset with the ring size,
 *   so a hostile index yields garbage bytes (caught by the decoder) or a
 *   stalled ring, never an out-of-bounds access; a stalled ring only stalls
 *   this guest.
 * - libxenvchan_is_open() reads a guest-writable flag: a guest can claim to
 *   be open forever. Its death is learned from @releaseDomain instead.
 * - The ring pages (up to 2 x 1 MiB) are mapped by libxenvchan itself,
 *   outside the buffer quota; their size is bounded by libxenvchan. */
#include <stdio.h>
#include <stdlib.h>

#include <libxenvchan.h>

#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "tessera/protocol.h"
#include "transport/dmabuf_budget.h"
#include "transport/stream_link.h"
#include "transport/xen_grant_buffer.h"
#include "transport/xen_grant_check.h"
#include "transport/xen_link.h"

struct xen_io {
	struct libxenvchan *vchan;
	struct tsr_xen_grant_mapper *mapper;
	struct tsr_xen_link_owner owner;
	const char *domain_name; /* the configuration's, for log lines */
	uint32_t domid;
	/* With gntdev's export: this guest's dma-buf budget (dmabuf_budget.h,
	 * the local transport's limits); NULL once gntdev refused an export
	 * (it would refuse every one) or without the export. */
	struct tsr_dmabuf_budget *dmabuf_budget;
	bool dmabuf_refusal_logged; /* one line per connection at most */
};

static void xen_destroy(void *data)
{
	struct xen_io *io = data;
	if (io->owner.link_destroyed)
		io->owner.link_destroyed(io->owner.data);
	/* Tells the agent we are gone (cli_live = 0 plus an event). */
	libxenvchan_close(io->vchan);
	/* Buffers hold their own references: the core destroys them before the
	 * link, but the gntdev handle would outlive us either way. */
	tsr_xen_grant_mapper_unref(io->mapper);
	tsr_dmabuf_budget_unref(io->dmabuf_budget);
	free(io);
}

static int xen_fd(void *data)
{
	struct xen_io *io = data;
	return libxenvchan_fd_for_select(io->vchan);
}

/* Readable means an event is pending: libxenvchan_wait() won't block. */
static bool xen_acknowledge(void *data)
{
	struct xen_io *io = data;
	return libxenvchan_wait(io->vchan) >= 0;
}

/* When the ring is full, libxenvchan asks the guest to notify us once it
 * has read: the flush then continues from the event. */
static ssize_t xen_write(void *data, const uint8_t *bytes, size_t len)
{
	struct xen_io *io = data;
	int written = libxenvchan_write(io->vchan, bytes, len);
	return written < 0 ? -1 : written;
}

static void xen_read(void *data, uint8_t *buf, size_t len, bool mid_message,
		     struct tsr_stream_fds *fds, struct tsr_stream_read *result)
{
	(void)fds;
	struct xen_io *io = data;
	int count = libxenvchan_read(io->vchan, buf, len);
	if (count < 0 || (count == 0 && !libxenvchan_is_open(io->vchan))) {
		result->closed = "the guest closed the vchan";
		result->violation = mid_message;
		return;
	}
	result->bytes = (size_t)count;
}

static struct tsr_buffer *xen_import(void *data, const struct tsr_msg *msg, int fd,
				     const struct tsr_buffer_request *request, char *err,
				     size_t err_len)
{
	(void)fd;
	struct xen_io *io = data;
	if (msg->type != TSR_MSG_BUFFER_ATTACH_GRANTS) {
		snprintf(err, err_len, "only grant buffers travel over Xen");
		return NULL;
	}
	struct tsr_buffer *buffer =
	    tsr_xen_grant_buffer_import(io->mapper, &msg->u.attach_grants, request, err, err_len);
	if (!buffer || !io->dmabuf_budget)
		return buffer;
	/* Eager: every buffer that can be a dma-buf is exported at attach,
	 * within the budget; one that cannot is shown from its mapping, which
	 * costs only the zero-copy path, so it is logged, not a violation. */
	char why[256];
	enum tsr_xen_export_result result = tsr_xen_grant_buffer_export_dmabuf(
	    buffer, &msg->u.attach_grants, io->dmabuf_budget, why, sizeof(why));
	if (result == TSR_XEN_EXPORT_FAILED) {
		tsr_dmabuf_budget_unref(io->dmabuf_budget);
		io->dmabuf_budget = NULL;
	}
	if (result != TSR_XEN_EXPORT_DONE && !io->dmabuf_refusal_logged) {
		io->dmabuf_refusal_logged = true;
		tsr_log_domain(TSR_LOG_INFO, io->domain_name, (int32_t)io->domid,
			       "dma-buf: buffer %u is only mapped: %s (said once per connection)%s",
			       msg->u.attach_grants.buffer_id, why,
			       result == TSR_XEN_EXPORT_FAILED ? "; no more exports for it" : "");
	}
	return buffer;
}

static const struct tsr_stream_io xen_io_ops = {
    .read = xen_read,
    .write = xen_write,
    .fd = xen_fd,
    .acknowledge = xen_acknowledge,
    .import_buffer = xen_import,
    .destroy = xen_destroy,
    .wakeup = TSR_STREAM_WAKEUP_EVENT,
    .exact_reads = true,
    /* One ring write and one event per loop pass (a frame's BUFFER_RELEASE
     * and FRAME_DONE together), not one per message. */
    .batch_sends = true,
    .write_error = "the guest closed the vchan",
};

struct tsr_guest_link *tsr_xen_link_create(struct tsr_event_loop *loop, uint32_t domid,
					   const char *domain_name, bool dmabuf_export,
					   struct libxenvchan *vchan,
					   const struct tsr_xen_link_owner *owner, char *err,
					   size_t err_len)
{
	/* Never block dom0 on a guest (libxenvchan leaves this unset). */
	vchan->blocking = 0;
	struct xen_io *io = calloc(1, sizeof(*io));
	if (!io) {
		libxenvchan_close(vchan);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	io->vchan = vchan;
	io->domain_name = domain_name ? domain_name : "?";
	io->domid = domid;
	if (dmabuf_export)
		/* NULL when out of memory: then mapped only. */
		io->dmabuf_budget = tsr_dmabuf_budget_create(
		    TSR_DMABUF_BUDGET_LIVE_BYTES, TSR_DMABUF_BUDGET_BYTES_PER_SECOND, tsr_now_ns());
	io->mapper = tsr_xen_grant_mapper_create(domid, TSR_XEN_DOMAIN_QUOTA_PAGES, err, err_len);
	if (!io->mapper) {
		xen_destroy(io);
		return NULL;
	}
	struct tsr_guest_link *link = tsr_stream_link_create(loop, &xen_io_ops, io);
	if (!link) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	/* Set last: a failed create must not tell the owner about a link it
	 * never saw. */
	io->owner = *owner;
	return link;
}

bool tsr_xen_link_start(struct tsr_guest_link *link)
{
	return tsr_stream_link_start(link);
}

void tsr_xen_link_forget_owner(struct tsr_guest_link *link)
{
	struct xen_io *io = tsr_stream_link_io_data(link, &xen_io_ops);
	io->owner.link_destroyed = NULL;
}

void tsr_xen_link_domain_gone(struct tsr_guest_link *link)
{
	tsr_stream_link_close(link, "the domain was destroyed", false);
}

uint32_t tsr_xen_link_mapped_pages(struct tsr_guest_link *link)
{
	struct xen_io *io = tsr_stream_link_io_data(link, &xen_io_ops);
	return tsr_xen_grant_mapper_mapped_pages(io->mapper);
}
