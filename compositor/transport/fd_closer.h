/* Closes guest-supplied fds off the event loop. A guest chooses what its
 * fds are, and close() of some files blocks for as long as the guest likes:
 * a TCP socket with SO_LINGER and unsent data, a FUSE file's flush, a tty
 * draining its output, a unix socket whose queue holds such fds. SIGTERM
 * cannot interrupt the loop thread there (it is blocked for the signalfd).
 * So the loop closes only what F_GET_SEALS proves to be a shmem file (a
 * memfd: closing it never waits on anyone), and hands everything else to a
 * closer: one thread and a bounded queue. A full queue is never waited on:
 * push() fails, and callers reserve room before they take fds in (see
 * local_transport.c). One closer per domain, so a close that blocks for
 * ever only delays that domain's own fds. */
#ifndef TSR_TRANSPORT_FD_CLOSER_H
#define TSR_TRANSPORT_FD_CLOSER_H

#include <stdbool.h>
#include <stddef.h>

struct tsr_fd_closer;

/* name is for log lines (the domain's). */
struct tsr_fd_closer *tsr_fd_closer_create(const char *name, size_t capacity, char *err,
					   size_t err_len);
/* Asks the thread to finish once its queue is empty; returns at once. */
void tsr_fd_closer_stop(struct tsr_fd_closer *closer);
/* Stops the closer and waits for its queue to drain, at most
 * TSR_FD_CLOSER_EXIT_WAIT_MS: a close that blocks longer is left to the
 * thread (logged), which exits with the process. Accepts NULL. */
void tsr_fd_closer_destroy(struct tsr_fd_closer *closer);

#define TSR_FD_CLOSER_EXIT_WAIT_MS 1000

/* Queues fd to be closed by the thread; false (fd untouched) when full. */
bool tsr_fd_closer_push(struct tsr_fd_closer *closer, int fd);
/* Free slots: fds still being closed count as taken. */
size_t tsr_fd_closer_room(struct tsr_fd_closer *closer);

/* Whether fd is a shmem file (memfd): fcntl(F_GET_SEALS) answers without
 * calling into any other file system, so it is safe on any fd. */
bool tsr_fd_is_shmem(int fd);

/* Closes fd here if it is a shmem file, otherwise queues it. false: the
 * queue was full and fd is still open (the caller's reservation failed). */
bool tsr_fd_closer_dispose(struct tsr_fd_closer *closer, int fd);

#endif
