// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopgtable_bench_prealloc: VM_BIND page-table updates with their table
 * reservations, iopgtable beside io-pgtable-arm driven the way Panthor
 * drives it. Rows in the columns of iopgtable_bench (tests/bench.c), which
 * prints the header; scripts/bench.sh runs both suites in one kernel. Not
 * a test of time: what is checked is that both sides translate what they
 * should, that iopgtable reserves no more tables than Panthor, and that
 * every table goes back.
 *
 * Both tables: ARM_64_LPAE_S1 as Panthor configures it (4K|2M pages, ias
 * 48, oas 48), coherent walk, no TLB callbacks. iopgtable uses its own
 * table allocator; io-pgtable-arm gets Panthor's: a kmem_cache of 4K
 * tables, a reservation bulk-allocated from it by Panthor's formula before
 * the update, tables handed out through io_pgtable_cfg.alloc while it
 * runs, the rest freed in bulk afterwards.
 *
 * A bind is what a VM_BIND map does to the tables: reserve, map an
 * sg_table, give back what was not used. The buffers: 4K pages none of
 * which are physically contiguous (8K apart), or 2M-aligned 2M segments
 * 4M apart; every bind at a 2M-aligned IOVA, as a driver's VA allocator
 * places a buffer of 2 MiB or more. The unmap after each bind is not
 * timed.
 *
 * A shmem buffer comes as folios: 2M where the kernel found a huge page,
 * 64K (shmem's mTHP) or single 4K pages where memory pressure left none,
 * each physically apart from the next. The mixed row binds one 64 MiB
 * buffer in which each 2M-aligned 2M is a 2M folio with probability 3/4,
 * and each 64K of the rest a 64K folio or 16 pages, half and half: most
 * of a THP-backed buffer is huge pages, and what is not has fallen back
 * to the smaller orders about evenly (a fixed seed, the same buffer every
 * run). The many-buffers row binds 256 buffers of 64 KiB to 2 MiB (a
 * multiple of 64K each, the same folio rule), each an sg_table of its
 * own, one after another at consecutive IOVAs (64K-aligned, a 2 MiB
 * buffer 2M-aligned), then unbinds them in shuffled order, each unbind
 * with its reservation (Panthor's for the ends of a range in a 2M block;
 * iopgtable_prealloc_unmap() and iopgtable_unmap_split()). All of that is
 * one sample.
 *
 * A split-unmap removes the 4K page in the middle of a 2M block: with
 * iopgtable_unmap_split(); for io-pgtable-arm, which refuses partial
 * unmaps of blocks since 6.13, as Panthor does there: unmap the whole
 * block, then map the 511 pages that stay. A sample splits a batch of
 * distinct blocks mapped before it; putting the blocks back is not timed.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/io-pgtable.h>
#include <linux/kmemleak.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/math64.h>
#include <linux/prandom.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include <linux/iopgtable.h>

#include "bench-util.h"

#define PB_PROT		(IOPGTABLE_READ | IOPGTABLE_WRITE | IOPGTABLE_CACHE)
#define PB_PGSIZES	(SZ_4K | SZ_2M)
#define PB_PADDR	0x80000000ULL
/* Each case works in a 512G span of its own: a level-1 table of its own. */
#define PB_REGION(i)	(((u64)(i) + 1) << 39)
#define PB_SEED		13	/* the buffers' fixed seed */
#define PB_THP_PCT	75	/* of a buffer's 2Ms: a 2M folio */
#define PB_MANY		256	/* the many-buffers row's buffers */

static char *bench_only;
module_param(bench_only, charp, 0444);
MODULE_PARM_DESC(bench_only,
		 "run only the cases whose name contains this text, '_' for a space");

static bool pb_selected(const char *name)
{
	return bench_name_selected(bench_only, name);
}

/**
 * struct pb_panthor - Panthor's page tables for io-pgtable-arm
 * @cache: the cache of 4K tables (Panthor's pt_cache).
 * @pages: the tables reserved for the update that runs
 *	(op_ctx->rsvd_page_tables.pages).
 * @count: how many @pages holds.
 * @ptr: how many of @pages the update took.
 * @root: the root table, allocated when the page table is.
 * @live: tables taken from @cache and not given back.
 * @short_allocs: allocations with no reserved table left; Panthor WARNs.
 */
struct pb_panthor {
	struct kmem_cache *cache;
	void **pages;
	u32 count;
	u32 ptr;
	void *root;
	long live;
	unsigned int short_allocs;
};

/* Panthor's alloc_pt(): the root once, then only reserved tables. */
static void *pb_panthor_alloc_pt(void *cookie, size_t size, gfp_t gfp)
{
	struct pb_panthor *p = cookie;
	void *page;

	if (unlikely(!p->root)) {
		struct page *pg = alloc_pages(gfp | __GFP_ZERO, get_order(size));

		p->root = pg ? page_address(pg) : NULL;
		return p->root;
	}
	if (size != SZ_4K || p->ptr >= p->count) {
		p->short_allocs++;
		return NULL;
	}
	page = p->pages[p->ptr++];
	memset(page, 0, SZ_4K);
	kmemleak_ignore(page);
	return page;
}

/* Panthor's free_pt(). */
static void pb_panthor_free_pt(void *cookie, void *data, size_t size)
{
	struct pb_panthor *p = cookie;

	if (unlikely(p->root == data)) {
		free_pages((unsigned long)data, get_order(size));
		p->root = NULL;
		return;
	}
	kmem_cache_free(p->cache, data);
	p->live--;
}

/*
 * Panthor's reservation for a map of [va, va + size): a table per 512G,
 * 1G and 2M span the range touches (panthor_vm_prepare_map_op_ctx()).
 */
static u32 pb_panthor_map_pt_count(u64 va, u64 size)
{
	return ((ALIGN(va + size, 1ULL << 39) - ALIGN_DOWN(va, 1ULL << 39)) >> 39) +
	       ((ALIGN(va + size, 1ULL << 30) - ALIGN_DOWN(va, 1ULL << 30)) >> 30) +
	       ((ALIGN(va + size, 1ULL << 21) - ALIGN_DOWN(va, 1ULL << 21)) >> 21);
}

/*
 * Panthor's reservation for an unmap: a last-level table per end not
 * aligned to 2M, once if both ends are in one 2M span
 * (panthor_vm_prepare_unmap_op_ctx()).
 */
static u32 pb_panthor_unmap_pt_count(u64 va, u64 size)
{
	u32 n = 0;

	if (va != ALIGN(va, SZ_2M))
		n++;
	if (va + size != ALIGN(va + size, SZ_2M) &&
	    ALIGN(va + size, SZ_2M) != ALIGN(va, SZ_2M))
		n++;
	return n;
}

/* Free the tables the update did not take (panthor_vm_cleanup_op_ctx()). */
static void pb_panthor_cleanup(struct pb_panthor *p)
{
	u32 remaining = p->count - p->ptr;

	if (remaining) {
		kmem_cache_free_bulk(p->cache, remaining, p->pages + p->ptr);
		p->live -= remaining;
	}
	kfree(p->pages);
	p->pages = NULL;
	p->count = 0;
	p->ptr = 0;
}

/* Reserve @pt_count tables in bulk, as Panthor's op_ctx preparation does. */
static int pb_panthor_reserve(struct pb_panthor *p, u32 pt_count)
{
	int ret;

	p->pages = kcalloc(pt_count, sizeof(*p->pages), GFP_KERNEL);
	if (!p->pages)
		return -ENOMEM;
	ret = kmem_cache_alloc_bulk(p->cache, GFP_KERNEL, pt_count, p->pages);
	p->count = ret;
	p->ptr = 0;
	p->live += ret;
	if (ret != pt_count) {
		pb_panthor_cleanup(p);
		return -ENOMEM;
	}
	return 0;
}

/* Panthor's get_pgsize(): 4K up to the next 2M boundary, else 2M blocks. */
static size_t pb_panthor_pgsize(u64 addr, size_t size, size_t *count)
{
	size_t blk_offset = -addr % SZ_2M;

	if (blk_offset || size < SZ_2M) {
		*count = min_not_zero(blk_offset, size) / SZ_4K;
		return SZ_4K;
	}
	blk_offset = -addr % SZ_1G ?: SZ_1G;
	*count = min(blk_offset, size) / SZ_2M;
	return SZ_2M;
}

/* panthor_vm_unmap_pages(), without the TLB flush. */
static int pb_panthor_unmap(struct io_pgtable_ops *ops, u64 iova, u64 size)
{
	u64 offset = 0;

	while (offset < size) {
		size_t pgcount, unmapped;
		size_t pgsize = pb_panthor_pgsize(iova + offset, size - offset,
						  &pgcount);

		unmapped = ops->unmap_pages(ops, iova + offset, pgsize, pgcount,
					    NULL);
		if (unmapped != pgsize * pgcount)
			return -EINVAL;
		offset += unmapped;
	}
	return 0;
}

/* The inner loop of panthor_vm_map_pages(): one contiguous run. */
static int pb_panthor_map_run(struct io_pgtable_ops *ops, u64 iova,
			      u64 paddr, size_t len)
{
	while (len) {
		size_t pgcount, mapped = 0;
		size_t pgsize = pb_panthor_pgsize(iova | paddr, len, &pgcount);
		int ret = ops->map_pages(ops, iova, paddr, pgsize, pgcount,
					 PB_PROT, GFP_KERNEL, &mapped);

		iova += mapped;
		paddr += mapped;
		len -= mapped;
		if (!ret && !mapped)
			ret = -ENOMEM;
		if (ret)
			return ret;
	}
	return 0;
}

/* panthor_vm_map_pages(): an sg_table, undone on failure. */
static int pb_panthor_map_sgt(struct io_pgtable_ops *ops, u64 iova,
			      struct sg_table *sgt, u64 offset, u64 size)
{
	struct scatterlist *sgl;
	u64 start_iova = iova;
	unsigned int count;
	int ret;

	for_each_sgtable_dma_sg(sgt, sgl, count) {
		dma_addr_t paddr = sg_dma_address(sgl);
		size_t len = sg_dma_len(sgl);

		if (len <= offset) {
			offset -= len;
			continue;
		}
		paddr += offset;
		len -= offset;
		len = min_t(size_t, len, size);
		size -= len;
		ret = pb_panthor_map_run(ops, iova, paddr, len);
		if (ret) {
			pb_panthor_unmap(ops, start_iova, iova - start_iova);
			return ret;
		}
		iova += len;
		if (!size)
			break;
		offset = 0;
	}
	return 0;
}

/* A VM_BIND map on io-pgtable-arm, Panthor's way. */
static int pb_theirs_bind(struct pb_panthor *p, struct io_pgtable_ops *ops,
			  u64 iova, struct sg_table *sgt, size_t size)
{
	int ret = pb_panthor_reserve(p, pb_panthor_map_pt_count(iova, size));

	if (!ret)
		ret = pb_panthor_map_sgt(ops, iova, sgt, 0, size);
	pb_panthor_cleanup(p);
	return ret;
}

/* A VM_BIND map on iopgtable. */
static int pb_ours_bind(struct iopgtable_ops *ops, u64 iova,
			struct sg_table *sgt, size_t size)
{
	struct iopgtable_prealloc pa;
	int ret;

	iopgtable_prealloc_init(&pa);
	ret = iopgtable_prealloc_map_sgtable(ops, &pa, iova, sgt, 0, size,
					     GFP_KERNEL);
	if (!ret)
		ret = iopgtable_map_sgtable_prealloc(ops, iova, sgt, 0, size,
						     PB_PROT, &pa);
	iopgtable_prealloc_release(ops, &pa);
	return ret;
}

/*
 * Panthor's partial unmap of a 2M block on io-pgtable-arm since 6.13:
 * unmap the whole block at @blk (physical @pblk), then map again the pages
 * around the 4K @hole, with a table from the reservation.
 */
static int pb_theirs_split(struct io_pgtable_ops *ops, u64 blk, u64 pblk,
			   u64 hole)
{
	int ret = pb_panthor_unmap(ops, blk, SZ_2M);

	if (!ret)
		ret = pb_panthor_map_run(ops, blk, pblk, hole - blk);
	if (!ret)
		ret = pb_panthor_map_run(ops, hole + SZ_4K,
					 pblk + hole - blk + SZ_4K,
					 blk + SZ_2M - hole - SZ_4K);
	return ret;
}

/* An allocator that counts the tables it has out; for the checks. */
static void *pb_count_alloc(void *cookie, size_t size, gfp_t gfp)
{
	long *live = cookie;
	void *table = alloc_pages_exact(size, gfp | __GFP_ZERO);

	if (table)
		(*live)++;
	return table;
}

static void pb_count_free(void *cookie, void *pages, size_t size)
{
	long *live = cookie;

	free_pages_exact(pages, size);
	(*live)--;
}

/**
 * enum pb_layout - what a bind row's buffers are
 * @PB_UNIFORM: one buffer of segments of &pb_case.seg bytes.
 * @PB_SHMEM: one buffer of shmem folios, 2M, 64K and 4K.
 * @PB_MANY_BUFFERS: %PB_MANY buffers of such folios, bound one after
 *	another and unbound in another order.
 */
enum pb_layout { PB_UNIFORM, PB_SHMEM, PB_MANY_BUFFERS };

/**
 * struct pb_case - one row of the table
 * @name: what is measured.
 * @split: a split-unmap; else a bind.
 * @size: a bind's bytes.
 * @seg: bytes per sg_table segment of a %PB_UNIFORM bind (4K or 2M).
 * @iters: measured samples per library (after a tenth as many for warm-up).
 * @batch: steps timed together in one sample, each at its own IOVA; a
 *	batch covers less than a 1G span, so that no unmap frees a level-2
 *	table and every sample starts from the same tables.
 * @layout: a bind's buffers.
 */
struct pb_case {
	const char *name;
	bool split;
	size_t size;
	size_t seg;
	unsigned int iters;
	unsigned int batch;
	enum pb_layout layout;
};

static const struct pb_case pb_cases[] = {
	{ "bind 2 MiB of 4K: prepare+map+release", false, SZ_2M, SZ_4K,
	  300, 8 },
	{ "bind 64 MiB of 4K: prepare+map+release", false, SZ_64M, SZ_4K,
	  40, 1 },
	{ "bind 2 MiB as 2M: prepare+map+release", false, SZ_2M, SZ_2M,
	  1000, 64 },
	{ "bind 64 MiB of 2M: prepare+map+release", false, SZ_64M, SZ_2M,
	  1000, 8 },
	{ "bind 64 MiB of shmem folios, 2M, 64K and 4K: prepare+map+release",
	  false, SZ_64M, 0, 400, 1, PB_SHMEM },
	{ "256 buffers of 64K-2M bound in turn, unbound shuffled, with reservations",
	  false, 0, 0, 100, 1, PB_MANY_BUFFERS },
	/*
	 * The reservation and its release are timed, on both sides: where
	 * Panthor clears its tables (at reservation) is not where iopgtable
	 * does (when a split takes one), so timing the split alone would
	 * leave Panthor's memset out.
	 */
	{ "split-unmap 4K out of a 2M block: reserve+split+release", true,
	  0, 0, 300, 64 },
};

/**
 * struct pb_tables - the tables each side reserved and used, per step
 * @reserved: reserved for one step, per library.
 * @used: taken by the first step into an empty page table.
 * @next: taken by the next step, beside the first.
 */
struct pb_tables {
	unsigned int reserved[2];
	unsigned int used[2];
	unsigned int next[2];
};

/**
 * struct pb - the state of the run
 * @test: the KUnit test.
 * @dev: the device both page tables are for.
 * @cache: Panthor's cache of 4K tables.
 * @ours: iopgtable's page table, with its own allocator.
 * @theirs: io-pgtable-arm's, with Panthor's allocator.
 * @pan: Panthor's reservation state for @theirs.
 * @samples: each library's samples of the case that runs.
 * @ratios: io-pgtable-arm's time over iopgtable's, sample by sample.
 * @err: or of the errors the timed steps returned; 0 expected.
 */
struct pb {
	struct kunit *test;
	struct device *dev;
	struct kmem_cache *cache;
	struct iopgtable_ops *ours;
	struct io_pgtable_ops *theirs;
	struct pb_panthor pan;
	u64 *samples[2];
	u64 *ratios;
	int err;
};

/* iopgtable's page table; with @live, through the counting allocator. */
static struct iopgtable_ops *pb_ours_new(struct pb *b, long *live)
{
	struct iopgtable_cfg cfg = {
		.pgsize_bitmap = PB_PGSIZES,
		.ias = 48,
		.oas = 48,
		.coherent_walk = true,
		.iommu_dev = b->dev,
		.alloc = live ? pb_count_alloc : NULL,
		.free = live ? pb_count_free : NULL,
	};
	struct iopgtable_ops *ops;

	ops = iopgtable_alloc_ops(IOPGTABLE_ARM_64_LPAE_S1, &cfg, live);
	return IS_ERR(ops) ? NULL : ops;
}

/* io-pgtable-arm's page table as Panthor sets it up, on @p. */
static struct io_pgtable_ops *pb_theirs_new(struct pb *b, struct pb_panthor *p)
{
	struct io_pgtable_cfg cfg = {
		.pgsize_bitmap = PB_PGSIZES,
		.ias = 48,
		.oas = 48,
		.coherent_walk = true,
		.iommu_dev = b->dev,
		.alloc = pb_panthor_alloc_pt,
		.free = pb_panthor_free_pt,
	};

	memset(p, 0, sizeof(*p));
	p->cache = b->cache;
	return alloc_io_pgtable_ops(ARM_64_LPAE_S1, &cfg, p);
}

/* The physical address a bind of @c maps at byte @off of the buffer. */
static u64 pb_bind_paddr(const struct pb_case *c, u64 off)
{
	u64 stride = c->seg == SZ_4K ? SZ_8K : SZ_4M, rem;

	return PB_PADDR + div64_u64_rem(off, c->seg, &rem) * stride + rem;
}

/* The buffer of a bind: segments of @c->seg bytes, none contiguous. */
static int pb_fill_sgt(struct sg_table *sgt, const struct pb_case *c)
{
	unsigned int n = c->size / c->seg, i;
	struct scatterlist *sg;
	int ret;

	ret = sg_alloc_table(sgt, n, GFP_KERNEL);
	if (ret)
		return ret;
	for_each_sg(sgt->sgl, sg, n, i) {
		sg->length = c->seg;
		sg_dma_address(sg) = pb_bind_paddr(c, (u64)i * c->seg);
		sg_dma_len(sg) = c->seg;
	}
	sgt->nents = n;
	return 0;
}

/* A fake folio of @len bytes, aligned to its size, apart from the last. */
static u64 pb_folio(u64 *cursor, size_t len)
{
	u64 paddr = ALIGN(*cursor, len);

	*cursor = paddr + 2 * len;
	return paddr;
}

/*
 * The folios of a shmem buffer of @size bytes, a multiple of 64K, from
 * @rnd and the physical @cursor: into @sg where set; returns how many.
 * Each 2M-aligned 2M is a 2M folio with probability %PB_THP_PCT percent;
 * each 64K of the rest a 64K folio or 16 pages of 4K, half and half.
 */
static unsigned int pb_shmem_folios(struct scatterlist *sg, size_t size,
				    struct rnd_state *rnd, u64 *cursor)
{
	unsigned int n = 0;
	size_t off, len;

	for (off = 0; off < size; off += len, n++) {
		if (!(off % SZ_2M) && size - off >= SZ_2M &&
		    prandom_u32_state(rnd) % 100 < PB_THP_PCT)
			len = SZ_2M;
		else if (!(off % SZ_64K) && prandom_u32_state(rnd) % 2)
			len = SZ_64K;
		else
			len = SZ_4K;
		if (!sg)
			continue;
		sg->length = len;
		sg_dma_address(sg) = pb_folio(cursor, len);
		sg_dma_len(sg) = len;
		sg = sg_next(sg);
	}
	return n;
}

/* @sgt: a shmem buffer of @size bytes (pb_shmem_folios()). */
static int pb_fill_shmem(struct sg_table *sgt, size_t size,
			 struct rnd_state *rnd, u64 *cursor)
{
	struct rnd_state again = *rnd;
	unsigned int n = pb_shmem_folios(NULL, size, &again, cursor);
	int ret;

	ret = sg_alloc_table(sgt, n, GFP_KERNEL);
	if (ret)
		return ret;
	pb_shmem_folios(sgt->sgl, size, rnd, cursor);
	return 0;
}

/* The physical address at byte @off of the buffer @sgt. */
static u64 pb_sgt_paddr(struct sg_table *sgt, u64 off)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (off < sg_dma_len(sg))
			return sg_dma_address(sg) + off;
		off -= sg_dma_len(sg);
	}
	return 0;
}

