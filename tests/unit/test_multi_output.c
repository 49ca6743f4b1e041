/* Several outputs: the arrangement (pure), what each output shows and who
 * has the keyboard (pure, randomised invariants), and a real server on the
 * headless backend with two outputs: layouts per output, content sizes,
 * banners saying which domain has the keyboard (reference images), the
 * pointer crossing outputs and input going only to the domain under it. */
#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <string.h>

#include "core/arrangement.h"
#include "core/domain.h"
#include "core/domain_testing.h"
#include "core/guest_link.h"
#include "core/input_policy.h"
#include "core/output_views.h"
#include "core/server_testing.h"
#include "reference.h"
#include "scene_fixture.h"
#include "tessera/event_loop.h"
#include "tessera/input.h"
#include "tessera/output.h"
#include "test.h"

/* ---- arrangement ----------------------------------------------------- */

static struct tsr_output_config heads_config(const char *text)
{
	struct tsr_config config;
	char err[256];
	if (!tsr_config_load_string(&config, text, "test.conf", err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		CHECK(!"config");
	}
	return config.output;
}

static bool box_is(const pixman_box32_t *box, int32_t x1, int32_t y1, int32_t x2, int32_t y2)
{
	bool same = box->x1 == x1 && box->y1 == y1 && box->x2 == x2 && box->y2 == y2;
	if (!same)
		fprintf(stderr, "box %d,%d-%d,%d, expected %d,%d-%d,%d\n", box->x1, box->y1,
			box->x2, box->y2, x1, y1, x2, y2);
	return same;
}

static void test_arrangement_automatic(void)
{
	struct tsr_output_config config = heads_config("[output]\n");
	struct tsr_arrangement_output outputs[3] = {
	    {"A", 1280, 800}, {"B", 1920, 1080}, {"C", 640, 480}};
	pixman_box32_t boxes[3];
	bool overlapped[3];
	tsr_arrangement_place(&config, outputs, 3, boxes, overlapped);
	CHECK(box_is(&boxes[0], 0, 0, 1280, 800));
	CHECK(box_is(&boxes[1], 1280, 0, 3200, 1080));
	CHECK(box_is(&boxes[2], 3200, 0, 3840, 480));
	CHECK(!overlapped[0] && !overlapped[1] && !overlapped[2]);
	uint32_t width, height;
	tsr_arrangement_extent(boxes, 3, &width, &height);
	CHECK_EQ_INT(width, 3840);
	CHECK_EQ_INT(height, 1080);
	CHECK_EQ_INT(tsr_arrangement_output_at(boxes, 3, 0, 0), 0);
	CHECK_EQ_INT(tsr_arrangement_output_at(boxes, 3, 1279, 799), 0);
	CHECK_EQ_INT(tsr_arrangement_output_at(boxes, 3, 1280, 0), 1);
	CHECK_EQ_INT(tsr_arrangement_output_at(boxes, 3, 3839, 479), 2);
	CHECK_EQ_INT(tsr_arrangement_output_at(boxes, 3, 3839, 480), -1);
	CHECK_EQ_INT(tsr_arrangement_output_at(boxes, 3, 100, 900), -1);
	/* A point below the short outputs goes to the nearest shown point. */
	int32_t x = 100, y = 1000;
	tsr_arrangement_constrain(boxes, 3, -1, &x, &y);
	CHECK(x == 100 && y == 799);
	/* Nearest: B's bottom edge is closer than C's. */
	x = 3500, y = 1000;
	tsr_arrangement_constrain(boxes, 3, -1, &x, &y);
	CHECK(x == 3199 && y == 1000);
	/* Coming from C, the pointer stops at C's edge. */
	x = 3500, y = 1000;
	tsr_arrangement_constrain(boxes, 3, 2, &x, &y);
	CHECK(x == 3500 && y == 479);
	x = 2000, y = 1000; /* on B: unchanged, wherever it came from */
	tsr_arrangement_constrain(boxes, 3, 2, &x, &y);
	CHECK(x == 2000 && y == 1000);
	x = 1000, y = 0; /* from C across B onto A: on A, unchanged */
	tsr_arrangement_constrain(boxes, 3, 2, &x, &y);
	CHECK(x == 1000 && y == 0);
	tsr_arrangement_extent(boxes, 0, &width, &height);
	CHECK(width == 1 && height == 1);
}

static void test_arrangement_positioned(void)
{
	/* B above A, C automatic: right of everything positioned, at y 0. */
	struct tsr_output_config config = heads_config("[output]\nbackend = kms\n"
						       "[output A]\nposition = 0,1080\n"
						       "[output B]\nposition = 200,0\n"
						       "[output D]\nposition = 100,100\n");
	struct tsr_arrangement_output outputs[4] = {
	    {"C", 800, 600}, {"A", 1280, 800}, {"B", 1920, 1080}, {"D", 640, 480}};
	pixman_box32_t boxes[4];
	bool overlapped[4];
	tsr_arrangement_place(&config, outputs, 4, boxes, overlapped);
	CHECK(box_is(&boxes[1], 0, 1080, 1280, 1880));
	CHECK(box_is(&boxes[2], 200, 0, 2120, 1080));
	/* D's position overlaps B (a KMS output without a mode is only
	 * known when it appears): placed automatically, and said so. */
	CHECK(overlapped[3]);
	CHECK(!overlapped[0] && !overlapped[1] && !overlapped[2]);
	CHECK(box_is(&boxes[0], 2120, 0, 2920, 600));
	CHECK(box_is(&boxes[3], 2920, 0, 3560, 480));
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < i; j++)
			CHECK(boxes[i].x2 <= boxes[j].x1 || boxes[j].x2 <= boxes[i].x1 ||
			      boxes[i].y2 <= boxes[j].y1 || boxes[j].y2 <= boxes[i].y1);
	CHECK_EQ_INT(tsr_arrangement_output_at(boxes, 4, 100, 50), -1); /* left of B */
	int32_t x = 100, y = 50;
	tsr_arrangement_constrain(boxes, 4, -1, &x, &y);
	CHECK(x == 200 && y == 50);
}

