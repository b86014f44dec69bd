// SPDX-License-Identifier: GPL-2.0-only
/*
 * ARM LPAE page-table formats: AArch64 stage 1 and Mali LPAE.
 *
 * The entries written here are bit-for-bit those of the kernel's
 * drivers/iommu/io-pgtable-arm.c for the same configuration and calls; the
 * field names are those of the Arm ARM (VMSAv8-64 translation table
 * descriptors, D8.3) and of the Mali MMU documentation.
 */

/**
 * DOC: Vocabulary
 *
 * level
 *	A step of the walk, numbered as the architecture does: level 3 holds
 *	the smallest pages, level 0 (with the 4K granule) the largest span.
 *	The walk starts at @start_level, which the input address size decides.
 * granule
 *	The smallest page size, 4K, 16K or 64K; also the size of every table
 *	below the root. Each table holds granule / 8 entries.
 * root
 *	The table at @start_level. It may hold fewer entries than a granule
 *	(its index has @root_bits bits) and is what TTBR or TRANSTAB points at.
 * entry
 *	One 64-bit descriptor: invalid (0), a table entry pointing at the next
 *	level's table, or a leaf: a block (levels 1 and 2) or page (level 3).
 * span
 *	The bytes of IOVA one entry covers at a level: 2^span_lg2.
 * table span
 *	The IOVA range a whole table covers: the span of the entry that points
 *	at it.
 */

#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kmemleak.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "iopgtable-internal.h"

#include <trace/events/iopgtable.h>

#include "iopgtable-entry.h"

#define LPAE_MAX_LEVELS		4
#define LPAE_LAST_LEVEL		(LPAE_MAX_LEVELS - 1)
#define LPAE_PTE_SIZE_LG2	3	/* sizeof(u64) */
#define LPAE_ROOT_MIN_SIZE	64	/* TTBR alignment floor */

/* Descriptor fields, common to both formats */
#define LPAE_PTE_TYPE		GENMASK_ULL(1, 0)
#define   LPAE_TYPE_BLOCK	1	/* leaf at levels 1 and 2; Mali: all */
#define   LPAE_TYPE_TABLE	3	/* at levels 0 to 2 */
#define   LPAE_TYPE_PAGE	3	/* leaf at level 3 */
#define LPAE_PTE_ATTRINDX	GENMASK_ULL(4, 2)	/* MAIR/MEMATTR index */
#define LPAE_PTE_NS		BIT_ULL(5)
#define LPAE_PTE_AP_UNPRIV	BIT_ULL(6)	/* AP[1]: EL0 may access */
#define LPAE_PTE_AP_RDONLY	BIT_ULL(7)	/* AP[2]: read-only */
#define LPAE_PTE_SH		GENMASK_ULL(9, 8)
#define   LPAE_SH_OS		2	/* outer shareable */
#define   LPAE_SH_IS		3	/* inner shareable */
#define LPAE_PTE_AF		BIT_ULL(10)	/* access flag */
#define LPAE_PTE_NG		BIT_ULL(11)	/* not global */
#define LPAE_PTE_OA		GENMASK_ULL(47, 12)	/* output address */
#define LPAE_PTE_DBM		BIT_ULL(51)	/* dirty bit modifier */
#define LPAE_PTE_XN		GENMASK_ULL(54, 53)	/* PXN and UXN */
#define LPAE_PTE_SW_SYNC	BIT_ULL(55)	/* software: entry made visible */
#define LPAE_PTE_NSTABLE	BIT_ULL(63)

/*
 * The attributes of a leaf that a split carries over to the leaves one
 * level down: lower attributes (AttrIndx to nG, Mali's permissions among
 * them), DBM and XN, as io-pgtable-arm's iopte_prot(). Type and output
 * address are the new level's.
 */
#define LPAE_PTE_LEAF_ATTRS	(GENMASK_ULL(11, 2) | LPAE_PTE_DBM | LPAE_PTE_XN)

/* Mali LPAE leaves carry stage-2 style permissions in bits 7:6 */
#define MALI_PTE_PERM		GENMASK_ULL(7, 6)
#define   MALI_PERM_READ	1
#define   MALI_PERM_WRITE	2

/* Attribute indexes, and the MAIR_EL1 / AS_MEMATTR bytes behind them */
enum lpae_attr_idx {
	LPAE_ATTR_IDX_NC,
	LPAE_ATTR_IDX_CACHE,
	LPAE_ATTR_IDX_DEV,
	LPAE_ATTR_IDX_INC_OCACHE,
};

#define LPAE_MAIR_ATTR_NC		0x44	/* normal, inner/outer non-cacheable */
#define LPAE_MAIR_ATTR_WBRWA		0xff	/* normal, write-back RW-allocate */
#define LPAE_MAIR_ATTR_DEVICE		0x04	/* device-nGnRE */
#define LPAE_MAIR_ATTR_INC_OWBRWA	0xf4	/* inner NC, outer write-back */
#define MALI_MEMATTR_IMP_DEF		0x88	/* implementation-defined policy */
#define MALI_MEMATTR_WRITE_ALLOC	0x8d

#define LPAE_MAIR_ATTR(idx, attr)	((u64)(attr) << ((idx) * 8))

/*
 * No entry uses attributes 4 to 7. io-pgtable-arm's MAIR has them at 0xff
 * (it builds the value in an int, so attribute 3's top bit sign-extends),
 * and drivers such as Panthor turn all eight into GPU MEMATTR values: the
 * same bits here keep what they program unchanged.
 */
#define LPAE_MAIR_UNUSED_ATTRS		GENMASK_ULL(63, 32)

/* TCR_EL1 fields */
#define LPAE_TCR_T0SZ			GENMASK_ULL(5, 0)
#define LPAE_TCR_IRGN0			GENMASK_ULL(9, 8)
#define LPAE_TCR_ORGN0			GENMASK_ULL(11, 10)
#define LPAE_TCR_SH0			GENMASK_ULL(13, 12)
#define LPAE_TCR_TG0			GENMASK_ULL(15, 14)
#define LPAE_TCR_T1SZ			GENMASK_ULL(21, 16)
#define LPAE_TCR_IRGN1			GENMASK_ULL(25, 24)
#define LPAE_TCR_ORGN1			GENMASK_ULL(27, 26)
#define LPAE_TCR_SH1			GENMASK_ULL(29, 28)
#define LPAE_TCR_TG1			GENMASK_ULL(31, 30)
#define LPAE_TCR_IPS			GENMASK_ULL(34, 32)
#define   LPAE_TCR_RGN_NC		0
#define   LPAE_TCR_RGN_WBWA		1
#define   LPAE_TCR_SH_OS		2
#define   LPAE_TCR_SH_IS		3

/* The prot bits a leaf encodes; @leaf_attrs has an entry per combination */
#define LPAE_PROT_COMBOS	(IOPGTABLE_PRIVILEGED << 1)
static_assert(((IOPGTABLE_READ | IOPGTABLE_WRITE | IOPGTABLE_CACHE |
		IOPGTABLE_NOEXEC | IOPGTABLE_MMIO | IOPGTABLE_PRIVILEGED) &
	       ~(LPAE_PROT_COMBOS - 1)) == 0);

/* AS_TRANSTAB flags in the low bits of the root address */
#define MALI_TRANSTAB_ADRMODE_TABLE	GENMASK_ULL(1, 0)
#define MALI_TRANSTAB_READ_INNER	BIT_ULL(2)
#define MALI_TRANSTAB_SHARE_OUTER	BIT_ULL(4)

/**
 * struct lpae_pgtable - an LPAE page table
 * @iop: the core's part.
 * @root: the root table.
 * @root_size: bytes allocated for @root.
 * @granule_lg2: log2 of the granule: 12, 14 or 16.
 * @bits_per_level: index bits of a full table: @granule_lg2 - 3.
 * @start_level: the level of @root.
 * @root_bits: index bits of @root (0 for Mali's one-entry root).
 * @mali: Mali LPAE encoding rather than AArch64 stage 1.
 * @span_lg2: per level, log2 of the span of one entry.
 * @level_of: per log2 of an entry's span (at most 55, a 64K granule's level
 *	0), the level of the entries of that span.
 * @index_mask: per level, the mask of an entry's index in its table.
 * @table_attrs: the non-address bits of a table entry.
 * @leaf_attrs: per combination of prot bits, a leaf's attribute and
 *	permission bits (all but the type and the output address).
 *
 * @span_lg2, @level_of and @index_mask follow from the others; they are
 * kept so that the walks index a table with a shift and a mask, and find a
 * page size's level with one read, no arithmetic.
 * @leaf_attrs is the prot encoding done once at allocation, not per map.
 */
