/* The lock screen's mechanism; the decisions are in core/lock_policy.c (what
 * typing does, the rate limit) and input/seat.c (nothing reaches a guest).
 *
 * The helper: tessera-lock-helper runs as the user Tessera was started as
 * (root), because pam_unix run by an unprivileged Tessera (--user) asks
 * unix_chkpwd, which only checks the caller's own password. It is started
 * before privileges are dropped and the seccomp filter applies, so the
 * filter needs nothing for PAM. One SOCK_SEQPACKET message per password
 * (at most TSR_LOCK_PASSWORD_MAX bytes), one byte back: 'y' or 'n'. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/decorations.h"
#include "core/lock.h"
#include "core/lock_policy.h"
#include "core/server.h"
#include "tessera/event_loop.h"
#include "tessera/input.h"
#include "tessera/log.h"
#include "tessera/renderer.h"
#include "util/programs.h"

#define NS_PER_S 1000000000ull
#define LOCK_BACKGROUND 0x101820u
#define LOCK_PANEL 0x2a3444u
#define LOCK_FIELD 0xe8e8e8u
#define LOCK_DOT 0x202020u
#define LOCK_TEXT 0xffffffu
#define LOCK_WARNING 0xffb0a0u
#define PANEL_WIDTH 640
#define PANEL_HEIGHT 200
#define DOT_SIZE 10
#define DOT_STEP 16

/* A text's mask and the width it was cut to (the panel's room). */
struct lock_text {
	struct tsr_buffer *mask;
	uint32_t max_width;
};

struct tsr_lock {
	struct tsr_server *server;
	struct tsr_lock_policy policy;
	char file_path[TSR_PATH_MAX + 64];

	pid_t helper;
	int helper_fd;
	struct tsr_event_source *helper_source;

	struct tsr_event_source *idle_timer;
	uint64_t last_activity_ns;
	struct tsr_event_source *retry_timer; /* redraw when the delay is over */

	/* The texts, rendered per output scale on first use (index scale-1). */
	char hint_text[160], status_text[128];
	struct lock_text title[TSR_OUTPUT_SCALE_MAX], hint[TSR_OUTPUT_SCALE_MAX],
	    status[TSR_OUTPUT_SCALE_MAX];
	bool status_warning;
};

static const char unlocked_text[] = "unlocked\n";

/* Rewritten in place (truncated, then written): a crash in between leaves
 * an empty file, which reads as locked. */
static bool write_state(struct tsr_lock *lock, bool locked, const struct tsr_lock_options *owner)
{
	int fd = open(lock->file_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		tsr_log(TSR_LOG_WARN,
			"lock: cannot write %s (%s): a restart may not come back locked",
			lock->file_path, strerror(errno));
		return false;
	}
	bool ok =
	    !owner || !owner->owner_set || fchown(fd, owner->owner_uid, owner->owner_gid) == 0;
	const char *text = locked ? "locked\n" : unlocked_text;
	ok = ok && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	if (!ok)
		tsr_log(TSR_LOG_WARN, "lock: writing %s: %s", lock->file_path, strerror(errno));
	close(fd);
	return ok;
}

/* Only an explicit "unlocked" is unlocked; a missing file is too (a first
 * start); anything else fails safe. */
static bool read_state(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return false;
	char text[sizeof(unlocked_text) + 1] = "";
	ssize_t length = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	if (fd >= 0)
		close(fd);
	return !(length == (ssize_t)strlen(unlocked_text) && strcmp(text, unlocked_text) == 0);
}

static void destroy_masks(struct lock_text *texts)
{
	for (size_t i = 0; i < TSR_OUTPUT_SCALE_MAX; i++) {
		tsr_buffer_destroy(texts[i].mask);
		texts[i] = (struct lock_text){0};
	}
}

static void set_status(struct tsr_lock *lock, const char *text, bool warning)
{
	destroy_masks(lock->status);
	snprintf(lock->status_text, sizeof(lock->status_text), "%s", text);
	lock->status_warning = warning;
}

