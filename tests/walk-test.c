// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for seeing inside a table: iopgtable_walk() against the
 * independent walker of test-util.c, the decoded print of a walk, the dump
 * that debugfs shows, parsed back, and the tracepoints, counted and read.
 */

#include <kunit/test.h>
#include <linux/array_size.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/sprintf.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include <trace/events/iopgtable.h>

#include "test-util.h"

#define RW	(IOPGTABLE_READ | IOPGTABLE_WRITE)

/* Output buffers: a walk print is a few lines, a dump a few more. */
#define WALK_TEXT_SIZE	4096

/* ---- Walks against the independent walker ---- */

struct walk_case {
	const char *name;
	enum iopgtable_fmt fmt;
	unsigned long pgsizes;
	unsigned int ias;
	unsigned long quirks;
};

static const struct walk_case walk_cases[] = {
	{ "S1 4K", IOPGTABLE_ARM_64_LPAE_S1, SZ_4K | SZ_2M | SZ_1G, 48, 0 },
	{ "S1 16K", IOPGTABLE_ARM_64_LPAE_S1, SZ_16K | SZ_32M, 48, 0 },
	{ "S1 64K", IOPGTABLE_ARM_64_LPAE_S1, SZ_64K | SZ_512M, 48, 0 },
	{ "S1 4K ias 39", IOPGTABLE_ARM_64_LPAE_S1, SZ_4K | SZ_2M | SZ_1G, 39,
	  0 },
	{ "S1 4K TTBR1", IOPGTABLE_ARM_64_LPAE_S1, SZ_4K | SZ_2M | SZ_1G, 48,
	  IOPGTABLE_QUIRK_ARM_TTBR1 },
	{ "Mali 4K", IOPGTABLE_ARM_MALI_LPAE, SZ_4K | SZ_2M | SZ_1G, 48, 0 },
	{ "Mali 4K ias 36", IOPGTABLE_ARM_MALI_LPAE, SZ_4K | SZ_2M | SZ_1G, 36,
	  0 },
};

static void walk_case_desc(const struct walk_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(walk, walk_cases, walk_case_desc);

static struct iopgtable_test_table *walk_new(struct kunit *test,
					     const struct walk_case *c)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);

	cfg.pgsize_bitmap = c->pgsizes;
	cfg.ias = c->ias;
	cfg.quirks |= c->quirks;
	return iopgtable_test_new(test, c->fmt, &cfg);
}

/* The lowest IOVA of the table: 0, or the bottom of the TTBR1 range. */
static u64 walk_base(struct iopgtable_test_table *t)
{
	return to_iopgtable(t->ops)->iova_first;
}

/*
 * Walk @iova with both walkers and expect the same entries, the same start
 * level and @nr of them. Returns the last entry read.
 */
static u64 walk_expect_same(struct kunit *test, struct iopgtable_test_table *t,
			    u64 iova, unsigned int nr)
{
	struct iopgtable_test_walk ref;
	struct iopgtable_walk walk;
	unsigned int i, start;
	u64 leaf;

	leaf = iopgtable_test_walk(t, iova, &ref);
	KUNIT_ASSERT_EQ(test, iopgtable_walk(t->ops, iova, &walk), 0);
	start = ref.level - ref.levels + 1;

	KUNIT_EXPECT_EQ_MSG(test, walk.start_level, start, "IOVA %#llx", iova);
	KUNIT_EXPECT_EQ_MSG(test, walk.nr, (unsigned int)ref.levels,
			    "IOVA %#llx", iova);
	KUNIT_EXPECT_EQ_MSG(test, walk.nr, nr, "IOVA %#llx", iova);
	KUNIT_ASSERT_GE(test, walk.nr, 1U);
	KUNIT_ASSERT_LE(test, walk.nr, ARRAY_SIZE(walk.ptes));
	for (i = 0; i + 1 < walk.nr; i++)
		KUNIT_EXPECT_EQ_MSG(test, walk.ptes[i],
				    ref.table_ptes[start + i],
				    "IOVA %#llx, level %u", iova, start + i);
	/* The last entry: the leaf, or the invalid entry (0 here). */
	KUNIT_EXPECT_EQ_MSG(test, walk.ptes[walk.nr - 1], leaf,
			    "IOVA %#llx, level %u", iova, ref.level);
	return walk.ptes[walk.nr - 1];
}

/*
 * A page, a block, the hole beside the page (the walk ends at the last
 * level) and a hole at the root (it ends there), in every configuration;
 * -ERANGE outside the input range, TTBR1's bottom half included.
 */