struct lpae_pgtable {
	struct iopgtable iop;
	u64 *root;
	size_t root_size;
	u8 granule_lg2;
	u8 bits_per_level;
	u8 start_level;
	u8 root_bits;
	bool mali;
	u8 span_lg2[LPAE_MAX_LEVELS];
	u8 level_of[64];
	u64 index_mask[LPAE_MAX_LEVELS];
	u64 table_attrs;
	u64 leaf_attrs[LPAE_PROT_COMBOS];
};

/*
 * Entries are read and written as single 64-bit accesses, so that neither
 * the walker nor a concurrent call ever sees half an entry. On 64-bit
 * kernels READ_ONCE() and WRITE_ONCE() are one load or store. On 32-bit
 * ones a u64 READ_ONCE() may be two loads, so the atomic64 accessors are
 * used: on ARM32 they are LDRD/STRD, single-copy atomic with LPAE, or
 * LDREXD/STREXD without it. (Kconfig keeps out the architectures whose
 * atomic64 is a lock, GENERIC_ATOMIC64.) Tables are installed with
 * cmpxchg64, which is one 64-bit access everywhere.
 */
static u64 lpae_read(const u64 *ptep)
{
#ifdef CONFIG_64BIT
	return READ_ONCE(*ptep);
#else
	return atomic64_read((const atomic64_t *)ptep);
#endif
}

static void lpae_write(u64 *ptep, u64 pte)
{
#ifdef CONFIG_64BIT
	WRITE_ONCE(*ptep, pte);
#else
	atomic64_set((atomic64_t *)ptep, pte);
#endif
}

static struct lpae_pgtable *to_lpae(struct iopgtable *iop)
{
	return container_of(iop, struct lpae_pgtable, iop);
}

static unsigned int lpae_span_lg2(const struct lpae_pgtable *d,
				  unsigned int lvl)
{
	return d->span_lg2[lvl];
}

/* Entries in the table at level @lvl. */
static size_t lpae_entries(const struct lpae_pgtable *d, unsigned int lvl)
{
	return d->index_mask[lvl] + 1;
}

static size_t lpae_index(const struct lpae_pgtable *d, u64 iova,
			 unsigned int lvl)
{
	return (iova >> d->span_lg2[lvl]) & d->index_mask[lvl];
}

/* Fill in @span_lg2, @level_of and @index_mask once the levels are known. */
static void lpae_init_levels(struct lpae_pgtable *d)
{
	unsigned int lvl;

	for (lvl = 0; lvl < LPAE_MAX_LEVELS; lvl++) {
		d->span_lg2[lvl] = d->granule_lg2 +
				   (LPAE_LAST_LEVEL - lvl) * d->bits_per_level;
		d->level_of[d->span_lg2[lvl]] = lvl;
		d->index_mask[lvl] = BIT_ULL(lvl == d->start_level ?
					     d->root_bits : d->bits_per_level) - 1;
	}
}

static size_t lpae_table_size(const struct lpae_pgtable *d, unsigned int lvl)
{
	return lvl == d->start_level ? d->root_size : BIT(d->granule_lg2);
}

static unsigned int lpae_leaf_type(const struct lpae_pgtable *d,
				   unsigned int lvl)
{
	return lvl == LPAE_LAST_LEVEL && !d->mali ? LPAE_TYPE_PAGE :
						    LPAE_TYPE_BLOCK;
}

static bool lpae_is_leaf(const struct lpae_pgtable *d, u64 pte,
			 unsigned int lvl)
{
	return FIELD_GET(LPAE_PTE_TYPE, pte) == lpae_leaf_type(d, lvl);
}

static bool lpae_is_table(u64 pte, unsigned int lvl)
{
	return lvl < LPAE_LAST_LEVEL &&
	       FIELD_GET(LPAE_PTE_TYPE, pte) == LPAE_TYPE_TABLE;
}

static u64 *lpae_table_of(u64 pte)
{
	return phys_to_virt(pte & LPAE_PTE_OA);
}

/* The leaf level for pages of 2^@pgsize_lg2 bytes, a provided size. */
static unsigned int lpae_leaf_level(const struct lpae_pgtable *d,
				    unsigned int pgsize_lg2)
{
	return d->level_of[pgsize_lg2];
}

/* Make @n entries from @ptep on visible to a non-coherent walker. */
static void lpae_sync(struct lpae_pgtable *d, u64 *ptep, size_t n)
{
	if (d->iop.cfg.coherent_walk || !n)
		return;
	dma_sync_single_for_device(d->iop.cfg.iommu_dev, virt_to_phys(ptep),
				   n << LPAE_PTE_SIZE_LG2, DMA_TO_DEVICE);
	trace_iopgtable_dma_sync(&d->iop.ops, virt_to_phys(ptep),
				 n << LPAE_PTE_SIZE_LG2);
}

/*
 * The default allocator's 4K tables. A VM_BIND reserves tables for the
 * worst case and gives most of them back unused, often one or two per
 * call: the slab's per-CPU lists take and give back a table for less
 * than the page allocator. Other sizes come from the page allocator.
 * NULL if it could not be created: pages then too.
 */
static struct kmem_cache *lpae_table_cache;

/*
 * A cache of its own, not merged into another of the same size, so that
 * tables left behind show when the module unloads, and in slabinfo.
 */
#ifdef SLAB_NO_MERGE
#define LPAE_CACHE_FLAGS	SLAB_NO_MERGE
#else
#define LPAE_CACHE_FLAGS	0
#endif

int __init iopgtable_lpae_init(void)
{
	lpae_table_cache = kmem_cache_create("iopgtable_table_4k", SZ_4K,
					     SZ_4K, LPAE_CACHE_FLAGS, NULL);
	return lpae_table_cache ? 0 : -ENOMEM;
}

void iopgtable_lpae_exit(void)
{
	kmem_cache_destroy(lpae_table_cache);
}

static bool lpae_cached(size_t size)
{
	return size == SZ_4K && lpae_table_cache;
}

static void lpae_free_mem(struct lpae_pgtable *d, void *table, size_t size)
{
	struct iopgtable_cfg *cfg = &d->iop.cfg;

	if (cfg->free)
		cfg->free(d->iop.cookie, table, size);
	else if (lpae_cached(size))
		kmem_cache_free(lpae_table_cache, table);
	else
		free_pages((unsigned long)table, get_order(size));
}

/*
 * Map @table, written in full, for a non-coherent walker, which reads
 * tables by physical address: the DMA address must be the physical one.
 * Mapping also makes what @table holds visible to the walker. False on
 * failure, with nothing left mapped.
 */
static bool lpae_dma_map_table(struct lpae_pgtable *d, void *table,
			       size_t size)
{
	struct device *dev = d->iop.cfg.iommu_dev;
	dma_addr_t dma;

	dma = dma_map_single(dev, table, size, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, dma))
		return false;
	trace_iopgtable_dma_sync(&d->iop.ops, virt_to_phys(table), size);
	if (dma == virt_to_phys(table))
		return true;
	dev_err(dev, "iopgtable: tables need DMA addresses equal to physical\n");
	dma_unmap_single(dev, dma, size, DMA_TO_DEVICE);
	return false;
}

/*
 * Allocate the memory of a table of @size bytes; NULL on failure. Zeroed
 * unless @unzeroed and the default allocator. Not yet mapped for DMA:
 * see lpae_ready_table().
 */
static void *lpae_alloc_mem(struct lpae_pgtable *d, size_t size, gfp_t gfp,
			    bool unzeroed)
{
	struct iopgtable_cfg *cfg = &d->iop.cfg;
	struct device *dev = cfg->iommu_dev;
	struct page *page;

	gfp &= ~__GFP_HIGHMEM;
	if (cfg->alloc)
		return cfg->alloc(d->iop.cookie, size, gfp);
	if (!unzeroed)
		gfp |= __GFP_ZERO;
	if (lpae_cached(size)) {
		void *table = kmem_cache_alloc_node(lpae_table_cache, gfp,
						    dev ? dev_to_node(dev) :
						    NUMA_NO_NODE);

		/* Referenced by physical address only, from other tables. */
		kmemleak_ignore(table);
		return table;
	}
	page = alloc_pages_node(dev ? dev_to_node(dev) : NUMA_NO_NODE, gfp,
				get_order(size));
	return page ? page_address(page) : NULL;
}

/*
 * Make @table, from lpae_alloc_mem() and now written in full, a table for
 * level @lvl: mapped for a non-coherent walker, which also makes what it
 * holds visible. False, with @table freed, on failure.
 */
static bool lpae_ready_table(struct lpae_pgtable *d, void *table, size_t size,
			     unsigned int lvl)
{
	if (!d->iop.cfg.coherent_walk && !lpae_dma_map_table(d, table, size)) {
		lpae_free_mem(d, table, size);
		return false;
	}
	trace_iopgtable_table_alloc(&d->iop.ops, lvl, virt_to_phys(table),
				    size);
	return true;
}

