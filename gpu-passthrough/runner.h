/* The real step runner: runs tessera-gpu-helper with posix_spawn (explicit
 * argv, empty environment, no shell) and waits for it without blocking the
 * event loop: a pidfd tells when it exits, a timer kills it when its step
 * timeout passes. The helper's output (first line kept) becomes the step's
 * message. */
#ifndef TSR_GPU_RUNNER_H
#define TSR_GPU_RUNNER_H

#include "handoff.h"

struct tsr_event_loop;
struct tsr_gpu_spawn_runner;

/* helper_path: the program to run (absolute). */
struct tsr_gpu_spawn_runner *tsr_gpu_spawn_runner_create(struct tsr_event_loop *loop,
							 const char *helper_path);
/* Kills and reaps a helper still running. Accepts NULL. */
void tsr_gpu_spawn_runner_destroy(struct tsr_gpu_spawn_runner *runner);

struct tsr_gpu_step_runner tsr_gpu_spawn_runner_interface(struct tsr_gpu_spawn_runner *runner);

#endif
