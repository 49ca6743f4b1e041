/* epoll-based event loop. Removed sources are only marked during a
 * dispatch and freed at its end, so a callback may remove any source
 * (itself included) while events for it are still in the ready list. */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "tessera/event_loop.h"
#include "tessera/log.h"

enum source_kind { SOURCE_FD, SOURCE_TIMER, SOURCE_SIGNAL, SOURCE_IDLE };

struct tsr_event_source {
	struct tsr_event_loop *loop;
	enum source_kind kind;
	int fd;		       /* the watched fd, or the timerfd/signalfd we own */
	uint32_t epoll_events; /* what epoll watches now: a same-mask update is no syscall */
	bool removed;
	union {
		tsr_fd_func fd_func;
		tsr_timer_func timer_func;
		tsr_signal_func signal_func;
		tsr_idle_func idle_func;
	} func;
	void *data;
	int signal_number;
	struct tsr_event_source *next; /* in the idle or the dead list */
};

struct tsr_event_loop {
	int epoll_fd;
	struct tsr_event_source *idle_list;
	struct tsr_event_source *dead_list;
};

uint64_t tsr_now_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

struct tsr_event_loop *tsr_event_loop_create(void)
{
	struct tsr_event_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0) {
		tsr_log_errno(TSR_LOG_ERROR, "epoll_create1 failed");
		free(loop);
		return NULL;
	}
	return loop;
}

static void free_list(struct tsr_event_source *source)
{
	while (source) {
		struct tsr_event_source *next = source->next;
		free(source);
		source = next;
	}
}

void tsr_event_loop_destroy(struct tsr_event_loop *loop)
{
	if (!loop)
		return;
	free_list(loop->idle_list);
	free_list(loop->dead_list);
	close(loop->epoll_fd);
	free(loop);
}

static uint32_t to_epoll_mask(uint32_t mask)
{
	uint32_t events = 0;
	if (mask & TSR_EVENT_READABLE)
		events |= EPOLLIN;
	if (mask & TSR_EVENT_WRITABLE)
		events |= EPOLLOUT;
	return events;
}

static struct tsr_event_source *add_source(struct tsr_event_loop *loop, enum source_kind kind,
					   int fd, uint32_t mask, void *data)
{
	struct tsr_event_source *source = calloc(1, sizeof(*source));
	if (!source)
		return NULL;
	source->loop = loop;
	source->kind = kind;
	source->fd = fd;
	source->data = data;
	source->epoll_events = to_epoll_mask(mask);
	struct epoll_event event = {.events = source->epoll_events, .data.ptr = source};
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) {
		tsr_log_errno(TSR_LOG_ERROR, "epoll_ctl(ADD, fd %d) failed", fd);
		free(source);
		return NULL;
	}
	return source;
}

struct tsr_event_source *tsr_event_loop_add_fd(struct tsr_event_loop *loop, int fd, uint32_t mask,
					       tsr_fd_func func, void *data)
{
	struct tsr_event_source *source = add_source(loop, SOURCE_FD, fd, mask, data);
	if (source)
		source->func.fd_func = func;
	return source;
}

bool tsr_event_source_fd_update(struct tsr_event_source *source, uint32_t mask)
{
	/* Transports update after every send: most updates change nothing. */
	uint32_t events = to_epoll_mask(mask);
	if (events == source->epoll_events)
		return true;
	struct epoll_event event = {.events = events, .data.ptr = source};
	if (epoll_ctl(source->loop->epoll_fd, EPOLL_CTL_MOD, source->fd, &event) < 0) {
		tsr_log_errno(TSR_LOG_ERROR, "epoll_ctl(MOD, fd %d) failed", source->fd);
		return false;
	}
	source->epoll_events = events;
	return true;
}

struct tsr_event_source *tsr_event_loop_add_timer(struct tsr_event_loop *loop, tsr_timer_func func,
						  void *data)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0) {
		tsr_log_errno(TSR_LOG_ERROR, "timerfd_create failed");
		return NULL;
	}
	struct tsr_event_source *source =
	    add_source(loop, SOURCE_TIMER, fd, TSR_EVENT_READABLE, data);
	if (!source) {
		close(fd);
		return NULL;
	}
	source->func.timer_func = func;
	return source;
}

