/* How much of its memory one guest connection may have exported as
 * dma-bufs (udmabuf.h). An export pins every page of the buffer in dom0,
 * allocating the ones the guest never touched, in Tessera's memory and on
 * its event loop; a mapping costs neither. So a connection may hold at
 * most live_bytes exported at once and export at most bytes_per_second
 * (a bucket that refills at that rate, up to live_bytes). Beyond that a
 * buffer is only mapped, as without udmabuf: zero copy is lost, nothing
 * else. Pure bookkeeping; shared by the link and each buffer it exported
 * (reference-counted, as buffers may outlive the link). */
#ifndef TSR_TRANSPORT_DMABUF_BUDGET_H
#define TSR_TRANSPORT_DMABUF_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Three 4K XRGB buffers (front, back, one in flight). */
#define TSR_DMABUF_BUDGET_LIVE_BYTES (96ull << 20)
#define TSR_DMABUF_BUDGET_BYTES_PER_SECOND (96ull << 20)

struct tsr_dmabuf_budget;

/* NULL when out of memory (then nothing is exported). */
struct tsr_dmabuf_budget *tsr_dmabuf_budget_create(uint64_t live_bytes, uint64_t bytes_per_second,
						   uint64_t now_ns);
/* Drops the creator's reference (accepts NULL). */
void tsr_dmabuf_budget_unref(struct tsr_dmabuf_budget *budget);

/* Takes bytes at now_ns, and a reference for the buffer that holds them;
 * false with why when either limit says no. */
bool tsr_dmabuf_budget_take(struct tsr_dmabuf_budget *budget, uint64_t bytes, uint64_t now_ns,
			    char *why, size_t why_len);
/* The buffer that took bytes is gone (or its export failed): gives them
 * back and drops its reference. */
void tsr_dmabuf_budget_give_back(struct tsr_dmabuf_budget *budget, uint64_t bytes);

uint64_t tsr_dmabuf_budget_live(const struct tsr_dmabuf_budget *budget);

#endif
