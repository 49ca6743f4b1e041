/* Little-endian loads and stores, byte by byte: the wire format is LE on
 * every host, and a guest buffer is never cast to a struct (alignment,
 * padding and strict aliasing would all bite). Internal to protocol/. */
#ifndef TSR_PROTOCOL_BYTE_ORDER_H
#define TSR_PROTOCOL_BYTE_ORDER_H

#include <stdint.h>

static inline uint16_t tsr_load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t tsr_load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t tsr_load_le64(const uint8_t *p)
{
	return (uint64_t)tsr_load_le32(p) | (uint64_t)tsr_load_le32(p + 4) << 32;
}

static inline void tsr_store_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void tsr_store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void tsr_store_le64(uint8_t *p, uint64_t v)
{
	tsr_store_le32(p, (uint32_t)v);
	tsr_store_le32(p + 4, (uint32_t)(v >> 32));
}

#endif
