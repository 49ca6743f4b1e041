/* Decoding one complete message. The header check has already bounded the
 * length, the body reader bounds every read again, and the shared field
 * checks run last. The decoder additionally rejects anything the encoder
 * would not write back identically: non-zero unused array slots and bytes
 * after the error text's NUL. */
#include <inttypes.h>
#include <string.h>

#include "byte_order.h"
#include "wire.h"

struct body_reader {
	const uint8_t *data;
	size_t len, pos;
	bool overrun; /* a layout bug, never a guest's doing: lengths are checked first */
};

static const uint8_t *take(struct body_reader *r, size_t n)
{
	if (r->overrun || n > r->len - r->pos) {
		r->overrun = true;
		return NULL;
	}
	const uint8_t *p = r->data + r->pos;
	r->pos += n;
	return p;
}

static uint16_t read_u16(struct body_reader *r)
{
	const uint8_t *p = take(r, 2);
	return p != NULL ? tsr_load_le16(p) : 0;
}

static uint32_t read_u32(struct body_reader *r)
{
	const uint8_t *p = take(r, 4);
	return p != NULL ? tsr_load_le32(p) : 0;
}

static int32_t read_i32(struct body_reader *r)
{
	/* Two's complement on the wire; the conversion is exact in C11 on
	 * every compiler we build with (implementation-defined, documented). */
	return (int32_t)read_u32(r);
}

static uint64_t read_u64(struct body_reader *r)
{
	const uint8_t *p = take(r, 8);
	return p != NULL ? tsr_load_le64(p) : 0;
}

static void read_rect(struct body_reader *r, struct tsr_rect *rect)
{
	rect->x = read_i32(r);
	rect->y = read_i32(r);
	rect->width = read_u32(r);
	rect->height = read_u32(r);
}

static bool decode_grants(struct body_reader *r, struct tsr_msg_buffer_attach_grants *m, char *err,
			  size_t err_len)
{
	memset(m, 0, sizeof(*m));
	m->surface_id = read_u32(r);
	m->buffer_id = read_u32(r);
	m->offset = read_u32(r);
	uint32_t untrusted_count = read_u32(r);
	/* The header check made the remaining length a multiple of 4 within
	 * the cap, so refs_on_wire <= TSR_MAX_GRANT_REFS. */
	size_t refs_on_wire = (r->len - r->pos) / 4;
	if (untrusted_count != refs_on_wire) {
		return tsr_wire_error(err, err_len,
				      "BUFFER_ATTACH_GRANTS: ref_count %" PRIu32
				      " but length holds %zu refs",
				      untrusted_count, refs_on_wire);
	}
	m->ref_count = untrusted_count;
	for (uint32_t i = 0; i < m->ref_count; i++) {
		m->refs[i] = read_u32(r);
	}
	return true;
}

static bool decode_damage(struct body_reader *r, struct tsr_msg_damage *m, char *err,
			  size_t err_len)
{
	m->surface_id = read_u32(r);
	m->count = read_u32(r);
	/* The used slots are decoded; the unused ones must be zero bytes, as
	 * the encoder writes them, and are checked as bytes: a frame's DAMAGE
	 * of one rectangle need not cost sixteen rectangle decodes. (A count
	 * above the slots is refused by the field checks.) */
	uint32_t used = m->count < TSR_MAX_DAMAGE_RECTS ? m->count : TSR_MAX_DAMAGE_RECTS;
	for (uint32_t i = 0; i < used; i++)
		read_rect(r, &m->rects[i]);
	size_t unused_bytes = (size_t)(TSR_MAX_DAMAGE_RECTS - used) * TSR_RECT_WIRE_SIZE;
	const uint8_t *unused = take(r, unused_bytes);
	/* All zero: the first byte is, and each byte equals the next. */
	bool zero = !unused || unused_bytes == 0 ||
		    (unused[0] == 0 && memcmp(unused, unused + 1, unused_bytes - 1) == 0);
	for (size_t b = 0; !zero && b < unused_bytes; b++) {
		if (unused[b] != 0) {
			return tsr_wire_error(err, err_len, "DAMAGE: unused rect %zu not zero",
					      used + b / TSR_RECT_WIRE_SIZE);
		}
	}
	memset(&m->rects[used], 0, sizeof(m->rects[0]) * (TSR_MAX_DAMAGE_RECTS - used));
	return true;
}

