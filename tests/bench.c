// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopgtable_bench: iopgtable beside the kernel's io-pgtable-arm, same
 * configuration, same calls, in alternation within one run. Not a test:
 * nothing here passes or fails on a time. scripts/bench.sh runs it in its
 * own UML build and writes the table to build/bench.md.
 *
 * Both tables, allocated afresh for each case: ARM_64_LPAE_S1 with a 4K
 * granule (4K|2M|1G) unless the case names other tables (16K|32M,
 * 64K|512M, or ARM_MALI_LPAE), ias 48, oas 48 (40 for Mali), coherent
 * walk, no TLB callbacks unless the case counts them, the libraries' own
 * table allocators. io-pgtable-arm's map_pages and unmap_pages stop at
 * table boundaries, so it gets the loop a driver writes around them; the
 * range helper and sg_table cases give it the loop Panthor writes
 * (page-size choice by address and length, retries over partial progress).
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/prandom.h>
#include <linux/math64.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include <linux/iopgtable.h>

#include "bench-util.h"

#define BENCH_PROT	(IOPGTABLE_READ | IOPGTABLE_WRITE | IOPGTABLE_CACHE)
#define BENCH_IOVA	0x4000000000ULL		/* 256 GiB: 1G aligned */
#define BENCH_PADDR	0x80000000ULL
#define BENCH_SEED	13			/* the shuffles' fixed seed */

static char *bench_only;
module_param(bench_only, charp, 0444);
MODULE_PARM_DESC(bench_only,
		 "run only the cases whose name contains this text, '_' for a space (the floor always runs)");

static bool bench_selected(const char *name)
{
	return bench_name_selected(bench_only, name);
}

/**
 * struct bench_tlb_calls - the TLB callbacks one library made
 * @flush_all: tlb_flush_all calls.
 * @flush_walk: tlb_flush_walk calls.
 * @add_page: tlb_add_page calls.
 */
struct bench_tlb_calls {
	unsigned long flush_all;
	unsigned long flush_walk;
	unsigned long add_page;
};

/**
 * struct bench - the state of one run
 * @test: the KUnit test.
 * @dev: the device both libraries are given as the walker.
 * @ours: the current case's iopgtable table.
 * @theirs: the current case's io-pgtable-arm table.
 * @tlb: the TLB callbacks each library made, when the case counts them.
 * @sgt: the sg_table case's segments.
 * @sparse: the sparse case's IOVAs, in map order and in unmap order.
 * @samples: each library's samples of the current case.
 * @ratios: io-pgtable-arm's time over iopgtable's, sample by sample.
 */
struct bench {
	struct kunit *test;
	struct device *dev;
	struct iopgtable_ops *ours;
	struct io_pgtable_ops *theirs;
	struct bench_tlb_calls tlb[2];
	struct sg_table sgt;
	u64 *sparse[2];
	u64 *samples[2];
	u64 *ratios;
};

static const char *const bench_lib_name[] = { "iopgtable", "io-pgtable-arm" };

/* io-pgtable-arm: map_pages until the whole run is mapped. */
static void theirs_map(struct io_pgtable_ops *ops, u64 iova, u64 paddr,
		       size_t pgsize, size_t count)
{
	while (count) {
		size_t mapped = 0;

		if (ops->map_pages(ops, iova, paddr, pgsize, count, BENCH_PROT,
				   GFP_KERNEL, &mapped) || !mapped)
			return;
		iova += mapped;
		paddr += mapped;
		count -= mapped / pgsize;
	}
}

static void theirs_unmap(struct io_pgtable_ops *ops, u64 iova, size_t pgsize,
			 size_t count, struct iommu_iotlb_gather *gather)
{
	while (count) {
		size_t done = ops->unmap_pages(ops, iova, pgsize, count, gather);

		if (!done)
			return;
		iova += done;
		count -= done / pgsize;
	}
}

/*
 * The page size Panthor's VM code picks for the next step at @addr (IOVA
 * and physical address or-ed) with @size left: 4K pages up to the next 2M
 * boundary, else 2M blocks up to the next 1G boundary.
 */
static size_t panthor_style_pgsize(u64 addr, size_t size, size_t *count)
{
	size_t to_2m = -addr & (SZ_2M - 1), to_1g;

	if (to_2m || size < SZ_2M) {
		*count = (to_2m && to_2m < size ? to_2m : size) / SZ_4K;
		return SZ_4K;
	}
	to_1g = -addr & (SZ_1G - 1);
	if (!to_1g)
		to_1g = SZ_1G;
	*count = min_t(size_t, to_1g, size) / SZ_2M;
	return SZ_2M;
}

static int panthor_style_map(struct io_pgtable_ops *ops, u64 iova, u64 paddr,
			     size_t len)
{
	while (len) {
		size_t count, mapped = 0;
		size_t pgsize = panthor_style_pgsize(iova | paddr, len, &count);
		int ret = ops->map_pages(ops, iova, paddr, pgsize, count,
					 BENCH_PROT, GFP_KERNEL, &mapped);

		if (ret || !mapped)
			return ret ?: -ENOMEM;
		iova += mapped;
		paddr += mapped;
		len -= mapped;
	}
	return 0;
}

static void panthor_style_unmap(struct io_pgtable_ops *ops, u64 iova,
				size_t len)
{
	while (len) {
		size_t count, pgsize = panthor_style_pgsize(iova, len, &count);
		size_t done = ops->unmap_pages(ops, iova, pgsize, count, NULL);

		if (!done)
			return;
		iova += done;
		len -= done;
	}
}

