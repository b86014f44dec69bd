/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers of the iopgtable KUnit suites: a table allocator that
 * counts and fails on request, a test table that frees itself, and a walker
 * that reads LPAE entries from the root register, independently of the
 * format code.
 */
#ifndef _IOPGTABLE_TEST_UTIL_H
#define _IOPGTABLE_TEST_UTIL_H

#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/iopgtable.h>
#include <linux/math64.h>
#include <linux/prandom.h>

#include "iopgtable-internal.h"

struct iopgtable_test_syncs;
struct iopgtable_test_shadow;

/*
 * The test walkers' own reading of the architecture, not the format's
 * code: an entry's type, its output address, the type of a table entry
 * above the last level, and the bits left to software, which a walker
 * ignores (table entries 58:51, leaves 58:55).
 */
#define TEST_PTE_TYPE		GENMASK_ULL(1, 0)
#define TEST_PTE_OA		GENMASK_ULL(47, 12)
#define TEST_PTE_TABLE		3
#define TEST_PTE_SW		GENMASK_ULL(58, 55)

/**
 * struct iopgtable_test_table - a table under test
 * @test: the test that owns it.
 * @ops: the table; freed by iopgtable_test_release() or at test exit.
 * @cfg: the configuration as iopgtable_alloc_ops() wrote it back.
 * @fmt: its format.
 * @attempts: allocation attempts so far.
 * @allocs: allocations that succeeded.
 * @frees: tables freed.
 * @live_bytes: bytes allocated and not yet freed.
 * @fail_at: the attempt number that fails (1 is the first); 0 for none.
 * @fail_from: when set, every attempt from @fail_at on fails.
 * @flush_all: tlb_flush_all calls.
 * @flush_walk: tlb_flush_walk calls.
 * @flush_walk_bytes: the total size they were given.
 * @flush_walk_iova: the IOVA the last of them was given.
 * @add_page: tlb_add_page calls.
 * @add_page_bytes: the total size they were given.
 * @violations: the table's iopgtable_violation events (WARNed or not).
 * @warnings: those of them that WARNed, overlaps aside; with
 *	IOPGTABLE_QUIRK_NO_WARN, iopgtable_test_release() expects none.
 * @overlaps: those of them that were calls overlapping a call in flight
 *	(which WARN whatever the quirks say).
 * @kernel_warns: WARNs the kernel issued while the table lived, whoever
 *	issued them (the error_report_end tracepoint of __warn()).
 * @warned_before: iopgtable_test_warned() when the table was made.
 * @other_warns: WARNs the test expects that are no violation of the
 *	contract (a driver's own, say): iopgtable_test_release() expects
 *	@kernel_warns to be those and the violations test tables reported
 *	WARNed, nothing else.
 * @dma_syncs: the table's iopgtable_dma_sync events.
 * @syncs: where to log those events, or NULL.
 * @shadow: what a non-coherent walker reads, where cfg.iommu_dev is an
 *	iopgtable_test_shadow_device(); else NULL.
 * @shadow_before: buffers mapped to that device before the table was made.
 * @probed: the tracepoint probes that count them are registered.
 */
struct iopgtable_test_table {
	struct kunit *test;
	struct iopgtable_ops *ops;
	struct iopgtable_cfg cfg;
	enum iopgtable_fmt fmt;
	unsigned long attempts;
	unsigned long allocs;
	unsigned long frees;
	long live_bytes;
	unsigned long fail_at;
	bool fail_from;
	unsigned long flush_all;
	unsigned long flush_walk;
	u64 flush_walk_bytes;
	u64 flush_walk_iova;
	unsigned long add_page;
	u64 add_page_bytes;
	atomic_long_t violations;
	atomic_long_t warnings;
	atomic_long_t overlaps;
	atomic_long_t kernel_warns;
	long warned_before;
	long other_warns;
	atomic_long_t dma_syncs;
	struct iopgtable_test_syncs *syncs;
	struct iopgtable_test_shadow *shadow;
	unsigned long shadow_before;
	bool probed;
};

void *iopgtable_test_alloc(void *cookie, size_t size, gfp_t gfp);
void iopgtable_test_free(void *cookie, void *pages, size_t size);
extern const struct iopgtable_flush_ops iopgtable_test_flush_ops;

/* A 4K-granule configuration for @fmt: ias 48, oas 40 (Mali) or 48. */
struct iopgtable_cfg iopgtable_test_cfg(enum iopgtable_fmt fmt);

/*
 * Allocate a table with the counting allocator and TLB counters. Asserts
 * success; the table is freed, and every allocation checked freed, when the
 * test ends unless the test released it first.
 */
struct iopgtable_test_table *
iopgtable_test_new(struct kunit *test, enum iopgtable_fmt fmt,
		   const struct iopgtable_cfg *cfg);

/* Free the table now and expect every table allocated to be freed. */
void iopgtable_test_release(struct iopgtable_test_table *t);

