// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopgtable_oracle: random operations against a reference model.
 *
 * Each row runs ORACLE_STEPS random steps on one format and granule: legal
 * maps and unmaps, the range helpers, maps over mappings, the unmap
 * contract's violations, bad arguments and maps whose table allocations
 * fail. The model is a list of extents, each a run of pages of one size
 * mapped by one call, that says what every IOVA must translate to. Every
 * return value and every *mapped is checked exactly where the contract
 * fixes it; after every step iova_to_phys() is checked against the model
 * at sampled addresses, so a step that changed what it should not is
 * caught. Each row's window of four spans of the largest page straddles a
 * table boundary (level 0 or 1 where the address space has one), for ias
 * from 32 bits up, in both halves of the address space (TTBR0 and TTBR1)
 * and, for a non-coherent walker, with the walker's own view of the tables
 * (tests/test-dma.c) walked at every checked address and compared whole
 * every ORACLE_VIEW_EVERY steps. Deterministic by the oracle_seed module
 * parameter, printed.
 */

#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/sizes.h>

#include "test-util.h"

static ulong oracle_seed = 0x5eed0f;
module_param(oracle_seed, ulong, 0444);
MODULE_PARM_DESC(oracle_seed, "seed of the iopgtable_oracle operations");

#define ORACLE_STEPS		20000	/* operations per row */
#define ORACLE_MAX_EXTENTS	256
#define ORACLE_PROBES		12
#define ORACLE_VIEW_EVERY	16	/* steps between whole-tree comparisons */

/**
 * struct oracle_case - one row
 * @fmt: the format.
 * @sizes: its page sizes.
 * @ias: input address bits.
 * @oas: output address bits.
 * @boundary_lg2: the window is centred on 2^@boundary_lg2 (from the bottom
 *	of the half the table translates).
 * @ttbr1: IOPGTABLE_QUIRK_ARM_TTBR1: the top of the address space.
 * @noncoherent: a non-coherent walker, with its view checked.
 */
struct oracle_case {
	enum iopgtable_fmt fmt;
	unsigned long sizes;
	unsigned int ias;
	unsigned int oas;
	unsigned int boundary_lg2;
	bool ttbr1;
	bool noncoherent;
};

#define ORACLE_S1	IOPGTABLE_ARM_64_LPAE_S1
#define ORACLE_MALI	IOPGTABLE_ARM_MALI_LPAE
#define ORACLE_4K	(SZ_4K | SZ_2M | SZ_1G)
#define ORACLE_16K	(SZ_16K | SZ_32M)
#define ORACLE_64K	(SZ_64K | SZ_512M)

static const struct oracle_case oracle_cases[] = {
	/* 4K: level 0 spans 512G, level 1 1G */
	{ ORACLE_S1, ORACLE_4K, 48, 48, 39 },
	{ ORACLE_S1, ORACLE_4K, 48, 48, 30, .noncoherent = true },
	{ ORACLE_S1, ORACLE_4K, 32, 40, 31 },
	{ ORACLE_S1, ORACLE_4K, 40, 44, 39, .ttbr1 = true,
	  .noncoherent = true },
	{ ORACLE_S1, ORACLE_4K, 39, 48, 33, .ttbr1 = true },
	/* 16K: level 0 spans 128T, level 1 64G */
	{ ORACLE_S1, ORACLE_16K, 48, 44, 47, .noncoherent = true },
	{ ORACLE_S1, ORACLE_16K, 36, 44, 35 },
	{ ORACLE_S1, ORACLE_16K, 47, 48, 36, .ttbr1 = true },
	/* 64K: level 1 spans 4T */
	{ ORACLE_S1, ORACLE_64K, 48, 48, 42 },
	{ ORACLE_S1, ORACLE_64K, 42, 48, 41, .ttbr1 = true,
	  .noncoherent = true },
	/* Mali: the walk starts at level 0 whatever the ias */
	{ ORACLE_MALI, ORACLE_4K, 48, 40, 39 },
	{ ORACLE_MALI, ORACLE_4K, 33, 40, 32, .noncoherent = true },
	{ ORACLE_MALI, ORACLE_4K, 40, 40, 30 },
};

static void oracle_case_desc(const struct oracle_case *c, char *desc)
{
	unsigned long granule = c->sizes & -c->sizes;

	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s %luK ias %u, at 2^%u%s%s",
		 c->fmt == ORACLE_MALI ? "mali_lpae" : "arm_64_lpae_s1",
		 granule / SZ_1K, c->ias, c->boundary_lg2,
		 c->ttbr1 ? " TTBR1" : "",
		 c->noncoherent ? " non-coherent" : "");
}

