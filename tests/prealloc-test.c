// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopgtable_prealloc: reservations and block splitting.
 *
 * The reservation calls must never come up short: random tables (pages,
 * blocks of every size, empty tables left by unmaps) meet random bind
 * ranges, each prepared with a reservation call and run with an allocator
 * that fails every call. The splits must keep every translation outside
 * the unmapped range and write the entries io-pgtable-arm writes, and a
 * split that cannot get a table must change nothing. Deterministic by the
 * prealloc_seed module parameter, printed.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/dma-mapping.h>
#include <linux/io-pgtable.h>
#include <linux/io.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/tracepoint.h>

#include <trace/events/iopgtable.h>

#include "test-util.h"

static ulong prealloc_seed = 0x9a11c;
module_param(prealloc_seed, ulong, 0444);
MODULE_PARM_DESC(prealloc_seed, "seed of the iopgtable_prealloc rounds");

#define RW	(IOPGTABLE_READ | IOPGTABLE_WRITE)

#define PA_ROUNDS		160
#define PA_MAX_EXTENTS		1024
#define PA_MAX_SEGS		8
#define PA_PROBES		24

/* The architecture's descriptor fields, as the checks read them. */
#define PA_PTE_TYPE		GENMASK_ULL(1, 0)
#define   PA_TYPE_BLOCK		1
#define   PA_TYPE_TABLE		3
#define PA_PTE_OA		GENMASK_ULL(47, 12)
#define PA_PTE_SW_SYNC		BIT_ULL(55)
#define PA_PTE_NSTABLE		BIT_ULL(63)
/* What io-pgtable-arm's iopte_prot() carries over when it splits a block */
#define PA_PTE_SW		GENMASK_ULL(58, 55)	/* software bits */
#define PA_PTE_PROT		(GENMASK_ULL(11, 2) | BIT_ULL(51) | \
				 GENMASK_ULL(54, 53))

/**
 * struct pa_case - one configuration
 * @desc: its name.
 * @fmt: the format.
 * @sizes: the page sizes: the granule and its block sizes.
 * @quirks: IOPGTABLE_QUIRK_* besides NO_WARN.
 * @window: offset of the IOVAs used from the lowest IOVA of the table,
 *	chosen so that the window straddles a boundary of the top table level.
 * @window_size: their extent.
 * @noncoherent: a non-coherent walker, whose view of the table is checked
 *	(tests/test-dma.c); skipped where the kernel cannot give one.
 */
struct pa_case {
	const char *desc;
	enum iopgtable_fmt fmt;
	unsigned long sizes;
	unsigned long quirks;
	u64 window;
	u64 window_size;
	bool noncoherent;
};

#define S1	IOPGTABLE_ARM_64_LPAE_S1
#define MALI	IOPGTABLE_ARM_MALI_LPAE
#define SIZES_4K	(SZ_4K | SZ_2M | SZ_1G)
#define SIZES_16K	(SZ_16K | SZ_32M)
#define SIZES_64K	(SZ_64K | SZ_512M)

static const struct pa_case pa_cases[] = {
	{ "arm_64_lpae_s1 4K", S1, SIZES_4K, 0, BIT_ULL(39) - SZ_2G, SZ_4G },
	{ "arm_64_lpae_s1 16K", S1, SIZES_16K, 0, BIT_ULL(36) - SZ_128M, SZ_256M },
	{ "arm_64_lpae_s1 64K", S1, SIZES_64K, 0, BIT_ULL(42) - SZ_1G, SZ_2G },
	{ "mali_lpae 4K", MALI, SIZES_4K, 0, BIT_ULL(39) - SZ_2G, SZ_4G },
	{ "arm_64_lpae_s1 4K NS TTBR1", S1, SIZES_4K,
	  IOPGTABLE_QUIRK_ARM_NS | IOPGTABLE_QUIRK_ARM_TTBR1,
	  BIT_ULL(39) - SZ_2G, SZ_4G },
	{ "arm_64_lpae_s1 16K NS TTBR1", S1, SIZES_16K,
	  IOPGTABLE_QUIRK_ARM_NS | IOPGTABLE_QUIRK_ARM_TTBR1,
	  BIT_ULL(36) - SZ_128M, SZ_256M },
	/* A gap in the sizes: a split still goes through 2M blocks. */
	{ "arm_64_lpae_s1 4K+1G", S1, SZ_4K | SZ_1G, 0, BIT_ULL(39) - SZ_2G,
	  SZ_4G },
	{ "mali_lpae 4K+1G", MALI, SZ_4K | SZ_1G, 0, BIT_ULL(39) - SZ_2G,
	  SZ_4G },
	{ "arm_64_lpae_s1 4K+1G NS TTBR1", S1, SZ_4K | SZ_1G,
	  IOPGTABLE_QUIRK_ARM_NS | IOPGTABLE_QUIRK_ARM_TTBR1,
	  BIT_ULL(39) - SZ_2G, SZ_4G },
	{ "arm_64_lpae_s1 4K non-coherent", S1, SIZES_4K, 0,
	  BIT_ULL(39) - SZ_2G, SZ_4G, .noncoherent = true },
	{ "arm_64_lpae_s1 64K non-coherent", S1, SIZES_64K, 0,
	  BIT_ULL(42) - SZ_1G, SZ_2G, .noncoherent = true },
	{ "mali_lpae 4K+1G non-coherent", MALI, SZ_4K | SZ_1G, 0,
	  BIT_ULL(39) - SZ_2G, SZ_4G, .noncoherent = true },
};

static void pa_case_desc(const struct pa_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pa, pa_cases, pa_case_desc);

static struct iopgtable_cfg pa_cfg(struct kunit *test, const struct pa_case *c)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);

	cfg.pgsize_bitmap = c->sizes;
	cfg.quirks |= c->quirks;
	if (c->noncoherent) {
		cfg.coherent_walk = false;
		cfg.iommu_dev = iopgtable_test_shadow_device(test,
							     "iopgtable-prealloc");
	}
	return cfg;
}

static struct iopgtable_test_table *pa_new(struct kunit *test,
					   const struct pa_case *c)
{
	struct iopgtable_cfg cfg = pa_cfg(test, c);

	return iopgtable_test_new(test, c->fmt, &cfg);
}

/* The lowest IOVA of the table. */
static u64 pa_space(const struct iopgtable_test_table *t)
{
	if (t->cfg.quirks & IOPGTABLE_QUIRK_ARM_TTBR1)
		return ~GENMASK_ULL(t->cfg.ias - 1, 0);
	return 0;
}

static unsigned int pa_granule_lg2(const struct iopgtable_test_table *t)
{
	return __ffs(t->cfg.pgsize_bitmap);
}

/*
 * The levels a split of a block of 2^@hi_lg2 bytes passes through to make
 * an entry boundary of 2^@lo_lg2: one table each, whether or not the sizes
 * between are provided.
 */
static unsigned int pa_split_levels(const struct iopgtable_test_table *t,
				    unsigned int hi_lg2, unsigned int lo_lg2)
{
	return (hi_lg2 - lo_lg2) / (pa_granule_lg2(t) - 3);
}

/* The type bits of a leaf at @lvl. */
static u64 pa_leaf_type(const struct iopgtable_test_table *t, int lvl)
{
	return lvl == 3 && t->fmt != MALI ? PA_TYPE_TABLE : PA_TYPE_BLOCK;
}

/* Make every allocation fail from now on, or stop doing so. */
static void pa_fail_all(struct iopgtable_test_table *t, bool on)
{
	if (on) {
		iopgtable_test_fail_in(t, 1);
		t->fail_from = true;
	} else {
		t->fail_at = 0;
		t->fail_from = false;
	}
}

/* Panthor's count for the 4K granule: a table per 512G, 1G and 2M span. */
static u64 pa_panthor_count(u64 iova, u64 size)
{
	static const unsigned int lg2s[] = { 39, 30, 21 };
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lg2s); i++)
		n += ((iova + size - 1) >> lg2s[i]) - (iova >> lg2s[i]) + 1;
	return n;
}

/*
 * Expect the leaf that maps @iova to be exactly what a split of @blk
 * writes at its level: @blk's attributes, the level's type, the address.
 */