/**
 * struct pb_many - the buffers of the many-buffers row
 * @sgt: each buffer's sg_table.
 * @off: where each is bound, from the start of the case's region.
 * @size: each one's bytes.
 * @order: the order of the unbinds.
 */
struct pb_many {
	struct sg_table sgt[PB_MANY];
	u64 off[PB_MANY];
	size_t size[PB_MANY];
	u32 order[PB_MANY];
};

static void pb_many_free(struct pb_many *m)
{
	unsigned int k;

	for (k = 0; k < PB_MANY; k++)
		sg_free_table(&m->sgt[k]);
	kvfree(m);
}

/* The buffers, at consecutive IOVAs; NULL without memory. */
static struct pb_many *pb_many_new(void)
{
	struct pb_many *m = kvzalloc(sizeof(*m), GFP_KERNEL);
	u64 cursor = PB_PADDR, iova = 0;
	struct rnd_state rnd;
	unsigned int k;

	if (!m)
		return NULL;
	prandom_seed_state(&rnd, PB_SEED);
	for (k = 0; k < PB_MANY; k++) {
		m->size[k] = SZ_64K * (1 + prandom_u32_state(&rnd) % 32);
		m->off[k] = ALIGN(iova, m->size[k] == SZ_2M ? SZ_2M : SZ_64K);
		iova = m->off[k] + m->size[k];
		m->order[k] = k;
		if (pb_fill_shmem(&m->sgt[k], m->size[k], &rnd, &cursor)) {
			pb_many_free(m);
			return NULL;
		}
	}
	bench_shuffle(m->order, PB_MANY, &rnd);
	return m;
}

