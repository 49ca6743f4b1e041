/* Encoding: the mirror of decode.c. It refuses what the decoder would
 * reject, and writes unused array slots and the bytes after the error
 * text's NUL as zero whatever the struct holds there, so that every
 * message the decoder accepts re-encodes to the same bytes. */
#include <string.h>

#include "byte_order.h"
#include "wire.h"

struct body_writer {
	uint8_t *data;
	size_t len, pos;
	bool overrun;
};

static uint8_t *reserve(struct body_writer *w, size_t n)
{
	if (w->overrun || n > w->len - w->pos) {
		w->overrun = true;
		return NULL;
	}
	uint8_t *p = w->data + w->pos;
	w->pos += n;
	return p;
}

static void write_u16(struct body_writer *w, uint16_t v)
{
	uint8_t *p = reserve(w, 2);
	if (p != NULL) {
		tsr_store_le16(p, v);
	}
}

static void write_u32(struct body_writer *w, uint32_t v)
{
	uint8_t *p = reserve(w, 4);
	if (p != NULL) {
		tsr_store_le32(p, v);
	}
}

static void write_i32(struct body_writer *w, int32_t v)
{
	write_u32(w, (uint32_t)v);
}

static void write_u64(struct body_writer *w, uint64_t v)
{
	uint8_t *p = reserve(w, 8);
	if (p != NULL) {
		tsr_store_le64(p, v);
	}
}

static void write_rect(struct body_writer *w, const struct tsr_rect *rect)
{
	write_i32(w, rect->x);
	write_i32(w, rect->y);
	write_u32(w, rect->width);
	write_u32(w, rect->height);
}

static void encode_damage(struct body_writer *w, const struct tsr_msg_damage *m)
{
	static const struct tsr_rect unused;
	write_u32(w, m->surface_id);
	write_u32(w, m->count);
	for (uint32_t i = 0; i < TSR_MAX_DAMAGE_RECTS; i++) {
		write_rect(w, i < m->count ? &m->rects[i] : &unused);
	}
}

static void encode_focus_in(struct body_writer *w, const struct tsr_msg_focus_in *m)
{
	write_u32(w, m->count);
	for (uint32_t i = 0; i < TSR_MAX_HELD_KEYS; i++) {
		write_u32(w, i < m->count ? m->held_keys[i] : 0);
	}
}

static void encode_error(struct body_writer *w, const struct tsr_msg_error *m)
{
	write_u32(w, m->code);
	uint8_t *text = reserve(w, TSR_ERROR_TEXT_MAX);
	if (text != NULL) {
		/* The field check guaranteed a NUL within the array. */
		size_t used = strnlen(m->text, TSR_ERROR_TEXT_MAX);
		memset(text, 0, TSR_ERROR_TEXT_MAX);
		memcpy(text, m->text, used);
	}
}