static void pa_expect_split_leaf(struct iopgtable_test_table *t, u64 iova,
				 u64 blk, u64 blk_iova, int blk_level)
{
	struct iopgtable_test_walk w;
	u64 pte = iopgtable_test_walk(t, iova, &w);
	unsigned int lg2 = pa_granule_lg2(t) + (3 - w.level) * (pa_granule_lg2(t) - 3);
	u64 oa = (blk & PA_PTE_OA) + ((iova - blk_iova) & ~(BIT_ULL(lg2) - 1));
	u64 want = (blk & PA_PTE_PROT) | pa_leaf_type(t, w.level) | oa;
	int lvl;

	KUNIT_EXPECT_EQ_MSG(t->test, pte, want, "leaf for IOVA %#llx, level %d",
			    iova, w.level);
	for (lvl = blk_level; lvl < w.level; lvl++) {
		u64 want_attrs = PA_TYPE_TABLE;

		if (t->cfg.quirks & IOPGTABLE_QUIRK_ARM_NS)
			want_attrs |= PA_PTE_NSTABLE;
		/* LPAE_PTE_SW_SYNC, for a non-coherent walker, aside. */
		KUNIT_EXPECT_EQ_MSG(t->test,
				    w.table_ptes[lvl] & ~(PA_PTE_OA | PA_PTE_SW),
				    want_attrs, "table entry for IOVA %#llx, level %d",
				    iova, lvl);
	}
}

/* ---- the example of the contract, and exact counts ---- */

static void pa_fill_sgt(struct kunit *test, struct sg_table *sgt,
			const u64 *addr, const u64 *len, unsigned int n)
{
	struct scatterlist *sg;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, n, GFP_KERNEL), 0);
	for_each_sg(sgt->sgl, sg, n, i) {
		sg->length = len[i];
		sg_dma_address(sg) = addr[i];
		sg_dma_len(sg) = len[i];
	}
	sgt->nents = n;
}

/*
 * A 1 GiB buffer of 2M-aligned segments at a 1G-aligned IOVA takes 2
 * tables (4K granule, ias 48); Panthor's formula takes 514, and so does
 * the worst case over any physical range. Mapped from the reservation with
 * every allocation failing, it uses exactly those 2.
 */
static void pa_contract_example(struct kunit *test)
{
	enum iopgtable_fmt fmts[] = { S1, MALI };
	unsigned int f, i, n = 512;
	u64 *addr, *len;

	addr = kunit_kcalloc(test, n, sizeof(*addr), GFP_KERNEL);
	len = kunit_kcalloc(test, n, sizeof(*len), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, addr);
	KUNIT_ASSERT_NOT_NULL(test, len);
	for (f = 0; f < ARRAY_SIZE(fmts); f++) {
		struct iopgtable_cfg cfg = iopgtable_test_cfg(fmts[f]);
		struct iopgtable_test_table *t = iopgtable_test_new(test, fmts[f],
								    &cfg);
		u64 iova = 5ULL * SZ_1G;
		struct iopgtable_prealloc pa;
		struct sg_table sgt;
		unsigned long allocs;

		/* 2M segments, scattered */
		for (i = 0; i < n; i++) {
			addr[i] = SZ_4G + (u64)((i * 37) % 1024) * SZ_2M;
			len[i] = SZ_2M;
		}
		pa_fill_sgt(test, &sgt, addr, len, n);
		iopgtable_prealloc_init(&pa);
		KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map_sgtable(t->ops, &pa, iova,
								     &sgt, 0, SZ_1G,
								     GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 2);
		KUNIT_EXPECT_EQ(test, pa_panthor_count(iova, SZ_1G), 514);

		allocs = t->allocs;
		pa_fail_all(t, true);
		KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable_prealloc(t->ops, iova, &sgt,
								     0, SZ_1G, RW,
								     &pa), 0);
		pa_fail_all(t, false);
		KUNIT_EXPECT_EQ(test, t->allocs, allocs);
		KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0);
		for (i = 0; i < n; i++)
			iopgtable_test_expect_mapped(t, iova + (u64)i * SZ_2M,
						     addr[i], SZ_2M);
		iopgtable_prealloc_release(t->ops, &pa);

		/* The worst case over any physical range: Panthor's. */
		KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, SZ_8G,
							     SZ_1G, GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 514);
		iopgtable_prealloc_release(t->ops, &pa);
		KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0);

		/* One 1G-aligned segment: one 1G block, one table. */
		sg_free_table(&sgt);
		addr[0] = SZ_16G;
		len[0] = SZ_1G;
		pa_fill_sgt(test, &sgt, addr, len, 1);
		KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map_sgtable(t->ops, &pa, SZ_8G,
								     &sgt, 0, SZ_1G,
								     GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 1);
		iopgtable_prealloc_release(t->ops, &pa);
		sg_free_table(&sgt);
		iopgtable_test_release(t);
	}
}

/* Bad arguments, allocation failure while preparing, an empty release. */
static void pa_prepare_errors(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(S1);
	struct iopgtable_test_table *t = iopgtable_test_new(test, S1, &cfg);
	struct iopgtable_prealloc pa;
	u64 top = BIT_ULL(48);
	u64 addr = SZ_1G, len = SZ_2M;
	struct sg_table sgt;
	unsigned long allocs;

	iopgtable_prealloc_init(&pa);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0);
	iopgtable_prealloc_release(t->ops, &pa);

	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, 0, 0, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, SZ_2K, SZ_4K,
						     GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa, 0, SZ_2K,
						       GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, top - SZ_4K,
						     SZ_8K, GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa, top, SZ_4K,
						       GFP_KERNEL), -ERANGE);
	pa_fill_sgt(test, &sgt, &addr, &len, 1);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map_sgtable(t->ops, &pa, 0, &sgt,
							     SZ_1M, SZ_2M,
							     GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map_sgtable(t->ops, &pa, top - SZ_1M,
							     &sgt, 0, SZ_2M,
							     GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, iopgtable_map_prealloc(t->ops, 0, 0, SZ_4K, RW, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable_prealloc(t->ops, 0, &sgt, 0,
							     SZ_2M, RW, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0);
	KUNIT_EXPECT_EQ(test, t->allocs, 1);

	/* A range whose ends are aligned needs no split: nothing to add. */
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa, SZ_1G, SZ_1G,
						       GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0);

	/* The third table fails: nothing added, nothing kept. */
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa, 0, SZ_4K,
						       GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 2);
	allocs = t->allocs;
	iopgtable_test_fail_in(t, 3);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, SZ_1G, SZ_4K,
						     GFP_KERNEL), -ENOMEM);
	t->fail_at = 0;
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 2);
	KUNIT_EXPECT_EQ(test, t->allocs, allocs + 2);
	KUNIT_EXPECT_EQ(test, t->frees, 2);
	/*
	 * 22 tables (one per 512G, 1G and 20 2M spans) come in more than one
	 * call of the format's: the 18th fails, and none is kept either.
	 */
	allocs = t->allocs;
	iopgtable_test_fail_in(t, 18);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, SZ_4G,
						     20 * SZ_2M, GFP_KERNEL),
			-ENOMEM);
	t->fail_at = 0;
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 2);
	KUNIT_EXPECT_EQ(test, t->allocs, allocs + 17);
	KUNIT_EXPECT_EQ(test, t->frees, 2 + 17);
	/* Several calls add to one reservation. */
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, SZ_1G, SZ_4K,
						     GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 5);
	iopgtable_prealloc_release(t->ops, &pa);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0);
	KUNIT_EXPECT_EQ(test, t->frees, t->allocs - 1);
	sg_free_table(&sgt);
}

/*
 * Ranges the running calls could not report: more than a size_t holds
 * (32-bit kernels: 4 GiB), and, with TTBR1, an end past 2^64. -ERANGE, and
 * nothing reserved.
 */
static void pa_prepare_range(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(S1);
	struct iopgtable_test_table *t;
	struct iopgtable_prealloc pa;
	u64 last = U64_MAX - SZ_4K + 1;
	unsigned long allocs;

	iopgtable_prealloc_init(&pa);
	t = iopgtable_test_new(test, S1, &cfg);
	allocs = t->allocs;
	if (SIZE_MAX < U64_MAX) {
		u64 big = (u64)SIZE_MAX + 1;

		kunit_info(test, "32-bit size_t: %#llx bytes do not fit", big);
		KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, 0, big,
							     GFP_KERNEL), -ERANGE);
		KUNIT_EXPECT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa,
							       SZ_4K, big,
							       GFP_KERNEL), -ERANGE);
	}
	/* 2^48 fits in a 64-bit size_t, but not in the input range. */
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, 0, BIT_ULL(48) +
						     SZ_4K, GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, t->allocs, allocs);

	cfg.quirks |= IOPGTABLE_QUIRK_ARM_TTBR1;
	t = iopgtable_test_new(test, S1, &cfg);
	allocs = t->allocs;
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, last, SZ_8K,
						     GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa, last, SZ_8K,
						       GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, iopgtable_map(t->ops, last, SZ_1G, SZ_8K, RW,
					    GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, last, SZ_8K, NULL,
						    NULL), 0);
	/* The last page itself is in range. */
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, last, SZ_4K,
						     GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_map_prealloc(t->ops, last, SZ_1G, SZ_4K,
						     RW, &pa), 0);
	KUNIT_EXPECT_EQ(test, t->ops->iova_to_phys(t->ops, last + 8), SZ_1G + 8);
	KUNIT_EXPECT_EQ(test, t->allocs, allocs + 3);
	iopgtable_prealloc_release(t->ops, &pa);
}