static void show_failures(struct tsr_lock *lock, uint64_t now_ns)
{
	char text[128] = "";
	uint32_t failures = lock->policy.failures;
	uint64_t wait_ns = tsr_lock_policy_wait_ns(&lock->policy, now_ns);
	if (failures > 0 && wait_ns > 0)
		snprintf(text, sizeof(text), "Wrong password (%u failed attempt%s); wait %llu s",
			 failures, failures == 1 ? "" : "s",
			 (unsigned long long)((wait_ns + NS_PER_S - 1) / NS_PER_S));
	else if (failures > 0)
		snprintf(text, sizeof(text), "%u failed attempt%s", failures,
			 failures == 1 ? "" : "s");
	set_status(lock, text, failures > 0);
	if (wait_ns > 0)
		tsr_event_source_timer_update(lock->retry_timer, wait_ns);
}

static void stop_helper(struct tsr_lock *lock)
{
	tsr_event_source_remove(lock->helper_source);
	lock->helper_source = NULL;
	if (lock->helper_fd >= 0)
		close(lock->helper_fd); /* the helper exits on end of file */
	lock->helper_fd = -1;
	if (lock->helper > 0) {
		kill(lock->helper, SIGTERM);
		waitpid(lock->helper, NULL, 0);
	}
	lock->helper = 0;
}

static void unlock(struct tsr_lock *lock)
{
	struct tsr_server *server = lock->server;
	const struct tsr_lock_config *config = &tsr_server_config(server)->lock;
	tsr_server_set_locked(server, false);
	write_state(lock, false, NULL);
	set_status(lock, "", false);
	lock->last_activity_ns = tsr_now_ns();
	if (config->idle_timeout_s > 0)
		tsr_event_source_timer_update(lock->idle_timer, config->idle_timeout_s * NS_PER_S);
	tsr_log(TSR_LOG_INFO, "lock: unlocked");
	tsr_server_lock_changed(server);
}

static void answer(struct tsr_lock *lock, bool accepted)
{
	uint64_t now = tsr_now_ns();
	tsr_lock_policy_checked(&lock->policy, accepted, now);
	if (accepted) {
		unlock(lock);
		return;
	}
	tsr_log(TSR_LOG_WARN, "lock: password refused (%u failed attempts)", lock->policy.failures);
	show_failures(lock, now);
	tsr_server_damage_all(lock->server);
}

static void handle_helper(int fd, uint32_t mask, void *data)
{
	struct tsr_lock *lock = data;
	(void)mask;
	char reply = 0;
	ssize_t got = recv(fd, &reply, 1, MSG_DONTWAIT);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got == 1 && (reply == 'y' || reply == 'n')) {
		if (lock->policy.state == TSR_LOCK_CHECKING)
			answer(lock, reply == 'y');
		return;
	}
	tsr_log(TSR_LOG_ERROR, "lock: tessera-lock-helper is gone; passwords cannot be checked "
			       "until Tessera is restarted (it comes back locked)");
	stop_helper(lock);
	if (lock->policy.state == TSR_LOCK_CHECKING)
		answer(lock, false);
}

static void submit(struct tsr_lock *lock)
{
	char password[TSR_LOCK_PASSWORD_MAX + 1];
	if (!tsr_lock_policy_take(&lock->policy, password, sizeof(password)))
		return;
	bool sent = false;
	if (lock->helper_fd >= 0) {
		/* A fresh seqpacket socket holds one small message: this
		 * never blocks, and the answer comes back on the loop. */
		sent = send(lock->helper_fd, password, strlen(password),
			    MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)strlen(password);
	}
	explicit_bzero(password, sizeof(password));
	if (!sent) {
		tsr_log(TSR_LOG_ERROR, "lock: the password checker is not running");
		answer(lock, false);
		return;
	}
	set_status(lock, "Checking...", false);
	tsr_server_damage_all(lock->server);
}

