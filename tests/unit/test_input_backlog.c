/* The input backlog (core/input_backlog.h): what a guest that reads slowly
 * gets. Random pushes and pops, checked against the promise:
 *  - key, button, focus and scroll events come out all and in order
 *    (scroll steps summed only with the scroll right before them);
 *  - motion comes out as a subsequence of what went in, ending with the
 *    last motion, and before each kept event the guest has the position the
 *    pointer had when that event happened;
 *  - the bound holds, and a refused push changes nothing. */
#include <stdlib.h>
#include <string.h>

#include "core/input_backlog.h"
#include "test.h"

#define MAX_LOG 8192

/* One input message, with its place in the input stream as identity. */
struct item {
	enum tsr_msg_type type;
	uint32_t code, state; /* key, button; axis: axis and value */
	int32_t value;
	uint64_t serial; /* in time_ns */
	int32_t x, y;	 /* motion */
};

struct log {
	struct item items[MAX_LOG];
	size_t count;
};

static void log_push(struct log *log, struct item item)
{
	if (log->count < MAX_LOG)
		log->items[log->count++] = item;
}

static struct tsr_msg *msg_from(const struct item *item)
{
	static struct tsr_msg msg; /* large; a test may keep one */
	memset(&msg, 0, sizeof(msg));
	msg.type = item->type;
	switch (item->type) {
	case TSR_MSG_KEY:
		msg.u.key = (struct tsr_msg_key){item->code, item->state, item->serial};
		break;
	case TSR_MSG_POINTER_BUTTON:
		msg.u.pointer_button =
		    (struct tsr_msg_pointer_button){item->code, item->state, item->serial};
		break;
	case TSR_MSG_POINTER_AXIS:
		msg.u.pointer_axis =
		    (struct tsr_msg_pointer_axis){item->code, item->value, item->serial};
		break;
	case TSR_MSG_POINTER_MOTION:
		msg.u.pointer_motion =
		    (struct tsr_msg_pointer_motion){1, item->x, item->y, item->serial};
		break;
	case TSR_MSG_FOCUS_IN:
		msg.u.focus_in.count = 1;
		msg.u.focus_in.held_keys[0] = item->code;
		break;
	default:
		break;
	}
	return &msg;
}

static struct item item_from(const struct tsr_msg *msg)
{
	struct item item = {.type = msg->type};
	switch (msg->type) {
	case TSR_MSG_KEY:
		item.code = msg->u.key.code;
		item.state = msg->u.key.state;
		item.serial = msg->u.key.time_ns;
		break;
	case TSR_MSG_POINTER_BUTTON:
		item.code = msg->u.pointer_button.code;
		item.state = msg->u.pointer_button.state;
		item.serial = msg->u.pointer_button.time_ns;
		break;
	case TSR_MSG_POINTER_AXIS:
		item.code = msg->u.pointer_axis.axis;
		item.value = msg->u.pointer_axis.value;
		item.serial = msg->u.pointer_axis.time_ns;
		break;
	case TSR_MSG_POINTER_MOTION:
		item.x = msg->u.pointer_motion.x;
		item.y = msg->u.pointer_motion.y;
		item.serial = msg->u.pointer_motion.time_ns;
		break;
	case TSR_MSG_FOCUS_IN:
		item.code = msg->u.focus_in.count == 1 ? msg->u.focus_in.held_keys[0] : 0;
		break;
	default:
		break;
	}
	return item;
}

/* The stream without motion, adjacent scrolls on one axis summed: what
 * must come out identical. */
static void reduce(const struct log *in, struct log *out)
{
	out->count = 0;
	for (size_t i = 0; i < in->count; i++) {
		const struct item *item = &in->items[i];
		if (item->type == TSR_MSG_POINTER_MOTION)
			continue;
		struct item *back = out->count ? &out->items[out->count - 1] : NULL;
		if (back && item->type == TSR_MSG_POINTER_AXIS &&
		    back->type == TSR_MSG_POINTER_AXIS && back->code == item->code) {
			back->value += item->value;
			continue;
		}
		log_push(out, *item);
		out->items[out->count - 1].serial = 0; /* merged scrolls carry the last */
	}
}

static bool same_item(const struct item *a, const struct item *b)
{
	return a->type == b->type && a->code == b->code && a->state == b->state &&
	       a->value == b->value;
}

