/* See log_limit.h: a fixed window, simple enough to read at a glance. */
#include "util/log_limit.h"

bool tsr_log_limit_allow(struct tsr_log_limit *limit, uint64_t now_ns, uint64_t *suppressed)
{
	if (limit->lines_in_window == 0 || now_ns - limit->window_start_ns >= limit->window_ns) {
		limit->window_start_ns = now_ns;
		limit->lines_in_window = 0;
	}
	if (limit->lines_in_window >= limit->burst) {
		limit->suppressed++;
		return false;
	}
	limit->lines_in_window++;
	*suppressed = limit->suppressed;
	limit->suppressed = 0;
	return true;
}
