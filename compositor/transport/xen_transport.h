/* Xen transport: finds guests through xenstore watches, maps each guest's
 * toolstack name to a configured [domain] with transport = xen, and connects
 * to the vchan its agent publishes. One per process, created by main after
 * the server. See README-xen.md. */
#ifndef TSR_TRANSPORT_XEN_TRANSPORT_H
#define TSR_TRANSPORT_XEN_TRANSPORT_H

#include <stddef.h>

#include "transport/xen_grant_buffer.h"

struct tsr_event_loop;
struct tsr_guest_directory;
struct tsr_xen_transport;

/* With no xen domains in the configuration this returns an idle transport
 * that never touches xenstore. NULL with err set when xen domains are
 * configured but xenstore or the watches are not available. */
struct tsr_xen_transport *tsr_xen_transport_create(struct tsr_event_loop *loop,
						   struct tsr_guest_directory *guests, char *err,
						   size_t err_len);
/* Accepts NULL. May run before or after the server is destroyed. */
void tsr_xen_transport_destroy(struct tsr_xen_transport *transport);

/* What the dom0 kernel offers for a future GLES renderer (probed once). */
enum tsr_xen_dmabuf_export
tsr_xen_transport_dmabuf_export(const struct tsr_xen_transport *transport);

#endif
