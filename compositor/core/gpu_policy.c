/* The GPU passthrough policy (see gpu_policy.h). Destroying a card's KMS
 * backend takes its outputs out of the server: the backend announces each
 * one (listener.removed) before it goes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/gpu_policy.h"
#include "core/server.h"
#include "handoff.h"
#include "runner.h"
#include "sysfs.h"
#include "tessera/log.h"
#include "tessera/output.h"
#include "util/programs.h"

/* A KMS backend on one card. */
struct card_backend {
	struct tsr_gpu_policy *policy;
	struct tsr_backend *backend;
	char path[TSR_PATH_MAX];
	size_t output_count; /* outputs it gave the server, for the log */
};

struct tsr_gpu_policy {
	struct tsr_server *server;
	const struct tsr_gpu_config *config;
	struct tsr_gpu_sysfs *sysfs;
	struct tsr_gpu_spawn_runner *runner;
	struct tsr_gpu_handoff *handoff;
	struct card_backend gpu, fallback;
	int focus_before; /* domain focused before the handoff, -1 none */
	char helper_path[TSR_PATH_MAX];
};

static void output_added(void *data, struct tsr_output *output)
{
	struct card_backend *card = data;
	tsr_server_add_output(card->policy->server, output);
	card->output_count++;
}

static void card_close(struct card_backend *card)
{
	if (!card->backend)
		return;
	tsr_backend_destroy(card->backend);
	card->backend = NULL;
	card->output_count = 0;
	tsr_log(TSR_LOG_INFO, "gpu: closed %s", card->path);
}

static bool card_open(struct card_backend *card, const char *path, char *err, size_t err_len)
{
	struct tsr_server *server = card->policy->server;
	struct tsr_output_config output_config = tsr_server_config(server)->output;
	output_config.backend = TSR_BACKEND_KMS;
	snprintf(output_config.device, sizeof(output_config.device), "%s", path);
	snprintf(card->path, sizeof(card->path), "%s", path);
	card->output_count = 0;
	struct tsr_backend_listener listener = {.output_added = output_added, .data = card};
	card->backend = tsr_backend_kms_create(tsr_server_loop(server), &output_config, &listener);
	if (!card->backend || !card->backend->impl->start(card->backend)) {
		snprintf(err, err_len, "cannot drive %s (see the kms log above)", path);
		card_close(card);
		return false;
	}
	tsr_log(TSR_LOG_INFO, "gpu: driving %s (%zu output%s)", path, card->output_count,
		card->output_count == 1 ? "" : "s");
	return true;
}

/* The desktop must stay visible somewhere while the GPU is away. */
static void open_fallback(struct tsr_gpu_policy *policy)
{
	if (policy->fallback.backend)
		return;
	if (!policy->config->fallback_device[0]) {
		tsr_log(TSR_LOG_WARN, "gpu: no fallback_device configured: no output while the "
				      "GPU is away");
		return;
	}
	char err[256];
	if (!card_open(&policy->fallback, policy->config->fallback_device, err, sizeof(err)))
		tsr_log(TSR_LOG_ERROR, "gpu: fallback: %s; no output while the GPU is away", err);
}

static void release_card(void *data)
{
	struct tsr_gpu_policy *policy = data;
	open_fallback(policy);
	card_close(&policy->gpu);
}

static bool reopen_card(void *data, const char *card_path, char *err, size_t err_len)
{
	struct tsr_gpu_policy *policy = data;
	if (!card_open(&policy->gpu, card_path, err, err_len))
		return false;
	card_close(&policy->fallback);
	return true;
}

static void state_changed(void *data, enum tsr_gpu_state state)
{
	struct tsr_gpu_policy *policy = data;
	struct tsr_server *server = policy->server;
	int target = tsr_config_find_domain(tsr_server_config(server), policy->config->domain);
	if (state == TSR_GPU_RELEASING) {
		policy->focus_before = tsr_server_focused(server);
	} else if (state == TSR_GPU_ASSIGNED && tsr_server_locked(server)) {
		/* The lock engaged while the GPU was on its way out: the domain
		 * must not drive a monitor behind the lock. */
		char err[256];
		if (!tsr_gpu_handoff_reclaim(policy->handoff, err, sizeof(err)))
			tsr_log(TSR_LOG_ERROR, "lock: cannot take the GPU back: %s", err);
	} else if (state == TSR_GPU_ASSIGNED && target >= 0) {
		/* The domain drives the monitor now: its keys and pointer go to
		 * it. Hotkeys never reach it; the return chord stays ours. */
		tsr_server_focus(server, target);
	} else if (state == TSR_GPU_OWNED && policy->focus_before >= 0) {
		tsr_server_focus(server, policy->focus_before);
		policy->focus_before = -1;
	}
}

