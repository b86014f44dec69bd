// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopgtable core: the format registry, argument checking against the
 * contract, and the range helpers drivers would otherwise write themselves.
 *
 * The core owns the semantics of map_pages/unmap_pages (what is legal, which
 * errno, how progress is reported); a format owns the bits it writes. The ops
 * handed out are the core's: they check the arguments once and call the
 * format with values it may trust.
 */

#include <linux/bitops.h>
#include <linux/export.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/ratelimit.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "iopgtable-internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/iopgtable.h>

#include "iopgtable-entry.h"

EXPORT_TRACEPOINT_SYMBOL_GPL(iopgtable_map);
EXPORT_TRACEPOINT_SYMBOL_GPL(iopgtable_unmap);
EXPORT_TRACEPOINT_SYMBOL_GPL(iopgtable_unmap_split);
EXPORT_TRACEPOINT_SYMBOL_GPL(iopgtable_prealloc_prepare);
EXPORT_TRACEPOINT_SYMBOL_GPL(iopgtable_prealloc_release);
EXPORT_TRACEPOINT_SYMBOL_GPL(iopgtable_table_alloc);
EXPORT_TRACEPOINT_SYMBOL_GPL(iopgtable_table_free);
EXPORT_TRACEPOINT_SYMBOL_GPL(iopgtable_violation);
EXPORT_TRACEPOINT_SYMBOL_GPL(iopgtable_dma_sync);

static const struct iopgtable_format *const iopgtable_formats[] = {
#ifdef CONFIG_IOPGTABLE_ARM_LPAE
	[IOPGTABLE_ARM_64_LPAE_S1] = &iopgtable_arm_64_lpae_s1_format,
	[IOPGTABLE_ARM_MALI_LPAE] = &iopgtable_arm_mali_lpae_format,
#endif
};

static_assert(ARRAY_SIZE(iopgtable_formats) <= IOPGTABLE_NUM_FMTS);

static int iopgtable_map_pages(struct iopgtable_ops *ops, u64 iova,
			       phys_addr_t paddr, size_t pgsize,
			       size_t pgcount, int prot, gfp_t gfp,
			       size_t *mapped)
{
	struct iopgtable *iop = to_iopgtable(ops);

	return iopgtable_map_pages_with(iop, iova, paddr, pgsize, pgcount,
					prot, gfp, NULL, mapped,
					iop->format->map);
}

static size_t iopgtable_unmap_pages(struct iopgtable_ops *ops, u64 iova,
				    size_t pgsize, size_t pgcount,
				    struct iopgtable_gather *gather)
{
	struct iopgtable *iop = to_iopgtable(ops);

	return iopgtable_unmap_pages_with(iop, iova, pgsize, pgcount, gather,
					  iop->format->unmap);
}

static phys_addr_t iopgtable_iova_to_phys(struct iopgtable_ops *ops, u64 iova)
{
	struct iopgtable *iop = to_iopgtable(ops);
	struct iopgtable_inflight call;
	phys_addr_t phys;

	if (!iopgtable_iova_ok(iop, iova, 1))
		return 0;
	iopgtable_inflight_begin(iop, &call, IOPGTABLE_ACCESS_READ, iova, 1);
	phys = iop->format->iova_to_phys(iop, iova);
	iopgtable_inflight_end(iop, &call);
	return phys;
}

/**
 * iopgtable_walk() - read the entries on the way to an IOVA
 * @ops: the table.
 * @iova: the address to walk to; with IOPGTABLE_QUIRK_ARM_TTBR1, with its
 *	sign-extended top bits.
 * @walk: out: the level of the root and the raw entry read at each level,
 *	root first, up to and including the leaf or the invalid entry that
 *	ends the walk. Nothing is read past @walk->nr.
 *
 * What a GPU fault handler prints or puts in a devcoredump: the entries as
 * the hardware reads them. iopgtable_walk_print() decodes them.
 *
 * Context: Any context: reads entries as iova_to_phys does, under no lock,
 * and must likewise not race an unmap that frees the tables under @iova.
 * Return: 0, or -ERANGE (and @walk->nr 0) for an @iova outside the input
 * range: [0, 2^ias), or [2^64 - 2^ias, 2^64) with IOPGTABLE_QUIRK_ARM_TTBR1.
 */
int iopgtable_walk(struct iopgtable_ops *ops, u64 iova,
		   struct iopgtable_walk *walk)
{
	struct iopgtable *iop = to_iopgtable(ops);
	struct iopgtable_inflight call;

	memset(walk, 0, sizeof(*walk));
	if (!iopgtable_iova_ok(iop, iova, 1))
		return -ERANGE;
	iopgtable_inflight_begin(iop, &call, IOPGTABLE_ACCESS_READ, iova, 1);
	iop->format->walk(iop, iova, walk);
	iopgtable_inflight_end(iop, &call);
	return 0;
}
EXPORT_SYMBOL_GPL(iopgtable_walk);

/**
 * iopgtable_init() - set up the core's part of a table
 * @iop: the table, embedded in the format's struct.
 * @cfg: the caller's configuration.
 * @cookie: the caller's cookie.
 *
 * For formats: call from &iopgtable_format.alloc before allocating any
 * table, so that the allocator hooks in @iop->cfg are in place.
 */
void iopgtable_init(struct iopgtable *iop, const struct iopgtable_cfg *cfg,
		    void *cookie)
{
	iop->cfg = *cfg;
	iop->cookie = cookie;
	ratelimit_state_init(&iop->warn_rs, DEFAULT_RATELIMIT_INTERVAL,
			     DEFAULT_RATELIMIT_BURST);
#ifdef CONFIG_IOPGTABLE_DEBUG
	raw_spin_lock_init(&iop->inflight_lock);
	INIT_LIST_HEAD(&iop->inflight);
#endif
	iop->ops.map_pages = iopgtable_map_pages;
	iop->ops.unmap_pages = iopgtable_unmap_pages;
	iop->ops.iova_to_phys = iopgtable_iova_to_phys;
}

static const char *const iopgtable_violation_names[] = {
	[IOPGTABLE_VIOLATION_MAP_OVER_BLOCK] = "map over a block",
	[IOPGTABLE_VIOLATION_MAP_OVER_MAPPING] = "map over a mapping",
	[IOPGTABLE_VIOLATION_UNMAP_HOLE] = "unmap of a hole",
	[IOPGTABLE_VIOLATION_UNMAP_SPLIT] = "unmap splitting a block",
	[IOPGTABLE_VIOLATION_UNMAP_BAD_ENTRY] = "unmap of a bad entry",
	[IOPGTABLE_VIOLATION_PREALLOC_SHORT] = "page-table reservation ran short",
	[IOPGTABLE_VIOLATION_PREALLOC_OTHER] = "page-table reservation of another table",
	[IOPGTABLE_VIOLATION_OVERLAP] = "call overlapping a call in flight",
};

static_assert(ARRAY_SIZE(iopgtable_violation_names) == IOPGTABLE_NUM_VIOLATIONS);

/**
 * iopgtable_violation() - report a contract violation by the caller
 * @iop: the table.
 * @what: what went wrong.
 * @iova: where.
 *
 * Traces the violation and, unless the table has IOPGTABLE_QUIRK_NO_WARN,
 * WARNs, at most DEFAULT_RATELIMIT_BURST times per
 * DEFAULT_RATELIMIT_INTERVAL and table: the ranges may come from userspace.
 */
