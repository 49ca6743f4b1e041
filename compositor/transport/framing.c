#include <stdlib.h>
#include <string.h>

#include "transport/framing.h"

void tsr_frame_reader_reset(struct tsr_frame_reader *reader)
{
	reader->received = 0;
	reader->expected = TSR_HEADER_SIZE;
}

bool tsr_frame_reader_init(struct tsr_frame_reader *reader)
{
	tsr_frame_reader_reset(reader);
	reader->buffer = malloc(TSR_MAX_MESSAGE_SIZE);
	reader->decoded = malloc(sizeof(*reader->decoded));
	return reader->buffer && reader->decoded;
}

void tsr_frame_reader_fini(struct tsr_frame_reader *reader)
{
	free(reader->buffer);
	free(reader->decoded);
	reader->buffer = NULL;
	reader->decoded = NULL;
}

enum tsr_frame_result tsr_frame_reader_push(struct tsr_frame_reader *reader, size_t count,
					    const struct tsr_msg **msg, char *err, size_t err_len)
{
	reader->received += count;
	if (reader->received < reader->expected)
		return TSR_FRAME_INCOMPLETE;
	if (reader->expected == TSR_HEADER_SIZE) {
		size_t total;
		if (!tsr_header_check(reader->buffer, TSR_FROM_GUEST, &total, err, err_len))
			return TSR_FRAME_INVALID;
		reader->expected = total;
		if (total > TSR_HEADER_SIZE)
			return TSR_FRAME_INCOMPLETE;
	}
	size_t length = reader->received;
	tsr_frame_reader_reset(reader);
	if (!tsr_msg_decode(reader->buffer, length, TSR_FROM_GUEST, reader->decoded, err, err_len))
		return TSR_FRAME_INVALID;
	*msg = reader->decoded;
	return TSR_FRAME_COMPLETE;
}

bool tsr_send_queue_init(struct tsr_send_queue *queue)
{
	queue->queued = 0;
	queue->refused = false;
	queue->bytes = malloc(TSR_SEND_QUEUE_BYTES);
	return queue->bytes != NULL;
}

void tsr_send_queue_fini(struct tsr_send_queue *queue)
{
	free(queue->bytes);
	queue->bytes = NULL;
}

bool tsr_send_queue_push(struct tsr_send_queue *queue, const struct tsr_msg *msg)
{
	size_t length =
	    tsr_msg_encode(msg, queue->bytes + queue->queued, TSR_SEND_QUEUE_BYTES - queue->queued);
	queue->queued += length;
	if (length == 0)
		queue->refused = true;
	return length != 0;
}

void tsr_send_queue_consume(struct tsr_send_queue *queue, size_t count)
{
	memmove(queue->bytes, queue->bytes + count, queue->queued - count);
	queue->queued -= count;
}

bool tsr_send_queue_room_regained(struct tsr_send_queue *queue)
{
	if (!queue->refused || queue->queued > TSR_SEND_QUEUE_BYTES / 2)
		return false;
	queue->refused = false;
	return true;
}
