/* Unit tests of the agent's pieces: sealed memfds, the buffer pool, the
 * demo scene (determinism, damage, incremental = full redraw), the digit
 * font and the input log format. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buffer_pool.h"
#include "digit_font.h"
#include "input_log.h"
#include "source.h"
#include "source_demo.h"
#include "test.h"

#define W 200
#define H 120
#define COLOUR 0x336699u

static uint32_t pixel_at(pixman_image_t *image, int x, int y)
{
	const uint32_t *data = pixman_image_get_data(image);
	int stride = pixman_image_get_stride(image) / 4;
	return data[y * stride + x] & 0xffffff;
}

static bool images_equal(pixman_image_t *a, pixman_image_t *b, int width, int height)
{
	for (int y = 0; y < height; y++)
		for (int x = 0; x < width; x++)
			if (pixel_at(a, x, y) != pixel_at(b, x, y))
				return false;
	return true;
}

/* A fresh scene drawn in full at frame, with the given input applied. */
static pixman_image_t *reference_frame(uint32_t frame, bool with_input)
{
	pixman_image_t *image = pixman_image_create_bits(PIXMAN_x8r8g8b8, W, H, NULL, W * 4);
	struct agent_source *source = agent_source_demo_create(W, H, COLOUR);
	pixman_region32_t damage, all;
	pixman_region32_init(&damage);
	pixman_region32_init_rect(&all, 0, 0, W, H);
	source->impl->set_frame(source, frame, &damage);
	if (with_input) {
		source->impl->set_key(source, 30, &damage);
		source->impl->set_pointer(source, 150, 100, &damage);
	}
	source->impl->draw(source, image, &all);
	pixman_region32_fini(&damage);
	pixman_region32_fini(&all);
	agent_source_destroy(source);
	return image;
}

static void test_memfd_is_sealed(void)
{
	int fd = agent_memfd_create_sealed("test", 8192);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	int seals = fcntl(fd, F_GET_SEALS);
	CHECK(seals & F_SEAL_SHRINK);
	CHECK(seals & F_SEAL_GROW);
	CHECK(seals & F_SEAL_SEAL);
	CHECK(!(seals & F_SEAL_WRITE));
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && st.st_size == 8192);
	errno = 0;
	CHECK(ftruncate(fd, 4096) < 0 && errno == EPERM);
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0);
	close(fd);
}

static void test_pool_busy_and_release(void)
{
	struct agent_buffer_pool *pool = agent_buffer_pool_create(W, H, 3, 10);
	CHECK(pool != NULL);
	if (!pool)
		return;
	CHECK_EQ_INT(pool->count, 3);
	CHECK_EQ_INT(pool->stride, W * 4);
	for (size_t i = 0; i < 3; i++) {
		CHECK_EQ_INT(pool->buffers[i].id, 10 + i);
		CHECK_EQ_INT(pool->buffers[i].size, W * 4 * H);
		CHECK(fcntl(pool->buffers[i].memfd, F_GET_SEALS) & F_SEAL_SHRINK);
	}
	for (int i = 0; i < 3; i++) {
		struct agent_buffer *buffer = agent_buffer_pool_acquire(pool);
		CHECK(buffer != NULL);
		if (buffer)
			buffer->busy = true;
	}
	CHECK(agent_buffer_pool_acquire(pool) == NULL);
	CHECK(!agent_buffer_pool_release(pool, 99));
	CHECK(agent_buffer_pool_acquire(pool) == NULL);
	CHECK(agent_buffer_pool_release(pool, 11));
	CHECK(agent_buffer_pool_acquire(pool) == &pool->buffers[1]);
	agent_buffer_pool_destroy(pool);
	agent_buffer_pool_destroy(NULL);
	CHECK(agent_buffer_pool_create(0, H, 3, 1) == NULL);
	CHECK(agent_buffer_pool_create(W, H, AGENT_MAX_POOL_BUFFERS + 1, 1) == NULL);
}

