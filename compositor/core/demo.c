/* The demo's walk-through is a small state machine on a 50 ms timer:
 * each step changes focus or layout, waits until every shown guest has
 * redrawn at its new size and two frames went out, then takes a screenshot. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/demo.h"
#include "core/domain.h"
#include "core/server.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "util/programs.h"
#include "transport/local_transport.h"

#define TICK_NS (50u * 1000u * 1000u)
#define STEP_TIMEOUT_TICKS 400 /* 20 s: TCG VMs and sanitizers are slow */

extern char **environ;

struct tsr_demo {
	struct tsr_server *server;
	struct tsr_demo_options options;
	char agent_path[TSR_PATH_MAX + 64];
	struct tsr_event_source *timer;
	pid_t agents[TSR_MAX_DOMAINS];
	int step; /* 0: mosaic, 1..n: focus domain step-1, n+1: mosaic again */
	bool step_begun;
	int ticks_in_step;
	uint64_t commits_at_step[TSR_MAX_DOMAINS];
	uint64_t settled_frames; /* frames count when the step settled, 0 = not yet */
	int screenshots;
	int screenshots_pending; /* started, not yet written */
	bool screenshot_failed;
	bool finished, success;
};

static bool spawn_agent(struct tsr_demo *demo, size_t index, char *err, size_t err_len)
{
	const struct tsr_domain_config *config = &tsr_server_config(demo->server)->domains[index];
	char socket_path[TSR_PATH_MAX + 256], colour[16], log_path[TSR_PATH_MAX + 256];
	if (!tsr_resolve_runtime_path(demo->options.runtime_dir, config->socket_path, socket_path,
				      sizeof(socket_path))) {
		snprintf(err, err_len, "socket path too long");
		return false;
	}
	/* A pale tint of the domain colour: guest content never looks like the
	 * trusted border, which is what the demo is there to show. */
	uint32_t tint = 0;
	for (int shift = 0; shift <= 16; shift += 8) {
		uint32_t channel = (config->colour >> shift) & 0xffu;
		tint |= ((channel + 3u * 0xffu) / 4u) << shift;
	}
	snprintf(colour, sizeof(colour), "%06x", tint);
	snprintf(log_path, sizeof(log_path), "%s/agent-%s.log", demo->options.screenshot_dir,
		 config->name);
	char *argv[] = {(char *)demo->options.agent_path,
			"--socket",
			socket_path,
			"--source",
			"demo",
			"--colour",
			colour,
			"--name",
			(char *)config->name,
			NULL};
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path,
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
	/* The agent must not inherit our blocked signal mask (signalfd). */
	posix_spawnattr_t attributes;
	posix_spawnattr_init(&attributes);
	sigset_t empty;
	sigemptyset(&empty);
	posix_spawnattr_setsigmask(&attributes, &empty);
	posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
	int error = posix_spawn(&demo->agents[index], demo->options.agent_path, &actions,
				&attributes, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attributes);
	if (error != 0) {
		snprintf(err, err_len, "cannot start %s: %s (build it, or pass --agent PATH)",
			 demo->options.agent_path, strerror(error));
		return false;
	}
	tsr_log_domain(TSR_LOG_INFO, config->name, -1, "started demo agent (pid %d, log %s)",
		       (int)demo->agents[index], log_path);
	return true;
}

static bool domain_settled(struct tsr_demo *demo, size_t index)
{
	struct tsr_domain *domain = tsr_server_domain(demo->server, index);
	struct tsr_surface *surface = tsr_domain_main_surface(domain);
	if (!surface || !surface->current)
		return false;
	uint32_t width, height;
	tsr_server_content_size(demo->server, (int)index, &width, &height);
	return surface->width == width && surface->height == height &&
	       tsr_domain_stats(domain)->commits >= demo->commits_at_step[index] + 2;
}

static size_t step_count(const struct tsr_demo *demo)
{
	return tsr_server_domain_count(demo->server) + 2;
}

static void begin_step(struct tsr_demo *demo)
{
	struct tsr_server *server = demo->server;
	size_t last = step_count(demo) - 1;
	if (demo->step == 0 || (size_t)demo->step == last) {
		tsr_server_set_layout(server, TSR_LAYOUT_MOSAIC);
	} else {
		tsr_server_focus(server, demo->step - 1);
		tsr_server_set_layout(server, TSR_LAYOUT_FOCUS);
	}
	for (size_t i = 0; i < tsr_server_domain_count(server); i++)
		demo->commits_at_step[i] = tsr_domain_stats(tsr_server_domain(server, i))->commits;
	demo->settled_frames = 0;
	demo->ticks_in_step = 0;
	demo->step_begun = true;
}

static bool step_settled(struct tsr_demo *demo)
{
	struct tsr_server *server = demo->server;
	if (tsr_server_mode(server) == TSR_LAYOUT_FOCUS)
		return domain_settled(demo, (size_t)tsr_server_focused(server));
	for (size_t i = 0; i < tsr_server_domain_count(server); i++)
		if (!domain_settled(demo, i))
			return false;
	return true;
}

static void stop_when_written(struct tsr_demo *demo)
{
	if (demo->finished && demo->screenshots_pending == 0)
		tsr_server_stop(demo->server);
}

static void screenshot_written(void *data, bool ok, const char *message)
{
	struct tsr_demo *demo = data;
	demo->screenshots_pending--;
	if (ok) {
		printf("screenshot: %s\n", message);
	} else {
		tsr_log(TSR_LOG_ERROR, "screenshot failed: %s", message);
		demo->screenshot_failed = true;
	}
	stop_when_written(demo);
}

