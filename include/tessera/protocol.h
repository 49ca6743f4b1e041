/* The Tessera guest protocol, version 1: wire format, limits and the pure
 * (I/O-free) encoder, decoder and validators shared by compositor and agent.
 * protocol/README.md is the normative description; keep the two in step. */
#ifndef TESSERA_PROTOCOL_H
#define TESSERA_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSR_PROTOCOL_MAJOR 1
#define TSR_PROTOCOL_MINOR 0

/* Hard caps. Every guest-supplied value is checked against these once, in
 * the decoder or in the tsr_validate_* helpers below. */
#define TSR_MAX_DIMENSION 16384u
#define TSR_MAX_BUFFER_BYTES (64u * 1024u * 1024u) /* 16384 grant pages */
#define TSR_PAGE_SIZE 4096u
#define TSR_MAX_GRANT_REFS (TSR_MAX_BUFFER_BYTES / TSR_PAGE_SIZE)
#define TSR_MAX_DAMAGE_RECTS 16u /* per DAMAGE message */
#define TSR_MAX_HELD_KEYS 32u	 /* per FOCUS_IN message */
#define TSR_MAX_SURFACES_PER_GUEST 8u
#define TSR_MAX_BUFFERS_PER_GUEST 16u
#define TSR_HEADER_SIZE 8u
#define TSR_MAX_MESSAGE_SIZE (TSR_HEADER_SIZE + 16u + 4u * TSR_MAX_GRANT_REFS)
#define TSR_ERROR_TEXT_MAX 64u

/* Capability bits in HELLO / WELCOME. */
#define TSR_CAP_MEMFD (1u << 0)	 /* buffers as memfds (local transport) */
#define TSR_CAP_GRANTS (1u << 1) /* buffers as Xen grant refs */
#define TSR_CAP_INPUT (1u << 2)	 /* wants input events */

/* ERROR codes: why the compositor is dropping the guest. protocol/README.md
 * section 7 lists exactly which violation gets which. */
enum tsr_error_code {
	TSR_ERROR_PROTOCOL = 1,	  /* framing, decoder, order, direction, fds per message */
	TSR_ERROR_VERSION = 2,	  /* no common major version */
	TSR_ERROR_LIMIT = 3,	  /* a per-guest cap exceeded (surfaces, buffers, send queue) */
	TSR_ERROR_ID = 4,	  /* unknown, duplicate or mismatched surface/buffer id */
	TSR_ERROR_BUFFER = 5,	  /* not a memfd, unsealed, too small, cannot be mapped */
	TSR_ERROR_CAPABILITY = 6, /* a feature used that WELCOME did not grant */
};

enum tsr_msg_type {
	/* guest -> compositor */
	TSR_MSG_HELLO = 1,
	TSR_MSG_SURFACE_CREATE = 2,
	TSR_MSG_SURFACE_DESTROY = 3,
	TSR_MSG_BUFFER_ATTACH_MEMFD = 4, /* the memfd travels with SCM_RIGHTS */
	TSR_MSG_BUFFER_ATTACH_GRANTS = 5,
	TSR_MSG_BUFFER_DESTROY = 6,
	TSR_MSG_DAMAGE = 7,
	TSR_MSG_COMMIT = 8,
	/* compositor -> guest */
	TSR_MSG_WELCOME = 64,
	TSR_MSG_CONFIGURE = 65,
	TSR_MSG_FRAME_DONE = 66,
	TSR_MSG_BUFFER_RELEASE = 67,
	TSR_MSG_KEY = 68,
	TSR_MSG_POINTER_MOTION = 69,
	TSR_MSG_POINTER_BUTTON = 70,
	TSR_MSG_POINTER_AXIS = 71,
	TSR_MSG_FOCUS_IN = 72,
	TSR_MSG_FOCUS_OUT = 73,
	TSR_MSG_ERROR = 74, /* sent once before the compositor drops a guest */
};

struct tsr_rect {
	int32_t x, y;
	uint32_t width, height;
};

struct tsr_msg_hello {
	uint16_t major, minor;
	uint32_t capabilities;
};

struct tsr_msg_welcome {
	uint16_t major, minor; /* the negotiated version */
	uint32_t capabilities;
	uint32_t max_width, max_height;
};

struct tsr_msg_surface_create {
	uint32_t surface_id;
	uint32_t width, height;
	uint32_t fourcc; /* DRM_FORMAT_XRGB8888 or DRM_FORMAT_ARGB8888 */
	uint32_t stride;
};

struct tsr_msg_surface_destroy {
	uint32_t surface_id;
};

struct tsr_msg_buffer_attach_memfd {
	uint32_t surface_id;
	uint32_t buffer_id;
	uint32_t offset; /* of the first pixel in the memfd */
	uint32_t size;	 /* bytes the guest promises from offset */
};

struct tsr_msg_buffer_attach_grants {
	uint32_t surface_id;
	uint32_t buffer_id;
	uint32_t offset; /* of the first pixel in the first page */
	uint32_t ref_count;
	uint32_t refs[TSR_MAX_GRANT_REFS];
};

struct tsr_msg_buffer_destroy {
	uint32_t buffer_id;
};

struct tsr_msg_damage {
	uint32_t surface_id;
	uint32_t count;
	struct tsr_rect rects[TSR_MAX_DAMAGE_RECTS];
};

struct tsr_msg_commit {
	uint32_t surface_id;
	uint32_t buffer_id;
	uint32_t serial;
};

struct tsr_msg_configure {
	uint32_t surface_id;
	uint32_t width, height;
};

struct tsr_msg_frame_done {
	uint32_t surface_id;
	uint32_t serial; /* of the commit that was presented */
	uint64_t time_ns;
};