void iopgtable_violation(struct iopgtable *iop, enum iopgtable_violation what,
			 u64 iova)
{
	bool warn = !(iop->cfg.quirks & IOPGTABLE_QUIRK_NO_WARN) &&
		    __ratelimit(&iop->warn_rs);

	trace_iopgtable_violation(&iop->ops, what, iova, warn);
	WARN(warn, "iopgtable: %s at IOVA %#llx\n",
	     iopgtable_violation_names[what], iova);
}

/**
 * iopgtable_alloc_ops() - allocate a page table
 * @fmt: the format the hardware walks.
 * @cfg: in: what the caller wants; out: on success, the page sizes provided
 *	in @cfg->pgsize_bitmap and the register values for the hardware.
 * @cookie: passed back to @cfg->alloc, @cfg->free and the @cfg->tlb
 *	callbacks.
 *
 * The new table translates nothing. @cfg is copied; the caller may free it.
 *
 * Context: Process context; sleeps (allocates with GFP_KERNEL).
 * Return: the table's operations, or an ERR_PTR(): -EINVAL for an unknown
 * @fmt, an ias or oas the format cannot hold, a @cfg->pgsize_bitmap with no
 * supported granule, a quirk the format does not support, only one of
 * @cfg->alloc and @cfg->free, a non-coherent walk without
 * @cfg->iommu_dev, or @cfg->split_bbm without @cfg->tlb->tlb_flush_walk;
 * -ENOMEM when memory runs out. Never NULL.
 */
struct iopgtable_ops *iopgtable_alloc_ops(enum iopgtable_fmt fmt,
					  struct iopgtable_cfg *cfg,
					  void *cookie)
{
	const struct iopgtable_format *format;
	struct iopgtable *iop;

	if ((unsigned int)fmt >= ARRAY_SIZE(iopgtable_formats) || !cfg)
		return ERR_PTR(-EINVAL);
	format = iopgtable_formats[fmt];
	if (!format || !cfg->alloc != !cfg->free ||
	    (cfg->quirks & ~format->quirks) ||
	    (!cfg->coherent_walk && !cfg->iommu_dev) ||
	    (cfg->split_bbm && !(cfg->tlb && cfg->tlb->tlb_flush_walk)))
		return ERR_PTR(-EINVAL);

	iop = format->alloc(cfg, cookie);
	if (IS_ERR(iop))
		return ERR_CAST(iop);

	iop->format = format;
	if (format->map_pages)
		iop->ops.map_pages = format->map_pages;
	if (format->unmap_pages)
		iop->ops.unmap_pages = format->unmap_pages;
	iop->phys_last = GENMASK_ULL(iop->cfg.oas - 1, 0);
	if (iop->cfg.quirks & IOPGTABLE_QUIRK_ARM_TTBR1) {
		iop->iova_first = ~GENMASK_ULL(iop->cfg.ias - 1, 0);
		iop->iova_last = U64_MAX;
	} else {
		iop->iova_first = 0;
		iop->iova_last = GENMASK_ULL(iop->cfg.ias - 1, 0);
	}
	*cfg = iop->cfg;
	return &iop->ops;
}
EXPORT_SYMBOL_GPL(iopgtable_alloc_ops);

/**
 * iopgtable_free_ops() - free a page table and every table below it
 * @ops: what iopgtable_alloc_ops() returned; NULL and ERR_PTR() values are
 *	ignored.
 *
 * Removes the table's debugfs file, waiting for readers, then calls
 * @cfg->tlb->tlb_flush_all when the caller set it. The hardware must no
 * longer walk the table.
 *
 * Context: Any context the caller's @cfg->free may run in; does not sleep
 * with the default allocator, unless the table is in debugfs.
 */
void iopgtable_free_ops(struct iopgtable_ops *ops)
{
	struct iopgtable *iop;

	if (IS_ERR_OR_NULL(ops))
		return;
	iop = to_iopgtable(ops);
	iopgtable_debugfs_remove(iop);
	if (iop->cfg.tlb && iop->cfg.tlb->tlb_flush_all)
		iop->cfg.tlb->tlb_flush_all(iop->cookie);
	iop->format->free(iop);
}
EXPORT_SYMBOL_GPL(iopgtable_free_ops);

/*
 * Choose the page size for the next run of a range mapping: the largest
 * provided size that the alignment of @iova and @paddr and the remaining
 * @size allow. *@count is how many pages of that size to map before a
 * larger size becomes possible (or the range ends).
 */
static size_t iopgtable_pick_pgsize(const struct iopgtable *iop, u64 iova,
				    u64 paddr, u64 size, size_t *count)
{
	unsigned long bitmap = iop->cfg.pgsize_bitmap;
	unsigned long sizes = bitmap;
	u64 addr_merge = iova | paddr;
	unsigned int lg2, next_lg2;
	u64 next, to_next;

	/* One page of the smallest size: a fragmented buffer's usual piece. */
	if (size <= (bitmap & -bitmap)) {
		*count = 1;
		return size;
	}
	if (fls64(size) <= BITS_PER_LONG)
		sizes &= GENMASK(fls64(size) - 1, 0);
	if (addr_merge && __ffs64(addr_merge) < BITS_PER_LONG)
		sizes &= GENMASK(__ffs64(addr_merge), 0);
	/* The callers checked alignment to the smallest size. */
	lg2 = __fls(sizes);

	*count = size >> lg2;
	sizes = bitmap & ~GENMASK(lg2, 0);
	if (!sizes)
		return 1UL << lg2;

	/* Stop where the next larger size could take over. */
	next_lg2 = __ffs(sizes);
	next = 1ULL << next_lg2;
	if ((iova ^ paddr) & (next - 1))
		return 1UL << lg2;
	to_next = next - (iova & (next - 1));
	if (to_next + next <= size)
		*count = to_next >> lg2;
	return 1UL << lg2;
}

/*
 * Map [iova, iova + size) to paddr in the largest pages that fit, with new
 * tables from @pa when set, else allocated with @gfp. The caller checked the
 * run with iopgtable_check_run(). On failure *@mapped says how far it got;
 * the caller unwinds.
 */
static int iopgtable_map_run(struct iopgtable *iop, u64 iova, u64 paddr,
			     u64 size, int prot, gfp_t gfp,
			     struct iopgtable_prealloc *pa, u64 *mapped)
{
	while (size) {
		size_t pgsize, pgcount, done = 0;
		int ret;

		pgsize = iopgtable_pick_pgsize(iop, iova, paddr, size, &pgcount);
		/* The run is checked: straight to the format's map. */
		ret = iopgtable_map_pages_checked(iop, iova, paddr, pgsize,
						  pgcount, prot, gfp, pa, &done,
						  iop->format->map);
		*mapped += done;
		if (ret)
			return ret;
		iova += done;
		paddr += done;
		size -= done;
	}
	return 0;
}

/*
 * iopgtable_unmap() of @size bytes at @iova, aligned to the smallest
 * provided page size and in range, for a caller that has recorded its
 * call in flight.
 */
static u64 iopgtable_unmap_checked(struct iopgtable *iop, u64 iova, u64 size,
				   struct iopgtable_gather *gather)
{
	size_t min = iopgtable_min_pgsize(iop);

	return iopgtable_unmap_pages_checked(iop, iova, min, size >> __ffs(min),
					     size, gather, iop->format->unmap);
}

