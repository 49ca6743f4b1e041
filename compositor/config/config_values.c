/* Value parsers for the configuration file: numbers, colours, names, paths.
 * Each one is strict (no trailing characters, no silent clamping) because a
 * typo in a trusted configuration must not turn into a surprising default. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"

struct named_colour {
	const char *name;
	uint32_t rgb;
};

/* Qubes-like label palette (Tango colours): distinct, readable white text on
 * every one but yellow, and familiar to users coming from Qubes. */
static const struct named_colour named_colours[] = {
    {"red", 0xcc0000},	{"orange", 0xf57900}, {"yellow", 0xedd400}, {"green", 0x4e9a06},
    {"blue", 0x3465a4}, {"purple", 0x75507b}, {"gray", 0x555753},   {"black", 0x000000},
};

#define COLOUR_NAMES "red, orange, yellow, green, blue, purple, gray, black"

bool tsr_config_parse_uint(const char *text, uint32_t min, uint32_t max, uint32_t *out, char *err,
			   size_t err_len)
{
	/* strtoul accepts leading spaces and a sign; a configuration value
	 * must be plain digits. */
	if (!isdigit((unsigned char)text[0])) {
		snprintf(err, err_len, "'%s' is not a whole number (allowed: %u..%u)", text, min,
			 max);
		return false;
	}
	errno = 0;
	char *end = NULL;
	unsigned long long value = strtoull(text, &end, 10);
	if (*end != '\0') {
		snprintf(err, err_len, "'%s' is not a whole number (allowed: %u..%u)", text, min,
			 max);
		return false;
	}
	if (errno == ERANGE || value < min || value > max) {
		snprintf(err, err_len, "%s is out of range (allowed: %u..%u)", text, min, max);
		return false;
	}
	*out = (uint32_t)value;
	return true;
}

bool tsr_config_parse_refresh(const char *text, uint32_t *out_mhz, char *err, size_t err_len)
{
	/* Digits with at most one decimal point: no exponents, hex floats,
	 * "inf" or "nan" that strtod would take. */
	bool seen_digit = false, seen_point = false;
	for (const char *c = text; *c; c++) {
		if (isdigit((unsigned char)*c)) {
			seen_digit = true;
		} else if (*c == '.' && !seen_point) {
			seen_point = true;
		} else {
			seen_digit = false;
			break;
		}
	}
	if (!seen_digit) {
		snprintf(err, err_len,
			 "'%s' is not a refresh rate in Hz (allowed: 1..240, e.g. 60.0)", text);
		return false;
	}
	double hz = strtod(text, NULL);
	if (!(hz >= 1.0 && hz <= 240.0)) {
		snprintf(err, err_len, "%s Hz is out of range (allowed: 1..240)", text);
		return false;
	}
	*out_mhz = (uint32_t)lround(hz * 1000.0);
	return true;
}

bool tsr_config_parse_hex_colour(const char *text, uint32_t *out, char *err, size_t err_len)
{
	bool valid = text[0] == '#' && strlen(text) == 7;
	for (size_t i = 1; valid && i < 7; i++)
		valid = isxdigit((unsigned char)text[i]);
	if (!valid) {
		snprintf(err, err_len, "'%s' is not a colour (allowed: #RRGGBB)", text);
		return false;
	}
	*out = (uint32_t)strtoul(text + 1, NULL, 16);
	return true;
}

bool tsr_config_parse_colour(const char *text, uint32_t *out, char *err, size_t err_len)
{
	for (size_t i = 0; i < sizeof(named_colours) / sizeof(named_colours[0]); i++) {
		if (strcasecmp(text, named_colours[i].name) == 0) {
			*out = named_colours[i].rgb;
			return true;
		}
	}
	if (text[0] == '#')
		return tsr_config_parse_hex_colour(text, out, err, err_len);
	snprintf(err, err_len, "'%s' is not a colour (allowed: #RRGGBB, " COLOUR_NAMES ")", text);
	return false;
}

bool tsr_config_check_domain_name(const char *text, char *err, size_t err_len)
{
	size_t len = strlen(text);
	if (len == 0 || len >= TSR_NAME_MAX) {
		snprintf(err, err_len, "domain name '%s' has %zu characters (allowed: 1..%u)", text,
			 len, TSR_NAME_MAX - 1);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (!isalnum(c) && c != '_' && c != '.' && c != '-') {
			snprintf(err, err_len,
				 "domain name '%s' contains '%c' (allowed: letters, digits, _ . -)",
				 text, isprint(c) ? c : '?');
			return false;
		}
	}
	return true;
}

bool tsr_config_check_label(const char *text, char *err, size_t err_len)
{
	size_t len = strlen(text);
	if (len == 0 || len >= TSR_NAME_MAX) {
		snprintf(err, err_len, "label has %zu characters (allowed: 1..%u)", len,
			 TSR_NAME_MAX - 1);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		/* The label is drawn in trusted decorations: only characters
		 * every font renders the same, no control or look-alike bytes. */
		if (c < 0x20 || c > 0x7e) {
			snprintf(err, err_len,
				 "label contains byte 0x%02x (allowed: printable ASCII)", c);
			return false;
		}
	}
	return true;
}

bool tsr_config_copy_path(const char *text, char out[TSR_PATH_MAX], char *err, size_t err_len)
{
	size_t len = strlen(text);
	if (len == 0 || len >= TSR_PATH_MAX) {
		snprintf(err, err_len, "path has %zu characters (allowed: 1..%u)", len,
			 TSR_PATH_MAX - 1);
		return false;
	}
	memcpy(out, text, len + 1);
	return true;
}
