/* Decoding one displif request, pure: the 64 bytes were copied out of the
 * shared ring once (displif_ring.c); here they are read field by field and
 * checked without any context beyond the connector they arrived on.
 *
 * Linux's xen-drm-front never clears a ring slot before reuse: reserved
 * fields, `flags` (with be-alloc = 0) and `data_ofs` hold whatever an older
 * request left there, so they are never looked at (displif version 1 has no
 * data_ofs; be-alloc = 1 is refused at connect time). */
#ifndef TSR_TRANSPORT_DISPLIF_REQUEST_H
#define TSR_TRANSPORT_DISPLIF_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/displif_wire.h"

struct tsr_displif_dbuf_create {
	uint64_t dbuf_cookie;
	uint32_t width, height, bpp; /* all 0 for imported (PRIME) buffers */
	uint32_t buffer_sz;	     /* 1..TSR_MAX_BUFFER_BYTES */
	uint32_t gref_directory;
	uint32_t page_count; /* derived from buffer_sz, never from the directory */
};

struct tsr_displif_fb_attach {
	uint64_t dbuf_cookie, fb_cookie;
	uint32_t width, height, fourcc;
	uint32_t bytes_per_pixel; /* of fourcc */
};

struct tsr_displif_set_config {
	uint64_t fb_cookie; /* 0 with everything else 0: disable the connector */
	uint32_t x, y, width, height, bpp;
};

struct tsr_displif_request {
	uint16_t id;	   /* echoed in the response */
	uint8_t operation; /* echoed in the response */
	union {
		struct tsr_displif_dbuf_create dbuf_create;
		uint64_t cookie; /* DBUF_DESTROY (dbuf), FB_DETACH, PG_FLIP (fb) */
		struct tsr_displif_fb_attach fb_attach;
		struct tsr_displif_set_config set_config;
	} u;
};

enum tsr_displif_decode {
	TSR_DISPLIF_DECODED,	 /* *out is valid */
	TSR_DISPLIF_UNSUPPORTED, /* answer with an error status, keep going */
	TSR_DISPLIF_INVALID,	 /* a violation: drop the device */
};

/* connector is the index of the ring the request came on (0..3): buffer
 * operations are only allowed on connector 0's ring. id and operation are
 * filled in for every result, so that an error can be answered. */
enum tsr_displif_decode tsr_displif_request_decode(const uint8_t untrusted[TSR_DISPLIF_PACKET_SIZE],
						   uint32_t connector,
						   struct tsr_displif_request *out, char *err,
						   size_t err_len);

/* Whether a framebuffer fits its display buffer: rows are tightly packed
 * (pitch = width * bytes per pixel, FB_ATTACH carries no pitch) and
 * (height-1)*pitch + width*Bpp <= buffer_sz <= page_count*4096, in 64 bits.
 * *out_pitch is the pitch on success. */
bool tsr_displif_fb_fits(const struct tsr_displif_fb_attach *fb,
			 const struct tsr_displif_dbuf_create *dbuf, uint32_t *out_pitch, char *err,
			 size_t err_len);

/* A SET_CONFIG for a framebuffer: the shown rectangle is the connector's
 * resolution from (x, y), clipped to the framebuffer. false when (x, y) is
 * outside it, or bpp does not match its format. */
bool tsr_displif_config_view(const struct tsr_displif_set_config *config,
			     const struct tsr_displif_fb_attach *fb, uint32_t mode_width,
			     uint32_t mode_height, uint32_t *out_width, uint32_t *out_height,
			     char *err, size_t err_len);

/* Parses a toolstack "WxH" resolution: digits only, 1..4096 x 1..4096 (xl
 * accepts no more; Linux caps framebuffers at 4095x2047 anyway). */
bool tsr_displif_parse_resolution(const char *text, uint32_t *out_width, uint32_t *out_height);

#endif
