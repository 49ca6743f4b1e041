/* The stream link over a fake event-channel transport (the vchan's
 * semantics without Xen): bytes in the "ring" with no event are read at
 * start and after the per-wake-up cap; exact reads never take a byte of the
 * next message before this one is handled; an end in the middle of a
 * message is a violation, and the listener may destroy the link in closed;
 * a refused sender hears send_ready once the guest read half the queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

#include "tessera/event_loop.h"
#include "tessera/protocol.h"
#include "test.h"
#include "transport/framing.h"
#include "transport/stream_link.h"

#define RING_BYTES (64u * 1024u)

/* The guest's side: what it wrote (ring), what it takes of ours (room). */
struct fake {
	uint8_t ring[RING_BYTES];
	size_t ring_len, ring_read;
	bool open;
	size_t room, written;
	int event[2];	/* a pipe: written = an event is pending */
	bool destroyed; /* io->destroy ran */
};

static void fake_read(void *data, uint8_t *buf, size_t len, bool mid_message,
		      struct tsr_stream_fds *fds, struct tsr_stream_read *result)
{
	(void)fds;
	struct fake *fake = data;
	size_t ready = fake->ring_len - fake->ring_read;
	if (ready == 0 && !fake->open) {
		result->closed = "fake closed";
		result->violation = mid_message;
		return;
	}
	size_t count = len < ready ? len : ready;
	memcpy(buf, fake->ring + fake->ring_read, count);
	fake->ring_read += count;
	result->bytes = count;
}

static ssize_t fake_write(void *data, const uint8_t *bytes, size_t len)
{
	(void)bytes;
	struct fake *fake = data;
	size_t count = len < fake->room ? len : fake->room;
	fake->room -= count;
	fake->written += count;
	return (ssize_t)count;
}

static int fake_fd(void *data)
{
	struct fake *fake = data;
	return fake->event[0];
}

static bool fake_acknowledge(void *data)
{
	struct fake *fake = data;
	char byte;
	return read(fake->event[0], &byte, 1) == 1;
}

static struct tsr_buffer *fake_import(void *data, const struct tsr_msg *msg, int fd,
				      const struct tsr_buffer_request *request, char *err,
				      size_t err_len)
{
	(void)data, (void)msg, (void)fd, (void)request;
	snprintf(err, err_len, "no buffers here");
	return NULL;
}

static void fake_destroy(void *data)
{
	struct fake *fake = data;
	fake->destroyed = true;
}

static const struct tsr_stream_io fake_io = {
    .read = fake_read,
    .write = fake_write,
    .fd = fake_fd,
    .acknowledge = fake_acknowledge,
    .import_buffer = fake_import,
    .destroy = fake_destroy,
    .wakeup = TSR_STREAM_WAKEUP_EVENT,
    .exact_reads = true,
    .write_error = "fake write error",
};

struct fixture {
	struct tsr_event_loop *loop;
	struct tsr_guest_link *link;
	struct fake fake;
	size_t seen;
	size_t ring_read_at_first; /* how much had left the ring when message 1 arrived */
	bool closed, violation, destroy_in_closed;
	char reason[160];
	int send_ready;
};

static bool on_message(void *data, const struct tsr_msg *msg)
{
	(void)msg;
	struct fixture *fixture = data;
	if (fixture->seen++ == 0)
		fixture->ring_read_at_first = fixture->fake.ring_read;
	return true;
}

static void on_closed(void *data, const char *reason, bool violation)
{
	struct fixture *fixture = data;
	fixture->closed = true;
	fixture->violation = violation;
	snprintf(fixture->reason, sizeof(fixture->reason), "%s", reason);
	if (fixture->destroy_in_closed) {
		tsr_guest_link_destroy(fixture->link);
		fixture->link = NULL;
	}
}

static void on_send_ready(void *data)
{
	struct fixture *fixture = data;
	fixture->send_ready++;
}

static void start(struct fixture *fixture)
{
	memset(fixture, 0, sizeof(*fixture));
	fixture->fake.open = true;
	CHECK(pipe(fixture->fake.event) == 0);
	fixture->loop = tsr_event_loop_create();
	fixture->link = tsr_stream_link_create(fixture->loop, &fake_io, &fixture->fake);
	CHECK(fixture->link != NULL);
	CHECK(tsr_stream_link_io_data(fixture->link, &fake_io) == &fixture->fake);
	fixture->link->listener = (struct tsr_guest_link_listener){.message = on_message,
								   .closed = on_closed,
								   .send_ready = on_send_ready,
								   .data = fixture};
}

