/* Framing is protocol/README.md section 2: read the 8-byte header,
 * tsr_header_check(), then exactly the length it allows, then
 * tsr_msg_decode() (framing.c). Every byte is copied out of the transport
 * into our own buffers before it is checked, so a guest cannot change it
 * afterwards.
 *
 * Reads fill a staging buffer with as much as the transport holds, up to
 * STAGING_BYTES at a time, and frame messages out of it: one read for a
 * whole frame's DAMAGE and COMMIT instead of two per message, the largest
 * per-domain cost of a frame (io->exact_reads skips the staging buffer).
 *
 * fds still belong to exactly one message: the kernel hands them out with
 * the read that holds the first byte of the sendmsg that carried them and
 * ends that read inside it, so they belong to the message holding the
 * read's last byte (for a guest that sends each BUFFER_ATTACH_MEMFD in one
 * sendmsg with its fd, as protocol/README.md 8.1 requires, that is the
 * attach itself). While fds wait for their message, reads ask for at most
 * the rest of that message. BUFFER_ATTACH_MEMFD must bring exactly one,
 * every other message none. Guest fds are disposed of through
 * io->dispose_fd, never closed here: closing some kinds of file blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/event_loop.h"
#include "tessera/protocol.h"
#include "transport/framing.h"
#include "transport/stream_link.h"

/* Messages handled per wake-up: a flooding guest yields to the others. */
#define MESSAGES_PER_DISPATCH 64
/* Enough for a frame's DAMAGE (272 bytes) and COMMIT (20) many times. */
#define STAGING_BYTES 4096

struct stream_link {
	struct tsr_guest_link base;
	struct tsr_event_loop *loop;
	const struct tsr_stream_io *io;
	void *io_data;
	struct tsr_event_source *source;
	struct tsr_frame_reader reader;
	uint8_t staging[STAGING_BYTES]; /* read, not yet framed */
	size_t staged, staged_used;
	/* Stream offsets: of the next byte to frame, and of the last byte of
	 * the read that brought fds (their message holds it). */
	uint64_t framed, fd_owner;
	struct tsr_stream_fds fds; /* waiting for the message holding fd_owner */
	/* More to frame without a wake-up (staged messages after the cap;
	 * TSR_STREAM_WAKEUP_EVENT: bytes in the ring): an idle goes on. */
	struct tsr_event_source *resume;
	struct tsr_event_source *flush; /* io->batch_sends: end of this pass */
	int message_fd;			/* the fd of the message being handled, for import */
	struct tsr_send_queue queue;
	bool closed;
	bool reads_deferred; /* readable not watched: the core reads at its frames */
	/* The last read came back short without fds: a socket returns less
	 * than asked only when it has no more, so this pass reads no further
	 * (what arrives later makes it readable again). */
	bool source_empty;
};

static bool flush_queue(struct stream_link *link);

static void close_fds(struct stream_link *link)
{
	for (size_t i = 0; i < link->fds.count; i++)
		link->io->dispose_fd(link->io_data, link->fds.fd[i]);
	link->fds.count = 0;
}

static void remove_sources(struct stream_link *link)
{
	tsr_event_source_remove(link->source);
	link->source = NULL;
	tsr_event_source_remove(link->resume);
	link->resume = NULL;
	tsr_event_source_remove(link->flush);
	link->flush = NULL;
}

static void stream_link_destroy(struct tsr_guest_link *base)
{
	struct stream_link *link = (struct stream_link *)base;
	if (!link)
		return;
	remove_sources(link);
	/* What is queued still goes out if the transport takes it: the ERROR
	 * that explains a drop is queued just before the link is destroyed
	 * (without batching, send() has already written what fitted). */
	if (link->io->batch_sends && link->queue.queued)
		flush_queue(link);
	close_fds(link);
	link->io->destroy(link->io_data);
	free(link->fds.fd);
	tsr_frame_reader_fini(&link->reader);
	tsr_send_queue_fini(&link->queue);
	free(link);
}

/* Hands the guest's fate to the listener; nothing touches link afterwards. */
static void close_link(struct stream_link *link, const char *reason, bool violation)
{
	link->closed = true;
	remove_sources(link);
	link->base.listener.closed(link->base.listener.data, reason, violation);
}

/* Writable is also watched while a refused sender waits for room, so that
 * it hears of it even when the queue emptied from inside send. An event
 * channel needs no mask: the peer's read raises an event. */
static void update_watch(struct stream_link *link)
{
	if (link->io->wakeup != TSR_STREAM_WAKEUP_POLL || !link->source)
		return;
	bool want_writable = link->queue.queued > 0 || link->queue.refused;
	tsr_event_source_fd_update(link->source, (link->reads_deferred ? 0 : TSR_EVENT_READABLE) |
						     (want_writable ? TSR_EVENT_WRITABLE : 0));
}

