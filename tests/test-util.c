// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared helpers of the iopgtable KUnit suites.
 */

#include <kunit/device.h>
#include <kunit/resource.h>
#include <linux/bitfield.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sizes.h>

#include "test-util.h"

#include <trace/events/error_report.h>
#include <trace/events/iopgtable.h>

/* Violations the tables of iopgtable_test_new() reported WARNed, overlaps too. */
static atomic_long_t iopgtable_test_warned = ATOMIC_LONG_INIT(0);

void *iopgtable_test_alloc(void *cookie, size_t size, gfp_t gfp)
{
	struct iopgtable_test_table *t = cookie;
	struct page *page;

	t->attempts++;
	if (t->fail_at &&
	    (t->attempts == t->fail_at || (t->fail_from && t->attempts > t->fail_at)))
		return NULL;
	page = alloc_pages(gfp | __GFP_ZERO, get_order(size));
	if (!page)
		return NULL;
	t->allocs++;
	t->live_bytes += size;
	return page_address(page);
}

void iopgtable_test_free(void *cookie, void *pages, size_t size)
{
	struct iopgtable_test_table *t = cookie;

	t->frees++;
	t->live_bytes -= size;
	free_pages((unsigned long)pages, get_order(size));
}

static void iopgtable_test_flush_all(void *cookie)
{
	struct iopgtable_test_table *t = cookie;

	t->flush_all++;
}

static void iopgtable_test_flush_walk(u64 iova, u64 size, size_t granule,
				      void *cookie)
{
	struct iopgtable_test_table *t = cookie;

	t->flush_walk++;
	t->flush_walk_bytes += size;
	t->flush_walk_iova = iova;
}

static void iopgtable_test_add_page(struct iopgtable_gather *gather, u64 iova,
				    size_t granule, void *cookie)
{
	struct iopgtable_test_table *t = cookie;

	t->add_page++;
	t->add_page_bytes += granule;
}

const struct iopgtable_flush_ops iopgtable_test_flush_ops = {
	.tlb_flush_all	= iopgtable_test_flush_all,
	.tlb_flush_walk	= iopgtable_test_flush_walk,
	.tlb_add_page	= iopgtable_test_add_page,
};

struct iopgtable_cfg iopgtable_test_cfg(enum iopgtable_fmt fmt)
{
	return (struct iopgtable_cfg) {
		.pgsize_bitmap	= SZ_4K | SZ_2M | SZ_1G,
		.ias		= 48,
		.oas		= fmt == IOPGTABLE_ARM_MALI_LPAE ? 40 : 48,
		.coherent_walk	= true,
		.quirks		= IOPGTABLE_QUIRK_NO_WARN,
	};
}

/* The iopgtable_violation events of @t's table, counted. */
static void iopgtable_test_on_violation(void *data, const void *ops, int what,
					u64 iova, bool warned)
{
	struct iopgtable_test_table *t = data;

	if (ops != READ_ONCE(t->ops))
		return;
	if (warned)
		atomic_long_inc(&iopgtable_test_warned);
	atomic_long_inc(&t->violations);
	/* Overlaps WARN whatever IOPGTABLE_QUIRK_NO_WARN says. */
	if (what == IOPGTABLE_VIOLATION_OVERLAP)
		atomic_long_inc(&t->overlaps);
	else if (warned)
		atomic_long_inc(&t->warnings);
}

/* Every WARN the kernel issues while @t's table lives. */
static void iopgtable_test_on_error_report(void *data,
					   enum error_detector detector,
					   unsigned long id)
{
	struct iopgtable_test_table *t = data;

	if (detector == ERROR_DETECTOR_WARN)
		atomic_long_inc(&t->kernel_warns);
}

