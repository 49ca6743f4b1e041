/* libFuzzer target for the protocol codec. For both directions: the header
 * check and the decoder must agree, and whatever the decoder accepts must
 * re-encode to exactly the input bytes (otherwise two peers could read
 * one message two ways). Any disagreement aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_direction(const uint8_t *data, size_t size, enum tsr_direction dir,
			   struct tsr_msg *msg, uint8_t *reencoded)
{
	char err[128];
	size_t total = 0;
	bool header_ok =
	    size >= TSR_HEADER_SIZE && tsr_header_check(data, dir, &total, err, sizeof(err));
	if (header_ok && (total < TSR_HEADER_SIZE || total > TSR_MAX_MESSAGE_SIZE)) {
		abort();
	}
	if (!tsr_msg_decode(data, size, dir, msg, err, sizeof(err))) {
		if (memchr(err, 0, sizeof(err)) == NULL) {
			abort();
		}
		return;
	}
	if (!header_ok || total != size) {
		abort();
	}
	size_t len = tsr_msg_encode(msg, reencoded, TSR_MAX_MESSAGE_SIZE);
	if (len != size || memcmp(reencoded, data, size) != 0) {
		abort();
	}
	/* The decoded geometry must be usable by the context validators. */
	if (msg->type == TSR_MSG_SURFACE_CREATE) {
		const struct tsr_msg_surface_create *s = &msg->u.surface_create;
		(void)tsr_validate_buffer_fits(s->width, s->height, s->fourcc, s->stride, s->stride,
					       (uint64_t)s->stride * s->height, err, sizeof(err));
	} else if (msg->type == TSR_MSG_DAMAGE) {
		for (uint32_t i = 0; i < msg->u.damage.count; i++) {
			struct tsr_rect clipped;
			if (tsr_clip_rect(&msg->u.damage.rects[i], 1920, 1080, &clipped) &&
			    ((uint64_t)clipped.x + clipped.width > 1920 ||
			     (uint64_t)clipped.y + clipped.height > 1080 || clipped.x < 0 ||
			     clipped.y < 0)) {
				abort();
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Allocated per input: libFuzzer targets must not keep state. */
	struct tsr_msg *msg = malloc(sizeof(*msg));
	uint8_t *reencoded = malloc(TSR_MAX_MESSAGE_SIZE);
	if (msg != NULL && reencoded != NULL) {
		fuzz_direction(data, size, TSR_FROM_GUEST, msg, reencoded);
		fuzz_direction(data, size, TSR_FROM_COMPOSITOR, msg, reencoded);
	}
	free(reencoded);
	free(msg);
	return 0;
}