/* Writes as much of the queue as the transport takes; the rest continues
 * from the next wake-up. false: the connection is broken. */
static bool flush_queue(struct stream_link *link)
{
	while (link->queue.queued > 0) {
		ssize_t written =
		    link->io->write(link->io_data, link->queue.bytes, link->queue.queued);
		if (written < 0)
			return false;
		if (written == 0)
			break;
		tsr_send_queue_consume(&link->queue, (size_t)written);
	}
	update_watch(link);
	return true;
}

static void flush_at_end_of_pass(void *data)
{
	struct stream_link *link = data;
	link->flush = NULL;
	/* A write error shows up on the next wake-up. */
	flush_queue(link);
}

static bool stream_link_send(struct tsr_guest_link *base, const struct tsr_msg *msg)
{
	struct stream_link *link = (struct stream_link *)base;
	/* Still allowed once closing: the ERROR that explains a drop goes out
	 * from inside close_link() (and stream_link_destroy() flushes it). */
	if (!tsr_send_queue_push(&link->queue, msg))
		return false;
	if (link->io->batch_sends && !link->flush)
		link->flush = tsr_event_loop_add_idle(link->loop, flush_at_end_of_pass, link);
	if (!link->flush)
		flush_queue(link); /* not batching, or no memory for the idle: send now */
	return true;
}

static struct tsr_buffer *stream_link_import(struct tsr_guest_link *base, const struct tsr_msg *msg,
					     const struct tsr_buffer_request *request, char *err,
					     size_t err_len)
{
	struct stream_link *link = (struct stream_link *)base;
	return link->io->import_buffer(link->io_data, msg, link->message_fd, request, err, err_len);
}

static void handle_readable(struct stream_link *link);

/* Only a socket can stop waking the loop for reads: an event channel's
 * one event stands for reads and writes alike. */
static void stream_link_defer_reads(struct tsr_guest_link *base, bool deferred)
{
	struct stream_link *link = (struct stream_link *)base;
	if (link->io->wakeup != TSR_STREAM_WAKEUP_POLL || link->reads_deferred == deferred)
		return;
	link->reads_deferred = deferred;
	update_watch(link);
}

static void stream_link_read_deferred(struct tsr_guest_link *base)
{
	struct stream_link *link = (struct stream_link *)base;
	if (link->reads_deferred && !link->closed)
		handle_readable(link); /* may close, and free, the link */
}

static const struct tsr_guest_link_impl stream_link_impl = {
    .send = stream_link_send,
    .import_buffer = stream_link_import,
    .destroy = stream_link_destroy,
    .defer_reads = stream_link_defer_reads,
    .read_deferred = stream_link_read_deferred,
};

/* Reads from the transport into dest. Returns the bytes read; 0: nothing
 * now, or the link was closed (and may be gone: not to be touched). */
static size_t read_some(struct stream_link *link, uint8_t *dest, size_t wanted)
{
	struct tsr_stream_read result = {0};
	size_t had_fds = link->fds.count;
	link->io->read(link->io_data, dest, wanted, tsr_frame_reader_mid_message(&link->reader),
		       &link->fds, &result);
	if (result.closed) {
		close_link(link, result.closed, result.violation);
		return 0;
	}
	if (link->fds.count > had_fds && result.bytes > 0)
		link->fd_owner = link->framed + (uint64_t)result.bytes - 1;
	return result.bytes;
}

/* Puts the next bytes of the current message at the frame reader's tail:
 * never more than it still needs, so that it sees one message at a time,
 * as if read exactly. Returns how many; 0: nothing now, or the link was
 * closed. */
static size_t next_bytes(struct stream_link *link)
{
	size_t missing = tsr_frame_reader_missing(&link->reader);
	size_t count;
	if (link->io->exact_reads) {
		count = read_some(link, tsr_frame_reader_tail(&link->reader), missing);
		if (count == 0)
			return 0; /* link may be gone */
	} else {
		if (link->staged_used == link->staged) {
			if (link->source_empty)
				return 0;
			/* While fds wait for their message, at most what it still
			 * needs: fds of a later message cannot arrive before these
			 * found their owner. */
			size_t wanted = sizeof(link->staging);
			if (link->fds.count && missing < wanted)
				wanted = missing;
			size_t had_fds = link->fds.count;
			size_t got = read_some(link, link->staging, wanted);
			if (got == 0)
				return 0; /* link may be gone */
			link->source_empty = got < wanted && link->fds.count == had_fds &&
					     link->io->wakeup == TSR_STREAM_WAKEUP_POLL;
			link->staged = got;
			link->staged_used = 0;
		}
		count = link->staged - link->staged_used;
		if (count > missing)
			count = missing;
		memcpy(tsr_frame_reader_tail(&link->reader), link->staging + link->staged_used,
		       count);
		link->staged_used += count;
	}
	link->framed += count;
	return count;
}

