/* Logging to stderr with a monotonic timestamp. The level comes from
 * TESSERA_LOG at each call, so the logger keeps no state of its own. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/log.h"

static enum tsr_log_level level_from_env(void)
{
	const char *value = getenv("TESSERA_LOG");
	if (!value)
		return TSR_LOG_INFO;
	if (strcmp(value, "error") == 0)
		return TSR_LOG_ERROR;
	if (strcmp(value, "warn") == 0)
		return TSR_LOG_WARN;
	if (strcmp(value, "debug") == 0)
		return TSR_LOG_DEBUG;
	return TSR_LOG_INFO;
}

static bool enabled(enum tsr_log_level level)
{
	return level <= level_from_env();
}

static void log_prefix(enum tsr_log_level level)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "[%5lld.%03ld] %s: ", (long long)now.tv_sec, now.tv_nsec / 1000000,
		names[level]);
}

void tsr_log(enum tsr_log_level level, const char *fmt, ...)
{
	if (!enabled(level))
		return;
	va_list args;
	va_start(args, fmt);
	log_prefix(level);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
}

void tsr_log_domain_v(enum tsr_log_level level, const char *domain_name, int32_t domid,
		      const char *fmt, va_list args)
{
	if (!enabled(level))
		return;
	log_prefix(level);
	if (domid >= 0)
		fprintf(stderr, "[domain %s/%d] ", domain_name, (int)domid);
	else
		fprintf(stderr, "[domain %s] ", domain_name);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

void tsr_log_domain(enum tsr_log_level level, const char *domain_name, int32_t domid,
		    const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	tsr_log_domain_v(level, domain_name, domid, fmt, args);
	va_end(args);
}