/*
 * Undo the @mapped bytes a range helper mapped at @iova before it failed:
 * unmap them and, since the walker may have cached them meanwhile, flush
 * the walk caches over them once before the caller frees the memory.
 */
static void iopgtable_undo(struct iopgtable *iop, u64 iova, u64 mapped)
{
	const struct iopgtable_flush_ops *tlb = iop->cfg.tlb;
	u64 undone;

	if (!mapped)
		return;
	undone = iopgtable_unmap_checked(iop, iova, mapped, NULL);
	/* What the helper mapped is consecutive mappings: all of it goes. */
	WARN_ON_ONCE(undone != mapped);
	if (tlb && tlb->tlb_flush_walk)
		tlb->tlb_flush_walk(iova, mapped, iopgtable_min_pgsize(iop),
				    iop->cookie);
}

/* Common checks of the range helpers; -EINVAL or -ERANGE, else 0. */
static __always_inline int iopgtable_check_run(struct iopgtable *iop,
					       u64 iova, u64 paddr, u64 size,
					       int prot)
{
	size_t min = iopgtable_min_pgsize(iop);

	if (!size || ((iova | paddr | size) & (min - 1)) ||
	    !iopgtable_prot_ok(prot))
		return -EINVAL;
	return iopgtable_check_range(iop, iova, paddr, size);
}

/**
 * iopgtable_map() - map a physically contiguous range, all or nothing
 * @ops: the table.
 * @iova: where the range starts in the device's address space.
 * @paddr: the physical address it maps to.
 * @size: bytes to map.
 * @prot: IOPGTABLE_* protection flags; READ or WRITE at least.
 * @gfp: allocation flags for new tables.
 *
 * Maps in the largest provided page sizes that the alignment of @iova and
 * @paddr and the remaining length allow, calling map_pages until the range
 * is mapped. On failure unmaps what it mapped, so the table is as it was,
 * and calls @cfg->tlb->tlb_flush_walk once over what it undid (the walker
 * may have cached it); a driver without that callback invalidates
 * [@iova, @iova + @size) itself on error.
 *
 * Context: Any context @gfp allows. Calls on overlapping ranges must be
 * serialised by the caller.
 * Return: 0 on success. -EINVAL for a @size of 0, @iova, @paddr or @size
 * not aligned to the smallest provided page size, or a @prot with neither
 * READ nor WRITE; -ERANGE if the range passes the input or output address
 * size; -EEXIST if part of it is already mapped; -ENOMEM if a table could
 * not be allocated.
 */
int iopgtable_map(struct iopgtable_ops *ops, u64 iova, phys_addr_t paddr,
		  size_t size, int prot, gfp_t gfp)
{
	struct iopgtable *iop = to_iopgtable(ops);
	struct iopgtable_inflight call;
	u64 mapped = 0;
	int ret;

	ret = iopgtable_check_run(iop, iova, paddr, size, prot);
	if (ret)
		return ret;

	iopgtable_inflight_begin(iop, &call, IOPGTABLE_ACCESS_WRITE, iova, size);
	ret = iopgtable_map_run(iop, iova, paddr, size, prot, gfp, NULL,
				&mapped);
	if (ret)
		iopgtable_undo(iop, iova, mapped);
	iopgtable_inflight_end(iop, &call);
	return ret;
}
EXPORT_SYMBOL_GPL(iopgtable_map);

/**
 * iopgtable_unmap() - unmap a range of consecutive mappings
 * @ops: the table.
 * @iova: where the range starts.
 * @size: bytes to unmap.
 * @gather: extended over what was unmapped, may be NULL.
 *
 * [@iova, @iova + @size) must be covered by consecutive mappings that start
 * at @iova, of whatever page sizes they were mapped with. Stops at the first
 * place that breaks that rule (a hole, or a mapping that crosses either end
 * of the range) and WARNs unless IOPGTABLE_QUIRK_NO_WARN.
 *
 * Context: Any context. Calls on overlapping ranges must be serialised by
 * the caller.
 * Return: the bytes unmapped from @iova on; 0 for bad arguments (@size 0 or
 * not aligned to the smallest provided page size, a misaligned or
 * out-of-range @iova).
 */
size_t iopgtable_unmap(struct iopgtable_ops *ops, u64 iova, size_t size,
		       struct iopgtable_gather *gather)
{
	struct iopgtable *iop = to_iopgtable(ops);
	size_t min = iopgtable_min_pgsize(iop);

	if (!size || ((iova | size) & (min - 1)))
		return 0;
	/* unmap_pages only stops short where the range breaks the rule. */
	return iop->ops.unmap_pages(ops, iova, min, size >> __ffs(min), gather);
}
EXPORT_SYMBOL_GPL(iopgtable_unmap);

/*
 * Walk the DMA segments of @sgt from @offset for @size bytes, calling @fn on
 * each piece with its IOVA. Stops at the first error.
 */
static __always_inline int
iopgtable_visit_sg_pieces(struct sg_table *sgt, u64 iova, u64 offset, u64 size,
			  int (*fn)(struct iopgtable *iop, u64 iova, u64 paddr,
				    u64 len, void *arg),
			  struct iopgtable *iop, void *arg)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 len = sg_dma_len(sg);
		u64 addr = sg_dma_address(sg);

		if (offset >= len) {
			offset -= len;
			continue;
		}
		addr += offset;
		len = min(len - offset, size);
		offset = 0;

		ret = fn(iop, iova, addr, len, arg);
		if (ret)
			return ret;
		iova += len;
		size -= len;
		if (!size)
			return 0;
	}
	return -EINVAL;	/* @sgt ends before @offset + @size */
}

/* Pages of one size gathered for one &iopgtable_format.map_list. */
#define IOPGTABLE_SG_BATCH	32

/**
 * struct iopgtable_sg_map - an sg_table being mapped
 * @prot: the protection.
 * @gfp: allocation flags for new tables.
 * @pa: the reservation tables come from, or NULL.
 * @mapped: bytes mapped so far, from the start.
 * @batch_iova: the IOVA of @batch[0].
 * @batch_n: pages in @batch.
 * @batch: physical addresses of pages of 2^@batch_lg2 bytes, at
 *	consecutive IOVAs from @batch_iova, not mapped yet; each was a piece
 *	of its own.
 * @min: the smallest provided page size.
 * @min_lg2: its log2.
 * @batch_lg2: log2 of the page size of the pages in @batch; 0 when the
 *	format has no map_list and nothing is batched.
 *
 * A buffer of shmem folios is mostly pieces of exactly one page: 4K pages
 * and, where the folios are huge, 2M blocks. Mapping them in batches walks
 * to each table once per batch instead of once per piece. @batch is written
 * before it is read: the struct is set up by iopgtable_sg_map_init(), which
 * leaves it as it is, and declared __uninitialized, so that a kernel that
 * initialises the stack (CONFIG_INIT_STACK_ALL_*) does not fill it on every
 * call either.
 */
struct iopgtable_sg_map {
	int prot;
	gfp_t gfp;
	struct iopgtable_prealloc *pa;
	u64 mapped;
	u64 batch_iova;
	unsigned int batch_n;
	u64 batch[IOPGTABLE_SG_BATCH];
	u64 min;
	unsigned int min_lg2;
	unsigned int batch_lg2;
};