/* Allocate a zeroed table of @size bytes for level @lvl; NULL on failure. */
static void *lpae_alloc_table(struct lpae_pgtable *d, size_t size,
			      unsigned int lvl, gfp_t gfp)
{
	void *table = lpae_alloc_mem(d, size, gfp, false);

	if (!table || !lpae_ready_table(d, table, size, lvl))
		return NULL;
	return table;
}

static void lpae_free_table(struct lpae_pgtable *d, void *table, size_t size,
			    unsigned int lvl)
{
	struct iopgtable_cfg *cfg = &d->iop.cfg;

	trace_iopgtable_table_free(&d->iop.ops, lvl, virt_to_phys(table), size);

	if (!cfg->coherent_walk)
		dma_unmap_single(cfg->iommu_dev, virt_to_phys(table), size,
				 DMA_TO_DEVICE);
	lpae_free_mem(d, table, size);
}

/* Free @table, at level @lvl, and every table below it. */
static void lpae_free_tables(struct lpae_pgtable *d, u64 *table,
			     unsigned int lvl)
{
	size_t size = lpae_table_size(d, lvl);

	if (lvl < LPAE_LAST_LEVEL) {
		size_t i, n = lpae_entries(d, lvl);

		for (i = 0; i < n; i++)
			if (lpae_is_table(table[i], lvl))
				lpae_free_tables(d, lpae_table_of(table[i]),
						 lvl + 1);
	}
	lpae_free_table(d, table, size, lvl);
}

/*
 * True when no leaf is reachable from @table at level @lvl.
 *
 * Only a map that meets a table where it would put a block asks, and that
 * table is then freed with everything below it, so every entry read here
 * belongs to a table the same call frees: the scan costs no more than the
 * zeroing that allocating those tables cost, and stops at the first leaf.
 * Its bound is one table for the 16K and 64K granules (2048 or 8192
 * entries below a 32M or 512M block) and, for 4K, a level-2 table and the
 * 512 tables below it (262,656 entries, 2 MiB read) below a 1G block.
 * Empty tables stay only after unmaps that do not cover their whole span.
 */
static bool lpae_tables_empty(const struct lpae_pgtable *d, u64 *table,
			      unsigned int lvl)
{
	size_t i, n = lpae_entries(d, lvl);

	for (i = 0; i < n; i++) {
		u64 pte = lpae_read(&table[i]);

		if (!pte)
			continue;
		if (!lpae_is_table(pte, lvl) ||
		    !lpae_tables_empty(d, lpae_table_of(pte), lvl + 1))
			return false;
	}
	return true;
}

/*
 * A non-coherent walker must see a table entry before anyone relies on it;
 * LPAE_PTE_SW_SYNC records that it was made visible, as io-pgtable-arm does.
 */
static void lpae_sync_table_pte(struct lpae_pgtable *d, u64 *ptep, u64 pte)
{
	if (d->iop.cfg.coherent_walk || (pte & LPAE_PTE_SW_SYNC))
		return;
	lpae_sync(d, ptep, 1);
	cmpxchg64_relaxed(ptep, pte, pte | LPAE_PTE_SW_SYNC);
}

/*
 * A reserved table is written by the call that takes it: in full by a
 * split, zeroed by anything else. Where nothing else has to see it first
 * (a coherent walker, and the default allocator, whose memory is only
 * ours), it is reserved as it comes: a reservation given back unused
 * zeroed nothing. Else it is zeroed, and mapped for a non-coherent walker,
 * now, as the running calls may not map for DMA.
 */
static bool lpae_reserves_unzeroed(const struct lpae_pgtable *d)
{
	return d->iop.cfg.coherent_walk && !d->iop.cfg.alloc;
}

/*
 * A new table for a level below the root, for the table span at @iova:
 * from @pa when set, else allocated with @gfp, zeroed. NULL when there is
 * none. A table from @pa is the caller's to write in full, or to make
 * empty with lpae_empty_reserved().
 */
static u64 *lpae_get_table(struct lpae_pgtable *d, unsigned int lvl,
			   gfp_t gfp, struct iopgtable_prealloc *pa, u64 iova)
{
	if (pa)
		return iopgtable_prealloc_take(&d->iop, pa, iova);
	return lpae_alloc_table(d, BIT(d->granule_lg2), lvl, gfp);
}

/*
 * Make @table, taken from a reservation, an empty table the walker may
 * see: zeroed where it was reserved as it came (lpae_reserves_unzeroed()),
 * else zeroed and visible but for its first entry, which held the
 * reservation's link.
 */
static void lpae_empty_reserved(struct lpae_pgtable *d, u64 *table)
{
	if (lpae_reserves_unzeroed(d))
		memset(table, 0, BIT(d->granule_lg2));
	else
		lpae_sync(d, table, 1);
}

/* Give back a zeroed table lpae_get_table() returned, unused. */
static void lpae_put_table(struct lpae_pgtable *d, u64 *table,
			   unsigned int lvl, struct iopgtable_prealloc *pa)
{
	if (pa)
		iopgtable_prealloc_put(pa, table);
	else
		lpae_free_table(d, table, BIT(d->granule_lg2), lvl);
}

/*
 * Point @ptep, which held @expected, at @table, once everything written
 * to @table is visible to the walker. Returns what @ptep held: @expected
 * when @table is linked, else a concurrent call's entry, which stands.
 */
static u64 lpae_link_table(struct lpae_pgtable *d, u64 *ptep, u64 expected,
			   u64 *table)
{
	/* The table's entries before the entry pointing at them. */
	dma_wmb();
	return cmpxchg64_relaxed(ptep, expected,
				 virt_to_phys(table) | d->table_attrs);
}

/*
 * Install a new, empty table for level @lvl in the empty entry @ptep for
 * @iova, from @pa or allocated with @gfp. Returns the entry that is there
 * afterwards, ours or a concurrent mapper's, or 0 when there is no table to
 * install; *@won says whether it is ours. The caller makes a table entry
 * visible to a non-coherent walker, ours or the winner's alike.
 */
static u64 lpae_install_table(struct lpae_pgtable *d, u64 *ptep,
			      unsigned int lvl, gfp_t gfp,
			      struct iopgtable_prealloc *pa, u64 iova,
			      bool *won)
{
	u64 *table, old;

	table = lpae_get_table(d, lvl, gfp, pa, iova);
	if (!table)
		return 0;
	if (pa)
		lpae_empty_reserved(d, table);

	old = lpae_link_table(d, ptep, 0, table);
	*won = !old;
	if (old) {
		/* Lost the race: the winner's entry stands. */
		lpae_put_table(d, table, lvl, pa);
		return old;
	}
	return virt_to_phys(table) | d->table_attrs;
}

/*
 * Find, or build, the table at level @lvl that holds @iova. NULL with *@err
 * set when no table can be had or a block is in the way. *@fresh says
 * whether this call installed it: then no entry this call's range covers
 * can be set (a concurrent call has a disjoint range).
 */
static __always_inline u64 *lpae_walk_alloc(struct lpae_pgtable *d, u64 iova,
					    unsigned int lvl, gfp_t gfp,
					    struct iopgtable_prealloc *pa,
					    int *err, bool *fresh)
{
	u64 *table = d->root;
	unsigned int l;

	*fresh = false;
	for (l = d->start_level; l < lvl; l++) {
		u64 *ptep = table + lpae_index(d, iova, l);
		u64 pte = lpae_read(ptep);

		*fresh = false;
		if (!pte) {
			pte = lpae_install_table(d, ptep, l + 1, gfp, pa, iova,
						 fresh);
			if (!pte) {
				*err = -ENOMEM;
				return NULL;
			}
		}
		if (!lpae_is_table(pte, l)) {
			iopgtable_violation(&d->iop,
					    IOPGTABLE_VIOLATION_MAP_OVER_BLOCK,
					    iova);
			*err = -EEXIST;
			return NULL;
		}
		lpae_sync_table_pte(d, ptep, pte);
		table = lpae_table_of(pte);
	}
	return table;
}

/*
 * Write @n leaves from @ptep on while the entries are empty; returns how
 * many it wrote.
 */
static size_t lpae_fill(u64 *ptep, u64 attrs, u64 paddr, u64 step, size_t n,
			bool fresh)
{
	size_t i;

	/* A table this call installed: the entries are empty. */
	if (fresh) {
		for (i = 0; i < n; i++, paddr += step)
			lpae_write(&ptep[i], attrs | paddr);
		return n;
	}
	for (i = 0; i < n; i++) {
		if (unlikely(lpae_read(&ptep[i])))
			break;
		lpae_write(&ptep[i], attrs | paddr);
		paddr += step;
	}
	return i;
}

/*
 * Map the whole table span of @ptep, an entry at level @lvl - 1, with a
 * new table of leaves at level @lvl from @paddr on, if @ptep is empty. The
 * table is written, then mapped for a non-coherent walker, before it is
 * installed: neither the walker nor a concurrent call (whose range is
 * disjoint, so outside this span) can reach it part-written, and the
 * default allocator need not zero it first. Returns the leaves written:
 * all of the table's, or 0 when the entry is taken (the general walk takes
 * over) or there is no table (*@err = -ENOMEM).
 */
