#include "core/input_sink.h"

static uint32_t clamp_to(int64_t value, uint32_t size)
{
	if (value < 0)
		return 0;
	return value >= (int64_t)size ? size - 1 : (uint32_t)value;
}

bool tsr_input_sink_map_point(uint32_t content_w, uint32_t content_h, uint32_t display_w,
			      uint32_t display_h, int32_t local_x, int32_t local_y, uint32_t *out_x,
			      uint32_t *out_y)
{
	if (!content_w || !content_h || !display_w || !display_h)
		return false;
	/* Shown size: the display itself when it fits, else the largest
	 * size of its aspect that fits (the smaller of the two ratios). */
	uint64_t shown_w = display_w, shown_h = display_h;
	if (display_w > content_w || display_h > content_h) {
		if ((uint64_t)content_w * display_h <= (uint64_t)content_h * display_w) {
			shown_w = content_w;
			shown_h = (uint64_t)display_h * content_w / display_w;
		} else {
			shown_h = content_h;
			shown_w = (uint64_t)display_w * content_h / display_h;
		}
		if (!shown_w)
			shown_w = 1;
		if (!shown_h)
			shown_h = 1;
	}
	int64_t x = (int64_t)local_x - (int64_t)(content_w - shown_w) / 2;
	int64_t y = (int64_t)local_y - (int64_t)(content_h - shown_h) / 2;
	/* Back to display pixels (exact when shown 1:1). */
	x = x * (int64_t)display_w / (int64_t)shown_w;
	y = y * (int64_t)display_h / (int64_t)shown_h;
	*out_x = clamp_to(x, display_w);
	*out_y = clamp_to(y, display_h);
	return true;
}

void tsr_input_sink_deliver(struct tsr_input_sink *sink, const struct tsr_msg *msg)
{
	if (!sink)
		return;
	switch (msg->type) {
	case TSR_MSG_KEY:
		/* The physical keyboard's own repeats: a PV guest gets
		 * Tessera's (configured delay and rate) instead. */
		if (msg->u.key.state == TSR_KEY_REPEAT)
			break;
		sink->impl->key(sink, msg->u.key.code, msg->u.key.state == TSR_KEY_PRESSED,
				msg->u.key.time_ns);
		break;
	case TSR_MSG_POINTER_BUTTON:
		sink->impl->key(sink, msg->u.pointer_button.code, msg->u.pointer_button.state != 0,
				msg->u.pointer_button.time_ns);
		break;
	case TSR_MSG_POINTER_AXIS:
		sink->impl->axis(sink, msg->u.pointer_axis.axis == 1, msg->u.pointer_axis.value,
				 msg->u.pointer_axis.time_ns);
		break;
	case TSR_MSG_FOCUS_OUT:
		sink->impl->focus_out(sink);
		break;
	default:
		/* FOCUS_IN: a PV device has no "held keys" message; keys held
		 * at focus-in were pressed elsewhere and are not replayed. */
		break;
	}
}
