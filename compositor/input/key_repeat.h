/* Key repeat that Tessera generates for guests whose input device has
 * none (Xen's kbdif: xen-kbdfront has no EV_REP). Pure policy, no clock of
 * its own: the caller passes the time in and arms a timer for the
 * deadline, so tests run it on synthetic time.
 *
 * Rules: the most recently pressed repeatable key repeats, first after the
 * delay, then rate times a second; modifiers, lock keys and pointer
 * buttons never repeat. Repeats stop when that key is released, and on
 * tsr_key_repeat_stop (focus change, device unplug). A late caller gets
 * one repeat, not a burst: missed periods are skipped. */
#ifndef TSR_INPUT_KEY_REPEAT_H
#define TSR_INPUT_KEY_REPEAT_H

#include <stdbool.h>
#include <stdint.h>

struct tsr_key_repeat {
	uint64_t delay_ns, period_ns; /* period 0: repeat is off */
	bool active;
	uint32_t code;
	uint64_t next_ns;
};

/* rate: repeats per second, 0 = never repeat. */
void tsr_key_repeat_init(struct tsr_key_repeat *repeat, uint32_t delay_ms, uint32_t rate);

/* Whether code (evdev) is a key that repeats. */
bool tsr_key_repeat_applies(uint32_t code);

void tsr_key_repeat_press(struct tsr_key_repeat *repeat, uint32_t code, uint64_t now_ns);
void tsr_key_repeat_release(struct tsr_key_repeat *repeat, uint32_t code);
void tsr_key_repeat_stop(struct tsr_key_repeat *repeat);

/* When the next repeat is due; false when none is pending. */
bool tsr_key_repeat_deadline(const struct tsr_key_repeat *repeat, uint64_t *out_ns);

/* At now: true (and the key's code) if a repeat is due; the next one is
 * then scheduled. */
bool tsr_key_repeat_due(struct tsr_key_repeat *repeat, uint64_t now_ns, uint32_t *out_code);

#endif