/* Returns false when the link was closed (and may be gone). */
static bool handle_complete_message(struct stream_link *link, const struct tsr_msg *msg)
{
	size_t owned = 0;
	if (link->io->max_fds_per_read) {
		size_t wanted = msg->type == TSR_MSG_BUFFER_ATTACH_MEMFD ? 1 : 0;
		/* The message just framed ends before stream offset link->framed. */
		owned = link->fds.count && link->fd_owner < link->framed ? link->fds.count : 0;
		if (owned != wanted) {
			char err[160];
			snprintf(err, sizeof(err), "%s came with %zu fds (%zu expected)",
				 tsr_msg_type_name(msg->type), owned, wanted);
			close_fds(link);
			close_link(link, err, true);
			return false;
		}
	}
	link->message_fd = owned ? link->fds.fd[0] : -1;
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

static void handle_readable(struct stream_link *link)
{
	link->source_empty = false;
	for (int handled = 0; handled < MESSAGES_PER_DISPATCH;) {
		size_t count = next_bytes(link);
		if (count == 0)
			return;
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
	/* The cap was reached: continue on the next dispatch, after the other
	 * guests had their turn. A socket becomes readable again by itself
	 * for what it still holds (unless its reads are deferred), but not for
	 * what is staged; an event channel raises no event for bytes already
	 * in the ring. */
	bool more = link->io->wakeup == TSR_STREAM_WAKEUP_EVENT || link->reads_deferred ||
		    link->staged_used < link->staged;
	if (more && !link->resume)
		link->resume = tsr_event_loop_add_idle(link->loop, resume_reading, link);
}

static void resume_reading(void *data)
{
	struct stream_link *link = data;
	link->resume = NULL; /* idles run once */
	if (!link->closed)
		handle_readable(link);
}

static void handle_event(int fd, uint32_t mask, void *data)
{
	struct stream_link *link = data;
	if (link->io->wakeup == TSR_STREAM_WAKEUP_EVENT) {
		if (!link->io->acknowledge(link->io_data)) {
			close_link(link, "event channel error", false);
			return;
		}
		/* One event says the peer wrote, read, or both. */
		mask = TSR_EVENT_READABLE | TSR_EVENT_WRITABLE;
	}
	if (mask & TSR_EVENT_WRITABLE) {
		if (!flush_queue(link)) {
			close_link(link, link->io->write_error, false);
			return;
		}
		if (tsr_send_queue_room_regained(&link->queue)) {
			update_watch(link); /* no longer watching writable for the listener */
			if (link->base.listener.send_ready)
				link->base.listener.send_ready(link->base.listener.data);
		}
	}
	if (mask & (TSR_EVENT_READABLE | TSR_EVENT_HANGUP | TSR_EVENT_ERROR))
		handle_readable(link);
}

struct tsr_guest_link *tsr_stream_link_create(struct tsr_event_loop *loop,
					      const struct tsr_stream_io *io, void *io_data)
{
	struct stream_link *link = calloc(1, sizeof(*link));
	if (!link) {
		io->destroy(io_data);
		return NULL;
	}
	link->base.impl = &stream_link_impl;
	link->loop = loop;
	link->io = io;
	link->io_data = io_data;
	link->message_fd = -1;
	link->fds.capacity = io->max_fds_per_read;
	bool fds_ok = !io->max_fds_per_read ||
		      (link->fds.fd = calloc(io->max_fds_per_read, sizeof(int))) != NULL;
	if (!fds_ok || !tsr_frame_reader_init(&link->reader) ||
	    !tsr_send_queue_init(&link->queue)) {
		stream_link_destroy(&link->base);
		return NULL;
	}
	return &link->base;
}

bool tsr_stream_link_start(struct tsr_guest_link *base)
{
	struct stream_link *link = (struct stream_link *)base;
	link->source = tsr_event_loop_add_fd(link->loop, link->io->fd(link->io_data),
					     TSR_EVENT_READABLE, handle_event, link);
	if (link->io->wakeup != TSR_STREAM_WAKEUP_EVENT)
		return link->source != NULL;
	/* What the peer wrote before we started: no event announces it. */
	link->resume = tsr_event_loop_add_idle(link->loop, resume_reading, link);
	return link->source && link->resume;
}

void *tsr_stream_link_io_data(struct tsr_guest_link *base, const struct tsr_stream_io *io)
{
	struct stream_link *link = (struct stream_link *)base;
	return link && link->base.impl == &stream_link_impl && link->io == io ? link->io_data
									      : NULL;
}

void tsr_stream_link_close(struct tsr_guest_link *base, const char *reason, bool violation)
{
	struct stream_link *link = (struct stream_link *)base;
	if (!link->closed)
		close_link(link, reason, violation);
}
