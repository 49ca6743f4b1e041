/* The PV display backend's pure parts against a fake, sometimes hostile,
 * frontend: request decoding (geometry, cookies, stale fields Linux leaves
 * in reused slots), the request ring and the event page under impossible
 * indices, the page-directory walker against directories that lie, and the
 * XenBus state machine in both directions. */
#include <drm_fourcc.h>
#include <stdlib.h>

#include "displif_fake.h"
#include "tessera/protocol.h"
#include "tessera/buffer.h"
#include "test.h"
#include "transport/displif_pgdir.h"
#include "transport/displif_request.h"
#include "transport/displif_ring.h"
#include "transport/displif_state.h"

#ifdef TSR_HAVE_XEN_HEADERS
#include <xen/io/displif.h>
#include <stddef.h>
_Static_assert(sizeof(struct xendispl_req) == TSR_DISPLIF_PACKET_SIZE, "request size");
_Static_assert(offsetof(struct xen_displif_sring, ring) == TSR_DISPLIF_SRING_SLOTS_OFFSET,
	       "ring slots");
_Static_assert(offsetof(struct xen_displif_sring, rsp_event) == TSR_DISPLIF_SRING_RSP_EVENT,
	       "rsp_event");
_Static_assert(offsetof(struct xendispl_req, op.dbuf_create.gref_directory) ==
		   TSR_DISPLIF_DBUF_GREF_DIRECTORY,
	       "gref_directory");
_Static_assert(offsetof(struct xendispl_req, op.dbuf_create.buffer_sz) ==
		   TSR_DISPLIF_DBUF_BUFFER_SZ,
	       "buffer_sz");
_Static_assert(offsetof(struct xendispl_req, op.fb_attach.pixel_format) == TSR_DISPLIF_FB_FORMAT,
	       "pixel_format");
_Static_assert(offsetof(struct xendispl_req, op.set_config.bpp) == TSR_DISPLIF_CFG_BPP, "bpp");
_Static_assert(offsetof(struct xendispl_resp, status) == TSR_DISPLIF_RSP_STATUS, "status");
_Static_assert(offsetof(struct xendispl_evt, op.pg_flip.fb_cookie) == TSR_DISPLIF_EVT_FB_COOKIE,
	       "event cookie");
_Static_assert(XENDISPL_IN_RING_LEN == TSR_DISPLIF_EVT_SLOTS, "event slots");
_Static_assert(XENDISPL_OP_PG_FLIP == TSR_DISPLIF_OP_PG_FLIP, "op code");
#endif

static void dbuf_packet(uint8_t *packet, uint64_t cookie, uint32_t width, uint32_t height,
			uint32_t bpp, uint32_t size, uint32_t directory)
{
	memset(packet, 0, TSR_DISPLIF_PACKET_SIZE);
	fake_header(packet, 7, TSR_DISPLIF_OP_DBUF_CREATE);
	fake_put64(packet, TSR_DISPLIF_DBUF_COOKIE, cookie);
	fake_put32(packet, TSR_DISPLIF_DBUF_WIDTH, width);
	fake_put32(packet, TSR_DISPLIF_DBUF_HEIGHT, height);
	fake_put32(packet, TSR_DISPLIF_DBUF_BPP, bpp);
	fake_put32(packet, TSR_DISPLIF_DBUF_BUFFER_SZ, size);
	fake_put32(packet, TSR_DISPLIF_DBUF_GREF_DIRECTORY, directory);
}

static void decode_dbuf_create_linux_dumb_buffer(void)
{
	/* What vm-testing.md saw: 800x600 XR24, pitch 3200, 469 refs. */
	uint8_t packet[TSR_DISPLIF_PACKET_SIZE];
	dbuf_packet(packet, 0xffff888004a1b000ull, 800, 600, 32, 800 * 600 * 4, 12);
	/* Stale bytes from an older request in the slot: flags, data_ofs and
	 * reserved fields must not matter. */
	fake_put32(packet, TSR_DISPLIF_DBUF_FLAGS, 0x34325241); /* AR24: bit 0 set */
	fake_put32(packet, 40, 0xdeadbeef);
	packet[3] = 0x55;
	struct tsr_displif_request request;
	char err[160];
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 0, &request, err, sizeof(err)),
		     TSR_DISPLIF_DECODED);
	CHECK_EQ_INT(request.id, 7);
	CHECK_EQ_INT(request.operation, TSR_DISPLIF_OP_DBUF_CREATE);
	CHECK_EQ_INT(request.u.dbuf_create.page_count, 469);
	CHECK_EQ_INT(request.u.dbuf_create.gref_directory, 12);
	CHECK(request.u.dbuf_create.dbuf_cookie == 0xffff888004a1b000ull);
}

