/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iopgtable: page tables for GPU MMUs that walk the ARM LPAE formats.
 *
 * See Documentation/iopgtable.rst for the contract these declarations carry.
 */
#ifndef _LINUX_IOPGTABLE_H
#define _LINUX_IOPGTABLE_H

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/types.h>

struct dentry;
struct device;
struct mutex;
struct seq_file;
struct sg_table;

/**
 * enum iopgtable_fmt - page-table formats iopgtable can build
 * @IOPGTABLE_ARM_64_LPAE_S1: AArch64 VMSAv8-64 stage 1 (Panthor, Tyr).
 * @IOPGTABLE_ARM_MALI_LPAE: Mali "LPAE" mode of Midgard GPUs (Panfrost).
 * @IOPGTABLE_NUM_FMTS: number of formats; not a format.
 */
enum iopgtable_fmt {
	IOPGTABLE_ARM_64_LPAE_S1,
	IOPGTABLE_ARM_MALI_LPAE,
	IOPGTABLE_NUM_FMTS,
};

/*
 * Protection flags for map_pages() and the range helpers. Their values equal
 * the kernel's IOMMU_* flags, so a driver may pass either.
 */
#define IOPGTABLE_READ		BIT(0)
#define IOPGTABLE_WRITE		BIT(1)
#define IOPGTABLE_CACHE		BIT(2)
#define IOPGTABLE_NOEXEC	BIT(3)
#define IOPGTABLE_MMIO		BIT(4)
#define IOPGTABLE_PRIVILEGED	BIT(5)

/*
 * Quirks, in &struct iopgtable_cfg.quirks. Each has the value of the
 * kernel's IO_PGTABLE_QUIRK_* of the same meaning, so a driver converted from
 * io-pgtable keeps its bits. A quirk the format does not support, and every
 * other bit, makes iopgtable_alloc_ops() fail with -EINVAL.
 *
 * IOPGTABLE_QUIRK_NO_WARN: report -EEXIST from map and contract violations
 *	of unmap through the return value only, without a WARN. All formats.
 * IOPGTABLE_QUIRK_ARM_NS: set NS in leaf entries and NSTABLE in table
 *	entries. ARM_64_LPAE_S1 only.
 * IOPGTABLE_QUIRK_ARM_TTBR1: the table translates the top of the address
 *	space, [2^64 - 2^ias, 2^64), through TTBR1; IOVAs carry their
 *	sign-extended top bits. ARM_64_LPAE_S1 only.
 * IOPGTABLE_QUIRK_ARM_OUTER_WBWA: the non-coherent walker uses outer
 *	write-back write-allocate. ARM_64_LPAE_S1 with coherent_walk == false.
 */
#define IOPGTABLE_QUIRK_ARM_NS		BIT(0)
#define IOPGTABLE_QUIRK_ARM_TTBR1	BIT(5)
#define IOPGTABLE_QUIRK_ARM_OUTER_WBWA	BIT(6)
#define IOPGTABLE_QUIRK_NO_WARN		BIT(9)

/**
 * struct iopgtable_gather - what an unmap removed, for deferred invalidation
 * @start: lowest IOVA unmapped since the gather was initialised.
 * @end: last byte of the highest IOVA range unmapped (inclusive).
 * @pgsize: the largest page size passed to the unmap calls that added to it.
 *
 * Initialise with iopgtable_gather_init(). Unmap calls that are given a
 * gather extend [@start, @end] over what they unmapped; the driver then
 * invalidates that range once. NULL is accepted wherever a gather is taken.
 */
struct iopgtable_gather {
	u64 start;
	u64 end;
	size_t pgsize;
};

/**
 * iopgtable_gather_init() - empty a gather
 * @gather: the gather to initialise.
 */
static inline void iopgtable_gather_init(struct iopgtable_gather *gather)
{
	gather->start = U64_MAX;
	gather->end = 0;
	gather->pgsize = 0;
}

