/* The GPU handoff state machine: transitions, reverse order on reclaim,
 * resuming after failures, the watchdog and the card wait, with a fake step
 * runner and fake sysfs; then the real runner with a fake helper program
 * (success, failure message, a hung helper killed by the timeout). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "handoff.h"
#include "runner.h"
#include "tessera/config.h"
#include "tessera/event_loop.h"
#include "test.h"

#define MAX_CALLS 32

struct fake {
	struct tsr_event_loop *loop;
	struct tsr_gpu_config config;
	struct tsr_gpu_handoff *handoff;
	/* runner */
	char calls[MAX_CALLS][128];
	size_t call_count;
	bool pending;
	bool cancelled;
	/* probe */
	bool card_present;
	int users;
	int remembered;
	/* compositor */
	int released, reopened;
	bool reopen_fails;
	enum tsr_gpu_state states[64];
	size_t state_count;
};

static bool fake_start(void *data, struct tsr_gpu_handoff *handoff, const char *const *args,
		       size_t count, uint64_t timeout_ns)
{
	struct fake *fake = data;
	CHECK(!fake->pending);
	CHECK(timeout_ns == (uint64_t)fake->config.step_timeout_s * 1000000000ull);
	char *call = fake->calls[fake->call_count < MAX_CALLS ? fake->call_count++ : 0];
	call[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		strncat(call, args[i], 127 - strlen(call));
		if (i + 1 < count)
			strncat(call, " ", 127 - strlen(call));
	}
	fake->pending = true;
	return true;
}

static void fake_cancel(void *data)
{
	struct fake *fake = data;
	fake->pending = false;
	fake->cancelled = true;
}

static bool fake_find_card(void *data, const char *bdf, char *path, size_t len)
{
	struct fake *fake = data;
	if (fake->card_present)
		snprintf(path, len, "/dev/dri/card7");
	return fake->card_present;
}

static int fake_users(void *data, const char *bdf, char *why, size_t len)
{
	struct fake *fake = data;
	snprintf(why, len, "%s", fake->users ? "fd 9 on card7" : "");
	return fake->users;
}

static void fake_remember(void *data, const char *bdf)
{
	((struct fake *)data)->remembered++;
}

static void fake_release_card(void *data)
{
	struct fake *fake = data;
	fake->released++;
	fake->card_present = false; /* the driver unbind removes it; close enough */
}

static bool fake_reopen(void *data, const char *path, char *err, size_t len)
{
	struct fake *fake = data;
	CHECK(strcmp(path, "/dev/dri/card7") == 0);
	if (fake->reopen_fails) {
		snprintf(err, len, "no connector");
		return false;
	}
	fake->reopened++;
	return true;
}

static void fake_state(void *data, enum tsr_gpu_state state)
{
	struct fake *fake = data;
	if (fake->state_count < 64)
		fake->states[fake->state_count++] = state;
}

static void fake_init(struct fake *fake, enum tsr_gpu_toolstack toolstack, uint32_t released)
{
	memset(fake, 0, sizeof(*fake));
	fake->loop = tsr_event_loop_create();
	fake->config = (struct tsr_gpu_config){
	    .enabled = true,
	    .device = "0000:00:02.0",
	    .domain = "cad",
	    .drm_driver = "bochs-drm",
	    .passthrough_driver = toolstack == TSR_GPU_TOOLSTACK_XL ? TSR_GPU_DRIVER_XEN_PCIBACK
								    : TSR_GPU_DRIVER_PCI_STUB,
	    .toolstack = toolstack,
	    .step_timeout_s = 1,
	    .card_timeout_s = 1,
	};
	fake->card_present = released == 0;
	struct tsr_gpu_handoff_options options = {
	    .config = &fake->config,
	    .initially_released = released,
	    .card_poll_ns = 10000000,
	};
	struct tsr_gpu_step_runner runner = {fake_start, fake_cancel, fake};
	struct tsr_gpu_probe probe = {fake_find_card, fake_users, fake_remember, fake};
	struct tsr_gpu_compositor compositor = {fake_release_card, fake_reopen, fake_state, fake};
	fake->handoff = tsr_gpu_handoff_create(fake->loop, &options, &runner, &probe, &compositor);
	CHECK(fake->handoff != NULL);
}