static void walk_test_vs_walker(struct kunit *test)
{
	const struct walk_case *c = test->param_value;
	struct iopgtable_test_table *t = walk_new(test, c);
	size_t granule = 1UL << __ffs(t->cfg.pgsize_bitmap);
	size_t block = 1UL << __ffs(t->cfg.pgsize_bitmap & ~granule);
	u64 base = walk_base(t);
	u64 page_iova = base + SZ_1G + 3 * granule;
	u64 block_iova = base + SZ_2G;
	u64 root_hole = base + BIT_ULL(c->ias - 1);
	/* Mali below ias 40: the one root entry is a table, holes are below */
	unsigned int hole_nr = c->fmt == IOPGTABLE_ARM_MALI_LPAE &&
			       c->ias < 40 ? 2 : 1;
	unsigned int levels;
	struct iopgtable_walk walk;
	size_t mapped;
	u64 pte;

	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, page_iova,
						       0x80000000 + 3 * granule,
						       granule, 1, RW, &mapped),
			0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, block_iova,
						       0x40000000, block, 1,
						       RW | IOPGTABLE_CACHE,
						       &mapped),
			0);

	KUNIT_ASSERT_EQ(test, iopgtable_walk(t->ops, page_iova, &walk), 0);
	levels = 4 - walk.start_level;

	pte = walk_expect_same(test, t, page_iova, levels);
	KUNIT_EXPECT_EQ(test, pte & GENMASK_ULL(47, 12),
			0x80000000 + 3 * granule);
	/* An offset inside the page walks the same way. */
	walk_expect_same(test, t, page_iova + granule - 8, levels);
	/* The block, one level up, read at its last page. */
	pte = walk_expect_same(test, t, block_iova + block - granule,
			       levels - 1);
	KUNIT_EXPECT_EQ(test, pte & GENMASK_ULL(47, 12), 0x40000000);
	/* The hole beside the page: the walk reads the empty last entry. */
	pte = walk_expect_same(test, t, page_iova + granule, levels);
	KUNIT_EXPECT_EQ(test, pte, 0);
	/* A hole at the root, and the last IOVA of the range. */
	pte = walk_expect_same(test, t, root_hole, hole_nr);
	KUNIT_EXPECT_EQ(test, pte, 0);
	walk_expect_same(test, t, base + BIT_ULL(c->ias) - 1, hole_nr);

	/*
	 * Outside the range nothing is read: one past the top (for TTBR1,
	 * 0: the bottom of the 64-bit space is TTBR0's).
	 */
	walk.nr = 3;
	KUNIT_EXPECT_EQ(test, iopgtable_walk(t->ops, base + BIT_ULL(c->ias),
					     &walk),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, walk.nr, 0U);
	if (c->quirks & IOPGTABLE_QUIRK_ARM_TTBR1) {
		/* The page's offset with the top bits clear, or one below. */
		KUNIT_EXPECT_EQ(test, iopgtable_walk(t->ops, page_iova - base,
						     &walk),
				-ERANGE);
		KUNIT_EXPECT_EQ(test, iopgtable_walk(t->ops, base - 1, &walk),
				-ERANGE);
	} else {
		KUNIT_EXPECT_EQ(test, iopgtable_walk(t->ops, U64_MAX, &walk),
				-ERANGE);
	}
	KUNIT_EXPECT_EQ(test, walk.nr, 0U);
}

/* ---- The decoded print ---- */

/* A seq_file over a buffer the test owns, as debugfs would hand out. */
static struct seq_file *walk_seq(struct kunit *test)
{
	struct seq_file *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->size = WALK_TEXT_SIZE;
	m->buf = kunit_kzalloc(test, m->size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->buf);
	return m;
}

