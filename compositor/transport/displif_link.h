/* The displif backend's link to the core: one per vdispl device (one
 * frontend card with up to four connectors). It serves the connectors'
 * request rings and event pages and turns what the frontend does into
 * Tessera protocol messages for the core, so the core's checks, quotas,
 * damage, pacing and focus rules apply unchanged:
 *
 *   (connect)            HELLO
 *   SET_CONFIG / PG_FLIP SURFACE_CREATE (surface id = connector + 1) when
 *                        the shown geometry changes, BUFFER_ATTACH_GRANTS
 *                        the first time a framebuffer is shown, DAMAGE,
 *                        COMMIT
 *   FB_DETACH, DBUF_DESTROY, SET_CONFIG reset
 *                        BUFFER_DESTROY / SURFACE_DESTROY
 *   FRAME_DONE (core)    the pending EVT_PG_FLIPs of that connector
 *
 * Input the core sends is dropped here (the kbdif backend delivers it). */
#ifndef TSR_TRANSPORT_DISPLIF_LINK_H
#define TSR_TRANSPORT_DISPLIF_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_link.h"
#include "transport/displif_wire.h"

struct tsr_event_loop;

/* What the frontend published for one connector (guest-written nodes,
 * parsed as numbers by the transport) and its resolution (dom0's). */
struct tsr_displif_connector_setup {
	uint32_t width, height;
	uint32_t req_ring_ref, req_event_channel;
	uint32_t evt_ring_ref, evt_event_channel;
};

struct tsr_displif_link_owner {
	/* The core destroyed the link; violation: it was dropped for one. */
	void (*link_destroyed)(void *data, bool violation);
	void *data;
};

/* Maps the rings and binds the event channels. NULL with err set when the
 * frontend's refs or ports do not work (a violation of the frontend). */
struct tsr_guest_link *tsr_displif_link_create(struct tsr_event_loop *loop, const char *domain_name,
					       uint32_t domid,
					       const struct tsr_displif_connector_setup *connectors,
					       uint32_t connector_count,
					       const struct tsr_displif_link_owner *owner,
					       char *err, size_t err_len);

/* Starts serving (after tsr_domain_attach_link set the listener): sends
 * HELLO and reads what the frontend queued already. false: the core refused
 * it; the link is gone then. */
bool tsr_displif_link_start(struct tsr_guest_link *link);

/* The device goes away (frontend disconnect, toolstack removal, domain
 * death): hands the link to listener.closed, which destroys it. */
void tsr_displif_link_close(struct tsr_guest_link *link, const char *reason, bool violation);

/* The transport is destroyed first: never call the owner again. */
void tsr_displif_link_forget_owner(struct tsr_guest_link *link);

#endif
