/* Walking a displif page directory, pure: the chain of directory pages a
 * DBUF_CREATE names (each: the next page's ref, then up to 1023 buffer
 * refs). The number of refs comes from buffer_sz alone, never from a
 * terminator, so a directory that lies can make the walk fail but never run
 * longer or collect more: at most TSR_DISPLIF_PGDIR_MAX_PAGES fetches.
 * Fetching a page (a transient read-only mapping, copied out once) is the
 * caller's, through a callback, so tests feed fake pages. */
#ifndef TSR_TRANSPORT_DISPLIF_PGDIR_H
#define TSR_TRANSPORT_DISPLIF_PGDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/protocol.h"
#include "transport/displif_wire.h"

/* Directory pages for the largest buffer (TSR_MAX_GRANT_REFS refs): 17. */
#define TSR_DISPLIF_PGDIR_MAX_PAGES                                                                \
	((TSR_MAX_GRANT_REFS + TSR_DISPLIF_PGDIR_REFS_PER_PAGE - 1u) /                             \
	 TSR_DISPLIF_PGDIR_REFS_PER_PAGE)

/* Copies the page behind ref (granted by the frontend) into out. false
 * when it cannot be mapped (a ref the frontend did not grant). */
typedef bool (*tsr_displif_fetch_page)(void *data, uint32_t ref,
				       uint8_t out[TSR_DISPLIF_PAGE_SIZE]);

/* Collects ref_count refs (1..TSR_MAX_GRANT_REFS, from buffer_sz) starting
 * at directory page first_ref into out_refs (room for ref_count). Fails on
 * a fetch that fails, a next-page ref of 0 while refs are missing, and a
 * buffer ref of 0. */
bool tsr_displif_pgdir_walk(uint32_t untrusted_first_ref, uint32_t ref_count,
			    tsr_displif_fetch_page fetch, void *data, uint32_t *out_refs, char *err,
			    size_t err_len);

#endif
