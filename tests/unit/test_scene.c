/* Render tests of the whole scene on the headless backend: reference
 * images for both layouts, trusted decoration colours, clipping of guest
 * content, and damage (untouched pixels are never rewritten). */
#include <stdlib.h>

#include "core/domain.h"
#include "core/layout.h"
#include "reference.h"
#include "scene_fixture.h"
#include "tessera/event_loop.h"
#include "test.h"

#define WIDTH 640
#define HEIGHT 400
#define MAGENTA 0xff00ffu
#define WORK_BLUE 0x3465a4u
#define PERSONAL_GREEN 0x4e9a06u
#define UNTRUSTED_RED 0xcc0000u
#define BACKGROUND 0x202020u

static uint32_t gradient(uint32_t x, uint32_t y)
{
	return ((x * 255 / 640) << 16) | ((y * 255 / 400) << 8) | 0x80;
}

static uint32_t checker(uint32_t x, uint32_t y)
{
	return ((x / 16 + y / 16) % 2) ? 0xe0e0e0u : 0x909090u;
}

static uint32_t magenta(uint32_t x, uint32_t y)
{
	return MAGENTA;
}

static const struct tsr_domain_placement *placement_of(struct scene_fixture *fixture, int index)
{
	return &tsr_server_output(fixture->server, 0)->layout.domains[index];
}

static bool inside(const pixman_box32_t *box, int32_t x, int32_t y)
{
	return x >= box->x1 && x < box->x2 && y >= box->y1 && y < box->y2;
}

static void test_focus_layout_reference(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, WIDTH, HEIGHT));
	tsr_server_focus(fixture.server, 0);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	const struct tsr_domain_placement *work = placement_of(&fixture, 0);
	scene_fixture_set_surface(&fixture, 0, tsr_box_width(&work->content),
				  tsr_box_height(&work->content), gradient);
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_buffer *front = scene_fixture_front(&fixture);
	CHECK(tsr_check_reference(front, "scene-focus-work"));
	/* The banner carries the focused domain's colour, right of its label. */
	CHECK_EQ_INT(pixel_at(front, WIDTH - 3, 3), WORK_BLUE);
	/* The border: the outermost columns and the bottom row below the banner. */
	CHECK_EQ_INT(pixel_at(front, 0, HEIGHT / 2), WORK_BLUE);
	CHECK_EQ_INT(pixel_at(front, WIDTH - 1, HEIGHT / 2), WORK_BLUE);
	CHECK_EQ_INT(pixel_at(front, WIDTH / 2, HEIGHT - 1), WORK_BLUE);
	/* Guest pixels start exactly inside the border. */
	CHECK_EQ_INT(pixel_at(front, work->content.x1, work->content.y1), gradient(0, 0));
	/* The label is drawn: white text pixels in the banner's left part. */
	int text_pixels = 0;
	for (uint32_t y = 0; y < 28; y++)
		for (uint32_t x = 0; x < 100; x++)
			text_pixels += pixel_at(front, x, y) == 0xffffffu;
	CHECK(text_pixels > 20);
	scene_fixture_fini(&fixture);
}

static void test_mosaic_layout_reference(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, WIDTH, HEIGHT));
	tsr_server_focus(fixture.server, 1);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_MOSAIC);
	for (int i = 0; i < 2; i++) {
		const struct tsr_domain_placement *placement = placement_of(&fixture, i);
		scene_fixture_set_surface(&fixture, i, tsr_box_width(&placement->content),
					  tsr_box_height(&placement->content),
					  i == 0 ? gradient : checker);
	}
	/* untrusted has no surface yet: its frame is drawn around background. */
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_buffer *front = scene_fixture_front(&fixture);
	CHECK(tsr_check_reference(front, "scene-mosaic"));
	/* Focused (personal) in full colour, the others dimmed; untrusted's
	 * content area shows background. */
	const struct tsr_domain_placement *personal = placement_of(&fixture, 1);
	CHECK_EQ_INT(pixel_at(front, personal->frame.x1, personal->frame.y2 - 1), PERSONAL_GREEN);
	const struct tsr_domain_placement *work = placement_of(&fixture, 0);
	CHECK_EQ_INT(pixel_at(front, work->frame.x1, work->frame.y2 - 1),
		     0x1a3252u /* WORK_BLUE halved */);
	const struct tsr_domain_placement *untrusted = placement_of(&fixture, 2);
	CHECK_EQ_INT(pixel_at(front, untrusted->frame.x1, untrusted->frame.y2 - 1), 0x660000u);
	CHECK_EQ_INT(pixel_at(front, (uint32_t)(untrusted->content.x1 + untrusted->content.x2) / 2,
			      (uint32_t)(untrusted->content.y1 + untrusted->content.y2) / 2),
		     BACKGROUND);
	/* Each label strip holds text (white on the strip colour). */
	for (int i = 0; i < 3; i++) {
		const pixman_box32_t *label = &placement_of(&fixture, i)->label;
		int text_pixels = 0;
		for (int32_t y = label->y1; y < label->y2; y++)
			for (int32_t x = label->x1; x < label->x2; x++)
				text_pixels +=
				    pixel_at(front, (uint32_t)x, (uint32_t)y) == 0xffffffu;
		CHECK(text_pixels > 20);
	}
	scene_fixture_fini(&fixture);
}

/* A guest buffer larger than its frame, in a colour nothing else uses:
 * not one of its pixels may land outside its content box. */
