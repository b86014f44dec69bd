// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopgtable_vs_io_pgtable_arm: the differential suite. Each row builds one
 * table with iopgtable and one with the kernel's io-pgtable-arm from the
 * same configuration, drives both through the same seeded sequence of legal
 * map_pages and unmap_pages calls, and after every call walks both trees
 * from their root registers and compares every entry bit for bit.
 *
 * "Legal" is what both contracts allow: no map over a mapping, no unmap
 * that splits a block, READ or WRITE in every prot. io-pgtable-arm makes
 * partial progress at table boundaries, so it is driven by the loop a
 * driver writes around it; iopgtable must do each call in one.
 *
 * Rows with a non-coherent walker give both libraries the same device, with
 * a 64-bit DMA mask: each maps its tables for DMA there and marks a table
 * entry it has cleaned with the software bit 55 (SW_SYNC), which the
 * comparison checks like every other bit.
 *
 * Built when the kernel has CONFIG_IOMMU_IO_PGTABLE_LPAE; the seed is the
 * module parameter vs_seed (iopgtable_test.vs_seed= when built in).
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/dma-mapping.h>
#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include <linux/io.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/sizes.h>

#include "test-util.h"

static ulong vs_seed = 0x10a9e5;
module_param(vs_seed, ulong, 0444);
MODULE_PARM_DESC(vs_seed,
		 "seed of the iopgtable_vs_io_pgtable_arm call sequences");

#define VS_OPS_PER_ROW		400
#define VS_MAX_EXTENTS		96
#define VS_PROBES		8

/* The architecture's descriptor fields, as the comparison reads them. */
#define VS_PTE_TYPE		GENMASK_ULL(1, 0)
#define   VS_TYPE_TABLE		3
#define VS_PTE_TABLE_ADDR	GENMASK_ULL(47, 12)
#define VS_PTE_SW_SYNC		BIT_ULL(55)	/* io-pgtable-arm's software bit */

#define VS_TCR_T0SZ		GENMASK_ULL(5, 0)
#define VS_TCR_IRGN0		GENMASK_ULL(9, 8)
#define VS_TCR_ORGN0		GENMASK_ULL(11, 10)
#define VS_TCR_SH0		GENMASK_ULL(13, 12)
#define VS_TCR_TG0		GENMASK_ULL(15, 14)
#define VS_TCR_T1SZ		GENMASK_ULL(21, 16)
#define VS_TCR_IRGN1		GENMASK_ULL(25, 24)
#define VS_TCR_ORGN1		GENMASK_ULL(27, 26)
#define VS_TCR_SH1		GENMASK_ULL(29, 28)
#define VS_TCR_TG1		GENMASK_ULL(31, 30)
#define VS_TCR_IPS		GENMASK_ULL(34, 32)
#define VS_TRANSTAB_FLAGS	GENMASK_ULL(5, 0)

/**
 * struct vs_case - one configuration both libraries are built with
 * @fmt: our format; io-pgtable-arm's is the matching one.
 * @granule_lg2: log2 of the granule: 12, 14 or 16.
 * @ias: input address bits.
 * @oas: output address bits.
 * @ns: IOPGTABLE_QUIRK_ARM_NS / IO_PGTABLE_QUIRK_ARM_NS.
 * @ttbr1: IOPGTABLE_QUIRK_ARM_TTBR1 / IO_PGTABLE_QUIRK_ARM_TTBR1.
 * @noncoherent: coherent_walk false in both configurations.
 * @outer_wbwa: IOPGTABLE_QUIRK_ARM_OUTER_WBWA / IO_PGTABLE_QUIRK_ARM_OUTER_WBWA;
 *	with @noncoherent only.
 */
struct vs_case {
	enum iopgtable_fmt fmt;
	u8 granule_lg2;
	u8 ias;
	u8 oas;
	bool ns;
	bool ttbr1;
	bool noncoherent;
	bool outer_wbwa;
};

