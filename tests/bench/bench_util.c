/* What the benchmarks share; see bench_util.h. */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* /proc/PID/schedstat's first field is utime+stime (what the kernel splits
 * into the two) at ns resolution; /proc/PID/stat's fields 14 and 15 count
 * clock ticks (10 ms), the fallback when schedstat is not compiled in. */
bool bench_cpu_time_ns(pid_t pid, uint64_t *out)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	FILE *file = fopen(path, "r");
	unsigned long long ns;
	if (file) {
		bool ok = fscanf(file, "%llu", &ns) == 1;
		fclose(file);
		if (ok) {
			*out = ns;
			return true;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	file = fopen(path, "r");
	if (!file)
		return false;
	char line[1024];
	bool ok = fgets(line, sizeof(line), file) != NULL;
	fclose(file);
	const char *rest = ok ? strrchr(line, ')') : NULL;
	unsigned long long utime, stime;
	if (!rest || sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			    &utime, &stime) != 2)
		return false;
	*out = (utime + stime) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
	return true;
}

static int compare_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

uint64_t bench_median_u64(uint64_t *values, size_t count)
{
	qsort(values, count, sizeof(values[0]), compare_u64);
	return values[count / 2];
}

double bench_memcpy_frame_ns(uint32_t width, uint32_t height, int samples)
{
	if (samples < 1)
		samples = 1;
	if (samples > BENCH_MEMCPY_MAX_SAMPLES)
		samples = BENCH_MEMCPY_MAX_SAMPLES;
	size_t bytes = (size_t)width * height * 4;
	uint8_t *from = malloc(bytes), *to = malloc(bytes);
	double median = 0;
	if (!bytes || !from || !to)
		goto cleanup;
	/* Both buffers written first, so the copy reads and writes real pages
	 * rather than the kernel's shared zero page. */
	memset(from, 0x5a, bytes);
	memset(to, 0, bytes);
	uint64_t times[BENCH_MEMCPY_MAX_SAMPLES];
	for (int i = 0; i < samples; i++) {
		uint64_t start = bench_now_ns();
		memcpy(to, from, bytes);
		times[i] = bench_now_ns() - start;
		/* A write the compiler cannot drop, so no copy is elided. */
		((volatile uint8_t *)to)[(size_t)i % bytes] ^= 1;
	}
	median = (double)bench_median_u64(times, (size_t)samples);
cleanup:
	free(from);
	free(to);
	return median;
}
