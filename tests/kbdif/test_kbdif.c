/* The kbdif backend's pure parts: the ring writer under hostile consumer
 * indices and a full ring, the release-keeping backlog, the XenBus state
 * machine both ways, the key repeat policy on synthetic time, and the
 * pointer mapping from content to guest pixels. The Xen glue runs in
 * tests/vm/kbdif-e2e.sh against Linux's own xen-kbdfront. */
#include <linux/input-event-codes.h>
#include <stdint.h>
#include <string.h>

#include "core/input_sink.h"
#include "input/key_repeat.h"
#include "test.h"
#include "transport/kbdif_queue.h"
#include "transport/kbdif_ring.h"
#include "transport/kbdif_state.h"

static _Alignas(4096) uint8_t page[TSR_KBDIF_PAGE_SIZE];

static uint32_t page_u32(size_t offset)
{
	uint32_t value;
	memcpy(&value, page + offset, sizeof(value));
	return value;
}

static void set_cons(uint32_t cons)
{
	memcpy(page, &cons, sizeof(cons));
}

/* The event in ring slot of producer index i, decoded as the guest does. */
static struct tsr_kbdif_event slot_event(uint32_t i)
{
	const uint8_t *e =
	    page + TSR_KBDIF_IN_RING_OFFSET + (i % TSR_KBDIF_IN_RING_LEN) * TSR_KBDIF_IN_EVENT_SIZE;
	struct tsr_kbdif_event event = {.type = e[0], .pressed = e[1] != 0};
	memcpy(&event.code, e + 4, 4);
	memcpy(&event.x, e + 4, 4);
	memcpy(&event.y, e + 8, 4);
	memcpy(&event.z, e + 12, 4);
	return event;
}

static void test_layout(void)
{
	/* xen/io/kbdif.h: 2048 / 40 = 51 slots at offset 1024. */
	CHECK_EQ_INT(TSR_KBDIF_IN_RING_LEN, 51);
	CHECK(TSR_KBDIF_IN_RING_OFFSET + TSR_KBDIF_IN_RING_LEN * TSR_KBDIF_IN_EVENT_SIZE <= 3072);
	uint8_t bytes[TSR_KBDIF_IN_EVENT_SIZE];
	memset(bytes, 0xaa, sizeof(bytes));
	tsr_kbdif_encode_event(
	    &(struct tsr_kbdif_event){.type = TSR_KBDIF_TYPE_KEY, .pressed = true, .code = 0x1e},
	    bytes);
	CHECK_EQ_INT(bytes[0], 3);
	CHECK_EQ_INT(bytes[1], 1);
	CHECK_EQ_INT(bytes[4], 0x1e);
	CHECK_EQ_INT(bytes[39], 0); /* the rest is zeroed, never stale */
	tsr_kbdif_encode_event(
	    &(struct tsr_kbdif_event){.type = TSR_KBDIF_TYPE_POS, .x = 799, .y = -1, .z = 2},
	    bytes);
	CHECK_EQ_INT(bytes[0], 4);
	int32_t y;
	memcpy(&y, bytes + 8, 4);
	CHECK_EQ_INT(y, -1);
}

static void test_ring_free(void)
{
	uint32_t space = 99;
	CHECK(tsr_kbdif_ring_free(0, 0, &space) && space == 51);
	CHECK(tsr_kbdif_ring_free(51, 0, &space) && space == 0);
	CHECK(tsr_kbdif_ring_free(10, 5, &space) && space == 46);
	/* Across the 32-bit wrap. */
	CHECK(tsr_kbdif_ring_free(3, UINT32_MAX - 2, &space) && space == 45);
	/* Hostile: the consumer ahead of the producer, or more than a ring
	 * behind. */
	CHECK(!tsr_kbdif_ring_free(0, 1, &space));
	CHECK(!tsr_kbdif_ring_free(52, 0, &space));
	CHECK(tsr_kbdif_ring_free(5, UINT32_MAX, &space) && space == 45);
	CHECK(!tsr_kbdif_ring_free(100, 0x80000000u, &space));
}

