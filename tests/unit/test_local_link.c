/* The local link reads whatever the socket holds and frames messages out
 * of it. fds must still belong to exactly one message: the one the guest
 * sent them with (the message holding the last byte of the read that
 * brought them); every other combination drops the guest. And messages
 * left staged after a full dispatch are handled without new socket data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tessera/event_loop.h"
#include "tessera/protocol.h"
#include "test.h"
#include "transport/fd_closer.h"
#include "transport/local_link.h"

#define MAX_SEEN 256

struct recorder {
	enum tsr_msg_type seen[MAX_SEEN];
	size_t seen_count;
	bool closed, violation;
	char reason[160];
};

static bool record_message(void *data, const struct tsr_msg *msg)
{
	struct recorder *recorder = data;
	if (recorder->seen_count < MAX_SEEN)
		recorder->seen[recorder->seen_count++] = msg->type;
	return true;
}

static void record_closed(void *data, const char *reason, bool violation)
{
	struct recorder *recorder = data;
	recorder->closed = true;
	recorder->violation = violation;
	snprintf(recorder->reason, sizeof(recorder->reason), "%s", reason);
}

struct fixture {
	struct tsr_event_loop *loop;
	struct tsr_guest_link *link;
	struct tsr_fd_closer *closer;
	struct recorder recorder;
	int guest_fd;
};

static void start(struct fixture *fixture)
{
	memset(fixture, 0, sizeof(*fixture));
	int pair[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
	fixture->loop = tsr_event_loop_create();
	char err[128];
	fixture->closer = tsr_fd_closer_create("test", 1024, err, sizeof(err));
	CHECK(fixture->closer != NULL);
	fixture->link = tsr_local_link_create(fixture->loop, pair[0], fixture->closer, NULL, NULL);
	fixture->guest_fd = pair[1];
	fixture->link->listener = (struct tsr_guest_link_listener){
	    .message = record_message, .closed = record_closed, .data = &fixture->recorder};
	CHECK(tsr_local_link_start(fixture->link));
}

static void finish(struct fixture *fixture)
{
	tsr_guest_link_destroy(fixture->link);
	tsr_fd_closer_destroy(fixture->closer);
	tsr_event_loop_destroy(fixture->loop);
	close(fixture->guest_fd);
}

static void dispatch_until(struct fixture *fixture, size_t seen)
{
	for (int i = 0; i < 50 && !fixture->recorder.closed && fixture->recorder.seen_count < seen;
	     i++)
		tsr_event_loop_dispatch(fixture->loop, 20);
}

/* Appends msg's encoding to buf at *len. */
static void append(uint8_t *buf, size_t *len, const struct tsr_msg *msg)
{
	size_t n = tsr_msg_encode(msg, buf + *len, 8192 - *len);
	CHECK(n > 0);
	*len += n;
}

static void append_commit(uint8_t *buf, size_t *len, uint32_t serial)
{
	struct tsr_msg msg = {.type = TSR_MSG_COMMIT};
	msg.u.commit = (struct tsr_msg_commit){.surface_id = 1, .buffer_id = 1, .serial = serial};
	append(buf, len, &msg);
}

static void append_attach(uint8_t *buf, size_t *len)
{
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd =
	    (struct tsr_msg_buffer_attach_memfd){.surface_id = 1, .buffer_id = 2, .size = 4096};
	append(buf, len, &msg);
}

static void append_damage(uint8_t *buf, size_t *len)
{
	struct tsr_msg msg = {.type = TSR_MSG_DAMAGE};
	msg.u.damage.surface_id = 1;
	msg.u.damage.count = 1;
	msg.u.damage.rects[0] = (struct tsr_rect){0, 0, 4, 4};
	append(buf, len, &msg);
}

/* One sendmsg of len bytes, with an fd (a pipe end) when with_fd. */
static void send_with(struct fixture *fixture, const uint8_t *buf, size_t len, bool with_fd)
{
	int pipe_fds[2] = {-1, -1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {(void *)buf, len};
	struct msghdr header = {.msg_iov = &iov, .msg_iovlen = 1};
	if (with_fd) {
		CHECK(pipe(pipe_fds) == 0);
		header.msg_control = control.buf;
		header.msg_controllen = sizeof(control.buf);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&header);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &pipe_fds[0], sizeof(int));
	}
	CHECK(sendmsg(fixture->guest_fd, &header, MSG_NOSIGNAL) == (ssize_t)len);
	if (with_fd) {
		close(pipe_fds[0]);
		close(pipe_fds[1]);
	}
}