static size_t lpae_map_table_span(struct lpae_pgtable *d, u64 *ptep,
				  unsigned int lvl, u64 attrs, u64 paddr,
				  gfp_t gfp, int *err)
{
	size_t n = lpae_entries(d, lvl), size = BIT(d->granule_lg2);
	u64 *table;

	if (lpae_read(ptep))
		return 0;
	table = lpae_alloc_mem(d, size, gfp, true);
	if (table) {
		lpae_fill(table, attrs, paddr, BIT_ULL(d->span_lg2[lvl]), n,
			  true);
		if (!lpae_ready_table(d, table, size, lvl))
			table = NULL;
	}
	if (!table) {
		*err = -ENOMEM;
		return 0;
	}
	if (lpae_link_table(d, ptep, 0, table)) {
		/* Only a caller breaking the contract maps into this span. */
		lpae_free_table(d, table, size, lvl);
		return 0;
	}
	lpae_sync_table_pte(d, ptep, virt_to_phys(table) | d->table_attrs);
	return n;
}

/*
 * Clear @ptep, a table entry at level @lvl for the table span at @iova, and
 * free the tables below it once the walker can no longer reach them.
 */
static void lpae_remove_tables(struct lpae_pgtable *d, u64 *ptep, u64 pte,
			       unsigned int lvl, u64 iova)
{
	const struct iopgtable_flush_ops *tlb = d->iop.cfg.tlb;
	u64 span = BIT_ULL(lpae_span_lg2(d, lvl));

	lpae_write(ptep, 0);
	lpae_sync(d, ptep, 1);
	if (tlb && tlb->tlb_flush_walk)
		tlb->tlb_flush_walk(iova, span, BIT(d->granule_lg2),
				    d->iop.cookie);
	lpae_free_tables(d, lpae_table_of(pte), lvl + 1);
}

static u64 lpae_prot_to_pte(const struct lpae_pgtable *d, int prot)
{
	u64 pte;

	if (d->mali) {
		/* Stage-1 attributes with stage-2 permissions */
		pte = FIELD_PREP(MALI_PTE_PERM,
				 (prot & IOPGTABLE_READ ? MALI_PERM_READ : 0) |
				 (prot & IOPGTABLE_WRITE ? MALI_PERM_WRITE : 0));
	} else {
		pte = LPAE_PTE_NG | LPAE_PTE_AF;
		if ((prot & (IOPGTABLE_READ | IOPGTABLE_WRITE)) == IOPGTABLE_READ)
			pte |= LPAE_PTE_AP_RDONLY;
		if (!(prot & IOPGTABLE_PRIVILEGED))
			pte |= LPAE_PTE_AP_UNPRIV;
		if (d->iop.cfg.quirks & IOPGTABLE_QUIRK_ARM_NS)
			pte |= LPAE_PTE_NS;
	}

	if (prot & IOPGTABLE_MMIO)
		pte |= FIELD_PREP(LPAE_PTE_ATTRINDX, LPAE_ATTR_IDX_DEV);
	else if (prot & IOPGTABLE_CACHE)
		pte |= FIELD_PREP(LPAE_PTE_ATTRINDX, LPAE_ATTR_IDX_CACHE);

	/*
	 * Mali's inner domain is the GPU's own cores; everything beyond is
	 * its outer domain, so its leaves are always outer shareable.
	 */
	if ((prot & IOPGTABLE_CACHE) && !d->mali)
		pte |= FIELD_PREP(LPAE_PTE_SH, LPAE_SH_IS);
	else
		pte |= FIELD_PREP(LPAE_PTE_SH, LPAE_SH_OS);

	if (prot & IOPGTABLE_NOEXEC)
		pte |= LPAE_PTE_XN;
	return pte;
}

/*
 * Map @pgcount leaves of 2^@pgsize_lg2 bytes at level @lvl from @iova to
 * @oa on, with the attributes @attrs; *@done counts them. The general
 * loop of lpae_map(), out of line: the single-entry map stays small.
 */
static noinline int lpae_map_run(struct lpae_pgtable *d, u64 iova, u64 oa,
				 unsigned int lvl, unsigned int pgsize_lg2,
				 size_t pgcount, u64 attrs, gfp_t gfp,
				 struct iopgtable_prealloc *pa, size_t *done)
{
	size_t entries = lpae_entries(d, lvl);
	int ret = 0;

	while (*done < pgcount) {
		size_t idx, n, filled;
		u64 *table, pte;
		bool fresh;

		/*
		 * A whole table of leaves to map, when it allocates: build the
		 * table, then install it. Reserved tables come zeroed anyway.
		 */
		if (!pa && lvl > d->start_level && pgcount - *done >= entries &&
		    !(iova & (BIT_ULL(d->span_lg2[lvl - 1]) - 1))) {
			table = lpae_walk_alloc(d, iova, lvl - 1, gfp, pa, &ret,
						&fresh);
			if (!table)
				break;
			filled = lpae_map_table_span(d, table +
						     lpae_index(d, iova, lvl - 1),
						     lvl, attrs, oa, gfp, &ret);
			if (ret)
				break;
			*done += filled;
			iova += (u64)filled << pgsize_lg2;
			oa += (u64)filled << pgsize_lg2;
			if (filled)
				continue;
		}

		table = lpae_walk_alloc(d, iova, lvl, gfp, pa, &ret, &fresh);
		if (!table)
			break;

		idx = lpae_index(d, iova, lvl);
		n = min(pgcount - *done, entries - idx);
		filled = lpae_fill(table + idx, attrs, oa, BIT_ULL(pgsize_lg2),
				   n, fresh);
		lpae_sync(d, table + idx, filled);
		*done += filled;
		iova += (u64)filled << pgsize_lg2;
		oa += (u64)filled << pgsize_lg2;
		if (filled == n)
			continue;

		/*
		 * An entry in the way. A table with no leaf below it (left by
		 * earlier unmaps) gives way to the block; anything else is a
		 * mapping the caller has not unmapped.
		 */
		pte = lpae_read(&table[idx + filled]);
		if (lpae_is_table(pte, lvl) &&
		    lpae_tables_empty(d, lpae_table_of(pte), lvl + 1)) {
			lpae_remove_tables(d, &table[idx + filled], pte, lvl,
					   iova);
			continue;
		}
		iopgtable_violation(&d->iop,
				    IOPGTABLE_VIOLATION_MAP_OVER_MAPPING, iova);
		ret = -EEXIST;
		break;
	}
	return ret;
}

static __always_inline int lpae_map(struct iopgtable *iop, u64 iova,
				    phys_addr_t paddr, unsigned int pgsize_lg2,
				    size_t pgcount, int prot, gfp_t gfp,
				    struct iopgtable_prealloc *pa,
				    size_t *mapped)
{
	struct lpae_pgtable *d = to_lpae(iop);
	unsigned int lvl = lpae_leaf_level(d, pgsize_lg2);
	u64 attrs = d->leaf_attrs[prot & (LPAE_PROT_COMBOS - 1)] |
		    FIELD_PREP(LPAE_PTE_TYPE, lpae_leaf_type(d, lvl));
	size_t done = 0;
	int ret = 0;

	/*
	 * One entry, where it is free: no run to measure. Anything else
	 * (more entries, or one in the way) takes the general loop.
	 */
	if (pgcount == 1) {
		u64 *table, *ptep;
		bool fresh;

		table = lpae_walk_alloc(d, iova, lvl, gfp, pa, &ret, &fresh);
		if (!table)
			goto out;
		ptep = table + lpae_index(d, iova, lvl);
		if (fresh || !lpae_read(ptep)) {
			lpae_write(ptep, attrs | paddr);
			lpae_sync(d, ptep, 1);
			done = 1;
			goto out;
		}
	}
	ret = lpae_map_run(d, iova, paddr, lvl, pgsize_lg2, pgcount, attrs, gfp,
			   pa, &done);

out:
	/*
	 * Every entry written is visible to the walker before the caller can
	 * start it, with a relaxed MMIO write or none: one barrier per call,
	 * as io-pgtable-arm ends its map. A non-coherent walker also got its
	 * entries through the DMA API above.
	 */
	wmb();
	*mapped += done << pgsize_lg2;
	return ret;
}

