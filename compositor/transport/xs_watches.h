/* Handing a xenstore connection's queued watch events to a transport, a
 * bounded number per turn of the event loop (the three Xen transports). */
#ifndef TSR_TRANSPORT_XS_WATCHES_H
#define TSR_TRANSPORT_XS_WATCHES_H

#include <xenstore.h>

/* Watch events one dispatch handles before it returns to the event loop.
 * libxenstore keeps its fd readable while events are queued, so the rest
 * follow on the next turn; a flood (even one we cause) can then never
 * starve signals, timers or the other guests. */
#define TSR_XS_EVENTS_PER_DISPATCH 64u

/* Calls handle(data, path, token) for up to TSR_XS_EVENTS_PER_DISPATCH
 * queued events of xs; logs a read error under who ("displif", ...). */
void tsr_xs_dispatch_watches(struct xs_handle *xs, const char *who,
			     void (*handle)(void *data, const char *path, const char *token),
			     void *data);

#endif
