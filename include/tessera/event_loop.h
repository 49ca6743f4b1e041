/* One epoll loop for fds, timers, signals and idle work. Sources may be
 * removed from inside any callback, including their own. */
#ifndef TESSERA_EVENT_LOOP_H
#define TESSERA_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct tsr_event_loop;
struct tsr_event_source;

enum {
	TSR_EVENT_READABLE = 1 << 0,
	TSR_EVENT_WRITABLE = 1 << 1,
	TSR_EVENT_HANGUP = 1 << 2,
	TSR_EVENT_ERROR = 1 << 3,
};

typedef void (*tsr_fd_func)(int fd, uint32_t mask, void *data);
typedef void (*tsr_timer_func)(void *data);
typedef void (*tsr_signal_func)(int signal_number, void *data);
typedef void (*tsr_idle_func)(void *data);

struct tsr_event_loop *tsr_event_loop_create(void);
void tsr_event_loop_destroy(struct tsr_event_loop *loop); /* accepts NULL */

struct tsr_event_source *tsr_event_loop_add_fd(struct tsr_event_loop *loop, int fd, uint32_t mask,
					       tsr_fd_func func, void *data);
bool tsr_event_source_fd_update(struct tsr_event_source *source, uint32_t mask);

/* A disarmed timer; arm it with tsr_event_source_timer_update. */
struct tsr_event_source *tsr_event_loop_add_timer(struct tsr_event_loop *loop, tsr_timer_func func,
						  void *data);
/* Fires once after delay_ns (0 disarms). */
bool tsr_event_source_timer_update(struct tsr_event_source *source, uint64_t delay_ns);

struct tsr_event_source *tsr_event_loop_add_signal(struct tsr_event_loop *loop, int signal_number,
						   tsr_signal_func func, void *data);

/* Runs once, at the end of the current or next dispatch. */
struct tsr_event_source *tsr_event_loop_add_idle(struct tsr_event_loop *loop, tsr_idle_func func,
						 void *data);

void tsr_event_source_remove(struct tsr_event_source *source); /* accepts NULL */

/* Waits up to timeout_ms (-1: forever) and dispatches what is ready. */
bool tsr_event_loop_dispatch(struct tsr_event_loop *loop, int timeout_ms);

uint64_t tsr_now_ns(void); /* CLOCK_MONOTONIC */

#endif