static void fake_fini(struct fake *fake)
{
	tsr_gpu_handoff_destroy(fake->handoff);
	tsr_event_loop_destroy(fake->loop);
}

/* Runs the loop until the machine waits on the runner or settles. */
static void settle(struct fake *fake, int max_ms)
{
	uint64_t deadline = tsr_now_ns() + (uint64_t)max_ms * 1000000ull;
	while (tsr_now_ns() < deadline) {
		enum tsr_gpu_state state = tsr_gpu_handoff_state(fake->handoff);
		if (fake->pending)
			return;
		if (state != TSR_GPU_RELEASING && state != TSR_GPU_RECLAIMING)
			return;
		tsr_event_loop_dispatch(fake->loop, 10);
	}
}

/* Completes the pending helper call and runs on. */
static void finish(struct fake *fake, enum tsr_gpu_step_result result, const char *message)
{
	CHECK(fake->pending);
	fake->pending = false;
	tsr_gpu_handoff_step_done(fake->handoff, result, message);
	settle(fake, 5000);
}

static const char *last_call(const struct fake *fake)
{
	return fake->call_count ? fake->calls[fake->call_count - 1] : "";
}

static void test_round_trip(void)
{
	struct fake fake;
	fake_init(&fake, TSR_GPU_TOOLSTACK_NONE, 0);
	char err[256];
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_OWNED);
	CHECK(!tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	CHECK(strstr(err, "owned") != NULL);

	CHECK(tsr_gpu_handoff_release(fake.handoff, err, sizeof(err)));
	CHECK(!tsr_gpu_handoff_release(fake.handoff, err, sizeof(err))); /* busy */
	settle(&fake, 1000);
	/* The card was closed and checked before any privileged step. */
	CHECK_EQ_INT(fake.released, 1);
	CHECK_EQ_INT(fake.remembered, 1);
	CHECK(strcmp(last_call(&fake), "unbind-consoles") == 0);
	finish(&fake, TSR_GPU_STEP_OK, "0 consoles");
	CHECK(strcmp(last_call(&fake), "unbind-driver 0000:00:02.0 bochs-drm") == 0);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK(strcmp(last_call(&fake), "bind-passthrough 0000:00:02.0 pci-stub none") == 0);
	finish(&fake, TSR_GPU_STEP_OK, "bound");
	/* toolstack none: no attach call. */
	CHECK_EQ_INT(fake.call_count, 3);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_ASSIGNED);
	CHECK_EQ_INT(tsr_gpu_handoff_released_steps(fake.handoff), 0x1f);

	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	CHECK(strcmp(last_call(&fake), "unbind-passthrough 0000:00:02.0 pci-stub none") == 0);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK(strcmp(last_call(&fake), "bind-driver 0000:00:02.0 bochs-drm") == 0);
	fake.card_present = true;
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_OWNED);
	CHECK_EQ_INT(fake.reopened, 1);
	CHECK_EQ_INT(tsr_gpu_handoff_released_steps(fake.handoff), 0);
	CHECK_EQ_INT(tsr_gpu_handoff_failure(fake.handoff), TSR_GPU_FAILURE_NONE);

	enum tsr_gpu_state expected[] = {TSR_GPU_RELEASING, TSR_GPU_ASSIGNED, TSR_GPU_RECLAIMING,
					 TSR_GPU_OWNED};
	CHECK_EQ_INT(fake.state_count, 4);
	for (size_t i = 0; i < 4 && i < fake.state_count; i++)
		CHECK_EQ_INT(fake.states[i], expected[i]);
	const struct tsr_gpu_timings *timings = tsr_gpu_handoff_timings(fake.handoff);
	CHECK(timings->release_total_ns > 0);
	CHECK(timings->reclaim_total_ns > 0);
	CHECK(timings->release_ns[TSR_GPU_STEP_UNBIND_DRM] > 0);
	CHECK(timings->reclaim_ns[TSR_GPU_STEP_REOPEN] > 0);
	fake_fini(&fake);
}