static void test_ring_write_and_hostile_cons(void)
{
	memset(page, 0, sizeof(page));
	uint32_t prod = 0;
	struct tsr_kbdif_event events[60];
	for (int i = 0; i < 60; i++)
		events[i] = (struct tsr_kbdif_event){
		    .type = TSR_KBDIF_TYPE_KEY, .pressed = true, .code = (uint32_t)i + 1};
	/* Full ring: only 51 fit, in_prod says so. */
	CHECK_EQ_INT(tsr_kbdif_ring_write(page, &prod, events, 60), 51);
	CHECK_EQ_INT(prod, 51);
	CHECK_EQ_INT(page_u32(4), 51);
	CHECK_EQ_INT(tsr_kbdif_ring_write(page, &prod, events, 1), 0);
	/* The guest consumed 10: slots 0..9 are reused modulo 51. */
	set_cons(10);
	CHECK_EQ_INT(tsr_kbdif_ring_write(page, &prod, events + 51, 9), 9);
	CHECK_EQ_INT(slot_event(51).code, 52);
	CHECK_EQ_INT(slot_event(59).code, 60);
	CHECK_EQ_INT(slot_event(10).code, 11); /* unconsumed ones untouched */
	/* Hostile consumers: nothing written, nothing published. */
	uint32_t saved = prod;
	uint8_t before[TSR_KBDIF_PAGE_SIZE];
	const uint32_t hostile[] = {prod + 1, prod - 52, 0x80000000u, UINT32_MAX};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		set_cons(hostile[i]);
		memcpy(before, page, sizeof(before));
		CHECK_EQ_INT(tsr_kbdif_ring_write(page, &prod, events, 1), -1);
		CHECK_EQ_INT(prod, saved);
		CHECK(memcmp(before, page, sizeof(before)) == 0);
	}
	/* A guest that rewrites in_prod does not move our producer. */
	set_cons(prod);
	uint32_t fake = 7;
	memcpy(page + 4, &fake, 4);
	CHECK_EQ_INT(tsr_kbdif_ring_write(page, &prod, events, 1), 1);
	CHECK_EQ_INT(prod, saved + 1);
	CHECK_EQ_INT(page_u32(4), saved + 1);
}

/* Flushes and counts the key presses and releases that reached the ring. */
static int flush_counting(struct tsr_kbdif_queue *queue, uint32_t *prod, int *presses,
			  int *releases)
{
	uint32_t before = *prod;
	int written = tsr_kbdif_queue_flush(queue, page, prod);
	for (uint32_t i = before; i != *prod; i++) {
		struct tsr_kbdif_event event = slot_event(i);
		if (event.type == TSR_KBDIF_TYPE_KEY)
			++*(event.pressed ? presses : releases);
	}
	return written;
}

static void test_queue_never_loses_releases(void)
{
	static struct tsr_kbdif_queue queue;
	memset(page, 0, sizeof(page));
	tsr_kbdif_queue_init(&queue);
	uint32_t prod = 0;
	int presses = 0, releases = 0, accepted = 0;
	/* A frontend that never consumes: the ring fills (51), then the
	 * backlog; presses beyond are dropped, never blocking. */
	for (uint32_t code = KEY_ESC; code < KEY_ESC + 200; code++) {
		accepted += tsr_kbdif_queue_key(&queue, code, true);
		CHECK(flush_counting(&queue, &prod, &presses, &releases) >= 0);
	}
	CHECK_EQ_INT(presses, 51);
	CHECK(queue.dropped > 0);
	CHECK(accepted < 200);
	CHECK(tsr_kbdif_queue_pending(&queue) <= TSR_KBDIF_BACKLOG);
	/* Every accepted key is released, however full things are. */
	for (uint32_t code = KEY_ESC; code < KEY_ESC + 200; code++)
		tsr_kbdif_queue_key(&queue, code, false);
	CHECK_EQ_INT(queue.held_count, 0);
	/* Motion and wheel never take a release's slot. */
	for (int i = 0; i < 300; i++) {
		tsr_kbdif_queue_position(&queue, i, i);
		tsr_kbdif_queue_wheel(&queue, 1);
	}
	/* The guest catches up: everything accepted arrives, each press
	 * with its release. */
	for (int round = 0; round < 20; round++) {
		set_cons(prod);
		CHECK(flush_counting(&queue, &prod, &presses, &releases) >= 0);
	}
	CHECK_EQ_INT(presses, accepted);
	CHECK_EQ_INT(releases, accepted);
	CHECK_EQ_INT(tsr_kbdif_queue_pending(&queue), 0);
}

