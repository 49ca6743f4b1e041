#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "transport/xs_watches.h"
#include "tessera/log.h"

void tsr_xs_dispatch_watches(struct xs_handle *xs, const char *who,
			     void (*handle)(void *data, const char *path, const char *token),
			     void *data)
{
	bool drained = false;
	for (unsigned n = 0; n < TSR_XS_EVENTS_PER_DISPATCH; n++) {
		char **event = xs_check_watch(xs);
		if (!event) {
			drained = true;
			break;
		}
		handle(data, event[XS_WATCH_PATH], event[XS_WATCH_TOKEN]);
		free(event);
	}
	if (drained && errno != EAGAIN)
		tsr_log_errno(TSR_LOG_ERROR, "%s: reading xenstore watches failed", who);
}
