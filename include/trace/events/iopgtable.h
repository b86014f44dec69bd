/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of iopgtable: every map_pages and unmap_pages call with its
 * outcome, every iopgtable_unmap_split() with what its splits took, every
 * reservation prepared and released, and every table allocated or freed.
 *
 * No TRACE_INCLUDE_PATH: Kbuild puts this folder's include/ on the include
 * path, in a kernel tree and out of tree alike, so define_trace.h finds
 * this header as <trace/events/iopgtable.h>, as it finds the kernel's own.
 * CREATE_TRACE_POINTS is defined by io-pgtable-core.c only. Include
 * "iopgtable-internal.h" first: the events name its enums.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iopgtable

#if !defined(_TRACE_IOPGTABLE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_IOPGTABLE_H

#include <linux/tracepoint.h>
#include <linux/types.h>

/* Exported to user space, so that trace-cmd and perf print the names. */
TRACE_DEFINE_ENUM(IOPGTABLE_PREALLOC_MAP);
TRACE_DEFINE_ENUM(IOPGTABLE_PREALLOC_MAP_SGTABLE);
TRACE_DEFINE_ENUM(IOPGTABLE_PREALLOC_UNMAP);
TRACE_DEFINE_ENUM(IOPGTABLE_VIOLATION_MAP_OVER_BLOCK);
TRACE_DEFINE_ENUM(IOPGTABLE_VIOLATION_MAP_OVER_MAPPING);
TRACE_DEFINE_ENUM(IOPGTABLE_VIOLATION_UNMAP_HOLE);
TRACE_DEFINE_ENUM(IOPGTABLE_VIOLATION_UNMAP_SPLIT);
TRACE_DEFINE_ENUM(IOPGTABLE_VIOLATION_UNMAP_BAD_ENTRY);
TRACE_DEFINE_ENUM(IOPGTABLE_VIOLATION_PREALLOC_SHORT);
TRACE_DEFINE_ENUM(IOPGTABLE_VIOLATION_PREALLOC_OTHER);
TRACE_DEFINE_ENUM(IOPGTABLE_VIOLATION_OVERLAP);

/*
 * @ops is the &struct iopgtable_ops the driver holds, printed hashed as
 * drivers print it with %p: it names the table, not memory to read.
 */
TRACE_EVENT(iopgtable_map,
	    TP_PROTO(const void *ops, u64 iova, u64 paddr, size_t pgsize,
		     size_t pgcount, int prot, int ret, size_t mapped),
	    TP_ARGS(ops, iova, paddr, pgsize, pgcount, prot, ret, mapped),
	    TP_STRUCT__entry(__field(const void *, ops)
			     __field(u64, iova)
			     __field(u64, paddr)
			     __field(size_t, pgsize)
			     __field(size_t, pgcount)
			     __field(int, prot)
			     __field(int, ret)
			     __field(size_t, mapped)),
	    TP_fast_assign(__entry->ops = ops;
			   __entry->iova = iova;
			   __entry->paddr = paddr;
			   __entry->pgsize = pgsize;
			   __entry->pgcount = pgcount;
			   __entry->prot = prot;
			   __entry->ret = ret;
			   __entry->mapped = mapped;),
	    TP_printk("ops=%p iova=%#llx paddr=%#llx pgsize=%#zx pgcount=%zu prot=%#x ret=%d mapped=%#zx",
		      __entry->ops, __entry->iova, __entry->paddr,
		      __entry->pgsize, __entry->pgcount, __entry->prot,
		      __entry->ret, __entry->mapped)
);

/*
 * @broken: the call unmapped less than pgsize * pgcount: its arguments were
 * bad, or the range broke the unmap rule (a hole, a block crossing an end).
 */
TRACE_EVENT(iopgtable_unmap,
	    TP_PROTO(const void *ops, u64 iova, size_t pgsize, size_t pgcount,
		     size_t unmapped, bool broken),
	    TP_ARGS(ops, iova, pgsize, pgcount, unmapped, broken),
	    TP_STRUCT__entry(__field(const void *, ops)
			     __field(u64, iova)
			     __field(size_t, pgsize)
			     __field(size_t, pgcount)
			     __field(size_t, unmapped)
			     __field(bool, broken)),
	    TP_fast_assign(__entry->ops = ops;
			   __entry->iova = iova;
			   __entry->pgsize = pgsize;
			   __entry->pgcount = pgcount;
			   __entry->unmapped = unmapped;
			   __entry->broken = broken;),
	    TP_printk("ops=%p iova=%#llx pgsize=%#zx pgcount=%zu unmapped=%#zx%s",
		      __entry->ops, __entry->iova, __entry->pgsize,
		      __entry->pgcount, __entry->unmapped,
		      __entry->broken ? " broken" : "")
);