static void take_screenshot(struct tsr_demo *demo)
{
	struct tsr_server *server = demo->server;
	char path[TSR_PATH_MAX + 64], err[256];
	const char *what =
	    tsr_server_mode(server) == TSR_LAYOUT_MOSAIC
		? (demo->step == 0 ? "mosaic" : "mosaic-again")
		: tsr_server_config(server)->domains[tsr_server_focused(server)].name;
	snprintf(path, sizeof(path), "%s/%02d-%s%s.png", demo->options.screenshot_dir,
		 ++demo->screenshots, tsr_server_mode(server) == TSR_LAYOUT_FOCUS ? "focus-" : "",
		 what);
	if (tsr_server_screenshot(server, NULL, path, screenshot_written, demo, err, sizeof(err)))
		demo->screenshots_pending++;
	else {
		tsr_log(TSR_LOG_ERROR, "screenshot %s failed: %s", path, err);
		demo->screenshot_failed = true;
	}
}

static void report_stuck(struct tsr_demo *demo)
{
	struct tsr_server *server = demo->server;
	for (size_t i = 0; i < tsr_server_domain_count(server); i++) {
		struct tsr_domain *domain = tsr_server_domain(server, i);
		if (tsr_server_mode(server) == TSR_LAYOUT_FOCUS &&
		    (int)i != tsr_server_focused(server))
			continue;
		if (!domain_settled(demo, i))
			tsr_log_domain(TSR_LOG_ERROR, tsr_domain_config(domain)->name,
				       tsr_domain_domid(domain),
				       "did not draw at its new size in time (%s; see agent-%s.log "
				       "in %s)",
				       tsr_domain_connected(domain) ? "connected" : "not connected",
				       tsr_domain_config(domain)->name,
				       demo->options.screenshot_dir);
	}
}

/* The loop stops once the screenshots still being written are in place. */
static void finish(struct tsr_demo *demo, bool success)
{
	demo->finished = true;
	demo->success = success;
	stop_when_written(demo);
}

static void tick(void *data)
{
	struct tsr_demo *demo = data;
	struct tsr_server *server = demo->server;
	if (demo->finished)
		return; /* waiting for the last screenshots to be written */
	tsr_event_source_timer_update(demo->timer, TICK_NS);
	if (!demo->step_begun)
		begin_step(demo);
	if (++demo->ticks_in_step > STEP_TIMEOUT_TICKS) {
		report_stuck(demo);
		finish(demo, false);
		return;
	}
	uint64_t frames = tsr_server_get_stats(server).frames;
	if (!demo->settled_frames) {
		if (step_settled(demo))
			demo->settled_frames = frames;
		return;
	}
	if (frames < demo->settled_frames + 2)
		return;
	take_screenshot(demo);
	demo->step++;
	demo->step_begun = false;
	if ((size_t)demo->step == step_count(demo))
		finish(demo, true);
}

static bool find_agent(const char *given, char *out, size_t out_len)
{
	if (given) {
		snprintf(out, out_len, "%s", given);
		return access(out, X_OK) == 0;
	}
	return tsr_program_path(TSR_PROGRAM_AGENT, out, out_len);
}

struct tsr_demo *tsr_demo_create(struct tsr_server *server, const struct tsr_demo_options *options,
				 char *err, size_t err_len)
{
	struct tsr_demo *demo = calloc(1, sizeof(*demo));
	if (!demo) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	demo->server = server;
	demo->options = *options;
	if (!find_agent(options->agent_path, demo->agent_path, sizeof(demo->agent_path))) {
		snprintf(err, err_len,
			 "tessera-agent not found (tried %s): install Tessera (meson install), "
			 "pass --agent PATH, or use a build configured with -Dtest_hooks=true "
			 "(tests/demo.sh does that), which runs its own agent",
			 demo->agent_path);
		goto error;
	}
	demo->options.agent_path = demo->agent_path;
	if (mkdir(options->screenshot_dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, err_len, "cannot create %s: %s", options->screenshot_dir,
			 strerror(errno));
		goto error;
	}
	for (size_t i = 0; i < tsr_server_domain_count(server); i++)
		if (tsr_server_config(server)->domains[i].transport == TSR_TRANSPORT_LOCAL &&
		    !spawn_agent(demo, i, err, err_len))
			goto error;
	demo->timer = tsr_event_loop_add_timer(tsr_server_loop(server), tick, demo);
	if (!demo->timer || !tsr_event_source_timer_update(demo->timer, TICK_NS)) {
		snprintf(err, err_len, "cannot create the demo timer");
		goto error;
	}
	return demo;
error:
	tsr_demo_destroy(demo);
	return NULL;
}

void tsr_demo_destroy(struct tsr_demo *demo)
{
	if (!demo)
		return;
	tsr_event_source_remove(demo->timer);
	tsr_server_screenshot_forget(demo->server, demo);
	for (size_t i = 0; i < TSR_MAX_DOMAINS; i++) {
		if (demo->agents[i] <= 0)
			continue;
		kill(demo->agents[i], SIGTERM);
		waitpid(demo->agents[i], NULL, 0);
	}
	free(demo);
}

bool tsr_demo_finished(const struct tsr_demo *demo, bool *success)
{
	*success = demo->success && !demo->screenshot_failed;
	return demo->finished;
}
