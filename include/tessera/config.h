/* Tessera's configuration: what the trusted side decides (domains, their
 * labels and colours, decorations, outputs, hotkeys). Nothing here ever comes
 * from a guest. Format: INI (parsed with libinih), see data/tessera.conf. */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSR_MAX_DOMAINS 32u
#define TSR_MAX_HOTKEYS 32u
#define TSR_MAX_CHORD_KEYS 4u
#define TSR_NAME_MAX 32u
#define TSR_PATH_MAX 256u

enum tsr_transport_kind {
	TSR_TRANSPORT_LOCAL, /* unix socket + memfd */
	TSR_TRANSPORT_XEN,   /* vchan + grant tables */
};

/* Where a domain's keyboard and pointer go: its agent (Tessera protocol
 * messages over its guest link), or the Xen PV input device (kbdif,
 * Linux's xen-kbdfront) of the toolstack's domain of that name. */
enum tsr_input_kind {
	TSR_INPUT_AGENT,
	TSR_INPUT_PV,
};

/* How a Xen domain's display reaches Tessera. */
enum tsr_display_kind {
	TSR_DISPLAY_AGENT, /* tessera-agent in the guest (local or xen transport) */
	TSR_DISPLAY_PV,	   /* Linux's xen-drm-front over displif (transport = xen only) */
};

struct tsr_domain_config {
	char name[TSR_NAME_MAX];  /* section name; the Xen toolstack name for xen domains */
	char label[TSR_NAME_MAX]; /* shown in the border and banner */
	uint32_t colour;	  /* 0xRRGGBB */
	enum tsr_transport_kind transport;
	enum tsr_display_kind display;
	char socket_path[TSR_PATH_MAX]; /* local transport only */
	int socket_line;		/* where it was set (the section's line if by default) */
	enum tsr_input_kind input;	/* input = agent | pv */
};

/* [input]: key repeat that Tessera generates for PV input devices
 * (xen-kbdfront has none). A rate of 0 turns it off. */
#define TSR_REPEAT_DELAY_MIN_MS 100u
#define TSR_REPEAT_DELAY_MAX_MS 5000u
#define TSR_REPEAT_RATE_MAX 100u

struct tsr_input_config {
	uint32_t repeat_delay_ms; /* first repeat after this long (default 600) */
	uint32_t repeat_rate;	  /* repeats per second after that (default 25) */
};

enum tsr_action {
	TSR_ACTION_NONE = 0,
	TSR_ACTION_FOCUS_DOMAIN, /* argument: 1-based domain index */
	TSR_ACTION_FOCUS_NEXT,
	TSR_ACTION_FOCUS_PREV,
	TSR_ACTION_TOGGLE_MOSAIC,
	TSR_ACTION_GPU_HANDOFF, /* reserved: gpu-passthrough issue */
	TSR_ACTION_LOCK,	/* the lock screen (core/lock.h) */
};

struct tsr_hotkey {
	enum tsr_action action;
	int argument;
	uint32_t modifiers[TSR_MAX_CHORD_KEYS]; /* evdev codes, e.g. KEY_LEFTCTRL */
	size_t modifier_count;
	uint32_t key; /* evdev code of the final key */
};

enum tsr_backend_kind {
	TSR_BACKEND_HEADLESS,
	TSR_BACKEND_KMS,
};

/* [output] renderer: render/renderer_select.c. */
enum tsr_renderer_choice {
	TSR_RENDERER_AUTO, /* GLES on a hardware driver, pixman on a software one */
	TSR_RENDERER_PIXMAN,
	TSR_RENDERER_GLES, /* even on a software rasteriser; pixman if it cannot start */
};

/* [output NAME]: one output of the arrangement, by its name (a KMS
 * connector such as HDMI-A-1; the headless backend creates one output per
 * section, named after it). Positions are in one global layout space whose
 * origin is the top-left corner; the pointer moves across it. */
#define TSR_MAX_OUTPUT_SECTIONS 4u
#define TSR_OUTPUT_POSITION_MAX 65536
#define TSR_OUTPUT_SCALE_MAX 4u

struct tsr_output_head_config {
	char name[TSR_NAME_MAX];
	bool positioned;	/* position = X,Y given; else placed left to right */
	int32_t x, y;		/* 0..TSR_OUTPUT_POSITION_MAX */
	uint32_t width, height; /* mode = WxH; 0 = the [output] size (headless) or preferred */
	/* The decorations' integer scale (border, banner, labels, cursor;
	 * guest content stays 1:1): 1..TSR_OUTPUT_SCALE_MAX when scale_set,
	 * else 1 here and derived from the connector's physical size
	 * (core/output_scale.h). */
	uint32_t scale;
	bool scale_set;
	int line; /* the section's line, for messages */
};

struct tsr_output_config {
	enum tsr_backend_kind backend;
	enum tsr_renderer_choice renderer;
	uint32_t width, height; /* headless size; KMS: 0 = preferred mode */
	uint32_t refresh_mhz;	/* headless simulated refresh, e.g. 60000 */
	/* KMS: a card path, several separated by commas (one KMS backend
	 * each, backend/kms_cards.c), "all" (every card with a connected
	 * connector), or "" (the first card with one). */
	char device[TSR_PATH_MAX];
	/* Set by backend/kms_cards.c, never by the configuration: put before
	 * the connector names of a card after the first ("card1-"), so that
	 * output names stay unique. */
	char name_prefix[TSR_NAME_MAX];
	struct tsr_output_head_config heads[TSR_MAX_OUTPUT_SECTIONS];
	size_t head_count; /* 0: one output as configured by [output] alone */
};