static void decode_dbuf_create_hostile(void)
{
	uint8_t packet[TSR_DISPLIF_PACKET_SIZE];
	struct tsr_displif_request request;
	char err[160];
	struct {
		uint64_t cookie;
		uint32_t width, height, bpp, size, directory, connector;
	} bad[] = {
	    {0, 64, 64, 32, 16384, 5, 0},		  /* cookie 0 */
	    {1, 64, 64, 32, 0, 5, 0},			  /* empty */
	    {1, 0, 0, 0, TSR_MAX_BUFFER_BYTES + 1, 5, 0}, /* too big */
	    {1, 0, 0, 0, UINT32_MAX, 5, 0},		  /* page count would wrap */
	    {1, 64, 64, 32, 16383, 5, 0},		  /* geometry needs one byte more */
	    {1, 65536, 65536, 32, 16384, 5, 0},		  /* w*h*bpp overflows 32 bits */
	    {1, UINT32_MAX, UINT32_MAX, 32, 4096, 5, 0},  /* and 64 */
	    {1, 64, 64, 12, 16384, 5, 0},		  /* odd bpp */
	    {1, 64, 0, 32, 16384, 5, 0},		  /* half a geometry */
	    {1, 64, 64, 32, 16384, 0, 0},		  /* directory ref 0 */
	    {1, 64, 64, 32, 16384, 5, 1},		  /* on connector 1's ring */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dbuf_packet(packet, bad[i].cookie, bad[i].width, bad[i].height, bad[i].bpp,
			    bad[i].size, bad[i].directory);
		err[0] = '\0';
		CHECK_EQ_INT(tsr_displif_request_decode(packet, bad[i].connector, &request, err,
							sizeof(err)),
			     TSR_DISPLIF_INVALID);
		CHECK(err[0] != '\0');
		CHECK_EQ_INT(request.id, 7); /* still answerable */
	}
	/* An imported (PRIME) buffer has no geometry. */
	dbuf_packet(packet, 1, 0, 0, 0, 4096 * 3 + 1, 5);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 0, &request, err, sizeof(err)),
		     TSR_DISPLIF_DECODED);
	CHECK_EQ_INT(request.u.dbuf_create.page_count, 4);
}

static void fb_packet(uint8_t *packet, uint64_t dbuf, uint64_t fb, uint32_t width, uint32_t height,
		      uint32_t format)
{
	memset(packet, 0, TSR_DISPLIF_PACKET_SIZE);
	fake_header(packet, 9, TSR_DISPLIF_OP_FB_ATTACH);
	fake_put64(packet, TSR_DISPLIF_FB_DBUF_COOKIE, dbuf);
	fake_put64(packet, TSR_DISPLIF_FB_COOKIE, fb);
	fake_put32(packet, TSR_DISPLIF_FB_WIDTH, width);
	fake_put32(packet, TSR_DISPLIF_FB_HEIGHT, height);
	fake_put32(packet, TSR_DISPLIF_FB_FORMAT, format);
}

static void decode_fb_attach_formats_and_fit(void)
{
	static const struct {
		uint32_t fourcc, bpp;
	} formats[] = {
	    {DRM_FORMAT_XRGB8888, 4}, {DRM_FORMAT_ARGB8888, 4}, {DRM_FORMAT_RGB565, 2},
	    {DRM_FORMAT_RGB888, 3},   {DRM_FORMAT_XRGB4444, 2}, {DRM_FORMAT_ARGB4444, 2},
	    {DRM_FORMAT_XRGB1555, 2}, {DRM_FORMAT_ARGB1555, 2}, {DRM_FORMAT_YUYV, 2},
	};
	uint8_t packet[TSR_DISPLIF_PACKET_SIZE];
	struct tsr_displif_request request;
	char err[160];
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		CHECK_EQ_INT(tsr_buffer_format_bpp(formats[i].fourcc), formats[i].bpp);
		fb_packet(packet, 1, 2, 333, 100, formats[i].fourcc);
		CHECK_EQ_INT(tsr_displif_request_decode(packet, 0, &request, err, sizeof(err)),
			     TSR_DISPLIF_DECODED);
		/* Exactly the bytes a tightly packed 333x100 needs. */
		struct tsr_displif_dbuf_create dbuf = {
		    .buffer_sz = 333 * 100 * formats[i].bpp,
		    .page_count = (333 * 100 * formats[i].bpp + 4095) / 4096};
		uint32_t pitch = 0;
		CHECK(tsr_displif_fb_fits(&request.u.fb_attach, &dbuf, &pitch, err, sizeof(err)));
		CHECK_EQ_INT(pitch, 333 * formats[i].bpp);
		dbuf.buffer_sz--;
		CHECK(!tsr_displif_fb_fits(&request.u.fb_attach, &dbuf, &pitch, err, sizeof(err)));
	}
	fb_packet(packet, 1, 2, 64, 64, DRM_FORMAT_NV12);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 0, &request, err, sizeof(err)),
		     TSR_DISPLIF_UNSUPPORTED);
	fb_packet(packet, 1, 0, 64, 64, DRM_FORMAT_XRGB8888);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 0, &request, err, sizeof(err)),
		     TSR_DISPLIF_INVALID);
	fb_packet(packet, 1, 2, TSR_MAX_DIMENSION + 1, 1, DRM_FORMAT_XRGB8888);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 0, &request, err, sizeof(err)),
		     TSR_DISPLIF_INVALID);
	/* The largest framebuffer against a buffer_sz that claims more pages
	 * than it has: the page count is derived, so it never can. */
	fb_packet(packet, 1, 2, 4095, 2047, DRM_FORMAT_XRGB8888);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 0, &request, err, sizeof(err)),
		     TSR_DISPLIF_DECODED);
	struct tsr_displif_dbuf_create small = {.buffer_sz = 4096, .page_count = 1};
	uint32_t pitch;
	CHECK(!tsr_displif_fb_fits(&request.u.fb_attach, &small, &pitch, err, sizeof(err)));
}

