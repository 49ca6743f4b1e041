/* The header check runs on the first 8 bytes, before the reader commits to
 * reading a body: it is the only thing that decides how many bytes come
 * next, so it only ever answers with a length the type allows. */
#include <inttypes.h>

#include "byte_order.h"
#include "wire.h"

static const char *direction_name(enum tsr_direction dir)
{
	return dir == TSR_FROM_GUEST ? "guest->compositor" : "compositor->guest";
}

bool tsr_header_check(const uint8_t *untrusted_header, enum tsr_direction dir,
		      size_t *out_total_len, char *err, size_t err_len)
{
	uint32_t untrusted_type = tsr_load_le32(untrusted_header);
	uint32_t untrusted_len = tsr_load_le32(untrusted_header + 4);

	const struct tsr_wire_layout *layout = tsr_wire_layout_find(untrusted_type);
	if (layout == NULL) {
		return tsr_wire_error(err, err_len, "header: type %" PRIu32 " unknown",
				      untrusted_type);
	}
	if (dir != TSR_FROM_GUEST && dir != TSR_FROM_COMPOSITOR) {
		return tsr_wire_error(err, err_len, "header: bad direction %d", (int)dir);
	}
	if (layout->direction != dir) {
		return tsr_wire_error(err, err_len, "header: %s is %s only", layout->name,
				      direction_name(layout->direction));
	}
	if (layout->length != 0) {
		if (untrusted_len != layout->length) {
			return tsr_wire_error(err, err_len,
					      "header: %s length %" PRIu32 ", expected %" PRIu32,
					      layout->name, untrusted_len, layout->length);
		}
	} else if (untrusted_len < TSR_GRANTS_MIN_LEN || untrusted_len > TSR_MAX_MESSAGE_SIZE ||
		   (untrusted_len - TSR_HEADER_SIZE - TSR_GRANTS_FIXED_BODY) % 4 != 0) {
		return tsr_wire_error(
		    err, err_len, "header: %s length %" PRIu32 " not %u..%u in steps of 4",
		    layout->name, untrusted_len, TSR_GRANTS_MIN_LEN, TSR_MAX_MESSAGE_SIZE);
	}
	if (out_total_len != NULL) {
		*out_total_len = untrusted_len;
	}
	return true;
}
