/* The step runner the handoff uses: it asks the broker (broker.h), a root
 * process forked before the compositor dropped its privileges, to run
 * tessera-gpu-helper for each step, and hears back without blocking the
 * event loop. The broker kills a helper whose step timeout passes; the
 * helper's last line becomes the step's message. */
#ifndef TSR_GPU_RUNNER_H
#define TSR_GPU_RUNNER_H

#include "broker.h"
#include "handoff.h"

struct tsr_event_loop;
struct tsr_gpu_spawn_runner;

/* Forks the broker with policy (helper_path absolute; allowed: the
 * configured device, drivers, toolstack and domain). Call before dropping
 * privileges; the broker keeps the privileges the caller had. */
struct tsr_gpu_spawn_runner *
tsr_gpu_spawn_runner_create(struct tsr_event_loop *loop,
			    const struct tsr_gpu_broker_policy *policy);
/* Ends the broker (which kills a helper still running) and reaps it.
 * Accepts NULL. */
void tsr_gpu_spawn_runner_destroy(struct tsr_gpu_spawn_runner *runner);

struct tsr_gpu_step_runner tsr_gpu_spawn_runner_interface(struct tsr_gpu_spawn_runner *runner);

#endif