static __always_inline int
lpae_map_list_at(struct lpae_pgtable *d, unsigned int lvl, u64 iova,
		 unsigned int pgsize_lg2, const u64 *paddrs, size_t n, int prot,
		 gfp_t gfp, struct iopgtable_prealloc *pa, size_t *mapped)
{
	size_t entries = lpae_entries(d, lvl), done = 0;
	u64 attrs = d->leaf_attrs[prot & (LPAE_PROT_COMBOS - 1)] |
		    FIELD_PREP(LPAE_PTE_TYPE, lpae_leaf_type(d, lvl));
	int ret = 0;

	while (done < n) {
		size_t idx, cnt, i, one = 0;
		u64 *table;
		bool fresh;

		table = lpae_walk_alloc(d, iova, lvl, gfp, pa, &ret, &fresh);
		if (!table)
			break;
		idx = lpae_index(d, iova, lvl);
		cnt = min(n - done, entries - idx);
		for (i = 0; i < cnt; i++) {
			/* Where this call installed the table, all are empty. */
			if (unlikely(!fresh && lpae_read(&table[idx + i])))
				break;
			lpae_write(&table[idx + i], attrs | paddrs[done + i]);
		}
		lpae_sync(d, table + idx, i);
		done += i;
		iova += (u64)i << pgsize_lg2;
		if (i == cnt)
			continue;

		/*
		 * An entry in the way: the general loop gives way to an empty
		 * table below a block, and reports anything else.
		 */
		ret = lpae_map_run(d, iova, paddrs[done], lvl, pgsize_lg2, 1,
				   attrs, gfp, pa, &one);
		if (ret)
			break;
		done++;
		iova += BIT_ULL(pgsize_lg2);
	}

	/* As at the end of lpae_map(). */
	wmb();
	*mapped += done << pgsize_lg2;
	return ret;
}

static int lpae_map_list(struct iopgtable *iop, u64 iova,
			 unsigned int pgsize_lg2, const u64 *paddrs, size_t n,
			 int prot, gfp_t gfp, struct iopgtable_prealloc *pa,
			 size_t *mapped)
{
	struct lpae_pgtable *d = to_lpae(iop);

	/* Pages, a fragmented buffer's pieces, with the walk unrolled. */
	if (pgsize_lg2 == d->granule_lg2)
		return lpae_map_list_at(d, LPAE_LAST_LEVEL, iova, pgsize_lg2,
					paddrs, n, prot, gfp, pa, mapped);
	return lpae_map_list_at(d, lpae_leaf_level(d, pgsize_lg2), iova,
				pgsize_lg2, paddrs, n, prot, gfp, pa, mapped);
}

/*
 * Clear the leaves from @ptep on at level @lvl, at most @max of them, up to
 * the first entry that is no leaf. @ptep is a leaf. Returns how many.
 */
static size_t lpae_clear_leaves(const struct lpae_pgtable *d, u64 *ptep,
				unsigned int lvl, size_t max)
{
	unsigned int type = lpae_leaf_type(d, lvl);
	size_t i;

	for (i = 0; i < max; i++) {
		if (FIELD_GET(LPAE_PTE_TYPE, lpae_read(&ptep[i])) != type)
			break;
		lpae_write(&ptep[i], 0);
	}
	return i;
}

/* Tell the TLB callbacks of @n leaves of 2^@span_lg2 bytes from @iova on. */
static void lpae_gather_leaves(const struct lpae_pgtable *d,
			       struct iopgtable_gather *gather, u64 iova,
			       unsigned int span_lg2, size_t n)
{
	const struct iopgtable_flush_ops *tlb = d->iop.cfg.tlb;
	void (*add_page)(struct iopgtable_gather *gather, u64 iova,
			 size_t granule, void *cookie);
	void *cookie = d->iop.cookie;
	u64 end = iova + ((u64)n << span_lg2);

	if (!tlb || !tlb->tlb_add_page)
		return;
	add_page = tlb->tlb_add_page;
	for (; iova != end; iova += BIT_ULL(span_lg2))
		add_page(gather, iova, BIT_ULL(span_lg2), cookie);
}

/*
 * The bytes from @cur on, at most @max, that whole spans of entries above
 * the last level cover, inside an invalid entry at level @lvl: the unmap
 * contract counts such spans as unmapped whatever they hold, and whether a
 * table below them was left behind must not change the answer. 0 at the
 * last level, where a hole is always a hole.
 */
static u64 lpae_hole_spans(const struct lpae_pgtable *d, unsigned int lvl,
			   u64 cur, u64 max)
{
	u64 done = 0;

	while (done < max) {
		unsigned int l;

		for (l = lvl; l < LPAE_LAST_LEVEL; l++) {
			u64 span = BIT_ULL(d->span_lg2[l]);

			if (!((cur + done) & (span - 1)) && max - done >= span)
				break;
		}
		if (l == LPAE_LAST_LEVEL)
			break;
		done += BIT_ULL(d->span_lg2[l]);
	}
	return done;
}

/*
 * Unmap up to *@left bytes from @iova, within @table at level @lvl. Returns
 * the bytes unmapped; sets *@stop at a hole or at a leaf that crosses
 * either end of the range.
 */
static u64 lpae_unmap_table(struct lpae_pgtable *d, u64 *table,
			    unsigned int lvl, u64 iova, u64 left,
			    struct iopgtable_gather *gather, bool *stop)
{
	unsigned int span_lg2 = lpae_span_lg2(d, lvl);
	u64 span = BIT_ULL(span_lg2);
	size_t idx = lpae_index(d, iova, lvl);
	size_t n = lpae_entries(d, lvl);
	size_t run;
	u64 done = 0;

	for (; idx < n && done < left; idx++) {
		u64 *ptep = &table[idx];
		u64 pte = lpae_read(ptep);
		u64 cur = iova + done;
		bool whole = !(cur & (span - 1)) && left - done >= span;

		if (!pte) {
			u64 in_entry = min(left - done, span - (cur & (span - 1)));
			u64 skip = lpae_hole_spans(d, lvl, cur, in_entry);

			done += skip;
			if (skip == in_entry)
				continue;
			iopgtable_violation(&d->iop,
					    IOPGTABLE_VIOLATION_UNMAP_HOLE,
					    cur + skip);
			*stop = true;
			break;
		}
		if (lpae_is_leaf(d, pte, lvl)) {
			if (!whole) {
				iopgtable_violation(&d->iop,
						    IOPGTABLE_VIOLATION_UNMAP_SPLIT,
						    cur);
				*stop = true;
				break;
			}
			/*
			 * Clear the run of whole leaves that starts here, and
			 * make it visible before any callback may invalidate.
			 */
			run = lpae_clear_leaves(d, ptep, lvl,
						min_t(u64, n - idx,
						      (left - done) >> span_lg2));
			lpae_sync(d, ptep, run);
			if (gather)
				lpae_gather_leaves(d, gather, cur, span_lg2, run);
			done += (u64)run << span_lg2;
			idx += run - 1;
			continue;
		}
		if (!lpae_is_table(pte, lvl)) {
			iopgtable_violation(&d->iop,
					    IOPGTABLE_VIOLATION_UNMAP_BAD_ENTRY,
					    cur);
			*stop = true;
			break;
		}
		if (whole) {
			lpae_remove_tables(d, ptep, pte, lvl, cur);
			done += span;
			continue;
		}
		done += lpae_unmap_table(d, lpae_table_of(pte), lvl + 1, cur,
					 left - done, gather, stop);
		if (*stop)
			break;
	}
	return done;
}

/* The general walk, out of line so that the common unmap stays small. */
static noinline u64 lpae_unmap_rest(struct lpae_pgtable *d, u64 *table,
				    unsigned int lvl, u64 iova, u64 size,
				    struct iopgtable_gather *gather)
{
	bool stop = false;

	return lpae_unmap_table(d, table, lvl, iova, size, gather, &stop);
}

static __always_inline u64 lpae_unmap(struct iopgtable *iop, u64 iova,
				      u64 size,
				      struct iopgtable_gather *gather)
{
	struct lpae_pgtable *d = to_lpae(iop);
	unsigned int lvl = d->start_level, span_lg2;
	u64 *table = d->root, done = 0;
	size_t idx, count;

	/*
	 * Go down without recursion while the range lies inside one table
	 * entry's span without covering it: only the table below changes.
	 */
	while (lvl < LPAE_LAST_LEVEL) {
		u64 span = BIT_ULL(d->span_lg2[lvl]);
		u64 off = iova & (span - 1);
		u64 pte = lpae_read(&table[lpae_index(d, iova, lvl)]);

		if (!lpae_is_table(pte, lvl) || off + size > span ||
		    (!off && size == span))
			break;
		table = lpae_table_of(pte);
		lvl++;
	}

	/*
	 * The common call unmaps whole leaves of one table, often a single
	 * one: clear them here, and leave holes, tables and the reports
	 * they need to the general walk.
	 */
	span_lg2 = d->span_lg2[lvl];
	idx = lpae_index(d, iova, lvl);
	count = size >> span_lg2;
	if (!((iova | size) & (BIT_ULL(span_lg2) - 1)) &&
	    count <= lpae_entries(d, lvl) - idx) {
		u64 *ptep = table + idx;
		size_t run;

		run = lpae_clear_leaves(d, ptep, lvl, count);
		lpae_sync(d, ptep, run);
		if (gather && run)
			lpae_gather_leaves(d, gather, iova, span_lg2, run);
		done = (u64)run << span_lg2;
		if (run == count)
			return done;
	}
	return done + lpae_unmap_rest(d, table, lvl, iova + done, size - done,
				      gather);
}

