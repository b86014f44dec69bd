// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suites for the iopgtable contract: map_pages outcomes, partial
 * failure, unmap of consecutive mappings, bad input and the range helpers.
 * Every case runs on both formats unless it says otherwise.
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/ratelimit.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include "test-util.h"

#define RW	(IOPGTABLE_READ | IOPGTABLE_WRITE)

static const enum iopgtable_fmt test_fmts[] = {
	IOPGTABLE_ARM_64_LPAE_S1,
	IOPGTABLE_ARM_MALI_LPAE,
};

static void fmt_desc(const enum iopgtable_fmt *fmt, char *desc)
{
	strscpy(desc, *fmt == IOPGTABLE_ARM_MALI_LPAE ? "mali_lpae" : "arm_64_lpae_s1",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fmt, test_fmts, fmt_desc);

static enum iopgtable_fmt param_fmt(struct kunit *test)
{
	return *(const enum iopgtable_fmt *)test->param_value;
}

static struct iopgtable_test_table *new_table(struct kunit *test)
{
	enum iopgtable_fmt fmt = param_fmt(test);
	struct iopgtable_cfg cfg = iopgtable_test_cfg(fmt);

	return iopgtable_test_new(test, fmt, &cfg);
}

/* A failed call undid @bytes from @iova, and flushed them once. */
static void expect_undo_flushed(struct iopgtable_test_table *t, u64 iova,
				u64 bytes)
{
	KUNIT_EXPECT_EQ(t->test, t->flush_walk, 1);
	KUNIT_EXPECT_EQ(t->test, t->flush_walk_iova, iova);
	KUNIT_EXPECT_EQ(t->test, t->flush_walk_bytes, bytes);
}

/* ---- iopgtable_alloc_ops() ---- */

struct alloc_case {
	const char *desc;
	enum iopgtable_fmt fmt;
	void (*edit)(struct iopgtable_cfg *cfg);
	int err;
};

static void cfg_only_alloc(struct iopgtable_cfg *cfg)
{
	cfg->free = NULL;
}

static void cfg_only_free(struct iopgtable_cfg *cfg)
{
	cfg->alloc = NULL;
}

static void cfg_ias_49(struct iopgtable_cfg *cfg)
{
	cfg->ias = 49;
}

static void cfg_ias_31(struct iopgtable_cfg *cfg)
{
	cfg->ias = 31;
}

static void cfg_oas_49(struct iopgtable_cfg *cfg)
{
	cfg->oas = 49;
}

static void cfg_oas_39(struct iopgtable_cfg *cfg)
{
	cfg->oas = 39;
}

static void cfg_oas_41(struct iopgtable_cfg *cfg)
{
	cfg->oas = 41;
}

static void cfg_no_sizes(struct iopgtable_cfg *cfg)
{
	cfg->pgsize_bitmap = 0;
}

static void cfg_8k_only(struct iopgtable_cfg *cfg)
{
	cfg->pgsize_bitmap = SZ_8K;
}

static void cfg_quirk_ns(struct iopgtable_cfg *cfg)
{
	cfg->quirks |= IOPGTABLE_QUIRK_ARM_NS;
}

static void cfg_quirk_unknown(struct iopgtable_cfg *cfg)
{
	cfg->quirks |= BIT(20);
}

/* io-pgtable's IO_PGTABLE_QUIRK_NO_PERMS: no meaning here, so refused. */
static void cfg_quirk_no_perms(struct iopgtable_cfg *cfg)
{
	cfg->quirks |= BIT(1);
}

static void cfg_outer_wbwa_coherent(struct iopgtable_cfg *cfg)
{
	cfg->quirks |= IOPGTABLE_QUIRK_ARM_OUTER_WBWA;
}

static void cfg_nothing(struct iopgtable_cfg *cfg)
{
}

static void cfg_noncoherent_no_dev(struct iopgtable_cfg *cfg)
{
	cfg->coherent_walk = false;
}

static const struct alloc_case alloc_cases[] = {
	{ "unknown format", IOPGTABLE_NUM_FMTS, cfg_nothing, -EINVAL },
	{ "s1 alloc without free", IOPGTABLE_ARM_64_LPAE_S1, cfg_only_alloc, -EINVAL },
	{ "mali free without alloc", IOPGTABLE_ARM_MALI_LPAE, cfg_only_free, -EINVAL },
	{ "s1 ias 49", IOPGTABLE_ARM_64_LPAE_S1, cfg_ias_49, -EINVAL },
	{ "mali ias 49", IOPGTABLE_ARM_MALI_LPAE, cfg_ias_49, -EINVAL },
	{ "s1 ias 31", IOPGTABLE_ARM_64_LPAE_S1, cfg_ias_31, -EINVAL },
	{ "s1 oas 49", IOPGTABLE_ARM_64_LPAE_S1, cfg_oas_49, -EINVAL },
	{ "s1 oas 39 (no IPS encoding)", IOPGTABLE_ARM_64_LPAE_S1, cfg_oas_39, -EINVAL },
	{ "mali oas 41", IOPGTABLE_ARM_MALI_LPAE, cfg_oas_41, -EINVAL },
	{ "s1 no page sizes", IOPGTABLE_ARM_64_LPAE_S1, cfg_no_sizes, -EINVAL },
	{ "mali no page sizes", IOPGTABLE_ARM_MALI_LPAE, cfg_no_sizes, -EINVAL },
	{ "s1 8K only (no granule)", IOPGTABLE_ARM_64_LPAE_S1, cfg_8k_only, -EINVAL },
	{ "mali NS quirk", IOPGTABLE_ARM_MALI_LPAE, cfg_quirk_ns, -EINVAL },
	{ "s1 unknown quirk", IOPGTABLE_ARM_64_LPAE_S1, cfg_quirk_unknown, -EINVAL },
	{ "s1 io-pgtable's NO_PERMS quirk", IOPGTABLE_ARM_64_LPAE_S1,
	  cfg_quirk_no_perms, -EINVAL },
	{ "s1 outer WBWA with coherent walk", IOPGTABLE_ARM_64_LPAE_S1,
	  cfg_outer_wbwa_coherent, -EINVAL },
	{ "mali non-coherent without a device", IOPGTABLE_ARM_MALI_LPAE,
	  cfg_noncoherent_no_dev, -EINVAL },
};

static void alloc_case_desc(const struct alloc_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(alloc_bad, alloc_cases, alloc_case_desc);

/* Each bad configuration fails with its errno, allocates nothing, writes nothing. */
static void alloc_ops_rejects(struct kunit *test)
{
	const struct alloc_case *c = test->param_value;
	enum iopgtable_fmt cfg_fmt = c->fmt == IOPGTABLE_NUM_FMTS ?
				     IOPGTABLE_ARM_64_LPAE_S1 : c->fmt;
	struct iopgtable_test_table counter = { .test = test };
	struct iopgtable_cfg cfg = iopgtable_test_cfg(cfg_fmt), before;
	struct iopgtable_ops *ops;

	cfg.alloc = iopgtable_test_alloc;
	cfg.free = iopgtable_test_free;
	c->edit(&cfg);
	before = cfg;

	ops = iopgtable_alloc_ops(c->fmt, &cfg, &counter);
	KUNIT_EXPECT_TRUE(test, IS_ERR(ops));
	KUNIT_EXPECT_EQ(test, PTR_ERR(ops), c->err);
	KUNIT_EXPECT_EQ(test, counter.attempts, 0);
	KUNIT_EXPECT_MEMEQ(test, &cfg, &before, sizeof(cfg));
	if (!IS_ERR(ops))
		iopgtable_free_ops(ops);
}

static void alloc_ops_null_cfg(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, PTR_ERR(iopgtable_alloc_ops(IOPGTABLE_ARM_64_LPAE_S1,
							  NULL, NULL)),
			-EINVAL);
}

/* Out of memory for the root table: -ENOMEM, nothing leaked. */
static void alloc_ops_enomem(struct kunit *test)
{
	struct iopgtable_test_table counter = { .test = test, .fail_at = 1 };
	struct iopgtable_cfg cfg = iopgtable_test_cfg(param_fmt(test));
	struct iopgtable_ops *ops;

	cfg.alloc = iopgtable_test_alloc;
	cfg.free = iopgtable_test_free;
	ops = iopgtable_alloc_ops(param_fmt(test), &cfg, &counter);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ops), -ENOMEM);
	KUNIT_EXPECT_EQ(test, counter.attempts, 1);
	KUNIT_EXPECT_EQ(test, counter.allocs, 0);
}

