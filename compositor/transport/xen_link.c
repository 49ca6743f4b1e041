/* Framing is the local transport's (protocol/README.md section 2): read the
 * 8-byte header, tsr_header_check(), then exactly the length it allows, then
 * tsr_msg_decode(). libxenvchan_read() copies out of the shared ring into
 * our own buffer, so the guest cannot change bytes after they were checked.
 *
 * Events: the vchan's event-channel fd is in the event loop. When it fires,
 * libxenvchan_wait() consumes the event (it would block otherwise, so it is
 * only ever called then), and we read what is ready and flush what we have
 * queued. Nothing polls.
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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxenvchan.h>

#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "tessera/protocol.h"
#include "transport/xen_grant_buffer.h"
#include "transport/xen_grant_check.h"
#include "transport/framing.h"
#include "transport/xen_link.h"

/* Messages handled per wake-up: a flooding guest yields to the others. */
#define MESSAGES_PER_DISPATCH 64

struct xen_link {
	struct tsr_guest_link base;
	struct tsr_event_loop *loop;
	uint32_t domid;
	struct libxenvchan *vchan;
	struct tsr_event_source *source;
	struct tsr_event_source *resume; /* idle: more to read without an event */
	struct tsr_xen_grant_mapper *mapper;
	struct tsr_xen_link_owner owner;
	struct tsr_frame_reader reader;
	struct tsr_send_queue queue;
	bool closed;
};

static void xen_link_destroy(struct tsr_guest_link *base)
{
	struct xen_link *link = (struct xen_link *)base;
	if (!link)
		return;
	if (link->owner.link_destroyed)
		link->owner.link_destroyed(link->owner.data);
	tsr_event_source_remove(link->source);
	tsr_event_source_remove(link->resume);
	/* Tells the agent we are gone (cli_live = 0 plus an event). */
	libxenvchan_close(link->vchan);
	/* Buffers hold their own references: the core destroys them before the
	 * link, but the gntdev handle would outlive us either way. */
	tsr_xen_grant_mapper_unref(link->mapper);
	tsr_frame_reader_fini(&link->reader);
	tsr_send_queue_fini(&link->queue);
	free(link);
}

/* Hands the guest's fate to the listener; nothing touches link afterwards. */
static void close_link(struct xen_link *link, const char *reason, bool violation)
{
	link->closed = true;
	tsr_event_source_remove(link->source);
	link->source = NULL;
	tsr_event_source_remove(link->resume);
	link->resume = NULL;
	link->base.listener.closed(link->base.listener.data, reason, violation);
}

/* Writes as much of the queue as the ring takes. When it is full,
 * libxenvchan asks the guest to notify us once it has read: the flush then
 * continues from the event. */
static bool flush_queue(struct xen_link *link)
{
	while (link->queue.queued > 0) {
		int written = libxenvchan_write(link->vchan, link->queue.bytes, link->queue.queued);
		if (written < 0)
			return false;
		if (written == 0)
			break;
		tsr_send_queue_consume(&link->queue, (size_t)written);
	}
	return true;
}

static bool xen_link_send(struct tsr_guest_link *base, const struct tsr_msg *msg)
{
	struct xen_link *link = (struct xen_link *)base;
	/* Still allowed once closing: the ERROR that explains a drop goes out
	 * from inside close_link(). */
	if (!tsr_send_queue_push(&link->queue, msg))
		return false;
	/* A dead ring shows up on the next event or @releaseDomain. */
	flush_queue(link);
	return true;
}

static struct tsr_buffer *xen_link_import(struct tsr_guest_link *base, const struct tsr_msg *msg,
					  const struct tsr_buffer_request *request, char *err,
					  size_t err_len)
{
	struct xen_link *link = (struct xen_link *)base;
	if (msg->type != TSR_MSG_BUFFER_ATTACH_GRANTS) {
		snprintf(err, err_len, "only grant buffers travel over Xen");
		return NULL;
	}
	return tsr_xen_grant_buffer_import(link->mapper, &msg->u.attach_grants, request, err,
					   err_len);
}

static const struct tsr_guest_link_impl xen_link_impl = {
    .send = xen_link_send,
    .import_buffer = xen_link_import,
    .destroy = xen_link_destroy,
};

static void resume_reading(void *data);