/* The iopgtable_dma_sync events of @t's table, counted and logged. */
static void iopgtable_test_on_dma_sync(void *data, const void *ops, u64 paddr,
				       size_t size)
{
	struct iopgtable_test_table *t = data;
	struct iopgtable_test_syncs *s;
	unsigned int i;

	if (ops != READ_ONCE(t->ops))
		return;
	atomic_long_inc(&t->dma_syncs);
	s = READ_ONCE(t->syncs);
	if (!s)
		return;
	i = s->n++;
	if (i < ARRAY_SIZE(s->ev)) {
		s->ev[i].addr = phys_to_virt(paddr);
		s->ev[i].size = size;
		s->ev[i].watched = s->watch ? READ_ONCE(*s->watch) : 0;
		s->ev[i].first = READ_ONCE(*(u64 *)s->ev[i].addr);
		s->ev[i].last = READ_ONCE(*((u64 *)(s->ev[i].addr + size) - 1));
	}
}

static void iopgtable_test_exit_free(void *data)
{
	struct iopgtable_test_table *t = data;

	if (t->ops)
		iopgtable_test_release(t);
}

struct iopgtable_test_table *
iopgtable_test_new(struct kunit *test, enum iopgtable_fmt fmt,
		   const struct iopgtable_cfg *cfg)
{
	struct iopgtable_test_table *t;
	struct iopgtable_ops *ops;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->test = test;
	t->fmt = fmt;
	t->cfg = *cfg;
	t->cfg.alloc = iopgtable_test_alloc;
	t->cfg.free = iopgtable_test_free;
	if (!t->cfg.tlb)
		t->cfg.tlb = &iopgtable_test_flush_ops;
	t->shadow = iopgtable_test_shadow_of(t->cfg.iommu_dev);
	if (t->shadow)
		t->shadow_before = iopgtable_test_shadow_nr(t->shadow);

	ops = iopgtable_alloc_ops(fmt, &t->cfg, t);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ops);
	t->ops = ops;
	if (t->shadow) {
		struct iopgtable_test_geometry g;

		iopgtable_test_geometry(t, &g);
		iopgtable_test_shadow_set_root(t->shadow, g.root, g.start);
		iopgtable_test_device_view_ok(t);
	}
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_violation(iopgtable_test_on_violation,
							   t), 0);
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_dma_sync(iopgtable_test_on_dma_sync,
							  t), 0);
	t->warned_before = atomic_long_read(&iopgtable_test_warned);
	KUNIT_ASSERT_EQ(test,
			register_trace_error_report_end(iopgtable_test_on_error_report,
							t), 0);
	t->probed = true;
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, iopgtable_test_exit_free, t),
			0);
	return t;
}

void iopgtable_test_release(struct iopgtable_test_table *t)
{
	unsigned long flush_all = t->flush_all;

	/* A table with IOPGTABLE_QUIRK_NO_WARN reported without a WARN. */
	if (t->cfg.quirks & IOPGTABLE_QUIRK_NO_WARN)
		KUNIT_EXPECT_EQ_MSG(t->test, atomic_long_read(&t->warnings), 0,
				    "WARNed despite IOPGTABLE_QUIRK_NO_WARN");
	iopgtable_test_device_view_ok(t);
	iopgtable_free_ops(t->ops);
	t->ops = NULL;
	/* Every table was unmapped for DMA before it was freed. */
	if (t->shadow)
		KUNIT_EXPECT_EQ_MSG(t->test, iopgtable_test_shadow_nr(t->shadow),
				    t->shadow_before,
				    "tables left mapped for DMA");
	if (t->probed) {
		unregister_trace_iopgtable_violation(iopgtable_test_on_violation,
						     t);
		unregister_trace_iopgtable_dma_sync(iopgtable_test_on_dma_sync,
						    t);
		unregister_trace_error_report_end(iopgtable_test_on_error_report,
						  t);
		tracepoint_synchronize_unregister();
		t->probed = false;
		/*
		 * Counted by the kernel, not the library: no WARN but those
		 * the test tables' violations say were issued (one that
		 * ignored IOPGTABLE_QUIRK_NO_WARN is caught above).
		 */
		KUNIT_EXPECT_EQ_MSG(t->test, atomic_long_read(&t->kernel_warns),
				    atomic_long_read(&iopgtable_test_warned) -
				    t->warned_before + t->other_warns,
				    "WARNs other than the violations reported");
	}
	KUNIT_EXPECT_EQ_MSG(t->test, t->frees, t->allocs,
			    "tables leaked or freed twice");
	KUNIT_EXPECT_EQ(t->test, t->live_bytes, 0);
	KUNIT_EXPECT_EQ(t->test, t->flush_all, flush_all + 1);
}

