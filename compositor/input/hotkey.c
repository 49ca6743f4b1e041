#include <linux/input-event-codes.h>
#include <stdio.h>

#include "hotkey.h"

uint32_t tsr_modifier_of_key(uint32_t code)
{
	switch (code) {
	case KEY_LEFTCTRL:
	case KEY_RIGHTCTRL:
		return TSR_MODIFIER_CTRL;
	case KEY_LEFTALT:
	case KEY_RIGHTALT:
		return TSR_MODIFIER_ALT;
	case KEY_LEFTSHIFT:
	case KEY_RIGHTSHIFT:
		return TSR_MODIFIER_SHIFT;
	case KEY_LEFTMETA:
	case KEY_RIGHTMETA:
		return TSR_MODIFIER_META;
	default:
		return 0;
	}
}

bool tsr_chord_from_hotkey(const struct tsr_hotkey *hotkey, struct tsr_chord *chord, char *err,
			   size_t err_len)
{
	if (hotkey->modifier_count > TSR_MAX_CHORD_KEYS) {
		snprintf(err, err_len, "%zu modifiers (at most %u)", hotkey->modifier_count,
			 TSR_MAX_CHORD_KEYS);
		return false;
	}
	uint32_t modifiers = 0;
	for (size_t i = 0; i < hotkey->modifier_count; i++) {
		uint32_t bit = tsr_modifier_of_key(hotkey->modifiers[i]);
		if (bit == 0) {
			snprintf(err, err_len, "key code %u is not Ctrl, Alt, Shift or Meta",
				 hotkey->modifiers[i]);
			return false;
		}
		modifiers |= bit;
	}
	if (hotkey->key == 0 || hotkey->key > KEY_MAX ||
	    (hotkey->key >= BTN_MISC && hotkey->key < KEY_OK)) {
		snprintf(err, err_len, "final key code %u is not a keyboard key", hotkey->key);
		return false;
	}
	/* A modifier as final key would have to be both held back and
	 * matched on its own press; no configuration needs that. */
	if (tsr_modifier_of_key(hotkey->key) != 0) {
		snprintf(err, err_len, "final key code %u is a modifier", hotkey->key);
		return false;
	}
	*chord = (struct tsr_chord){
	    .action = hotkey->action,
	    .argument = hotkey->argument,
	    .modifiers = modifiers,
	    .key = hotkey->key,
	};
	return true;
}

const struct tsr_chord *tsr_chord_match(const struct tsr_chord *chords, size_t count,
					uint32_t modifiers, uint32_t key)
{
	for (size_t i = 0; i < count; i++) {
		if (chords[i].key == key && chords[i].modifiers == modifiers) {
			return &chords[i];
		}
	}
	return NULL;
}

bool tsr_chord_may_start(const struct tsr_chord *chords, size_t count, uint32_t modifiers)
{
	if (modifiers == 0) {
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		if ((chords[i].modifiers & modifiers) == modifiers) {
			return true;
		}
	}
	return false;
}
