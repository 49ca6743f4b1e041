/* GPU passthrough handoff: an explicit state machine that gives a PCI GPU
 * to a domain and takes it back, one step at a time, each step with its own
 * timeout (the watchdog) and a log line with its duration.
 *
 *   owned ──handoff──▶ releasing ──▶ assigned ──reclaim──▶ reclaiming ──▶ owned
 *                          │                                   │
 *                          ▼                                   ▼
 *                    release_failed ───────reclaim──────▶ reclaim_failed ─reclaim (retry)─▶ …
 *
 * The machine never blocks: privileged steps run in tessera-gpu-helper
 * through a step runner (runner.c spawns it; tests give a fake), and the
 * card wait polls on a timer. The compositor is reached through callbacks:
 * release_card closes every fd it has on the card, reopen_card drives the
 * card again. A failed step leaves a reason; reclaim retries from where the
 * failure left the device (steps that never ran are not undone). */
#ifndef TSR_GPU_HANDOFF_H
#define TSR_GPU_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker.h"
#include "tessera/config.h"

struct tsr_event_loop;
struct tsr_gpu_handoff;

enum tsr_gpu_state {
	TSR_GPU_OWNED,
	TSR_GPU_RELEASING,
	TSR_GPU_ASSIGNED,
	TSR_GPU_RECLAIMING,
	TSR_GPU_RELEASE_FAILED,
	TSR_GPU_RECLAIM_FAILED,
};

enum tsr_gpu_failure {
	TSR_GPU_FAILURE_NONE,
	TSR_GPU_FAILURE_STEP,	      /* a step reported an error */
	TSR_GPU_FAILURE_TIMEOUT,      /* a step did not finish in time (watchdog) */
	TSR_GPU_FAILURE_CARD_MISSING, /* the card node did not come back in time */
	TSR_GPU_FAILURE_BUSY,	      /* an fd or mapping of ours still points at the card */
};

/* Release steps, in order; reclaim undoes them in reverse. */
enum tsr_gpu_release_step {
	TSR_GPU_STEP_CLOSE_CARD,       /* compositor closes every fd, then verified */
	TSR_GPU_STEP_UNBIND_CONSOLES,  /* vtconsole / efifb, where present */
	TSR_GPU_STEP_UNBIND_DRM,       /* DRM driver off the PCI device */
	TSR_GPU_STEP_BIND_PASSTHROUGH, /* pci-stub / vfio-pci / xen-pciback */
	TSR_GPU_STEP_ATTACH,	       /* toolstack: xl pci-attach */
	TSR_GPU_RELEASE_STEP_COUNT,
};

enum tsr_gpu_reclaim_step {
	TSR_GPU_STEP_DETACH,		 /* undoes ATTACH */
	TSR_GPU_STEP_UNBIND_PASSTHROUGH, /* undoes BIND_PASSTHROUGH */
	TSR_GPU_STEP_BIND_DRM,		 /* undoes UNBIND_DRM (with WAIT_CARD) */
	TSR_GPU_STEP_WAIT_CARD,		 /* the card node of the device is back */
	TSR_GPU_STEP_REOPEN,		 /* undoes CLOSE_CARD: compositor drives it again */
	TSR_GPU_RECLAIM_STEP_COUNT,
};

/* How a step ended, reported by the runner or by the machine itself. */
enum tsr_gpu_step_result {
	TSR_GPU_STEP_OK,
	TSR_GPU_STEP_FAILED,
	TSR_GPU_STEP_TIMED_OUT,
};

/* Runs privileged steps. start() begins one run of the helper with args
 * (args[0] is the helper's subcommand) and must later call
 * tsr_gpu_handoff_step_done exactly once, from the event loop (never from
 * inside start), unless cancel() is called first. The runner enforces
 * timeout_ns itself (killing the helper) and reports TIMED_OUT. */
struct tsr_gpu_step_runner {
	bool (*start)(void *data, struct tsr_gpu_handoff *handoff, const char *const *args,
		      size_t arg_count, uint64_t timeout_ns);
	void (*cancel)(void *data);
	void *data;
};

/* The machine's view of the system: sysfs and /proc lookups (sysfs.c
 * provides the real ones; tests give fakes). */
