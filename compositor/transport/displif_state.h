/* The XenBus state machine of one displif device, seen from the backend,
 * pure: it is told what the frontend's state node (guest-writable) and our
 * backend state node (the toolstack's and ours) now say, and answers what to
 * do and which state to write. The glue (displif_transport.c) does the
 * xenstore I/O and the mapping.
 *
 *   ours        frontend              action
 *   InitWait    Initialised           CONNECT (map rings); Connected when done
 *   Connected   Initialising, Closing, Closed, Reconfiguring, Unknown
 *                                      DISCONNECT, back to InitWait (the
 *                                      frontend makes a new card later)
 *   any         toolstack wrote Closing (xl destroy / detach)
 *                                      REMOVE, Closed at once (libxl waits
 *                                      10 s for it otherwise)
 *   any         a backend-only state, garbage, or too many changes
 *                                      VIOLATION, Closed for good */
#ifndef TSR_TRANSPORT_DISPLIF_STATE_H
#define TSR_TRANSPORT_DISPLIF_STATE_H

#include <stdbool.h>
#include <stdint.h>

enum tsr_xenbus_state {
	TSR_XENBUS_UNKNOWN = 0,
	TSR_XENBUS_INITIALISING = 1,
	TSR_XENBUS_INIT_WAIT = 2,
	TSR_XENBUS_INITIALISED = 3,
	TSR_XENBUS_CONNECTED = 4,
	TSR_XENBUS_CLOSING = 5,
	TSR_XENBUS_CLOSED = 6,
	TSR_XENBUS_RECONFIGURING = 7,
	TSR_XENBUS_RECONFIGURED = 8,
};

/* Frontend state changes allowed per window before it counts as a state
 * game (Linux needs 3 to connect and 4 more per reconnect). */
#define TSR_DISPLIF_STATE_CHANGES_MAX 12u
#define TSR_DISPLIF_STATE_WINDOW_NS 2000000000ull

enum tsr_displif_action {
	TSR_DISPLIF_ACT_NONE,
	TSR_DISPLIF_ACT_CONNECT,    /* map the rings, then tsr_displif_fsm_connected() */
	TSR_DISPLIF_ACT_DISCONNECT, /* tear the link down, keep the device */
	TSR_DISPLIF_ACT_REMOVE,	    /* tear down and forget the device */
	TSR_DISPLIF_ACT_VIOLATION,  /* tear down, log reason, refuse until the domain restarts */
};

struct tsr_displif_step {
	enum tsr_displif_action action;
	enum tsr_xenbus_state write; /* to our state node; UNKNOWN: write nothing */
	const char *reason;	     /* for the log line */
};

struct tsr_displif_fsm {
	enum tsr_xenbus_state backend;	/* what we wrote last */
	enum tsr_xenbus_state frontend; /* what the frontend said last */
	bool finished;			/* removed or dropped: ignore everything */
	uint64_t window_start_ns;
	uint32_t changes_in_window;
};

/* The device passed its checks: announce InitWait. */
struct tsr_displif_step tsr_displif_fsm_start(struct tsr_displif_fsm *fsm);

/* The frontend's state node changed (NULL: it is gone). */
struct tsr_displif_step tsr_displif_fsm_frontend(struct tsr_displif_fsm *fsm,
						 const char *untrusted_state, uint64_t now_ns);

/* Our backend state node changed (the toolstack or our own write; NULL: the
 * toolstack removed the device). */
struct tsr_displif_step tsr_displif_fsm_backend(struct tsr_displif_fsm *fsm, const char *state);

/* After CONNECT: the rings were mapped (ok) or not (a violation). */
struct tsr_displif_step tsr_displif_fsm_connected(struct tsr_displif_fsm *fsm, bool ok);

/* The link found a protocol violation, or the device must be refused. */
struct tsr_displif_step tsr_displif_fsm_fail(struct tsr_displif_fsm *fsm, const char *reason);

/* Parses a XenBus state node: one decimal digit 0..8, nothing else. */
bool tsr_xenbus_parse_state(const char *text, enum tsr_xenbus_state *out);

#endif
