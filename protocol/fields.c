/* Field checks that need no context, shared by decoder and encoder: the
 * decoder rejects what a hostile peer sends, the encoder refuses to put
 * the same mistakes on the wire. */
#include <inttypes.h>
#include <linux/input-event-codes.h>

#include "wire.h"

static bool check_extent(const char *name, const char *what, uint32_t value, char *err,
			 size_t err_len)
{
	if (value < 1 || value > TSR_MAX_DIMENSION) {
		return tsr_wire_error(err, err_len, "%s: %s %" PRIu32 " out of range 1..%u", name,
				      what, value, TSR_MAX_DIMENSION);
	}
	return true;
}

static bool check_key_code(const char *name, uint32_t code, char *err, size_t err_len)
{
	if (code > KEY_MAX) {
		return tsr_wire_error(err, err_len, "%s: key code %" PRIu32 " > %u", name, code,
				      KEY_MAX);
	}
	return true;
}

static bool check_surface_create(const struct tsr_msg_surface_create *m, char *err, size_t err_len)
{
	char why[96];
	if (!tsr_validate_surface(m->width, m->height, m->fourcc, m->stride, why, sizeof(why))) {
		return tsr_wire_error(err, err_len, "SURFACE_CREATE: %s", why);
	}
	return true;
}

static bool check_attach_memfd(const struct tsr_msg_buffer_attach_memfd *m, char *err,
			       size_t err_len)
{
	if (m->size < 1 || m->size > TSR_MAX_BUFFER_BYTES) {
		return tsr_wire_error(err, err_len,
				      "BUFFER_ATTACH_MEMFD: size %" PRIu32 " out of range 1..%u",
				      m->size, TSR_MAX_BUFFER_BYTES);
	}
	/* The compositor never maps more than TSR_MAX_BUFFER_BYTES of a memfd
	 * for one buffer, wherever in the file the guest put it. */
	if (m->offset > TSR_MAX_BUFFER_BYTES - m->size) {
		return tsr_wire_error(
		    err, err_len, "BUFFER_ATTACH_MEMFD: offset %" PRIu32 " + size %" PRIu32 " > %u",
		    m->offset, m->size, TSR_MAX_BUFFER_BYTES);
	}
	if (m->offset % 4 != 0) {
		return tsr_wire_error(err, err_len,
				      "BUFFER_ATTACH_MEMFD: offset %" PRIu32 " not a multiple of 4",
				      m->offset);
	}
	return true;
}

static bool check_attach_grants(const struct tsr_msg_buffer_attach_grants *m, char *err,
				size_t err_len)
{
	if (m->ref_count < 1 || m->ref_count > TSR_MAX_GRANT_REFS) {
		return tsr_wire_error(
		    err, err_len, "BUFFER_ATTACH_GRANTS: ref_count %" PRIu32 " out of range 1..%u",
		    m->ref_count, TSR_MAX_GRANT_REFS);
	}
	if (m->offset >= TSR_PAGE_SIZE || m->offset % 4 != 0) {
		return tsr_wire_error(err, err_len,
				      "BUFFER_ATTACH_GRANTS: offset %" PRIu32
				      " not a multiple of 4 below %u",
				      m->offset, TSR_PAGE_SIZE);
	}
	return true;
}

static bool check_error_text(const struct tsr_msg_error *m, char *err, size_t err_len)
{
	for (size_t i = 0; i < TSR_ERROR_TEXT_MAX; i++) {
		unsigned char c = (unsigned char)m->text[i];
		if (c == '\0') {
			return true;
		}
		if (c < 0x20 || c > 0x7e) {
			return tsr_wire_error(err, err_len,
					      "ERROR: text byte %zu is 0x%02x, not printable ASCII",
					      i, c);
		}
	}
	return tsr_wire_error(err, err_len, "ERROR: text not NUL-terminated within %u bytes",
			      TSR_ERROR_TEXT_MAX);
}

