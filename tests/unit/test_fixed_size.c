/* Fixed-size guest displays (the PV display's seam, core/guest_link.h),
 * driven message by message through a test link with fixed_size set: no
 * CONFIGURE ever, the formats such a link may bring, every display shown
 * (centred 1:1 or scaled down, reference images), no stale pixels after
 * damage on a scaled display, frame pacing of every display, and pointer
 * positions mapped back to display pixels. */
#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain.h"
#include "core/input_policy.h"
#include "core/layout.h"
#include "reference.h"
#include "scene_fixture.h"
#include "tessera/event_loop.h"
#include "tessera/input.h"
#include "test.h"

#define MAX_RECORDED 512
#define MAGENTA 0xff00ffu
#define BACKGROUND 0x202020u
#define WORK_BLUE 0x3465a4u
#define TSR_DISPLIF_CONNECTORS_IN_TEST 4

struct display_link {
	struct tsr_guest_link base;
	struct tsr_msg sent[MAX_RECORDED];
	size_t sent_count;
	struct tsr_buffer *next_import;
};

static bool record_send(struct tsr_guest_link *base, const struct tsr_msg *msg)
{
	struct display_link *link = (struct display_link *)base;
	if (link->sent_count < MAX_RECORDED)
		link->sent[link->sent_count++] = *msg;
	return true;
}

static struct tsr_buffer *record_import(struct tsr_guest_link *base, const struct tsr_msg *msg,
					const struct tsr_buffer_request *request, char *err,
					size_t err_len)
{
	struct display_link *link = (struct display_link *)base;
	struct tsr_buffer *buffer = link->next_import;
	link->next_import = NULL;
	return buffer;
}

static void record_destroy(struct tsr_guest_link *base)
{
	free(base);
}

static const struct tsr_guest_link_impl display_link_impl = {
    .send = record_send,
    .import_buffer = record_import,
    .destroy = record_destroy,
};

/* A guest buffer of any format and pitch, as a PV display maps it. */
static void heap_buffer_destroy(struct tsr_buffer *buffer)
{
	free(buffer->data);
	free(buffer);
}

static const struct tsr_buffer_impl heap_buffer_impl = {.destroy = heap_buffer_destroy};

static struct tsr_buffer *guest_buffer(uint32_t width, uint32_t height, uint32_t format,
				       uint32_t stride)
{
	struct tsr_buffer *buffer = calloc(1, sizeof(*buffer));
	*buffer = (struct tsr_buffer){.impl = &heap_buffer_impl,
				      .width = width,
				      .height = height,
				      .stride = stride,
				      .format = format,
				      .data = calloc((size_t)stride, height),
				      .read_only = true,
				      .dmabuf_fd = -1};
	return buffer;
}

static void put_xrgb(struct tsr_buffer *buffer, uint32_t x, uint32_t y, uint32_t pixel)
{
	memcpy((uint8_t *)buffer->data + (size_t)y * buffer->stride + (size_t)x * 4, &pixel, 4);
}

static void fill_xrgb(struct tsr_buffer *buffer, uint32_t (*colour_at)(uint32_t x, uint32_t y))
{
	for (uint32_t y = 0; y < buffer->height; y++)
		for (uint32_t x = 0; x < buffer->width; x++)
			put_xrgb(buffer, x, y, colour_at(x, y));
}

static bool deliver(struct display_link *link, struct tsr_msg *msg)
{
	return link->base.listener.message(link->base.listener.data, msg);
}

static struct display_link *connect_link(struct scene_fixture *fixture, int index, bool fixed)
{
	struct display_link *link = calloc(1, sizeof(*link));
	link->base.impl = &display_link_impl;
	link->base.fixed_size = fixed;
	CHECK(tsr_domain_attach_link(tsr_server_domain(fixture->server, index), &link->base, -1));
	struct tsr_msg msg = {.type = TSR_MSG_HELLO};
	msg.u.hello =
	    (struct tsr_msg_hello){.major = 1, .capabilities = TSR_CAP_MEMFD | TSR_CAP_INPUT};
	CHECK(deliver(link, &msg));
	return link;
}

