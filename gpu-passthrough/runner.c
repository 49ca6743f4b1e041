/* Spawns the privileged helper and reports its end (see runner.h). Uses a
 * pidfd rather than SIGCHLD so it does not interfere with other children of
 * the compositor, and reaps exactly its own child. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"

#define MAX_ARGS 8u
#define OUTPUT_MAX 512u

struct tsr_gpu_spawn_runner {
	struct tsr_event_loop *loop;
	char helper_path[PATH_MAX];

	struct tsr_gpu_handoff *handoff; /* the step in flight, NULL when idle */
	pid_t pid;
	int pidfd;
	int output_fd; /* read end of the helper's stdout+stderr */
	struct tsr_event_source *exit_source, *output_source, *timeout;
	bool timed_out;
	char output[OUTPUT_MAX];
	size_t output_len;
};

static void close_sources(struct tsr_gpu_spawn_runner *runner)
{
	tsr_event_source_remove(runner->exit_source);
	tsr_event_source_remove(runner->output_source);
	runner->exit_source = runner->output_source = NULL;
	tsr_event_source_timer_update(runner->timeout, 0);
	if (runner->pidfd >= 0)
		close(runner->pidfd);
	if (runner->output_fd >= 0)
		close(runner->output_fd);
	runner->pidfd = runner->output_fd = -1;
	runner->pid = 0;
}

static void drain_output(struct tsr_gpu_spawn_runner *runner)
{
	char chunk[256];
	ssize_t n;
	/* Keeps the tail (chunk is smaller than output): the helper says why
	 * it failed at the end. */
	while ((n = read(runner->output_fd, chunk, sizeof(chunk))) > 0) {
		if (runner->output_len + (size_t)n >= OUTPUT_MAX) {
			size_t drop = runner->output_len + (size_t)n - (OUTPUT_MAX - 1);
			memmove(runner->output, runner->output + drop, runner->output_len - drop);
			runner->output_len -= drop;
		}
		memcpy(runner->output + runner->output_len, chunk, (size_t)n);
		runner->output_len += (size_t)n;
		runner->output[runner->output_len] = '\0';
	}
}

/* The message: the helper's last non-empty line, without control bytes. */
static void message_from_output(struct tsr_gpu_spawn_runner *runner, char *out, size_t out_len)
{
	char *text = runner->output;
	size_t len = runner->output_len;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	size_t start = len;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	size_t n = 0;
	for (size_t i = start; i < len && n + 1 < out_len; i++)
		out[n++] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
	out[n] = '\0';
}

static void helper_exited(int fd, uint32_t mask, void *data)
{
	struct tsr_gpu_spawn_runner *runner = data;
	siginfo_t info = {0};
	if (waitid(P_PIDFD, (id_t)runner->pidfd, &info, WEXITED | WNOHANG) != 0)
		info.si_code = 0; /* reaped by someone else: status unknown */
	else if (info.si_pid == 0)
		return; /* not yet (spurious wake-up) */
	drain_output(runner);
	char message[OUTPUT_MAX];
	message_from_output(runner, message, sizeof(message));
	enum tsr_gpu_step_result result = TSR_GPU_STEP_FAILED;
	if (runner->timed_out) {
		result = TSR_GPU_STEP_TIMED_OUT;
	} else if (info.si_code == CLD_EXITED && info.si_status == 0) {
		result = TSR_GPU_STEP_OK;
	} else if (info.si_code == CLD_EXITED) {
		if (!message[0])
			snprintf(message, sizeof(message), "helper exited with status %d",
				 info.si_status);
	} else if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
		snprintf(message, sizeof(message), "helper killed by signal %d", info.si_status);
	} else {
		snprintf(message, sizeof(message), "helper status unknown");
	}
	struct tsr_gpu_handoff *handoff = runner->handoff;
	runner->handoff = NULL;
	close_sources(runner);
	tsr_gpu_handoff_step_done(handoff, result, message);
}

static void output_readable(int fd, uint32_t mask, void *data)
{
	struct tsr_gpu_spawn_runner *runner = data;
	drain_output(runner);
	if (mask & (TSR_EVENT_HANGUP | TSR_EVENT_ERROR)) {
		/* The helper closed its end; the exit comes through the pidfd. */
		tsr_event_source_remove(runner->output_source);
		runner->output_source = NULL;
	}
}

