#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

extern char **environ;

void harness_sleep_ms(int ms)
{
	struct timespec delay = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&delay, NULL);
}

const char *harness_binary(const char *relative)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", TSR_BUILD_ROOT, relative);
	return path;
}

void harness_path(struct harness *harness, const char *file, char *out, size_t out_len)
{
	snprintf(out, out_len, "%s/%s", harness->dir, file);
}

static pid_t spawn(struct harness *harness, const char *log_name, char *const argv[],
		   bool search_path)
{
	char log_path[512];
	snprintf(log_path, sizeof(log_path), "%s/%s.log", harness->dir, log_name);
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path,
					 O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
	pid_t pid = -1;
	int error = search_path ? posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ)
				: posix_spawn(&pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (error) {
		fprintf(stderr, "harness: cannot start %s: %s\n", argv[0], strerror(error));
		return -1;
	}
	return pid;
}

pid_t harness_spawn(struct harness *harness, const char *log_name, char *const argv[])
{
	return spawn(harness, log_name, argv, false);
}

static pid_t harness_spawn_path(struct harness *harness, const char *log_name, char *const argv[])
{
	return spawn(harness, log_name, argv, true);
}

int harness_wait(pid_t pid, int timeout_ms)
{
	for (int waited = 0;; waited += 10) {
		int status;
		pid_t done = waitpid(pid, &status, WNOHANG);
		if (done == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		harness_sleep_ms(10);
	}
}

bool harness_alive(pid_t pid)
{
	int status;
	return waitpid(pid, &status, WNOHANG) == 0;
}

bool harness_control(struct harness *harness, const char *command, char *reply, size_t reply_len)
{
	reply[0] = '\0';
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(harness->control) >= sizeof(address.sun_path))
		return false;
	memcpy(address.sun_path, harness->control, strlen(harness->control) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		close(fd);
		return false;
	}
	char line[600];
	snprintf(line, sizeof(line), "%s\n", command);
	bool ok = write(fd, line, strlen(line)) == (ssize_t)strlen(line);
	size_t length = 0;
	while (ok && length + 1 < reply_len) {
		ssize_t count = read(fd, reply + length, 1);
		if (count <= 0 || reply[length] == '\n')
			break;
		length++;
	}
	reply[length] = '\0';
	close(fd);
	return ok && strncmp(reply, "ok", 2) == 0;
}

long long harness_stat(struct harness *harness, const char *domain, const char *key)
{
	char command[128], reply[1024], pattern[64];
	snprintf(command, sizeof(command), "stats %s", domain);
	if (!harness_control(harness, command, reply, sizeof(reply)))
		return -1;
	snprintf(pattern, sizeof(pattern), " %s=", key);
	const char *found = strstr(reply, pattern);
	return found ? atoll(found + strlen(pattern)) : -1;
}

bool harness_wait_stat(struct harness *harness, const char *domain, const char *key,
		       long long value, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		if (harness_stat(harness, domain, key) >= value)
			return true;
		harness_sleep_ms(20);
	}
	fprintf(stderr, "harness: %s %s stayed below %lld for %d ms (now %lld)\n", domain, key,
		value, timeout_ms, harness_stat(harness, domain, key));
	return false;
}

bool harness_log_contains(struct harness *harness, const char *log_name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.log", harness->dir, log_name);
	FILE *file = fopen(path, "r");
	if (!file)
		return false;
	char line[2048];
	bool found = false;
	while (!found && fgets(line, sizeof(line), file))
		found = strstr(line, text) != NULL;
	fclose(file);
	return found;
}

long harness_log_count(struct harness *harness, const char *log_name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.log", harness->dir, log_name);
	FILE *file = fopen(path, "r");
	if (!file)
		return 0;
	char line[2048];
	long count = 0;
	while (fgets(line, sizeof(line), file))
		count += strstr(line, text) != NULL;
	fclose(file);
	return count;
}

