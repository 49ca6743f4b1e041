/* Least privilege: the seccomp filter refuses what a compositor never
 * needs; --user leaves a real tessera process with the user's ids, no
 * capabilities, no_new_privs and the filter, and it still serves guests
 * and the control socket. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "test.h"
#include "util/privilege.h"
#include "util/sandbox.h"

static void *thread_body(void *arg)
{
	return arg;
}

/* Runs body in a child process (the filter and the drop cannot be undone)
 * and returns its exit status: 0 when every check there held. */
static int in_child(int (*body)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(body()); /* _exit: no atexit handlers under the filter */
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static int sandboxed_body(void)
{
	char err[256] = "";
	if (!tsr_sandbox_apply(err, sizeof(err))) {
		fprintf(stderr, "sandbox: %s\n", err);
		return 1;
	}
	int failures = 0;
	/* What a compositor needs still works. */
	int fds[2];
	failures += pipe(fds) != 0 || write(fds[1], "x", 1) != 1;
	pthread_t thread;
	failures += pthread_create(&thread, NULL, thread_body, NULL) != 0 ||
		    pthread_join(thread, NULL) != 0;
	/* What it never needs is refused. */
	char *argv[] = {"/bin/true", NULL};
	errno = 0;
	failures += !(execve("/bin/true", argv, NULL) == -1 && errno == EPERM) ? 2 : 0;
#if !defined(TSR_SANITIZED)
	errno = 0;
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	failures += !(child == -1 && errno == EPERM) ? 4 : 0;
#endif
	errno = 0;
	failures += !(mount("none", "/mnt", "tmpfs", 0, NULL) == -1 && errno == EPERM) ? 8 : 0;
	errno = 0;
	failures += !(unshare(CLONE_NEWUSER) == -1 && errno == EPERM) ? 16 : 0;
	errno = 0;
	failures += !(chroot("/") == -1 && errno == EPERM) ? 32 : 0;
	return failures;
}

static void test_filter_refuses(void)
{
	CHECK_EQ_INT(in_child(sandboxed_body), 0);
}

static int drop_body(void)
{
	char err[256] = "";
	uid_t uid;
	gid_t gid;
	if (!tsr_privilege_resolve("nobody", &uid, &gid, err, sizeof(err)) ||
	    !tsr_privilege_drop("nobody", uid, gid, err, sizeof(err))) {
		fprintf(stderr, "drop: %s\n", err);
		return 1;
	}
	int failures = 0;
	failures += getuid() != uid || geteuid() != uid || getgid() != gid;
	failures += tsr_privilege_has_capabilities() ? 2 : 0;
	failures += setuid(0) == 0 ? 4 : 0;
	failures += access("/etc/shadow", R_OK) == 0 ? 8 : 0;
	return failures;
}

static void test_drop(void)
{
	char err[256];
	uid_t uid;
	gid_t gid;
	CHECK(!tsr_privilege_resolve("root", &uid, &gid, err, sizeof(err)));
	CHECK(strstr(err, "unprivileged") != NULL);
	CHECK(!tsr_privilege_resolve("0", &uid, &gid, err, sizeof(err)));
	CHECK(!tsr_privilege_resolve("no-such-user-tessera", &uid, &gid, err, sizeof(err)));
	CHECK(strstr(err, "no such user") != NULL);
	if (geteuid() != 0) {
		printf("test_drop: not root, the drop itself is not checked here\n");
		return;
	}
	CHECK_EQ_INT(in_child(drop_body), 0);
}

/* The value of "Name:\t..." in /proc/PID/status, or "" */
static void status_field(pid_t pid, const char *name, char *out, size_t out_len)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	out[0] = '\0';
	FILE *file = fopen(path, "r");
	if (!file)
		return;
	size_t name_len = strlen(name);
	while (fgets(line, sizeof(line), file)) {
		if (strncmp(line, name, name_len) == 0 && line[name_len] == ':') {
			const char *value = line + name_len + 1;
			while (*value == '\t' || *value == ' ')
				value++;
			snprintf(out, out_len, "%s", value);
			out[strcspn(out, "\n")] = '\0';
			break;
		}
	}
	fclose(file);
}

static const char config_text[] = "[output]\nwidth = 320\nheight = 200\n"
				  "[domain work]\ncolour = blue\n";

static void test_running_compositor_is_confined(void)
{
	if (geteuid() != 0) {
		printf("test_running_compositor_is_confined: needs root to drop from; not run\n");
		return;
	}
	struct harness harness;
	const char *const args[] = {"--user", "nobody", NULL};
	CHECK(harness_start_args(&harness, "privilege", config_text, args));
	/* The drop comes right after start-up; the control socket answers
	 * before it, so wait for the filter to show. */
	char value[128] = "";
	for (int i = 0; i < 500; i++) {
		status_field(harness.compositor, "Seccomp", value, sizeof(value));
		if (strcmp(value, "2") == 0)
			break;
		usleep(20000);
	}
	CHECK(strcmp(value, "2") == 0);
	status_field(harness.compositor, "Uid", value, sizeof(value));
	CHECK(strcmp(value, "65534\t65534\t65534\t65534") == 0);
	status_field(harness.compositor, "Gid", value, sizeof(value));
	CHECK(strncmp(value, "65534\t65534\t65534\t65534", 23) == 0);
	status_field(harness.compositor, "CapEff", value, sizeof(value));
	CHECK(strcmp(value, "0000000000000000") == 0);
	status_field(harness.compositor, "CapPrm", value, sizeof(value));
	CHECK(strcmp(value, "0000000000000000") == 0);
	status_field(harness.compositor, "NoNewPrivs", value, sizeof(value));
	CHECK(strcmp(value, "1") == 0);

	/* It still does its job: a guest connects and commits, control works. */
	char socket_path[512], agent[512];
	snprintf(socket_path, sizeof(socket_path), "%s/work.sock", harness.dir);
	snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
	char *argv[] = {agent, "--socket", socket_path, "--source", "demo", NULL};
	pid_t guest = harness_spawn(&harness, "agent-work", argv);
	CHECK(harness_wait_stat(&harness, "work", "commits", 3, 20000));
	char reply[256];
	CHECK(harness_control(&harness, "list", reply, sizeof(reply)));
	CHECK(harness_log_contains(&harness, "tessera", "running as nobody"));
	CHECK(!harness_log_contains(&harness, "tessera", "refused system call"));
	kill(guest, SIGTERM);
	harness_wait(guest, 5000);
	CHECK(harness_stop(&harness));
}

static void test_root_user_refused(void)
{
	struct harness harness;
	const char *const args[] = {"--user", "root", NULL};
	CHECK(!harness_start_args(&harness, "user-root", config_text, args));
	CHECK(harness_log_contains(&harness, "tessera", "must be an unprivileged user"));
}

TSR_TEST_MAIN(TSR_CASE(test_filter_refuses), TSR_CASE(test_drop),
	      TSR_CASE(test_running_compositor_is_confined), TSR_CASE(test_root_user_refused))