void tsr_lock_key(struct tsr_lock *lock, uint32_t code, enum tsr_key_state state, uint64_t time_ns)
{
	(void)time_ns;
	if (!lock)
		return;
	switch (tsr_lock_policy_key(&lock->policy, code, state, tsr_now_ns())) {
	case TSR_LOCK_KEY_IGNORED:
		return;
	case TSR_LOCK_KEY_CHANGED:
		tsr_server_damage_all(lock->server);
		return;
	case TSR_LOCK_KEY_SUBMIT:
		submit(lock);
		return;
	}
}

void tsr_lock_activity(struct tsr_lock *lock)
{
	if (lock)
		lock->last_activity_ns = tsr_now_ns();
}

/* The timer runs at most once per timeout: input only records its time. */
static void handle_idle(void *data)
{
	struct tsr_lock *lock = data;
	uint64_t timeout =
	    (uint64_t)tsr_server_config(lock->server)->lock.idle_timeout_s * NS_PER_S;
	if (tsr_lock_active(lock))
		return; /* re-armed by unlocking */
	uint64_t idle = tsr_now_ns() - lock->last_activity_ns;
	if (idle < timeout) {
		tsr_event_source_timer_update(lock->idle_timer, timeout - idle);
		return;
	}
	char err[128];
	if (!tsr_lock_engage(lock, "idle timeout", err, sizeof(err)))
		tsr_log(TSR_LOG_WARN, "lock: idle timeout: %s", err);
}

static void handle_retry(void *data)
{
	struct tsr_lock *lock = data;
	if (lock->policy.state != TSR_LOCK_LOCKED)
		return;
	show_failures(lock, tsr_now_ns());
	tsr_server_damage_all(lock->server);
}

static bool start_helper(struct tsr_lock *lock, const struct tsr_lock_options *options, char *err,
			 size_t err_len)
{
	char path[TSR_PATH_MAX + 64];
	if (options->helper_path)
		snprintf(path, sizeof(path), "%s", options->helper_path);
	else if (!tsr_program_path(TSR_PROGRAM_LOCK_HELPER, path, sizeof(path))) {
		snprintf(err, err_len, "lock: %s is not executable", path);
		return false;
	}
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
		snprintf(err, err_len, "lock: socketpair: %s", strerror(errno));
		return false;
	}
	const char *user = tsr_server_config(lock->server)->lock.user;
	char *argv[] = {path,
			"--user",
			(char *)user,
			options->pam_confdir ? "--confdir" : NULL,
			(char *)options->pam_confdir,
			NULL};
	char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, err_len, "lock: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		/* dup2 clears close-on-exec on the copy: the helper's stdin.
		 * Nothing else of Tessera's goes with it. */
		if (dup2(fds[1], STDIN_FILENO) < 0)
			_exit(127);
		close_range(STDERR_FILENO + 1, ~0u, 0);
		execve(path, argv, envp);
		_exit(127);
	}
	close(fds[1]);
	lock->helper = pid;
	lock->helper_fd = fds[0];
	lock->helper_source = tsr_event_loop_add_fd(tsr_server_loop(lock->server), fds[0],
						    TSR_EVENT_READABLE, handle_helper, lock);
	if (!lock->helper_source) {
		snprintf(err, err_len, "lock: cannot watch the helper");
		return false;
	}
	tsr_log(TSR_LOG_INFO, "lock: passwords of %s are checked by %s (pid %d)", user, path,
		(int)pid);
	return true;
}