static void decode_set_config_and_flips(void)
{
	uint8_t packet[TSR_DISPLIF_PACKET_SIZE] = {0};
	struct tsr_displif_request request;
	char err[160];
	fake_header(packet, 3, TSR_DISPLIF_OP_SET_CONFIG);
	/* All zeros: reset, allowed on any connector. */
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 2, &request, err, sizeof(err)),
		     TSR_DISPLIF_DECODED);
	CHECK(request.u.set_config.fb_cookie == 0);
	fake_put32(packet, TSR_DISPLIF_CFG_WIDTH, 5);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 2, &request, err, sizeof(err)),
		     TSR_DISPLIF_INVALID);
	fake_put64(packet, TSR_DISPLIF_CFG_FB_COOKIE, 42);
	fake_put32(packet, TSR_DISPLIF_CFG_WIDTH, 1024);
	fake_put32(packet, TSR_DISPLIF_CFG_HEIGHT, 768);
	fake_put32(packet, TSR_DISPLIF_CFG_X, 24);
	fake_put32(packet, TSR_DISPLIF_CFG_BPP, 32);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 1, &request, err, sizeof(err)),
		     TSR_DISPLIF_DECODED);
	struct tsr_displif_fb_attach fb = {
	    .width = 1024, .height = 768, .fourcc = DRM_FORMAT_XRGB8888, .bytes_per_pixel = 4};
	uint32_t width, height;
	CHECK(tsr_displif_config_view(&request.u.set_config, &fb, 800, 600, &width, &height, err,
				      sizeof(err)));
	CHECK_EQ_INT(width, 800);
	CHECK_EQ_INT(height, 600);
	/* A framebuffer smaller than the mode from x = 24: clipped to it. */
	fb.width = 640;
	fb.height = 480;
	CHECK(tsr_displif_config_view(&request.u.set_config, &fb, 800, 600, &width, &height, err,
				      sizeof(err)));
	CHECK_EQ_INT(width, 616);
	CHECK_EQ_INT(height, 480);
	fb.width = 24;
	CHECK(!tsr_displif_config_view(&request.u.set_config, &fb, 800, 600, &width, &height, err,
				       sizeof(err)));
	fb.width = 1024;
	fb.bytes_per_pixel = 2;
	CHECK(!tsr_displif_config_view(&request.u.set_config, &fb, 800, 600, &width, &height, err,
				       sizeof(err)));

	memset(packet, 0, sizeof(packet));
	fake_header(packet, 4, TSR_DISPLIF_OP_PG_FLIP);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 3, &request, err, sizeof(err)),
		     TSR_DISPLIF_INVALID); /* cookie 0 */
	fake_put64(packet, TSR_DISPLIF_COOKIE, 42);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 3, &request, err, sizeof(err)),
		     TSR_DISPLIF_DECODED);
	CHECK(request.u.cookie == 42);
	fake_header(packet, 5, TSR_DISPLIF_OP_DBUF_DESTROY);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 3, &request, err, sizeof(err)),
		     TSR_DISPLIF_INVALID); /* buffer op off connector 0 */
	fake_header(packet, 6, TSR_DISPLIF_OP_GET_EDID);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 0, &request, err, sizeof(err)),
		     TSR_DISPLIF_UNSUPPORTED);
	CHECK_EQ_INT(request.id, 6);
	fake_header(packet, 6, 0xff);
	CHECK_EQ_INT(tsr_displif_request_decode(packet, 0, &request, err, sizeof(err)),
		     TSR_DISPLIF_UNSUPPORTED);
}

static void resolution_parsing(void)
{
	uint32_t w = 0, h = 0;
	CHECK(tsr_displif_parse_resolution("1024x768", &w, &h));
	CHECK_EQ_INT(w, 1024);
	CHECK_EQ_INT(h, 768);
	CHECK(tsr_displif_parse_resolution("4096x4096", &w, &h));
	const char *bad[] = {"",	"x",	   "1024", "1024x",	"x768",	    "01024x768",
			     "4097x10", "10x4097", "-1x5", "1024x768 ", "1024X768", "99999999999x1",
			     "0x0"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!tsr_displif_parse_resolution(bad[i], &w, &h));
	CHECK(!tsr_displif_parse_resolution(NULL, &w, &h));
}