static void test_pool_prefers_least_stale(void)
{
	struct agent_buffer_pool *pool = agent_buffer_pool_create(W, H, 2, 1);
	CHECK(pool != NULL);
	if (!pool)
		return;
	pixman_region32_clear(&pool->buffers[1].stale);
	CHECK(agent_buffer_pool_acquire(pool) == &pool->buffers[1]);
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 5, 5, 10, 10);
	agent_buffer_pool_add_damage(pool, &damage);
	CHECK(pixman_region32_contains_point(&pool->buffers[1].stale, 7, 7, NULL));
	CHECK(!pixman_region32_contains_point(&pool->buffers[1].stale, 50, 50, NULL));
	CHECK(pixman_region32_contains_point(&pool->buffers[0].stale, 50, 50, NULL));
	pixman_region32_fini(&damage);
	agent_buffer_pool_destroy(pool);
}

static void test_demo_is_deterministic(void)
{
	pixman_image_t *a = reference_frame(17, false);
	pixman_image_t *b = reference_frame(17, false);
	pixman_image_t *c = reference_frame(18, false);
	CHECK(images_equal(a, b, W, H));
	CHECK(!images_equal(a, c, W, H));
	pixman_image_unref(a);
	pixman_image_unref(b);
	pixman_image_unref(c);
}

static void test_demo_pixels(void)
{
	pixman_image_t *image = reference_frame(0, false);
	/* Frame 0: the square sits at the origin, under the counter plate. */
	pixman_box32_t square = demo_square_box(W, H, 0);
	CHECK_EQ_INT(square.x1, 0);
	CHECK_EQ_INT(square.y1, 0);
	CHECK_EQ_INT(square.x2 - square.x1, DEMO_SQUARE_SIZE);
	CHECK_EQ_INT(pixel_at(image, 2, 2), DEMO_SQUARE_COLOUR);
	/* Far from square and plates: plain background, checker included. */
	CHECK_EQ_INT(pixel_at(image, W - 1, H - 1), demo_background_at(COLOUR, W - 1, H - 1));
	CHECK_EQ_INT(pixel_at(image, 100, 100), COLOUR);
	CHECK(demo_background_at(COLOUR, 116, 100) != COLOUR);
	CHECK_EQ_INT(pixel_at(image, 116, 100), demo_background_at(COLOUR, 116, 100));
	/* The counter plate shows "0": its top bar is lit, its middle is not. */
	pixman_box32_t plate = demo_plate_box(0);
	int digit_x = plate.x1 + DEMO_PLATE_PADDING, digit_y = plate.y1 + DEMO_PLATE_PADDING;
	CHECK_EQ_INT(pixel_at(image, digit_x + 5, digit_y), DEMO_COUNTER_COLOUR);
	CHECK_EQ_INT(pixel_at(image, digit_x + 5, digit_y + 9), DEMO_PLATE_COLOUR);
	/* No key yet: the key plate is empty. */
	pixman_box32_t key_plate = demo_plate_box(1);
	CHECK_EQ_INT(pixel_at(image, key_plate.x1 + DEMO_PLATE_PADDING + 5,
			      key_plate.y1 + DEMO_PLATE_PADDING),
		     DEMO_PLATE_COLOUR);
	pixman_image_unref(image);

	/* Bouncing: at frame 34 x has gone 136 = (200-64) and comes back. */
	CHECK_EQ_INT(demo_square_box(W, H, 34).x1, 136);
	CHECK_EQ_INT(demo_square_box(W, H, 35).x1, 132);
	/* Surfaces smaller than the square shrink it to fit. */
	pixman_box32_t tiny = demo_square_box(20, 10, 5);
	CHECK_EQ_INT(tiny.x2 - tiny.x1, 10);
	CHECK(tiny.x2 <= 20 && tiny.y2 <= 10 && tiny.y1 == 0);
}