/*
 * A reservation that runs short: -ENOMEM, the table as it was, a reported
 * violation, and every table freed in the end.
 */
static void pa_short_reservation(struct kunit *test)
{
	const struct pa_case *c = test->param_value;
	struct iopgtable_test_table *t = pa_new(test, c);
	unsigned int g_lg2 = pa_granule_lg2(t);
	u64 iova = pa_space(t) + c->window;
	u64 top = BIT_ULL(__fls(c->sizes));
	struct iopgtable_prealloc pa;
	unsigned long violations, allocs;
	u64 size = 2 * top;

	/* Enough for one granule; mapping two top blocks misaligned needs more. */
	iopgtable_prealloc_init(&pa);
	KUNIT_ASSERT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, iova,
						     BIT_ULL(g_lg2), GFP_KERNEL), 0);
	violations = iopgtable_test_violations(t);
	allocs = t->allocs;
	pa_fail_all(t, true);
	KUNIT_EXPECT_EQ(test, iopgtable_map_prealloc(t->ops, iova, top + BIT_ULL(g_lg2),
						     size, RW, &pa), -ENOMEM);
	pa_fail_all(t, false);
	KUNIT_EXPECT_EQ(test, t->allocs, allocs);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), violations + 1);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0);
	iopgtable_test_expect_unmapped(t, iova, size);

	/* A reservation made for another table is no reservation for this. */
	{
		struct iopgtable_test_table *u = pa_new(test, c);

		KUNIT_ASSERT_EQ(test, iopgtable_prealloc_map(u->ops, &pa, iova,
							     BIT_ULL(g_lg2),
							     GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, iopgtable_map_prealloc(t->ops, iova, 0,
							     BIT_ULL(g_lg2), RW,
							     &pa), -ENOMEM);
		KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), violations + 2);
		iopgtable_prealloc_release(u->ops, &pa);
		iopgtable_test_release(u);
	}
	iopgtable_test_release(t);
}

/* ---- splitting ---- */

/*
 * Every page of the largest block that loses one page in the middle still
 * translates as before; the removed page does not; the new entries are
 * those of a split; the reservation was exact and nothing was allocated.
 */
static void pa_split_one_page(struct kunit *test)
{
	const struct pa_case *c = test->param_value;
	struct iopgtable_test_table *t = pa_new(test, c);
	u64 g = BIT_ULL(pa_granule_lg2(t));
	u64 top = BIT_ULL(__fls(c->sizes));
	u64 iova = pa_space(t) + c->window + 3 * top;
	u64 paddr = 5 * top, hole = iova + top / 2 + 3 * g;
	int prot = RW | IOPGTABLE_CACHE | IOPGTABLE_NOEXEC;
	struct iopgtable_prealloc pa;
	struct iopgtable_test_walk w;
	unsigned long allocs;
	u64 blk, probe;

	KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, iova, paddr, top, prot,
					    GFP_KERNEL), 0);
	blk = iopgtable_test_walk(t, iova, &w);
	KUNIT_ASSERT_NE(test, blk, 0);

	iopgtable_prealloc_init(&pa);
	KUNIT_ASSERT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa, hole, g,
						       GFP_KERNEL), 0);
	/* One table per level below the block, both ends sharing them */
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa),
			pa_split_levels(t, __fls(c->sizes), pa_granule_lg2(t)));
	allocs = t->allocs;
	pa_fail_all(t, true);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, hole, g, &pa, NULL), g);
	pa_fail_all(t, false);
	KUNIT_EXPECT_EQ(test, t->allocs, allocs);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0);

	iopgtable_test_expect_mapped(t, iova, paddr, hole - iova);
	iopgtable_test_expect_unmapped(t, hole, g);
	iopgtable_test_expect_mapped(t, hole + g, paddr + (hole + g - iova),
				     iova + top - hole - g);
	for (probe = iova; probe < iova + top; probe += top / 16)
		pa_expect_split_leaf(t, probe, blk, iova, w.level);
	pa_expect_split_leaf(t, hole - g, blk, iova, w.level);
	pa_expect_split_leaf(t, hole + g, blk, iova, w.level);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
	iopgtable_prealloc_release(t->ops, &pa);
	iopgtable_test_release(t);
}

/*
 * Both ends, at every level: two adjacent blocks of each block size,
 * unmapped from a point inside the first to a point inside the second,
 * each point aligned to each smaller size in turn. The reservation is
 * exactly what the splits take.
 */
static void pa_split_both_ends(struct kunit *test)
{
	const struct pa_case *c = test->param_value;
	unsigned long blocks = c->sizes & ~BIT(__ffs(c->sizes));
	unsigned int b_lg2, s_lg2, e_lg2;

	for_each_set_bit(b_lg2, &blocks, BITS_PER_LONG) {
		unsigned long below = c->sizes & GENMASK(b_lg2 - 1, 0);

		for_each_set_bit(s_lg2, &below, BITS_PER_LONG) {
			for_each_set_bit(e_lg2, &below, BITS_PER_LONG) {
				struct iopgtable_test_table *t = pa_new(test, c);
				u64 b = BIT_ULL(b_lg2);
				u64 iova = pa_space(t) + c->window + 2 * b;
				u64 paddr = 7 * b;
				u64 start = iova + b - BIT_ULL(s_lg2);
				u64 end = iova + b + BIT_ULL(e_lg2);
				int prot = IOPGTABLE_READ | IOPGTABLE_PRIVILEGED;
				struct iopgtable_prealloc pa;
				struct iopgtable_test_walk w;
				unsigned int used, above;
				u64 blk;

				KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, iova, paddr,
								    2 * b, prot,
								    GFP_KERNEL), 0);
				blk = iopgtable_test_walk(t, iova, &w);
				iopgtable_prealloc_init(&pa);
				KUNIT_ASSERT_EQ(test,
						iopgtable_prealloc_unmap(t->ops, &pa, start,
									 end - start,
									 GFP_KERNEL), 0);
				/*
				 * Each end splits every level from b down to its
				 * alignment; the levels up to the largest block
				 * might be blocks too, one span for both ends.
				 */
				used = pa_split_levels(t, b_lg2, s_lg2) +
				       pa_split_levels(t, b_lg2, e_lg2);
				above = pa_split_levels(t, __fls(c->sizes), b_lg2);
				KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa),
						used + above);
				pa_fail_all(t, true);
				KUNIT_EXPECT_EQ(test,
						iopgtable_unmap_split(t->ops, start,
								      end - start, &pa,
								      NULL),
						end - start);
				pa_fail_all(t, false);
				KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), above);
				iopgtable_test_expect_mapped(t, iova, paddr, start - iova);
				iopgtable_test_expect_unmapped(t, start, end - start);
				iopgtable_test_expect_mapped(t, end, paddr + (end - iova),
							     iova + 2 * b - end);
				pa_expect_split_leaf(t, iova, blk, iova, w.level);
				pa_expect_split_leaf(t, start - BIT_ULL(s_lg2), blk,
						     iova, w.level);
				pa_expect_split_leaf(t, end, blk, iova, w.level);
				pa_expect_split_leaf(t, iova + 2 * b - BIT_ULL(e_lg2),
						     blk, iova, w.level);
				KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
				iopgtable_prealloc_release(t->ops, &pa);
				iopgtable_test_release(t);
			}
		}
	}
}

/* The raw entries on the way to @iova, for comparing before and after. */
static void pa_snapshot(struct iopgtable_test_table *t, u64 iova, u64 *snap)
{
	struct iopgtable_test_walk w;

	snap[0] = iopgtable_test_walk(t, iova, &w);
	memcpy(&snap[1], w.table_ptes, sizeof(w.table_ptes));
}

