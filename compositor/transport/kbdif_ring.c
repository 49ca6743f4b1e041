#include <string.h>

#include "transport/kbdif_ring.h"

/* Offsets of the index header (struct xenkbd_page). */
#define IN_CONS_OFFSET 0u
#define IN_PROD_OFFSET 4u

static void put_u32(uint8_t *out, uint32_t value)
{
	out[0] = (uint8_t)value;
	out[1] = (uint8_t)(value >> 8);
	out[2] = (uint8_t)(value >> 16);
	out[3] = (uint8_t)(value >> 24);
}

void tsr_kbdif_encode_event(const struct tsr_kbdif_event *event,
			    uint8_t out[TSR_KBDIF_IN_EVENT_SIZE])
{
	memset(out, 0, TSR_KBDIF_IN_EVENT_SIZE);
	out[0] = event->type;
	if (event->type == TSR_KBDIF_TYPE_KEY) {
		/* struct xenkbd_key: pressed at 1, keycode at 4. */
		out[1] = event->pressed ? 1 : 0;
		put_u32(out + 4, event->code);
	} else {
		/* xenkbd_position / xenkbd_motion: three int32 from 4. */
		put_u32(out + 4, (uint32_t)event->x);
		put_u32(out + 8, (uint32_t)event->y);
		put_u32(out + 12, (uint32_t)event->z);
	}
}

bool tsr_kbdif_ring_free(uint32_t prod, uint32_t untrusted_cons, uint32_t *out_free)
{
	/* Modular distance: a consumer ahead of prod wraps to a huge value. */
	uint32_t used = prod - untrusted_cons;
	if (used > TSR_KBDIF_IN_RING_LEN)
		return false;
	*out_free = TSR_KBDIF_IN_RING_LEN - used;
	return true;
}

int tsr_kbdif_ring_write(uint8_t *page, uint32_t *prod, const struct tsr_kbdif_event *events,
			 size_t count)
{
	/* One read of the guest's index (the compiler may not refetch it). */
	uint32_t untrusted_cons =
	    __atomic_load_n((uint32_t *)(void *)(page + IN_CONS_OFFSET), __ATOMIC_ACQUIRE);
	uint32_t space;
	if (!tsr_kbdif_ring_free(*prod, untrusted_cons, &space))
		return -1;
	size_t n = count < space ? count : space;
	uint32_t next = *prod;
	for (size_t i = 0; i < n; i++, next++) {
		uint8_t bytes[TSR_KBDIF_IN_EVENT_SIZE];
		tsr_kbdif_encode_event(&events[i], bytes);
		size_t slot = next % TSR_KBDIF_IN_RING_LEN;
		memcpy(page + TSR_KBDIF_IN_RING_OFFSET + slot * TSR_KBDIF_IN_EVENT_SIZE, bytes,
		       sizeof(bytes));
	}
	if (n) {
		/* The events are visible before the index that publishes them. */
		__atomic_store_n((uint32_t *)(void *)(page + IN_PROD_OFFSET), next,
				 __ATOMIC_RELEASE);
		*prod = next;
	}
	return (int)n;
}
