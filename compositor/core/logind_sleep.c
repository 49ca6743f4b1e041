/* logind's sleep inhibitor over sd-bus, driven by Tessera's event loop
 * (see logind_sleep.h). sd-bus is used only asynchronously: sd_bus_call*
 * and sd_bus_flush would wait for a peer, and a slow or hostile peer on
 * the system bus must never stall the display. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "core/logind_sleep.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"

#define LOGIND_NAME "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
/* Messages handled per loop pass; more wait for the next pass. */
#define MESSAGES_PER_PASS 32

struct tsr_logind_sleep {
	struct tsr_event_loop *loop;
	struct tsr_logind_sleep_listener listener;
	sd_bus *bus;
	struct tsr_event_source *bus_source, *timer, *more; /* more: an idle pass */
	sd_bus_slot *inhibit_call;			    /* an Inhibit in flight */
	int inhibitor_fd;				    /* -1: none held */
	/* Asked for and not released since: an Inhibit answered after a
	 * release (the system is going to sleep) is closed at once. */
	bool wanted;
	bool failure_logged; /* Inhibit failing is said once, not per resume */
};

static void process(struct tsr_logind_sleep *sleep);

static void handle_more(void *data)
{
	struct tsr_logind_sleep *sleep = data;
	sleep->more = NULL;
	process(sleep);
}

/* What the loop watches follows what sd-bus wants now. */
static void update_watch(struct tsr_logind_sleep *sleep)
{
	if (!sleep->bus)
		return;
	int events = sd_bus_get_events(sleep->bus);
	uint32_t mask = 0;
	if (events > 0 && (events & POLLIN))
		mask |= TSR_EVENT_READABLE;
	if (events > 0 && (events & POLLOUT))
		mask |= TSR_EVENT_WRITABLE;
	tsr_event_source_fd_update(sleep->bus_source, mask);
	uint64_t until_us = UINT64_MAX;
	if (sd_bus_get_timeout(sleep->bus, &until_us) < 0 || until_us == UINT64_MAX) {
		tsr_event_source_timer_update(sleep->timer, 0);
		return;
	}
	uint64_t now_ns = tsr_now_ns(), until_ns = until_us * 1000u;
	/* 0 would disarm: a deadline already passed fires at once. */
	tsr_event_source_timer_update(sleep->timer, until_ns > now_ns ? until_ns - now_ns : 1);
}

static void close_inhibitor(struct tsr_logind_sleep *sleep)
{
	if (sleep->inhibitor_fd >= 0)
		close(sleep->inhibitor_fd);
	sleep->inhibitor_fd = -1;
}

static void disconnect(struct tsr_logind_sleep *sleep, int error)
{
	tsr_log(TSR_LOG_WARN,
		"logind: the system bus connection is gone (%s): suspend is not preceded by "
		"a lock until Tessera is restarted",
		strerror(error));
	close_inhibitor(sleep);
	sleep->inhibit_call = sd_bus_slot_unref(sleep->inhibit_call);
	tsr_event_source_remove(sleep->bus_source);
	tsr_event_source_remove(sleep->timer);
	tsr_event_source_remove(sleep->more);
	sleep->bus_source = sleep->timer = sleep->more = NULL;
	sd_bus_close(sleep->bus);
	sleep->bus = sd_bus_unref(sleep->bus);
}

static void process(struct tsr_logind_sleep *sleep)
{
	if (!sleep->bus)
		return;
	int handled = 0, r = 0;
	while (handled < MESSAGES_PER_PASS && (r = sd_bus_process(sleep->bus, NULL)) > 0)
		handled++;
	if (r < 0 || !sd_bus_is_open(sleep->bus)) {
		disconnect(sleep, r < 0 ? -r : ENOTCONN);
		return;
	}
	if (handled == MESSAGES_PER_PASS && !sleep->more)
		sleep->more = tsr_event_loop_add_idle(sleep->loop, handle_more, sleep);
	update_watch(sleep);
}

static void handle_bus(int fd, uint32_t mask, void *data)
{
	(void)fd;
	(void)mask;
	process(data);
}

static void handle_timer(void *data)
{
	process(data);
}

static int inhibit_done(sd_bus_message *reply, void *data, sd_bus_error *ret_error)
{
	struct tsr_logind_sleep *sleep = data;
	(void)ret_error;
	sleep->inhibit_call = sd_bus_slot_unref(sleep->inhibit_call);
	const sd_bus_error *error = sd_bus_message_get_error(reply);
	int fd = -1;
	if (!error && sd_bus_message_read(reply, "h", &fd) < 0)
		fd = -1;
	if (error || fd < 0) {
		if (!sleep->failure_logged)
			tsr_log(TSR_LOG_INFO,
				"logind: no sleep inhibitor (%s): suspend is not preceded by a "
				"lock",
				error && error->message ? error->message : "no fd in the reply");
		sleep->failure_logged = true;
		return 0;
	}
	close_inhibitor(sleep);
	if (!sleep->wanted)
		return 0; /* released meanwhile: never delay this suspend */
	/* The message owns fd; keep a copy of our own. */
	sleep->inhibitor_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (sleep->inhibitor_fd < 0) {
		tsr_log_errno(TSR_LOG_WARN, "logind: keeping the inhibitor fd");
		return 0;
	}
	sleep->failure_logged = false;
	tsr_log(TSR_LOG_INFO, "logind: holding a delay inhibitor for sleep (the lock screen is "
			      "shown before suspend)");
	return 0;
}

