/* Local transport: one listening unix socket per local domain, as named in
 * the configuration (relative paths live in the runtime directory). The
 * socket a guest connects to decides its domain: nothing the guest says. */
#ifndef TSR_TRANSPORT_LOCAL_H
#define TSR_TRANSPORT_LOCAL_H

#include <stdbool.h>
#include <stddef.h>

struct tsr_event_loop;
struct tsr_guest_directory;
struct tsr_local_transport;

struct tsr_local_transport *tsr_local_transport_create(struct tsr_event_loop *loop,
						       struct tsr_guest_directory *guests,
						       const char *runtime_dir, char *err,
						       size_t err_len);
void tsr_local_transport_destroy(struct tsr_local_transport *transport);

/* Resolves a configured path against the runtime directory. */
bool tsr_resolve_runtime_path(const char *runtime_dir, const char *path, char *out, size_t out_len);

#endif
