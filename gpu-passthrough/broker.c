/* The broker process (see broker.h): one helper at a time, each with an
 * explicit argv, an empty environment but PATH, and no shell; killed when
 * its step timeout passes or the compositor cancels or goes away. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "handoff.h"

static const char *const known_steps[] = {
    "unbind-consoles",	  "unbind-driver", "bind-passthrough", "attach",
    "unbind-passthrough", "detach",	   "bind-driver",
};

bool tsr_gpu_broker_request_allowed(const struct tsr_gpu_broker_policy *policy,
				    const struct tsr_gpu_broker_request *request, char *why,
				    size_t why_len)
{
	if (request->arg_count < 1 || request->arg_count > TSR_GPU_BROKER_MAX_ARGS) {
		snprintf(why, why_len, "refused: %u arguments", request->arg_count);
		return false;
	}
	for (size_t i = 0; i < request->arg_count; i++) {
		if (!memchr(request->args[i], '\0', TSR_GPU_BROKER_ARG_MAX)) {
			snprintf(why, why_len, "refused: argument %zu is not terminated", i);
			return false;
		}
	}
	bool known = false;
	for (size_t i = 0; i < sizeof(known_steps) / sizeof(known_steps[0]); i++)
		known = known || strcmp(request->args[0], known_steps[i]) == 0;
	if (!known) {
		snprintf(why, why_len, "refused: unknown step");
		return false;
	}
	for (size_t i = 1; i < request->arg_count; i++) {
		bool allowed = false;
		for (size_t j = 0; j < policy->allowed_count; j++)
			allowed = allowed || (policy->allowed[j] && policy->allowed[j][0] &&
					      strcmp(request->args[i], policy->allowed[j]) == 0);
		if (!allowed) {
			snprintf(why, why_len,
				 "refused: %s with an argument that is not configured",
				 request->args[0]);
			return false;
		}
	}
	return true;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct step {
	pid_t pid;
	int pidfd, output_fd;
	char output[TSR_GPU_BROKER_MESSAGE_MAX];
	size_t output_len;
};

/* Keeps the tail: the helper says why it failed at the end. */
static void drain_output(struct step *step)
{
	char chunk[256];
	ssize_t n;
	while ((n = read(step->output_fd, chunk, sizeof(chunk))) > 0) {
		if (step->output_len + (size_t)n >= sizeof(step->output)) {
			size_t drop = step->output_len + (size_t)n - (sizeof(step->output) - 1);
			memmove(step->output, step->output + drop, step->output_len - drop);
			step->output_len -= drop;
		}
		memcpy(step->output + step->output_len, chunk, (size_t)n);
		step->output_len += (size_t)n;
		step->output[step->output_len] = '\0';
	}
}

/* The message: the helper's last non-empty line, without control bytes. */
static void last_line(const struct step *step, char *out, size_t out_len)
{
	size_t len = step->output_len;
	while (len > 0 && (step->output[len - 1] == '\n' || step->output[len - 1] == '\r'))
		len--;
	size_t start = len;
	while (start > 0 && step->output[start - 1] != '\n')
		start--;
	size_t n = 0;
	for (size_t i = start; i < len && n + 1 < out_len; i++)
		out[n++] =
		    (step->output[i] >= 0x20 && step->output[i] < 0x7f) ? step->output[i] : '?';
	out[n] = '\0';
}

static bool spawn_helper(const char *helper, const struct tsr_gpu_broker_request *request,
			 struct step *step, char *why, size_t why_len)
{
	char *argv[TSR_GPU_BROKER_MAX_ARGS + 2] = {(char *)helper};
	for (size_t i = 0; i < request->arg_count; i++)
		argv[i + 1] = (char *)request->args[i];
	char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(why, why_len, "broker: pipe: %s", strerror(errno));
		return false;
	}
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
	int rc = posix_spawn(&step->pid, helper, &actions, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	if (rc != 0) {
		snprintf(why, why_len, "cannot run %s: %s", helper, strerror(rc));
		close(pipe_fds[0]);
		return false;
	}
	step->output_fd = pipe_fds[0];
	step->pidfd = pidfd_open(step->pid, 0);
	if (step->pidfd < 0) {
		snprintf(why, why_len, "broker: pidfd_open: %s", strerror(errno));
		kill(step->pid, SIGKILL);
		waitpid(step->pid, NULL, 0);
		close(step->output_fd);
		return false;
	}
	return true;
}

/* Runs one step to its end. false: the compositor went away (the helper
 * was killed and reaped; the broker should exit). */
