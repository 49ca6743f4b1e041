#include "render/row_copy.h"

#include <stdint.h>
#include <string.h>

static void copy_memcpy(void *restrict to, const void *restrict from, size_t bytes)
{
	memcpy(to, from, bytes);
}

#if defined(__x86_64__)
#include <immintrin.h>

/* Shorter rows stay in memcpy. Measured in the whole compositor (real
 * agents, full damage at 1080p): streaming rows of 3,840 and 7,680 bytes
 * (4 and 1 domains) took 30-40% less CPU per frame, while rows of 1,208
 * bytes (32 tiles) took 15% more and 256-byte rows 65% more: their
 * partial lines at both ends cost more than the read-for-ownership saved. */
#define STREAM_MIN_BYTES 2048u

/* Bytes from to up to its next 32-byte boundary, where streaming starts. */
static size_t aligned_head(const void *to)
{
	return (32u - ((uintptr_t)to & 31u)) & 31u;
}

/* The row's unaligned start and end by memcpy, the middle streamed four
 * vectors a turn in address order. */
__attribute__((target("avx"))) static void copy_stream_avx(void *restrict to,
							   const void *restrict from, size_t bytes)
{
	if (bytes < STREAM_MIN_BYTES) {
		memcpy(to, from, bytes);
		return;
	}
	uint8_t *dst = to;
	const uint8_t *src = from;
	size_t head = aligned_head(dst);
	memcpy(dst, src, head);
	dst += head, src += head, bytes -= head;
	for (; bytes >= 128; dst += 128, src += 128, bytes -= 128) {
		__m256i a = _mm256_loadu_si256((const __m256i *)src);
		__m256i b = _mm256_loadu_si256((const __m256i *)(src + 32));
		__m256i c = _mm256_loadu_si256((const __m256i *)(src + 64));
		__m256i d = _mm256_loadu_si256((const __m256i *)(src + 96));
		_mm256_stream_si256((__m256i *)dst, a);
		_mm256_stream_si256((__m256i *)(dst + 32), b);
		_mm256_stream_si256((__m256i *)(dst + 64), c);
		_mm256_stream_si256((__m256i *)(dst + 96), d);
	}
	memcpy(dst, src, bytes);
}

/* A CPU without AVX copies with memcpy: one streaming loop to keep
 * (tested on every CI machine) rather than a second, narrower one that
 * no CI machine would run. */
tsr_row_copy_fn tsr_row_copy_select(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx") ? copy_stream_avx : copy_memcpy;
}

void tsr_row_copy_finish(void)
{
	_mm_sfence();
}

#else

tsr_row_copy_fn tsr_row_copy_select(void)
{
	return copy_memcpy;
}

void tsr_row_copy_finish(void)
{
}

#endif
