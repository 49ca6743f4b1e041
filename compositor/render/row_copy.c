#include "render/row_copy.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

/* Shorter rows stay in memcpy. Measured in the whole compositor (real
 * agents, full damage at 1080p): streaming rows of 3,840 and 7,680 bytes
 * (4 and 1 domains) took 30-40% less CPU per frame, while rows of 1,208
 * bytes (32 tiles) took 15% more and 256-byte rows 65% more: their
 * partial lines at both ends cost more than the read-for-ownership saved. */
#define STREAM_MIN_BYTES 2048u

/* Copies up to the first 32-byte boundary of to with memcpy, streams the
 * aligned middle, and copies the tail with memcpy. */
static size_t aligned_head(const void *to)
{
	return (32u - ((uintptr_t)to & 31u)) & 31u;
}

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

static void copy_stream_sse2(void *restrict to, const void *restrict from, size_t bytes)
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
	for (; bytes >= 64; dst += 64, src += 64, bytes -= 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)src);
		__m128i b = _mm_loadu_si128((const __m128i *)(src + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(src + 32));
		__m128i d = _mm_loadu_si128((const __m128i *)(src + 48));
		_mm_stream_si128((__m128i *)dst, a);
		_mm_stream_si128((__m128i *)(dst + 16), b);
		_mm_stream_si128((__m128i *)(dst + 32), c);
		_mm_stream_si128((__m128i *)(dst + 48), d);
	}
	memcpy(dst, src, bytes);
}

tsr_row_copy_fn tsr_row_copy_select(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx") ? copy_stream_avx : copy_stream_sse2;
}

void tsr_row_copy_finish(void)
{
	_mm_sfence();
}

#else

static void copy_memcpy(void *restrict to, const void *restrict from, size_t bytes)
{
	memcpy(to, from, bytes);
}

tsr_row_copy_fn tsr_row_copy_select(void)
{
	return copy_memcpy;
}

void tsr_row_copy_finish(void)
{
}

#endif
