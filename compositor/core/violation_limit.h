/* Policy for a domain that keeps violating the protocol: after
 * TSR_VIOLATION_BURST drops within TSR_VIOLATION_WINDOW_NS, its new
 * connections are refused for TSR_VIOLATION_COOLDOWN_NS. A hostile guest in
 * a reconnect loop then costs a bounded number of log lines and decodes per
 * minute, while a guest that recovers (or is restarted by its user) is not
 * banned for good. Under Xen, where a guest's identity is its domain
 * instance, a domid dropped for a violation is also refused until the
 * domain restarts (a new domid), whatever the transport (vchan agent, PV
 * display). Pure: the caller passes the time. */
#ifndef TSR_CORE_VIOLATION_LIMIT_H
#define TSR_CORE_VIOLATION_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define TSR_VIOLATION_BURST 16u
#define TSR_VIOLATION_WINDOW_NS (60ull * 1000000000ull)
#define TSR_VIOLATION_COOLDOWN_NS (60ull * 1000000000ull)

struct tsr_violation_limiter {
	uint64_t window_start_ns;
	uint32_t count; /* violations since window_start_ns */
	uint64_t refuse_until_ns;
	bool refusal_reported; /* the current cool-down was logged once */
	bool instance_dropped; /* banned_domid was dropped for a violation */
	int32_t banned_domid;
	bool instance_refusal_reported;
};

/* Records one violation at now_ns. True when it starts a cool-down. */
bool tsr_violation_limiter_record(struct tsr_violation_limiter *limiter, uint64_t now_ns);

/* Whether a connection at now_ns must be refused. *report is set the
 * first time in a cool-down (log that one), *remaining_ns to what is left. */
bool tsr_violation_limiter_refuses(struct tsr_violation_limiter *limiter, uint64_t now_ns,
				   bool *report, uint64_t *remaining_ns);

/* A guest of domain instance domid (>= 0: under Xen; -1: local, nothing
 * recorded) was dropped for a violation. */
void tsr_violation_limiter_record_instance(struct tsr_violation_limiter *limiter, int32_t domid);

/* Whether a connection from domain instance domid must be refused: the
 * instance was dropped for a violation and has not restarted. *report is
 * set the first time for that instance (log that one). */
bool tsr_violation_limiter_refuses_instance(struct tsr_violation_limiter *limiter, int32_t domid,
					    bool *report);

#endif
