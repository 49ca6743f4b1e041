/* HiDPI: an output at scale 2 draws its banner, borders, labels, banner
 * texts, lock screen and cursor at twice their 1x size (text rendered by
 * FreeType at twice the pixel size, not pixel-doubled), against reference
 * images; guest content stays 1:1 in exactly the rest; decorations are
 * rendered once per scale, not per frame; a scaled cursor too large for a
 * cursor plane is drawn in software. Each check fails if scale is ignored. */
#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/decorations.h"
#include "core/lock.h"
#include "reference.h"
#include "scene_fixture.h"
#include "tessera/event_loop.h"
#include "tessera/output.h"
#include "test.h"

#define WIDTH 960
#define HEIGHT 600
#define WORK_BLUE 0x3465a4u
#define PERSONAL_GREEN 0x4e9a06u
#define PERSONAL_GREEN_DIMMED 0x274d03u

static const char hidpi_config[] = "[output]\nwidth = 960\nheight = 600\n"
				   "[output hidpi]\nscale = 2\n"
				   "[decorations]\nborder_width = 4\nbanner_height = 28\n"
				   "background = #202020\n"
				   "[domain work]\ncolour = blue\n"
				   "[domain personal]\ncolour = green\n"
				   "[domain untrusted]\ncolour = red\n";

static uint32_t gradient(uint32_t x, uint32_t y)
{
	return (((x * 255 / WIDTH) & 0xff) << 16) | (((y * 255 / HEIGHT) & 0xff) << 8) | 0x80;
}

static uint32_t flat_colour;
static uint32_t flat(uint32_t x, uint32_t y)
{
	return flat_colour;
}

/* Rows of the banner holding text pixels (white on blue), top to bottom. */
static uint32_t text_rows(const struct tsr_buffer *front, uint32_t banner_height)
{
	int32_t first = -1, last = -1;
	for (uint32_t y = 0; y < banner_height; y++)
		for (uint32_t x = 0; x < 400; x++)
			if (pixel_at(front, x, y) == 0xffffffu) {
				if (first < 0)
					first = (int32_t)y;
				last = (int32_t)y;
			}
	return first < 0 ? 0 : (uint32_t)(last - first + 1);
}

static void test_focus_at_scale_2(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init_with(&fixture, 0, 0, hidpi_config));
	struct tsr_server *server = fixture.server;
	struct tsr_output_state *state = tsr_server_output(server, 0);
	CHECK_EQ_INT(state->scale, 2);
	tsr_server_focus(server, 0);
	tsr_server_set_layout(server, TSR_LAYOUT_FOCUS);
	/* The guest is configured to the output minus the scaled decorations:
	 * banner 56, border 8. */
	uint32_t width, height;
	tsr_server_content_size(server, 0, &width, &height);
	CHECK_EQ_INT(width, WIDTH - 16);
	CHECK_EQ_INT(height, HEIGHT - 56 - 8 - 8);
	scene_fixture_set_surface(&fixture, 0, width, height, gradient);
	/* The software cursor (headless has no cursor plane). */
	tsr_server_cursor_moved(server, 600, 300);
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_buffer *front = scene_fixture_front(&fixture);
	CHECK(tsr_check_reference(front, "hidpi-focus"));
	/* Banner 56 rows, then the border 8 wide, then guest pixels 1:1. */
	CHECK_EQ_INT(pixel_at(front, WIDTH - 20, 55), WORK_BLUE);
	for (uint32_t x = 0; x < 8; x++) {
		CHECK_EQ_INT(pixel_at(front, x, 300), WORK_BLUE);
		CHECK_EQ_INT(pixel_at(front, WIDTH - 1 - x, 300), WORK_BLUE);
		CHECK_EQ_INT(pixel_at(front, 480, HEIGHT - 1 - x), WORK_BLUE);
		CHECK_EQ_INT(pixel_at(front, 480, 56 + x), WORK_BLUE);
	}
	CHECK_EQ_INT(pixel_at(front, 8, 64), gradient(0, 0));
	CHECK_EQ_INT(pixel_at(front, 8 + 100, 64 + 50), gradient(100, 50));
	CHECK_EQ_INT(pixel_at(front, WIDTH - 9, HEIGHT - 9), gradient(width - 1, height - 1));
	/* The label is twice as tall as at 1x (about 12 rows of "work"). */
	uint32_t rows = text_rows(front, 56);
	CHECK(rows >= 20 && rows <= 40);
	/* The arrow is 36 rows tall at scale 2 (18 at 1x), its outline 2 wide. */
	CHECK_EQ_INT(pixel_at(front, 600, 300), 0x000000u);
	CHECK_EQ_INT(pixel_at(front, 601, 320), 0x000000u);
	CHECK_EQ_INT(pixel_at(front, 605, 320), 0xffffffu);
	CHECK_EQ_INT(pixel_at(front, 603, 333), 0xffffffu);
	CHECK_EQ_INT(pixel_at(front, 601, 335), 0x000000u);
	CHECK_EQ_INT(pixel_at(front, 601, 336), gradient(593, 272));
	scene_fixture_fini(&fixture);
}