KUNIT_ARRAY_PARAM(oracle, oracle_cases, oracle_case_desc);

struct oracle_run {
	struct kunit *test;
	struct iopgtable_test_table *t;
	struct iopgtable_ops *ops;
	struct rnd_state rnd;
	unsigned long sizes;
	unsigned int granule_lg2;
	u64 window;
	u64 window_size;
	u64 phys_size;
	unsigned int ias;
	u64 iova_base;		/* the lowest IOVA translated */
	u64 iova_limit;		/* the highest, plus 1 (0 with TTBR1) */
	u64 touched;		/* the last step's range, to walk */
	u64 touched_size;
	struct iopgtable_test_extent ext[ORACLE_MAX_EXTENTS];
	struct iopgtable_test_extents model;
	unsigned long counts[8];	/* steps of each kind */
	unsigned long violations;	/* contract violations made */
	unsigned long steps;		/* operations run */
	unsigned long probes;		/* iova_to_phys() checks */
	unsigned long oom;		/* steps whose map ran out of tables */
	unsigned long oom_prefix;	/* ... having mapped a prefix */
	unsigned long spans_cleared;	/* whole spans unmapped, holes and all */
	bool failed;
};

enum oracle_step {
	ORACLE_MAP,
	ORACLE_MAP_OVER,
	ORACLE_UNMAP,
	ORACLE_UNMAP_VIOLATION,
	ORACLE_HELPER,
	ORACLE_BAD_ARGS,
	ORACLE_ENOMEM,
	ORACLE_UNMAP_SPAN,
	ORACLE_NUM_STEPS,
};

static u64 oracle_rand(struct oracle_run *r, u64 n)
{
	return iopgtable_test_rand64(&r->rnd, n);
}

static int oracle_prot(struct oracle_run *r)
{
	int prot = 1 + oracle_rand(r, 3);	/* READ, WRITE or both */

	return prot | (oracle_rand(r, 64) & ~(IOPGTABLE_READ | IOPGTABLE_WRITE));
}

static unsigned int oracle_random_lg2(struct oracle_run *r)
{
	unsigned long sizes = r->sizes;
	u64 k = oracle_rand(r, hweight_long(sizes));

	while (k--)
		sizes &= sizes - 1;
	return __ffs(sizes);
}

static void oracle_add(struct oracle_run *r, u64 iova, u64 paddr, u64 size,
		       unsigned int lg2, bool whole)
{
	iopgtable_test_extent_add(r->test, &r->model,
				  (struct iopgtable_test_extent){ iova, paddr,
								  size, lg2,
								  whole });
}

/*
 * Whether a call can be given @bytes: on 32-bit kernels a length past
 * SIZE_MAX is -ERANGE (maps) or a bad argument (unmaps), which the bad
 * argument steps test; the others keep within it.
 */
static bool oracle_fits(u64 bytes)
{
	return bytes <= SIZE_MAX;
}

/* The range the step changed (or should not have), walked after it. */
static void oracle_touch(struct oracle_run *r, u64 iova, u64 size)
{
	r->touched = iova;
	r->touched_size = size;
}

static phys_addr_t oracle_expect(struct oracle_run *r, u64 iova)
{
	struct iopgtable_test_extent *e = iopgtable_test_extent_find(&r->model, iova);

	return e ? e->paddr + (iova - e->iova) : 0;
}

static void oracle_probe(struct oracle_run *r, u64 iova, const char *why)
{
	phys_addr_t want = oracle_expect(r, iova);
	phys_addr_t got = r->ops->iova_to_phys(r->ops, iova);

	r->probes++;
	if (!iopgtable_test_device_walk_ok(r->t, iova))
		r->failed = true;
	if (got != want && !r->failed) {
		KUNIT_FAIL(r->test, "%s: iova_to_phys(%#llx) = %pa, model says %pa",
			   why, iova, &got, &want);
		r->failed = true;
	}
}

/*
 * @iova must translate to @want (0: to nothing) by iova_to_phys(), the
 * test's walker and, with a non-coherent walker, through its view.
 */
