/* Memory ordering: the frontend runs on another CPU. Acquire loads of its
 * indices order the slot reads after them; release stores of ours order
 * the slot writes before them; a full fence separates publishing an index
 * from reading the frontend's "notify me" index (ring.h's xen_mb()). */
#include <string.h>

#include "transport/displif_ring.h"

static uint32_t load_index(const uint8_t *page, size_t offset)
{
	return __atomic_load_n((const uint32_t *)(const void *)(page + offset), __ATOMIC_ACQUIRE);
}

static void store_index(uint8_t *page, size_t offset, uint32_t value)
{
	__atomic_store_n((uint32_t *)(void *)(page + offset), value, __ATOMIC_RELEASE);
}

void tsr_displif_req_ring_init(struct tsr_displif_req_ring *ring, uint8_t *page)
{
	ring->page = page;
	/* A new ring has rsp_prod == req_prod == 0; after a reconnect Linux
	 * sets up a new page, so the shared value is ours to continue. */
	ring->rsp_prod_pvt = load_index(page, TSR_DISPLIF_SRING_RSP_PROD);
	ring->req_cons = ring->rsp_prod_pvt;
}

enum tsr_displif_ring_result tsr_displif_req_ring_take(struct tsr_displif_req_ring *ring,
						       uint8_t out[TSR_DISPLIF_PACKET_SIZE])
{
	uint32_t untrusted_prod = load_index(ring->page, TSR_DISPLIF_SRING_REQ_PROD);
	/* RING_REQUEST_PROD_OVERFLOW: more requests than slots are unanswered. */
	if (untrusted_prod - ring->rsp_prod_pvt > TSR_DISPLIF_RING_SLOTS)
		return TSR_DISPLIF_RING_OVERFLOW;
	/* In range: everything from req_cons up to it is in the ring. */
	uint32_t prod = untrusted_prod;
	if (ring->req_cons == prod)
		return TSR_DISPLIF_RING_EMPTY;
	/* RING_REQUEST_CONS_OVERFLOW: the slot we would read still holds a
	 * request we have not answered. Cannot happen with the check above
	 * unless our own bookkeeping is wrong: kept as a guard. */
	if (ring->req_cons - ring->rsp_prod_pvt >= TSR_DISPLIF_RING_SLOTS)
		return TSR_DISPLIF_RING_OVERFLOW;
	size_t slot = ring->req_cons & (TSR_DISPLIF_RING_SLOTS - 1u);
	memcpy(out, ring->page + TSR_DISPLIF_SRING_SLOTS_OFFSET + slot * TSR_DISPLIF_PACKET_SIZE,
	       TSR_DISPLIF_PACKET_SIZE);
	ring->req_cons++;
	return TSR_DISPLIF_RING_TAKEN;
}

bool tsr_displif_req_ring_respond(struct tsr_displif_req_ring *ring, uint16_t id, uint8_t operation,
				  int32_t status, bool *notify)
{
	*notify = false;
	if (ring->rsp_prod_pvt == ring->req_cons)
		return false;
	uint8_t response[TSR_DISPLIF_PACKET_SIZE] = {0};
	memcpy(response + TSR_DISPLIF_RSP_ID, &id, sizeof(id));
	response[TSR_DISPLIF_RSP_OPERATION] = operation;
	memcpy(response + TSR_DISPLIF_RSP_STATUS, &status, sizeof(status));
	size_t slot = ring->rsp_prod_pvt & (TSR_DISPLIF_RING_SLOTS - 1u);
	memcpy(ring->page + TSR_DISPLIF_SRING_SLOTS_OFFSET + slot * TSR_DISPLIF_PACKET_SIZE,
	       response, TSR_DISPLIF_PACKET_SIZE);
	uint32_t old = ring->rsp_prod_pvt;
	uint32_t new = old + 1u;
	ring->rsp_prod_pvt = new;
	store_index(ring->page, TSR_DISPLIF_SRING_RSP_PROD, new);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: any value is harmless here,
	 * it only decides whether we kick the event channel. */
	uint32_t untrusted_event = load_index(ring->page, TSR_DISPLIF_SRING_RSP_EVENT);
	*notify = (uint32_t)(new - untrusted_event) < (uint32_t)(new - old);
	return true;
}

bool tsr_displif_req_ring_final_check(struct tsr_displif_req_ring *ring)
{
	store_index(ring->page, TSR_DISPLIF_SRING_REQ_EVENT, ring->req_cons + 1u);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load_index(ring->page, TSR_DISPLIF_SRING_REQ_PROD) != ring->req_cons;
}

void tsr_displif_evt_ring_init(struct tsr_displif_evt_ring *ring, uint8_t *page)
{
	ring->page = page;
	ring->in_prod = load_index(page, TSR_DISPLIF_EVT_IN_PROD);
	ring->next_id = 0;
}

enum tsr_displif_ring_result tsr_displif_evt_ring_push(struct tsr_displif_evt_ring *ring,
						       uint64_t fb_cookie)
{
	uint32_t untrusted_cons = load_index(ring->page, TSR_DISPLIF_EVT_IN_CONS);
	uint32_t unread = ring->in_prod - untrusted_cons;
	if (unread > TSR_DISPLIF_EVT_SLOTS)
		return TSR_DISPLIF_RING_OVERFLOW;
	if (unread == TSR_DISPLIF_EVT_SLOTS)
		return TSR_DISPLIF_RING_FULL;
	uint8_t event[TSR_DISPLIF_PACKET_SIZE] = {0};
	uint16_t id = ring->next_id;
	memcpy(event + TSR_DISPLIF_EVT_ID, &id, sizeof(id));
	event[TSR_DISPLIF_EVT_TYPE] = TSR_DISPLIF_EVT_PG_FLIP;
	memcpy(event + TSR_DISPLIF_EVT_FB_COOKIE, &fb_cookie, sizeof(fb_cookie));
	/* The same slot arithmetic as XENDISPL_IN_RING_REF (idx % 63). */
	size_t slot = ring->in_prod % TSR_DISPLIF_EVT_SLOTS;
	memcpy(ring->page + TSR_DISPLIF_EVT_SLOTS_OFFSET + slot * TSR_DISPLIF_PACKET_SIZE, event,
	       TSR_DISPLIF_PACKET_SIZE);
	ring->in_prod++;
	ring->next_id++;
	store_index(ring->page, TSR_DISPLIF_EVT_IN_PROD, ring->in_prod);
	return TSR_DISPLIF_RING_TAKEN;
}