/* A VM_BIND unmap on iopgtable: the ends may split blocks. */
static int pb_ours_unbind(struct iopgtable_ops *ops, u64 iova, size_t size)
{
	struct iopgtable_prealloc pa;
	int ret;

	iopgtable_prealloc_init(&pa);
	ret = iopgtable_prealloc_unmap(ops, &pa, iova, size, GFP_KERNEL);
	if (!ret && iopgtable_unmap_split(ops, iova, size, &pa, NULL) != size)
		ret = -EINVAL;
	iopgtable_prealloc_release(ops, &pa);
	return ret;
}

/* A VM_BIND unmap on io-pgtable-arm, Panthor's way. */
static int pb_theirs_unbind(struct pb_panthor *p, struct io_pgtable_ops *ops,
			    u64 iova, size_t size)
{
	int ret = pb_panthor_reserve(p, pb_panthor_unmap_pt_count(iova, size));

	if (!ret)
		ret = pb_panthor_unmap(ops, iova, size);
	pb_panthor_cleanup(p);
	return ret;
}

/*
 * Bind @size bytes of @sgt at @iova on both sides, each with its
 * reservation, checking every return; add to @reserved and @taken what
 * each side reserved and took.
 */
static void pb_check_bind_step(struct kunit *test, struct iopgtable_ops *ours,
			       struct io_pgtable_ops *theirs,
			       struct pb_panthor *pan, u64 iova,
			       struct sg_table *sgt, size_t size,
			       unsigned int reserved[2], unsigned int taken[2])
{
	struct iopgtable_prealloc pa;
	unsigned int n;

	iopgtable_prealloc_init(&pa);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map_sgtable(ours, &pa, iova, sgt,
							     0, size, GFP_KERNEL),
			0);
	n = iopgtable_prealloc_count(&pa);
	KUNIT_EXPECT_EQ(test, iopgtable_map_sgtable_prealloc(ours, iova, sgt, 0,
							     size, PB_PROT, &pa),
			0);
	reserved[OURS] += n;
	taken[OURS] += n - iopgtable_prealloc_count(&pa);
	iopgtable_prealloc_release(ours, &pa);

	n = pb_panthor_map_pt_count(iova, size);
	KUNIT_EXPECT_EQ(test, pb_panthor_reserve(pan, n), 0);
	KUNIT_EXPECT_EQ(test, pb_panthor_map_sgt(theirs, iova, sgt, 0, size), 0);
	reserved[THEIRS] += n;
	taken[THEIRS] += pan->ptr;
	pb_panthor_cleanup(pan);
}