/* A new table translates nothing, and frees its root and nothing else. */
static void alloc_ops_empty(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	static const u64 probes[] = { 0, SZ_4K, SZ_2M, SZ_1G, BIT_ULL(39),
				      BIT_ULL(47), BIT_ULL(48) - SZ_4K };
	int i;

	KUNIT_EXPECT_EQ(test, t->allocs, 1);
	KUNIT_EXPECT_EQ(test, t->cfg.pgsize_bitmap, SZ_4K | SZ_2M | SZ_1G);
	for (i = 0; i < ARRAY_SIZE(probes); i++)
		KUNIT_EXPECT_EQ(test, t->ops->iova_to_phys(t->ops, probes[i]), 0);
	iopgtable_test_release(t);
	KUNIT_EXPECT_EQ(test, t->frees, 1);

	/* NULL and error pointers are ignored. */
	iopgtable_free_ops(NULL);
	iopgtable_free_ops(ERR_PTR(-EINVAL));
}

/* ---- map_pages outcomes ---- */

/* A run of 4K pages across two leaf tables and a level-1 boundary. */
#define RUN_IOVA	(SZ_1G - SZ_2M - 4 * SZ_4K)
#define RUN_PADDR	0x40000000ULL
#define RUN_PAGES	(4 + 512 + 512 + 4)

/* Outcome 1: everything mapped in one call, across table boundaries. */
static void map_pages_all(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	size_t mapped;

	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, RUN_IOVA, RUN_PADDR, SZ_4K,
						       RUN_PAGES, RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, mapped, (size_t)RUN_PAGES * SZ_4K);
	iopgtable_test_expect_mapped(t, RUN_IOVA, RUN_PADDR, (u64)RUN_PAGES * SZ_4K);
	iopgtable_test_expect_unmapped(t, RUN_IOVA - SZ_4K, SZ_4K);
	iopgtable_test_expect_unmapped(t, RUN_IOVA + (u64)RUN_PAGES * SZ_4K, SZ_4K);
	/* Root, two level-1 tables' worth: L1, 2 x L2, 4 leaf tables. */
	KUNIT_EXPECT_EQ(test, t->allocs, 1 + 1 + 2 + 4);
}

/* Outcome 3: -EEXIST after a prefix; the prefix is mapped, the rest untouched. */
static void map_pages_eexist_after_prefix(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	u64 busy = RUN_IOVA + 600 * SZ_4K;
	size_t mapped;

	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, busy, 0x7000000, SZ_4K, 1,
						       RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, RUN_IOVA, RUN_PADDR, SZ_4K,
						       RUN_PAGES, RW, &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, mapped, 600 * SZ_4K);
	iopgtable_test_expect_mapped(t, RUN_IOVA, RUN_PADDR, 600 * SZ_4K);
	iopgtable_test_expect_mapped(t, busy, 0x7000000, SZ_4K);
	iopgtable_test_expect_unmapped(t, busy + SZ_4K, (u64)(RUN_PAGES - 601) * SZ_4K);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 1);
}

/* Outcome 4: failure with nothing changed, at the very first page. */
static void map_pages_eexist_first(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	size_t mapped;

	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_2M, SZ_2M, SZ_2M, 1, RW,
						       &mapped), 0);
	/* A page inside the block, a block over the block, pages from its start. */
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, SZ_2M + SZ_4K, 0, SZ_4K, 1,
						       RW, &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, mapped, 0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, SZ_2M, 0, SZ_2M, 2, RW,
						       &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, mapped, 0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, SZ_2M, 0, SZ_4K, 4, RW,
						       &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, mapped, 0);
	iopgtable_test_expect_mapped(t, SZ_2M, SZ_2M, SZ_2M);
	iopgtable_test_expect_unmapped(t, SZ_4M, SZ_2M);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 3);
}

/* Outcome 4 by -ENOMEM: the first table cannot be had. */
static void map_pages_enomem_first(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	size_t mapped;

	iopgtable_test_fail_in(t, 1);
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, RUN_IOVA, RUN_PADDR, SZ_4K,
						       RUN_PAGES, RW, &mapped), -ENOMEM);
	KUNIT_EXPECT_EQ(test, mapped, 0);
	iopgtable_test_expect_unmapped(t, RUN_IOVA, (u64)RUN_PAGES * SZ_4K);
	KUNIT_EXPECT_EQ(test, t->allocs, 1);
}

/*
 * A block may replace a table that unmaps emptied: it is no mapping. The
 * emptied table is freed on the way.
 */
static void map_pages_block_over_empty_table(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	size_t mapped;

	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_2M, SZ_2M, SZ_4K, 2, RW,
						       &mapped), 0);
	KUNIT_ASSERT_EQ(test, t->ops->unmap_pages(t->ops, SZ_2M, SZ_4K, 2, NULL),
			2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, SZ_2M, SZ_4M, SZ_2M, 1, RW,
						       &mapped), 0);
	KUNIT_EXPECT_EQ(test, mapped, SZ_2M);
	iopgtable_test_expect_mapped(t, SZ_2M, SZ_4M, SZ_2M);
	KUNIT_EXPECT_EQ(test, t->frees, 1);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
}

/* ---- partial failure: the Nth table allocation fails ---- */

struct sweep_case {
	unsigned int fail_at;	/* allocation that fails, 0: none */
	int err;
	unsigned int pages;	/* pages mapped before it */
};

/*
 * The run needs, in order: L1 (shared), L2 for [0, 1G), leaf A (4 pages),
 * leaf B (512 pages), L2 for [1G, 2G), leaf C (512 pages), leaf D (4 pages).
 */
static const struct sweep_case sweep_cases[] = {
	{ 1, -ENOMEM, 0 },
	{ 2, -ENOMEM, 0 },
	{ 3, -ENOMEM, 0 },
	{ 4, -ENOMEM, 4 },
	{ 5, -ENOMEM, 4 + 512 },
	{ 6, -ENOMEM, 4 + 512 },
	{ 7, -ENOMEM, 4 + 512 + 512 },
	{ 0, 0, RUN_PAGES },
};

struct sweep_param {
	enum iopgtable_fmt fmt;
	const struct sweep_case *c;
};

static struct sweep_param sweep_params[ARRAY_SIZE(test_fmts) * ARRAY_SIZE(sweep_cases)];

static const void *sweep_gen(const void *prev, char *desc)
{
	const struct sweep_param *p = prev ? (const struct sweep_param *)prev + 1 :
					     sweep_params;
	int i;

	if (!prev)
		for (i = 0; i < ARRAY_SIZE(sweep_params); i++) {
			sweep_params[i].fmt = test_fmts[i / ARRAY_SIZE(sweep_cases)];
			sweep_params[i].c = &sweep_cases[i % ARRAY_SIZE(sweep_cases)];
		}
	if (p >= sweep_params + ARRAY_SIZE(sweep_params))
		return NULL;
	if (p->c->fail_at)
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s, allocation %u fails",
			 p->fmt == IOPGTABLE_ARM_MALI_LPAE ? "mali_lpae" : "arm_64_lpae_s1",
			 p->c->fail_at);
	else
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s, no failure",
			 p->fmt == IOPGTABLE_ARM_MALI_LPAE ? "mali_lpae" : "arm_64_lpae_s1");
	return p;
}

static void map_pages_fail_nth_alloc(struct kunit *test)
{
	const struct sweep_param *p = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(p->fmt);
	struct iopgtable_test_table *t = iopgtable_test_new(test, p->fmt, &cfg);
	u64 done = (u64)p->c->pages * SZ_4K;
	size_t mapped;

	if (p->c->fail_at)
		iopgtable_test_fail_in(t, p->c->fail_at);
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, RUN_IOVA, RUN_PADDR, SZ_4K,
						       RUN_PAGES, RW, &mapped), p->c->err);
	KUNIT_EXPECT_EQ(test, mapped, done);
	iopgtable_test_expect_mapped(t, RUN_IOVA, RUN_PADDR, done);
	iopgtable_test_expect_unmapped(t, RUN_IOVA + done,
				       (u64)RUN_PAGES * SZ_4K - done);

	/* The caller owns the prefix: unmapping it is legal and complete. */
	if (done)
		KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, RUN_IOVA, done, NULL), done);
	iopgtable_test_expect_unmapped(t, RUN_IOVA, (u64)RUN_PAGES * SZ_4K);
	iopgtable_test_release(t);
}

/* ---- unmap_pages ---- */

/* The contract's example: two 4K runs unmapped by one 2M page. */
static void unmap_consecutive_mappings(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	size_t mapped;

	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, 0, 0x10000000, SZ_4K, 256,
						       RW, &mapped), 0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_1M, 0x20000000, SZ_4K,
						       256, RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, 0, SZ_2M, 1, NULL), SZ_2M);
	iopgtable_test_expect_unmapped(t, 0, SZ_2M);
	/* The leaf table under the 2M span went with it, after a walk flush. */
	KUNIT_EXPECT_EQ(test, t->frees, 1);
	KUNIT_EXPECT_EQ(test, t->flush_walk, 1);
	KUNIT_EXPECT_EQ(test, t->flush_walk_bytes, SZ_2M);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
}