/* Make allocation attempt number @n from now on fail (1: the next one). */
void iopgtable_test_fail_in(struct iopgtable_test_table *t, unsigned long n);

/*
 * ops->map_pages with *mapped starting at 0; checks the forbidden outcome
 * (0 returned with nothing mapped) and that *mapped never exceeds the
 * request. Returns the errno; the bytes mapped go to *@mapped.
 */
int iopgtable_test_map_pages(struct iopgtable_test_table *t, u64 iova,
			     phys_addr_t paddr, size_t pgsize, size_t pgcount,
			     int prot, size_t *mapped);

/*
 * Expect [@iova, @iova + @size) to translate to [@paddr, ...), checked at
 * every smallest page and at an offset inside it, by the independent walker
 * below and by the table's own iova_to_phys alike.
 */
void iopgtable_test_expect_mapped(struct iopgtable_test_table *t, u64 iova,
				  phys_addr_t paddr, u64 size);

/* Expect nothing in [@iova, @iova + @size) to translate, by either walk. */
void iopgtable_test_expect_unmapped(struct iopgtable_test_table *t, u64 iova,
				    u64 size);

/*
 * A number below @n (any 64 bits when @n is 0) from the random suites'
 * seeded state @rnd, with no 64-bit division the 32-bit kernels lack.
 */
static inline u64 iopgtable_test_rand64(struct rnd_state *rnd, u64 n)
{
	u64 v = ((u64)prandom_u32_state(rnd) << 32) | prandom_u32_state(rnd);

	if (!n)
		return v;
	div64_u64_rem(v, n, &v);
	return v;
}

/* Contract violations the table has traced (WARNed or not). */
static inline unsigned long
iopgtable_test_violations(struct iopgtable_test_table *t)
{
	return atomic_long_read(&t->violations);
}

/**
 * struct iopgtable_test_walk - what the walker found for one IOVA
 * @pte: the raw entry that ends the walk (a leaf, or 0).
 * @level: its level (0 to 3).
 * @levels: how many levels the walk crossed, the root's included.
 * @table_ptes: the raw table entries crossed on the way, root first.
 * @unreadable: the walk ended at a table the walker cannot read (one not
 *	mapped for a non-coherent walker's DMA).
 */
struct iopgtable_test_walk {
	u64 pte;
	int level;
	int levels;
	u64 table_ptes[4];
	bool unreadable;
};

/**
 * struct iopgtable_test_geometry - the walk's shape, by the architecture
 * @granule_lg2: log2 of the granule.
 * @bits: index bits of a table below the root.
 * @start: the root's level.
 * @root_bits: index bits of the root.
 * @root: the root's physical address, from the root register.
 * @root_size: the root's bytes.
 * @ttbr1: the table translates the top of the address space.
 */
struct iopgtable_test_geometry {
	unsigned int granule_lg2;
	unsigned int bits;
	int start;
	unsigned int root_bits;
	phys_addr_t root;
	size_t root_size;
	bool ttbr1;
};

void iopgtable_test_geometry(struct iopgtable_test_table *t,
			     struct iopgtable_test_geometry *g);

/*
 * Walk the table's LPAE tree for @iova from the root register (ttbr or
 * transtab), following the architecture's rules for the granule and ias.
 * Returns the leaf entry, or 0 if the walk ends at an invalid entry.
 */
u64 iopgtable_test_walk(struct iopgtable_test_table *t, u64 iova,
			struct iopgtable_test_walk *walk);

/**
 * struct iopgtable_test_extent - pages mapped by one call, or what is left
 * @iova: first IOVA.
 * @paddr: what @iova translates to; the run is physically contiguous.
 * @size: bytes.
 * @pgsize_lg2: log2 of the page size; for a range helper's mapping, of the
 *	granule, and @whole is set.
 * @whole: mapped in pages of the library's choosing: unmap only as a whole.
 */
struct iopgtable_test_extent {
	u64 iova;
	u64 paddr;
	u64 size;
	unsigned int pgsize_lg2;
	bool whole;
};

/**
 * struct iopgtable_test_extents - what the random suites expect mapped
 * @ext: the extents, in no order, never overlapping.
 * @n: how many there are.
 * @max: room in @ext.
 */
struct iopgtable_test_extents {
	struct iopgtable_test_extent *ext;
	unsigned int n;
	unsigned int max;
};

/* The extent that maps @iova, or NULL. */
struct iopgtable_test_extent *
iopgtable_test_extent_find(struct iopgtable_test_extents *m, u64 iova);

/* Whether any extent meets [@iova, @iova + @size). */
bool iopgtable_test_extents_overlap(const struct iopgtable_test_extents *m,
				    u64 iova, u64 size);

/* Add @e unless it is empty; asserts there is room. */
void iopgtable_test_extent_add(struct kunit *test,
			       struct iopgtable_test_extents *m,
			       struct iopgtable_test_extent e);