static void oracle_expect_at(struct oracle_run *r, u64 iova, u64 want)
{
	phys_addr_t got = r->ops->iova_to_phys(r->ops, iova);
	u64 walked = iopgtable_test_translate(r->t, iova);

	if (!iopgtable_test_device_walk_ok(r->t, iova))
		r->failed = true;
	if ((got != want || walked != want) && !r->failed) {
		KUNIT_FAIL(r->test,
			   "IOVA %#llx: iova_to_phys %pa, walks to %#llx, wanted %#llx",
			   iova, &got, walked, want);
		r->failed = true;
	}
}

/*
 * Sampled translations: inside mappings, next to them, anywhere; the last
 * step's range at both ends; with a non-coherent walker, its whole view
 * every ORACLE_VIEW_EVERY steps.
 */
static void oracle_check(struct oracle_run *r, const char *why)
{
	u64 granule = BIT_ULL(r->granule_lg2);
	unsigned int i;

	if (r->touched_size) {
		oracle_probe(r, r->touched, why);
		oracle_probe(r, r->touched + r->touched_size - granule, why);
		r->touched_size = 0;
	}
	if (r->t->shadow && !(r->steps % ORACLE_VIEW_EVERY) &&
	    !iopgtable_test_device_view_ok(r->t))
		r->failed = true;

	for (i = 0; i < ORACLE_PROBES; i++) {
		u64 iova;

		if (r->model.n && i % 3 != 2) {
			struct iopgtable_test_extent *e = &r->model.ext[oracle_rand(r, r->model.n)];

			iova = e->iova + oracle_rand(r, e->size);
			if (i % 3 == 1)	/* just outside, on either side */
				iova = oracle_rand(r, 2) ? e->iova - 1 :
							   e->iova + e->size;
		} else {
			iova = r->window + oracle_rand(r, r->window_size);
		}
		oracle_probe(r, iova, why);
	}
}

/* Pick a free, @pgsize-aligned range of @size in the window. */
static bool oracle_free_range(struct oracle_run *r, u64 size, u64 pgsize,
			      u64 *iova)
{
	int tries;

	if (size > r->window_size)
		return false;
	for (tries = 0; tries < 16; tries++) {
		*iova = r->window +
			oracle_rand(r, div64_u64(r->window_size - size, pgsize) + 1) * pgsize;
		if (!iopgtable_test_extents_overlap(&r->model, *iova, size))
			return true;
	}
	return false;
}

static u64 oracle_paddr(struct oracle_run *r, u64 size, u64 align)
{
	return oracle_rand(r, div64_u64(r->phys_size - size, align) + 1) * align;
}

static size_t oracle_count(struct oracle_run *r, unsigned int lg2)
{
	if (lg2 == r->granule_lg2)
		return 1 + oracle_rand(r, oracle_rand(r, 4) ? 16 :
					  2 << (r->granule_lg2 - 3));
	return 1 + oracle_rand(r, lg2 == __fls(r->sizes) ? 2 : 4);
}

static bool oracle_step_map(struct oracle_run *r)
{
	unsigned int lg2 = oracle_random_lg2(r);
	size_t count = oracle_count(r, lg2), mapped;
	u64 pgsize = BIT_ULL(lg2), iova, paddr;
	int ret;

	if (r->model.n >= ORACLE_MAX_EXTENTS / 2 ||
	    !oracle_fits(count * pgsize) ||
	    !oracle_free_range(r, count * pgsize, pgsize, &iova))
		return false;
	paddr = oracle_paddr(r, count * pgsize, pgsize);
	ret = iopgtable_test_map_pages(r->t, iova, paddr, pgsize, count,
				       oracle_prot(r), &mapped);
	KUNIT_EXPECT_EQ(r->test, ret, 0);
	KUNIT_EXPECT_EQ(r->test, mapped, count * pgsize);
	oracle_add(r, iova, paddr, mapped, lg2, false);
	oracle_touch(r, iova, count * pgsize);
	r->counts[ORACLE_MAP]++;
	return true;
}

/*
 * Map pages over an existing mapping: -EEXIST after exactly the pages in
 * front of the first page that overlaps a mapping, which stay mapped.
 */