/* ---- views: random operations, invariants ----------------------------- */

static uint64_t random_state = 0x9e3779b97f4a7c15u;
static uint32_t random_below(uint32_t limit)
{
	random_state ^= random_state >> 12;
	random_state ^= random_state << 25;
	random_state ^= random_state >> 27;
	return (uint32_t)((random_state * 0x2545f4914f6cdd1du) >> 33) % limit;
}

static bool views_hold(const struct tsr_output_views *views)
{
	bool ok = true;
	for (size_t i = 0; i < views->output_count; i++) {
		int shown = views->shown[i];
		ok &= shown >= -1 && shown < (int)views->domain_count;
		for (size_t j = 0; j < i; j++)
			ok &= shown < 0 || views->shown[j] != shown; /* never on two */
	}
	/* Exactly one keyboard owner while there are domains... */
	if (views->domain_count > 0)
		ok &= views->keyboard >= 0 && views->keyboard < (int)views->domain_count;
	else
		ok &= views->keyboard == -1;
	/* ... which some output shows while there are outputs. */
	if (views->domain_count > 0 && views->output_count > 0) {
		bool shown = false;
		for (size_t i = 0; i < views->output_count; i++)
			shown |= views->shown[i] == views->keyboard;
		ok &= shown;
	}
	/* focus_output agrees: each domain in focus on at most one output. */
	for (int d = 0; d < (int)views->domain_count; d++) {
		int in_focus = 0;
		for (size_t i = 0; i < views->output_count; i++)
			in_focus += views->mode[i] == TSR_LAYOUT_FOCUS && views->shown[i] == d;
		ok &= in_focus <= 1;
		int output = tsr_output_views_focus_output(views, d);
		ok &= in_focus == (output >= 0);
	}
	return ok;
}