static void ring_requests_and_responses(void)
{
	static uint8_t page[TSR_DISPLIF_PAGE_SIZE];
	memset(page, 0, sizeof(page));
	struct tsr_displif_req_ring ring;
	tsr_displif_req_ring_init(&ring, page);
	uint8_t packet[TSR_DISPLIF_PACKET_SIZE], out[TSR_DISPLIF_PACKET_SIZE];
	CHECK_EQ_INT(tsr_displif_req_ring_take(&ring, out), TSR_DISPLIF_RING_EMPTY);
	bool notify = true;
	CHECK(!tsr_displif_req_ring_respond(&ring, 1, 2, 0, &notify)); /* nothing asked */
	/* Linux's frontend: one request at a time, rsp_event = cons + 1. */
	for (uint16_t id = 0; id < 100; id++) {
		memset(packet, 0, sizeof(packet));
		fake_header(packet, id, TSR_DISPLIF_OP_PG_FLIP);
		fake_push_request(page, packet);
		fake_put32(page, TSR_DISPLIF_SRING_RSP_EVENT, (uint32_t)id + 1u);
		CHECK_EQ_INT(tsr_displif_req_ring_take(&ring, out), TSR_DISPLIF_RING_TAKEN);
		CHECK(memcmp(out, packet, sizeof(packet)) == 0);
		CHECK(
		    tsr_displif_req_ring_respond(&ring, id, TSR_DISPLIF_OP_PG_FLIP, -22, &notify));
		CHECK(notify);
		uint32_t slot = id & (TSR_DISPLIF_RING_SLOTS - 1u);
		const uint8_t *rsp = page + TSR_DISPLIF_SRING_SLOTS_OFFSET + slot * 64u;
		uint16_t echoed;
		memcpy(&echoed, rsp, sizeof(echoed));
		CHECK_EQ_INT(echoed, id);
		CHECK_EQ_INT(rsp[TSR_DISPLIF_RSP_OPERATION], TSR_DISPLIF_OP_PG_FLIP);
		CHECK_EQ_INT((int32_t)fake_get32(rsp, TSR_DISPLIF_RSP_STATUS), -22);
		CHECK_EQ_INT(fake_get32(page, TSR_DISPLIF_SRING_RSP_PROD), (uint32_t)id + 1u);
		CHECK(!tsr_displif_req_ring_final_check(&ring));
		CHECK_EQ_INT(fake_get32(page, TSR_DISPLIF_SRING_REQ_EVENT), (uint32_t)id + 2u);
	}
	/* A frontend that does not want a notification. */
	fake_push_request(page, packet);
	fake_put32(page, TSR_DISPLIF_SRING_RSP_EVENT, 0);
	CHECK_EQ_INT(tsr_displif_req_ring_take(&ring, out), TSR_DISPLIF_RING_TAKEN);
	CHECK(tsr_displif_req_ring_respond(&ring, 1, 1, 0, &notify));
	CHECK(!notify);
}

static void ring_hostile_indices(void)
{
	static uint8_t page[TSR_DISPLIF_PAGE_SIZE];
	memset(page, 0, sizeof(page));
	struct tsr_displif_req_ring ring;
	tsr_displif_req_ring_init(&ring, page);
	uint8_t out[TSR_DISPLIF_PACKET_SIZE];
	/* A full ring of unanswered requests is allowed ... */
	fake_put32(page, TSR_DISPLIF_SRING_REQ_PROD, TSR_DISPLIF_RING_SLOTS);
	for (unsigned i = 0; i < TSR_DISPLIF_RING_SLOTS; i++)
		CHECK_EQ_INT(tsr_displif_req_ring_take(&ring, out), TSR_DISPLIF_RING_TAKEN);
	CHECK_EQ_INT(tsr_displif_req_ring_take(&ring, out), TSR_DISPLIF_RING_EMPTY);
	/* ... one more is an overflow, as is an index far ahead or behind. */
	fake_put32(page, TSR_DISPLIF_SRING_REQ_PROD, TSR_DISPLIF_RING_SLOTS + 1u);
	CHECK_EQ_INT(tsr_displif_req_ring_take(&ring, out), TSR_DISPLIF_RING_OVERFLOW);
	fake_put32(page, TSR_DISPLIF_SRING_REQ_PROD, 0x80000000u);
	CHECK_EQ_INT(tsr_displif_req_ring_take(&ring, out), TSR_DISPLIF_RING_OVERFLOW);
	fake_put32(page, TSR_DISPLIF_SRING_REQ_PROD, UINT32_MAX);
	CHECK_EQ_INT(tsr_displif_req_ring_take(&ring, out), TSR_DISPLIF_RING_OVERFLOW);
	/* Wrap-around of the 32-bit indices is normal. */
	memset(page, 0, sizeof(page));
	fake_put32(page, TSR_DISPLIF_SRING_RSP_PROD, UINT32_MAX - 1u);
	tsr_displif_req_ring_init(&ring, page);
	fake_put32(page, TSR_DISPLIF_SRING_REQ_PROD, 3u); /* 5 past UINT32_MAX - 1 */
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(tsr_displif_req_ring_take(&ring, out), TSR_DISPLIF_RING_TAKEN);
	CHECK_EQ_INT(tsr_displif_req_ring_take(&ring, out), TSR_DISPLIF_RING_EMPTY);
}

