/* Every multi-byte field is read with memcpy from the private copy, so
 * alignment and the guest's later writes to the ring cannot matter. */
#include <drm_fourcc.h>
#include <stdio.h>
#include <string.h>

#include "tessera/protocol.h"
#include "tessera/buffer.h"
#include "transport/displif_request.h"

static uint16_t read_u16(const uint8_t *bytes, size_t offset)
{
	uint16_t value;
	memcpy(&value, bytes + offset, sizeof(value));
	return value;
}

static uint32_t read_u32(const uint8_t *bytes, size_t offset)
{
	uint32_t value;
	memcpy(&value, bytes + offset, sizeof(value));
	return value;
}

static uint64_t read_u64(const uint8_t *bytes, size_t offset)
{
	uint64_t value;
	memcpy(&value, bytes + offset, sizeof(value));
	return value;
}

static bool buffer_op(uint8_t operation)
{
	return operation == TSR_DISPLIF_OP_DBUF_CREATE ||
	       operation == TSR_DISPLIF_OP_DBUF_DESTROY || operation == TSR_DISPLIF_OP_FB_ATTACH ||
	       operation == TSR_DISPLIF_OP_FB_DETACH;
}

static enum tsr_displif_decode invalid(char *err, size_t err_len, const char *what)
{
	snprintf(err, err_len, "%s", what);
	return TSR_DISPLIF_INVALID;
}

static enum tsr_displif_decode decode_dbuf_create(const uint8_t *untrusted,
						  struct tsr_displif_dbuf_create *out, char *err,
						  size_t err_len)
{
	out->dbuf_cookie = read_u64(untrusted, TSR_DISPLIF_DBUF_COOKIE);
	out->width = read_u32(untrusted, TSR_DISPLIF_DBUF_WIDTH);
	out->height = read_u32(untrusted, TSR_DISPLIF_DBUF_HEIGHT);
	out->bpp = read_u32(untrusted, TSR_DISPLIF_DBUF_BPP);
	out->buffer_sz = read_u32(untrusted, TSR_DISPLIF_DBUF_BUFFER_SZ);
	out->gref_directory = read_u32(untrusted, TSR_DISPLIF_DBUF_GREF_DIRECTORY);
	if (out->dbuf_cookie == 0)
		return invalid(err, err_len, "DBUF_CREATE with cookie 0");
	if (out->buffer_sz == 0 || out->buffer_sz > TSR_MAX_BUFFER_BYTES) {
		snprintf(err, err_len, "DBUF_CREATE of %u bytes (1..%u allowed)", out->buffer_sz,
			 TSR_MAX_BUFFER_BYTES);
		return TSR_DISPLIF_INVALID;
	}
	/* Grant ref 0 is the console's and never shared with a PV driver. */
	if (out->gref_directory == 0)
		return invalid(err, err_len, "DBUF_CREATE with page directory ref 0");
	out->page_count = (out->buffer_sz + TSR_DISPLIF_PAGE_SIZE - 1u) / TSR_DISPLIF_PAGE_SIZE;
	/* A dumb buffer's own geometry (Linux: pitch = DIV_ROUND_UP(w*bpp, 8),
	 * size = pitch * h) must fit the size it asks for; imported buffers
	 * send zeros. Each factor is below 2^32, so the products fit in 64
	 * bits. */
	bool none = out->width == 0 && out->height == 0 && out->bpp == 0;
	if (!none) {
		if (out->width == 0 || out->height == 0 || out->width > TSR_MAX_DIMENSION ||
		    out->height > TSR_MAX_DIMENSION || out->bpp == 0 || out->bpp > 32 ||
		    out->bpp % 8 != 0) {
			snprintf(err, err_len, "DBUF_CREATE of %ux%u at %u bpp", out->width,
				 out->height, out->bpp);
			return TSR_DISPLIF_INVALID;
		}
		uint64_t pitch = ((uint64_t)out->width * out->bpp + 7u) / 8u;
		if (pitch * out->height > out->buffer_sz) {
			snprintf(err, err_len, "DBUF_CREATE of %ux%u at %u bpp in %u bytes",
				 out->width, out->height, out->bpp, out->buffer_sz);
			return TSR_DISPLIF_INVALID;
		}
	}
	return TSR_DISPLIF_DECODED;
}