static bool create_surface(struct display_link *link, uint32_t id, uint32_t width, uint32_t height,
			   uint32_t format, uint32_t stride)
{
	struct tsr_msg msg = {.type = TSR_MSG_SURFACE_CREATE};
	msg.u.surface_create = (struct tsr_msg_surface_create){
	    .surface_id = id, .width = width, .height = height, .fourcc = format, .stride = stride};
	return deliver(link, &msg);
}

static void commit(struct display_link *link, uint32_t surface_id, uint32_t buffer_id,
		   uint32_t serial)
{
	struct tsr_msg msg = {.type = TSR_MSG_COMMIT};
	msg.u.commit = (struct tsr_msg_commit){
	    .surface_id = surface_id, .buffer_id = buffer_id, .serial = serial};
	CHECK(deliver(link, &msg));
}

/* Surface id (= buffer id) of width x height XRGB filled by colour_at,
 * committed; the domain owns the buffer, the test may change its pixels. */
static struct tsr_buffer *add_display(struct display_link *link, uint32_t id, uint32_t width,
				      uint32_t height,
				      uint32_t (*colour_at)(uint32_t x, uint32_t y))
{
	CHECK(create_surface(link, id, width, height, DRM_FORMAT_XRGB8888, width * 4));
	struct tsr_buffer *buffer = guest_buffer(width, height, DRM_FORMAT_XRGB8888, width * 4);
	fill_xrgb(buffer, colour_at);
	link->next_import = buffer;
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){
	    .surface_id = id, .buffer_id = id, .size = (uint64_t)width * height * 4};
	CHECK(deliver(link, &msg));
	commit(link, id, id, 1);
	return buffer;
}

static size_t count_sent(const struct display_link *link, enum tsr_msg_type type)
{
	size_t count = 0;
	for (size_t i = 0; i < link->sent_count; i++)
		count += link->sent[i].type == type;
	return count;
}

static const struct tsr_domain_placement *placement_of(struct scene_fixture *fixture, int index)
{
	return &tsr_server_output(fixture->server, 0)->layout.domains[index];
}

/* A test card with detail at every scale: a colour ramp, a one-pixel grid
 * every 16 pixels, and a white frame on the display's edge pixels. */
static uint32_t card_width, card_height;
static uint32_t test_card(uint32_t x, uint32_t y)
{
	if (x == 0 || y == 0 || x + 1 == card_width || y + 1 == card_height)
		return 0xffffff;
	if (x % 16 == 0 || y % 16 == 0)
		return 0x101010;
	return ((x * 255 / card_width) << 16) | ((y * 255 / card_height) << 8) | 0x60;
}

static uint32_t magenta(uint32_t x, uint32_t y)
{
	return MAGENTA;
}

static struct tsr_buffer *add_card(struct display_link *link, uint32_t id, uint32_t width,
				   uint32_t height)
{
	card_width = width;
	card_height = height;
	return add_display(link, id, width, height, test_card);
}

static bool inside(const pixman_box32_t *box, int32_t x, int32_t y)
{
	return x >= box->x1 && x < box->x2 && y >= box->y1 && y < box->y2;
}

static void test_fixed_link_never_configured(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	struct display_link *display = connect_link(&fixture, 0, true);
	struct display_link *agent = connect_link(&fixture, 1, false);
	add_card(display, 1, 800, 600);
	add_card(display, 2, 320, 240);
	CHECK(create_surface(agent, 1, 64, 64, DRM_FORMAT_XRGB8888, 256));
	/* Every relayout: focus changes, layout changes, both ways. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3; i++) {
			tsr_server_focus(fixture.server, i);
			tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
			CHECK(scene_fixture_settle(&fixture));
			tsr_server_set_layout(fixture.server, TSR_LAYOUT_MOSAIC);
			CHECK(scene_fixture_settle(&fixture));
		}
	}
	CHECK_EQ_INT(count_sent(display, TSR_MSG_CONFIGURE), 0);
	/* The agent beside it is configured as always (the test can fail). */
	CHECK(count_sent(agent, TSR_MSG_CONFIGURE) >= 2);
	scene_fixture_fini(&fixture);
}