static void event_ring_ids_and_hostile_consumer(void)
{
	static uint8_t page[TSR_DISPLIF_PAGE_SIZE];
	memset(page, 0, sizeof(page));
	struct tsr_displif_evt_ring ring;
	tsr_displif_evt_ring_init(&ring, page);
	/* A consumer that keeps up: ids 0, 1, 2, ... in slots modulo 63. */
	for (uint32_t n = 0; n < 200; n++) {
		CHECK_EQ_INT(tsr_displif_evt_ring_push(&ring, 0x1000u + n), TSR_DISPLIF_RING_TAKEN);
		CHECK_EQ_INT(fake_get32(page, TSR_DISPLIF_EVT_IN_PROD), n + 1u);
		const uint8_t *event = page + TSR_DISPLIF_EVT_SLOTS_OFFSET + (n % 63u) * 64u;
		uint16_t id;
		memcpy(&id, event, sizeof(id));
		CHECK_EQ_INT(id, n);
		CHECK_EQ_INT(event[TSR_DISPLIF_EVT_TYPE], TSR_DISPLIF_EVT_PG_FLIP);
		CHECK_EQ_INT(fake_get32(event, TSR_DISPLIF_EVT_FB_COOKIE), 0x1000u + n);
		fake_put32(page, TSR_DISPLIF_EVT_IN_CONS, n + 1u);
	}
	/* One that never consumes: 63 fit, then FULL, never an overwrite. */
	fake_put32(page, TSR_DISPLIF_EVT_IN_CONS, 200);
	for (int n = 0; n < 63; n++)
		CHECK_EQ_INT(tsr_displif_evt_ring_push(&ring, 1), TSR_DISPLIF_RING_TAKEN);
	CHECK_EQ_INT(tsr_displif_evt_ring_push(&ring, 1), TSR_DISPLIF_RING_FULL);
	CHECK_EQ_INT(fake_get32(page, TSR_DISPLIF_EVT_IN_PROD), 263);
	/* in_cons ahead of what we produced, or absurdly behind. */
	fake_put32(page, TSR_DISPLIF_EVT_IN_CONS, 264);
	CHECK_EQ_INT(tsr_displif_evt_ring_push(&ring, 1), TSR_DISPLIF_RING_OVERFLOW);
	fake_put32(page, TSR_DISPLIF_EVT_IN_CONS, 0);
	CHECK_EQ_INT(tsr_displif_evt_ring_push(&ring, 1), TSR_DISPLIF_RING_OVERFLOW);
}

static void pgdir_walks(void)
{
	struct fake_store *store = calloc(1, sizeof(*store));
	uint32_t *refs = calloc(TSR_MAX_GRANT_REFS, sizeof(uint32_t));
	char err[160];
	/* 469 refs in one page, as for 800x600 XR24. */
	fake_directory(store, 1, 469, 1000);
	CHECK(tsr_displif_pgdir_walk(1, 469, fake_fetch, store, refs, err, sizeof(err)));
	CHECK_EQ_INT(refs[0], 1000);
	CHECK_EQ_INT(refs[468], 1468);
	/* 3000 refs over three pages; the last page's next ref is never
	 * followed, whatever it says. */
	fake_directory(store, 10, 3000, 5000);
	/* The directory ends early (next = 0 while refs are missing). */
	CHECK(!tsr_displif_pgdir_walk(10, 3069 + 1, fake_fetch, store, refs, err, sizeof(err)));
	fake_put32(store->pages[12 - 1], 0, 10); /* a loop back to the start */
	store->fetches = 0;
	CHECK(tsr_displif_pgdir_walk(10, 3000, fake_fetch, store, refs, err, sizeof(err)));
	CHECK_EQ_INT(store->fetches, 3);
	CHECK_EQ_INT(refs[1022], 5000 + 1022);
	CHECK_EQ_INT(refs[1023], 5000 + 1023);
	CHECK_EQ_INT(refs[2999], 7999);
	fake_put32(store->pages[11 - 1], 0, 0);
	CHECK(!tsr_displif_pgdir_walk(10, 3000, fake_fetch, store, refs, err, sizeof(err)));
	/* A next ref that was not granted, and a first one. */
	fake_put32(store->pages[11 - 1], 0, 9999);
	CHECK(!tsr_displif_pgdir_walk(10, 3000, fake_fetch, store, refs, err, sizeof(err)));
	CHECK(!tsr_displif_pgdir_walk(0, 10, fake_fetch, store, refs, err, sizeof(err)));
	CHECK(
	    !tsr_displif_pgdir_walk(FAKE_PAGES + 1, 10, fake_fetch, store, refs, err, sizeof(err)));
	/* A directory that loops on itself: bounded by the count. */
	memset(store->pages[20 - 1], 0x11, TSR_DISPLIF_PAGE_SIZE);
	fake_put32(store->pages[20 - 1], 0, 20);
	store->fetches = 0;
	CHECK(tsr_displif_pgdir_walk(20, TSR_MAX_GRANT_REFS, fake_fetch, store, refs, err,
				     sizeof(err)));
	CHECK_EQ_INT(store->fetches, TSR_DISPLIF_PGDIR_MAX_PAGES);
	/* Counts outside 1..TSR_MAX_GRANT_REFS, and a buffer ref of 0. */
	CHECK(!tsr_displif_pgdir_walk(20, 0, fake_fetch, store, refs, err, sizeof(err)));
	CHECK(!tsr_displif_pgdir_walk(20, TSR_MAX_GRANT_REFS + 1, fake_fetch, store, refs, err,
				      sizeof(err)));
	fake_put32(store->pages[20 - 1], 4 + 4 * 7, 0);
	CHECK(!tsr_displif_pgdir_walk(20, 10, fake_fetch, store, refs, err, sizeof(err)));
	free(refs);
	free(store);
}