/* Take [@iova, @iova + @size) out, splitting the extents it cuts. */
void iopgtable_test_extents_remove(struct kunit *test,
				   struct iopgtable_test_extents *m,
				   u64 iova, u64 size);

/*
 * What @iova translates to by iopgtable_test_walk(): the leaf's output
 * address plus the offset in its page, or 0 where no leaf maps it.
 */
u64 iopgtable_test_translate(struct iopgtable_test_table *t, u64 iova);

/* WARNs the table's contract violations issued (rate-limited). */
static inline unsigned long
iopgtable_test_warnings(struct iopgtable_test_table *t)
{
	return atomic_long_read(&t->warnings);
}

/* Calls overlapping a call in flight (CONFIG_IOPGTABLE_DEBUG) reported. */
static inline unsigned long
iopgtable_test_overlaps(struct iopgtable_test_table *t)
{
	return atomic_long_read(&t->overlaps);
}

/* DMA syncs (and DMA mappings of new tables) the table has traced. */
static inline unsigned long
iopgtable_test_dma_syncs(struct iopgtable_test_table *t)
{
	return atomic_long_read(&t->dma_syncs);
}

/**
 * struct iopgtable_test_syncs - a table's DMA syncs, in order
 * @ev: the first syncs made.
 * @ev.addr: the first byte synced.
 * @ev.size: the bytes synced.
 * @ev.watched: the watched entry when the sync was made (0 without one).
 * @ev.first: the first entry of the range synced, when it was synced.
 * @ev.last: the last entry of the range synced, when it was synced.
 * @n: how many syncs were made, which may be more than @ev holds.
 * @watch: the entry to read at each sync, or NULL.
 */
struct iopgtable_test_syncs {
	struct {
		const void *addr;
		size_t size;
		u64 watched;
		u64 first;
		u64 last;
	} ev[8];
	unsigned int n;
	const u64 *watch;
};

/*
 * Record @t's DMA syncs in @s, which starts empty, reading @watch at each,
 * until iopgtable_test_syncs_stop().
 */
void iopgtable_test_syncs_start(struct iopgtable_test_table *t,
				struct iopgtable_test_syncs *s,
				const u64 *watch);
void iopgtable_test_syncs_stop(struct iopgtable_test_table *t);

/**
 * struct iopgtable_test_count - events of a table that iopgtable_test_new()
 *	did not make
 * @ops: the table; NULL until it is known: then every table's count.
 * @n: the events counted.
 */
struct iopgtable_test_count {
	const void *ops;
	atomic_long_t n;
};

/*
 * Count in @c the DMA syncs of the table @c->ops (of every table while it
 * is NULL, as while that table is allocated) until the test ends.
 */
void iopgtable_test_count_syncs(struct kunit *test,
				struct iopgtable_test_count *c);

/* The same for the table's contract violations (iopgtable_violation). */
void iopgtable_test_count_violations(struct kunit *test,
				     struct iopgtable_test_count *c);

/*
 * A device whose DMA addresses are physical ones, for the tables of a
 * non-coherent walker. Skips the test in a kernel without the DMA API.
 */
struct device *iopgtable_test_dma_device(struct kunit *test, const char *name);

/*
 * A device for a non-coherent walker that keeps its own copy of what is
 * mapped to it, updated only by the DMA API (tests/test-dma.c): give it as
 * cfg.iommu_dev and iopgtable_test_new() checks the walker's view of the
 * table. Skips the test where the kernel has no per-device DMA ops.
 */
struct device *iopgtable_test_shadow_device(struct kunit *test,
					    const char *name);
/* @dev's copy if it is such a device, else NULL. */
struct iopgtable_test_shadow *iopgtable_test_shadow_of(struct device *dev);
/* The table at @root is the root of a walk starting at @level. */
void iopgtable_test_shadow_set_root(struct iopgtable_test_shadow *sh,
				    phys_addr_t root, int level);
/* Buffers mapped to the device now. */
unsigned long iopgtable_test_shadow_nr(struct iopgtable_test_shadow *sh);

/*
 * Read the entry at @pa as the CPU (@device false) or the table's
 * non-coherent walker (true) sees it; false where the walker cannot.
 */
bool iopgtable_test_read_pte(struct iopgtable_test_table *t, bool device,
			     phys_addr_t pa, u64 *pte);

/*
 * With a device view: every table the walker can reach from the root
 * register, read through the device's copy, must equal memory, and every
 * DMA use since the last check must have been right. Fails the test and
 * returns false where not. True at once without a device view.
 */
bool iopgtable_test_device_view_ok(struct iopgtable_test_table *t);

/* With a device view: the walks of @iova in memory and in the copy agree. */
bool iopgtable_test_device_walk_ok(struct iopgtable_test_table *t, u64 iova);

#endif /* _IOPGTABLE_TEST_UTIL_H */
