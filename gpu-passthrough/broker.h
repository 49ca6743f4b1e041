/* The privileged half of the GPU step runner. tessera forks the broker at
 * start-up, before it drops root and confines itself: the broker keeps
 * root, holds nothing of the compositor (every other fd closed), and runs
 * tessera-gpu-helper for one step at a time on request. It refuses any
 * step whose arguments are not among the values fixed at fork time (the
 * configured device, drivers, toolstack and domain), so a compromised
 * compositor can ask it for nothing but the configured handoff. */
#ifndef TSR_GPU_BROKER_H
#define TSR_GPU_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSR_GPU_BROKER_MAX_ARGS 6u
#define TSR_GPU_BROKER_ARG_MAX 128u
#define TSR_GPU_BROKER_MESSAGE_MAX 512u
#define TSR_GPU_BROKER_MAX_ALLOWED 8u

enum tsr_gpu_broker_op {
	TSR_GPU_BROKER_RUN = 1,
	TSR_GPU_BROKER_CANCEL = 2,
};

/* compositor -> broker (one SOCK_SEQPACKET message each) */
struct tsr_gpu_broker_request {
	uint32_t op;
	uint32_t serial;
	uint64_t timeout_ns;
	uint32_t arg_count;
	char args[TSR_GPU_BROKER_MAX_ARGS][TSR_GPU_BROKER_ARG_MAX];
};

/* broker -> compositor: exactly one per RUN, with its serial */
struct tsr_gpu_broker_reply {
	uint32_t serial;
	uint32_t result; /* enum tsr_gpu_step_result */
	char message[TSR_GPU_BROKER_MESSAGE_MAX];
};

/* What the broker accepts: the helper to run and the only values its
 * arguments may take. */
struct tsr_gpu_broker_policy {
	const char *helper_path;
	const char *allowed[TSR_GPU_BROKER_MAX_ALLOWED];
	size_t allowed_count;
};

/* Whether a request may run under policy; why says what was refused.
 * Pure, for the broker and its tests. */
bool tsr_gpu_broker_request_allowed(const struct tsr_gpu_broker_policy *policy,
				    const struct tsr_gpu_broker_request *request, char *why,
				    size_t why_len);

/* Forks the broker. Returns its end of the socket (close it to end the
 * broker) and its pid, or -1 with errno. */
int tsr_gpu_broker_fork(const struct tsr_gpu_broker_policy *policy, int *pid_out);

#endif