#define S1(g, i, o)		{ IOPGTABLE_ARM_64_LPAE_S1, g, i, o }
#define S1Q(g, i, o, n, t)	{ IOPGTABLE_ARM_64_LPAE_S1, g, i, o, n, t }
#define MALI(i, o)		{ IOPGTABLE_ARM_MALI_LPAE, 12, i, o }
/* Non-coherent walkers: quirks NS, TTBR1 and OUTER_WBWA. */
#define S1NC(g, i, o, n, t, w)	{ IOPGTABLE_ARM_64_LPAE_S1, g, i, o, n, t, true, w }
#define MALI_NC(i, o)		{ IOPGTABLE_ARM_MALI_LPAE, 12, i, o, \
				  .noncoherent = true }

/*
 * The ias values give every start level and root size each granule has:
 * 4K: 32 (level 1, 4 entries), 36 (level 1, 64), 39 (level 1, 512),
 * 42 (level 0, 8), 48 (level 0, 512); 16K: 32 (level 2, 128), 36 (level 2,
 * 2048), 39 (level 1, 8), 47 (level 1, 2048), 48 (level 0, 2); 64K: 32
 * (level 2, 8), 36 (level 2, 128), 42 (level 2, 8192), 48 (level 1, 64).
 */
static const struct vs_case vs_cases[] = {
	S1(12, 32, 32), S1(12, 36, 36), S1(12, 39, 40), S1(12, 42, 42),
	S1(12, 48, 44), S1(12, 48, 48),
	S1(14, 32, 36), S1(14, 36, 40), S1(14, 39, 42), S1(14, 47, 44),
	S1(14, 48, 48),
	S1(16, 32, 40), S1(16, 36, 32), S1(16, 42, 44), S1(16, 48, 48),
	S1Q(12, 48, 48, true, false), S1Q(12, 39, 40, false, true),
	S1Q(14, 47, 44, true, true), S1Q(16, 42, 48, false, true),
	S1Q(16, 48, 42, true, false),
	MALI(32, 32), MALI(39, 40), MALI(40, 36), MALI(48, 40),
	S1NC(12, 48, 48, false, false, false),
	S1NC(14, 47, 44, false, false, false),
	S1NC(16, 42, 44, false, false, false),
	S1NC(12, 39, 40, false, false, true),
	S1NC(16, 48, 48, true, true, true),
	MALI_NC(39, 40), MALI_NC(48, 40),
};

static void vs_case_desc(const struct vs_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s %uK ias %u oas %u%s%s%s%s",
		 c->fmt == IOPGTABLE_ARM_MALI_LPAE ? "mali_lpae" : "arm_64_lpae_s1",
		 1U << (c->granule_lg2 - 10), c->ias, c->oas,
		 c->ns ? " NS" : "", c->ttbr1 ? " TTBR1" : "",
		 c->outer_wbwa ? " OUTER_WBWA" : "",
		 c->noncoherent ? " non-coherent" : "");
}

KUNIT_ARRAY_PARAM(vs, vs_cases, vs_case_desc);

struct vs_run {
	struct kunit *test;
	const struct vs_case *c;
	struct rnd_state rnd;
	struct iopgtable_test_table *ours;
	struct iopgtable_test_table theirs_alloc;	/* counters only */
	struct io_pgtable_cfg kcfg;
	struct io_pgtable_ops *theirs;
	unsigned long sizes;
	u64 space;		/* lowest IOVA of the input range */
	u64 window;		/* the IOVAs used: [window, window + window_size) */
	u64 window_size;
	u64 phys_size;		/* 2^oas */
	int start_level;
	unsigned int root_bits;
	struct iopgtable_test_extent ext[VS_MAX_EXTENTS];
	struct iopgtable_test_extents model;
	unsigned long calls;	/* map_pages/unmap_pages calls given to both */
	unsigned long entries;	/* entries compared */
	unsigned long tables;	/* of which table entries in both */
	unsigned long synced;	/* of which with SW_SYNC in io-pgtable-arm's */
	unsigned long kept_empty; /* empty tables only io-pgtable-arm kept */
	bool failed;
};

static u32 vs_rand(struct vs_run *r, u32 n)
{
	return n ? prandom_u32_state(&r->rnd) % n : 0;
}

static u64 vs_rand64(struct vs_run *r, u64 n)
{
	return iopgtable_test_rand64(&r->rnd, n);
}

static unsigned int vs_span_lg2(const struct vs_run *r, int lvl)
{
	return r->c->granule_lg2 + (3 - lvl) * (r->c->granule_lg2 - 3);
}

