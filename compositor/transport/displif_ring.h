/* The two shared pages of one displif connector, as the backend sees them:
 * the request ring (the frontend produces requests, we produce responses)
 * and the event page (we produce EVT_PG_FLIP, the frontend consumes). Pure
 * memory operations on pages the caller mapped, so tests drive them with
 * plain buffers standing in for a hostile frontend.
 *
 * Every index the frontend controls (req_prod, in_cons) is read exactly
 * once per use and checked before anything depends on it (XSA-155); each
 * request is copied out of its slot before it is decoded. */
#ifndef TSR_TRANSPORT_DISPLIF_RING_H
#define TSR_TRANSPORT_DISPLIF_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/displif_wire.h"

struct tsr_displif_req_ring {
	uint8_t *page;	       /* TSR_DISPLIF_PAGE_SIZE bytes, shared */
	uint32_t req_cons;     /* next request to take (private) */
	uint32_t rsp_prod_pvt; /* responses written (private) */
};

struct tsr_displif_evt_ring {
	uint8_t *page;	  /* TSR_DISPLIF_PAGE_SIZE bytes, shared */
	uint32_t in_prod; /* private copy of what we published */
	uint16_t next_id; /* event ids count 0, 1, 2, ... and never skip */
};

enum tsr_displif_ring_result {
	TSR_DISPLIF_RING_EMPTY,	   /* nothing (more) to do */
	TSR_DISPLIF_RING_TAKEN,	   /* one request copied out */
	TSR_DISPLIF_RING_FULL,	   /* event page full: try again later */
	TSR_DISPLIF_RING_OVERFLOW, /* the frontend's index is impossible */
};

/* Starts serving a freshly mapped request ring. Linux initialises the
 * indices before publishing the ring; ours start from the shared rsp_prod
 * it left (0 for a new ring) and from its req_event convention. */
void tsr_displif_req_ring_init(struct tsr_displif_req_ring *ring, uint8_t *page);

/* Takes the next request: reads req_prod once, checks it is at most one
 * ring ahead of our responses (RING_REQUEST_PROD_OVERFLOW) and that the
 * slot was not answered already (RING_REQUEST_CONS_OVERFLOW), then copies
 * the 64 bytes out. */
enum tsr_displif_ring_result tsr_displif_req_ring_take(struct tsr_displif_req_ring *ring,
						       uint8_t out[TSR_DISPLIF_PACKET_SIZE]);

/* Writes the response to the oldest unanswered request (there is one per
 * request taken) and publishes it. *notify says whether the frontend asked
 * to be told (rsp_event). false if no request is waiting for an answer. */
bool tsr_displif_req_ring_respond(struct tsr_displif_req_ring *ring, uint16_t id, uint8_t operation,
				  int32_t status, bool *notify);

/* Before going idle: asks the frontend to notify us for its next request
 * and reports whether one slipped in meanwhile (RING_FINAL_CHECK). */
bool tsr_displif_req_ring_final_check(struct tsr_displif_req_ring *ring);

/* Starts producing events on a freshly mapped event page: our producer
 * index continues from in_prod (0 for a new page), ids from 0. */
void tsr_displif_evt_ring_init(struct tsr_displif_evt_ring *ring, uint8_t *page);

/* Publishes one EVT_PG_FLIP. Reads in_cons once: FULL when all 63 slots
 * hold unread events, OVERFLOW when in_cons is ahead of what we produced or
 * more than a ring behind it. */
enum tsr_displif_ring_result tsr_displif_evt_ring_push(struct tsr_displif_evt_ring *ring,
						       uint64_t fb_cookie);

#endif
