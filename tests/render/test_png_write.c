/* tsr_png_write, the writer behind `screenshot PATH`: it creates a new file
 * and renames it into place, so it never blocks on, writes through, follows
 * or deletes what was at the path. Each case asserts the outcome: the error,
 * that nothing was removed or changed, that no temporary file is left, and
 * that a written PNG reads back with the same pixels. */
#include <dirent.h>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tessera/buffer.h"
#include "tessera/image.h"
#include "test.h"

static char dir[64];
static char err[1024];

static struct tsr_buffer *test_image(uint32_t seed)
{
	struct tsr_buffer *image = tsr_buffer_create_memory(37, 23, DRM_FORMAT_XRGB8888);
	if (!image)
		return NULL;
	for (uint32_t y = 0; y < image->height; y++)
		for (uint32_t x = 0; x < image->width; x++)
			((uint32_t *)((uint8_t *)image->data + (size_t)y * image->stride))[x] =
			    0xff000000u | ((x * 7 + seed) & 0xff) << 16 | ((y * 11) & 0xff) << 8 |
			    (seed & 0xff);
	return image;
}

static void path_in_dir(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* Entries of dir other than . and .., to prove no temporary is left. */
static int entry_count(const char *directory)
{
	DIR *handle = opendir(directory);
	if (!handle)
		return -1;
	int count = 0;
	for (struct dirent *entry; (entry = readdir(handle));)
		if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
			count++;
	closedir(handle);
	return count;
}

static void write_text(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");
	if (file) {
		fputs(text, file);
		fclose(file);
	}
}

static bool file_has(const char *path, const char *text)
{
	char buffer[256] = "";
	FILE *file = fopen(path, "r");
	if (!file)
		return false;
	size_t length = fread(buffer, 1, sizeof(buffer) - 1, file);
	fclose(file);
	buffer[length] = '\0';
	return strcmp(buffer, text) == 0;
}

static bool refused_with(const char *path, const char *expected)
{
	struct tsr_buffer *image = test_image(1);
	err[0] = '\0';
	bool written = tsr_png_write(path, image, err, sizeof(err));
	tsr_buffer_destroy(image);
	if (written || !strstr(err, expected)) {
		fprintf(stderr, "%s: written=%d, error \"%s\" (expected \"%s\")\n", path, written,
			err, expected);
		return false;
	}
	return true;
}

static void test_new_file(void)
{
	char path[128];
	path_in_dir("new.png", path, sizeof(path));
	struct tsr_buffer *image = test_image(3);
	CHECK(tsr_png_write(path, image, err, sizeof(err)));
	struct tsr_buffer *back = tsr_png_read(path, err, sizeof(err));
	CHECK(back && tsr_image_compare(back, image, 0, 0, NULL, NULL));
	struct stat info;
	CHECK(stat(path, &info) == 0 && (info.st_mode & 0777) == 0600);
	CHECK_EQ_INT(entry_count(dir), 1);
	tsr_buffer_destroy(back);
	tsr_buffer_destroy(image);
	unlink(path);
}

static void test_existing_file_replaced(void)
{
	/* Replaced by a rename, not truncated: a hard link to the old file
	 * keeps the old content. */
	char path[128], link_path[128];
	path_in_dir("old.png", path, sizeof(path));
	path_in_dir("old-link", link_path, sizeof(link_path));
	write_text(path, "old content");
	CHECK(link(path, link_path) == 0);
	struct tsr_buffer *image = test_image(5);
	CHECK(tsr_png_write(path, image, err, sizeof(err)));
	struct tsr_buffer *back = tsr_png_read(path, err, sizeof(err));
	CHECK(back && tsr_image_compare(back, image, 0, 0, NULL, NULL));
	CHECK(file_has(link_path, "old content"));
	CHECK_EQ_INT(entry_count(dir), 2);
	tsr_buffer_destroy(back);
	tsr_buffer_destroy(image);
	unlink(path);
	unlink(link_path);
}

static void test_dev_full(void)
{
	/* Used to truncate, fail with ENOSPC and then unlink /dev/full. */
	CHECK(refused_with("/dev/full", "/dev/full is a character device; refusing"));
	struct stat info;
	CHECK(lstat("/dev/full", &info) == 0 && S_ISCHR(info.st_mode));
}

static void test_fifo(void)
{
	/* Opening a FIFO nobody reads blocks: an alarm turns a hang into a failure. */
	char path[128];
	path_in_dir("fifo", path, sizeof(path));
	CHECK(mkfifo(path, 0600) == 0);
	alarm(20);
	CHECK(refused_with(path, "is a FIFO; refusing"));
	alarm(0);
	struct stat info;
	CHECK(lstat(path, &info) == 0 && S_ISFIFO(info.st_mode));
	CHECK_EQ_INT(entry_count(dir), 1);
	unlink(path);
}

static void test_symlink(void)
{
	char target[128], path[128];
	path_in_dir("target.txt", target, sizeof(target));
	path_in_dir("link.png", path, sizeof(path));
	write_text(target, "the target");
	CHECK(symlink(target, path) == 0);
	CHECK(refused_with(path, "is a symbolic link; refusing"));
	CHECK(file_has(target, "the target"));
	struct stat info;
	CHECK(lstat(path, &info) == 0 && S_ISLNK(info.st_mode));
	CHECK_EQ_INT(entry_count(dir), 2);
	unlink(path);
	unlink(target);
}

static void test_directory(void)
{
	char path[128];
	path_in_dir("subdir", path, sizeof(path));
	CHECK(mkdir(path, 0700) == 0);
	CHECK(refused_with(path, "is a directory; refusing"));
	char slash[160];
	snprintf(slash, sizeof(slash), "%s/", path);
	CHECK(refused_with(slash, "names a directory"));
	struct stat info;
	CHECK(lstat(path, &info) == 0 && S_ISDIR(info.st_mode));
	CHECK_EQ_INT(entry_count(path), 0);
	rmdir(path);
}

static void test_missing_directory(void)
{
	char path[128];
	path_in_dir("no-such-dir/x.png", path, sizeof(path));
	CHECK(refused_with(path, "cannot open the directory"));
}

static void test_unwritable_directory(void)
{
	/* Root writes anywhere: the child drops to nobody first. */
	char locked[128], path[160];
	path_in_dir("locked", locked, sizeof(locked));
	CHECK(mkdir(locked, 0755) == 0);
	snprintf(path, sizeof(path), "%s/x.png", locked);
	chmod(dir, 0755); /* mkdtemp's 0700 would stop nobody one level up */
	fflush(NULL);
	pid_t child = fork();
	if (child == 0) {
		if (getuid() == 0) {
			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(3);
		} else if (chmod(locked, 0555) != 0) {
			_exit(3);
		}
		_exit(refused_with(path, "cannot create a file in its directory: Permission denied")
			  ? 0
			  : 1);
	}
	int status = -1;
	waitpid(child, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "the unprivileged writer ended with status %#x\n", status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	chmod(dir, 0700);
	chmod(locked, 0755);
	CHECK_EQ_INT(entry_count(locked), 0);
	rmdir(locked);
}

static void test_bad_buffer(void)
{
	char path[128];
	path_in_dir("mask.png", path, sizeof(path));
	struct tsr_buffer *mask = tsr_buffer_create_memory(4, 4, DRM_FORMAT_R8);
	CHECK(!tsr_png_write(path, mask, err, sizeof(err)));
	CHECK(access(path, F_OK) != 0);
	tsr_buffer_destroy(mask);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tessera-png-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
}

static void teardown(void)
{
	CHECK_EQ_INT(entry_count(dir), 0);
	rmdir(dir);
}

TSR_TEST_MAIN(TSR_CASE(setup), TSR_CASE(test_new_file), TSR_CASE(test_existing_file_replaced),
	      TSR_CASE(test_dev_full), TSR_CASE(test_fifo), TSR_CASE(test_symlink),
	      TSR_CASE(test_directory), TSR_CASE(test_missing_directory),
	      TSR_CASE(test_unwritable_directory), TSR_CASE(test_bad_buffer), TSR_CASE(teardown))
