/* The Xen PV keyboard/pointer backend (kbdif, for Linux's xen-kbdfront):
 * finds the devices `xl` creates for a `vkb = [ "backend-type=linux,..." ]`
 * line through a xenstore watch on dom0's backend/vinput directory, maps
 * each to the configured [domain] with transport = xen and input = pv of
 * the toolstack's name for its domid, and gives that domain's keyboard and
 * pointer to the guest through the core's input sink seam
 * (core/input_sink.h), with key repeat generated here. One per process,
 * created by main after the server. See README-kbdif.md. */
#ifndef TSR_TRANSPORT_KBDIF_BACKEND_H
#define TSR_TRANSPORT_KBDIF_BACKEND_H

#include <stddef.h>

struct tsr_event_loop;
struct tsr_guest_directory;
struct tsr_kbdif_backend;

/* With no domain configured with input = pv this returns an idle backend
 * that never touches xenstore. NULL with err set when such domains exist
 * but xenstore, the grant device or the watch are not available. */
struct tsr_kbdif_backend *tsr_kbdif_backend_create(struct tsr_event_loop *loop,
						   struct tsr_guest_directory *guests, char *err,
						   size_t err_len);
/* Accepts NULL. Unmaps every ring and leaves the devices Closed. */
void tsr_kbdif_backend_destroy(struct tsr_kbdif_backend *backend);

#endif