/*
 * Check a bind once on new page tables, ours through the counting
 * allocator: two binds side by side, what each side reserved and took,
 * what translates, and that every table goes back.
 */
static void pb_check_bind(struct pb *b, const struct pb_case *c,
			  struct sg_table *sgt, u64 region, struct pb_tables *t)
{
	const u64 offs[] = { 0, SZ_4K, c->size / 2 + 3 * SZ_4K,
			     c->size - SZ_4K };
	struct kunit *test = b->test;
	struct io_pgtable_ops *theirs;
	struct iopgtable_ops *ours;
	struct pb_panthor pan;
	unsigned int k, i;
	long live = 0;

	ours = pb_ours_new(b, &live);
	theirs = pb_theirs_new(b, &pan);
	KUNIT_EXPECT_TRUE(test, ours && theirs);
	if (!ours || !theirs)
		goto out;

	/* A bind into the empty table, then one beside it. */
	for (k = 0; k < 2; k++) {
		memset(t->reserved, 0, sizeof(t->reserved));
		pb_check_bind_step(test, ours, theirs, &pan, region + k * c->size,
				   sgt, c->size, t->reserved,
				   k ? t->next : t->used);
	}

	for (k = 0; k < 2; k++) {
		for (i = 0; i < ARRAY_SIZE(offs); i++) {
			u64 iova = region + k * c->size + offs[i] + 8;
			u64 want = pb_sgt_paddr(sgt, offs[i]) + 8;

			KUNIT_EXPECT_EQ(test, ours->iova_to_phys(ours, iova), want);
			KUNIT_EXPECT_EQ(test, theirs->iova_to_phys(theirs, iova), want);
		}
	}
	KUNIT_EXPECT_EQ(test, ours->iova_to_phys(ours, region + 2 * c->size), 0);
	KUNIT_EXPECT_EQ(test, theirs->iova_to_phys(theirs, region + 2 * c->size), 0);
	/* Never more tables than Panthor reserves. */
	KUNIT_EXPECT_LE(test, t->reserved[OURS], t->reserved[THEIRS]);