static void test_views_random(void)
{
	for (int round = 0; round < 200; round++) {
		struct tsr_output_views views;
		size_t domains = random_below(6);
		tsr_output_views_init(&views, domains);
		CHECK(views_hold(&views));
		for (int step = 0; step < 500; step++) {
			uint32_t op = random_below(10);
			int domain = (int)random_below((uint32_t)domains + 2) - 1;
			size_t output = random_below(TSR_VIEWS_MAX_OUTPUTS + 1);
			struct tsr_output_views before = views;
			if (op < 2) {
				bool added = tsr_output_views_add(&views);
				CHECK(added == (before.output_count < TSR_VIEWS_MAX_OUTPUTS));
			} else if (op < 3) {
				tsr_output_views_remove(&views, output);
				CHECK(views.keyboard == before.keyboard); /* it stays */
			} else if (op < 5) {
				tsr_output_views_set_mode(&views, output,
							  random_below(2) ? TSR_LAYOUT_FOCUS
									  : TSR_LAYOUT_MOSAIC);
			} else {
				bool valid =
				    domain >= 0 && (size_t)domain < domains &&
				    (before.output_count == 0 || output < before.output_count);
				CHECK(tsr_output_views_focus(&views, output, domain) == valid);
				if (valid) {
					CHECK(views.keyboard == domain);
					CHECK(before.output_count == 0 ||
					      views.shown[output] == domain);
					/* Layout modes never change with focus. */
					for (size_t i = 0; i < views.output_count; i++)
						CHECK(views.mode[i] == before.mode[i]);
				} else {
					CHECK(tsr_output_views_equal(&views, &before));
				}
			}
			if (!views_hold(&views)) {
				fprintf(stderr, "round %d step %d op %u: invariant broken\n", round,
					step, op);
				CHECK(!"views invariant");
				break;
			}
		}
	}
}

/* A card swapped for another (GPU handoff: the new card's output comes,
 * then the old one goes; or the old one goes first) keeps layout and
 * shown domain; a genuinely new second output starts as the first is. */
static void test_views_replaced_output(void)
{
	struct tsr_output_views views;
	tsr_output_views_init(&views, 3);
	CHECK(tsr_output_views_add(&views));
	CHECK_EQ_INT(views.mode[0], TSR_LAYOUT_MOSAIC);
	CHECK(tsr_output_views_focus(&views, 0, 2));
	tsr_output_views_set_mode(&views, 0, TSR_LAYOUT_FOCUS);
	CHECK(tsr_output_views_add(&views));
	CHECK_EQ_INT(views.mode[1], TSR_LAYOUT_FOCUS);
	CHECK_EQ_INT(views.shown[1], 0);
	tsr_output_views_remove(&views, 0);
	CHECK_EQ_INT(views.output_count, 1);
	CHECK_EQ_INT(views.mode[0], TSR_LAYOUT_FOCUS);
	CHECK_EQ_INT(views.shown[0], 2);
	CHECK_EQ_INT(views.keyboard, 2);
	/* Old one first: nothing left in between. */
	tsr_output_views_remove(&views, 0);
	CHECK_EQ_INT(views.output_count, 0);
	CHECK_EQ_INT(views.keyboard, 2);
	CHECK(tsr_output_views_add(&views));
	CHECK_EQ_INT(views.mode[0], TSR_LAYOUT_FOCUS);
	CHECK_EQ_INT(views.shown[0], 2);
}

/* ---- a server with two headless outputs ------------------------------- */

static const char two_outputs[] = "[output]\nwidth = 640\nheight = 400\n"
				  "[output left]\n"
				  "[output right]\nmode = 480x300\n"
				  "[decorations]\nborder_width = 4\nbanner_height = 28\n"
				  "background = #202020\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain personal]\ncolour = green\n"
				  "[domain untrusted]\ncolour = red\n";

#define WORK_BLUE 0x3465a4u
#define WORK_BLUE_DIMMED 0x1a3252u
#define PERSONAL_GREEN 0x4e9a06u

static uint32_t flat_colour;
static uint32_t flat(uint32_t x, uint32_t y)
{
	return flat_colour;
}

static struct tsr_buffer *front_of(struct scene_fixture *fixture, size_t output)
{
	return tsr_server_output(fixture->server, output)->output->last_presented;
}