struct tsr_gpu_policy *tsr_gpu_policy_create(struct tsr_server *server,
					     const struct tsr_gpu_policy_options *options,
					     char *err, size_t err_len)
{
	const struct tsr_gpu_config *config = &tsr_server_config(server)->gpu;
	if (!config->enabled) {
		snprintf(err, err_len, "gpu passthrough is not configured");
		return NULL;
	}
	struct tsr_gpu_policy *policy = calloc(1, sizeof(*policy));
	if (!policy) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	policy->server = server;
	policy->config = config;
	policy->focus_before = -1;
	policy->gpu.policy = policy->fallback.policy = policy;
	if (options && options->helper_path)
		snprintf(policy->helper_path, sizeof(policy->helper_path), "%s",
			 options->helper_path);
	else if (!tsr_program_path(TSR_PROGRAM_GPU_HELPER, policy->helper_path,
				   sizeof(policy->helper_path)))
		tsr_log(TSR_LOG_WARN,
			"gpu: %s is missing or not executable: handoffs will fail "
			"(install Tessera with meson install)",
			policy->helper_path);
	const char *helper = policy->helper_path;
	policy->sysfs = tsr_gpu_sysfs_create(options ? options->sysfs_root : NULL);
	/* The broker is forked here, before main drops root: it is the only
	 * part of tessera that keeps privileges, and it runs nothing but the
	 * configured steps. */
	struct tsr_gpu_broker_policy broker = tsr_gpu_handoff_broker_policy(config, helper);
	policy->runner = tsr_gpu_spawn_runner_create(tsr_server_loop(server), &broker);
	if (!policy->sysfs || !policy->runner) {
		snprintf(err, err_len, "cannot start the gpu step broker");
		tsr_gpu_policy_destroy(policy);
		return NULL;
	}
	tsr_log(TSR_LOG_INFO, "gpu: %s (%s) for domain %s, helper %s", config->device,
		config->drm_driver, config->domain, helper);
	return policy;
}

/* Which release steps the device's present binding amounts to. */
static uint32_t released_steps_now(struct tsr_gpu_policy *policy, const char *driver)
{
	if (strcmp(driver, policy->config->drm_driver) == 0)
		return 1u << TSR_GPU_STEP_CLOSE_CARD;
	uint32_t steps = 1u << TSR_GPU_STEP_CLOSE_CARD | 1u << TSR_GPU_STEP_UNBIND_DRM;
	if (driver[0])
		steps |= 1u << TSR_GPU_STEP_BIND_PASSTHROUGH;
	return steps;
}

bool tsr_gpu_policy_start(struct tsr_gpu_policy *policy, char *err, size_t err_len)
{
	const struct tsr_gpu_config *config = policy->config;
	char driver[64] = "", card[TSR_PATH_MAX] = "";
	if (!tsr_gpu_sysfs_driver(policy->sysfs, config->device, driver, sizeof(driver))) {
		snprintf(err, err_len, "[gpu_passthrough] device %s does not exist",
			 config->device);
		return false;
	}
	uint32_t released = 0;
	if (tsr_gpu_sysfs_find_card(policy->sysfs, config->device, card, sizeof(card)) &&
	    strcmp(driver, config->drm_driver) == 0) {
		const char *wanted = tsr_server_config(policy->server)->output.device;
		if (wanted[0] && strcmp(wanted, card) != 0)
			tsr_log(TSR_LOG_WARN,
				"gpu: [output] device %s is not the card of %s (%s); "
				"driving %s",
				wanted, config->device, card, card);
		if (!card_open(&policy->gpu, card, err, err_len))
			return false;
	} else {
		tsr_log(TSR_LOG_WARN,
			"gpu: %s is bound to '%s', not %s, or has no card: starting "
			"on the fallback; reclaim to bring it back",
			config->device, driver, config->drm_driver);
		released = released_steps_now(policy, driver);
		open_fallback(policy);
		if (!policy->fallback.backend) {
			snprintf(err, err_len,
				 "neither the GPU %s nor a fallback card can be driven",
				 config->device);
			return false;
		}
	}
	struct tsr_gpu_handoff_options options = {.config = config, .initially_released = released};
	struct tsr_gpu_step_runner runner = tsr_gpu_spawn_runner_interface(policy->runner);
	struct tsr_gpu_probe probe = tsr_gpu_sysfs_probe(policy->sysfs);
	struct tsr_gpu_compositor compositor = {
	    .release_card = release_card,
	    .reopen_card = reopen_card,
	    .state_changed = state_changed,
	    .data = policy,
	};
	policy->handoff = tsr_gpu_handoff_create(tsr_server_loop(policy->server), &options, &runner,
						 &probe, &compositor);
	if (!policy->handoff) {
		snprintf(err, err_len, "out of memory");
		return false;
	}
	return true;
}

void tsr_gpu_policy_destroy(struct tsr_gpu_policy *policy)
{
	if (!policy)
		return;
	tsr_gpu_handoff_destroy(policy->handoff);
	tsr_gpu_spawn_runner_destroy(policy->runner);
	card_close(&policy->gpu);
	card_close(&policy->fallback);
	tsr_gpu_sysfs_destroy(policy->sysfs);
	free(policy);
}