struct tsr_gpu_probe {
	/* Writes the /dev/dri/cardN path of the device's card, false if it
	 * has none (driver unbound, or the node is not there yet). */
	bool (*find_card)(void *data, const char *bdf, char *path, size_t path_len);
	/* How many fds or mappings of this process still point at a DRM node
	 * of the device (nodes remembered when the handoff started); < 0 when
	 * it cannot tell. why gets what was found. */
	int (*count_card_users)(void *data, const char *bdf, char *why, size_t why_len);
	/* Remembers the device's DRM nodes before it goes (for count_card_users). */
	void (*remember_card_nodes)(void *data, const char *bdf);
	void *data;
};

/* The compositor's side. */
struct tsr_gpu_compositor {
	/* Stop scanning out and close every fd on the card (destroy the
	 * backend driving it, moving the scene to the fallback). */
	void (*release_card)(void *data);
	/* Drive card_path again; false (with err) if it cannot. */
	bool (*reopen_card)(void *data, const char *card_path, char *err, size_t err_len);
	/* The state changed (after the transition); for focus and status. */
	void (*state_changed)(void *data, enum tsr_gpu_state state);
	void *data;
};

struct tsr_gpu_handoff_options {
	const struct tsr_gpu_config *config; /* must outlive the handoff */
	/* Which release steps are already done when the machine starts (bit
	 * per enum tsr_gpu_release_step); 0 = the GPU is owned. Non-zero starts
	 * in reclaim_failed so a reclaim can bring the device back. */
	uint32_t initially_released;
	uint64_t card_poll_ns; /* how often WAIT_CARD looks; 0: 50 ms */
};

struct tsr_gpu_handoff *tsr_gpu_handoff_create(struct tsr_event_loop *loop,
					       const struct tsr_gpu_handoff_options *options,
					       const struct tsr_gpu_step_runner *runner,
					       const struct tsr_gpu_probe *probe,
					       const struct tsr_gpu_compositor *compositor);
/* Cancels a step in flight (the runner kills the helper). Accepts NULL. */
void tsr_gpu_handoff_destroy(struct tsr_gpu_handoff *handoff);

/* Starts a handoff (only from owned). False with err when not allowed now. */
bool tsr_gpu_handoff_release(struct tsr_gpu_handoff *handoff, char *err, size_t err_len);
/* Starts a reclaim (from assigned, release_failed or reclaim_failed). */
bool tsr_gpu_handoff_reclaim(struct tsr_gpu_handoff *handoff, char *err, size_t err_len);

/* The runner's completion. message: what the helper said (may be NULL). */
void tsr_gpu_handoff_step_done(struct tsr_gpu_handoff *handoff, enum tsr_gpu_step_result result,
			       const char *message);

enum tsr_gpu_state tsr_gpu_handoff_state(const struct tsr_gpu_handoff *handoff);
enum tsr_gpu_failure tsr_gpu_handoff_failure(const struct tsr_gpu_handoff *handoff);
/* Why the last failure happened ("" when none). */
const char *tsr_gpu_handoff_reason(const struct tsr_gpu_handoff *handoff);
/* The step running now, or the one that failed: "unbind_drm", ... ("-" if none). */
const char *tsr_gpu_handoff_current_step(const struct tsr_gpu_handoff *handoff);
/* Bit mask of release steps done and not yet undone. */
uint32_t tsr_gpu_handoff_released_steps(const struct tsr_gpu_handoff *handoff);

/* Durations of the last run of each step and of the last whole handoff /
 * reclaim, in ns (0: did not run). For the benchmark and status. */
struct tsr_gpu_timings {
	uint64_t release_ns[TSR_GPU_RELEASE_STEP_COUNT];
	uint64_t reclaim_ns[TSR_GPU_RECLAIM_STEP_COUNT];
	uint64_t release_total_ns, reclaim_total_ns;
};
const struct tsr_gpu_timings *tsr_gpu_handoff_timings(const struct tsr_gpu_handoff *handoff);

const char *tsr_gpu_state_name(enum tsr_gpu_state state);
const char *tsr_gpu_failure_name(enum tsr_gpu_failure failure);
const char *tsr_gpu_release_step_name(enum tsr_gpu_release_step step);
const char *tsr_gpu_reclaim_step_name(enum tsr_gpu_reclaim_step step);

/* What the privileged broker may run for this configuration: the helper
 * with no argument values but the ones the handoff's steps pass. */
struct tsr_gpu_broker_policy tsr_gpu_handoff_broker_policy(const struct tsr_gpu_config *config,
							   const char *helper_path);

#endif
