/* Pure (hypervisor-free) checks for grant-backed guest buffers: do the refs a
 * guest sent cover the buffer the core asked for, and does mapping them keep
 * the domain inside its quota. Kept apart from the gntdev calls so that
 * tests/xen can prove them on any machine. */
#ifndef TSR_TRANSPORT_XEN_GRANT_CHECK_H
#define TSR_TRANSPORT_XEN_GRANT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_link.h"

/* Pages one 3840x2160 XRGB8888 frame needs (8100). */
#define TSR_XEN_4K_FRAME_PAGES ((3840u * 2160u * 4u + TSR_PAGE_SIZE - 1u) / TSR_PAGE_SIZE)

/* Per-domain cap on mapped grant pages: four 4K frames (~127 MiB), enough
 * for a triple-buffered full-screen 4K surface plus one buffer being
 * replaced. Without it, TSR_MAX_BUFFERS_PER_GUEST (16) buffers of
 * TSR_MAX_BUFFER_BYTES (64 MiB) would let one guest pin 1 GiB of dom0
 * address space and gntdev slots. */
#define TSR_XEN_DOMAIN_QUOTA_PAGES (4u * TSR_XEN_4K_FRAME_PAGES)

/* Validates a BUFFER_ATTACH_GRANTS against the geometry the core computed.
 * On success *out_pages is the number of pages to map: exactly the pages
 * that hold request->required_bytes (refs beyond those are never mapped).
 * Rejects: offset other than the request's or >= one page, no refs, more
 * than TSR_MAX_GRANT_REFS, and refs that cannot cover required_bytes. */
bool tsr_xen_check_grants(uint32_t untrusted_offset, uint32_t untrusted_ref_count,
			  const struct tsr_buffer_request *request, uint32_t *out_pages, char *err,
			  size_t err_len);

/* How many bytes the dma-buf of a mapped grant buffer spans (pages as
 * tsr_xen_check_grants returned them, whole pages: gntdev exports pages).
 * False with why when the buffer cannot be one: a dma-buf's first byte is
 * its first pixel (tsr_buffer.dmabuf_fd), so the first pixel must start
 * its first page (offset 0, as agents send), and pages must be 1 ..
 * TSR_MAX_GRANT_REFS. */
bool tsr_xen_dmabuf_bytes(uint32_t offset, uint32_t pages, uint64_t *out_bytes, char *why,
			  size_t why_len);

/* Mapped-page accounting for one domain. */
struct tsr_xen_quota {
	uint32_t used_pages;
	uint32_t limit_pages;
};

/* Reserves pages if used + pages <= limit (overflow-safe); false otherwise,
 * leaving the quota unchanged. */
bool tsr_xen_quota_reserve(struct tsr_xen_quota *quota, uint32_t pages);
/* Gives back pages reserved earlier (never below zero). */
void tsr_xen_quota_release(struct tsr_xen_quota *quota, uint32_t pages);

#endif