/*
 * An iopgtable_unmap_split() call, after the iopgtable_unmap event of the
 * unmap it made, if it made one.
 * @size: the bytes asked for.
 * @pa: the reservation given, NULL for none.
 * @split_tables: tables the splits took from @pa and installed (a table
 *	that lost the race to be installed went back and is not counted); 0
 *	when @pa is NULL: the tables allocated then are iopgtable_table_alloc
 *	events, with their level, just before.
 * @ret: 0; -EINVAL for bad arguments; -ENOMEM when a split could not get
 *	a table, and nothing was unmapped.
 * @unmapped: the bytes unmapped, what the call returned.
 * @broken: the caller broke the contract: bad arguments (-EINVAL), or a
 *	range that breaks the unmap rule (a hole), so that less than @size
 *	was unmapped; not for -ENOMEM.
 */
TRACE_EVENT(iopgtable_unmap_split,
	    TP_PROTO(const void *ops, u64 iova, size_t size, const void *pa,
		     unsigned int split_tables, int ret, size_t unmapped,
		     bool broken),
	    TP_ARGS(ops, iova, size, pa, split_tables, ret, unmapped, broken),
	    TP_STRUCT__entry(__field(const void *, ops)
			     __field(u64, iova)
			     __field(size_t, size)
			     __field(const void *, pa)
			     __field(unsigned int, split_tables)
			     __field(int, ret)
			     __field(size_t, unmapped)
			     __field(bool, broken)),
	    TP_fast_assign(__entry->ops = ops;
			   __entry->iova = iova;
			   __entry->size = size;
			   __entry->pa = pa;
			   __entry->split_tables = split_tables;
			   __entry->ret = ret;
			   __entry->unmapped = unmapped;
			   __entry->broken = broken;),
	    TP_printk("ops=%p iova=%#llx size=%#zx pa=%p split_tables=%u ret=%d unmapped=%#zx%s",
		      __entry->ops, __entry->iova, __entry->size, __entry->pa,
		      __entry->split_tables, __entry->ret, __entry->unmapped,
		      __entry->broken ? " broken" : "")
);

/*
 * An iopgtable_prealloc_map(), iopgtable_prealloc_map_sgtable() or
 * iopgtable_prealloc_unmap() call (@call) on the reservation @pa, for
 * [@iova, @iova + @size), after its iopgtable_table_alloc events.
 * @added: the tables it added (0 unless @ret is 0: all or nothing).
 * @held: the tables @pa holds now, as iopgtable_prealloc_count() says.
 * @ret: what the call returned.
 */
TRACE_EVENT(iopgtable_prealloc_prepare,
	    TP_PROTO(const void *ops, const void *pa, int call, u64 iova,
		     u64 size, unsigned int added, unsigned int held, int ret),
	    TP_ARGS(ops, pa, call, iova, size, added, held, ret),
	    TP_STRUCT__entry(__field(const void *, ops)
			     __field(const void *, pa)
			     __field(int, call)
			     __field(u64, iova)
			     __field(u64, size)
			     __field(unsigned int, added)
			     __field(unsigned int, held)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ops = ops;
			   __entry->pa = pa;
			   __entry->call = call;
			   __entry->iova = iova;
			   __entry->size = size;
			   __entry->added = added;
			   __entry->held = held;
			   __entry->ret = ret;),
	    TP_printk("ops=%p pa=%p call=%s iova=%#llx size=%#llx added=%u held=%u ret=%d",
		      __entry->ops, __entry->pa,
		      __print_symbolic(__entry->call,
				       { IOPGTABLE_PREALLOC_MAP, "map" },
				       { IOPGTABLE_PREALLOC_MAP_SGTABLE,
					 "map_sgtable" },
				       { IOPGTABLE_PREALLOC_UNMAP, "unmap" }),
		      __entry->iova, __entry->size, __entry->added,
		      __entry->held, __entry->ret)
);

/*
 * An iopgtable_prealloc_release() of @pa, before the iopgtable_table_free
 * events (at level 4) of the tables it frees.
 * @unused: the tables given back unused, freed now.
 * @taken: the tables the running calls took from @pa and kept since it
 *	was initialised or last released.
 */
