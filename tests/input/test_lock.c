/* The lock: its pure state machine (core/lock_policy.c) and the seat's lock
 * mode (input/seat.c), scripted and under random input. The random walk
 * drives both together, as the compositor does, and checks after every
 * callback: while locked nothing is delivered to any domain and no hotkey
 * fires; locking releases everything the focused domain held and sends it
 * a focus-out; nothing pressed while locked ever reaches a domain, not even
 * as a release or in a focus-in after unlocking. */
#include <linux/input-event-codes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/lock_policy.h"
#include "tessera/input.h"
#include "tessera/log.h"
#include "test.h"

__attribute__((weak)) void tsr_log(enum tsr_log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

#define NS 1000000000ull
#define DOMAINS 3

/* ---- the pure policy ---------------------------------------------------- */

static enum tsr_lock_key_result tap(struct tsr_lock_policy *policy, uint32_t code, uint64_t now)
{
	enum tsr_lock_key_result result = tsr_lock_policy_key(policy, code, TSR_KEY_PRESSED, now);
	tsr_lock_policy_key(policy, code, TSR_KEY_RELEASED, now);
	return result;
}

static void test_policy_typing(void)
{
	struct tsr_lock_policy policy;
	tsr_lock_policy_init(&policy);
	/* Unlocked: typing does nothing. */
	CHECK_EQ_INT(tap(&policy, KEY_A, 0), TSR_LOCK_KEY_IGNORED);
	CHECK(tsr_lock_policy_lock(&policy));
	CHECK(!tsr_lock_policy_lock(&policy));
	CHECK(tsr_lock_policy_locked(&policy));
	CHECK_EQ_INT(tap(&policy, KEY_ENTER, 0), TSR_LOCK_KEY_IGNORED); /* nothing typed */
	tap(&policy, KEY_S, 0);
	tsr_lock_policy_key(&policy, KEY_LEFTSHIFT, TSR_KEY_PRESSED, 0);
	tap(&policy, KEY_3, 0);
	tap(&policy, KEY_C, 0);
	tsr_lock_policy_key(&policy, KEY_LEFTSHIFT, TSR_KEY_RELEASED, 0);
	tap(&policy, KEY_CAPSLOCK, 0);
	tap(&policy, KEY_R, 0);
	tap(&policy, KEY_1, 0); /* Caps Lock shifts letters only */
	tap(&policy, KEY_CAPSLOCK, 0);
	tap(&policy, KEY_SPACE, 0);
	tap(&policy, KEY_X, 0);
	CHECK_EQ_INT(tap(&policy, KEY_BACKSPACE, 0), TSR_LOCK_KEY_CHANGED);
	CHECK_EQ_INT(tap(&policy, KEY_F1, 0), TSR_LOCK_KEY_IGNORED);
	/* A chord is not text: Ctrl+Alt+2 types nothing. */
	tsr_lock_policy_key(&policy, KEY_RIGHTCTRL, TSR_KEY_PRESSED, 0);
	tsr_lock_policy_key(&policy, KEY_LEFTALT, TSR_KEY_PRESSED, 0);
	CHECK_EQ_INT(tap(&policy, KEY_2, 0), TSR_LOCK_KEY_IGNORED);
	tsr_lock_policy_key(&policy, KEY_LEFTALT, TSR_KEY_RELEASED, 0);
	CHECK_EQ_INT(tap(&policy, KEY_2, 0), TSR_LOCK_KEY_IGNORED);
	tsr_lock_policy_key(&policy, KEY_RIGHTCTRL, TSR_KEY_RELEASED, 0);
	CHECK_EQ_INT(policy.typed_length, 6);
	CHECK(memcmp(policy.typed, "s#CR1 ", 6) == 0);
	CHECK_EQ_INT(tap(&policy, KEY_KPENTER, 0), TSR_LOCK_KEY_SUBMIT);
	char password[TSR_LOCK_PASSWORD_MAX + 1];
	CHECK(tsr_lock_policy_take(&policy, password, sizeof(password)));
	CHECK(strcmp(password, "s#CR1 ") == 0);
	/* Wiped where it was typed. */
	static const char zeros[TSR_LOCK_PASSWORD_MAX];
	CHECK(memcmp(policy.typed, zeros, sizeof(zeros)) == 0);
	CHECK_EQ_INT(policy.typed_length, 0);
	CHECK_EQ_INT(policy.state, TSR_LOCK_CHECKING);
	/* Checking: keys are ignored, nothing can be taken twice. */
	CHECK_EQ_INT(tap(&policy, KEY_A, 0), TSR_LOCK_KEY_IGNORED);
	CHECK(!tsr_lock_policy_take(&policy, password, sizeof(password)));
	tsr_lock_policy_checked(&policy, true, 0);
	CHECK(!tsr_lock_policy_locked(&policy));
	/* Escape clears; the field holds at most TSR_LOCK_PASSWORD_MAX - 1. */
	tsr_lock_policy_lock(&policy);
	for (int i = 0; i < 500; i++)
		tsr_lock_policy_key(&policy, KEY_A, i ? TSR_KEY_REPEAT : TSR_KEY_PRESSED, 0);
	CHECK_EQ_INT(policy.typed_length, TSR_LOCK_PASSWORD_MAX - 1);
	CHECK_EQ_INT(tap(&policy, KEY_ESC, 0), TSR_LOCK_KEY_CHANGED);
	CHECK_EQ_INT(policy.typed_length, 0);
	CHECK(memcmp(policy.typed, zeros, sizeof(zeros)) == 0);
	tsr_lock_policy_fini(&policy);
}

static void test_policy_rate_limit(void)
{
	CHECK_EQ_INT(tsr_lock_policy_delay_ns(0), 0);
	CHECK_EQ_INT(tsr_lock_policy_delay_ns(1), 1 * NS);
	CHECK_EQ_INT(tsr_lock_policy_delay_ns(2), 2 * NS);
	CHECK_EQ_INT(tsr_lock_policy_delay_ns(4), 8 * NS);
	CHECK_EQ_INT(tsr_lock_policy_delay_ns(7), 64 * NS);
	CHECK_EQ_INT(tsr_lock_policy_delay_ns(8), TSR_LOCK_DELAY_MAX_S * NS);
	CHECK_EQ_INT(tsr_lock_policy_delay_ns(UINT32_MAX), TSR_LOCK_DELAY_MAX_S * NS);

	struct tsr_lock_policy policy;
	tsr_lock_policy_init(&policy);
	tsr_lock_policy_lock(&policy);
	char password[TSR_LOCK_PASSWORD_MAX + 1];
	uint64_t now = 100 * NS;
	for (uint32_t failure = 1; failure <= 9; failure++) {
		tap(&policy, KEY_W, now);
		CHECK_EQ_INT(tap(&policy, KEY_ENTER, now), TSR_LOCK_KEY_SUBMIT);
		CHECK(tsr_lock_policy_take(&policy, password, sizeof(password)));
		tsr_lock_policy_checked(&policy, false, now);
		CHECK_EQ_INT(policy.failures, failure);
		CHECK_EQ_INT(policy.state, TSR_LOCK_LOCKED);
		uint64_t delay = tsr_lock_policy_delay_ns(failure);
		CHECK_EQ_INT(tsr_lock_policy_wait_ns(&policy, now), delay);
		/* Typing goes on during the delay; Enter does not submit. */
		tap(&policy, KEY_W, now);
		CHECK_EQ_INT(tap(&policy, KEY_ENTER, now + delay - 1), TSR_LOCK_KEY_IGNORED);
		CHECK_EQ_INT(policy.typed_length, 1);
		now += delay;
		CHECK_EQ_INT(tsr_lock_policy_wait_ns(&policy, now), 0);
		tap(&policy, KEY_BACKSPACE, now);
	}
	/* The right password resets everything. */
	tap(&policy, KEY_W, now);
	tap(&policy, KEY_ENTER, now);
	tsr_lock_policy_take(&policy, password, sizeof(password));
	tsr_lock_policy_checked(&policy, true, now);
	CHECK(!tsr_lock_policy_locked(&policy));
	CHECK_EQ_INT(policy.failures, 0);
	tsr_lock_policy_lock(&policy);
	CHECK_EQ_INT(tsr_lock_policy_wait_ns(&policy, now), 0);
	tsr_lock_policy_fini(&policy);
}

/* ---- the seat's lock mode, random walk ----------------------------------- */

static uint64_t random_state = 0x2545f4914f6cdd1du;
static uint32_t random_below(uint32_t limit)
{
	random_state ^= random_state >> 12;
	random_state ^= random_state << 25;
	random_state ^= random_state >> 27;
	return (uint32_t)((random_state * 0x2545f4914f6cdd1du) >> 33) % limit;
}

struct walk {
	struct tsr_seat *seat;
	struct tsr_lock_policy policy;
	bool locked; /* what the compositor told the seat */
	uint64_t now;
	/* What each domain believes it holds. */
	bool keys[DOMAINS][KEY_CNT];
	bool buttons[DOMAINS][BTN_TASK - BTN_MOUSE + 1];
	bool focused[DOMAINS];
	/* Pressed while locked and not yet released physically. */
	bool pressed_locked[KEY_CNT];
	bool physical[KEY_CNT];
	bool physical_buttons[BTN_TASK - BTN_MOUSE + 1];
	long violations, deliveries, lock_keys, submits, unlocks, locks, actions;
};

static void violation(struct walk *w, const char *fmt, ...)
{
	if (w->violations++ < 10) {
		va_list args;
		va_start(args, fmt);
		fprintf(stderr, "violation: ");
		vfprintf(stderr, fmt, args);
		fprintf(stderr, "\n");
		va_end(args);
	}
}

static bool domain_ok(struct walk *w, int domain, const char *what)
{
	w->deliveries++;
	if (w->locked) {
		violation(w, "%s delivered to domain %d while locked", what, domain);
		return false;
	}
	if (domain < 0 || domain >= DOMAINS) {
		violation(w, "%s delivered to domain %d", what, domain);
		return false;
	}
	return true;
}

static void on_action(void *data, enum tsr_action action, int argument)
{
	struct walk *w = data;
	(void)argument;
	w->actions++;
	if (w->locked)
		violation(w, "hotkey action %d fired while locked", action);
}

static void on_click(void *data, int domain)
{
	struct walk *w = data;
	if (w->locked)
		violation(w, "focus click on %d while locked", domain);
}

static int on_pick(void *data, int32_t x, int32_t y, int32_t *lx, int32_t *ly)
{
	(void)data;
	*lx = x % 100;
	*ly = y;
	return x / 100 < DOMAINS ? x / 100 : -1;
}

static void on_key(void *data, int domain, uint32_t code, enum tsr_key_state state, uint64_t t)
{
	struct walk *w = data;
	(void)t;
	if (!domain_ok(w, domain, "key"))
		return;
	if (state == TSR_KEY_PRESSED && w->pressed_locked[code])
		violation(w, "key %u pressed on the lock screen reached domain %d", code, domain);
	if (state == TSR_KEY_RELEASED && !w->keys[domain][code])
		violation(w, "release of %u to domain %d, which does not hold it", code, domain);
	if (state != TSR_KEY_REPEAT)
		w->keys[domain][code] = state == TSR_KEY_PRESSED;
}

static void on_focus_in(void *data, int domain, const uint32_t *held, size_t count)
{
	struct walk *w = data;
	if (!domain_ok(w, domain, "focus-in"))
		return;
	w->focused[domain] = true;
	for (size_t i = 0; i < count; i++) {
		if (w->pressed_locked[held[i]])
			violation(w, "focus-in hands key %u, pressed while locked", held[i]);
		w->keys[domain][held[i]] = true;
	}
}

static void on_focus_out(void *data, int domain)
{
	struct walk *w = data;
	if (!domain_ok(w, domain, "focus-out"))
		return;
	w->focused[domain] = false;
	for (uint32_t code = 0; code < KEY_CNT; code++)
		if (w->keys[domain][code])
			violation(w, "focus-out to %d while it holds key %u", domain, code);
}

static void on_motion(void *data, int domain, int32_t x, int32_t y, uint64_t t)
{
	(void)x, (void)y, (void)t;
	domain_ok(data, domain, "motion");
}

static void on_button(void *data, int domain, uint32_t button, enum tsr_button_state state,
		      uint64_t t)
{
	struct walk *w = data;
	(void)t;
	if (!domain_ok(w, domain, "button"))
		return;
	w->buttons[domain][button - BTN_MOUSE] = state == TSR_BUTTON_PRESSED;
}

static void on_axis(void *data, int domain, enum tsr_pointer_axis axis, int32_t steps, uint64_t t)
{
	(void)axis, (void)steps, (void)t;
	domain_ok(data, domain, "axis");
}

static void set_locked(struct walk *w, bool locked)
{
	if (locked) {
		if (tsr_lock_policy_lock(&w->policy))
			w->locks++;
		tsr_seat_set_locked(w->seat, true);
		w->locked = true; /* after: the releases of locking are allowed */
		/* Locking left every domain holding nothing, focused by none. */
		for (int d = 0; d < DOMAINS; d++) {
			if (w->focused[d])
				violation(w, "domain %d still focused after locking", d);
			for (uint32_t c = 0; c < KEY_CNT; c++)
				if (w->keys[d][c])
					violation(w, "domain %d still holds key %u when locked", d,
						  c);
			for (size_t b = 0; b < BTN_TASK - BTN_MOUSE + 1; b++)
				if (w->buttons[d][b])
					violation(w, "domain %d still holds a button when locked",
						  d);
		}
		return;
	}
	w->locked = false;
	w->unlocks++;
	tsr_seat_set_locked(w->seat, false);
}

static void on_lock_key(void *data, uint32_t code, enum tsr_key_state state, uint64_t t)
{
	struct walk *w = data;
	(void)t;
	w->lock_keys++;
	if (!w->locked)
		violation(w, "lock_key %u while unlocked", code);
	if (tsr_lock_policy_key(&w->policy, code, state, w->now) == TSR_LOCK_KEY_SUBMIT) {
		char password[TSR_LOCK_PASSWORD_MAX + 1];
		if (!tsr_lock_policy_take(&w->policy, password, sizeof(password)))
			violation(w, "submit without a password");
		w->submits++;
		/* PAM's answer, at random: accepted one time in two. */
		bool accepted = random_below(2) == 0;
		tsr_lock_policy_checked(&w->policy, accepted, w->now);
		if (accepted)
			set_locked(w, false);
	}
}

static const struct tsr_seat_listener walk_listener = {
    .action = on_action,
    .focus_clicked = on_click,
    .pick_domain = on_pick,
    .deliver_key = on_key,
    .deliver_focus_in = on_focus_in,
    .deliver_focus_out = on_focus_out,
    .deliver_motion = on_motion,
    .deliver_button = on_button,
    .deliver_axis = on_axis,
    .lock_key = on_lock_key,
};

static void test_random_walk(void)
{
	static const struct tsr_hotkey hotkeys[] = {
	    {TSR_ACTION_LOCK, 0, {KEY_LEFTCTRL, KEY_LEFTALT}, 2, KEY_L},
	    {TSR_ACTION_FOCUS_NEXT, 0, {KEY_LEFTCTRL, KEY_LEFTALT}, 2, KEY_TAB},
	    {TSR_ACTION_GPU_HANDOFF, 0, {KEY_LEFTCTRL, KEY_LEFTALT}, 2, KEY_G},
	    {TSR_ACTION_TOGGLE_MOSAIC, 0, {KEY_LEFTMETA}, 1, KEY_M},
	};
	static const uint32_t keys[] = {
	    KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTALT, KEY_LEFTMETA, KEY_LEFTSHIFT, KEY_L,
	    KEY_TAB,	  KEY_G,	 KEY_M,	      KEY_A,	    KEY_ENTER,	   KEY_BACKSPACE,
	    KEY_1,	  KEY_ESC,	 KEY_SPACE,   KEY_CAPSLOCK,
	};
	struct walk *w = calloc(1, sizeof(*w));
	tsr_lock_policy_init(&w->policy);
	w->seat = tsr_seat_create(hotkeys, 4, &walk_listener, w);
	CHECK(w->seat != NULL);
	if (!w->seat) {
		free(w);
		return;
	}
	tsr_seat_set_output_size(w->seat, 400, 100);
	tsr_seat_set_focus(w->seat, 0);
	long locked_steps = 0;
	for (long step = 0; step < 400000; step++) {
		w->now += random_below(3) * NS / 2;
		uint32_t choice = random_below(100);
		if (choice < 55) {
			uint32_t code = keys[random_below(sizeof(keys) / sizeof(keys[0]))];
			if (!w->physical[code]) {
				w->physical[code] = true;
				w->pressed_locked[code] = w->locked;
				tsr_seat_key(w->seat, code, TSR_KEY_PRESSED, w->now);
			} else if (random_below(4) == 0) {
				tsr_seat_key(w->seat, code, TSR_KEY_REPEAT, w->now);
			} else {
				w->physical[code] = false;
				tsr_seat_key(w->seat, code, TSR_KEY_RELEASED, w->now);
				w->pressed_locked[code] = false;
			}
		} else if (choice < 65) {
			uint32_t button = BTN_LEFT + random_below(3);
			bool *held = &w->physical_buttons[button - BTN_MOUSE];
			*held = !*held;
			tsr_seat_button(w->seat, button,
					*held ? TSR_BUTTON_PRESSED : TSR_BUTTON_RELEASED, w->now);
		} else if (choice < 75) {
			tsr_seat_pointer_motion_absolute(w->seat, (int32_t)random_below(400),
							 (int32_t)random_below(100), w->now);
		} else if (choice < 80) {
			tsr_seat_axis(w->seat, TSR_AXIS_VERTICAL, 1, w->now);
		} else if (choice < 85) {
			/* The compositor changes focus (GPU policy, a guest
			 * coming or going): never a delivery while locked. */
			tsr_seat_set_focus(w->seat, (int)random_below(DOMAINS + 1) - 1);
		} else if (choice < 87) {
			/* Gone: the seat forgets what it gave, telling nobody. */
			int gone = (int)random_below(DOMAINS);
			if (!w->locked && tsr_seat_get_focus(w->seat) == gone) {
				w->focused[gone] = false;
				memset(w->keys[gone], 0, sizeof(w->keys[gone]));
				memset(w->buttons[gone], 0, sizeof(w->buttons[gone]));
			}
			tsr_seat_domain_removed(w->seat, gone);
		} else if (choice < 89) {
			tsr_seat_set_mosaic(w->seat, random_below(2));
		} else if (choice < 90) {
			set_locked(w, true); /* idle timeout, tessera-ctl lock */
		}
		if (w->locked)
			locked_steps++;
		if (tsr_seat_locked(w->seat) != w->locked)
			violation(w, "the seat's lock state differs");
	}
	fprintf(stderr,
		"random walk: %ld locks, %ld unlocks, %ld locked steps, %ld keys to the lock "
		"screen, %ld submits, %ld deliveries, %ld hotkey actions\n",
		w->locks, w->unlocks, locked_steps, w->lock_keys, w->submits, w->deliveries,
		w->actions);
	CHECK(w->locks > 100 && w->unlocks > 100 && w->submits > 100);
	CHECK(w->deliveries > 1000 && w->actions > 10);
	CHECK_EQ_INT(w->violations, 0);
	tsr_seat_destroy(w->seat);
	tsr_lock_policy_fini(&w->policy);
	free(w);
}

/* The lock hotkey itself fires (it is how Ctrl+Alt+L locks), but once
 * locked the same chord, and every other, does nothing. */
static void test_hotkeys_suppressed_while_locked(void)
{
	static const struct tsr_hotkey hotkeys[] = {
	    {TSR_ACTION_LOCK, 0, {KEY_LEFTCTRL, KEY_LEFTALT}, 2, KEY_L},
	    {TSR_ACTION_GPU_HANDOFF, 0, {KEY_LEFTCTRL, KEY_LEFTALT}, 2, KEY_G},
	};
	struct walk *w = calloc(1, sizeof(*w));
	tsr_lock_policy_init(&w->policy);
	w->seat = tsr_seat_create(hotkeys, 2, &walk_listener, w);
	tsr_seat_set_focus(w->seat, 1);
	uint32_t chord[] = {KEY_LEFTCTRL, KEY_LEFTALT, KEY_L};
	for (int i = 0; i < 3; i++)
		tsr_seat_key(w->seat, chord[i], TSR_KEY_PRESSED, 0);
	CHECK_EQ_INT(w->actions, 1);
	set_locked(w, true);
	for (int i = 2; i >= 0; i--)
		tsr_seat_key(w->seat, chord[i], TSR_KEY_RELEASED, 0);
	tsr_seat_key(w->seat, KEY_LEFTCTRL, TSR_KEY_PRESSED, 0);
	tsr_seat_key(w->seat, KEY_LEFTALT, TSR_KEY_PRESSED, 0);
	tsr_seat_key(w->seat, KEY_G, TSR_KEY_PRESSED, 0);
	tsr_seat_key(w->seat, KEY_L, TSR_KEY_PRESSED, 0);
	CHECK_EQ_INT(w->actions, 1);
	CHECK_EQ_INT(w->violations, 0);
	CHECK_EQ_INT(tsr_seat_get_focus(w->seat), 1); /* what unlocking restores */
	tsr_seat_destroy(w->seat);
	free(w);
}

TSR_TEST_MAIN({"policy typing", test_policy_typing}, {"policy rate limit", test_policy_rate_limit},
	      {"hotkeys suppressed while locked", test_hotkeys_suppressed_while_locked},
	      {"random walk", test_random_walk})