static void iopgtable_sg_map_init(struct iopgtable_sg_map *m,
				  const struct iopgtable *iop, int prot,
				  gfp_t gfp, struct iopgtable_prealloc *pa)
{
	m->prot = prot;
	m->gfp = gfp;
	m->pa = pa;
	m->mapped = 0;
	m->batch_iova = 0;
	m->min = iopgtable_min_pgsize(iop);
	m->min_lg2 = __ffs(m->min);
	/* Without a map_list, no page is batched. */
	m->batch_lg2 = iop->format->map_list ? m->min_lg2 : 0;
	m->batch_n = 0;
}

/*
 * log2 of the page size of a piece of a checked range that is exactly one
 * page of a provided size larger than the smallest, which @iova and @paddr
 * are aligned to; else 0.
 */
static __always_inline unsigned int
iopgtable_big_page_lg2(const struct iopgtable *iop, u64 iova, u64 paddr,
		       u64 len)
{
	if ((len & (len - 1)) || !(iop->cfg.pgsize_bitmap & len) ||
	    ((iova | paddr) & (len - 1)))
		return 0;
	return __ffs64(len);
}

static __always_inline int iopgtable_sg_check(struct iopgtable *iop, u64 iova,
					      u64 paddr, u64 len, void *arg)
{
	struct iopgtable_sg_map *m = arg;

	return iopgtable_check_run(iop, iova, paddr, len, m->prot);
}

/*
 * Map the batched pages with the format's map_list: what map_pages of
 * each, one after the other, would do, and traced as such.
 */
static noinline int iopgtable_sg_flush(struct iopgtable *iop,
				       struct iopgtable_sg_map *m)
{
	size_t pgsize = (size_t)1 << m->batch_lg2, done = 0, i;
	size_t n = m->batch_n;
	int ret;

	if (!n)
		return 0;
	m->batch_n = 0;
	ret = iop->format->map_list(iop, m->batch_iova, m->batch_lg2, m->batch,
				    n, m->prot, m->gfp, m->pa, &done);
	m->mapped += done;
	if (trace_iopgtable_map_enabled()) {
		for (i = 0; i < n && i * pgsize <= done; i++) {
			bool ok = (i + 1) * pgsize <= done;

			if (!ok && !ret)
				break;
			trace_iopgtable_map(&iop->ops,
					    m->batch_iova + i * pgsize,
					    m->batch[i], pgsize, 1, m->prot,
					    ok ? 0 : ret, ok ? pgsize : 0);
		}
	}
	return ret;
}

/* Add a page of 2^@m->batch_lg2 bytes to the batch. */
static __always_inline int iopgtable_sg_batch(struct iopgtable *iop,
					      struct iopgtable_sg_map *m,
					      u64 iova, u64 paddr)
{
	if (m->batch_n == IOPGTABLE_SG_BATCH) {
		int ret = iopgtable_sg_flush(iop, m);

		if (ret)
			return ret;
	}
	if (!m->batch_n)
		m->batch_iova = iova;
	m->batch[m->batch_n++] = paddr;
	return 0;
}

/* A piece that is not one more page for the batch as it stands. */
static noinline int iopgtable_sg_map_other(struct iopgtable *iop, u64 iova,
					   u64 paddr, u64 len,
					   struct iopgtable_sg_map *m)
{
	unsigned int lg2 = 0;
	int ret;

	if (iop->format->map_list)
		lg2 = len == m->min ? m->min_lg2 :
				      iopgtable_big_page_lg2(iop, iova, paddr,
							     len);
	if (lg2 && lg2 == m->batch_lg2)
		return iopgtable_sg_batch(iop, m, iova, paddr);
	ret = iopgtable_sg_flush(iop, m);
	if (ret)
		return ret;
	if (lg2) {
		m->batch_lg2 = lg2;
		return iopgtable_sg_batch(iop, m, iova, paddr);
	}
	return iopgtable_map_run(iop, iova, paddr, len, m->prot, m->gfp, m->pa,
				 &m->mapped);
}

static __always_inline int iopgtable_sg_map(struct iopgtable *iop, u64 iova,
					    u64 paddr, u64 len, void *arg)
{
	struct iopgtable_sg_map *m = arg;

	/* The usual piece of a fragmented buffer: one more smallest page. */
	if (len == m->min && m->batch_lg2 == m->min_lg2)
		return iopgtable_sg_batch(iop, m, iova, paddr);
	return iopgtable_sg_map_other(iop, iova, paddr, len, m);
}

/* iopgtable_map_sgtable(), with the prot and table source in @m. */
static int iopgtable_map_sg(struct iopgtable *iop, u64 iova,
			    struct sg_table *sgt, u64 offset, size_t size,
			    struct iopgtable_sg_map *m)
{
	struct iopgtable_inflight call;
	u64 len;
	int ret;

	if (!size || !sgt)
		return -EINVAL;

	/*
	 * All of it in the first segment (a huge folio, a contiguous
	 * import): one run, mapped as iopgtable_map() maps it.
	 */
	len = sgt->nents ? sg_dma_len(sgt->sgl) : 0;
	if (offset < len && size <= len - offset) {
		u64 paddr = sg_dma_address(sgt->sgl) + offset;

		ret = iopgtable_check_run(iop, iova, paddr, size, m->prot);
		if (ret)
			return ret;
		iopgtable_inflight_begin(iop, &call, IOPGTABLE_ACCESS_WRITE,
					 iova, size);
		ret = iopgtable_map_run(iop, iova, paddr, size, m->prot,
					m->gfp, m->pa, &m->mapped);
		goto out;
	}

	ret = iopgtable_visit_sg_pieces(sgt, iova, offset, size,
					iopgtable_sg_check, iop, m);
	if (ret)
		return ret;

	iopgtable_inflight_begin(iop, &call, IOPGTABLE_ACCESS_WRITE, iova, size);
	ret = iopgtable_visit_sg_pieces(sgt, iova, offset, size,
					iopgtable_sg_map, iop, m) ?:
	      iopgtable_sg_flush(iop, m);
out:
	if (ret)
		iopgtable_undo(iop, iova, m->mapped);
	iopgtable_inflight_end(iop, &call);
	return ret;
}

/**
 * iopgtable_map_sgtable() - map part of a DMA-mapped scatter-gather table
 * @ops: the table.
 * @iova: where the mapping starts.
 * @sgt: the DMA-mapped scatter-gather table; its DMA addresses are what the
 *	device's page table points at.
 * @offset: bytes of @sgt's DMA segments to skip.
 * @size: bytes to map.
 * @prot: IOPGTABLE_* protection flags; READ or WRITE at least.
 * @gfp: allocation flags for new tables.
 *
 * Maps @size bytes of @sgt, starting @offset bytes into it, contiguously at
 * @iova, each segment in the largest page sizes it allows. All or nothing:
 * every segment is checked before anything is mapped, and on failure what
 * was mapped is unmapped again and flushed as iopgtable_map() does.
 *
 * Context: Any context @gfp allows. Calls on overlapping ranges must be
 * serialised by the caller.
 * Return: 0 on success. -EINVAL for a @size of 0, an @offset + @size beyond
 * the table's DMA length, a piece whose address or length is not aligned to
 * the smallest provided page size, or a @prot with neither READ nor WRITE;
 * -ERANGE, -EEXIST and -ENOMEM as for iopgtable_map().
 */