/*
 * A split that cannot get a table changes nothing and unmaps nothing:
 * with an empty reservation (a reported violation), with no reservation
 * and a failing allocator (no violation), and when the second end fails
 * after the first was split (that split stays, translating the same).
 */
static void pa_split_without_table(struct kunit *test)
{
	const struct pa_case *c = test->param_value;
	struct iopgtable_test_table *t = pa_new(test, c);
	u64 g = BIT_ULL(pa_granule_lg2(t));
	u64 top = BIT_ULL(__fls(c->sizes));
	u64 iova = pa_space(t) + c->window + 2 * top;
	u64 paddr = 3 * top;
	struct iopgtable_test_walk w1, w2;
	u64 before[5], after[5];
	struct iopgtable_prealloc pa;
	unsigned long violations, allocs;

	KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, iova, paddr, 2 * top, RW,
					    GFP_KERNEL), 0);
	pa_snapshot(t, iova + g, before);
	violations = iopgtable_test_violations(t);
	allocs = t->allocs;

	iopgtable_prealloc_init(&pa);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, iova + g, g, &pa, NULL),
			0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), violations + 1);

	pa_fail_all(t, true);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, iova + g, g, NULL, NULL),
			0);
	pa_fail_all(t, false);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), violations + 1);
	KUNIT_EXPECT_EQ(test, t->allocs, allocs);
	pa_snapshot(t, iova + g, after);
	KUNIT_EXPECT_MEMEQ(test, before, after, sizeof(before));
	iopgtable_test_expect_mapped(t, iova, paddr, 2 * top);

	/*
	 * One table, for the first end only: the second end's split finds
	 * none. The first split stays: one level more, translating the same.
	 */
	iopgtable_test_walk(t, iova + top / 2, &w1);
	KUNIT_ASSERT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa, iova + top / 2,
						       top / 2, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iopgtable_prealloc_count(&pa), 1);
	violations = iopgtable_test_violations(t);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, iova + top / 2, top,
						    &pa, NULL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), violations + 1);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0);
	iopgtable_test_expect_mapped(t, iova, paddr, 2 * top);
	iopgtable_test_walk(t, iova + top / 2, &w2);
	KUNIT_EXPECT_EQ(test, w2.level, w1.level + 1);
	iopgtable_test_walk(t, iova + top + top / 2, &w2);
	KUNIT_EXPECT_EQ(test, w2.level, w1.level);
	iopgtable_prealloc_release(t->ops, &pa);
	iopgtable_test_release(t);
}

/*
 * With pa NULL the split tables are allocated, and a range that ends on
 * aligned boundaries splits nothing.
 */
static void pa_split_allocates(struct kunit *test)
{
	const struct pa_case *c = test->param_value;
	struct iopgtable_test_table *t = pa_new(test, c);
	u64 g = BIT_ULL(pa_granule_lg2(t));
	u64 top = BIT_ULL(__fls(c->sizes));
	u64 iova = pa_space(t) + c->window;
	unsigned long allocs;

	KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, iova, 0, 2 * top, RW,
					    GFP_KERNEL), 0);
	allocs = t->allocs;
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, iova, top, NULL, NULL),
			top);
	KUNIT_EXPECT_EQ(test, t->allocs, allocs);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, iova + top + g, g,
						    NULL, NULL), g);
	KUNIT_EXPECT_EQ(test, t->allocs,
			allocs + pa_split_levels(t, __fls(c->sizes),
						 pa_granule_lg2(t)));
	iopgtable_test_expect_unmapped(t, iova, top);
	iopgtable_test_expect_mapped(t, iova + top, top, g);
	iopgtable_test_expect_unmapped(t, iova + top + g, g);
	iopgtable_test_expect_mapped(t, iova + top + 2 * g, top + 2 * g,
				     top - 2 * g);
	/* Bad arguments and holes as iopgtable_unmap() */
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, iova + g / 2, g, NULL,
						    NULL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, iova, 0, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, iova + top, 2 * g,
						    NULL, NULL), g);
	iopgtable_test_release(t);
}

/* ---- non-coherent walkers: the order of the syncs ---- */

/*
 * A split for a non-coherent walker: the new table is synced whole while
 * the block still stands, then the entry that publishes it, which then
 * carries the software bit io-pgtable-arm sets once an entry is synced.
 */
static void pa_split_noncoherent(struct kunit *test)
{
	static const enum iopgtable_fmt fmts[] = { S1, MALI };
	struct device *dev;
	struct iopgtable_test_syncs syncs;
	unsigned int f;

	dev = iopgtable_test_dma_device(test, "iopgtable-prealloc-dma");

	for (f = 0; f < ARRAY_SIZE(fmts); f++) {
		struct iopgtable_cfg cfg = iopgtable_test_cfg(fmts[f]);
		struct iopgtable_test_table *t;
		struct iopgtable_prealloc pa;
		struct iopgtable_test_walk w;
		u64 iova = SZ_1G, blk, *ptep, *table, pte;
		unsigned int i;

		cfg.coherent_walk = false;
		cfg.iommu_dev = dev;
		t = iopgtable_test_new(test, fmts[f], &cfg);
		KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, iova, SZ_4G, SZ_2M, RW,
						    GFP_KERNEL), 0);
		blk = iopgtable_test_walk(t, iova, &w);
		KUNIT_ASSERT_EQ(test, w.level, 2);
		ptep = (u64 *)phys_to_virt(w.table_ptes[1] & PA_PTE_OA) +
		       ((iova >> 21) & 511);
		KUNIT_ASSERT_EQ(test, *ptep, blk);

		iopgtable_prealloc_init(&pa);
		KUNIT_ASSERT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa,
							       iova + SZ_4K, SZ_4K,
							       GFP_KERNEL), 0);
		iopgtable_test_syncs_start(t, &syncs, ptep);
		KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, iova + SZ_4K,
							    SZ_4K, &pa, NULL),
				SZ_4K);
		iopgtable_test_syncs_stop(t);

		pte = READ_ONCE(*ptep);
		table = phys_to_virt(pte & PA_PTE_OA);
		KUNIT_EXPECT_EQ(test, pte & ~PA_PTE_OA,
				PA_TYPE_TABLE | PA_PTE_SW_SYNC);
		/* The table, whole, while the block stood */
		KUNIT_ASSERT_EQ(test, syncs.n, 3);
		KUNIT_EXPECT_PTR_EQ(test, syncs.ev[0].addr, (const void *)table);
		KUNIT_EXPECT_EQ(test, syncs.ev[0].size, SZ_4K);
		KUNIT_EXPECT_EQ(test, syncs.ev[0].watched, blk);
		/* Then the entry, once it pointed at the table */
		KUNIT_EXPECT_PTR_EQ(test, syncs.ev[1].addr, (const void *)ptep);
		KUNIT_EXPECT_EQ(test, syncs.ev[1].size, 8);
		KUNIT_EXPECT_EQ(test, syncs.ev[1].watched, pte & ~PA_PTE_SW_SYNC);
		/* Then the cleared page */
		KUNIT_EXPECT_PTR_EQ(test, syncs.ev[2].addr, (const void *)&table[1]);
		KUNIT_EXPECT_EQ(test, syncs.ev[2].size, 8);
		for (i = 0; i < 512; i++) {
			u64 want = i == 1 ? 0 : (blk & PA_PTE_PROT) |
				   pa_leaf_type(t, 3) |
				   ((blk & PA_PTE_OA) + i * SZ_4K);

			KUNIT_EXPECT_EQ(test, table[i], want);
		}
		iopgtable_prealloc_release(t->ops, &pa);
		iopgtable_test_release(t);
	}
}

/* ---- against io-pgtable-arm, which splits blocks on unmap in 6.12 ---- */

#if IS_ENABLED(CONFIG_IOMMU_IO_PGTABLE_LPAE)

#define PA_VS_SLOTS	32

struct pa_vs {
	struct kunit *test;
	struct iopgtable_test_table *ours;
	struct iopgtable_test_table theirs_alloc;	/* counters only */
	struct io_pgtable_cfg kcfg;
	struct io_pgtable_ops *theirs;
	unsigned int g_lg2;
	unsigned long entries;
	bool failed;
};

static void pa_vs_free(void *data)
{
	struct pa_vs *v = data;

	if (v->theirs)
		free_io_pgtable_ops(v->theirs);
	v->theirs = NULL;
}

