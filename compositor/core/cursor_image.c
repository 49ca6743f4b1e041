#include "core/cursor_image.h"

#include <drm_fourcc.h>
#include <stdbool.h>
#include <stddef.h>

#define CURSOR_SIZE 24

/* A classic arrow: white inside a black outline, hot spot top-left. Drawn
 * from a formula so there is no image file to trust or lose; at scale S the
 * formula runs on S times the rows and columns, with an S pixel outline, so
 * its diagonal stays a line of single pixels instead of S-pixel steps. */
struct tsr_buffer *tsr_cursor_image_create(uint32_t scale)
{
	if (scale < 1 || scale > TSR_CURSOR_SCALE_MAX)
		return NULL;
	int32_t size = CURSOR_SIZE * (int32_t)scale;
	struct tsr_buffer *cursor =
	    tsr_buffer_create_memory((uint32_t)size, (uint32_t)size, DRM_FORMAT_ARGB8888);
	if (!cursor)
		return NULL;
	int32_t tip = 12 * (int32_t)scale, bottom = 18 * (int32_t)scale;
	for (int32_t y = 0; y < bottom; y++) {
		uint32_t *row = (uint32_t *)((uint8_t *)cursor->data + (size_t)y * cursor->stride);
		int32_t width = y < tip ? y + 1 : tip - (y - tip) * 2;
		for (int32_t x = 0; x < width && x < size; x++) {
			bool edge = x < (int32_t)scale || x >= width - (int32_t)scale ||
				    y >= bottom - (int32_t)scale ||
				    (y >= tip && y < tip + (int32_t)scale);
			row[x] = edge ? 0xff000000u : 0xffffffffu;
		}
	}
	return cursor;
}
