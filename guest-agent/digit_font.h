/* A tiny built-in seven-segment digit font: a digit is up to seven filled
 * boxes, so the agent needs no font files and its output is exact. */
#ifndef TESSERA_AGENT_DIGIT_FONT_H
#define TESSERA_AGENT_DIGIT_FONT_H

#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

#define DIGIT_FONT_WIDTH 10
#define DIGIT_FONT_HEIGHT 18
#define DIGIT_FONT_THICKNESS 2
#define DIGIT_FONT_ADVANCE 14 /* width plus the gap to the next digit */
#define DIGIT_FONT_MAX_BOXES 7
#define DIGIT_FONT_MAX_DIGITS 10 /* enough for any uint32_t */

/* Writes the segment boxes of digit (0-9) with its top-left corner at (x, y)
 * to out; returns how many. Other values give 0 boxes. */
size_t digit_font_boxes(unsigned digit, int32_t x, int32_t y,
			pixman_box32_t out[DIGIT_FONT_MAX_BOXES]);

/* Fills the decimal digits of value, left-aligned at (x, y), into dst with
 * colour, through dst's clip region. */
void digit_font_draw_number(pixman_image_t *dst, uint32_t value, int32_t x, int32_t y,
			    const pixman_color_t *colour);

#endif
