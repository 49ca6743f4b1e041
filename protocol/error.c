/* Error text for protocol violations: short, precise, and bounded by the
 * caller's buffer whatever the arguments are. */
#include <stdarg.h>
#include <stdio.h>

#include "wire.h"

bool tsr_wire_error(char *err, size_t err_len, const char *fmt, ...)
{
	if (err == NULL || err_len == 0) {
		return false;
	}
	va_list args;
	va_start(args, fmt);
	/* vsnprintf truncates and always terminates when err_len > 0. */
	vsnprintf(err, err_len, fmt, args);
	va_end(args);
	return false;
}
