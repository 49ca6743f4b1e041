/* A file written under a temporary name in its target directory and renamed
 * into place once complete. It never opens an existing path for writing and
 * never removes anything it did not create: the temporary file is created
 * with O_CREAT|O_EXCL|O_NOFOLLOW, and a target that exists must be a regular
 * file (it is then replaced by the rename, never truncated or written
 * through; a symlink, FIFO, device or directory there is refused).
 *
 * The replacement check and the rename are two steps: someone who can
 * write the target directory may swap the entry in between, but then only
 * replaces what they could already remove themselves. */
#ifndef TSR_UTIL_ATOMIC_FILE_H
#define TSR_UTIL_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct tsr_atomic_file;

/* Checks the target and creates the temporary file (mode, before umask).
 * On failure writes "PATH: what failed" to err and returns NULL. */
struct tsr_atomic_file *tsr_atomic_file_create(const char *path, mode_t mode, char *err,
					       size_t err_len);

/* The stream to write the content to; owned by the file. */
FILE *tsr_atomic_file_stream(struct tsr_atomic_file *file);

/* Flushes, closes and renames the temporary file onto the target. On
 * failure (a write error, the target became something else than a regular
 * file) removes the temporary file and writes the reason to err. */
bool tsr_atomic_file_commit(struct tsr_atomic_file *file, char *err, size_t err_len);

/* Removes the temporary file unless committed, and frees. Accepts NULL. */
void tsr_atomic_file_destroy(struct tsr_atomic_file *file);

#endif