	KUNIT_EXPECT_EQ(test, iopgtable_unmap(ours, region, 2 * c->size, NULL),
			2 * c->size);
	KUNIT_EXPECT_EQ(test, pb_panthor_unmap(theirs, region, 2 * c->size), 0);
	KUNIT_EXPECT_EQ(test, ours->iova_to_phys(ours, region), 0);
	KUNIT_EXPECT_EQ(test, theirs->iova_to_phys(theirs, region), 0);
out:
	if (ours)
		iopgtable_free_ops(ours);
	if (theirs)
		free_io_pgtable_ops(theirs);
	KUNIT_EXPECT_EQ(test, live, 0);
	KUNIT_EXPECT_EQ(test, pan.live, 0);
	KUNIT_EXPECT_EQ(test, pan.short_allocs, 0);
}

/*
 * Check a split-unmap once on new page tables: what each side reserved
 * and took, the pages around the hole still translate, the hole does not,
 * and every table goes back.
 */
static void pb_check_split(struct pb *b, u64 blk, struct pb_tables *t)
{
	const u64 offs[] = { 0, SZ_1M - SZ_4K, SZ_1M + SZ_4K, SZ_2M - SZ_4K };
	const u64 hole = blk + SZ_1M, pblk = PB_PADDR;
	struct kunit *test = b->test;
	struct iopgtable_prealloc pa;
	struct io_pgtable_ops *theirs;
	struct iopgtable_ops *ours;
	struct pb_panthor pan;
	unsigned int i, n;
	long live = 0;

	ours = pb_ours_new(b, &live);
	theirs = pb_theirs_new(b, &pan);
	KUNIT_EXPECT_TRUE(test, ours && theirs);
	if (!ours || !theirs)
		goto out;

	KUNIT_EXPECT_EQ(test, iopgtable_map(ours, blk, pblk, SZ_2M, PB_PROT,
					    GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, pb_panthor_reserve(&pan,
						 pb_panthor_map_pt_count(blk, SZ_2M)),
			0);
	KUNIT_EXPECT_EQ(test, pb_panthor_map_run(theirs, blk, pblk, SZ_2M), 0);
	pb_panthor_cleanup(&pan);

	iopgtable_prealloc_init(&pa);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_unmap(ours, &pa, hole, SZ_4K,
						       GFP_KERNEL), 0);
	n = iopgtable_prealloc_count(&pa);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(ours, hole, SZ_4K, &pa, NULL),
			SZ_4K);
	t->reserved[OURS] = n;
	t->used[OURS] = n - iopgtable_prealloc_count(&pa);
	iopgtable_prealloc_release(ours, &pa);

	n = pb_panthor_unmap_pt_count(hole, SZ_4K);
	KUNIT_EXPECT_EQ(test, pb_panthor_reserve(&pan, n), 0);
	KUNIT_EXPECT_EQ(test, pb_theirs_split(theirs, blk, pblk, hole), 0);
	t->reserved[THEIRS] = n;
	t->used[THEIRS] = pan.ptr;
	pb_panthor_cleanup(&pan);

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		KUNIT_EXPECT_EQ(test, ours->iova_to_phys(ours, blk + offs[i] + 8),
				pblk + offs[i] + 8);
		KUNIT_EXPECT_EQ(test, theirs->iova_to_phys(theirs, blk + offs[i] + 8),
				pblk + offs[i] + 8);
	}
	KUNIT_EXPECT_EQ(test, ours->iova_to_phys(ours, hole + 8), 0);
	KUNIT_EXPECT_EQ(test, theirs->iova_to_phys(theirs, hole + 8), 0);
	KUNIT_EXPECT_LE(test, t->reserved[OURS], t->reserved[THEIRS]);

	/* Both unmap a whole span over a table with a hole: legal, freed. */
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(ours, blk, SZ_2M, NULL), SZ_2M);
	KUNIT_EXPECT_EQ(test, pb_panthor_unmap(theirs, blk, SZ_2M), 0);
