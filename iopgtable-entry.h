/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The entry points of map_pages and unmap_pages: the contract's checks and
 * the tracepoints, before and after a format's map or unmap.
 *
 * The core's ops call the format through &struct iopgtable_format. A format
 * may also hand out entry points of its own, instantiated from the inline
 * functions here with its map and unmap: the same checks, the same
 * tracepoints and the same results, with the format's code inlined and one
 * indirect call and one stack frame fewer on every call. Include
 * <trace/events/iopgtable.h> first.
 */
#ifndef _IOPGTABLE_ENTRY_H
#define _IOPGTABLE_ENTRY_H

#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/overflow.h>

#include "iopgtable-internal.h"

typedef int (*iopgtable_map_fn)(struct iopgtable *iop, u64 iova,
				phys_addr_t paddr, unsigned int pgsize_lg2,
				size_t pgcount, int prot, gfp_t gfp,
				struct iopgtable_prealloc *pa, size_t *mapped);
typedef u64 (*iopgtable_unmap_fn)(struct iopgtable *iop, u64 iova, u64 size,
				  struct iopgtable_gather *gather);

/* Both of a provided page size and a power of two. */
static inline bool iopgtable_pgsize_ok(const struct iopgtable *iop,
				       size_t pgsize)
{
	return is_power_of_2(pgsize) && (pgsize & iop->cfg.pgsize_bitmap);
}

static inline size_t iopgtable_min_pgsize(const struct iopgtable *iop)
{
	return 1UL << __ffs(iop->cfg.pgsize_bitmap);
}

/* [iova, iova + size) lies in the input range; @size is not 0. */
static inline bool iopgtable_iova_ok(const struct iopgtable *iop, u64 iova,
				     u64 size)
{
	return iova >= iop->iova_first && iova <= iop->iova_last &&
	       size - 1 <= iop->iova_last - iova;
}

/*
 * -ERANGE unless [iova, iova + size) lies in the input range and
 * [paddr, paddr + size) in the output range. @size is not 0.
 */
static inline int iopgtable_check_range(const struct iopgtable *iop,
					u64 iova, u64 paddr, u64 size)
{
	if (!iopgtable_iova_ok(iop, iova, size) ||
	    paddr > iop->phys_last || size - 1 > iop->phys_last - paddr)
		return -ERANGE;
	return 0;
}

/*
 * The bytes of @pgcount pages of @pgsize, in *@size; false when they do
 * not fit in a size_t, which reports them (32-bit kernels: a 2M page size
 * and a count of 2048 make 4 GiB, which *mapped could not say).
 */
static inline bool iopgtable_pages_size(size_t pgsize, size_t pgcount,
					u64 *size)
{
	size_t bytes;

	if (check_mul_overflow(pgsize, pgcount, &bytes))
		return false;
	*size = bytes;
	return true;
}

static inline bool iopgtable_prot_ok(int prot)
{
	return prot & (IOPGTABLE_READ | IOPGTABLE_WRITE);
}

/*
 * map_pages of arguments the caller has checked against the contract: @map
 * (the format's) with new tables from @pa when set, else allocated with
 * @gfp; traced.
 */
static __always_inline int
iopgtable_map_pages_checked(struct iopgtable *iop, u64 iova,
			    phys_addr_t paddr, size_t pgsize, size_t pgcount,
			    int prot, gfp_t gfp, struct iopgtable_prealloc *pa,
			    size_t *mapped, iopgtable_map_fn map)
{
	size_t before = 0;
	int ret;

	if (trace_iopgtable_map_enabled())
		before = *mapped;
	ret = map(iop, iova, paddr, __ffs(pgsize), pgcount, prot, gfp, pa,
		  mapped);
	trace_iopgtable_map(&iop->ops, iova, paddr, pgsize, pgcount, prot, ret,
			    *mapped - before);
	return ret;
}

/* map_pages: the contract's checks, then as iopgtable_map_pages_checked(). */
static __always_inline int
iopgtable_map_pages_with(struct iopgtable *iop, u64 iova, phys_addr_t paddr,
			 size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
			 struct iopgtable_prealloc *pa, size_t *mapped,
			 iopgtable_map_fn map)
{
	struct iopgtable_inflight call;
	u64 size;
	int ret;

	if (!pgcount || !iopgtable_pgsize_ok(iop, pgsize) ||
	    ((iova | paddr) & (pgsize - 1)) || !iopgtable_prot_ok(prot))
		ret = -EINVAL;
	else if (!iopgtable_pages_size(pgsize, pgcount, &size))
		ret = -ERANGE;
	else
		ret = iopgtable_check_range(iop, iova, paddr, size);
	if (ret) {
		trace_iopgtable_map(&iop->ops, iova, paddr, pgsize, pgcount,
				    prot, ret, 0);
		return ret;
	}
	iopgtable_inflight_begin(iop, &call, IOPGTABLE_ACCESS_WRITE, iova, size);
	ret = iopgtable_map_pages_checked(iop, iova, paddr, pgsize, pgcount,
					  prot, gfp, pa, mapped, map);
	iopgtable_inflight_end(iop, &call);
	return ret;
}

/*
 * unmap_pages of arguments the caller has checked against the contract,
 * @size being @pgsize * @pgcount: @unmap (the format's), traced, and
 * @gather extended over what it unmapped.
 */
static __always_inline size_t
iopgtable_unmap_pages_checked(struct iopgtable *iop, u64 iova, size_t pgsize,
			      size_t pgcount, u64 size,
			      struct iopgtable_gather *gather,
			      iopgtable_unmap_fn unmap)
{
	u64 done = unmap(iop, iova, size, gather);

	trace_iopgtable_unmap(&iop->ops, iova, pgsize, pgcount, done,
			      done != size);
	if (gather && done) {
		gather->start = min(gather->start, iova);
		gather->end = max(gather->end, iova + done - 1);
		gather->pgsize = max(gather->pgsize, pgsize);
	}
	return done;
}

/* unmap_pages: the contract's checks, then as iopgtable_unmap_pages_checked(). */
static __always_inline size_t
iopgtable_unmap_pages_with(struct iopgtable *iop, u64 iova, size_t pgsize,
			   size_t pgcount, struct iopgtable_gather *gather,
			   iopgtable_unmap_fn unmap)
{
	struct iopgtable_inflight call;
	u64 size;
	size_t done;

	if (!pgcount || !iopgtable_pgsize_ok(iop, pgsize) ||
	    (iova & (pgsize - 1)) ||
	    !iopgtable_pages_size(pgsize, pgcount, &size) ||
	    !iopgtable_iova_ok(iop, iova, size)) {
		trace_iopgtable_unmap(&iop->ops, iova, pgsize, pgcount, 0, true);
		return 0;
	}
	iopgtable_inflight_begin(iop, &call, IOPGTABLE_ACCESS_WRITE, iova, size);
	done = iopgtable_unmap_pages_checked(iop, iova, pgsize, pgcount, size,
					     gather, unmap);
	iopgtable_inflight_end(iop, &call);
	return done;
}

#endif /* _IOPGTABLE_ENTRY_H */