static void finish(struct fixture *fixture)
{
	tsr_guest_link_destroy(fixture->link);
	CHECK(fixture->fake.destroyed);
	tsr_event_loop_destroy(fixture->loop);
	close(fixture->fake.event[0]);
	close(fixture->fake.event[1]);
}

static void guest_writes_commits(struct fake *fake, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		struct tsr_msg msg = {.type = TSR_MSG_COMMIT};
		msg.u.commit =
		    (struct tsr_msg_commit){.surface_id = 1, .buffer_id = 1, .serial = i};
		size_t n =
		    tsr_msg_encode(&msg, fake->ring + fake->ring_len, RING_BYTES - fake->ring_len);
		CHECK(n > 0);
		fake->ring_len += n;
	}
}

static void dispatch(struct fixture *fixture, int times)
{
	for (int i = 0; i < times; i++)
		tsr_event_loop_dispatch(fixture->loop, 0);
}

/* Written before the link started and never announced by an event: 64
 * messages on the first dispatch, the rest from the idle after the cap. */
static void test_ring_bytes_without_an_event(void)
{
	struct fixture fixture;
	start(&fixture);
	guest_writes_commits(&fixture.fake, 100);
	CHECK(tsr_stream_link_start(fixture.link));
	dispatch(&fixture, 1);
	CHECK_EQ_INT(fixture.seen, 64);
	dispatch(&fixture, 3);
	CHECK_EQ_INT(fixture.seen, 100);
	CHECK(!fixture.closed);
	finish(&fixture);
}

/* Exact reads: when the first message is handled, nothing of the second
 * has left the ring. */
static void test_exact_reads_stop_at_the_message(void)
{
	struct fixture fixture;
	start(&fixture);
	guest_writes_commits(&fixture.fake, 2);
	CHECK(tsr_stream_link_start(fixture.link));
	dispatch(&fixture, 2);
	CHECK_EQ_INT(fixture.seen, 2);
	CHECK_EQ_INT(fixture.ring_read_at_first, fixture.fake.ring_len / 2);
	finish(&fixture);
}

/* The guest goes away in the middle of a message: a violation, told once,
 * and the listener destroys the link from inside closed. */
static void test_end_mid_message_destroyed_in_closed(void)
{
	struct fixture fixture;
	start(&fixture);
	guest_writes_commits(&fixture.fake, 2);
	fixture.fake.ring_len -= 3;
	fixture.fake.open = false;
	fixture.destroy_in_closed = true;
	CHECK(tsr_stream_link_start(fixture.link));
	dispatch(&fixture, 3);
	CHECK_EQ_INT(fixture.seen, 1);
	CHECK(fixture.closed && fixture.violation);
	CHECK(strcmp(fixture.reason, "fake closed") == 0);
	CHECK(fixture.link == NULL && fixture.fake.destroyed);
	finish(&fixture);
}

/* A guest that does not read: send() refuses once the queue is full; the
 * first event after the guest made room flushes it and says send_ready. */
static void test_send_ready_after_an_event(void)
{
	struct fixture fixture;
	start(&fixture);
	CHECK(tsr_stream_link_start(fixture.link));
	dispatch(&fixture, 1);
	struct tsr_msg msg = {.type = TSR_MSG_FRAME_DONE};
	size_t sent = 0;
	while (fixture.link->impl->send(fixture.link, &msg))
		sent++;
	CHECK(sent > 0);
	CHECK_EQ_INT(fixture.fake.written, 0);
	dispatch(&fixture, 2);
	CHECK_EQ_INT(fixture.send_ready, 0); /* no event, no room */
	fixture.fake.room = SIZE_MAX;
	CHECK(write(fixture.fake.event[1], "e", 1) == 1);
	dispatch(&fixture, 2);
	CHECK_EQ_INT(fixture.send_ready, 1);
	CHECK(fixture.fake.written > TSR_SEND_QUEUE_BYTES - 64);
	CHECK(!fixture.closed);
	finish(&fixture);
}

TSR_TEST_MAIN(TSR_CASE(test_ring_bytes_without_an_event),
	      TSR_CASE(test_exact_reads_stop_at_the_message),
	      TSR_CASE(test_end_mid_message_destroyed_in_closed),
	      TSR_CASE(test_send_ready_after_an_event))
