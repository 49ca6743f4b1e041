/* The displif wire format (xen/io/displif.h, protocol version 1 as Linux's
 * xen-drm-front speaks it) as byte offsets, so that the pure parts of the
 * PV display backend build and are tested on machines without libxen-dev.
 * tests/displif checks every offset against the real header when it is
 * installed. Everything is little-endian (x86 and Arm guests). */
#ifndef TSR_TRANSPORT_DISPLIF_WIRE_H
#define TSR_TRANSPORT_DISPLIF_WIRE_H

#define TSR_DISPLIF_PAGE_SIZE 4096u

/* Requests, responses and events: 64 bytes each. */
#define TSR_DISPLIF_PACKET_SIZE 64u

/* Request ring page (struct xen_displif_sring): four indices, padding to 64
 * bytes, then the slots. (4096 - 64) / 64 = 63 slots, rounded down to a
 * power of two by the ring macros: 32. */
#define TSR_DISPLIF_SRING_REQ_PROD 0u
#define TSR_DISPLIF_SRING_REQ_EVENT 4u
#define TSR_DISPLIF_SRING_RSP_PROD 8u
#define TSR_DISPLIF_SRING_RSP_EVENT 12u
#define TSR_DISPLIF_SRING_SLOTS_OFFSET 64u
#define TSR_DISPLIF_RING_SLOTS 32u

/* Event page (struct xendispl_event_page): in_cons, in_prod, padding to 64,
 * then 63 event slots indexed modulo 63 (not a power of two). */
#define TSR_DISPLIF_EVT_IN_CONS 0u
#define TSR_DISPLIF_EVT_IN_PROD 4u
#define TSR_DISPLIF_EVT_SLOTS_OFFSET 64u
#define TSR_DISPLIF_EVT_SLOTS 63u

/* Request header: id (u16) at 0, operation (u8) at 2; the op union at 8. */
#define TSR_DISPLIF_REQ_ID 0u
#define TSR_DISPLIF_REQ_OPERATION 2u

#define TSR_DISPLIF_OP_DBUF_CREATE 0x10u
#define TSR_DISPLIF_OP_DBUF_DESTROY 0x11u
#define TSR_DISPLIF_OP_FB_ATTACH 0x12u
#define TSR_DISPLIF_OP_FB_DETACH 0x13u
#define TSR_DISPLIF_OP_SET_CONFIG 0x14u
#define TSR_DISPLIF_OP_PG_FLIP 0x15u
#define TSR_DISPLIF_OP_GET_EDID 0x16u /* version 2 only */

/* DBUF_CREATE */
#define TSR_DISPLIF_DBUF_COOKIE 8u
#define TSR_DISPLIF_DBUF_WIDTH 16u
#define TSR_DISPLIF_DBUF_HEIGHT 20u
#define TSR_DISPLIF_DBUF_BPP 24u
#define TSR_DISPLIF_DBUF_BUFFER_SZ 28u
#define TSR_DISPLIF_DBUF_FLAGS 32u
#define TSR_DISPLIF_DBUF_GREF_DIRECTORY 36u
/* DBUF_DESTROY, FB_DETACH, PG_FLIP: one cookie at 8. */
#define TSR_DISPLIF_COOKIE 8u
/* FB_ATTACH */
#define TSR_DISPLIF_FB_DBUF_COOKIE 8u
#define TSR_DISPLIF_FB_COOKIE 16u
#define TSR_DISPLIF_FB_WIDTH 24u
#define TSR_DISPLIF_FB_HEIGHT 28u
#define TSR_DISPLIF_FB_FORMAT 32u
/* SET_CONFIG */
#define TSR_DISPLIF_CFG_FB_COOKIE 8u
#define TSR_DISPLIF_CFG_X 16u
#define TSR_DISPLIF_CFG_Y 20u
#define TSR_DISPLIF_CFG_WIDTH 24u
#define TSR_DISPLIF_CFG_HEIGHT 28u
#define TSR_DISPLIF_CFG_BPP 32u

/* Response: id (u16) at 0, operation (u8) at 2, status (i32) at 4. */
#define TSR_DISPLIF_RSP_ID 0u
#define TSR_DISPLIF_RSP_OPERATION 2u
#define TSR_DISPLIF_RSP_STATUS 4u

/* Event: id (u16) at 0, type (u8) at 2, fb_cookie at 8. */
#define TSR_DISPLIF_EVT_ID 0u
#define TSR_DISPLIF_EVT_TYPE 2u
#define TSR_DISPLIF_EVT_FB_COOKIE 8u
#define TSR_DISPLIF_EVT_PG_FLIP 0x00u

/* Page directory page: next directory page's ref, then 1023 buffer refs. */
#define TSR_DISPLIF_PGDIR_REFS_PER_PAGE ((TSR_DISPLIF_PAGE_SIZE / 4u) - 1u)

/* Status codes (negative XEN_E*, which equal Linux's errno values). */
#define TSR_DISPLIF_STATUS_OK 0
#define TSR_DISPLIF_STATUS_EINVAL (-22)
#define TSR_DISPLIF_STATUS_ENOMEM (-12)
#define TSR_DISPLIF_STATUS_ENOTSUP (-95)

/* What Linux's xen-drm-front (6.1) supports: at most 4 connectors. */
#define TSR_DISPLIF_MAX_CONNECTORS 4u

#endif
