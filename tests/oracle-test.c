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
 * caught. Deterministic by the oracle_seed module parameter, printed.
 */

#include <kunit/test.h>
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

struct oracle_case {
	const char *desc;
	enum iopgtable_fmt fmt;
	unsigned long sizes;
	unsigned int oas;
};

static const struct oracle_case oracle_cases[] = {
	{ "arm_64_lpae_s1 4K", IOPGTABLE_ARM_64_LPAE_S1, SZ_4K | SZ_2M | SZ_1G, 48 },
	{ "arm_64_lpae_s1 16K", IOPGTABLE_ARM_64_LPAE_S1, SZ_16K | SZ_32M, 44 },
	{ "arm_64_lpae_s1 64K", IOPGTABLE_ARM_64_LPAE_S1, SZ_64K | SZ_512M, 48 },
	{ "mali_lpae 4K", IOPGTABLE_ARM_MALI_LPAE, SZ_4K | SZ_2M | SZ_1G, 40 },
};

static void oracle_case_desc(const struct oracle_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
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
	u64 iova_limit;		/* 2^ias */
	struct iopgtable_test_extent ext[ORACLE_MAX_EXTENTS];
	struct iopgtable_test_extents model;
	unsigned long counts[8];	/* steps of each kind */
	unsigned long violations;	/* contract violations made */
	unsigned long steps;		/* operations run */
	unsigned long probes;		/* iova_to_phys() checks */
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
	if (got != want && !r->failed) {
		KUNIT_FAIL(r->test, "%s: iova_to_phys(%#llx) = %pa, model says %pa",
			   why, iova, &got, &want);
		r->failed = true;
	}
}

/* Sampled translations: inside mappings, next to them, anywhere. */
static void oracle_check(struct oracle_run *r, const char *why)
{
	unsigned int i;

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
	    !oracle_free_range(r, count * pgsize, pgsize, &iova))
		return false;
	paddr = oracle_paddr(r, count * pgsize, pgsize);
	ret = iopgtable_test_map_pages(r->t, iova, paddr, pgsize, count,
				       oracle_prot(r), &mapped);
	KUNIT_EXPECT_EQ(r->test, ret, 0);
	KUNIT_EXPECT_EQ(r->test, mapped, count * pgsize);
	oracle_add(r, iova, paddr, mapped, lg2, false);
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
	if (iova < r->window ||
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
		ret = r->ops->map_pages(r->ops, r->iova_limit - granule, 0,
					granule, 2, 1, GFP_KERNEL, &mapped);
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
	u64 pgsize = BIT_ULL(lg2), iova, paddr;
	bool helper = oracle_rand(r, 2);
	int ret;

	if (r->model.n >= ORACLE_MAX_EXTENTS / 2 ||
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
	} else {
		KUNIT_EXPECT_EQ(r->test, mapped, count * pgsize);
	}
	/* The prefix exactly as asked, the rest as it was: unmapped. */
	iopgtable_test_expect_mapped(r->t, iova, paddr, mapped);
	iopgtable_test_expect_unmapped(r->t, iova + mapped,
				       count * pgsize - mapped);
	if (helper)
		oracle_add(r, iova, paddr, mapped, r->granule_lg2, true);
	else
		oracle_add(r, iova, paddr, mapped, lg2, false);
	r->counts[ORACLE_ENOMEM]++;
	return true;
}

/* Run ORACLE_STEPS operations; a draw that finds nothing to do is redrawn. */
static void oracle_run_steps(struct oracle_run *r)
{
	unsigned int draws;

	for (draws = 0; r->steps < ORACLE_STEPS && !r->failed; draws++) {
		u64 k = oracle_rand(r, 16);
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
		else
			ran = oracle_step_enomem(r);
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
	u64 top;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->test = test;
	r->model.ext = r->ext;
	r->model.max = ORACLE_MAX_EXTENTS;
	prandom_seed_state(&r->rnd, oracle_seed + (c - oracle_cases));

	cfg.pgsize_bitmap = c->sizes;
	cfg.oas = c->oas;
	r->t = iopgtable_test_new(test, c->fmt, &cfg);
	r->ops = r->t->ops;
	r->sizes = r->t->cfg.pgsize_bitmap;
	KUNIT_ASSERT_EQ(test, r->sizes, c->sizes);
	r->granule_lg2 = __ffs(r->sizes);
	r->iova_limit = BIT_ULL(cfg.ias);
	r->phys_size = BIT_ULL(c->oas);
	top = BIT_ULL(__fls(r->sizes));
	r->window_size = 2 * top;
	r->window = oracle_rand(r, div64_u64(r->iova_limit, r->window_size) - 1) *
		    r->window_size;

	oracle_run_steps(r);

	/* Unmap what is left, then nothing translates. */
	while (r->model.n && !r->failed) {
		struct iopgtable_test_extent e = r->model.ext[0];

		KUNIT_EXPECT_EQ(test, iopgtable_unmap(r->ops, e.iova, e.size, NULL),
				e.size);
		iopgtable_test_extents_remove(r->test, &r->model, e.iova, e.size);
	}
	oracle_check(r, "at the end");
	/* Each violation was counted once, with no WARN (NO_WARN quirk). */
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(r->t), r->violations);
	kunit_info(test,
		   "seed %#lx: %lu operations (%lu maps, %lu over mappings, %lu unmaps, %lu unmap violations, %lu range helpers, %lu bad arguments, %lu failing allocations), %lu translations checked",
		   oracle_seed, r->steps, r->counts[ORACLE_MAP],
		   r->counts[ORACLE_MAP_OVER], r->counts[ORACLE_UNMAP],
		   r->counts[ORACLE_UNMAP_VIOLATION], r->counts[ORACLE_HELPER],
		   r->counts[ORACLE_BAD_ARGS], r->counts[ORACLE_ENOMEM],
		   r->probes);
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