/* Terminate what @m holds, log it line by line and return it. */
static char *walk_seq_text(struct kunit *test, struct seq_file *m)
{
	char *copy, *line, *text;

	KUNIT_ASSERT_LT_MSG(test, m->count, m->size, "output overflowed");
	m->buf[m->count] = '\0';
	text = m->buf;
	copy = kunit_kzalloc(test, m->count + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	memcpy(copy, text, m->count);
	while ((line = strsep(&copy, "\n")) && *line)
		kunit_info(test, "| %s", line);
	return text;
}

/* Print the walk to @iova into a buffer; expects @ret from it. */
static char *walk_print(struct kunit *test, struct iopgtable_test_table *t,
			u64 iova, int ret)
{
	struct seq_file *m = walk_seq(test);

	KUNIT_EXPECT_EQ(test, iopgtable_walk_print(t->ops, iova, m, NULL), ret);
	return walk_seq_text(test, m);
}

/* The table lines of a walk to @iova, from the independent walker. */
static int walk_table_lines(struct iopgtable_test_table *t, u64 iova,
			    char *buf, size_t size)
{
	struct iopgtable_test_walk ref;
	int lvl, n = 0;

	iopgtable_test_walk(t, iova, &ref);
	for (lvl = ref.level - ref.levels + 1; lvl < ref.level; lvl++)
		n += scnprintf(buf + n, size - n,
			       "  level %d: %#018llx table %#llx\n", lvl,
			       ref.table_ptes[lvl],
			       ref.table_ptes[lvl] & GENMASK_ULL(47, 12));
	return n;
}

struct walk_print_case {
	const char *name;
	enum iopgtable_fmt fmt;
	size_t size;
	int prot;
	/* the header and last line; the table lines come from the walker */
	const char *head;
	const char *leaf;
};

/*
 * Leaves decoded by hand from the Arm ARM descriptor layout and the MAIR
 * and MEMATTR values, at IOVA 0x100003000 (pages) or 0x100200000 (2M).
 */
static const struct walk_print_case walk_print_cases[] = {
	{
		"S1 page rw cache", IOPGTABLE_ARM_64_LPAE_S1, SZ_4K,
		RW | IOPGTABLE_CACHE,
		"walk 0x100003000: 4 levels from level 0",
		"  level 3: 0x0000000080003f47 page 4K 0x80003000 AttrIndx 1 (0xff Normal-WB) SH IS AP RW EL0 AF nG",
	},
	{
		"S1 block ro noexec priv", IOPGTABLE_ARM_64_LPAE_S1, SZ_2M,
		IOPGTABLE_READ | IOPGTABLE_NOEXEC | IOPGTABLE_PRIVILEGED,
		"walk 0x100200000: 3 levels from level 0",
		"  level 2: 0x0060000080200e81 block 2M 0x80200000 AttrIndx 0 (0x44 Normal-NC) SH OS AP RO AF nG XN",
	},
	{
		"S1 page mmio", IOPGTABLE_ARM_64_LPAE_S1, SZ_4K,
		RW | IOPGTABLE_MMIO,
		"walk 0x100003000: 4 levels from level 0",
		"  level 3: 0x0000000080003e4b page 4K 0x80003000 AttrIndx 2 (0x04 Device-nGnRE) SH OS AP RW EL0 AF nG",
	},
	{
		"Mali page rw cache", IOPGTABLE_ARM_MALI_LPAE, SZ_4K,
		RW | IOPGTABLE_CACHE,
		"walk 0x100003000: 4 levels from level 0",
		"  level 3: 0x00000000800032c5 page 4K 0x80003000 AttrIndx 1 (0x8d write-alloc) SH OS RW",
	},
	{
		"Mali block r", IOPGTABLE_ARM_MALI_LPAE, SZ_2M, IOPGTABLE_READ,
		"walk 0x100200000: 3 levels from level 0",
		"  level 2: 0x0000000080200241 block 2M 0x80200000 AttrIndx 0 (0x88 impl-def) SH OS R",
	},
};

static void walk_print_desc(const struct walk_print_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(walk_print, walk_print_cases, walk_print_desc);

static void walk_test_print(struct kunit *test)
{
	const struct walk_print_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	u64 iova = c->size == SZ_4K ? 0x100003000 : 0x100200000;
	u64 paddr = 0x80000000 + (iova & (SZ_1G - 1));
	struct iopgtable_test_table *t;
	char *want, *got;
	size_t mapped;
	int n;

	t = iopgtable_test_new(test, c->fmt, &cfg);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, iova, paddr, c->size,
						       1, c->prot, &mapped),
			0);

	want = kunit_kzalloc(test, WALK_TEXT_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	n = scnprintf(want, WALK_TEXT_SIZE, "%s\n", c->head);
	n += walk_table_lines(t, iova, want + n, WALK_TEXT_SIZE - n);
	scnprintf(want + n, WALK_TEXT_SIZE - n, "%s\n", c->leaf);

	got = walk_print(test, t, iova, 0);
	KUNIT_EXPECT_STREQ(test, got, want);
}

/* A hole, an IOVA out of range, a prefix, and the kernel log. */
static void walk_test_print_hole(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	struct iopgtable_test_table *t;
	struct seq_file *m;
	size_t mapped;
	char *want;
	int n;

	t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);
	KUNIT_EXPECT_STREQ(test, walk_print(test, t, 0x100003000, 0),
			   "walk 0x100003000: 1 level from level 0\n"
			   "  level 0: 0x0000000000000000 invalid\n");

	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, 0x100003000,
						       0x80003000, SZ_4K, 1,
						       RW, &mapped),
			0);
	want = kunit_kzalloc(test, WALK_TEXT_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	n = scnprintf(want, WALK_TEXT_SIZE,
		      "walk 0x100004000: 4 levels from level 0\n");
	n += walk_table_lines(t, 0x100003000, want + n, WALK_TEXT_SIZE - n);
	scnprintf(want + n, WALK_TEXT_SIZE - n,
		  "  level 3: 0x0000000000000000 invalid\n");
	KUNIT_EXPECT_STREQ(test, walk_print(test, t, 0x100004000, 0), want);

	KUNIT_EXPECT_STREQ(test, walk_print(test, t, BIT_ULL(48), -ERANGE),
			   "walk 0x1000000000000: outside the input range\n");

	m = walk_seq(test);
	KUNIT_EXPECT_EQ(test, iopgtable_walk_print(t->ops, BIT_ULL(48), m,
						   "gpu0"),
			-ERANGE);
	KUNIT_EXPECT_STREQ(test, walk_seq_text(test, m),
			   "gpu0: walk 0x1000000000000: outside the input range\n");

	/* What a fault handler does: the same lines, to the kernel log. */
	KUNIT_EXPECT_EQ(test, iopgtable_walk_print(t->ops, 0x100003000, NULL,
						   "iopgtable_walk test"),
			0);
}

/* ---- The dump, parsed back ---- */

struct walk_run {
	u64 first, last, paddr;
	char size[8], type[8], prot[32];
};

/* What walk_test_dump maps, as the dump must list it (from base). */
static const struct walk_run walk_dump_runs[] = {
	/* 16 pages in one call */
	{ 0x100000000, 0x10000ffff, 0x80000000, "4K", "page", "rw cache" },
	/* the next two pages: contiguous in IOVA only */
	{ 0x100010000, 0x100011fff, 0x90000000, "4K", "page", "rw cache" },
	/* contiguous in both, but read-only */
	{ 0x100012000, 0x100012fff, 0x90002000, "4K", "page", "r-" },
	/* 2M blocks, in two calls, then a 4K page that follows them */
	{ 0x200000000, 0x2005fffff, 0xa0000000, "2M", "block", "rw noexec" },
	{ 0x200600000, 0x200600fff, 0xa0600000, "4K", "page", "rw noexec" },
	/* a 1G block */
	{ 0x4000000000, 0x403fffffff, 0xc0000000, "1G", "block", "rw mmio" },
};

/*
 * Parse the dump: one line per run, then the table counts. Returns the
 * runs read; *@tables gets the last line.
 */
static unsigned int walk_parse_dump(struct kunit *test, char *text,
				    struct walk_run *runs, unsigned int max,
				    char **tables)
{
	unsigned int n = 0;
	char *line;

	*tables = NULL;
	while ((line = strsep(&text, "\n")) && *line) {
		struct walk_run r = { };

		KUNIT_ASSERT_NULL_MSG(test, *tables, "a line after the counts");
		if (str_has_prefix(line, "tables:")) {
			*tables = line;
			continue;
		}
		KUNIT_ASSERT_EQ_MSG(test,
				    sscanf(line, "%llx-%llx -> %llx %7s %7s %31[^\n]",
					   &r.first, &r.last, &r.paddr, r.size,
					   r.type, r.prot),
				    6, "line \"%s\"", line);
		KUNIT_ASSERT_LT(test, n, max);
		runs[n++] = r;
	}
	KUNIT_EXPECT_NOT_NULL(test, *tables);
	return n;
}

