/* Internal to protocol/: the per-type wire layout table, the error
 * formatter and the field checks that encoder and decoder share, so that
 * whatever the decoder accepts the encoder can write back byte for byte. */
#ifndef TSR_PROTOCOL_WIRE_H
#define TSR_PROTOCOL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/protocol.h"

/* Body of BUFFER_ATTACH_GRANTS before the refs: surface_id, buffer_id,
 * offset, ref_count. */
#define TSR_GRANTS_FIXED_BODY 16u
/* A rectangle on the wire: x, y, width, height, 4 bytes each. */
#define TSR_RECT_WIRE_SIZE 16u
#define TSR_GRANTS_MIN_LEN (TSR_HEADER_SIZE + TSR_GRANTS_FIXED_BODY + 4u)

struct tsr_wire_layout {
	enum tsr_msg_type type;
	enum tsr_direction direction; /* who may receive it */
	uint32_t length;	      /* total, header included; 0 = variable (grants) */
	const char *name;
};

/* NULL for a type that does not exist in protocol v1. */
const struct tsr_wire_layout *tsr_wire_layout_find(uint32_t type);

/* The exact total length of msg on the wire; 0 if it cannot be encoded
 * (unknown type, ref_count out of range). */
size_t tsr_wire_length(const struct tsr_msg *msg);

/* Checks every field that does not need context and does not depend on
 * how the message is laid out on the wire (unused array slots and bytes
 * after the error text's NUL are the decoder's business, the encoder
 * writes them as zero). Errors are prefixed with the message name. */
bool tsr_wire_check_fields(const struct tsr_msg *msg, char *err, size_t err_len);

/* snprintf into err when there is room; always NUL-terminated, never
 * overflows, tolerates err == NULL or err_len == 0. Returns false so
 * callers can `return tsr_wire_error(...)`. */
__attribute__((format(printf, 3, 4))) bool tsr_wire_error(char *err, size_t err_len,
							  const char *fmt, ...);

#endif