static struct item random_item(uint64_t serial, int32_t *x, int32_t *y)
{
	struct item item = {.serial = serial};
	int roll = rand() % 100;
	if (roll < 60) {
		item.type = TSR_MSG_POINTER_MOTION;
		*x += rand() % 21 - 10;
		*y += rand() % 21 - 10;
		item.x = *x;
		item.y = *y;
	} else if (roll < 75) {
		item.type = TSR_MSG_KEY;
		item.code = 1 + (uint32_t)(rand() % 100);
		item.state = (uint32_t)(rand() % 3);
	} else if (roll < 85) {
		item.type = TSR_MSG_POINTER_BUTTON;
		item.code = 0x110 + (uint32_t)(rand() % 3);
		item.state = (uint32_t)(rand() % 2);
	} else if (roll < 95) {
		item.type = TSR_MSG_POINTER_AXIS;
		item.code = (uint32_t)(rand() % 2);
		item.value = rand() % 7 - 3;
	} else if (roll < 98) {
		item.type = TSR_MSG_FOCUS_IN;
		item.code = 1 + (uint32_t)(rand() % 100);
	} else {
		item.type = TSR_MSG_FOCUS_OUT;
	}
	return item;
}

struct run {
	struct log in, out;
	size_t motions_in, motions_coalesced, refused;
};

static void check_run(const struct run *run)
{
	/* Kept events: all, in order. */
	static struct log reduced_in, reduced_out;
	reduce(&run->in, &reduced_in);
	reduce(&run->out, &reduced_out);
	CHECK_EQ_INT(reduced_out.count, reduced_in.count);
	size_t same = 0;
	for (size_t i = 0; i < reduced_in.count && i < reduced_out.count; i++)
		same += same_item(&reduced_in.items[i], &reduced_out.items[i]);
	CHECK_EQ_INT(same, reduced_in.count);

	/* Motion: a subsequence in order, each one as it went in, ending
	 * with the last; and before each kept event, the latest position. */
	size_t motions_out = 0, at = 0;
	uint64_t last_serial = 0;
	bool ordered = true, genuine = true, positioned = true;
	const struct item *last_in_motion = NULL, *last_out_motion = NULL;
	for (size_t i = 0; i < run->out.count; i++) {
		const struct item *out = &run->out.items[i];
		if (out->type != TSR_MSG_POINTER_MOTION) {
			if (out->type != TSR_MSG_KEY && out->type != TSR_MSG_POINTER_BUTTON)
				continue; /* merged scrolls and focus carry no identity */
			/* Find this event in the input (serials identify it). */
			while (at < run->in.count && run->in.items[at].serial != out->serial) {
				if (run->in.items[at].type == TSR_MSG_POINTER_MOTION)
					last_in_motion = &run->in.items[at];
				at++;
			}
			positioned &=
			    (last_in_motion == NULL) == (last_out_motion == NULL) &&
			    (!last_in_motion || last_in_motion->serial == last_out_motion->serial);
			continue;
		}
		motions_out++;
		ordered &= motions_out == 1 || out->serial > last_serial;
		last_serial = out->serial;
		bool found = false;
		for (size_t j = 0; j < run->in.count && !found; j++)
			found = run->in.items[j].serial == out->serial &&
				run->in.items[j].type == TSR_MSG_POINTER_MOTION &&
				run->in.items[j].x == out->x && run->in.items[j].y == out->y;
		genuine &= found;
		last_out_motion = out;
	}
	CHECK(ordered);
	CHECK(genuine);
	CHECK(positioned);
	CHECK(motions_out <= run->motions_in);
	CHECK_EQ_INT(motions_out + run->motions_coalesced, run->motions_in);
	const struct item *final_in = NULL;
	for (size_t i = 0; i < run->in.count; i++)
		if (run->in.items[i].type == TSR_MSG_POINTER_MOTION)
			final_in = &run->in.items[i];
	CHECK((final_in == NULL) == (last_out_motion == NULL));
	if (final_in && last_out_motion)
		CHECK_EQ_INT(last_out_motion->serial, final_in->serial);
}

static void pop_some(struct tsr_input_backlog *backlog, struct run *run, size_t count)
{
	static struct tsr_msg msg;
	for (size_t i = 0; i < count && tsr_input_backlog_front(backlog, &msg); i++) {
		log_push(&run->out, item_from(&msg));
		tsr_input_backlog_pop(backlog);
	}
}

