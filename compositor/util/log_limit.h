/* A bound on how many lines one source may make Tessera log: at most burst
 * lines per window; the rest are counted, and the next line let through
 * says how many were dropped. For anything an outside peer can trigger at
 * will (control clients connecting, timing out, sending junk). */
#ifndef TSR_UTIL_LOG_LIMIT_H
#define TSR_UTIL_LOG_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct tsr_log_limit {
	uint64_t window_ns;
	uint32_t burst;
	uint64_t window_start_ns;
	uint32_t lines_in_window;
	uint64_t suppressed; /* since the last line let through */
};

#define TSR_LOG_LIMIT_INIT(burst_lines, window_seconds)                                            \
	{                                                                                          \
		.window_ns = (uint64_t)(window_seconds)*1000000000u, .burst = (burst_lines)        \
	}

/* True if a line may be logged at now_ns; then *suppressed is the number of
 * lines dropped since the previous one (to mention). */
bool tsr_log_limit_allow(struct tsr_log_limit *limit, uint64_t now_ns, uint64_t *suppressed);

#endif