static bool oracle_step_map_over(struct oracle_run *r)
{
	unsigned int lg2 = oracle_random_lg2(r);
	u64 pgsize = BIT_ULL(lg2), iova, paddr, want = 0;
	struct iopgtable_test_extent *e;
	size_t count, mapped;
	int ret;

	if (!r->model.n || r->model.n >= ORACLE_MAX_EXTENTS / 2)
		return false;
	e = &r->model.ext[oracle_rand(r, r->model.n)];
	count = 1 + oracle_rand(r, 8);
	/* Start up to a few pages in front of the mapping, or inside it. */
	iova = round_down(e->iova + oracle_rand(r, e->size), pgsize);
	iova -= min_t(u64, oracle_rand(r, 4) * pgsize, iova - r->window);
	if (iova < r->window || !oracle_fits(count * pgsize) ||
	    iova + count * pgsize > r->window + r->window_size)
		return false;
	while (want < count * pgsize &&
	       !iopgtable_test_extents_overlap(&r->model, iova + want, pgsize))
		want += pgsize;
	if (want == count * pgsize)
		return false;	/* nothing in the way after all */

	paddr = oracle_paddr(r, count * pgsize, pgsize);
	ret = iopgtable_test_map_pages(r->t, iova, paddr, pgsize, count,
				       oracle_prot(r), &mapped);
	KUNIT_EXPECT_EQ(r->test, ret, -EEXIST);
	KUNIT_EXPECT_EQ_MSG(r->test, mapped, want,
			    "map %#llx, %zu x %#llx over a mapping", iova, count,
			    pgsize);
	oracle_add(r, iova, paddr, mapped, lg2, false);
	oracle_touch(r, iova, count * pgsize);
	r->counts[ORACLE_MAP_OVER]++;
	r->violations++;
	return true;
}

/* Unmap a run of pages of one mapping, or mappings end to end. */
static bool oracle_step_unmap(struct oracle_run *r)
{
	struct iopgtable_test_extent *e, *next;
	u64 iova, end, pgsize, got;

	if (!r->model.n)
		return false;
	e = &r->model.ext[oracle_rand(r, r->model.n)];
	pgsize = BIT_ULL(e->pgsize_lg2);
	iova = e->iova;
	end = e->iova + e->size;
	/* A run inside a mapping splits it: only while there is room. */
	if (!e->whole && r->model.n < ORACLE_MAX_EXTENTS - 8 && oracle_rand(r, 2)) {
		u64 pages = div64_u64(e->size, pgsize), first = oracle_rand(r, pages);

		iova += first * pgsize;
		end = iova + (1 + oracle_rand(r, pages - first)) * pgsize;
	}
	/* Sometimes run on into mappings that follow without a gap. */
	while (oracle_rand(r, 2)) {
		next = iopgtable_test_extent_find(&r->model, end);
		if (!next)
			break;
		end = next->iova + next->size;
	}

	if (!oracle_fits(end - iova))
		return false;
	if (oracle_rand(r, 2)) {
		got = iopgtable_unmap(r->ops, iova, end - iova, NULL);
	} else {
		/* unmap_pages in the granule takes any consecutive run. */
		pgsize = BIT_ULL(r->granule_lg2);
		got = r->ops->unmap_pages(r->ops, iova, pgsize,
					  div64_u64(end - iova, pgsize), NULL);
	}
	KUNIT_EXPECT_EQ_MSG(r->test, got, end - iova, "unmap %#llx + %#llx",
			    iova, end - iova);
	iopgtable_test_extents_remove(r->test, &r->model, iova, end - iova);
	oracle_touch(r, iova, end - iova);
	r->counts[ORACLE_UNMAP]++;
	return true;
}

/*
 * The unmap contract's violations, where the model fixes the result:
 * start inside a block, end inside a block, start at a hole (one granule,
 * so no whole table span is involved), or run past a mapping's end into a
 * hole whose end is no table boundary. Each returns exactly the bytes in
 * front of the violation and changes nothing else.
 */
