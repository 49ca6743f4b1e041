/* See atomic_file.h. Everything happens relative to a descriptor of the
 * target directory, so the checks and the rename look at the same
 * directory even if the path's parents change meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"

/* How often a colliding temporary name is retried (each a fresh random). */
#define TEMP_NAME_ATTEMPTS 16

struct tsr_atomic_file {
	int dir_fd;
	FILE *stream;
	bool committed;
	char path[PATH_MAX]; /* as given, for messages */
	char name[NAME_MAX + 1];
	char temp_name[NAME_MAX + 1];
};

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFDIR:
		return "a directory";
	case S_IFSOCK:
		return "a socket";
	default:
		return "not a regular file";
	}
}

/* True when the target is absent or a regular file (which may be replaced). */
static bool target_replaceable(struct tsr_atomic_file *file, char *err, size_t err_len)
{
	struct stat target;
	if (fstatat(file->dir_fd, file->name, &target, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return true;
		snprintf(err, err_len, "%s: %s", file->path, strerror(errno));
		return false;
	}
	if (S_ISREG(target.st_mode))
		return true;
	snprintf(err, err_len, "%s is %s; refusing to replace it (only a regular file is replaced)",
		 file->path, file_kind(target.st_mode));
	return false;
}

/* Splits path into its directory (opened) and final component. */
static bool open_directory(struct tsr_atomic_file *file, const char *path, char *err,
			   size_t err_len)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(err, err_len, "%s names a directory, not a file", path);
		return false;
	}
	if (strlen(name) > NAME_MAX) {
		snprintf(err, err_len, "%s: file name too long", path);
		return false;
	}
	memcpy(file->name, name, strlen(name) + 1);
	char directory[PATH_MAX];
	if (!slash) {
		snprintf(directory, sizeof(directory), ".");
	} else if (slash == path) {
		snprintf(directory, sizeof(directory), "/");
	} else {
		snprintf(directory, sizeof(directory), "%.*s", (int)(slash - path), path);
	}
	file->dir_fd = open(directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (file->dir_fd < 0) {
		snprintf(err, err_len, "%s: cannot open the directory %s: %s", path, directory,
			 strerror(errno));
		return false;
	}
	return true;
}

static int create_temporary(struct tsr_atomic_file *file, mode_t mode)
{
	for (int attempt = 0; attempt < TEMP_NAME_ATTEMPTS; attempt++) {
		uint32_t random = 0;
		if (getrandom(&random, sizeof(random), GRND_NONBLOCK) != sizeof(random))
			random = (uint32_t)getpid() * 2654435761u + (uint32_t)attempt;
		/* ".NAME.XXXXXXXX.tmp", NAME shortened to fit NAME_MAX. */
		snprintf(file->temp_name, sizeof(file->temp_name), ".%.*s.%08x.tmp", NAME_MAX - 14,
			 file->name, random);
		int fd = openat(file->dir_fd, file->temp_name,
				O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

struct tsr_atomic_file *tsr_atomic_file_create(const char *path, mode_t mode, char *err,
					       size_t err_len)
{
	struct tsr_atomic_file *file = calloc(1, sizeof(*file));
	if (!file) {
		snprintf(err, err_len, "%s: out of memory", path);
		return NULL;
	}
	file->dir_fd = -1;
	file->committed = true; /* nothing to remove until the temporary exists */
	if (strlen(path) >= sizeof(file->path)) {
		snprintf(err, err_len, "path too long");
		goto error;
	}
	memcpy(file->path, path, strlen(path) + 1);
	if (!open_directory(file, path, err, err_len) || !target_replaceable(file, err, err_len))
		goto error;
	int fd = create_temporary(file, mode);
	if (fd < 0) {
		snprintf(err, err_len, "%s: cannot create a file in its directory: %s", path,
			 strerror(errno));
		goto error;
	}
	file->committed = false;
	file->stream = fdopen(fd, "wb");
	if (!file->stream) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		close(fd);
		goto error;
	}
	return file;
error:
	tsr_atomic_file_destroy(file);
	return NULL;
}

FILE *tsr_atomic_file_stream(struct tsr_atomic_file *file)
{
	return file->stream;
}

bool tsr_atomic_file_commit(struct tsr_atomic_file *file, char *err, size_t err_len)
{
	bool written = fflush(file->stream) == 0 && !ferror(file->stream);
	int saved = errno;
	if (fclose(file->stream) != 0 && written) {
		written = false;
		saved = errno;
	}
	file->stream = NULL;
	if (!written) {
		snprintf(err, err_len, "%s: cannot write: %s", file->path, strerror(saved));
		return false;
	}
	/* Checked again right before the rename: the target may have changed
	 * since tsr_atomic_file_create. */
	if (!target_replaceable(file, err, err_len))
		return false;
	if (renameat(file->dir_fd, file->temp_name, file->dir_fd, file->name) < 0) {
		snprintf(err, err_len, "%s: cannot rename into place: %s", file->path,
			 strerror(errno));
		return false;
	}
	file->committed = true;
	return true;
}

void tsr_atomic_file_destroy(struct tsr_atomic_file *file)
{
	if (!file)
		return;
	if (file->stream)
		fclose(file->stream);
	/* Only ever the temporary file this object created. */
	if (!file->committed)
		unlinkat(file->dir_fd, file->temp_name, 0);
	if (file->dir_fd >= 0)
		close(file->dir_fd);
	free(file);
}