static void state_machine_connect_and_reconnect(void)
{
	struct tsr_displif_fsm fsm;
	struct tsr_displif_step s = tsr_displif_fsm_start(&fsm);
	CHECK_EQ_INT(s.write, TSR_XENBUS_INIT_WAIT);
	uint64_t now = 1000;
	s = tsr_displif_fsm_frontend(&fsm, "1", now);
	CHECK_EQ_INT(s.action, TSR_DISPLIF_ACT_NONE);
	CHECK_EQ_INT(s.write, TSR_XENBUS_UNKNOWN);
	s = tsr_displif_fsm_frontend(&fsm, "3", now);
	CHECK_EQ_INT(s.action, TSR_DISPLIF_ACT_CONNECT);
	s = tsr_displif_fsm_connected(&fsm, true);
	CHECK_EQ_INT(s.write, TSR_XENBUS_CONNECTED);
	CHECK_EQ_INT(tsr_displif_fsm_frontend(&fsm, "4", now).action, TSR_DISPLIF_ACT_NONE);
	/* Our own write comes back through the watch: nothing. */
	CHECK_EQ_INT(tsr_displif_fsm_backend(&fsm, "4").action, TSR_DISPLIF_ACT_NONE);
	/* The guest unloads drm_xen_front / reboots its kernel: back to
	 * InitWait, and a second connection works. */
	s = tsr_displif_fsm_frontend(&fsm, "5", now);
	CHECK_EQ_INT(s.action, TSR_DISPLIF_ACT_DISCONNECT);
	CHECK_EQ_INT(s.write, TSR_XENBUS_INIT_WAIT);
	CHECK_EQ_INT(tsr_displif_fsm_frontend(&fsm, "1", now).action, TSR_DISPLIF_ACT_NONE);
	CHECK_EQ_INT(tsr_displif_fsm_frontend(&fsm, "3", now).action, TSR_DISPLIF_ACT_CONNECT);
	CHECK_EQ_INT(tsr_displif_fsm_connected(&fsm, true).write, TSR_XENBUS_CONNECTED);
	/* Linux's own recovery path when the backend restarts: Reconfiguring. */
	CHECK_EQ_INT(tsr_displif_fsm_frontend(&fsm, "7", now + 1).action,
		     TSR_DISPLIF_ACT_DISCONNECT);
}

static void state_machine_tessera_restart(void)
{
	/* A new Tessera finds a frontend still Connected to the old one. */
	struct tsr_displif_fsm fsm;
	tsr_displif_fsm_start(&fsm);
	CHECK_EQ_INT(tsr_displif_fsm_frontend(&fsm, "4", 0).action, TSR_DISPLIF_ACT_NONE);
	CHECK_EQ_INT(tsr_displif_fsm_frontend(&fsm, "7", 0).action, TSR_DISPLIF_ACT_NONE);
	CHECK_EQ_INT(tsr_displif_fsm_frontend(&fsm, "1", 0).action, TSR_DISPLIF_ACT_NONE);
	CHECK_EQ_INT(tsr_displif_fsm_frontend(&fsm, "3", 0).action, TSR_DISPLIF_ACT_CONNECT);
}

static void state_machine_toolstack_removal(void)
{
	struct tsr_displif_fsm fsm;
	tsr_displif_fsm_start(&fsm);
	tsr_displif_fsm_frontend(&fsm, "3", 0);
	tsr_displif_fsm_connected(&fsm, true);
	/* xl destroy: 5 from the toolstack is answered with 6 at once. */
	struct tsr_displif_step s = tsr_displif_fsm_backend(&fsm, "5");
	CHECK_EQ_INT(s.action, TSR_DISPLIF_ACT_REMOVE);
	CHECK_EQ_INT(s.write, TSR_XENBUS_CLOSED);
	/* Afterwards the frontend cannot start anything. */
	CHECK_EQ_INT(tsr_displif_fsm_frontend(&fsm, "3", 0).action, TSR_DISPLIF_ACT_NONE);
	CHECK_EQ_INT(tsr_displif_fsm_backend(&fsm, NULL).action, TSR_DISPLIF_ACT_NONE);
	/* Removal while still waiting, and of a dropped device: still 6. */
	tsr_displif_fsm_start(&fsm);
	CHECK_EQ_INT(tsr_displif_fsm_backend(&fsm, "5").write, TSR_XENBUS_CLOSED);
	tsr_displif_fsm_start(&fsm);
	CHECK_EQ_INT(tsr_displif_fsm_fail(&fsm, "test").action, TSR_DISPLIF_ACT_VIOLATION);
	s = tsr_displif_fsm_backend(&fsm, "5");
	CHECK_EQ_INT(s.action, TSR_DISPLIF_ACT_NONE);
	CHECK_EQ_INT(s.write, TSR_XENBUS_CLOSED);
	/* The backend directory vanishing is a removal too. */
	tsr_displif_fsm_start(&fsm);
	CHECK_EQ_INT(tsr_displif_fsm_backend(&fsm, NULL).action, TSR_DISPLIF_ACT_REMOVE);
}