TRACE_EVENT(iopgtable_prealloc_release,
	    TP_PROTO(const void *ops, const void *pa, unsigned int unused,
		     u64 taken),
	    TP_ARGS(ops, pa, unused, taken),
	    TP_STRUCT__entry(__field(const void *, ops)
			     __field(const void *, pa)
			     __field(unsigned int, unused)
			     __field(u64, taken)),
	    TP_fast_assign(__entry->ops = ops;
			   __entry->pa = pa;
			   __entry->unused = unused;
			   __entry->taken = taken;),
	    TP_printk("ops=%p pa=%p unused=%u taken=%llu",
		      __entry->ops, __entry->pa, __entry->unused,
		      __entry->taken)
);

/*
 * A contract violation by the caller at @iova: @what is an
 * enum iopgtable_violation. @warned: the library WARNed about it too (not
 * with IOPGTABLE_QUIRK_NO_WARN, nor past the rate limit).
 */
TRACE_EVENT(iopgtable_violation,
	    TP_PROTO(const void *ops, int what, u64 iova, bool warned),
	    TP_ARGS(ops, what, iova, warned),
	    TP_STRUCT__entry(__field(const void *, ops)
			     __field(int, what)
			     __field(u64, iova)
			     __field(bool, warned)),
	    TP_fast_assign(__entry->ops = ops;
			   __entry->what = what;
			   __entry->iova = iova;
			   __entry->warned = warned;),
	    TP_printk("ops=%p what=%s iova=%#llx%s", __entry->ops,
		      __print_symbolic(__entry->what,
				       { IOPGTABLE_VIOLATION_MAP_OVER_BLOCK,
					 "map_over_block" },
				       { IOPGTABLE_VIOLATION_MAP_OVER_MAPPING,
					 "map_over_mapping" },
				       { IOPGTABLE_VIOLATION_UNMAP_HOLE,
					 "unmap_hole" },
				       { IOPGTABLE_VIOLATION_UNMAP_SPLIT,
					 "unmap_split" },
				       { IOPGTABLE_VIOLATION_UNMAP_BAD_ENTRY,
					 "unmap_bad_entry" },
				       { IOPGTABLE_VIOLATION_PREALLOC_SHORT,
					 "prealloc_short" },
				       { IOPGTABLE_VIOLATION_PREALLOC_OTHER,
					 "prealloc_other" },
				       { IOPGTABLE_VIOLATION_OVERLAP,
					 "overlap" }),
		      __entry->iova, __entry->warned ? " warned" : "")
);

/*
 * For a non-coherent walker: @size bytes of table from @paddr on were made
 * visible to the walker (a DMA sync, or the DMA mapping of a new table).
 */
TRACE_EVENT(iopgtable_dma_sync,
	    TP_PROTO(const void *ops, u64 paddr, size_t size),
	    TP_ARGS(ops, paddr, size),
	    TP_STRUCT__entry(__field(const void *, ops)
			     __field(u64, paddr)
			     __field(size_t, size)),
	    TP_fast_assign(__entry->ops = ops;
			   __entry->paddr = paddr;
			   __entry->size = size;),
	    TP_printk("ops=%p paddr=%#llx size=%#zx", __entry->ops,
		      __entry->paddr, __entry->size)
);

DECLARE_EVENT_CLASS(iopgtable_table,
		    TP_PROTO(const void *ops, unsigned int level, u64 paddr,
			     size_t size),
		    TP_ARGS(ops, level, paddr, size),
		    TP_STRUCT__entry(__field(const void *, ops)
				     __field(unsigned int, level)
				     __field(u64, paddr)
				     __field(size_t, size)),
		    TP_fast_assign(__entry->ops = ops;
				   __entry->level = level;
				   __entry->paddr = paddr;
				   __entry->size = size;),
		    TP_printk("ops=%p level=%u table=%#llx size=%#zx",
			      __entry->ops, __entry->level, __entry->paddr,
			      __entry->size)
);

/*
 * A table (the root included) was allocated for @level; a table reserved
 * for a later call, whose level is not known yet, is traced at level 4.
 */
DEFINE_EVENT(iopgtable_table, iopgtable_table_alloc,
	     TP_PROTO(const void *ops, unsigned int level, u64 paddr,
		      size_t size),
	     TP_ARGS(ops, level, paddr, size)
);

/* A table at @level was freed (4: a reserved table never used). */
DEFINE_EVENT(iopgtable_table, iopgtable_table_free,
	     TP_PROTO(const void *ops, unsigned int level, u64 paddr,
		      size_t size),
	     TP_ARGS(ops, level, paddr, size)
);

#endif /* _TRACE_IOPGTABLE_H */

/* This part must be outside the multi-read protection. */
#include <trace/define_trace.h>