/* Panthor's map of an sg_table: panthor_style_map() per DMA segment. */
static int panthor_style_map_sgt(struct io_pgtable_ops *ops, u64 iova,
				 struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		ret = panthor_style_map(ops, iova, sg_dma_address(sg),
					sg_dma_len(sg));
		if (ret)
			return ret;
		iova += sg_dma_len(sg);
	}
	return 0;
}

/* TLB callbacks that only count, one set per library; the cookie is b. */
static void ours_flush_all(void *cookie)
{
	((struct bench *)cookie)->tlb[OURS].flush_all++;
}

static void ours_flush_walk(u64 iova, u64 size, size_t granule, void *cookie)
{
	((struct bench *)cookie)->tlb[OURS].flush_walk++;
}

static void ours_add_page(struct iopgtable_gather *gather, u64 iova,
			  size_t granule, void *cookie)
{
	((struct bench *)cookie)->tlb[OURS].add_page++;
}

static const struct iopgtable_flush_ops bench_ours_tlb = {
	.tlb_flush_all = ours_flush_all,
	.tlb_flush_walk = ours_flush_walk,
	.tlb_add_page = ours_add_page,
};

static void theirs_flush_all(void *cookie)
{
	((struct bench *)cookie)->tlb[THEIRS].flush_all++;
}

static void theirs_flush_walk(unsigned long iova, size_t size, size_t granule,
			      void *cookie)
{
	((struct bench *)cookie)->tlb[THEIRS].flush_walk++;
}

static void theirs_add_page(struct iommu_iotlb_gather *gather,
			    unsigned long iova, size_t granule, void *cookie)
{
	((struct bench *)cookie)->tlb[THEIRS].add_page++;
}

static const struct iommu_flush_ops bench_theirs_tlb = {
	.tlb_flush_all = theirs_flush_all,
	.tlb_flush_walk = theirs_flush_walk,
	.tlb_add_page = theirs_add_page,
};

/**
 * struct bench_tables - the page tables a case runs on, alike for both
 * @ours: iopgtable's format.
 * @theirs: io-pgtable-arm's format.
 * @pgsize_bitmap: the page sizes asked for; both libraries take the
 *	granule from it.
 * @oas: output address bits.
 * @counted_tlb: TLB callbacks that count their calls in &bench.tlb; else
 *	none.
 */
struct bench_tables {
	enum iopgtable_fmt ours;
	enum io_pgtable_fmt theirs;
	unsigned long pgsize_bitmap;
	unsigned int oas;
	bool counted_tlb;
};

/* Indexes in bench_tables[]; the first is a case's default. */
enum { BENCH_S1_4K, BENCH_S1_4K_TLB, BENCH_S1_16K, BENCH_S1_64K, BENCH_MALI };

static const struct bench_tables bench_tables[] = {
	[BENCH_S1_4K] = { IOPGTABLE_ARM_64_LPAE_S1, ARM_64_LPAE_S1,
			  SZ_4K | SZ_2M | SZ_1G, 48, false },
	[BENCH_S1_4K_TLB] = { IOPGTABLE_ARM_64_LPAE_S1, ARM_64_LPAE_S1,
			      SZ_4K | SZ_2M | SZ_1G, 48, true },
	[BENCH_S1_16K] = { IOPGTABLE_ARM_64_LPAE_S1, ARM_64_LPAE_S1,
			   SZ_16K | SZ_32M, 48, false },
	[BENCH_S1_64K] = { IOPGTABLE_ARM_64_LPAE_S1, ARM_64_LPAE_S1,
			   SZ_64K | SZ_512M, 48, false },
	[BENCH_MALI] = { IOPGTABLE_ARM_MALI_LPAE, ARM_MALI_LPAE,
			 SZ_4K | SZ_2M | SZ_1G, 40, false },
};

/* The sg_table case: 2048 segments of 4K, physically shuffled. */
#define SGT_SIZE	SZ_8M

/* The sparse case: 4096 pages of 4K at 64K slots of a 1 GiB range. */
#define SPARSE_PAGES	4096
#define SPARSE_SLOTS	(SZ_1G / SZ_64K)

/*
 * The scattered case: as many pages, two in each 2M region of 4 GiB whose
 * leaf table already holds a page, kept mapped beside them.
 */
#define SCATTER_REGIONS	(SPARSE_PAGES / 2)

/* The gather case's steps in a sample unmap 2M apart. */
#define UNMAP_STRIDE	SZ_2M

/**
 * struct bench_case - one row of the table
 * @name: what is measured.
 * @pgsize: page size of the calls.
 * @count: pages per call.
 * @iters: measured samples (after a tenth as many for warm-up).
 * @batch: steps timed together in one sample, so that a sample is long
 *	against the clock's resolution (256 ns under UML).
 * @kind: how a step is run: @count x @pgsize mapped then unmapped, @count
 *	translations, the 64 MiB range, the unmap alone of @count x @pgsize
 *	with a gather (mapped before the sample's clock starts), the
 *	fragmented sg_table mapped then unmapped, the sparse bind, the
 *	scattered pages among populated leaf tables.
 * @per: units per step (pages, or translations), for ns per unit.
 * @tables: the tables, an index in bench_tables[]: 4K ARM_64_LPAE_S1 if
 *	unset.
 * @unmap_pgsize: a map+unmap step unmaps in pages of this size, the
 *	largest the range allows, as a driver's unmap loop picks it; 0: in
 *	pages of @pgsize.
 */
