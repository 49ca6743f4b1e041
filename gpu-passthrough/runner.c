/* The compositor's side of the broker (see runner.h). One request in
 * flight at a time; replies carry the request's serial, so the answer to
 * a cancelled step is never taken for the next one's. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"

struct tsr_gpu_spawn_runner {
	struct tsr_event_loop *loop;
	int sock;
	pid_t broker_pid;
	struct tsr_event_source *source;
	struct tsr_gpu_handoff *handoff; /* the step in flight, NULL when idle */
	uint32_t serial;
};

static void finish(struct tsr_gpu_spawn_runner *runner, enum tsr_gpu_step_result result,
		   const char *message)
{
	struct tsr_gpu_handoff *handoff = runner->handoff;
	runner->handoff = NULL;
	if (handoff)
		tsr_gpu_handoff_step_done(handoff, result, message);
}

static void broker_readable(int fd, uint32_t mask, void *data)
{
	struct tsr_gpu_spawn_runner *runner = data;
	struct tsr_gpu_broker_reply reply;
	ssize_t n = recv(fd, &reply, sizeof(reply), MSG_DONTWAIT);
	if (n == (ssize_t)sizeof(reply)) {
		if (runner->handoff && reply.serial == runner->serial) {
			reply.message[sizeof(reply.message) - 1] = '\0';
			enum tsr_gpu_step_result result =
			    reply.result == TSR_GPU_STEP_OK	     ? TSR_GPU_STEP_OK
			    : reply.result == TSR_GPU_STEP_TIMED_OUT ? TSR_GPU_STEP_TIMED_OUT
								     : TSR_GPU_STEP_FAILED;
			finish(runner, result, reply.message);
		}
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR) && !(mask & TSR_EVENT_HANGUP))
		return;
	tsr_log(TSR_LOG_ERROR,
		"gpu: the privileged broker (pid %d) went away; "
		"GPU steps cannot run until tessera restarts",
		(int)runner->broker_pid);
	tsr_event_source_remove(runner->source);
	runner->source = NULL;
	finish(runner, TSR_GPU_STEP_FAILED, "the gpu broker went away");
}

static bool runner_start(void *data, struct tsr_gpu_handoff *handoff, const char *const *args,
			 size_t arg_count, uint64_t timeout_ns)
{
	struct tsr_gpu_spawn_runner *runner = data;
	if (runner->handoff || !runner->source || arg_count > TSR_GPU_BROKER_MAX_ARGS)
		return false;
	struct tsr_gpu_broker_request request = {
	    .op = TSR_GPU_BROKER_RUN,
	    .serial = runner->serial + 1,
	    .timeout_ns = timeout_ns,
	    .arg_count = (uint32_t)arg_count,
	};
	for (size_t i = 0; i < arg_count; i++) {
		if (strlen(args[i]) >= TSR_GPU_BROKER_ARG_MAX)
			return false;
		snprintf(request.args[i], sizeof(request.args[i]), "%s", args[i]);
	}
	if (send(runner->sock, &request, sizeof(request), MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(request)) {
		tsr_log_errno(TSR_LOG_ERROR, "gpu: cannot reach the privileged broker");
		return false;
	}
	runner->serial = request.serial;
	runner->handoff = handoff;
	tsr_log(TSR_LOG_DEBUG, "gpu: step %s %s", args[0], arg_count > 1 ? args[1] : "");
	return true;
}

static void runner_cancel(void *data)
{
	struct tsr_gpu_spawn_runner *runner = data;
	if (!runner->handoff)
		return;
	struct tsr_gpu_broker_request request = {.op = TSR_GPU_BROKER_CANCEL,
						 .serial = runner->serial};
	/* The broker kills the helper and answers; that answer is ignored. */
	send(runner->sock, &request, sizeof(request), MSG_DONTWAIT | MSG_NOSIGNAL);
	runner->handoff = NULL;
}

struct tsr_gpu_spawn_runner *tsr_gpu_spawn_runner_create(struct tsr_event_loop *loop,
							 const struct tsr_gpu_broker_policy *policy)
{
	struct tsr_gpu_spawn_runner *runner = calloc(1, sizeof(*runner));
	if (!runner)
		return NULL;
	runner->loop = loop;
	runner->sock = tsr_gpu_broker_fork(policy, &runner->broker_pid);
	if (runner->sock < 0) {
		tsr_log_errno(TSR_LOG_ERROR, "gpu: cannot start the privileged broker");
		free(runner);
		return NULL;
	}
	runner->source =
	    tsr_event_loop_add_fd(loop, runner->sock, TSR_EVENT_READABLE, broker_readable, runner);
	if (!runner->source) {
		tsr_gpu_spawn_runner_destroy(runner);
		return NULL;
	}
	return runner;
}

void tsr_gpu_spawn_runner_destroy(struct tsr_gpu_spawn_runner *runner)
{
	if (!runner)
		return;
	tsr_event_source_remove(runner->source);
	close(runner->sock); /* the broker kills a running helper, reaps it, exits */
	/* Bounded: a broker stuck in the kernel with its helper is given up
	 * on (killed) rather than hanging the compositor's shutdown. */
	bool reaped = false;
	for (int i = 0; i < 200 && !reaped; i++) {
		pid_t pid = waitpid(runner->broker_pid, NULL, WNOHANG);
		reaped = pid == runner->broker_pid || (pid < 0 && errno == ECHILD);
		if (!reaped)
			usleep(10000);
	}
	if (!reaped) {
		kill(runner->broker_pid, SIGKILL);
		waitpid(runner->broker_pid, NULL, 0);
	}
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
