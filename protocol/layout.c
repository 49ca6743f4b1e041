/* Which message types exist, which way each one travels and how long each
 * one is on the wire. Every type has exactly one length except
 * BUFFER_ATTACH_GRANTS, whose length follows from its ref_count. */
#include <stdint.h>

#include "wire.h"

#define H TSR_HEADER_SIZE

static const struct tsr_wire_layout layouts[] = {
    {TSR_MSG_HELLO, TSR_FROM_GUEST, H + 8, "HELLO"},
    {TSR_MSG_SURFACE_CREATE, TSR_FROM_GUEST, H + 20, "SURFACE_CREATE"},
    {TSR_MSG_SURFACE_DESTROY, TSR_FROM_GUEST, H + 4, "SURFACE_DESTROY"},
    {TSR_MSG_BUFFER_ATTACH_MEMFD, TSR_FROM_GUEST, H + 16, "BUFFER_ATTACH_MEMFD"},
    {TSR_MSG_BUFFER_ATTACH_GRANTS, TSR_FROM_GUEST, 0, "BUFFER_ATTACH_GRANTS"},
    {TSR_MSG_BUFFER_DESTROY, TSR_FROM_GUEST, H + 4, "BUFFER_DESTROY"},
    {TSR_MSG_DAMAGE, TSR_FROM_GUEST, H + 8 + TSR_RECT_WIRE_SIZE *TSR_MAX_DAMAGE_RECTS, "DAMAGE"},
    {TSR_MSG_COMMIT, TSR_FROM_GUEST, H + 12, "COMMIT"},
    {TSR_MSG_WELCOME, TSR_FROM_COMPOSITOR, H + 16, "WELCOME"},
    {TSR_MSG_CONFIGURE, TSR_FROM_COMPOSITOR, H + 12, "CONFIGURE"},
    {TSR_MSG_FRAME_DONE, TSR_FROM_COMPOSITOR, H + 16, "FRAME_DONE"},
    {TSR_MSG_BUFFER_RELEASE, TSR_FROM_COMPOSITOR, H + 4, "BUFFER_RELEASE"},
    {TSR_MSG_KEY, TSR_FROM_COMPOSITOR, H + 16, "KEY"},
    {TSR_MSG_POINTER_MOTION, TSR_FROM_COMPOSITOR, H + 20, "POINTER_MOTION"},
    {TSR_MSG_POINTER_BUTTON, TSR_FROM_COMPOSITOR, H + 16, "POINTER_BUTTON"},
    {TSR_MSG_POINTER_AXIS, TSR_FROM_COMPOSITOR, H + 16, "POINTER_AXIS"},
    {TSR_MSG_FOCUS_IN, TSR_FROM_COMPOSITOR, H + 4 + 4 * TSR_MAX_HELD_KEYS, "FOCUS_IN"},
    {TSR_MSG_FOCUS_OUT, TSR_FROM_COMPOSITOR, H, "FOCUS_OUT"},
    {TSR_MSG_ERROR, TSR_FROM_COMPOSITOR, H + 4 + TSR_ERROR_TEXT_MAX, "ERROR"},
};

/* Where type sits in layouts[] when the table follows the two numbered
 * runs of enum tsr_msg_type (1.. from guests, 64.. from the compositor);
 * the search below stays the authority. Every message is looked up a few
 * times on its way, so this is worth a slot test instead of a scan. */
static size_t expected_slot(uint32_t type)
{
	if (type >= TSR_MSG_HELLO && type <= TSR_MSG_COMMIT)
		return type - TSR_MSG_HELLO;
	if (type >= TSR_MSG_WELCOME && type <= TSR_MSG_ERROR)
		return (size_t)(TSR_MSG_COMMIT - TSR_MSG_HELLO + 1) + (type - TSR_MSG_WELCOME);
	return SIZE_MAX;
}

const struct tsr_wire_layout *tsr_wire_layout_find(uint32_t type)
{
	size_t slot = expected_slot(type);
	if (slot < sizeof(layouts) / sizeof(layouts[0]) && (uint32_t)layouts[slot].type == type)
		return &layouts[slot];
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		if ((uint32_t)layouts[i].type == type) {
			return &layouts[i];
		}
	}
	return NULL;
}

size_t tsr_wire_length(const struct tsr_msg *msg)
{
	const struct tsr_wire_layout *layout = tsr_wire_layout_find((uint32_t)msg->type);
	if (layout == NULL) {
		return 0;
	}
	if (layout->length != 0) {
		return layout->length;
	}
	uint32_t count = msg->u.attach_grants.ref_count;
	if (count < 1 || count > TSR_MAX_GRANT_REFS) {
		return 0;
	}
	return TSR_HEADER_SIZE + TSR_GRANTS_FIXED_BODY + 4u * (size_t)count;
}

const char *tsr_msg_type_name(uint32_t type)
{
	const struct tsr_wire_layout *layout = tsr_wire_layout_find(type);
	return layout != NULL ? layout->name : "UNKNOWN";
}
