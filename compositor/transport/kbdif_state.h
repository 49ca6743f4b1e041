/* The XenBus state machine of one kbdif backend device, as a pure
 * function of what xenstore says (tests and the fuzzer drive it without
 * Xen). The Xen glue (kbdif_backend.c) reads the nodes, feeds the values
 * in, and carries out the returned step: map or unmap the ring, write our
 * state node.
 *
 *   discovery            -> features written, we go InitWait (2)
 *   frontend 3 or 4      -> connect (map page-gref, bind event-channel),
 *                           then Connected (4)
 *   frontend 5           -> disconnect, Closing (5)
 *   frontend 6 or 0      -> disconnect, Closed (6)
 *   frontend 1 after 6   -> InitWait again (frontend reconnect: the guest
 *                           reloaded its driver or rebooted)
 *   toolstack writes 5   -> (xl destroy / device removal) disconnect and
 *   to our state node       Closed (6) at once: libxl waits for 6
 *
 * A frontend state that is not a number 0..8 is a violation (the device is
 * dropped); 2, 7 and 8 mean nothing to a kbdif backend and are ignored. */
#ifndef TSR_TRANSPORT_KBDIF_STATE_H
#define TSR_TRANSPORT_KBDIF_STATE_H

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

struct tsr_kbdif_state {
	enum tsr_xenbus_state ours; /* what we last wrote to our state node */
	bool connected;		    /* the ring is mapped */
	bool removing;		    /* the toolstack closed us: wait for the directory to go */
};

struct tsr_kbdif_step {
	bool connect;	 /* map and bind now; then report with _connected */
	bool disconnect; /* unmap and unbind now */
	int write_state; /* write this to our state node, or -1 */
	bool violation;	 /* drop the device */
	bool removed;	 /* the device's directory is gone: forget it */
};

/* Parses a decimal xenstore value: digits only, no sign, no leading zero
 * (except "0"), at most max. */
bool tsr_kbdif_parse_uint(const char *untrusted_text, uint32_t max, uint32_t *out);

/* The device was found (our node says Initialising): go InitWait. */
struct tsr_kbdif_step tsr_kbdif_state_start(struct tsr_kbdif_state *state);

/* The frontend's state node changed; untrusted_text is its value (NULL
 * when the node is gone: treated as Closed). */
struct tsr_kbdif_step tsr_kbdif_state_frontend(struct tsr_kbdif_state *state,
					       const char *untrusted_text);

/* Our own state node, as read back (the toolstack writes 5 to remove the
 * device; NULL: the node is gone). */
struct tsr_kbdif_step tsr_kbdif_state_backend(struct tsr_kbdif_state *state, const char *text);

/* The result of a connect step: true, we are Connected (write 4); false,
 * the frontend's ring refs were bad (violation). */
struct tsr_kbdif_step tsr_kbdif_state_connected(struct tsr_kbdif_state *state, bool ok);

#endif