/* Gives every domain a flat surface of the size the server asks for. */
static void fill_domains(struct scene_fixture *fixture)
{
	static const uint32_t colours[3] = {0x102080, 0x108020, 0x801010};
	for (int i = 0; i < 3; i++) {
		uint32_t width, height;
		tsr_server_content_size(fixture->server, i, &width, &height);
		flat_colour = colours[i];
		scene_fixture_set_surface(fixture, i, width, height, flat);
	}
}

static void test_two_outputs_layouts_and_banners(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init_with(&fixture, 0, 0, two_outputs));
	struct tsr_server *server = fixture.server;
	CHECK_EQ_INT(tsr_server_output_count(server), 2);
	if (tsr_server_output_count(server) != 2) {
		scene_fixture_fini(&fixture);
		return;
	}
	struct tsr_output_state *left = tsr_server_output(server, 0),
				*right = tsr_server_output(server, 1);
	CHECK(strcmp(left->output->name, "left") == 0);
	CHECK(strcmp(right->output->name, "right") == 0);
	CHECK(box_is(&left->box, 0, 0, 640, 400));
	CHECK(box_is(&right->box, 640, 0, 1120, 300));
	CHECK(tsr_server_find_output(server, "right") == right);
	CHECK(tsr_server_pointer_output(server) == left); /* the pointer starts at 0,0 */

	/* right shows personal in focus; work keeps the keyboard? No: focusing
	 * gives personal the keyboard. left stays in the mosaic. */
	CHECK(tsr_server_focus_on(server, right, 1));
	tsr_server_set_layout_on(server, right, TSR_LAYOUT_FOCUS);
	CHECK_EQ_INT(tsr_server_focused(server), 1);
	CHECK_EQ_INT(tsr_server_output_mode(server, left), TSR_LAYOUT_MOSAIC);
	CHECK_EQ_INT(tsr_output_views_focus_output(tsr_server_test_views(server), 1), 1);
	CHECK(right->layout.domains[1].visible && !right->layout.domains[0].visible);
	CHECK(left->layout.domains[0].visible && left->layout.domains[1].visible);

	/* Focusing personal on left too: it moves there, right takes what left
	 * showed (work): never in focus on both. */
	tsr_server_set_layout_on(server, left, TSR_LAYOUT_FOCUS);
	CHECK(tsr_server_focus_on(server, left, 1));
	CHECK_EQ_INT(tsr_server_output_shown(server, left), 1);
	CHECK_EQ_INT(tsr_server_output_shown(server, right), 0);
	CHECK(right->layout.domains[0].visible && !right->layout.domains[1].visible);

	/* Each guest is configured to the output it is shown on. */
	uint32_t width, height;
	tsr_server_content_size(server, 1, &width, &height);
	CHECK(width == 640 - 8 && height == 400 - 28 - 8);
	tsr_server_content_size(server, 0, &width, &height);
	CHECK(width == 480 - 8 && height == 300 - 28 - 8);

	fill_domains(&fixture);
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_buffer *left_front = front_of(&fixture, 0), *right_front = front_of(&fixture, 1);
	CHECK(left_front && right_front);
	if (left_front && right_front) {
		CHECK_EQ_INT(left_front->width, 640);
		CHECK_EQ_INT(right_front->width, 480);
		/* The keyboard's banner in full colour ("personal - keyboard
		 * focus"), the other output's dimmed (its label only). */
		CHECK_EQ_INT(pixel_at(left_front, 639, 2), PERSONAL_GREEN);
		CHECK_EQ_INT(pixel_at(right_front, 479, 2), WORK_BLUE_DIMMED);
		CHECK_EQ_INT(pixel_at(right_front, 0, 150), WORK_BLUE_DIMMED); /* border */
		CHECK_EQ_INT(pixel_at(left_front, 320, 200), 0x108020);	       /* personal */
		CHECK_EQ_INT(pixel_at(right_front, 240, 150), 0x102080);       /* work */
		CHECK(tsr_check_reference(left_front, "multi-output-left"));
		CHECK(tsr_check_reference(right_front, "multi-output-right"));
	}

	/* The mosaic on right: work still there in its tile, dimmed (the
	 * keyboard is personal's), personal's tile in full colour. */
	tsr_server_set_layout_on(server, right, TSR_LAYOUT_MOSAIC);
	CHECK(scene_fixture_settle(&fixture));
	right_front = front_of(&fixture, 1);
	const struct tsr_domain_placement *tile = &right->layout.domains[1];
	CHECK_EQ_INT(pixel_at(right_front, (uint32_t)tile->frame.x1, (uint32_t)tile->frame.y2 - 1),
		     PERSONAL_GREEN);
	tile = &right->layout.domains[0];
	CHECK_EQ_INT(pixel_at(right_front, (uint32_t)tile->frame.x1, (uint32_t)tile->frame.y2 - 1),
		     WORK_BLUE_DIMMED);
	CHECK(tsr_check_reference(right_front, "multi-output-right-mosaic"));
	scene_fixture_fini(&fixture);
}

