/* The lock before suspend (policy; the logind mechanism is
 * core/logind_sleep.c). Where logind runs, Tessera holds a sleep "delay"
 * inhibitor. On PrepareForSleep(true) it locks as `tessera-ctl lock` does
 * and lets the system sleep (closes the inhibitor) only once every output
 * has shown the lock screen, so the first picture after resume is the lock
 * screen, never a guest; at once when there is no output, or when the lock
 * is refused (no [lock] user). On resume it takes a new inhibitor. With
 * [lock] suspend = no, or a build without -Dlogind, nothing is inhibited. */
#ifndef TSR_CORE_SUSPEND_LOCK_H
#define TSR_CORE_SUSPEND_LOCK_H

#include <stdbool.h>

struct tsr_server;
struct tsr_suspend_lock;

/* After tsr_lock_create (tsr_server_lock_screen), before privileges are
 * dropped. NULL (logged, one line) when nothing is to be done: [lock]
 * suspend = no, no logind support built, no system bus. Attaches itself to
 * server (tsr_server_attach_suspend_lock), which tells it when the lock
 * screen is shown. */
struct tsr_suspend_lock *tsr_suspend_lock_create(struct tsr_server *server);
void tsr_suspend_lock_destroy(struct tsr_suspend_lock *suspend); /* accepts NULL */

/* Whether a sleep inhibitor is held now (false for NULL). */
bool tsr_suspend_lock_inhibited(const struct tsr_suspend_lock *suspend);

#endif