void iopgtable_test_fail_in(struct iopgtable_test_table *t, unsigned long n)
{
	t->fail_at = t->attempts + n;
}

int iopgtable_test_map_pages(struct iopgtable_test_table *t, u64 iova,
			     phys_addr_t paddr, size_t pgsize, size_t pgcount,
			     int prot, size_t *mapped)
{
	size_t done = 0;
	int ret;

	ret = t->ops->map_pages(t->ops, iova, paddr, pgsize, pgcount, prot,
				GFP_KERNEL, &done);
	KUNIT_EXPECT_FALSE_MSG(t->test, !ret && !done,
			       "map_pages returned 0 having mapped nothing");
	KUNIT_EXPECT_LE(t->test, done, (size_t)pgsize * pgcount);
	KUNIT_EXPECT_EQ(t->test, done % pgsize, 0);
	if (mapped)
		*mapped = done;
	return ret;
}

static size_t iopgtable_test_min_pgsize(struct iopgtable_test_table *t)
{
	return 1UL << __ffs(t->cfg.pgsize_bitmap);
}

void iopgtable_test_expect_mapped(struct iopgtable_test_table *t, u64 iova,
				  phys_addr_t paddr, u64 size)
{
	size_t step = iopgtable_test_min_pgsize(t);
	u64 off;

	for (off = 0; off < size; off += step) {
		u64 at = iova + off, in = at + step / 2 + 8;
		u64 want = paddr + off;
		u64 walked = iopgtable_test_translate(t, at);
		u64 walked_in = iopgtable_test_translate(t, in);
		phys_addr_t got = t->ops->iova_to_phys(t->ops, at);
		phys_addr_t got_in = t->ops->iova_to_phys(t->ops, in);

		if (!iopgtable_test_device_walk_ok(t, at))
			return;
		if (walked != want || walked_in != want + step / 2 + 8 ||
		    got != want || got_in != want + step / 2 + 8) {
			KUNIT_FAIL(t->test,
				   "IOVA %#llx: walks to %#llx, iova_to_phys %pa, wanted %#llx",
				   at, walked, &got, want);
			return;
		}
	}
}

void iopgtable_test_expect_unmapped(struct iopgtable_test_table *t, u64 iova,
				    u64 size)
{
	size_t step = iopgtable_test_min_pgsize(t);
	u64 off;

	for (off = 0; off < size; off += step) {
		u64 walked = iopgtable_test_translate(t, iova + off);
		phys_addr_t got = t->ops->iova_to_phys(t->ops, iova + off);

		if (!iopgtable_test_device_walk_ok(t, iova + off))
			return;
		if (walked || got) {
			KUNIT_FAIL(t->test,
				   "IOVA %#llx: walks to %#llx, iova_to_phys %pa, wanted nothing",
				   iova + off, walked, &got);
			return;
		}
	}
}

void iopgtable_test_geometry(struct iopgtable_test_table *t,
			     struct iopgtable_test_geometry *g)
{
	unsigned int va_bits;
	int levels;

	g->granule_lg2 = __ffs(t->cfg.pgsize_bitmap);
	g->bits = g->granule_lg2 - 3;
	va_bits = t->cfg.ias - g->granule_lg2;
	levels = DIV_ROUND_UP(va_bits, g->bits);
	g->start = 4 - levels;
	g->root_bits = va_bits - g->bits * (levels - 1);
	g->ttbr1 = t->cfg.quirks & IOPGTABLE_QUIRK_ARM_TTBR1;
	if (t->fmt == IOPGTABLE_ARM_MALI_LPAE) {
		g->root = t->cfg.arm_mali_lpae.transtab & ~GENMASK_ULL(5, 0);
		/* Mali's walk always starts at level 0. */
		if (g->start > 0) {
			g->start = 0;
			g->root_bits = 0;
		}
	} else {
		g->root = t->cfg.arm_lpae_s1.ttbr;
	}
	g->root_size = sizeof(u64) << g->root_bits;
}

