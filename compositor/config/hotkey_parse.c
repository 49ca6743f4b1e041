/* Secure hotkeys: chord parsing ("Ctrl+Alt+Right"), the [hotkeys] key names
 * and the built-in bindings. Key names are resolved by libevdev so every
 * evdev key ("1", "F1", "M", "Right", "Tab", "Escape", ...) works. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libevdev/libevdev.h>

#include "config_internal.h"

struct modifier {
	const char *name;
	uint32_t code;
};

/* Canonical order: chords are stored in this order whatever the order in the
 * file, so "Alt+Ctrl+1" and "Ctrl+Alt+1" compare equal. The input code treats
 * the right-hand keys as the same modifiers. */
static const struct modifier modifiers[] = {
    {"Ctrl", KEY_LEFTCTRL},
    {"Alt", KEY_LEFTALT},
    {"Shift", KEY_LEFTSHIFT},
    {"Super", KEY_LEFTMETA},
};

#define MODIFIER_COUNT (sizeof(modifiers) / sizeof(modifiers[0]))
#define KEY_NAME_MAX 32u

_Static_assert(MODIFIER_COUNT <= TSR_MAX_CHORD_KEYS, "modifiers must fit in a tsr_hotkey");

static const uint32_t modifier_keys[] = {
    KEY_LEFTCTRL,  KEY_RIGHTCTRL,  KEY_LEFTALT,	 KEY_RIGHTALT,
    KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_LEFTMETA, KEY_RIGHTMETA,
};

static int find_modifier(const char *token, size_t len)
{
	for (size_t i = 0; i < MODIFIER_COUNT; i++) {
		if (strlen(modifiers[i].name) == len &&
		    strncasecmp(token, modifiers[i].name, len) == 0)
			return (int)i;
	}
	return -1;
}

static bool is_modifier_key(uint32_t code)
{
	for (size_t i = 0; i < sizeof(modifier_keys) / sizeof(modifier_keys[0]); i++) {
		if (modifier_keys[i] == code)
			return true;
	}
	return false;
}

struct key_alias {
	const char *name;
	const char *evdev_name;
};

/* Names people write that evdev spells differently. */
static const struct key_alias key_aliases[] = {
    {"Escape", "KEY_ESC"},
    {"Return", "KEY_ENTER"},
};

/* Resolves "Right" to KEY_RIGHT through libevdev's name table. */
static bool resolve_key(const char *token, size_t len, uint32_t *code, char *err, size_t err_len)
{
	char evdev_name[sizeof("KEY_") + KEY_NAME_MAX];
	bool valid = len > 0 && len <= KEY_NAME_MAX;
	for (size_t i = 0; valid && i < len; i++)
		valid = isalnum((unsigned char)token[i]) || token[i] == '_';
	if (!valid) {
		snprintf(err, err_len,
			 "'%.*s' is not a key name (allowed: evdev names without KEY_, e.g. 1, F1, "
			 "M, Right, Tab, Escape)",
			 (int)(len <= KEY_NAME_MAX ? len : KEY_NAME_MAX), token);
		return false;
	}
	memcpy(evdev_name, "KEY_", 4);
	for (size_t i = 0; i < len; i++)
		evdev_name[4 + i] = (char)toupper((unsigned char)token[i]);
	evdev_name[4 + len] = '\0';
	for (size_t i = 0; i < sizeof(key_aliases) / sizeof(key_aliases[0]); i++) {
		if (strlen(key_aliases[i].name) == len &&
		    strncasecmp(token, key_aliases[i].name, len) == 0)
			snprintf(evdev_name, sizeof(evdev_name), "%s", key_aliases[i].evdev_name);
	}

	int found = libevdev_event_code_from_name(EV_KEY, evdev_name);
	if (found <= 0) {
		snprintf(err, err_len,
			 "unknown key '%.*s' (allowed: evdev names without KEY_, e.g. 1, F1, M, "
			 "Right, Tab, Escape)",
			 (int)len, token);
		return false;
	}
	if (is_modifier_key((uint32_t)found)) {
		snprintf(err, err_len,
			 "'%.*s' is a modifier key (allowed last key: any non-modifier key)",
			 (int)len, token);
		return false;
	}
	*code = (uint32_t)found;
	return true;
}