static bool oracle_step_unmap_violation(struct oracle_run *r)
{
	u64 granule = BIT_ULL(r->granule_lg2), iova, size, want;
	u64 table_span = BIT_ULL(2 * r->granule_lg2 - 3), inner;
	struct iopgtable_test_extent *e;
	size_t got;

	if (!r->model.n)
		return false;
	e = &r->model.ext[oracle_rand(r, r->model.n)];
	/* Granules in one page of @e, less one. */
	inner = (BIT_ULL(e->pgsize_lg2) >> r->granule_lg2) - 1;
	switch (oracle_rand(r, 4)) {
	case 0:	/* start inside a block */
		if (!inner || e->whole)
			return false;
		iova = e->iova + granule * (1 + oracle_rand(r, inner));
		size = granule;
		want = 0;
		break;
	case 1:	/* end inside a block */
		if (!inner || e->whole)
			return false;
		iova = e->iova;
		size = granule * (1 + oracle_rand(r, inner));
		want = 0;
		break;
	case 2:	/* start at a hole */
		iova = r->window + oracle_rand(r, div64_u64(r->window_size, granule)) * granule;
		if (iopgtable_test_extent_find(&r->model, iova))
			return false;
		size = granule;
		want = 0;
		break;
	default: /* a hole after the mapping */
		iova = e->iova;
		want = e->size;
		if (iopgtable_test_extent_find(&r->model, iova + want) ||
		    !((iova + want + granule) & (table_span - 1)) ||
		    iova + want + granule > r->window + r->window_size)
			return false;
		size = want + granule;
		break;
	}

	got = r->ops->unmap_pages(r->ops, iova, granule, div64_u64(size, granule), NULL);
	KUNIT_EXPECT_EQ_MSG(r->test, got, want, "illegal unmap %#llx + %#llx",
			    iova, size);
	iopgtable_test_extents_remove(r->test, &r->model, iova, want);
	oracle_touch(r, iova, size);
	r->counts[ORACLE_UNMAP_VIOLATION]++;
	r->violations++;
	return true;
}

/*
 * The range helpers: iopgtable_map() of a free range (all of it mapped) or
 * of one that meets a mapping (-EEXIST, nothing left mapped).
 */
static bool oracle_step_helper(struct oracle_run *r)
{
	u64 granule = BIT_ULL(r->granule_lg2), top = BIT_ULL(__fls(r->sizes));
	u64 size, iova, paddr, align;
	bool over = r->model.n && oracle_rand(r, 4) == 0;
	int ret;

	if (r->model.n >= ORACLE_MAX_EXTENTS / 2)
		return false;
	size = granule * (1 + oracle_rand(r, oracle_rand(r, 2) ?
					  2 << (r->granule_lg2 - 3) : 8));
	if (oracle_rand(r, 4) == 0)
		size += BIT_ULL(oracle_random_lg2(r));
	/* Equal modulo a block size often, so that blocks are used. */
	align = oracle_rand(r, 2) ? top : granule;
	if (over) {
		struct iopgtable_test_extent *e = &r->model.ext[oracle_rand(r, r->model.n)];

		iova = round_down(e->iova + oracle_rand(r, e->size), granule);
		if (iova + size > r->window + r->window_size)
			return false;
	} else if (!oracle_free_range(r, size, granule, &iova)) {
		return false;
	}
	paddr = oracle_paddr(r, size + top, granule);
	paddr = round_down(paddr, align) + (iova & (align - 1));

	ret = iopgtable_map(r->ops, iova, paddr, size, oracle_prot(r),
			    GFP_KERNEL);
	if (iopgtable_test_extents_overlap(&r->model, iova, size)) {
		KUNIT_EXPECT_EQ(r->test, ret, -EEXIST);
		r->violations++;
	} else {
		KUNIT_EXPECT_EQ(r->test, ret, 0);
		if (!ret)
			oracle_add(r, iova, paddr, size, r->granule_lg2, true);
	}
	oracle_touch(r, iova, size);
	r->counts[ORACLE_HELPER]++;
	return true;
}

/* Bad arguments: the exact errno, and nothing changes. */
static bool oracle_step_bad_args(struct oracle_run *r)
{
	u64 granule = BIT_ULL(r->granule_lg2);
	u64 iova = r->window + oracle_rand(r, div64_u64(r->window_size, granule)) * granule;
	size_t mapped = 0;
	int ret, want;

	switch (oracle_rand(r, 6)) {
	case 0:
		ret = r->ops->map_pages(r->ops, iova, 0, granule, 0, 1,
					GFP_KERNEL, &mapped);
		want = -EINVAL;
		break;
	case 1:
		ret = r->ops->map_pages(r->ops, iova + granule / 2, 0, granule,
					1, 1, GFP_KERNEL, &mapped);
		want = -EINVAL;
		break;
	case 2:
		ret = r->ops->map_pages(r->ops, iova, 0, granule, 1,
					IOPGTABLE_CACHE, GFP_KERNEL, &mapped);
		want = -EINVAL;
		break;
	case 3:
		/* Past the top; below the bottom with TTBR1, or past 2^64. */
		iova = r->iova_limit - granule;
		if (r->iova_base && oracle_rand(r, 2))
			iova = r->iova_base - granule;
		ret = r->ops->map_pages(r->ops, iova, 0, granule, 2, 1,
					GFP_KERNEL, &mapped);
		want = -ERANGE;
		break;
	case 4:
		ret = r->ops->map_pages(r->ops, iova, r->phys_size - granule,
					granule, 2, 1, GFP_KERNEL, &mapped);
		want = -ERANGE;
		break;
	default:
		KUNIT_EXPECT_EQ(r->test,
				r->ops->unmap_pages(r->ops, iova + granule / 2,
						    granule, 1, NULL), 0);
		ret = iopgtable_map(r->ops, iova, 0, granule / 2, 1, GFP_KERNEL);
		want = -EINVAL;
		break;
	}
	KUNIT_EXPECT_EQ(r->test, ret, want);
	KUNIT_EXPECT_EQ(r->test, mapped, 0);
	r->counts[ORACLE_BAD_ARGS]++;
	return true;
}