static void check_clipped(struct scene_fixture *fixture, int index)
{
	struct tsr_buffer *front = scene_fixture_front(fixture);
	const pixman_box32_t *content = &placement_of(fixture, index)->content;
	uint64_t outside = 0, inside_missing = 0;
	for (uint32_t y = 0; y < HEIGHT; y++) {
		for (uint32_t x = 0; x < WIDTH; x++) {
			bool is_guest = pixel_at(front, x, y) == MAGENTA;
			if (inside(content, (int32_t)x, (int32_t)y))
				inside_missing += !is_guest;
			else
				outside += is_guest;
		}
	}
	CHECK_EQ_INT(outside, 0);
	CHECK_EQ_INT(inside_missing, 0);
}

static void test_guest_content_clipped_to_frame(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, WIDTH, HEIGHT));
	tsr_server_focus(fixture.server, 2);
	scene_fixture_set_surface(&fixture, 2, WIDTH * 2, HEIGHT * 2, magenta);
	CHECK(scene_fixture_settle(&fixture));
	check_clipped(&fixture, 2); /* mosaic */
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	CHECK(scene_fixture_settle(&fixture));
	check_clipped(&fixture, 2); /* focus: the banner stays trusted */
	scene_fixture_fini(&fixture);
}

static void test_untouched_pixels_never_rewritten(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, WIDTH, HEIGHT));
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	const struct tsr_domain_placement *work = placement_of(&fixture, 0);
	struct tsr_buffer *guest = scene_fixture_set_surface(
	    &fixture, 0, tsr_box_width(&work->content), tsr_box_height(&work->content), checker);
	CHECK(scene_fixture_settle(&fixture));
	/* Two small frames so both headless buffers are fully drawn and aged. */
	scene_fixture_damage(&fixture, 0, 0, 0, 1, 1);
	CHECK(scene_fixture_settle(&fixture));
	scene_fixture_damage(&fixture, 0, 0, 0, 1, 1);
	CHECK(scene_fixture_settle(&fixture));

	/* Poison the buffer that will be drawn next, everywhere. */
	int age;
	struct tsr_buffer *next = fixture.output->impl->acquire(fixture.output, &age);
	CHECK(next != NULL && next != scene_fixture_front(&fixture));
	for (uint32_t y = 0; y < HEIGHT; y++)
		for (uint32_t x = 0; x < WIDTH; x++)
			((uint32_t *)((uint8_t *)next->data + (size_t)y * next->stride))[x] =
			    0x00123456u;
	/* The guest changes a 10x10 square and says so. */
	for (uint32_t y = 20; y < 30; y++)
		for (uint32_t x = 40; x < 50; x++)
			((uint32_t *)((uint8_t *)guest->data + (size_t)y * guest->stride))[x] =
			    0x00ff8800u;
	struct tsr_server_stats before = tsr_server_get_stats(fixture.server);
	scene_fixture_damage(&fixture, 0, 40, 20, 10, 10);
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_server_stats after = tsr_server_get_stats(fixture.server);
	CHECK(scene_fixture_front(&fixture) == next);
	/* Drawn: this frame's damage plus the previous frame's (buffer age 2). */
	CHECK(after.pixels_drawn - before.pixels_drawn <= 101);
	uint64_t rewritten = 0, poisoned_in_damage = 0;
	for (uint32_t y = 0; y < HEIGHT; y++) {
		for (uint32_t x = 0; x < WIDTH; x++) {
			int32_t gx = (int32_t)x - work->content.x1,
				gy = (int32_t)y - work->content.y1;
			bool in_damage =
			    (gx >= 40 && gx < 50 && gy >= 20 && gy < 30) || (gx == 0 && gy == 0);
			bool poisoned = pixel_at(next, x, y) == 0x123456u;
			if (in_damage)
				poisoned_in_damage += poisoned;
			else
				rewritten += !poisoned;
		}
	}
	CHECK_EQ_INT(rewritten, 0);
	CHECK_EQ_INT(poisoned_in_damage, 0);
	CHECK_EQ_INT(
	    pixel_at(next, (uint32_t)work->content.x1 + 45, (uint32_t)work->content.y1 + 25),
	    0xff8800u);
	scene_fixture_fini(&fixture);
}

/* The scene the VM's KMS test shows on vkms (1024x768): the writeback
 * captures there are compared with these same references. */
static void test_kms_scene_references(void)
{
	static const enum tsr_layout_mode modes[2] = {TSR_LAYOUT_MOSAIC, TSR_LAYOUT_FOCUS};
	static const char *const names[2] = {"kms-scene-mosaic", "kms-scene-focus"};
	for (int m = 0; m < 2; m++) {
		struct scene_fixture fixture;
		CHECK(scene_fixture_init(&fixture, 1024, 768));
		tsr_server_focus(fixture.server, 1);
		tsr_server_set_layout(fixture.server, modes[m]);
		scene_fixture_populate(&fixture);
		CHECK(scene_fixture_settle(&fixture));
		CHECK(tsr_check_reference(scene_fixture_front(&fixture), names[m]));
		scene_fixture_fini(&fixture);
	}
}

static void test_no_damage_no_frame(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, WIDTH, HEIGHT));
	uint64_t frames = tsr_server_get_stats(fixture.server).frames;
	for (int i = 0; i < 5; i++)
		tsr_event_loop_dispatch(fixture.loop, 20);
	CHECK_EQ_INT(tsr_server_get_stats(fixture.server).frames, frames);
	scene_fixture_fini(&fixture);
}

TSR_TEST_MAIN(TSR_CASE(test_focus_layout_reference), TSR_CASE(test_mosaic_layout_reference),
	      TSR_CASE(test_guest_content_clipped_to_frame),
	      TSR_CASE(test_untouched_pixels_never_rewritten), TSR_CASE(test_kms_scene_references),
	      TSR_CASE(test_no_damage_no_frame))
