#include "core/log_limit.h"

bool tsr_log_limiter_allow(struct tsr_log_limiter *limiter, uint64_t now_ns,
			   uint32_t *suppressed_before)
{
	*suppressed_before = 0;
	if (!limiter->started || now_ns - limiter->window_start_ns >= TSR_LOG_LIMIT_WINDOW_NS) {
		limiter->started = true;
		limiter->window_start_ns = now_ns;
		limiter->written = 0;
	}
	if (limiter->written >= TSR_LOG_LIMIT_BURST) {
		if (limiter->suppressed < UINT32_MAX)
			limiter->suppressed++;
		return false;
	}
	limiter->written++;
	*suppressed_before = limiter->suppressed;
	limiter->suppressed = 0;
	return true;
}
