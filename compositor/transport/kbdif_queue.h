/* What a kbdif device has to send while its guest's ring is full: a
 * bounded backlog in dom0 that never blocks and never loses a release.
 *
 * QEMU's xenfb drops a key event when the ring is full, which can leave a
 * key stuck down in the guest. Here every key the guest has been given as
 * pressed (delivered or queued) reserves one backlog slot for its release,
 * so releases always fit; what cannot fit is dropped and counted: a press
 * (together with its later release, which then has nothing to release),
 * a repeat, a wheel step. Pointer positions coalesce: only the latest
 * matters, and one that does not fit waits outside the backlog for room.
 *
 * Pure: no Xen, no clock; flushes into a page through kbdif_ring. */
#ifndef TSR_TRANSPORT_KBDIF_QUEUE_H
#define TSR_TRANSPORT_KBDIF_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/kbdif_ring.h"

#define TSR_KBDIF_BACKLOG 128u
#define TSR_KBDIF_MAX_CODE 0x2ffu /* KEY_MAX */

struct tsr_kbdif_queue {
	struct tsr_kbdif_event events[TSR_KBDIF_BACKLOG];
	size_t head, count;
	/* Keys the guest was given as pressed and not yet as released. */
	uint8_t held[(TSR_KBDIF_MAX_CODE + 8) / 8];
	size_t held_count;
	bool deferred_position;
	int32_t position_x, position_y; /* the latest position */
	uint64_t dropped;		/* events that never reached the guest */
};

void tsr_kbdif_queue_init(struct tsr_kbdif_queue *queue);

/* A key or button (KEY_* / BTN_* below TSR_KBDIF_MAX_CODE; others are
 * dropped). A press of a key already down is a repeat (xen-kbdfront
 * reports it as value 2). false: dropped (counted). */
bool tsr_kbdif_queue_key(struct tsr_kbdif_queue *queue, uint32_t code, bool pressed);
void tsr_kbdif_queue_position(struct tsr_kbdif_queue *queue, int32_t x, int32_t y);
/* Wheel steps, evdev REL_WHEEL sense (positive: up). */
bool tsr_kbdif_queue_wheel(struct tsr_kbdif_queue *queue, int32_t steps);

bool tsr_kbdif_queue_key_held(const struct tsr_kbdif_queue *queue, uint32_t code);
size_t tsr_kbdif_queue_pending(const struct tsr_kbdif_queue *queue);

/* Moves what fits into the page's ring. Returns the number of events
 * written, or -1 if the page's consumer index is impossible (a violation:
 * the caller drops the device). */
int tsr_kbdif_queue_flush(struct tsr_kbdif_queue *queue, uint8_t *page, uint32_t *prod);

#endif
