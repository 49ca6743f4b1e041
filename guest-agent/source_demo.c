/* The demo scene: a background colour with a faint checker, a bouncing
 * square, a frame counter and what input arrived last (key code, pointer
 * marker). Everything is a pure function of the frame number, the size and
 * the input seen: no clocks, no randomness, so tests can compare pixels. */
#include "source_demo.h"

#include <stdbool.h>
#include <stdlib.h>

#include "digit_font.h"
#include "source.h"

struct demo_source {
	struct agent_source base;
	uint32_t width, height;
	uint32_t colour;
	uint32_t frame;
	bool has_key;
	uint32_t key_code;
	bool has_pointer;
	int32_t pointer_x, pointer_y;
};

static struct demo_source *demo_from_base(struct agent_source *source)
{
	return (struct demo_source *)source;
}

static pixman_color_t colour_from_rgb(uint32_t rgb)
{
	return (pixman_color_t){
	    .red = (uint16_t)(((rgb >> 16) & 0xff) * 0x101),
	    .green = (uint16_t)(((rgb >> 8) & 0xff) * 0x101),
	    .blue = (uint16_t)((rgb & 0xff) * 0x101),
	    .alpha = 0xffff,
	};
}

/* Position on a path that bounces between 0 and range. */
static uint32_t bounce(uint64_t travelled, uint32_t range)
{
	if (range == 0)
		return 0;
	uint64_t period = 2 * (uint64_t)range;
	uint64_t phase = travelled % period;
	return (uint32_t)(phase <= range ? phase : period - phase);
}

static uint32_t square_size(uint32_t width, uint32_t height)
{
	uint32_t size = DEMO_SQUARE_SIZE;
	if (width < size)
		size = width;
	if (height < size)
		size = height;
	return size;
}

pixman_box32_t demo_square_box(uint32_t width, uint32_t height, uint32_t frame)
{
	uint32_t size = square_size(width, height);
	int32_t x = (int32_t)bounce((uint64_t)frame * DEMO_SQUARE_STEP_X, width - size);
	int32_t y = (int32_t)bounce((uint64_t)frame * DEMO_SQUARE_STEP_Y, height - size);
	return (pixman_box32_t){x, y, x + (int32_t)size, y + (int32_t)size};
}

pixman_box32_t demo_plate_box(unsigned index)
{
	const int32_t width = 2 * DEMO_PLATE_PADDING + DIGIT_FONT_MAX_DIGITS * DIGIT_FONT_ADVANCE -
			      (DIGIT_FONT_ADVANCE - DIGIT_FONT_WIDTH);
	const int32_t height = 2 * DEMO_PLATE_PADDING + DIGIT_FONT_HEIGHT;
	int32_t y = DEMO_PLATE_Y + (int32_t)index * (height + DEMO_PLATE_GAP);
	return (pixman_box32_t){DEMO_PLATE_X, y, DEMO_PLATE_X + width, y + height};
}

static uint8_t checker_shift(uint8_t channel)
{
	return channel >= 128 ? channel - DEMO_CHECKER_DELTA : channel + DEMO_CHECKER_DELTA;
}

static uint32_t checker_colour(uint32_t colour)
{
	return (uint32_t)checker_shift((colour >> 16) & 0xff) << 16 |
	       (uint32_t)checker_shift((colour >> 8) & 0xff) << 8 | checker_shift(colour & 0xff);
}

uint32_t demo_background_at(uint32_t colour, int32_t x, int32_t y)
{
	bool odd = ((x / DEMO_CHECKER_CELL) + (y / DEMO_CHECKER_CELL)) & 1;
	return odd ? checker_colour(colour) : colour & 0xffffff;
}

static pixman_box32_t pointer_box(int32_t x, int32_t y, int32_t size)
{
	return (pixman_box32_t){x - size / 2, y - size / 2, x - size / 2 + size,
				y - size / 2 + size};
}