/* Agents keep the wire protocol's two formats and 4-byte strides; a
 * fixed-size link brings every format the renderer shows, pitch = width x
 * bpp, and is still held to the size caps. */
static void test_formats_by_link_kind(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	static const struct {
		uint32_t format, bpp;
	} formats[] = {
	    {DRM_FORMAT_XRGB8888, 4}, {DRM_FORMAT_ARGB8888, 4}, {DRM_FORMAT_RGB565, 2},
	    {DRM_FORMAT_RGB888, 3},   {DRM_FORMAT_XRGB4444, 2}, {DRM_FORMAT_ARGB4444, 2},
	    {DRM_FORMAT_XRGB1555, 2}, {DRM_FORMAT_ARGB1555, 2}, {DRM_FORMAT_YUYV, 2},
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct display_link *display = connect_link(&fixture, 0, true);
		CHECK(create_surface(display, 1, 33, 7, formats[i].format, 33 * formats[i].bpp));
		tsr_domain_disconnect(tsr_server_domain(fixture.server, 0), "test", false);
		struct display_link *agent = connect_link(&fixture, 1, false);
		bool wire = formats[i].bpp == 4;
		uint32_t stride = (33 * formats[i].bpp + 3) & ~3u;
		CHECK(create_surface(agent, 1, 33, 7, formats[i].format, stride) == wire);
		tsr_domain_disconnect(tsr_server_domain(fixture.server, 1), "test", false);
	}
	struct display_link *display = connect_link(&fixture, 0, true);
	CHECK(!create_surface(display, 1, 33, 7, DRM_FORMAT_NV12, 33));		/* unknown */
	CHECK(!create_surface(display, 2, 33, 7, DRM_FORMAT_RGB565, 65));	/* short pitch */
	CHECK(!create_surface(display, 3, 16385, 7, DRM_FORMAT_RGB565, 32770)); /* too wide */
	CHECK(!create_surface(display, 4, 4095, 16384, DRM_FORMAT_XRGB8888, 16380)); /* >64 MiB */
	tsr_domain_disconnect(tsr_server_domain(fixture.server, 0), "test", false);
	scene_fixture_fini(&fixture);
}

static void test_centred_display_reference(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	tsr_server_focus(fixture.server, 0);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	struct display_link *display = connect_link(&fixture, 0, true);
	add_card(display, 1, 320, 200);
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_buffer *front = scene_fixture_front(&fixture);
	CHECK(tsr_check_reference(front, "fixed-centred"));
	const struct tsr_domain_placement *placement = placement_of(&fixture, 0);
	CHECK_EQ_INT(placement->view_count, 1);
	const struct tsr_display_view *view = &placement->views[0];
	CHECK(!view->scaled);
	/* 1:1, centred: every display pixel exactly, background around it. */
	int wrong = 0;
	for (int32_t y = placement->content.y1; y < placement->content.y2; y++) {
		for (int32_t x = placement->content.x1; x < placement->content.x2; x++) {
			uint32_t expected = inside(&view->image, x, y)
						? test_card((uint32_t)(x - view->image.x1),
							    (uint32_t)(y - view->image.y1))
						: BACKGROUND;
			wrong += pixel_at(front, (uint32_t)x, (uint32_t)y) != expected;
		}
	}
	CHECK_EQ_INT(wrong, 0);
	int32_t left = view->image.x1 - placement->content.x1;
	int32_t right = placement->content.x2 - view->image.x2;
	CHECK(left - right >= -1 && left - right <= 1 && left > 0);
	scene_fixture_fini(&fixture);
}

/* A display larger than its frame, in a colour nothing else uses: scaled
 * down, it fills its image box exactly and not one pixel lands outside. */
static void check_frame_property(struct scene_fixture *fixture, int index)
{
	struct tsr_buffer *front = scene_fixture_front(fixture);
	const struct tsr_domain_placement *placement = placement_of(fixture, index);
	uint64_t outside = 0, inside_missing = 0;
	for (uint32_t y = 0; y < front->height; y++) {
		for (uint32_t x = 0; x < front->width; x++) {
			bool is_guest = pixel_at(front, x, y) == MAGENTA;
			bool in_image = false;
			for (size_t v = 0; v < placement->view_count; v++)
				in_image |=
				    inside(&placement->views[v].image, (int32_t)x, (int32_t)y);
			if (in_image)
				inside_missing += !is_guest;
			else
				outside += is_guest;
		}
	}
	CHECK_EQ_INT(outside, 0);
	CHECK_EQ_INT(inside_missing, 0);
}

