#include "transport/dmabuf_budget.h"

#include <stdio.h>
#include <stdlib.h>

struct tsr_dmabuf_budget {
	uint32_t refs;
	uint64_t live_limit, rate;
	uint64_t live;	 /* bytes exported and not yet given back */
	uint64_t tokens; /* bytes that may be exported now */
	uint64_t refilled_ns;
};

struct tsr_dmabuf_budget *tsr_dmabuf_budget_create(uint64_t live_bytes, uint64_t bytes_per_second,
						   uint64_t now_ns)
{
	struct tsr_dmabuf_budget *budget = calloc(1, sizeof(*budget));
	if (!budget)
		return NULL;
	*budget = (struct tsr_dmabuf_budget){
	    .refs = 1,
	    .live_limit = live_bytes,
	    .rate = bytes_per_second < (1ull << 40) ? bytes_per_second : 1ull << 40,
	    .tokens = live_bytes,
	    .refilled_ns = now_ns};
	return budget;
}

static void unref(struct tsr_dmabuf_budget *budget)
{
	if (budget && --budget->refs == 0)
		free(budget);
}

void tsr_dmabuf_budget_unref(struct tsr_dmabuf_budget *budget)
{
	unref(budget);
}

static void refill(struct tsr_dmabuf_budget *budget, uint64_t now_ns)
{
	if (now_ns <= budget->refilled_ns)
		return;
	/* Whole microseconds only, the rest carried to the next call (calls
	 * less than 1 us apart must still add up). At most 2^23 us (8 s, more
	 * than any budget here takes to refill) times a rate of at most 2^40
	 * bytes a second: no overflow. */
	uint64_t elapsed_us = (now_ns - budget->refilled_ns) / 1000u;
	if (elapsed_us > (1u << 23)) {
		budget->tokens = budget->live_limit;
		budget->refilled_ns = now_ns;
		return;
	}
	uint64_t earned = elapsed_us * budget->rate / 1000000u;
	budget->tokens = earned >= budget->live_limit - budget->tokens ? budget->live_limit
								       : budget->tokens + earned;
	budget->refilled_ns += elapsed_us * 1000u;
}

bool tsr_dmabuf_budget_take(struct tsr_dmabuf_budget *budget, uint64_t bytes, uint64_t now_ns,
			    char *why, size_t why_len)
{
	refill(budget, now_ns);
	if (bytes > budget->live_limit - budget->live) {
		snprintf(why, why_len,
			 "the connection already holds %llu MiB of dma-bufs (at most %llu MiB)",
			 (unsigned long long)(budget->live >> 20),
			 (unsigned long long)(budget->live_limit >> 20));
		return false;
	}
	if (bytes > budget->tokens) {
		snprintf(why, why_len, "more than %llu MiB of dma-buf exports per second",
			 (unsigned long long)(budget->rate >> 20));
		return false;
	}
	budget->live += bytes;
	budget->tokens -= bytes;
	budget->refs++;
	return true;
}

void tsr_dmabuf_budget_give_back(struct tsr_dmabuf_budget *budget, uint64_t bytes)
{
	if (!budget)
		return;
	budget->live -= bytes <= budget->live ? bytes : budget->live;
	unref(budget);
}

uint64_t tsr_dmabuf_budget_live(const struct tsr_dmabuf_budget *budget)
{
	return budget->live;
}