static void walk_test_dump(struct kunit *test)
{
	const struct walk_case *c = test->param_value;
	struct iopgtable_test_table *t = walk_new(test, c);
	unsigned int i, n, max = ARRAY_SIZE(walk_dump_runs) + 4;
	u64 base = walk_base(t), total = 0;
	struct walk_run *runs;
	struct seq_file *m;
	char *tables;
	size_t mapped;

	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, base + 0x100000000,
						       0x80000000, SZ_4K, 16,
						       RW | IOPGTABLE_CACHE,
						       &mapped),
			0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, base + 0x100010000,
						       0x90000000, SZ_4K, 2,
						       RW | IOPGTABLE_CACHE,
						       &mapped),
			0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, base + 0x100012000,
						       0x90002000, SZ_4K, 1,
						       IOPGTABLE_READ, &mapped),
			0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, base + 0x200000000,
						       0xa0000000, SZ_2M, 2,
						       RW | IOPGTABLE_NOEXEC,
						       &mapped),
			0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, base + 0x200400000,
						       0xa0400000, SZ_2M, 1,
						       RW | IOPGTABLE_NOEXEC,
						       &mapped),
			0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, base + 0x200600000,
						       0xa0600000, SZ_4K, 1,
						       RW | IOPGTABLE_NOEXEC,
						       &mapped),
			0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, base + 0x4000000000,
						       0xc0000000, SZ_1G, 1,
						       RW | IOPGTABLE_MMIO,
						       &mapped),
			0);

	m = walk_seq(test);
	iopgtable_dump(t->ops, m);
	runs = kunit_kcalloc(test, max, sizeof(*runs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, runs);
	n = walk_parse_dump(test, walk_seq_text(test, m), runs, max, &tables);

	KUNIT_EXPECT_EQ(test, n, ARRAY_SIZE(walk_dump_runs));
	for (i = 0; i < min_t(unsigned int, n, ARRAY_SIZE(walk_dump_runs)); i++) {
		const struct walk_run *w = &walk_dump_runs[i];
		const struct walk_run *r = &runs[i];

		KUNIT_EXPECT_EQ_MSG(test, r->first, base + w->first, "run %u", i);
		KUNIT_EXPECT_EQ_MSG(test, r->last, base + w->last, "run %u", i);
		KUNIT_EXPECT_EQ_MSG(test, r->paddr, w->paddr, "run %u", i);
		KUNIT_EXPECT_STREQ_MSG(test, r->size, w->size, "run %u", i);
		KUNIT_EXPECT_STREQ_MSG(test, r->type, w->type, "run %u", i);
		KUNIT_EXPECT_STREQ_MSG(test, r->prot, w->prot, "run %u", i);
	}
	/* And what the table translates agrees with every run, end to end. */
	for (i = 0; i < n; i++) {
		iopgtable_test_expect_mapped(t, runs[i].first, runs[i].paddr,
					     runs[i].last - runs[i].first + 1);
		total += runs[i].last - runs[i].first + 1;
	}
	KUNIT_EXPECT_EQ(test, total, 16 * SZ_4K + 3 * SZ_4K + 3 * SZ_2M +
				     SZ_4K + SZ_1G);

	/*
	 * Tables: the root; one at level 1 (0x1_0000_0000 to 0x40_0000_0000
	 * share a level-0 entry); two at level 2 (4G and 8G); two at level 3
	 * (the pages at 4G and the page after the blocks at 8G). Mali's ias
	 * 36 root and 48 alike walk from level 0.
	 */
	KUNIT_EXPECT_STREQ(test, tables,
			   "tables: 1 at level 0, 1 at level 1, 2 at level 2, 2 at level 3");
	KUNIT_EXPECT_EQ(test, t->allocs, 6UL);
}

static const struct walk_case walk_dump_cases[] = {
	{ "S1 4K", IOPGTABLE_ARM_64_LPAE_S1, SZ_4K | SZ_2M | SZ_1G, 48, 0 },
	{ "S1 4K TTBR1", IOPGTABLE_ARM_64_LPAE_S1, SZ_4K | SZ_2M | SZ_1G, 48,
	  IOPGTABLE_QUIRK_ARM_TTBR1 },
	{ "Mali 4K", IOPGTABLE_ARM_MALI_LPAE, SZ_4K | SZ_2M | SZ_1G, 48, 0 },
};

KUNIT_ARRAY_PARAM(walk_dump, walk_dump_cases, walk_case_desc);

/* An empty table: no run, the root alone, from the root's level. */
static void walk_test_dump_empty(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	struct iopgtable_test_table *t;
	struct seq_file *m;

	cfg.pgsize_bitmap = SZ_64K | SZ_512M;
	t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);
	m = walk_seq(test);
	iopgtable_dump(t->ops, m);
	KUNIT_EXPECT_STREQ(test, walk_seq_text(test, m),
			   "tables: 1 at level 1, 0 at level 2, 0 at level 3\n");
}

/**
 * struct walk_reader - a thread reading a table's debugfs file
 * @m: the seq_file it reads into; @m->private is the table's ops.
 * @ret: what the read returned.
 * @done: completed when the read returned.
 */
struct walk_reader {
	struct seq_file *m;
	int ret;
	struct completion done;
};

static int walk_reader_fn(void *data)
{
	struct walk_reader *r = data;

	r->ret = iopgtable_debugfs_show(r->m, NULL);
	complete(&r->done);
	return 0;
}

/*
 * The debugfs file comes with iopgtable_debugfs_add() and goes at free,
 * and reads under the driver's lock: a reader started while the driver
 * holds it sleeps on it, and reads the table once the lock is released.
 * Without a lock there is no file.
 */