/* 4K pages across two leaf tables, in one call. */
static void unmap_across_leaf_tables(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	struct iopgtable_gather gather;
	size_t mapped;

	iopgtable_gather_init(&gather);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_2M - 4 * SZ_4K, 0x1000000,
						       SZ_4K, 8, RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_2M - 4 * SZ_4K, SZ_4K, 8,
						  &gather), 8 * SZ_4K);
	iopgtable_test_expect_unmapped(t, SZ_2M - 4 * SZ_4K, 8 * SZ_4K);
	/* Every leaf cleared was queued for invalidation. */
	KUNIT_EXPECT_EQ(test, t->add_page, 8);
	KUNIT_EXPECT_EQ(test, t->add_page_bytes, 8 * SZ_4K);
	/* Neither leaf table's whole span was unmapped: both stay. */
	KUNIT_EXPECT_EQ(test, t->frees, 0);

	/* Without a gather there is nothing to queue pages on. */
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, 0, 0, SZ_4K, 2, RW,
						       &mapped), 0);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, 0, SZ_4K, 2, NULL), 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, t->add_page, 8);
}

/* A range covering a whole table's span frees that table, whatever pgsize. */
static void unmap_whole_table_span(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	size_t mapped;

	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_4M, 0x1000000, SZ_4K, 512,
						       RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_4M, SZ_4K, 512, NULL),
			SZ_2M);
	KUNIT_EXPECT_EQ(test, t->frees, 1);
	KUNIT_EXPECT_EQ(test, t->flush_walk, 1);
	iopgtable_test_expect_unmapped(t, SZ_4M, SZ_2M);

	/* A whole 1G span of 4K pages: L2 and 512 leaf tables go at once. */
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_1G, SZ_1G, SZ_4K,
						       SZ_1G / SZ_4K, RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_1G, SZ_1G, 1, NULL), SZ_1G);
	KUNIT_EXPECT_EQ(test, t->frees, 1 + 1 + 512);
	KUNIT_EXPECT_EQ(test, t->flush_walk, 2);
	iopgtable_test_expect_unmapped(t, SZ_1G, SZ_4M);
}

/*
 * A new table with a 2M block at 0 (to 1G) and @pages 4K pages from 2M (to
 * 2G), and an empty @gather: the start of the mixed-size unmap cases.
 */
static struct iopgtable_test_table *
map_block_then_pages(struct kunit *test, size_t pages,
		     struct iopgtable_gather *gather)
{
	struct iopgtable_test_table *t = new_table(test);
	size_t mapped;

	iopgtable_gather_init(gather);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, 0, SZ_1G, SZ_2M, 1, RW,
						       &mapped), 0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_2M, SZ_2G, SZ_4K,
						       pages, RW, &mapped), 0);
	return t;
}

/* Mixed sizes: a 2M block then 4K pages, unmapped as 4K pages. */
static void unmap_mixed_sizes(struct kunit *test)
{
	struct iopgtable_gather gather;
	struct iopgtable_test_table *t = map_block_then_pages(test, 3, &gather);

	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, 0, SZ_4K, 512 + 3,
						  &gather),
			SZ_2M + 3 * SZ_4K);
	iopgtable_test_expect_unmapped(t, 0, SZ_4M);
	/* One leaf invalidation per leaf cleared, whatever its size. */
	KUNIT_EXPECT_EQ(test, t->add_page, 1 + 3);
	KUNIT_EXPECT_EQ(test, t->add_page_bytes, SZ_2M + 3 * SZ_4K);
	KUNIT_EXPECT_EQ(test, gather.start, 0);
	KUNIT_EXPECT_EQ(test, gather.end, SZ_2M + 3 * SZ_4K - 1);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
}

/*
 * Blocks with a full leaf table between them, unmapped in block-sized
 * units: the leaves of one table are cleared in a run until the table entry
 * stops it; the rest of the range still goes, the table with its span.
 */
static void unmap_blocks_around_table(struct kunit *test)
{
	struct iopgtable_gather gather;
	struct iopgtable_test_table *t = map_block_then_pages(test, 512, &gather);
	size_t mapped;

	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_4M, SZ_1G + SZ_4M,
						       SZ_2M, 2, RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, 0, SZ_2M, 4, &gather),
			SZ_8M);
	iopgtable_test_expect_unmapped(t, 0, SZ_8M);
	/* The leaf table went with its span, and only it. */
	KUNIT_EXPECT_EQ(test, t->frees, 1);
	KUNIT_EXPECT_EQ(test, t->flush_walk, 1);
	KUNIT_EXPECT_EQ(test, t->flush_walk_bytes, SZ_2M);
	/* The three blocks were each reported as a leaf. */
	KUNIT_EXPECT_EQ(test, t->add_page, 3);
	KUNIT_EXPECT_EQ(test, t->add_page_bytes, 3 * SZ_2M);
	KUNIT_EXPECT_EQ(test, gather.start, 0);
	KUNIT_EXPECT_EQ(test, gather.end, SZ_8M - 1);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
}

struct violation_case {
	const char *desc;
	u64 map_iova[2];
	size_t map_pgsize[2];
	size_t map_count[2];
	u64 unmap_iova;
	size_t unmap_pgsize;
	size_t unmap_count;
	size_t expect;
};

static const struct violation_case violation_cases[] = {
	{ "start inside a block", { SZ_2M }, { SZ_2M }, { 1 },
	  SZ_2M + SZ_4K, SZ_4K, 1, 0 },
	{ "end inside a block", { SZ_2M - 2 * SZ_4K, SZ_2M }, { SZ_4K, SZ_2M }, { 2, 1 },
	  SZ_2M - 2 * SZ_4K, SZ_4K, 4, 2 * SZ_4K },
	{ "start at a hole", { SZ_8M + SZ_4K }, { SZ_4K }, { 1 },
	  SZ_8M, SZ_4K, 2, 0 },
	{ "hole in the middle", { 0, 3 * SZ_4K }, { SZ_4K, SZ_4K }, { 2, 1 },
	  0, SZ_4K, 4, 2 * SZ_4K },
	{ "nothing mapped at all", { }, { }, { },
	  SZ_1G + SZ_4K, SZ_4K, 1, 0 },
	{ "a whole span, then a hole in one covered in part", { SZ_2M }, { SZ_4K },
	  { 1 }, SZ_2M, SZ_4K, 512 + 2, SZ_2M },
};

static void violation_desc(const struct violation_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(violation, violation_cases, violation_desc);

/*
 * Illegal unmaps stop where the rule breaks, return what went before, leave
 * the rest alone and, under IOPGTABLE_QUIRK_NO_WARN, do not WARN.
 */
static void unmap_violation(struct kunit *test)
{
	const struct violation_case *c = test->param_value;
	struct iopgtable_test_table *t;
	struct iopgtable_cfg cfg;
	size_t mapped;
	int i;

	cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);
	for (i = 0; i < 2 && c->map_count[i]; i++)
		KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, c->map_iova[i],
							       SZ_1G + c->map_iova[i],
							       c->map_pgsize[i],
							       c->map_count[i], RW,
							       &mapped), 0);

	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, c->unmap_iova, c->unmap_pgsize,
						  c->unmap_count, NULL), c->expect);
	iopgtable_test_expect_unmapped(t, c->unmap_iova, c->expect);
	/* Everything past the stop is as it was. */
	for (i = 0; i < 2 && c->map_count[i]; i++) {
		u64 start = max(c->map_iova[i], c->unmap_iova + c->expect);
		u64 end = c->map_iova[i] + (u64)c->map_pgsize[i] * c->map_count[i];

		if (start < end)
			iopgtable_test_expect_mapped(t, start, SZ_1G + start, end - start);
	}
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 1);

	/* The range helper reports the same, once. */
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, c->unmap_iova + c->expect,
					      (size_t)c->unmap_pgsize * c->unmap_count -
					      c->expect, NULL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 2);
	/* IOPGTABLE_QUIRK_NO_WARN: traced, not WARNed. */
	KUNIT_EXPECT_EQ(test, iopgtable_test_warnings(t), 0);
}

/* A gather is extended over what was unmapped, and only that. */
static void unmap_gather(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	struct iopgtable_gather gather;
	size_t mapped;

	iopgtable_gather_init(&gather);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_1M, 0, SZ_4K, 4, RW,
						       &mapped), 0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_4M, 0, SZ_2M, 1, RW,
						       &mapped), 0);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_1M, SZ_4K, 4, &gather),
			4 * SZ_4K);
	KUNIT_EXPECT_EQ(test, gather.start, SZ_1M);
	KUNIT_EXPECT_EQ(test, gather.end, SZ_1M + 4 * SZ_4K - 1);
	KUNIT_EXPECT_EQ(test, gather.pgsize, SZ_4K);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_4M, SZ_2M, 1, &gather),
			SZ_2M);
	KUNIT_EXPECT_EQ(test, gather.start, SZ_1M);
	KUNIT_EXPECT_EQ(test, gather.end, SZ_4M + SZ_2M - 1);
	KUNIT_EXPECT_EQ(test, gather.pgsize, SZ_2M);
	/* An unmap that removes nothing leaves the gather alone. */
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_8M, SZ_4K, 1, &gather), 0);
	KUNIT_EXPECT_EQ(test, gather.end, SZ_4M + SZ_2M - 1);
	/* A whole empty span is unmapped, and gathered, all the same. */
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_8M, SZ_2M, 1, &gather),
			SZ_2M);
	KUNIT_EXPECT_EQ(test, gather.end, SZ_8M + SZ_2M - 1);
}

