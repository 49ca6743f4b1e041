/* What the benchmarks share (bench_compositor on the host, bench-scanout in
 * the VM): a monotonic clock, a process's CPU time, a median, and the
 * memcpy of one output frame that their CPU figures are divided by (the
 * baseline measured in the same run). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A hard cap on bench_memcpy_frame_ns's samples (they live on the stack). */
#define BENCH_MEMCPY_MAX_SAMPLES 128

/* CLOCK_MONOTONIC in ns. */
uint64_t bench_now_ns(void);

/* utime+stime of pid in ns; false when /proc has neither figure. */
bool bench_cpu_time_ns(pid_t pid, uint64_t *out);

/* Sorts values (count > 0) and returns values[count / 2]. */
uint64_t bench_median_u64(uint64_t *values, size_t count);

/* One memcpy of a width x height x 4-byte frame, in this process: the
 * median of samples copies (1..BENCH_MEMCPY_MAX_SAMPLES, clamped). 0 when
 * the buffers cannot be allocated. */
double bench_memcpy_frame_ns(uint32_t width, uint32_t height, int samples);