static phys_addr_t lpae_iova_to_phys(struct iopgtable *iop, u64 iova)
{
	struct lpae_pgtable *d = to_lpae(iop);
	u64 *table = d->root;
	unsigned int lvl;

	for (lvl = d->start_level; lvl < LPAE_MAX_LEVELS; lvl++) {
		u64 pte = lpae_read(&table[lpae_index(d, iova, lvl)]);

		if (lpae_is_leaf(d, pte, lvl))
			return (pte & LPAE_PTE_OA) |
			       (iova & (BIT_ULL(lpae_span_lg2(d, lvl)) - 1));
		if (!lpae_is_table(pte, lvl))
			return 0;
		table = lpae_table_of(pte);
	}
	return 0;
}

static void lpae_walk(struct iopgtable *iop, u64 iova,
		      struct iopgtable_walk *walk)
{
	struct lpae_pgtable *d = to_lpae(iop);
	u64 *table = d->root;
	unsigned int lvl;

	walk->start_level = d->start_level;
	for (lvl = d->start_level; lvl < LPAE_MAX_LEVELS; lvl++) {
		u64 pte = lpae_read(&table[lpae_index(d, iova, lvl)]);

		walk->ptes[walk->nr++] = pte;
		if (!lpae_is_table(pte, lvl))
			break;
		table = lpae_table_of(pte);
	}
}

/* The IOPGTABLE_* flags a leaf's bits encode; lpae_prot_to_pte() undone. */
static int lpae_pte_to_prot(const struct lpae_pgtable *d, u64 pte)
{
	int prot = 0;

	if (d->mali) {
		u64 perm = FIELD_GET(MALI_PTE_PERM, pte);

		if (perm & MALI_PERM_READ)
			prot |= IOPGTABLE_READ;
		if (perm & MALI_PERM_WRITE)
			prot |= IOPGTABLE_WRITE;
	} else {
		prot |= IOPGTABLE_READ;
		if (!(pte & LPAE_PTE_AP_RDONLY))
			prot |= IOPGTABLE_WRITE;
		if (!(pte & LPAE_PTE_AP_UNPRIV))
			prot |= IOPGTABLE_PRIVILEGED;
	}
	switch (FIELD_GET(LPAE_PTE_ATTRINDX, pte)) {
	case LPAE_ATTR_IDX_CACHE:
		prot |= IOPGTABLE_CACHE;
		break;
	case LPAE_ATTR_IDX_DEV:
		prot |= IOPGTABLE_MMIO;
		break;
	}
	if (pte & LPAE_PTE_XN)
		prot |= IOPGTABLE_NOEXEC;
	return prot;
}

static const char *lpae_leaf_name(unsigned int lvl)
{
	return lvl == LPAE_LAST_LEVEL ? "page" : "block";
}

/* The name of a MAIR_EL1 or AS_MEMATTR attribute this library programs. */
static const char *lpae_attr_name(const struct lpae_pgtable *d, u8 attr)
{
	if (d->mali) {
		switch (attr) {
		case MALI_MEMATTR_IMP_DEF:
			return "impl-def";
		case MALI_MEMATTR_WRITE_ALLOC:
			return "write-alloc";
		}
		return "?";
	}
	switch (attr) {
	case LPAE_MAIR_ATTR_NC:
		return "Normal-NC";
	case LPAE_MAIR_ATTR_WBRWA:
		return "Normal-WB";
	case LPAE_MAIR_ATTR_DEVICE:
		return "Device-nGnRE";
	case LPAE_MAIR_ATTR_INC_OWBRWA:
		return "Normal-iNC-oWB";
	}
	return "?";
}

static int lpae_describe(struct iopgtable *iop, unsigned int lvl, u64 pte,
			 char *buf, size_t size)
{
	static const char *const sh_names[] = { "NSH", "?", "OS", "IS" };
	static const char *const mali_perms[] = { "none", "R", "W", "RW" };
	static const char *const xn_names[] = { "", " PXN", " UXN", " XN" };
	struct lpae_pgtable *d = to_lpae(iop);
	unsigned int idx = FIELD_GET(LPAE_PTE_ATTRINDX, pte);
	u64 attrs = d->mali ? iop->cfg.arm_mali_lpae.memattr :
			      iop->cfg.arm_lpae_s1.mair;
	u8 attr = attrs >> (idx * 8);
	char sz[8];
	int n;

	if (lpae_is_table(pte, lvl))
		return scnprintf(buf, size, "table %#llx%s", pte & LPAE_PTE_OA,
				 pte & LPAE_PTE_NSTABLE ? " NSTable" : "");
	if (!lpae_is_leaf(d, pte, lvl))
		return scnprintf(buf, size, "invalid");

	iopgtable_size_str(sz, sizeof(sz), lpae_span_lg2(d, lvl));
	n = scnprintf(buf, size, "%s %s %#llx AttrIndx %u (%#04x %s) SH %s",
		      lpae_leaf_name(lvl), sz, pte & LPAE_PTE_OA, idx, attr,
		      lpae_attr_name(d, attr),
		      sh_names[FIELD_GET(LPAE_PTE_SH, pte)]);
	if (d->mali)
		n += scnprintf(buf + n, size - n, " %s",
			       mali_perms[FIELD_GET(MALI_PTE_PERM, pte)]);
	else
		n += scnprintf(buf + n, size - n, " AP %s%s",
			       pte & LPAE_PTE_AP_RDONLY ? "RO" : "RW",
			       pte & LPAE_PTE_AP_UNPRIV ? " EL0" : "");
	n += scnprintf(buf + n, size - n, "%s%s%s%s",
		       pte & LPAE_PTE_AF ? " AF" : "",
		       pte & LPAE_PTE_NG ? " nG" : "",
		       pte & LPAE_PTE_NS ? " NS" : "",
		       xn_names[FIELD_GET(LPAE_PTE_XN, pte)]);
	return n;
}

/* Visit the leaves of @table at level @lvl, which maps from @iova on. */
static void lpae_visit_table(struct lpae_pgtable *d, u64 *table,
			     unsigned int lvl, u64 iova,
			     struct iopgtable_visitor *v)
{
	unsigned int span_lg2 = lpae_span_lg2(d, lvl);
	size_t i, n = lpae_entries(d, lvl);

	v->tables[lvl]++;
	for (i = 0; i < n; i++) {
		u64 pte = lpae_read(&table[i]);
		u64 va = iova + ((u64)i << span_lg2);
		struct iopgtable_leaf leaf;

		if (lpae_is_table(pte, lvl)) {
			lpae_visit_table(d, lpae_table_of(pte), lvl + 1, va, v);
			continue;
		}
		if (!lpae_is_leaf(d, pte, lvl))
			continue;
		leaf.iova = va;
		leaf.paddr = pte & LPAE_PTE_OA;
		leaf.attrs = pte & ~LPAE_PTE_OA;
		leaf.size_lg2 = span_lg2;
		leaf.prot = lpae_pte_to_prot(d, pte);
		leaf.type = lpae_leaf_name(lvl);
		v->leaf(v, &leaf);
	}
}

static void lpae_visit(struct iopgtable *iop, struct iopgtable_visitor *v)
{
	struct lpae_pgtable *d = to_lpae(iop);

	lpae_visit_table(d, d->root, d->start_level, iop->iova_first, v);
}

/*
 * Break before make: clear the block @blk in @ptep, at level @lvl for
 * @iova, make that visible to the walker and have the caller's callback
 * invalidate the block's span, so that no TLB holds the block when the
 * table entry @pte replaces it. Between the two the span translates
 * nothing. False, with nothing changed, when a concurrent call changed
 * the entry first.
 */
static bool lpae_break_block(struct lpae_pgtable *d, u64 *ptep, u64 blk,
			     unsigned int lvl, u64 iova, u64 pte)
{
	u64 span = BIT_ULL(lpae_span_lg2(d, lvl));

	if (cmpxchg64_relaxed(ptep, blk, 0) != blk)
		return false;
	lpae_sync(d, ptep, 1);
	/* The cleared entry reaches the walker before it is invalidated. */
	wmb();
	d->iop.cfg.tlb->tlb_flush_walk(iova & ~(span - 1), span,
				       BIT(d->granule_lg2), d->iop.cookie);
	/* The new table's entries before the entry pointing at them. */
	dma_wmb();
	lpae_write(ptep, pte);
	return true;
}