void tsr_gpu_policy_lock(void *data)
{
	struct tsr_gpu_policy *policy = data;
	char err[256];
	if (!policy->handoff)
		return;
	enum tsr_gpu_state state = tsr_gpu_handoff_state(policy->handoff);
	/* Owned or coming back: nothing to do. Releasing: state_changed takes
	 * it back the moment it is assigned. */
	if (state != TSR_GPU_ASSIGNED && state != TSR_GPU_RELEASE_FAILED &&
	    state != TSR_GPU_RECLAIM_FAILED)
		return;
	tsr_log(TSR_LOG_INFO, "lock: taking the GPU back from domain %s", policy->config->domain);
	if (!tsr_gpu_handoff_reclaim(policy->handoff, err, sizeof(err)))
		tsr_log(TSR_LOG_ERROR, "lock: cannot take the GPU back: %s", err);
}

void tsr_gpu_policy_toggle(void *data)
{
	struct tsr_gpu_policy *policy = data;
	char err[256];
	if (!policy->handoff || tsr_server_locked(policy->server))
		return;
	enum tsr_gpu_state state = tsr_gpu_handoff_state(policy->handoff);
	bool ok = state == TSR_GPU_OWNED
		      ? tsr_gpu_handoff_release(policy->handoff, err, sizeof(err))
		      : tsr_gpu_handoff_reclaim(policy->handoff, err, sizeof(err));
	if (!ok)
		tsr_log(TSR_LOG_WARN, "gpu hotkey: %s", err);
}

static void format_ms(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%.1f", (double)ns / 1e6);
}

static void reply_timings(struct tsr_gpu_policy *policy, char *reply, size_t reply_len)
{
	const struct tsr_gpu_timings *timings = tsr_gpu_handoff_timings(policy->handoff);
	size_t used = (size_t)snprintf(reply, reply_len, "ok");
	char value[32];
	for (int i = 0; i < TSR_GPU_RELEASE_STEP_COUNT && used < reply_len; i++) {
		format_ms(value, sizeof(value), timings->release_ns[i]);
		used += (size_t)snprintf(reply + used, reply_len - used, " handoff.%s_ms=%s",
					 tsr_gpu_release_step_name(i), value);
	}
	for (int i = 0; i < TSR_GPU_RECLAIM_STEP_COUNT && used < reply_len; i++) {
		format_ms(value, sizeof(value), timings->reclaim_ns[i]);
		used += (size_t)snprintf(reply + used, reply_len - used, " reclaim.%s_ms=%s",
					 tsr_gpu_reclaim_step_name(i), value);
	}
	if (used < reply_len) {
		char release[32], reclaim[32];
		format_ms(release, sizeof(release), timings->release_total_ns);
		format_ms(reclaim, sizeof(reclaim), timings->reclaim_total_ns);
		snprintf(reply + used, reply_len - used, " handoff_ms=%s reclaim_ms=%s", release,
			 reclaim);
	}
}

void tsr_gpu_policy_control(void *data, const char *argument, char *reply, size_t reply_len)
{
	struct tsr_gpu_policy *policy = data;
	char err[256];
	if (!policy->handoff) {
		snprintf(reply, reply_len, "error gpu passthrough is not running");
	} else if (strcmp(argument, "status") == 0 || argument[0] == '\0') {
		struct tsr_gpu_handoff *handoff = policy->handoff;
		snprintf(reply, reply_len,
			 "ok state=%s device=%s domain=%s step=%s failure=%s card=%s fallback=%s "
			 "outputs=%zu reason=%s",
			 tsr_gpu_state_name(tsr_gpu_handoff_state(handoff)), policy->config->device,
			 policy->config->domain, tsr_gpu_handoff_current_step(handoff),
			 tsr_gpu_failure_name(tsr_gpu_handoff_failure(handoff)),
			 policy->gpu.backend ? policy->gpu.path : "-",
			 policy->fallback.backend ? policy->fallback.path : "-",
			 tsr_server_output_count(policy->server),
			 tsr_gpu_handoff_reason(handoff)[0] ? tsr_gpu_handoff_reason(handoff)
							    : "-");
	} else if (strcmp(argument, "handoff") == 0) {
		if (tsr_gpu_handoff_release(policy->handoff, err, sizeof(err)))
			snprintf(reply, reply_len, "ok handing off");
		else
			snprintf(reply, reply_len, "error %s", err);
	} else if (strcmp(argument, "reclaim") == 0) {
		if (tsr_gpu_handoff_reclaim(policy->handoff, err, sizeof(err)))
			snprintf(reply, reply_len, "ok reclaiming");
		else
			snprintf(reply, reply_len, "error %s", err);
	} else if (strcmp(argument, "timings") == 0) {
		reply_timings(policy, reply, reply_len);
	} else {
		snprintf(reply, reply_len,
			 "error gpu needs status, handoff, reclaim or timings (not '%s')",
			 argument);
	}
}