bool tsr_hotkey_parse_chord(const char *text, struct tsr_hotkey *out, char *err, size_t err_len)
{
	bool used[MODIFIER_COUNT] = {false};
	const char *token = text;
	uint32_t key = 0;

	for (;;) {
		const char *plus = strchr(token, '+');
		const char *token_end = plus ? plus : token + strlen(token);
		/* Spaces around '+' are allowed: "Ctrl + Alt + 1". */
		while (token < token_end && isspace((unsigned char)*token))
			token++;
		while (token_end > token && isspace((unsigned char)token_end[-1]))
			token_end--;
		size_t len = (size_t)(token_end - token);
		if (len == 0) {
			snprintf(err, err_len,
				 "chord '%s' has an empty part (allowed: Ctrl+Alt+KEY style, "
				 "modifiers Ctrl, Alt, Shift, Super)",
				 text);
			return false;
		}

		int modifier = find_modifier(token, len);
		if (!plus) {
			if (modifier >= 0) {
				snprintf(err, err_len,
					 "chord '%s' ends in a modifier (allowed: modifiers, then "
					 "exactly one key)",
					 text);
				return false;
			}
			if (!resolve_key(token, len, &key, err, err_len))
				return false;
			break;
		}
		if (modifier < 0) {
			snprintf(err, err_len,
				 "'%.*s' in chord '%s' is not a modifier (allowed before the key: "
				 "Ctrl, Alt, Shift, Super)",
				 (int)len, token, text);
			return false;
		}
		if (used[modifier]) {
			snprintf(err, err_len,
				 "chord '%s' names %s twice (allowed: each modifier once)", text,
				 modifiers[modifier].name);
			return false;
		}
		used[modifier] = true;
		token = plus + 1;
	}

	struct tsr_hotkey parsed = {0};
	bool has_non_shift = false;
	for (size_t i = 0; i < MODIFIER_COUNT; i++) {
		if (!used[i])
			continue;
		parsed.modifiers[parsed.modifier_count++] = modifiers[i].code;
		if (modifiers[i].code != KEY_LEFTSHIFT)
			has_non_shift = true;
	}
	/* A secure hotkey is swallowed before any domain sees it: a plain key
	 * or a Shift+key chord would steal ordinary typing. */
	if (!has_non_shift) {
		snprintf(err, err_len,
			 "chord '%s' needs a modifier (allowed: at least one of Ctrl, Alt, Super, "
			 "plus optional Shift)",
			 text);
		return false;
	}
	parsed.key = key;
	parsed.action = out->action;
	parsed.argument = out->argument;
	*out = parsed;
	return true;
}

bool tsr_hotkey_same_chord(const struct tsr_hotkey *a, const struct tsr_hotkey *b)
{
	if (a->key != b->key || a->modifier_count != b->modifier_count)
		return false;
	for (size_t i = 0; i < a->modifier_count; i++) {
		if (a->modifiers[i] != b->modifiers[i])
			return false;
	}
	return true;
}