bool tsr_wire_check_fields(const struct tsr_msg *msg, char *err, size_t err_len)
{
	switch (msg->type) {
	case TSR_MSG_HELLO:
		/* Versions are negotiated, unknown capability bits ignored. */
		return true;
	case TSR_MSG_WELCOME:
		return check_extent("WELCOME", "max_width", msg->u.welcome.max_width, err,
				    err_len) &&
		       check_extent("WELCOME", "max_height", msg->u.welcome.max_height, err,
				    err_len);
	case TSR_MSG_SURFACE_CREATE:
		return check_surface_create(&msg->u.surface_create, err, err_len);
	case TSR_MSG_BUFFER_ATTACH_MEMFD:
		return check_attach_memfd(&msg->u.attach_memfd, err, err_len);
	case TSR_MSG_BUFFER_ATTACH_GRANTS:
		return check_attach_grants(&msg->u.attach_grants, err, err_len);
	case TSR_MSG_DAMAGE:
		if (msg->u.damage.count > TSR_MAX_DAMAGE_RECTS) {
			return tsr_wire_error(err, err_len, "DAMAGE: count %" PRIu32 " > %u",
					      msg->u.damage.count, TSR_MAX_DAMAGE_RECTS);
		}
		return true;
	case TSR_MSG_CONFIGURE:
		return check_extent("CONFIGURE", "width", msg->u.configure.width, err, err_len) &&
		       check_extent("CONFIGURE", "height", msg->u.configure.height, err, err_len);
	case TSR_MSG_KEY:
		if (msg->u.key.state > TSR_KEY_REPEAT) {
			return tsr_wire_error(err, err_len, "KEY: state %" PRIu32 " > %d",
					      msg->u.key.state, TSR_KEY_REPEAT);
		}
		return check_key_code("KEY", msg->u.key.code, err, err_len);
	case TSR_MSG_POINTER_BUTTON:
		if (msg->u.pointer_button.state > TSR_KEY_PRESSED) {
			return tsr_wire_error(err, err_len,
					      "POINTER_BUTTON: state %" PRIu32 " > %d",
					      msg->u.pointer_button.state, TSR_KEY_PRESSED);
		}
		return check_key_code("POINTER_BUTTON", msg->u.pointer_button.code, err, err_len);
	case TSR_MSG_POINTER_AXIS:
		if (msg->u.pointer_axis.axis > 1) {
			return tsr_wire_error(err, err_len, "POINTER_AXIS: axis %" PRIu32 " > 1",
					      msg->u.pointer_axis.axis);
		}
		return true;
	case TSR_MSG_FOCUS_IN:
		if (msg->u.focus_in.count > TSR_MAX_HELD_KEYS) {
			return tsr_wire_error(err, err_len, "FOCUS_IN: count %" PRIu32 " > %u",
					      msg->u.focus_in.count, TSR_MAX_HELD_KEYS);
		}
		for (uint32_t i = 0; i < msg->u.focus_in.count; i++) {
			if (!check_key_code("FOCUS_IN", msg->u.focus_in.held_keys[i], err,
					    err_len)) {
				return false;
			}
		}
		return true;
	case TSR_MSG_ERROR:
		return check_error_text(&msg->u.error, err, err_len);
	case TSR_MSG_SURFACE_DESTROY:
	case TSR_MSG_BUFFER_DESTROY:
	case TSR_MSG_COMMIT:
	case TSR_MSG_FRAME_DONE:
	case TSR_MSG_BUFFER_RELEASE:
	case TSR_MSG_POINTER_MOTION:
	case TSR_MSG_FOCUS_OUT:
		/* Ids and times: any value is well-formed; ids are checked in
		 * context by the compositor or agent. */
		return true;
	}
	return tsr_wire_error(err, err_len, "type %" PRIu32 " unknown", (uint32_t)msg->type);
}