static void test_scaled_display_focus_reference(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	tsr_server_focus(fixture.server, 0);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	struct display_link *display = connect_link(&fixture, 0, true);
	add_card(display, 1, 1024, 768);
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_buffer *front = scene_fixture_front(&fixture);
	CHECK(tsr_check_reference(front, "fixed-scaled-focus"));
	const struct tsr_display_view *view = &placement_of(&fixture, 0)->views[0];
	CHECK(view->scaled);
	/* The trusted border is intact on both sides of the scaled image. */
	CHECK_EQ_INT(pixel_at(front, 0, 200), WORK_BLUE);
	CHECK_EQ_INT(pixel_at(front, 639, 200), WORK_BLUE);
	CHECK_EQ_INT(pixel_at(front, 320, 399), WORK_BLUE);
	/* Area averaging: the white edge frame survives the downscale (a
	 * bilinear or nearest filter would drop single-pixel lines). */
	uint32_t top_middle = pixel_at(front, (uint32_t)(view->image.x1 + view->image.x2) / 2,
				       (uint32_t)view->image.y1);
	CHECK(((top_middle >> 16) & 0xff) > 0x80 && (top_middle & 0xff) > 0x80);

	/* The frame property, with a solid display. */
	tsr_domain_disconnect(tsr_server_domain(fixture.server, 0), "test", false);
	display = connect_link(&fixture, 0, true);
	add_display(display, 1, 1920, 1080, magenta);
	CHECK(scene_fixture_settle(&fixture));
	check_frame_property(&fixture, 0);
	scene_fixture_fini(&fixture);
}

static void test_scaled_displays_mosaic_reference(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	tsr_server_focus(fixture.server, 1);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_MOSAIC);
	/* work: an agent guest sized to its tile; personal: a PV display with
	 * two connectors; untrusted: a PV display that fits its tile. */
	const struct tsr_domain_placement *work = placement_of(&fixture, 0);
	card_width = tsr_box_width(&work->content);
	card_height = tsr_box_height(&work->content);
	scene_fixture_set_surface(&fixture, 0, card_width, card_height, test_card);
	struct display_link *personal = connect_link(&fixture, 1, true);
	add_card(personal, 1, 1024, 768);
	add_card(personal, 2, 640, 480);
	struct display_link *untrusted = connect_link(&fixture, 2, true);
	add_card(untrusted, 1, 100, 60);
	CHECK(scene_fixture_settle(&fixture));
	CHECK(tsr_check_reference(scene_fixture_front(&fixture), "fixed-mosaic"));
	CHECK_EQ_INT(placement_of(&fixture, 1)->view_count, 2);
	CHECK(placement_of(&fixture, 1)->views[0].scaled);
	CHECK(placement_of(&fixture, 1)->views[1].scaled);
	CHECK(!placement_of(&fixture, 2)->views[0].scaled);

	/* Every display of every domain keeps to its image box. */
	tsr_domain_disconnect(tsr_server_domain(fixture.server, 1), "test", false);
	personal = connect_link(&fixture, 1, true);
	add_display(personal, 1, 4095, 2047, magenta);
	add_display(personal, 2, 1, 2047, magenta);
	CHECK(scene_fixture_settle(&fixture));
	check_frame_property(&fixture, 1);
	scene_fixture_fini(&fixture);
}

/* Damage on a scaled display redraws everything its filter touches: after
 * partial updates the screen equals a full repaint of the same buffers.
 * 1000x700 is scaled by bilinear alone (under 2:1), 2001x1401 first block
 * averaged (over 2:1). */