static void walk_test_debugfs(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	struct iopgtable_test_table *t;
	struct task_struct *task;
	struct dentry *dir, *file;
	struct walk_reader *r;
	struct mutex lock;	/* the driver's: held around its updates */
	bool blocked;
	long warns;

	if (!IS_ENABLED(CONFIG_IOPGTABLE_DEBUGFS))
		kunit_skip(test, "CONFIG_IOPGTABLE_DEBUGFS is not set");
	dir = debugfs_create_dir("iopgtable_walk_test", NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(dir));
	mutex_init(&lock);

	t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);
	iopgtable_debugfs_add(t->ops, "vm0", dir, &lock);
	file = debugfs_lookup("vm0", dir);
	KUNIT_EXPECT_NOT_NULL(test, file);
	dput(file);

	/* Registered again: under the new name only. */
	iopgtable_debugfs_add(t->ops, "vm1", dir, &lock);
	file = debugfs_lookup("vm0", dir);
	KUNIT_EXPECT_NULL(test, file);
	dput(file);
	file = debugfs_lookup("vm1", dir);
	KUNIT_EXPECT_NOT_NULL(test, file);
	dput(file);

	/* Read while the driver holds its lock: the reader waits. */
	KUNIT_ASSERT_EQ(test, iopgtable_map(t->ops, SZ_2M, SZ_1G, SZ_8K, RW,
					    GFP_KERNEL), 0);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->m = walk_seq(test);
	r->m->private = t->ops;
	init_completion(&r->done);
	mutex_lock(&lock);
	task = kthread_run(walk_reader_fn, r, "iopgtable-dump");
	if (IS_ERR(task)) {
		mutex_unlock(&lock);
		KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(task));
		return;
	}
	/* Until the reader has read, or sleeps on the lock. */
	while (!completion_done(&r->done) &&
	       READ_ONCE(task->__state) != TASK_KILLABLE)
		usleep_range(1000, 2000);
	blocked = !completion_done(&r->done);
	mutex_unlock(&lock);
	wait_for_completion(&r->done);
	KUNIT_EXPECT_TRUE_MSG(test, blocked,
			      "the file was read while the driver held its lock");
	KUNIT_EXPECT_EQ(test, r->ret, 0);
	KUNIT_EXPECT_STREQ(test, walk_seq_text(test, r->m),
			   "0x200000-0x201fff -> 0x40000000 4K page rw\n"
			   "tables: 1 at level 0, 1 at level 1, 1 at level 2, 1 at level 3\n");
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, SZ_2M, SZ_8K, NULL), SZ_8K);

	/* No lock, no file: the table keeps the one it has. */
	warns = atomic_long_read(&t->kernel_warns);
	iopgtable_debugfs_add(t->ops, "vm2", dir, NULL);
	/* The driver's mistake WARNs, once a boot. */
	t->other_warns = atomic_long_read(&t->kernel_warns) - warns;
	KUNIT_EXPECT_LE(test, t->other_warns, 1);
	file = debugfs_lookup("vm2", dir);
	KUNIT_EXPECT_NULL(test, file);
	dput(file);
	file = debugfs_lookup("vm1", dir);
	KUNIT_EXPECT_NOT_NULL(test, file);
	dput(file);

	iopgtable_test_release(t);
	file = debugfs_lookup("vm1", dir);
	KUNIT_EXPECT_NULL(test, file);
	dput(file);
	debugfs_remove(dir);
}

/* ---- Tracepoints ---- */

struct walk_trace {
	unsigned int maps, unmaps, allocs, frees;
	unsigned int broken;
	int last_ret;
	size_t last_mapped, last_unmapped, last_pgsize;
	u64 last_iova;
	size_t table_bytes;
	unsigned int alloc_levels[4];
};

static void walk_trace_map(void *data, const void *ops, u64 iova, u64 paddr,
			   size_t pgsize, size_t pgcount, int prot, int ret,
			   size_t mapped)
{
	struct walk_trace *tr = data;

	tr->maps++;
	tr->last_ret = ret;
	tr->last_mapped = mapped;
	tr->last_iova = iova;
	tr->last_pgsize = pgsize;
}

static void walk_trace_unmap(void *data, const void *ops, u64 iova,
			     size_t pgsize, size_t pgcount, size_t unmapped,
			     bool broken)
{
	struct walk_trace *tr = data;

	tr->unmaps++;
	tr->broken += broken;
	tr->last_unmapped = unmapped;
}

static void walk_trace_alloc(void *data, const void *ops, unsigned int level,
			     u64 paddr, size_t size)
{
	struct walk_trace *tr = data;

	tr->allocs++;
	tr->table_bytes += size;
	if (level < ARRAY_SIZE(tr->alloc_levels))
		tr->alloc_levels[level]++;
}

static void walk_trace_free(void *data, const void *ops, unsigned int level,
			    u64 paddr, size_t size)
{
	struct walk_trace *tr = data;

	tr->frees++;
	tr->table_bytes -= size;
}

static void walk_trace_unregister(void *data)
{
	unregister_trace_iopgtable_map(walk_trace_map, data);
	unregister_trace_iopgtable_unmap(walk_trace_unmap, data);
	unregister_trace_iopgtable_table_alloc(walk_trace_alloc, data);
	unregister_trace_iopgtable_table_free(walk_trace_free, data);
	tracepoint_synchronize_unregister();
}

/*
 * Map at @iova an sg_table of @n segments of @len bytes, @stride apart in
 * descending physical order.
 */
