/* The displif backend: Tessera in dom0 serving Linux's unmodified
 * xen-drm-front. Finds vdispl devices through a xenstore watch on dom0's
 * backend/vdispl directory (the toolstack creates them from an xl
 * `vdispl = [...]` line), maps each guest's toolstack name to a configured
 * [domain NAME] with display = pv, runs the XenBus state machine
 * (displif_state.c) and gives each connected device a link to the core
 * (displif_link.c). One per process, created by main after the server.
 * See README-xen.md, "Unmodified Linux guests". */
#ifndef TSR_TRANSPORT_DISPLIF_TRANSPORT_H
#define TSR_TRANSPORT_DISPLIF_TRANSPORT_H

#include <stddef.h>

struct tsr_event_loop;
struct tsr_guest_directory;
struct tsr_displif_transport;

/* With no display = pv domains configured this returns an idle transport
 * that never touches xenstore. NULL with err set when such domains are
 * configured but xenstore or the watches are not available. */
struct tsr_displif_transport *tsr_displif_transport_create(struct tsr_event_loop *loop,
							   struct tsr_guest_directory *guests,
							   char *err, size_t err_len);
/* Puts every device to Closed (the guests unplug their cards; a new
 * Tessera makes them create new ones). Accepts NULL. */
void tsr_displif_transport_destroy(struct tsr_displif_transport *transport);

#endif
