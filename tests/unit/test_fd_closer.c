/* The closer that keeps guest fds' close() off the event loop: memfds are
 * closed at once, anything else by its thread; a close that blocks (a TCP
 * socket lingering on unsent data) neither blocks the caller nor lets the
 * queue grow past its capacity, and destroy returns while it is blocked.
 * "Closed" is observed by outcome: the read end of a pipe sees EOF once
 * the closer closed the write end. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "transport/fd_closer.h"

/* A loopback TCP socket whose close() blocks (SO_LINGER, unsent data) until
 * *peer is closed. */
static int lingering_socket(int *listener, int *peer)
{
	int small = 4096;
	struct sockaddr_in address = {.sin_family = AF_INET,
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t length = sizeof(address);
	*listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(*listener >= 0);
	CHECK(setsockopt(*listener, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) == 0);
	CHECK(bind(*listener, (struct sockaddr *)&address, sizeof(address)) == 0);
	CHECK(listen(*listener, 1) == 0);
	CHECK(getsockname(*listener, (struct sockaddr *)&address, &length) == 0);
	int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(setsockopt(client, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
	CHECK(connect(client, (struct sockaddr *)&address, sizeof(address)) == 0);
	*peer = accept4(*listener, NULL, NULL, SOCK_CLOEXEC);
	CHECK(*peer >= 0);
	int flags = fcntl(client, F_GETFL);
	fcntl(client, F_SETFL, flags | O_NONBLOCK);
	static const char chunk[4096];
	while (write(client, chunk, sizeof(chunk)) > 0)
		;
	fcntl(client, F_SETFL, flags);
	struct linger linger = {.l_onoff = 1, .l_linger = 3600};
	CHECK(setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, sizeof(linger)) == 0);
	return client;
}

static bool eof_on(int read_end)
{
	char byte;
	return read(read_end, &byte, 1) == 0; /* blocks until the write end is closed */
}

static void test_memfds_closed_here_others_by_the_thread(void)
{
	char err[128];
	struct tsr_fd_closer *closer = tsr_fd_closer_create("test", 4, err, sizeof(err));
	CHECK(closer != NULL);
	int memfd = memfd_create("buffer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	CHECK(memfd >= 0 && tsr_fd_is_shmem(memfd));
	CHECK(tsr_fd_closer_dispose(closer, memfd));
	CHECK(fcntl(memfd, F_GETFD) < 0 && errno == EBADF); /* closed at once */

	int fds[2];
	CHECK(pipe(fds) == 0);
	CHECK(!tsr_fd_is_shmem(fds[1]));
	CHECK(tsr_fd_closer_dispose(closer, fds[1]));
	CHECK(eof_on(fds[0]));
	close(fds[0]);
	tsr_fd_closer_destroy(closer);
}

static void test_blocked_close_bounds_the_queue(void)
{
	char err[128];
	struct tsr_fd_closer *closer = tsr_fd_closer_create("test", 3, err, sizeof(err));
	CHECK(closer != NULL);
	int listener, peer;
	int lingering = lingering_socket(&listener, &peer);
	CHECK(tsr_fd_closer_push(closer, lingering)); /* its close blocks the thread */
	int first[2], second[2], third[2];
	CHECK(pipe(first) == 0 && pipe(second) == 0 && pipe(third) == 0);
	CHECK(tsr_fd_closer_push(closer, first[1]));
	CHECK(tsr_fd_closer_push(closer, second[1]));
	/* Full: refused at once, the fd left to the caller. */
	CHECK_EQ_INT(tsr_fd_closer_room(closer), 0);
	CHECK(!tsr_fd_closer_push(closer, third[1]));
	CHECK(fcntl(third[1], F_GETFD) >= 0);
	/* The peer goes: the lingering close ends, and the queue drains. */
	close(peer);
	CHECK(eof_on(first[0]) && eof_on(second[0]));
	CHECK(tsr_fd_closer_push(closer, third[1]));
	CHECK(eof_on(third[0]));
	close(first[0]);
	close(second[0]);
	close(third[0]);
	close(listener);
	tsr_fd_closer_destroy(closer);
}

/* Shutdown must not wait for a guest: destroy returns after its bounded
 * wait, the blocked close finishes on its own later. */
static void test_destroy_does_not_wait_for_a_blocked_close(void)
{
	char err[128];
	struct tsr_fd_closer *closer = tsr_fd_closer_create("test", 2, err, sizeof(err));
	CHECK(closer != NULL);
	int listener, peer;
	int lingering = lingering_socket(&listener, &peer);
	int fds[2];
	CHECK(pipe(fds) == 0);
	CHECK(tsr_fd_closer_push(closer, lingering));
	CHECK(tsr_fd_closer_push(closer, fds[1]));
	tsr_fd_closer_destroy(closer); /* returns: the test would hang otherwise */
	close(peer);
	CHECK(eof_on(fds[0])); /* the detached thread still finished the queue */
	close(fds[0]);
	close(listener);
}

TSR_TEST_MAIN(TSR_CASE(test_memfds_closed_here_others_by_the_thread),
	      TSR_CASE(test_blocked_close_bounds_the_queue),
	      TSR_CASE(test_destroy_does_not_wait_for_a_blocked_close))
