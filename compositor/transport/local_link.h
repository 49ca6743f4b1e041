/* The local transport's link: one guest over a unix stream socket, buffers
 * as sealed memfds. */
#ifndef TSR_TRANSPORT_LOCAL_LINK_H
#define TSR_TRANSPORT_LOCAL_LINK_H

#include "core/guest_link.h"

struct tsr_event_loop;

/* Takes ownership of fd (a connected socket). */
struct tsr_guest_link *tsr_local_link_create(struct tsr_event_loop *loop, int fd);

/* Starts reading; call after the listener is set. */
bool tsr_local_link_start(struct tsr_guest_link *link);

#endif
