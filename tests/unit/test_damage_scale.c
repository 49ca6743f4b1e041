/* Damage at 32 domains (issue 13): small damage in every domain costs what
 * it covers, never the bounding box of all of it; a guest that floods
 * rectangles widens only its own redraw; decorations and everything else
 * outside the damage are never rewritten (a poisoned back buffer proves it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/layout.h"
#include "scene_fixture.h"
#include "tessera/event_loop.h"
#include "test.h"

#define WIDTH 1920
#define HEIGHT 1080
#define DOMAINS 32
#define POISON 0x123456u
#define SQUARE 64
#define PLATE_W 144
#define PLATE_H 26

static char config_text[DOMAINS * 48 + 128];

static const char *config_for_32(void)
{
	size_t used = (size_t)snprintf(config_text, sizeof(config_text),
				       "[decorations]\nborder_width = 4\nbanner_height = 28\n");
	for (int i = 0; i < DOMAINS; i++)
		used += (size_t)snprintf(config_text + used, sizeof(config_text) - used,
					 "[domain d%d]\ncolour = #%06x\n", i,
					 0x102030u * (unsigned)(i + 1) & 0xffffffu);
	return config_text;
}

static uint32_t checker(uint32_t x, uint32_t y)
{
	return ((x / 16 + y / 16) % 2) ? 0xe0e0e0u : 0x909090u;
}

static const pixman_box32_t *content_of(struct scene_fixture *fixture, int index)
{
	return &tsr_server_output(fixture->server, 0)->layout.domains[index].content;
}

/* The demo's kind of damage, per domain: a counter plate at (8,8) and a
 * 64x64 square at a height of its own, so that the domains' rectangles
 * split each other into many y-bands of the output's region. */
static void demo_damage(int index, pixman_box32_t out[2])
{
	int32_t y = 4 + (index * 7) % 60;
	out[0] = (pixman_box32_t){8, 8, 8 + PLATE_W, 8 + PLATE_H};
	out[1] = (pixman_box32_t){200, y, 200 + SQUARE, y + SQUARE};
}

static void setup(struct scene_fixture *fixture, struct tsr_buffer **guests)
{
	CHECK(scene_fixture_init_with(fixture, WIDTH, HEIGHT, config_for_32()));
	tsr_server_set_layout(fixture->server, TSR_LAYOUT_MOSAIC);
	for (int i = 0; i < DOMAINS; i++) {
		const pixman_box32_t *content = content_of(fixture, i);
		/* The squares must fit: the test's arithmetic assumes it. */
		CHECK(tsr_box_width(content) >= 200 + SQUARE && tsr_box_height(content) >= 64 + 4);
		guests[i] = scene_fixture_set_surface(fixture, i, tsr_box_width(content),
						      tsr_box_height(content), checker);
	}
	CHECK(scene_fixture_settle(fixture));
}

/* Damages every domain the demo's way; flooder (or -1) instead sends
 * rects 1x1 pixels, spread over its surface. Returns the output region
 * expected to be drawn. */
static void damage_all_domains(struct scene_fixture *fixture, int flooder, int rects,
			       pixman_region32_t *expected)
{
	pixman_region32_init(expected);
	for (int i = 0; i < DOMAINS; i++) {
		const pixman_box32_t *content = content_of(fixture, i);
		pixman_region32_t damage;
		if (i == flooder) {
			pixman_region32_init(&damage);
			for (int r = 0; r < rects; r++)
				pixman_region32_union_rect(&damage, &damage, 3 + r * 9,
							   2 + (r * 37) % 120, 1, 1);
			const pixman_box32_t *extents = pixman_region32_extents(&damage);
			pixman_region32_union_rect(expected, expected, content->x1 + extents->x1,
						   content->y1 + extents->y1,
						   tsr_box_width(extents), tsr_box_height(extents));
		} else {
			pixman_box32_t boxes[2];
			demo_damage(i, boxes);
			pixman_region32_init_rects(&damage, boxes, 2);
			pixman_region32_t shifted;
			pixman_region32_init(&shifted);
			pixman_region32_copy(&shifted, &damage);
			pixman_region32_translate(&shifted, content->x1, content->y1);
			pixman_region32_union(expected, expected, &shifted);
			pixman_region32_fini(&shifted);
		}
		tsr_server_damage_domain(fixture->server, i, &damage);
		pixman_region32_fini(&damage);
	}
}