struct bench_case {
	const char *name;
	size_t pgsize;
	size_t count;
	unsigned int iters;
	unsigned int batch;
	enum { BENCH_MAP_UNMAP, BENCH_IOVA_TO_PHYS, BENCH_RANGE,
	       BENCH_UNMAP_GATHER, BENCH_SGTABLE, BENCH_SPARSE,
	       BENCH_SCATTER } kind;
	unsigned int per;
	unsigned int tables;
	size_t unmap_pgsize;
};

static const struct bench_case bench_cases[] = {
	{ "map+unmap 1 x 4K", SZ_4K, 1, 1000, 4096, BENCH_MAP_UNMAP, 1 },
	{ "map+unmap 1 x 2M", SZ_2M, 1, 1000, 4096, BENCH_MAP_UNMAP, 1 },
	{ "map+unmap 1 x 1G", SZ_1G, 1, 1000, 4096, BENCH_MAP_UNMAP, 1 },
	{ "map+unmap 256 x 4K", SZ_4K, 256, 1000, 128, BENCH_MAP_UNMAP, 1 },
	{ "map+unmap 256 x 2M", SZ_2M, 256, 1000, 128, BENCH_MAP_UNMAP, 1 },
	/* Unmapped as one 1G page: both sides free and rebuild the tables. */
	{ "map 1 GiB of 4K, unmap it as 1 x 1G, per page", SZ_4K,
	  SZ_1G / SZ_4K, 101, 1, BENCH_MAP_UNMAP, SZ_1G / SZ_4K,
	  .unmap_pgsize = SZ_1G },
	{ "iova_to_phys, per call", SZ_4K, 512, 1000, 4, BENCH_IOVA_TO_PHYS, 512 },
	{ "64 MiB range, helper vs Panthor loop", 0, 0, 1000, 64, BENCH_RANGE, 1 },
	{ "map+unmap 1 x 16K", SZ_16K, 1, 1000, 4096, BENCH_MAP_UNMAP, 1,
	  BENCH_S1_16K },
	{ "map+unmap 256 x 16K", SZ_16K, 256, 1000, 128, BENCH_MAP_UNMAP, 1,
	  BENCH_S1_16K },
	{ "map+unmap 1 x 64K", SZ_64K, 1, 1000, 4096, BENCH_MAP_UNMAP, 1,
	  BENCH_S1_64K },
	{ "map+unmap 256 x 64K", SZ_64K, 256, 1000, 128, BENCH_MAP_UNMAP, 1,
	  BENCH_S1_64K },
	{ "Mali map+unmap 1 x 4K", SZ_4K, 1, 1000, 4096, BENCH_MAP_UNMAP, 1,
	  BENCH_MALI },
	{ "Mali map+unmap 256 x 4K", SZ_4K, 256, 1000, 128, BENCH_MAP_UNMAP, 1,
	  BENCH_MALI },
	{ "unmap 256 x 4K, gather + tlb_add_page", SZ_4K, 256, 1000, 64,
	  BENCH_UNMAP_GATHER, 1, BENCH_S1_4K_TLB },
	{ "8 MiB fragmented sg_table, helper vs Panthor loop", SZ_4K,
	  SGT_SIZE / SZ_4K, 1000, 1, BENCH_SGTABLE, 1 },
	{ "sparse bind: 4096 x 4K at scattered 64K slots in 1 GiB, per page",
	  SZ_4K, SPARSE_PAGES, 300, 1, BENCH_SPARSE, SPARSE_PAGES },
	{ "scattered pages: 4096 x 4K among 4 GiB of populated leaf tables, per page",
	  SZ_4K, SPARSE_PAGES, 300, 1, BENCH_SCATTER, SPARSE_PAGES },
};

/* 64 MiB starting 4K below a 2M boundary: 4K, 31 x 2M, 511 x 4K. */
#define RANGE_IOVA	(BENCH_IOVA + SZ_2M - SZ_4K)
#define RANGE_PADDR	(BENCH_PADDR + SZ_2M - SZ_4K)
#define RANGE_SIZE	SZ_64M

/* Map @c->count x @c->pgsize at @iova to BENCH_PADDR on @lib. */
static void bench_map_pages(struct bench *b, const struct bench_case *c,
			    int lib, u64 iova)
{
	size_t mapped = 0;

	if (lib == OURS)
		b->ours->map_pages(b->ours, iova, BENCH_PADDR, c->pgsize,
				   c->count, BENCH_PROT, GFP_KERNEL, &mapped);
	else
		theirs_map(b->theirs, iova, BENCH_PADDR, c->pgsize, c->count);
}

/* Unmap @c->count x @c->pgsize at @iova with a gather, as a driver does. */
static void bench_unmap_gather(struct bench *b, const struct bench_case *c,
			       int lib, u64 iova)
{
	if (lib == OURS) {
		struct iopgtable_gather gather;

		iopgtable_gather_init(&gather);
		b->ours->unmap_pages(b->ours, iova, c->pgsize, c->count,
				     &gather);
	} else {
		struct iommu_iotlb_gather gather;

		iommu_iotlb_gather_init(&gather);
		theirs_unmap(b->theirs, iova, c->pgsize, c->count, &gather);
	}
}

