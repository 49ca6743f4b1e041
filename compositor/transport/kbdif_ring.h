/* The kbdif shared page (xen/io/kbdif.h), backend side, as pure functions
 * over the mapped bytes, so tests and the fuzzer run them on plain memory.
 *
 * Layout: in_cons, in_prod, out_cons, out_prod (u32 each) at offset 0;
 * the in-ring (backend -> frontend) at offset 1024: 51 events of 40 bytes,
 * indexed modulo 51 (not a power of two). The whole page is writable by
 * the guest: in_prod is never read back (our producer index is private),
 * and in_cons, which the frontend advances, is read once per write and
 * checked: a value more than 51 behind our producer, or ahead of it, is a
 * violation. The out-ring (LED state from the frontend) is never read. */
#ifndef TSR_TRANSPORT_KBDIF_RING_H
#define TSR_TRANSPORT_KBDIF_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSR_KBDIF_PAGE_SIZE 4096u
#define TSR_KBDIF_IN_RING_OFFSET 1024u
#define TSR_KBDIF_IN_EVENT_SIZE 40u
#define TSR_KBDIF_IN_RING_LEN (2048u / TSR_KBDIF_IN_EVENT_SIZE) /* 51 */

/* Event types (XENKBD_TYPE_*). */
#define TSR_KBDIF_TYPE_MOTION 1u
#define TSR_KBDIF_TYPE_KEY 3u
#define TSR_KBDIF_TYPE_POS 4u

/* One in-event: KEY uses code and pressed; POS uses x, y (absolute, in
 * the range announced in width/height) and z (wheel: xen-kbdfront reports
 * REL_WHEEL = -z). */
struct tsr_kbdif_event {
	uint8_t type;
	bool pressed;
	uint32_t code;
	int32_t x, y, z;
};

/* Encodes event into its 40 bytes (little endian, as the guest reads). */
void tsr_kbdif_encode_event(const struct tsr_kbdif_event *event,
			    uint8_t out[TSR_KBDIF_IN_EVENT_SIZE]);

/* Free slots given our producer and the consumer read from the page; false
 * if untrusted_cons is impossible (ahead of prod or more than a ring
 * behind). */
bool tsr_kbdif_ring_free(uint32_t prod, uint32_t untrusted_cons, uint32_t *out_free);

/* Writes up to count events to the page's in-ring at *prod and publishes
 * the new in_prod. Returns how many were written (0 when full), or -1 if
 * the page's in_cons is impossible (nothing written). */
int tsr_kbdif_ring_write(uint8_t *page, uint32_t *prod, const struct tsr_kbdif_event *events,
			 size_t count);

#endif