static enum tsr_displif_decode decode_fb_attach(const uint8_t *untrusted,
						struct tsr_displif_fb_attach *out, char *err,
						size_t err_len)
{
	out->dbuf_cookie = read_u64(untrusted, TSR_DISPLIF_FB_DBUF_COOKIE);
	out->fb_cookie = read_u64(untrusted, TSR_DISPLIF_FB_COOKIE);
	out->width = read_u32(untrusted, TSR_DISPLIF_FB_WIDTH);
	out->height = read_u32(untrusted, TSR_DISPLIF_FB_HEIGHT);
	out->fourcc = read_u32(untrusted, TSR_DISPLIF_FB_FORMAT);
	if (out->dbuf_cookie == 0 || out->fb_cookie == 0)
		return invalid(err, err_len, "FB_ATTACH with cookie 0");
	if (out->width == 0 || out->height == 0 || out->width > TSR_MAX_DIMENSION ||
	    out->height > TSR_MAX_DIMENSION) {
		snprintf(err, err_len, "FB_ATTACH of %ux%u (1..%u per side allowed)", out->width,
			 out->height, TSR_MAX_DIMENSION);
		return TSR_DISPLIF_INVALID;
	}
	out->bytes_per_pixel = tsr_buffer_format_bpp(out->fourcc);
	if (out->bytes_per_pixel == 0) {
		/* Not a violation: the frontend only offers what it was built
		 * with; a format we do not know is answered with an error. */
		snprintf(err, err_len, "FB_ATTACH with pixel format 0x%08x", out->fourcc);
		return TSR_DISPLIF_UNSUPPORTED;
	}
	return TSR_DISPLIF_DECODED;
}

static enum tsr_displif_decode decode_set_config(const uint8_t *untrusted,
						 struct tsr_displif_set_config *out, char *err,
						 size_t err_len)
{
	out->fb_cookie = read_u64(untrusted, TSR_DISPLIF_CFG_FB_COOKIE);
	out->x = read_u32(untrusted, TSR_DISPLIF_CFG_X);
	out->y = read_u32(untrusted, TSR_DISPLIF_CFG_Y);
	out->width = read_u32(untrusted, TSR_DISPLIF_CFG_WIDTH);
	out->height = read_u32(untrusted, TSR_DISPLIF_CFG_HEIGHT);
	out->bpp = read_u32(untrusted, TSR_DISPLIF_CFG_BPP);
	if (out->fb_cookie == 0) {
		if (out->x || out->y || out->width || out->height || out->bpp)
			return invalid(err, err_len, "SET_CONFIG with cookie 0 that is no reset");
		return TSR_DISPLIF_DECODED;
	}
	if (out->width == 0 || out->height == 0 || out->width > TSR_MAX_DIMENSION ||
	    out->height > TSR_MAX_DIMENSION || out->x >= out->width || out->y >= out->height) {
		snprintf(err, err_len, "SET_CONFIG of %ux%u at %u,%u", out->width, out->height,
			 out->x, out->y);
		return TSR_DISPLIF_INVALID;
	}
	return TSR_DISPLIF_DECODED;
}

