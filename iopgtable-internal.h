/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iopgtable internals shared by the core, the formats and the KUnit suites.
 * Nothing here is part of the public interface.
 */
#ifndef _IOPGTABLE_INTERNAL_H
#define _IOPGTABLE_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/container_of.h>
#include <linux/iopgtable.h>
#include <linux/kernel.h>
#include <linux/ratelimit_types.h>
#include <linux/sizes.h>

struct iopgtable;

/* Levels of the deepest walk: the size of &iopgtable_walk.ptes. */
#define IOPGTABLE_MAX_LEVELS	4

/*
 * The spare tables a page table keeps: at most 64 KiB of them, at most 16.
 * A bind of a few blocks reserves two or three tables and, where the
 * tables are there already, gives them all back: the next one takes them
 * again instead of allocating and zeroing pages.
 */
#define IOPGTABLE_SPARE_BYTES	SZ_64K
#define IOPGTABLE_SPARE_MAX	16

/**
 * struct iopgtable_leaf - one leaf entry, as the dump sees it
 * @iova: the first IOVA it maps.
 * @paddr: the output address.
 * @attrs: every bit of the entry but the output address; leaves coalesce
 *	in the dump only when these are equal.
 * @size_lg2: log2 of the bytes it maps.
 * @prot: the IOPGTABLE_* flags @attrs encode.
 * @type: what the format calls it ("page", "block").
 */
struct iopgtable_leaf {
	u64 iova;
	u64 paddr;
	u64 attrs;
	unsigned int size_lg2;
	int prot;
	const char *type;
};

/**
 * struct iopgtable_visitor - what &iopgtable_format.visit reports to
 * @leaf: called on every leaf, in IOVA order.
 * @tables: per level, the tables found there; the format adds to it.
 */
struct iopgtable_visitor {
	void (*leaf)(struct iopgtable_visitor *v,
		     const struct iopgtable_leaf *leaf);
	unsigned long tables[IOPGTABLE_MAX_LEVELS];
};

/**
 * struct iopgtable_format - what a format plugs into the core
 * @quirks: the IOPGTABLE_QUIRK_* flags the format accepts.
 * @alloc: check the parts of @cfg the core does not (ias, oas, sizes),
 *	allocate the format's table struct embedding &struct iopgtable, call
 *	iopgtable_init() on it, allocate the root table and write the provided
 *	page sizes and the register values into its &iopgtable.cfg. Returns
 *	the &struct iopgtable or an ERR_PTR().
 * @free: free every table and the struct @alloc returned.
 * @map: map @pgcount pages of 2^@pgsize_lg2 bytes. The core has checked
 *	every argument against the contract; the format reports -ENOMEM and
 *	-EEXIST, adding what it mapped to *@mapped. New tables come from @pa
 *	with iopgtable_prealloc_take() when @pa is set (a table that loses
 *	the race to be installed goes back with iopgtable_prealloc_put()),
 *	else from the allocator with @gfp.
 * @map_list: optional: map @n pages of the smallest provided size at
 *	consecutive IOVAs from @iova, page i at @paddrs[i]; as @n calls of
 *	@map of one page each, one after the other, would (stopping at the
 *	first that fails), with one barrier at the end. The core has checked
 *	every page.
 * @unmap: unmap @size bytes of consecutive mappings at @iova, both aligned
 *	to a provided page size and in range; returns the bytes unmapped.
 * @iova_to_phys: translate an in-range @iova.
 * @split: make an in-range @iova, aligned to the smallest provided page
 *	size, the boundary of an entry: split the block that crosses it into
 *	a table of the same mappings one level down, repeatedly, publishing
 *	each table with one 64-bit store. Tables come from @pa or @gfp as for
 *	@map. 0 when nothing crosses @iova any more, -ENOMEM when a table
 *	could not be had (the splits made stay; they change no translation).
 * @alloc_table: allocate a table for a level below the root, zeroed and,
 *	for a non-coherent walker, mapped for DMA; NULL on failure.
 * @free_table: free a table @alloc_table returned that was never used.
 * @walk: record in @walk the entries read on the way to an in-range @iova,
 *	root first, stopping after a leaf or an invalid entry.
 * @describe: write into @buf (@size bytes) what @pte means at level @lvl in
 *	the format's own terms, on one line without a newline; returns the
 *	characters written, as scnprintf().
 * @visit: call @v->leaf on every leaf, in IOVA order, and count
 *	the tables at each level in @v->tables. Reads entries as
 *	@iova_to_phys does, under no lock.
 * @map_pages: optional: the table's &iopgtable_ops.map_pages, made with
 *	iopgtable_map_pages_with() and @map (iopgtable-entry.h); else the
 *	core's, which calls @map through this struct.
 * @unmap_pages: optional: likewise, with iopgtable_unmap_pages_with().
 */
