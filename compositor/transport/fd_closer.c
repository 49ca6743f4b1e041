/* The closer thread takes fds from the front of a ring and closes them one
 * by one. An fd leaves the ring only after its close() returned, so room()
 * counts every guest fd still open. At shutdown the owner waits a bounded
 * time; if a close is still blocked, the thread is detached and frees the
 * shared state itself should the close ever return (exit ends it anyway). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tessera/log.h"
#include "transport/fd_closer.h"

struct tsr_fd_closer {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* work or stop, for the thread */
	pthread_cond_t done; /* the thread finished, for destroy */
	pthread_t thread;
	char name[64];
	size_t capacity, head, count;
	bool stopping, finished, detached;
	int fds[]; /* capacity */
};

bool tsr_fd_is_shmem(int fd)
{
	return fcntl(fd, F_GET_SEALS) >= 0;
}

static void free_closer(struct tsr_fd_closer *closer)
{
	pthread_cond_destroy(&closer->done);
	pthread_cond_destroy(&closer->wake);
	pthread_mutex_destroy(&closer->lock);
	free(closer);
}

static void *closer_main(void *data)
{
	struct tsr_fd_closer *closer = data;
	pthread_mutex_lock(&closer->lock);
	for (;;) {
		while (closer->count == 0 && !closer->stopping)
			pthread_cond_wait(&closer->wake, &closer->lock);
		if (closer->count == 0)
			break;
		int fd = closer->fds[closer->head];
		pthread_mutex_unlock(&closer->lock);
		close(fd); /* may block for as long as the guest likes */
		pthread_mutex_lock(&closer->lock);
		closer->head = (closer->head + 1) % closer->capacity;
		closer->count--;
	}
	closer->finished = true;
	bool detached = closer->detached;
	pthread_cond_signal(&closer->done);
	pthread_mutex_unlock(&closer->lock);
	if (detached)
		free_closer(closer);
	return NULL;
}

struct tsr_fd_closer *tsr_fd_closer_create(const char *name, size_t capacity, char *err,
					   size_t err_len)
{
	struct tsr_fd_closer *closer = calloc(1, sizeof(*closer) + capacity * sizeof(int));
	if (!closer || capacity == 0) {
		free(closer);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	snprintf(closer->name, sizeof(closer->name), "%s", name);
	closer->capacity = capacity;
	pthread_condattr_t attributes;
	pthread_condattr_init(&attributes);
	pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
	pthread_mutex_init(&closer->lock, NULL);
	pthread_cond_init(&closer->wake, NULL);
	pthread_cond_init(&closer->done, &attributes);
	pthread_condattr_destroy(&attributes);
	/* Signals are the loop's (signalfd): the thread must never take one. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int error = pthread_create(&closer->thread, NULL, closer_main, closer);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error) {
		snprintf(err, err_len, "cannot start the fd closer thread: %s", strerror(error));
		free_closer(closer);
		return NULL;
	}
	return closer;
}

void tsr_fd_closer_stop(struct tsr_fd_closer *closer)
{
	if (!closer)
		return;
	pthread_mutex_lock(&closer->lock);
	closer->stopping = true;
	pthread_cond_signal(&closer->wake);
	pthread_mutex_unlock(&closer->lock);
}

void tsr_fd_closer_destroy(struct tsr_fd_closer *closer)
{
	if (!closer)
		return;
	tsr_fd_closer_stop(closer);
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += TSR_FD_CLOSER_EXIT_WAIT_MS / 1000;
	deadline.tv_nsec += (long)(TSR_FD_CLOSER_EXIT_WAIT_MS % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&closer->lock);
	while (!closer->finished)
		if (pthread_cond_timedwait(&closer->done, &closer->lock, &deadline) == ETIMEDOUT)
			break;
	bool finished = closer->finished;
	size_t left = closer->count;
	pthread_t thread = closer->thread;
	char name[sizeof(closer->name)];
	memcpy(name, closer->name, sizeof(name));
	/* Once detached is set and the lock dropped, the thread owns closer. */
	closer->detached = !finished;
	pthread_mutex_unlock(&closer->lock);
	if (finished) {
		pthread_join(thread, NULL);
		free_closer(closer);
		return;
	}
	pthread_detach(thread);
	tsr_log_domain(TSR_LOG_WARN, name, -1,
		       "%zu fds the guest sent are still being closed (a close() blocks): "
		       "leaving them to the exit",
		       left);
}

bool tsr_fd_closer_push(struct tsr_fd_closer *closer, int fd)
{
	pthread_mutex_lock(&closer->lock);
	bool room = closer->count < closer->capacity;
	if (room) {
		closer->fds[(closer->head + closer->count) % closer->capacity] = fd;
		closer->count++;
		pthread_cond_signal(&closer->wake);
	}
	pthread_mutex_unlock(&closer->lock);
	return room;
}

size_t tsr_fd_closer_room(struct tsr_fd_closer *closer)
{
	pthread_mutex_lock(&closer->lock);
	size_t room = closer->capacity - closer->count;
	pthread_mutex_unlock(&closer->lock);
	return room;
}

bool tsr_fd_closer_dispose(struct tsr_fd_closer *closer, int fd)
{
	if (tsr_fd_is_shmem(fd)) {
		close(fd);
		return true;
	}
	return tsr_fd_closer_push(closer, fd);
}