static void handle_readable(struct xen_link *link)
{
	for (int handled = 0; handled < MESSAGES_PER_DISPATCH;) {
		bool mid_message = tsr_frame_reader_mid_message(&link->reader);
		int count = libxenvchan_read(link->vchan, tsr_frame_reader_tail(&link->reader),
					     tsr_frame_reader_missing(&link->reader));
		if (count < 0) {
			close_link(link, "the guest closed the vchan", mid_message);
			return;
		}
		if (count == 0) {
			if (!libxenvchan_is_open(link->vchan))
				close_link(link, "the guest closed the vchan", mid_message);
			return;
		}
		const struct tsr_msg *msg;
		char err[160];
		switch (
		    tsr_frame_reader_push(&link->reader, (size_t)count, &msg, err, sizeof(err))) {
		case TSR_FRAME_INCOMPLETE:
			continue;
		case TSR_FRAME_INVALID:
			close_link(link, err, true);
			return;
		case TSR_FRAME_COMPLETE:
			break;
		}
		if (!link->base.listener.message(link->base.listener.data, msg)) {
			close_link(link, "protocol violation", true);
			return;
		}
		handled++;
	}
	/* The cap was reached with data possibly left in the ring. No event
	 * will come for bytes already there: continue on the next dispatch,
	 * after the other guests had their turn. */
	if (!link->resume)
		link->resume = tsr_event_loop_add_idle(link->loop, resume_reading, link);
}

static void resume_reading(void *data)
{
	struct xen_link *link = data;
	link->resume = NULL; /* idles run once */
	if (!link->closed)
		handle_readable(link);
}

static void handle_event(int fd, uint32_t mask, void *data)
{
	struct xen_link *link = data;
	/* Readable means an event is pending: libxenvchan_wait() won't block. */
	if (libxenvchan_wait(link->vchan) < 0) {
		close_link(link, "event channel error", false);
		return;
	}
	if (!flush_queue(link)) {
		close_link(link, "the guest closed the vchan", false);
		return;
	}
	/* A guest that reads makes the ring raise an event, so a refused
	 * sender always hears of the room here. */
	if (tsr_send_queue_room_regained(&link->queue) && link->base.listener.send_ready)
		link->base.listener.send_ready(link->base.listener.data);
	handle_readable(link);
}

struct tsr_guest_link *tsr_xen_link_create(struct tsr_event_loop *loop, uint32_t domid,
					   struct libxenvchan *vchan,
					   const struct tsr_xen_link_owner *owner, char *err,
					   size_t err_len)
{
	struct xen_link *link = calloc(1, sizeof(*link));
	if (!link) {
		libxenvchan_close(vchan);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	link->base.impl = &xen_link_impl;
	link->loop = loop;
	link->domid = domid;
	link->vchan = vchan;
	/* Never block dom0 on a guest (libxenvchan leaves this unset). */
	link->vchan->blocking = 0;
	if (!tsr_frame_reader_init(&link->reader) || !tsr_send_queue_init(&link->queue)) {
		snprintf(err, err_len, "out of memory");
		goto error;
	}
	link->mapper = tsr_xen_grant_mapper_create(domid, TSR_XEN_DOMAIN_QUOTA_PAGES, err, err_len);
	if (!link->mapper)
		goto error;
	/* Set last: a failed create must not tell the owner about a link it
	 * never saw. */
	link->owner = *owner;
	return &link->base;
error:
	xen_link_destroy(&link->base);
	return NULL;
}

bool tsr_xen_link_start(struct tsr_guest_link *base)
{
	struct xen_link *link = (struct xen_link *)base;
	link->source = tsr_event_loop_add_fd(link->loop, libxenvchan_fd_for_select(link->vchan),
					     TSR_EVENT_READABLE, handle_event, link);
	/* The agent wrote HELLO before we connected: no event announces it. */
	link->resume = tsr_event_loop_add_idle(link->loop, resume_reading, link);
	return link->source && link->resume;
}

void tsr_xen_link_forget_owner(struct tsr_guest_link *base)
{
	struct xen_link *link = (struct xen_link *)base;
	link->owner.link_destroyed = NULL;
}

void tsr_xen_link_domain_gone(struct tsr_guest_link *base)
{
	struct xen_link *link = (struct xen_link *)base;
	if (!link->closed)
		close_link(link, "the domain was destroyed", false);
}

uint32_t tsr_xen_link_mapped_pages(struct tsr_guest_link *base)
{
	struct xen_link *link = (struct xen_link *)base;
	return tsr_xen_grant_mapper_mapped_pages(link->mapper);
}
