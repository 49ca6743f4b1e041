/* A listening unix stream socket at a path, mode 0600, that never removes
 * what it should not. Whatever is at the path before is left alone unless it
 * is a stale socket: a regular file, directory, symlink or device is
 * refused, and so is a socket another process is listening on (a connect()
 * probe: only ECONNREFUSED means nobody is, and then the old socket is
 * replaced). At destroy the path is removed only if it is still the socket
 * this listener bound. Used by the control socket and the local transport. */
#ifndef TSR_UTIL_UNIX_LISTENER_H
#define TSR_UTIL_UNIX_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

struct tsr_unix_listener;

/* Returns NULL with "PATH: what is wrong (what to do)" in err. The socket
 * is non-blocking and close-on-exec. */
struct tsr_unix_listener *tsr_unix_listener_create(const char *path, int backlog, char *err,
						   size_t err_len);
int tsr_unix_listener_fd(const struct tsr_unix_listener *listener);
const char *tsr_unix_listener_path(const struct tsr_unix_listener *listener);
/* Closes the socket and removes its file if it is still ours. Accepts NULL. */
void tsr_unix_listener_destroy(struct tsr_unix_listener *listener);

#endif