/* The [output NAME] section of that name, or NULL. */
/* At most this many cards in [output] device. */
#define TSR_MAX_CARDS 4u

/* Splits a device list into its paths: the count, or 0 for "" and "all"
 * (which the KMS backend resolves itself). */
size_t tsr_config_split_devices(const char *device, char paths[TSR_MAX_CARDS][TSR_PATH_MAX]);

const struct tsr_output_head_config *tsr_config_find_head(const struct tsr_output_config *config,
							  const char *name);

/* [gpu_passthrough]: one PCI GPU Tessera can hand to a domain and take
 * back (gpu-passthrough/README.md). */
enum tsr_gpu_passthrough_driver {
	TSR_GPU_DRIVER_PCI_STUB,    /* pci-stub: parks the device (tests, no IOMMU) */
	TSR_GPU_DRIVER_VFIO_PCI,    /* vfio-pci: KVM/QEMU passthrough */
	TSR_GPU_DRIVER_XEN_PCIBACK, /* xen-pciback ("pciback"): Xen passthrough */
};

enum tsr_gpu_toolstack {
	TSR_GPU_TOOLSTACK_NONE, /* only bind the passthrough driver */
	TSR_GPU_TOOLSTACK_XL,	/* xl pci-assignable-add / pci-attach and back */
};

#define TSR_PCI_BDF_MAX 16u /* "0000:00:02.0" plus NUL */

struct tsr_gpu_config {
	bool enabled;		       /* the section is present */
	char device[TSR_PCI_BDF_MAX];  /* PCI address DDDD:BB:DD.F, lower case */
	char domain[TSR_NAME_MAX];     /* the target; a configured [domain NAME] */
	char drm_driver[TSR_NAME_MAX]; /* dom0's driver for the device, e.g. i915 */
	enum tsr_gpu_passthrough_driver passthrough_driver;
	enum tsr_gpu_toolstack toolstack;
	uint32_t step_timeout_s;	    /* each privileged step */
	uint32_t card_timeout_s;	    /* waiting for the card node after the rebind */
	char fallback_device[TSR_PATH_MAX]; /* card to show the desktop on meanwhile, "" none */
};

/* [lock]: the lock screen. The password typed on it is checked with PAM
 * (service "tessera") for user; idle_timeout_s 0 means no idle lock;
 * suspend: lock before the system sleeps, where logind runs
 * (core/suspend_lock.h). */
#define TSR_LOCK_IDLE_TIMEOUT_MAX_S 86400u
struct tsr_lock_config {
	uint32_t idle_timeout_s;
	char user[TSR_NAME_MAX]; /* "" = not configured: the lock is refused */
	bool suspend;		 /* default true */
};

struct tsr_config {
	struct tsr_output_config output;
	struct tsr_lock_config lock;
	struct tsr_gpu_config gpu;
	struct tsr_input_config input;
	uint32_t border_width;
	uint32_t banner_height;
	char font_path[TSR_PATH_MAX];
	uint32_t background_colour; /* 0xRRGGBB */
	char control_socket[TSR_PATH_MAX];
	int control_socket_line;	/* 0: the default */
	char source_name[TSR_PATH_MAX]; /* the file (or name) it was read from, for messages */
	struct tsr_domain_config domains[TSR_MAX_DOMAINS];
	size_t domain_count;
	struct tsr_hotkey hotkeys[TSR_MAX_HOTKEYS];
	size_t hotkey_count;
};

/* Fills *config with built-in defaults (headless 1280x800@60, no domains). */
void tsr_config_set_defaults(struct tsr_config *config);

/* Parses an INI file over the defaults. On failure returns false and writes
 * "FILE:LINE: message" to err. Unknown sections or keys, bad values,
 * duplicate domains, out-of-range numbers, lines over 198 characters, files
 * over 1 MiB and two sockets on one path are errors. */
bool tsr_config_load_file(struct tsr_config *config, const char *path, char *err, size_t err_len);

/* Same, from a string; name is used in error messages in place of a file. */
bool tsr_config_load_string(struct tsr_config *config, const char *text, const char *name,
			    char *err, size_t err_len);

/* Checks the socket paths again with relative ones resolved under
 * runtime_dir (at parse time a relative and an absolute path cannot be
 * compared): two local domains on one socket, or a domain on the control
 * socket, are "FILE:LINE: message" in err. */
bool tsr_config_check_sockets(const struct tsr_config *config, const char *runtime_dir, char *err,
			      size_t err_len);

/* Parses "Ctrl+Alt+1" style chords into a hotkey (action left untouched). */
bool tsr_hotkey_parse_chord(const char *text, struct tsr_hotkey *out, char *err, size_t err_len);

/* Returns the index of the domain with that name, or -1. */
int tsr_config_find_domain(const struct tsr_config *config, const char *name);

#endif