/* Start level and root index bits, as the architecture derives them. */
static void vs_geometry(struct vs_run *r)
{
	unsigned int bits = r->c->granule_lg2 - 3;
	unsigned int va_bits = r->c->ias - r->c->granule_lg2;
	unsigned int levels = DIV_ROUND_UP(va_bits, bits);

	r->start_level = 4 - levels;
	r->root_bits = va_bits - bits * (levels - 1);
	if (r->c->fmt == IOPGTABLE_ARM_MALI_LPAE && r->start_level > 0) {
		r->start_level = 0;
		r->root_bits = 0;
	}
}

/*
 * Compare @n entries of io-pgtable-arm's @kt with ours, @ot, at level @lvl
 * for the IOVAs from @iova: leaves and empty entries exactly, table
 * entries but for the next table's address, then the tables below.
 */
static void vs_compare_table(struct vs_run *r, const u64 *kt, const u64 *ot,
			     int lvl, size_t n, u64 iova);

/* True when no valid leaf is reachable from io-pgtable-arm's table @kt. */
static bool vs_table_empty(struct vs_run *r, const u64 *kt, int lvl)
{
	size_t i, n = BIT(r->c->granule_lg2 - 3);

	for (i = 0; i < n; i++) {
		u64 kp = READ_ONCE(kt[i]);

		if (!kp)
			continue;
		if (lvl == 3 || FIELD_GET(VS_PTE_TYPE, kp) != VS_TYPE_TABLE ||
		    !vs_table_empty(r, phys_to_virt(kp & VS_PTE_TABLE_ADDR),
				    lvl + 1))
			return false;
	}
	return true;
}

static void vs_compare_table(struct vs_run *r, const u64 *kt, const u64 *ot,
			     int lvl, size_t n, u64 iova)
{
	unsigned int span_lg2 = vs_span_lg2(r, lvl);
	size_t i;

	for (i = 0; i < n && !r->failed; i++) {
		u64 kp = READ_ONCE(kt[i]), op = READ_ONCE(ot[i]);
		u64 at = iova + ((u64)i << span_lg2);

		r->entries++;
		/*
		 * The one difference by design: an unmap whose range covers
		 * a table's whole span frees that table here, whatever page
		 * size it was given; io-pgtable-arm keeps it, empty, unless
		 * the page size was the span's. Both translate nothing there.
		 */
		if (lvl < 3 && !op &&
		    FIELD_GET(VS_PTE_TYPE, kp) == VS_TYPE_TABLE &&
		    vs_table_empty(r, phys_to_virt(kp & VS_PTE_TABLE_ADDR),
				   lvl + 1)) {
			r->kept_empty++;
			continue;
		}
		if (lvl < 3 && FIELD_GET(VS_PTE_TYPE, kp) == VS_TYPE_TABLE &&
		    FIELD_GET(VS_PTE_TYPE, op) == VS_TYPE_TABLE) {
			r->tables++;
			if (kp & VS_PTE_SW_SYNC)
				r->synced++;
			if ((kp & ~VS_PTE_TABLE_ADDR) != (op & ~VS_PTE_TABLE_ADDR)) {
				KUNIT_FAIL(r->test,
					   "table entry for IOVA %#llx, level %d: io-pgtable-arm %#llx, iopgtable %#llx",
					   at, lvl, kp, op);
				r->failed = true;
				return;
			}
			vs_compare_table(r, phys_to_virt(kp & VS_PTE_TABLE_ADDR),
					 phys_to_virt(op & VS_PTE_TABLE_ADDR),
					 lvl + 1,
					 BIT(r->c->granule_lg2 - 3), at);
		} else if (kp != op) {
			KUNIT_FAIL(r->test,
				   "entry for IOVA %#llx, level %d: io-pgtable-arm %#llx, iopgtable %#llx",
				   at, lvl, kp, op);
			r->failed = true;
			return;
		}
	}
}

