/* The configuration reader: INI sections and keys (libinih) into a struct
 * tsr_config. Strict on purpose: the configuration decides which colour and
 * name each domain is shown with, so anything unexpected is an error with
 * "FILE:LINE: what is wrong (what is allowed)" rather than a guess.
 *
 * libinih 55 does not tell the handler which line it is on, so lines are fed
 * to it by our own reader (ini_parse_stream), which counts them, opens and
 * closes sections (so empty sections are checked too), and rejects lines
 * libinih would silently split or join. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config_internal.h"
#include "tessera/log.h"

enum section_kind {
	SECTION_NONE, /* before the first header */
	SECTION_OUTPUT,
	SECTION_DECORATIONS,
	SECTION_CONTROL,
	SECTION_DOMAIN,
	SECTION_HOTKEYS,
	SECTION_GPU,
	SECTION_INPUT,
	SECTION_LOCK,
	SECTION_OUTPUT_HEAD, /* [output NAME] */
	SECTION_KIND_COUNT,
};

#define SECTION_KEYS_MAX 16

static const char *const section_keys[SECTION_KIND_COUNT][SECTION_KEYS_MAX] = {
    [SECTION_OUTPUT] = {"backend", "width", "height", "refresh", "device", "renderer"},
    [SECTION_DECORATIONS] = {"border_width", "banner_height", "font", "background"},
    [SECTION_CONTROL] = {"socket"},
    [SECTION_DOMAIN] = {"label", "colour", "transport", "socket", "input", "display"},
    [SECTION_HOTKEYS] = {"focus_1", "focus_2", "focus_3", "focus_4", "focus_5", "focus_6",
			 "focus_7", "focus_8", "focus_9", "next", "previous", "mosaic",
			 "gpu_handoff", "lock"},
    [SECTION_GPU] = {"device", "domain", "drm_driver", "passthrough_driver", "toolstack",
		     "step_timeout", "card_timeout", "fallback_device"},
    [SECTION_INPUT] = {"repeat_delay", "repeat_rate"},
    [SECTION_LOCK] = {"idle_timeout", "user", "suspend"},
    [SECTION_OUTPUT_HEAD] = {"position", "mode", "scale"},
};

#define SECTION_NAMES                                                                              \
	"[output], [output NAME], [decorations], [control], [domain NAME], [hotkeys], "            \
	"[gpu_passthrough], [input], [lock]"

/* The size limits of the mode and of what pixman and KMS handle sanely. */
#define OUTPUT_SIZE_MIN 64u
#define OUTPUT_SIZE_MAX 16384u

struct config_parser {
	struct tsr_config config; /* built here, copied out only on success */
	const char *source_name;

	/* Input: exactly one of file and text. */
	FILE *file;
	size_t bytes_read; /* of file, capped at TSR_CONFIG_FILE_MAX */
	bool too_big;
	const char *text;
	size_t text_offset;
	int line; /* number of the line the handler is looking at */

	enum section_kind section;
	int section_line;
	char section_title[TSR_NAME_MAX + 16]; /* "[domain work]", for messages */
	int key_lines[SECTION_KEYS_MAX];       /* where each key of this section was set */
	int section_seen_line[SECTION_KIND_COUNT];

	struct tsr_domain_config *domain; /* of the open [domain NAME] section */
	int domain_lines[TSR_MAX_DOMAINS];
	struct tsr_output_head_config *head; /* of the open [output NAME] section */
	int head_position_lines[TSR_MAX_OUTPUT_SECTIONS];
	int head_mode_lines[TSR_MAX_OUTPUT_SECTIONS];

	bool width_set, height_set;
	int device_line;		   /* where [output] device was set */
	int hotkey_lines[TSR_MAX_HOTKEYS]; /* 0 for built-in bindings */
	int gpu_domain_line;		   /* where [gpu_passthrough] domain was set */

	bool failed;
	int error_line;
	char error[512];
};

