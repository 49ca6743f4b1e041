/* Context checks on guest-supplied surface and buffer geometry. All sums
 * and products are done in 64 bits with explicit overflow checks: the
 * inputs are untrusted u32/u64 values and any of them may be the maximum. */
#include <inttypes.h>

#include <drm_fourcc.h>

#include "wire.h"

/* pixman wants rows of whole uint32_t words, and both supported formats are
 * 32 bits per pixel: a stride that is not a multiple of 4 is never right. */
#define TSR_STRIDE_ALIGN 4u

uint32_t tsr_format_bpp(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
		return 4;
	default:
		return 0;
	}
}

static bool check_dimension(const char *what, uint32_t value, char *err, size_t err_len)
{
	if (value < 1 || value > TSR_MAX_DIMENSION) {
		return tsr_wire_error(err, err_len, "%s %" PRIu32 " out of range 1..%u", what,
				      value, TSR_MAX_DIMENSION);
	}
	return true;
}

bool tsr_validate_surface_geometry(uint32_t width, uint32_t height, uint32_t bpp, uint32_t stride,
				   uint32_t stride_align, char *err, size_t err_len)
{
	if (!check_dimension("width", width, err, err_len) ||
	    !check_dimension("height", height, err, err_len)) {
		return false;
	}
	uint64_t row_bytes = (uint64_t)width * bpp;
	if (bpp == 0 || stride < row_bytes) {
		return tsr_wire_error(err, err_len,
				      "stride %" PRIu32 " < width %" PRIu32 " * %" PRIu32, stride,
				      width, bpp);
	}
	if (stride_align == 0 || stride % stride_align != 0) {
		return tsr_wire_error(err, err_len, "stride %" PRIu32 " not a multiple of %" PRIu32,
				      stride, stride_align);
	}
	uint64_t total;
	if (__builtin_mul_overflow((uint64_t)stride, (uint64_t)height, &total) ||
	    total > TSR_MAX_BUFFER_BYTES) {
		return tsr_wire_error(err, err_len,
				      "stride %" PRIu32 " * height %" PRIu32 " > %u bytes", stride,
				      height, TSR_MAX_BUFFER_BYTES);
	}
	return true;
}

bool tsr_validate_surface(uint32_t width, uint32_t height, uint32_t fourcc, uint32_t stride,
			  char *err, size_t err_len)
{
	if (!check_dimension("width", width, err, err_len) ||
	    !check_dimension("height", height, err, err_len)) {
		return false;
	}
	uint32_t bpp = tsr_format_bpp(fourcc);
	if (bpp == 0) {
		return tsr_wire_error(err, err_len, "fourcc 0x%08" PRIx32 " unsupported", fourcc);
	}
	return tsr_validate_surface_geometry(width, height, bpp, stride, TSR_STRIDE_ALIGN, err,
					     err_len);
}

bool tsr_validate_span(uint32_t width, uint32_t height, uint32_t bpp, uint32_t stride,
		       uint64_t offset, uint64_t buffer_size, char *err, size_t err_len)
{
	if (width == 0 || height == 0 || bpp == 0) {
		return tsr_wire_error(err, err_len, "empty surface %" PRIu32 "x%" PRIu32, width,
				      height);
	}
	/* Bytes the reader touches from offset: every row but the last spans a
	 * stride, the last one only its pixels. */
	uint64_t last_row_start, span, end;
	if (__builtin_mul_overflow((uint64_t)(height - 1), (uint64_t)stride, &last_row_start) ||
	    __builtin_add_overflow(last_row_start, (uint64_t)width * bpp, &span) ||
	    __builtin_add_overflow(offset, span, &end)) {
		return tsr_wire_error(err, err_len,
				      "offset %" PRIu64 " + %" PRIu32 " rows of stride %" PRIu32
				      " overflows",
				      offset, height, stride);
	}
	if (end > buffer_size) {
		return tsr_wire_error(err, err_len,
				      "buffer of %" PRIu64 " bytes too small: needs %" PRIu64
				      " (offset %" PRIu64 " + %" PRIu64 ")",
				      buffer_size, end, offset, span);
	}
	return true;
}

bool tsr_validate_buffer_fits(uint32_t width, uint32_t height, uint32_t fourcc, uint32_t stride,
			      uint64_t offset, uint64_t buffer_size, char *err, size_t err_len)
{
	uint32_t bpp = tsr_format_bpp(fourcc);
	if (bpp == 0) {
		return tsr_wire_error(err, err_len, "fourcc 0x%08" PRIx32 " unsupported", fourcc);
	}
	return tsr_validate_span(width, height, bpp, stride, offset, buffer_size, err, err_len);
}

bool tsr_clip_rect(const struct tsr_rect *untrusted_rect, uint32_t width, uint32_t height,
		   struct tsr_rect *out)
{
	/* int64 holds every INT32 x plus every UINT32 width without wrapping. */
	int64_t x0 = untrusted_rect->x, y0 = untrusted_rect->y;
	int64_t x1 = x0 + (int64_t)untrusted_rect->width;
	int64_t y1 = y0 + (int64_t)untrusted_rect->height;

	if (x0 < 0) {
		x0 = 0;
	}
	if (y0 < 0) {
		y0 = 0;
	}
	if (x1 > (int64_t)width) {
		x1 = width;
	}
	if (y1 > (int64_t)height) {
		y1 = height;
	}
	if (x1 <= x0 || y1 <= y0) {
		return false;
	}
	/* 0 <= x0 < x1 <= width: x0 fits int32 (it is max(0, an int32)), and
	 * the extent fits uint32 because it is at most width. */
	out->x = (int32_t)x0;
	out->y = (int32_t)y0;
	out->width = (uint32_t)(x1 - x0);
	out->height = (uint32_t)(y1 - y0);
	return true;
}