static void walk_map_sgt(struct iopgtable_test_table *t, u64 iova,
			 unsigned int n, u32 len, u64 stride)
{
	struct scatterlist *sg;
	struct sg_table sgt;
	unsigned int i;

	KUNIT_ASSERT_EQ(t->test, sg_alloc_table(&sgt, n, GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, sg, i) {
		sg->length = len;
		sg_dma_address(sg) = 0xc0000000 + (u64)(n - i) * stride;
		sg_dma_len(sg) = len;
	}
	KUNIT_EXPECT_EQ(t->test, iopgtable_map_sgtable(t->ops, iova, &sgt, 0,
						       (u64)n * len, RW,
						       GFP_KERNEL), 0);
	sg_free_table(&sgt);
}

/*
 * A known sequence, counted through probes on the tracepoints. Nothing else
 * uses iopgtable while a KUnit case runs, so every event is this test's.
 */
static void walk_test_tracepoints(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	struct iopgtable_test_table *t;
	struct walk_trace *tr;
	size_t mapped;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "the kernel has no tracepoints");
	tr = kunit_kzalloc(test, sizeof(*tr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tr);
	KUNIT_ASSERT_EQ(test, register_trace_iopgtable_map(walk_trace_map, tr),
			0);
	KUNIT_ASSERT_EQ(test, register_trace_iopgtable_unmap(walk_trace_unmap, tr),
			0);
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_table_alloc(walk_trace_alloc, tr),
			0);
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_table_free(walk_trace_free, tr),
			0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							walk_trace_unregister,
							tr),
			0);

	/* The root, at level 0: 4K for ias 48. */
	t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);
	KUNIT_EXPECT_EQ(test, tr->allocs, 1U);
	KUNIT_EXPECT_EQ(test, tr->alloc_levels[0], 1U);

	/* Two pages: one event, three tables (levels 1 to 3). */
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, 0x100000000,
						       0x80000000, SZ_4K, 2,
						       RW, &mapped),
			0);
	KUNIT_EXPECT_EQ(test, tr->maps, 1U);
	KUNIT_EXPECT_EQ(test, tr->last_mapped, 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, tr->allocs, 4U);
	KUNIT_EXPECT_EQ(test, tr->alloc_levels[3], 1U);

	/* The helper maps 4M as one call of 2 x 2M: one event, one table. */
	KUNIT_EXPECT_EQ(test, iopgtable_map(t->ops, 0x200000000, 0xa0000000,
					    SZ_4M, RW, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, tr->maps, 2U);
	KUNIT_EXPECT_EQ(test, tr->last_mapped, SZ_4M);
	KUNIT_EXPECT_EQ(test, tr->allocs, 5U);

	/* Failures are traced with their errno: -EEXIST, then -EINVAL. */
	iopgtable_test_map_pages(t, 0x100000000, 0x80000000, SZ_4K, 1, RW,
				 &mapped);
	KUNIT_EXPECT_EQ(test, tr->maps, 3U);
	KUNIT_EXPECT_EQ(test, tr->last_ret, -EEXIST);
	KUNIT_EXPECT_EQ(test, tr->last_mapped, 0);
	iopgtable_test_map_pages(t, 0x100000800, 0x80000000, SZ_4K, 1, RW,
				 &mapped);
	KUNIT_EXPECT_EQ(test, tr->maps, 4U);
	KUNIT_EXPECT_EQ(test, tr->last_ret, -EINVAL);

	/* Unmaps: legal, a hole (broken), then a whole 1G span. */
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, 0x100000000, 2 * SZ_4K,
					      NULL),
			2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, tr->unmaps, 1U);
	KUNIT_EXPECT_EQ(test, tr->broken, 0U);
	KUNIT_EXPECT_EQ(test, tr->last_unmapped, 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, 0x100000000, SZ_4K,
					      NULL),
			0);
	KUNIT_EXPECT_EQ(test, tr->unmaps, 2U);
	KUNIT_EXPECT_EQ(test, tr->broken, 1U);
	KUNIT_EXPECT_EQ(test, tr->frees, 0U);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, 0x100000000, SZ_1G,
					      NULL),
			SZ_1G);
	KUNIT_EXPECT_EQ(test, tr->unmaps, 3U);
	KUNIT_EXPECT_EQ(test, tr->broken, 1U);
	/* The level-2 and level-3 tables under it went. */
	KUNIT_EXPECT_EQ(test, tr->frees, 2U);

	/*
	 * An sg_table of 40 single pages, mapped in batches: one event per
	 * page all the same, as 40 calls of map_pages would give, and the
	 * level-2 and level-3 tables for 12G.
	 */
	walk_map_sgt(t, 0x300000000, 40, SZ_4K, SZ_64K);
	KUNIT_EXPECT_EQ(test, tr->maps, 44U);
	KUNIT_EXPECT_EQ(test, tr->last_ret, 0);
	KUNIT_EXPECT_EQ(test, tr->last_mapped, SZ_4K);
	KUNIT_EXPECT_EQ(test, tr->allocs, 7U);

	/*
	 * Three segments of one 2M block each, batched as well: an event per
	 * block, the last at the third, and a level-2 table for 16G.
	 */
	walk_map_sgt(t, 0x400000000, 3, SZ_2M, SZ_4M);
	KUNIT_EXPECT_EQ(test, tr->maps, 47U);
	KUNIT_EXPECT_EQ(test, tr->last_ret, 0);
	KUNIT_EXPECT_EQ(test, tr->last_iova, 0x400000000 + 2 * SZ_2M);
	KUNIT_EXPECT_EQ(test, tr->last_pgsize, SZ_2M);
	KUNIT_EXPECT_EQ(test, tr->last_mapped, SZ_2M);
	KUNIT_EXPECT_EQ(test, tr->allocs, 8U);

	/* Freeing the table frees the other six: nothing is left. */
	iopgtable_test_release(t);
	KUNIT_EXPECT_EQ(test, tr->frees, 8U);
	KUNIT_EXPECT_EQ(test, tr->table_bytes, 0);
	KUNIT_EXPECT_EQ(test, tr->allocs, 8U);
	KUNIT_EXPECT_EQ(test, tr->maps, 47U);
	KUNIT_EXPECT_EQ(test, tr->unmaps, 3U);
}