static void check_no_stale_pixels(uint32_t width, uint32_t height)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	tsr_server_focus(fixture.server, 0);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	struct display_link *display = connect_link(&fixture, 0, true);
	struct tsr_buffer *buffer = add_card(display, 1, width, height);
	CHECK(scene_fixture_settle(&fixture));
	const struct tsr_rect changes[] = {
	    {0, 0, 1, 1},	 {(int32_t)width - 1, (int32_t)height - 1, 1, 1},
	    {500, 350, 3, 2},	 {17, 601, 40, 1},
	    {333, 0, 1, height}, {(int32_t)width - 7, 100, 7, 5}};
	for (size_t c = 0; c < sizeof(changes) / sizeof(changes[0]); c++) {
		const struct tsr_rect *rect = &changes[c];
		for (uint32_t y = (uint32_t)rect->y; y < (uint32_t)rect->y + rect->height; y++)
			for (uint32_t x = (uint32_t)rect->x; x < (uint32_t)rect->x + rect->width;
			     x++)
				put_xrgb(buffer, x, y, c % 2 ? 0x00ff00u : 0xff0000u);
		struct tsr_msg msg = {.type = TSR_MSG_DAMAGE};
		msg.u.damage.surface_id = 1;
		msg.u.damage.count = 1;
		msg.u.damage.rects[0] = *rect;
		CHECK(deliver(display, &msg));
		commit(display, 1, 1, (uint32_t)c + 2);
		CHECK(scene_fixture_settle(&fixture));
	}
	struct tsr_buffer *partial = scene_fixture_front(&fixture);
	size_t size = (size_t)partial->stride * partial->height;
	uint8_t *copy = malloc(size);
	memcpy(copy, partial->data, size);
	tsr_server_damage_all(fixture.server);
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_buffer *full = scene_fixture_front(&fixture);
	int stale = 0;
	for (uint32_t y = 0; y < full->height; y++) {
		for (uint32_t x = 0; x < full->width; x++) {
			uint32_t before;
			memcpy(&before, copy + (size_t)y * partial->stride + (size_t)x * 4, 4);
			stale += (before & 0xffffff) != pixel_at(full, x, y);
		}
	}
	CHECK_EQ_INT(stale, 0);
	free(copy);
	scene_fixture_fini(&fixture);
}

static void test_scaled_damage_leaves_no_stale_pixels(void)
{
	check_no_stale_pixels(1000, 700);
	check_no_stale_pixels(2001, 1401);
}

/* Every display of a shown fixed-size domain is paced by output frames,
 * not only the first. */
static void test_every_display_gets_frame_done(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	struct display_link *display = connect_link(&fixture, 0, true);
	add_card(display, 1, 320, 200);
	add_card(display, 2, 320, 200);
	CHECK(scene_fixture_settle(&fixture));
	for (int i = 0; i < 20 && count_sent(display, TSR_MSG_FRAME_DONE) < 2; i++)
		tsr_event_loop_dispatch(fixture.loop, 20);
	bool done[3] = {false, false, false};
	for (size_t i = 0; i < display->sent_count; i++)
		if (display->sent[i].type == TSR_MSG_FRAME_DONE &&
		    display->sent[i].u.frame_done.surface_id <= 2)
			done[display->sent[i].u.frame_done.surface_id] = true;
	CHECK(done[1] && done[2]);
	CHECK(tsr_domain_surface_shown(
	    tsr_server_domain(fixture.server, 0),
	    tsr_domain_find_surface(tsr_server_domain(fixture.server, 0), 2)));
	scene_fixture_fini(&fixture);
}

/* Connector i's pixels: its own colour in red, a position code below. */
static uint32_t connector_pixel(uint32_t connector, uint32_t generation, uint32_t x, uint32_t y)
{
	return ((0x30u + connector * 0x40u + generation * 0x10u) << 16) | ((x & 0xffu) << 8) |
	       (y & 0xffu);
}

static void paint_connector(struct tsr_buffer *buffer, uint32_t connector, uint32_t generation)
{
	for (uint32_t y = 0; y < buffer->height; y++)
		for (uint32_t x = 0; x < buffer->width; x++)
			put_xrgb(buffer, x, y, connector_pixel(connector, generation, x, y));
}

