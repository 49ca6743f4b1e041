/* The compositor's seccomp filter (libseccomp): after start-up tessera may
 * make only the system calls a running compositor needs. Everything else
 * fails with EPERM and is logged (the first few times) — in particular
 * execve, fork (clone without CLONE_THREAD), ptrace, mount, module and
 * key management, bpf, reboot and namespace changes. Applied to every
 * thread of the process. */
#ifndef TSR_UTIL_SANDBOX_H
#define TSR_UTIL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

bool tsr_sandbox_apply(char *err, size_t err_len);

#endif
