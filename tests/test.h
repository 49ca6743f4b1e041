/* A minimal test harness: each test binary calls TSR_TEST_MAIN with its
 * cases; a failed CHECK records file:line and the case goes on. The
 * binary prints "N passed, N failed" and exits non-zero on any failure. */
#ifndef TESSERA_TEST_H
#define TESSERA_TEST_H

#include <stdio.h>
#include <string.h>

struct tsr_test_case {
	const char *name;
	void (*run)(void);
};

extern int tsr_test_failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
			tsr_test_failures++;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
	do {                                                                                       \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
		if (check_a_ != check_b_) {                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n",          \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);                   \
			tsr_test_failures++;                                                       \
		}                                                                                  \
	} while (0)

#define TSR_TEST_MAIN(...)                                                                         \
	int tsr_test_failures;                                                                     \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct tsr_test_case cases[] = {__VA_ARGS__};                         \
		int passed = 0, failed = 0;                                                        \
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {                    \
			int before = tsr_test_failures;                                            \
			cases[i].run();                                                            \
			if (tsr_test_failures == before) {                                         \
				passed++;                                                          \
				printf("ok   %s\n", cases[i].name);                                \
			} else {                                                                   \
				failed++;                                                          \
				printf("FAIL %s\n", cases[i].name);                                \
			}                                                                          \
		}                                                                                  \
		printf("%d passed, %d failed\n", passed, failed);                                  \
		return failed ? 1 : 0;                                                             \
	}

#define TSR_CASE(fn)                                                                               \
	{                                                                                          \
#fn, fn                                                                            \
	}

#endif