/* Adds box to damage, clipped to the surface: damage never leaves it. */
static void damage_box(struct demo_source *demo, pixman_region32_t *damage, pixman_box32_t box)
{
	if (box.x1 < 0)
		box.x1 = 0;
	if (box.y1 < 0)
		box.y1 = 0;
	if (box.x2 > (int32_t)demo->width)
		box.x2 = (int32_t)demo->width;
	if (box.y2 > (int32_t)demo->height)
		box.y2 = (int32_t)demo->height;
	if (box.x1 >= box.x2 || box.y1 >= box.y2)
		return;
	pixman_region32_union_rect(damage, damage, box.x1, box.y1, (unsigned)(box.x2 - box.x1),
				   (unsigned)(box.y2 - box.y1));
}

static void demo_set_frame(struct agent_source *source, uint32_t frame, pixman_region32_t *damage)
{
	struct demo_source *demo = demo_from_base(source);
	damage_box(demo, damage, demo_square_box(demo->width, demo->height, demo->frame));
	demo->frame = frame;
	damage_box(demo, damage, demo_square_box(demo->width, demo->height, demo->frame));
	damage_box(demo, damage, demo_plate_box(0));
}

static void demo_set_key(struct agent_source *source, uint32_t code, pixman_region32_t *damage)
{
	struct demo_source *demo = demo_from_base(source);
	if (demo->has_key && demo->key_code == code)
		return;
	demo->has_key = true;
	demo->key_code = code;
	damage_box(demo, damage, demo_plate_box(1));
}

static void demo_set_pointer(struct agent_source *source, int32_t x, int32_t y,
			     pixman_region32_t *damage)
{
	struct demo_source *demo = demo_from_base(source);
	/* Keep the marker's arithmetic far from overflow whatever we are told. */
	const int32_t margin = DEMO_POINTER_SIZE;
	if (x < -margin)
		x = -margin;
	if (y < -margin)
		y = -margin;
	if (x > (int32_t)demo->width + margin)
		x = (int32_t)demo->width + margin;
	if (y > (int32_t)demo->height + margin)
		y = (int32_t)demo->height + margin;
	if (demo->has_pointer)
		damage_box(demo, damage,
			   pointer_box(demo->pointer_x, demo->pointer_y, DEMO_POINTER_SIZE));
	demo->has_pointer = true;
	demo->pointer_x = x;
	demo->pointer_y = y;
	damage_box(demo, damage, pointer_box(x, y, DEMO_POINTER_SIZE));
}

static void demo_resize(struct agent_source *source, uint32_t width, uint32_t height,
			pixman_region32_t *damage)
{
	struct demo_source *demo = demo_from_base(source);
	demo->width = width;
	demo->height = height;
	damage_box(demo, damage, (pixman_box32_t){0, 0, (int32_t)width, (int32_t)height});
}

static void fill_box(pixman_image_t *dst, uint32_t rgb, pixman_box32_t box)
{
	pixman_color_t colour = colour_from_rgb(rgb);
	pixman_image_fill_boxes(PIXMAN_OP_SRC, dst, &colour, 1, &box);
}