static size_t frames_done_for(const struct display_link *link, uint32_t surface_id)
{
	size_t count = 0;
	for (size_t i = 0; i < link->sent_count; i++)
		count += link->sent[i].type == TSR_MSG_FRAME_DONE &&
			 link->sent[i].u.frame_done.surface_id == surface_id;
	return count;
}

/* Every content pixel: connector v's own pixel (of generation[v]) inside
 * its image box, background elsewhere. Returns the wrong ones. */
static int wrong_connector_pixels(struct scene_fixture *fixture, const uint32_t *generation)
{
	struct tsr_buffer *front = scene_fixture_front(fixture);
	const struct tsr_domain_placement *placement = placement_of(fixture, 0);
	int wrong = 0;
	for (int32_t y = placement->content.y1; y < placement->content.y2; y++) {
		for (int32_t x = placement->content.x1; x < placement->content.x2; x++) {
			uint32_t expected = BACKGROUND;
			for (size_t v = 0; v < placement->view_count; v++) {
				const pixman_box32_t *image = &placement->views[v].image;
				if (inside(image, x, y))
					expected = connector_pixel((uint32_t)v, generation[v],
								   (uint32_t)(x - image->x1),
								   (uint32_t)(y - image->y1));
			}
			wrong += pixel_at(front, (uint32_t)x, (uint32_t)y) != expected;
		}
	}
	return wrong;
}

/* A PV display with count connectors (surface ids 1..count, as the displif
 * link numbers them): each connector's pixels 1:1 in its own box, left to
 * right in connector order inside the one frame; a flip on connector 1
 * (a new buffer committed on surface 2) changes only connector 1's pixels
 * and paces only connector 1. */
static void check_connectors_side_by_side(uint32_t count)
{
	static const uint32_t widths[] = {200, 120, 160, 100}, heights[] = {300, 120, 360, 60};
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	tsr_server_focus(fixture.server, 0);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	struct display_link *display = connect_link(&fixture, 0, true);
	uint32_t generation[TSR_DISPLIF_CONNECTORS_IN_TEST] = {0};
	for (uint32_t i = 0; i < count; i++) {
		struct tsr_buffer *buffer =
		    add_display(display, i + 1u, widths[i], heights[i], magenta);
		paint_connector(buffer, i, 0);
	}
	CHECK(scene_fixture_settle(&fixture));
	const struct tsr_domain_placement *placement = placement_of(&fixture, 0);
	CHECK_EQ_INT(placement->view_count, count);
	for (uint32_t i = 0; i < count && i < placement->view_count; i++) {
		const struct tsr_display_view *view = &placement->views[i];
		CHECK_EQ_INT(view->id, i + 1u);
		CHECK(!view->scaled);
		CHECK_EQ_INT(tsr_box_width(&view->image), widths[i]);
		CHECK_EQ_INT(tsr_box_height(&view->image), heights[i]);
		CHECK(view->image.x1 >= placement->content.x1 &&
		      view->image.x2 <= placement->content.x2 &&
		      view->image.y1 >= placement->content.y1 &&
		      view->image.y2 <= placement->content.y2);
		if (i > 0)
			CHECK(placement->views[i - 1].image.x2 <= view->image.x1);
	}
	CHECK_EQ_INT(wrong_connector_pixels(&fixture, generation), 0);
	for (int i = 0; i < 50 && frames_done_for(display, count) == 0; i++)
		tsr_event_loop_dispatch(fixture.loop, 20);
	for (uint32_t i = 0; i < count; i++)
		CHECK(frames_done_for(display, i + 1u) >= 1);

	/* The flip on connector 1: a second buffer, fully damaged. */
	size_t done_before[TSR_DISPLIF_CONNECTORS_IN_TEST];
	for (uint32_t i = 0; i < count; i++)
		done_before[i] = frames_done_for(display, i + 1u);
	struct tsr_buffer *next =
	    guest_buffer(widths[1], heights[1], DRM_FORMAT_XRGB8888, widths[1] * 4);
	paint_connector(next, 1, 1);
	display->next_import = next;
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){
	    .surface_id = 2, .buffer_id = 10, .size = (uint64_t)widths[1] * heights[1] * 4};
	CHECK(deliver(display, &msg));
	msg = (struct tsr_msg){.type = TSR_MSG_DAMAGE};
	msg.u.damage.surface_id = 2;
	msg.u.damage.count = 1;
	msg.u.damage.rects[0] = (struct tsr_rect){0, 0, widths[1], heights[1]};
	CHECK(deliver(display, &msg));
	commit(display, 2, 10, 2);
	CHECK(scene_fixture_settle(&fixture));
	for (int i = 0; i < 50 && frames_done_for(display, 2) == done_before[1]; i++)
		tsr_event_loop_dispatch(fixture.loop, 20);
	generation[1] = 1;
	CHECK_EQ_INT(wrong_connector_pixels(&fixture, generation), 0);
	CHECK_EQ_INT(frames_done_for(display, 2), done_before[1] + 1u);
	for (uint32_t i = 0; i < count; i++)
		if (i != 1)
			CHECK_EQ_INT(frames_done_for(display, i + 1u), done_before[i]);
	scene_fixture_fini(&fixture);
}

