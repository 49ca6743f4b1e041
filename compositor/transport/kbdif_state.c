#include <stddef.h>

#include "transport/kbdif_state.h"

bool tsr_kbdif_parse_uint(const char *untrusted_text, uint32_t max, uint32_t *out)
{
	if (!untrusted_text || !untrusted_text[0])
		return false;
	if (untrusted_text[0] == '0' && untrusted_text[1] != '\0')
		return false;
	uint64_t value = 0;
	for (const char *p = untrusted_text; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		value = value * 10 + (uint64_t)(*p - '0');
		if (value > max)
			return false;
	}
	*out = (uint32_t)value;
	return true;
}

static struct tsr_kbdif_step no_step(void)
{
	return (struct tsr_kbdif_step){.write_state = -1};
}

static void go(struct tsr_kbdif_state *state, struct tsr_kbdif_step *step,
	       enum tsr_xenbus_state next)
{
	if (state->ours != next) {
		state->ours = next;
		step->write_state = (int)next;
	}
}

static void disconnect(struct tsr_kbdif_state *state, struct tsr_kbdif_step *step)
{
	if (state->connected) {
		state->connected = false;
		step->disconnect = true;
	}
}

struct tsr_kbdif_step tsr_kbdif_state_start(struct tsr_kbdif_state *state)
{
	*state = (struct tsr_kbdif_state){.ours = TSR_XENBUS_INITIALISING};
	struct tsr_kbdif_step step = no_step();
	go(state, &step, TSR_XENBUS_INIT_WAIT);
	return step;
}

struct tsr_kbdif_step tsr_kbdif_state_frontend(struct tsr_kbdif_state *state,
					       const char *untrusted_text)
{
	struct tsr_kbdif_step step = no_step();
	uint32_t frontend = TSR_XENBUS_CLOSED;
	if (untrusted_text &&
	    !tsr_kbdif_parse_uint(untrusted_text, TSR_XENBUS_RECONFIGURED, &frontend)) {
		disconnect(state, &step);
		go(state, &step, TSR_XENBUS_CLOSED);
		step.violation = true;
		return step;
	}
	/* Once removal started, only the toolstack's steps count. */
	if (state->removing)
		return step;
	switch ((enum tsr_xenbus_state)frontend) {
	case TSR_XENBUS_INITIALISING:
		if (state->ours == TSR_XENBUS_CLOSED || state->ours == TSR_XENBUS_CLOSING)
			go(state, &step, TSR_XENBUS_INIT_WAIT);
		break;
	case TSR_XENBUS_INITIALISED:
	case TSR_XENBUS_CONNECTED:
		/* Only from InitWait: a frontend that says "connected" again
		 * while we are cannot make us map a second ring. */
		if (state->ours == TSR_XENBUS_INIT_WAIT && !state->connected)
			step.connect = true;
		break;
	case TSR_XENBUS_CLOSING:
		disconnect(state, &step);
		go(state, &step, TSR_XENBUS_CLOSING);
		break;
	case TSR_XENBUS_UNKNOWN:
	case TSR_XENBUS_CLOSED:
		disconnect(state, &step);
		go(state, &step, TSR_XENBUS_CLOSED);
		break;
	case TSR_XENBUS_INIT_WAIT:
	case TSR_XENBUS_RECONFIGURING:
	case TSR_XENBUS_RECONFIGURED:
		break;
	}
	return step;
}

struct tsr_kbdif_step tsr_kbdif_state_backend(struct tsr_kbdif_state *state, const char *text)
{
	struct tsr_kbdif_step step = no_step();
	uint32_t value;
	if (!text) {
		/* The toolstack deleted the device's directory. */
		disconnect(state, &step);
		step.removed = true;
		return step;
	}
	if (!tsr_kbdif_parse_uint(text, TSR_XENBUS_RECONFIGURED, &value) ||
	    value == (uint32_t)state->ours)
		return step;
	if (value == TSR_XENBUS_CLOSING || value == TSR_XENBUS_CLOSED) {
		/* Removal: answer at once, or `xl destroy` waits 10 s. */
		disconnect(state, &step);
		state->ours = TSR_XENBUS_CLOSING; /* what the node says now */
		go(state, &step, TSR_XENBUS_CLOSED);
		state->removing = true;
	}
	return step;
}

struct tsr_kbdif_step tsr_kbdif_state_connected(struct tsr_kbdif_state *state, bool ok)
{
	struct tsr_kbdif_step step = no_step();
	if (state->removing)
		return step;
	if (!ok) {
		go(state, &step, TSR_XENBUS_CLOSED);
		step.violation = true;
		return step;
	}
	state->connected = true;
	go(state, &step, TSR_XENBUS_CONNECTED);
	return step;
}