int iopgtable_map_sgtable(struct iopgtable_ops *ops, u64 iova,
			  struct sg_table *sgt, u64 offset, size_t size,
			  int prot, gfp_t gfp)
{
	struct iopgtable_sg_map m __uninitialized;

	iopgtable_sg_map_init(&m, to_iopgtable(ops), prot, gfp, NULL);
	return iopgtable_map_sg(to_iopgtable(ops), iova, sgt, offset, size,
				&m);
}
EXPORT_SYMBOL_GPL(iopgtable_map_sgtable);

/*
 * Reservations. A reservation holds tables for the levels below the root,
 * allocated and made ready for the walker by the format while the caller
 * may sleep; the running calls take from it and never allocate. The tables
 * it holds form a list through their first entry, so that holding any
 * number of them needs no memory of its own: a release frees the tables
 * and nothing else, and never sleeps with the default allocator.
 */

/* Add @table, zeroed but for the link, to the front of @pa's list. */
static void iopgtable_prealloc_push(struct iopgtable_prealloc *pa,
				    void *table)
{
	*(void **)table = pa->head;
	pa->head = table;
	pa->count++;
}

static void *iopgtable_prealloc_pop(struct iopgtable_prealloc *pa)
{
	void *table = pa->head;

	pa->head = *(void **)table;
	pa->count--;
	/* The whole first entry: a pointer may be narrower. */
	*(u64 *)table = 0;
	return table;
}

/**
 * iopgtable_prealloc_take() - take a reserved table for a running call
 * @iop: the table that needs it.
 * @pa: the reservation.
 * @iova: where it is needed, for the report when there is none.
 *
 * For formats. A reservation that runs short, or that was made for
 * another table, is a caller bug: reported through iopgtable_violation().
 * The table's first entry held the list's link and is zero again; the
 * rest is as &iopgtable_format.alloc_tables left it.
 *
 * Context: Any context.
 * Return: the table, or NULL.
 */
void *iopgtable_prealloc_take(struct iopgtable *iop,
			      struct iopgtable_prealloc *pa, u64 iova)
{
	if (unlikely(!pa->count)) {
		iopgtable_violation(iop, IOPGTABLE_VIOLATION_PREALLOC_SHORT,
				    iova);
		return NULL;
	}
	if (unlikely(pa->ops != &iop->ops)) {
		iopgtable_violation(iop, IOPGTABLE_VIOLATION_PREALLOC_OTHER,
				    iova);
		return NULL;
	}
	return iopgtable_prealloc_pop(pa);
}

/**
 * iopgtable_prealloc_put() - give back a table a running call did not use
 * @pa: the reservation it was taken from.
 * @table: the table, zeroed and, for a non-coherent walker, visible to
 *	the walker.
 *
 * For formats: a table that lost the race to be installed.
 *
 * Context: Any context.
 */
void iopgtable_prealloc_put(struct iopgtable_prealloc *pa, void *table)
{
	iopgtable_prealloc_push(pa, table);
}

/*
 * A count of distinct table spans, fed with ranges in increasing IOVA
 * order: @next[k] is the first span index of the k-th table level (in
 * increasing span order) not counted yet. @run_iova and @run_len are a
 * run of scatter-gather pieces mapped in pages of 2^@run_lg2 bytes, not
 * counted yet: pieces of exactly one such page, or pieces shorter than
 * @small, the second smallest page size (U64_MAX if there is one size
 * only), which are mapped in the smallest.
 */
struct iopgtable_tally {
	const struct iopgtable *iop;
	u64 tables;
	u64 next[IOPGTABLE_MAX_LEVELS];
	u64 run_iova;
	u64 run_len;
	unsigned int run_lg2;
	unsigned int min_lg2;
	u64 small;
};

/*
 * Set up @t for @iop. The callers declare @t __uninitialized: a kernel that
 * initialises the stack (CONFIG_INIT_STACK_ALL_*) would fill it first.
 */
static inline void iopgtable_tally_init(struct iopgtable_tally *t,
					const struct iopgtable *iop)
{
	unsigned long sizes = iop->cfg.pgsize_bitmap;
	unsigned int k;

	sizes &= sizes - 1;	/* all but the smallest */
	t->iop = iop;
	t->tables = 0;
	for (k = 0; k < IOPGTABLE_MAX_LEVELS; k++)
		t->next[k] = 0;
	t->run_iova = 0;
	t->run_len = 0;
	t->run_lg2 = 0;
	t->min_lg2 = __ffs(iopgtable_min_pgsize(iop));
	t->small = sizes ? sizes & -sizes : U64_MAX;
}

/*
 * Count the spans [iova, iova + size) touches at the table levels whose
 * span bits are in @spans, but for those counted before. @size is not 0.
 */
static void iopgtable_tally(struct iopgtable_tally *t, u64 spans, u64 iova,
			    u64 size)
{
	u64 levels = t->iop->table_spans;
	unsigned int k;

	for (k = 0; levels && k < IOPGTABLE_MAX_LEVELS;
	     levels &= levels - 1, k++) {
		unsigned int lg2 = __ffs64(levels);
		u64 first = iova >> lg2, last = (iova + size - 1) >> lg2;

		if (!(spans & BIT_ULL(lg2)))
			continue;
		first = max(first, t->next[k]);
		if (first > last)
			continue;
		t->tables += last - first + 1;
		t->next[k] = last + 1;
	}
}

/*
 * Count the tables that splitting the blocks crossing @boundary needs,
 * spanning the block that holds @point (@boundary, or the byte before it
 * for the end of a range). The largest block that may cross @boundary is
 * split one level at a time until @boundary is an entry's: a table for
 * every level from that block's span down to the alignment of @boundary,
 * whether or not the sizes between are provided (with 4K and 1G only,
 * cutting 4K out of a 1G block takes a table of 2M blocks, then one of 4K
 * pages).
 */
static void iopgtable_tally_split(struct iopgtable_tally *t, u64 point,
				  u64 boundary)
{
	u64 above, blocks;

	if (!boundary)
		return;
	above = ~GENMASK_ULL(__ffs64(boundary), 0);
	blocks = t->iop->table_spans & t->iop->cfg.pgsize_bitmap & above;
	if (!blocks)
		return;
	iopgtable_tally(t, t->iop->table_spans & above &
			   GENMASK_ULL(fls64(blocks) - 1, 0), point, 1);
}

/*
 * Tables the format allocates, or frees, in one call; their array, on the
 * stack, is written before it is read (__uninitialized).
 */
#define IOPGTABLE_PREALLOC_CHUNK	16

/* Free the tables @pa holds, a chunk at a time, and leave it empty. */
static void iopgtable_prealloc_drain(struct iopgtable *iop,
				     struct iopgtable_prealloc *pa)
{
	void *tables[IOPGTABLE_PREALLOC_CHUNK] __uninitialized;

	while (pa->count) {
		unsigned int k = 0;

		while (pa->count && k < IOPGTABLE_PREALLOC_CHUNK)
			tables[k++] = iopgtable_prealloc_pop(pa);
		iop->format->free_tables(iop, k, tables);
	}
}

/*
 * Add @n tables to @pa, allocated by the format with @gfp, in front of
 * those it holds and in the order they were allocated. All or nothing: on
 * -ENOMEM @pa holds what it held before.
 */