/*
 * A map whose Nth table allocation fails: 0 with everything mapped when it
 * needed fewer tables, else -ENOMEM with a prefix of whole pages mapped
 * and the rest as it was. The range helper leaves nothing mapped.
 */
static bool oracle_step_enomem(struct oracle_run *r)
{
	unsigned int lg2 = oracle_random_lg2(r);
	size_t count = oracle_count(r, lg2), mapped;
	u64 pgsize = BIT_ULL(lg2), granule = BIT_ULL(r->granule_lg2);
	u64 iova, paddr, off;
	bool helper = oracle_rand(r, 2);
	int ret;

	if (r->model.n >= ORACLE_MAX_EXTENTS / 2 ||
	    !oracle_fits(count * pgsize) ||
	    !oracle_free_range(r, count * pgsize, pgsize, &iova))
		return false;
	paddr = oracle_paddr(r, count * pgsize, pgsize);
	iopgtable_test_fail_in(r->t, 1 + oracle_rand(r, 3));
	if (!helper) {
		ret = iopgtable_test_map_pages(r->t, iova, paddr, pgsize, count,
					       oracle_prot(r), &mapped);
	} else {
		ret = iopgtable_map(r->ops, iova, paddr, count * pgsize,
				    oracle_prot(r), GFP_KERNEL);
		mapped = ret ? 0 : count * pgsize;
	}
	r->t->fail_at = 0;

	if (ret) {
		KUNIT_EXPECT_EQ(r->test, ret, -ENOMEM);
		KUNIT_EXPECT_LT(r->test, mapped, count * pgsize);
		r->oom++;
		r->oom_prefix += mapped != 0;
	} else {
		KUNIT_EXPECT_EQ(r->test, mapped, count * pgsize);
	}
	/*
	 * The prefix exactly as asked, the rest as it was: unmapped. Checked
	 * at both ends of every page (a 1G page holds 2^18 granules).
	 */
	for (off = 0; off < count * pgsize; off += pgsize) {
		u64 last = off + pgsize - granule;

		oracle_expect_at(r, iova + off, off < mapped ? paddr + off : 0);
		oracle_expect_at(r, iova + last, off < mapped ? paddr + last : 0);
	}
	if (helper)
		oracle_add(r, iova, paddr, mapped, r->granule_lg2, true);
	else
		oracle_add(r, iova, paddr, mapped, lg2, false);
	oracle_touch(r, iova, count * pgsize);
	r->counts[ORACLE_ENOMEM]++;
	return true;
}

/*
 * The largest span of an entry above the last level that starts at @pos
 * and ends by @end, or 0.
 */
static u64 oracle_whole_span(struct oracle_run *r, u64 pos, u64 end)
{
	unsigned int bits = r->granule_lg2 - 3;
	u64 span = BIT_ULL(r->granule_lg2 + bits), best = 0;

	for (; span && ilog2(span) < r->ias; span <<= bits) {
		if ((pos & (span - 1)) || span > end - pos)
			break;
		best = span;
	}
	return best;
}

/*
 * What unmapping [@iova, @iova + @size) returns by the unmap contract: each
 * span of an entry above the last level that the range covers whole is
 * cleared, whatever it holds; elsewhere the run goes on page by page and
 * stops at a hole, or at a page that the start lands inside or that
 * crosses the end. The page sizes of a range helper's mapping are the
 * library's: one that the range does not hold whole sets *@unknown (the
 * step is not made); inside one held whole no page can stop the run.
 */
