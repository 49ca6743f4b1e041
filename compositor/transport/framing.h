/* Message framing shared by the stream transports (local socket, Xen
 * vchan): reassembly of guest messages and the bounded send queue. Never
 * trusts a length beyond tsr_header_check: the bytes asked for are always
 * at most what the current message may still need. */
#ifndef TSR_TRANSPORT_FRAMING_H
#define TSR_TRANSPORT_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/protocol.h"

#define TSR_SEND_QUEUE_BYTES (256u * 1024u)

struct tsr_frame_reader {
	uint8_t *buffer; /* TSR_MAX_MESSAGE_SIZE bytes */
	size_t received;
	size_t expected; /* TSR_HEADER_SIZE until the header is checked */
	struct tsr_msg *decoded;
};

enum tsr_frame_result {
	TSR_FRAME_INCOMPLETE, /* read more into the tail */
	TSR_FRAME_COMPLETE,   /* *msg is the decoded message */
	TSR_FRAME_INVALID,    /* err says what the guest got wrong */
};

bool tsr_frame_reader_init(struct tsr_frame_reader *reader);
void tsr_frame_reader_fini(struct tsr_frame_reader *reader);

/* Where the next bytes go, and how many the current message still needs. */
static inline uint8_t *tsr_frame_reader_tail(struct tsr_frame_reader *reader)
{
	return reader->buffer + reader->received;
}

static inline size_t tsr_frame_reader_missing(const struct tsr_frame_reader *reader)
{
	return reader->expected - reader->received;
}

static inline bool tsr_frame_reader_mid_message(const struct tsr_frame_reader *reader)
{
	return reader->received != 0;
}

/* Forgets any partial message: the next bytes start a header (a new
 * connection on the same reader). */
void tsr_frame_reader_reset(struct tsr_frame_reader *reader);

/* Accounts for count bytes just written at the tail (count <= missing).
 * On COMPLETE, *msg stays valid until the next call and the reader waits
 * for the next header. */
enum tsr_frame_result tsr_frame_reader_push(struct tsr_frame_reader *reader, size_t count,
					    const struct tsr_msg **msg, char *err, size_t err_len);

struct tsr_send_queue {
	uint8_t *bytes; /* TSR_SEND_QUEUE_BYTES */
	size_t queued;
	bool refused; /* a push failed since the last tsr_send_queue_room_regained */
};

bool tsr_send_queue_init(struct tsr_send_queue *queue);
void tsr_send_queue_fini(struct tsr_send_queue *queue);
/* Encodes msg at the end of the queue; false when it does not fit (the
 * guest is not reading) or cannot be encoded. */
bool tsr_send_queue_push(struct tsr_send_queue *queue, const struct tsr_msg *msg);
/* Drops count bytes that were written out from the front. */
void tsr_send_queue_consume(struct tsr_send_queue *queue, size_t count);
/* True once after a refused push, as soon as at least half the queue is
 * free again: the link then tells its listener (send_ready), which sends
 * what it held back. */
bool tsr_send_queue_room_regained(struct tsr_send_queue *queue);

#endif