static u64 test_walk(struct iopgtable_test_table *t, u64 iova,
		     struct iopgtable_test_walk *walk, bool device)
{
	bool mali = t->fmt == IOPGTABLE_ARM_MALI_LPAE;
	struct iopgtable_test_geometry g;
	phys_addr_t table;
	int lvl;

	memset(walk, 0, sizeof(*walk));
	iopgtable_test_geometry(t, &g);
	table = g.root;

	for (lvl = g.start; lvl < 4; lvl++) {
		unsigned int shift = g.granule_lg2 + (3 - lvl) * g.bits;
		unsigned int ibits = lvl == g.start ? g.root_bits : g.bits;
		phys_addr_t at = table +
			((iova >> shift) & (BIT_ULL(ibits) - 1)) * sizeof(u64);
		unsigned int type;
		u64 pte;

		walk->levels++;
		walk->level = lvl;
		if (!iopgtable_test_read_pte(t, device, at, &pte)) {
			walk->unreadable = true;
			return 0;
		}
		type = FIELD_GET(TEST_PTE_TYPE, pte);
		if (!(pte & 1))
			return 0;
		if (lvl == 3 || type == 1) {
			/* Level 3 leaves: page (3), or Mali's ATE (1). */
			if (lvl == 3 && type != (mali ? 1 : 3))
				return 0;
			walk->pte = pte;
			return pte;
		}
		walk->table_ptes[lvl] = pte;
		table = pte & TEST_PTE_OA;
	}
	return 0;
}

u64 iopgtable_test_walk(struct iopgtable_test_table *t, u64 iova,
			struct iopgtable_test_walk *walk)
{
	return test_walk(t, iova, walk, false);
}

bool iopgtable_test_device_walk_ok(struct iopgtable_test_table *t, u64 iova)
{
	struct iopgtable_test_walk cpu, dev;
	u64 differ = 0;
	unsigned int i;

	if (!t->shadow)
		return true;
	test_walk(t, iova, &cpu, false);
	test_walk(t, iova, &dev, true);
	if (dev.unreadable) {
		KUNIT_FAIL(t->test,
			   "the walker's view: IOVA %#llx, level %d: table not mapped for DMA",
			   iova, dev.level);
		return false;
	}
	/* The walker ignores the software bits, which need no sync. */
	for (i = 0; i < ARRAY_SIZE(cpu.table_ptes); i++)
		differ |= (cpu.table_ptes[i] ^ dev.table_ptes[i]) & ~TEST_PTE_SW;
	if (differ || cpu.level != dev.level || cpu.levels != dev.levels ||
	    (cpu.pte ^ dev.pte) & ~TEST_PTE_SW) {
		KUNIT_FAIL(t->test,
			   "the walker's view: IOVA %#llx walks to level %d entry %#llx in memory, to level %d entry %#llx as the walker reads it",
			   iova, cpu.level, cpu.pte, dev.level, dev.pte);
		return false;
	}
	return true;
}

struct iopgtable_test_extent *
iopgtable_test_extent_find(struct iopgtable_test_extents *m, u64 iova)
{
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (iova >= m->ext[i].iova && iova - m->ext[i].iova < m->ext[i].size)
			return &m->ext[i];
	return NULL;
}

bool iopgtable_test_extents_overlap(const struct iopgtable_test_extents *m,
				    u64 iova, u64 size)
{
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (iova < m->ext[i].iova + m->ext[i].size &&
		    m->ext[i].iova < iova + size)
			return true;
	return false;
}

