#include <linux/input-event-codes.h>
#include <string.h>

#include "core/lock_policy.h"

#define NS_PER_S 1000000000ull

void tsr_lock_policy_init(struct tsr_lock_policy *policy)
{
	*policy = (struct tsr_lock_policy){.state = TSR_LOCK_UNLOCKED};
}

static void clear_typed(struct tsr_lock_policy *policy)
{
	explicit_bzero(policy->typed, sizeof(policy->typed));
	policy->typed_length = 0;
}

void tsr_lock_policy_fini(struct tsr_lock_policy *policy)
{
	clear_typed(policy);
	tsr_lock_policy_init(policy);
}

bool tsr_lock_policy_lock(struct tsr_lock_policy *policy)
{
	if (policy->state != TSR_LOCK_UNLOCKED)
		return false;
	clear_typed(policy);
	policy->state = TSR_LOCK_LOCKED;
	policy->failures = 0;
	policy->retry_at_ns = 0;
	return true;
}

bool tsr_lock_policy_locked(const struct tsr_lock_policy *policy)
{
	return policy->state != TSR_LOCK_UNLOCKED;
}

/* The US layout: what a key types without and with Shift, 0 for nothing.
 * Tessera has no keymap of its own; the lock screen says so. */
static char key_character(uint32_t code, bool shift, bool caps)
{
	static const struct {
		uint32_t first;
		const char *plain, *shifted;
	} rows[] = {
	    {KEY_1, "1234567890-=", "!@#$%^&*()_+"},
	    {KEY_Q, "qwertyuiop[]", "QWERTYUIOP{}"},
	    {KEY_A, "asdfghjkl;'`", "ASDFGHJKL:\"~"},
	    {KEY_BACKSLASH, "\\zxcvbnm,./", "|ZXCVBNM<>?"},
	    {KEY_SPACE, " ", " "},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t length = strlen(rows[i].plain);
		if (code < rows[i].first || code >= rows[i].first + length)
			continue;
		size_t at = code - rows[i].first;
		char plain = rows[i].plain[at];
		bool letter = plain >= 'a' && plain <= 'z';
		return (shift != (caps && letter)) ? rows[i].shifted[at] : plain;
	}
	return 0;
}

enum tsr_lock_key_result tsr_lock_policy_key(struct tsr_lock_policy *policy, uint32_t code,
					     enum tsr_key_state state, uint64_t now_ns)
{
	bool down = state != TSR_KEY_RELEASED;
	if (code == KEY_LEFTSHIFT)
		policy->shift_left = down;
	else if (code == KEY_RIGHTSHIFT)
		policy->shift_right = down;
	static const uint32_t others[] = {KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTALT,
					  KEY_RIGHTALT, KEY_LEFTMETA,  KEY_RIGHTMETA};
	for (uint32_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (code == others[i]) {
			policy->other_modifiers = down ? policy->other_modifiers | 1u << i
						       : policy->other_modifiers & ~(1u << i);
			return TSR_LOCK_KEY_IGNORED;
		}
	}
	if (policy->state != TSR_LOCK_LOCKED || !down)
		return TSR_LOCK_KEY_IGNORED;
	switch (code) {
	case KEY_CAPSLOCK:
		if (state == TSR_KEY_PRESSED)
			policy->caps = !policy->caps;
		return TSR_LOCK_KEY_IGNORED;
	case KEY_ENTER:
	case KEY_KPENTER:
		if (state != TSR_KEY_PRESSED || policy->typed_length == 0 ||
		    tsr_lock_policy_wait_ns(policy, now_ns) > 0)
			return TSR_LOCK_KEY_IGNORED;
		return TSR_LOCK_KEY_SUBMIT;
	case KEY_BACKSPACE:
		if (policy->typed_length == 0)
			return TSR_LOCK_KEY_IGNORED;
		policy->typed[--policy->typed_length] = '\0';
		return TSR_LOCK_KEY_CHANGED;
	case KEY_ESC:
		if (policy->typed_length == 0)
			return TSR_LOCK_KEY_IGNORED;
		clear_typed(policy);
		return TSR_LOCK_KEY_CHANGED;
	default:
		break;
	}
	char c = key_character(code, policy->shift_left || policy->shift_right, policy->caps);
	if (c == 0 || policy->other_modifiers != 0 ||
	    policy->typed_length >= TSR_LOCK_PASSWORD_MAX - 1)
		return TSR_LOCK_KEY_IGNORED;
	policy->typed[policy->typed_length++] = c;
	return TSR_LOCK_KEY_CHANGED;
}

bool tsr_lock_policy_take(struct tsr_lock_policy *policy, char *out, size_t out_len)
{
	if (out_len > 0)
		out[0] = '\0';
	if (policy->state != TSR_LOCK_LOCKED || policy->typed_length == 0 ||
	    out_len <= policy->typed_length)
		return false;
	memcpy(out, policy->typed, policy->typed_length);
	out[policy->typed_length] = '\0';
	clear_typed(policy);
	policy->state = TSR_LOCK_CHECKING;
	return true;
}

void tsr_lock_policy_checked(struct tsr_lock_policy *policy, bool accepted, uint64_t now_ns)
{
	if (policy->state != TSR_LOCK_CHECKING)
		return;
	if (accepted) {
		tsr_lock_policy_fini(policy);
		return;
	}
	if (policy->failures < UINT32_MAX)
		policy->failures++;
	policy->retry_at_ns = now_ns + tsr_lock_policy_delay_ns(policy->failures);
	policy->state = TSR_LOCK_LOCKED;
}

uint64_t tsr_lock_policy_delay_ns(uint32_t failures)
{
	if (failures == 0)
		return 0;
	uint64_t seconds = failures > 7 ? TSR_LOCK_DELAY_MAX_S : 1ull << (failures - 1);
	if (seconds > TSR_LOCK_DELAY_MAX_S)
		seconds = TSR_LOCK_DELAY_MAX_S;
	return seconds * NS_PER_S;
}

uint64_t tsr_lock_policy_wait_ns(const struct tsr_lock_policy *policy, uint64_t now_ns)
{
	return policy->retry_at_ns > now_ns ? policy->retry_at_ns - now_ns : 0;
}