bool tsr_event_source_timer_update(struct tsr_event_source *source, uint64_t delay_ns)
{
	struct itimerspec spec = {0};
	spec.it_value.tv_sec = (time_t)(delay_ns / 1000000000u);
	spec.it_value.tv_nsec = (long)(delay_ns % 1000000000u);
	if (timerfd_settime(source->fd, 0, &spec, NULL) < 0) {
		tsr_log_errno(TSR_LOG_ERROR, "timerfd_settime failed");
		return false;
	}
	return true;
}

struct tsr_event_source *tsr_event_loop_add_signal(struct tsr_event_loop *loop, int signal_number,
						   tsr_signal_func func, void *data)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, signal_number);
	int fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0) {
		tsr_log_errno(TSR_LOG_ERROR, "signalfd(%d) failed", signal_number);
		return NULL;
	}
	struct tsr_event_source *source =
	    add_source(loop, SOURCE_SIGNAL, fd, TSR_EVENT_READABLE, data);
	if (!source) {
		close(fd);
		return NULL;
	}
	sigprocmask(SIG_BLOCK, &mask, NULL);
	source->func.signal_func = func;
	source->signal_number = signal_number;
	return source;
}

struct tsr_event_source *tsr_event_loop_add_idle(struct tsr_event_loop *loop, tsr_idle_func func,
						 void *data)
{
	struct tsr_event_source *source = calloc(1, sizeof(*source));
	if (!source)
		return NULL;
	source->loop = loop;
	source->kind = SOURCE_IDLE;
	source->fd = -1;
	source->func.idle_func = func;
	source->data = data;
	source->next = loop->idle_list;
	loop->idle_list = source;
	return source;
}

void tsr_event_source_remove(struct tsr_event_source *source)
{
	if (!source || source->removed)
		return;
	source->removed = true;
	if (source->kind == SOURCE_IDLE)
		return; /* freed when the idle list is next walked */
	epoll_ctl(source->loop->epoll_fd, EPOLL_CTL_DEL, source->fd, NULL);
	if (source->kind != SOURCE_FD)
		close(source->fd);
	source->next = source->loop->dead_list;
	source->loop->dead_list = source;
}

static uint32_t from_epoll_mask(uint32_t events)
{
	uint32_t mask = 0;
	if (events & EPOLLIN)
		mask |= TSR_EVENT_READABLE;
	if (events & EPOLLOUT)
		mask |= TSR_EVENT_WRITABLE;
	if (events & (EPOLLHUP | EPOLLRDHUP))
		mask |= TSR_EVENT_HANGUP;
	if (events & EPOLLERR)
		mask |= TSR_EVENT_ERROR;
	return mask;
}

static void dispatch_source(struct tsr_event_source *source, uint32_t events)
{
	switch (source->kind) {
	case SOURCE_FD:
		source->func.fd_func(source->fd, from_epoll_mask(events), source->data);
		break;
	case SOURCE_TIMER: {
		uint64_t expirations;
		if (read(source->fd, &expirations, sizeof(expirations)) == sizeof(expirations))
			source->func.timer_func(source->data);
		break;
	}
	case SOURCE_SIGNAL: {
		struct signalfd_siginfo info;
		if (read(source->fd, &info, sizeof(info)) == sizeof(info))
			source->func.signal_func((int)info.ssi_signo, source->data);
		break;
	}
	case SOURCE_IDLE:
		break;
	}
}

static void run_idles(struct tsr_event_loop *loop)
{
	/* Idles added by an idle callback run on the next dispatch. */
	struct tsr_event_source *list = loop->idle_list;
	loop->idle_list = NULL;
	while (list) {
		struct tsr_event_source *source = list;
		list = list->next;
		if (!source->removed) {
			source->removed = true;
			source->func.idle_func(source->data);
		}
		free(source);
	}
}

bool tsr_event_loop_dispatch(struct tsr_event_loop *loop, int timeout_ms)
{
	struct epoll_event events[32];
	if (loop->idle_list)
		timeout_ms = 0;
	int count = epoll_wait(loop->epoll_fd, events, 32, timeout_ms);
	if (count < 0) {
		if (errno == EINTR)
			return true;
		tsr_log_errno(TSR_LOG_ERROR, "epoll_wait failed");
		return false;
	}
	for (int i = 0; i < count; i++) {
		struct tsr_event_source *source = events[i].data.ptr;
		if (!source->removed)
			dispatch_source(source, events[i].events);
	}
	run_idles(loop);
	free_list(loop->dead_list);
	loop->dead_list = NULL;
	return true;
}
