/* Logging for tessera-agent. The agent runs inside a guest and links none of
 * the compositor, so it has its own two-line logger: everything goes to
 * stderr, prefixed with the agent's --name, so stdout stays free for the
 * machine-readable input log. */
#ifndef TESSERA_AGENT_LOG_H
#define TESSERA_AGENT_LOG_H

/* name may be NULL (code that does not know the session). */
void agent_log(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define agent_log_errno(name, fmt, ...) agent_log(name, fmt ": %m", ##__VA_ARGS__)

#endif