/*
 * A whole entry span inside the range is unmapped whatever it holds, so the
 * answer does not depend on an empty table left behind by earlier unmaps:
 * on a new table and after map(0, 4K) then unmap(0, 4K) alike.
 */
static void unmap_whole_empty_span(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	size_t mapped;

	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, 0, SZ_2M, 1, NULL), SZ_2M);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, 0, 0, SZ_4K, 1, RW,
						       &mapped), 0);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, 0, SZ_4K, 1, NULL), SZ_4K);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, 0, SZ_2M, 1, NULL), SZ_2M);
	/* The lingering leaf table went with the span, after a walk flush. */
	KUNIT_EXPECT_EQ(test, t->frees, 1);
	KUNIT_EXPECT_EQ(test, t->flush_walk, 1);

	/* Empty spans around a mapping, in one range of 4K pages. */
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_1G + SZ_2M, 0, SZ_4K, 512,
						       RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, SZ_1G, SZ_8M, NULL), SZ_8M);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_1G, SZ_1G, 1, NULL), SZ_1G);
	iopgtable_test_expect_unmapped(t, SZ_1G, SZ_8M);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
}

/*
 * Without IOPGTABLE_QUIRK_NO_WARN each contract violation WARNs once, and
 * nothing else does; past the rate limit they are still counted.
 */
static void violations_warn(struct kunit *test)
{
	enum iopgtable_fmt fmt = param_fmt(test);
	struct iopgtable_cfg cfg = iopgtable_test_cfg(fmt);
	struct iopgtable_test_table *t;
	size_t mapped;
	int i;

	cfg.quirks &= ~IOPGTABLE_QUIRK_NO_WARN;
	t = iopgtable_test_new(test, fmt, &cfg);

	/* Legal calls and bad arguments: no WARN. */
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_2M, 0, SZ_2M, 1, RW,
						       &mapped), 0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_8M, 0, SZ_4K, 2, RW,
						       &mapped), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, 1, 0, SZ_4K, 1, RW,
						       &mapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, 1, SZ_4K, 1, NULL), 0);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_1G, SZ_2M, 1, NULL), SZ_2M);
	KUNIT_EXPECT_EQ(test, iopgtable_test_warnings(t), 0);

	/* Each violation: exactly one. */
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, SZ_2M, 0, SZ_4K, 1, RW,
						       &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, iopgtable_test_warnings(t), 1);
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, SZ_8M + SZ_4K, 0, SZ_4K, 1,
						       RW, &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, iopgtable_test_warnings(t), 2);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_2M + SZ_4K, SZ_4K, 1,
						  NULL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_warnings(t), 3);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_8M, SZ_4K, 3, NULL),
			2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, iopgtable_test_warnings(t), 4);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 4);
	KUNIT_EXPECT_TRUE(test, test_taint(TAINT_WARN));

	/* A flood from userspace: counted, but warned only up to the burst. */
	for (i = 0; i < 2 * DEFAULT_RATELIMIT_BURST; i++)
		KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, SZ_2M + SZ_4K,
							  SZ_4K, 1, NULL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t),
			4 + 2 * DEFAULT_RATELIMIT_BURST);
	KUNIT_EXPECT_EQ(test, iopgtable_test_warnings(t), DEFAULT_RATELIMIT_BURST);
	iopgtable_test_expect_mapped(t, SZ_2M, 0, SZ_2M);
}

/*
 * 32-bit kernels: a byte count that does not fit in size_t cannot be
 * reported, so it is refused (-ERANGE, or 0 from unmap) and nothing
 * changes. On 64-bit kernels the same calls work, and the removal of a
 * level-0 span (512G) reaches tlb_flush_walk whole.
 */
static void sizes_past_size_t(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	bool narrow = sizeof(size_t) < sizeof(u64);
	size_t mapped;

	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, 0, 0, SZ_2M, 2048, RW,
						       &mapped), narrow ? -ERANGE : 0);
	KUNIT_EXPECT_EQ(test, mapped, narrow ? 0 : SZ_4G);
	if (narrow) {
		KUNIT_EXPECT_EQ(test, t->allocs, 1);
		iopgtable_test_expect_unmapped(t, 0, SZ_4M);
		KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, 0, 0, SZ_2M, 1, RW,
							       &mapped), 0);
	}
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, SZ_256G, 0, SZ_4K, 1, RW,
						       &mapped), 0);

	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, 0, SZ_1G, 512, NULL),
			narrow ? 0 : SZ_512G);
	if (narrow) {
		iopgtable_test_expect_mapped(t, 0, 0, SZ_2M);
		iopgtable_test_expect_mapped(t, SZ_256G, 0, SZ_4K);
		KUNIT_EXPECT_EQ(test, t->flush_walk, 0);
		KUNIT_EXPECT_EQ(test, t->frees, 0);
		return;
	}
	iopgtable_test_expect_unmapped(t, 0, SZ_4M);
	iopgtable_test_expect_unmapped(t, SZ_256G, SZ_4K);
	KUNIT_EXPECT_EQ(test, t->flush_walk, 1);
	KUNIT_EXPECT_EQ(test, t->flush_walk_bytes, SZ_512G);
	/* Every table but the root. */
	KUNIT_EXPECT_EQ(test, t->frees, t->allocs - 1);
}

/* ---- bad input: a clear errno, nothing changed ---- */

struct bad_map_case {
	const char *desc;
	u64 iova;
	u64 paddr;
	size_t pgsize;
	size_t pgcount;
	int prot;
	int err;
};

#define TOP48	BIT_ULL(48)

static const struct bad_map_case bad_map_cases[] = {
	{ "pgcount 0", SZ_4M, 0, SZ_4K, 0, RW, -EINVAL },
	{ "pgsize 8K not provided", SZ_4M, 0, SZ_8K, 1, RW, -EINVAL },
	{ "pgsize 0", SZ_4M, 0, 0, 1, RW, -EINVAL },
	{ "pgsize two sizes at once", SZ_4M, 0, SZ_4K | SZ_2M, 1, RW, -EINVAL },
	{ "iova not aligned to pgsize", SZ_4M + SZ_4K, 0, SZ_2M, 1, RW, -EINVAL },
	{ "paddr not aligned to pgsize", SZ_4M, SZ_4K, SZ_2M, 1, RW, -EINVAL },
	{ "prot without READ or WRITE", SZ_4M, 0, SZ_4K, 1, IOPGTABLE_CACHE, -EINVAL },
	{ "prot 0", SZ_4M, 0, SZ_4K, 1, 0, -EINVAL },
	{ "iova at 2^ias", TOP48, 0, SZ_4K, 1, RW, -ERANGE },
	{ "range passes 2^ias", TOP48 - SZ_4K, 0, SZ_4K, 2, RW, -ERANGE },
	{ "size wraps u64", SZ_1G, 0, SZ_1G, SIZE_MAX / 2, RW, -ERANGE },
	{ "paddr at 2^oas", SZ_4M, BIT_ULL(40), SZ_4K, 1, RW, -ERANGE },
	{ "physical range passes 2^oas", SZ_4M, BIT_ULL(40) - SZ_4K, SZ_4K, 2, RW,
	  -ERANGE },
};

static void bad_map_desc(const struct bad_map_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_map, bad_map_cases, bad_map_desc);

/* Map a marker page at 0 so that "nothing changed" has something to keep. */
static struct iopgtable_test_table *new_marked(struct kunit *test,
					       enum iopgtable_fmt fmt)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(fmt);
	struct iopgtable_test_table *t;
	size_t mapped;

	/* oas 40 for both formats, so the -ERANGE cases are the same. */
	cfg.oas = 40;
	t = iopgtable_test_new(test, fmt, &cfg);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, 0, SZ_64K, SZ_4K, 1, RW,
						       &mapped), 0);
	return t;
}

static void expect_only_marker(struct iopgtable_test_table *t, unsigned long allocs)
{
	iopgtable_test_expect_mapped(t, 0, SZ_64K, SZ_4K);
	iopgtable_test_expect_unmapped(t, SZ_4K, SZ_8M);
	KUNIT_EXPECT_EQ(t->test, t->allocs, allocs);
	KUNIT_EXPECT_EQ(t->test, t->attempts, allocs);
}

