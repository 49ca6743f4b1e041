/* Version negotiation: a major change breaks the wire format, a minor one
 * only adds; both sides then speak the lower minor. */
#include "wire.h"

bool tsr_negotiate_version(uint16_t ours_major, uint16_t ours_minor, uint16_t theirs_major,
			   uint16_t theirs_minor, uint16_t *out_minor)
{
	if (ours_major != theirs_major) {
		return false;
	}
	if (out_minor != NULL) {
		*out_minor = ours_minor < theirs_minor ? ours_minor : theirs_minor;
	}
	return true;
}