static void test_mosaic_at_scale_2(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init_with(&fixture, 0, 0, hidpi_config));
	struct tsr_server *server = fixture.server;
	tsr_server_focus(server, 1);
	tsr_server_set_layout(server, TSR_LAYOUT_MOSAIC);
	static const uint32_t colours[3] = {0x102080, 0x108020, 0x801010};
	for (int i = 0; i < 3; i++) {
		uint32_t width, height;
		tsr_server_content_size(server, i, &width, &height);
		flat_colour = colours[i];
		scene_fixture_set_surface(&fixture, i, width, height, flat);
	}
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_buffer *front = scene_fixture_front(&fixture);
	CHECK(tsr_check_reference(front, "hidpi-mosaic"));
	/* A 2x2 grid with gaps of 16: tiles (960 - 48) / 2 wide, name strips
	 * 56 high, borders 8. */
	const struct tsr_domain_placement *personal =
	    &tsr_server_output(server, 0)->layout.domains[1];
	CHECK_EQ_INT(personal->frame.x1, 16 + 456 + 16);
	CHECK_EQ_INT(personal->frame.y1, 56 + 16);
	CHECK_EQ_INT(tsr_box_height(&personal->label), 56);
	CHECK_EQ_INT(personal->content.x1 - personal->frame.x1, 8);
	CHECK_EQ_INT(personal->content.y1 - personal->frame.y1, 56);
	uint32_t x1 = (uint32_t)personal->frame.x1, y2 = (uint32_t)personal->frame.y2;
	for (uint32_t d = 0; d < 8; d++) {
		CHECK_EQ_INT(pixel_at(front, x1 + d, y2 - 20), PERSONAL_GREEN);
		CHECK_EQ_INT(pixel_at(front, x1 + 200, y2 - 1 - d), PERSONAL_GREEN);
	}
	CHECK_EQ_INT(pixel_at(front, x1 + 8, y2 - 9), 0x108020u);
	/* The work tile is dimmed (the keyboard is personal's). */
	const struct tsr_domain_placement *work = &tsr_server_output(server, 0)->layout.domains[0];
	CHECK_EQ_INT(pixel_at(front, (uint32_t)work->frame.x1 + 3, (uint32_t)work->frame.y2 - 3),
		     0x1a3252u);
	/* The banner's text is the 2x rendering. */
	uint32_t rows = 0;
	for (uint32_t y = 0; y < 56; y++)
		for (uint32_t x = 0; x < WIDTH; x++)
			if (pixel_at(front, x, y) == 0xffffffu) {
				rows++;
				break;
			}
	CHECK(rows >= 20);
	scene_fixture_fini(&fixture);
}

/* Text at scale 2 comes from FreeType at twice the pixel size: it is about
 * twice as large, but not the 1x mask with each pixel doubled. */