static void test_xl_attach_and_detach(void)
{
	struct fake fake;
	fake_init(&fake, TSR_GPU_TOOLSTACK_XL, 0);
	char err[256];
	CHECK(tsr_gpu_handoff_release(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK(strcmp(last_call(&fake), "bind-passthrough 0000:00:02.0 pciback xl") == 0);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK(strcmp(last_call(&fake), "attach 0000:00:02.0 cad") == 0);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_ASSIGNED);
	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	CHECK(strcmp(last_call(&fake), "detach 0000:00:02.0 cad") == 0);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK(strcmp(last_call(&fake), "unbind-passthrough 0000:00:02.0 pciback xl") == 0);
	fake_fini(&fake);
}

/* A handoff that fails half-way is undone only as far as it got. */
static void test_release_failure_then_reclaim(void)
{
	struct fake fake;
	fake_init(&fake, TSR_GPU_TOOLSTACK_XL, 0);
	char err[256];
	CHECK(tsr_gpu_handoff_release(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	finish(&fake, TSR_GPU_STEP_FAILED, "xl pci-assignable-add failed (status 1)");
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_RELEASE_FAILED);
	CHECK_EQ_INT(tsr_gpu_handoff_failure(fake.handoff), TSR_GPU_FAILURE_STEP);
	CHECK(strstr(tsr_gpu_handoff_reason(fake.handoff), "pci-assignable-add") != NULL);
	CHECK(strcmp(tsr_gpu_handoff_current_step(fake.handoff), "bind_passthrough") == 0);
	CHECK(!tsr_gpu_handoff_release(fake.handoff, err, sizeof(err)));

	size_t before = fake.call_count;
	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	/* No detach, no unbind-passthrough: those never happened. */
	CHECK_EQ_INT(fake.call_count, before + 1);
	CHECK(strcmp(last_call(&fake), "bind-driver 0000:00:02.0 bochs-drm") == 0);
	fake.card_present = true;
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_OWNED);
	CHECK_EQ_INT(fake.reopened, 1);
	fake_fini(&fake);
}

static void test_card_busy_stops_before_unbind(void)
{
	struct fake fake;
	fake_init(&fake, TSR_GPU_TOOLSTACK_NONE, 0);
	fake.users = 1;
	char err[256];
	CHECK(tsr_gpu_handoff_release(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_RELEASE_FAILED);
	CHECK_EQ_INT(tsr_gpu_handoff_failure(fake.handoff), TSR_GPU_FAILURE_BUSY);
	CHECK(strstr(tsr_gpu_handoff_reason(fake.handoff), "fd 9 on card7") != NULL);
	CHECK_EQ_INT(fake.call_count, 0);
	/* Reclaim just drives the card again. */
	fake.card_present = true;
	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	CHECK_EQ_INT(fake.call_count, 0);
	CHECK_EQ_INT(fake.reopened, 1);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_OWNED);
	fake_fini(&fake);
}

static void go_assigned(struct fake *fake)
{
	char err[256];
	CHECK(tsr_gpu_handoff_release(fake->handoff, err, sizeof(err)));
	settle(fake, 1000);
	while (fake->pending)
		finish(fake, TSR_GPU_STEP_OK, NULL);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake->handoff), TSR_GPU_ASSIGNED);
}

/* The card does not come back: card_missing after card_timeout; a retry
 * resumes with the wait and does not rebind again. */
static void test_card_missing_then_retry(void)
{
	struct fake fake;
	fake_init(&fake, TSR_GPU_TOOLSTACK_NONE, 0);
	go_assigned(&fake);
	char err[256];
	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	finish(&fake, TSR_GPU_STEP_OK, NULL); /* unbind-passthrough */
	finish(&fake, TSR_GPU_STEP_OK, NULL); /* bind-driver; the card stays away */
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_RECLAIM_FAILED);
	CHECK_EQ_INT(tsr_gpu_handoff_failure(fake.handoff), TSR_GPU_FAILURE_CARD_MISSING);
	CHECK(strcmp(tsr_gpu_handoff_current_step(fake.handoff), "wait_card") == 0);
	CHECK(strstr(tsr_gpu_handoff_reason(fake.handoff), "no card node") != NULL);
	CHECK_EQ_INT(fake.reopened, 0);

	size_t before = fake.call_count;
	fake.card_present = true;
	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	CHECK_EQ_INT(fake.call_count, before + 1); /* bind-driver again (idempotent) */
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_OWNED);
	CHECK_EQ_INT(fake.reopened, 1);
	fake_fini(&fake);
}

