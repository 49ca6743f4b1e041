/* The input a guest has not been able to take yet: what its link refused
 * because the guest reads its connection more slowly than input arrives.
 * Pure (no I/O, no clock): the domain pushes what the link refused and,
 * once the link has room again, sends from the front.
 *
 * What a slow guest gets (README.md, "Input under load"):
 *  - key, button, scroll, focus-in and focus-out events are all kept, in
 *    their order, up to max_events of them; the next one is refused (FULL)
 *    and nothing changes: a guest that lets that many wait does not read;
 *  - pointer motion is coalesced: a motion that follows a motion replaces
 *    it (protocol positions are absolute), so before each kept event the
 *    guest gets the position the pointer had then, and at the end the
 *    position it has now;
 *  - scroll steps that follow scroll steps on the same axis are summed
 *    (saturating), so no step is lost.
 * Motion never needs room: at most one motion entry lies between two kept
 * events, so the entries are bounded by 2 * max_events + 1. */
#ifndef TSR_CORE_INPUT_BACKLOG_H
#define TSR_CORE_INPUT_BACKLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/protocol.h"

/* Key, button, scroll and focus events a guest may leave waiting. */
#define TSR_INPUT_BACKLOG_EVENTS 1024u

enum tsr_input_backlog_result {
	TSR_INPUT_BACKLOG_QUEUED,    /* a new entry at the back */
	TSR_INPUT_BACKLOG_COALESCED, /* merged into the entry at the back */
	TSR_INPUT_BACKLOG_FULL,	     /* max_events wait already (or no memory) */
	TSR_INPUT_BACKLOG_REFUSED,   /* not an input message */
};

struct tsr_input_backlog;

/* max_events >= 1; memory grows with use, up to the bound above. */
struct tsr_input_backlog *tsr_input_backlog_create(size_t max_events);
void tsr_input_backlog_destroy(struct tsr_input_backlog *backlog); /* accepts NULL */

/* msg: KEY, POINTER_MOTION, POINTER_BUTTON, POINTER_AXIS, FOCUS_IN or
 * FOCUS_OUT. */
enum tsr_input_backlog_result tsr_input_backlog_push(struct tsr_input_backlog *backlog,
						     const struct tsr_msg *msg);

/* Entries waiting (motion included); 0 for a NULL backlog. */
size_t tsr_input_backlog_length(const struct tsr_input_backlog *backlog);
/* Of those, the ones that count against max_events. */
size_t tsr_input_backlog_events(const struct tsr_input_backlog *backlog);

/* The oldest entry: sets msg->type and its member of msg->u (nothing
 * else). false when empty. */
bool tsr_input_backlog_front(const struct tsr_input_backlog *backlog, struct tsr_msg *msg);
/* Removes the oldest entry (nothing when empty). */
void tsr_input_backlog_pop(struct tsr_input_backlog *backlog);

#endif