static uint64_t area_of(const pixman_region32_t *region)
{
	int count;
	const pixman_box32_t *boxes =
	    pixman_region32_rectangles((pixman_region32_t *)region, &count);
	uint64_t area = 0;
	for (int i = 0; i < count; i++)
		area += (uint64_t)tsr_box_width(&boxes[i]) * tsr_box_height(&boxes[i]);
	return area;
}

static void poison(struct tsr_buffer *buffer)
{
	for (uint32_t y = 0; y < buffer->height; y++)
		for (uint32_t x = 0; x < buffer->width; x++)
			((uint32_t *)((uint8_t *)buffer->data + (size_t)y * buffer->stride))[x] =
			    POISON;
}

/* Draws one frame of the damage into a poisoned back buffer and checks
 * that exactly the expected region was drawn, and drawn right. */
static void check_one_frame(struct scene_fixture *fixture, int flooder, int rects)
{
	int age;
	struct tsr_buffer *next = fixture->output->impl->acquire(fixture->output, &age);
	CHECK(next != NULL && next != scene_fixture_front(fixture));
	poison(next);
	struct tsr_server_stats before = tsr_server_get_stats(fixture->server);
	pixman_region32_t expected;
	damage_all_domains(fixture, flooder, rects, &expected);
	CHECK(scene_fixture_settle(fixture));
	struct tsr_server_stats after = tsr_server_get_stats(fixture->server);
	CHECK(scene_fixture_front(fixture) == next);
	CHECK_EQ_INT(after.frames - before.frames, 1);
	/* The same damage as the previous frame: buffer age adds nothing. */
	uint64_t drawn = after.pixels_drawn - before.pixels_drawn;
	CHECK_EQ_INT(drawn, area_of(&expected));
	CHECK(drawn * 100 < 15ull * WIDTH * HEIGHT); /* all 32 domains' damage: 12-13% */
	uint64_t rewritten = 0, missed = 0;
	for (uint32_t y = 0; y < HEIGHT; y++) {
		for (uint32_t x = 0; x < WIDTH; x++) {
			bool poisoned = pixel_at(next, x, y) == POISON;
			if (pixman_region32_contains_point(&expected, (int)x, (int)y, NULL))
				missed += poisoned;
			else
				rewritten += !poisoned;
		}
	}
	CHECK_EQ_INT(rewritten, 0);
	CHECK_EQ_INT(missed, 0);
	pixman_region32_fini(&expected);
}

static void test_small_damage_in_32_domains(void)
{
	struct scene_fixture fixture;
	struct tsr_buffer *guests[DOMAINS];
	setup(&fixture, guests);
	/* Two frames so both headless buffers hold this damage's history. */
	for (int frame = 0; frame < 2; frame++) {
		pixman_region32_t expected;
		damage_all_domains(&fixture, -1, 0, &expected);
		pixman_region32_fini(&expected);
		CHECK(scene_fixture_settle(&fixture));
	}
	/* More than the output's old 64-rectangle limit, well below a frame. */
	pixman_region32_t expected;
	damage_all_domains(&fixture, -1, 0, &expected);
	CHECK(pixman_region32_n_rects(&expected) > 64);
	pixman_region32_fini(&expected);
	CHECK(scene_fixture_settle(&fixture));
	check_one_frame(&fixture, -1, 0);
	/* Guest pixels are right where drawn. */
	const pixman_box32_t *content = content_of(&fixture, 5);
	CHECK_EQ_INT(pixel_at(scene_fixture_front(&fixture), (uint32_t)content->x1 + 8 + 16,
			      (uint32_t)content->y1 + 8),
		     checker(8 + 16, 8));
	scene_fixture_fini(&fixture);
}

/* A guest flooding 1x1 rectangles into a busy output gets the extents of
 * its own damage redrawn; the 31 others keep their exact damage. */
static void test_flooding_domain_widens_only_itself(void)
{
	struct scene_fixture fixture;
	struct tsr_buffer *guests[DOMAINS];
	setup(&fixture, guests);
	for (int frame = 0; frame < 3; frame++) {
		pixman_region32_t expected;
		damage_all_domains(&fixture, DOMAINS - 1, 30, &expected);
		pixman_region32_fini(&expected);
		CHECK(scene_fixture_settle(&fixture));
	}
	check_one_frame(&fixture, DOMAINS - 1, 30);
	scene_fixture_fini(&fixture);
}

TSR_TEST_MAIN(TSR_CASE(test_small_damage_in_32_domains),
	      TSR_CASE(test_flooding_domain_widens_only_itself))