static void test_queue_release_without_press_and_repeat(void)
{
	static struct tsr_kbdif_queue queue;
	memset(page, 0, sizeof(page));
	tsr_kbdif_queue_init(&queue);
	uint32_t prod = 0;
	/* A release of a key the guest never saw pressed is not sent. */
	CHECK(!tsr_kbdif_queue_key(&queue, KEY_A, false));
	CHECK_EQ_INT(tsr_kbdif_queue_pending(&queue), 0);
	/* Press, repeat (press of a held key), release. */
	CHECK(tsr_kbdif_queue_key(&queue, KEY_A, true));
	CHECK(tsr_kbdif_queue_key(&queue, KEY_A, true));
	CHECK(tsr_kbdif_queue_key_held(&queue, KEY_A));
	CHECK(tsr_kbdif_queue_key(&queue, KEY_A, false));
	CHECK(!tsr_kbdif_queue_key_held(&queue, KEY_A));
	CHECK_EQ_INT(tsr_kbdif_queue_flush(&queue, page, &prod), 3);
	CHECK(slot_event(0).pressed && slot_event(1).pressed && !slot_event(2).pressed);
	/* Codes beyond KEY_MAX are dropped, not written. */
	CHECK(!tsr_kbdif_queue_key(&queue, 0x300, true));
	CHECK(!tsr_kbdif_queue_key(&queue, UINT32_MAX, true));
	/* Positions coalesce: only the latest is sent. */
	tsr_kbdif_queue_position(&queue, 1, 1);
	tsr_kbdif_queue_position(&queue, 5, 6);
	CHECK_EQ_INT(tsr_kbdif_queue_pending(&queue), 1);
	/* A wheel step rides on the latest position, kbdfront's sign. */
	CHECK(tsr_kbdif_queue_wheel(&queue, 1));
	CHECK_EQ_INT(tsr_kbdif_queue_flush(&queue, page, &prod), 2);
	struct tsr_kbdif_event pos = slot_event(3), wheel = slot_event(4);
	CHECK(pos.type == TSR_KBDIF_TYPE_POS && pos.x == 5 && pos.y == 6 && pos.z == 0);
	CHECK(wheel.type == TSR_KBDIF_TYPE_POS && wheel.x == 5 && wheel.z == -1);
	/* A hostile consumer makes the flush report a violation. */
	set_cons(prod + 3);
	tsr_kbdif_queue_key(&queue, KEY_B, true);
	CHECK_EQ_INT(tsr_kbdif_queue_flush(&queue, page, &prod), -1);
}

static void test_queue_deferred_position(void)
{
	static struct tsr_kbdif_queue queue;
	memset(page, 0, sizeof(page));
	tsr_kbdif_queue_init(&queue);
	uint32_t prod = 0;
	/* Fill ring and backlog with presses (each reserves its release). */
	for (uint32_t code = KEY_ESC; code < KEY_ESC + 150; code++) {
		tsr_kbdif_queue_key(&queue, code, true);
		tsr_kbdif_queue_flush(&queue, page, &prod);
	}
	tsr_kbdif_queue_position(&queue, 10, 20);
	tsr_kbdif_queue_position(&queue, 30, 40);
	/* The guest drains: the latest position arrives at the end. */
	struct tsr_kbdif_event last = {0};
	for (int round = 0; round < 10; round++) {
		set_cons(prod);
		uint32_t before = prod;
		tsr_kbdif_queue_flush(&queue, page, &prod);
		for (uint32_t i = before; i != prod; i++)
			if (slot_event(i).type == TSR_KBDIF_TYPE_POS)
				last = slot_event(i);
	}
	CHECK(last.type == TSR_KBDIF_TYPE_POS && last.x == 30 && last.y == 40);
}

