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
#include <linux/list.h>
#include <linux/ratelimit_types.h>
#include <linux/sizes.h>
#include <linux/spinlock_types.h>

struct iopgtable;
struct seq_file;

/* Levels of the deepest walk: the size of &iopgtable_walk.ptes. */
#define IOPGTABLE_MAX_LEVELS	4

/**
 * enum iopgtable_violation - a contract violation the library reports
 * @IOPGTABLE_VIOLATION_MAP_OVER_BLOCK: a map whose walk met a block.
 * @IOPGTABLE_VIOLATION_MAP_OVER_MAPPING: a map over a mapped entry.
 * @IOPGTABLE_VIOLATION_UNMAP_HOLE: an unmap that met a hole.
 * @IOPGTABLE_VIOLATION_UNMAP_SPLIT: an unmap whose range cuts a block.
 * @IOPGTABLE_VIOLATION_UNMAP_BAD_ENTRY: an unmap that met an entry that
 *	is neither a leaf nor a table of its level.
 * @IOPGTABLE_VIOLATION_PREALLOC_SHORT: a reservation that ran short.
 * @IOPGTABLE_VIOLATION_PREALLOC_OTHER: a reservation made for another table.
 * @IOPGTABLE_VIOLATION_OVERLAP: a call whose range overlaps a call in
 *	flight in a way the contract forbids (CONFIG_IOPGTABLE_DEBUG).
 * @IOPGTABLE_NUM_VIOLATIONS: how many there are; not a violation.
 */
enum iopgtable_violation {
	IOPGTABLE_VIOLATION_MAP_OVER_BLOCK,
	IOPGTABLE_VIOLATION_MAP_OVER_MAPPING,
	IOPGTABLE_VIOLATION_UNMAP_HOLE,
	IOPGTABLE_VIOLATION_UNMAP_SPLIT,
	IOPGTABLE_VIOLATION_UNMAP_BAD_ENTRY,
	IOPGTABLE_VIOLATION_PREALLOC_SHORT,
	IOPGTABLE_VIOLATION_PREALLOC_OTHER,
	IOPGTABLE_VIOLATION_OVERLAP,
	IOPGTABLE_NUM_VIOLATIONS,
};

/**
 * enum iopgtable_prealloc_call - the call an iopgtable_prealloc_prepare
 *	event reports
 * @IOPGTABLE_PREALLOC_MAP: iopgtable_prealloc_map().
 * @IOPGTABLE_PREALLOC_MAP_SGTABLE: iopgtable_prealloc_map_sgtable().
 * @IOPGTABLE_PREALLOC_UNMAP: iopgtable_prealloc_unmap().
 */
enum iopgtable_prealloc_call {
	IOPGTABLE_PREALLOC_MAP,
	IOPGTABLE_PREALLOC_MAP_SGTABLE,
	IOPGTABLE_PREALLOC_UNMAP,
};

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
 * @map_list: optional: map @n pages of 2^@pgsize_lg2 bytes, a provided
 *	size, at consecutive IOVAs from @iova, page i at @paddrs[i]; as @n
 *	calls of @map of one page each, one after the other, would (stopping
 *	at the first that fails), with one barrier at the end. The core has
 *	checked every page; the @n pages together fit in a size_t.
 * @unmap: unmap @size bytes of consecutive mappings at @iova, both aligned
 *	to a provided page size and in range; returns the bytes unmapped.
 * @iova_to_phys: translate an in-range @iova.
 * @split: make an in-range @iova, aligned to the smallest provided page
 *	size, the boundary of an entry: split the block that crosses it into
 *	a table of the same mappings one level down, repeatedly, publishing
 *	each table with one 64-bit store. Tables come from @pa or @gfp as for
 *	@map. 0 when nothing crosses @iova any more, -ENOMEM when a table
 *	could not be had (the splits made stay; they change no translation).
 * @alloc_tables: allocate @n tables for a reservation, for levels below
 *	the root, into @tables: each mapped for DMA for a non-coherent
 *	walker. All or nothing: returns @n, or 0 with none left allocated.
 *	The format may leave a table unzeroed and zero it when a running
 *	call takes it. May sleep as @gfp allows.
 * @free_tables: free @n tables @alloc_tables returned that were never
 *	used; the first entry of each may have been written. Never sleeps
 *	with the default allocator.
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
	int (*map_list)(struct iopgtable *iop, u64 iova,
			unsigned int pgsize_lg2, const u64 *paddrs,
			size_t n, int prot, gfp_t gfp,
			struct iopgtable_prealloc *pa, size_t *mapped);
	u64 (*unmap)(struct iopgtable *iop, u64 iova, u64 size,
		     struct iopgtable_gather *gather);
	phys_addr_t (*iova_to_phys)(struct iopgtable *iop, u64 iova);
	int (*split)(struct iopgtable *iop, u64 iova, gfp_t gfp,
		     struct iopgtable_prealloc *pa);
	unsigned int (*alloc_tables)(struct iopgtable *iop, gfp_t gfp,
				     unsigned int n, void **tables);
	void (*free_tables)(struct iopgtable *iop, unsigned int n,
			    void **tables);
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

