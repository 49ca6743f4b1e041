/* The seccomp allow-list (see sandbox.h). ioctl stays open by number: DRM,
 * evdev and the Xen devices need dozens, and the kernel checks each against
 * the fd it is made on; what the filter removes is every way to run code
 * elsewhere or change the system. */
#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <unistd.h>

#include "util/sandbox.h"

static const char *const allowed_calls[] = {
    /* files and memory */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "lseek",
    "close",
    "close_range",
    "open",
    "openat",
    "stat",
    "fstat",
    "lstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "fcntl",
    /* Mesa's shader cache (GLES: llvmpipe compiles variants at draw time)
     * locks the files it writes; a lock on an fd already open. */
    "flock",
    "dup",
    "dup2",
    "dup3",
    "pipe",
    "pipe2",
    "getdents",
    "getdents64",
    "readlink",
    "readlinkat",
    "access",
    "faccessat",
    "faccessat2",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "mkdir",
    "mkdirat",
    "rmdir",
    "fchmod",
    "fsync",
    "fdatasync",
    "ftruncate",
    "umask",
    "fadvise64",
    "mmap",
    "munmap",
    "mremap",
    "mprotect",
    "madvise",
    "brk",
    "msync",
    "mincore",
    "memfd_create",
    "ioctl",
    /* waiting */
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    "signalfd",
    "signalfd4",
    "eventfd",
    "eventfd2",
    "futex",
    "futex_waitv",
    "nanosleep",
    "clock_nanosleep",
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "sched_yield",
    "sched_getaffinity",
    "restart_syscall",
    /* sockets: guests, the control socket, udev's netlink, xenstored */
    "socket",
    "socketpair",
    "connect",
    "accept",
    "accept4",
    "bind",
    "listen",
    "getsockname",
    "getpeername",
    "getsockopt",
    "setsockopt",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "shutdown",
    /* threads, signals, children it already has (demo agents, the GPU broker) */
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "set_tid_address",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "tgkill",
    "tkill",
    "kill",
    "pidfd_open",
    "pidfd_send_signal",
    "waitid",
    "wait4",
    "exit",
    "exit_group",
    /* identity and the clock */
    "getpid",
    "gettid",
    "getppid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "getgroups",
    "getrandom",
    "uname",
    "sysinfo",
    "prlimit64",
    "getrlimit",
    "getrusage",
    "times",
    "getcwd",
    "capget",
};

#if defined(__x86_64__) && !defined(TSR_SANITIZED)
/* The few refusals are logged from the SIGSYS handler with write(2) only.
 * A handler has no argument to carry state, hence the one static. */
static volatile sig_atomic_t refusals_logged;

static void refused_call(int signal_number, siginfo_t *info, void *context)
{
	(void)signal_number;
	if (refusals_logged < 16) {
		refusals_logged++;
		char line[96] = "tessera: sandbox: refused system call ";
		size_t len = strlen(line);
		char digits[12];
		size_t n = 0;
		unsigned value = (unsigned)info->si_syscall;
		do {
			digits[n++] = (char)('0' + value % 10);
			value /= 10;
		} while (value && n < sizeof(digits));
		while (n > 0 && len + 2 < sizeof(line))
			line[len++] = digits[--n];
		line[len++] = '\n';
		ssize_t ignored = write(STDERR_FILENO, line, len);
		(void)ignored;
	}
	/* The call returns EPERM, as if the kernel had said no. */
	ucontext_t *uc = context;
	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
}
#endif

static bool allow(scmp_filter_ctx ctx, const char *name, char *err, size_t err_len)
{
	int number = seccomp_syscall_resolve_name(name);
	if (number == __NR_SCMP_ERROR)
		return true; /* not a call on this architecture */
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, number, 0);
	if (rc != 0) {
		snprintf(err, err_len, "seccomp: allowing %s: %s", name, strerror(-rc));
		return false;
	}
	return true;
}

bool tsr_sandbox_apply(char *err, size_t err_len)
{
	uint32_t default_action = SCMP_ACT_ERRNO(EPERM);
#if defined(__x86_64__) && !defined(TSR_SANITIZED)
	struct sigaction action = {.sa_sigaction = refused_call, .sa_flags = SA_SIGINFO};
	sigemptyset(&action.sa_mask);
	sigset_t sys;
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	if (sigaction(SIGSYS, &action, NULL) == 0 && pthread_sigmask(SIG_UNBLOCK, &sys, NULL) == 0)
		default_action = SCMP_ACT_TRAP;
#endif
	scmp_filter_ctx ctx = seccomp_init(default_action);
	if (!ctx) {
		snprintf(err, err_len, "seccomp: cannot create a filter");
		return false;
	}
	err[0] = '\0';
	bool ok = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) == 0;
	if (!ok)
		snprintf(err, err_len,
			 "seccomp: the kernel does not take a filter for all threads "
			 "(no seccomp, or running under valgrind)");
	for (size_t i = 0; ok && i < sizeof(allowed_calls) / sizeof(allowed_calls[0]); i++)
		ok = allow(ctx, allowed_calls[i], err, err_len);
	if (!ok)
		goto fail;
	/* Threads, never processes: clone only with CLONE_THREAD. clone3's
	 * flags sit in memory the filter cannot read, so it reports ENOSYS and
	 * glibc falls back to clone. */
	ok = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) == 0 &&
	     seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) == 0;
	/* prctl only to name threads; never to become dumpable (traceable). */
	ok = ok &&
	     seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
			      SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME, 0)) == 0 &&
	     seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
			      SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME, 0)) == 0 &&
	     seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
			      SCMP_A0(SCMP_CMP_EQ, PR_GET_DUMPABLE, 0)) == 0;
#if defined(TSR_SANITIZED)
	/* Sanitizer builds only: LeakSanitizer stops the world at exit with a
	 * ptrace'ing helper task. Release builds never allow these. */
	ok = ok && allow(ctx, "ptrace", err, err_len) &&
	     allow(ctx, "process_vm_readv", err, err_len);
	ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 0) == 0 &&
	     seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 0) == 0;
#endif
	if (!ok) {
		if (!err[0])
			snprintf(err, err_len, "seccomp: cannot add a rule");
		goto fail;
	}
	int rc = seccomp_load(ctx);
	if (rc != 0) {
		snprintf(err, err_len, "seccomp: loading the filter: %s", strerror(-rc));
		goto fail;
	}
	seccomp_release(ctx);
	return true;
fail:
	seccomp_release(ctx);
	return false;
}
