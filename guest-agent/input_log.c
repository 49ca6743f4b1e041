#include "input_log.h"

#include <inttypes.h>

static const char *key_state_name(uint32_t state)
{
	switch (state) {
	case TSR_KEY_RELEASED:
		return "released";
	case TSR_KEY_PRESSED:
		return "pressed";
	case TSR_KEY_REPEAT:
		return "repeat";
	}
	return "unknown";
}

bool input_log_format(const struct tsr_msg *msg, char *line, size_t len)
{
	int written;
	switch (msg->type) {
	case TSR_MSG_KEY:
		written = snprintf(line, len, "input key %" PRIu32 " %s", msg->u.key.code,
				   key_state_name(msg->u.key.state));
		break;
	case TSR_MSG_POINTER_MOTION:
		written = snprintf(line, len, "input motion %" PRId32 " %" PRId32,
				   msg->u.pointer_motion.x, msg->u.pointer_motion.y);
		break;
	case TSR_MSG_POINTER_BUTTON:
		written =
		    snprintf(line, len, "input button %" PRIu32 " %s", msg->u.pointer_button.code,
			     key_state_name(msg->u.pointer_button.state));
		break;
	case TSR_MSG_POINTER_AXIS:
		written = snprintf(line, len, "input axis %" PRIu32 " %" PRId32,
				   msg->u.pointer_axis.axis, msg->u.pointer_axis.value);
		break;
	case TSR_MSG_FOCUS_IN: {
		uint32_t count = msg->u.focus_in.count;
		if (count > TSR_MAX_HELD_KEYS)
			return false;
		written = snprintf(line, len, "input focus-in %" PRIu32, count);
		for (uint32_t i = 0; i < count && written >= 0 && (size_t)written < len; i++)
			written += snprintf(line + written, len - (size_t)written, " %" PRIu32,
					    msg->u.focus_in.held_keys[i]);
		break;
	}
	case TSR_MSG_FOCUS_OUT:
		written = snprintf(line, len, "input focus-out");
		break;
	default:
		return false;
	}
	return written >= 0 && (size_t)written < len;
}

void input_log_write(FILE *out, const struct tsr_msg *msg)
{
	/* Enough for "input focus-in" and 32 ten-digit key codes. */
	char line[512];
	if (!input_log_format(msg, line, sizeof(line)))
		return;
	fprintf(out, "%s\n", line);
	fflush(out);
}
