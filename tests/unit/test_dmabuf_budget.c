/* The dma-buf budget of one connection (transport/dmabuf_budget.h): what
 * may be held exported at once, how fast it may be exported, references
 * that outlive the link. */
#include <stdint.h>
#include <string.h>

#include "test.h"
#include "transport/dmabuf_budget.h"

#define MIB (1ull << 20)
#define SECOND 1000000000ull

static void test_live_limit(void)
{
	char why[160];
	struct tsr_dmabuf_budget *budget = tsr_dmabuf_budget_create(96 * MIB, 1000 * MIB, 0);
	CHECK(budget != NULL);
	CHECK(tsr_dmabuf_budget_take(budget, 32 * MIB, 0, why, sizeof(why)));
	CHECK(tsr_dmabuf_budget_take(budget, 32 * MIB, 0, why, sizeof(why)));
	CHECK(tsr_dmabuf_budget_take(budget, 32 * MIB, 0, why, sizeof(why)));
	/* Held: a fourth is refused whatever the time. */
	CHECK(!tsr_dmabuf_budget_take(budget, 1, 10 * SECOND, why, sizeof(why)));
	CHECK(strstr(why, "already holds 96 MiB") != NULL);
	tsr_dmabuf_budget_give_back(budget, 32 * MIB);
	CHECK_EQ_INT((long long)tsr_dmabuf_budget_live(budget), (long long)(64 * MIB));
	CHECK(tsr_dmabuf_budget_take(budget, 32 * MIB, 10 * SECOND, why, sizeof(why)));
	/* The creator's reference goes first; the buffers' keep it alive
	 * (ASan would see a use after free otherwise). */
	tsr_dmabuf_budget_unref(budget);
	for (int i = 0; i < 3; i++)
		tsr_dmabuf_budget_give_back(budget, 32 * MIB);
}

static void test_rate_limit(void)
{
	char why[160];
	/* 96 MiB held at most, 96 MiB a second: export and destroy at once,
	 * again and again, as a hostile guest would. */
	struct tsr_dmabuf_budget *budget = tsr_dmabuf_budget_create(96 * MIB, 96 * MIB, 0);
	uint64_t now = 0, exported = 0;
	for (int i = 0; i < 1000; i++, now += SECOND / 1000) {
		if (tsr_dmabuf_budget_take(budget, 8 * MIB, now, why, sizeof(why))) {
			exported += 8 * MIB;
			tsr_dmabuf_budget_give_back(budget, 8 * MIB);
		}
	}
	/* One second: the bucket (96) plus what a second refills (96). */
	CHECK(exported <= 192 * MIB);
	CHECK(exported >= 184 * MIB);
	CHECK(!tsr_dmabuf_budget_take(budget, 96 * MIB, now, why, sizeof(why)));
	CHECK(strstr(why, "per second") != NULL);
	/* Calls closer together than a microsecond still add up. */
	uint64_t start = now + 10 * SECOND;
	CHECK(tsr_dmabuf_budget_take(budget, 96 * MIB, start, why, sizeof(why)));
	tsr_dmabuf_budget_give_back(budget, 96 * MIB);
	for (uint64_t t = start; t < start + SECOND / 2; t += 700)
		if (tsr_dmabuf_budget_take(budget, 0, t, why, sizeof(why)))
			tsr_dmabuf_budget_give_back(budget, 0);
	CHECK(tsr_dmabuf_budget_take(budget, 40 * MIB, start + SECOND / 2, why, sizeof(why)));
	tsr_dmabuf_budget_give_back(budget, 40 * MIB);
	tsr_dmabuf_budget_unref(budget);
	tsr_dmabuf_budget_unref(NULL);
	tsr_dmabuf_budget_give_back(NULL, 1);
}

TSR_TEST_MAIN({"at most the live limit held at once, given back on destroy", test_live_limit},
	      {"at most the rate exported, however often the guest tries", test_rate_limit})