static void test_state_machine(void)
{
	struct tsr_kbdif_state state;
	struct tsr_kbdif_step step = tsr_kbdif_state_start(&state);
	CHECK_EQ_INT(step.write_state, TSR_XENBUS_INIT_WAIT);
	/* Frontend Initialising: nothing yet. */
	step = tsr_kbdif_state_frontend(&state, "1");
	CHECK(!step.connect && step.write_state == -1 && !step.violation);
	/* Initialised: connect, then Connected. */
	step = tsr_kbdif_state_frontend(&state, "3");
	CHECK(step.connect);
	step = tsr_kbdif_state_connected(&state, true);
	CHECK_EQ_INT(step.write_state, TSR_XENBUS_CONNECTED);
	CHECK(state.connected);
	/* Saying "connected" again cannot map a second ring. */
	step = tsr_kbdif_state_frontend(&state, "4");
	CHECK(!step.connect && !step.disconnect);
	step = tsr_kbdif_state_frontend(&state, "3");
	CHECK(!step.connect);
	/* Our own write read back: nothing. */
	step = tsr_kbdif_state_backend(&state, "4");
	CHECK(step.write_state == -1 && !step.disconnect);
	/* Frontend closes: disconnect, Closing, then Closed. */
	step = tsr_kbdif_state_frontend(&state, "5");
	CHECK(step.disconnect && step.write_state == TSR_XENBUS_CLOSING);
	step = tsr_kbdif_state_frontend(&state, "6");
	CHECK(!step.disconnect && step.write_state == TSR_XENBUS_CLOSED);
	/* Reconnect (the guest reloaded its driver): InitWait, connect. */
	step = tsr_kbdif_state_frontend(&state, "1");
	CHECK_EQ_INT(step.write_state, TSR_XENBUS_INIT_WAIT);
	step = tsr_kbdif_state_frontend(&state, "4");
	CHECK(step.connect);
	step = tsr_kbdif_state_connected(&state, true);
	CHECK_EQ_INT(step.write_state, TSR_XENBUS_CONNECTED);
	/* Removal: the toolstack writes 5 to our node: disconnect, 6 now. */
	step = tsr_kbdif_state_backend(&state, "5");
	CHECK(step.disconnect && step.write_state == TSR_XENBUS_CLOSED && !step.removed);
	CHECK(state.removing);
	/* During removal the frontend cannot start things again. */
	step = tsr_kbdif_state_frontend(&state, "1");
	CHECK(step.write_state == -1 && !step.connect);
	step = tsr_kbdif_state_frontend(&state, "3");
	CHECK(!step.connect);
	/* The directory goes: forget the device. */
	step = tsr_kbdif_state_backend(&state, NULL);
	CHECK(step.removed);
}

static void test_state_hostile(void)
{
	struct tsr_kbdif_state state;
	tsr_kbdif_state_start(&state);
	const char *bad[] = {"", "9", "-1", "03", "4 ", "x", "4294967300", "99999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tsr_kbdif_state_start(&state);
		struct tsr_kbdif_step step = tsr_kbdif_state_frontend(&state, bad[i]);
		CHECK(step.violation);
		CHECK(!step.connect);
	}
	/* A bad ring ref at connect: a violation, Closed. */
	tsr_kbdif_state_start(&state);
	struct tsr_kbdif_step step = tsr_kbdif_state_frontend(&state, "3");
	CHECK(step.connect);
	step = tsr_kbdif_state_connected(&state, false);
	CHECK(step.violation && step.write_state == TSR_XENBUS_CLOSED && !state.connected);
	/* The frontend's node vanishing counts as Closed. */
	tsr_kbdif_state_start(&state);
	tsr_kbdif_state_frontend(&state, "3");
	tsr_kbdif_state_connected(&state, true);
	step = tsr_kbdif_state_frontend(&state, NULL);
	CHECK(step.disconnect && step.write_state == TSR_XENBUS_CLOSED);
	/* Meaningless states are ignored. */
	tsr_kbdif_state_start(&state);
	step = tsr_kbdif_state_frontend(&state, "7");
	CHECK(!step.violation && step.write_state == -1 && !step.connect);

	uint32_t value;
	CHECK(tsr_kbdif_parse_uint("0", 5, &value) && value == 0);
	CHECK(tsr_kbdif_parse_uint("4294967295", UINT32_MAX, &value) && value == UINT32_MAX);
	CHECK(!tsr_kbdif_parse_uint("4294967296", UINT32_MAX, &value));
	CHECK(!tsr_kbdif_parse_uint(NULL, 5, &value));
	CHECK(!tsr_kbdif_parse_uint("+1", 5, &value));
}