void iopgtable_test_extent_add(struct kunit *test,
			       struct iopgtable_test_extents *m,
			       struct iopgtable_test_extent e)
{
	if (!e.size)
		return;
	KUNIT_ASSERT_LT(test, m->n, m->max);
	m->ext[m->n++] = e;
}

void iopgtable_test_extents_remove(struct kunit *test,
				   struct iopgtable_test_extents *m,
				   u64 iova, u64 size)
{
	u64 end = iova + size;
	unsigned int i = 0;

	while (size && i < m->n) {
		struct iopgtable_test_extent e = m->ext[i], part = e;
		u64 e_end = e.iova + e.size;

		if (e_end <= iova || e.iova >= end) {
			i++;
			continue;
		}
		m->ext[i] = m->ext[--m->n];
		if (e.iova < iova) {
			part.size = iova - e.iova;
			iopgtable_test_extent_add(test, m, part);
		}
		if (e_end > end) {
			part.iova = end;
			part.paddr = e.paddr + (end - e.iova);
			part.size = e_end - end;
			iopgtable_test_extent_add(test, m, part);
		}
	}
}

u64 iopgtable_test_translate(struct iopgtable_test_table *t, u64 iova)
{
	unsigned int granule_lg2 = __ffs(t->cfg.pgsize_bitmap);
	struct iopgtable_test_walk walk;
	unsigned int shift;

	if (!iopgtable_test_walk(t, iova, &walk))
		return 0;
	shift = granule_lg2 + (3 - walk.level) * (granule_lg2 - 3);
	return (walk.pte & TEST_PTE_OA) | (iova & (BIT_ULL(shift) - 1));
}

void iopgtable_test_syncs_start(struct iopgtable_test_table *t,
				struct iopgtable_test_syncs *s,
				const u64 *watch)
{
	memset(s, 0, sizeof(*s));
	s->watch = watch;
	WRITE_ONCE(t->syncs, s);
}

void iopgtable_test_syncs_stop(struct iopgtable_test_table *t)
{
	WRITE_ONCE(t->syncs, NULL);
}

/* Count an event of @ops in @c, if it is @c's table's (or any, before). */
static void iopgtable_test_count_event(struct iopgtable_test_count *c,
				       const void *ops)
{
	const void *mine = READ_ONCE(c->ops);

	if (!mine || ops == mine)
		atomic_long_inc(&c->n);
}

static void iopgtable_test_count_sync(void *data, const void *ops, u64 paddr,
				      size_t size)
{
	iopgtable_test_count_event(data, ops);
}

static void iopgtable_test_count_syncs_stop(void *data)
{
	unregister_trace_iopgtable_dma_sync(iopgtable_test_count_sync, data);
	tracepoint_synchronize_unregister();
}

void iopgtable_test_count_syncs(struct kunit *test,
				struct iopgtable_test_count *c)
{
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_dma_sync(iopgtable_test_count_sync,
							  c), 0);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test,
						  iopgtable_test_count_syncs_stop,
						  c), 0);
}

static void iopgtable_test_count_violation(void *data, const void *ops,
					   int what, u64 iova, bool warned)
{
	iopgtable_test_count_event(data, ops);
}

static void iopgtable_test_count_violations_stop(void *data)
{
	unregister_trace_iopgtable_violation(iopgtable_test_count_violation,
					     data);
	tracepoint_synchronize_unregister();
}

void iopgtable_test_count_violations(struct kunit *test,
				     struct iopgtable_test_count *c)
{
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_violation(iopgtable_test_count_violation,
							   c), 0);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test,
						  iopgtable_test_count_violations_stop,
						  c), 0);
}

struct device *iopgtable_test_dma_device(struct kunit *test, const char *name)
{
	struct device *dev;

	if (!IS_ENABLED(CONFIG_HAS_DMA))
		kunit_skip(test, "no DMA API: no non-coherent walker here");
	dev = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, dma_coerce_mask_and_coherent(dev,
							   DMA_BIT_MASK(64)),
			0);
	return dev;
}
