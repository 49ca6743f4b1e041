/* Process-level test harness: start real tessera and agent processes,
 * talk to the control socket, wait for conditions with a deadline. */
#ifndef TSR_TESTS_HARNESS_H
#define TSR_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct harness {
	char dir[256];	   /* a fresh directory for sockets, logs, screenshots */
	char control[320]; /* control socket path */
	pid_t compositor;
};

/* Creates the directory, writes config_text to DIR/tessera.conf and starts
 * build/compositor/tessera with it; waits for the control socket. */
bool harness_start(struct harness *harness, const char *name, const char *config_text);
/* The same with more tessera options (NULL-terminated). */
bool harness_start_args(struct harness *harness, const char *name, const char *config_text,
			const char *const *extra_args);
/* The same with tessera started under wrapper, a NULL-terminated argv
 * prefix (for example valgrind and its options; looked up on PATH), or
 * NULL for none. The pid is then the wrapper's. */
bool harness_start_wrapped(struct harness *harness, const char *name, const char *config_text,
			   const char *const *wrapper);
/* Both: wrapper (or NULL) before tessera, extra_args (or NULL) after its
 * own options. */
bool harness_start_full(struct harness *harness, const char *name, const char *config_text,
			const char *const *wrapper, const char *const *extra_args);
/* Stops everything started; true if the compositor exited with status 0
 * (i.e. it did not crash along the way). */
bool harness_stop(struct harness *harness);

/* Starts a program with argv (argv[0] is the path); stdout and stderr go to
 * DIR/<log_name>.log. */
pid_t harness_spawn(struct harness *harness, const char *log_name, char *const argv[]);
/* Waits for pid up to timeout_ms; returns its exit status, -1 on timeout
 * (then the process is killed), -2 if it died from a signal. */
int harness_wait(pid_t pid, int timeout_ms);
bool harness_alive(pid_t pid);

/* Sends a control command; reply holds the reply line. True if "ok...". */
bool harness_control(struct harness *harness, const char *command, char *reply, size_t reply_len);
/* Reads "key=NUMBER" from a `stats NAME` reply; -1 if absent. */
long long harness_stat(struct harness *harness, const char *domain, const char *key);
/* Polls `stats domain` until key >= value or timeout. */
bool harness_wait_stat(struct harness *harness, const char *domain, const char *key,
		       long long value, int timeout_ms);
/* True if the file DIR/<log_name>.log contains text. */
bool harness_log_contains(struct harness *harness, const char *log_name, const char *text);
/* How many lines of DIR/<log_name>.log contain text. */
long harness_log_count(struct harness *harness, const char *log_name, const char *text);
/* Waits up to timeout_ms for DIR/<log_name>.log to contain text. */
bool harness_wait_log(struct harness *harness, const char *log_name, const char *text,
		      int timeout_ms);
/* Polls `command` until its reply contains text (true), or says what it
 * last replied (false) after timeout_ms. */
bool harness_wait_reply(struct harness *harness, const char *command, const char *text,
			int timeout_ms);
void harness_sleep_ms(int ms);
/* Path helpers. */
void harness_path(struct harness *harness, const char *file, char *out, size_t out_len);
const char *harness_binary(const char *relative); /* under the build root */

#endif
