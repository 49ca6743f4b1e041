/* The guest link of the stream transports (local: unix socket + memfds;
 * Xen: libxenvchan + grants), written once: the bounded send queue and
 * send_ready, framing guest bytes into decoded messages (framing.h), the
 * messages-per-wake-up cap, which fds belong to which message, closing and
 * telling the listener. A transport supplies only its byte I/O and buffer
 * import (struct tsr_stream_io) and the state they need (io_data). */
#ifndef TSR_TRANSPORT_STREAM_LINK_H
#define TSR_TRANSPORT_STREAM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/guest_link.h"

struct tsr_event_loop;

/* How the transport's fd tells the loop that there is something to do. */
enum tsr_stream_wakeup {
	/* A socket: readable while it holds bytes, writable while it has room
	 * (level-triggered). Writable is watched only while there is something
	 * to write or a refused sender waits for room. */
	TSR_STREAM_WAKEUP_POLL,
	/* An event channel (libxenvchan): readable means one or more
	 * notifications, of reads or writes, which io->acknowledge consumes.
	 * Bytes may wait in the ring without one: what the peer wrote before
	 * we started, and what is left when the per-wake-up cap was reached. */
	TSR_STREAM_WAKEUP_EVENT,
};

/* fds that came with the bytes, waiting for their message. */
struct tsr_stream_fds {
	int *fd;
	size_t count, capacity;
};

/* What one read brought. */
struct tsr_stream_read {
	size_t bytes;	    /* at most what was asked for; 0 and closed NULL: nothing now */
	const char *closed; /* set: the link closes, and this is why */
	bool violation;	    /* with closed: the guest broke the protocol */
};

struct tsr_stream_io {
	/* Reads up to len bytes into buf, never blocking. mid_message: a
	 * message is partly read (an end now is a violation). A transport
	 * with max_fds_per_read appends the fds that came with the bytes to
	 * fds; any beyond its capacity it disposes of itself, and closes. */
	void (*read)(void *io_data, uint8_t *buf, size_t len, bool mid_message,
		     struct tsr_stream_fds *fds, struct tsr_stream_read *result);
	/* Writes up to len bytes, never blocking: how many (0: no room now),
	 * or -1 when the connection is broken. */
	ssize_t (*write)(void *io_data, const uint8_t *bytes, size_t len);
	/* The fd the loop watches. */
	int (*fd)(void *io_data);
	/* TSR_STREAM_WAKEUP_EVENT: consumes the notifications (only called
	 * when the fd is readable, so it never blocks). false: the channel is
	 * broken. */
	bool (*acknowledge)(void *io_data);
	/* core/guest_link.h's import_buffer; fd is the one that came with msg
	 * (-1: none), still owned by the link. */
	struct tsr_buffer *(*import_buffer)(void *io_data, const struct tsr_msg *msg, int fd,
					    const struct tsr_buffer_request *request, char *err,
					    size_t err_len);
	/* Closes one guest fd without ever blocking the loop (fd_closer.h). */
	void (*dispose_fd)(void *io_data, int fd);
	/* Ends the transport's endpoint and frees io_data. */
	void (*destroy)(void *io_data);
	/* The most fds one read may bring; 0: this transport carries none
	 * (every message then goes to the listener without an fd check). */
	size_t max_fds_per_read;
	enum tsr_stream_wakeup wakeup;
	/* Reads ask for exactly what the current message still needs, straight
	 * into the frame reader, instead of filling a staging buffer: nothing
	 * of the next message leaves the transport before this one is handled
	 * (libxenvchan_read() of more than the ring holds fails once the peer
	 * is gone, losing what it does hold). */
	bool exact_reads;
	/* Messages sent during one pass of the loop leave together at its end
	 * (one syscall, one wake-up of the guest) instead of one by one. */
	bool batch_sends;
	const char *write_error; /* the close reason when write fails */
};

/* A link over io. Takes ownership of io_data: on failure it has been
 * destroyed through io->destroy. */
struct tsr_guest_link *tsr_stream_link_create(struct tsr_event_loop *loop,
					      const struct tsr_stream_io *io, void *io_data);

/* Starts reading; call after the listener is set. */
bool tsr_stream_link_start(struct tsr_guest_link *link);

/* The io_data of a link created over io; NULL for any other link. */
void *tsr_stream_link_io_data(struct tsr_guest_link *link, const struct tsr_stream_io *io);

/* Hands the link to listener.closed (which may destroy it), unless it was
 * closed already. Must not be called from inside the link's callbacks. */
void tsr_stream_link_close(struct tsr_guest_link *link, const char *reason, bool violation);

#endif
