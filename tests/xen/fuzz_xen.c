/* libFuzzer target for the Xen transport's checks on guest numbers and on
 * the strings that reach dom0 through xenstore: the grant coverage check
 * against the geometry the core derives (the request is built from fuzzed
 * but validated surface values, as the core does), the per-domain quota
 * under a sequence of reserves and releases, and the domid / watch-token
 * parsers. Each property that must hold aborts when it does not.
 *
 * Input: 28 bytes of numbers (see struct fuzz_numbers), then a string. */
#include <drm_fourcc.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/guest_link.h"
#include "tessera/protocol.h"
#include "transport/xen_grant_check.h"
#include "transport/xen_paths.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_numbers {
	uint32_t width, height, stride, offset;
	uint32_t untrusted_offset, untrusted_ref_count;
	uint32_t quota_ops; /* one bit per step: reserve (1) or release (0) */
};

static void fuzz_grants(const struct fuzz_numbers *n)
{
	char err[128];
	if (!tsr_validate_surface(n->width, n->height, DRM_FORMAT_XRGB8888, n->stride, err,
				  sizeof(err)))
		return;
	/* What the core computes before calling the transport. */
	struct tsr_buffer_request request =
	    tsr_buffer_request_for(n->width, n->height, n->stride, DRM_FORMAT_XRGB8888, n->offset);
	uint32_t pages = 0;
	if (!tsr_xen_check_grants(n->untrusted_offset, n->untrusted_ref_count, &request, &pages,
				  err, sizeof(err))) {
		if (!memchr(err, 0, sizeof(err)))
			abort();
		return;
	}
	/* Accepted: the pages mapped hold the buffer, and are all granted. */
	if (pages == 0 || pages > n->untrusted_ref_count || pages > TSR_MAX_GRANT_REFS ||
	    (uint64_t)pages * TSR_PAGE_SIZE < request.required_bytes ||
	    n->untrusted_offset >= TSR_PAGE_SIZE || n->untrusted_offset != n->offset)
		abort();

	struct tsr_xen_quota quota = {.limit_pages = TSR_XEN_DOMAIN_QUOTA_PAGES};
	for (int step = 0; step < 32; step++) {
		uint32_t before = quota.used_pages;
		if (n->quota_ops & (1u << step)) {
			bool reserved = tsr_xen_quota_reserve(&quota, pages);
			if (reserved != ((uint64_t)before + pages <= quota.limit_pages))
				abort();
			if (quota.used_pages != (reserved ? before + pages : before))
				abort();
		} else {
			tsr_xen_quota_release(&quota, pages);
			if (quota.used_pages != (pages > before ? 0 : before - pages))
				abort();
		}
		if (quota.used_pages > quota.limit_pages)
			abort();
	}
}

static void fuzz_strings(const char *text)
{
	uint32_t domid;
	if (tsr_xen_parse_domid(text, &domid)) {
		/* Only the canonical spelling of a real domid is accepted. */
		char again[16];
		snprintf(again, sizeof(again), "%" PRIu32, domid);
		if (domid > TSR_XEN_DOMID_MAX || strcmp(again, text) != 0)
			abort();
		char path[TSR_XEN_PATH_MAX];
		if (!tsr_xen_vchan_path(domid, path, sizeof(path)) ||
		    !tsr_xen_name_path(domid, path, sizeof(path)))
			abort();
	}
	if (tsr_xen_parse_vchan_token(text, &domid)) {
		char token[TSR_XEN_PATH_MAX];
		if (domid > TSR_XEN_DOMID_MAX ||
		    !tsr_xen_vchan_token(domid, token, sizeof(token)) || strcmp(token, text) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_numbers numbers;
	if (size < sizeof(numbers))
		return 0;
	memcpy(&numbers, data, sizeof(numbers));
	fuzz_grants(&numbers);
	size_t length = size - sizeof(numbers);
	char *text = malloc(length + 1);
	if (!text)
		return 0;
	memcpy(text, data + sizeof(numbers), length);
	text[length] = '\0';
	fuzz_strings(text);
	free(text);
	return 0;
}
