#include "digit_font.h"

#include <stdio.h>

enum segment {
	SEG_TOP = 1 << 0,
	SEG_TOP_RIGHT = 1 << 1,
	SEG_BOTTOM_RIGHT = 1 << 2,
	SEG_BOTTOM = 1 << 3,
	SEG_BOTTOM_LEFT = 1 << 4,
	SEG_TOP_LEFT = 1 << 5,
	SEG_MIDDLE = 1 << 6,
};

static const uint8_t digit_segments[10] = {
    SEG_TOP | SEG_TOP_RIGHT | SEG_BOTTOM_RIGHT | SEG_BOTTOM | SEG_BOTTOM_LEFT | SEG_TOP_LEFT,
    SEG_TOP_RIGHT | SEG_BOTTOM_RIGHT,
    SEG_TOP | SEG_TOP_RIGHT | SEG_MIDDLE | SEG_BOTTOM_LEFT | SEG_BOTTOM,
    SEG_TOP | SEG_TOP_RIGHT | SEG_MIDDLE | SEG_BOTTOM_RIGHT | SEG_BOTTOM,
    SEG_TOP_LEFT | SEG_MIDDLE | SEG_TOP_RIGHT | SEG_BOTTOM_RIGHT,
    SEG_TOP | SEG_TOP_LEFT | SEG_MIDDLE | SEG_BOTTOM_RIGHT | SEG_BOTTOM,
    SEG_TOP | SEG_TOP_LEFT | SEG_MIDDLE | SEG_BOTTOM_LEFT | SEG_BOTTOM_RIGHT | SEG_BOTTOM,
    SEG_TOP | SEG_TOP_RIGHT | SEG_BOTTOM_RIGHT,
    SEG_TOP | SEG_TOP_RIGHT | SEG_BOTTOM_RIGHT | SEG_BOTTOM | SEG_BOTTOM_LEFT | SEG_TOP_LEFT |
	SEG_MIDDLE,
    SEG_TOP | SEG_TOP_RIGHT | SEG_BOTTOM_RIGHT | SEG_BOTTOM | SEG_TOP_LEFT | SEG_MIDDLE,
};

static pixman_box32_t box(int32_t x, int32_t y, int32_t width, int32_t height)
{
	return (pixman_box32_t){x, y, x + width, y + height};
}

size_t digit_font_boxes(unsigned digit, int32_t x, int32_t y,
			pixman_box32_t out[DIGIT_FONT_MAX_BOXES])
{
	if (digit > 9)
		return 0;
	const int32_t w = DIGIT_FONT_WIDTH, h = DIGIT_FONT_HEIGHT, t = DIGIT_FONT_THICKNESS;
	const int32_t mid = (h - t) / 2; /* top of the middle bar */
	const pixman_box32_t segments[7] = {
	    [0] = box(x, y, w, t),		       /* top */
	    [1] = box(x + w - t, y, t, mid + t),       /* top right */
	    [2] = box(x + w - t, y + mid, t, h - mid), /* bottom right */
	    [3] = box(x, y + h - t, w, t),	       /* bottom */
	    [4] = box(x, y + mid, t, h - mid),	       /* bottom left */
	    [5] = box(x, y, t, mid + t),	       /* top left */
	    [6] = box(x, y + mid, w, t),	       /* middle */
	};
	size_t count = 0;
	for (unsigned i = 0; i < 7; i++) {
		if (digit_segments[digit] & (1u << i))
			out[count++] = segments[i];
	}
	return count;
}

void digit_font_draw_number(pixman_image_t *dst, uint32_t value, int32_t x, int32_t y,
			    const pixman_color_t *colour)
{
	char text[DIGIT_FONT_MAX_DIGITS + 1];
	int len = snprintf(text, sizeof(text), "%u", value);
	pixman_box32_t boxes[DIGIT_FONT_MAX_DIGITS * DIGIT_FONT_MAX_BOXES];
	size_t count = 0;
	for (int i = 0; i < len; i++)
		count += digit_font_boxes((unsigned)(text[i] - '0'), x + i * DIGIT_FONT_ADVANCE, y,
					  &boxes[count]);
	pixman_image_fill_boxes(PIXMAN_OP_SRC, dst, colour, (int)count, boxes);
}
