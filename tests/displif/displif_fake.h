/* A fake displif frontend for the pure parts' tests and fuzz target:
 * request and event pages in plain memory, request packets built the way
 * Linux's xen-drm-front writes them, and a page store standing in for
 * granted pages (ref -> 4 KiB). */
#ifndef TSR_TESTS_DISPLIF_FAKE_H
#define TSR_TESTS_DISPLIF_FAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "transport/displif_wire.h"

static inline void fake_put32(uint8_t *bytes, size_t offset, uint32_t value)
{
	memcpy(bytes + offset, &value, sizeof(value));
}

static inline void fake_put64(uint8_t *bytes, size_t offset, uint64_t value)
{
	memcpy(bytes + offset, &value, sizeof(value));
}

static inline uint32_t fake_get32(const uint8_t *bytes, size_t offset)
{
	uint32_t value;
	memcpy(&value, bytes + offset, sizeof(value));
	return value;
}

static inline void fake_header(uint8_t *packet, uint16_t id, uint8_t operation)
{
	memcpy(packet + TSR_DISPLIF_REQ_ID, &id, sizeof(id));
	packet[TSR_DISPLIF_REQ_OPERATION] = operation;
}

/* Frontend side of the request ring: put a packet in the next slot and
 * publish req_prod. */
static inline void fake_push_request(uint8_t *page, const uint8_t packet[TSR_DISPLIF_PACKET_SIZE])
{
	uint32_t prod = fake_get32(page, TSR_DISPLIF_SRING_REQ_PROD);
	memcpy(page + TSR_DISPLIF_SRING_SLOTS_OFFSET +
		   (prod & (TSR_DISPLIF_RING_SLOTS - 1u)) * TSR_DISPLIF_PACKET_SIZE,
	       packet, TSR_DISPLIF_PACKET_SIZE);
	fake_put32(page, TSR_DISPLIF_SRING_REQ_PROD, prod + 1u);
}

#define FAKE_PAGES 64u

/* Grant refs 1..FAKE_PAGES name pages[ref - 1]; others are not granted. */
struct fake_store {
	uint8_t pages[FAKE_PAGES][TSR_DISPLIF_PAGE_SIZE];
	unsigned fetches;
};

static inline bool fake_fetch(void *data, uint32_t ref, uint8_t out[TSR_DISPLIF_PAGE_SIZE])
{
	struct fake_store *store = data;
	store->fetches++;
	if (ref == 0 || ref > FAKE_PAGES)
		return false;
	memcpy(out, store->pages[ref - 1], TSR_DISPLIF_PAGE_SIZE);
	return true;
}

/* Writes a directory chain at refs first, first+1, ... naming buffer refs
 * base, base+1, ... (count of them), like xen-front-pgdir-shbuf does. */
static inline void fake_directory(struct fake_store *store, uint32_t first, uint32_t count,
				  uint32_t base)
{
	uint32_t pages =
	    (count + TSR_DISPLIF_PGDIR_REFS_PER_PAGE - 1u) / TSR_DISPLIF_PGDIR_REFS_PER_PAGE;
	for (uint32_t p = 0; p < pages; p++) {
		uint8_t *page = store->pages[first + p - 1];
		memset(page, 0, TSR_DISPLIF_PAGE_SIZE);
		fake_put32(page, 0, p + 1 < pages ? first + p + 1 : 0);
		for (uint32_t i = 0; i < TSR_DISPLIF_PGDIR_REFS_PER_PAGE; i++) {
			uint32_t n = p * TSR_DISPLIF_PGDIR_REFS_PER_PAGE + i;
			if (n < count)
				fake_put32(page, 4 + 4 * i, base + n);
		}
	}
}

#endif