static void test_demo_damage(void)
{
	struct agent_source *source = agent_source_demo_create(W, H, COLOUR);
	pixman_region32_t damage;
	pixman_region32_init(&damage);
	source->impl->set_frame(source, 10, &damage);
	pixman_region32_clear(&damage);
	source->impl->set_frame(source, 11, &damage);
	/* Old and new square plus the counter plate, nothing else. */
	pixman_region32_t expected;
	pixman_box32_t old_sq = demo_square_box(W, H, 10), new_sq = demo_square_box(W, H, 11);
	pixman_box32_t plate = demo_plate_box(0);
	pixman_region32_init_rects(&expected, &old_sq, 1);
	pixman_region32_union_rect(&expected, &expected, new_sq.x1, new_sq.y1, 64, 64);
	pixman_region32_union_rect(&expected, &expected, plate.x1, plate.y1,
				   (unsigned)(plate.x2 - plate.x1),
				   (unsigned)(plate.y2 - plate.y1));
	CHECK(pixman_region32_equal(&damage, &expected));

	/* Pointer damage is clipped to the surface. */
	pixman_region32_clear(&damage);
	source->impl->set_pointer(source, -100000, H + 5, &damage);
	pixman_box32_t *extents = pixman_region32_extents(&damage);
	CHECK(pixman_region32_not_empty(&damage) == 0 ||
	      (extents->x1 >= 0 && extents->y1 >= 0 && extents->x2 <= W && extents->y2 <= H));
	pixman_region32_clear(&damage);
	source->impl->set_pointer(source, W - 1, H - 1, &damage);
	extents = pixman_region32_extents(&damage);
	CHECK(pixman_region32_not_empty(&damage));
	CHECK(extents->x2 <= W && extents->y2 <= H);

	/* The same key twice damages nothing the second time. */
	pixman_region32_clear(&damage);
	source->impl->set_key(source, 42, &damage);
	CHECK(pixman_region32_not_empty(&damage));
	pixman_region32_clear(&damage);
	source->impl->set_key(source, 42, &damage);
	CHECK(!pixman_region32_not_empty(&damage));

	pixman_region32_fini(&expected);
	pixman_region32_fini(&damage);
	agent_source_destroy(source);
}

/* What the session does, with the compositor holding buffers in a pattern:
 * the buffer we end on must equal a full redraw of the last frame. */
static void test_incremental_equals_full_redraw(void)
{
	struct agent_buffer_pool *pool = agent_buffer_pool_create(W, H, 3, 1);
	struct agent_source *source = agent_source_demo_create(W, H, COLOUR);
	CHECK(pool && source);
	if (!pool || !source)
		return;
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 0, 0, W, H);
	struct agent_buffer *last = NULL, *previous = NULL;
	const uint32_t frames = 60;
	for (uint32_t frame = 0; frame < frames; frame++) {
		if (frame == 20) {
			source->impl->set_key(source, 30, &damage);
			source->impl->set_pointer(source, 150, 100, &damage);
		}
		struct agent_buffer *buffer = agent_buffer_pool_acquire(pool);
		CHECK(buffer != NULL);
		if (!buffer)
			break;
		source->impl->set_frame(source, frame, &damage);
		agent_buffer_pool_add_damage(pool, &damage);
		source->impl->draw(source, buffer->image, &buffer->stale);
		pixman_region32_clear(&buffer->stale);
		pixman_region32_clear(&damage);
		buffer->busy = true;
		/* The compositor releases the buffer before last, and on every
		 * third frame holds on one frame longer. */
		if (previous && frame % 3 != 0)
			agent_buffer_pool_release(pool, previous->id);
		if (frame % 3 == 0)
			for (size_t i = 0; i < pool->count; i++)
				if (&pool->buffers[i] != buffer && &pool->buffers[i] != previous)
					agent_buffer_pool_release(pool, pool->buffers[i].id);
		previous = buffer;
		last = buffer;
	}
	pixman_image_t *reference = reference_frame(frames - 1, true);
	CHECK(last && images_equal(last->image, reference, W, H));
	pixman_image_unref(reference);
	pixman_region32_fini(&damage);
	agent_source_destroy(source);
	agent_buffer_pool_destroy(pool);
}

