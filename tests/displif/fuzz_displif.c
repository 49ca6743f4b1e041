/* libFuzzer target for the PV display backend's parsers of guest data: the
 * request ring under fuzzed indices and slots, the request decoder on every
 * request taken, the page-directory walker on fuzzed directory pages for
 * each DBUF_CREATE, the framebuffer geometry checks, the event page under a
 * fuzzed consumer index, and the XenBus state machine under a fuzzed
 * sequence of frontend and toolstack state nodes. Each property that must
 * hold aborts when it does not.
 *
 * Input: struct fuzz_header, then up to 32 request packets of 64 bytes
 * (also the contents of the fake granted pages), then a state script: each
 * byte is one state-node event. */
#include <stdlib.h>
#include <string.h>

#include "displif_fake.h"
#include "tessera/protocol.h"
#include "transport/displif_pgdir.h"
#include "transport/displif_request.h"
#include "transport/displif_ring.h"
#include "transport/displif_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_header {
	uint32_t req_prod, rsp_prod, evt_cons, evt_prod;
	uint8_t connector, packets, mode_width_kib, mode_height_kib;
};

struct fuzz_state {
	uint8_t ring_page[TSR_DISPLIF_PAGE_SIZE];
	uint8_t evt_page[TSR_DISPLIF_PAGE_SIZE];
	struct fake_store store;
	uint32_t refs[TSR_MAX_GRANT_REFS];
};

static void check_request(struct fuzz_state *state, const struct tsr_displif_request *request,
			  const struct fuzz_header *header,
			  struct tsr_displif_dbuf_create *last_dbuf)
{
	char err[160];
	switch (request->operation) {
	case TSR_DISPLIF_OP_DBUF_CREATE: {
		const struct tsr_displif_dbuf_create *dbuf = &request->u.dbuf_create;
		if (dbuf->buffer_sz == 0 || dbuf->buffer_sz > TSR_MAX_BUFFER_BYTES ||
		    dbuf->page_count == 0 || dbuf->page_count > TSR_MAX_GRANT_REFS ||
		    (uint64_t)dbuf->page_count * TSR_DISPLIF_PAGE_SIZE < dbuf->buffer_sz ||
		    (uint64_t)(dbuf->page_count - 1u) * TSR_DISPLIF_PAGE_SIZE >= dbuf->buffer_sz ||
		    dbuf->dbuf_cookie == 0 || dbuf->gref_directory == 0)
			abort();
		state->store.fetches = 0;
		bool walked =
		    tsr_displif_pgdir_walk(dbuf->gref_directory, dbuf->page_count, fake_fetch,
					   &state->store, state->refs, err, sizeof(err));
		if (state->store.fetches > TSR_DISPLIF_PGDIR_MAX_PAGES ||
		    !memchr(err, 0, sizeof(err)))
			abort();
		if (walked)
			for (uint32_t i = 0; i < dbuf->page_count; i++)
				if (state->refs[i] == 0)
					abort();
		*last_dbuf = *dbuf;
		break;
	}
	case TSR_DISPLIF_OP_FB_ATTACH: {
		const struct tsr_displif_fb_attach *fb = &request->u.fb_attach;
		if (fb->bytes_per_pixel == 0 || fb->bytes_per_pixel > 4 || fb->width == 0 ||
		    fb->height == 0 || fb->width > TSR_MAX_DIMENSION ||
		    fb->height > TSR_MAX_DIMENSION)
			abort();
		uint32_t pitch = 0;
		if (last_dbuf->page_count &&
		    tsr_displif_fb_fits(fb, last_dbuf, &pitch, err, sizeof(err))) {
			uint64_t needed = (uint64_t)(fb->height - 1u) * pitch +
					  (uint64_t)fb->width * fb->bytes_per_pixel;
			if (pitch != fb->width * fb->bytes_per_pixel ||
			    needed > last_dbuf->buffer_sz ||
			    needed > (uint64_t)last_dbuf->page_count * TSR_DISPLIF_PAGE_SIZE)
				abort();
		}
		struct tsr_displif_set_config config = {.fb_cookie = fb->fb_cookie,
							.x = header->mode_width_kib,
							.y = header->mode_height_kib,
							.width = fb->width,
							.height = fb->height,
							.bpp = fb->bytes_per_pixel * 8u};
		uint32_t mode_w = 1u + header->mode_width_kib * 16u;
		uint32_t mode_h = 1u + header->mode_height_kib * 16u;
		uint32_t w, h;
		if (tsr_displif_config_view(&config, fb, mode_w, mode_h, &w, &h, err,
					    sizeof(err)) &&
		    (w == 0 || h == 0 || w > mode_w || h > mode_h ||
		     (uint64_t)config.x + w > fb->width || (uint64_t)config.y + h > fb->height))
			abort();
		break;
	}
	case TSR_DISPLIF_OP_SET_CONFIG: {
		const struct tsr_displif_set_config *config = &request->u.set_config;
		if (config->fb_cookie &&
		    (config->x >= config->width || config->y >= config->height))
			abort();
		break;
	}
	default:
		break;
	}
}