void tsr_hotkey_format_chord(const struct tsr_hotkey *hotkey, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < hotkey->modifier_count && i < TSR_MAX_CHORD_KEYS; i++) {
		const char *name = "?";
		for (size_t m = 0; m < MODIFIER_COUNT; m++) {
			if (modifiers[m].code == hotkey->modifiers[i])
				name = modifiers[m].name;
		}
		int n = snprintf(buf + used, len - used, "%s+", name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
	const char *key_name = libevdev_event_code_get_name(EV_KEY, hotkey->key);
	if (!key_name || strncmp(key_name, "KEY_", 4) != 0) {
		snprintf(buf + used, len - used, "%u", hotkey->key);
		return;
	}
	/* KEY_RIGHT -> "Right", as a user would write it. */
	for (const char *c = key_name + 4; *c && used + 1 < len; c++) {
		bool first = c == key_name + 4;
		buf[used++] = (char)(first ? *c : tolower((unsigned char)*c));
	}
	buf[used] = '\0';
}

struct action_key {
	const char *key;
	enum tsr_action action;
	int argument;
	const char *default_chord;
};

/* The [hotkeys] keys in the order of the built-in bindings. */
static const struct action_key action_keys[] = {
    {"focus_1", TSR_ACTION_FOCUS_DOMAIN, 1, "Ctrl+Alt+1"},
    {"focus_2", TSR_ACTION_FOCUS_DOMAIN, 2, "Ctrl+Alt+2"},
    {"focus_3", TSR_ACTION_FOCUS_DOMAIN, 3, "Ctrl+Alt+3"},
    {"focus_4", TSR_ACTION_FOCUS_DOMAIN, 4, "Ctrl+Alt+4"},
    {"focus_5", TSR_ACTION_FOCUS_DOMAIN, 5, "Ctrl+Alt+5"},
    {"focus_6", TSR_ACTION_FOCUS_DOMAIN, 6, "Ctrl+Alt+6"},
    {"focus_7", TSR_ACTION_FOCUS_DOMAIN, 7, "Ctrl+Alt+7"},
    {"focus_8", TSR_ACTION_FOCUS_DOMAIN, 8, "Ctrl+Alt+8"},
    {"focus_9", TSR_ACTION_FOCUS_DOMAIN, 9, "Ctrl+Alt+9"},
    {"next", TSR_ACTION_FOCUS_NEXT, 0, "Ctrl+Alt+Right"},
    {"previous", TSR_ACTION_FOCUS_PREV, 0, "Ctrl+Alt+Left"},
    {"mosaic", TSR_ACTION_TOGGLE_MOSAIC, 0, "Ctrl+Alt+M"},
    {"gpu_handoff", TSR_ACTION_GPU_HANDOFF, 0, "Ctrl+Alt+G"},
    {"lock", TSR_ACTION_LOCK, 0, "Ctrl+Alt+L"},
};

#define ACTION_KEY_COUNT (sizeof(action_keys) / sizeof(action_keys[0]))

_Static_assert(ACTION_KEY_COUNT <= TSR_MAX_HOTKEYS, "default hotkeys must fit");

bool tsr_hotkey_action_from_key(const char *key, enum tsr_action *action, int *argument)
{
	for (size_t i = 0; i < ACTION_KEY_COUNT; i++) {
		if (strcmp(key, action_keys[i].key) == 0) {
			*action = action_keys[i].action;
			*argument = action_keys[i].argument;
			return true;
		}
	}
	return false;
}

const char *tsr_hotkey_action_key(enum tsr_action action, int argument)
{
	for (size_t i = 0; i < ACTION_KEY_COUNT; i++) {
		if (action_keys[i].action == action && action_keys[i].argument == argument)
			return action_keys[i].key;
	}
	return "?";
}

void tsr_hotkey_set_defaults(struct tsr_config *config)
{
	config->hotkey_count = 0;
	for (size_t i = 0; i < ACTION_KEY_COUNT; i++) {
		struct tsr_hotkey *hotkey = &config->hotkeys[config->hotkey_count];
		char err[160];
		*hotkey = (struct tsr_hotkey){
		    .action = action_keys[i].action,
		    .argument = action_keys[i].argument,
		};
		/* The table above is constant and covered by the tests; a
		 * failure here is a programming error, so the binding is
		 * simply left out rather than half-filled. */
		if (tsr_hotkey_parse_chord(action_keys[i].default_chord, hotkey, err, sizeof(err)))
			config->hotkey_count++;
	}
}