/* Compare @n entries at @lvl: all bits but a table entry's address. */
static void pa_vs_compare(struct pa_vs *v, const u64 *kt, const u64 *ot,
			  int lvl, size_t n)
{
	size_t i;

	for (i = 0; i < n && !v->failed; i++) {
		u64 kp = READ_ONCE(kt[i]), op = READ_ONCE(ot[i]);

		v->entries++;
		if (lvl < 3 && FIELD_GET(PA_PTE_TYPE, kp) == PA_TYPE_TABLE &&
		    FIELD_GET(PA_PTE_TYPE, op) == PA_TYPE_TABLE &&
		    (kp & ~PA_PTE_OA) == (op & ~PA_PTE_OA)) {
			pa_vs_compare(v, phys_to_virt(kp & PA_PTE_OA),
				      phys_to_virt(op & PA_PTE_OA), lvl + 1,
				      BIT(v->g_lg2 - 3));
		} else if (kp != op) {
			KUNIT_FAIL(v->test,
				   "level %d entry %zu: io-pgtable-arm %#llx, iopgtable %#llx",
				   lvl, i, kp, op);
			v->failed = true;
		}
	}
}

static void pa_vs_compare_trees(struct pa_vs *v)
{
	struct iopgtable_test_table *t = v->ours;
	unsigned int bits = v->g_lg2 - 3;
	unsigned int va_bits = t->cfg.ias - v->g_lg2;
	int levels = DIV_ROUND_UP(va_bits, bits);
	int start = 4 - levels;
	unsigned int root_bits = va_bits - bits * (levels - 1);
	u64 kroot, oroot;

	if (t->fmt == MALI) {
		if (start > 0) {
			start = 0;
			root_bits = 0;
		}
		kroot = v->kcfg.arm_mali_lpae_cfg.transtab & ~GENMASK_ULL(5, 0);
		oroot = t->cfg.arm_mali_lpae.transtab & ~GENMASK_ULL(5, 0);
	} else {
		kroot = v->kcfg.arm_lpae_s1_cfg.ttbr;
		oroot = t->cfg.arm_lpae_s1.ttbr;
	}
	pa_vs_compare(v, phys_to_virt(kroot), phys_to_virt(oroot), start,
		      BIT(root_bits));
}

/*
 * Blocks of every size, then runs of smaller pages unmapped from inside
 * them: io-pgtable-arm splits the block in unmap_pages, iopgtable in
 * iopgtable_unmap_split(). After every call both trees are compared entry
 * by entry.
 */
static void pa_split_vs_io_pgtable_arm(struct kunit *test)
{
	const struct pa_case *c = test->param_value;
	struct pa_vs *v = kunit_kzalloc(test, sizeof(*v), GFP_KERNEL);
	unsigned long blocks = c->sizes & ~BIT(__ffs(c->sizes));
	unsigned int top_lg2 = __fls(c->sizes);
	struct rnd_state rnd;
	unsigned int i;

	/* Its IOVAs above 4G would be cut to 32 bits. */
	if (BITS_PER_LONG < 64)
		kunit_skip(test, "io-pgtable-arm takes unsigned long IOVAs");

	KUNIT_ASSERT_NOT_NULL(test, v);
	v->test = test;
	v->ours = pa_new(test, c);
	v->g_lg2 = __ffs(c->sizes);
	v->theirs_alloc.test = test;
	v->kcfg = (struct io_pgtable_cfg) {
		.pgsize_bitmap = c->sizes,
		.ias = v->ours->cfg.ias,
		.oas = v->ours->cfg.oas,
		/* Non-coherent as ours is: LPAE_PTE_SW_SYNC is compared too. */
		.coherent_walk = !c->noncoherent,
		.iommu_dev = c->noncoherent ?
			iopgtable_test_dma_device(test, "iopgtable-prealloc-vs") :
			kunit_device_register(test, "iopgtable-prealloc-vs"),
		.alloc = iopgtable_test_alloc,
		.free = iopgtable_test_free,
	};
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, v->kcfg.iommu_dev);
	if (c->quirks & IOPGTABLE_QUIRK_ARM_NS)
		v->kcfg.quirks |= IO_PGTABLE_QUIRK_ARM_NS;
	if (c->quirks & IOPGTABLE_QUIRK_ARM_TTBR1)
		v->kcfg.quirks |= IO_PGTABLE_QUIRK_ARM_TTBR1;
	v->theirs = alloc_io_pgtable_ops(c->fmt == MALI ? ARM_MALI_LPAE :
					 ARM_64_LPAE_S1, &v->kcfg,
					 &v->theirs_alloc);
	KUNIT_ASSERT_NOT_NULL(test, v->theirs);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pa_vs_free, v), 0);
	prandom_seed_state(&rnd, prealloc_seed + 2);

	for (i = 0; i < PA_VS_SLOTS && !v->failed; i++) {
		u64 slot = pa_space(v->ours) + c->window + ((u64)i << (top_lg2 + 1));
		unsigned int b_lg2, p_lg2, nblocks = hweight_long(blocks);
		unsigned long below;
		u64 iova, paddr, start, n, room;
		size_t mapped = 0;
		int prot = RW;

		/* A block of a random size somewhere in the slot */
		b_lg2 = __ffs(blocks);
		for (n = prandom_u32_state(&rnd) % nblocks; n; n--)
			b_lg2 = __ffs(blocks & ~GENMASK(b_lg2, 0));
		iova = slot + ((u64)(prandom_u32_state(&rnd) %
				     (2U << (top_lg2 - b_lg2))) << b_lg2);
		paddr = (u64)(prandom_u32_state(&rnd) % 64 + 1) << b_lg2;
		if (prandom_u32_state(&rnd) & 1)
			prot |= IOPGTABLE_CACHE;
		if (prandom_u32_state(&rnd) & 1)
			prot |= IOPGTABLE_NOEXEC;
		if (prandom_u32_state(&rnd) & 1)
			prot |= IOPGTABLE_PRIVILEGED;
		KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(v->ours, iova, paddr,
							       BIT(b_lg2), 1, prot,
							       &mapped), 0);
		mapped = 0;
		KUNIT_ASSERT_EQ(test, v->theirs->map_pages(v->theirs, iova, paddr,
							   BIT(b_lg2), 1, prot,
							   GFP_KERNEL, &mapped), 0);
		pa_vs_compare_trees(v);

		/* A run of a smaller size inside one entry of the next size */
		below = c->sizes & GENMASK(b_lg2 - 1, 0);
		p_lg2 = __ffs(below);
		for (n = prandom_u32_state(&rnd) % hweight_long(below); n; n--)
			p_lg2 = __ffs(below & ~GENMASK(p_lg2, 0));
		room = BIT_ULL(v->g_lg2 - 3);	/* entries of a table */
		start = prandom_u32_state(&rnd) % (u32)room;
		n = 1 + prandom_u32_state(&rnd) %
			(u32)min_t(u64, room - start, 16);
		start = iova + (((u64)(prandom_u32_state(&rnd) %
				       (1U << (b_lg2 - p_lg2))) << p_lg2) &
				~(BIT_ULL(p_lg2 + v->g_lg2 - 3) - 1)) +
			(start << p_lg2);
		if (start + (n << p_lg2) > iova + BIT_ULL(b_lg2))
			start = iova + BIT_ULL(b_lg2) - (n << p_lg2);
		KUNIT_EXPECT_EQ(test, v->theirs->unmap_pages(v->theirs, start,
							     BIT(p_lg2), n, NULL),
				n << p_lg2);
		KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(v->ours->ops, start,
							    n << p_lg2, NULL, NULL),
				n << p_lg2);
		pa_vs_compare_trees(v);
	}
	kunit_info(test, "%lu entries compared", v->entries);
}

#else

static void pa_split_vs_io_pgtable_arm(struct kunit *test)
{
	kunit_skip(test, "the kernel has no io-pgtable-arm to compare with");
}

#endif

/* ---- the reservations are never short ---- */

enum pa_kind { PA_UNMAP, PA_MAP, PA_SGT, PA_KINDS };

static const char *const pa_kind_names[] = {
	[PA_UNMAP] = "prealloc_unmap + unmap_split",
	[PA_MAP] = "prealloc_map + unmap_split + map_prealloc",
	[PA_SGT] = "prealloc_map_sgtable + unmap_split + map_sgtable_prealloc",
};