struct tsr_msg_buffer_release {
	uint32_t buffer_id;
};

enum tsr_key_state { TSR_KEY_RELEASED = 0, TSR_KEY_PRESSED = 1, TSR_KEY_REPEAT = 2 };

struct tsr_msg_key {
	uint32_t code; /* Linux evdev KEY_* code */
	uint32_t state;
	uint64_t time_ns;
};

struct tsr_msg_pointer_motion {
	uint32_t surface_id;
	int32_t x, y; /* surface-local */
	uint64_t time_ns;
};

struct tsr_msg_pointer_button {
	uint32_t code; /* BTN_* */
	uint32_t state;
	uint64_t time_ns;
};

struct tsr_msg_pointer_axis {
	uint32_t axis; /* 0 vertical, 1 horizontal */
	int32_t value; /* wheel clicks (REL_WHEEL units) */
	uint64_t time_ns;
};

struct tsr_msg_focus_in {
	uint32_t count;
	uint32_t held_keys[TSR_MAX_HELD_KEYS];
};

struct tsr_msg_error {
	uint32_t code;
	char text[TSR_ERROR_TEXT_MAX]; /* NUL-terminated, printable ASCII */
};

/* A decoded, structurally valid message. Large (holds the grant ref
 * array): allocate it, do not put it on small stacks. */
struct tsr_msg {
	enum tsr_msg_type type;
	union {
		struct tsr_msg_hello hello;
		struct tsr_msg_welcome welcome;
		struct tsr_msg_surface_create surface_create;
		struct tsr_msg_surface_destroy surface_destroy;
		struct tsr_msg_buffer_attach_memfd attach_memfd;
		struct tsr_msg_buffer_attach_grants attach_grants;
		struct tsr_msg_buffer_destroy buffer_destroy;
		struct tsr_msg_damage damage;
		struct tsr_msg_commit commit;
		struct tsr_msg_configure configure;
		struct tsr_msg_frame_done frame_done;
		struct tsr_msg_buffer_release buffer_release;
		struct tsr_msg_key key;
		struct tsr_msg_pointer_motion pointer_motion;
		struct tsr_msg_pointer_button pointer_button;
		struct tsr_msg_pointer_axis pointer_axis;
		struct tsr_msg_focus_in focus_in;
		struct tsr_msg_error error;
	} u;
};

enum tsr_direction {
	TSR_FROM_GUEST,	     /* the compositor decodes these */
	TSR_FROM_COMPOSITOR, /* the agent decodes these */
};

/* Header check, before the body is read. untrusted_header is exactly
 * TSR_HEADER_SIZE bytes. On success *out_total_len is the full message length
 * (header included) the reader must read next; it is only ever a length this
 * message type allows, never more than TSR_MAX_MESSAGE_SIZE. */
bool tsr_header_check(const uint8_t *untrusted_header, enum tsr_direction dir,
		      size_t *out_total_len, char *err, size_t err_len);

/* Full decode of one complete message (header included) into *out.
 * Checks: known type for this direction, exact length, field ranges that do
 * not need context (caps, reserved zero, counts within bounds, known
 * fourcc, text printable). Context checks (ids, sizes against a surface) are
 * left to the tsr_validate_* helpers. Returns false and fills err. */
bool tsr_msg_decode(const uint8_t *untrusted_buf, size_t untrusted_len, enum tsr_direction dir,
		    struct tsr_msg *out, char *err, size_t err_len);

/* Encodes msg into buf; returns the number of bytes written, 0 if cap is too
 * small or the message is invalid for encoding. */
size_t tsr_msg_encode(const struct tsr_msg *msg, uint8_t *buf, size_t cap);

/* Version negotiation: same major required, the lower minor wins. */
bool tsr_negotiate_version(uint16_t ours_major, uint16_t ours_minor, uint16_t theirs_major,
			   uint16_t theirs_minor, uint16_t *out_minor);

/* Bytes per pixel for a supported fourcc, 0 for unsupported formats. */
uint32_t tsr_format_bpp(uint32_t fourcc);

/* Surface parameters: 1 <= width,height <= TSR_MAX_DIMENSION, supported
 * fourcc, stride >= width*bpp, stride*height <= TSR_MAX_BUFFER_BYTES. */
bool tsr_validate_surface(uint32_t width, uint32_t height, uint32_t fourcc, uint32_t stride,
			  char *err, size_t err_len);

/* A buffer of buffer_size bytes holds a surface at offset:
 * offset + (height-1)*stride + width*bpp <= buffer_size, overflow-safe. */
bool tsr_validate_buffer_fits(uint32_t width, uint32_t height, uint32_t fourcc, uint32_t stride,
			      uint64_t offset, uint64_t buffer_size, char *err, size_t err_len);

/* The same two checks for a pixel size the caller resolved itself and a
 * stride alignment of its choosing: for links that check their own formats
 * (the PV display, core/guest_link.h), whose pitches need not be a
 * multiple of 4. bpp 0 fails. */
bool tsr_validate_surface_geometry(uint32_t width, uint32_t height, uint32_t bpp, uint32_t stride,
				   uint32_t stride_align, char *err, size_t err_len);
bool tsr_validate_span(uint32_t width, uint32_t height, uint32_t bpp, uint32_t stride,
		       uint64_t offset, uint64_t buffer_size, char *err, size_t err_len);

/* Clips a guest damage rect to a width x height surface. Returns false when
 * nothing is left (the rect is then ignored, not an error). */
bool tsr_clip_rect(const struct tsr_rect *untrusted_rect, uint32_t width, uint32_t height,
		   struct tsr_rect *out);

const char *tsr_msg_type_name(uint32_t type);

#endif
