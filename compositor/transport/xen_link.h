/* The Xen transport's link: one guest over a libxenvchan stream (dom0 is
 * the client, the agent in the guest the server), buffers as grant refs. */
#ifndef TSR_TRANSPORT_XEN_LINK_H
#define TSR_TRANSPORT_XEN_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/guest_link.h"

struct tsr_event_loop;
struct libxenvchan;

/* Told when the link is destroyed (by the core), so that the transport
 * forgets it. */
struct tsr_xen_link_owner {
	void (*link_destroyed)(void *data);
	void *data;
};

/* Takes ownership of vchan (a connected client). With dmabuf_export (the
 * transport's probe found gntdev's export), each buffer is also exported
 * as a dma-buf within this guest's budget (xen_grant_buffer.h);
 * domain_name (kept, not copied) names the guest in log lines. */
struct tsr_guest_link *tsr_xen_link_create(struct tsr_event_loop *loop, uint32_t domid,
					   const char *domain_name, bool dmabuf_export,
					   struct libxenvchan *vchan,
					   const struct tsr_xen_link_owner *owner, char *err,
					   size_t err_len);

/* Starts reading (call after the listener is set): what the agent wrote
 * before we connected is read on the next dispatch. */
bool tsr_xen_link_start(struct tsr_guest_link *link);

/* The transport goes away first: never call the owner again. */
void tsr_xen_link_forget_owner(struct tsr_guest_link *link);

/* The domain died (@releaseDomain): hands the link to listener.closed, which
 * may destroy it. Must not be called from inside the link's callbacks. */
void tsr_xen_link_domain_gone(struct tsr_guest_link *link);

/* Pages this guest has mapped now (tests, statistics). */
uint32_t tsr_xen_link_mapped_pages(struct tsr_guest_link *link);

#endif