static void test_repeat(void)
{
	struct tsr_key_repeat repeat;
	tsr_key_repeat_init(&repeat, 600, 25); /* 40 ms period */
	uint64_t t = 1000000000u, deadline;
	uint32_t code;
	CHECK(!tsr_key_repeat_deadline(&repeat, &deadline));
	tsr_key_repeat_press(&repeat, KEY_A, t);
	CHECK(tsr_key_repeat_deadline(&repeat, &deadline) && deadline == t + 600000000u);
	CHECK(!tsr_key_repeat_due(&repeat, t + 599999999u, &code));
	CHECK(tsr_key_repeat_due(&repeat, t + 600000000u, &code) && code == KEY_A);
	CHECK(tsr_key_repeat_deadline(&repeat, &deadline) && deadline == t + 640000000u);
	CHECK(!tsr_key_repeat_due(&repeat, t + 639999999u, &code));
	CHECK(tsr_key_repeat_due(&repeat, t + 640000000u, &code));
	/* A late caller gets one repeat, and the next is a period later. */
	CHECK(tsr_key_repeat_due(&repeat, t + 2000000000u, &code));
	CHECK(!tsr_key_repeat_due(&repeat, t + 2000000000u, &code));
	CHECK(tsr_key_repeat_deadline(&repeat, &deadline) && deadline == t + 2040000000u);
	/* Releasing another key does not stop it; its own release does. */
	tsr_key_repeat_release(&repeat, KEY_B);
	CHECK(tsr_key_repeat_deadline(&repeat, &deadline));
	tsr_key_repeat_release(&repeat, KEY_A);
	CHECK(!tsr_key_repeat_deadline(&repeat, &deadline));
	CHECK(!tsr_key_repeat_due(&repeat, t + 9000000000u, &code));
	/* The newest key repeats; focus change / unplug stop it. */
	tsr_key_repeat_press(&repeat, KEY_A, t);
	tsr_key_repeat_press(&repeat, KEY_B, t + 100);
	CHECK(tsr_key_repeat_due(&repeat, t + 700000000u, &code) && code == KEY_B);
	tsr_key_repeat_stop(&repeat);
	CHECK(!tsr_key_repeat_deadline(&repeat, &deadline));
	/* Modifiers, locks and buttons never repeat. */
	const uint32_t never[] = {KEY_LEFTCTRL, KEY_RIGHTALT, KEY_LEFTSHIFT,
				  KEY_LEFTMETA, KEY_CAPSLOCK, KEY_NUMLOCK,
				  BTN_LEFT,	BTN_MIDDLE,   0,
				  KEY_MAX + 1u};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		tsr_key_repeat_press(&repeat, never[i], t);
		CHECK(!tsr_key_repeat_deadline(&repeat, &deadline));
	}
	/* A held modifier does not cancel a repeating key. */
	tsr_key_repeat_press(&repeat, KEY_A, t);
	tsr_key_repeat_press(&repeat, KEY_LEFTSHIFT, t + 1);
	CHECK(tsr_key_repeat_due(&repeat, t + 600000000u, &code) && code == KEY_A);
	/* Rate 0: off. */
	tsr_key_repeat_init(&repeat, 600, 0);
	tsr_key_repeat_press(&repeat, KEY_A, t);
	CHECK(!tsr_key_repeat_deadline(&repeat, &deadline));
}

static void test_pointer_mapping(void)
{
	uint32_t x, y;
	/* Fits: 1:1, centred (800x600 in 1016x732: offset 108, 66). */
	CHECK(tsr_input_sink_map_point(1016, 732, 800, 600, 108, 66, &x, &y) && x == 0 && y == 0);
	CHECK(tsr_input_sink_map_point(1016, 732, 800, 600, 296, 168, &x, &y) && x == 188 &&
	      y == 102);
	CHECK(tsr_input_sink_map_point(1016, 732, 800, 600, 907, 665, &x, &y) && x == 799 &&
	      y == 599);
	/* Outside the shown display: clamped to its edge. */
	CHECK(tsr_input_sink_map_point(1016, 732, 800, 600, 0, 731, &x, &y) && x == 0 && y == 599);
	CHECK(tsr_input_sink_map_point(1016, 732, 800, 600, -50, 5000, &x, &y) && x == 0 &&
	      y == 599);
	/* Exactly the content size: identity. */
	CHECK(tsr_input_sink_map_point(640, 480, 640, 480, 639, 0, &x, &y) && x == 639 && y == 0);
	/* Too big: scaled down by 2 (1600x1200 in 800x600). */
	CHECK(tsr_input_sink_map_point(800, 600, 1600, 1200, 400, 300, &x, &y) && x == 800 &&
	      y == 600);
	/* Too wide: letterboxed (1600x600 in 800x600: 800x300 at y 150). */
	CHECK(tsr_input_sink_map_point(800, 600, 1600, 600, 0, 150, &x, &y) && x == 0 && y == 0);
	CHECK(tsr_input_sink_map_point(800, 600, 1600, 600, 799, 449, &x, &y) && x == 1598 &&
	      y == 598);
	/* Empty boxes. */
	CHECK(!tsr_input_sink_map_point(0, 600, 800, 600, 1, 1, &x, &y));
	CHECK(!tsr_input_sink_map_point(800, 600, 0, 0, 1, 1, &x, &y));
}

TSR_TEST_MAIN(TSR_CASE(test_layout), TSR_CASE(test_ring_free),
	      TSR_CASE(test_ring_write_and_hostile_cons), TSR_CASE(test_queue_never_loses_releases),
	      TSR_CASE(test_queue_release_without_press_and_repeat),
	      TSR_CASE(test_queue_deferred_position), TSR_CASE(test_state_machine),
	      TSR_CASE(test_state_hostile), TSR_CASE(test_repeat), TSR_CASE(test_pointer_mapping))