static void test_step_timeout_then_retry(void)
{
	struct fake fake;
	fake_init(&fake, TSR_GPU_TOOLSTACK_NONE, 0);
	go_assigned(&fake);
	char err[256];
	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	finish(&fake, TSR_GPU_STEP_TIMED_OUT, "hanging in unbind-passthrough");
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_RECLAIM_FAILED);
	CHECK_EQ_INT(tsr_gpu_handoff_failure(fake.handoff), TSR_GPU_FAILURE_TIMEOUT);
	CHECK(strstr(tsr_gpu_handoff_reason(fake.handoff), "no answer within 1 s") != NULL);
	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	CHECK(strcmp(last_call(&fake), "unbind-passthrough 0000:00:02.0 pci-stub none") == 0);
	fake_fini(&fake);
}

/* A runner that never reports cannot leave the machine stuck. */
static void test_watchdog(void)
{
	struct fake fake;
	fake_init(&fake, TSR_GPU_TOOLSTACK_NONE, 0);
	char err[256];
	CHECK(tsr_gpu_handoff_release(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	CHECK(fake.pending);
	uint64_t deadline = tsr_now_ns() + 10ull * 1000000000ull;
	while (tsr_gpu_handoff_state(fake.handoff) == TSR_GPU_RELEASING && tsr_now_ns() < deadline)
		tsr_event_loop_dispatch(fake.loop, 100);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_RELEASE_FAILED);
	CHECK_EQ_INT(tsr_gpu_handoff_failure(fake.handoff), TSR_GPU_FAILURE_TIMEOUT);
	CHECK(fake.cancelled);
	/* A late report is ignored. */
	tsr_gpu_handoff_step_done(fake.handoff, TSR_GPU_STEP_OK, NULL);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_RELEASE_FAILED);
	fake_fini(&fake);
}

static void test_reopen_failure(void)
{
	struct fake fake;
	fake_init(&fake, TSR_GPU_TOOLSTACK_NONE, 0);
	go_assigned(&fake);
	char err[256];
	fake.reopen_fails = true;
	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	fake.card_present = true;
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_RECLAIM_FAILED);
	CHECK(strstr(tsr_gpu_handoff_reason(fake.handoff), "no connector") != NULL);
	size_t before = fake.call_count;
	fake.reopen_fails = false;
	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	CHECK_EQ_INT(fake.call_count, before); /* only the reopen is retried */
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_OWNED);
	fake_fini(&fake);
}

/* Started with the device parked on pci-stub (e.g. after a crash). */
static void test_start_released(void)
{
	struct fake fake;
	uint32_t released = 1u << TSR_GPU_STEP_CLOSE_CARD | 1u << TSR_GPU_STEP_UNBIND_DRM |
			    1u << TSR_GPU_STEP_BIND_PASSTHROUGH;
	fake_init(&fake, TSR_GPU_TOOLSTACK_NONE, released);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_RECLAIM_FAILED);
	char err[256];
	CHECK(!tsr_gpu_handoff_release(fake.handoff, err, sizeof(err)));
	CHECK(tsr_gpu_handoff_reclaim(fake.handoff, err, sizeof(err)));
	settle(&fake, 1000);
	CHECK(strcmp(last_call(&fake), "unbind-passthrough 0000:00:02.0 pci-stub none") == 0);
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	fake.card_present = true;
	finish(&fake, TSR_GPU_STEP_OK, NULL);
	CHECK_EQ_INT(tsr_gpu_handoff_state(fake.handoff), TSR_GPU_OWNED);
	fake_fini(&fake);
}