static int iopgtable_prealloc_fill(struct iopgtable *iop,
				   struct iopgtable_prealloc *pa, u64 n,
				   gfp_t gfp)
{
	struct iopgtable_prealloc new = { .ops = &iop->ops };
	void *tables[IOPGTABLE_PREALLOC_CHUNK] __uninitialized;
	void *tail = NULL;

	if (pa->count && WARN_ON_ONCE(pa->ops != &iop->ops))
		return -EINVAL;
	if (n > UINT_MAX - pa->count)
		return -ENOMEM;
	while (new.count < n) {
		unsigned int k = min_t(u64, n - new.count,
				       IOPGTABLE_PREALLOC_CHUNK), i, got;

		got = iop->format->alloc_tables(iop, gfp, k, tables);
		if (got != k) {
			/* All or nothing, as the format op promises. */
			if (WARN_ON_ONCE(got))
				iop->format->free_tables(iop, got, tables);
			iopgtable_prealloc_drain(iop, &new);
			return -ENOMEM;
		}
		/* Each at the end of @new's list. */
		for (i = 0; i < k; i++) {
			*(void **)tables[i] = NULL;
			if (tail)
				*(void **)tail = tables[i];
			else
				new.head = tables[i];
			tail = tables[i];
			new.count++;
		}
	}
	if (tail) {
		*(void **)tail = pa->head;
		pa->head = new.head;
		pa->count += new.count;
	}
	pa->ops = &iop->ops;
	pa->added += n;
	return 0;
}

/*
 * The checks of the running calls on a range to reserve for: -EINVAL or
 * -ERANGE, else 0. The running calls report through a size_t.
 */
static int iopgtable_check_reserve(const struct iopgtable *iop, u64 iova,
				   u64 size)
{
	size_t min = iopgtable_min_pgsize(iop);

	if (!size || ((iova | size) & (min - 1)))
		return -EINVAL;
	if (size > SIZE_MAX || !iopgtable_iova_ok(iop, iova, size))
		return -ERANGE;
	return 0;
}

/**
 * iopgtable_prealloc_init() - make a reservation empty
 * @pa: the reservation.
 *
 * Context: Any context.
 */
void iopgtable_prealloc_init(struct iopgtable_prealloc *pa)
{
	pa->head = NULL;
	pa->count = 0;
	pa->ops = NULL;
	pa->added = 0;
}
EXPORT_SYMBOL_GPL(iopgtable_prealloc_init);

/**
 * iopgtable_prealloc_map() - reserve tables for mapping a range later
 * @ops: the table.
 * @pa: the reservation to add to; initialised, may hold tables already.
 * @iova: where the range starts.
 * @size: its bytes.
 * @gfp: allocation flags for the tables.
 *
 * Adds to @pa enough tables for iopgtable_map_prealloc() of any physical
 * range onto [@iova, @iova + @size), in any provided page sizes, together
 * with iopgtable_unmap_split() at its two ends, whatever the table holds
 * when they run: for each level below the root, one table per table span
 * the range touches. (The blocks a split at either end may need to split
 * lie in spans the range touches, so they are among those.) For the 4K
 * granule that is Panthor's count: one table per 512G, 1G and 2M span.
 *
 * Context: Process context; sleeps if @gfp allows.
 * Return: 0 on success. -EINVAL for a @pa holding tables of another page
 * table, a @size of 0, or @iova or @size not aligned to the smallest
 * provided page size; -ERANGE if the range passes the input address size
 * or @size does not fit in a size_t; -ENOMEM if the
 * tables could not be allocated (@pa then holds what it held before).
 */
int iopgtable_prealloc_map(struct iopgtable_ops *ops,
			   struct iopgtable_prealloc *pa, u64 iova, u64 size,
			   gfp_t gfp)
{
	struct iopgtable *iop = to_iopgtable(ops);
	struct iopgtable_tally t __uninitialized;
	unsigned int held = pa->count;
	int ret;

	ret = iopgtable_check_reserve(iop, iova, size);
	if (ret)
		goto out;

	iopgtable_tally_init(&t, iop);
	iopgtable_tally_split(&t, iova, iova);
	iopgtable_tally(&t, iop->table_spans, iova, size);
	iopgtable_tally_split(&t, iova + size - 1, iova + size);
	ret = iopgtable_prealloc_fill(iop, pa, t.tables, gfp);
out:
	trace_iopgtable_prealloc_prepare(ops, pa, IOPGTABLE_PREALLOC_MAP, iova,
					 size, pa->count - held, pa->count,
					 ret);
	return ret;
}
EXPORT_SYMBOL_GPL(iopgtable_prealloc_map);

/* Count the run of pieces in @t, in one go. */
static void iopgtable_tally_run(struct iopgtable_tally *t)
{
	if (!t->run_len)
		return;
	iopgtable_tally(t, t->iop->table_spans & ~GENMASK_ULL(t->run_lg2, 0),
			t->run_iova, t->run_len);
	t->run_len = 0;
}

/* Count the tables a piece of a scatter-gather mapping needs. */
static __always_inline int iopgtable_sg_tally(struct iopgtable *iop, u64 iova,
					      u64 paddr, u64 len, void *arg)
{
	struct iopgtable_tally *t = arg;
	unsigned int lg2;

	/*
	 * A piece of exactly one page, and one shorter than the second
	 * smallest page size (mapped in the smallest), are mapped in pages
	 * of one size: consecutive ones of the same size touch the spans
	 * their whole run touches.
	 */
	if (len < t->small)
		lg2 = t->min_lg2;
	else
		lg2 = iopgtable_big_page_lg2(iop, iova, paddr, len);
	if (lg2) {
		if (t->run_len && t->run_lg2 != lg2)
			iopgtable_tally_run(t);
		if (!t->run_len) {
			t->run_iova = iova;
			t->run_lg2 = lg2;
		}
		t->run_len += len;
		return 0;
	}
	iopgtable_tally_run(t);

	/* The page sizes iopgtable_map_run() will choose, in its order. */
	while (len) {
		size_t pgsize, pgcount;
		u64 bytes;

		pgsize = iopgtable_pick_pgsize(iop, iova, paddr, len, &pgcount);
		bytes = (u64)pgsize * pgcount;
		iopgtable_tally(t, iop->table_spans &
				   ~GENMASK_ULL(__ffs(pgsize), 0), iova, bytes);
		iova += bytes;
		paddr += bytes;
		len -= bytes;
	}
	return 0;
}

/*
 * Check a piece as the mapping will (whatever its protection, a readable
 * one is valid), then count its tables: one pass over the sg_table.
 */
static __always_inline int iopgtable_sg_check_tally(struct iopgtable *iop,
						    u64 iova, u64 paddr,
						    u64 len, void *arg)
{
	int ret = iopgtable_check_run(iop, iova, paddr, len, IOPGTABLE_READ);

	return ret ?: iopgtable_sg_tally(iop, iova, paddr, len, arg);
}

/**
 * iopgtable_prealloc_map_sgtable() - reserve tables for mapping an sg_table
 * @ops: the table.
 * @pa: the reservation to add to; initialised, may hold tables already.
 * @iova: where the mapping will start.
 * @sgt: the DMA-mapped scatter-gather table that will be mapped.
 * @offset: bytes of @sgt's DMA segments that will be skipped.
 * @size: bytes that will be mapped.
 * @gfp: allocation flags for the tables.
 *
 * Adds to @pa the tables iopgtable_map_sgtable_prealloc() of exactly these
 * @sgt, @offset and @size at @iova, together with iopgtable_unmap_split()
 * at its two ends, may need whatever the table holds: the tables that
 * mapping would allocate on a new, empty page table, counted from the page
 * sizes the mapping will choose. Tables the page table holds now are not
 * counted on: calls queued before this one may free them. A 1 GiB buffer
 * of 2M-aligned segments at a 1G-aligned @iova (4K granule, ias 48) takes
 * 2 tables.
 *
 * Context: Process context; sleeps if @gfp allows.
 * Return: 0 on success. -EINVAL for a @pa holding tables of another page
 * table, a @size of 0, an @offset + @size beyond @sgt's DMA length, or a
 * piece whose address or length is not aligned to the smallest provided
 * page size; -ERANGE if the range passes the input or
 * output address size or @size does not fit in a size_t; -ENOMEM if the
 * tables could not be allocated (@pa then holds what it held before).
 */