static void test_text_rendered_not_doubled(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init_with(&fixture, 0, 0, hidpi_config));
	struct tsr_decorations *decorations = tsr_server_decorations(fixture.server);
	struct tsr_buffer *one = tsr_decorations_label(decorations, 1, 1, 4096);
	struct tsr_buffer *two = tsr_decorations_label(decorations, 2, 1, 4096);
	CHECK(one && two);
	if (one && two) {
		CHECK(two->height >= 2 * one->height - 2 && two->height <= 2 * one->height + 2);
		CHECK(two->width >= 2 * one->width - 4 && two->width <= 2 * one->width + 4);
		uint32_t differing = 0, compared = 0;
		for (uint32_t y = 0; y < two->height && y / 2 < one->height; y++) {
			const uint8_t *row2 = (const uint8_t *)two->data + (size_t)y * two->stride;
			const uint8_t *row1 =
			    (const uint8_t *)one->data + (size_t)(y / 2) * one->stride;
			for (uint32_t x = 0; x < two->width && x / 2 < one->width; x++) {
				compared++;
				differing += abs((int)row2[x] - (int)row1[x / 2]) > 64;
			}
		}
		CHECK(compared > 0 && differing * 20 > compared); /* > 5% of pixels */
	}
	/* Cached per scale: the same mask again, for each scale. */
	CHECK(tsr_decorations_label(decorations, 2, 1, 4096) == two);
	CHECK(tsr_decorations_label(decorations, 1, 1, 4096) == one);
	struct tsr_buffer *cursor = tsr_decorations_cursor(decorations, 2);
	CHECK(cursor && cursor->width == 48 && cursor->height == 48);
	CHECK(tsr_decorations_cursor(decorations, 2) == cursor);
	struct tsr_buffer *small = tsr_decorations_cursor(decorations, 1);
	CHECK(small && small->width == 24);
	scene_fixture_fini(&fixture);
}

/* Redrawing frames does not render the banner's label again. */
static void test_decorations_cached_across_frames(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init_with(&fixture, 0, 0, hidpi_config));
	struct tsr_server *server = fixture.server;
	tsr_server_focus(server, 0);
	tsr_server_set_layout(server, TSR_LAYOUT_FOCUS);
	CHECK(scene_fixture_settle(&fixture));
	/* The banner's room: its width less 2 x 24 of padding at scale 2. */
	struct tsr_buffer *label =
	    tsr_decorations_label(tsr_server_decorations(server), 2, 0, WIDTH - 48);
	CHECK(label != NULL);
	for (int frame = 0; frame < 5; frame++) {
		tsr_server_damage_all(server);
		CHECK(scene_fixture_settle(&fixture));
	}
	CHECK(tsr_decorations_label(tsr_server_decorations(server), 2, 0, WIDTH - 48) == label);
	scene_fixture_fini(&fixture);
}

/* The lock screen at scale 2: its panel, texts and field twice as large. A
 * lock-state file saying "locked" makes Tessera start locked. */
static void test_lock_screen_at_scale_2(void)
{
	char dir[] = "/tmp/tessera-hidpi-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, TSR_LOCK_FILE_NAME);
	FILE *file = fopen(path, "w");
	CHECK(file != NULL);
	if (file) {
		fputs("locked\n", file);
		fclose(file);
	}
	struct scene_fixture fixture;
	CHECK(scene_fixture_init_with(&fixture, 0, 0, hidpi_config));
	char err[256] = "";
	struct tsr_lock_options options = {.runtime_dir = dir};
	struct tsr_lock *lock = tsr_lock_create(fixture.server, &options, err, sizeof(err));
	CHECK(lock != NULL);
	if (!lock)
		fprintf(stderr, "%s\n", err);
	CHECK(tsr_server_lock_screen(fixture.server) == lock);
	CHECK(tsr_server_locked(fixture.server));
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_buffer *front = scene_fixture_front(&fixture);
	CHECK(tsr_check_reference(front, "hidpi-lock"));
	/* The panel is 400 high at scale 2 (200 at 1x), centred: rows 100 to
	 * 499; the field 64 high from 292. */
	CHECK_EQ_INT(pixel_at(front, 40, 101), 0x2a3444u);
	CHECK_EQ_INT(pixel_at(front, 40, 498), 0x2a3444u);
	CHECK_EQ_INT(pixel_at(front, 40, 99), 0x101820u);
	CHECK_EQ_INT(pixel_at(front, 100, 293), 0xe8e8e8u);
	CHECK_EQ_INT(pixel_at(front, 100, 354), 0xe8e8e8u);
	tsr_lock_destroy(lock);
	scene_fixture_fini(&fixture);
	unlink(path);
	rmdir(dir);
}

/* ---- a cursor plane of 64x64 (as KMS has) ----------------------------- */