static void fail(struct config_parser *parser, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error only: later ones are usually consequences. */
static void fail(struct config_parser *parser, int line, const char *fmt, ...)
{
	if (parser->failed)
		return;
	parser->failed = true;
	parser->error_line = line;
	va_list args;
	va_start(args, fmt);
	vsnprintf(parser->error, sizeof(parser->error), fmt, args);
	va_end(args);
}

static int find_key(enum section_kind section, const char *key)
{
	for (int i = 0; i < SECTION_KEYS_MAX && section_keys[section][i]; i++) {
		if (strcmp(section_keys[section][i], key) == 0)
			return i;
	}
	return -1;
}

static void list_keys(enum section_kind section, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < SECTION_KEYS_MAX && section_keys[section][i]; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 section_keys[section][i]);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

static int key_line(const struct config_parser *parser, const char *key)
{
	int index = find_key(parser->section, key);
	return index >= 0 ? parser->key_lines[index] : 0;
}

/* Checks that need the whole [output] section: the allowed size depends on
 * the backend, which may come after width and height. */
static void close_output(struct config_parser *parser)
{
	struct tsr_output_config *output = &parser->config.output;
	if (output->backend == TSR_BACKEND_HEADLESS) {
		if (output->width < OUTPUT_SIZE_MIN)
			fail(parser, key_line(parser, "width"),
			     "width %u is out of range for the headless backend (allowed: %u..%u)",
			     output->width, OUTPUT_SIZE_MIN, OUTPUT_SIZE_MAX);
		else if (output->height < OUTPUT_SIZE_MIN)
			fail(parser, key_line(parser, "height"),
			     "height %u is out of range for the headless backend (allowed: %u..%u)",
			     output->height, OUTPUT_SIZE_MIN, OUTPUT_SIZE_MAX);
		else if (output->device[0])
			fail(parser, key_line(parser, "device"),
			     "device is not used by the headless backend (allowed with backend = "
			     "kms)");
		return;
	}

	if (strchr(output->device, ',')) {
		/* Each entry a path, none twice, at most TSR_MAX_CARDS. */
		char paths[TSR_MAX_CARDS][TSR_PATH_MAX];
		const char *text = output->device;
		size_t count = 0;
		for (const char *at = text;; count++) {
			const char *comma = strchr(at, ',');
			size_t length = comma ? (size_t)(comma - at) : strlen(at);
			if (length == 0 || at[0] != '/') {
				fail(parser, key_line(parser, "device"),
				     "device: '%s' has an entry that is not an absolute path "
				     "(allowed: PATH, PATH,PATH,... of at most %u cards, or all)",
				     text, TSR_MAX_CARDS);
				return;
			}
			if (count >= TSR_MAX_CARDS) {
				fail(parser, key_line(parser, "device"),
				     "device: more than %u cards (allowed: at most %u)",
				     TSR_MAX_CARDS, TSR_MAX_CARDS);
				return;
			}
			snprintf(paths[count], sizeof(paths[count]), "%.*s", (int)length, at);
			for (size_t i = 0; i < count; i++) {
				if (strcmp(paths[i], paths[count]) == 0) {
					fail(parser, key_line(parser, "device"),
					     "device: %s is listed twice (allowed: each card "
					     "once)",
					     paths[count]);
					return;
				}
			}
			if (!comma)
				break;
			at = comma + 1;
		}
	}

	/* KMS: the built-in headless size is no request; 0 = preferred mode. */
	if (!parser->width_set)
		output->width = 0;
	if (!parser->height_set)
		output->height = 0;
	if ((output->width == 0) != (output->height == 0)) {
		const char *set = output->width ? "width" : "height";
		fail(parser, key_line(parser, set),
		     "%s is set without %s (allowed for kms: both 0 or unset for the preferred "
		     "mode, or both %u..%u)",
		     set, output->width ? "height" : "width", OUTPUT_SIZE_MIN, OUTPUT_SIZE_MAX);
	} else if (output->width != 0 &&
		   (output->width < OUTPUT_SIZE_MIN || output->height < OUTPUT_SIZE_MIN)) {
		const char *small = output->width < OUTPUT_SIZE_MIN ? "width" : "height";
		fail(parser, key_line(parser, small),
		     "%s %u is out of range for the kms backend (allowed: 0 for the preferred "
		     "mode, or %u..%u)",
		     small, output->width < OUTPUT_SIZE_MIN ? output->width : output->height,
		     OUTPUT_SIZE_MIN, OUTPUT_SIZE_MAX);
	}
}

static void close_domain(struct config_parser *parser)
{
	struct tsr_domain_config *domain = parser->domain;
	char reason[256];
	const char *blame = tsr_config_check_domain_section(domain, key_line(parser, "colour") != 0,
							    reason, sizeof(reason));
	if (blame) {
		fail(parser, blame[0] ? key_line(parser, blame) : parser->section_line, "%s",
		     reason);
		return;
	}
	if (domain->transport == TSR_TRANSPORT_LOCAL) {
		int line = key_line(parser, "socket");
		domain->socket_line = line ? line : parser->section_line;
	}
}

static void close_gpu(struct config_parser *parser)
{
	char reason[384];
	const char *blame =
	    tsr_config_check_gpu_section(&parser->config.gpu, reason, sizeof(reason));
	if (!blame)
		return;
	int line = blame[0] ? key_line(parser, blame) : 0;
	fail(parser, line ? line : parser->section_line, "%s", reason);
}

static void close_section(struct config_parser *parser)
{
	if (parser->section == SECTION_OUTPUT)
		close_output(parser);
	else if (parser->section == SECTION_GPU)
		close_gpu(parser);
	else if (parser->section == SECTION_DOMAIN)
		close_domain(parser);
	parser->section = SECTION_NONE;
	parser->domain = NULL;
	parser->head = NULL;
}

static void open_head(struct config_parser *parser, const char *name)
{
	struct tsr_output_config *output = &parser->config.output;
	char reason[160];
	/* Connector names (HDMI-A-1, eDP-1, Virtual-1) fit the domain rule. */
	if (!tsr_config_check_domain_name(name, reason, sizeof(reason))) {
		fail(parser, parser->line,
		     "output name '%.64s' is not allowed (allowed: 1..%u characters of letters, "
		     "digits, _ . -, e.g. HDMI-A-1)",
		     name, TSR_NAME_MAX - 1);
		return;
	}
	const struct tsr_output_head_config *existing = tsr_config_find_head(output, name);
	if (existing) {
		fail(parser, parser->line,
		     "output '%s' is already defined at line %d (allowed: one section per output)",
		     name, existing->line);
		return;
	}
	if (output->head_count >= TSR_MAX_OUTPUT_SECTIONS) {
		fail(parser, parser->line, "too many [output NAME] sections (allowed: at most %u)",
		     TSR_MAX_OUTPUT_SECTIONS);
		return;
	}
	struct tsr_output_head_config *head = &output->heads[output->head_count++];
	*head = (struct tsr_output_head_config){.scale = 1, .line = parser->line};
	snprintf(head->name, sizeof(head->name), "%.*s", (int)TSR_NAME_MAX - 1, name);
	parser->head = head;
	parser->section = SECTION_OUTPUT_HEAD;
	snprintf(parser->section_title, sizeof(parser->section_title), "[output %.*s]",
		 (int)TSR_NAME_MAX - 1, name);
}

static void open_domain(struct config_parser *parser, const char *name)
{
	struct tsr_config *config = &parser->config;
	char reason[160];
	int existing = -1;
	if (!tsr_config_add_domain(config, name, &existing, reason, sizeof(reason))) {
		if (existing >= 0)
			fail(parser, parser->line,
			     "domain '%s' is already defined at line %d (allowed: one section per "
			     "domain)",
			     name, parser->domain_lines[existing]);
		else
			fail(parser, parser->line, "%s", reason);
		return;
	}
	parser->domain_lines[config->domain_count - 1] = parser->line;
	parser->domain = &config->domains[config->domain_count - 1];
	parser->section = SECTION_DOMAIN;
	snprintf(parser->section_title, sizeof(parser->section_title), "[domain %.*s]",
		 (int)TSR_NAME_MAX - 1, name);
}

/* Called by the reader for a "[...]" line, before libinih sees it. */
static void open_section(struct config_parser *parser, const char *title)
{
	close_section(parser);
	if (parser->failed)
		return;

	static const char *const simple_sections[SECTION_KIND_COUNT] = {
	    [SECTION_OUTPUT] = "output",       [SECTION_DECORATIONS] = "decorations",
	    [SECTION_CONTROL] = "control",     [SECTION_HOTKEYS] = "hotkeys",
	    [SECTION_GPU] = "gpu_passthrough", [SECTION_INPUT] = "input",
	    [SECTION_LOCK] = "lock",
	};
	memset(parser->key_lines, 0, sizeof(parser->key_lines));
	parser->section_line = parser->line;

	if (strncmp(title, "output", 6) == 0 && (title[6] == ' ' || title[6] == '\t')) {
		const char *name = title + 6;
		while (*name == ' ' || *name == '\t')
			name++;
		if (*name) {
			open_head(parser, name);
			return;
		}
		/* "[output ]" is the plain section. */
		title = "output";
	}

	if (strncmp(title, "domain", 6) == 0 &&
	    (title[6] == '\0' || title[6] == ' ' || title[6] == '\t')) {
		const char *name = title + 6;
		while (*name == ' ' || *name == '\t')
			name++;
		if (!*name) {
			fail(parser, parser->line,
			     "section [domain] has no domain name (allowed: [domain NAME])");
			return;
		}
		open_domain(parser, name);
		return;
	}

	for (int kind = 0; kind < SECTION_KIND_COUNT; kind++) {
		if (!simple_sections[kind] || strcmp(title, simple_sections[kind]) != 0)
			continue;
		if (parser->section_seen_line[kind]) {
			fail(parser, parser->line,
			     "section [%s] already appeared at line %d (allowed: once)", title,
			     parser->section_seen_line[kind]);
			return;
		}
		parser->section_seen_line[kind] = parser->line;
		parser->section = (enum section_kind)kind;
		snprintf(parser->section_title, sizeof(parser->section_title), "[%.16s]", title);
		if (kind == SECTION_GPU)
			parser->config.gpu.enabled = true;
		return;
	}
	fail(parser, parser->line, "unknown section [%.64s] (allowed: " SECTION_NAMES ")", title);
}

static bool apply_output(struct config_parser *parser, const char *key, const char *value,
			 char *reason, size_t reason_len)
{
	struct tsr_output_config *output = &parser->config.output;
	if (strcmp(key, "backend") == 0) {
		if (strcmp(value, "headless") == 0) {
			output->backend = TSR_BACKEND_HEADLESS;
		} else if (strcmp(value, "kms") == 0) {
			output->backend = TSR_BACKEND_KMS;
		} else {
			snprintf(reason, reason_len,
				 "'%s' is not a backend (allowed: headless, kms)", value);
			return false;
		}
		return true;
	}
	if (strcmp(key, "renderer") == 0) {
		if (strcmp(value, "auto") == 0) {
			output->renderer = TSR_RENDERER_AUTO;
		} else if (strcmp(value, "pixman") == 0) {
			output->renderer = TSR_RENDERER_PIXMAN;
		} else if (strcmp(value, "gles") == 0) {
			output->renderer = TSR_RENDERER_GLES;
		} else {
			snprintf(reason, reason_len,
				 "'%s' is not a renderer (allowed: pixman, gles, auto)", value);
			return false;
		}
		return true;
	}
	if (strcmp(key, "width") == 0 || strcmp(key, "height") == 0) {
		bool is_width = key[0] == 'w';
		/* 0 is only valid for kms; close_output checks it against the
		 * backend, which may come later in the section. */
		if (!tsr_config_parse_uint(value, 0, OUTPUT_SIZE_MAX,
					   is_width ? &output->width : &output->height, reason,
					   reason_len))
			return false;
		if (is_width)
			parser->width_set = true;
		else
			parser->height_set = true;
		return true;
	}
	if (strcmp(key, "refresh") == 0)
		return tsr_config_parse_refresh(value, &output->refresh_mhz, reason, reason_len);
	parser->device_line = parser->line;
	return tsr_config_copy_path(value, output->device, reason, reason_len);
}

/* "X,Y": two whole numbers 0..TSR_OUTPUT_POSITION_MAX. */
static bool parse_position(const char *text, int32_t *x, int32_t *y, char *reason,
			   size_t reason_len)
{
	const char *comma = strchr(text, ',');
	char first[32];
	if (!comma || (size_t)(comma - text) >= sizeof(first)) {
		snprintf(reason, reason_len, "'%s' is not a position (allowed: X,Y, e.g. 1920,0)",
			 text);
		return false;
	}
	snprintf(first, sizeof(first), "%.*s", (int)(comma - text), text);
	uint32_t ux, uy;
	char inner[160];
	if (!tsr_config_parse_uint(first, 0, TSR_OUTPUT_POSITION_MAX, &ux, inner, sizeof(inner)) ||
	    !tsr_config_parse_uint(comma + 1, 0, TSR_OUTPUT_POSITION_MAX, &uy, inner,
				   sizeof(inner))) {
		snprintf(reason, reason_len,
			 "'%s' is not a position (allowed: X,Y with each 0..%d, e.g. 1920,0)", text,
			 TSR_OUTPUT_POSITION_MAX);
		return false;
	}
	*x = (int32_t)ux;
	*y = (int32_t)uy;
	return true;
}

/* "WxH", each OUTPUT_SIZE_MIN..OUTPUT_SIZE_MAX. */
static bool parse_mode(const char *text, uint32_t *width, uint32_t *height, char *reason,
		       size_t reason_len)
{
	const char *x = strchr(text, 'x');
	char first[32], inner[160];
	if (x && (size_t)(x - text) < sizeof(first)) {
		snprintf(first, sizeof(first), "%.*s", (int)(x - text), text);
		if (tsr_config_parse_uint(first, OUTPUT_SIZE_MIN, OUTPUT_SIZE_MAX, width, inner,
					  sizeof(inner)) &&
		    tsr_config_parse_uint(x + 1, OUTPUT_SIZE_MIN, OUTPUT_SIZE_MAX, height, inner,
					  sizeof(inner)))
			return true;
	}
	snprintf(reason, reason_len,
		 "'%s' is not a mode (allowed: WIDTHxHEIGHT with each %u..%u, e.g. 1920x1080)",
		 text, OUTPUT_SIZE_MIN, OUTPUT_SIZE_MAX);
	return false;
}

static bool apply_head(struct config_parser *parser, const char *key, const char *value,
		       char *reason, size_t reason_len)
{
	struct tsr_output_head_config *head = parser->head;
	size_t index = (size_t)(head - parser->config.output.heads);
	if (strcmp(key, "position") == 0) {
		parser->head_position_lines[index] = parser->line;
		head->positioned = true;
		return parse_position(value, &head->x, &head->y, reason, reason_len);
	}
	if (strcmp(key, "mode") == 0) {
		parser->head_mode_lines[index] = parser->line;
		return parse_mode(value, &head->width, &head->height, reason, reason_len);
	}
	head->scale_set = true;
	return tsr_config_parse_uint(value, 1, TSR_OUTPUT_SCALE_MAX, &head->scale, reason,
				     reason_len);
}

/* Positioned outputs whose size is known here (a mode, or the headless
 * size) must not overlap; outputs placed automatically go right of every
 * positioned one and cannot. KMS outputs without a mode are checked when
 * they appear (core/arrangement.c). */
static void check_head_overlaps(struct config_parser *parser)
{
	const struct tsr_output_config *output = &parser->config.output;
	bool headless = output->backend == TSR_BACKEND_HEADLESS;
	for (size_t j = 0; j < output->head_count; j++) {
		const struct tsr_output_head_config *b = &output->heads[j];
		uint32_t bw = b->width ? b->width : headless ? output->width : 0;
		uint32_t bh = b->width ? b->height : headless ? output->height : 0;
		if (!b->positioned || bw == 0)
			continue;
		for (size_t i = 0; i < j; i++) {
			const struct tsr_output_head_config *a = &output->heads[i];
			uint32_t aw = a->width ? a->width : headless ? output->width : 0;
			uint32_t ah = a->width ? a->height : headless ? output->height : 0;
			if (!a->positioned || aw == 0)
				continue;
			if ((int64_t)a->x < (int64_t)b->x + bw &&
			    (int64_t)b->x < (int64_t)a->x + aw &&
			    (int64_t)a->y < (int64_t)b->y + bh &&
			    (int64_t)b->y < (int64_t)a->y + ah) {
				fail(parser, parser->head_position_lines[j],
				     "position: output '%s' at %d,%d (%ux%u) overlaps output '%s' "
				     "at "
				     "%d,%d (%ux%u) from line %d (allowed: outputs next to each "
				     "other, not on top of each other)",
				     b->name, b->x, b->y, bw, bh, a->name, a->x, a->y, aw, ah,
				     a->line);
				return;
			}
		}
	}
}

static bool apply_decorations(struct config_parser *parser, const char *key, const char *value,
			      char *reason, size_t reason_len)
{
	struct tsr_config *config = &parser->config;
	if (strcmp(key, "border_width") == 0)
		return tsr_config_parse_uint(value, 1, 64, &config->border_width, reason,
					     reason_len);
	if (strcmp(key, "banner_height") == 0)
		return tsr_config_parse_uint(value, 16, 128, &config->banner_height, reason,
					     reason_len);
	if (strcmp(key, "font") == 0)
		return tsr_config_copy_path(value, config->font_path, reason, reason_len);
	return tsr_config_parse_hex_colour(value, &config->background_colour, reason, reason_len);
}

static bool apply_input(struct config_parser *parser, const char *key, const char *value,
			char *reason, size_t reason_len)
{
	struct tsr_input_config *input = &parser->config.input;
	if (strcmp(key, "repeat_delay") == 0)
		return tsr_config_parse_uint(value, TSR_REPEAT_DELAY_MIN_MS,
					     TSR_REPEAT_DELAY_MAX_MS, &input->repeat_delay_ms,
					     reason, reason_len);
	return tsr_config_parse_uint(value, 0, TSR_REPEAT_RATE_MAX, &input->repeat_rate, reason,
				     reason_len);
}

/* The lock's user is a login name, checked as strictly as a domain name
 * (it only ever goes to PAM). */
static bool apply_lock(struct config_parser *parser, const char *key, const char *value,
		       char *reason, size_t reason_len)
{
	struct tsr_lock_config *lock = &parser->config.lock;
	if (strcmp(key, "idle_timeout") == 0)
		return tsr_config_parse_uint(value, 0, TSR_LOCK_IDLE_TIMEOUT_MAX_S,
					     &lock->idle_timeout_s, reason, reason_len);
	if (strcmp(key, "suspend") == 0) {
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			snprintf(reason, reason_len, "'%s' is not yes or no (allowed: yes, no)",
				 value);
			return false;
		}
		lock->suspend = value[0] == 'y';
		return true;
	}
	size_t length = strlen(value);
	if (length == 0 || length >= sizeof(lock->user)) {
		snprintf(reason, reason_len, "user name '%s' has %zu characters (allowed: 1..%zu)",
			 value, length, sizeof(lock->user) - 1);
		return false;
	}
	for (size_t i = 0; i < length; i++) {
		char c = value[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (!ok) {
			snprintf(reason, reason_len,
				 "user name '%s' contains '%c' (allowed: letters, digits, _ . -)",
				 value, c >= 0x20 && c < 0x7f ? c : '?');
			return false;
		}
	}
	snprintf(lock->user, sizeof(lock->user), "%s", value);
	return true;
}

static bool apply_hotkey(struct config_parser *parser, const char *key, const char *value,
			 char *reason, size_t reason_len)
{
	struct tsr_config *config = &parser->config;
	struct tsr_hotkey parsed = {0};
	if (!tsr_hotkey_action_from_key(key, &parsed.action, &parsed.argument)) {
		/* Unreachable while section_keys and action_keys agree. */
		snprintf(reason, reason_len, "no such action");
		return false;
	}

	size_t index = 0;
	while (index < config->hotkey_count &&
	       !(config->hotkeys[index].action == parsed.action &&
		 config->hotkeys[index].argument == parsed.argument))
		index++;

	/* "none" removes a built-in binding the user does not want. */
	if (strcmp(value, "none") == 0) {
		if (index < config->hotkey_count) {
			size_t tail = config->hotkey_count - index - 1;
			memmove(&config->hotkeys[index], &config->hotkeys[index + 1],
				tail * sizeof(config->hotkeys[0]));
			memmove(&parser->hotkey_lines[index], &parser->hotkey_lines[index + 1],
				tail * sizeof(parser->hotkey_lines[0]));
			config->hotkey_count--;
		}
		return true;
	}
	if (!tsr_hotkey_parse_chord(value, &parsed, reason, reason_len))
		return false;
	if (index == config->hotkey_count) {
		if (config->hotkey_count >= TSR_MAX_HOTKEYS) {
			snprintf(reason, reason_len, "too many hotkeys (allowed: at most %u)",
				 TSR_MAX_HOTKEYS);
			return false;
		}
		config->hotkey_count++;
	}
	config->hotkeys[index] = parsed;
	parser->hotkey_lines[index] = parser->line;
	return true;
}

static int handle_pair(void *user, const char *section, const char *key, const char *value)
{
	struct config_parser *parser = user;
	(void)section; /* the reader tracks sections itself, see open_section */
	if (parser->failed)
		return 0;
	if (parser->section == SECTION_NONE) {
		fail(parser, parser->line,
		     "key '%.64s' is outside a section (allowed: keys under " SECTION_NAMES ")",
		     key);
		return 0;
	}

	int index = find_key(parser->section, key);
	if (index < 0) {
		char allowed[256];
		list_keys(parser->section, allowed, sizeof(allowed));
		fail(parser, parser->line, "unknown key '%.64s' in %s (allowed: %s)", key,
		     parser->section_title, allowed);
		return 0;
	}
	if (parser->key_lines[index]) {
		fail(parser, parser->line,
		     "key '%s' in %s is already set at line %d (allowed: once per section)", key,
		     parser->section_title, parser->key_lines[index]);
		return 0;
	}
	parser->key_lines[index] = parser->line;

	char reason[384];
	bool ok = false;
	switch (parser->section) {
	case SECTION_OUTPUT:
		ok = apply_output(parser, key, value, reason, sizeof(reason));
		break;
	case SECTION_DECORATIONS:
		ok = apply_decorations(parser, key, value, reason, sizeof(reason));
		break;
	case SECTION_CONTROL:
		ok = tsr_config_copy_path(value, parser->config.control_socket, reason,
					  sizeof(reason));
		parser->config.control_socket_line = parser->line;
		break;
	case SECTION_DOMAIN:
		ok = tsr_config_apply_domain(parser->domain, key, value, reason, sizeof(reason));
		break;
	case SECTION_HOTKEYS:
		ok = apply_hotkey(parser, key, value, reason, sizeof(reason));
		break;
	case SECTION_GPU:
		ok = tsr_config_apply_gpu(&parser->config.gpu, key, value, reason, sizeof(reason));
		if (strcmp(key, "domain") == 0)
			parser->gpu_domain_line = parser->line;
		break;
	case SECTION_INPUT:
		ok = apply_input(parser, key, value, reason, sizeof(reason));
		break;
	case SECTION_LOCK:
		ok = apply_lock(parser, key, value, reason, sizeof(reason));
		break;
	case SECTION_OUTPUT_HEAD:
		ok = apply_head(parser, key, value, reason, sizeof(reason));
		break;
	case SECTION_NONE:
	case SECTION_KIND_COUNT:
		snprintf(reason, sizeof(reason), "no section");
		break;
	}
	if (!ok) {
		fail(parser, parser->line, "%s: %s", key, reason);
		return 0;
	}
	return 1;
}

static int next_char(struct config_parser *parser)
{
	if (parser->file) {
		int c = getc(parser->file);
		if (c != EOF && ++parser->bytes_read > TSR_CONFIG_FILE_MAX) {
			parser->too_big = true;
			return EOF;
		}
		return c;
	}
	char c = parser->text[parser->text_offset];
	if (c == '\0')
		return EOF;
	parser->text_offset++;
	return (unsigned char)c;
}

/* Returns the index of the ']' closing a section header, or -1. */
static int find_section_end(const char *line)
{
	const char *end = strchr(line, ']');
	return end ? (int)(end - line) : -1;
}

static void check_section_header(struct config_parser *parser, char *line)
{
	int end = find_section_end(line);
	if (end < 0) {
		fail(parser, parser->line,
		     "section header has no closing ']' (allowed: [output], [domain NAME], ...)");
		return;
	}
	for (const char *rest = line + end + 1; *rest; rest++) {
		if (*rest == ';' || *rest == '#')
			break;
		if (*rest != ' ' && *rest != '\t' && *rest != '\r' && *rest != '\n') {
			fail(parser, parser->line,
			     "text after the section header (allowed: a ; or # comment)");
			return;
		}
	}
	char title[TSR_CONFIG_LINE_MAX + 1];
	snprintf(title, sizeof(title), "%.*s", end - 1, line + 1);
	open_section(parser, title);
}

/* fgets-style reader for ini_parse_stream. It hands libinih one line at a
 * time, so parser->line is the line of every handler call. */
static char *read_line(char *buffer, int size, void *stream)
{
	struct config_parser *parser = stream;
	if (parser->failed || size < 2)
		return NULL;

	size_t capacity = (size_t)size - 2; /* room for '\n' and NUL */
	if (capacity > TSR_CONFIG_LINE_MAX)
		capacity = TSR_CONFIG_LINE_MAX;
	size_t len = 0;
	bool any = false, too_long = false, has_nul = false;
	int c;
	while ((c = next_char(parser)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			has_nul = true;
		if (len == capacity) {
			/* Stop here: the rest of the line may never end (/dev/zero). */
			too_long = true;
			break;
		}
		buffer[len++] = (char)c;
	}
	if (parser->file && ferror(parser->file)) {
		fail(parser, parser->line + 1, "cannot read: %s", strerror(errno));
		return NULL;
	}
	if (parser->too_big) {
		fail(parser, parser->line + 1,
		     "the file is larger than %u bytes (allowed: a configuration up to 1 MiB)",
		     TSR_CONFIG_FILE_MAX);
		return NULL;
	}
	if (!any)
		return NULL;
	parser->line++;
	buffer[len] = '\0';

	if (too_long) {
		fail(parser, parser->line, "line is too long (allowed: up to %u characters)",
		     TSR_CONFIG_LINE_MAX);
		return NULL;
	}
	if (has_nul) {
		fail(parser, parser->line, "line contains a NUL byte (allowed: text)");
		return NULL;
	}

	/* Leading blanks are dropped so libinih never joins an indented line
	 * to the previous value (its multi-line mode); a UTF-8 byte order
	 * mark on the first line is dropped too. */
	char *start = buffer;
	if (parser->line == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
		start += 3;
	while (*start == ' ' || *start == '\t')
		start++;
	memmove(buffer, start, strlen(start) + 1);

	if (buffer[0] == '[') {
		check_section_header(parser, buffer);
		if (parser->failed)
			return NULL;
	}
	return buffer;
}

static void check_hotkey_conflicts(struct config_parser *parser)
{
	const struct tsr_config *config = &parser->config;
	int best_line = 0;
	size_t best_i = 0, best_j = 0;
	for (size_t j = 0; j < config->hotkey_count; j++) {
		for (size_t i = 0; i < j; i++) {
			if (!tsr_hotkey_same_chord(&config->hotkeys[i], &config->hotkeys[j]))
				continue;
			/* Blame the later line: it made the two collide. */
			int li = parser->hotkey_lines[i], lj = parser->hotkey_lines[j];
			int line = li > lj ? li : lj;
			if (!best_line || line < best_line) {
				best_line = line;
				best_i = li > lj ? i : j;
				best_j = li > lj ? j : i;
			}
		}
	}
	if (!best_line)
		return;
	const struct tsr_hotkey *blamed = &config->hotkeys[best_i];
	const struct tsr_hotkey *other = &config->hotkeys[best_j];
	char chord[64];
	tsr_hotkey_format_chord(blamed, chord, sizeof(chord));
	const char *blamed_key = tsr_hotkey_action_key(blamed->action, blamed->argument);
	const char *other_key = tsr_hotkey_action_key(other->action, other->argument);
	if (parser->hotkey_lines[best_j])
		fail(parser, best_line,
		     "%s: chord %s is already bound to %s at line %d (allowed: one action per "
		     "chord)",
		     blamed_key, chord, other_key, parser->hotkey_lines[best_j]);
	else
		fail(parser, best_line,
		     "%s: chord %s is already bound to %s by default (allowed: one action per "
		     "chord; rebind %s or set it to none)",
		     blamed_key, chord, other_key, other_key);
}

static bool run_parser(struct config_parser *parser, struct tsr_config *config, char *err,
		       size_t err_len)
{
	tsr_config_set_defaults(&parser->config);
	snprintf(parser->config.source_name, sizeof(parser->config.source_name), "%s",
		 parser->source_name);
	int result = ini_parse_stream(read_line, parser, handle_pair, parser);
	if (!parser->failed)
		close_section(parser);
	if (!parser->failed)
		check_hotkey_conflicts(parser);
	if (!parser->failed)
		check_head_overlaps(parser);
	/* The GPU policy drives one card (and its fallback) itself. */
	const struct tsr_output_config *output = &parser->config.output;
	if (!parser->failed && parser->config.gpu.enabled && output->backend == TSR_BACKEND_KMS &&
	    (strchr(output->device, ',') || strcmp(output->device, "all") == 0))
		fail(parser, parser->device_line,
		     "device: several cards cannot be used with [gpu_passthrough] (allowed: one "
		     "card path, or unset)");
	/* Domains may be defined after [gpu_passthrough]. */
	const struct tsr_gpu_config *gpu = &parser->config.gpu;
	if (!parser->failed && gpu->enabled &&
	    tsr_config_find_domain(&parser->config, gpu->domain) < 0)
		fail(
		    parser, parser->gpu_domain_line,
		    "domain: '%s' is not a configured domain (allowed: the name of a [domain NAME] "
		    "section)",
		    gpu->domain);

	/* Domains on one socket, or on the control socket. Relative paths are
	 * compared with relative ones only: the runtime directory is not known
	 * yet (tsr_config_check_sockets compares them all later). */
	int conflict_line = 0;
	char conflict[600];
	if (!parser->failed &&
	    tsr_config_find_socket_conflict(&parser->config, NULL, &conflict_line, conflict,
					    sizeof(conflict)))
		fail(parser, conflict_line, "%s", conflict);

	/* libinih's own syntax errors (a line that is neither a header, a
	 * key = value pair nor a comment) do not reach the handler. */
	if (result > 0 && (!parser->failed || result < parser->error_line)) {
		parser->failed = false;
		fail(parser, result,
		     "cannot parse this line (allowed: [section], key = value, ; or # comment)");
	} else if (result < 0 && !parser->failed) {
		fail(parser, 0, "cannot read (libinih error %d)", result);
	}

	if (parser->failed) {
		if (err && err_len)
			snprintf(err, err_len, "%s:%d: %s", parser->source_name, parser->error_line,
				 parser->error);
		return false;
	}
	*config = parser->config;
	tsr_log(TSR_LOG_DEBUG, "config: %s: %zu domains, %zu hotkeys", parser->source_name,
		config->domain_count, config->hotkey_count);
	return true;
}

void tsr_config_set_defaults(struct tsr_config *config)
{
	*config = (struct tsr_config){
	    .output =
		{
		    .backend = TSR_BACKEND_HEADLESS,
		    .renderer = TSR_RENDERER_AUTO,
		    .width = 1280,
		    .height = 800,
		    .refresh_mhz = 60000,
		},
	    .border_width = 4,
	    .banner_height = 28,
	    .background_colour = 0x202020,
	    .input = {.repeat_delay_ms = 600, .repeat_rate = 25},
	    .lock = {.suspend = true},
	    .gpu =
		{
		    .passthrough_driver = TSR_GPU_DRIVER_PCI_STUB,
		    .toolstack = TSR_GPU_TOOLSTACK_NONE,
		    .step_timeout_s = 10,
		    .card_timeout_s = 10,
		},
	};
	snprintf(config->font_path, sizeof(config->font_path), "%s", TSR_DEFAULT_FONT);
	snprintf(config->control_socket, sizeof(config->control_socket), "control.sock");
	tsr_hotkey_set_defaults(config);
}

bool tsr_config_load_string(struct tsr_config *config, const char *text, const char *name,
			    char *err, size_t err_len)
{
	struct config_parser *parser = calloc(1, sizeof(*parser));
	if (!parser) {
		if (err && err_len)
			snprintf(err, err_len, "%s: out of memory", name);
		return false;
	}
	parser->source_name = name;
	parser->text = text;
	bool ok = run_parser(parser, config, err, err_len);
	free(parser);
	return ok;
}

bool tsr_config_load_file(struct tsr_config *config, const char *path, char *err, size_t err_len)
{
	bool ok = false;
	struct config_parser *parser = NULL;
	FILE *file = fopen(path, "re");
	if (!file) {
		if (err && err_len)
			snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	parser = calloc(1, sizeof(*parser));
	if (!parser) {
		if (err && err_len)
			snprintf(err, err_len, "%s: out of memory", path);
		goto out;
	}
	parser->source_name = path;
	parser->file = file;
	ok = run_parser(parser, config, err, err_len);
out:
	free(parser);
	if (file)
		fclose(file);
	return ok;
}

size_t tsr_config_split_devices(const char *device, char paths[TSR_MAX_CARDS][TSR_PATH_MAX])
{
	if (!device[0] || strcmp(device, "all") == 0)
		return 0;
	size_t count = 0;
	for (const char *at = device; count < TSR_MAX_CARDS; count++) {
		const char *comma = strchr(at, ',');
		size_t length = comma ? (size_t)(comma - at) : strlen(at);
		snprintf(paths[count], TSR_PATH_MAX, "%.*s", (int)length, at);
		if (!comma)
			return count + 1;
		at = comma + 1;
	}
	return count;
}

const struct tsr_output_head_config *tsr_config_find_head(const struct tsr_output_config *config,
							  const char *name)
{
	for (size_t i = 0; i < config->head_count; i++)
		if (strcmp(config->heads[i].name, name) == 0)
			return &config->heads[i];
	return NULL;
}