out:
	if (ours)
		iopgtable_free_ops(ours);
	if (theirs)
		free_io_pgtable_ops(theirs);
	KUNIT_EXPECT_EQ(test, live, 0);
	KUNIT_EXPECT_EQ(test, pan.live, 0);
	KUNIT_EXPECT_EQ(test, pan.short_allocs, 0);
}

/*
 * Check the many-buffers row once on new page tables, ours through the
 * counting allocator: the tables the binds reserved and took in all, what
 * translates after the binds and after the unbinds, and that every table
 * goes back.
 */
static void pb_check_many(struct pb *b, struct pb_many *m, u64 region,
			  struct pb_tables *t)
{
	struct kunit *test = b->test;
	struct io_pgtable_ops *theirs;
	struct iopgtable_ops *ours;
	struct pb_panthor pan;
	unsigned int k, i;
	long live = 0;

	ours = pb_ours_new(b, &live);
	theirs = pb_theirs_new(b, &pan);
	KUNIT_EXPECT_TRUE(test, ours && theirs);
	if (!ours || !theirs)
		goto out;

	for (k = 0; k < PB_MANY; k++)
		pb_check_bind_step(test, ours, theirs, &pan, region + m->off[k],
				   &m->sgt[k], m->size[k], t->reserved, t->used);
	for (k = 0; k < PB_MANY; k++) {
		const u64 offs[] = { 0, m->size[k] / 2 + SZ_4K,
				     m->size[k] - SZ_4K };

		for (i = 0; i < ARRAY_SIZE(offs); i++) {
			u64 iova = region + m->off[k] + offs[i] + 8;
			u64 want = pb_sgt_paddr(&m->sgt[k], offs[i]) + 8;

			KUNIT_EXPECT_EQ(test, ours->iova_to_phys(ours, iova), want);
			KUNIT_EXPECT_EQ(test, theirs->iova_to_phys(theirs, iova),
					want);
		}
	}
	KUNIT_EXPECT_LE(test, t->reserved[OURS], t->reserved[THEIRS]);

	for (k = 0; k < PB_MANY; k++) {
		u64 iova = region + m->off[m->order[k]];
		size_t size = m->size[m->order[k]];

		KUNIT_EXPECT_EQ(test, pb_ours_unbind(ours, iova, size), 0);
		KUNIT_EXPECT_EQ(test, pb_theirs_unbind(&pan, theirs, iova, size),
				0);
	}
	for (k = 0; k < PB_MANY; k++) {
		u64 iova = region + m->off[k] + m->size[k] - SZ_4K;

		KUNIT_EXPECT_EQ(test, ours->iova_to_phys(ours, iova), 0);
		KUNIT_EXPECT_EQ(test, theirs->iova_to_phys(theirs, iova), 0);
	}
out:
	if (ours)
		iopgtable_free_ops(ours);
	if (theirs)
		free_io_pgtable_ops(theirs);
	KUNIT_EXPECT_EQ(test, live, 0);
	KUNIT_EXPECT_EQ(test, pan.live, 0);
	KUNIT_EXPECT_EQ(test, pan.short_allocs, 0);
}

/* One sample of the many-buffers row on @lib: the binds, then the unbinds. */
static u64 pb_many_sample(struct pb *b, struct pb_many *m, u64 region,
			  int lib)
{
	unsigned int k, i;
	u64 t0 = ktime_get_ns();

	for (k = 0; k < PB_MANY; k++) {
		u64 iova = region + m->off[k];

		if (lib == OURS)
			b->err |= pb_ours_bind(b->ours, iova, &m->sgt[k],
					       m->size[k]);
		else
			b->err |= pb_theirs_bind(&b->pan, b->theirs, iova,
						 &m->sgt[k], m->size[k]);
	}
	for (k = 0; k < PB_MANY; k++) {
		i = m->order[k];
		if (lib == OURS)
			b->err |= pb_ours_unbind(b->ours, region + m->off[i],
						 m->size[i]);
		else
			b->err |= pb_theirs_unbind(&b->pan, b->theirs,
						   region + m->off[i], m->size[i]);
	}
	return ktime_get_ns() - t0;
}