static void test_two_connectors_side_by_side(void)
{
	check_connectors_side_by_side(2);
}

static void test_four_connectors_side_by_side(void)
{
	check_connectors_side_by_side(4);
}

static const struct tsr_msg *last_motion(const struct display_link *link)
{
	for (size_t i = link->sent_count; i > 0; i--)
		if (link->sent[i - 1].type == TSR_MSG_POINTER_MOTION)
			return &link->sent[i - 1];
	return NULL;
}

/* The input path maps the pointer through the views: the connector under
 * it, at the display pixel under it. */
static void test_pointer_reaches_display_pixels(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	struct tsr_seat *seat = tsr_input_policy_create_seat(fixture.server);
	CHECK(seat != NULL);
	tsr_server_focus(fixture.server, 0);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	struct display_link *display = connect_link(&fixture, 0, true);
	add_card(display, 1, 200, 1200); /* scaled (taller than the frame) */
	add_card(display, 2, 100, 100);	 /* 1:1 */
	CHECK(scene_fixture_settle(&fixture));
	const struct tsr_domain_placement *placement = placement_of(&fixture, 0);
	const struct tsr_display_view *scaled = &placement->views[0], *small = &placement->views[1];
	CHECK(scaled->scaled && !small->scaled);
	tsr_seat_pointer_motion_absolute(seat, scaled->image.x2 - 1, scaled->image.y2 - 1, 0);
	const struct tsr_msg *motion = last_motion(display);
	CHECK(motion && motion->u.pointer_motion.surface_id == 1 &&
	      motion->u.pointer_motion.x == 199 && motion->u.pointer_motion.y == 1199);
	tsr_seat_pointer_motion_absolute(seat, small->image.x1 + 10, small->image.y1 + 20, 0);
	motion = last_motion(display);
	CHECK(motion && motion->u.pointer_motion.surface_id == 2 &&
	      motion->u.pointer_motion.x == 10 && motion->u.pointer_motion.y == 20);
	/* Background below the small display: clamped to its bottom row. */
	tsr_seat_pointer_motion_absolute(seat, small->image.x1 + 10, placement->content.y2 - 1, 0);
	motion = last_motion(display);
	CHECK(motion && motion->u.pointer_motion.surface_id == 2 &&
	      motion->u.pointer_motion.x == 10 && motion->u.pointer_motion.y == 99);
	tsr_server_attach_seat(fixture.server, NULL);
	tsr_seat_destroy(seat);
	scene_fixture_fini(&fixture);
}

TSR_TEST_MAIN(TSR_CASE(test_fixed_link_never_configured), TSR_CASE(test_formats_by_link_kind),
	      TSR_CASE(test_centred_display_reference),
	      TSR_CASE(test_scaled_display_focus_reference),
	      TSR_CASE(test_scaled_displays_mosaic_reference),
	      TSR_CASE(test_scaled_damage_leaves_no_stale_pixels),
	      TSR_CASE(test_every_display_gets_frame_done),
	      TSR_CASE(test_pointer_reaches_display_pixels),
	      TSR_CASE(test_two_connectors_side_by_side),
	      TSR_CASE(test_four_connectors_side_by_side))
