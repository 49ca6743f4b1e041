#include <linux/input-event-codes.h>

#include "input/key_repeat.h"

void tsr_key_repeat_init(struct tsr_key_repeat *repeat, uint32_t delay_ms, uint32_t rate)
{
	*repeat = (struct tsr_key_repeat){
	    .delay_ns = (uint64_t)delay_ms * 1000000u,
	    .period_ns = rate ? 1000000000u / rate : 0,
	};
}

bool tsr_key_repeat_applies(uint32_t code)
{
	switch (code) {
	case KEY_LEFTCTRL:
	case KEY_RIGHTCTRL:
	case KEY_LEFTSHIFT:
	case KEY_RIGHTSHIFT:
	case KEY_LEFTALT:
	case KEY_RIGHTALT:
	case KEY_LEFTMETA:
	case KEY_RIGHTMETA:
	case KEY_CAPSLOCK:
	case KEY_NUMLOCK:
	case KEY_SCROLLLOCK:
		return false;
	default:
		break;
	}
	/* Buttons (BTN_MISC up to KEY_OK) and codes beyond the key range. */
	return code > KEY_RESERVED && code <= KEY_MAX && !(code >= BTN_MISC && code < KEY_OK);
}

void tsr_key_repeat_press(struct tsr_key_repeat *repeat, uint32_t code, uint64_t now_ns)
{
	if (!repeat->period_ns || !tsr_key_repeat_applies(code))
		return;
	repeat->active = true;
	repeat->code = code;
	repeat->next_ns = now_ns + repeat->delay_ns;
}

void tsr_key_repeat_release(struct tsr_key_repeat *repeat, uint32_t code)
{
	if (repeat->active && repeat->code == code)
		repeat->active = false;
}

void tsr_key_repeat_stop(struct tsr_key_repeat *repeat)
{
	repeat->active = false;
}

bool tsr_key_repeat_deadline(const struct tsr_key_repeat *repeat, uint64_t *out_ns)
{
	if (!repeat->active)
		return false;
	*out_ns = repeat->next_ns;
	return true;
}

bool tsr_key_repeat_due(struct tsr_key_repeat *repeat, uint64_t now_ns, uint32_t *out_code)
{
	if (!repeat->active || now_ns < repeat->next_ns)
		return false;
	repeat->next_ns += repeat->period_ns;
	if (repeat->next_ns <= now_ns)
		repeat->next_ns = now_ns + repeat->period_ns;
	*out_code = repeat->code;
	return true;
}
