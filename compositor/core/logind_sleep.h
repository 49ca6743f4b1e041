/* logind's sleep hooks, mechanism only (core/suspend_lock.c decides what
 * to do with them): a connection to the system bus through sd-bus, a
 * "delay" inhibitor for "sleep" (Manager.Inhibit: an fd; logind waits for
 * its close, at most InhibitDelayMaxSec, before the system sleeps), and
 * Manager.PrepareForSleep reported to a listener.
 *
 * Never blocks the event loop: every call is asynchronous
 * (sd_bus_call_method_async, sd_bus_add_match_async), the bus fd and
 * sd-bus's timeout are watched by the loop, and one dispatch processes at
 * most a bounded number of messages (a flooding peer waits for the next
 * pass instead of starving the display). When logind goes away and comes
 * back (NameOwnerChanged), the old inhibitor is closed and a new one
 * taken. Only built with -Dlogind (libsystemd). */
#ifndef TSR_CORE_LOGIND_SLEEP_H
#define TSR_CORE_LOGIND_SLEEP_H

#include <stdbool.h>

struct tsr_event_loop;
struct tsr_logind_sleep;

struct tsr_logind_sleep_listener {
	/* PrepareForSleep(sleeping): true before the system sleeps (release
	 * the inhibitor when ready), false after it woke up. */
	void (*prepare_for_sleep)(void *data, bool sleeping);
	void *data;
};

/* Connects to the system bus and asks for an inhibitor. NULL (logged at
 * info level, one line) when there is no system bus. */
struct tsr_logind_sleep *tsr_logind_sleep_create(struct tsr_event_loop *loop,
						 const struct tsr_logind_sleep_listener *listener);
void tsr_logind_sleep_destroy(struct tsr_logind_sleep *sleep); /* accepts NULL */

/* Asks for a new inhibitor unless one is held or asked for already. */
void tsr_logind_sleep_inhibit(struct tsr_logind_sleep *sleep);
/* Closes the inhibitor: logind may let the system sleep now. Until the
 * next tsr_logind_sleep_inhibit no inhibitor is held (one still on its
 * way is closed when it arrives; logind coming back takes none). */
void tsr_logind_sleep_release(struct tsr_logind_sleep *sleep);
bool tsr_logind_sleep_held(const struct tsr_logind_sleep *sleep); /* false for NULL */

#endif
