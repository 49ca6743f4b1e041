/* GPU passthrough policy: the glue between the handoff state machine
 * (gpu-passthrough/) and the server. When [gpu_passthrough] is configured it
 * owns the KMS backends: one on the GPU's card, and one on the fallback card
 * while the GPU is away. It moves keyboard and pointer focus to the target
 * domain while that domain has the GPU and back afterwards; the secure
 * hotkey stays with dom0 (the seat never forwards hotkey chords). */
#ifndef TSR_CORE_GPU_POLICY_H
#define TSR_CORE_GPU_POLICY_H

#include <stdbool.h>
#include <stddef.h>

struct tsr_server;
struct tsr_gpu_policy;

struct tsr_gpu_policy_options {
	/* tessera-gpu-helper; NULL: the installed one (libexecdir), or with
	 * -Dtest_hooks=true the build tree's first (util/programs.h). */
	const char *helper_path;
	/* "/sys" when NULL (tests point it elsewhere). */
	const char *sysfs_root;
};

/* [gpu_passthrough] (tsr_server_config) must be enabled and the output backend kms. Nothing
 * is opened until tsr_gpu_policy_start. */
struct tsr_gpu_policy *tsr_gpu_policy_create(struct tsr_server *server,
					     const struct tsr_gpu_policy_options *options,
					     char *err, size_t err_len);
/* Drives the GPU's card, or the fallback card if the GPU is not bound to
 * its DRM driver (then a reclaim can bring it back). Use instead of
 * creating an output backend in main. */
bool tsr_gpu_policy_start(struct tsr_gpu_policy *policy, char *err, size_t err_len);
/* Destroys the backends it owns (their outputs leave the server first). */
void tsr_gpu_policy_destroy(struct tsr_gpu_policy *policy);

/* The secure hotkey (struct tsr_server_gpu_hooks handoff, data = policy): hands the
 * GPU off when owned, reclaims it when assigned or after a failure. */
void tsr_gpu_policy_toggle(void *policy);

/* The lock engaged (struct tsr_server_gpu_hooks lock): a domain that has the GPU,
 * or is getting it, loses it; Tessera reclaims it and shows the lock on
 * its card. The hotkey and `gpu handoff` are refused while locked. */
void tsr_gpu_policy_lock(void *policy);

/* Control commands (struct tsr_server_gpu_hooks command, data = policy): "status",
 * "handoff", "reclaim", "timings". Writes one reply line ("ok ..." or
 * "error ..."). */
void tsr_gpu_policy_control(void *policy, const char *argument, char *reply, size_t reply_len);

#endif
