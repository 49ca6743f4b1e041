/* The handoff state machine (see handoff.h). One step runs at a time; each
 * step's completion picks the next one. Steps whose release counterpart
 * never ran are skipped on reclaim, so a reclaim after a failed handoff or
 * a failed reclaim resumes where the device really is. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"

#define NS_PER_S 1000000000ull
#define DEFAULT_CARD_POLL_NS (50ull * 1000000ull)
#define WATCHDOG_GRACE_NS (2ull * NS_PER_S)

enum phase {
	PHASE_IDLE,
	PHASE_RELEASE,
	PHASE_RECLAIM,
};

struct tsr_gpu_handoff {
	struct tsr_event_loop *loop;
	const struct tsr_gpu_config *config;
	struct tsr_gpu_step_runner runner;
	struct tsr_gpu_probe probe;
	struct tsr_gpu_compositor compositor;
	uint64_t card_poll_ns;

	enum tsr_gpu_state state;
	enum tsr_gpu_failure failure;
	char reason[384];
	enum phase phase;
	enum phase step_phase; /* phase of step: the running one, or the one that failed */
	int step;	       /* index into the phase's steps, -1 when none */
	bool helper_running;
	uint32_t released; /* bit per release step done and not undone */

	uint64_t phase_start_ns, step_start_ns, card_deadline_ns;
	struct tsr_event_source *card_timer;
	struct tsr_event_source *watchdog;     /* backs up the runner's own timeout */
	struct tsr_event_source *advance_idle; /* runs the next step outside callbacks */
	char card_path[TSR_PATH_MAX];
	struct tsr_gpu_timings timings;
};

static const char *const state_names[] = {
    [TSR_GPU_OWNED] = "owned",
    [TSR_GPU_RELEASING] = "releasing",
    [TSR_GPU_ASSIGNED] = "assigned",
    [TSR_GPU_RECLAIMING] = "reclaiming",
    [TSR_GPU_RELEASE_FAILED] = "release_failed",
    [TSR_GPU_RECLAIM_FAILED] = "reclaim_failed",
};

static const char *const failure_names[] = {
    [TSR_GPU_FAILURE_NONE] = "none",	   [TSR_GPU_FAILURE_STEP] = "step_failed",
    [TSR_GPU_FAILURE_TIMEOUT] = "timeout", [TSR_GPU_FAILURE_CARD_MISSING] = "card_missing",
    [TSR_GPU_FAILURE_BUSY] = "card_busy",
};

static const char *const release_step_names[] = {
    [TSR_GPU_STEP_CLOSE_CARD] = "close_card", [TSR_GPU_STEP_UNBIND_CONSOLES] = "unbind_consoles",
    [TSR_GPU_STEP_UNBIND_DRM] = "unbind_drm", [TSR_GPU_STEP_BIND_PASSTHROUGH] = "bind_passthrough",
    [TSR_GPU_STEP_ATTACH] = "attach",
};

static const char *const reclaim_step_names[] = {
    [TSR_GPU_STEP_DETACH] = "detach",	  [TSR_GPU_STEP_UNBIND_PASSTHROUGH] = "unbind_passthrough",
    [TSR_GPU_STEP_BIND_DRM] = "bind_drm", [TSR_GPU_STEP_WAIT_CARD] = "wait_card",
    [TSR_GPU_STEP_REOPEN] = "reopen",
};

/* The release step each reclaim step undoes: it runs only if that one is
 * marked done. WAIT_CARD belongs to BIND_DRM: the bind is only undone (its
 * bit cleared) once the card node is back. */
static const enum tsr_gpu_release_step undoes[TSR_GPU_RECLAIM_STEP_COUNT] = {
    [TSR_GPU_STEP_DETACH] = TSR_GPU_STEP_ATTACH,
    [TSR_GPU_STEP_UNBIND_PASSTHROUGH] = TSR_GPU_STEP_BIND_PASSTHROUGH,
    [TSR_GPU_STEP_BIND_DRM] = TSR_GPU_STEP_UNBIND_DRM,
    [TSR_GPU_STEP_WAIT_CARD] = TSR_GPU_STEP_UNBIND_DRM,
    [TSR_GPU_STEP_REOPEN] = TSR_GPU_STEP_CLOSE_CARD,
};

