// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for CONFIG_IOPGTABLE_DEBUG: a call that overlaps a call in
 * flight on the same table, in a way the contract forbids, is reported
 * (an iopgtable_violation event, and a WARN); calls the contract allows
 * are not. The second call is made from a TLB callback of the first, which
 * runs while the first is in flight. Reports are counted through the
 * iopgtable_violation events of kind overlap.
 */

#include <kunit/test.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>

#include "test-util.h"

#define RW	(IOPGTABLE_READ | IOPGTABLE_WRITE)

/**
 * struct dbg_step - what a TLB callback does while a call is in flight
 * @t: the table.
 * @fn: the second call, or NULL for none; returns nothing.
 * @arg: the IOVA it is given.
 * @calls: how many times it was made.
 */
struct dbg_step {
	struct iopgtable_test_table *t;
	void (*fn)(struct iopgtable_test_table *t, u64 iova);
	u64 arg;
	unsigned int calls;
};

static struct dbg_step *dbg_step;

static void dbg_run(void)
{
	struct dbg_step *s = dbg_step;
	void (*fn)(struct iopgtable_test_table *t, u64 iova) = s->fn;

	/* Once: the second call may call back too. */
	if (!fn)
		return;
	s->fn = NULL;
	s->calls++;
	fn(s->t, s->arg);
}

static void dbg_flush_walk(u64 iova, u64 size, size_t granule, void *cookie)
{
	dbg_run();
}

static void dbg_add_page(struct iopgtable_gather *gather, u64 iova,
			 size_t granule, void *cookie)
{
	dbg_run();
}

static void dbg_flush_all(void *cookie)
{
	struct iopgtable_test_table *t = cookie;

	t->flush_all++;
}

static const struct iopgtable_flush_ops dbg_flush_ops = {
	.tlb_flush_all	= dbg_flush_all,
	.tlb_flush_walk	= dbg_flush_walk,
	.tlb_add_page	= dbg_add_page,
};

static void dbg_iova_to_phys(struct iopgtable_test_table *t, u64 iova)
{
	t->ops->iova_to_phys(t->ops, iova);
}

static void dbg_walk(struct iopgtable_test_table *t, u64 iova)
{
	struct iopgtable_walk walk;

	iopgtable_walk(t->ops, iova, &walk);
}

static void dbg_map(struct iopgtable_test_table *t, u64 iova)
{
	iopgtable_map(t->ops, iova, SZ_1G, SZ_4K, RW, GFP_ATOMIC);
}

static void dbg_unmap(struct iopgtable_test_table *t, u64 iova)
{
	iopgtable_unmap(t->ops, iova, SZ_4K, NULL);
}

static void dbg_dump(struct iopgtable_test_table *t, u64 iova)
{
	static char buf[256];
	struct seq_file m = { .buf = buf, .size = sizeof(buf) };

	iopgtable_dump(t->ops, &m);
}

/**
 * struct dbg_case - a second call made while a first is in flight
 * @desc: what the case checks.
 * @first: 0: an unmap of [2M, 4M), whose table goes whole; 1: a map of a
 *	2M block at 2M over the empty table left there; 2: an unmap of one
 *	page at 2M + 8K, given a gather.
 * @fn: the second call.
 * @iova: where it goes.
 * @reported: whether the overlap is reported.
 */
struct dbg_case {
	const char *desc;
	int first;
	void (*fn)(struct iopgtable_test_table *t, u64 iova);
	u64 iova;
	bool reported;
};

static const struct dbg_case dbg_cases[] = {
	{ "iova_to_phys in an unmap", 0, dbg_iova_to_phys, SZ_2M + SZ_4K, true },
	{ "iova_to_phys beside an unmap", 0, dbg_iova_to_phys, SZ_4M, false },
	{ "walk in an unmap", 0, dbg_walk, SZ_4M - SZ_4K, true },
	{ "walk beside an unmap", 0, dbg_walk, SZ_2M - SZ_4K, false },
	{ "unmap in an unmap", 0, dbg_unmap, SZ_2M + SZ_8K, true },
	{ "map in an unmap", 0, dbg_map, SZ_2M + SZ_1M, true },
	{ "map beside an unmap", 0, dbg_map, SZ_8M, false },
	{ "dump in an unmap", 0, dbg_dump, 0, true },
	{ "iova_to_phys in a map", 1, dbg_iova_to_phys, SZ_2M + SZ_1M, true },
	{ "map in a map", 1, dbg_map, SZ_2M + SZ_1M, true },
	{ "unmap beside a map", 1, dbg_unmap, SZ_4M + SZ_2M, false },
	{ "unmap in a page's unmap", 2, dbg_unmap, SZ_2M + SZ_8K, true },
	{ "unmap beside a page's unmap", 2, dbg_unmap, SZ_2M + SZ_16K, false },
	{ "iova_to_phys beside a page's unmap", 2, dbg_iova_to_phys,
	  SZ_2M + SZ_16K, false },
};