static void vs_compare_trees(struct vs_run *r)
{
	bool mali = r->c->fmt == IOPGTABLE_ARM_MALI_LPAE;
	u64 kroot, oroot;

	if (mali) {
		kroot = r->kcfg.arm_mali_lpae_cfg.transtab & ~VS_TRANSTAB_FLAGS;
		oroot = r->ours->cfg.arm_mali_lpae.transtab & ~VS_TRANSTAB_FLAGS;
	} else {
		kroot = r->kcfg.arm_lpae_s1_cfg.ttbr;
		oroot = r->ours->cfg.arm_lpae_s1.ttbr;
	}
	vs_compare_table(r, phys_to_virt(kroot), phys_to_virt(oroot),
			 r->start_level, BIT(r->root_bits), r->space);
}

/* Translate a few IOVAs in the window with both. */
static void vs_compare_probes(struct vs_run *r)
{
	unsigned int i;

	for (i = 0; i < VS_PROBES && !r->failed; i++) {
		u64 iova;
		phys_addr_t k, o;

		if (i < r->model.n && i % 2)
			iova = r->model.ext[vs_rand(r, r->model.n)].iova;
		else
			iova = r->window + vs_rand64(r, r->window_size);
		iova += vs_rand(r, 1U << r->c->granule_lg2) & ~7U;
		if (iova >= r->window + r->window_size)
			continue;
		k = r->theirs->iova_to_phys(r->theirs, iova);
		o = r->ours->ops->iova_to_phys(r->ours->ops, iova);
		if (k != o) {
			KUNIT_FAIL(r->test,
				   "iova_to_phys(%#llx): io-pgtable-arm %pa, iopgtable %pa",
				   iova, &k, &o);
			r->failed = true;
		}
	}
}

static int vs_random_prot(struct vs_run *r)
{
	static const int rw[] = {
		IOMMU_READ, IOMMU_WRITE, IOMMU_READ | IOMMU_WRITE,
	};
	u32 bits = vs_rand(r, 16);
	int prot = rw[vs_rand(r, ARRAY_SIZE(rw))];

	if (bits & 1)
		prot |= IOMMU_CACHE;
	if (bits & 2)
		prot |= IOMMU_NOEXEC;
	if ((bits & 12) == 4)
		prot |= IOMMU_MMIO;
	if (vs_rand(r, 4) == 0)
		prot |= IOMMU_PRIV;
	return prot;
}

/* Both libraries: map @count pages of 2^@lg2 at @iova to @paddr. */
static void vs_map_both(struct vs_run *r, u64 iova, u64 paddr,
			unsigned int lg2, size_t count, int prot)
{
	size_t pgsize = BIT_ULL(lg2), done = 0, left = count;
	u64 kiova = iova, kpa = paddr;
	int ret;

	ret = r->ours->ops->map_pages(r->ours->ops, iova, paddr, pgsize, count,
				      prot, GFP_KERNEL, &done);
	KUNIT_EXPECT_EQ_MSG(r->test, ret, 0, "iopgtable map %#llx, %zu x %#zx",
			    iova, count, pgsize);
	KUNIT_EXPECT_EQ(r->test, done, pgsize * count);

	/* io-pgtable-arm stops at table ends: the loop drivers write. */
	while (left) {
		size_t mapped = 0;

		ret = r->theirs->map_pages(r->theirs, kiova, kpa, pgsize, left,
					   prot, GFP_KERNEL, &mapped);
		if (ret || !mapped) {
			KUNIT_FAIL(r->test,
				   "io-pgtable-arm map %#llx: %d, mapped %#zx",
				   kiova, ret, mapped);
			r->failed = true;
			return;
		}
		kiova += mapped;
		kpa += mapped;
		left -= mapped / pgsize;
	}
	r->calls++;
}

/* Both libraries: unmap @count pages of 2^@lg2 at @iova. */
static void vs_unmap_both(struct vs_run *r, u64 iova, unsigned int lg2,
			  size_t count)
{
	size_t pgsize = BIT_ULL(lg2), left = count;
	u64 kiova = iova;

	KUNIT_EXPECT_EQ_MSG(r->test,
			    r->ours->ops->unmap_pages(r->ours->ops, iova,
						      pgsize, count, NULL),
			    pgsize * count, "iopgtable unmap %#llx, %zu x %#zx",
			    iova, count, pgsize);
	while (left) {
		size_t done = r->theirs->unmap_pages(r->theirs, kiova, pgsize,
						     left, NULL);

		if (!done) {
			KUNIT_FAIL(r->test, "io-pgtable-arm unmap %#llx: 0",
				   kiova);
			r->failed = true;
			return;
		}
		kiova += done;
		left -= done / pgsize;
	}
	r->calls++;
}