struct iopgtable_format {
	unsigned long quirks;
	struct iopgtable *(*alloc)(const struct iopgtable_cfg *cfg,
				   void *cookie);
	void (*free)(struct iopgtable *iop);
	int (*map)(struct iopgtable *iop, u64 iova, phys_addr_t paddr,
		   unsigned int pgsize_lg2, size_t pgcount, int prot,
		   gfp_t gfp, struct iopgtable_prealloc *pa, size_t *mapped);
	int (*map_list)(struct iopgtable *iop, u64 iova, const u64 *paddrs,
			size_t n, int prot, gfp_t gfp,
			struct iopgtable_prealloc *pa, size_t *mapped);
	u64 (*unmap)(struct iopgtable *iop, u64 iova, u64 size,
		     struct iopgtable_gather *gather);
	phys_addr_t (*iova_to_phys)(struct iopgtable *iop, u64 iova);
	int (*split)(struct iopgtable *iop, u64 iova, gfp_t gfp,
		     struct iopgtable_prealloc *pa);
	void *(*alloc_table)(struct iopgtable *iop, gfp_t gfp);
	void (*free_table)(struct iopgtable *iop, void *table);
	void (*walk)(struct iopgtable *iop, u64 iova,
		     struct iopgtable_walk *walk);
	int (*describe)(struct iopgtable *iop, unsigned int lvl, u64 pte,
			char *buf, size_t size);
	void (*visit)(struct iopgtable *iop, struct iopgtable_visitor *v);
	int (*map_pages)(struct iopgtable_ops *ops, u64 iova,
			 phys_addr_t paddr, size_t pgsize, size_t pgcount,
			 int prot, gfp_t gfp, size_t *mapped);
	size_t (*unmap_pages)(struct iopgtable_ops *ops, u64 iova,
			      size_t pgsize, size_t pgcount,
			      struct iopgtable_gather *gather);
};

/* The most levels below the root a format may have. */
#define IOPGTABLE_MAX_TABLE_LEVELS	4

/**
 * struct iopgtable - one page table, as the core sees it
 * @ops: what iopgtable_alloc_ops() hands out.
 * @cfg: the configuration, with the values the format wrote back.
 * @cookie: the caller's cookie for the allocator and TLB callbacks.
 * @format: the format's operations.
 * @fmt: the format's number.
 * @iova_first: the lowest IOVA the table translates.
 * @iova_last: the highest IOVA the table translates.
 * @phys_last: the highest physical address a leaf may point at.
 * @table_spans: bit n set when the tables of a level below the root span
 *	2^n bytes of IOVA each (at most %IOPGTABLE_MAX_TABLE_LEVELS bits);
 *	written by the format's @alloc. A leaf of 2^p bytes needs a table at
 *	each level whose span is above 2^p; splitting a block of 2^n bytes
 *	needs a table that spans 2^n.
 * @violations: contract violations seen (-EEXIST, illegal unmaps), counted
 *	whether or not they WARN; for the tests.
 * @warnings: the WARNs those violations issued; for the tests.
 * @warn_rs: rate limit of those WARNs: ranges may come from userspace, and
 *	with panic_on_warn an unlimited WARN is a denial of service.
 * @dma_syncs: DMA syncs issued for a non-coherent walker; for the tests.
 * @sync_probe: for the tests: when set, called after each DMA sync with
 *	the first byte and the length it made visible.
 * @debugfs: the file iopgtable_debugfs_add() created, or NULL.
 * @spare_lock: bit 0, its only bit, guards @spare and @spares; only ever
 *	tried.
 * @spares: how many tables @spare holds.
 * @spare: tables of the default allocator that reservations gave back
 *	unused, zeroed and ready for the walker, for the next reservation.
 */
struct iopgtable {
	struct iopgtable_ops ops;
	struct iopgtable_cfg cfg;
	void *cookie;
	const struct iopgtable_format *format;
	enum iopgtable_fmt fmt;
	u64 iova_first;
	u64 iova_last;
	u64 phys_last;
	u64 table_spans;
	atomic_long_t violations;
	atomic_long_t warnings;
	struct ratelimit_state warn_rs;
	atomic_long_t dma_syncs;
	void (*sync_probe)(struct iopgtable *iop, const void *addr,
			   size_t size);
	struct dentry *debugfs;
	unsigned long spare_lock;
	unsigned int spares;
	void *spare[IOPGTABLE_SPARE_MAX];
};

static inline struct iopgtable *to_iopgtable(struct iopgtable_ops *ops)
{
	return container_of(ops, struct iopgtable, ops);
}

void iopgtable_init(struct iopgtable *iop, const struct iopgtable_cfg *cfg,
		    void *cookie);

void iopgtable_violation(struct iopgtable *iop, const char *what, u64 iova);

/* Where @pa's tables are: its own few slots until it needs more. */
static inline void **iopgtable_prealloc_slots(struct iopgtable_prealloc *pa)
{
	return pa->tables ?: pa->few;
}

void *iopgtable_prealloc_take(struct iopgtable *iop,
			      struct iopgtable_prealloc *pa, u64 iova);
void iopgtable_prealloc_put(struct iopgtable_prealloc *pa, void *table);
void iopgtable_debugfs_remove(struct iopgtable *iop);

/*
 * Write a size of 2^@lg2 bytes, @lg2 >= 10, as the kernel writes page
 * sizes: "4K", "2M", "512M", "1G". Returns the characters written.
 */
static inline int iopgtable_size_str(char *buf, size_t size, unsigned int lg2)
{
	return scnprintf(buf, size, "%llu%c", 1ULL << (lg2 % 10),
			 "KMGTPE"[lg2 / 10 - 1]);
}

#ifdef CONFIG_IOPGTABLE_ARM_LPAE
extern const struct iopgtable_format iopgtable_arm_64_lpae_s1_format;
extern const struct iopgtable_format iopgtable_arm_mali_lpae_format;
#endif

#endif /* _IOPGTABLE_INTERNAL_H */