static bool decode_focus_in(struct body_reader *r, struct tsr_msg_focus_in *m, char *err,
			    size_t err_len)
{
	m->count = read_u32(r);
	for (uint32_t i = 0; i < TSR_MAX_HELD_KEYS; i++) {
		m->held_keys[i] = read_u32(r);
		if (i >= m->count && m->held_keys[i] != 0) {
			return tsr_wire_error(
			    err, err_len, "FOCUS_IN: unused held key slot %" PRIu32 " not zero", i);
		}
	}
	return true;
}

static bool decode_error(struct body_reader *r, struct tsr_msg_error *m, char *err, size_t err_len)
{
	m->code = read_u32(r);
	const uint8_t *text = take(r, TSR_ERROR_TEXT_MAX);
	if (text == NULL) {
		return true; /* reported as an overrun by the caller */
	}
	memcpy(m->text, text, TSR_ERROR_TEXT_MAX);
	const uint8_t *nul = memchr(text, 0, TSR_ERROR_TEXT_MAX);
	if (nul == NULL) {
		return true; /* the field check reports the missing NUL */
	}
	for (const uint8_t *p = nul + 1; p < text + TSR_ERROR_TEXT_MAX; p++) {
		if (*p != 0) {
			return tsr_wire_error(err, err_len,
					      "ERROR: byte %td after the text's NUL is 0x%02x",
					      p - text, *p);
		}
	}
	return true;
}

/* Every union member but the grants one fits in this many bytes. */
#define LARGEST_SMALL_MEMBER sizeof(struct tsr_msg_damage)
_Static_assert(sizeof(struct tsr_msg_focus_in) <= LARGEST_SMALL_MEMBER, "focus_in");
_Static_assert(sizeof(struct tsr_msg_error) <= LARGEST_SMALL_MEMBER, "error");
_Static_assert(sizeof(struct tsr_msg_welcome) <= LARGEST_SMALL_MEMBER, "welcome");
_Static_assert(sizeof(struct tsr_msg_pointer_motion) <= LARGEST_SMALL_MEMBER, "motion");