static void timeout_fired(void *data)
{
	struct tsr_gpu_spawn_runner *runner = data;
	if (!runner->handoff || runner->pidfd < 0)
		return;
	/* The exit (by SIGKILL) is then reported through the pidfd. */
	runner->timed_out = true;
	pidfd_send_signal(runner->pidfd, SIGKILL, NULL, 0);
}

static bool runner_start(void *data, struct tsr_gpu_handoff *handoff, const char *const *args,
			 size_t arg_count, uint64_t timeout_ns)
{
	struct tsr_gpu_spawn_runner *runner = data;
	if (runner->handoff || arg_count + 2 > MAX_ARGS)
		return false;
	char *argv[MAX_ARGS] = {runner->helper_path};
	for (size_t i = 0; i < arg_count; i++)
		argv[i + 1] = (char *)args[i];
	char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};

	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return false;
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	/* The compositor blocks signals for its signalfds; the helper must not
	 * inherit that mask, or the timeout's SIGKILL is the only way out. */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int rc = posix_spawn(&pid, runner->helper_path, &actions, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	close(pipe_fds[1]);
	if (rc != 0) {
		errno = rc;
		tsr_log_errno(TSR_LOG_ERROR, "gpu: cannot run %s", runner->helper_path);
		close(pipe_fds[0]);
		return false;
	}
	runner->pid = pid;
	runner->output_fd = pipe_fds[0];
	runner->output_len = 0;
	runner->output[0] = '\0';
	runner->timed_out = false;
	runner->pidfd = pidfd_open(pid, 0);
	if (runner->pidfd < 0) {
		tsr_log_errno(TSR_LOG_ERROR, "gpu: pidfd_open");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0); /* just killed: returns at once */
		close_sources(runner);
		return false;
	}
	runner->exit_source = tsr_event_loop_add_fd(runner->loop, runner->pidfd, TSR_EVENT_READABLE,
						    helper_exited, runner);
	runner->output_source = tsr_event_loop_add_fd(runner->loop, runner->output_fd,
						      TSR_EVENT_READABLE, output_readable, runner);
	if (!runner->exit_source || !runner->output_source ||
	    !tsr_event_source_timer_update(runner->timeout, timeout_ns)) {
		pidfd_send_signal(runner->pidfd, SIGKILL, NULL, 0);
		waitpid(pid, NULL, 0);
		close_sources(runner);
		return false;
	}
	runner->handoff = handoff;
	tsr_log(TSR_LOG_DEBUG, "gpu: helper %d: %s %s", (int)pid, args[0],
		arg_count > 1 ? args[1] : "");
	return true;
}

static void kill_and_reap(struct tsr_gpu_spawn_runner *runner)
{
	if (runner->pidfd >= 0) {
		pidfd_send_signal(runner->pidfd, SIGKILL, NULL, 0);
		/* SIGKILL cannot be ignored: this wait is short, unless the
		 * helper is stuck in the kernel (then it is a zombie-to-be we
		 * give up on rather than hang the compositor's shutdown). */
		siginfo_t info;
		for (int i = 0; i < 100; i++) {
			memset(&info, 0, sizeof(info));
			if (waitid(P_PIDFD, (id_t)runner->pidfd, &info, WEXITED | WNOHANG) != 0 ||
			    info.si_pid != 0)
				break;
			usleep(10000);
		}
	}
	runner->handoff = NULL;
	close_sources(runner);
}

static void runner_cancel(void *data)
{
	kill_and_reap(data);
}

struct tsr_gpu_spawn_runner *tsr_gpu_spawn_runner_create(struct tsr_event_loop *loop,
							 const char *helper_path)
{
	struct tsr_gpu_spawn_runner *runner = calloc(1, sizeof(*runner));
	if (!runner)
		return NULL;
	runner->loop = loop;
	runner->pidfd = runner->output_fd = -1;
	snprintf(runner->helper_path, sizeof(runner->helper_path), "%s", helper_path);
	runner->timeout = tsr_event_loop_add_timer(loop, timeout_fired, runner);
	if (!runner->timeout) {
		free(runner);
		return NULL;
	}
	return runner;
}

void tsr_gpu_spawn_runner_destroy(struct tsr_gpu_spawn_runner *runner)
{
	if (!runner)
		return;
	kill_and_reap(runner);
	tsr_event_source_remove(runner->timeout);
	free(runner);
}

struct tsr_gpu_step_runner tsr_gpu_spawn_runner_interface(struct tsr_gpu_spawn_runner *runner)
{
	return (struct tsr_gpu_step_runner){
	    .start = runner_start,
	    .cancel = runner_cancel,
	    .data = runner,
	};
}