/* 100 messages in one write: 64 per wake-up, the rest from the staging
 * buffer (after the other sources' events) without new data on the socket. */
static void test_staged_messages_all_handled(void)
{
	struct fixture fixture;
	start(&fixture);
	uint8_t buf[8192];
	size_t len = 0;
	for (uint32_t i = 0; i < 100; i++)
		append_commit(buf, &len, i);
	send_with(&fixture, buf, len, false);
	dispatch_until(&fixture, 100);
	CHECK_EQ_INT(fixture.recorder.seen_count, 100);
	CHECK(!fixture.recorder.closed);
	finish(&fixture);
}

/* An honest guest: earlier messages glued before the attach and its fd. */
static void test_fd_belongs_to_the_attach_it_came_with(void)
{
	struct fixture fixture;
	start(&fixture);
	uint8_t buf[8192];
	size_t len = 0;
	append_damage(buf, &len);
	append_commit(buf, &len, 1);
	send_with(&fixture, buf, len, false);
	len = 0;
	append_attach(buf, &len);
	send_with(&fixture, buf, len, true);
	len = 0;
	append_commit(buf, &len, 2);
	send_with(&fixture, buf, len, false);
	dispatch_until(&fixture, 4);
	CHECK(!fixture.recorder.closed);
	CHECK_EQ_INT(fixture.recorder.seen_count, 4);
	CHECK_EQ_INT(fixture.recorder.seen[2], TSR_MSG_BUFFER_ATTACH_MEMFD);
	finish(&fixture);
}

/* The attach's first bytes carry the fd, its rest comes later. */
static void test_fd_with_a_split_attach(void)
{
	struct fixture fixture;
	start(&fixture);
	uint8_t buf[8192];
	size_t len = 0;
	append_attach(buf, &len);
	send_with(&fixture, buf, 10, true);
	tsr_event_loop_dispatch(fixture.loop, 20);
	send_with(&fixture, buf + 10, len - 10, false);
	dispatch_until(&fixture, 1);
	CHECK(!fixture.recorder.closed);
	CHECK_EQ_INT(fixture.recorder.seen_count, 1);
	finish(&fixture);
}

static void check_dropped(const char *what, const uint8_t *buf, size_t len, size_t delivered_before,
			  const char *reason)
{
	struct fixture fixture;
	start(&fixture);
	send_with(&fixture, buf, len, true);
	dispatch_until(&fixture, 99);
	if (!fixture.recorder.closed || !strstr(fixture.recorder.reason, reason))
		fprintf(stderr, "%s: closed %d, reason '%s'\n", what, fixture.recorder.closed,
			fixture.recorder.reason);
	CHECK(fixture.recorder.closed && fixture.recorder.violation);
	CHECK(strstr(fixture.recorder.reason, reason) != NULL);
	CHECK_EQ_INT(fixture.recorder.seen_count, delivered_before);
	finish(&fixture);
}

/* An fd sent with anything but its own attach drops the guest. */
static void test_misplaced_fds_drop_the_guest(void)
{
	uint8_t buf[8192];
	size_t len = 0;
	append_damage(buf, &len);
	check_dropped("damage with an fd", buf, len, 0, "DAMAGE came with 1 fds (0 expected)");

	/* The fd's sendmsg ends in the DAMAGE after the attach. */
	len = 0;
	append_attach(buf, &len);
	append_damage(buf, &len);
	check_dropped("attach, damage, fd", buf, len, 0,
		      "BUFFER_ATTACH_MEMFD came with 0 fds (1 expected)");

	/* Commits first are handled; the damage that ends the read is not. */
	len = 0;
	append_commit(buf, &len, 1);
	append_commit(buf, &len, 2);
	append_damage(buf, &len);
	check_dropped("commits, damage, fd", buf, len, 2, "DAMAGE came with 1 fds (0 expected)");
}

/* An fd that comes with the header of a message longer than the staging
 * buffer: the reads that complete the message are capped by the staging
 * buffer, not by what the message still needs (a grants attach of the
 * largest size once overran it by 60 KiB of guest bytes). */