static void map_pages_bad_input(struct kunit *test)
{
	const struct bad_map_case *c = test->param_value;
	int f;

	for (f = 0; f < ARRAY_SIZE(test_fmts); f++) {
		struct iopgtable_test_table *t = new_marked(test, test_fmts[f]);
		unsigned long allocs = t->allocs;
		size_t mapped = 0;

		KUNIT_EXPECT_EQ(test, t->ops->map_pages(t->ops, c->iova, c->paddr,
							c->pgsize, c->pgcount, c->prot,
							GFP_KERNEL, &mapped), c->err);
		KUNIT_EXPECT_EQ(test, mapped, 0);
		expect_only_marker(t, allocs);
		KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
	}
}

static void map_pages_adds_to_mapped(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	size_t mapped = SZ_1M;

	KUNIT_EXPECT_EQ(test, t->ops->map_pages(t->ops, 0, 0, SZ_4K, 3, RW,
						GFP_KERNEL, &mapped), 0);
	KUNIT_EXPECT_EQ(test, mapped, SZ_1M + 3 * SZ_4K);
}

static const struct bad_map_case bad_unmap_cases[] = {
	{ "pgcount 0", 0, 0, SZ_4K, 0 },
	{ "pgsize 8K not provided", 0, 0, SZ_8K, 1 },
	{ "pgsize 0", 0, 0, 0, 1 },
	{ "iova not aligned to pgsize", SZ_4K, 0, SZ_2M, 1 },
	{ "iova at 2^ias", TOP48, 0, SZ_4K, 1 },
	{ "range passes 2^ias", TOP48 - SZ_4K, 0, SZ_4K, 2 },
	{ "size wraps u64", 0, 0, SZ_1G, SIZE_MAX / 2 },
};

KUNIT_ARRAY_PARAM(bad_unmap, bad_unmap_cases, bad_map_desc);

/* Bad unmap arguments return 0 and change nothing, quietly. */
static void unmap_pages_bad_input(struct kunit *test)
{
	const struct bad_map_case *c = test->param_value;
	int f;

	for (f = 0; f < ARRAY_SIZE(test_fmts); f++) {
		struct iopgtable_test_table *t = new_marked(test, test_fmts[f]);
		unsigned long allocs = t->allocs;

		KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, c->iova, c->pgsize,
							  c->pgcount, NULL), 0);
		expect_only_marker(t, allocs);
		KUNIT_EXPECT_EQ(test, t->frees, 0);
		KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
	}
}

static void iova_to_phys_out_of_range(struct kunit *test)
{
	struct iopgtable_test_table *t = new_marked(test, param_fmt(test));

	/* The index bits alone would alias IOVA 0; the range check must not. */
	KUNIT_EXPECT_EQ(test, t->ops->iova_to_phys(t->ops, TOP48), 0);
	KUNIT_EXPECT_EQ(test, t->ops->iova_to_phys(t->ops, U64_MAX & ~0xfffULL), 0);
	KUNIT_EXPECT_EQ(test, t->ops->iova_to_phys(t->ops, 0x123), SZ_64K + 0x123);
}

/* ---- range helpers ---- */

/* Block-aligned ranges use blocks: fewer tables than 4K pages would need. */
static void map_uses_blocks(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	struct iopgtable_test_walk walk;
	unsigned long before = t->allocs;

	KUNIT_EXPECT_EQ(test, iopgtable_map(t->ops, SZ_2M, SZ_1G + SZ_2M, SZ_4M, RW,
					    GFP_KERNEL), 0);
	iopgtable_test_expect_mapped(t, SZ_2M, SZ_1G + SZ_2M, SZ_4M);
	/* An L1 and an L2 table; 4K pages would have needed two leaf tables more. */
	KUNIT_EXPECT_EQ(test, t->allocs - before, 2);
	KUNIT_EXPECT_NE(test, iopgtable_test_walk(t, SZ_2M, &walk), 0);
	KUNIT_EXPECT_EQ(test, walk.level, 2);
	KUNIT_EXPECT_NE(test, iopgtable_test_walk(t, SZ_4M, &walk), 0);
	KUNIT_EXPECT_EQ(test, walk.level, 2);
	/* A 1G-aligned gigabyte is one level-1 block. */
	KUNIT_EXPECT_EQ(test, iopgtable_map(t->ops, SZ_1G, SZ_2G, SZ_1G, RW,
					    GFP_KERNEL), 0);
	KUNIT_EXPECT_NE(test, iopgtable_test_walk(t, SZ_1G + SZ_4K, &walk), 0);
	KUNIT_EXPECT_EQ(test, walk.level, 1);
	KUNIT_EXPECT_EQ(test, t->allocs - before, 2);
}

struct pick_case {
	const char *desc;
	enum iopgtable_fmt fmt;
	unsigned long sizes;
	u64 iova, paddr, size;
	/*
	 * Expected leaf level at each page of the granule: 3, or 2 inside a
	 * block one level up (2M, 32M or 512M).
	 */
	u64 block_start, block_end;
};

#define PICK_S1		IOPGTABLE_ARM_64_LPAE_S1
#define PICK_MALI	IOPGTABLE_ARM_MALI_LPAE
#define PICK_4K		(SZ_4K | SZ_2M | SZ_1G)
#define PICK_16K	(SZ_16K | SZ_32M)
#define PICK_64K	(SZ_64K | SZ_512M)

static const struct pick_case pick_cases[] = {
	{ "same offset: 4K, one 2M block, 4K", PICK_S1, PICK_4K, SZ_2M - SZ_4K,
	  SZ_1G - SZ_4K, SZ_2M + 2 * SZ_4K, SZ_2M, SZ_4M },
	{ "offsets differ: all 4K", PICK_S1, PICK_4K, SZ_2M - SZ_4K,
	  SZ_1G - 2 * SZ_4K, SZ_2M + 2 * SZ_4K, 0, 0 },
	{ "too short for a block", PICK_S1, PICK_4K, SZ_2M, SZ_1G, SZ_2M - SZ_4K,
	  0, 0 },
	{ "64 MiB, unaligned start", PICK_S1, PICK_4K, SZ_4G + 0x1ff000,
	  SZ_2G + 0x1ff000, SZ_64M, SZ_4G + SZ_2M, SZ_4G + SZ_2M * 32 },
	{ "16K granule, same offset: 16K, one 32M block, 16K", PICK_S1, PICK_16K,
	  SZ_32M - SZ_16K, SZ_1G - SZ_16K, SZ_32M + 2 * SZ_16K, SZ_32M, SZ_64M },
	{ "16K granule, offsets differ by 16K: all 16K", PICK_S1, PICK_16K,
	  SZ_32M - SZ_16K, SZ_1G - SZ_32K, SZ_32M + 2 * SZ_16K, 0, 0 },
	{ "64K granule, same offset: 64K, one 512M block, 64K", PICK_S1, PICK_64K,
	  SZ_512M - SZ_64K, SZ_2G - SZ_64K, SZ_512M + 2 * SZ_64K, SZ_512M,
	  SZ_1G },
	{ "64K granule, offsets differ by 64K: all 64K", PICK_S1, PICK_64K,
	  SZ_512M - SZ_64K, SZ_2G - SZ_128K, SZ_512M + 2 * SZ_64K, 0, 0 },
	{ "Mali, same offset: 4K, one 2M block, 4K", PICK_MALI, PICK_4K, SZ_2M - SZ_4K,
	  SZ_1G - SZ_4K, SZ_2M + 2 * SZ_4K, SZ_2M, SZ_4M },
	{ "Mali, offsets differ by 1M: all 4K", PICK_MALI, PICK_4K, SZ_2M - SZ_4K,
	  SZ_1G + SZ_1M - SZ_4K, SZ_2M + 2 * SZ_4K, 0, 0 },
	/* The IOVA allows a block, the physical address does not. */
	{ "2M of 4K at a 2M IOVA", PICK_S1, PICK_4K, SZ_2M, SZ_1G + SZ_4K, SZ_2M,
	  0, 0 },
	{ "32M of 16K at a 32M IOVA", PICK_S1, PICK_16K, SZ_32M, SZ_1G + SZ_16K,
	  SZ_32M, 0, 0 },
	{ "512M of 64K at a 512M IOVA", PICK_S1, PICK_64K, SZ_512M, SZ_2G + SZ_64K,
	  SZ_512M, 0, 0 },
	{ "Mali, 2M of 4K at a 2M IOVA", PICK_MALI, PICK_4K, SZ_2M, SZ_1G + SZ_1M,
	  SZ_2M, 0, 0 },
};

static void pick_desc(const struct pick_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pick, pick_cases, pick_desc);

/*
 * iopgtable_map() picks the largest size that the alignment of both
 * addresses and the length allow, for each granule and format.
 */