static u64 oracle_unmap_expect(struct oracle_run *r, u64 iova, u64 size,
			       unsigned int *spans, bool *unknown)
{
	u64 granule = BIT_ULL(r->granule_lg2), pos = iova, end = iova + size;
	unsigned int i;

	*spans = 0;
	*unknown = false;
	for (i = 0; i < r->model.n; i++) {
		struct iopgtable_test_extent *x = &r->model.ext[i];

		if (x->whole && x->iova < end && x->iova + x->size > iova &&
		    (x->iova < iova || x->iova + x->size > end)) {
			*unknown = true;
			return 0;
		}
	}
	while (pos < end) {
		struct iopgtable_test_extent *e = iopgtable_test_extent_find(&r->model, pos);
		u64 span, pgsize = e ? BIT_ULL(e->pgsize_lg2) : 0;

		/* A block is a leaf: no smaller span inside it is an entry. */
		if (e && !e->whole &&
		    (((pos - e->iova) & (pgsize - 1)) || pgsize > end - pos))
			break;
		span = oracle_whole_span(r, pos, end);
		if (span) {
			(*spans)++;
			pos += span;
			continue;
		}
		if (!e)
			break;	/* a hole outside any span covered whole */
		pos += e->whole ? granule : pgsize;
	}
	return pos - iova;
}

/*
 * Unmap ranges that cover whole table spans, holes and partly mapped spans
 * among them, often with pages before or after: the exact return, every
 * span covered whole cleared, and a violation reported where the run stops
 * short.
 */
static bool oracle_step_unmap_span(struct oracle_run *r)
{
	u64 granule = BIT_ULL(r->granule_lg2), span, iova, size, want, got;
	unsigned int bits = r->granule_lg2 - 3, levels, spans;
	bool unknown;

	/* One of the spans of levels 0 to 2 that fit half the window. */
	for (levels = 0, span = BIT_ULL(r->granule_lg2 + bits);
	     levels < 3 && ilog2(span) < r->ias && span <= r->window_size / 2;
	     span <<= bits)
		levels++;
	if (!levels)
		return false;
	span = BIT_ULL(r->granule_lg2 + bits * (1 + oracle_rand(r, levels)));

	if (r->model.n && oracle_rand(r, 4)) {
		struct iopgtable_test_extent *e = &r->model.ext[oracle_rand(r, r->model.n)];

		iova = round_down(e->iova + oracle_rand(r, e->size), span);
	} else {
		iova = r->window + oracle_rand(r, div64_u64(r->window_size, span)) * span;
	}
	size = span * (1 + oracle_rand(r, 2));
	if (!oracle_rand(r, 3))
		size += granule * (1 + oracle_rand(r, 8));
	if (!oracle_rand(r, 3) && iova - r->window >= 8 * granule) {
		u64 before = granule * (1 + oracle_rand(r, 8));

		iova -= before;
		size += before;
	}
	if (iova < r->window || size > r->window + r->window_size - iova ||
	    !oracle_fits(size))
		return false;
	want = oracle_unmap_expect(r, iova, size, &spans, &unknown);
	if (unknown)
		return false;

	if (oracle_rand(r, 2))
		got = iopgtable_unmap(r->ops, iova, size, NULL);
	else
		got = r->ops->unmap_pages(r->ops, iova, granule,
					  div64_u64(size, granule), NULL);
	KUNIT_EXPECT_EQ_MSG(r->test, got, want, "unmap %#llx + %#llx",
			    iova, size);
	if (want < size)
		r->violations++;
	iopgtable_test_extents_remove(r->test, &r->model, iova, want);
	oracle_touch(r, iova, size);
	r->spans_cleared += spans;
	r->counts[ORACLE_UNMAP_SPAN]++;
	return true;
}

/* Run ORACLE_STEPS operations; a draw that finds nothing to do is redrawn. */
static void oracle_run_steps(struct oracle_run *r)
{
	unsigned int draws;

	for (draws = 0; r->steps < ORACLE_STEPS && !r->failed; draws++) {
		u64 k = oracle_rand(r, 18);
		bool ran;

		KUNIT_ASSERT_LT(r->test, draws, 10 * ORACLE_STEPS);
		if (k < 5)
			ran = oracle_step_map(r);
		else if (k < 6)
			ran = oracle_step_map_over(r);
		else if (k < 9)
			ran = oracle_step_unmap(r);
		else if (k < 11)
			ran = oracle_step_unmap_violation(r);
		else if (k < 13)
			ran = oracle_step_helper(r);
		else if (k < 14)
			ran = oracle_step_bad_args(r);
		else if (k < 16)
			ran = oracle_step_enomem(r);
		else
			ran = oracle_step_unmap_span(r);
		if (!ran)
			continue;
		r->steps++;
		oracle_check(r, "after a step");
		if (r->test->status == KUNIT_FAILURE)
			r->failed = true;
	}
}