/* Map the whole sg_table at BENCH_IOVA: the helper, or Panthor's loop. */
static int bench_sgt_map(struct bench *b, int lib)
{
	if (lib == OURS)
		return iopgtable_map_sgtable(b->ours, BENCH_IOVA, &b->sgt, 0,
					     SGT_SIZE, BENCH_PROT, GFP_KERNEL);
	return panthor_style_map_sgt(b->theirs, BENCH_IOVA, &b->sgt);
}

static void bench_sgt_unmap(struct bench *b, int lib)
{
	if (lib == OURS)
		iopgtable_unmap(b->ours, BENCH_IOVA, SGT_SIZE, NULL);
	else
		panthor_style_unmap(b->theirs, BENCH_IOVA, SGT_SIZE);
}

/* The sparse pages map to the same offset in a fake 1 GiB of memory. */
static u64 bench_sparse_paddr(u64 iova)
{
	return BENCH_PADDR + iova - BENCH_IOVA;
}

/*
 * Map the sparse pages one map_pages call each, in map order. Returns how
 * many calls failed.
 */
static unsigned int bench_sparse_map(struct bench *b, int lib)
{
	unsigned int i, failed = 0;

	for (i = 0; i < SPARSE_PAGES; i++) {
		u64 iova = b->sparse[0][i];
		size_t mapped = 0;

		if (lib == OURS)
			failed += !!b->ours->map_pages(b->ours, iova,
						       bench_sparse_paddr(iova),
						       SZ_4K, 1, BENCH_PROT,
						       GFP_KERNEL, &mapped);
		else
			failed += !!b->theirs->map_pages(b->theirs, iova,
							 bench_sparse_paddr(iova),
							 SZ_4K, 1, BENCH_PROT,
							 GFP_KERNEL, &mapped);
	}
	return failed;
}

/* Unmap the sparse pages one unmap_pages call each, in unmap order. */
static void bench_sparse_unmap(struct bench *b, int lib)
{
	unsigned int i;

	for (i = 0; i < SPARSE_PAGES; i++) {
		if (lib == OURS)
			b->ours->unmap_pages(b->ours, b->sparse[1][i], SZ_4K, 1,
					     NULL);
		else
			theirs_unmap(b->theirs, b->sparse[1][i], SZ_4K, 1,
				     NULL);
	}
}

/* Run step @j of a sample of @c on library @lib. */
/* The unmap of a map+unmap step, in pages of @c->unmap_pgsize if set. */
static void bench_unmap_step(struct bench *b, const struct bench_case *c,
			     int lib, u64 iova)
{
	size_t pgsize = c->unmap_pgsize ?: c->pgsize;
	size_t count = c->pgsize * c->count / pgsize;

	if (lib == OURS)
		b->ours->unmap_pages(b->ours, iova, pgsize, count, NULL);
	else
		theirs_unmap(b->theirs, iova, pgsize, count, NULL);
}

static void bench_step(struct bench *b, const struct bench_case *c, int lib,
		       unsigned int j)
{
	u64 iova = BENCH_IOVA, sum = 0;
	unsigned int i;

	switch (c->kind) {
	case BENCH_MAP_UNMAP:
		if (lib == OURS) {
			size_t mapped = 0;

			b->ours->map_pages(b->ours, iova, BENCH_PADDR, c->pgsize,
					   c->count, BENCH_PROT, GFP_KERNEL,
					   &mapped);
		} else {
			theirs_map(b->theirs, iova, BENCH_PADDR, c->pgsize,
				   c->count);
		}
		bench_unmap_step(b, c, lib, iova);
		break;
	case BENCH_IOVA_TO_PHYS:
		for (i = 0; i < c->count; i++)
			sum += lib == OURS ?
			       b->ours->iova_to_phys(b->ours, iova + i * SZ_4K + 8) :
			       b->theirs->iova_to_phys(b->theirs, iova + i * SZ_4K + 8);
		/* Every translation must have hit: keeps the loop honest. */
		if (sum != c->count * (BENCH_PADDR + 8) +
			   (u64)SZ_4K * c->count * (c->count - 1) / 2)
			kunit_info(b->test, "%s: wrong translations",
				   bench_lib_name[lib]);
		break;
	case BENCH_RANGE:
		if (lib == OURS) {
			iopgtable_map(b->ours, RANGE_IOVA, RANGE_PADDR,
				      RANGE_SIZE, BENCH_PROT, GFP_KERNEL);
			iopgtable_unmap(b->ours, RANGE_IOVA, RANGE_SIZE, NULL);
		} else {
			panthor_style_map(b->theirs, RANGE_IOVA, RANGE_PADDR,
					  RANGE_SIZE);
			panthor_style_unmap(b->theirs, RANGE_IOVA, RANGE_SIZE);
		}
		break;
	case BENCH_UNMAP_GATHER:
		bench_unmap_gather(b, c, lib, iova + (u64)j * UNMAP_STRIDE);
		break;
	case BENCH_SGTABLE:
		bench_sgt_map(b, lib);
		bench_sgt_unmap(b, lib);
		break;
	case BENCH_SPARSE:
	case BENCH_SCATTER:
		bench_sparse_map(b, lib);
		bench_sparse_unmap(b, lib);
		break;
	}
}