struct pa_run {
	struct kunit *test;
	const struct pa_case *c;
	struct iopgtable_test_table *t;
	struct rnd_state rnd;
	unsigned int g_lg2;
	unsigned int top_lg2;
	u64 window;
	u64 window_size;
	u64 phys_size;
	struct iopgtable_test_extent ext[PA_MAX_EXTENTS];
	struct iopgtable_test_extents model;
	u64 reserved[PA_KINDS];
	u64 used[PA_KINDS];
	u64 panthor[PA_KINDS];
	unsigned long runs[PA_KINDS];
	bool failed;
};

static u32 pa_rand(struct pa_run *r, u32 n)
{
	return n ? prandom_u32_state(&r->rnd) % n : 0;
}

static u64 pa_rand64(struct pa_run *r, u64 n)
{
	return iopgtable_test_rand64(&r->rnd, n);
}

/* A point in the window, aligned to a random size from granule to top. */
static u64 pa_rand_point(struct pa_run *r)
{
	unsigned int lg2;

	switch (pa_rand(r, 4)) {
	case 0:
		lg2 = r->g_lg2;
		break;
	case 1:
		lg2 = r->top_lg2;
		break;
	default:
		lg2 = r->g_lg2 + pa_rand(r, r->top_lg2 - r->g_lg2 + 1);
		break;
	}
	return r->window + (pa_rand64(r, r->window_size >> lg2) << lg2);
}

/* A random range in the window, not empty; sometimes small. */
static void pa_rand_range(struct pa_run *r, u64 *iova, u64 *size)
{
	u64 a = pa_rand_point(r), b;

	if (pa_rand(r, 3))
		b = a + ((1 + pa_rand64(r, 8)) << (r->g_lg2 +
			 pa_rand(r, r->top_lg2 - r->g_lg2 + 1)));
	else
		b = pa_rand_point(r);
	if (b < a)
		swap(a, b);
	if (b == a)
		b += BIT_ULL(r->g_lg2);
	b = min(b, r->window + r->window_size);
	*iova = a;
	/* What the running calls' size_t holds, on 32-bit too. */
	*size = min_t(u64, b - a, SIZE_MAX & ~(BIT_ULL(r->g_lg2) - 1));
}

/* A physical address for @size bytes at @iova, often block-congruent. */
static u64 pa_rand_paddr(struct pa_run *r, u64 iova, u64 size)
{
	u64 top = BIT_ULL(r->top_lg2);
	u64 p;

	if (pa_rand(r, 2)) {
		p = pa_rand64(r, (r->phys_size - size - top) >> r->top_lg2) <<
		    r->top_lg2;
		return p + (iova & (top - 1));
	}
	return pa_rand64(r, (r->phys_size - size) >> r->g_lg2) << r->g_lg2;
}

static void pa_model_add(struct pa_run *r, u64 iova, u64 paddr, u64 size)
{
	struct iopgtable_test_extent e = {
		.iova = iova, .paddr = paddr, .size = size,
		.pgsize_lg2 = r->g_lg2, .whole = true,
	};

	iopgtable_test_extent_add(r->test, &r->model, e);
}

/* Map the holes of [iova, iova + size), allocating. */
static void pa_fill_holes(struct pa_run *r, u64 iova, u64 size)
{
	u64 cur = iova, end = iova + size;

	while (cur < end && !r->failed) {
		struct iopgtable_test_extent *e =
			iopgtable_test_extent_find(&r->model, cur);
		u64 next = end, paddr;
		unsigned int i;
		int ret;

		if (e) {
			cur = min(end, e->iova + e->size);
			continue;
		}
		for (i = 0; i < r->model.n; i++)
			if (r->ext[i].iova > cur && r->ext[i].iova < next)
				next = r->ext[i].iova;
		paddr = pa_rand_paddr(r, cur, next - cur);
		ret = iopgtable_map(r->t->ops, cur, paddr, next - cur,
				    RW | (pa_rand(r, 2) ? IOPGTABLE_CACHE : 0),
				    GFP_KERNEL);
		if (ret) {
			KUNIT_FAIL(r->test, "filling [%#llx, %#llx): %d", cur,
				   next, ret);
			r->failed = true;
			return;
		}
		pa_model_add(r, cur, paddr, next - cur);
		cur = next;
	}
}

/* Check @iova against the model. */
static void pa_probe(struct pa_run *r, u64 iova)
{
	struct iopgtable_test_extent *e;
	phys_addr_t got, want = 0;

	if (iova < r->window || iova >= r->window + r->window_size)
		return;
	e = iopgtable_test_extent_find(&r->model, iova);
	if (e)
		want = e->paddr + (iova - e->iova);
	got = r->t->ops->iova_to_phys(r->t->ops, iova);
	if (got != want && !r->failed) {
		KUNIT_FAIL(r->test, "IOVA %#llx translates to %pa, wanted %pa",
			   iova, &got, &want);
		r->failed = true;
	}
}

/* Probe around both ends of a range, at every level, and at random. */
static void pa_probes(struct pa_run *r, u64 iova, u64 size)
{
	u64 ends[2] = { iova, iova + size };
	unsigned int i, lg2;

	for (i = 0; i < 2; i++) {
		for (lg2 = r->g_lg2; lg2 <= r->top_lg2; lg2++) {
			u64 down = ends[i] & ~(BIT_ULL(lg2) - 1);

			pa_probe(r, down);
			pa_probe(r, down + BIT_ULL(lg2) - BIT_ULL(r->g_lg2));
			pa_probe(r, down - BIT_ULL(r->g_lg2));
		}
		pa_probe(r, ends[i]);
		pa_probe(r, ends[i] + BIT_ULL(r->g_lg2));
	}
	for (i = 0; i < PA_PROBES; i++) {
		pa_probe(r, iova + (pa_rand64(r, size >> r->g_lg2) << r->g_lg2));
		pa_probe(r, pa_rand_point(r) + pa_rand(r, 4096));
	}
}

/*
 * A folio's segment at @iova, at most @left bytes: one page of a random
 * provided size larger than the smallest that @iova is aligned to, at a
 * physical address aligned to it (*@addr); 0 if there is none.
 */
static u64 pa_rand_folio(struct pa_run *r, u64 iova, u64 left, u64 *addr)
{
	unsigned long sizes = r->c->sizes & ~GENMASK(r->g_lg2, 0);
	unsigned int lg2 = 0;

	for (; sizes; sizes &= sizes - 1) {
		unsigned int s = __ffs(sizes);

		if ((iova & (BIT_ULL(s) - 1)) || BIT_ULL(s) > left)
			break;
		if (!lg2 || pa_rand(r, 2))
			lg2 = s;
	}
	if (!lg2)
		return 0;
	*addr = pa_rand64(r, (r->phys_size >> lg2) - 1) << lg2;
	return BIT_ULL(lg2);
}

/* Random segments for @size bytes, and an offset into the first. */
static void pa_rand_sgt(struct pa_run *r, struct sg_table *sgt, u64 size,
			u64 *offset, u64 iova)
{
	u64 addr[PA_MAX_SEGS], len[PA_MAX_SEGS], left = size;
	unsigned int n = 0;

	*offset = pa_rand(r, 2) ? (u64)pa_rand(r, 4) << r->g_lg2 : 0;
	while (left) {
		u64 l = left;

		/*
		 * Runs of folios, as shmem gives where they are huge; where
		 * @iova is not aligned for one, a segment up to where it is.
		 * Only while the segments left can hold the rest.
		 */
		if (left <= (u64)(PA_MAX_SEGS - 1 - n) * SZ_1G &&
		    !pa_rand(r, 3)) {
			unsigned long big = r->c->sizes & ~GENMASK(r->g_lg2, 0);
			u64 to;

			l = n || !*offset ?
			    pa_rand_folio(r, iova, left, &addr[n]) : 0;
			if (l) {
				len[n++] = l;
				iova += l;
				left -= l;
				continue;
			}
			to = big ? ALIGN(iova + 1, BIT_ULL(__ffs(big))) - iova : left;
			l = min(to, min_t(u64, left, SZ_1G));
		/* sg lengths are 32 bits */
		} else if (left > SZ_1G) {
			l = SZ_1G;
		} else if (n < PA_MAX_SEGS - 1 && pa_rand(r, 2)) {
			l = (1 + pa_rand64(r, left >> r->g_lg2)) << r->g_lg2;
		}
		len[n] = l + (n ? 0 : *offset);
		addr[n] = pa_rand_paddr(r, iova - (n ? 0 : *offset), len[n]);
		iova += l;
		left -= l;
		n++;
	}
	pa_fill_sgt(r->test, sgt, addr, len, n);
}