static void map_picks_page_sizes(struct kunit *test)
{
	const struct pick_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	u64 granule = c->sizes & -c->sizes;
	struct iopgtable_test_table *t;
	struct iopgtable_test_walk walk;
	u64 off;

	cfg.pgsize_bitmap = c->sizes;
	t = iopgtable_test_new(test, c->fmt, &cfg);
	KUNIT_ASSERT_EQ(test, t->cfg.pgsize_bitmap, c->sizes);
	KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, c->iova, c->paddr, c->size, RW,
					    GFP_KERNEL), 0);
	iopgtable_test_expect_mapped(t, c->iova, c->paddr, c->size);
	for (off = 0; off < c->size; off += granule) {
		u64 iova = c->iova + off;
		int want = iova >= c->block_start && iova < c->block_end ? 2 : 3;

		KUNIT_ASSERT_NE(test, iopgtable_test_walk(t, iova, &walk), 0);
		if (walk.level != want) {
			KUNIT_FAIL(test, "IOVA %#llx: leaf at level %d, wanted %d",
				   iova, walk.level, want);
			break;
		}
	}
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, c->iova, c->size, NULL), c->size);
	iopgtable_test_expect_unmapped(t, c->iova, c->size);
}

/* Rollback: a failing table allocation leaves every page unmapped. */
static void map_rolls_back_enomem(struct kunit *test)
{
	u64 iova = SZ_1G - SZ_4M + SZ_4K;
	struct iopgtable_test_table *t;
	unsigned int n;

	/*
	 * An unaligned 8M across 1G needs five tables (L1, L2, a leaf, L2,
	 * a leaf) around its 2M blocks; fail each in turn. What was mapped
	 * before the failure (511 pages and a block before the second L2,
	 * two more blocks before the last leaf) is undone and flushed once.
	 */
	static const u64 undone[] = { 0, 0, 0, SZ_4M - SZ_4K, SZ_8M - SZ_4K };

	for (n = 1; n <= 5; n++) {
		t = new_table(test);
		iopgtable_test_fail_in(t, n);
		KUNIT_EXPECT_EQ(test, iopgtable_map(t->ops, iova, SZ_4K, SZ_8M, RW,
						    GFP_KERNEL), -ENOMEM);
		iopgtable_test_expect_unmapped(t, iova - SZ_4K, SZ_8M + SZ_8K);
		KUNIT_EXPECT_EQ(test, t->attempts, 1 + n);
		KUNIT_EXPECT_EQ(test, t->flush_walk, undone[n - 1] ? 1 : 0);
		KUNIT_EXPECT_EQ(test, t->flush_walk_bytes, undone[n - 1]);
		if (undone[n - 1])
			KUNIT_EXPECT_EQ(test, t->flush_walk_iova, iova);
		KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
		iopgtable_test_release(t);
	}
	t = new_table(test);
	KUNIT_EXPECT_EQ(test, iopgtable_map(t->ops, iova, SZ_4K, SZ_8M, RW,
					    GFP_KERNEL), 0);
	iopgtable_test_expect_mapped(t, iova, SZ_4K, SZ_8M);
	KUNIT_EXPECT_EQ(test, t->allocs, 1 + 5);
}

/* Rollback: a mapping in the way leaves the range as it was. */
static void map_rolls_back_eexist(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	u64 busy = SZ_8M + SZ_2M + 5 * SZ_4K;
	size_t mapped;

	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, busy, SZ_64K, SZ_4K, 1, RW,
						       &mapped), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_map(t->ops, SZ_8M, SZ_1G, SZ_4M, RW,
					    GFP_KERNEL), -EEXIST);
	/*
	 * Two 2M blocks were asked for; the first was mapped, the table of
	 * the busy page was in the way of the second. Undone and flushed.
	 */
	expect_undo_flushed(t, SZ_8M, SZ_2M);
	iopgtable_test_expect_unmapped(t, SZ_8M, busy - SZ_8M);
	iopgtable_test_expect_mapped(t, busy, SZ_64K, SZ_4K);
	iopgtable_test_expect_unmapped(t, busy + SZ_4K, SZ_8M + SZ_4M - busy - SZ_4K);
}

struct bad_range_case {
	const char *desc;
	u64 iova, paddr, size;
	int prot;
	int err;
};

static const struct bad_range_case bad_range_cases[] = {
	{ "size 0", 0, 0, 0, RW, -EINVAL },
	{ "size not page aligned", 0, 0, SZ_4K + 512, RW, -EINVAL },
	{ "iova not page aligned", 512, 0, SZ_4K, RW, -EINVAL },
	{ "paddr not page aligned", 0, 512, SZ_4K, RW, -EINVAL },
	{ "prot without READ or WRITE", 0, 0, SZ_4K, IOPGTABLE_NOEXEC, -EINVAL },
	{ "range passes 2^ias", TOP48 - SZ_2M, 0, SZ_4M, RW, -ERANGE },
	{ "physical range passes 2^oas", 0, BIT_ULL(40) - SZ_4K, SZ_8K, RW, -ERANGE },
};

static void bad_range_desc(const struct bad_range_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_range, bad_range_cases, bad_range_desc);

/* iopgtable_map() and iopgtable_map_sgtable() reject bad input up front. */
static void range_helpers_bad_input(struct kunit *test)
{
	const struct bad_range_case *c = test->param_value;
	int f;

	for (f = 0; f < ARRAY_SIZE(test_fmts); f++) {
		struct iopgtable_test_table *t = new_marked(test, test_fmts[f]);
		unsigned long allocs = t->allocs;
		struct scatterlist *sg;
		struct sg_table sgt;

		KUNIT_EXPECT_EQ(test, iopgtable_map(t->ops, c->iova + SZ_4M, c->paddr,
						    c->size, c->prot, GFP_KERNEL),
				c->err);
		expect_only_marker(t, allocs);

		KUNIT_ASSERT_EQ(test, sg_alloc_table(&sgt, 1, GFP_KERNEL), 0);
		sg = sgt.sgl;
		sg_dma_address(sg) = c->paddr;
		sg_dma_len(sg) = c->size;
		sg->length = c->size;
		sgt.nents = 1;
		KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, c->iova + SZ_4M, &sgt,
							    0, c->size, c->prot,
							    GFP_KERNEL), c->err);
		sg_free_table(&sgt);
		expect_only_marker(t, allocs);
	}
	/* Unmap helper: bad arguments unmap nothing. */
	{
		struct iopgtable_test_table *t = new_marked(test, IOPGTABLE_ARM_64_LPAE_S1);

		KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, 0, 0, NULL), 0);
		KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, 0, 512, NULL), 0);
		KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, 512, SZ_4K, NULL), 0);
		iopgtable_test_expect_mapped(t, 0, SZ_64K, SZ_4K);
	}
}

struct sg_seg {
	u64 addr;
	u32 len;
};

static const struct sg_seg sg_segs[] = {
	{ 0x10000000, SZ_16K },
	{ 0x20000000, SZ_2M + SZ_8K },
	{ 0x30200000, SZ_2M },
};

static void fill_sgt(struct kunit *test, struct sg_table *sgt,
		     const struct sg_seg *segs, unsigned int n)
{
	struct scatterlist *sg;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, n, GFP_KERNEL), 0);
	for_each_sg(sgt->sgl, sg, n, i) {
		sg->length = segs[i].len;
		sg_dma_address(sg) = segs[i].addr;
		sg_dma_len(sg) = segs[i].len;
	}
	sgt->nents = n;
}

/* Several segments and an offset: exactly the requested bytes are mapped. */
static void map_sgtable_offset(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	u64 iova = SZ_1G + SZ_2M - SZ_8K;
	struct sg_table sgt;

	fill_sgt(test, &sgt, sg_segs, ARRAY_SIZE(sg_segs));
	/* Skip 8K of the first segment, stop 4K into the third. */
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, &sgt, SZ_8K,
						    SZ_8K + SZ_2M + SZ_8K + SZ_4K, RW,
						    GFP_KERNEL), 0);
	iopgtable_test_expect_unmapped(t, iova - SZ_4K, SZ_4K);
	iopgtable_test_expect_mapped(t, iova, 0x10000000 + SZ_8K, SZ_8K);
	iopgtable_test_expect_mapped(t, iova + SZ_8K, 0x20000000, SZ_2M + SZ_8K);
	iopgtable_test_expect_mapped(t, iova + SZ_2M + 2 * SZ_8K, 0x30200000, SZ_4K);
	iopgtable_test_expect_unmapped(t, iova + SZ_2M + 2 * SZ_8K + SZ_4K, SZ_4K);

	/* Past the end of the table: -EINVAL, nothing new mapped. */
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, SZ_8G, &sgt, SZ_2M,
						    SZ_4M + SZ_64K, RW, GFP_KERNEL),
			-EINVAL);
	iopgtable_test_expect_unmapped(t, SZ_8G, SZ_4M + SZ_64K);
	sg_free_table(&sgt);
}

