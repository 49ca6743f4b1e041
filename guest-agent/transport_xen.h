/* The agent's Xen transport: a libxenvchan server in this guest (the
 * compositor's domain connects as the client) and buffers in gntalloc pages
 * granted read-only to that domain. */
#ifndef TESSERA_AGENT_TRANSPORT_XEN_H
#define TESSERA_AGENT_TRANSPORT_XEN_H

#include "buffer_pool.h"
#include "transport.h"

/* The compositor's domain: dom0. (A GUI domain would be a new option.) */
#define AGENT_XEN_COMPOSITOR_DOMID 0u

/* connect(address): address is ignored (NULL is fine): the vchan is always
 * published at data/tessera under this guest's own xenstore home, where
 * the compositor looks for it. */
extern const struct agent_transport_type agent_transport_xen;

/* Buffers for BUFFER_ATTACH_GRANTS come from here; valid while transport
 * lives. transport must be an agent_transport_xen one. */
const struct agent_page_sharer *agent_transport_xen_sharer(struct agent_transport *transport);

#endif