int iopgtable_prealloc_map_sgtable(struct iopgtable_ops *ops,
				   struct iopgtable_prealloc *pa, u64 iova,
				   struct sg_table *sgt, u64 offset, u64 size,
				   gfp_t gfp)
{
	struct iopgtable *iop = to_iopgtable(ops);
	struct iopgtable_tally t __uninitialized;
	unsigned int held = pa->count;
	int ret = -EINVAL;

	iopgtable_tally_init(&t, iop);
	if (!size || !sgt)
		goto out;
	ret = -ERANGE;
	if (size > SIZE_MAX)
		goto out;
	iopgtable_tally_split(&t, iova, iova);
	ret = iopgtable_visit_sg_pieces(sgt, iova, offset, size,
					iopgtable_sg_check_tally, iop, &t);
	if (ret)
		goto out;
	iopgtable_tally_run(&t);
	iopgtable_tally_split(&t, iova + size - 1, iova + size);
	ret = iopgtable_prealloc_fill(iop, pa, t.tables, gfp);
out:
	trace_iopgtable_prealloc_prepare(ops, pa,
					 IOPGTABLE_PREALLOC_MAP_SGTABLE, iova,
					 size, pa->count - held, pa->count,
					 ret);
	return ret;
}
EXPORT_SYMBOL_GPL(iopgtable_prealloc_map_sgtable);

/**
 * iopgtable_prealloc_unmap() - reserve tables for unmapping a range later
 * @ops: the table.
 * @pa: the reservation to add to; initialised, may hold tables already.
 * @iova: where the range starts.
 * @size: its bytes.
 * @gfp: allocation flags for the tables.
 *
 * Adds to @pa enough tables for iopgtable_unmap_split() of
 * [@iova, @iova + @size) whatever the table holds when it runs: at each
 * end, one table per level from the largest block that may cross it down
 * to the end's alignment, whether or not the sizes between are provided;
 * a table both ends would split counted once.
 *
 * Context: Process context; sleeps if @gfp allows.
 * Return: 0 on success. -EINVAL for a @pa holding tables of another page
 * table, a @size of 0, or @iova or @size not aligned to the smallest
 * provided page size; -ERANGE if the range passes the input address size
 * or @size does not fit in a size_t; -ENOMEM if the
 * tables could not be allocated (@pa then holds what it held before).
 */
