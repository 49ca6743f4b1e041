/* The arithmetic behind every grant mapping. Inputs are 32-bit and the
 * products are formed in 64 bits, and every sum is checked with
 * __builtin_*_overflow anyway, so a change of types cannot silently wrap. */
#include <stdio.h>

#include "tessera/protocol.h"
#include "transport/xen_grant_check.h"

bool tsr_xen_check_grants(uint32_t untrusted_offset, uint32_t untrusted_ref_count,
			  const struct tsr_buffer_request *request, uint32_t *out_pages, char *err,
			  size_t err_len)
{
	/* The core derived request->offset from the same message; a mismatch
	 * would mean the two disagree on what the guest sent. */
	if ((uint64_t)untrusted_offset != request->offset || untrusted_offset >= TSR_PAGE_SIZE) {
		snprintf(err, err_len, "offset %u is not within the first page", untrusted_offset);
		return false;
	}
	if (untrusted_ref_count == 0 || untrusted_ref_count > TSR_MAX_GRANT_REFS) {
		snprintf(err, err_len, "%u grant refs (1..%u allowed)", untrusted_ref_count,
			 TSR_MAX_GRANT_REFS);
		return false;
	}
	uint32_t ref_count = untrusted_ref_count;
	if (request->required_bytes == 0 || request->required_bytes < request->offset) {
		snprintf(err, err_len, "empty buffer request");
		return false;
	}
	uint64_t covered;
	if (__builtin_mul_overflow((uint64_t)ref_count, (uint64_t)TSR_PAGE_SIZE, &covered) ||
	    covered < request->required_bytes) {
		snprintf(err, err_len, "%u grant refs cannot hold %ux%u stride %u at offset %u",
			 ref_count, request->width, request->height, request->stride,
			 untrusted_offset);
		return false;
	}
	/* required_bytes <= covered <= TSR_MAX_GRANT_REFS pages: no overflow. */
	uint64_t pages = (request->required_bytes + TSR_PAGE_SIZE - 1u) / TSR_PAGE_SIZE;
	*out_pages = (uint32_t)pages;
	return true;
}

bool tsr_xen_dmabuf_bytes(uint32_t offset, uint32_t pages, uint64_t *out_bytes, char *why,
			  size_t why_len)
{
	if (offset != 0) {
		snprintf(why, why_len, "the first pixel (offset %u) is not on a page boundary",
			 offset);
		return false;
	}
	if (pages == 0 || pages > TSR_MAX_GRANT_REFS) {
		snprintf(why, why_len, "%u pages (1..%u allowed)", pages, TSR_MAX_GRANT_REFS);
		return false;
	}
	*out_bytes = (uint64_t)pages * TSR_PAGE_SIZE;
	return true;
}

bool tsr_xen_quota_reserve(struct tsr_xen_quota *quota, uint32_t pages)
{
	uint32_t total;
	if (__builtin_add_overflow(quota->used_pages, pages, &total) || total > quota->limit_pages)
		return false;
	quota->used_pages = total;
	return true;
}

void tsr_xen_quota_release(struct tsr_xen_quota *quota, uint32_t pages)
{
	quota->used_pages = pages > quota->used_pages ? 0 : quota->used_pages - pages;
}
