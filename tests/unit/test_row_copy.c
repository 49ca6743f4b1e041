/* render/row_copy.c: every length and alignment a row can have copies its
 * bytes exactly and writes nothing outside [to, to + bytes), on the path
 * this CPU selects (streaming for long rows, memcpy for short ones). */
#include <stdint.h>
#include <stdlib.h>

#include "render/row_copy.h"
#include "test.h"

#define GUARD 96u
#define MAX_ROW 4200u

static void check_copy(tsr_row_copy_fn copy, size_t to_offset, size_t from_offset, size_t bytes)
{
	static uint8_t from[MAX_ROW + 2 * GUARD], to[MAX_ROW + 2 * GUARD];
	for (size_t i = 0; i < sizeof(from); i++) {
		from[i] = (uint8_t)(i * 7u + 3u);
		to[i] = 0xa5;
	}
	copy(to + GUARD + to_offset, from + GUARD + from_offset, bytes);
	tsr_row_copy_finish();
	size_t wrong = 0, outside = 0;
	for (size_t i = 0; i < sizeof(to); i++) {
		size_t start = GUARD + to_offset;
		if (i >= start && i < start + bytes)
			wrong += to[i] != from[GUARD + from_offset + (i - start)];
		else
			outside += to[i] != 0xa5;
	}
	if (wrong || outside)
		fprintf(stderr, "row copy: to+%zu from+%zu %zu bytes: %zu wrong, %zu outside\n",
			to_offset, from_offset, bytes, wrong, outside);
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(outside, 0);
}

static void test_every_alignment_and_length(void)
{
	tsr_row_copy_fn copy = tsr_row_copy_select();
	static const size_t lengths[] = {4,    60,   1020, 1024, 1028, 1088,
					 1152, 1180, 2048, 3840, 4096};
	for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++)
		for (size_t to_offset = 0; to_offset < 64; to_offset += 4)
			for (size_t from_offset = 0; from_offset < 64; from_offset += 12)
				check_copy(copy, to_offset, from_offset, lengths[l]);
}

/* Random lengths and offsets, pixel-aligned as the renderer's rows are,
 * and a few odd byte counts for safety. */
static void test_random_rows(void)
{
	tsr_row_copy_fn copy = tsr_row_copy_select();
	srand(1234);
	for (int i = 0; i < 2000; i++) {
		size_t bytes = (size_t)rand() % (MAX_ROW - 64u);
		if (i % 4)
			bytes &= ~(size_t)3;
		check_copy(copy, (size_t)rand() % 64u, (size_t)rand() % 64u, bytes);
	}
}

TSR_TEST_MAIN(TSR_CASE(test_every_alignment_and_length), TSR_CASE(test_random_rows))