/*
 * Replace the block @blk at level @lvl in @ptep by a table of the leaves one
 * level down that map the same output addresses with the same attributes,
 * as io-pgtable-arm's arm_lpae_split_blk_unmap() writes them. The new table
 * is visible to a non-coherent walker before it is published: with one
 * compare-and-exchange against @blk, or break-before-make with
 * &iopgtable_cfg.split_bbm. Returns 0 with the entry now in @ptep in
 * *@ptep_now (ours, or what a concurrent call put there), or -ENOMEM.
 */
static int lpae_split_block(struct lpae_pgtable *d, u64 *ptep, u64 blk,
			    unsigned int lvl, u64 iova, gfp_t gfp,
			    struct iopgtable_prealloc *pa, u64 *ptep_now)
{
	unsigned int next = lvl + 1;
	u64 step = BIT_ULL(lpae_span_lg2(d, next));
	size_t n = lpae_entries(d, next);
	u64 attrs, *table, pte;
	bool linked;

	table = lpae_get_table(d, next, gfp, pa, iova);
	if (!table)
		return -ENOMEM;

	attrs = (blk & LPAE_PTE_LEAF_ATTRS) |
		FIELD_PREP(LPAE_PTE_TYPE, lpae_leaf_type(d, next));
	lpae_fill(table, attrs, blk & LPAE_PTE_OA, step, n, true);
	/* The leaves first, then the entry that makes the walker see them. */
	lpae_sync(d, table, n);

	pte = virt_to_phys(table) | d->table_attrs;
	if (d->iop.cfg.split_bbm) {
		linked = lpae_break_block(d, ptep, blk, lvl, iova, pte);
	} else {
		u64 old = lpae_link_table(d, ptep, blk, table);

		linked = old == blk;
		if (!linked)
			pte = old;
	}
	if (!linked) {
		/* A concurrent call changed the entry first: it stands. */
		memset(table, 0, n << LPAE_PTE_SIZE_LG2);
		lpae_sync(d, table, n);
		lpae_put_table(d, table, next, pa);
		if (d->iop.cfg.split_bbm)
			pte = lpae_read(ptep);
	}
	if (lpae_is_table(pte, lvl))
		lpae_sync_table_pte(d, ptep, pte);
	*ptep_now = pte;
	return 0;
}

static int lpae_split(struct iopgtable *iop, u64 iova, gfp_t gfp,
		      struct iopgtable_prealloc *pa)
{
	struct lpae_pgtable *d = to_lpae(iop);
	unsigned int lvl;
	u64 *table = d->root;

	for (lvl = d->start_level; lvl < LPAE_LAST_LEVEL; lvl++) {
		u64 *ptep = table + lpae_index(d, iova, lvl);
		u64 pte;
		int ret;

		/* An entry starts at @iova: nothing crosses it. */
		if (!(iova & (BIT_ULL(lpae_span_lg2(d, lvl)) - 1)))
			return 0;
		pte = lpae_read(ptep);
		if (lpae_is_leaf(d, pte, lvl)) {
			ret = lpae_split_block(d, ptep, pte, lvl, iova, gfp, pa,
					       &pte);
			if (ret)
				return ret;
		}
		if (!lpae_is_table(pte, lvl))
			return 0;
		table = lpae_table_of(pte);
	}
	return 0;
}

/* One table for a reservation, as lpae_reserves_unzeroed() says. */
static void *lpae_reserve_table(struct lpae_pgtable *d, gfp_t gfp)
{
	size_t size = BIT(d->granule_lg2);
	void *table;

	/* Its level is known only once it is used: traced as LPAE_MAX_LEVELS. */
	if (!lpae_reserves_unzeroed(d))
		return lpae_alloc_table(d, size, LPAE_MAX_LEVELS, gfp);
	table = lpae_alloc_mem(d, size, gfp, true);
	if (!table || !lpae_ready_table(d, table, size, LPAE_MAX_LEVELS))
		return NULL;
	return table;
}

/*
 * The cache's bulk allocation takes no node, so it serves only a device
 * without one; and it wants interrupts on, which a caller that may sleep
 * has.
 */
static bool lpae_reserves_in_bulk(const struct lpae_pgtable *d, gfp_t gfp)
{
	struct device *dev = d->iop.cfg.iommu_dev;

	return lpae_reserves_unzeroed(d) && lpae_cached(BIT(d->granule_lg2)) &&
	       gfpflags_allow_blocking(gfp) &&
	       (!dev || dev_to_node(dev) == NUMA_NO_NODE);
}

static unsigned int lpae_alloc_tables_op(struct iopgtable *iop, gfp_t gfp,
					 unsigned int n, void **tables)
{
	struct lpae_pgtable *d = to_lpae(iop);
	size_t size = BIT(d->granule_lg2);
	unsigned int i;

	if (lpae_reserves_in_bulk(d, gfp)) {
		if (!kmem_cache_alloc_bulk(lpae_table_cache,
					   gfp & ~__GFP_HIGHMEM, n, tables))
			return 0;
		for (i = 0; i < n; i++) {
			/* As lpae_alloc_mem() and lpae_ready_table(). */
			kmemleak_ignore(tables[i]);
			trace_iopgtable_table_alloc(&iop->ops, LPAE_MAX_LEVELS,
						    virt_to_phys(tables[i]),
						    size);
		}
		return n;
	}
	for (i = 0; i < n; i++) {
		tables[i] = lpae_reserve_table(d, gfp);
		if (!tables[i]) {
			while (i--)
				lpae_free_table(d, tables[i], size,
						LPAE_MAX_LEVELS);
			return 0;
		}
	}
	return n;
}

static void lpae_free_tables_op(struct iopgtable *iop, unsigned int n,
				void **tables)
{
	struct lpae_pgtable *d = to_lpae(iop);
	size_t size = BIT(d->granule_lg2);
	unsigned int i;

	/*
	 * SLAB (before 6.8) turns interrupts on in kmem_cache_free_bulk(),
	 * and a release may run with them off.
	 */
	if (d->iop.cfg.free || !lpae_cached(size) || IS_ENABLED(CONFIG_SLAB)) {
		for (i = 0; i < n; i++)
			lpae_free_table(d, tables[i], size, LPAE_MAX_LEVELS);
		return;
	}
	for (i = 0; i < n; i++) {
		/* As lpae_free_table(), but for the free itself. */
		trace_iopgtable_table_free(&iop->ops, LPAE_MAX_LEVELS,
					   virt_to_phys(tables[i]), size);
		if (!d->iop.cfg.coherent_walk)
			dma_unmap_single(d->iop.cfg.iommu_dev,
					 virt_to_phys(tables[i]), size,
					 DMA_TO_DEVICE);
	}
	kmem_cache_free_bulk(lpae_table_cache, n, tables);
}

/*
 * The granule, chosen as io-pgtable-arm chooses it: the CPU page size if
 * wanted, else the largest wanted size below it, else the smallest above.
 */
static unsigned long lpae_pick_granule(unsigned long wanted)
{
	if (wanted & PAGE_SIZE)
		return PAGE_SIZE;
	if (wanted & ~PAGE_MASK)
		return BIT(__fls(wanted & ~PAGE_MASK));
	if (wanted & PAGE_MASK)
		return BIT(__ffs(wanted & PAGE_MASK));
	return 0;
}

static struct lpae_pgtable *lpae_alloc(const struct iopgtable_cfg *cfg,
				       void *cookie, unsigned long sizes)
{
	unsigned long granule = lpae_pick_granule(cfg->pgsize_bitmap & sizes);
	unsigned int va_bits, levels;
	struct lpae_pgtable *d;

	switch (granule) {
	case SZ_4K:
		sizes &= SZ_4K | SZ_2M | SZ_1G;
		break;
	case SZ_16K:
		sizes &= SZ_16K | SZ_32M;
		break;
	case SZ_64K:
		sizes &= SZ_64K | SZ_512M;
		break;
	default:
		return ERR_PTR(-EINVAL);
	}
	if (cfg->ias < 32 || cfg->ias > 48 || cfg->oas < 32 || cfg->oas > 48)
		return ERR_PTR(-EINVAL);

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	iopgtable_init(&d->iop, cfg, cookie);
	d->iop.cfg.pgsize_bitmap = cfg->pgsize_bitmap & sizes;
	d->granule_lg2 = __ffs(granule);
	d->bits_per_level = d->granule_lg2 - LPAE_PTE_SIZE_LG2;

	va_bits = cfg->ias - d->granule_lg2;
	levels = DIV_ROUND_UP(va_bits, d->bits_per_level);
	d->start_level = LPAE_MAX_LEVELS - levels;
	d->root_bits = va_bits - d->bits_per_level * (levels - 1);
	return d;
}