static bool run_step(int sock, const struct tsr_gpu_broker_policy *policy,
		     const struct tsr_gpu_broker_request *request,
		     struct tsr_gpu_broker_reply *reply, struct tsr_gpu_broker_request *pending,
		     bool *has_pending)
{
	reply->serial = request->serial;
	reply->result = TSR_GPU_STEP_FAILED;
	if (!tsr_gpu_broker_request_allowed(policy, request, reply->message,
					    sizeof(reply->message)))
		return true;
	struct step step = {.pidfd = -1, .output_fd = -1};
	if (!spawn_helper(policy->helper_path, request, &step, reply->message,
			  sizeof(reply->message)))
		return true;
	uint64_t deadline = now_ns() + request->timeout_ns;
	bool killed = false, timed_out = false, peer_alive = true, cancelled = false;
	siginfo_t info = {0};
	for (;;) {
		struct pollfd fds[3] = {
		    {.fd = step.pidfd, .events = POLLIN},
		    {.fd = step.output_fd, .events = POLLIN},
		    {.fd = peer_alive ? sock : -1, .events = POLLIN},
		};
		int timeout_ms = -1;
		if (!killed) {
			uint64_t now = now_ns();
			timeout_ms = now >= deadline ? 0 : (int)((deadline - now) / 1000000ull + 1);
		}
		if (poll(fds, 3, timeout_ms) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			drain_output(&step);
		if (fds[2].revents) {
			struct tsr_gpu_broker_request next;
			ssize_t n = recv(sock, &next, sizeof(next), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				peer_alive = false;
				cancelled = true;
			} else if (n == (ssize_t)sizeof(next) && next.op == TSR_GPU_BROKER_CANCEL &&
				   next.serial == request->serial) {
				cancelled = true;
			} else if (n == (ssize_t)sizeof(next) && next.op == TSR_GPU_BROKER_RUN) {
				/* Sent right after a cancel that has not reached us
				 * yet; runs once this step has ended. */
				*pending = next;
				*has_pending = true;
			}
		}
		if ((cancelled || (!killed && now_ns() >= deadline)) && !killed) {
			timed_out = !cancelled;
			pidfd_send_signal(step.pidfd, SIGKILL, NULL, 0);
			killed = true;
		}
		if (fds[0].revents) {
			memset(&info, 0, sizeof(info));
			if (waitid(P_PIDFD, (id_t)step.pidfd, &info, WEXITED | WNOHANG) != 0 ||
			    info.si_pid != 0)
				break;
		}
	}
	drain_output(&step);
	last_line(&step, reply->message, sizeof(reply->message));
	if (timed_out)
		reply->result = TSR_GPU_STEP_TIMED_OUT;
	else if (info.si_code == CLD_EXITED && info.si_status == 0 && !cancelled)
		reply->result = TSR_GPU_STEP_OK;
	else if (cancelled)
		snprintf(reply->message, sizeof(reply->message), "cancelled");
	else if (info.si_code == CLD_EXITED && !reply->message[0])
		snprintf(reply->message, sizeof(reply->message), "helper exited with status %d",
			 info.si_status);
	else if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED)
		snprintf(reply->message, sizeof(reply->message), "helper killed by signal %d",
			 info.si_status);
	close(step.pidfd);
	close(step.output_fd);
	return peer_alive;
}

static _Noreturn void broker_main(int sock, const struct tsr_gpu_broker_policy *policy)
{
	/* Nothing of the compositor's stays open here but the socket and the
	 * standard streams (the helper's messages come back over pipes). */
	if (sock != 3) {
		if (dup2(sock, 3) < 0)
			_exit(1);
		sock = 3;
	}
	fcntl(sock, F_SETFD, FD_CLOEXEC); /* never inherited by a helper */
	close_range(4, ~0u, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "tessera-gpu-brk");
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct tsr_gpu_broker_request request;
	bool has_pending = false;
	for (;;) {
		if (!has_pending) {
			ssize_t n = recv(sock, &request, sizeof(request), 0);
			if (n == 0 || (n < 0 && errno != EINTR))
				_exit(0);
			if (n != (ssize_t)sizeof(request) || request.op != TSR_GPU_BROKER_RUN)
				continue; /* a stale cancel, or garbage: nothing to answer */
		}
		has_pending = false;
		struct tsr_gpu_broker_request current = request;
		struct tsr_gpu_broker_reply reply = {0};
		bool peer_alive = run_step(sock, policy, &current, &reply, &request, &has_pending);
		if (!peer_alive)
			_exit(0);
		send(sock, &reply, sizeof(reply), MSG_NOSIGNAL);
	}
}

int tsr_gpu_broker_fork(const struct tsr_gpu_broker_policy *policy, int *pid_out)
{
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(fds[0]);
		close(fds[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		broker_main(fds[1], policy);
	}
	close(fds[1]);
	*pid_out = pid;
	return fds[0];
}
