/* Helpers shared by the configuration reader (config.c), its value parsers
 * (config_values.c) and the hotkey parser (hotkey_parse.c). Not public: the
 * rest of the compositor only sees tessera/config.h.
 *
 * Every parser that can fail writes "what is wrong (what is allowed)" to err,
 * without a FILE:LINE prefix; config.c adds that. */
#ifndef TSR_CONFIG_INTERNAL_H
#define TSR_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/config.h"

/* Longest configuration line the INI reader accepts, without its newline.
 * libinih reads into a fixed buffer; longer lines are an error rather than
 * being silently split in two. */
#define TSR_CONFIG_LINE_MAX 198u

/* Largest configuration file read: far beyond any real one (the example is
 * 3 KiB), and what stops reading a device or an endless pipe. */
#define TSR_CONFIG_FILE_MAX (1024u * 1024u)

/* Decimal whole number in min..max, no sign, no trailing characters. */
bool tsr_config_parse_uint(const char *text, uint32_t min, uint32_t max, uint32_t *out, char *err,
			   size_t err_len);

/* Refresh rate in Hz (decimal, e.g. "60" or "59.94"), 1..240, as mHz. */
bool tsr_config_parse_refresh(const char *text, uint32_t *out_mhz, char *err, size_t err_len);

/* "#RRGGBB" only. */
bool tsr_config_parse_hex_colour(const char *text, uint32_t *out, char *err, size_t err_len);

/* "#RRGGBB" or one of the named colours (red, orange, ... see config_values.c). */
bool tsr_config_parse_colour(const char *text, uint32_t *out, char *err, size_t err_len);

/* Domain names: 1..TSR_NAME_MAX-1 characters of [A-Za-z0-9_.-]. */
bool tsr_config_check_domain_name(const char *text, char *err, size_t err_len);

/* Labels: 1..TSR_NAME_MAX-1 printable ASCII characters. */
bool tsr_config_check_label(const char *text, char *err, size_t err_len);

/* Copies a non-empty path shorter than TSR_PATH_MAX into out. */
bool tsr_config_copy_path(const char *text, char out[TSR_PATH_MAX], char *err, size_t err_len);

/* Maps a [hotkeys] key ("focus_3", "next", ...) to its action. */
bool tsr_hotkey_action_from_key(const char *key, enum tsr_action *action, int *argument);

/* The [hotkeys] key of an action ("focus_3", "next", ...), for messages. */
const char *tsr_hotkey_action_key(enum tsr_action action, int argument);

/* Replaces config's hotkeys with the built-in bindings. */
void tsr_hotkey_set_defaults(struct tsr_config *config);

/* True if both hotkeys are triggered by the same keys. */
bool tsr_hotkey_same_chord(const struct tsr_hotkey *a, const struct tsr_hotkey *b);

/* Writes "Ctrl+Alt+Left" for a parsed chord into buf. */
void tsr_hotkey_format_chord(const struct tsr_hotkey *hotkey, char *buf, size_t len);

/* Socket paths (config_sockets.c). */
/* Lexically normalised path (relative ones under runtime_dir unless NULL). */
bool tsr_config_normalise_path(const char *runtime_dir, const char *path, char *out,
			       size_t out_len);
/* Finds two local domains on one socket, or a domain on the control socket:
 * true with the line to blame and the message (without FILE:LINE). */
bool tsr_config_find_socket_conflict(const struct tsr_config *config, const char *runtime_dir,
				     int *line, char *err, size_t err_len);

/* [gpu_passthrough] (config_gpu.c). */
/* "DDDD:BB:DD.F" (hex, slot <= 1f, function <= 7), stored in lower case. */
bool tsr_config_parse_pci_address(const char *text, char out[TSR_PCI_BDF_MAX], char *err,
				  size_t err_len);
/* Applies one key of the section to gpu. */
bool tsr_config_apply_gpu(struct tsr_gpu_config *gpu, const char *key, const char *value, char *err,
			  size_t err_len);
/* Checks the closed section: NULL when fine, else the key to blame ("" for
 * the section header) with the message in err. */
const char *tsr_config_check_gpu_section(const struct tsr_gpu_config *gpu, char *err,
					 size_t err_len);

/* [domain NAME] (config_domain.c). */
/* Adds a domain called name, labelled with its name until a label key;
 * false with err (and existing, the index of a domain of that name, or -1). */
bool tsr_config_add_domain(struct tsr_config *config, const char *name, int *existing, char *err,
			   size_t err_len);
/* Applies one key of the section to domain. */
bool tsr_config_apply_domain(struct tsr_domain_config *domain, const char *key, const char *value,
			     char *err, size_t err_len);
/* Checks the closed section and fills in the default socket path: NULL
 * when fine, else the key to blame ("" for the section header) with the
 * message in err. */
const char *tsr_config_check_domain_section(struct tsr_domain_config *domain, bool colour_set,
					    char *err, size_t err_len);

#endif