/* ---- the real runner, with fake-gpu-helper ---- */

static void no_release(void *data)
{
}

static bool no_reopen(void *data, const char *path, char *err, size_t len)
{
	return true;
}

static int no_users(void *data, const char *bdf, char *why, size_t len)
{
	return 0;
}

static bool always_card(void *data, const char *bdf, char *path, size_t len)
{
	snprintf(path, len, "/dev/dri/card7");
	return true;
}

/* Runs a handoff with drm_driver = driver (an argument the fake helper
 * reacts to) and returns the final state. */
static enum tsr_gpu_state run_real(const char *driver, char *reason, size_t reason_len)
{
	struct tsr_event_loop *loop = tsr_event_loop_create();
	struct tsr_gpu_config config = {
	    .enabled = true,
	    .device = "0000:00:02.0",
	    .domain = "cad",
	    .step_timeout_s = 1,
	    .card_timeout_s = 1,
	};
	snprintf(config.drm_driver, sizeof(config.drm_driver), "%s", driver);
	struct tsr_gpu_broker_policy broker = tsr_gpu_handoff_broker_policy(&config, FAKE_HELPER);
	struct tsr_gpu_spawn_runner *spawn = tsr_gpu_spawn_runner_create(loop, &broker);
	struct tsr_gpu_step_runner runner = tsr_gpu_spawn_runner_interface(spawn);
	struct tsr_gpu_probe probe = {always_card, no_users, NULL, NULL};
	struct tsr_gpu_compositor compositor = {no_release, no_reopen, NULL, NULL};
	struct tsr_gpu_handoff_options options = {.config = &config};
	struct tsr_gpu_handoff *handoff =
	    tsr_gpu_handoff_create(loop, &options, &runner, &probe, &compositor);
	char err[256];
	CHECK(tsr_gpu_handoff_release(handoff, err, sizeof(err)));
	uint64_t deadline = tsr_now_ns() + 20ull * 1000000000ull;
	while (tsr_gpu_handoff_state(handoff) == TSR_GPU_RELEASING && tsr_now_ns() < deadline)
		tsr_event_loop_dispatch(loop, 100);
	enum tsr_gpu_state state = tsr_gpu_handoff_state(handoff);
	snprintf(reason, reason_len, "%s", tsr_gpu_handoff_reason(handoff));
	tsr_gpu_handoff_destroy(handoff);
	tsr_gpu_spawn_runner_destroy(spawn);
	tsr_event_loop_destroy(loop);
	return state;
}