/* A misaligned segment anywhere is caught before anything is mapped. */
static void map_sgtable_misaligned_segment(struct kunit *test)
{
	static const struct sg_seg segs[] = {
		{ 0x10000000, SZ_8K },
		{ 0x20000000, SZ_4K + 256 },
	};
	struct iopgtable_test_table *t = new_table(test);
	unsigned long allocs = t->allocs;
	struct sg_table sgt;

	fill_sgt(test, &sgt, segs, ARRAY_SIZE(segs));
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, SZ_2M, &sgt, 0, SZ_16K, RW,
						    GFP_KERNEL), -EINVAL);
	iopgtable_test_expect_unmapped(t, SZ_2M, SZ_16K);
	KUNIT_EXPECT_EQ(test, t->attempts, allocs);
	sg_free_table(&sgt);
}

/* A failure in a later segment unmaps the earlier ones. */
static void map_sgtable_rolls_back(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	u64 iova = SZ_1G - SZ_16K;
	struct sg_table sgt;
	size_t mapped;

	fill_sgt(test, &sgt, sg_segs, ARRAY_SIZE(sg_segs));
	/* Something already at the last page of the range. */
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, iova + SZ_16K + SZ_2M, 0,
						       SZ_4K, 1, RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, &sgt, 0,
						    SZ_16K + SZ_2M + SZ_4K, RW,
						    GFP_KERNEL), -EEXIST);
	iopgtable_test_expect_unmapped(t, iova, SZ_16K + SZ_2M);
	iopgtable_test_expect_mapped(t, iova + SZ_16K + SZ_2M, 0, SZ_4K);
	expect_undo_flushed(t, iova, SZ_16K + SZ_2M);

	/* And for a failed table allocation. */
	iopgtable_test_fail_in(t, 3);
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, SZ_4G - SZ_8K, &sgt, 0,
						    SZ_16K + SZ_2M, RW, GFP_KERNEL),
			-ENOMEM);
	iopgtable_test_expect_unmapped(t, SZ_4G - SZ_8K, SZ_16K + SZ_2M);
	sg_free_table(&sgt);
}

/*
 * On a new table whose @fail_at-th table allocation fails, mapping @size
 * bytes of @sgt at @iova fails with -ENOMEM after @undone bytes, which it
 * unmaps and flushes again.
 */
static void expect_sgtable_enomem(struct kunit *test, struct sg_table *sgt,
				  u64 iova, u64 size, unsigned long fail_at,
				  u64 undone)
{
	struct iopgtable_test_table *t = new_table(test);

	iopgtable_test_fail_in(t, fail_at);
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, sgt, 0, size,
						    RW, GFP_KERNEL), -ENOMEM);
	iopgtable_test_expect_unmapped(t, iova, size);
	expect_undo_flushed(t, iova, undone);
}

/*
 * A buffer of single pages, as shmem gives: 100 segments in shuffled
 * physical order, every 17th two pages long, at an IOVA 40 pages below a
 * 2M boundary, so that two leaf tables hold it.
 */
#define SG_PAGES_N	100
#define SG_PAGES_IOVA	(SZ_1G + SZ_2M - 40 * SZ_4K)

static u64 sg_pages_addr(unsigned int i)
{
	return 0x40000000 + (u64)((i * 37) % 128) * SZ_64K;
}

static u32 sg_pages_len(unsigned int i)
{
	return i % 17 == 5 ? SZ_8K : SZ_4K;
}

static u64 fill_pages_sgt(struct kunit *test, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;
	u64 size = 0;

	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, SG_PAGES_N, GFP_KERNEL), 0);
	for_each_sg(sgt->sgl, sg, SG_PAGES_N, i) {
		sg->length = sg_pages_len(i);
		sg_dma_address(sg) = sg_pages_addr(i);
		sg_dma_len(sg) = sg_pages_len(i);
		size += sg_pages_len(i);
	}
	return size;
}

/*
 * Single-page segments are mapped in batches, each batch as its pages
 * mapped one after the other would be: every page translates to its own
 * segment; a page already mapped in the middle of a batch stops the map
 * with -EEXIST, and a leaf table that cannot be allocated with -ENOMEM.
 * Either way nothing the call mapped stays, and what it undid is flushed
 * once.
 */
static void map_sgtable_single_pages(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	u64 iova = SG_PAGES_IOVA, at, size;
	struct sg_table sgt;
	unsigned int i;
	size_t mapped;

	size = fill_pages_sgt(test, &sgt);
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, &sgt, 0, size,
						    RW, GFP_KERNEL), 0);
	for (i = 0, at = iova; i < SG_PAGES_N; at += sg_pages_len(i++))
		iopgtable_test_expect_mapped(t, at, sg_pages_addr(i),
					     sg_pages_len(i));
	iopgtable_test_expect_unmapped(t, at, SZ_4K);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, iova, size, NULL), size);
	iopgtable_test_expect_unmapped(t, iova, size);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);

	/* Segment 50, in the middle of a batch, is in the way. */
	for (i = 0, at = iova; i < 50; i++)
		at += sg_pages_len(i);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, at, 0x7000000, SZ_4K,
						       1, RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, &sgt, 0, size,
						    RW, GFP_KERNEL), -EEXIST);
	iopgtable_test_expect_unmapped(t, iova, at - iova);
	iopgtable_test_expect_mapped(t, at, 0x7000000, SZ_4K);
	iopgtable_test_expect_unmapped(t, at + SZ_4K, iova + size - at - SZ_4K);
	expect_undo_flushed(t, iova, at - iova);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, at, SZ_4K, NULL), SZ_4K);
	iopgtable_test_release(t);

	/* The second leaf table cannot be had: all of the first is undone. */
	expect_sgtable_enomem(test, &sgt, iova, size, 4, SZ_1G + SZ_2M - iova);
	sg_free_table(&sgt);
}

/*
 * A buffer of 2M folios, as a THP-backed shmem object gives: 40 segments of
 * one 2M block each, in shuffled physical order, at an IOVA 20 blocks below
 * a 1G boundary, so that a batch of blocks crosses into a second level-2
 * table.
 */
#define SG_BLOCKS_N	40
#define SG_BLOCKS_IOVA	(SZ_2G - 20 * SZ_2M)

static u64 sg_blocks_addr(unsigned int i)
{
	return SZ_4G + (u64)((i * 23) % 64) * SZ_2M;
}

static void fill_blocks_sgt(struct kunit *test, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, SG_BLOCKS_N, GFP_KERNEL), 0);
	for_each_sg(sgt->sgl, sg, SG_BLOCKS_N, i) {
		sg->length = SZ_2M;
		sg_dma_address(sg) = sg_blocks_addr(i);
		sg_dma_len(sg) = SZ_2M;
	}
}

/* Each segment of @sgt, from @first on, mapped as one 2M block. */
static void expect_blocks(struct iopgtable_test_table *t, unsigned int first)
{
	struct iopgtable_test_walk w;
	unsigned int i;

	for (i = first; i < SG_BLOCKS_N; i++) {
		u64 at = SG_BLOCKS_IOVA + (u64)i * SZ_2M;

		iopgtable_test_expect_mapped(t, at, sg_blocks_addr(i), SZ_4K);
		iopgtable_test_expect_mapped(t, at + SZ_2M - SZ_4K,
					     sg_blocks_addr(i) + SZ_2M - SZ_4K,
					     SZ_4K);
		KUNIT_EXPECT_NE(t->test, iopgtable_test_walk(t, at, &w), 0);
		KUNIT_EXPECT_EQ_MSG(t->test, w.level, 2, "block %u", i);
	}
}

/*
 * Segments of one block each are mapped in batches too, each as the
 * blocks mapped one after the other would be: only the level-2 tables are
 * allocated; a block over a leaf table that maps nothing replaces it; a
 * page in the way stops the map with -EEXIST and a level-2 table that
 * cannot be had with -ENOMEM, and nothing the call mapped stays.
 */