static void test_fd_with_a_message_longer_than_staging(void)
{
	struct fixture fixture;
	start(&fixture);
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	uint8_t *buf = malloc(TSR_MAX_MESSAGE_SIZE);
	CHECK(msg && buf);
	msg->type = TSR_MSG_BUFFER_ATTACH_GRANTS;
	msg->u.attach_grants.surface_id = 1;
	msg->u.attach_grants.buffer_id = 2;
	msg->u.attach_grants.ref_count = TSR_MAX_GRANT_REFS;
	size_t len = tsr_msg_encode(msg, buf, TSR_MAX_MESSAGE_SIZE);
	CHECK(len > 16384);
	send_with(&fixture, buf, TSR_HEADER_SIZE, true);
	tsr_event_loop_dispatch(fixture.loop, 20);
	CHECK(!fixture.recorder.closed);
	send_with(&fixture, buf + TSR_HEADER_SIZE, len - TSR_HEADER_SIZE, false);
	dispatch_until(&fixture, 1);
	CHECK(fixture.recorder.closed && fixture.recorder.violation);
	CHECK(strstr(fixture.recorder.reason,
		     "BUFFER_ATTACH_GRANTS came with 1 fds (0 expected)") != NULL);
	CHECK_EQ_INT(fixture.recorder.seen_count, 0);
	free(buf);
	free(msg);
	finish(&fixture);
}

/* Deferred reads (guest_link.h): what the guest sends waits, however long
 * the loop runs, until read_deferred hands it over, all of it and in order;
 * a hang-up is still heard at once; undeferred, messages flow again. */
static void test_deferred_reads_wait_for_read_deferred(void)
{
	struct fixture fixture;
	start(&fixture);
	fixture.link->impl->defer_reads(fixture.link, true);
	uint8_t buf[8192];
	size_t len = 0;
	append_damage(buf, &len);
	append_commit(buf, &len, 1);
	send_with(&fixture, buf, len, false);
	for (int i = 0; i < 5; i++)
		tsr_event_loop_dispatch(fixture.loop, 10);
	CHECK_EQ_INT(fixture.recorder.seen_count, 0);
	fixture.link->impl->read_deferred(fixture.link);
	CHECK_EQ_INT(fixture.recorder.seen_count, 2);
	CHECK_EQ_INT(fixture.recorder.seen[0], TSR_MSG_DAMAGE);
	CHECK_EQ_INT(fixture.recorder.seen[1], TSR_MSG_COMMIT);
	/* Nothing more to read: a second call handles nothing. */
	fixture.link->impl->read_deferred(fixture.link);
	CHECK_EQ_INT(fixture.recorder.seen_count, 2);

	fixture.link->impl->defer_reads(fixture.link, false);
	len = 0;
	append_commit(buf, &len, 2);
	send_with(&fixture, buf, len, false);
	dispatch_until(&fixture, 3);
	CHECK_EQ_INT(fixture.recorder.seen_count, 3);
	CHECK(!fixture.recorder.closed);
	finish(&fixture);
}

/* More than one dispatch's worth while deferred: read_deferred starts it,
 * and the rest follows without a further call, as undeferred. */
static void test_deferred_flood_is_read_to_the_end(void)
{
	struct fixture fixture;
	start(&fixture);
	fixture.link->impl->defer_reads(fixture.link, true);
	uint8_t buf[8192];
	size_t len = 0;
	for (uint32_t i = 0; i < 200; i++)
		append_commit(buf, &len, i);
	send_with(&fixture, buf, len, false);
	fixture.link->impl->read_deferred(fixture.link);
	CHECK(fixture.recorder.seen_count >= 64 && fixture.recorder.seen_count < 200);
	dispatch_until(&fixture, 200);
	CHECK_EQ_INT(fixture.recorder.seen_count, 200);
	finish(&fixture);
}

static void test_hangup_heard_while_deferred(void)
{
	struct fixture fixture;
	start(&fixture);
	fixture.link->impl->defer_reads(fixture.link, true);
	uint8_t buf[256];
	size_t len = 0;
	append_commit(buf, &len, 1);
	send_with(&fixture, buf, len, false);
	close(fixture.guest_fd);
	fixture.guest_fd = -1;
	for (int i = 0; i < 50 && !fixture.recorder.closed; i++)
		tsr_event_loop_dispatch(fixture.loop, 20);
	CHECK(fixture.recorder.closed);
	CHECK(!fixture.recorder.violation);
	/* What it sent before going is not lost. */
	CHECK_EQ_INT(fixture.recorder.seen_count, 1);
	finish(&fixture);
}

TSR_TEST_MAIN(TSR_CASE(test_staged_messages_all_handled),
	      TSR_CASE(test_deferred_reads_wait_for_read_deferred),
	      TSR_CASE(test_deferred_flood_is_read_to_the_end),
	      TSR_CASE(test_hangup_heard_while_deferred),
	      TSR_CASE(test_fd_belongs_to_the_attach_it_came_with),
	      TSR_CASE(test_fd_with_a_split_attach), TSR_CASE(test_misplaced_fds_drop_the_guest),
	      TSR_CASE(test_fd_with_a_message_longer_than_staging))
