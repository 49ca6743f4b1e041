/* Secure-hotkey chords in the form the seat matches them: modifiers folded
 * to one bit per modifier, so left and right keys count the same. */
#ifndef TSR_INPUT_HOTKEY_H
#define TSR_INPUT_HOTKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/config.h"

enum tsr_modifier {
	TSR_MODIFIER_CTRL = 1u << 0,
	TSR_MODIFIER_ALT = 1u << 1,
	TSR_MODIFIER_SHIFT = 1u << 2,
	TSR_MODIFIER_META = 1u << 3,
};

/* The number of evdev keys that are modifiers (left and right of four). */
#define TSR_MODIFIER_KEY_COUNT 8u

struct tsr_chord {
	enum tsr_action action;
	int argument;
	uint32_t modifiers; /* enum tsr_modifier bits */
	uint32_t key;	    /* evdev code, never a modifier */
};

/* The modifier bit of an evdev key code, 0 for other keys. */
uint32_t tsr_modifier_of_key(uint32_t code);

/* Validates a configured hotkey and folds it into a chord. */
bool tsr_chord_from_hotkey(const struct tsr_hotkey *hotkey, struct tsr_chord *chord, char *err,
			   size_t err_len);

/* The first chord whose final key is key and whose modifiers are exactly
 * modifiers, or NULL. */
const struct tsr_chord *tsr_chord_match(const struct tsr_chord *chords, size_t count,
					uint32_t modifiers, uint32_t key);

/* Whether holding these modifiers may still be the start of some chord,
 * i.e. they are a non-empty subset of a chord's modifiers. */
bool tsr_chord_may_start(const struct tsr_chord *chords, size_t count, uint32_t modifiers);

#endif