struct plane_output {
	struct tsr_output base;
	struct tsr_buffer *buffers[2];
	int next;
	uint32_t cursor_width; /* of the image on the plane, 0 for none */
};

static struct tsr_buffer *plane_acquire(struct tsr_output *base, int *age)
{
	struct plane_output *output = (struct plane_output *)base;
	*age = 0;
	return output->buffers[output->next];
}

static bool plane_present(struct tsr_output *base, struct tsr_buffer *buffer,
			  const pixman_region32_t *damage)
{
	struct plane_output *output = (struct plane_output *)base;
	base->last_presented = buffer;
	output->next ^= 1;
	return true;
}

static bool plane_set_cursor(struct tsr_output *base, struct tsr_buffer *image, int32_t hot_x,
			     int32_t hot_y)
{
	struct plane_output *output = (struct plane_output *)base;
	if (image && (image->width > 64 || image->height > 64))
		return false;
	output->cursor_width = image ? image->width : 0;
	return true;
}

static bool plane_move_cursor(struct tsr_output *base, int32_t x, int32_t y)
{
	return true;
}

static void plane_destroy(struct tsr_output *base)
{
}

static const struct tsr_output_impl plane_impl = {
    .acquire = plane_acquire,
    .present = plane_present,
    .set_cursor = plane_set_cursor,
    .move_cursor = plane_move_cursor,
    .destroy = plane_destroy,
};

static void run_plane_output(uint32_t scale, bool expect_hardware)
{
	char text[512];
	snprintf(text, sizeof(text),
		 "[output]\nwidth = 320\nheight = 200\n[output plane]\nscale = %u\n"
		 "[decorations]\nborder_width = 4\nbanner_height = 28\nbackground = #202020\n"
		 "[domain work]\ncolour = blue\n",
		 scale);
	struct tsr_config config;
	char err[256];
	CHECK(tsr_config_load_string(&config, text, "test.conf", err, sizeof(err)));
	struct tsr_event_loop *loop = tsr_event_loop_create();
	struct tsr_server *server = tsr_server_create(loop, &config, err, sizeof(err));
	CHECK(server != NULL);
	if (!server) {
		tsr_event_loop_destroy(loop);
		return;
	}
	struct plane_output output = {.base = {.impl = &plane_impl, .width = 320, .height = 200}};
	snprintf(output.base.name, sizeof(output.base.name), "plane");
	for (int i = 0; i < 2; i++)
		output.buffers[i] = tsr_buffer_create_memory(320, 200, DRM_FORMAT_XRGB8888);
	tsr_server_add_output(server, &output.base);
	CHECK_EQ_INT(tsr_server_output(server, 0)->scale, scale);
	tsr_server_cursor_moved(server, 100, 100);
	CHECK(tsr_server_output(server, 0)->hardware_cursor == expect_hardware);
	CHECK_EQ_INT(output.cursor_width, expect_hardware ? 24 * scale : 0);
	/* Draw one frame: the software cursor is in it, scale times 18 rows. */
	for (int i = 0; i < 10 && !output.base.last_presented; i++)
		tsr_event_loop_dispatch(loop, 10);
	struct tsr_buffer *front = output.base.last_presented;
	CHECK(front != NULL);
	if (front) {
		uint32_t below_tip = 100 + 18 * scale - 1;
		CHECK_EQ_INT(pixel_at(front, 100, below_tip),
			     expect_hardware ? 0x202020u /* no cursor drawn: the background */
					     : 0x000000u);
	}
	output.base.listener.removed(output.base.listener.data, &output.base);
	tsr_server_destroy(server);
	for (int i = 0; i < 2; i++)
		tsr_buffer_destroy(output.buffers[i]);
	tsr_event_loop_destroy(loop);
}

static void test_cursor_plane_fallback(void)
{
	run_plane_output(2, true);  /* 48x48 fits the plane */
	run_plane_output(3, false); /* 72x72 does not: software */
}

TSR_TEST_MAIN(TSR_CASE(test_focus_at_scale_2), TSR_CASE(test_mosaic_at_scale_2),
	      TSR_CASE(test_text_rendered_not_doubled),
	      TSR_CASE(test_decorations_cached_across_frames),
	      TSR_CASE(test_lock_screen_at_scale_2), TSR_CASE(test_cursor_plane_fallback))