static void dbg_desc(const struct dbg_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dbg, dbg_cases, dbg_desc);

/* A table whose TLB callbacks make the step's second call. */
static struct dbg_step *dbg_new(struct kunit *test, bool split_bbm)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	struct dbg_step *s;

	if (!IS_ENABLED(CONFIG_IOPGTABLE_DEBUG))
		kunit_skip(test, "CONFIG_IOPGTABLE_DEBUG is not set");
	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	dbg_step = s;
	cfg.tlb = &dbg_flush_ops;
	cfg.split_bbm = split_bbm;
	s->t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);
	return s;
}

static void dbg_overlap(struct kunit *test)
{
	const struct dbg_case *c = test->param_value;
	struct dbg_step *s = dbg_new(test, false);
	struct iopgtable_test_table *t = s->t;
	struct iopgtable_gather gather;
	unsigned long before;
	int ret = 0;

	/* Pages at 2M and beside it; the table of [2M, 4M) goes whole. */
	KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, SZ_2M, SZ_1G, SZ_16K, RW,
					    GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, SZ_4M + SZ_2M, SZ_1G,
					    SZ_4K, RW, GFP_KERNEL), 0);
	if (c->first == 1)
		KUNIT_ASSERT_EQ(test, iopgtable_unmap(t->ops, SZ_2M, SZ_16K,
						      NULL), SZ_16K);
	before = iopgtable_test_overlaps(t);
	s->fn = c->fn;
	s->arg = c->iova;
	/* After an overlap the first call's outcome is the caller's bug. */
	switch (c->first) {
	case 0:
		ret = iopgtable_unmap(t->ops, SZ_2M, SZ_2M, NULL) != SZ_2M;
		break;
	case 1:
		ret = iopgtable_map(t->ops, SZ_2M, SZ_4G, SZ_2M, RW, GFP_KERNEL);
		break;
	case 2:
		iopgtable_gather_init(&gather);
		ret = iopgtable_unmap(t->ops, SZ_2M + SZ_8K, SZ_4K,
				      &gather) != SZ_4K;
		break;
	}
	if (!c->reported)
		KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, s->calls, 1U);
	KUNIT_EXPECT_EQ(test, iopgtable_test_overlaps(t) - before,
			c->reported ? 1UL : 0UL);
	/* Outside the calls, nothing is in flight: no report. */
	before = iopgtable_test_overlaps(t);
	dbg_iova_to_phys(t, SZ_2M);
	KUNIT_EXPECT_EQ(test, iopgtable_test_overlaps(t), before);
}

/*
 * A split that breaks before make hides the block's whole span for a
 * moment: a read beside the split's range but in the block, made while
 * the split flushes the block, is reported.
 */
static void dbg_split_bbm(struct kunit *test)
{
	struct dbg_step *s = dbg_new(test, true);
	struct iopgtable_test_table *t = s->t;
	unsigned long before;

	KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, SZ_2M, SZ_1G, SZ_2M, RW,
					    GFP_KERNEL), 0);
	s->fn = dbg_iova_to_phys;
	s->arg = SZ_2M;
	before = iopgtable_test_overlaps(t);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, SZ_2M + SZ_1M,
						    SZ_4K, NULL, NULL), SZ_4K);
	KUNIT_EXPECT_EQ(test, s->calls, 1U);
	KUNIT_EXPECT_EQ(test, iopgtable_test_overlaps(t) - before, 1UL);
}

static struct kunit_case dbg_test_cases[] = {
	KUNIT_CASE_PARAM(dbg_overlap, dbg_gen_params),
	KUNIT_CASE(dbg_split_bbm),
	{}
};

static struct kunit_suite dbg_test_suite = {
	.name = "iopgtable_debug",
	.test_cases = dbg_test_cases,
};

kunit_test_suites(&dbg_test_suite);