bool harness_wait_log(struct harness *harness, const char *log_name, const char *text,
		      int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		if (harness_log_contains(harness, log_name, text))
			return true;
		harness_sleep_ms(20);
	}
	fprintf(stderr, "harness: %s.log never said \"%s\"\n", log_name, text);
	return false;
}

bool harness_start(struct harness *harness, const char *name, const char *config_text)
{
	return harness_start_full(harness, name, config_text, NULL, NULL);
}

bool harness_start_args(struct harness *harness, const char *name, const char *config_text,
			const char *const *extra_args)
{
	return harness_start_full(harness, name, config_text, NULL, extra_args);
}

bool harness_start_wrapped(struct harness *harness, const char *name, const char *config_text,
			   const char *const *wrapper)
{
	return harness_start_full(harness, name, config_text, wrapper, NULL);
}

bool harness_start_full(struct harness *harness, const char *name, const char *config_text,
			const char *const *wrapper, const char *const *extra_args)
{
	memset(harness, 0, sizeof(*harness));
	/* Under /tmp: unix socket paths must stay short whatever the build path. */
	snprintf(harness->dir, sizeof(harness->dir), "/tmp/tessera-test-%s-XXXXXX", name);
	if (!mkdtemp(harness->dir))
		return false;
	fprintf(stderr, "harness: sockets, logs and screenshots in %s\n", harness->dir);
	char config_path[512];
	harness_path(harness, "tessera.conf", config_path, sizeof(config_path));
	FILE *file = fopen(config_path, "w");
	if (!file)
		return false;
	fputs(config_text, file);
	fclose(file);
	harness_path(harness, "control.sock", harness->control, sizeof(harness->control));
	char tessera[512];
	snprintf(tessera, sizeof(tessera), "%s", harness_binary("compositor/tessera"));
	char *argv[40];
	size_t argc = 0;
	for (size_t i = 0; wrapper && wrapper[i] && argc < 16; i++)
		argv[argc++] = (char *)wrapper[i];
	char *own[] = {tessera, "--config", config_path, "--runtime-dir", harness->dir};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		argv[argc++] = own[i];
	for (size_t i = 0; extra_args && extra_args[i] && argc + 1 < 40; i++)
		argv[argc++] = (char *)extra_args[i];
	argv[argc] = NULL;
	if (wrapper && wrapper[0] && argv[0][0] != '/') {
		/* posix_spawn needs a path: find the wrapper on PATH. */
		harness->compositor = harness_spawn_path(harness, "tessera", argv);
	} else {
		harness->compositor = harness_spawn(harness, "tessera", argv);
	}
	if (harness->compositor < 0)
		return false;
	char reply[256];
	for (int waited = 0; waited < 10000; waited += 20) {
		if (harness_control(harness, "status", reply, sizeof(reply)))
			return true;
		if (!harness_alive(harness->compositor)) {
			fprintf(stderr, "harness: tessera exited at start; see %s/tessera.log\n",
				harness->dir);
			return false;
		}
		harness_sleep_ms(20);
	}
	fprintf(stderr, "harness: tessera's control socket never came up\n");
	return false;
}

bool harness_stop(struct harness *harness)
{
	if (harness->compositor <= 0)
		return false;
	kill(harness->compositor, SIGTERM);
	int status = harness_wait(harness->compositor, 10000);
	harness->compositor = 0;
	if (status != 0)
		fprintf(stderr, "harness: tessera exit status %d; see %s/tessera.log\n", status,
			harness->dir);
	return status == 0;
}

bool harness_wait_reply(struct harness *harness, const char *command, const char *text,
			int timeout_ms)
{
	char reply[2048] = "";
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		harness_control(harness, command, reply, sizeof(reply));
		if (strstr(reply, text))
			return true;
		harness_sleep_ms(20);
	}
	fprintf(stderr, "'%s' never said '%s': %s\n", command, text, reply);
	return false;
}
