/* Runs a libFuzzer target's entry point over files, outside libFuzzer: the
 * checked-in seeds become a regression test in the gcc and sanitizer
 * builds. Usage: PROGRAM FILE|DIR...; exits non-zero if nothing ran. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	if (!file) {
		perror(path);
		return -1;
	}
	uint8_t *data = NULL;
	size_t size = 0, capacity = 0;
	for (;;) {
		if (size == capacity) {
			capacity = capacity ? capacity * 2 : 65536;
			uint8_t *grown = realloc(data, capacity);
			if (!grown) {
				free(data);
				fclose(file);
				return -1;
			}
			data = grown;
		}
		size_t got = fread(data + size, 1, capacity - size, file);
		size += got;
		if (got == 0)
			break;
	}
	fclose(file);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	printf("replayed %s (%zu bytes)\n", path, size);
	return 1;
}

int main(int argc, char **argv)
{
	int replayed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat info;
		if (stat(argv[i], &info) < 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(info.st_mode)) {
			int n = replay_file(argv[i]);
			if (n < 0)
				return 1;
			replayed += n;
			continue;
		}
		DIR *dir = opendir(argv[i]);
		if (!dir) {
			perror(argv[i]);
			return 1;
		}
		struct dirent *entry;
		while ((entry = readdir(dir))) {
			if (entry->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], entry->d_name);
			int n = replay_file(path);
			if (n < 0) {
				closedir(dir);
				return 1;
			}
			replayed += n;
		}
		closedir(dir);
	}
	printf("%d inputs replayed, none crashed\n", replayed);
	return replayed > 0 ? 0 : 1;
}