static void vs_add_extent(struct vs_run *r, u64 iova, u64 size,
			  unsigned int lg2)
{
	iopgtable_test_extent_add(r->test, &r->model,
				  (struct iopgtable_test_extent){
					.iova = iova, .size = size,
					.pgsize_lg2 = lg2 });
}

/* A random provided page size, as a log2. */
static unsigned int vs_random_lg2(struct vs_run *r)
{
	unsigned int n = hweight_long(r->sizes), k = vs_rand(r, n);
	unsigned long sizes = r->sizes;

	while (k--)
		sizes &= sizes - 1;
	return __ffs(sizes);
}

/* The next provided size above 2^@lg2, as a log2; 0 if none. */
static unsigned int vs_next_lg2(const struct vs_run *r, unsigned int lg2)
{
	unsigned long above = r->sizes & ~GENMASK(lg2, 0);

	return above ? __ffs(above) : 0;
}

static void vs_step_map(struct vs_run *r)
{
	unsigned int lg2 = vs_random_lg2(r), next = vs_next_lg2(r, lg2);
	u64 pgsize = BIT_ULL(lg2), iova, paddr, size;
	size_t count;
	int tries;

	if (r->model.n + 1 >= VS_MAX_EXTENTS)
		return;
	if (lg2 == r->c->granule_lg2)
		count = 1 + vs_rand(r, vs_rand(r, 4) ? 24 :
				       3 << (r->c->granule_lg2 - 3));
	else
		count = 1 + vs_rand(r, next ? 4 : 2);
	size = count * pgsize;
	if (size > r->window_size)
		return;

	for (tries = 0; tries < 16; tries++) {
		u64 slots = (r->window_size - size) / pgsize + 1;

		iova = r->window + vs_rand64(r, slots) * pgsize;
		/* Often end a few pages past a table boundary. */
		if (next && vs_rand(r, 3) == 0) {
			u64 edge = round_up(iova, BIT_ULL(next));

			if (edge - r->window >= size / 2 + pgsize &&
			    edge + size / 2 <= r->window + r->window_size)
				iova = edge - round_down(size / 2, pgsize) -
				       pgsize;
		}
		if (!iopgtable_test_extents_overlap(&r->model, iova, size))
			break;
	}
	if (tries == 16)
		return;

	paddr = vs_rand64(r, (r->phys_size - size) / pgsize + 1) * pgsize;
	vs_map_both(r, iova, paddr, lg2, count, vs_random_prot(r));
	vs_add_extent(r, iova, size, lg2);
}

/* Fill an empty block-sized region with granule pages, in 1 to 3 calls. */
static void vs_step_fill(struct vs_run *r)
{
	unsigned int g = r->c->granule_lg2, next = vs_next_lg2(r, g);
	u64 span, iova, paddr, done = 0;
	int prot = vs_random_prot(r), calls = 0;

	if (!next || r->model.n + 3 >= VS_MAX_EXTENTS)
		return;
	span = BIT_ULL(next);
	iova = r->window + vs_rand64(r, r->window_size >> next) * span;
	if (iopgtable_test_extents_overlap(&r->model, iova, span))
		return;
	paddr = vs_rand64(r, r->phys_size >> g) << g;
	if (paddr > r->phys_size - span)
		paddr = r->phys_size - span;

	while (done < span) {
		u64 len = span - done;

		if (++calls < 3 && vs_rand(r, 2))
			len = (1 + vs_rand64(r, len >> g)) << g;
		vs_map_both(r, iova + done, paddr + done, g, len >> g, prot);
		vs_add_extent(r, iova + done, len, g);
		done += len;
	}
}

