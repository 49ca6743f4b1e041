#include "core/violation_limit.h"

bool tsr_violation_limiter_record(struct tsr_violation_limiter *limiter, uint64_t now_ns)
{
	if (limiter->count == 0 || now_ns - limiter->window_start_ns > TSR_VIOLATION_WINDOW_NS) {
		limiter->window_start_ns = now_ns;
		limiter->count = 0;
	}
	if (++limiter->count < TSR_VIOLATION_BURST)
		return false;
	limiter->count = 0;
	limiter->refuse_until_ns = now_ns + TSR_VIOLATION_COOLDOWN_NS;
	limiter->refusal_reported = false;
	return true;
}

bool tsr_violation_limiter_refuses(struct tsr_violation_limiter *limiter, uint64_t now_ns,
				   bool *report, uint64_t *remaining_ns)
{
	*report = false;
	*remaining_ns = 0;
	if (now_ns >= limiter->refuse_until_ns)
		return false;
	*remaining_ns = limiter->refuse_until_ns - now_ns;
	*report = !limiter->refusal_reported;
	limiter->refusal_reported = true;
	return true;
}

void tsr_violation_limiter_record_instance(struct tsr_violation_limiter *limiter, int32_t domid)
{
	if (domid < 0)
		return;
	if (!limiter->instance_dropped || limiter->banned_domid != domid)
		limiter->instance_refusal_reported = false;
	limiter->instance_dropped = true;
	limiter->banned_domid = domid;
}

bool tsr_violation_limiter_refuses_instance(struct tsr_violation_limiter *limiter, int32_t domid,
					    bool *report)
{
	*report = false;
	if (domid < 0 || !limiter->instance_dropped || limiter->banned_domid != domid)
		return false;
	*report = !limiter->instance_refusal_reported;
	limiter->instance_refusal_reported = true;
	return true;
}