struct tsr_lock *tsr_lock_create(struct tsr_server *server, const struct tsr_lock_options *options,
				 char *err, size_t err_len)
{
	struct tsr_lock *lock = calloc(1, sizeof(*lock));
	if (!lock) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	lock->server = server;
	lock->helper_fd = -1;
	tsr_lock_policy_init(&lock->policy);
	/* What is typed lives here: keep it out of swap (best effort). */
	mlock(&lock->policy, sizeof(lock->policy));
	tsr_server_attach_lock(server, lock);
	const struct tsr_lock_config *config = &tsr_server_config(server)->lock;
	if ((size_t)snprintf(lock->file_path, sizeof(lock->file_path), "%s/%s",
			     options->runtime_dir, TSR_LOCK_FILE_NAME) >= sizeof(lock->file_path)) {
		snprintf(err, err_len, "lock: runtime directory path too long");
		goto error;
	}
	lock->idle_timer = tsr_event_loop_add_timer(tsr_server_loop(server), handle_idle, lock);
	lock->retry_timer = tsr_event_loop_add_timer(tsr_server_loop(server), handle_retry, lock);
	if (!lock->idle_timer || !lock->retry_timer) {
		snprintf(err, err_len, "lock: cannot create timers");
		goto error;
	}
	if (config->user[0])
		snprintf(lock->hint_text, sizeof(lock->hint_text),
			 "Type the password of %s (US layout), then Enter", config->user);
	else
		snprintf(lock->hint_text, sizeof(lock->hint_text),
			 "No [lock] user is configured: this lock cannot be "
			 "undone here");
	if (config->user[0] && !start_helper(lock, options, err, err_len))
		goto error;
	lock->last_activity_ns = tsr_now_ns();
	if (config->idle_timeout_s > 0 && !config->user[0])
		tsr_log(TSR_LOG_WARN, "lock: idle_timeout is set but [lock] user is not: the idle "
				      "lock will be refused");
	if (config->idle_timeout_s > 0)
		tsr_event_source_timer_update(lock->idle_timer, config->idle_timeout_s * NS_PER_S);
	bool locked = read_state(lock->file_path);
	/* Made (or rewritten) now, while Tessera may still be root, and
	 * handed to the user it becomes. */
	write_state(lock, locked, options);
	if (locked) {
		/* A Tessera that stopped while locked. */
		tsr_lock_policy_lock(&lock->policy);
		tsr_server_set_locked(server, true);
		tsr_log(TSR_LOG_INFO, "lock: %s says locked: starting locked", lock->file_path);
		tsr_server_lock_changed(server);
	}
	return lock;
error:
	tsr_lock_destroy(lock);
	return NULL;
}

void tsr_lock_destroy(struct tsr_lock *lock)
{
	if (!lock)
		return;
	stop_helper(lock);
	tsr_event_source_remove(lock->idle_timer);
	tsr_event_source_remove(lock->retry_timer);
	destroy_masks(lock->title);
	destroy_masks(lock->hint);
	destroy_masks(lock->status);
	tsr_lock_policy_fini(&lock->policy);
	if (tsr_server_lock_screen(lock->server) == lock)
		tsr_server_attach_lock(lock->server, NULL);
	free(lock);
}

bool tsr_lock_engage(struct tsr_lock *lock, const char *why, char *err, size_t err_len)
{
	struct tsr_server *server = lock->server;
	if (!tsr_server_config(server)->lock.user[0]) {
		snprintf(err, err_len, "no [lock] user is configured (nobody could unlock)");
		return false;
	}
	if (!tsr_lock_policy_lock(&lock->policy))
		return true;
	/* First: from here on no event reaches a guest. */
	tsr_server_set_locked(server, true);
	write_state(lock, true, NULL);
	set_status(lock, "", false);
	tsr_log(TSR_LOG_INFO, "lock: locked (%s)", why);
	tsr_server_gpu_lock(server);
	tsr_server_lock_changed(server);
	return true;
}

bool tsr_lock_active(const struct tsr_lock *lock)
{
	return lock && tsr_lock_policy_locked(&lock->policy);
}

uint32_t tsr_lock_failures(const struct tsr_lock *lock)
{
	return lock ? lock->policy.failures : 0;
}

