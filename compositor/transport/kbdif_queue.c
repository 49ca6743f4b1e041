#include <string.h>

#include "transport/kbdif_queue.h"

void tsr_kbdif_queue_init(struct tsr_kbdif_queue *queue)
{
	memset(queue, 0, sizeof(*queue));
}

bool tsr_kbdif_queue_key_held(const struct tsr_kbdif_queue *queue, uint32_t code)
{
	return code <= TSR_KBDIF_MAX_CODE && (queue->held[code / 8] & (1u << (code % 8)));
}

static void set_held(struct tsr_kbdif_queue *queue, uint32_t code, bool held)
{
	uint8_t bit = (uint8_t)(1u << (code % 8));
	if (held) {
		queue->held[code / 8] |= bit;
		queue->held_count++;
	} else {
		queue->held[code / 8] &= (uint8_t)~bit;
		queue->held_count--;
	}
}

size_t tsr_kbdif_queue_pending(const struct tsr_kbdif_queue *queue)
{
	return queue->count;
}

/* Room for extra events beyond the slots reserved for releases. */
static bool has_room(const struct tsr_kbdif_queue *queue, size_t extra)
{
	return queue->count + queue->held_count + extra <= TSR_KBDIF_BACKLOG;
}

static struct tsr_kbdif_event *tail(struct tsr_kbdif_queue *queue)
{
	if (!queue->count)
		return NULL;
	return &queue->events[(queue->head + queue->count - 1) % TSR_KBDIF_BACKLOG];
}

static void append(struct tsr_kbdif_queue *queue, const struct tsr_kbdif_event *event)
{
	queue->events[(queue->head + queue->count) % TSR_KBDIF_BACKLOG] = *event;
	queue->count++;
}

bool tsr_kbdif_queue_key(struct tsr_kbdif_queue *queue, uint32_t code, bool pressed)
{
	struct tsr_kbdif_event event = {
	    .type = TSR_KBDIF_TYPE_KEY, .pressed = pressed, .code = code};
	if (code > TSR_KBDIF_MAX_CODE) {
		queue->dropped++;
		return false;
	}
	bool held = tsr_kbdif_queue_key_held(queue, code);
	if (!pressed) {
		/* Its press never reached the guest: nothing to release. */
		if (!held)
			return false;
		/* Always fits: the press reserved this slot. */
		set_held(queue, code, false);
		append(queue, &event);
		return true;
	}
	/* A new press needs its own slot and one reserved for its release;
	 * a repeat of a held key only its own. */
	if (!has_room(queue, held ? 1 : 2)) {
		queue->dropped++;
		return false;
	}
	if (!held)
		set_held(queue, code, true);
	append(queue, &event);
	return true;
}

void tsr_kbdif_queue_position(struct tsr_kbdif_queue *queue, int32_t x, int32_t y)
{
	queue->position_x = x;
	queue->position_y = y;
	struct tsr_kbdif_event *last = tail(queue);
	if (last && last->type == TSR_KBDIF_TYPE_POS && last->z == 0) {
		last->x = x;
		last->y = y;
		return;
	}
	if (!has_room(queue, 1)) {
		/* Sent when room frees up (only the latest one matters). */
		queue->deferred_position = true;
		return;
	}
	queue->deferred_position = false;
	append(queue, &(struct tsr_kbdif_event){.type = TSR_KBDIF_TYPE_POS, .x = x, .y = y});
}

bool tsr_kbdif_queue_wheel(struct tsr_kbdif_queue *queue, int32_t steps)
{
	if (!steps)
		return true;
	if (!has_room(queue, 1)) {
		queue->dropped++;
		return false;
	}
	/* A wheel step rides on a position event at the current position. */
	append(queue, &(struct tsr_kbdif_event){.type = TSR_KBDIF_TYPE_POS,
						.x = queue->position_x,
						.y = queue->position_y,
						.z = steps == INT32_MIN ? INT32_MAX : -steps});
	return true;
}

int tsr_kbdif_queue_flush(struct tsr_kbdif_queue *queue, uint8_t *page, uint32_t *prod)
{
	int total = 0;
	/* At most two rounds: the backlog wraps once in the array. */
	while (queue->count) {
		size_t contiguous = TSR_KBDIF_BACKLOG - queue->head;
		if (contiguous > queue->count)
			contiguous = queue->count;
		int written =
		    tsr_kbdif_ring_write(page, prod, &queue->events[queue->head], contiguous);
		if (written < 0)
			return -1;
		queue->head = (queue->head + (size_t)written) % TSR_KBDIF_BACKLOG;
		queue->count -= (size_t)written;
		total += written;
		if ((size_t)written < contiguous)
			return total;
	}
	if (queue->deferred_position) {
		queue->deferred_position = false;
		tsr_kbdif_queue_position(queue, queue->position_x, queue->position_y);
		int written =
		    tsr_kbdif_ring_write(page, prod, &queue->events[queue->head], queue->count);
		if (written < 0)
			return -1;
		queue->head = (queue->head + (size_t)written) % TSR_KBDIF_BACKLOG;
		queue->count -= (size_t)written;
		total += written;
	}
	return total;
}