const char *tsr_gpu_state_name(enum tsr_gpu_state state)
{
	return (size_t)state < sizeof(state_names) / sizeof(state_names[0]) ? state_names[state]
									    : "?";
}

const char *tsr_gpu_failure_name(enum tsr_gpu_failure failure)
{
	return (size_t)failure < sizeof(failure_names) / sizeof(failure_names[0])
		   ? failure_names[failure]
		   : "?";
}

const char *tsr_gpu_release_step_name(enum tsr_gpu_release_step step)
{
	return (size_t)step < TSR_GPU_RELEASE_STEP_COUNT ? release_step_names[step] : "?";
}

const char *tsr_gpu_reclaim_step_name(enum tsr_gpu_reclaim_step step)
{
	return (size_t)step < TSR_GPU_RECLAIM_STEP_COUNT ? reclaim_step_names[step] : "?";
}

static const char *step_name(const struct tsr_gpu_handoff *handoff)
{
	if (handoff->step < 0)
		return "-";
	return handoff->step_phase == PHASE_RECLAIM ? reclaim_step_names[handoff->step]
						    : release_step_names[handoff->step];
}

static const char *passthrough_driver_name(enum tsr_gpu_passthrough_driver driver)
{
	switch (driver) {
	case TSR_GPU_DRIVER_VFIO_PCI:
		return "vfio-pci";
	case TSR_GPU_DRIVER_XEN_PCIBACK:
		return "pciback";
	case TSR_GPU_DRIVER_PCI_STUB:
		break;
	}
	return "pci-stub";
}