static int lpae_alloc_root(struct lpae_pgtable *d)
{
	unsigned int lvl;
	int prot;

	lpae_init_levels(d);
	for (lvl = d->start_level + 1; lvl < LPAE_MAX_LEVELS; lvl++)
		d->iop.table_spans |= BIT_ULL(lpae_span_lg2(d, lvl - 1));
	for (prot = 0; prot < LPAE_PROT_COMBOS; prot++)
		d->leaf_attrs[prot] = lpae_prot_to_pte(d, prot);
	d->root_size = max_t(size_t, BIT(d->root_bits + LPAE_PTE_SIZE_LG2),
			     LPAE_ROOT_MIN_SIZE);
	d->root = lpae_alloc_table(d, d->root_size, d->start_level, GFP_KERNEL);
	if (!d->root)
		return -ENOMEM;
	/* The empty root must be visible before its address is programmed. */
	wmb();
	return 0;
}

static struct iopgtable *lpae_s1_alloc(const struct iopgtable_cfg *cfg,
				       void *cookie)
{
	static const u8 tg0[] = { [12] = 0, [14] = 2, [16] = 1 };
	static const u8 tg1[] = { [12] = 2, [14] = 1, [16] = 3 };
	bool outer_wbwa = cfg->quirks & IOPGTABLE_QUIRK_ARM_OUTER_WBWA;
	u64 sh, irgn, orgn, ips, tcr;
	struct lpae_pgtable *d;
	int ret;

	switch (cfg->oas) {
	case 32:
		ips = 0;
		break;
	case 36:
		ips = 1;
		break;
	case 40:
		ips = 2;
		break;
	case 42:
		ips = 3;
		break;
	case 44:
		ips = 4;
		break;
	case 48:
		ips = 5;
		break;
	default:
		return ERR_PTR(-EINVAL);
	}

	if (cfg->coherent_walk) {
		if (outer_wbwa)
			return ERR_PTR(-EINVAL);
		sh = LPAE_TCR_SH_IS;
		irgn = LPAE_TCR_RGN_WBWA;
		orgn = LPAE_TCR_RGN_WBWA;
	} else {
		sh = LPAE_TCR_SH_OS;
		irgn = LPAE_TCR_RGN_NC;
		orgn = outer_wbwa ? LPAE_TCR_RGN_WBWA : LPAE_TCR_RGN_NC;
	}

	d = lpae_alloc(cfg, cookie, SZ_4K | SZ_16K | SZ_64K | SZ_2M | SZ_32M |
				    SZ_512M | SZ_1G);
	if (IS_ERR(d))
		return ERR_CAST(d);
	d->table_attrs = FIELD_PREP(LPAE_PTE_TYPE, LPAE_TYPE_TABLE);
	if (cfg->quirks & IOPGTABLE_QUIRK_ARM_NS)
		d->table_attrs |= LPAE_PTE_NSTABLE;

	if (cfg->quirks & IOPGTABLE_QUIRK_ARM_TTBR1)
		tcr = FIELD_PREP(LPAE_TCR_T1SZ, 64 - cfg->ias) |
		      FIELD_PREP(LPAE_TCR_IRGN1, irgn) |
		      FIELD_PREP(LPAE_TCR_ORGN1, orgn) |
		      FIELD_PREP(LPAE_TCR_SH1, sh) |
		      FIELD_PREP(LPAE_TCR_TG1, tg1[d->granule_lg2]);
	else
		tcr = FIELD_PREP(LPAE_TCR_T0SZ, 64 - cfg->ias) |
		      FIELD_PREP(LPAE_TCR_IRGN0, irgn) |
		      FIELD_PREP(LPAE_TCR_ORGN0, orgn) |
		      FIELD_PREP(LPAE_TCR_SH0, sh) |
		      FIELD_PREP(LPAE_TCR_TG0, tg0[d->granule_lg2]);
	d->iop.cfg.arm_lpae_s1.tcr = tcr | FIELD_PREP(LPAE_TCR_IPS, ips);
	d->iop.cfg.arm_lpae_s1.mair =
		LPAE_MAIR_ATTR(LPAE_ATTR_IDX_NC, LPAE_MAIR_ATTR_NC) |
		LPAE_MAIR_ATTR(LPAE_ATTR_IDX_CACHE, LPAE_MAIR_ATTR_WBRWA) |
		LPAE_MAIR_ATTR(LPAE_ATTR_IDX_DEV, LPAE_MAIR_ATTR_DEVICE) |
		LPAE_MAIR_ATTR(LPAE_ATTR_IDX_INC_OCACHE, LPAE_MAIR_ATTR_INC_OWBRWA) |
		LPAE_MAIR_UNUSED_ATTRS;

	ret = lpae_alloc_root(d);
	if (ret) {
		kfree(d);
		return ERR_PTR(ret);
	}
	d->iop.cfg.arm_lpae_s1.ttbr = virt_to_phys(d->root);
	return &d->iop;
}

static struct iopgtable *lpae_mali_alloc(const struct iopgtable_cfg *cfg,
					 void *cookie)
{
	struct lpae_pgtable *d;
	int ret;

	if (cfg->oas > 40)
		return ERR_PTR(-EINVAL);
	d = lpae_alloc(cfg, cookie, SZ_4K | SZ_2M | SZ_1G);
	if (IS_ERR(d))
		return ERR_CAST(d);
	d->mali = true;
	d->table_attrs = FIELD_PREP(LPAE_PTE_TYPE, LPAE_TYPE_TABLE);

	/* The Mali MMU always walks four levels; a short root has one entry. */
	if (d->start_level > 0) {
		d->start_level = 0;
		d->root_bits = 0;
	}

	/*
	 * Mali has no non-cacheable memory type: the implementation-defined
	 * policy stands in for it and for the device index.
	 */
	d->iop.cfg.arm_mali_lpae.memattr =
		LPAE_MAIR_ATTR(LPAE_ATTR_IDX_NC, MALI_MEMATTR_IMP_DEF) |
		LPAE_MAIR_ATTR(LPAE_ATTR_IDX_CACHE, MALI_MEMATTR_WRITE_ALLOC) |
		LPAE_MAIR_ATTR(LPAE_ATTR_IDX_DEV, MALI_MEMATTR_IMP_DEF);

	ret = lpae_alloc_root(d);
	if (ret) {
		kfree(d);
		return ERR_PTR(ret);
	}
	d->iop.cfg.arm_mali_lpae.transtab = virt_to_phys(d->root) |
					    MALI_TRANSTAB_READ_INNER |
					    MALI_TRANSTAB_ADRMODE_TABLE;
	if (cfg->coherent_walk)
		d->iop.cfg.arm_mali_lpae.transtab |= MALI_TRANSTAB_SHARE_OUTER;
	return &d->iop;
}

static void lpae_free(struct iopgtable *iop)
{
	struct lpae_pgtable *d = to_lpae(iop);

	lpae_free_tables(d, d->root, d->start_level);
	kfree(d);
}

/* The ops' entry points, with map and unmap inlined (iopgtable-entry.h). */
static int lpae_map_pages(struct iopgtable_ops *ops, u64 iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	return iopgtable_map_pages_with(to_iopgtable(ops), iova, paddr, pgsize,
					pgcount, prot, gfp, NULL, mapped,
					lpae_map);
}

static size_t lpae_unmap_pages(struct iopgtable_ops *ops, u64 iova,
			       size_t pgsize, size_t pgcount,
			       struct iopgtable_gather *gather)
{
	return iopgtable_unmap_pages_with(to_iopgtable(ops), iova, pgsize,
					  pgcount, gather, lpae_unmap);
}

const struct iopgtable_format iopgtable_arm_64_lpae_s1_format = {
	.quirks		= IOPGTABLE_QUIRK_NO_WARN | IOPGTABLE_QUIRK_ARM_NS |
			  IOPGTABLE_QUIRK_ARM_TTBR1 |
			  IOPGTABLE_QUIRK_ARM_OUTER_WBWA,
	.alloc		= lpae_s1_alloc,
	.free		= lpae_free,
	.map		= lpae_map,
	.map_list	= lpae_map_list,
	.unmap		= lpae_unmap,
	.iova_to_phys	= lpae_iova_to_phys,
	.split		= lpae_split,
	.alloc_tables	= lpae_alloc_tables_op,
	.free_tables	= lpae_free_tables_op,
	.walk		= lpae_walk,
	.describe	= lpae_describe,
	.visit		= lpae_visit,
	.map_pages	= lpae_map_pages,
	.unmap_pages	= lpae_unmap_pages,
};

const struct iopgtable_format iopgtable_arm_mali_lpae_format = {
	.quirks		= IOPGTABLE_QUIRK_NO_WARN,
	.alloc		= lpae_mali_alloc,
	.free		= lpae_free,
	.map		= lpae_map,
	.map_list	= lpae_map_list,
	.unmap		= lpae_unmap,
	.iova_to_phys	= lpae_iova_to_phys,
	.split		= lpae_split,
	.alloc_tables	= lpae_alloc_tables_op,
	.free_tables	= lpae_free_tables_op,
	.walk		= lpae_walk,
	.describe	= lpae_describe,
	.visit		= lpae_visit,
	.map_pages	= lpae_map_pages,
	.unmap_pages	= lpae_unmap_pages,
};