static void test_random_streams_keep_the_promise(void)
{
	static struct run run;
	for (unsigned seed = 1; seed <= 300; seed++) {
		srand(seed);
		memset(&run, 0, sizeof(run));
		size_t max_events = 1 + (size_t)(rand() % 12);
		struct tsr_input_backlog *backlog = tsr_input_backlog_create(max_events);
		CHECK(backlog != NULL);
		if (!backlog)
			return;
		int32_t x = 500, y = 500;
		int push_percent = 30 + rand() % 60; /* how slow the reader is */
		for (uint64_t serial = 1; serial <= 2000; serial++) {
			if (rand() % 100 >= push_percent) {
				pop_some(backlog, &run, 1 + (size_t)(rand() % 4));
				continue;
			}
			struct item item = random_item(serial, &x, &y);
			size_t length = tsr_input_backlog_length(backlog);
			size_t events = tsr_input_backlog_events(backlog);
			switch (tsr_input_backlog_push(backlog, msg_from(&item))) {
			case TSR_INPUT_BACKLOG_QUEUED:
				CHECK_EQ_INT(tsr_input_backlog_length(backlog), length + 1);
				break;
			case TSR_INPUT_BACKLOG_COALESCED:
				CHECK_EQ_INT(tsr_input_backlog_length(backlog), length);
				CHECK(item.type == TSR_MSG_POINTER_MOTION ||
				      item.type == TSR_MSG_POINTER_AXIS);
				run.motions_coalesced += item.type == TSR_MSG_POINTER_MOTION;
				break;
			case TSR_INPUT_BACKLOG_FULL:
				/* Only a kept event at the bound; nothing changed. */
				CHECK(item.type != TSR_MSG_POINTER_MOTION);
				CHECK_EQ_INT(events, max_events);
				CHECK_EQ_INT(tsr_input_backlog_length(backlog), length);
				CHECK_EQ_INT(tsr_input_backlog_events(backlog), events);
				run.refused++;
				continue; /* the domain drops such a guest */
			case TSR_INPUT_BACKLOG_REFUSED:
				CHECK(false);
				continue;
			}
			log_push(&run.in, item);
			run.motions_in += item.type == TSR_MSG_POINTER_MOTION;
			CHECK(tsr_input_backlog_events(backlog) <= max_events);
			CHECK(tsr_input_backlog_length(backlog) <= 2 * max_events + 1);
		}
		pop_some(backlog, &run, SIZE_MAX);
		CHECK_EQ_INT(tsr_input_backlog_length(backlog), 0);
		CHECK_EQ_INT(tsr_input_backlog_events(backlog), 0);
		check_run(&run);
		tsr_input_backlog_destroy(backlog);
	}
}