static const char *toolstack_name(enum tsr_gpu_toolstack toolstack)
{
	return toolstack == TSR_GPU_TOOLSTACK_XL ? "xl" : "none";
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void set_state(struct tsr_gpu_handoff *handoff, enum tsr_gpu_state state)
{
	if (handoff->state == state)
		return;
	tsr_log(TSR_LOG_INFO, "gpu %s: %s -> %s", handoff->config->device,
		tsr_gpu_state_name(handoff->state), tsr_gpu_state_name(state));
	handoff->state = state;
	if (handoff->compositor.state_changed)
		handoff->compositor.state_changed(handoff->compositor.data, state);
}

static void record_step_time(struct tsr_gpu_handoff *handoff, uint64_t elapsed)
{
	if (handoff->phase == PHASE_RELEASE)
		handoff->timings.release_ns[handoff->step] = elapsed;
	else
		handoff->timings.reclaim_ns[handoff->step] = elapsed;
}

static void fail(struct tsr_gpu_handoff *handoff, enum tsr_gpu_failure failure, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

/* Ends the phase in its failed state; the step that failed stays named. */
static void fail(struct tsr_gpu_handoff *handoff, enum tsr_gpu_failure failure, const char *fmt,
		 ...)
{
	va_list args;
	va_start(args, fmt);
	vsnprintf(handoff->reason, sizeof(handoff->reason), fmt, args);
	va_end(args);
	uint64_t elapsed = tsr_now_ns() - handoff->step_start_ns;
	record_step_time(handoff, elapsed);
	handoff->failure = failure;
	tsr_event_source_timer_update(handoff->card_timer, 0);
	tsr_event_source_timer_update(handoff->watchdog, 0);
	if (handoff->helper_running && handoff->runner.cancel)
		handoff->runner.cancel(handoff->runner.data);
	handoff->helper_running = false;
	bool release = handoff->phase == PHASE_RELEASE;
	tsr_log(TSR_LOG_ERROR, "gpu %s: %s step %s failed after %.1f ms (%s): %s",
		handoff->config->device, release ? "handoff" : "reclaim", step_name(handoff),
		ms(elapsed), tsr_gpu_failure_name(failure), handoff->reason);
	if (release)
		tsr_log(TSR_LOG_ERROR,
			"gpu %s: the handoff stopped; the desktop stays on the fallback output. "
			"Reclaim (hotkey or 'tessera-ctl gpu reclaim') brings the device back",
			handoff->config->device);
	else
		tsr_log(TSR_LOG_ERROR,
			"gpu %s: the device did not come back; Tessera goes on with the fallback "
			"output. Retry with the hotkey or 'tessera-ctl gpu reclaim'",
			handoff->config->device);
	handoff->phase = PHASE_IDLE;
	set_state(handoff, release ? TSR_GPU_RELEASE_FAILED : TSR_GPU_RECLAIM_FAILED);
}

static void schedule_advance(struct tsr_gpu_handoff *handoff);

/* The current step finished well: log it, note it, go on. */
static void step_succeeded(struct tsr_gpu_handoff *handoff, const char *note)
{
	uint64_t elapsed = tsr_now_ns() - handoff->step_start_ns;
	record_step_time(handoff, elapsed);
	tsr_log(TSR_LOG_INFO, "gpu %s: %s %s: done in %.1f ms%s%s", handoff->config->device,
		handoff->phase == PHASE_RELEASE ? "handoff" : "reclaim", step_name(handoff),
		ms(elapsed), note ? ": " : "", note ? note : "");
	if (handoff->phase == PHASE_RELEASE) {
		handoff->released |= 1u << handoff->step;
	} else if (handoff->step != TSR_GPU_STEP_BIND_DRM) {
		/* BIND_DRM is undone together with WAIT_CARD. */
		handoff->released &= ~(1u << undoes[handoff->step]);
	}
	handoff->step++;
	schedule_advance(handoff);
}

static bool run_helper(struct tsr_gpu_handoff *handoff, const char *const *args, size_t count)
{
	uint64_t timeout = (uint64_t)handoff->config->step_timeout_s * NS_PER_S;
	handoff->helper_running = true;
	if (!handoff->runner.start(handoff->runner.data, handoff, args, count, timeout)) {
		handoff->helper_running = false;
		fail(handoff, TSR_GPU_FAILURE_STEP, "cannot start the helper for %s",
		     step_name(handoff));
		return false;
	}
	/* The runner kills the helper at timeout; this catches a runner that
	 * never reports, so the machine cannot hang in a *ing state. */
	tsr_event_source_timer_update(handoff->watchdog, timeout + WATCHDOG_GRACE_NS);
	return true;
}

static void start_close_card(struct tsr_gpu_handoff *handoff)
{
	if (handoff->probe.remember_card_nodes)
		handoff->probe.remember_card_nodes(handoff->probe.data, handoff->config->device);
	handoff->compositor.release_card(handoff->compositor.data);
	/* Whatever the check below finds, the compositor let go of the card:
	 * a reclaim must drive it again. */
	handoff->released |= 1u << TSR_GPU_STEP_CLOSE_CARD;
	char why[256] = "";
	int users = handoff->probe.count_card_users(handoff->probe.data, handoff->config->device,
						    why, sizeof(why));
	if (users != 0) {
		/* An unbind with users left hangs in the kernel; stop here. */
		fail(handoff, TSR_GPU_FAILURE_BUSY,
		     users < 0 ? "cannot check for open fds on the card: %s"
			       : "still open on the card after release: %s",
		     why);
		return;
	}
	step_succeeded(handoff, "no fd or mapping left on the card");
}

static void start_release_step(struct tsr_gpu_handoff *handoff)
{
	const struct tsr_gpu_config *config = handoff->config;
	const char *driver = passthrough_driver_name(config->passthrough_driver);
	const char *toolstack = toolstack_name(config->toolstack);
	switch ((enum tsr_gpu_release_step)handoff->step) {
	case TSR_GPU_STEP_CLOSE_CARD:
		start_close_card(handoff);
		return;
	case TSR_GPU_STEP_UNBIND_CONSOLES: {
		const char *args[] = {"unbind-consoles"};
		run_helper(handoff, args, 1);
		return;
	}
	case TSR_GPU_STEP_UNBIND_DRM: {
		const char *args[] = {"unbind-driver", config->device, config->drm_driver};
		run_helper(handoff, args, 3);
		return;
	}
	case TSR_GPU_STEP_BIND_PASSTHROUGH: {
		const char *args[] = {"bind-passthrough", config->device, driver, toolstack};
		run_helper(handoff, args, 4);
		return;
	}
	case TSR_GPU_STEP_ATTACH: {
		if (config->toolstack == TSR_GPU_TOOLSTACK_NONE) {
			step_succeeded(handoff, "skipped (toolstack none)");
			return;
		}
		const char *args[] = {"attach", config->device, config->domain};
		run_helper(handoff, args, 3);
		return;
	}
	case TSR_GPU_RELEASE_STEP_COUNT:
		break;
	}
	uint64_t total = tsr_now_ns() - handoff->phase_start_ns;
	handoff->timings.release_total_ns = total;
	handoff->phase = PHASE_IDLE;
	handoff->step = -1;
	tsr_log(TSR_LOG_INFO, "gpu %s: handed to domain %s in %.1f ms", config->device,
		config->domain, ms(total));
	set_state(handoff, TSR_GPU_ASSIGNED);
}

static void poll_card(void *data)
{
	struct tsr_gpu_handoff *handoff = data;
	if (handoff->phase != PHASE_RECLAIM || handoff->step != TSR_GPU_STEP_WAIT_CARD)
		return;
	if (handoff->probe.find_card(handoff->probe.data, handoff->config->device,
				     handoff->card_path, sizeof(handoff->card_path))) {
		step_succeeded(handoff, handoff->card_path);
		return;
	}
	uint64_t now = tsr_now_ns();
	if (now >= handoff->card_deadline_ns) {
		fail(handoff, TSR_GPU_FAILURE_CARD_MISSING,
		     "no card node for %s after %u s (is %s loaded and did it bind? see dmesg)",
		     handoff->config->device, handoff->config->card_timeout_s,
		     handoff->config->drm_driver);
		return;
	}
	uint64_t delay = handoff->card_poll_ns;
	if (delay > handoff->card_deadline_ns - now)
		delay = handoff->card_deadline_ns - now;
	tsr_event_source_timer_update(handoff->card_timer, delay ? delay : 1);
}

static void start_reopen(struct tsr_gpu_handoff *handoff)
{
	char err[256] = "";
	/* The card may have moved (cardN renumbered) while it was away. */
	if (!handoff->probe.find_card(handoff->probe.data, handoff->config->device,
				      handoff->card_path, sizeof(handoff->card_path))) {
		fail(handoff, TSR_GPU_FAILURE_CARD_MISSING, "the card of %s vanished again",
		     handoff->config->device);
		return;
	}
	if (!handoff->compositor.reopen_card(handoff->compositor.data, handoff->card_path, err,
					     sizeof(err))) {
		fail(handoff, TSR_GPU_FAILURE_STEP, "cannot drive %s again: %s", handoff->card_path,
		     err[0] ? err : "see the log above");
		return;
	}
	step_succeeded(handoff, handoff->card_path);
}

static bool reclaim_step_needed(const struct tsr_gpu_handoff *handoff)
{
	return handoff->released & (1u << undoes[handoff->step]);
}

static void start_reclaim_step(struct tsr_gpu_handoff *handoff)
{
	const struct tsr_gpu_config *config = handoff->config;
	const char *driver = passthrough_driver_name(config->passthrough_driver);
	const char *toolstack = toolstack_name(config->toolstack);
	while (handoff->step < TSR_GPU_RECLAIM_STEP_COUNT && !reclaim_step_needed(handoff))
		handoff->step++;
	handoff->step_start_ns = tsr_now_ns();
	switch ((enum tsr_gpu_reclaim_step)handoff->step) {
	case TSR_GPU_STEP_DETACH: {
		if (config->toolstack == TSR_GPU_TOOLSTACK_NONE) {
			step_succeeded(handoff, "skipped (toolstack none)");
			return;
		}
		const char *args[] = {"detach", config->device, config->domain};
		run_helper(handoff, args, 3);
		return;
	}
	case TSR_GPU_STEP_UNBIND_PASSTHROUGH: {
		const char *args[] = {"unbind-passthrough", config->device, driver, toolstack};
		run_helper(handoff, args, 4);
		return;
	}
	case TSR_GPU_STEP_BIND_DRM: {
		const char *args[] = {"bind-driver", config->device, config->drm_driver};
		run_helper(handoff, args, 3);
		return;
	}
	case TSR_GPU_STEP_WAIT_CARD:
		handoff->card_deadline_ns =
		    handoff->step_start_ns + (uint64_t)config->card_timeout_s * NS_PER_S;
		poll_card(handoff);
		return;
	case TSR_GPU_STEP_REOPEN:
		start_reopen(handoff);
		return;
	case TSR_GPU_RECLAIM_STEP_COUNT:
		break;
	}
	uint64_t total = tsr_now_ns() - handoff->phase_start_ns;
	handoff->timings.reclaim_total_ns = total;
	handoff->phase = PHASE_IDLE;
	handoff->step = -1;
	handoff->failure = TSR_GPU_FAILURE_NONE;
	handoff->reason[0] = '\0';
	/* The consoles stay unbound: Tessera owns the display again. */
	handoff->released = 0;
	tsr_log(TSR_LOG_INFO, "gpu %s: back on %s in %.1f ms", config->device, handoff->card_path,
		ms(total));
	set_state(handoff, TSR_GPU_OWNED);
}

static void advance(void *data)
{
	struct tsr_gpu_handoff *handoff = data;
	handoff->advance_idle = NULL;
	if (handoff->phase == PHASE_IDLE)
		return;
	handoff->step_start_ns = tsr_now_ns();
	if (handoff->phase == PHASE_RELEASE)
		start_release_step(handoff);
	else
		start_reclaim_step(handoff);
}

/* Steps start from an idle callback, never from inside the callback that
 * finished the previous one: the stack stays flat and a completion never
 * re-enters the runner. */
static void schedule_advance(struct tsr_gpu_handoff *handoff)
{
	if (handoff->advance_idle)
		return;
	handoff->advance_idle = tsr_event_loop_add_idle(handoff->loop, advance, handoff);
	if (!handoff->advance_idle)
		fail(handoff, TSR_GPU_FAILURE_STEP, "out of memory scheduling the next step");
}

void tsr_gpu_handoff_step_done(struct tsr_gpu_handoff *handoff, enum tsr_gpu_step_result result,
			       const char *message)
{
	if (!handoff->helper_running)
		return;
	handoff->helper_running = false;
	tsr_event_source_timer_update(handoff->watchdog, 0);
	const char *said = message && message[0] ? message : "no message";
	switch (result) {
	case TSR_GPU_STEP_OK:
		step_succeeded(handoff, message && message[0] ? message : NULL);
		return;
	case TSR_GPU_STEP_TIMED_OUT:
		fail(handoff, TSR_GPU_FAILURE_TIMEOUT, "no answer within %u s, helper killed (%s)",
		     handoff->config->step_timeout_s, said);
		return;
	case TSR_GPU_STEP_FAILED:
		break;
	}
	fail(handoff, TSR_GPU_FAILURE_STEP, "%s", said);
}

static void watchdog_fired(void *data)
{
	struct tsr_gpu_handoff *handoff = data;
	if (!handoff->helper_running)
		return;
	fail(handoff, TSR_GPU_FAILURE_TIMEOUT, "the step runner did not report within %u s",
	     handoff->config->step_timeout_s);
}

struct tsr_gpu_handoff *tsr_gpu_handoff_create(struct tsr_event_loop *loop,
					       const struct tsr_gpu_handoff_options *options,
					       const struct tsr_gpu_step_runner *runner,
					       const struct tsr_gpu_probe *probe,
					       const struct tsr_gpu_compositor *compositor)
{
	struct tsr_gpu_handoff *handoff = calloc(1, sizeof(*handoff));
	if (!handoff)
		return NULL;
	handoff->loop = loop;
	handoff->config = options->config;
	handoff->runner = *runner;
	handoff->probe = *probe;
	handoff->compositor = *compositor;
	handoff->card_poll_ns =
	    options->card_poll_ns ? options->card_poll_ns : DEFAULT_CARD_POLL_NS;
	handoff->step = -1;
	handoff->released = options->initially_released & ((1u << TSR_GPU_RELEASE_STEP_COUNT) - 1);
	handoff->state = TSR_GPU_OWNED;
	if (handoff->released) {
		handoff->state = TSR_GPU_RECLAIM_FAILED;
		handoff->failure = TSR_GPU_FAILURE_CARD_MISSING;
		snprintf(handoff->reason, sizeof(handoff->reason),
			 "%s was not bound to %s when Tessera started", options->config->device,
			 options->config->drm_driver);
	}
	handoff->card_timer = tsr_event_loop_add_timer(loop, poll_card, handoff);
	handoff->watchdog = tsr_event_loop_add_timer(loop, watchdog_fired, handoff);
	if (!handoff->card_timer || !handoff->watchdog) {
		tsr_gpu_handoff_destroy(handoff);
		return NULL;
	}
	return handoff;
}

void tsr_gpu_handoff_destroy(struct tsr_gpu_handoff *handoff)
{
	if (!handoff)
		return;
	if (handoff->helper_running && handoff->runner.cancel)
		handoff->runner.cancel(handoff->runner.data);
	tsr_event_source_remove(handoff->advance_idle);
	tsr_event_source_remove(handoff->card_timer);
	tsr_event_source_remove(handoff->watchdog);
	free(handoff);
}

static bool begin_phase(struct tsr_gpu_handoff *handoff, enum phase phase)
{
	handoff->phase = phase;
	handoff->step_phase = phase;
	handoff->step = 0;
	handoff->phase_start_ns = tsr_now_ns();
	if (phase == PHASE_RELEASE) {
		memset(handoff->timings.release_ns, 0, sizeof(handoff->timings.release_ns));
		handoff->timings.release_total_ns = 0;
	} else {
		memset(handoff->timings.reclaim_ns, 0, sizeof(handoff->timings.reclaim_ns));
		handoff->timings.reclaim_total_ns = 0;
	}
	set_state(handoff, phase == PHASE_RELEASE ? TSR_GPU_RELEASING : TSR_GPU_RECLAIMING);
	schedule_advance(handoff);
	return handoff->phase == phase;
}

bool tsr_gpu_handoff_release(struct tsr_gpu_handoff *handoff, char *err, size_t err_len)
{
	if (handoff->state != TSR_GPU_OWNED) {
		snprintf(err, err_len, "cannot hand off: the GPU is %s (allowed from owned)",
			 tsr_gpu_state_name(handoff->state));
		return false;
	}
	tsr_log(TSR_LOG_INFO, "gpu %s: handing off to domain %s (%s, toolstack %s)",
		handoff->config->device, handoff->config->domain,
		passthrough_driver_name(handoff->config->passthrough_driver),
		toolstack_name(handoff->config->toolstack));
	handoff->failure = TSR_GPU_FAILURE_NONE;
	handoff->reason[0] = '\0';
	return begin_phase(handoff, PHASE_RELEASE);
}

bool tsr_gpu_handoff_reclaim(struct tsr_gpu_handoff *handoff, char *err, size_t err_len)
{
	switch (handoff->state) {
	case TSR_GPU_ASSIGNED:
	case TSR_GPU_RELEASE_FAILED:
	case TSR_GPU_RECLAIM_FAILED:
		break;
	default:
		snprintf(err, err_len,
			 "cannot reclaim: the GPU is %s (allowed from assigned or a failed state)",
			 tsr_gpu_state_name(handoff->state));
		return false;
	}
	tsr_log(TSR_LOG_INFO, "gpu %s: reclaiming from domain %s", handoff->config->device,
		handoff->config->domain);
	return begin_phase(handoff, PHASE_RECLAIM);
}

enum tsr_gpu_state tsr_gpu_handoff_state(const struct tsr_gpu_handoff *handoff)
{
	return handoff->state;
}

enum tsr_gpu_failure tsr_gpu_handoff_failure(const struct tsr_gpu_handoff *handoff)
{
	return handoff->failure;
}

const char *tsr_gpu_handoff_reason(const struct tsr_gpu_handoff *handoff)
{
	return handoff->reason;
}

const char *tsr_gpu_handoff_current_step(const struct tsr_gpu_handoff *handoff)
{
	return step_name(handoff);
}

uint32_t tsr_gpu_handoff_released_steps(const struct tsr_gpu_handoff *handoff)
{
	return handoff->released;
}

const struct tsr_gpu_timings *tsr_gpu_handoff_timings(const struct tsr_gpu_handoff *handoff)
{
	return &handoff->timings;
}

struct tsr_gpu_broker_policy tsr_gpu_handoff_broker_policy(const struct tsr_gpu_config *config,
							   const char *helper_path)
{
	/* Exactly the values start_release_step and start_reclaim_step pass. */
	return (struct tsr_gpu_broker_policy){
	    .helper_path = helper_path,
	    .allowed = {config->device, config->drm_driver,
			passthrough_driver_name(config->passthrough_driver),
			toolstack_name(config->toolstack), config->domain},
	    .allowed_count = 5,
	};
}