static void test_real_runner(void)
{
	char reason[512];
	CHECK_EQ_INT(run_real("ok", reason, sizeof(reason)), TSR_GPU_ASSIGNED);
	/* A flood of output neither blocks the helper nor the loop. */
	CHECK_EQ_INT(run_real("noisy", reason, sizeof(reason)), TSR_GPU_ASSIGNED);

	CHECK_EQ_INT(run_real("fail", reason, sizeof(reason)), TSR_GPU_RELEASE_FAILED);
	CHECK(strcmp(reason, "fake failure of unbind-driver") == 0);

	/* The reason is the helper's last line, however much came before. */
	CHECK_EQ_INT(run_real("noisy-fail", reason, sizeof(reason)), TSR_GPU_RELEASE_FAILED);
	CHECK(strcmp(reason, "the real reason") == 0);

	CHECK_EQ_INT(run_real("hang", reason, sizeof(reason)), TSR_GPU_RELEASE_FAILED);
	CHECK(strstr(reason, "no answer within 1 s") != NULL);
	CHECK(strstr(reason, "hanging in unbind-driver") != NULL);
	/* The killed helper was reaped: no child is left. */
	errno = 0;
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

/* The broker runs nothing but the configured steps: a compromised
 * compositor cannot make it touch another device or run another step. */
static void test_broker_policy(void)
{
	struct tsr_gpu_config config = {
	    .enabled = true,
	    .device = "0000:00:02.0",
	    .domain = "cad",
	    .drm_driver = "i915",
	    .step_timeout_s = 5,
	    .card_timeout_s = 1,
	};
	struct tsr_gpu_broker_policy policy = tsr_gpu_handoff_broker_policy(&config, FAKE_HELPER);
	char why[128];
	struct tsr_gpu_broker_request request = {.op = TSR_GPU_BROKER_RUN, .arg_count = 3};
	snprintf(request.args[0], sizeof(request.args[0]), "unbind-driver");
	snprintf(request.args[1], sizeof(request.args[1]), "0000:00:02.0");
	snprintf(request.args[2], sizeof(request.args[2]), "i915");
	CHECK(tsr_gpu_broker_request_allowed(&policy, &request, why, sizeof(why)));
	snprintf(request.args[1], sizeof(request.args[1]), "0000:00:03.0");
	CHECK(!tsr_gpu_broker_request_allowed(&policy, &request, why, sizeof(why)));
	CHECK(strstr(why, "not configured") != NULL);
	snprintf(request.args[1], sizeof(request.args[1]), "0000:00:02.0");
	snprintf(request.args[0], sizeof(request.args[0]), "rm");
	CHECK(!tsr_gpu_broker_request_allowed(&policy, &request, why, sizeof(why)));
	snprintf(request.args[0], sizeof(request.args[0]), "unbind-driver");
	memset(request.args[2], 'x', sizeof(request.args[2])); /* unterminated */
	CHECK(!tsr_gpu_broker_request_allowed(&policy, &request, why, sizeof(why)));
	request.arg_count = 0;
	CHECK(!tsr_gpu_broker_request_allowed(&policy, &request, why, sizeof(why)));
	request.arg_count = TSR_GPU_BROKER_MAX_ARGS + 1;
	CHECK(!tsr_gpu_broker_request_allowed(&policy, &request, why, sizeof(why)));

	/* Through the real broker: a refused step fails with the reason and
	 * the helper never runs. */
	struct tsr_event_loop *loop = tsr_event_loop_create();
	struct tsr_gpu_spawn_runner *spawn = tsr_gpu_spawn_runner_create(loop, &policy);
	CHECK(spawn != NULL);
	struct tsr_gpu_step_runner runner = tsr_gpu_spawn_runner_interface(spawn);
	struct tsr_gpu_probe probe = {always_card, no_users, NULL, NULL};
	struct tsr_gpu_compositor compositor = {no_release, no_reopen, NULL, NULL};
	struct tsr_gpu_config other = config;
	snprintf(other.device, sizeof(other.device), "0000:00:09.0");
	struct tsr_gpu_handoff_options options = {.config = &other};
	struct tsr_gpu_handoff *handoff =
	    tsr_gpu_handoff_create(loop, &options, &runner, &probe, &compositor);
	char err[256];
	CHECK(tsr_gpu_handoff_release(handoff, err, sizeof(err)));
	uint64_t deadline = tsr_now_ns() + 20ull * 1000000000ull;
	while (tsr_gpu_handoff_state(handoff) == TSR_GPU_RELEASING && tsr_now_ns() < deadline)
		tsr_event_loop_dispatch(loop, 100);
	CHECK_EQ_INT(tsr_gpu_handoff_state(handoff), TSR_GPU_RELEASE_FAILED);
	CHECK(strstr(tsr_gpu_handoff_reason(handoff), "refused") != NULL);
	tsr_gpu_handoff_destroy(handoff);
	tsr_gpu_spawn_runner_destroy(spawn);
	tsr_event_loop_destroy(loop);
	errno = 0;
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

TSR_TEST_MAIN(TSR_CASE(test_round_trip), TSR_CASE(test_broker_policy),
	      TSR_CASE(test_xl_attach_and_detach), TSR_CASE(test_release_failure_then_reclaim),
	      TSR_CASE(test_card_busy_stops_before_unbind), TSR_CASE(test_card_missing_then_retry),
	      TSR_CASE(test_step_timeout_then_retry), TSR_CASE(test_watchdog),
	      TSR_CASE(test_reopen_failure), TSR_CASE(test_start_released),
	      TSR_CASE(test_real_runner))