/* Unmap a run of pages of one earlier mapping. */
static void vs_step_unmap(struct vs_run *r)
{
	struct iopgtable_test_extent e;
	u64 pages, first, count;

	if (!r->model.n)
		return;
	e = r->model.ext[vs_rand(r, r->model.n)];
	pages = e.size >> e.pgsize_lg2;
	first = vs_rand64(r, pages);
	count = 1 + vs_rand64(r, pages - first);
	/* A run from the middle splits the mapping in two: room for one. */
	if (vs_rand(r, 2) || r->model.n + 1 >= VS_MAX_EXTENTS) {
		first = 0;
		count = pages;
	}
	vs_unmap_both(r, e.iova + (first << e.pgsize_lg2), e.pgsize_lg2,
		      count);
	iopgtable_test_extents_remove(r->test, &r->model,
				      e.iova + (first << e.pgsize_lg2),
				      count << e.pgsize_lg2);
}

/*
 * Unmap the whole block-sized span around a mapping of smaller pages, in
 * one page of that size: both libraries free the table below. Holes inside
 * are legal; a mapping that crosses either end is not.
 */
static void vs_step_unmap_span(struct vs_run *r)
{
	unsigned int lg2, i;
	struct iopgtable_test_extent e;
	u64 start, end;

	if (!r->model.n)
		return;
	e = r->model.ext[vs_rand(r, r->model.n)];
	lg2 = vs_next_lg2(r, e.pgsize_lg2);
	if (!lg2)
		return;
	start = round_down(e.iova, BIT_ULL(lg2));
	end = start + BIT_ULL(lg2);
	if (start < r->window || end > r->window + r->window_size)
		return;
	for (i = 0; i < r->model.n; i++) {
		u64 s = r->model.ext[i].iova, t = s + r->model.ext[i].size;

		if ((s < start && t > start) || (s < end && t > end))
			return;
	}
	vs_unmap_both(r, start, lg2, 1);
	iopgtable_test_extents_remove(r->test, &r->model, start, end - start);
}

static void vs_check_registers(struct vs_run *r)
{
	struct kunit *test = r->test;

	if (r->c->fmt == IOPGTABLE_ARM_MALI_LPAE) {
		u64 flags = r->ours->cfg.arm_mali_lpae.transtab & VS_TRANSTAB_FLAGS;
		u64 kflags = r->kcfg.arm_mali_lpae_cfg.transtab & VS_TRANSTAB_FLAGS;

		KUNIT_EXPECT_EQ(test, r->ours->cfg.arm_mali_lpae.memattr,
				r->kcfg.arm_mali_lpae_cfg.memattr);
		KUNIT_EXPECT_EQ(test, flags, kflags);
	} else {
		/* io-pgtable-arm's fields are TTBR1's with the quirk. */
		typeof(r->kcfg.arm_lpae_s1_cfg.tcr) *k = &r->kcfg.arm_lpae_s1_cfg.tcr;
		u64 tcr;

		if (r->c->ttbr1)
			tcr = FIELD_PREP(VS_TCR_T1SZ, k->tsz) |
			      FIELD_PREP(VS_TCR_IRGN1, k->irgn) |
			      FIELD_PREP(VS_TCR_ORGN1, k->orgn) |
			      FIELD_PREP(VS_TCR_SH1, k->sh) |
			      FIELD_PREP(VS_TCR_TG1, k->tg);
		else
			tcr = FIELD_PREP(VS_TCR_T0SZ, k->tsz) |
			      FIELD_PREP(VS_TCR_IRGN0, k->irgn) |
			      FIELD_PREP(VS_TCR_ORGN0, k->orgn) |
			      FIELD_PREP(VS_TCR_SH0, k->sh) |
			      FIELD_PREP(VS_TCR_TG0, k->tg);
		tcr |= FIELD_PREP(VS_TCR_IPS, k->ips);
		KUNIT_EXPECT_EQ(test, r->ours->cfg.arm_lpae_s1.tcr, tcr);
		KUNIT_EXPECT_EQ(test, r->ours->cfg.arm_lpae_s1.mair,
				r->kcfg.arm_lpae_s1_cfg.mair);
	}
	KUNIT_EXPECT_EQ(test, r->ours->cfg.pgsize_bitmap, r->kcfg.pgsize_bitmap);
}

static void vs_free_theirs(void *data)
{
	struct vs_run *r = data;

	if (r->theirs)
		free_io_pgtable_ops(r->theirs);
	r->theirs = NULL;
}