/* One sample: @c->batch steps on @lib; returns the ns they took. */
static u64 bench_sample(struct bench *b, const struct bench_case *c, int lib)
{
	unsigned int i;
	u64 t0;

	/* The gather case times the unmap alone: map before the clock. */
	if (c->kind == BENCH_UNMAP_GATHER)
		for (i = 0; i < c->batch; i++)
			bench_map_pages(b, c, lib,
					BENCH_IOVA + (u64)i * UNMAP_STRIDE);
	t0 = ktime_get_ns();
	for (i = 0; i < c->batch; i++)
		bench_step(b, c, lib, i);
	return ktime_get_ns() - t0;
}

/* The @pct-th percentile of @c's sorted samples, in 1/100 ns per unit. */
static u64 bench_pct(const u64 *s, const struct bench_case *c,
		     unsigned int pct)
{
	return div_u64(s[(u64)(c->iters - 1) * pct / 100] * 100,
		       c->per * c->batch);
}

/* Check both libraries translate the case's range as expected, once. */
static void bench_check_mapped(struct bench *b, const struct bench_case *c)
{
	u64 iova = c->kind == BENCH_RANGE ? RANGE_IOVA + SZ_4M : BENCH_IOVA;
	u64 want = c->kind == BENCH_RANGE ? RANGE_PADDR + SZ_4M : BENCH_PADDR;

	KUNIT_EXPECT_EQ(b->test, b->ours->iova_to_phys(b->ours, iova), want);
	KUNIT_EXPECT_EQ(b->test, b->theirs->iova_to_phys(b->theirs, iova), want);
}

/*
 * The sg_table case's segments: 2048 of 4K, the pages of a fake 8 MiB of
 * memory in shuffled order, so that no two neighbours merge.
 */
