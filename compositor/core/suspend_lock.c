/* Locking before suspend: the decisions (see suspend_lock.h). */
#include <stdlib.h>

#include "core/lock.h"
#include "core/server.h"
#include "core/suspend_lock.h"
#include "tessera/log.h"
#ifdef TSR_HAVE_LOGIND
#include "core/logind_sleep.h"
#endif

struct tsr_suspend_lock {
	struct tsr_server *server;
	struct tsr_logind_sleep *logind;
	/* PrepareForSleep(true) came: release once the lock is shown. */
	bool waiting;
};

#ifdef TSR_HAVE_LOGIND
static void release(struct tsr_suspend_lock *suspend, const char *why)
{
	suspend->waiting = false;
	if (tsr_logind_sleep_held(suspend->logind))
		tsr_log(TSR_LOG_INFO, "lock: suspend may go on (%s)", why);
	tsr_logind_sleep_release(suspend->logind);
}

static void handle_lock_shown(struct tsr_suspend_lock *suspend)
{
	if (suspend->waiting)
		release(suspend, "the lock screen is on every output");
}

static void prepare_for_sleep(void *data, bool sleeping)
{
	struct tsr_suspend_lock *suspend = data;
	struct tsr_server *server = suspend->server;
	if (!sleeping) {
		tsr_log(TSR_LOG_INFO, "lock: resumed from suspend");
		suspend->waiting = false;
		tsr_logind_sleep_inhibit(suspend->logind);
		return;
	}
	char err[160];
	if (!tsr_lock_engage(tsr_server_lock_screen(server), "suspend", err, sizeof(err))) {
		tsr_log(TSR_LOG_WARN, "lock: suspend was not preceded by a lock: %s", err);
		release(suspend, "not locked");
		return;
	}
	if (!tsr_logind_sleep_held(suspend->logind))
		tsr_log(TSR_LOG_WARN, "lock: locked for suspend without an inhibitor: the system "
				      "may sleep before the lock screen is shown");
	if (tsr_server_lock_shown(server)) {
		release(suspend, tsr_server_output_count(server)
				     ? "the lock screen is on every output"
				     : "no output to draw");
		return;
	}
	suspend->waiting = true;
}
#endif

struct tsr_suspend_lock *tsr_suspend_lock_create(struct tsr_server *server)
{
	if (!tsr_server_config(server)->lock.suspend) {
		tsr_log(TSR_LOG_INFO,
			"lock: [lock] suspend = no: suspend is not preceded by a lock");
		return NULL;
	}
#ifdef TSR_HAVE_LOGIND
	struct tsr_suspend_lock *suspend = calloc(1, sizeof(*suspend));
	if (!suspend)
		return NULL;
	suspend->server = server;
	struct tsr_logind_sleep_listener listener = {.prepare_for_sleep = prepare_for_sleep,
						     .data = suspend};
	suspend->logind = tsr_logind_sleep_create(tsr_server_loop(server), &listener);
	if (!suspend->logind) {
		free(suspend);
		return NULL;
	}
	tsr_server_attach_suspend_lock(server, suspend, handle_lock_shown);
	return suspend;
#else
	tsr_log(TSR_LOG_INFO, "lock: built without logind support (-Dlogind): suspend is not "
			      "preceded by a lock");
	return NULL;
#endif
}

void tsr_suspend_lock_destroy(struct tsr_suspend_lock *suspend)
{
	if (!suspend)
		return;
	struct tsr_server *server = suspend->server;
	if (tsr_server_suspend_lock(server) == suspend)
		tsr_server_attach_suspend_lock(server, NULL, NULL);
#ifdef TSR_HAVE_LOGIND
	tsr_logind_sleep_destroy(suspend->logind);
#endif
	free(suspend);
}

bool tsr_suspend_lock_inhibited(const struct tsr_suspend_lock *suspend)
{
#ifdef TSR_HAVE_LOGIND
	return suspend && tsr_logind_sleep_held(suspend->logind);
#else
	(void)suspend;
	return false;
#endif
}