static void vs_setup(struct vs_run *r)
{
	struct kunit *test = r->test;
	const struct vs_case *c = r->c;
	bool mali = c->fmt == IOPGTABLE_ARM_MALI_LPAE;
	struct iopgtable_cfg cfg = {
		.ias = c->ias,
		.oas = c->oas,
		.coherent_walk = !c->noncoherent,
	};
	struct device *dev;
	unsigned int top;

	/*
	 * Registered first, so that it goes last: both tables are freed, and
	 * their DMA mappings undone, while it still exists.
	 */
	dev = kunit_device_register(test, "iopgtable-vs");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	if (c->noncoherent) {
		if (!IS_ENABLED(CONFIG_HAS_DMA))
			kunit_skip(test, "a non-coherent walker needs DMA");
		KUNIT_ASSERT_EQ(test,
				dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64)),
				0);
	}
	cfg.iommu_dev = dev;

	if (c->granule_lg2 == 12)
		r->sizes = SZ_4K | SZ_2M | SZ_1G;
	else if (c->granule_lg2 == 14)
		r->sizes = SZ_16K | SZ_32M;
	else
		r->sizes = SZ_64K | SZ_512M;
	cfg.pgsize_bitmap = r->sizes;
	if (c->ns)
		cfg.quirks |= IOPGTABLE_QUIRK_ARM_NS;
	if (c->ttbr1)
		cfg.quirks |= IOPGTABLE_QUIRK_ARM_TTBR1;
	if (c->outer_wbwa)
		cfg.quirks |= IOPGTABLE_QUIRK_ARM_OUTER_WBWA;
	r->ours = iopgtable_test_new(test, c->fmt, &cfg);

	r->theirs_alloc.test = test;
	r->kcfg = (struct io_pgtable_cfg) {
		.pgsize_bitmap = r->sizes,
		.ias = c->ias,
		.oas = c->oas,
		.coherent_walk = !c->noncoherent,
		.iommu_dev = dev,
		.alloc = iopgtable_test_alloc,
		.free = iopgtable_test_free,
	};
	if (c->ns)
		r->kcfg.quirks |= IO_PGTABLE_QUIRK_ARM_NS;
	if (c->ttbr1)
		r->kcfg.quirks |= IO_PGTABLE_QUIRK_ARM_TTBR1;
	if (c->outer_wbwa)
		r->kcfg.quirks |= IO_PGTABLE_QUIRK_ARM_OUTER_WBWA;
	r->theirs = alloc_io_pgtable_ops(mali ? ARM_MALI_LPAE : ARM_64_LPAE_S1,
					 &r->kcfg, &r->theirs_alloc);
	KUNIT_ASSERT_NOT_NULL(test, r->theirs);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vs_free_theirs, r),
			0);

	vs_geometry(r);
	r->space = c->ttbr1 ? ~GENMASK_ULL(c->ias - 1, 0) : 0;
	top = __fls(r->sizes);
	r->window_size = min_t(u64, BIT_ULL(top + 2), BIT_ULL(c->ias));
	r->window = r->space +
		    (vs_rand64(r, BIT_ULL(c->ias) / r->window_size) *
		     r->window_size);
	r->phys_size = BIT_ULL(c->oas);
}