static void map_sgtable_blocks(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);
	u64 iova = SG_BLOCKS_IOVA, size = SG_BLOCKS_N * SZ_2M;
	u64 at = iova + 25 * SZ_2M;
	unsigned long allocs = t->allocs, frees;
	struct sg_table sgt;
	size_t mapped;

	fill_blocks_sgt(test, &sgt);
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, &sgt, 0, size,
						    RW, GFP_KERNEL), 0);
	expect_blocks(t, 0);
	/* A level-1 table, and a level-2 table on either side of 2G. */
	KUNIT_EXPECT_EQ(test, t->allocs - allocs, 3);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, iova, size, NULL), size);

	/* A page in block 25, past 2G in the first batch: -EEXIST. */
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, at + SZ_64K, 0x7000000,
						       SZ_4K, 1, RW, &mapped), 0);
	t->flush_walk = 0;
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, &sgt, 0, size,
						    RW, GFP_KERNEL), -EEXIST);
	iopgtable_test_expect_unmapped(t, iova, at + SZ_64K - iova);
	iopgtable_test_expect_mapped(t, at + SZ_64K, 0x7000000, SZ_4K);
	iopgtable_test_expect_unmapped(t, at + SZ_64K + SZ_4K,
				       iova + size - at - SZ_64K - SZ_4K);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 1);
	expect_undo_flushed(t, iova, at - iova);

	/* Unmapped again, the page leaves an empty leaf table: it gives way. */
	KUNIT_ASSERT_EQ(test, iopgtable_unmap(t->ops, at + SZ_64K, SZ_4K, NULL),
			SZ_4K);
	frees = t->frees;
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, &sgt, 0, size,
						    RW, GFP_KERNEL), 0);
	expect_blocks(t, 0);
	KUNIT_EXPECT_EQ(test, t->frees - frees, 1);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 1);
	iopgtable_test_release(t);

	/* The second level-2 table cannot be had: all of the first undone. */
	expect_sgtable_enomem(test, &sgt, iova, size, 3, SZ_2G - iova);
	sg_free_table(&sgt);
}

/*
 * All of the range in the first segment: mapped as one contiguous run, in
 * the largest pages, from @offset on; checked and undone as any other.
 */
static void map_sgtable_one_segment(struct kunit *test)
{
	static const struct sg_seg segs[] = {
		{ 0x40000000 - SZ_8K, SZ_4M + SZ_16K },
		{ 0x10000000, SZ_4K },
	};
	struct iopgtable_test_table *t = new_table(test);
	u64 iova = SZ_1G - SZ_4K, size = SZ_4K + SZ_2M + SZ_4K;
	struct iopgtable_test_walk w;
	struct sg_table sgt;
	size_t mapped;

	fill_sgt(test, &sgt, segs, ARRAY_SIZE(segs));
	/* Skip 4K: a page, a block at 1G, a page. */
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, &sgt, SZ_4K,
						    size, RW, GFP_KERNEL), 0);
	iopgtable_test_expect_mapped(t, iova, 0x40000000 - SZ_4K, size);
	iopgtable_test_expect_unmapped(t, iova - SZ_4K, SZ_4K);
	iopgtable_test_expect_unmapped(t, iova + size, SZ_4K);
	KUNIT_EXPECT_NE(test, iopgtable_test_walk(t, SZ_1G, &w), 0);
	KUNIT_EXPECT_EQ(test, w.level, 2);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, iova, size, NULL), size);

	/* A misaligned IOVA, and no protection: -EINVAL, nothing mapped. */
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova + SZ_2K, &sgt,
						    0, SZ_8K, RW, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, &sgt, 0, SZ_8K,
						    0, GFP_KERNEL), -EINVAL);
	iopgtable_test_expect_unmapped(t, iova, size);

	/*
	 * An offset that skips all of the first segment, and no segment at
	 * all: the general path, which maps from the second and refuses the
	 * empty table.
	 */
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, SZ_2G, &sgt,
						    SZ_4M + SZ_16K, SZ_4K, RW,
						    GFP_KERNEL), 0);
	iopgtable_test_expect_mapped(t, SZ_2G, 0x10000000, SZ_4K);
	sgt.nents = 0;
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, SZ_4G, &sgt, 0,
						    SZ_4K, RW, GFP_KERNEL),
			-EINVAL);
	sgt.nents = ARRAY_SIZE(segs);
	iopgtable_test_expect_unmapped(t, SZ_4G, SZ_4K);

	/* The last page in the way: the page and the block are undone. */
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, iova + size - SZ_4K,
						       0x7000000, SZ_4K, 1, RW,
						       &mapped), 0);
	t->flush_walk = 0;
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable(t->ops, iova, &sgt, SZ_4K,
						    size, RW, GFP_KERNEL), -EEXIST);
	iopgtable_test_expect_unmapped(t, iova, size - SZ_4K);
	iopgtable_test_expect_mapped(t, iova + size - SZ_4K, 0x7000000, SZ_4K);
	expect_undo_flushed(t, iova, size - SZ_4K);
	sg_free_table(&sgt);
}

/* iopgtable_unmap() takes mappings of any sizes in one range. */
static void unmap_helper_mixed(struct kunit *test)
{
	struct iopgtable_test_table *t = new_table(test);

	KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, SZ_1G - SZ_4K, SZ_1G - SZ_4K,
					    SZ_1G + SZ_2M + SZ_8K, RW, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, SZ_1G - SZ_4K,
					      SZ_1G + SZ_2M + SZ_8K, NULL),
			SZ_1G + SZ_2M + SZ_8K);
	iopgtable_test_expect_unmapped(t, SZ_1G - SZ_8K, SZ_2G);
}

static struct kunit_case iopgtable_core_cases[] = {
	KUNIT_CASE_PARAM(alloc_ops_rejects, alloc_bad_gen_params),
	KUNIT_CASE(alloc_ops_null_cfg),
	KUNIT_CASE_PARAM(alloc_ops_enomem, fmt_gen_params),
	KUNIT_CASE_PARAM(alloc_ops_empty, fmt_gen_params),
	KUNIT_CASE_PARAM(map_pages_all, fmt_gen_params),
	KUNIT_CASE_PARAM(map_pages_eexist_after_prefix, fmt_gen_params),
	KUNIT_CASE_PARAM(map_pages_eexist_first, fmt_gen_params),
	KUNIT_CASE_PARAM(map_pages_enomem_first, fmt_gen_params),
	KUNIT_CASE_PARAM(map_pages_block_over_empty_table, fmt_gen_params),
	KUNIT_CASE_PARAM(map_pages_fail_nth_alloc, sweep_gen),
	KUNIT_CASE_PARAM(map_pages_bad_input, bad_map_gen_params),
	KUNIT_CASE_PARAM(map_pages_adds_to_mapped, fmt_gen_params),
	KUNIT_CASE_PARAM(unmap_consecutive_mappings, fmt_gen_params),
	KUNIT_CASE_PARAM(unmap_across_leaf_tables, fmt_gen_params),
	KUNIT_CASE_PARAM(unmap_whole_table_span, fmt_gen_params),
	KUNIT_CASE_PARAM(unmap_mixed_sizes, fmt_gen_params),
	KUNIT_CASE_PARAM(unmap_blocks_around_table, fmt_gen_params),
	KUNIT_CASE_PARAM(unmap_violation, violation_gen_params),
	KUNIT_CASE_PARAM(unmap_gather, fmt_gen_params),
	KUNIT_CASE_PARAM(unmap_whole_empty_span, fmt_gen_params),
	KUNIT_CASE_PARAM(violations_warn, fmt_gen_params),
	KUNIT_CASE_PARAM(sizes_past_size_t, fmt_gen_params),
	KUNIT_CASE_PARAM(unmap_pages_bad_input, bad_unmap_gen_params),
	KUNIT_CASE_PARAM(iova_to_phys_out_of_range, fmt_gen_params),
	{}
};

static struct kunit_suite iopgtable_core_suite = {
	.name = "iopgtable_core",
	.test_cases = iopgtable_core_cases,
};

static struct kunit_case iopgtable_helpers_cases[] = {
	KUNIT_CASE_PARAM(map_uses_blocks, fmt_gen_params),
	KUNIT_CASE_PARAM(map_picks_page_sizes, pick_gen_params),
	KUNIT_CASE_PARAM(map_rolls_back_enomem, fmt_gen_params),
	KUNIT_CASE_PARAM(map_rolls_back_eexist, fmt_gen_params),
	KUNIT_CASE_PARAM(range_helpers_bad_input, bad_range_gen_params),
	KUNIT_CASE_PARAM(map_sgtable_offset, fmt_gen_params),
	KUNIT_CASE_PARAM(map_sgtable_misaligned_segment, fmt_gen_params),
	KUNIT_CASE_PARAM(map_sgtable_rolls_back, fmt_gen_params),
	KUNIT_CASE_PARAM(map_sgtable_blocks, fmt_gen_params),
	KUNIT_CASE_PARAM(map_sgtable_one_segment, fmt_gen_params),
	KUNIT_CASE_PARAM(map_sgtable_single_pages, fmt_gen_params),
	KUNIT_CASE_PARAM(unmap_helper_mixed, fmt_gen_params),
	{}
};

static struct kunit_suite iopgtable_helpers_suite = {
	.name = "iopgtable_helpers",
	.test_cases = iopgtable_helpers_cases,
};

kunit_test_suites(&iopgtable_core_suite, &iopgtable_helpers_suite);

MODULE_DESCRIPTION("KUnit tests for iopgtable");
MODULE_LICENSE("GPL");