static void fuzz_rings(struct fuzz_state *state, const struct fuzz_header *header,
		       const uint8_t *packets, size_t packet_count)
{
	memset(state->ring_page, 0, sizeof(state->ring_page));
	for (size_t i = 0; i < packet_count; i++)
		memcpy(state->ring_page + TSR_DISPLIF_SRING_SLOTS_OFFSET + i * 64u,
		       packets + i * 64u, 64u);
	fake_put32(state->ring_page, TSR_DISPLIF_SRING_RSP_PROD, header->rsp_prod);
	struct tsr_displif_req_ring ring;
	tsr_displif_req_ring_init(&ring, state->ring_page);
	fake_put32(state->ring_page, TSR_DISPLIF_SRING_REQ_PROD, header->req_prod);
	struct tsr_displif_dbuf_create last_dbuf = {0};
	uint8_t copy[TSR_DISPLIF_PACKET_SIZE];
	unsigned taken = 0;
	for (;;) {
		enum tsr_displif_ring_result result = tsr_displif_req_ring_take(&ring, copy);
		if (result != TSR_DISPLIF_RING_TAKEN)
			break;
		if (++taken > TSR_DISPLIF_RING_SLOTS)
			abort(); /* more than one ring's worth without answers */
		struct tsr_displif_request request;
		char err[160];
		enum tsr_displif_decode decoded =
		    tsr_displif_request_decode(copy, header->connector % TSR_DISPLIF_MAX_CONNECTORS,
					       &request, err, sizeof(err));
		if (decoded == TSR_DISPLIF_DECODED)
			check_request(state, &request, header, &last_dbuf);
		else if (!memchr(err, 0, sizeof(err)))
			abort();
		/* Answer every other request at once, like the glue does. */
		bool notify;
		if (taken % 2 &&
		    !tsr_displif_req_ring_respond(&ring, request.id, request.operation, 0, &notify))
			abort();
	}
	while (ring.rsp_prod_pvt != ring.req_cons) {
		bool notify;
		if (!tsr_displif_req_ring_respond(&ring, 0, 0, 0, &notify))
			abort();
	}

	memset(state->evt_page, 0, sizeof(state->evt_page));
	fake_put32(state->evt_page, TSR_DISPLIF_EVT_IN_PROD, header->evt_prod);
	struct tsr_displif_evt_ring events;
	tsr_displif_evt_ring_init(&events, state->evt_page);
	fake_put32(state->evt_page, TSR_DISPLIF_EVT_IN_CONS, header->evt_cons);
	for (int i = 0; i < 70; i++) {
		uint32_t before = events.in_prod;
		enum tsr_displif_ring_result result = tsr_displif_evt_ring_push(&events, 1);
		uint32_t unread = before - header->evt_cons;
		if ((result == TSR_DISPLIF_RING_TAKEN) != (unread < TSR_DISPLIF_EVT_SLOTS))
			abort();
		if (result != TSR_DISPLIF_RING_TAKEN && events.in_prod != before)
			abort();
	}
}

static void fuzz_states(const uint8_t *script, size_t length)
{
	struct tsr_displif_fsm fsm;
	tsr_displif_fsm_start(&fsm);
	uint64_t now = 0;
	for (size_t i = 0; i < length; i++) {
		uint8_t byte = script[i];
		char text[3] = {(char)('0' + (byte & 0x0f)), 0, 0};
		if ((byte & 0x0f) > 9)
			text[0] = (char)byte; /* garbage */
		if (byte & 0x40)
			text[1] = '0';
		now += (byte & 0x80) ? TSR_DISPLIF_STATE_WINDOW_NS / 4 : 1000;
		bool finished_before = fsm.finished;
		struct tsr_displif_step s;
		if (byte & 0x20)
			s = tsr_displif_fsm_backend(&fsm, (byte & 0x0f) == 0x0f ? NULL : text);
		else
			s = tsr_displif_fsm_frontend(&fsm, (byte & 0x0f) == 0x0e ? NULL : text,
						     now);
		/* The glue maps the rings at once, within the same event. */
		if (s.action == TSR_DISPLIF_ACT_CONNECT) {
			s = tsr_displif_fsm_connected(&fsm, byte & 0x10);
			if (s.write != TSR_XENBUS_CONNECTED &&
			    s.action != TSR_DISPLIF_ACT_VIOLATION)
				abort();
		}
		/* Only states a backend may write, and nothing new once finished
		 * except answering the toolstack with Closed. */
		if (s.write != TSR_XENBUS_UNKNOWN && s.write != TSR_XENBUS_INIT_WAIT &&
		    s.write != TSR_XENBUS_CONNECTED && s.write != TSR_XENBUS_CLOSED)
			abort();
		if (finished_before &&
		    (s.action != TSR_DISPLIF_ACT_NONE ||
		     (s.write != TSR_XENBUS_UNKNOWN && s.write != TSR_XENBUS_CLOSED)))
			abort();
		if (s.action == TSR_DISPLIF_ACT_VIOLATION && s.write != TSR_XENBUS_CLOSED)
			abort();
		if (!s.reason)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_header header;
	if (size < sizeof(header))
		return 0;
	memcpy(&header, data, sizeof(header));
	data += sizeof(header);
	size -= sizeof(header);
	size_t packet_count = header.packets % (TSR_DISPLIF_RING_SLOTS + 1u);
	if (packet_count * 64u > size)
		packet_count = size / 64u;
	struct fuzz_state *state = calloc(1, sizeof(*state));
	if (!state)
		return 0;
	/* The fake granted pages (refs 1..FAKE_PAGES) repeat the packets, so
	 * directory pages and their refs are fuzzed too. */
	size_t source = packet_count * 64u;
	for (size_t p = 0; p < FAKE_PAGES && source > 0; p++) {
		size_t from = (p * 131u) % source;
		for (size_t offset = 0; offset < TSR_DISPLIF_PAGE_SIZE;) {
			size_t chunk = source - from;
			if (chunk > TSR_DISPLIF_PAGE_SIZE - offset)
				chunk = TSR_DISPLIF_PAGE_SIZE - offset;
			memcpy(state->store.pages[p] + offset, data + from, chunk);
			offset += chunk;
			from = 0;
		}
	}
	fuzz_rings(state, &header, data, packet_count);
	fuzz_states(data + packet_count * 64u, size - packet_count * 64u);
	free(state);
	return 0;
}