static void state_machine_games(void)
{
	const char *garbage[] = {"9", "", "33", "4 ", "-1", "x", "2", "8"};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		struct tsr_displif_fsm fsm;
		tsr_displif_fsm_start(&fsm);
		struct tsr_displif_step s = tsr_displif_fsm_frontend(&fsm, garbage[i], 0);
		CHECK_EQ_INT(s.action, TSR_DISPLIF_ACT_VIOLATION);
		CHECK_EQ_INT(s.write, TSR_XENBUS_CLOSED);
		/* Dropped for good. */
		CHECK_EQ_INT(tsr_displif_fsm_frontend(&fsm, "3", 0).action, TSR_DISPLIF_ACT_NONE);
	}
	/* Flapping between states: bounded, then a violation. */
	struct tsr_displif_fsm fsm;
	tsr_displif_fsm_start(&fsm);
	int connects = 0;
	enum tsr_displif_action last = TSR_DISPLIF_ACT_NONE;
	for (int i = 0; i < 100 && last != TSR_DISPLIF_ACT_VIOLATION; i++) {
		last = tsr_displif_fsm_frontend(&fsm, i % 2 ? "1" : "3", 1000).action;
		if (last == TSR_DISPLIF_ACT_CONNECT) {
			connects++;
			tsr_displif_fsm_connected(&fsm, true);
		}
	}
	CHECK_EQ_INT(last, TSR_DISPLIF_ACT_VIOLATION);
	CHECK(connects <= (int)TSR_DISPLIF_STATE_CHANGES_MAX);
	/* The same changes spread out in time are fine. */
	tsr_displif_fsm_start(&fsm);
	for (int i = 0; i < 100; i++) {
		last = tsr_displif_fsm_frontend(&fsm, i % 2 ? "1" : "3",
						(uint64_t)i * TSR_DISPLIF_STATE_WINDOW_NS)
			   .action;
		CHECK(last != TSR_DISPLIF_ACT_VIOLATION);
		if (last == TSR_DISPLIF_ACT_CONNECT)
			tsr_displif_fsm_connected(&fsm, true);
	}
	/* Rings that cannot be mapped. */
	tsr_displif_fsm_start(&fsm);
	tsr_displif_fsm_frontend(&fsm, "3", 0);
	CHECK_EQ_INT(tsr_displif_fsm_connected(&fsm, false).action, TSR_DISPLIF_ACT_VIOLATION);
}

/* Several connectors, the way Linux drives them when one client sets them
 * all (modetest with one -s per connector): one framebuffer as wide as the
 * modes' summed widths, connector i's SET_CONFIG and PG_FLIP on ring i with
 * x = the widths before it and the framebuffer's width and height. Each connector's view is its own
 * part of that framebuffer, and its flip events go to its own page with its own ids: a flip on
 * connector 1 leaves every other connector's page untouched. */
