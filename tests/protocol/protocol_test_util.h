/* Helpers shared by the protocol unit test, the fuzz target and the seed
 * corpus generator: one valid example of every message type. */
#ifndef TSR_TEST_PROTOCOL_UTIL_H
#define TSR_TEST_PROTOCOL_UTIL_H

#include <drm_fourcc.h>
#include <string.h>

#include "tessera/protocol.h"

/* Fills msg with a valid, non-trivial example of type (grants: ref_count
 * refs). Returns the direction the message travels in. */
static inline enum tsr_direction tsr_test_example(struct tsr_msg *msg, enum tsr_msg_type type,
						  uint32_t ref_count)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = type;
	switch (type) {
	case TSR_MSG_HELLO:
		msg->u.hello = (struct tsr_msg_hello){1, 3, TSR_CAP_MEMFD | TSR_CAP_INPUT};
		return TSR_FROM_GUEST;
	case TSR_MSG_SURFACE_CREATE:
		msg->u.surface_create =
		    (struct tsr_msg_surface_create){7, 640, 480, DRM_FORMAT_XRGB8888, 2560};
		return TSR_FROM_GUEST;
	case TSR_MSG_SURFACE_DESTROY:
		msg->u.surface_destroy.surface_id = 0xdeadbeef;
		return TSR_FROM_GUEST;
	case TSR_MSG_BUFFER_ATTACH_MEMFD:
		msg->u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){7, 9, 4096, 1228800};
		return TSR_FROM_GUEST;
	case TSR_MSG_BUFFER_ATTACH_GRANTS:
		msg->u.attach_grants.surface_id = 7;
		msg->u.attach_grants.buffer_id = 10;
		msg->u.attach_grants.offset = 128;
		msg->u.attach_grants.ref_count = ref_count;
		for (uint32_t i = 0; i < ref_count && i < TSR_MAX_GRANT_REFS; i++) {
			msg->u.attach_grants.refs[i] = 0x1000 + i * 3;
		}
		return TSR_FROM_GUEST;
	case TSR_MSG_BUFFER_DESTROY:
		msg->u.buffer_destroy.buffer_id = 9;
		return TSR_FROM_GUEST;
	case TSR_MSG_DAMAGE:
		msg->u.damage.surface_id = 7;
		msg->u.damage.count = 3;
		msg->u.damage.rects[0] = (struct tsr_rect){0, 0, 640, 480};
		msg->u.damage.rects[1] = (struct tsr_rect){-5, INT32_MIN, 0, UINT32_MAX};
		msg->u.damage.rects[2] = (struct tsr_rect){INT32_MAX, 17, 3, 0};
		return TSR_FROM_GUEST;
	case TSR_MSG_COMMIT:
		msg->u.commit = (struct tsr_msg_commit){7, 9, 0xfffffffe};
		return TSR_FROM_GUEST;
	case TSR_MSG_WELCOME:
		msg->u.welcome = (struct tsr_msg_welcome){1, 0, TSR_CAP_MEMFD, 3840, 2160};
		return TSR_FROM_COMPOSITOR;
	case TSR_MSG_CONFIGURE:
		msg->u.configure = (struct tsr_msg_configure){7, 1920, 1080};
		return TSR_FROM_COMPOSITOR;
	case TSR_MSG_FRAME_DONE:
		msg->u.frame_done =
		    (struct tsr_msg_frame_done){7, 0xfffffffe, 0x0123456789abcdefull};
		return TSR_FROM_COMPOSITOR;
	case TSR_MSG_BUFFER_RELEASE:
		msg->u.buffer_release.buffer_id = 9;
		return TSR_FROM_COMPOSITOR;
	case TSR_MSG_KEY:
		msg->u.key = (struct tsr_msg_key){30, TSR_KEY_REPEAT, UINT64_MAX};
		return TSR_FROM_COMPOSITOR;
	case TSR_MSG_POINTER_MOTION:
		msg->u.pointer_motion = (struct tsr_msg_pointer_motion){7, -3, INT32_MAX, 42};
		return TSR_FROM_COMPOSITOR;
	case TSR_MSG_POINTER_BUTTON:
		msg->u.pointer_button = (struct tsr_msg_pointer_button){0x110, 1, 43};
		return TSR_FROM_COMPOSITOR;
	case TSR_MSG_POINTER_AXIS:
		msg->u.pointer_axis = (struct tsr_msg_pointer_axis){1, -2, 44};
		return TSR_FROM_COMPOSITOR;
	case TSR_MSG_FOCUS_IN:
		msg->u.focus_in.count = 2;
		msg->u.focus_in.held_keys[0] = 29;
		msg->u.focus_in.held_keys[1] = 56;
		return TSR_FROM_COMPOSITOR;
	case TSR_MSG_FOCUS_OUT:
		return TSR_FROM_COMPOSITOR;
	case TSR_MSG_ERROR:
		msg->u.error.code = 3;
		strcpy(msg->u.error.text, "SURFACE_CREATE: stride 100 < width 64 * 4");
		return TSR_FROM_COMPOSITOR;
	}
	return TSR_FROM_GUEST;
}

static const enum tsr_msg_type tsr_test_all_types[] = {
    TSR_MSG_HELLO,
    TSR_MSG_SURFACE_CREATE,
    TSR_MSG_SURFACE_DESTROY,
    TSR_MSG_BUFFER_ATTACH_MEMFD,
    TSR_MSG_BUFFER_ATTACH_GRANTS,
    TSR_MSG_BUFFER_DESTROY,
    TSR_MSG_DAMAGE,
    TSR_MSG_COMMIT,
    TSR_MSG_WELCOME,
    TSR_MSG_CONFIGURE,
    TSR_MSG_FRAME_DONE,
    TSR_MSG_BUFFER_RELEASE,
    TSR_MSG_KEY,
    TSR_MSG_POINTER_MOTION,
    TSR_MSG_POINTER_BUTTON,
    TSR_MSG_POINTER_AXIS,
    TSR_MSG_FOCUS_IN,
    TSR_MSG_FOCUS_OUT,
    TSR_MSG_ERROR,
};
#define TSR_TEST_TYPE_COUNT (sizeof(tsr_test_all_types) / sizeof(tsr_test_all_types[0]))

#endif