/* Fills the union member for type from the body. */
static bool decode_body(enum tsr_msg_type type, struct body_reader *r, struct tsr_msg *out,
			char *err, size_t err_len)
{
	switch (type) {
	case TSR_MSG_HELLO:
		out->u.hello.major = read_u16(r);
		out->u.hello.minor = read_u16(r);
		out->u.hello.capabilities = read_u32(r);
		return true;
	case TSR_MSG_SURFACE_CREATE:
		out->u.surface_create.surface_id = read_u32(r);
		out->u.surface_create.width = read_u32(r);
		out->u.surface_create.height = read_u32(r);
		out->u.surface_create.fourcc = read_u32(r);
		out->u.surface_create.stride = read_u32(r);
		return true;
	case TSR_MSG_SURFACE_DESTROY:
		out->u.surface_destroy.surface_id = read_u32(r);
		return true;
	case TSR_MSG_BUFFER_ATTACH_MEMFD:
		out->u.attach_memfd.surface_id = read_u32(r);
		out->u.attach_memfd.buffer_id = read_u32(r);
		out->u.attach_memfd.offset = read_u32(r);
		out->u.attach_memfd.size = read_u32(r);
		return true;
	case TSR_MSG_BUFFER_ATTACH_GRANTS:
		return decode_grants(r, &out->u.attach_grants, err, err_len);
	case TSR_MSG_BUFFER_DESTROY:
		out->u.buffer_destroy.buffer_id = read_u32(r);
		return true;
	case TSR_MSG_DAMAGE:
		return decode_damage(r, &out->u.damage, err, err_len);
	case TSR_MSG_COMMIT:
		out->u.commit.surface_id = read_u32(r);
		out->u.commit.buffer_id = read_u32(r);
		out->u.commit.serial = read_u32(r);
		return true;
	case TSR_MSG_WELCOME:
		out->u.welcome.major = read_u16(r);
		out->u.welcome.minor = read_u16(r);
		out->u.welcome.capabilities = read_u32(r);
		out->u.welcome.max_width = read_u32(r);
		out->u.welcome.max_height = read_u32(r);
		return true;
	case TSR_MSG_CONFIGURE:
		out->u.configure.surface_id = read_u32(r);
		out->u.configure.width = read_u32(r);
		out->u.configure.height = read_u32(r);
		return true;
	case TSR_MSG_FRAME_DONE:
		out->u.frame_done.surface_id = read_u32(r);
		out->u.frame_done.serial = read_u32(r);
		out->u.frame_done.time_ns = read_u64(r);
		return true;
	case TSR_MSG_BUFFER_RELEASE:
		out->u.buffer_release.buffer_id = read_u32(r);
		return true;
	case TSR_MSG_KEY:
		out->u.key.code = read_u32(r);
		out->u.key.state = read_u32(r);
		out->u.key.time_ns = read_u64(r);
		return true;
	case TSR_MSG_POINTER_MOTION:
		out->u.pointer_motion.surface_id = read_u32(r);
		out->u.pointer_motion.x = read_i32(r);
		out->u.pointer_motion.y = read_i32(r);
		out->u.pointer_motion.time_ns = read_u64(r);
		return true;
	case TSR_MSG_POINTER_BUTTON:
		out->u.pointer_button.code = read_u32(r);
		out->u.pointer_button.state = read_u32(r);
		out->u.pointer_button.time_ns = read_u64(r);
		return true;
	case TSR_MSG_POINTER_AXIS:
		out->u.pointer_axis.axis = read_u32(r);
		out->u.pointer_axis.value = read_i32(r);
		out->u.pointer_axis.time_ns = read_u64(r);
		return true;
	case TSR_MSG_FOCUS_IN:
		return decode_focus_in(r, &out->u.focus_in, err, err_len);
	case TSR_MSG_FOCUS_OUT:
		return true;
	case TSR_MSG_ERROR:
		return decode_error(r, &out->u.error, err, err_len);
	}
	return tsr_wire_error(err, err_len, "type %u unknown", (unsigned)type);
}

bool tsr_msg_decode(const uint8_t *untrusted_buf, size_t untrusted_len, enum tsr_direction dir,
		    struct tsr_msg *out, char *err, size_t err_len)
{
	if (untrusted_len < TSR_HEADER_SIZE) {
		return tsr_wire_error(err, err_len, "message truncated: %zu bytes < %u-byte header",
				      untrusted_len, TSR_HEADER_SIZE);
	}
	size_t total_len;
	if (!tsr_header_check(untrusted_buf, dir, &total_len, err, err_len)) {
		return false;
	}
	uint32_t type = tsr_load_le32(untrusted_buf);
	const char *name = tsr_msg_type_name(type);
	if (untrusted_len != total_len) {
		return tsr_wire_error(err, err_len, "%s: %zu bytes, header says %zu", name,
				      untrusted_len, total_len);
	}

	struct body_reader reader = {
	    .data = untrusted_buf + TSR_HEADER_SIZE,
	    .len = untrusted_len - TSR_HEADER_SIZE,
	};
	out->type = (enum tsr_msg_type)type;
	if (type != TSR_MSG_BUFFER_ATTACH_GRANTS) {
		/* Start from zero so no stale bytes survive; decode_grants zeroes
		 * its own 64 KiB member only when it is needed. */
		memset(&out->u, 0, LARGEST_SMALL_MEMBER);
	}
	if (!decode_body(out->type, &reader, out, err, err_len)) {
		return false;
	}
	if (reader.overrun || reader.pos != reader.len) {
		return tsr_wire_error(err, err_len, "%s: body layout mismatch (%zu of %zu bytes)",
				      name, reader.pos, reader.len);
	}
	return tsr_wire_check_fields(out, err, err_len);
}