/* The last event of each kind, and counts, of the reservation events. */
struct walk_trace_pa {
	unsigned int prepares, splits, releases;
	unsigned int allocs[5], frees[5];
	struct {
		const void *ops, *pa;
		int call, ret;
		u64 iova, size;
		unsigned int added, held;
	} prepare;
	struct {
		const void *ops, *pa;
		u64 iova;
		size_t size, unmapped;
		unsigned int split_tables;
		int ret;
		bool broken;
	} split;
	struct {
		const void *ops, *pa;
		unsigned int unused;
		u64 taken;
	} release;
};

static void walk_trace_prepare(void *data, const void *ops, const void *pa,
			       int call, u64 iova, u64 size, unsigned int added,
			       unsigned int held, int ret)
{
	struct walk_trace_pa *tr = data;

	tr->prepares++;
	tr->prepare.ops = ops;
	tr->prepare.pa = pa;
	tr->prepare.call = call;
	tr->prepare.iova = iova;
	tr->prepare.size = size;
	tr->prepare.added = added;
	tr->prepare.held = held;
	tr->prepare.ret = ret;
}

static void walk_trace_split(void *data, const void *ops, u64 iova,
			     size_t size, const void *pa,
			     unsigned int split_tables, int ret,
			     size_t unmapped, bool broken)
{
	struct walk_trace_pa *tr = data;

	tr->splits++;
	tr->split.ops = ops;
	tr->split.iova = iova;
	tr->split.size = size;
	tr->split.pa = pa;
	tr->split.split_tables = split_tables;
	tr->split.ret = ret;
	tr->split.unmapped = unmapped;
	tr->split.broken = broken;
}

static void walk_trace_release(void *data, const void *ops, const void *pa,
			       unsigned int unused, u64 taken)
{
	struct walk_trace_pa *tr = data;

	tr->releases++;
	tr->release.ops = ops;
	tr->release.pa = pa;
	tr->release.unused = unused;
	tr->release.taken = taken;
}

static void walk_trace_pa_alloc(void *data, const void *ops,
				unsigned int level, u64 paddr, size_t size)
{
	struct walk_trace_pa *tr = data;

	if (level < ARRAY_SIZE(tr->allocs))
		tr->allocs[level]++;
}

static void walk_trace_pa_free(void *data, const void *ops,
			       unsigned int level, u64 paddr, size_t size)
{
	struct walk_trace_pa *tr = data;

	if (level < ARRAY_SIZE(tr->frees))
		tr->frees[level]++;
}

static void walk_trace_pa_unregister(void *data)
{
	unregister_trace_iopgtable_prealloc_prepare(walk_trace_prepare, data);
	unregister_trace_iopgtable_unmap_split(walk_trace_split, data);
	unregister_trace_iopgtable_prealloc_release(walk_trace_release, data);
	unregister_trace_iopgtable_table_alloc(walk_trace_pa_alloc, data);
	unregister_trace_iopgtable_table_free(walk_trace_pa_free, data);
	tracepoint_synchronize_unregister();
}

static void walk_expect_split(struct kunit *test, struct walk_trace_pa *tr,
			      unsigned int splits, u64 iova, size_t size,
			      const void *pa, unsigned int split_tables,
			      int ret, size_t unmapped, bool broken)
{
	KUNIT_EXPECT_EQ(test, tr->splits, splits);
	KUNIT_EXPECT_EQ(test, tr->split.iova, iova);
	KUNIT_EXPECT_EQ(test, tr->split.size, size);
	KUNIT_EXPECT_PTR_EQ(test, tr->split.pa, pa);
	KUNIT_EXPECT_EQ(test, tr->split.split_tables, split_tables);
	KUNIT_EXPECT_EQ(test, tr->split.ret, ret);
	KUNIT_EXPECT_EQ(test, tr->split.unmapped, unmapped);
	KUNIT_EXPECT_EQ(test, tr->split.broken, broken);
}

static void walk_expect_prepare(struct kunit *test, struct walk_trace_pa *tr,
				unsigned int prepares, int call, u64 iova,
				u64 size, unsigned int added,
				const struct iopgtable_prealloc *pa, int ret)
{
	KUNIT_EXPECT_EQ(test, tr->prepares, prepares);
	KUNIT_EXPECT_PTR_EQ(test, tr->prepare.pa, (const void *)pa);
	KUNIT_EXPECT_EQ(test, tr->prepare.call, call);
	KUNIT_EXPECT_EQ(test, tr->prepare.iova, iova);
	KUNIT_EXPECT_EQ(test, tr->prepare.size, size);
	KUNIT_EXPECT_EQ(test, tr->prepare.added, added);
	KUNIT_EXPECT_EQ(test, tr->prepare.held, iopgtable_prealloc_count(pa));
	KUNIT_EXPECT_EQ(test, tr->prepare.ret, ret);
}

/*
 * A reservation prepared, mapped from, split from and released, and the
 * splits that fail, counted and read through probes (S1, 4K granule, ias
 * 48: tables at levels 1 to 3 below the root).
 */
