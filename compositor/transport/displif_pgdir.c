#include <stdio.h>
#include <string.h>

#include "transport/displif_pgdir.h"

bool tsr_displif_pgdir_walk(uint32_t untrusted_first_ref, uint32_t ref_count,
			    tsr_displif_fetch_page fetch, void *data, uint32_t *out_refs, char *err,
			    size_t err_len)
{
	if (ref_count == 0 || ref_count > TSR_MAX_GRANT_REFS) {
		snprintf(err, err_len, "page directory for %u refs (1..%u allowed)", ref_count,
			 TSR_MAX_GRANT_REFS);
		return false;
	}
	uint8_t page[TSR_DISPLIF_PAGE_SIZE];
	uint32_t ref = untrusted_first_ref, collected = 0;
	for (uint32_t index = 0; collected < ref_count; index++) {
		/* ref_count <= TSR_MAX_GRANT_REFS bounds the loop to
		 * TSR_DISPLIF_PGDIR_MAX_PAGES; the check documents it. */
		if (index >= TSR_DISPLIF_PGDIR_MAX_PAGES || ref == 0) {
			snprintf(err, err_len,
				 "page directory ends after %u of %u refs (directory page %u)",
				 collected, ref_count, index);
			return false;
		}
		if (!fetch(data, ref, page)) {
			snprintf(err, err_len, "cannot map page directory page %u (ref %u)", index,
				 ref);
			return false;
		}
		/* From here on only the copy is read. */
		uint32_t next;
		memcpy(&next, page, sizeof(next));
		uint32_t here = ref_count - collected;
		if (here > TSR_DISPLIF_PGDIR_REFS_PER_PAGE)
			here = TSR_DISPLIF_PGDIR_REFS_PER_PAGE;
		memcpy(out_refs + collected, page + sizeof(uint32_t), here * sizeof(uint32_t));
		for (uint32_t i = 0; i < here; i++) {
			if (out_refs[collected + i] == 0) {
				snprintf(err, err_len, "page directory names grant ref 0 (ref %u)",
					 collected + i);
				return false;
			}
		}
		collected += here;
		ref = next;
	}
	return true;
}
