/* Bounds what one peer can make Tessera log. Every line a domain's guest
 * can cause (connections, refusals, drops) goes through its limiter: at
 * most TSR_LOG_LIMIT_BURST lines per TSR_LOG_LIMIT_WINDOW_NS window; the
 * lines beyond are counted, and the next line written is preceded by one
 * "N similar lines suppressed" summary. A guest in a connect/close loop
 * thus costs at most BURST + 1 lines per window, whatever its speed.
 * Pure: the caller passes the time. */
#ifndef TSR_CORE_LOG_LIMIT_H
#define TSR_CORE_LOG_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define TSR_LOG_LIMIT_BURST 10u
#define TSR_LOG_LIMIT_WINDOW_NS (10ull * 1000000000ull)

struct tsr_log_limiter {
	bool started;
	uint64_t window_start_ns;
	uint32_t written;    /* lines written in the current window */
	uint32_t suppressed; /* lines dropped since the last one written */
};

/* Whether a line at now_ns may be written. When it may and lines were
 * suppressed before it, *suppressed_before says how many (write the
 * summary first); otherwise it is 0. */
bool tsr_log_limiter_allow(struct tsr_log_limiter *limiter, uint64_t now_ns,
			   uint32_t *suppressed_before);

#endif