int iopgtable_prealloc_unmap(struct iopgtable_ops *ops,
			     struct iopgtable_prealloc *pa, u64 iova, u64 size,
			     gfp_t gfp)
{
	struct iopgtable *iop = to_iopgtable(ops);
	struct iopgtable_tally t __uninitialized;
	unsigned int held = pa->count;
	int ret;

	ret = iopgtable_check_reserve(iop, iova, size);
	if (ret)
		goto out;

	iopgtable_tally_init(&t, iop);
	iopgtable_tally_split(&t, iova, iova);
	iopgtable_tally_split(&t, iova + size - 1, iova + size);
	ret = iopgtable_prealloc_fill(iop, pa, t.tables, gfp);
out:
	trace_iopgtable_prealloc_prepare(ops, pa, IOPGTABLE_PREALLOC_UNMAP,
					 iova, size, pa->count - held,
					 pa->count, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(iopgtable_prealloc_unmap);

/**
 * iopgtable_prealloc_count() - how many tables a reservation holds
 * @pa: the reservation.
 *
 * Context: Any context.
 * Return: the number of tables @pa holds.
 */
unsigned int iopgtable_prealloc_count(const struct iopgtable_prealloc *pa)
{
	return pa->count;
}
EXPORT_SYMBOL_GPL(iopgtable_prealloc_count);

/**
 * iopgtable_prealloc_release() - free the tables a reservation still holds
 * @ops: the table it was made for.
 * @pa: the reservation; empty afterwards, and may be filled again.
 *
 * Frees the tables through @cfg->free, or the default allocator, after
 * unmapping them for DMA for a non-coherent walker. Tables the running
 * calls took are the page table's: they are freed as any other.
 *
 * Context: Any context the caller's @cfg->free may run in; never sleeps
 * with the default allocator.
 */
void iopgtable_prealloc_release(struct iopgtable_ops *ops,
				struct iopgtable_prealloc *pa)
{
	trace_iopgtable_prealloc_release(ops, pa, pa->count,
					 pa->added - pa->count);
	if (pa->count) {
		struct iopgtable *iop = to_iopgtable(pa->ops);

		WARN_ON_ONCE(pa->ops != ops);
		iopgtable_prealloc_drain(iop, pa);
	}
	iopgtable_prealloc_init(pa);
}
EXPORT_SYMBOL_GPL(iopgtable_prealloc_release);

/**
 * iopgtable_map_prealloc() - map a contiguous range with reserved tables
 * @ops: the table.
 * @iova: where the range starts in the device's address space.
 * @paddr: the physical address it maps to.
 * @size: bytes to map.
 * @prot: IOPGTABLE_* protection flags; READ or WRITE at least.
 * @pa: the reservation every new table is taken from, filled beforehand
 *	with iopgtable_prealloc_map() or iopgtable_prealloc_map_sgtable().
 *
 * iopgtable_map() without allocating: all or nothing, in the same page
 * sizes. A table that loses the race to be installed goes back to @pa. A
 * @pa that runs short is a caller bug: -ENOMEM, the table as it was, and a
 * WARN unless IOPGTABLE_QUIRK_NO_WARN.
 *
 * Context: Any context: never allocates, never maps for DMA, never sleeps.
 * Calls on overlapping ranges, and calls with the same @pa, must be
 * serialised by the caller.
 * Return: 0 on success. -EINVAL for a NULL @pa, a @size of 0, @iova,
 * @paddr or @size not aligned to the smallest provided page size, or a
 * @prot with neither READ nor WRITE; -ERANGE if the range passes the input
 * or output address size; -EEXIST if part of it is already mapped; -ENOMEM
 * if @pa ran short.
 */
int iopgtable_map_prealloc(struct iopgtable_ops *ops, u64 iova,
			   phys_addr_t paddr, size_t size, int prot,
			   struct iopgtable_prealloc *pa)
{
	struct iopgtable *iop = to_iopgtable(ops);
	struct iopgtable_inflight call;
	u64 mapped = 0;
	int ret;

	if (!pa)
		return -EINVAL;
	ret = iopgtable_check_run(iop, iova, paddr, size, prot);
	if (ret)
		return ret;

	iopgtable_inflight_begin(iop, &call, IOPGTABLE_ACCESS_WRITE, iova, size);
	ret = iopgtable_map_run(iop, iova, paddr, size, prot, 0, pa, &mapped);
	if (ret)
		iopgtable_undo(iop, iova, mapped);
	iopgtable_inflight_end(iop, &call);
	return ret;
}
EXPORT_SYMBOL_GPL(iopgtable_map_prealloc);

/**
 * iopgtable_map_sgtable_prealloc() - map an sg_table with reserved tables
 * @ops: the table.
 * @iova: where the mapping starts.
 * @sgt: the DMA-mapped scatter-gather table.
 * @offset: bytes of @sgt's DMA segments to skip.
 * @size: bytes to map.
 * @prot: IOPGTABLE_* protection flags; READ or WRITE at least.
 * @pa: the reservation every new table is taken from, filled beforehand
 *	with iopgtable_prealloc_map_sgtable() for the same arguments, or with
 *	iopgtable_prealloc_map() for the range.
 *
 * iopgtable_map_sgtable() without allocating: all or nothing, in the same
 * page sizes. A @pa that runs short is a caller bug: -ENOMEM, the table as
 * it was, and a WARN unless IOPGTABLE_QUIRK_NO_WARN.
 *
 * Context: Any context: never allocates, never maps for DMA, never sleeps.
 * Calls on overlapping ranges, and calls with the same @pa, must be
 * serialised by the caller.
 * Return: 0 on success. -EINVAL for a NULL @pa, a @size of 0, an @offset +
 * @size beyond the table's DMA length, a piece whose address or length is
 * not aligned to the smallest provided page size, or a @prot with neither
 * READ nor WRITE; -ERANGE and -EEXIST as for iopgtable_map(); -ENOMEM if
 * @pa ran short.
 */
int iopgtable_map_sgtable_prealloc(struct iopgtable_ops *ops, u64 iova,
				   struct sg_table *sgt, u64 offset,
				   size_t size, int prot,
				   struct iopgtable_prealloc *pa)
{
	struct iopgtable_sg_map m __uninitialized;

	if (!pa)
		return -EINVAL;
	iopgtable_sg_map_init(&m, to_iopgtable(ops), prot, 0, pa);
	return iopgtable_map_sg(to_iopgtable(ops), iova, sgt, offset, size,
				&m);
}
EXPORT_SYMBOL_GPL(iopgtable_map_sgtable_prealloc);

/*
 * Split the blocks crossing either end of [iova, iova + size), a checked
 * range: 0 or -ENOMEM.
 */
static int iopgtable_split_ends(struct iopgtable *iop, u64 iova, u64 size,
				struct iopgtable_prealloc *pa)
{
	gfp_t gfp = pa ? 0 : GFP_KERNEL;
	int ret;

	ret = iop->format->split(iop, iova, gfp, pa);
	/* Nothing crosses the end of the input range. */
	if (ret || iova + size - 1 == iop->iova_last)
		return ret;
	return iop->format->split(iop, iova + size, gfp, pa);
}

/*
 * Record iopgtable_unmap_split() of [iova, iova + size) in flight. Its
 * splits change no translation outside the range, and concurrent splits of
 * one block are settled by compare-and-exchange, unless they break before
 * make: then the blocks crossing the ends translate nothing for a moment,
 * and their whole spans (at most the largest block's) are the call's.
 */
static void iopgtable_unmap_split_begin(struct iopgtable *iop,
					struct iopgtable_inflight *call,
					u64 iova, u64 size)
{
	u64 blocks = iop->table_spans & iop->cfg.pgsize_bitmap;
	u64 last = iova + size - 1;

	if (iop->cfg.split_bbm && blocks) {
		u64 mask = BIT_ULL(fls64(blocks) - 1) - 1;

		iova &= ~mask;
		last |= mask;
	}
	iopgtable_inflight_begin(iop, call, IOPGTABLE_ACCESS_WRITE, iova,
				 last - iova + 1);
}

/**
 * iopgtable_unmap_split() - unmap a range, splitting blocks across its ends
 * @ops: the table.
 * @iova: where the range starts.
 * @size: bytes to unmap.
 * @pa: the reservation split tables are taken from, filled beforehand with
 *	iopgtable_prealloc_unmap(), iopgtable_prealloc_map() or
 *	iopgtable_prealloc_map_sgtable() for the range; NULL to allocate them
 *	with GFP_KERNEL.
 * @gather: extended over what was unmapped, may be NULL.
 *
 * iopgtable_unmap(), except that a block crossing @iova or @iova + @size is
 * split first: its entry is replaced, in one 64-bit store, by a table entry
 * whose new table maps the same output addresses with the same attributes
 * one level down, repeated until the end is aligned to an entry, with the
 * entries io-pgtable-arm writes when it splits a block on unmap. The
 * addresses outside the range translate the same before, during and after
 * the call. With @cfg->split_bbm each split breaks before make instead:
 * the new table is written, the block's entry cleared and
 * @cfg->tlb->tlb_flush_walk called over its span, then the table entry
 * installed; the block's span translates nothing in between, so calls in
 * it, disjoint or not, are the caller's to serialise. Both ends are split
 * before anything is unmapped: if a split cannot get a table, nothing is
 * unmapped (a split already made stays; it changes no translation). A
 * @pa that runs short is a caller bug, reported with a WARN unless
 * IOPGTABLE_QUIRK_NO_WARN. Holes and the other violations of the unmap
 * contract are treated as by iopgtable_unmap().
 *
 * Context: With @pa, any context: never allocates, never maps for DMA,
 * never sleeps. With @pa NULL, process context: sleeps. Calls on
 * overlapping ranges, and calls with the same @pa, must be serialised by
 * the caller.
 * Return: the bytes unmapped from @iova on; 0 if a split could not get a
 * table, and for bad arguments (@size 0 or not aligned to the smallest
 * provided page size, a misaligned or out-of-range @iova).
 */
size_t iopgtable_unmap_split(struct iopgtable_ops *ops, u64 iova, size_t size,
			     struct iopgtable_prealloc *pa,
			     struct iopgtable_gather *gather)
{
	struct iopgtable *iop = to_iopgtable(ops);
	unsigned int held = pa ? pa->count : 0;
	size_t min = iopgtable_min_pgsize(iop);
	struct iopgtable_inflight call;
	size_t unmapped = 0;
	int ret = -EINVAL;

	if (size && !((iova | size) & (min - 1)) &&
	    iopgtable_iova_ok(iop, iova, size)) {
		iopgtable_unmap_split_begin(iop, &call, iova, size);
		ret = iopgtable_split_ends(iop, iova, size, pa);
		if (!ret)
			unmapped = iopgtable_unmap_checked(iop, iova, size,
							   gather);
		iopgtable_inflight_end(iop, &call);
	}
	trace_iopgtable_unmap_split(ops, iova, size, pa,
				    pa ? held - pa->count : 0, ret, unmapped,
				    ret == -EINVAL ||
				    (!ret && unmapped != size));
	return unmapped;
}
EXPORT_SYMBOL_GPL(iopgtable_unmap_split);

static int __init iopgtable_module_init(void)
{
	int ret = iopgtable_lpae_init();

	if (ret)
		return ret;
	iopgtable_debugfs_init();
	return 0;
}

static void __exit iopgtable_module_exit(void)
{
	iopgtable_debugfs_exit();
	iopgtable_lpae_exit();
}

module_init(iopgtable_module_init);
module_exit(iopgtable_module_exit);

MODULE_DESCRIPTION("Page tables for GPU MMUs in the ARM LPAE formats");
MODULE_LICENSE("GPL");
