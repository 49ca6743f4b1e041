/* The lock's state machine: pure policy, no I/O and no clock (times are
 * passed in), so tests/unit/test_lock.c can drive it with random input.
 *
 * Unlocked -> locked (tsr_lock_policy_lock). While locked, key presses
 * build the typed password (US layout of evdev codes, Shift and Caps Lock;
 * nothing while Ctrl, Alt or Meta is held; Backspace deletes, Escape
 * clears); Enter submits it unless the rate limit
 * says wait. Submitting hands the password to the caller, wipes it here and
 * enters checking, where keys are ignored until the caller reports PAM's
 * answer: accepted unlocks, refused counts a failure and starts a delay of
 * 2^(failures-1) seconds, at most TSR_LOCK_DELAY_MAX_S, before the next try.
 * The password is never kept anywhere else in this struct, and every buffer
 * that held it is wiped with explicit_bzero. */
#ifndef TSR_CORE_LOCK_POLICY_H
#define TSR_CORE_LOCK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/protocol.h" /* enum tsr_key_state */

/* Characters kept; further ones are ignored (PAM gets what was kept). */
#define TSR_LOCK_PASSWORD_MAX 128u
#define TSR_LOCK_DELAY_MAX_S 64u

enum tsr_lock_state {
	TSR_LOCK_UNLOCKED,
	TSR_LOCK_LOCKED,   /* typing */
	TSR_LOCK_CHECKING, /* a password is with PAM */
};

enum tsr_lock_key_result {
	TSR_LOCK_KEY_IGNORED,
	TSR_LOCK_KEY_CHANGED, /* the typed text changed: redraw the dots */
	TSR_LOCK_KEY_SUBMIT,  /* Enter: call tsr_lock_policy_take */
};

struct tsr_lock_policy {
	enum tsr_lock_state state;
	char typed[TSR_LOCK_PASSWORD_MAX];
	size_t typed_length;
	uint32_t failures;    /* refused passwords since the lock began */
	uint64_t retry_at_ns; /* no submission before this */
	bool shift_left, shift_right, caps;
	uint32_t other_modifiers; /* Ctrl, Alt, Meta held (bit per key): no text */
};

void tsr_lock_policy_init(struct tsr_lock_policy *policy);
/* Wipes what was typed; the policy is then unlocked. */
void tsr_lock_policy_fini(struct tsr_lock_policy *policy);

/* Returns true when this locked it (false if it was locked already). */
bool tsr_lock_policy_lock(struct tsr_lock_policy *policy);
bool tsr_lock_policy_locked(const struct tsr_lock_policy *policy);

enum tsr_lock_key_result tsr_lock_policy_key(struct tsr_lock_policy *policy, uint32_t code,
					     enum tsr_key_state state, uint64_t now_ns);

/* After TSR_LOCK_KEY_SUBMIT: copies the typed password NUL-terminated into
 * out (out_len > TSR_LOCK_PASSWORD_MAX), wipes it here and enters checking.
 * Returns false (out empty) when not locked or nothing was typed. */
bool tsr_lock_policy_take(struct tsr_lock_policy *policy, char *out, size_t out_len);
/* PAM's answer for the password taken last. */
void tsr_lock_policy_checked(struct tsr_lock_policy *policy, bool accepted, uint64_t now_ns);

/* The delay after this many failures, and how long from now_ns a
 * submission still has to wait (0: it may submit). */
uint64_t tsr_lock_policy_delay_ns(uint32_t failures);
uint64_t tsr_lock_policy_wait_ns(const struct tsr_lock_policy *policy, uint64_t now_ns);

#endif