static void request(struct tsr_logind_sleep *sleep)
{
	if (!sleep->bus || sleep->inhibitor_fd >= 0 || sleep->inhibit_call)
		return;
	int r =
	    sd_bus_call_method_async(sleep->bus, &sleep->inhibit_call, LOGIND_NAME, LOGIND_PATH,
				     LOGIND_MANAGER, "Inhibit", inhibit_done, sleep, "ssss",
				     "sleep", "Tessera", "Lock the screen before suspend", "delay");
	if (r < 0)
		tsr_log(TSR_LOG_WARN, "logind: cannot ask for an inhibitor: %s", strerror(-r));
	update_watch(sleep);
}

void tsr_logind_sleep_inhibit(struct tsr_logind_sleep *sleep)
{
	if (!sleep)
		return;
	sleep->wanted = true;
	request(sleep);
}

void tsr_logind_sleep_release(struct tsr_logind_sleep *sleep)
{
	if (sleep)
		sleep->wanted = false;
	if (sleep && sleep->inhibitor_fd >= 0) {
		close_inhibitor(sleep);
		tsr_log(TSR_LOG_INFO, "logind: sleep inhibitor released");
	}
}

bool tsr_logind_sleep_held(const struct tsr_logind_sleep *sleep)
{
	return sleep && sleep->inhibitor_fd >= 0;
}

static int handle_prepare(sd_bus_message *message, void *data, sd_bus_error *ret_error)
{
	struct tsr_logind_sleep *sleep = data;
	(void)ret_error;
	int sleeping = 0;
	if (sd_bus_message_read(message, "b", &sleeping) < 0)
		return 0;
	sleep->listener.prepare_for_sleep(sleep->listener.data, sleeping != 0);
	return 0;
}

/* logind restarted: its inhibitors died with it, take a new one. */
static int handle_owner(sd_bus_message *message, void *data, sd_bus_error *ret_error)
{
	struct tsr_logind_sleep *sleep = data;
	(void)ret_error;
	const char *name = NULL, *old_owner = NULL, *new_owner = NULL;
	if (sd_bus_message_read(message, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, LOGIND_NAME) != 0)
		return 0;
	if (old_owner[0]) {
		close_inhibitor(sleep);
		sleep->inhibit_call = sd_bus_slot_unref(sleep->inhibit_call);
	}
	if (new_owner[0]) {
		tsr_log(TSR_LOG_INFO, "logind: %s is (back) on the bus", LOGIND_NAME);
		sleep->failure_logged = false;
		if (sleep->wanted)
			request(sleep);
	} else {
		tsr_log(TSR_LOG_INFO, "logind: %s left the bus: no sleep inhibitor", LOGIND_NAME);
	}
	return 0;
}

struct tsr_logind_sleep *tsr_logind_sleep_create(struct tsr_event_loop *loop,
						 const struct tsr_logind_sleep_listener *listener)
{
	struct tsr_logind_sleep *sleep = calloc(1, sizeof(*sleep));
	if (!sleep)
		return NULL;
	sleep->loop = loop;
	sleep->listener = *listener;
	sleep->inhibitor_fd = -1;
	/* Connecting does not wait: authentication and Hello go through
	 * the loop like everything else. */
	int r = sd_bus_open_system_with_description(&sleep->bus, "tessera-logind");
	if (r < 0) {
		tsr_log(TSR_LOG_INFO,
			"logind: no system bus (%s): suspend is not preceded by a lock",
			strerror(-r));
		goto fail;
	}
	int fd = sd_bus_get_fd(sleep->bus);
	sleep->bus_source =
	    fd >= 0 ? tsr_event_loop_add_fd(loop, fd, TSR_EVENT_READABLE, handle_bus, sleep) : NULL;
	sleep->timer = tsr_event_loop_add_timer(loop, handle_timer, sleep);
	if (!sleep->bus_source || !sleep->timer) {
		tsr_log(TSR_LOG_WARN, "logind: cannot watch the system bus");
		goto fail;
	}
	r = sd_bus_match_signal_async(sleep->bus, NULL, LOGIND_NAME, LOGIND_PATH, LOGIND_MANAGER,
				      "PrepareForSleep", handle_prepare, NULL, sleep);
	if (r >= 0)
		r = sd_bus_add_match_async(sleep->bus, NULL,
					   "type='signal',sender='org.freedesktop.DBus',"
					   "path='/org/freedesktop/DBus',"
					   "interface='org.freedesktop.DBus',"
					   "member='NameOwnerChanged',arg0='" LOGIND_NAME "'",
					   handle_owner, NULL, sleep);
	if (r < 0) {
		tsr_log(TSR_LOG_WARN, "logind: cannot watch logind's signals: %s", strerror(-r));
		goto fail;
	}
	tsr_logind_sleep_inhibit(sleep);
	return sleep;
fail:
	tsr_logind_sleep_destroy(sleep);
	return NULL;
}

void tsr_logind_sleep_destroy(struct tsr_logind_sleep *sleep)
{
	if (!sleep)
		return;
	close_inhibitor(sleep);
	sd_bus_slot_unref(sleep->inhibit_call);
	tsr_event_source_remove(sleep->bus_source);
	tsr_event_source_remove(sleep->timer);
	tsr_event_source_remove(sleep->more);
	/* Closed without a flush, which could wait for the peer. */
	if (sleep->bus)
		sd_bus_close(sleep->bus);
	sd_bus_unref(sleep->bus);
	free(sleep);
}
