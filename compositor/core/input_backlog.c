/* A ring of compact input entries (a struct tsr_msg is large: it can hold
 * a grant-ref array), grown by doubling up to its bound. */
#include <stdint.h>
#include <stdlib.h>

#include "core/input_backlog.h"

#define INITIAL_CAPACITY 16u

struct entry {
	enum tsr_msg_type type;
	union {
		struct tsr_msg_key key;
		struct tsr_msg_pointer_motion pointer_motion;
		struct tsr_msg_pointer_button pointer_button;
		struct tsr_msg_pointer_axis pointer_axis;
		struct tsr_msg_focus_in focus_in;
	} u;
};

struct tsr_input_backlog {
	struct entry *entries;
	size_t capacity, head, count;
	size_t events;	   /* entries other than motion */
	size_t max_events; /* bound on events */
	size_t max_entries;
};

struct tsr_input_backlog *tsr_input_backlog_create(size_t max_events)
{
	if (max_events == 0 || max_events > SIZE_MAX / 4 / sizeof(struct entry))
		return NULL;
	struct tsr_input_backlog *backlog = calloc(1, sizeof(*backlog));
	if (!backlog)
		return NULL;
	backlog->max_events = max_events;
	backlog->max_entries = 2 * max_events + 1;
	return backlog;
}

void tsr_input_backlog_destroy(struct tsr_input_backlog *backlog)
{
	if (!backlog)
		return;
	free(backlog->entries);
	free(backlog);
}

static struct entry *at(const struct tsr_input_backlog *backlog, size_t index)
{
	return &backlog->entries[(backlog->head + index) % backlog->capacity];
}

/* Room for one more entry: false only at the bound or without memory. */
static bool reserve(struct tsr_input_backlog *backlog)
{
	if (backlog->count < backlog->capacity)
		return true;
	if (backlog->capacity >= backlog->max_entries)
		return false;
	size_t capacity = backlog->capacity ? backlog->capacity * 2 : INITIAL_CAPACITY;
	if (capacity > backlog->max_entries)
		capacity = backlog->max_entries;
	struct entry *entries = malloc(capacity * sizeof(*entries));
	if (!entries)
		return false;
	for (size_t i = 0; i < backlog->count; i++)
		entries[i] = *at(backlog, i);
	free(backlog->entries);
	backlog->entries = entries;
	backlog->capacity = capacity;
	backlog->head = 0;
	return true;
}

static int32_t saturating_add(int32_t a, int32_t b)
{
	int32_t sum;
	if (__builtin_add_overflow(a, b, &sum))
		return b > 0 ? INT32_MAX : INT32_MIN;
	return sum;
}

/* Merges msg into the entry at the back where the rules allow it. */
static bool coalesce(struct tsr_input_backlog *backlog, const struct tsr_msg *msg)
{
	if (backlog->count == 0)
		return false;
	struct entry *back = at(backlog, backlog->count - 1);
	if (back->type != msg->type)
		return false;
	if (msg->type == TSR_MSG_POINTER_MOTION) {
		back->u.pointer_motion = msg->u.pointer_motion;
		return true;
	}
	if (msg->type == TSR_MSG_POINTER_AXIS &&
	    back->u.pointer_axis.axis == msg->u.pointer_axis.axis) {
		back->u.pointer_axis.value =
		    saturating_add(back->u.pointer_axis.value, msg->u.pointer_axis.value);
		back->u.pointer_axis.time_ns = msg->u.pointer_axis.time_ns;
		return true;
	}
	return false;
}

enum tsr_input_backlog_result tsr_input_backlog_push(struct tsr_input_backlog *backlog,
						     const struct tsr_msg *msg)
{
	struct entry entry = {.type = msg->type};
	switch (msg->type) {
	case TSR_MSG_KEY:
		entry.u.key = msg->u.key;
		break;
	case TSR_MSG_POINTER_MOTION:
		entry.u.pointer_motion = msg->u.pointer_motion;
		break;
	case TSR_MSG_POINTER_BUTTON:
		entry.u.pointer_button = msg->u.pointer_button;
		break;
	case TSR_MSG_POINTER_AXIS:
		entry.u.pointer_axis = msg->u.pointer_axis;
		break;
	case TSR_MSG_FOCUS_IN:
		entry.u.focus_in = msg->u.focus_in;
		break;
	case TSR_MSG_FOCUS_OUT:
		break;
	default:
		return TSR_INPUT_BACKLOG_REFUSED;
	}
	if (coalesce(backlog, msg))
		return TSR_INPUT_BACKLOG_COALESCED;
	bool motion = msg->type == TSR_MSG_POINTER_MOTION;
	if ((!motion && backlog->events >= backlog->max_events) || !reserve(backlog))
		return TSR_INPUT_BACKLOG_FULL;
	*at(backlog, backlog->count) = entry;
	backlog->count++;
	backlog->events += !motion;
	return TSR_INPUT_BACKLOG_QUEUED;
}

size_t tsr_input_backlog_length(const struct tsr_input_backlog *backlog)
{
	return backlog ? backlog->count : 0;
}

size_t tsr_input_backlog_events(const struct tsr_input_backlog *backlog)
{
	return backlog ? backlog->events : 0;
}

bool tsr_input_backlog_front(const struct tsr_input_backlog *backlog, struct tsr_msg *msg)
{
	if (!backlog || backlog->count == 0)
		return false;
	const struct entry *front = at(backlog, 0);
	msg->type = front->type;
	switch (front->type) {
	case TSR_MSG_KEY:
		msg->u.key = front->u.key;
		break;
	case TSR_MSG_POINTER_MOTION:
		msg->u.pointer_motion = front->u.pointer_motion;
		break;
	case TSR_MSG_POINTER_BUTTON:
		msg->u.pointer_button = front->u.pointer_button;
		break;
	case TSR_MSG_POINTER_AXIS:
		msg->u.pointer_axis = front->u.pointer_axis;
		break;
	case TSR_MSG_FOCUS_IN:
		msg->u.focus_in = front->u.focus_in;
		break;
	default:
		break;
	}
	return true;
}

void tsr_input_backlog_pop(struct tsr_input_backlog *backlog)
{
	if (!backlog || backlog->count == 0)
		return;
	backlog->events -= at(backlog, 0)->type != TSR_MSG_POINTER_MOTION;
	backlog->head = (backlog->head + 1) % backlog->capacity;
	backlog->count--;
}