static void test_coalescing_rules(void)
{
	struct tsr_input_backlog *backlog = tsr_input_backlog_create(2);
	CHECK(backlog != NULL);
	if (!backlog)
		return;
	static struct tsr_msg msg, out;
	msg.type = TSR_MSG_POINTER_MOTION;
	msg.u.pointer_motion = (struct tsr_msg_pointer_motion){1, 10, 10, 1};
	CHECK_EQ_INT(tsr_input_backlog_push(backlog, &msg), TSR_INPUT_BACKLOG_QUEUED);
	msg.u.pointer_motion = (struct tsr_msg_pointer_motion){1, 20, 30, 2};
	CHECK_EQ_INT(tsr_input_backlog_push(backlog, &msg), TSR_INPUT_BACKLOG_COALESCED);
	/* Scroll: summed with the scroll before it on the same axis only. */
	msg.type = TSR_MSG_POINTER_AXIS;
	msg.u.pointer_axis = (struct tsr_msg_pointer_axis){0, INT32_MAX - 1, 3};
	CHECK_EQ_INT(tsr_input_backlog_push(backlog, &msg), TSR_INPUT_BACKLOG_QUEUED);
	msg.u.pointer_axis = (struct tsr_msg_pointer_axis){0, 5, 4};
	CHECK_EQ_INT(tsr_input_backlog_push(backlog, &msg), TSR_INPUT_BACKLOG_COALESCED);
	msg.u.pointer_axis = (struct tsr_msg_pointer_axis){1, 1, 5};
	CHECK_EQ_INT(tsr_input_backlog_push(backlog, &msg), TSR_INPUT_BACKLOG_QUEUED);
	/* Two events wait: the bound. Motion still fits, a key does not. */
	msg.type = TSR_MSG_KEY;
	msg.u.key = (struct tsr_msg_key){30, 1, 6};
	CHECK_EQ_INT(tsr_input_backlog_push(backlog, &msg), TSR_INPUT_BACKLOG_FULL);
	msg.type = TSR_MSG_POINTER_MOTION;
	msg.u.pointer_motion = (struct tsr_msg_pointer_motion){1, 40, 50, 7};
	CHECK_EQ_INT(tsr_input_backlog_push(backlog, &msg), TSR_INPUT_BACKLOG_QUEUED);
	msg.type = TSR_MSG_FRAME_DONE;
	CHECK_EQ_INT(tsr_input_backlog_push(backlog, &msg), TSR_INPUT_BACKLOG_REFUSED);
	CHECK_EQ_INT(tsr_input_backlog_length(backlog), 4);
	CHECK_EQ_INT(tsr_input_backlog_events(backlog), 2);

	CHECK(tsr_input_backlog_front(backlog, &out));
	CHECK(out.type == TSR_MSG_POINTER_MOTION && out.u.pointer_motion.x == 20 &&
	      out.u.pointer_motion.y == 30 && out.u.pointer_motion.time_ns == 2);
	tsr_input_backlog_pop(backlog);
	CHECK(tsr_input_backlog_front(backlog, &out));
	CHECK(out.type == TSR_MSG_POINTER_AXIS && out.u.pointer_axis.axis == 0 &&
	      out.u.pointer_axis.value == INT32_MAX); /* saturated */
	tsr_input_backlog_pop(backlog);
	CHECK(tsr_input_backlog_front(backlog, &out));
	CHECK(out.type == TSR_MSG_POINTER_AXIS && out.u.pointer_axis.axis == 1);
	tsr_input_backlog_pop(backlog);
	/* Room again for a key. */
	msg.type = TSR_MSG_KEY;
	msg.u.key = (struct tsr_msg_key){30, 1, 8};
	CHECK_EQ_INT(tsr_input_backlog_push(backlog, &msg), TSR_INPUT_BACKLOG_QUEUED);
	CHECK(tsr_input_backlog_front(backlog, &out));
	CHECK(out.type == TSR_MSG_POINTER_MOTION && out.u.pointer_motion.x == 40);
	tsr_input_backlog_pop(backlog);
	CHECK(tsr_input_backlog_front(backlog, &out));
	CHECK(out.type == TSR_MSG_KEY && out.u.key.code == 30 && out.u.key.state == 1);
	tsr_input_backlog_pop(backlog);
	CHECK(!tsr_input_backlog_front(backlog, &out));
	tsr_input_backlog_pop(backlog); /* empty: nothing */
	CHECK_EQ_INT(tsr_input_backlog_length(backlog), 0);

	/* Grows past its first allocation to the full bound. */
	struct tsr_input_backlog *big = tsr_input_backlog_create(TSR_INPUT_BACKLOG_EVENTS);
	CHECK(big != NULL);
	msg.type = TSR_MSG_KEY;
	size_t queued = 0;
	while (big && tsr_input_backlog_push(big, &msg) == TSR_INPUT_BACKLOG_QUEUED) {
		queued++;
		msg.type = TSR_MSG_POINTER_MOTION;
		CHECK_EQ_INT(tsr_input_backlog_push(big, &msg), TSR_INPUT_BACKLOG_QUEUED);
		msg.type = TSR_MSG_KEY;
	}
	CHECK_EQ_INT(queued, TSR_INPUT_BACKLOG_EVENTS);
	CHECK_EQ_INT(tsr_input_backlog_length(big), 2 * TSR_INPUT_BACKLOG_EVENTS);
	tsr_input_backlog_destroy(big);
	tsr_input_backlog_destroy(backlog);
	tsr_input_backlog_destroy(NULL);
	CHECK(tsr_input_backlog_create(0) == NULL);
	CHECK_EQ_INT(tsr_input_backlog_length(NULL), 0);
}

TSR_TEST_MAIN(TSR_CASE(test_coalescing_rules), TSR_CASE(test_random_streams_keep_the_promise))