/* One bind sample: @c->batch binds on @lib, timed; their unmaps, not. */
static u64 pb_bind_sample(struct pb *b, const struct pb_case *c,
			  struct sg_table *sgt, u64 region, int lib)
{
	unsigned int k;
	u64 t0, ns;

	t0 = ktime_get_ns();
	for (k = 0; k < c->batch; k++) {
		u64 iova = region + k * c->size;

		if (lib == OURS)
			b->err |= pb_ours_bind(b->ours, iova, sgt, c->size);
		else
			b->err |= pb_theirs_bind(&b->pan, b->theirs, iova, sgt,
						 c->size);
	}
	ns = ktime_get_ns() - t0;

	if (lib == OURS) {
		if (iopgtable_unmap(b->ours, region, c->batch * c->size, NULL) !=
		    c->batch * c->size)
			b->err |= -EINVAL;
	} else {
		b->err |= pb_panthor_unmap(b->theirs, region, c->batch * c->size);
	}
	return ns;
}

/*
 * One split step on @lib: the 4K page in the middle of block @k, with its
 * reservation, which must hold exactly what the split takes.
 */
static void pb_split_step(struct pb *b, u64 region, unsigned int k, int lib)
{
	u64 blk = region + (u64)k * SZ_2M, hole = blk + SZ_1M;
	struct iopgtable_prealloc pa;

	if (lib == OURS) {
		iopgtable_prealloc_init(&pa);
		b->err |= iopgtable_prealloc_unmap(b->ours, &pa, hole, SZ_4K,
						   GFP_KERNEL);
		if (iopgtable_unmap_split(b->ours, hole, SZ_4K, &pa, NULL) !=
		    SZ_4K || iopgtable_prealloc_count(&pa))
			b->err |= -EINVAL;
		iopgtable_prealloc_release(b->ours, &pa);
	} else {
		b->err |= pb_panthor_reserve(&b->pan,
					     pb_panthor_unmap_pt_count(hole,
								       SZ_4K));
		b->err |= pb_theirs_split(b->theirs, blk,
					  PB_PADDR + (u64)k * SZ_2M, hole);
		if (b->pan.ptr != b->pan.count)
			b->err |= -EINVAL;
		pb_panthor_cleanup(&b->pan);
	}
}

/*
 * One split sample: @c->batch blocks split on @lib, timed with their
 * reservations. The blocks are mapped again afterwards, not timed.
 */
static u64 pb_split_sample(struct pb *b, const struct pb_case *c, u64 region,
			   int lib)
{
	unsigned int k;
	u64 t0, ns;

	t0 = ktime_get_ns();
	for (k = 0; k < c->batch; k++)
		pb_split_step(b, region, k, lib);
	ns = ktime_get_ns() - t0;

	for (k = 0; k < c->batch; k++) {
		u64 blk = region + (u64)k * SZ_2M, pblk = PB_PADDR + (u64)k * SZ_2M;

		if (lib == OURS) {
			if (iopgtable_unmap(b->ours, blk, SZ_2M, NULL) != SZ_2M)
				b->err |= -EINVAL;
			b->err |= iopgtable_map(b->ours, blk, pblk, SZ_2M, PB_PROT,
						GFP_KERNEL);
		} else {
			b->err |= pb_panthor_unmap(b->theirs, blk, SZ_2M);
			b->err |= pb_panthor_map_run(b->theirs, blk, pblk, SZ_2M);
		}
	}
	return ns;
}

/* The @pct-th percentile of @c's sorted samples, in 1/100 ns per step. */
static u64 pb_pct(const u64 *s, const struct pb_case *c, unsigned int pct)
{
	return div_u64(s[(u64)(c->iters - 1) * pct / 100] * 100, c->batch);
}

/* Print @c's row: its name with the tables of @t, then the times. */
static void pb_print_row(struct pb *b, const struct pb_case *c,
			 const struct pb_tables *t)
{
	char n[7][24], name[160];
	u64 med[2], ratio;
	int lib;

	if (c->split || c->layout == PB_MANY_BUFFERS)
		snprintf(name, sizeof(name),
			 "%s [tables reserved %u vs %u, used %u vs %u]",
			 c->name, t->reserved[OURS], t->reserved[THEIRS],
			 t->used[OURS], t->used[THEIRS]);
	else
		snprintf(name, sizeof(name),
			 "%s [tables reserved %u vs %u, used %u vs %u, next bind %u vs %u]",
			 c->name, t->reserved[OURS], t->reserved[THEIRS],
			 t->used[OURS], t->used[THEIRS], t->next[OURS],
			 t->next[THEIRS]);
	ratio = bench_pair_ratio(b->samples, b->ratios, c->iters);
	for (lib = 0; lib < 2; lib++) {
		sort(b->samples[lib], c->iters, sizeof(u64), bench_cmp, NULL);
		med[lib] = pb_pct(b->samples[lib], c, 50);
	}
	kunit_info(b->test, "bench| %s | %s | %s-%s | %s | %s-%s | %s |\n",
		   name, bench_ns(n[0], med[OURS]),
		   bench_ns(n[1], pb_pct(b->samples[OURS], c, 10)),
		   bench_ns(n[2], pb_pct(b->samples[OURS], c, 90)),
		   bench_ns(n[3], med[THEIRS]),
		   bench_ns(n[4], pb_pct(b->samples[THEIRS], c, 10)),
		   bench_ns(n[5], pb_pct(b->samples[THEIRS], c, 90)),
		   bench_ns(n[6], ratio));
}

