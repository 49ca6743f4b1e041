/* bench-frame-memcpy: the baseline of displif-mosaic.sh's CPU figure, one
 * memcpy of a WxH XRGB8888 frame, timed in the same run (same machine,
 * same load) as the figure it divides:
 *
 *   bench-frame-memcpy WxH      prints "memcpy_ns=N" (the median of 101)
 *
 * Both buffers are written first, so the copy reads real pages rather
 * than the kernel's shared zero page. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 101

static uint64_t now_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static int compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned width, height;
	if (argc != 2 || sscanf(argv[1], "%ux%u", &width, &height) != 2 || width == 0 ||
	    height == 0 || width > 8192 || height > 8192) {
		fprintf(stderr, "usage: bench-frame-memcpy WxH\n");
		return 2;
	}
	size_t bytes = (size_t)width * height * 4;
	uint8_t *source = malloc(bytes), *target = malloc(bytes);
	int status = 1;
	if (!source || !target)
		goto out;
	memset(source, 0xa5, bytes);
	memset(target, 0x5a, bytes);
	static uint64_t times[ROUNDS];
	for (int i = 0; i < ROUNDS; i++) {
		source[(size_t)i % bytes] = (uint8_t)i; /* no copy is elided */
		uint64_t start = now_ns();
		memcpy(target, source, bytes);
		times[i] = now_ns() - start;
	}
	qsort(times, ROUNDS, sizeof(times[0]), compare);
	printf("memcpy_ns=%llu bytes=%zu check=%u\n", (unsigned long long)times[ROUNDS / 2], bytes,
	       target[bytes - 1]);
	status = 0;
out:
	free(source);
	free(target);
	return status;
}
