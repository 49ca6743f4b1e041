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

/* Sanitizer builds (ASan) also allow what LeakSanitizer needs at exit: a
 * ptrace'ing helper task made with clone (so fork is not refused there),
 * and refusals are EPERM without the SIGSYS log line (the helper blocks
 * every signal, and a trap would kill it). */
#if defined(__SANITIZE_ADDRESS__)
#define TSR_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TSR_SANITIZED 1
#endif
#endif

bool tsr_sandbox_apply(char *err, size_t err_len);

#endif
