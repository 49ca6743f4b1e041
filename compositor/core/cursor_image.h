/* The pointer's image, drawn by Tessera (core/cursor_image.c). */
#ifndef TSR_CORE_CURSOR_IMAGE_H
#define TSR_CORE_CURSOR_IMAGE_H

#include <stdint.h>

#include "tessera/buffer.h"

/* Far beyond any output scale (core/output_scale.h): keeps the size sane. */
#define TSR_CURSOR_SCALE_MAX 16u

/* An ARGB8888 arrow at scale times the 1x size, hot spot top-left, or NULL
 * (out of memory, scale 0 or above TSR_CURSOR_SCALE_MAX). */
struct tsr_buffer *tsr_cursor_image_create(uint32_t scale);

#endif