static void pb_run_case(struct pb *b, const struct pb_case *c, u64 region)
{
	unsigned int warm = c->iters / 10 + 1, i, j, n;
	struct pb_many *m = NULL;
	struct pb_tables t = {};
	struct rnd_state rnd;
	struct sg_table sgt;
	u64 cursor = PB_PADDR;
	int lib;

	if (c->split) {
		pb_check_split(b, region, &t);
		/* The blocks to split, mapped as each side maps them. */
		KUNIT_ASSERT_EQ(b->test, iopgtable_map(b->ours, region, PB_PADDR,
						       c->batch * SZ_2M, PB_PROT,
						       GFP_KERNEL), 0);
		n = pb_panthor_map_pt_count(region, c->batch * SZ_2M);
		KUNIT_ASSERT_EQ(b->test, pb_panthor_reserve(&b->pan, n), 0);
		b->err |= pb_panthor_map_run(b->theirs, region, PB_PADDR,
					     c->batch * SZ_2M);
		pb_panthor_cleanup(&b->pan);
	} else if (c->layout == PB_MANY_BUFFERS) {
		m = pb_many_new();
		KUNIT_ASSERT_NOT_NULL(b->test, m);
		pb_check_many(b, m, region, &t);
	} else {
		prandom_seed_state(&rnd, PB_SEED);
		KUNIT_ASSERT_EQ(b->test, c->layout == PB_SHMEM ?
				pb_fill_shmem(&sgt, c->size, &rnd, &cursor) :
				pb_fill_sgt(&sgt, c), 0);
		pb_check_bind(b, c, &sgt, region, &t);
	}
	kunit_info(b->test,
		   "%s: tables reserved per step: iopgtable %u, Panthor's io-pgtable-arm %u; taken on an empty table: %u, %u\n",
		   c->name, t.reserved[OURS], t.reserved[THEIRS], t.used[OURS],
		   t.used[THEIRS]);

	/* Alternate which library goes first, so neither always follows. */
	for (i = 0; i < warm + c->iters; i++) {
		for (j = 0; j < 2; j++) {
			u64 ns;

			lib = (i & 1) ^ j;
			if (c->split)
				ns = pb_split_sample(b, c, region, lib);
			else if (m)
				ns = pb_many_sample(b, m, region, lib);
			else
				ns = pb_bind_sample(b, c, &sgt, region, lib);
			if (i >= warm)
				b->samples[lib][i - warm] = ns;
		}
	}
	KUNIT_EXPECT_EQ(b->test, b->err, 0);
	KUNIT_EXPECT_EQ(b->test, b->pan.short_allocs, 0);

	if (c->split) {
		KUNIT_EXPECT_EQ(b->test, iopgtable_unmap(b->ours, region,
							 c->batch * SZ_2M, NULL),
				c->batch * SZ_2M);
		KUNIT_EXPECT_EQ(b->test, pb_panthor_unmap(b->theirs, region,
							  c->batch * SZ_2M), 0);
	} else if (m) {
		pb_many_free(m);
	} else {
		sg_free_table(&sgt);
	}
	pb_print_row(b, c, &t);
}

/* Free what the run holds; the tables before Panthor's cache. */
static void pb_free(void *data)
{
	struct pb *b = data;

	if (b->theirs)
		free_io_pgtable_ops(b->theirs);
	b->theirs = NULL;
	if (b->ours)
		iopgtable_free_ops(b->ours);
	b->ours = NULL;
	pb_panthor_cleanup(&b->pan);
	kmem_cache_destroy(b->cache);
	b->cache = NULL;
	kvfree(b->samples[0]);
	kvfree(b->samples[1]);
	kvfree(b->ratios);
	b->samples[0] = NULL;
	b->samples[1] = NULL;
	b->ratios = NULL;
}

static void iopgtable_bench_prealloc(struct kunit *test)
{
	unsigned int i, most = 0;
	struct pb *b;

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	b->test = test;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pb_free, b), 0);
	for (i = 0; i < ARRAY_SIZE(pb_cases); i++)
		most = max(most, pb_cases[i].iters);
	b->samples[0] = kvmalloc_array(most, sizeof(u64), GFP_KERNEL);
	b->samples[1] = kvmalloc_array(most, sizeof(u64), GFP_KERNEL);
	b->ratios = kvmalloc_array(most, sizeof(u64), GFP_KERNEL);
	/* Panthor's pt_cache. */
	b->cache = kmem_cache_create("iopgtable-bench-pt", SZ_4K, SZ_4K, 0,
				     NULL);
	b->dev = kunit_device_register(test, "iopgtable-bench-prealloc");
	KUNIT_ASSERT_FALSE(test, IS_ERR(b->dev) || !b->cache ||
			   !b->samples[0] || !b->samples[1] || !b->ratios);
	b->ours = pb_ours_new(b, NULL);
	b->theirs = pb_theirs_new(b, &b->pan);
	KUNIT_ASSERT_TRUE(test, b->ours && b->theirs);

	for (i = 0; i < ARRAY_SIZE(pb_cases); i++)
		if (pb_selected(pb_cases[i].name))
			pb_run_case(b, &pb_cases[i], PB_REGION(i));

	pb_free(b);
	/* Every table taken from Panthor's cache went back to it. */
	KUNIT_EXPECT_EQ(test, b->pan.live, 0);
	KUNIT_EXPECT_EQ(test, b->pan.short_allocs, 0);
}

static struct kunit_case pb_test_cases[] = {
	KUNIT_CASE_SLOW(iopgtable_bench_prealloc),
	{}
};

static struct kunit_suite pb_suite = {
	.name = "iopgtable_bench_prealloc",
	.test_cases = pb_test_cases,
};

kunit_test_suites(&pb_suite);

MODULE_DESCRIPTION("iopgtable beside io-pgtable-arm: binds and splits with reservations, a benchmark");
MODULE_LICENSE("GPL");