static void bench_sgt_init(struct bench *b, struct rnd_state *rnd)
{
	unsigned int i, n = SGT_SIZE / SZ_4K;
	struct scatterlist *sg;
	u32 *page;

	page = kunit_kmalloc_array(b->test, n, sizeof(*page), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(b->test, page);
	for (i = 0; i < n; i++)
		page[i] = i;
	bench_shuffle(page, n, rnd);
	KUNIT_ASSERT_EQ(b->test, sg_alloc_table(&b->sgt, n, GFP_KERNEL), 0);
	for_each_sgtable_sg(&b->sgt, sg, i) {
		sg->length = SZ_4K;
		sg_dma_address(sg) = BENCH_PADDR + (u64)page[i] * SZ_4K;
		sg_dma_len(sg) = SZ_4K;
	}
	kunit_kfree(b->test, page);
}

/*
 * The sparse case's IOVAs: SPARSE_PAGES distinct 64K slots of the 1 GiB
 * at BENCH_IOVA, in shuffled order to map, in another to unmap.
 */
static void bench_sparse_init(struct bench *b, struct rnd_state *rnd)
{
	unsigned int i, o;
	u32 *slot;

	slot = kunit_kmalloc_array(b->test, SPARSE_SLOTS, sizeof(*slot),
				   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(b->test, slot);
	for (o = 0; o < 2; o++) {
		b->sparse[o] = kvmalloc_array(SPARSE_PAGES, sizeof(u64),
					      GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(b->test, b->sparse[o]);
	}
	for (i = 0; i < SPARSE_SLOTS; i++)
		slot[i] = i;
	/* The first SPARSE_PAGES slots of a shuffle, then those reshuffled. */
	for (o = 0; o < 2; o++) {
		bench_shuffle(slot, o ? SPARSE_PAGES : SPARSE_SLOTS, rnd);
		for (i = 0; i < SPARSE_PAGES; i++)
			b->sparse[o][i] = BENCH_IOVA + (u64)slot[i] * SZ_64K;
	}
	kunit_kfree(b->test, slot);
}

/*
 * The scattered case's IOVAs: two pages in each of SCATTER_REGIONS 2M
 * regions from BENCH_IOVA (one in each half, never the first page), in
 * shuffled order to map, in another to unmap. The first page of every
 * region is mapped now on both sides and stays: the leaf tables are there
 * before the clock starts, as in a VM that has been bound for a while.
 */
static void bench_scatter_init(struct bench *b, struct rnd_state *rnd)
{
	unsigned int i, o;
	u32 *order;

	order = kunit_kmalloc_array(b->test, SPARSE_PAGES, sizeof(*order),
				    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(b->test, order);
	for (o = 0; o < 2; o++) {
		b->sparse[o] = kvmalloc_array(SPARSE_PAGES, sizeof(u64),
					      GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(b->test, b->sparse[o]);
	}
	for (i = 0; i < SPARSE_PAGES; i++) {
		u64 region = BENCH_IOVA + (u64)(i / 2) * SZ_2M;
		u64 half = (i % 2) * SZ_1M;

		b->sparse[0][i] = region + half + SZ_4K *
				  (1 + prandom_u32_state(rnd) % 254);
	}
	for (i = 0; i < SCATTER_REGIONS; i++) {
		u64 iova = BENCH_IOVA + (u64)i * SZ_2M;
		size_t mapped = 0;

		KUNIT_ASSERT_EQ(b->test,
				b->ours->map_pages(b->ours, iova,
						   bench_sparse_paddr(iova),
						   SZ_4K, 1, BENCH_PROT,
						   GFP_KERNEL, &mapped), 0);
		KUNIT_ASSERT_EQ(b->test,
				b->theirs->map_pages(b->theirs, iova,
						     bench_sparse_paddr(iova),
						     SZ_4K, 1, BENCH_PROT,
						     GFP_KERNEL, &mapped), 0);
	}
	/* Two orders of the same pages. */
	for (o = 0; o < 2; o++) {
		for (i = 0; i < SPARSE_PAGES; i++)
			order[i] = i;
		bench_shuffle(order, SPARSE_PAGES, rnd);
		for (i = 0; i < SPARSE_PAGES; i++)
			b->sparse[1][i] = b->sparse[0][order[i]];
		if (!o)
			memcpy(b->sparse[0], b->sparse[1],
			       SPARSE_PAGES * sizeof(u64));
	}
	kunit_kfree(b->test, order);
}

/* Undo bench_case_init(): the case's tables and what its steps read. */
static void bench_case_free(void *data)
{
	struct bench *b = data;

	iopgtable_free_ops(b->ours);
	free_io_pgtable_ops(b->theirs);
	b->ours = NULL;
	b->theirs = NULL;
	sg_free_table(&b->sgt);
	kvfree(b->sparse[0]);
	kvfree(b->sparse[1]);
	b->sparse[0] = NULL;
	b->sparse[1] = NULL;
}

/* Allocate @c's tables and what its steps read, untimed. */
static void bench_case_init(struct bench *b, const struct bench_case *c)
{
	const struct bench_tables *t = &bench_tables[c->tables];
	struct iopgtable_cfg cfg = {
		.pgsize_bitmap = t->pgsize_bitmap,
		.ias = 48,
		.oas = t->oas,
		.coherent_walk = true,
		.tlb = t->counted_tlb ? &bench_ours_tlb : NULL,
		.iommu_dev = b->dev,
	};
	struct io_pgtable_cfg kcfg = {
		.pgsize_bitmap = t->pgsize_bitmap,
		.ias = 48,
		.oas = t->oas,
		.coherent_walk = true,
		.tlb = t->counted_tlb ? &bench_theirs_tlb : NULL,
		.iommu_dev = b->dev,
	};
	struct rnd_state rnd;

	memset(b->tlb, 0, sizeof(b->tlb));
	KUNIT_ASSERT_EQ(b->test, kunit_add_action_or_reset(b->test,
							   bench_case_free, b), 0);
	b->ours = iopgtable_alloc_ops(t->ours, &cfg, b);
	b->theirs = alloc_io_pgtable_ops(t->theirs, &kcfg, b);
	KUNIT_ASSERT_FALSE(b->test, IS_ERR_OR_NULL(b->ours) || !b->theirs);
	prandom_seed_state(&rnd, BENCH_SEED);
	if (c->kind == BENCH_SGTABLE)
		bench_sgt_init(b, &rnd);
	else if (c->kind == BENCH_SPARSE)
		bench_sparse_init(b, &rnd);
	else if (c->kind == BENCH_SCATTER)
		bench_scatter_init(b, &rnd);
}

/* What @lib translates @iova to. */
static u64 bench_phys(struct bench *b, int lib, u64 iova)
{
	return lib == OURS ? b->ours->iova_to_phys(b->ours, iova) :
	       b->theirs->iova_to_phys(b->theirs, iova);
}

/*
 * How many of the sg_table's pages @lib does not translate as it should:
 * to their segment if @mapped, else to nothing.
 */
static unsigned int bench_sgt_wrong(struct bench *b, int lib, bool mapped)
{
	unsigned int i, wrong = 0;
	struct scatterlist *sg;
	u64 iova = BENCH_IOVA;

	for_each_sgtable_dma_sg(&b->sgt, sg, i) {
		wrong += bench_phys(b, lib, iova) !=
			 (mapped ? sg_dma_address(sg) : 0);
		iova += sg_dma_len(sg);
	}
	return wrong;
}

/*
 * How many of the sparse pages @lib does not translate as it should: to
 * bench_sparse_paddr() if @mapped, else to nothing; the 4K after each is
 * a hole either way.
 */
static unsigned int bench_sparse_wrong(struct bench *b, int lib, bool mapped)
{
	unsigned int i, wrong = 0;

	for (i = 0; i < SPARSE_PAGES; i++) {
		u64 iova = b->sparse[0][i];

		wrong += bench_phys(b, lib, iova) !=
			 (mapped ? bench_sparse_paddr(iova) : 0) ||
			 bench_phys(b, lib, iova + SZ_4K);
	}
	return wrong;
}

/* Both libraries translate @iova to @want, or to nothing if @want is 0. */
static void bench_expect_phys(struct bench *b, u64 iova, u64 want)
{
	KUNIT_EXPECT_EQ(b->test, bench_phys(b, OURS, iova), want);
	KUNIT_EXPECT_EQ(b->test, bench_phys(b, THEIRS, iova), want);
}

/*
 * Check once, untimed, that a step of @c does on both libraries what the
 * row says: what it maps translates, its unmap leaves holes, and the
 * gather case's unmap calls tlb_add_page once per page and no other
 * callback. Leaves the tables empty.
 */
static void bench_check_step(struct bench *b, const struct bench_case *c)
{
	bool counted = bench_tables[c->tables].counted_tlb;
	u64 last = (u64)(c->count - 1) * c->pgsize;
	int lib;

	switch (c->kind) {
	case BENCH_MAP_UNMAP:
	case BENCH_UNMAP_GATHER:
		for (lib = 0; lib < 2; lib++)
			bench_map_pages(b, c, lib, BENCH_IOVA);
		bench_expect_phys(b, BENCH_IOVA, BENCH_PADDR);
		bench_expect_phys(b, BENCH_IOVA + last, BENCH_PADDR + last);
		memset(b->tlb, 0, sizeof(b->tlb));
		for (lib = 0; lib < 2; lib++) {
			if (c->kind == BENCH_UNMAP_GATHER)
				bench_unmap_gather(b, c, lib, BENCH_IOVA);
			else
				bench_unmap_step(b, c, lib, BENCH_IOVA);
		}
		bench_expect_phys(b, BENCH_IOVA, 0);
		bench_expect_phys(b, BENCH_IOVA + last, 0);
		for (lib = 0; counted && lib < 2; lib++) {
			KUNIT_EXPECT_EQ_MSG(b->test, b->tlb[lib].add_page,
					    c->count, "%s", bench_lib_name[lib]);
			KUNIT_EXPECT_EQ_MSG(b->test, b->tlb[lib].flush_walk, 0,
					    "%s", bench_lib_name[lib]);
			KUNIT_EXPECT_EQ_MSG(b->test, b->tlb[lib].flush_all, 0,
					    "%s", bench_lib_name[lib]);
		}
		break;
	case BENCH_SGTABLE:
		for (lib = 0; lib < 2; lib++) {
			KUNIT_ASSERT_EQ(b->test, bench_sgt_map(b, lib), 0);
			KUNIT_EXPECT_EQ_MSG(b->test, bench_sgt_wrong(b, lib, true),
					    0, "%s", bench_lib_name[lib]);
			bench_sgt_unmap(b, lib);
			KUNIT_EXPECT_EQ_MSG(b->test, bench_sgt_wrong(b, lib, false),
					    0, "%s", bench_lib_name[lib]);
		}
		break;
	case BENCH_SPARSE:
	case BENCH_SCATTER:
		for (lib = 0; lib < 2; lib++) {
			KUNIT_EXPECT_EQ_MSG(b->test, bench_sparse_map(b, lib),
					    0, "%s", bench_lib_name[lib]);
			KUNIT_EXPECT_EQ_MSG(b->test,
					    bench_sparse_wrong(b, lib, true), 0,
					    "%s", bench_lib_name[lib]);
			bench_sparse_unmap(b, lib);
			KUNIT_EXPECT_EQ_MSG(b->test,
					    bench_sparse_wrong(b, lib, false), 0,
					    "%s", bench_lib_name[lib]);
		}
		break;
	default:
		break;
	}
}

static void bench_run_case(struct bench *b, const struct bench_case *c)
{
	unsigned int warm = c->iters / 10 + 1, i, lib;
	char n[7][24];
	u64 med[2], ratio;

	bench_case_init(b, c);
	bench_check_step(b, c);
	/* A mapping to look at: after one map, before its unmap. */
	if (c->kind == BENCH_IOVA_TO_PHYS) {
		size_t mapped = 0;

		KUNIT_ASSERT_EQ(b->test,
				b->ours->map_pages(b->ours, BENCH_IOVA, BENCH_PADDR,
						   SZ_4K, c->count, BENCH_PROT,
						   GFP_KERNEL, &mapped), 0);
		theirs_map(b->theirs, BENCH_IOVA, BENCH_PADDR, SZ_4K, c->count);
	} else if (c->kind == BENCH_RANGE) {
		KUNIT_ASSERT_EQ(b->test,
				iopgtable_map(b->ours, RANGE_IOVA, RANGE_PADDR,
					      RANGE_SIZE, BENCH_PROT, GFP_KERNEL), 0);
		KUNIT_ASSERT_EQ(b->test, panthor_style_map(b->theirs, RANGE_IOVA,
							   RANGE_PADDR, RANGE_SIZE), 0);
		bench_check_mapped(b, c);
		iopgtable_unmap(b->ours, RANGE_IOVA, RANGE_SIZE, NULL);
		panthor_style_unmap(b->theirs, RANGE_IOVA, RANGE_SIZE);
	}

	for (i = 0; i < warm; i++)
		for (lib = 0; lib < 2; lib++)
			bench_sample(b, c, lib);
	/* Alternate which library goes first, so neither always follows. */
	for (i = 0; i < c->iters; i++) {
		b->samples[i & 1][i] = bench_sample(b, c, i & 1);
		b->samples[!(i & 1)][i] = bench_sample(b, c, !(i & 1));
	}

	ratio = bench_pair_ratio(b->samples, b->ratios, c->iters);
	for (lib = 0; lib < 2; lib++) {
		sort(b->samples[lib], c->iters, sizeof(u64), bench_cmp, NULL);
		med[lib] = bench_pct(b->samples[lib], c, 50);
	}
	kunit_info(b->test, "bench| %s | %s | %s-%s | %s | %s-%s | %s |\n",
		   c->name, bench_ns(n[0], med[OURS]),
		   bench_ns(n[1], bench_pct(b->samples[OURS], c, 10)),
		   bench_ns(n[2], bench_pct(b->samples[OURS], c, 90)),
		   bench_ns(n[3], med[THEIRS]),
		   bench_ns(n[4], bench_pct(b->samples[THEIRS], c, 10)),
		   bench_ns(n[5], bench_pct(b->samples[THEIRS], c, 90)),
		   bench_ns(n[6], ratio));

	if (c->kind == BENCH_IOVA_TO_PHYS) {
		b->ours->unmap_pages(b->ours, BENCH_IOVA, SZ_4K, c->count, NULL);
		theirs_unmap(b->theirs, BENCH_IOVA, SZ_4K, c->count, NULL);
	}
	kunit_release_action(b->test, bench_case_free, b);
	/* Each library flushed the TLB once, when its table was freed. */
	for (lib = 0; bench_tables[c->tables].counted_tlb && lib < 2; lib++)
		KUNIT_EXPECT_EQ_MSG(b->test, b->tlb[lib].flush_all, 1, "%s",
				    bench_lib_name[lib]);
}

/* Store the 512 entries of a 4K table of pages, as a map into it must. */
static void bench_floor_fill(u64 *table)
{
	u64 pte = BENCH_PADDR | 0x7c3;
	unsigned int j;

	for (j = 0; j < 512; j++, pte += SZ_4K)
		WRITE_ONCE(table[j], pte);
}

/* Print the median of a floor's @iters samples, of @pages pages each. */
static void bench_floor_row(struct bench *b, const char *name,
			    unsigned int iters, unsigned int pages)
{
	char buf[24];

	sort(b->samples[0], iters, sizeof(u64), bench_cmp, NULL);
	kunit_info(b->test, "bench| %s, per page | %s | | | | |\n", name,
		   bench_ns(buf, div_u64(b->samples[0][iters / 2] * 100,
					 pages)));
}

/*
 * The floor: zero a 4K table and store 512 entries, as a map of 512 4K
 * pages into a new table must at least do. ns per 4K page.
 */
static void bench_floor(struct bench *b)
{
	const unsigned int iters = 1000, batch = 16;
	u64 *table = (u64 *)__get_free_page(GFP_KERNEL);
	unsigned int i, k;

	KUNIT_ASSERT_NOT_NULL(b->test, table);
	for (i = 0; i < iters; i++) {
		u64 t0 = ktime_get_ns();

		for (k = 0; k < batch; k++) {
			memset(table, 0, PAGE_SIZE);
			bench_floor_fill(table);
		}
		b->samples[0][i] = ktime_get_ns() - t0;
	}
	free_page((unsigned long)table);
	bench_floor_row(b, "floor: zero a table, store 512 entries", iters,
			512 * batch);
}

/*
 * What the 1 GiB case cannot do without: take its 512 leaf tables from the
 * page allocator, store 512 entries in each (unzeroed, as a map of whole
 * tables does), give them back. ns per 4K page.
 */
static void bench_floor_alloc(struct bench *b)
{
	const unsigned int iters = 101, tables = 512;
	unsigned int i, k;
	u64 **table;

	table = kunit_kmalloc_array(b->test, tables, sizeof(*table),
				    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(b->test, table);
	for (i = 0; i < iters; i++) {
		u64 t0 = ktime_get_ns();

		for (k = 0; k < tables; k++) {
			table[k] = (u64 *)__get_free_page(GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(b->test, table[k]);
			bench_floor_fill(table[k]);
		}
		for (k = 0; k < tables; k++)
			free_page((unsigned long)table[k]);
		b->samples[0][i] = ktime_get_ns() - t0;
	}
	bench_floor_row(b,
			"with the page allocator: take 512 tables, store 512 entries in each, free them",
			iters, 512 * tables);
}

static void bench_free(void *data)
{
	struct bench *b = data;

	kvfree(b->samples[0]);
	kvfree(b->samples[1]);
	kvfree(b->ratios);
}

static void iopgtable_bench(struct kunit *test)
{
	unsigned int i, most = 0;
	struct bench *b;

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	b->test = test;
	b->dev = kunit_device_register(test, "iopgtable-bench");
	KUNIT_ASSERT_FALSE(test, IS_ERR(b->dev));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bench_free, b), 0);
	for (i = 0; i < ARRAY_SIZE(bench_cases); i++)
		most = max(most, bench_cases[i].iters);
	b->samples[0] = kvmalloc_array(most, sizeof(u64), GFP_KERNEL);
	b->samples[1] = kvmalloc_array(most, sizeof(u64), GFP_KERNEL);
	b->ratios = kvmalloc_array(most, sizeof(u64), GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, !b->samples[0] || !b->samples[1] ||
			   !b->ratios);

	kunit_info(test, "bench| case | iopgtable ns | p10-p90 | io-pgtable-arm ns | p10-p90 | io-pgtable-arm / iopgtable |\n");
	kunit_info(test, "bench| --- | ---: | ---: | ---: | ---: | ---: |\n");
	for (i = 0; i < ARRAY_SIZE(bench_cases); i++)
		if (bench_selected(bench_cases[i].name))
			bench_run_case(b, &bench_cases[i]);
	bench_floor(b);
	bench_floor_alloc(b);
}

static struct kunit_case bench_test_cases[] = {
	KUNIT_CASE_SLOW(iopgtable_bench),
	{}
};

static struct kunit_suite bench_suite = {
	.name = "iopgtable_bench",
	.test_cases = bench_test_cases,
};

kunit_test_suites(&bench_suite);

MODULE_DESCRIPTION("iopgtable beside io-pgtable-arm: a benchmark");
MODULE_LICENSE("GPL");
