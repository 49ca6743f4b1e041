/* Least privilege for the compositor: once its devices, sockets and the
 * GPU broker are open, tessera becomes an unprivileged user for good and
 * confines itself with a seccomp filter. A guest that finds a bug in
 * tessera then holds neither root nor a way to run programs. */
#ifndef TSR_UTIL_PRIVILEGE_H
#define TSR_UTIL_PRIVILEGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Resolves user (a name or a numeric uid) to an unprivileged uid/gid;
 * false with err for root or an unknown user. */
bool tsr_privilege_resolve(const char *user, uid_t *uid, gid_t *gid, char *err, size_t err_len);

/* Becomes uid/gid with the user's supplementary groups (its group
 * memberships are how it reaches /dev/dri, /dev/input and /dev/xen, see
 * data/udev), irrevocably: real, effective and saved ids all change, every
 * capability is gone, and no_new_privs is set. Checks each of these
 * afterwards; false with err if any does not hold. */
bool tsr_privilege_drop(const char *user, uid_t uid, gid_t gid, char *err, size_t err_len);

/* Whether the process holds any capability (effective or permitted). */
bool tsr_privilege_has_capabilities(void);

#endif