enum tsr_displif_decode tsr_displif_request_decode(const uint8_t untrusted[TSR_DISPLIF_PACKET_SIZE],
						   uint32_t connector,
						   struct tsr_displif_request *out, char *err,
						   size_t err_len)
{
	memset(out, 0, sizeof(*out));
	out->id = read_u16(untrusted, TSR_DISPLIF_REQ_ID);
	out->operation = untrusted[TSR_DISPLIF_REQ_OPERATION];
	if (buffer_op(out->operation) && connector != 0) {
		snprintf(err, err_len, "buffer operation 0x%02x on connector %u's ring (only 0)",
			 out->operation, connector);
		return TSR_DISPLIF_INVALID;
	}
	switch (out->operation) {
	case TSR_DISPLIF_OP_DBUF_CREATE:
		return decode_dbuf_create(untrusted, &out->u.dbuf_create, err, err_len);
	case TSR_DISPLIF_OP_FB_ATTACH:
		return decode_fb_attach(untrusted, &out->u.fb_attach, err, err_len);
	case TSR_DISPLIF_OP_SET_CONFIG:
		return decode_set_config(untrusted, &out->u.set_config, err, err_len);
	case TSR_DISPLIF_OP_DBUF_DESTROY:
	case TSR_DISPLIF_OP_FB_DETACH:
	case TSR_DISPLIF_OP_PG_FLIP:
		out->u.cookie = read_u64(untrusted, TSR_DISPLIF_COOKIE);
		if (out->u.cookie == 0)
			return invalid(err, err_len, "request with cookie 0");
		return TSR_DISPLIF_DECODED;
	default:
		/* GET_EDID (version 2) and anything newer: "should be ignored"
		 * by a version 1 backend; answered with an error status. */
		snprintf(err, err_len, "operation 0x%02x is not supported (displif version 1)",
			 out->operation);
		return TSR_DISPLIF_UNSUPPORTED;
	}
}

bool tsr_displif_fb_fits(const struct tsr_displif_fb_attach *fb,
			 const struct tsr_displif_dbuf_create *dbuf, uint32_t *out_pitch, char *err,
			 size_t err_len)
{
	/* width <= TSR_MAX_DIMENSION and Bpp <= 4: the pitch fits 32 bits. */
	uint64_t pitch = (uint64_t)fb->width * fb->bytes_per_pixel;
	uint64_t needed = (uint64_t)(fb->height - 1u) * pitch + pitch;
	uint64_t mapped = (uint64_t)dbuf->page_count * TSR_DISPLIF_PAGE_SIZE;
	if (fb->bytes_per_pixel == 0 || needed > dbuf->buffer_sz || dbuf->buffer_sz > mapped) {
		snprintf(err, err_len,
			 "FB_ATTACH of %ux%u (%u bytes per pixel) does not fit a buffer of %u "
			 "bytes",
			 fb->width, fb->height, fb->bytes_per_pixel, dbuf->buffer_sz);
		return false;
	}
	*out_pitch = (uint32_t)pitch;
	return true;
}

bool tsr_displif_config_view(const struct tsr_displif_set_config *config,
			     const struct tsr_displif_fb_attach *fb, uint32_t mode_width,
			     uint32_t mode_height, uint32_t *out_width, uint32_t *out_height,
			     char *err, size_t err_len)
{
	if (config->x >= fb->width || config->y >= fb->height) {
		snprintf(err, err_len, "SET_CONFIG at %u,%u outside a %ux%u framebuffer", config->x,
			 config->y, fb->width, fb->height);
		return false;
	}
	if (config->bpp != fb->bytes_per_pixel * 8u) {
		snprintf(err, err_len, "SET_CONFIG at %u bpp for a framebuffer of %u", config->bpp,
			 fb->bytes_per_pixel * 8u);
		return false;
	}
	uint32_t width = fb->width - config->x, height = fb->height - config->y;
	*out_width = width < mode_width ? width : mode_width;
	*out_height = height < mode_height ? height : mode_height;
	return true;
}

static bool parse_side(const char **cursor, char end, uint32_t *out)
{
	const char *c = *cursor;
	uint32_t value = 0;
	size_t digits = 0;
	for (; *c >= '0' && *c <= '9'; c++) {
		if (++digits > 4 || (digits == 1 && *c == '0'))
			return false;
		value = value * 10u + (uint32_t)(*c - '0');
	}
	if (digits == 0 || *c != end || value > 4096u)
		return false;
	*out = value;
	*cursor = end ? c + 1 : c;
	return true;
}

bool tsr_displif_parse_resolution(const char *text, uint32_t *out_width, uint32_t *out_height)
{
	if (!text)
		return false;
	const char *cursor = text;
	uint32_t width, height;
	if (!parse_side(&cursor, 'x', &width) || !parse_side(&cursor, '\0', &height))
		return false;
	*out_width = width;
	*out_height = height;
	return true;
}