/**
 * struct iopgtable - one page table, as the core sees it
 * @ops: what iopgtable_alloc_ops() hands out.
 * @cfg: the configuration, with the values the format wrote back.
 * @cookie: the caller's cookie for the allocator and TLB callbacks.
 * @format: the format's operations.
 * @iova_first: the lowest IOVA the table translates.
 * @iova_last: the highest IOVA the table translates.
 * @phys_last: the highest physical address a leaf may point at.
 * @table_spans: bit n set when the tables of a level below the root span
 *	2^n bytes of IOVA each (fewer than %IOPGTABLE_MAX_LEVELS bits);
 *	written by the format's @alloc. A leaf of 2^p bytes needs a table at
 *	each level whose span is above 2^p; splitting a block of 2^n bytes
 *	needs a table that spans 2^n.
 * @warn_rs: rate limit of those WARNs: ranges may come from userspace, and
 *	with panic_on_warn an unlimited WARN is a denial of service.
 * @debugfs: the file iopgtable_debugfs_add() created, or NULL.
 * @debugfs_lock: the driver's lock the file reads under.
 * @inflight_lock: CONFIG_IOPGTABLE_DEBUG: guards @inflight.
 * @inflight: CONFIG_IOPGTABLE_DEBUG: the calls in flight on the table,
 *	&struct iopgtable_inflight on their callers' stacks.
 */
struct iopgtable {
	struct iopgtable_ops ops;
	struct iopgtable_cfg cfg;
	void *cookie;
	const struct iopgtable_format *format;
	u64 iova_first;
	u64 iova_last;
	u64 phys_last;
	u64 table_spans;
	struct ratelimit_state warn_rs;
	struct dentry *debugfs;
	struct mutex *debugfs_lock;	/* the driver's, for the file */
#ifdef CONFIG_IOPGTABLE_DEBUG
	raw_spinlock_t inflight_lock;
	struct list_head inflight;
#endif
};

static inline struct iopgtable *to_iopgtable(struct iopgtable_ops *ops)
{
	return container_of(ops, struct iopgtable, ops);
}

void iopgtable_init(struct iopgtable *iop, const struct iopgtable_cfg *cfg,
		    void *cookie);

void iopgtable_violation(struct iopgtable *iop, enum iopgtable_violation what,
			 u64 iova);

void *iopgtable_prealloc_take(struct iopgtable *iop,
			      struct iopgtable_prealloc *pa, u64 iova);
void iopgtable_prealloc_put(struct iopgtable_prealloc *pa, void *table);
void iopgtable_debugfs_remove(struct iopgtable *iop);
void iopgtable_debugfs_init(void);
void iopgtable_debugfs_exit(void);
int iopgtable_debugfs_show(struct seq_file *m, void *unused);

/**
 * enum iopgtable_access - what a call in flight does to its range
 * @IOPGTABLE_ACCESS_READ: reads entries and follows tables: iova_to_phys,
 *	the walks and the dump.
 * @IOPGTABLE_ACCESS_WRITE: writes entries, and may free tables in its
 *	range: the maps, the unmaps and the splits.
 */
enum iopgtable_access {
	IOPGTABLE_ACCESS_READ,
	IOPGTABLE_ACCESS_WRITE,
};

/**
 * struct iopgtable_inflight - a call in flight, for CONFIG_IOPGTABLE_DEBUG
 * @node: in &iopgtable.inflight.
 * @first: the first IOVA of its range.
 * @last: the last IOVA of its range.
 * @access: what it does there.
 */
struct iopgtable_inflight {
#ifdef CONFIG_IOPGTABLE_DEBUG
	struct list_head node;
	u64 first;
	u64 last;
	enum iopgtable_access access;
#endif
};

#ifdef CONFIG_IOPGTABLE_DEBUG
void iopgtable_inflight_begin(struct iopgtable *iop,
			      struct iopgtable_inflight *call,
			      enum iopgtable_access access, u64 iova, u64 size);
void iopgtable_inflight_end(struct iopgtable *iop,
			    struct iopgtable_inflight *call);
#else
/* Without CONFIG_IOPGTABLE_DEBUG the calls are not recorded. */
static inline void iopgtable_inflight_begin(struct iopgtable *iop,
					    struct iopgtable_inflight *call,
					    enum iopgtable_access access,
					    u64 iova, u64 size)
{
}

static inline void iopgtable_inflight_end(struct iopgtable *iop,
					  struct iopgtable_inflight *call)
{
}
#endif

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
int iopgtable_lpae_init(void);
void iopgtable_lpae_exit(void);
#else
static inline int iopgtable_lpae_init(void) { return 0; }
static inline void iopgtable_lpae_exit(void) { }
#endif

#endif /* _IOPGTABLE_INTERNAL_H */