static void walk_test_tracepoints_prealloc(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	const u64 base = SZ_1G;
	struct iopgtable_test_table *t;
	struct iopgtable_prealloc pa;
	struct walk_trace_pa *tr;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "the kernel has no tracepoints");
	tr = kunit_kzalloc(test, sizeof(*tr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tr);
	t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_prealloc_prepare(walk_trace_prepare,
								  tr),
			0);
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_unmap_split(walk_trace_split,
							     tr),
			0);
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_prealloc_release(walk_trace_release,
								  tr),
			0);
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_table_alloc(walk_trace_pa_alloc,
							     tr),
			0);
	KUNIT_ASSERT_EQ(test,
			register_trace_iopgtable_table_free(walk_trace_pa_free,
							    tr),
			0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							walk_trace_pa_unregister,
							tr),
			0);
	iopgtable_prealloc_init(&pa);

	/* A bad size is traced with its errno and nothing added. */
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, base, 0,
						     GFP_KERNEL),
			-EINVAL);
	walk_expect_prepare(test, tr, 1, IOPGTABLE_PREALLOC_MAP, base, 0, 0,
			    &pa, -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, tr->prepare.ops, (const void *)t->ops);

	/* 2M at 1G: one table per 512G, 1G and 2M span, made at level 4. */
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map(t->ops, &pa, base, SZ_2M,
						     GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 3U);
	walk_expect_prepare(test, tr, 2, IOPGTABLE_PREALLOC_MAP, base, SZ_2M, 3,
			    &pa, 0);

	/* Splitting 4K out of it takes a 1G and a 2M block table at most. */
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_unmap(t->ops, &pa,
						       base + SZ_4K, SZ_4K,
						       GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 5U);
	walk_expect_prepare(test, tr, 3, IOPGTABLE_PREALLOC_UNMAP,
			    base + SZ_4K, SZ_4K, 2, &pa, 0);
	KUNIT_EXPECT_EQ(test, tr->allocs[4], 5U);

	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_map_sgtable(t->ops, &pa, base,
							     NULL, 0, SZ_2M,
							     GFP_KERNEL),
			-EINVAL);
	walk_expect_prepare(test, tr, 4, IOPGTABLE_PREALLOC_MAP_SGTABLE, base,
			    SZ_2M, 0, &pa, -EINVAL);

	/* One 2M block takes the level-1 and level-2 tables. */
	KUNIT_EXPECT_EQ(test, iopgtable_map_prealloc(t->ops, base, 0x80000000,
						     SZ_2M, RW, &pa),
			0);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 3U);

	/* 4K out of the 2M block: the split takes one table (level 3). */
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, base + SZ_4K,
						    SZ_4K, &pa, NULL),
			SZ_4K);
	walk_expect_split(test, tr, 1, base + SZ_4K, SZ_4K, &pa, 1, 0, SZ_4K,
			  false);
	KUNIT_EXPECT_PTR_EQ(test, tr->split.ops, (const void *)t->ops);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(&pa), 2U);
	iopgtable_test_expect_mapped(t, base, 0x80000000, SZ_4K);
	iopgtable_test_expect_unmapped(t, base + SZ_4K, SZ_4K);

	/* Two given back unused, three taken by the map and the split. */
	iopgtable_prealloc_release(t->ops, &pa);
	KUNIT_EXPECT_EQ(test, tr->releases, 1U);
	KUNIT_EXPECT_PTR_EQ(test, tr->release.ops, (const void *)t->ops);
	KUNIT_EXPECT_PTR_EQ(test, tr->release.pa, (const void *)&pa);
	KUNIT_EXPECT_EQ(test, tr->release.unused, 2U);
	KUNIT_EXPECT_EQ(test, tr->release.taken, 3U);
	KUNIT_EXPECT_EQ(test, tr->frees[4], 2U);

	/* An empty reservation runs short: -ENOMEM, not a broken range. */
	KUNIT_EXPECT_EQ(test, iopgtable_map(t->ops, base + SZ_2M, 0x80200000,
					    SZ_2M, RW, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops,
						    base + SZ_2M + SZ_4K,
						    SZ_4K, &pa, NULL),
			0);
	walk_expect_split(test, tr, 2, base + SZ_2M + SZ_4K, SZ_4K, &pa, 0,
			  -ENOMEM, 0, false);

	/* Without a reservation the split's table is a level-3 allocation. */
	KUNIT_EXPECT_EQ(test, tr->allocs[3], 0U);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops,
						    base + SZ_2M + SZ_4K,
						    SZ_4K, NULL, NULL),
			SZ_4K);
	walk_expect_split(test, tr, 3, base + SZ_2M + SZ_4K, SZ_4K, NULL, 0,
			  0, SZ_4K, false);
	KUNIT_EXPECT_EQ(test, tr->allocs[3], 1U);

	/* A hole breaks the contract, as bad arguments do. */
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, SZ_2G, SZ_4K, NULL,
						    NULL),
			0);
	walk_expect_split(test, tr, 4, SZ_2G, SZ_4K, NULL, 0, 0, 0, true);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap_split(t->ops, base, 0, NULL,
						    NULL),
			0);
	walk_expect_split(test, tr, 5, base, 0, NULL, 0, -EINVAL, 0, true);

	/* The count of taken tables starts again after a release. */
	iopgtable_prealloc_release(t->ops, &pa);
	KUNIT_EXPECT_EQ(test, tr->releases, 2U);
	KUNIT_EXPECT_EQ(test, tr->release.unused, 0U);
	KUNIT_EXPECT_EQ(test, tr->release.taken, 0U);
	KUNIT_EXPECT_EQ(test, tr->prepares, 4U);
}

static struct kunit_case walk_test_cases[] = {
	KUNIT_CASE_PARAM(walk_test_vs_walker, walk_gen_params),
	KUNIT_CASE_PARAM(walk_test_print, walk_print_gen_params),
	KUNIT_CASE(walk_test_print_hole),
	KUNIT_CASE_PARAM(walk_test_dump, walk_dump_gen_params),
	KUNIT_CASE(walk_test_dump_empty),
	KUNIT_CASE(walk_test_debugfs),
	KUNIT_CASE(walk_test_tracepoints),
	KUNIT_CASE(walk_test_tracepoints_prealloc),
	{}
};

static struct kunit_suite walk_test_suite = {
	.name = "iopgtable_walk",
	.test_cases = walk_test_cases,
};

kunit_test_suites(&walk_test_suite);