static void connectors_own_rings_views_and_events(uint32_t count)
{
	static const uint32_t widths[] = {480, 320, 200, 96}, heights[] = {360, 240, 100, 360};
	static uint8_t req_pages[TSR_DISPLIF_MAX_CONNECTORS][TSR_DISPLIF_PAGE_SIZE];
	static uint8_t evt_pages[TSR_DISPLIF_MAX_CONNECTORS][TSR_DISPLIF_PAGE_SIZE];
	struct tsr_displif_req_ring req[TSR_DISPLIF_MAX_CONNECTORS];
	struct tsr_displif_evt_ring evt[TSR_DISPLIF_MAX_CONNECTORS];
	struct tsr_displif_fb_attach fb = {.fourcc = DRM_FORMAT_XRGB8888, .bytes_per_pixel = 4};
	for (uint32_t i = 0; i < count; i++) {
		memset(req_pages[i], 0, TSR_DISPLIF_PAGE_SIZE);
		memset(evt_pages[i], 0, TSR_DISPLIF_PAGE_SIZE);
		tsr_displif_req_ring_init(&req[i], req_pages[i]);
		tsr_displif_evt_ring_init(&evt[i], evt_pages[i]);
		fb.width += widths[i];
		fb.height = heights[i] > fb.height ? heights[i] : fb.height;
	}
	uint32_t x = 0;
	char err[160];
	for (uint32_t i = 0; i < count; i++) {
		uint8_t packet[TSR_DISPLIF_PACKET_SIZE] = {0}, out[TSR_DISPLIF_PACKET_SIZE];
		fake_header(packet, (uint16_t)i, TSR_DISPLIF_OP_SET_CONFIG);
		fake_put64(packet, TSR_DISPLIF_CFG_FB_COOKIE, 77);
		fake_put32(packet, TSR_DISPLIF_CFG_X, x);
		/* Linux sends the framebuffer's size, not the mode's. */
		fake_put32(packet, TSR_DISPLIF_CFG_WIDTH, fb.width);
		fake_put32(packet, TSR_DISPLIF_CFG_HEIGHT, fb.height);
		fake_put32(packet, TSR_DISPLIF_CFG_BPP, 32);
		fake_push_request(req_pages[i], packet);
		for (uint32_t other = 0; other < count; other++)
			CHECK_EQ_INT(tsr_displif_req_ring_take(&req[other], out),
				     other == i ? TSR_DISPLIF_RING_TAKEN : TSR_DISPLIF_RING_EMPTY);
		struct tsr_displif_request request;
		CHECK_EQ_INT(tsr_displif_request_decode(out, i, &request, err, sizeof(err)),
			     TSR_DISPLIF_DECODED);
		uint32_t width, height;
		CHECK(tsr_displif_config_view(&request.u.set_config, &fb, widths[i], heights[i],
					      &width, &height, err, sizeof(err)));
		CHECK_EQ_INT(request.u.set_config.x, x);
		CHECK_EQ_INT(width, widths[i]);
		CHECK_EQ_INT(height, heights[i]);
		bool notify;
		CHECK(tsr_displif_req_ring_respond(&req[i], (uint16_t)i, TSR_DISPLIF_OP_SET_CONFIG,
						   0, &notify));
		x += widths[i];
	}
	/* Three flips answered on connector 1, one on the last: ids 0.. on
	 * each page, nothing on the others. */
	uint8_t before[TSR_DISPLIF_PAGE_SIZE];
	memcpy(before, evt_pages[0], sizeof(before));
	for (uint32_t n = 0; n < 3; n++)
		CHECK_EQ_INT(tsr_displif_evt_ring_push(&evt[1], 0x500u + n),
			     TSR_DISPLIF_RING_TAKEN);
	CHECK(memcmp(before, evt_pages[0], sizeof(before)) == 0);
	for (uint32_t i = 2; i + 1 < count; i++)
		CHECK_EQ_INT(fake_get32(evt_pages[i], TSR_DISPLIF_EVT_IN_PROD), 0);
	CHECK_EQ_INT(fake_get32(evt_pages[1], TSR_DISPLIF_EVT_IN_PROD), 3);
	if (count > 2)
		CHECK_EQ_INT(tsr_displif_evt_ring_push(&evt[count - 1], 0x900u),
			     TSR_DISPLIF_RING_TAKEN);
	CHECK_EQ_INT(tsr_displif_evt_ring_push(&evt[0], 0x100u), TSR_DISPLIF_RING_TAKEN);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t produced = fake_get32(evt_pages[i], TSR_DISPLIF_EVT_IN_PROD);
		for (uint32_t n = 0; n < produced; n++) {
			const uint8_t *event =
			    evt_pages[i] + TSR_DISPLIF_EVT_SLOTS_OFFSET + n * 64u;
			uint16_t id;
			memcpy(&id, event, sizeof(id));
			CHECK_EQ_INT(id, n);
		}
	}
	CHECK_EQ_INT(
	    fake_get32(evt_pages[0] + TSR_DISPLIF_EVT_SLOTS_OFFSET, TSR_DISPLIF_EVT_FB_COOKIE),
	    0x100u);
	CHECK_EQ_INT(fake_get32(evt_pages[1] + TSR_DISPLIF_EVT_SLOTS_OFFSET + 2u * 64u,
				TSR_DISPLIF_EVT_FB_COOKIE),
		     0x502u);
}

static void two_connectors(void)
{
	connectors_own_rings_views_and_events(2);
}

static void four_connectors(void)
{
	connectors_own_rings_views_and_events(4);
}

TSR_TEST_MAIN(TSR_CASE(decode_dbuf_create_linux_dumb_buffer), TSR_CASE(decode_dbuf_create_hostile),
	      TSR_CASE(decode_fb_attach_formats_and_fit), TSR_CASE(decode_set_config_and_flips),
	      TSR_CASE(resolution_parsing), TSR_CASE(ring_requests_and_responses),
	      TSR_CASE(ring_hostile_indices), TSR_CASE(event_ring_ids_and_hostile_consumer),
	      TSR_CASE(pgdir_walks), TSR_CASE(state_machine_connect_and_reconnect),
	      TSR_CASE(state_machine_tessera_restart), TSR_CASE(state_machine_toolstack_removal),
	      TSR_CASE(state_machine_games), TSR_CASE(two_connectors), TSR_CASE(four_connectors))
