/* See unix_listener.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/unix_listener.h"

struct tsr_unix_listener {
	int fd;
	struct sockaddr_un address;
	dev_t dev; /* identity of the socket file we bound */
	ino_t ino;
	bool bound;
};

/* True if a process accepts connections on the socket at address. */
static bool socket_is_live(const struct sockaddr_un *address, int *probe_errno)
{
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0) {
		*probe_errno = errno;
		return true; /* cannot tell: treat as live, never remove */
	}
	int result = connect(probe, (const struct sockaddr *)address, sizeof(*address));
	*probe_errno = result < 0 ? errno : 0;
	close(probe);
	/* ENOENT: it went away meanwhile; ECONNREFUSED: nobody listens. A
	 * full backlog (EAGAIN) still means a listener. */
	return !(result < 0 && (errno == ECONNREFUSED || errno == ENOENT));
}

/* Makes the path free for bind(): absent, or a stale socket removed. */
static bool clear_path(const struct tsr_unix_listener *listener, char *err, size_t err_len)
{
	const char *path = listener->address.sun_path;
	struct stat existing;
	if (lstat(path, &existing) < 0) {
		if (errno == ENOENT)
			return true;
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return false;
	}
	if (!S_ISSOCK(existing.st_mode)) {
		snprintf(err, err_len,
			 "%s exists and is not a socket; not touching it (remove it or configure "
			 "another path)",
			 path);
		return false;
	}
	int probe_errno = 0;
	if (socket_is_live(&listener->address, &probe_errno)) {
		snprintf(err, err_len,
			 "%s: another process is listening on it (%s); is another tessera "
			 "running? (stop it or configure another path)",
			 path, probe_errno ? strerror(probe_errno) : "it accepted a connection");
		return false;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, err_len, "%s: cannot remove the stale socket: %s", path,
			 strerror(errno));
		return false;
	}
	return true;
}

struct tsr_unix_listener *tsr_unix_listener_create(const char *path, int backlog, char *err,
						   size_t err_len)
{
	struct tsr_unix_listener *listener = calloc(1, sizeof(*listener));
	if (!listener) {
		snprintf(err, err_len, "%s: out of memory", path);
		return NULL;
	}
	listener->fd = -1;
	listener->address.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(listener->address.sun_path)) {
		snprintf(err, err_len, "%s: socket path too long (at most %zu bytes)", path,
			 sizeof(listener->address.sun_path) - 1);
		goto error;
	}
	memcpy(listener->address.sun_path, path, strlen(path) + 1);
	listener->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listener->fd < 0) {
		snprintf(err, err_len, "%s: socket(): %s", path, strerror(errno));
		goto error;
	}
	if (!clear_path(listener, err, err_len))
		goto error;
	/* Only the owner (root in dom0) may connect. */
	mode_t old_mask = umask(0177);
	int bound =
	    bind(listener->fd, (struct sockaddr *)&listener->address, sizeof(listener->address));
	int bind_errno = errno;
	umask(old_mask);
	if (bound < 0) {
		snprintf(err, err_len, "cannot listen on %s: %s", path, strerror(bind_errno));
		goto error;
	}
	struct stat own;
	if (lstat(path, &own) == 0) {
		listener->bound = true;
		listener->dev = own.st_dev;
		listener->ino = own.st_ino;
	}
	if (listen(listener->fd, backlog) < 0) {
		snprintf(err, err_len, "cannot listen on %s: %s", path, strerror(errno));
		goto error;
	}
	return listener;
error:
	tsr_unix_listener_destroy(listener);
	return NULL;
}

int tsr_unix_listener_fd(const struct tsr_unix_listener *listener)
{
	return listener->fd;
}

const char *tsr_unix_listener_path(const struct tsr_unix_listener *listener)
{
	return listener->address.sun_path;
}

void tsr_unix_listener_destroy(struct tsr_unix_listener *listener)
{
	if (!listener)
		return;
	if (listener->fd >= 0)
		close(listener->fd);
	struct stat now;
	if (listener->bound && lstat(listener->address.sun_path, &now) == 0 &&
	    S_ISSOCK(now.st_mode) && now.st_dev == listener->dev && now.st_ino == listener->ino)
		unlink(listener->address.sun_path);
	free(listener);
}