/**
 * struct iopgtable_flush_ops - TLB maintenance callbacks; every member optional
 * @tlb_flush_all: invalidate everything the table may have cached; called by
 *	iopgtable_free_ops() before the tables are freed.
 * @tlb_flush_walk: invalidate walk caches (and leaves) for
 *	[@iova, @iova + @size); called before a table covering that span is
 *	freed, by an unmap or by a map that replaces an empty table with a
 *	block, and once by the range helpers over what they undo on failure.
 *	@size is a u64: a table span passes 4 GiB and size_t may be 32 bits.
 * @tlb_add_page: queue invalidation of one leaf of @granule bytes at @iova;
 *	called for every leaf entry an unmap given a gather clears (the
 *	leaves of a table removed whole get @tlb_flush_walk instead).
 */
struct iopgtable_flush_ops {
	void (*tlb_flush_all)(void *cookie);
	void (*tlb_flush_walk)(u64 iova, u64 size, size_t granule,
			       void *cookie);
	void (*tlb_add_page)(struct iopgtable_gather *gather, u64 iova,
			     size_t granule, void *cookie);
};

/**
 * struct iopgtable_cfg - what the caller asks for, and what it gets back
 * @quirks: IOPGTABLE_QUIRK_* flags.
 * @pgsize_bitmap: in: the page sizes the caller wants; out: the page sizes
 *	the table provides. The granule is chosen as io-pgtable-arm chooses
 *	it: PAGE_SIZE if wanted, else the largest wanted size below it, else
 *	the smallest above it.
 * @ias: input (IOVA) address bits, 32 to 48.
 * @oas: output (physical) address bits: ARM_64_LPAE_S1 one of 32, 36, 40,
 *	42, 44 and 48 (the IPS encodings); ARM_MALI_LPAE 32 to 40.
 * @coherent_walk: true if the walker snoops CPU caches; false makes every
 *	table write visible through the DMA API on @iommu_dev.
 * @split_bbm: split blocks break-before-make (iopgtable_unmap_split()):
 *	clear the block's entry, call @tlb->tlb_flush_walk over its span,
 *	then install the new table. Requires @tlb->tlb_flush_walk. Leave it
 *	false only where the walker is held off the span during updates or
 *	implements FEAT_BBM level 2.
 * @tlb: TLB maintenance callbacks, may be NULL.
 * @iommu_dev: the device that walks the tables (DMA API, NUMA node);
 *	required when @coherent_walk is false.
 * @alloc: optional table allocator: returns @size bytes of zeroed memory,
 *	aligned to @size, in the kernel linear map; NULL on failure.
 * @free: frees what @alloc returned; set both or neither.
 * @arm_lpae_s1: out, ARM_64_LPAE_S1: @ttbr is TTBR0 (or TTBR1), @tcr the
 *	TCR_EL1 fields for that TTBR plus IPS, @mair the MAIR_EL1 value whose
 *	indexes the leaf entries use.
 * @arm_mali_lpae: out, ARM_MALI_LPAE: @transtab for AS_TRANSTAB, @memattr
 *	for AS_MEMATTR.
 */
struct iopgtable_cfg {
	unsigned long quirks;
	unsigned long pgsize_bitmap;
	unsigned int ias, oas;
	bool coherent_walk;
	bool split_bbm;
	const struct iopgtable_flush_ops *tlb;
	struct device *iommu_dev;
	void *(*alloc)(void *cookie, size_t size, gfp_t gfp);
	void (*free)(void *cookie, void *pages, size_t size);
	union {
		struct {
			u64 ttbr, tcr, mair;
		} arm_lpae_s1;
		struct {
			u64 transtab, memattr;
		} arm_mali_lpae;
	};
};

/**
 * struct iopgtable_ops - the operations on one page table
 * @map_pages: map @pgcount pages of @pgsize bytes at @iova to @paddr.
 *	Adds the bytes it mapped to *@mapped. Returns 0 or a negative errno;
 *	0 with nothing mapped never happens. After a failure the prefix
 *	[@iova, @iova + *@mapped) is mapped and the rest is as it was.
 * @unmap_pages: unmap the consecutive mappings that cover
 *	[@iova, @iova + @pgsize * @pgcount); returns the bytes unmapped.
 * @iova_to_phys: the physical address @iova translates to, 0 if none.
 *
 * Documentation/iopgtable.rst gives the full contract; the range helpers
 * below are the usual way in.
 */
struct iopgtable_ops {
	int (*map_pages)(struct iopgtable_ops *ops, u64 iova, phys_addr_t paddr,
			 size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
			 size_t *mapped);
	size_t (*unmap_pages)(struct iopgtable_ops *ops, u64 iova,
			      size_t pgsize, size_t pgcount,
			      struct iopgtable_gather *gather);
	phys_addr_t (*iova_to_phys)(struct iopgtable_ops *ops, u64 iova);
};