/* The checker's lighter (or darker) cells, only where clip needs them. */
static void draw_checker(struct demo_source *demo, pixman_image_t *dst, pixman_region32_t *clip)
{
	pixman_color_t colour = colour_from_rgb(checker_colour(demo->colour));
	pixman_box32_t batch[128];
	int batched = 0;
	int n_rects;
	const pixman_box32_t *rects = pixman_region32_rectangles(clip, &n_rects);
	for (int r = 0; r < n_rects; r++) {
		pixman_box32_t rect = rects[r];
		if (rect.x1 < 0)
			rect.x1 = 0;
		if (rect.y1 < 0)
			rect.y1 = 0;
		if (rect.x1 >= rect.x2 || rect.y1 >= rect.y2)
			continue;
		for (int32_t cy = rect.y1 / DEMO_CHECKER_CELL;
		     cy <= (rect.y2 - 1) / DEMO_CHECKER_CELL; cy++) {
			for (int32_t cx = rect.x1 / DEMO_CHECKER_CELL;
			     cx <= (rect.x2 - 1) / DEMO_CHECKER_CELL; cx++) {
				if (((cx + cy) & 1) == 0)
					continue;
				pixman_box32_t cell = {
				    cx * DEMO_CHECKER_CELL, cy * DEMO_CHECKER_CELL,
				    (cx + 1) * DEMO_CHECKER_CELL, (cy + 1) * DEMO_CHECKER_CELL};
				batch[batched++] = cell;
				if (batched == (int)(sizeof(batch) / sizeof(batch[0]))) {
					pixman_image_fill_boxes(PIXMAN_OP_SRC, dst, &colour,
								batched, batch);
					batched = 0;
				}
			}
		}
	}
	if (batched > 0)
		pixman_image_fill_boxes(PIXMAN_OP_SRC, dst, &colour, batched, batch);
}

static void draw_plate(pixman_image_t *dst, unsigned index, bool has_value, uint32_t value,
		       uint32_t rgb)
{
	pixman_box32_t plate = demo_plate_box(index);
	fill_box(dst, DEMO_PLATE_COLOUR, plate);
	if (!has_value)
		return;
	pixman_color_t colour = colour_from_rgb(rgb);
	digit_font_draw_number(dst, value, plate.x1 + DEMO_PLATE_PADDING,
			       plate.y1 + DEMO_PLATE_PADDING, &colour);
}

static void demo_draw(struct agent_source *source, pixman_image_t *dst, pixman_region32_t *clip)
{
	struct demo_source *demo = demo_from_base(source);
	/* The clip makes every fill below touch only the stale pixels, and
	 * never a pixel outside the surface: pixman does not bound fills by
	 * the image when a clip region is set. */
	pixman_region32_t bounded;
	pixman_region32_init_rect(&bounded, 0, 0, demo->width, demo->height);
	pixman_region32_intersect(&bounded, &bounded, clip);
	pixman_image_set_clip_region32(dst, &bounded);
	fill_box(dst, demo->colour,
		 (pixman_box32_t){0, 0, (int32_t)demo->width, (int32_t)demo->height});
	draw_checker(demo, dst, &bounded);
	fill_box(dst, DEMO_SQUARE_COLOUR, demo_square_box(demo->width, demo->height, demo->frame));
	draw_plate(dst, 0, true, demo->frame, DEMO_COUNTER_COLOUR);
	draw_plate(dst, 1, demo->has_key, demo->key_code, DEMO_KEY_COLOUR);
	if (demo->has_pointer) {
		fill_box(dst, DEMO_POINTER_OUTER_COLOUR,
			 pointer_box(demo->pointer_x, demo->pointer_y, DEMO_POINTER_SIZE));
		fill_box(dst, DEMO_POINTER_INNER_COLOUR,
			 pointer_box(demo->pointer_x, demo->pointer_y, DEMO_POINTER_SIZE - 4));
	}
	pixman_image_set_clip_region32(dst, NULL);
	pixman_region32_fini(&bounded);
}

static void demo_destroy(struct agent_source *source)
{
	free(demo_from_base(source));
}

static const struct agent_source_impl demo_impl = {
    .set_frame = demo_set_frame,
    .set_key = demo_set_key,
    .set_pointer = demo_set_pointer,
    .resize = demo_resize,
    .draw = demo_draw,
    .destroy = demo_destroy,
};

struct agent_source *agent_source_demo_create(uint32_t width, uint32_t height, uint32_t colour)
{
	struct demo_source *demo = calloc(1, sizeof(*demo));
	if (!demo)
		return NULL;
	demo->base.impl = &demo_impl;
	demo->width = width;
	demo->height = height;
	demo->colour = colour & 0xffffff;
	return &demo->base;
}