/* Input messages each domain's link was given. */
struct recorded {
	int motions, buttons, keys, focus_ins, focus_outs;
	int32_t last_x, last_y;
};
static struct recorded received[3];
static struct scene_fixture *recording_fixture;

static bool recording_send(struct tsr_guest_link *link, const struct tsr_msg *msg)
{
	for (int i = 0; i < 3; i++) {
		if (tsr_domain_test_link(tsr_server_domain(recording_fixture->server, i)) != link)
			continue;
		struct recorded *r = &received[i];
		switch (msg->type) {
		case TSR_MSG_POINTER_MOTION:
			r->motions++;
			r->last_x = msg->u.pointer_motion.x;
			r->last_y = msg->u.pointer_motion.y;
			break;
		case TSR_MSG_POINTER_BUTTON:
			r->buttons++;
			break;
		case TSR_MSG_KEY:
			r->keys++;
			break;
		case TSR_MSG_FOCUS_IN:
			r->focus_ins++;
			break;
		case TSR_MSG_FOCUS_OUT:
			r->focus_outs++;
			break;
		default:
			break;
		}
	}
	return true;
}

static void recording_destroy(struct tsr_guest_link *link)
{
	free(link);
}

static const struct tsr_guest_link_impl recording_impl = {
    .send = recording_send,
    .destroy = recording_destroy,
};