static void test_digit_font(void)
{
	pixman_box32_t boxes[DIGIT_FONT_MAX_BOXES];
	CHECK_EQ_INT(digit_font_boxes(8, 0, 0, boxes), 7);
	CHECK_EQ_INT(digit_font_boxes(1, 0, 0, boxes), 2);
	CHECK_EQ_INT(digit_font_boxes(10, 0, 0, boxes), 0);
	CHECK_EQ_INT(digit_font_boxes(7, 3, 4, boxes), 3);
	for (int i = 0; i < 3; i++)
		CHECK(boxes[i].x1 >= 3 && boxes[i].y1 >= 4 && boxes[i].x2 <= 3 + DIGIT_FONT_WIDTH &&
		      boxes[i].y2 <= 4 + DIGIT_FONT_HEIGHT);
}

static void test_input_log_format(void)
{
	char line[256];
	struct tsr_msg msg = {.type = TSR_MSG_KEY};
	msg.u.key = (struct tsr_msg_key){.code = 30, .state = TSR_KEY_PRESSED};
	CHECK(input_log_format(&msg, line, sizeof(line)) && !strcmp(line, "input key 30 pressed"));
	msg.u.key.state = TSR_KEY_REPEAT;
	CHECK(input_log_format(&msg, line, sizeof(line)) && !strcmp(line, "input key 30 repeat"));
	msg.type = TSR_MSG_POINTER_MOTION;
	msg.u.pointer_motion = (struct tsr_msg_pointer_motion){.surface_id = 1, .x = -3, .y = 7};
	CHECK(input_log_format(&msg, line, sizeof(line)) && !strcmp(line, "input motion -3 7"));
	msg.type = TSR_MSG_POINTER_BUTTON;
	msg.u.pointer_button = (struct tsr_msg_pointer_button){.code = 272, .state = 0};
	CHECK(input_log_format(&msg, line, sizeof(line)) &&
	      !strcmp(line, "input button 272 released"));
	msg.type = TSR_MSG_POINTER_AXIS;
	msg.u.pointer_axis = (struct tsr_msg_pointer_axis){.axis = 0, .value = -2};
	CHECK(input_log_format(&msg, line, sizeof(line)) && !strcmp(line, "input axis 0 -2"));
	msg.type = TSR_MSG_FOCUS_IN;
	msg.u.focus_in = (struct tsr_msg_focus_in){.count = 2, .held_keys = {29, 56}};
	CHECK(input_log_format(&msg, line, sizeof(line)) &&
	      !strcmp(line, "input focus-in 2 29 56"));
	msg.u.focus_in.count = 0;
	CHECK(input_log_format(&msg, line, sizeof(line)) && !strcmp(line, "input focus-in 0"));
	msg.type = TSR_MSG_FOCUS_OUT;
	CHECK(input_log_format(&msg, line, sizeof(line)) && !strcmp(line, "input focus-out"));
	msg.type = TSR_MSG_FRAME_DONE;
	CHECK(!input_log_format(&msg, line, sizeof(line)));
	msg.type = TSR_MSG_KEY;
	CHECK(!input_log_format(&msg, line, 5));
}

TSR_TEST_MAIN(TSR_CASE(test_memfd_is_sealed), TSR_CASE(test_pool_busy_and_release),
	      TSR_CASE(test_pool_prefers_least_stale), TSR_CASE(test_demo_is_deterministic),
	      TSR_CASE(test_demo_pixels), TSR_CASE(test_demo_damage),
	      TSR_CASE(test_incremental_equals_full_redraw), TSR_CASE(test_digit_font),
	      TSR_CASE(test_input_log_format))