static void encode_body(const struct tsr_msg *msg, struct body_writer *w)
{
	switch (msg->type) {
	case TSR_MSG_HELLO:
		write_u16(w, msg->u.hello.major);
		write_u16(w, msg->u.hello.minor);
		write_u32(w, msg->u.hello.capabilities);
		break;
	case TSR_MSG_SURFACE_CREATE:
		write_u32(w, msg->u.surface_create.surface_id);
		write_u32(w, msg->u.surface_create.width);
		write_u32(w, msg->u.surface_create.height);
		write_u32(w, msg->u.surface_create.fourcc);
		write_u32(w, msg->u.surface_create.stride);
		break;
	case TSR_MSG_SURFACE_DESTROY:
		write_u32(w, msg->u.surface_destroy.surface_id);
		break;
	case TSR_MSG_BUFFER_ATTACH_MEMFD:
		write_u32(w, msg->u.attach_memfd.surface_id);
		write_u32(w, msg->u.attach_memfd.buffer_id);
		write_u32(w, msg->u.attach_memfd.offset);
		write_u32(w, msg->u.attach_memfd.size);
		break;
	case TSR_MSG_BUFFER_ATTACH_GRANTS:
		write_u32(w, msg->u.attach_grants.surface_id);
		write_u32(w, msg->u.attach_grants.buffer_id);
		write_u32(w, msg->u.attach_grants.offset);
		write_u32(w, msg->u.attach_grants.ref_count);
		for (uint32_t i = 0; i < msg->u.attach_grants.ref_count; i++) {
			write_u32(w, msg->u.attach_grants.refs[i]);
		}
		break;
	case TSR_MSG_BUFFER_DESTROY:
		write_u32(w, msg->u.buffer_destroy.buffer_id);
		break;
	case TSR_MSG_DAMAGE:
		encode_damage(w, &msg->u.damage);
		break;
	case TSR_MSG_COMMIT:
		write_u32(w, msg->u.commit.surface_id);
		write_u32(w, msg->u.commit.buffer_id);
		write_u32(w, msg->u.commit.serial);
		break;
	case TSR_MSG_WELCOME:
		write_u16(w, msg->u.welcome.major);
		write_u16(w, msg->u.welcome.minor);
		write_u32(w, msg->u.welcome.capabilities);
		write_u32(w, msg->u.welcome.max_width);
		write_u32(w, msg->u.welcome.max_height);
		break;
	case TSR_MSG_CONFIGURE:
		write_u32(w, msg->u.configure.surface_id);
		write_u32(w, msg->u.configure.width);
		write_u32(w, msg->u.configure.height);
		break;
	case TSR_MSG_FRAME_DONE:
		write_u32(w, msg->u.frame_done.surface_id);
		write_u32(w, msg->u.frame_done.serial);
		write_u64(w, msg->u.frame_done.time_ns);
		break;
	case TSR_MSG_BUFFER_RELEASE:
		write_u32(w, msg->u.buffer_release.buffer_id);
		break;
	case TSR_MSG_KEY:
		write_u32(w, msg->u.key.code);
		write_u32(w, msg->u.key.state);
		write_u64(w, msg->u.key.time_ns);
		break;
	case TSR_MSG_POINTER_MOTION:
		write_u32(w, msg->u.pointer_motion.surface_id);
		write_i32(w, msg->u.pointer_motion.x);
		write_i32(w, msg->u.pointer_motion.y);
		write_u64(w, msg->u.pointer_motion.time_ns);
		break;
	case TSR_MSG_POINTER_BUTTON:
		write_u32(w, msg->u.pointer_button.code);
		write_u32(w, msg->u.pointer_button.state);
		write_u64(w, msg->u.pointer_button.time_ns);
		break;
	case TSR_MSG_POINTER_AXIS:
		write_u32(w, msg->u.pointer_axis.axis);
		write_i32(w, msg->u.pointer_axis.value);
		write_u64(w, msg->u.pointer_axis.time_ns);
		break;
	case TSR_MSG_FOCUS_IN:
		encode_focus_in(w, &msg->u.focus_in);
		break;
	case TSR_MSG_FOCUS_OUT:
		break;
	case TSR_MSG_ERROR:
		encode_error(w, &msg->u.error);
		break;
	}
}

size_t tsr_msg_encode(const struct tsr_msg *msg, uint8_t *buf, size_t cap)
{
	size_t total_len = tsr_wire_length(msg);
	if (total_len == 0 || total_len > cap || !tsr_wire_check_fields(msg, NULL, 0)) {
		return 0;
	}
	tsr_store_le32(buf, (uint32_t)msg->type);
	tsr_store_le32(buf + 4, (uint32_t)total_len);

	struct body_writer writer = {
	    .data = buf + TSR_HEADER_SIZE,
	    .len = total_len - TSR_HEADER_SIZE,
	};
	encode_body(msg, &writer);
	if (writer.overrun || writer.pos != writer.len) {
		return 0; /* a layout bug: never hand out a half-written message */
	}
	return total_len;
}
