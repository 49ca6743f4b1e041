/* The seat: secure-hotkey filter and focus router, driven by scripted and
 * random input. A model of every domain's view of the keyboard checks the
 * invariants inside every callback and after every step. */
#include <linux/input-event-codes.h>
#include <stdarg.h>
#include <stdlib.h>

#include "tessera/input.h"
#include "tessera/log.h"
#include "test.h"

/* log.c may not be linked into this binary; the weak stubs give way to it. */
__attribute__((weak)) void tsr_log(enum tsr_log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

#define DOMAINS 4
#define OUTPUT_W 400
#define OUTPUT_H 300
#define BANNER_H 20
#define TILE_BORDER 10
#define MAX_RECORDS 64

enum record_kind {
	REC_KEY,
	REC_FOCUS_IN,
	REC_FOCUS_OUT,
	REC_MOTION,
	REC_BUTTON,
	REC_AXIS,
	REC_ACTION,
	REC_CLICK,
};

struct record {
	enum record_kind kind;
	int domain;
	uint32_t code; /* key, button, action, axis */
	int state;     /* key/button state, action argument, axis steps */
	int32_t x, y;
	size_t held_count;
	uint32_t held[8];
};

struct fixture {
	struct tsr_seat *seat;
	bool follow_actions; /* act on hotkeys and clicks like the compositor */
	bool mosaic;

	struct record records[MAX_RECORDS];
	size_t record_count;

	/* The model: what each domain believes is down, what is physically
	 * down, and what a chord took away. */
	bool domain_keys[DOMAINS][KEY_CNT];
	bool domain_buttons[DOMAINS][BTN_TASK - BTN_MOUSE + 1];
	int model_focus;
	bool physical[KEY_CNT];
	bool physical_buttons[BTN_TASK - BTN_MOUSE + 1];
	bool model_swallowed[KEY_CNT];

	/* The physical event of the current step, to count its deliveries. */
	bool step_is_key, step_is_button;
	uint32_t step_code;
	int step_state;
	int step_deliveries;
	int step_actions;
	bool step_chord;
	enum tsr_action step_last_action;

	long violations;
	long chords_expected;
};

static void violation(struct fixture *f, const char *fmt, ...)
{
	if (f->violations++ < 10) {
		va_list args;
		va_start(args, fmt);
		fprintf(stderr, "violation: ");
		vfprintf(stderr, fmt, args);
		fprintf(stderr, "\n");
		va_end(args);
	}
}

static void record(struct fixture *f, struct record r)
{
	if (f->record_count < MAX_RECORDS) {
		f->records[f->record_count++] = r;
	}
}

static bool is_modifier(uint32_t code)
{
	switch (code) {
	case KEY_LEFTCTRL:
	case KEY_RIGHTCTRL:
	case KEY_LEFTALT:
	case KEY_RIGHTALT:
	case KEY_LEFTSHIFT:
	case KEY_RIGHTSHIFT:
	case KEY_LEFTMETA:
	case KEY_RIGHTMETA:
		return true;
	default:
		return false;
	}
}

static void on_action(void *data, enum tsr_action action, int argument)
{
	struct fixture *f = data;
	record(f, (struct record){.kind = REC_ACTION, .code = action, .state = argument});
	f->step_actions++;
	f->step_last_action = action;
	/* The guest must hold no modifier when the chord takes effect. */
	int focus = tsr_seat_get_focus(f->seat);
	for (uint32_t code = 0; focus >= 0 && code < KEY_CNT; code++) {
		if (is_modifier(code) && f->domain_keys[focus][code]) {
			violation(f, "domain %d holds modifier %u when a hotkey fires", focus,
				  code);
		}
	}
	if (!f->follow_actions) {
		return;
	}
	switch (action) {
	case TSR_ACTION_FOCUS_DOMAIN:
		tsr_seat_set_focus(f->seat, argument - 1);
		break;
	case TSR_ACTION_FOCUS_NEXT:
		tsr_seat_set_focus(f->seat, (tsr_seat_get_focus(f->seat) + 1) % DOMAINS);
		break;
	case TSR_ACTION_TOGGLE_MOSAIC:
		f->mosaic = !f->mosaic;
		tsr_seat_set_mosaic(f->seat, f->mosaic);
		break;
	default:
		break;
	}
}

static void on_focus_clicked(void *data, int domain)
{
	struct fixture *f = data;
	record(f, (struct record){.kind = REC_CLICK, .domain = domain});
	if (!f->mosaic || domain == tsr_seat_get_focus(f->seat)) {
		violation(f, "focus click on %d outside mosaic or on the focused domain", domain);
	}
	if (f->follow_actions) {
		tsr_seat_set_focus(f->seat, domain);
	}
}

/* Focus layout: the focused domain fills the output below a banner.
 * Mosaic: 2x2 tiles, each with a border that belongs to nobody. */
static int pick_domain(void *data, int32_t x, int32_t y, int32_t *local_x, int32_t *local_y)
{
	struct fixture *f = data;
	if (!f->mosaic) {
		if (y < BANNER_H) {
			return -1;
		}
		*local_x = x;
		*local_y = y - BANNER_H;
		return tsr_seat_get_focus(f->seat);
	}
	int column = x / (OUTPUT_W / 2), row = y / (OUTPUT_H / 2);
	int32_t tile_x = x - column * (OUTPUT_W / 2), tile_y = y - row * (OUTPUT_H / 2);
	if (tile_x < TILE_BORDER || tile_y < TILE_BORDER) {
		return -1;
	}
	*local_x = tile_x - TILE_BORDER;
	*local_y = tile_y - TILE_BORDER;
	return row * 2 + column;
}

static bool valid_domain(struct fixture *f, int domain)
{
	if (domain < 0 || domain >= DOMAINS) {
		violation(f, "delivery to domain %d", domain);
		return false;
	}
	return true;
}

static void deliver_key(void *data, int domain, uint32_t code, enum tsr_key_state state,
			uint64_t time_ns)
{
	struct fixture *f = data;
	record(f, (struct record){.kind = REC_KEY, .domain = domain, .code = code, .state = state});
	if (!valid_domain(f, domain)) {
		return;
	}
	if (domain != f->model_focus || domain != tsr_seat_get_focus(f->seat)) {
		violation(f, "key %u to domain %d without focus", code, domain);
	}
	/* The one thing allowed for a chord key: before the action fires, the
	 * release of a modifier the guest had been given. */
	bool taking_back =
	    f->step_chord && f->step_actions == 0 && is_modifier(code) && state == TSR_KEY_RELEASED;
	if (f->model_swallowed[code] && !taking_back) {
		violation(f, "swallowed chord key %u (state %d) reached domain %d", code, state,
			  domain);
	}
	bool *down = &f->domain_keys[domain][code];
	if (state == TSR_KEY_PRESSED) {
		if (*down) {
			violation(f, "key %u pressed twice on domain %d", code, domain);
		}
		*down = true;
	} else if (state == TSR_KEY_RELEASED) {
		if (!*down) {
			violation(f, "key %u released on domain %d without a press", code, domain);
		}
		*down = false;
	} else if (!*down) {
		violation(f, "key %u repeated on domain %d without a press", code, domain);
	}
	if (f->step_is_key && code == f->step_code && (int)state == f->step_state) {
		f->step_deliveries++;
	}
}

static void deliver_focus_in(void *data, int domain, const uint32_t *held, size_t count)
{
	struct fixture *f = data;
	struct record r = {.kind = REC_FOCUS_IN, .domain = domain, .held_count = count};
	for (size_t i = 0; i < count && i < 8; i++) {
		r.held[i] = held[i];
	}
	record(f, r);
	if (!valid_domain(f, domain)) {
		return;
	}
	if (f->model_focus != -1) {
		violation(f, "focus in to %d while %d has focus", domain, f->model_focus);
	}
	f->model_focus = domain;
	for (size_t i = 0; i < count; i++) {
		if (held[i] >= KEY_CNT || !f->physical[held[i]] || f->model_swallowed[held[i]]) {
			violation(f, "focus in to %d with key %u not held or swallowed", domain,
				  held[i]);
			continue;
		}
		if (f->domain_keys[domain][held[i]]) {
			violation(f, "focus in to %d with key %u it already holds", domain,
				  held[i]);
		}
		f->domain_keys[domain][held[i]] = true;
	}
}

static void deliver_focus_out(void *data, int domain)
{
	struct fixture *f = data;
	record(f, (struct record){.kind = REC_FOCUS_OUT, .domain = domain});
	if (!valid_domain(f, domain)) {
		return;
	}
	if (f->model_focus != domain) {
		violation(f, "focus out of %d, which did not have focus", domain);
	}
	for (uint32_t code = 0; code < KEY_CNT; code++) {
		if (f->domain_keys[domain][code]) {
			violation(f, "focus out of %d with key %u still pressed", domain, code);
		}
	}
	for (size_t i = 0; i <= BTN_TASK - BTN_MOUSE; i++) {
		if (f->domain_buttons[domain][i]) {
			violation(f, "focus out of %d with a button still pressed", domain);
		}
	}
	f->model_focus = -1;
}

static void deliver_motion(void *data, int domain, int32_t x, int32_t y, uint64_t time_ns)
{
	struct fixture *f = data;
	record(f, (struct record){.kind = REC_MOTION, .domain = domain, .x = x, .y = y});
	if (valid_domain(f, domain) && !f->mosaic && domain != tsr_seat_get_focus(f->seat)) {
		violation(f, "motion to unfocused domain %d in the focus layout", domain);
	}
}

static void deliver_button(void *data, int domain, uint32_t button, enum tsr_button_state state,
			   uint64_t time_ns)
{
	struct fixture *f = data;
	record(f, (struct record){
		      .kind = REC_BUTTON, .domain = domain, .code = button, .state = state});
	if (!valid_domain(f, domain)) {
		return;
	}
	if (domain != tsr_seat_get_focus(f->seat)) {
		violation(f, "button to unfocused domain %d", domain);
	}
	bool *down = &f->domain_buttons[domain][button - BTN_MOUSE];
	if ((state == TSR_BUTTON_PRESSED) == *down) {
		violation(f, "button %u state %d unpaired on domain %d", button, state, domain);
	}
	*down = state == TSR_BUTTON_PRESSED;
	if (f->step_is_button && button == f->step_code && (int)state == f->step_state) {
		f->step_deliveries++;
	}
}

static void deliver_axis(void *data, int domain, enum tsr_pointer_axis axis, int32_t steps,
			 uint64_t time_ns)
{
	struct fixture *f = data;
	record(f,
	       (struct record){.kind = REC_AXIS, .domain = domain, .code = axis, .state = steps});
	if (valid_domain(f, domain) && !f->mosaic && domain != tsr_seat_get_focus(f->seat)) {
		violation(f, "scroll to unfocused domain %d in the focus layout", domain);
	}
}

static const struct tsr_seat_listener listener = {
    .action = on_action,
    .focus_clicked = on_focus_clicked,
    .pick_domain = pick_domain,
    .deliver_key = deliver_key,
    .deliver_focus_in = deliver_focus_in,
    .deliver_focus_out = deliver_focus_out,
    .deliver_motion = deliver_motion,
    .deliver_button = deliver_button,
    .deliver_axis = deliver_axis,
};

static struct tsr_hotkey hotkey(enum tsr_action action, int argument, uint32_t mod1, uint32_t mod2,
				uint32_t key)
{
	struct tsr_hotkey h = {.action = action, .argument = argument, .key = key};
	if (mod1 != 0) {
		h.modifiers[h.modifier_count++] = mod1;
	}
	if (mod2 != 0) {
		h.modifiers[h.modifier_count++] = mod2;
	}
	return h;
}

/* Ctrl+Alt+1..4 focus a domain; Meta+M toggles mosaic; Ctrl+Shift+N next. */
static struct fixture *fixture_create(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tsr_hotkey hotkeys[] = {
	    hotkey(TSR_ACTION_FOCUS_DOMAIN, 1, KEY_LEFTCTRL, KEY_LEFTALT, KEY_1),
	    hotkey(TSR_ACTION_FOCUS_DOMAIN, 2, KEY_LEFTCTRL, KEY_LEFTALT, KEY_2),
	    hotkey(TSR_ACTION_FOCUS_DOMAIN, 3, KEY_LEFTCTRL, KEY_LEFTALT, KEY_3),
	    hotkey(TSR_ACTION_FOCUS_DOMAIN, 4, KEY_LEFTCTRL, KEY_LEFTALT, KEY_4),
	    hotkey(TSR_ACTION_TOGGLE_MOSAIC, 0, KEY_LEFTMETA, 0, KEY_M),
	    hotkey(TSR_ACTION_FOCUS_NEXT, 0, KEY_LEFTCTRL, KEY_LEFTSHIFT, KEY_N),
	};
	f->seat = tsr_seat_create(hotkeys, sizeof(hotkeys) / sizeof(hotkeys[0]), &listener, f);
	CHECK(f->seat != NULL);
	f->follow_actions = true;
	f->model_focus = -1;
	tsr_seat_set_output_size(f->seat, OUTPUT_W, OUTPUT_H);
	tsr_seat_set_focus(f->seat, 0);
	f->record_count = 0;
	return f;
}

static void fixture_destroy(struct fixture *f)
{
	CHECK_EQ_INT(f->violations, 0);
	tsr_seat_destroy(f->seat);
	free(f);
}

static uint32_t modifier_partner(uint32_t left)
{
	switch (left) {
	case KEY_LEFTCTRL:
		return KEY_RIGHTCTRL;
	case KEY_LEFTALT:
		return KEY_RIGHTALT;
	case KEY_LEFTSHIFT:
		return KEY_RIGHTSHIFT;
	default:
		return KEY_RIGHTMETA;
	}
}

/* The chord the model expects a press of key to fire, or NONE. */
static enum tsr_action expected_chord(const struct fixture *f, uint32_t key)
{
	bool ctrl = f->physical[KEY_LEFTCTRL] || f->physical[KEY_RIGHTCTRL];
	bool alt = f->physical[KEY_LEFTALT] || f->physical[KEY_RIGHTALT];
	bool shift = f->physical[KEY_LEFTSHIFT] || f->physical[KEY_RIGHTSHIFT];
	bool meta = f->physical[KEY_LEFTMETA] || f->physical[KEY_RIGHTMETA];
	if (ctrl && alt && !shift && !meta && key >= KEY_1 && key <= KEY_4) {
		return TSR_ACTION_FOCUS_DOMAIN;
	}
	if (meta && !ctrl && !alt && !shift && key == KEY_M) {
		return TSR_ACTION_TOGGLE_MOSAIC;
	}
	if (ctrl && shift && !alt && !meta && key == KEY_N) {
		return TSR_ACTION_FOCUS_NEXT;
	}
	return TSR_ACTION_NONE;
}

static void begin_step(struct fixture *f, bool is_key, bool is_button, uint32_t code, int state)
{
	f->step_is_key = is_key;
	f->step_is_button = is_button;
	f->step_code = code;
	f->step_state = state;
	f->step_deliveries = 0;
	f->step_actions = 0;
	f->step_chord = false;
}

static void end_step(struct fixture *f)
{
	if (f->step_deliveries > 1) {
		violation(f, "event %u delivered %d times", f->step_code, f->step_deliveries);
	}
	for (int d = 0; d < DOMAINS; d++) {
		for (uint32_t code = 0; code < KEY_CNT; code++) {
			if (f->domain_keys[d][code] && !f->physical[code]) {
				violation(f, "domain %d holds key %u, which is up", d, code);
			}
		}
		for (size_t i = 0; i <= BTN_TASK - BTN_MOUSE; i++) {
			if (f->domain_buttons[d][i] && !f->physical_buttons[i]) {
				violation(f, "domain %d holds a button that is up", d);
			}
		}
	}
	if (f->model_focus != tsr_seat_get_focus(f->seat)) {
		violation(f, "model focus %d, seat focus %d", f->model_focus,
			  tsr_seat_get_focus(f->seat));
	}
}

static void press(struct fixture *f, uint32_t code)
{
	enum tsr_action expected = f->physical[code] ? TSR_ACTION_NONE : expected_chord(f, code);
	begin_step(f, true, false, code, TSR_KEY_PRESSED);
	bool was_down = f->physical[code];
	f->physical[code] = true;
	f->step_chord = expected != TSR_ACTION_NONE;
	f->chords_expected += f->step_chord;
	if (expected != TSR_ACTION_NONE) {
		/* The final key and every held modifier are now off limits. */
		f->model_swallowed[code] = true;
		for (uint32_t c = 0; c < KEY_CNT; c++) {
			if (f->physical[c] && is_modifier(c)) {
				f->model_swallowed[c] = true;
			}
		}
	}
	tsr_seat_key(f->seat, code, TSR_KEY_PRESSED, 1);
	if (was_down) {
		f->step_deliveries = 0; /* a second device: nothing new */
	}
	if (expected != TSR_ACTION_NONE) {
		if (f->step_actions != 1 || f->step_last_action != expected) {
			violation(f, "chord key %u: %d actions, expected action %d", code,
				  f->step_actions, expected);
		}
	} else if (f->step_actions != 0) {
		violation(f, "key %u fired an action it should not", code);
	}
	end_step(f);
}

static void release(struct fixture *f, uint32_t code)
{
	begin_step(f, true, false, code, TSR_KEY_RELEASED);
	tsr_seat_key(f->seat, code, TSR_KEY_RELEASED, 2);
	f->physical[code] = false;
	f->model_swallowed[code] = false;
	end_step(f);
}

static void repeat(struct fixture *f, uint32_t code)
{
	begin_step(f, true, false, code, TSR_KEY_REPEAT);
	tsr_seat_key(f->seat, code, TSR_KEY_REPEAT, 3);
	end_step(f);
}

static void button(struct fixture *f, uint32_t code, bool pressed)
{
	begin_step(f, false, true, code, pressed);
	if (pressed) {
		f->physical_buttons[code - BTN_MOUSE] = true;
	}
	tsr_seat_button(f->seat, code, pressed ? TSR_BUTTON_PRESSED : TSR_BUTTON_RELEASED, 4);
	if (!pressed) {
		f->physical_buttons[code - BTN_MOUSE] = false;
	}
	end_step(f);
}

static void move_to(struct fixture *f, int32_t x, int32_t y)
{
	begin_step(f, false, false, 0, 0);
	tsr_seat_pointer_motion_absolute(f->seat, x, y, 5);
	end_step(f);
}

static void set_focus(struct fixture *f, int domain)
{
	begin_step(f, false, false, 0, 0);
	tsr_seat_set_focus(f->seat, domain);
	end_step(f);
}

static bool domain_saw_key(const struct fixture *f, int domain, uint32_t code)
{
	for (size_t i = 0; i < f->record_count; i++) {
		if (f->records[i].kind == REC_KEY && f->records[i].domain == domain &&
		    f->records[i].code == code) {
			return true;
		}
	}
	return false;
}

static bool record_is_key(const struct record *r, int domain, uint32_t code, int state)
{
	return r->kind == REC_KEY && r->domain == domain && r->code == code && r->state == state;
}

static void test_typing_reaches_focused_domain(void)
{
	struct fixture *f = fixture_create();
	press(f, KEY_A);
	release(f, KEY_A);
	CHECK_EQ_INT(f->record_count, 2);
	CHECK(record_is_key(&f->records[0], 0, KEY_A, TSR_KEY_PRESSED));
	CHECK(record_is_key(&f->records[1], 0, KEY_A, TSR_KEY_RELEASED));
	set_focus(f, -1);
	f->record_count = 0;
	press(f, KEY_B);
	release(f, KEY_B);
	CHECK_EQ_INT(f->record_count, 0);
	fixture_destroy(f);
}

static void test_chord_switches_and_guest_sees_nothing(void)
{
	struct fixture *f = fixture_create();
	press(f, KEY_LEFTCTRL);
	press(f, KEY_LEFTALT);
	CHECK_EQ_INT(f->record_count, 0); /* held back: may be a chord */
	press(f, KEY_2);
	release(f, KEY_2);
	release(f, KEY_LEFTALT);
	release(f, KEY_LEFTCTRL);
	CHECK_EQ_INT(f->record_count, 3);
	CHECK(f->records[0].kind == REC_ACTION && f->records[0].code == TSR_ACTION_FOCUS_DOMAIN &&
	      f->records[0].state == 2);
	CHECK(f->records[1].kind == REC_FOCUS_OUT && f->records[1].domain == 0);
	CHECK(f->records[2].kind == REC_FOCUS_IN && f->records[2].domain == 1 &&
	      f->records[2].held_count == 0);
	CHECK_EQ_INT(tsr_seat_get_focus(f->seat), 1);
	fixture_destroy(f);
}

static void test_forwarded_modifier_is_released_before_action(void)
{
	struct fixture *f = fixture_create();
	press(f, KEY_LEFTCTRL);
	press(f, KEY_C); /* Ctrl+C is not a chord: Ctrl goes through first */
	release(f, KEY_C);
	press(f, KEY_LEFTALT);
	press(f, KEY_3);
	CHECK_EQ_INT(f->record_count, 7);
	CHECK(record_is_key(&f->records[0], 0, KEY_LEFTCTRL, TSR_KEY_PRESSED));
	CHECK(record_is_key(&f->records[1], 0, KEY_C, TSR_KEY_PRESSED));
	CHECK(record_is_key(&f->records[2], 0, KEY_C, TSR_KEY_RELEASED));
	CHECK(record_is_key(&f->records[3], 0, KEY_LEFTCTRL, TSR_KEY_RELEASED));
	CHECK(f->records[4].kind == REC_ACTION && f->records[4].state == 3);
	CHECK(f->records[5].kind == REC_FOCUS_OUT && f->records[5].domain == 0);
	CHECK(f->records[6].kind == REC_FOCUS_IN && f->records[6].domain == 2 &&
	      f->records[6].held_count == 0);
	CHECK(!domain_saw_key(f, 0, KEY_LEFTALT));
	CHECK(!domain_saw_key(f, 0, KEY_3));
	release(f, KEY_LEFTCTRL);
	release(f, KEY_LEFTALT);
	release(f, KEY_3);
	CHECK_EQ_INT(f->record_count, 7);
	fixture_destroy(f);
}

static void test_key_held_across_switch(void)
{
	struct fixture *f = fixture_create();
	press(f, KEY_A);
	press(f, KEY_RIGHTCTRL);
	press(f, KEY_LEFTALT);
	press(f, KEY_2);
	/* 0: a down, a up, focus out; action first; 1: focus in with a. */
	CHECK_EQ_INT(f->record_count, 5);
	CHECK(record_is_key(&f->records[0], 0, KEY_A, TSR_KEY_PRESSED));
	CHECK(f->records[1].kind == REC_ACTION);
	CHECK(record_is_key(&f->records[2], 0, KEY_A, TSR_KEY_RELEASED));
	CHECK(f->records[3].kind == REC_FOCUS_OUT && f->records[3].domain == 0);
	CHECK(f->records[4].kind == REC_FOCUS_IN && f->records[4].domain == 1 &&
	      f->records[4].held_count == 1 && f->records[4].held[0] == KEY_A);
	repeat(f, KEY_A);
	CHECK(record_is_key(&f->records[5], 1, KEY_A, TSR_KEY_REPEAT));
	repeat(f, KEY_2); /* swallowed: goes nowhere */
	CHECK_EQ_INT(f->record_count, 6);
	release(f, KEY_A);
	CHECK(record_is_key(&f->records[6], 1, KEY_A, TSR_KEY_RELEASED));
	release(f, KEY_2);
	release(f, KEY_LEFTALT);
	release(f, KEY_RIGHTCTRL);
	CHECK_EQ_INT(f->record_count, 7);
	fixture_destroy(f);
}

static void test_repeat_only_with_the_press(void)
{
	struct fixture *f = fixture_create();
	repeat(f, KEY_A); /* never pressed */
	press(f, KEY_LEFTCTRL);
	repeat(f, KEY_LEFTCTRL); /* held back: no repeat either */
	CHECK_EQ_INT(f->record_count, 0);
	release(f, KEY_LEFTCTRL); /* a tap: press and release, late */
	CHECK_EQ_INT(f->record_count, 2);
	CHECK(record_is_key(&f->records[0], 0, KEY_LEFTCTRL, TSR_KEY_PRESSED));
	CHECK(record_is_key(&f->records[1], 0, KEY_LEFTCTRL, TSR_KEY_RELEASED));
	press(f, KEY_B);
	repeat(f, KEY_B);
	CHECK(record_is_key(&f->records[3], 0, KEY_B, TSR_KEY_REPEAT));
	set_focus(f, 3);
	set_focus(f, -1); /* 3 got B with focus in, then gave it back */
	f->record_count = 0;
	repeat(f, KEY_B);
	CHECK_EQ_INT(f->record_count, 0);
	release(f, KEY_B);
	fixture_destroy(f);
}

static void test_right_hand_modifiers(void)
{
	struct fixture *f = fixture_create();
	press(f, KEY_RIGHTCTRL);
	press(f, KEY_RIGHTALT);
	press(f, KEY_4);
	CHECK_EQ_INT(tsr_seat_get_focus(f->seat), 3);
	release(f, KEY_4);
	press(f, KEY_LEFTCTRL); /* both Ctrls now: still exactly Ctrl+Alt */
	press(f, KEY_1);
	CHECK_EQ_INT(tsr_seat_get_focus(f->seat), 0);
	release(f, KEY_1);
	release(f, KEY_LEFTCTRL);
	release(f, KEY_RIGHTALT);
	release(f, KEY_RIGHTCTRL);
	for (size_t i = 0; i < f->record_count; i++) {
		CHECK(f->records[i].kind != REC_KEY);
	}
	fixture_destroy(f);
}

static void test_extra_modifier_is_not_a_chord(void)
{
	struct fixture *f = fixture_create();
	press(f, KEY_LEFTCTRL);
	press(f, KEY_LEFTALT);
	press(f, KEY_RIGHTSHIFT); /* Ctrl+Alt+Shift is in no chord: all flushed */
	press(f, KEY_2);
	CHECK_EQ_INT(tsr_seat_get_focus(f->seat), 0);
	CHECK_EQ_INT(f->record_count, 4);
	CHECK(record_is_key(&f->records[0], 0, KEY_LEFTCTRL, TSR_KEY_PRESSED));
	CHECK(record_is_key(&f->records[1], 0, KEY_LEFTALT, TSR_KEY_PRESSED));
	CHECK(record_is_key(&f->records[2], 0, KEY_RIGHTSHIFT, TSR_KEY_PRESSED));
	CHECK(record_is_key(&f->records[3], 0, KEY_2, TSR_KEY_PRESSED));
	release(f, KEY_2);
	release(f, KEY_RIGHTSHIFT);
	release(f, KEY_LEFTALT);
	release(f, KEY_LEFTCTRL);
	CHECK_EQ_INT(f->record_count, 8);
	/* Ctrl+Shift+N is a chord, so a lone Shift is held back too. */
	f->record_count = 0;
	press(f, KEY_LEFTSHIFT);
	CHECK_EQ_INT(f->record_count, 0);
	press(f, KEY_A);
	CHECK(record_is_key(&f->records[0], 0, KEY_LEFTSHIFT, TSR_KEY_PRESSED));
	CHECK(record_is_key(&f->records[1], 0, KEY_A, TSR_KEY_PRESSED));
	release(f, KEY_A);
	release(f, KEY_LEFTSHIFT);
	fixture_destroy(f);
}

static void test_ctrl_click_flushes_modifier(void)
{
	struct fixture *f = fixture_create();
	move_to(f, 100, 100);
	CHECK_EQ_INT(f->record_count, 1);
	CHECK(f->records[0].kind == REC_MOTION && f->records[0].domain == 0 &&
	      f->records[0].x == 100 && f->records[0].y == 100 - BANNER_H);
	press(f, KEY_LEFTCTRL);
	button(f, BTN_LEFT, true);
	CHECK_EQ_INT(f->record_count, 3);
	CHECK(record_is_key(&f->records[1], 0, KEY_LEFTCTRL, TSR_KEY_PRESSED));
	CHECK(f->records[2].kind == REC_BUTTON && f->records[2].domain == 0 &&
	      f->records[2].code == BTN_LEFT && f->records[2].state == TSR_BUTTON_PRESSED);
	button(f, BTN_LEFT, false);
	release(f, KEY_LEFTCTRL);
	CHECK_EQ_INT(f->record_count, 5);
	fixture_destroy(f);
}

static void test_pointer_focus_layout_and_clamp(void)
{
	struct fixture *f = fixture_create();
	move_to(f, 50, 5); /* the banner belongs to nobody */
	CHECK_EQ_INT(f->record_count, 0);
	button(f, BTN_LEFT, true);
	button(f, BTN_LEFT, false);
	CHECK_EQ_INT(f->record_count, 0);
	begin_step(f, false, false, 0, 0);
	tsr_seat_pointer_motion_relative(f->seat, 100000, 100000, 6);
	end_step(f);
	int32_t x, y;
	tsr_seat_get_cursor(f->seat, &x, &y);
	CHECK_EQ_INT(x, OUTPUT_W - 1);
	CHECK_EQ_INT(y, OUTPUT_H - 1);
	CHECK(f->records[0].kind == REC_MOTION && f->records[0].x == OUTPUT_W - 1);
	tsr_seat_pointer_motion_relative(f->seat, INT32_MIN, INT32_MIN, 7);
	tsr_seat_get_cursor(f->seat, &x, &y);
	CHECK_EQ_INT(x, 0);
	CHECK_EQ_INT(y, 0);
	fixture_destroy(f);
}

static void test_mosaic_click_focuses(void)
{
	struct fixture *f = fixture_create();
	press(f, KEY_LEFTMETA);
	press(f, KEY_M);
	release(f, KEY_M);
	release(f, KEY_LEFTMETA);
	CHECK(f->mosaic);
	f->record_count = 0;
	move_to(f, 300, 200); /* tile of domain 3 */
	CHECK(f->records[0].kind == REC_MOTION && f->records[0].domain == 3 &&
	      f->records[0].x == 300 - 200 - TILE_BORDER);
	button(f, BTN_LEFT, true);
	CHECK_EQ_INT(tsr_seat_get_focus(f->seat), 3);
	button(f, BTN_LEFT, false);
	CHECK_EQ_INT(f->record_count, 4); /* motion, click, focus out, focus in */
	CHECK(f->records[1].kind == REC_CLICK && f->records[1].domain == 3);
	for (size_t i = 0; i < f->record_count; i++) {
		CHECK(f->records[i].kind != REC_BUTTON);
	}
	button(f, BTN_RIGHT, true); /* now focused: delivered */
	button(f, BTN_RIGHT, false);
	CHECK_EQ_INT(f->record_count, 6);
	CHECK(f->records[4].kind == REC_BUTTON && f->records[4].domain == 3);
	press(f, KEY_A); /* the keyboard follows */
	CHECK(record_is_key(&f->records[6], 3, KEY_A, TSR_KEY_PRESSED));
	release(f, KEY_A);
	move_to(f, 5, 5); /* a border: nobody */
	button(f, BTN_LEFT, true);
	button(f, BTN_LEFT, false);
	CHECK_EQ_INT(f->record_count, 8);
	fixture_destroy(f);
}

static void test_button_held_across_focus_change(void)
{
	struct fixture *f = fixture_create();
	move_to(f, 100, 100);
	button(f, BTN_LEFT, true);
	set_focus(f, 2);
	CHECK(f->records[2].kind == REC_BUTTON && f->records[2].domain == 0 &&
	      f->records[2].state == TSR_BUTTON_RELEASED);
	button(f, BTN_LEFT, false); /* 2 never had it */
	for (size_t i = 3; i < f->record_count; i++) {
		CHECK(f->records[i].kind != REC_BUTTON);
	}
	fixture_destroy(f);
}

static void test_two_devices_hold_one_key(void)
{
	struct fixture *f = fixture_create();
	press(f, KEY_A);
	press(f, KEY_A); /* the other keyboard */
	CHECK_EQ_INT(f->record_count, 1);
	tsr_seat_key(f->seat, KEY_A, TSR_KEY_RELEASED, 1); /* first keyboard lets go */
	CHECK_EQ_INT(f->record_count, 1);
	release(f, KEY_A);
	CHECK_EQ_INT(f->record_count, 2);
	CHECK(record_is_key(&f->records[1], 0, KEY_A, TSR_KEY_RELEASED));
	fixture_destroy(f);
}

static void test_domain_removed(void)
{
	struct fixture *f = fixture_create();
	press(f, KEY_A);
	tsr_seat_domain_removed(f->seat, 0);
	/* The domain is gone: the model forgets it too. */
	f->domain_keys[0][KEY_A] = false;
	f->model_focus = -1;
	CHECK_EQ_INT(tsr_seat_get_focus(f->seat), -1);
	CHECK_EQ_INT(f->record_count, 1);
	set_focus(f, 1);
	CHECK(f->records[1].kind == REC_FOCUS_IN && f->records[1].domain == 1 &&
	      f->records[1].held_count == 1 && f->records[1].held[0] == KEY_A);
	release(f, KEY_A);
	CHECK(record_is_key(&f->records[2], 1, KEY_A, TSR_KEY_RELEASED));
	fixture_destroy(f);
}

static void test_bad_hotkeys_rejected(void)
{
	struct fixture f = {0};
	struct tsr_hotkey not_a_modifier = hotkey(TSR_ACTION_LOCK, 0, KEY_A, 0, KEY_B);
	CHECK(tsr_seat_create(&not_a_modifier, 1, &listener, &f) == NULL);
	struct tsr_hotkey modifier_as_key =
	    hotkey(TSR_ACTION_LOCK, 0, KEY_LEFTCTRL, 0, KEY_LEFTALT);
	CHECK(tsr_seat_create(&modifier_as_key, 1, &listener, &f) == NULL);
	struct tsr_hotkey button_as_key = hotkey(TSR_ACTION_LOCK, 0, KEY_LEFTCTRL, 0, BTN_LEFT);
	CHECK(tsr_seat_create(&button_as_key, 1, &listener, &f) == NULL);
	struct tsr_hotkey good = hotkey(TSR_ACTION_LOCK, 0, KEY_RIGHTMETA, 0, KEY_L);
	struct tsr_seat *seat = tsr_seat_create(&good, 1, &listener, &f);
	CHECK(seat != NULL);
	tsr_seat_destroy(seat);
	tsr_seat_destroy(NULL);
}

static uint64_t random_state = 0x9e3779b97f4a7c15u;

static uint32_t random_below(uint32_t limit)
{
	/* xorshift64*: reproducible, no libc state */
	random_state ^= random_state >> 12;
	random_state ^= random_state << 25;
	random_state ^= random_state >> 27;
	return (uint32_t)((random_state * 0x2545f4914f6cdd1du) >> 33) % limit;
}

/* Steers the random walk into chords, and into near misses: the chord's
 * modifiers (either side), other held modifiers only sometimes let go. */
static void chord_attempt(struct fixture *f)
{
	static const uint32_t chords[][3] = {
	    {KEY_LEFTCTRL, KEY_LEFTALT, KEY_1},	  {KEY_LEFTCTRL, KEY_LEFTALT, KEY_2},
	    {KEY_LEFTCTRL, KEY_LEFTALT, KEY_4},	  {KEY_LEFTMETA, 0, KEY_M},
	    {KEY_LEFTCTRL, KEY_LEFTSHIFT, KEY_N},
	};
	static const uint32_t modifiers[] = {KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTALT,
					     KEY_RIGHTALT, KEY_LEFTSHIFT, KEY_RIGHTSHIFT,
					     KEY_LEFTMETA, KEY_RIGHTMETA};
	const uint32_t *chord = chords[random_below(5)];
	for (size_t i = 0; i < 8; i++) {
		uint32_t folded = modifiers[i & ~1u];
		bool wanted = folded == chord[0] || folded == chord[1];
		if (!wanted && f->physical[modifiers[i]] && random_below(4) != 0) {
			release(f, modifiers[i]);
		}
	}
	for (size_t i = 0; i < 2; i++) {
		if (chord[i] == 0) {
			continue;
		}
		uint32_t left = chord[i];
		uint32_t code = random_below(2) ? left : modifier_partner(left);
		if (!f->physical[left] && !f->physical[modifier_partner(left)]) {
			press(f, code);
		}
	}
	if (f->physical[chord[2]]) {
		release(f, chord[2]);
	}
	press(f, chord[2]);
}

static void test_random_invariants(void)
{
	static const uint32_t keys[] = {
	    KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTALT, KEY_RIGHTALT, KEY_LEFTSHIFT, KEY_RIGHTSHIFT,
	    KEY_LEFTMETA, KEY_RIGHTMETA, KEY_1,	      KEY_2,	    KEY_3,	   KEY_4,
	    KEY_M,	  KEY_N,	 KEY_A,	      KEY_B,
	};
	static const uint32_t buttons[] = {BTN_LEFT, BTN_RIGHT, BTN_MIDDLE};
	const size_t key_count = sizeof(keys) / sizeof(keys[0]);
	struct fixture *f = fixture_create();
	long mosaic_steps = 0;
	for (long step = 0; step < 100000 && f->violations == 0; step++) {
		f->record_count = 0;
		uint32_t choice = random_below(100);
		if (choice < 6) {
			chord_attempt(f);
		} else if (choice < 65) {
			uint32_t code = keys[random_below(key_count)];
			if (!f->physical[code]) {
				press(f, code);
			} else if (random_below(4) == 0) {
				repeat(f, code);
			} else {
				release(f, code);
			}
		} else if (choice < 75) {
			begin_step(f, false, false, 0, 0);
			tsr_seat_pointer_motion_relative(f->seat, (int32_t)random_below(81) - 40,
							 (int32_t)random_below(81) - 40, 8);
			end_step(f);
		} else if (choice < 78) {
			move_to(f, (int32_t)random_below(OUTPUT_W + 20) - 10,
				(int32_t)random_below(OUTPUT_H + 20) - 10);
		} else if (choice < 90) {
			uint32_t code = buttons[random_below(3)];
			button(f, code, !f->physical_buttons[code - BTN_MOUSE]);
		} else if (choice < 94) {
			begin_step(f, false, false, 0, 0);
			tsr_seat_axis(f->seat, random_below(2), (int32_t)random_below(5) - 2, 9);
			end_step(f);
		} else if (choice < 98) {
			set_focus(f, (int)random_below(DOMAINS + 1) - 1);
		} else if (choice < 99) {
			f->mosaic = !f->mosaic;
			tsr_seat_set_mosaic(f->seat, f->mosaic);
		} else {
			int domain = (int)random_below(DOMAINS);
			tsr_seat_domain_removed(f->seat, domain);
			if (f->model_focus == domain) {
				memset(f->domain_keys[domain], 0, sizeof(f->domain_keys[domain]));
				memset(f->domain_buttons[domain], 0,
				       sizeof(f->domain_buttons[domain]));
				f->model_focus = -1;
			}
			end_step(f);
		}
		mosaic_steps += f->mosaic;
	}
	/* Let go of everything: every delivered press must now be released. */
	for (size_t i = 0; i < key_count; i++) {
		if (f->physical[keys[i]]) {
			release(f, keys[i]);
		}
	}
	for (size_t i = 0; i < 3; i++) {
		if (f->physical_buttons[buttons[i] - BTN_MOUSE]) {
			button(f, buttons[i], false);
		}
	}
	for (int d = 0; d < DOMAINS; d++) {
		for (uint32_t code = 0; code < KEY_CNT; code++) {
			CHECK(!f->domain_keys[d][code]);
		}
		for (size_t i = 0; i <= BTN_TASK - BTN_MOUSE; i++) {
			CHECK(!f->domain_buttons[d][i]);
		}
	}
	/* The run exercised what it claims to. */
	CHECK(f->chords_expected > 1000);
	CHECK(mosaic_steps > 1000);
	printf("     random: %ld chords fired, %ld steps in mosaic\n", f->chords_expected,
	       mosaic_steps);
	fixture_destroy(f);
}

TSR_TEST_MAIN(TSR_CASE(test_typing_reaches_focused_domain),
	      TSR_CASE(test_chord_switches_and_guest_sees_nothing),
	      TSR_CASE(test_forwarded_modifier_is_released_before_action),
	      TSR_CASE(test_key_held_across_switch), TSR_CASE(test_repeat_only_with_the_press),
	      TSR_CASE(test_right_hand_modifiers), TSR_CASE(test_extra_modifier_is_not_a_chord),
	      TSR_CASE(test_ctrl_click_flushes_modifier),
	      TSR_CASE(test_pointer_focus_layout_and_clamp), TSR_CASE(test_mosaic_click_focuses),
	      TSR_CASE(test_button_held_across_focus_change),
	      TSR_CASE(test_two_devices_hold_one_key), TSR_CASE(test_domain_removed),
	      TSR_CASE(test_bad_hotkeys_rejected), TSR_CASE(test_random_invariants))