static void test_pointer_crosses_outputs(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init_with(&fixture, 0, 0, two_outputs));
	struct tsr_server *server = fixture.server;
	if (tsr_server_output_count(server) != 2) {
		CHECK(!"two outputs");
		scene_fixture_fini(&fixture);
		return;
	}
	recording_fixture = &fixture;
	memset(received, 0, sizeof(received));
	struct tsr_output_state *left = tsr_server_output(server, 0),
				*right = tsr_server_output(server, 1);
	/* left: work in focus (keyboard); right: personal in focus. */
	tsr_server_set_layout_on(server, left, TSR_LAYOUT_FOCUS);
	tsr_server_focus_on(server, right, 1);
	tsr_server_set_layout_on(server, right, TSR_LAYOUT_FOCUS);
	tsr_server_focus_on(server, left, 0);
	fill_domains(&fixture);
	for (int i = 0; i < 3; i++) {
		tsr_domain_test_link(tsr_server_domain(server, i))->impl = &recording_impl;
		tsr_domain_test_add_capabilities(tsr_server_domain(server, i), TSR_CAP_INPUT);
	}
	struct tsr_seat *seat = tsr_input_policy_create_seat(server);
	CHECK(seat != NULL);
	if (!seat) {
		scene_fixture_fini(&fixture);
		return;
	}
	uint32_t width, height;
	tsr_seat_get_output_size(seat, &width, &height);
	CHECK(width == 1120 && height == 400);

	/* Onto right, over personal's content: motion goes to personal, in
	 * coordinates relative to its content on right. */
	const pixman_box32_t *content = &right->layout.domains[1].content;
	tsr_seat_pointer_motion_absolute(seat, 640 + content->x1 + 10, content->y1 + 20, 1);
	CHECK(tsr_server_pointer_output(server) == right);
	CHECK_EQ_INT(received[1].motions, 1);
	CHECK(received[1].last_x == 10 && received[1].last_y == 20);
	CHECK_EQ_INT(received[0].motions, 0);
	CHECK_EQ_INT(received[2].motions, 0);
	/* A click there gives personal the keyboard (the click is not its
	 * input); the next one is delivered. Nothing reaches work or
	 * untrusted but work's focus-out. */
	tsr_seat_button(seat, BTN_LEFT, TSR_BUTTON_PRESSED, 2);
	tsr_seat_button(seat, BTN_LEFT, TSR_BUTTON_RELEASED, 3);
	CHECK_EQ_INT(tsr_server_focused(server), 1);
	CHECK_EQ_INT(received[1].buttons, 0);
	tsr_seat_button(seat, BTN_LEFT, TSR_BUTTON_PRESSED, 4);
	tsr_seat_button(seat, BTN_LEFT, TSR_BUTTON_RELEASED, 5);
	CHECK_EQ_INT(received[1].buttons, 2);
	CHECK_EQ_INT(received[0].buttons, 0);
	CHECK_EQ_INT(received[0].focus_outs, 1);
	CHECK(received[1].focus_ins >= 1);
	tsr_seat_key(seat, KEY_A, TSR_KEY_PRESSED, 6);
	tsr_seat_key(seat, KEY_A, TSR_KEY_RELEASED, 7);
	CHECK_EQ_INT(received[1].keys, 2);
	CHECK_EQ_INT(received[0].keys + received[2].keys, 0);
	CHECK_EQ_INT(received[2].motions + received[2].buttons + received[2].focus_ins, 0);

	/* Below right's bottom edge there is no output: the pointer stays on
	 * right's last row. */
	tsr_seat_pointer_motion_relative(seat, 0, 1000, 8);
	int32_t x, y;
	tsr_seat_get_cursor(seat, &x, &y);
	CHECK(x == 640 + content->x1 + 10 && y == 299);

	/* A hotkey acts on the pointer's output only: Ctrl+Alt+M turns right
	 * into the mosaic, left keeps its focus layout. */
	tsr_seat_key(seat, KEY_LEFTCTRL, TSR_KEY_PRESSED, 9);
	tsr_seat_key(seat, KEY_LEFTALT, TSR_KEY_PRESSED, 10);
	tsr_seat_key(seat, KEY_M, TSR_KEY_PRESSED, 11);
	tsr_seat_key(seat, KEY_M, TSR_KEY_RELEASED, 12);
	tsr_seat_key(seat, KEY_LEFTALT, TSR_KEY_RELEASED, 13);
	tsr_seat_key(seat, KEY_LEFTCTRL, TSR_KEY_RELEASED, 14);
	CHECK_EQ_INT(tsr_server_output_mode(server, right), TSR_LAYOUT_MOSAIC);
	CHECK_EQ_INT(tsr_server_output_mode(server, left), TSR_LAYOUT_FOCUS);
	/* Back to left, over work: work gets motion, relative to its content. */
	content = &left->layout.domains[0].content;
	tsr_seat_pointer_motion_absolute(seat, content->x1 + 5, content->y1 + 6, 15);
	CHECK(tsr_server_pointer_output(server) == left);
	CHECK_EQ_INT(received[0].motions, 1);
	CHECK(received[0].last_x == 5 && received[0].last_y == 6);
	/* Ctrl+Alt+3 there shows untrusted on left with the keyboard. */
	tsr_seat_key(seat, KEY_LEFTCTRL, TSR_KEY_PRESSED, 16);
	tsr_seat_key(seat, KEY_LEFTALT, TSR_KEY_PRESSED, 17);
	tsr_seat_key(seat, KEY_3, TSR_KEY_PRESSED, 18);
	tsr_seat_key(seat, KEY_3, TSR_KEY_RELEASED, 19);
	tsr_seat_key(seat, KEY_LEFTALT, TSR_KEY_RELEASED, 20);
	tsr_seat_key(seat, KEY_LEFTCTRL, TSR_KEY_RELEASED, 21);
	CHECK_EQ_INT(tsr_server_focused(server), 2);
	CHECK_EQ_INT(tsr_server_output_shown(server, left), 2);
	CHECK_EQ_INT(tsr_server_output_mode(server, left), TSR_LAYOUT_FOCUS);
	tsr_server_attach_seat(server, NULL);
	tsr_seat_destroy(seat);
	scene_fixture_fini(&fixture);
}

