/* Text for trusted decorations: FreeType rasterises labels into R8
 * coverage masks that the renderer paints in the domain's colour. */
#ifndef TESSERA_FONT_H
#define TESSERA_FONT_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/buffer.h"

struct tsr_font;

struct tsr_font *tsr_font_create(const char *path, uint32_t pixel_height, char *err,
				 size_t err_len);
void tsr_font_destroy(struct tsr_font *font); /* accepts NULL */

/* Renders one line of text into a new R8 mask buffer whose height is the
 * font's line height and whose width is the advance of the text, capped at
 * max_width pixels (the text is cut, never overflows). Characters outside
 * printable ASCII are drawn as '?'. NULL on allocation failure or empty text. */
struct tsr_buffer *tsr_font_render(struct tsr_font *font, const char *text, uint32_t max_width);

uint32_t tsr_font_line_height(const struct tsr_font *font);

#endif