/* Add the pieces of @sgt from @offset for @size bytes at @iova to the model. */
static void pa_model_add_sgt(struct pa_run *r, struct sg_table *sgt,
			     u64 offset, u64 size, u64 iova)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 l = sg_dma_len(sg) - offset;

		l = min(l, size);
		pa_model_add(r, iova, sg_dma_address(sg) + offset, l);
		offset = 0;
		iova += l;
		size -= l;
	}
}

static void pa_round(struct pa_run *r, enum pa_kind kind)
{
	struct iopgtable_test_table *t = r->t;
	struct kunit *test = r->test;
	unsigned long attempts, violations;
	struct iopgtable_prealloc pa;
	struct sg_table sgt;
	u64 iova, size, paddr = 0, offset = 0, reserved, c;
	int ret = 0;

	/* Unmaps elsewhere first, sometimes: blocks split, empty tables left. */
	if (!pa_rand(r, 3)) {
		pa_rand_range(r, &iova, &size);
		pa_fill_holes(r, iova, size);
		KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, iova, size,
							    NULL, NULL), size);
		iopgtable_test_extents_remove(test, &r->model, iova, size);
	}

	pa_rand_range(r, &iova, &size);
	/* The unmap part of a bind covers consecutive mappings: fill holes. */
	pa_fill_holes(r, iova, size);
	if (r->failed)
		return;

	iopgtable_prealloc_init(&pa);
	switch (kind) {
	case PA_UNMAP:
		ret = iopgtable_prealloc_unmap(t->ops, &pa, iova, size, GFP_KERNEL);
		break;
	case PA_MAP:
		paddr = pa_rand_paddr(r, iova, size);
		ret = iopgtable_prealloc_map(t->ops, &pa, iova, size, GFP_KERNEL);
		break;
	case PA_SGT:
		pa_rand_sgt(r, &sgt, size, &offset, iova);
		ret = iopgtable_prealloc_map_sgtable(t->ops, &pa, iova, &sgt, offset,
						     size, GFP_KERNEL);
		break;
	default:
		break;
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	reserved = iopgtable_prealloc_count(&pa);

	/* Running: no allocation may even be attempted. */
	attempts = t->attempts;
	violations = iopgtable_test_violations(t);
	pa_fail_all(t, true);
	c = iopgtable_unmap_split(t->ops, iova, size, &pa, NULL);
	KUNIT_EXPECT_EQ_MSG(test, c, size, "unmap_split [%#llx, +%#llx)", iova,
			    size);
	iopgtable_test_extents_remove(test, &r->model, iova, size);
	if (kind == PA_MAP) {
		ret = iopgtable_map_prealloc(t->ops, iova, paddr, size, RW, &pa);
		if (!ret)
			pa_model_add(r, iova, paddr, size);
	} else if (kind == PA_SGT) {
		ret = iopgtable_map_sgtable_prealloc(t->ops, iova, &sgt, offset,
						     size, RW, &pa);
		if (!ret)
			pa_model_add_sgt(r, &sgt, offset, size, iova);
		sg_free_table(&sgt);
	}
	pa_fail_all(t, false);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s [%#llx, +%#llx)",
			    pa_kind_names[kind], iova, size);
	KUNIT_EXPECT_EQ(test, t->attempts, attempts);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), violations);
	if (ret || c != size)
		r->failed = true;

	r->runs[kind]++;
	r->reserved[kind] += reserved;
	r->used[kind] += reserved - iopgtable_prealloc_count(&pa);
	if (r->g_lg2 == 12) {
		u64 panthor = pa_panthor_count(iova, size);

		r->panthor[kind] += panthor;
		KUNIT_EXPECT_LE(test, reserved, panthor);
		if (kind == PA_MAP)
			KUNIT_EXPECT_EQ(test, reserved, panthor);
	}
	iopgtable_prealloc_release(t->ops, &pa);
	pa_probes(r, iova, size);
}

static void pa_never_short(struct kunit *test)
{
	const struct pa_case *c = test->param_value;
	struct pa_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	unsigned int i, k;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->test = test;
	r->c = c;
	r->t = pa_new(test, c);
	prandom_seed_state(&r->rnd, prealloc_seed);
	r->g_lg2 = __ffs(c->sizes);
	r->top_lg2 = __fls(c->sizes);
	r->window = pa_space(r->t) + c->window;
	r->window_size = c->window_size;
	r->phys_size = BIT_ULL(r->t->cfg.oas);
	r->model.ext = r->ext;
	r->model.max = PA_MAX_EXTENTS;
	kunit_info(test, "seed %#lx", prealloc_seed);

	for (i = 0; i < PA_ROUNDS && !r->failed; i++)
		pa_round(r, i % PA_KINDS);

	/* Every extent translates, exactly. */
	for (i = 0; i < r->model.n && !r->failed; i++)
		iopgtable_test_expect_mapped(r->t, r->ext[i].iova, r->ext[i].paddr,
					     r->ext[i].size);
	for (k = 0; k < PA_KINDS; k++) {
		if (r->g_lg2 == 12)
			kunit_info(test, "%s: %lu runs, %llu tables reserved, %llu used, Panthor's formula %llu",
				   pa_kind_names[k], r->runs[k], r->reserved[k],
				   r->used[k], r->panthor[k]);
		else
			kunit_info(test, "%s: %lu runs, %llu tables reserved, %llu used",
				   pa_kind_names[k], r->runs[k], r->reserved[k],
				   r->used[k]);
	}
	iopgtable_test_release(r->t);
}

/*
 * On a new, empty table the sg_table reservation is exact: a random
 * sg_table maps with every table reserved for it, and no other.
 */
static void pa_sgtable_exact(struct kunit *test)
{
	const struct pa_case *c = test->param_value;
	struct pa_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	unsigned int i;
	u64 reserved = 0;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->test = test;
	r->c = c;
	prandom_seed_state(&r->rnd, prealloc_seed + 1);
	r->g_lg2 = __ffs(c->sizes);
	r->top_lg2 = __fls(c->sizes);
	r->window_size = c->window_size;
	r->model.ext = r->ext;
	r->model.max = PA_MAX_EXTENTS;

	for (i = 0; i < 24; i++) {
		struct iopgtable_prealloc pa;
		struct sg_table sgt;
		u64 iova, size, offset;

		r->t = pa_new(test, c);
		r->window = pa_space(r->t) + c->window;
		r->phys_size = BIT_ULL(r->t->cfg.oas);
		pa_rand_range(r, &iova, &size);
		pa_rand_sgt(r, &sgt, size, &offset, iova);
		iopgtable_prealloc_init(&pa);
		KUNIT_ASSERT_EQ(test, iopgtable_prealloc_map_sgtable(r->t->ops, &pa,
								     iova, &sgt,
								     offset, size,
								     GFP_KERNEL), 0);
		reserved += iopgtable_prealloc_count(&pa);
		pa_fail_all(r->t, true);
		KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable_prealloc(r->t->ops, iova,
								     &sgt, offset,
								     size, RW, &pa),
				0);
		pa_fail_all(r->t, false);
		KUNIT_EXPECT_EQ_MSG(test, iopgtable_prealloc_count(&pa), 0,
				    "[%#llx, +%#llx) left tables unused", iova, size);
		iopgtable_prealloc_release(r->t->ops, &pa);
		sg_free_table(&sgt);
		iopgtable_test_release(r->t);
	}
	kunit_info(test, "24 sg_tables on new tables: %llu tables reserved, all used",
		   reserved);
}

/**
 * struct pa_bbm - what a break-before-make split's callback saw
 * @t: the table.
 * @flushes: tlb_flush_walk calls.
 * @iova: the IOVA the first was given.
 * @size: the size the first was given.
 * @entry: the entry that ended a walk to @iova when the first ran.
 * @level: its level.
 * @translated: what the block's first page translated to then.
 */
struct pa_bbm {
	struct iopgtable_test_table *t;
	unsigned int flushes;
	u64 iova;
	u64 size;
	u64 entry;
	int level;
	u64 translated;
};

static struct pa_bbm *pa_bbm_seen;

static void pa_bbm_flush_walk(u64 iova, u64 size, size_t granule, void *cookie)
{
	struct pa_bbm *b = pa_bbm_seen;
	struct iopgtable_test_walk w;

	if (b->flushes++)
		return;
	b->iova = iova;
	b->size = size;
	b->entry = iopgtable_test_walk(b->t, iova, &w);
	b->level = w.level;
	b->translated = iopgtable_test_translate(b->t, iova);
}