/* A card list whose cards do not exist: made, refused at start (the first
 * card names what failed), destroyed cleanly. */
static void test_card_list_that_cannot_start(void)
{
	struct tsr_event_loop *loop = tsr_event_loop_create();
	struct tsr_output_config config = {.backend = TSR_BACKEND_KMS};
	snprintf(config.device, sizeof(config.device), "/nonexistent/card0,/nonexistent/card1");
	struct tsr_backend_listener listener = {0};
	struct tsr_backend *backend = tsr_backend_kms_cards_create(loop, &config, &listener);
	CHECK(backend != NULL);
	if (backend)
		CHECK(!backend->impl->start(backend));
	tsr_backend_destroy(backend);
	tsr_event_loop_destroy(loop);
}

/* A frame of output state, as its vblank would report it. */
static void output_frame(struct tsr_output_state *state)
{
	struct tsr_output *output = state->output;
	output->listener.frame(output->listener.data, output, 1);
}

/* A domain shown on two outputs is paced by the first only: a FRAME_DONE
 * per frame of each would let it draw at the sum of their rates. */
static void test_frames_paced_by_one_output(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init_with(&fixture, 0, 0, two_outputs));
	struct tsr_server *server = fixture.server;
	if (tsr_server_output_count(server) != 2) {
		CHECK_EQ_INT(tsr_server_output_count(server), 2);
		scene_fixture_fini(&fixture);
		return;
	}
	struct tsr_output_state *left = tsr_server_output(server, 0),
				*right = tsr_server_output(server, 1);
	fill_domains(&fixture);
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_domain *work = tsr_server_domain(server, 0);
	struct tsr_surface *surface = tsr_domain_main_surface(work);
	CHECK(surface != NULL);
	if (!surface) {
		scene_fixture_fini(&fixture);
		return;
	}
	/* Both in the mosaic: work is on both, left paces it. */
	CHECK(left->layout.domains[0].visible && right->layout.domains[0].visible);
	uint64_t done = tsr_domain_stats(work)->frames_done;
	surface->frame_requested = true;
	output_frame(right);
	CHECK(surface->frame_requested);
	CHECK_EQ_INT(tsr_domain_stats(work)->frames_done, done);
	output_frame(left);
	CHECK(!surface->frame_requested);
	CHECK_EQ_INT(tsr_domain_stats(work)->frames_done, done + 1);

	/* Shown on right only (left shows personal in focus): right paces it. */
	tsr_server_set_layout_on(server, left, TSR_LAYOUT_FOCUS);
	CHECK(tsr_server_focus_on(server, left, 1));
	CHECK(!left->layout.domains[0].visible && right->layout.domains[0].visible);
	surface->frame_requested = true;
	output_frame(left);
	CHECK(surface->frame_requested);
	output_frame(right);
	CHECK(!surface->frame_requested);
	CHECK_EQ_INT(tsr_domain_stats(work)->frames_done, done + 2);
	scene_fixture_fini(&fixture);
}

TSR_TEST_MAIN(TSR_CASE(test_arrangement_automatic), TSR_CASE(test_arrangement_positioned),
	      TSR_CASE(test_views_random), TSR_CASE(test_views_replaced_output),
	      TSR_CASE(test_two_outputs_layouts_and_banners),
	      TSR_CASE(test_pointer_crosses_outputs), TSR_CASE(test_frames_paced_by_one_output),
	      TSR_CASE(test_card_list_that_cannot_start))
