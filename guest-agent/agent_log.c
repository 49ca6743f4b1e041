#include "agent_log.h"

#include <stdarg.h>
#include <stdio.h>

void agent_log(const char *name, const char *fmt, ...)
{
	/* One fprintf per line so lines from parallel agents do not interleave. */
	char line[512];
	va_list args;
	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	if (name)
		fprintf(stderr, "tessera-agent[%s]: %s\n", name, line);
	else
		fprintf(stderr, "tessera-agent: %s\n", line);
}