static void pa_bbm_flush_all(void *cookie)
{
	struct iopgtable_test_table *t = cookie;

	t->flush_all++;
}

static const struct iopgtable_flush_ops pa_bbm_flush_ops = {
	.tlb_flush_all	= pa_bbm_flush_all,
	.tlb_flush_walk	= pa_bbm_flush_walk,
};

/*
 * With cfg.split_bbm a split breaks before make: when tlb_flush_walk runs
 * over the block's span, the block's entry reads 0 and nothing in the span
 * translates; the table entry appears only after. The entries left are
 * those of the single-store split, compared entry by entry with a table
 * without split_bbm given the same calls. split_bbm without tlb_flush_walk
 * is refused.
 */
static void pa_split_bbm(struct kunit *test)
{
	const struct pa_case *c = test->param_value;
	struct iopgtable_test_table *t, *plain;
	struct iopgtable_test_walk w, pw;
	struct iopgtable_cfg cfg;
	struct iopgtable_prealloc pa;
	struct pa_bbm *b;
	u64 g, top, iova, hole, blk, probe;
	int blk_level;

	cfg = pa_cfg(test, c);
	cfg.split_bbm = true;
	cfg.tlb = NULL;
	cfg.alloc = iopgtable_test_alloc;
	cfg.free = iopgtable_test_free;
	KUNIT_EXPECT_EQ(test, PTR_ERR(iopgtable_alloc_ops(c->fmt, &cfg, NULL)),
			-EINVAL);

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	pa_bbm_seen = b;
	cfg.alloc = NULL;
	cfg.free = NULL;
	cfg.tlb = &pa_bbm_flush_ops;
	t = iopgtable_test_new(test, c->fmt, &cfg);
	plain = pa_new(test, c);
	b->t = t;
	g = BIT_ULL(pa_granule_lg2(t));
	top = BIT_ULL(__fls(c->sizes));
	iova = pa_space(t) + c->window + 3 * top;
	hole = iova + top / 2 + 3 * g;

	KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, iova, 5 * top, top, RW,
					    GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iopgtable_map(plain->ops, iova, 5 * top, top, RW,
					    GFP_KERNEL), 0);
	blk = iopgtable_test_walk(t, iova, &w);
	KUNIT_ASSERT_NE(test, blk, 0);
	blk_level = w.level;

	iopgtable_prealloc_init(&pa);
	KUNIT_ASSERT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa, hole, g,
						       GFP_KERNEL), 0);
	pa_fail_all(t, true);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, hole, g, &pa, NULL),
			g);
	pa_fail_all(t, false);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(plain->ops, hole, g, NULL,
						    NULL), g);

	/*
	 * The first flush: the block's entry invalid (the walk ends there,
	 * on no table), before its table appeared.
	 */
	KUNIT_EXPECT_GE(test, b->flushes, 1U);
	KUNIT_EXPECT_EQ(test, b->iova, iova);
	KUNIT_EXPECT_EQ(test, b->size, top);
	KUNIT_EXPECT_EQ(test, b->entry, 0);
	KUNIT_EXPECT_EQ(test, b->level, blk_level);
	KUNIT_EXPECT_EQ(test, b->translated, 0);
	/* One flush per block split, nothing else flushed. */
	KUNIT_EXPECT_EQ(test, b->flushes,
			pa_split_levels(t, __fls(c->sizes), pa_granule_lg2(t)));

	for (probe = iova; probe < iova + top; probe += g) {
		u64 ours = iopgtable_test_walk(t, probe, &w);
		u64 theirs = iopgtable_test_walk(plain, probe, &pw);

		KUNIT_ASSERT_EQ_MSG(test, ours, theirs, "IOVA %#llx", probe);
		KUNIT_ASSERT_EQ(test, w.level, pw.level);
	}
	iopgtable_test_expect_unmapped(t, hole, g);
	iopgtable_test_expect_mapped(t, iova, 5 * top, hole - iova);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
	iopgtable_prealloc_release(t->ops, &pa);
	iopgtable_test_release(t);
	iopgtable_test_release(plain);
}

KUNIT_DEFINE_ACTION_WRAPPER(pa_free_ops, iopgtable_free_ops,
			    struct iopgtable_ops *);

/*
 * A release frees the tables and nothing else, and never sleeps with the
 * default allocator, however many tables the reservation holds: here the
 * 5140 of ten binds of 1G, released with interrupts off
 * (CONFIG_DEBUG_ATOMIC_SLEEP reports a release that may sleep). The
 * tables come out of the reservation zeroed, the entry that linked them
 * included: a page left out of a leaf table does not translate.
 */
static void pa_release_atomic(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(S1);
	struct iopgtable_prealloc pa;
	struct iopgtable_ops *ops;
	unsigned long flags;
	unsigned int i;

	cfg.alloc = NULL;
	cfg.free = NULL;
	cfg.tlb = NULL;
	ops = iopgtable_alloc_ops(S1, &cfg, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ops);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pa_free_ops, ops),
			0);

	iopgtable_prealloc_init(&pa);
	KUNIT_ASSERT_EQ(test, iopgtable_prealloc_map(ops, &pa, SZ_1G, SZ_2M,
						     GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iopgtable_prealloc_count(&pa), 3U);
	KUNIT_EXPECT_EQ(test, iopgtable_map_prealloc(ops, SZ_1G + SZ_4K,
						     SZ_2G + SZ_4K,
						     SZ_2M - SZ_4K, RW, &pa), 0);
	for (i = 1; i < 512; i++)
		KUNIT_EXPECT_EQ(test, ops->iova_to_phys(ops, SZ_1G + i * SZ_4K),
				(phys_addr_t)SZ_2G + i * SZ_4K);
	KUNIT_EXPECT_EQ(test, ops->iova_to_phys(ops, SZ_1G), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0U);

	for (i = 0; i < 10; i++)
		KUNIT_ASSERT_EQ(test,
				iopgtable_prealloc_map(ops, &pa,
						       SZ_8G + (u64)i * SZ_1G,
						       SZ_1G, GFP_KERNEL), 0);
	/* Per 1G: a table at level 1, one at level 2, 512 at level 3. */
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 10 * 514U);
	local_irq_save(flags);
	iopgtable_prealloc_release(ops, &pa);
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 0U);
	KUNIT_EXPECT_NULL(test, pa.head);
	iopgtable_prealloc_release(ops, &pa);
}

/* A caller's allocator gets every table a release gives back. */
static void pa_caller_allocator_release(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(S1);
	struct iopgtable_test_table *t = iopgtable_test_new(test, S1, &cfg);
	struct iopgtable_prealloc pa;
	unsigned long frees = t->frees;

	iopgtable_prealloc_init(&pa);
	KUNIT_ASSERT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, SZ_1G, SZ_2M,
						     GFP_KERNEL),
			0);
	KUNIT_ASSERT_EQ(test, iopgtable_prealloc_count(&pa), 3U);
	iopgtable_prealloc_release(t->ops, &pa);
	KUNIT_EXPECT_EQ(test, t->frees, frees + 3);
}

static struct kunit_case pa_test_cases[] = {
	KUNIT_CASE(pa_contract_example),
	KUNIT_CASE(pa_prepare_errors),
	KUNIT_CASE(pa_prepare_range),
	KUNIT_CASE(pa_release_atomic),
	KUNIT_CASE(pa_caller_allocator_release),
	KUNIT_CASE_PARAM(pa_short_reservation, pa_gen_params),
	KUNIT_CASE_PARAM(pa_split_one_page, pa_gen_params),
	KUNIT_CASE_PARAM(pa_split_both_ends, pa_gen_params),
	KUNIT_CASE_PARAM(pa_split_without_table, pa_gen_params),
	KUNIT_CASE_PARAM(pa_split_allocates, pa_gen_params),
	KUNIT_CASE_PARAM(pa_split_bbm, pa_gen_params),
	KUNIT_CASE(pa_split_noncoherent),
	KUNIT_CASE_PARAM(pa_split_vs_io_pgtable_arm, pa_gen_params),
	KUNIT_CASE_PARAM(pa_sgtable_exact, pa_gen_params),
	KUNIT_CASE_PARAM_ATTR(pa_never_short, pa_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite pa_test_suite = {
	.name = "iopgtable_prealloc",
	.test_cases = pa_test_cases,
};

kunit_test_suites(&pa_test_suite);