/* The mask of text at scale, at most max_width wide, rendered into slot on
 * first use (again only when the room changes). */
static struct tsr_buffer *text_at(struct tsr_lock *lock, struct lock_text *slot, const char *text,
				  uint32_t scale, int32_t max_width)
{
	uint32_t width = max_width > 0 ? (uint32_t)max_width : 0;
	if (slot->mask && slot->max_width == width)
		return slot->mask;
	tsr_buffer_destroy(slot->mask);
	slot->mask =
	    text[0] && width > 0
		? tsr_decorations_render(tsr_server_decorations(lock->server), scale, text, width)
		: NULL;
	slot->max_width = width;
	return slot->mask;
}

static void draw_text(struct tsr_renderer *renderer, struct tsr_buffer *mask, int32_t centre_x,
		      int32_t y, uint32_t rgb)
{
	if (mask)
		renderer->impl->mask(renderer, mask, centre_x - (int32_t)mask->width / 2, y,
				     tsr_colour_argb(rgb, false));
}

/* The panel and everything in it at the output's scale: S times each 1x
 * size and offset. */
void tsr_lock_draw(struct tsr_lock *lock, struct tsr_output_state *state,
		   const pixman_region32_t *region)
{
	struct tsr_renderer *renderer = tsr_server_renderer(lock->server);
	uint32_t scale =
	    state->scale >= 1 && state->scale <= TSR_OUTPUT_SCALE_MAX ? state->scale : 1;
	int32_t s = (int32_t)scale;
	int32_t width = (int32_t)state->output->width, height = (int32_t)state->output->height;
	int count;
	const pixman_box32_t *boxes =
	    pixman_region32_rectangles((pixman_region32_t *)region, &count);
	for (int i = 0; i < count; i++)
		renderer->impl->fill(renderer, &boxes[i], tsr_colour_argb(LOCK_BACKGROUND, false));
	int32_t panel_width = width - 32 * s < PANEL_WIDTH * s ? width - 32 * s : PANEL_WIDTH * s;
	int32_t x = (width - panel_width) / 2, y = (height - PANEL_HEIGHT * s) / 2;
	int32_t centre = width / 2;
	pixman_box32_t panel = {x, y, x + panel_width, y + PANEL_HEIGHT * s};
	renderer->impl->fill(renderer, &panel, tsr_colour_argb(LOCK_PANEL, false));
	size_t slot = scale - 1;
	/* Texts never leave the panel: cut to its width less the margins. */
	int32_t room = panel_width - 32 * s;
	draw_text(renderer, text_at(lock, &lock->title[slot], "Locked by Tessera", scale, room),
		  centre, y + 16 * s, LOCK_TEXT);
	draw_text(renderer, text_at(lock, &lock->hint[slot], lock->hint_text, scale, room), centre,
		  y + 56 * s, LOCK_TEXT);
	pixman_box32_t field = {x + 32 * s, y + 96 * s, x + panel_width - 32 * s, y + 128 * s};
	renderer->impl->fill(renderer, &field, tsr_colour_argb(LOCK_FIELD, false));
	/* One dot per typed character (as many as fit), never the text. */
	size_t dots = lock->policy.typed_length;
	for (size_t i = 0; i < dots; i++) {
		int32_t dot_x = field.x1 + 11 * s + (int32_t)i * DOT_STEP * s;
		if (dot_x + DOT_SIZE * s > field.x2 - 8 * s)
			break;
		pixman_box32_t dot = {dot_x, field.y1 + 11 * s, dot_x + DOT_SIZE * s,
				      field.y1 + 11 * s + DOT_SIZE * s};
		renderer->impl->fill(renderer, &dot, tsr_colour_argb(LOCK_DOT, false));
	}
	draw_text(renderer, text_at(lock, &lock->status[slot], lock->status_text, scale, room),
		  centre, y + 148 * s, lock->status_warning ? LOCK_WARNING : LOCK_TEXT);
}