static void vs_differential(struct kunit *test)
{
	struct vs_run *r;
	unsigned int step;

	if (BITS_PER_LONG < 64)
		kunit_skip(test, "io-pgtable-arm takes unsigned long IOVAs");

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->test = test;
	r->c = test->param_value;
	r->model.ext = r->ext;
	r->model.max = VS_MAX_EXTENTS;
	prandom_seed_state(&r->rnd, vs_seed ^ ((r->c - vs_cases) * 0x9e3779b97f4a7c15ULL));
	vs_setup(r);
	vs_check_registers(r);

	for (step = 0; step < VS_OPS_PER_ROW && !r->failed; step++) {
		switch (vs_rand(r, 8)) {
		case 0:
			vs_step_fill(r);
			break;
		case 1:
		case 2:
			vs_step_unmap(r);
			break;
		case 3:
			vs_step_unmap_span(r);
			break;
		default:
			vs_step_map(r);
			break;
		}
		vs_compare_trees(r);
		vs_compare_probes(r);
	}

	/* Unmap what is left, in the order it was mapped. */
	while (r->model.n && !r->failed) {
		struct iopgtable_test_extent e = r->model.ext[0];

		vs_unmap_both(r, e.iova, e.pgsize_lg2, e.size >> e.pgsize_lg2);
		iopgtable_test_extents_remove(r->test, &r->model, e.iova, e.size);
		vs_compare_trees(r);
	}

	kunit_info(test,
		   "seed %#lx: %lu calls, %lu entries compared, %lu of them tables, %lu with SW_SYNC, %lu empty tables seen only in io-pgtable-arm",
		   vs_seed, r->calls, r->entries, r->tables, r->synced,
		   r->kept_empty);

	/*
	 * Every table entry a non-coherent walker may follow has been cleaned
	 * and says so; a coherent walker's never do.
	 */
	if (!r->failed && r->c->noncoherent) {
		KUNIT_EXPECT_GT(test, r->tables, 0);
		KUNIT_EXPECT_EQ(test, r->synced, r->tables);
	} else if (!r->failed) {
		KUNIT_EXPECT_EQ(test, r->synced, 0);
	}

	vs_free_theirs(r);
	KUNIT_EXPECT_EQ(test, r->theirs_alloc.frees, r->theirs_alloc.allocs);
	iopgtable_test_release(r->ours);
}

/*
 * A driver converted from io-pgtable by search and replace keeps its bits:
 * each quirk and prot flag has the value of the kernel's of the same
 * meaning.
 */
static void vs_quirk_values(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, IOPGTABLE_QUIRK_ARM_NS, IO_PGTABLE_QUIRK_ARM_NS);
	KUNIT_EXPECT_EQ(test, IOPGTABLE_QUIRK_ARM_TTBR1,
			IO_PGTABLE_QUIRK_ARM_TTBR1);
	KUNIT_EXPECT_EQ(test, IOPGTABLE_QUIRK_ARM_OUTER_WBWA,
			IO_PGTABLE_QUIRK_ARM_OUTER_WBWA);
#ifdef IO_PGTABLE_QUIRK_NO_WARN
	KUNIT_EXPECT_EQ(test, IOPGTABLE_QUIRK_NO_WARN, IO_PGTABLE_QUIRK_NO_WARN);
#else
	/*
	 * Later kernels name BIT(9) IO_PGTABLE_QUIRK_NO_WARN; before that no
	 * quirk of io-pgtable has the bit, so none of them is taken for it.
	 */
	KUNIT_EXPECT_EQ(test, IOPGTABLE_QUIRK_NO_WARN, BIT(9));
	KUNIT_EXPECT_EQ(test, IOPGTABLE_QUIRK_NO_WARN &
			(IO_PGTABLE_QUIRK_ARM_NS | IO_PGTABLE_QUIRK_NO_PERMS |
			 IO_PGTABLE_QUIRK_ARM_MTK_EXT |
			 IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT |
			 IO_PGTABLE_QUIRK_ARM_TTBR1 |
			 IO_PGTABLE_QUIRK_ARM_OUTER_WBWA |
			 IO_PGTABLE_QUIRK_ARM_HD), 0);
#endif

	KUNIT_EXPECT_EQ(test, IOPGTABLE_READ, IOMMU_READ);
	KUNIT_EXPECT_EQ(test, IOPGTABLE_WRITE, IOMMU_WRITE);
	KUNIT_EXPECT_EQ(test, IOPGTABLE_CACHE, IOMMU_CACHE);
	KUNIT_EXPECT_EQ(test, IOPGTABLE_NOEXEC, IOMMU_NOEXEC);
	KUNIT_EXPECT_EQ(test, IOPGTABLE_MMIO, IOMMU_MMIO);
	KUNIT_EXPECT_EQ(test, IOPGTABLE_PRIVILEGED, IOMMU_PRIV);
}

static struct kunit_case vs_cases_list[] = {
	KUNIT_CASE(vs_quirk_values),
	KUNIT_CASE_PARAM(vs_differential, vs_gen_params),
	{}
};

static struct kunit_suite vs_suite = {
	.name = "iopgtable_vs_io_pgtable_arm",
	.test_cases = vs_cases_list,
};

kunit_test_suites(&vs_suite);
