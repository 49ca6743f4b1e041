/* libFuzzer target for what a kbdif frontend (a guest) controls: the
 * strings of its xenstore nodes fed to the XenBus state machine, and the
 * consumer index of its shared page under the ring writer and the
 * release-keeping backlog. Each property that must hold aborts when it
 * does not.
 *
 * Input: a sequence of operations, each one opcode byte then its bytes:
 *   0 LEN TEXT   frontend state node (LEN & 15 bytes, NUL-terminated here)
 *   1 LEN TEXT   our state node as read back (the toolstack's writes)
 *   2 B          the result of a connect step (B & 1)
 *   3 U32        the guest writes in_cons
 *   4 U16 B      a key (code, pressed = B & 1)
 *   5 I16 I16    a pointer position
 *   6 I8         wheel steps
 *   7            flush the backlog into the ring
 *   8 LEN TEXT   a number parsed with tsr_kbdif_parse_uint (max 0x7fff) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/kbdif_queue.h"
#include "transport/kbdif_ring.h"
#include "transport/kbdif_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(4096) uint8_t page[TSR_KBDIF_PAGE_SIZE];
static struct tsr_kbdif_queue queue;

static void check_step(const struct tsr_kbdif_state *before, const struct tsr_kbdif_state *after,
		       const struct tsr_kbdif_step *step)
{
	/* Connect only from InitWait with nothing mapped; never both. */
	if (step->connect && (before->ours != TSR_XENBUS_INIT_WAIT || before->connected))
		abort();
	if (step->connect && step->disconnect)
		abort();
	if (step->disconnect && !before->connected)
		abort();
	if (step->write_state > TSR_XENBUS_RECONFIGURED || step->write_state < -1)
		abort();
	if (step->write_state >= 0 && (int)after->ours != step->write_state)
		abort();
	/* While removing, nothing may start again. */
	if (before->removing && (step->connect || step->write_state == TSR_XENBUS_INIT_WAIT ||
				 step->write_state == TSR_XENBUS_CONNECTED))
		abort();
	if (step->violation && after->connected)
		abort();
}

static size_t take_text(const uint8_t *data, size_t size, size_t at, char *out)
{
	if (at >= size) {
		out[0] = '\0';
		return at;
	}
	size_t length = data[at++] & 15u;
	if (length > size - at)
		length = size - at;
	memcpy(out, data + at, length);
	out[length] = '\0';
	return at + length;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(page, 0, sizeof(page));
	tsr_kbdif_queue_init(&queue);
	struct tsr_kbdif_state state;
	tsr_kbdif_state_start(&state);
	uint32_t prod = 0;
	size_t at = 0;
	while (at < size) {
		uint8_t op = data[at++] % 9u;
		char text[17];
		struct tsr_kbdif_state before = state;
		struct tsr_kbdif_step step;
		switch (op) {
		case 0:
			at = take_text(data, size, at, text);
			step = tsr_kbdif_state_frontend(&state, text);
			check_step(&before, &state, &step);
			break;
		case 1:
			at = take_text(data, size, at, text);
			step = tsr_kbdif_state_backend(&state, text[0] ? text : NULL);
			check_step(&before, &state, &step);
			break;
		case 2:
			if (at < size) {
				/* Only meaningful right after a connect step. */
				if (state.ours == TSR_XENBUS_INIT_WAIT && !state.connected) {
					step = tsr_kbdif_state_connected(&state, data[at] & 1);
					check_step(&before, &state, &step);
				}
				at++;
			}
			break;
		case 3:
			if (size - at >= 4) {
				memcpy(page, data + at, 4);
				at += 4;
			}
			break;
		case 4:
			if (size - at >= 3) {
				uint16_t code;
				memcpy(&code, data + at, 2);
				tsr_kbdif_queue_key(&queue, code, data[at + 2] & 1);
				at += 3;
			}
			break;
		case 5:
			if (size - at >= 4) {
				int16_t x, y;
				memcpy(&x, data + at, 2);
				memcpy(&y, data + at + 2, 2);
				tsr_kbdif_queue_position(&queue, x, y);
				at += 4;
			}
			break;
		case 6:
			if (at < size)
				tsr_kbdif_queue_wheel(&queue, (int8_t)data[at++]);
			break;
		case 7: {
			uint32_t saved = prod, cons;
			memcpy(&cons, page, 4);
			uint32_t space;
			bool sane = tsr_kbdif_ring_free(prod, cons, &space);
			int written = tsr_kbdif_queue_flush(&queue, page, &prod);
			/* Nothing is ever written past an impossible consumer. */
			if (!sane && (written > 0 || prod != saved))
				abort();
			if (written >= 0 && (prod - saved != (uint32_t)written || written > 51))
				abort();
			uint32_t published;
			memcpy(&published, page + 4, 4);
			if (written > 0 && published != prod)
				abort();
			break;
		}
		case 8: {
			at = take_text(data, size, at, text);
			uint32_t value = 0;
			if (tsr_kbdif_parse_uint(text, 0x7fff, &value) &&
			    (value > 0x7fff || text[0] < '0' || text[0] > '9'))
				abort();
			break;
		}
		}
		/* The backlog never outgrows itself and always has room for
		 * the releases of the keys it gave out. */
		if (queue.count + queue.held_count > TSR_KBDIF_BACKLOG)
			abort();
	}
	return 0;
}
