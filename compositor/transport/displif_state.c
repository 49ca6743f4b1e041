#include <stddef.h>

#include "transport/displif_state.h"

static struct tsr_displif_step step(enum tsr_displif_action action, enum tsr_xenbus_state write,
				    const char *reason)
{
	return (struct tsr_displif_step){.action = action, .write = write, .reason = reason};
}

bool tsr_xenbus_parse_state(const char *text, enum tsr_xenbus_state *out)
{
	if (!text || text[0] < '0' || text[0] > '8' || text[1] != '\0')
		return false;
	*out = (enum tsr_xenbus_state)(text[0] - '0');
	return true;
}

struct tsr_displif_step tsr_displif_fsm_start(struct tsr_displif_fsm *fsm)
{
	*fsm = (struct tsr_displif_fsm){.backend = TSR_XENBUS_INIT_WAIT};
	return step(TSR_DISPLIF_ACT_NONE, TSR_XENBUS_INIT_WAIT, "device announced");
}

struct tsr_displif_step tsr_displif_fsm_fail(struct tsr_displif_fsm *fsm, const char *reason)
{
	if (fsm->finished)
		return step(TSR_DISPLIF_ACT_NONE, TSR_XENBUS_UNKNOWN, reason);
	fsm->finished = true;
	fsm->backend = TSR_XENBUS_CLOSED;
	return step(TSR_DISPLIF_ACT_VIOLATION, TSR_XENBUS_CLOSED, reason);
}

static bool frontend_gone(enum tsr_xenbus_state state)
{
	return state == TSR_XENBUS_UNKNOWN || state == TSR_XENBUS_INITIALISING ||
	       state == TSR_XENBUS_CLOSING || state == TSR_XENBUS_CLOSED ||
	       state == TSR_XENBUS_RECONFIGURING;
}

struct tsr_displif_step tsr_displif_fsm_frontend(struct tsr_displif_fsm *fsm,
						 const char *untrusted_state, uint64_t now_ns)
{
	if (fsm->finished)
		return step(TSR_DISPLIF_ACT_NONE, TSR_XENBUS_UNKNOWN, "device finished");
	enum tsr_xenbus_state state = TSR_XENBUS_UNKNOWN;
	/* A missing node reads as Unknown (the frontend directory is being
	 * torn down); anything else must be a state. */
	if (untrusted_state && !tsr_xenbus_parse_state(untrusted_state, &state))
		return tsr_displif_fsm_fail(fsm, "the frontend's state node is not a XenBus state");
	if (state == fsm->frontend)
		return step(TSR_DISPLIF_ACT_NONE, TSR_XENBUS_UNKNOWN, "no change");
	if (now_ns - fsm->window_start_ns > TSR_DISPLIF_STATE_WINDOW_NS) {
		fsm->window_start_ns = now_ns;
		fsm->changes_in_window = 0;
	}
	if (++fsm->changes_in_window > TSR_DISPLIF_STATE_CHANGES_MAX)
		return tsr_displif_fsm_fail(fsm, "the frontend changes its state too often");
	fsm->frontend = state;
	if (state == TSR_XENBUS_INIT_WAIT || state == TSR_XENBUS_RECONFIGURED)
		return tsr_displif_fsm_fail(fsm, "the frontend claims a backend-only state");

	if (fsm->backend == TSR_XENBUS_INIT_WAIT) {
		if (state == TSR_XENBUS_INITIALISED)
			return step(TSR_DISPLIF_ACT_CONNECT, TSR_XENBUS_UNKNOWN,
				    "the frontend published its rings");
		/* Connected here is a frontend still attached to a previous
		 * Tessera: seeing our InitWait, it unplugs its card and comes
		 * back through Initialising. */
		return step(TSR_DISPLIF_ACT_NONE, TSR_XENBUS_UNKNOWN, "waiting for the frontend");
	}
	/* Connected. */
	if (frontend_gone(state)) {
		fsm->backend = TSR_XENBUS_INIT_WAIT;
		return step(TSR_DISPLIF_ACT_DISCONNECT, TSR_XENBUS_INIT_WAIT,
			    "the frontend disconnected");
	}
	/* Initialised (before its Connected) and Connected: nothing to do. */
	return step(TSR_DISPLIF_ACT_NONE, TSR_XENBUS_UNKNOWN, "connected");
}

struct tsr_displif_step tsr_displif_fsm_backend(struct tsr_displif_fsm *fsm, const char *state)
{
	enum tsr_xenbus_state written;
	if (!state) {
		bool was_finished = fsm->finished;
		fsm->finished = true;
		return step(was_finished ? TSR_DISPLIF_ACT_NONE : TSR_DISPLIF_ACT_REMOVE,
			    TSR_XENBUS_UNKNOWN, "the toolstack removed the device");
	}
	/* Only dom0 writes here; anything but the toolstack's Closing is our
	 * own write coming back through the watch. */
	if (!tsr_xenbus_parse_state(state, &written) || written != TSR_XENBUS_CLOSING ||
	    fsm->backend == TSR_XENBUS_CLOSING)
		return step(TSR_DISPLIF_ACT_NONE, TSR_XENBUS_UNKNOWN, "our own state");
	bool was_finished = fsm->finished;
	fsm->finished = true;
	fsm->backend = TSR_XENBUS_CLOSED;
	/* Answered even after a violation: libxl waits for Closed. */
	return step(was_finished ? TSR_DISPLIF_ACT_NONE : TSR_DISPLIF_ACT_REMOVE, TSR_XENBUS_CLOSED,
		    "the toolstack is removing the device");
}

struct tsr_displif_step tsr_displif_fsm_connected(struct tsr_displif_fsm *fsm, bool ok)
{
	if (fsm->finished)
		return step(TSR_DISPLIF_ACT_NONE, TSR_XENBUS_UNKNOWN, "device finished");
	if (!ok)
		return tsr_displif_fsm_fail(fsm, "the frontend's rings cannot be mapped");
	fsm->backend = TSR_XENBUS_CONNECTED;
	return step(TSR_DISPLIF_ACT_NONE, TSR_XENBUS_CONNECTED, "connected");
}