static void oracle_test(struct kunit *test)
{
	const struct oracle_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	struct oracle_run *r;
	ktime_t t0;
	u64 top;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->test = test;
	r->model.ext = r->ext;
	r->model.max = ORACLE_MAX_EXTENTS;
	prandom_seed_state(&r->rnd, oracle_seed + (c - oracle_cases));

	cfg.pgsize_bitmap = c->sizes;
	cfg.ias = c->ias;
	cfg.oas = c->oas;
	if (c->ttbr1)
		cfg.quirks |= IOPGTABLE_QUIRK_ARM_TTBR1;
	if (c->noncoherent) {
		cfg.iommu_dev = iopgtable_test_shadow_device(test, "iopgtable-oracle");
		cfg.coherent_walk = false;
	}
	r->t = iopgtable_test_new(test, c->fmt, &cfg);
	r->ops = r->t->ops;
	r->sizes = r->t->cfg.pgsize_bitmap;
	KUNIT_ASSERT_EQ(test, r->sizes, c->sizes);
	r->granule_lg2 = __ffs(r->sizes);
	r->ias = c->ias;
	r->iova_base = c->ttbr1 ? ~0ULL << c->ias : 0;
	r->iova_limit = r->iova_base + BIT_ULL(c->ias);
	r->phys_size = BIT_ULL(c->oas);
	top = BIT_ULL(__fls(r->sizes));
	r->window_size = 4 * top;
	/* Centred on the boundary, inside the address space, below 2^64. */
	r->window = BIT_ULL(c->boundary_lg2) -
		    min(r->window_size / 2, BIT_ULL(c->boundary_lg2));
	KUNIT_ASSERT_LE(test, r->window + r->window_size, BIT_ULL(c->ias));
	KUNIT_ASSERT_TRUE(test, !c->ttbr1 ||
			  r->window + r->window_size < BIT_ULL(c->ias));
	r->window += r->iova_base;

	t0 = ktime_get();
	oracle_run_steps(r);

	/* Unmap what is left, then nothing translates. */
	while (r->model.n && !r->failed) {
		struct iopgtable_test_extent e = r->model.ext[0];

		KUNIT_EXPECT_EQ(test, iopgtable_unmap(r->ops, e.iova, e.size, NULL),
				e.size);
		iopgtable_test_extents_remove(r->test, &r->model, e.iova, e.size);
	}
	oracle_check(r, "at the end");
	iopgtable_test_device_view_ok(r->t);
	/* Each violation was counted once, with no WARN (NO_WARN quirk). */
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(r->t), r->violations);
	kunit_info(test,
		   "seed %#lx: %lu operations (%lu maps, %lu over mappings, %lu unmaps, %lu unmap violations, %lu range helpers, %lu bad arguments, %lu failing allocations, %lu unmaps of whole spans), %lu translations checked",
		   oracle_seed, r->steps, r->counts[ORACLE_MAP],
		   r->counts[ORACLE_MAP_OVER], r->counts[ORACLE_UNMAP],
		   r->counts[ORACLE_UNMAP_VIOLATION], r->counts[ORACLE_HELPER],
		   r->counts[ORACLE_BAD_ARGS], r->counts[ORACLE_ENOMEM],
		   r->counts[ORACLE_UNMAP_SPAN], r->probes);
	kunit_info(test,
		   "maps that ran out of tables: %lu, %lu of them after a prefix; spans cleared whole: %lu; %lld ms",
		   r->oom, r->oom_prefix, r->spans_cleared,
		   ktime_ms_delta(ktime_get(), t0));
	/* The row reached what it is for. */
	KUNIT_EXPECT_GT(test, r->oom, 0);
	KUNIT_EXPECT_GT(test, r->oom_prefix, 0);
	KUNIT_EXPECT_GT(test, r->spans_cleared, 0);
	iopgtable_test_release(r->t);
}

static struct kunit_case oracle_test_cases[] = {
	KUNIT_CASE_PARAM(oracle_test, oracle_gen_params),
	{}
};

static struct kunit_suite oracle_suite = {
	.name = "iopgtable_oracle",
	.test_cases = oracle_test_cases,
};

kunit_test_suites(&oracle_suite);