/**
 * struct iopgtable_prealloc - tables reserved for calls that cannot allocate
 * @head: the first table held, each ready for the walker; the first entry
 *	of each links the next one until a running call takes it.
 * @count: how many tables it holds.
 * @ops: the page table the tables held were reserved for.
 * @added: the tables the iopgtable_prealloc_*() calls added since
 *	iopgtable_prealloc_init() or the last iopgtable_prealloc_release(),
 *	for the trace event of the release: those not held were taken.
 *
 * Initialise with iopgtable_prealloc_init(), fill with the
 * iopgtable_prealloc_*() calls, run the updates that take from it, then
 * free what is left with iopgtable_prealloc_release(). The fields are the
 * library's. One caller at a time: calls that use the same reservation are
 * the caller's to serialise.
 */
struct iopgtable_prealloc {
	void *head;
	unsigned int count;
	struct iopgtable_ops *ops;
	u64 added;
};

struct iopgtable_ops *iopgtable_alloc_ops(enum iopgtable_fmt fmt,
					  struct iopgtable_cfg *cfg,
					  void *cookie);
void iopgtable_free_ops(struct iopgtable_ops *ops);

int iopgtable_map(struct iopgtable_ops *ops, u64 iova, phys_addr_t paddr,
		  size_t size, int prot, gfp_t gfp);
size_t iopgtable_unmap(struct iopgtable_ops *ops, u64 iova, size_t size,
		       struct iopgtable_gather *gather);
int iopgtable_map_sgtable(struct iopgtable_ops *ops, u64 iova,
			  struct sg_table *sgt, u64 offset, size_t size,
			  int prot, gfp_t gfp);

void iopgtable_prealloc_init(struct iopgtable_prealloc *pa);
int iopgtable_prealloc_map(struct iopgtable_ops *ops,
			   struct iopgtable_prealloc *pa, u64 iova, u64 size,
			   gfp_t gfp);
int iopgtable_prealloc_map_sgtable(struct iopgtable_ops *ops,
				   struct iopgtable_prealloc *pa, u64 iova,
				   struct sg_table *sgt, u64 offset, u64 size,
				   gfp_t gfp);
int iopgtable_prealloc_unmap(struct iopgtable_ops *ops,
			     struct iopgtable_prealloc *pa, u64 iova, u64 size,
			     gfp_t gfp);
unsigned int iopgtable_prealloc_count(const struct iopgtable_prealloc *pa);
void iopgtable_prealloc_release(struct iopgtable_ops *ops,
				struct iopgtable_prealloc *pa);

int iopgtable_map_prealloc(struct iopgtable_ops *ops, u64 iova,
			   phys_addr_t paddr, size_t size, int prot,
			   struct iopgtable_prealloc *pa);
int iopgtable_map_sgtable_prealloc(struct iopgtable_ops *ops, u64 iova,
				   struct sg_table *sgt, u64 offset,
				   size_t size, int prot,
				   struct iopgtable_prealloc *pa);
size_t iopgtable_unmap_split(struct iopgtable_ops *ops, u64 iova, size_t size,
			     struct iopgtable_prealloc *pa,
			     struct iopgtable_gather *gather);
/**
 * struct iopgtable_walk - the entries read on the way to one IOVA
 * @start_level: the level of @ptes[0], the root's.
 * @nr: entries read, root first: @ptes[@nr - 1] is a leaf or an invalid
 *	entry.
 * @ptes: the raw entries, as the hardware reads them.
 */
struct iopgtable_walk {
	unsigned int start_level;
	unsigned int nr;
	u64 ptes[4];
};

int iopgtable_walk(struct iopgtable_ops *ops, u64 iova,
		   struct iopgtable_walk *walk);
int iopgtable_walk_print(struct iopgtable_ops *ops, u64 iova,
			 struct seq_file *m, const char *prefix);
void iopgtable_dump(struct iopgtable_ops *ops, struct seq_file *m);
void iopgtable_debugfs_add(struct iopgtable_ops *ops, const char *name,
			   struct dentry *parent, struct mutex *lock);

#endif /* _LINUX_IOPGTABLE_H */
