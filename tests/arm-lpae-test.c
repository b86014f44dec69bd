// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the ARM LPAE formats of iopgtable: the raw entries the
 * hardware walks and the register values it is programmed with.
 *
 * Every expected value is derived here, from the Arm ARM (VMSAv8-64
 * descriptors, TCR_EL1, MAIR_EL1) and from what drivers/iommu/io-pgtable-arm.c
 * of Linux 6.12 writes, never from the format code under test:
 *
 * - leaf attributes: arm_lpae_prot_to_pte();
 * - leaf type (page 3 at level 3, block 1; Mali 1 at every level):
 *   __arm_lpae_init_pte();
 * - table entries (type 3, NSTABLE with ARM_NS): arm_lpae_install_table();
 * - TCR, MAIR and TTBR: arm_64_lpae_alloc_pgtable_s1();
 * - MEMATTR, TRANSTAB and the four-level walk: arm_mali_lpae_alloc_pgtable();
 * - granule and page sizes: arm_lpae_restrict_pgsizes();
 * - the input range, TTBR1 included: arm_lpae_map_pages().
 *
 * Entries are read by iopgtable_test_walk(), which walks from the root
 * register without the format's code. A table of golden entries, worked out
 * by hand, checks the test-side model as well as the format.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/array_size.h>
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/log2.h>
#include <linux/sizes.h>
#include <linux/sprintf.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include <trace/events/iopgtable.h>

#include "test-util.h"

#define RW	(IOPGTABLE_READ | IOPGTABLE_WRITE)

/* Descriptor fields (Arm ARM D8.3; io-pgtable-arm.c ARM_LPAE_PTE_*) */
#define EXP_PTE_TYPE_BLOCK	1ULL
#define EXP_PTE_TYPE_PAGE	3ULL
#define EXP_PTE_TYPE_TABLE	3ULL
#define EXP_PTE_ATTRINDX_SHIFT	2
#define EXP_PTE_NS		BIT_ULL(5)
#define EXP_PTE_AP_UNPRIV	BIT_ULL(6)	/* AP[1] */
#define EXP_PTE_AP_RDONLY	BIT_ULL(7)	/* AP[2] */
#define EXP_PTE_SH_OS		(2ULL << 8)
#define EXP_PTE_SH_IS		(3ULL << 8)
#define EXP_PTE_AF		BIT_ULL(10)
#define EXP_PTE_NG		BIT_ULL(11)
#define EXP_PTE_OA		GENMASK_ULL(47, 12)
#define EXP_PTE_XN		(BIT_ULL(53) | BIT_ULL(54))	/* PXN, UXN */
#define EXP_PTE_NSTABLE		BIT_ULL(63)

/* Mali leaves: stage-2 style permissions (HAP_READ, HAP_WRITE) */
#define EXP_MALI_PTE_READ	BIT_ULL(6)
#define EXP_MALI_PTE_WRITE	BIT_ULL(7)

/* MAIR indexes: ARM_LPAE_MAIR_ATTR_IDX_* */
#define EXP_ATTR_IDX_NC		0ULL
#define EXP_ATTR_IDX_CACHE	1ULL
#define EXP_ATTR_IDX_DEV	2ULL

/*
 * MAIR_EL1: normal non-cacheable (0x44) at index 0, write-back
 * read/write-allocate (0xff) at 1, device-nGnRE (0x04) at 2, inner
 * non-cacheable outer write-back (0xf4) at 3.
 */
#define EXP_S1_MAIR		0xfffffffff404ff44ULL

/*
 * AS_MEMATTR: implementation-defined policy (0x88) at indexes 0 and 2,
 * write-allocate (0x8d) at 1.
 */
#define EXP_MALI_MEMATTR	0x888d88ULL

/*
 * AS_TRANSTAB: the root's address above bit 5; below, ADRMODE_TABLE (3),
 * READ_INNER (0x4) and, for a coherent walk, SHARE_OUTER (0x10).
 */
#define EXP_MALI_TRANSTAB_FLAGS	GENMASK_ULL(5, 0)
#define EXP_MALI_TRANSTAB_COHERENT 0x17ULL

/* TCR_EL1 field values for a coherent walk */
#define EXP_TCR_RGN_WBWA	1ULL
#define EXP_TCR_SH_IS		3ULL

/* Addresses the tables below map from and to, aligned to 1G */
#define LPAE_TEST_IOVA		0x5a5a00000000ULL
#define LPAE_TEST_PHYS_S1	0xa5a540000000ULL	/* bit 47 set */
#define LPAE_TEST_PHYS_MALI	0xa540000000ULL		/* bit 39 set */

static bool lpae_is_mali(enum iopgtable_fmt fmt)
{
	return fmt == IOPGTABLE_ARM_MALI_LPAE;
}

static const char *lpae_fmt_name(enum iopgtable_fmt fmt)
{
	return lpae_is_mali(fmt) ? "Mali" : "S1";
}

/* A physical address high in the format's output range. */
static u64 lpae_phys_base(enum iopgtable_fmt fmt)
{
	return lpae_is_mali(fmt) ? LPAE_TEST_PHYS_MALI : LPAE_TEST_PHYS_S1;
}

/* The leaf io-pgtable-arm writes at @level to map @paddr with @prot. */
static u64 lpae_expect_leaf(enum iopgtable_fmt fmt, unsigned long quirks,
			    int prot, int level, u64 paddr)
{
	u64 pte = paddr & EXP_PTE_OA;

	if (prot & IOPGTABLE_MMIO)
		pte |= EXP_ATTR_IDX_DEV << EXP_PTE_ATTRINDX_SHIFT;
	else if (prot & IOPGTABLE_CACHE)
		pte |= EXP_ATTR_IDX_CACHE << EXP_PTE_ATTRINDX_SHIFT;
	else
		pte |= EXP_ATTR_IDX_NC << EXP_PTE_ATTRINDX_SHIFT;
	if (prot & IOPGTABLE_NOEXEC)
		pte |= EXP_PTE_XN;

	if (lpae_is_mali(fmt)) {
		/*
		 * An ATE (type 1) at every level, stage-2 permissions, outer
		 * shareable whatever the cacheability, no AF, no nG, and
		 * nothing for PRIVILEGED.
		 */
		pte |= EXP_PTE_TYPE_BLOCK | EXP_PTE_SH_OS;
		if (prot & IOPGTABLE_READ)
			pte |= EXP_MALI_PTE_READ;
		if (prot & IOPGTABLE_WRITE)
			pte |= EXP_MALI_PTE_WRITE;
		return pte;
	}

	pte |= level == 3 ? EXP_PTE_TYPE_PAGE : EXP_PTE_TYPE_BLOCK;
	pte |= EXP_PTE_NG | EXP_PTE_AF;
	pte |= prot & IOPGTABLE_CACHE ? EXP_PTE_SH_IS : EXP_PTE_SH_OS;
	if ((prot & IOPGTABLE_READ) && !(prot & IOPGTABLE_WRITE))
		pte |= EXP_PTE_AP_RDONLY;
	if (!(prot & IOPGTABLE_PRIVILEGED))
		pte |= EXP_PTE_AP_UNPRIV;
	if (quirks & IOPGTABLE_QUIRK_ARM_NS)
		pte |= EXP_PTE_NS;
	return pte;
}

/* The bits of a table entry other than the next table's address. */
static u64 lpae_expect_table_attrs(unsigned long quirks)
{
	u64 attrs = EXP_PTE_TYPE_TABLE;

	if (quirks & IOPGTABLE_QUIRK_ARM_NS)
		attrs |= EXP_PTE_NSTABLE;
	return attrs;
}

/*
 * TCR_EL1 for a coherent walk: the fields of TTBR0 (T0SZ[5:0],
 * IRGN0[9:8], ORGN0[11:10], SH0[13:12], TG0[15:14]) or of TTBR1
 * (T1SZ[21:16], IRGN1[25:24], ORGN1[27:26], SH1[29:28], TG1[31:30]),
 * and IPS[34:32].
 */
static u64 lpae_expect_tcr(bool ttbr1, u64 tsz, u64 tg, u64 ips)
{
	u64 tcr = ips << 32;

	if (ttbr1)
		return tcr | tsz << 16 | EXP_TCR_RGN_WBWA << 24 |
		       EXP_TCR_RGN_WBWA << 26 | EXP_TCR_SH_IS << 28 | tg << 30;
	return tcr | tsz | EXP_TCR_RGN_WBWA << 8 | EXP_TCR_RGN_WBWA << 10 |
	       EXP_TCR_SH_IS << 12 | tg << 14;
}

static int lpae_size_str(char *buf, size_t len, u64 size)
{
	if (size >= SZ_1G)
		return scnprintf(buf, len, "%lluG", size / SZ_1G);
	if (size >= SZ_1M)
		return scnprintf(buf, len, "%lluM", size / SZ_1M);
	return scnprintf(buf, len, "%lluK", size / SZ_1K);
}

static int lpae_sizes_str(char *buf, size_t len, unsigned long sizes)
{
	unsigned int bit;
	int n = 0;

	for_each_set_bit(bit, &sizes, BITS_PER_LONG) {
		if (n)
			n += scnprintf(buf + n, len - n, "|");
		n += lpae_size_str(buf + n, len - n, BIT_ULL(bit));
	}
	return n;
}

static int lpae_prot_str(char *buf, size_t len, int prot)
{
	static const struct {
		int flag;
		const char *name;
	} flags[] = {
		{ IOPGTABLE_READ, "READ" },
		{ IOPGTABLE_WRITE, "WRITE" },
		{ IOPGTABLE_CACHE, "CACHE" },
		{ IOPGTABLE_NOEXEC, "NOEXEC" },
		{ IOPGTABLE_MMIO, "MMIO" },
		{ IOPGTABLE_PRIVILEGED, "PRIV" },
	};
	unsigned int i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(flags); i++)
		if (prot & flags[i].flag)
			n += scnprintf(buf + n, len - n, "%s%s", n ? "|" : "",
				       flags[i].name);
	return n;
}

static void lpae_expect_hex(struct kunit *test, const char *what, u64 got,
			    u64 want)
{
	KUNIT_EXPECT_EQ_MSG(test, got, want, "%s is %#llx, expected %#llx",
			    what, got, want);
}

static u64 lpae_iova_to_phys(struct iopgtable_test_table *t, u64 iova)
{
	return t->ops->iova_to_phys(t->ops, iova);
}

/* Map one page of @size bytes; skip where @paddr needs a wider phys_addr_t. */
static void lpae_map_one(struct kunit *test, struct iopgtable_test_table *t,
			 u64 iova, u64 paddr, size_t size, int prot)
{
	u64 last = paddr + size - 1;
	size_t mapped;
	int ret;

	if ((phys_addr_t)last != last)
		kunit_skip(test, "%#llx does not fit in phys_addr_t", last);

	ret = iopgtable_test_map_pages(t, iova, paddr, size, 1, prot, &mapped);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, mapped, size);
}

/*
 * Expect the walk from the root register to find, for @iova, the leaf the
 * model gives at @level, and ops->iova_to_phys() to translate the page and
 * not its neighbours (the callers leave those unmapped).
 */
static void lpae_expect_leaf_at(struct kunit *test,
				struct iopgtable_test_table *t, u64 iova,
				u64 paddr, size_t size, int level, int prot,
				struct iopgtable_test_walk *walk)
{
	u64 want = lpae_expect_leaf(t->fmt, t->cfg.quirks, prot, level, paddr);
	u64 pte = iopgtable_test_walk(t, iova, walk);
	u64 mid = size / 2 + 0x18;

	KUNIT_EXPECT_EQ_MSG(test, pte, want,
			    "leaf for %#llx is %#llx, expected %#llx",
			    iova, pte, want);
	KUNIT_EXPECT_EQ(test, walk->level, level);
	KUNIT_EXPECT_EQ(test, lpae_iova_to_phys(t, iova), paddr);
	KUNIT_EXPECT_EQ(test, lpae_iova_to_phys(t, iova + mid), paddr + mid);
	KUNIT_EXPECT_EQ(test, lpae_iova_to_phys(t, iova + size - 1),
			paddr + size - 1);
	KUNIT_EXPECT_EQ(test, lpae_iova_to_phys(t, iova - 1), 0ULL);
	KUNIT_EXPECT_EQ(test, lpae_iova_to_phys(t, iova + size), 0ULL);
}

/* Expect each table entry the walk crossed to be a bare table descriptor. */
static void lpae_expect_tables(struct kunit *test,
			       struct iopgtable_test_table *t,
			       const struct iopgtable_test_walk *walk)
{
	u64 want = lpae_expect_table_attrs(t->cfg.quirks);
	int lvl;

	for (lvl = walk->level - walk->levels + 1; lvl < walk->level; lvl++) {
		u64 pte = walk->table_ptes[lvl];

		KUNIT_EXPECT_EQ_MSG(test, pte & ~EXP_PTE_OA, want,
				    "level %d table entry %#llx, attrs %#llx",
				    lvl, pte, want);
		KUNIT_EXPECT_NE(test, pte & EXP_PTE_OA, 0ULL);
	}
}

/* ---- Golden entries, worked out by hand ---- */

struct lpae_golden_case {
	const char *desc;
	enum iopgtable_fmt fmt;
	unsigned long quirks;
	unsigned long pgsizes;	/* 0: 4K|2M|1G */
	size_t size;
	int level;
	int prot;
	u64 iova;
	u64 paddr;
	u64 pte;
};

static const struct lpae_golden_case lpae_golden_cases[] = {
	{
		/* type 3, AttrIndx 1, AP[1], SH 3, AF, nG */
		.desc = "S1 4K page READ|WRITE|CACHE",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.size = SZ_4K, .level = 3, .prot = RW | IOPGTABLE_CACHE,
		.iova = 0x1000, .paddr = 0x80000000,
		.pte = 0x80000f47,
	},
	{
		/* type 3, AP[1], AP[2], SH 2, AF, nG */
		.desc = "S1 4K page READ",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.size = SZ_4K, .level = 3, .prot = IOPGTABLE_READ,
		.iova = 0x2000, .paddr = 0x80000000,
		.pte = 0x80000ec3,
	},
	{
		/* type 3, SH 2, AF, nG, PXN, UXN */
		.desc = "S1 4K page WRITE|NOEXEC|PRIV",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.size = SZ_4K, .level = 3,
		.prot = IOPGTABLE_WRITE | IOPGTABLE_NOEXEC |
			IOPGTABLE_PRIVILEGED,
		.iova = 0x3000, .paddr = 0x123456789000,
		.pte = 0x0060123456789e03,
	},
	{
		/* type 3, AP[1], SH 2, AF, nG; all 36 address bits */
		.desc = "S1 4K page READ|WRITE at the top of 48 bits",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.size = SZ_4K, .level = 3, .prot = RW,
		.iova = 0xfffffffff000, .paddr = 0xfffffffff000,
		.pte = 0xfffffffffe43,
	},
	{
		/* type 1, AttrIndx 2, AP[1], SH 2, AF, nG */
		.desc = "S1 2M block READ|WRITE|MMIO",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.size = SZ_2M, .level = 2, .prot = RW | IOPGTABLE_MMIO,
		.iova = 0x40200000, .paddr = 0x40200000,
		.pte = 0x40200e49,
	},
	{
		/* type 1, AttrIndx 2 (MMIO wins), SH 3, AF, nG, PXN, UXN */
		.desc = "S1 1G block with every flag",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.size = SZ_1G, .level = 1,
		.prot = RW | IOPGTABLE_CACHE | IOPGTABLE_NOEXEC |
			IOPGTABLE_MMIO | IOPGTABLE_PRIVILEGED,
		.iova = 0x7fc0000000, .paddr = 0xc0000000,
		.pte = 0x00600000c0000f09,
	},
	{
		/* type 3, NS, AP[1], SH 2, AF, nG */
		.desc = "S1 4K page READ|WRITE, ARM_NS",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.quirks = IOPGTABLE_QUIRK_ARM_NS,
		.size = SZ_4K, .level = 3, .prot = RW,
		.iova = 0x1000, .paddr = 0x80000000,
		.pte = 0x80000e63,
	},
	{
		.desc = "S1 16K page READ|WRITE|CACHE",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.pgsizes = SZ_16K | SZ_32M,
		.size = SZ_16K, .level = 3, .prot = RW | IOPGTABLE_CACHE,
		.iova = 0x1c000, .paddr = 0x80004000,
		.pte = 0x80004f47,
	},
	{
		/* type 1, AP[1], AP[2], SH 2, AF, nG, PXN, UXN */
		.desc = "S1 32M block READ|NOEXEC",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.pgsizes = SZ_16K | SZ_32M,
		.size = SZ_32M, .level = 2,
		.prot = IOPGTABLE_READ | IOPGTABLE_NOEXEC,
		.iova = 0x6000000, .paddr = 0x102000000,
		.pte = 0x0060000102000ec1,
	},
	{
		/* type 3, AttrIndx 1, AP[2], SH 3, AF, nG */
		.desc = "S1 64K page READ|CACHE|PRIV",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.pgsizes = SZ_64K | SZ_512M,
		.size = SZ_64K, .level = 3,
		.prot = IOPGTABLE_READ | IOPGTABLE_CACHE |
			IOPGTABLE_PRIVILEGED,
		.iova = 0x30000, .paddr = 0xabcd0000,
		.pte = 0xabcd0f87,
	},
	{
		/* type 1, AP[1], SH 2, AF, nG */
		.desc = "S1 512M block READ|WRITE",
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.pgsizes = SZ_64K | SZ_512M,
		.size = SZ_512M, .level = 2, .prot = RW,
		.iova = 0x60000000, .paddr = 0x20000000,
		.pte = 0x20000e41,
	},
	{
		/* type 1, AttrIndx 1, HAP 3, SH 2 */
		.desc = "Mali 4K page READ|WRITE|CACHE",
		.fmt = IOPGTABLE_ARM_MALI_LPAE,
		.size = SZ_4K, .level = 3, .prot = RW | IOPGTABLE_CACHE,
		.iova = 0x1000, .paddr = 0x80000000,
		.pte = 0x800002c5,
	},
	{
		/* type 1, HAP 1, SH 2 */
		.desc = "Mali 4K page READ",
		.fmt = IOPGTABLE_ARM_MALI_LPAE,
		.size = SZ_4K, .level = 3, .prot = IOPGTABLE_READ,
		.iova = 0x2000, .paddr = 0x80000000,
		.pte = 0x80000241,
	},
	{
		/* type 1, HAP 3, SH 2; all 28 address bits below 40 */
		.desc = "Mali 4K page READ|WRITE at the top of 40 bits",
		.fmt = IOPGTABLE_ARM_MALI_LPAE,
		.size = SZ_4K, .level = 3, .prot = RW,
		.iova = 0xfffffff000, .paddr = 0xfffffff000,
		.pte = 0xfffffff2c1,
	},
	{
		/* type 1, AttrIndx 2, HAP 2, SH 2, XN; PRIV ignored */
		.desc = "Mali 2M block WRITE|NOEXEC|MMIO|PRIV",
		.fmt = IOPGTABLE_ARM_MALI_LPAE,
		.size = SZ_2M, .level = 2,
		.prot = IOPGTABLE_WRITE | IOPGTABLE_NOEXEC | IOPGTABLE_MMIO |
			IOPGTABLE_PRIVILEGED,
		.iova = 0x40200000, .paddr = 0x40200000,
		.pte = 0x0060000040200289,
	},
	{
		/* type 1 (as every Mali leaf), AttrIndx 1, HAP 3, SH 2 */
		.desc = "Mali 1G block READ|WRITE|CACHE",
		.fmt = IOPGTABLE_ARM_MALI_LPAE,
		.size = SZ_1G, .level = 1, .prot = RW | IOPGTABLE_CACHE,
		.iova = 0x7fc0000000, .paddr = 0xc0000000,
		.pte = 0xc00002c5,
	},
};

static void lpae_golden_desc(const struct lpae_golden_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(lpae_golden, lpae_golden_cases, lpae_golden_desc);

static void lpae_test_leaf_golden(struct kunit *test)
{
	const struct lpae_golden_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	struct iopgtable_test_walk walk;
	struct iopgtable_test_table *t;

	cfg.quirks |= c->quirks;
	if (c->pgsizes)
		cfg.pgsize_bitmap = c->pgsizes;
	t = iopgtable_test_new(test, c->fmt, &cfg);

	/* The test's model must agree with the hand-made value... */
	lpae_expect_hex(test, "model",
			lpae_expect_leaf(c->fmt, cfg.quirks, c->prot, c->level,
					 c->paddr),
			c->pte);

	/* ...and so must the table. */
	lpae_map_one(test, t, c->iova, c->paddr, c->size, c->prot);
	lpae_expect_hex(test, "leaf", iopgtable_test_walk(t, c->iova, &walk),
			c->pte);
	lpae_expect_leaf_at(test, t, c->iova, c->paddr, c->size, c->level,
			    c->prot, &walk);
	lpae_expect_tables(test, t, &walk);
}

/* ---- Leaf encoding: every prot, both formats, every 4K-granule size ---- */

struct lpae_size {
	size_t size;
	int level;
};

struct lpae_leaf_case {
	enum iopgtable_fmt fmt;
	const struct lpae_size *leaf;
	int prot;
};

static const enum iopgtable_fmt lpae_fmts[] = {
	IOPGTABLE_ARM_64_LPAE_S1,
	IOPGTABLE_ARM_MALI_LPAE,
};

static const struct lpae_size lpae_4k_leaves[] = {
	{ SZ_4K, 3 },
	{ SZ_2M, 2 },
	{ SZ_1G, 1 },
};

static const int lpae_perms[] = {
	IOPGTABLE_READ,
	IOPGTABLE_WRITE,
	IOPGTABLE_READ | IOPGTABLE_WRITE,
};

/* Each case combines one permission with a subset of these. */
static const int lpae_attrs[] = {
	IOPGTABLE_CACHE,
	IOPGTABLE_NOEXEC,
	IOPGTABLE_MMIO,
	IOPGTABLE_PRIVILEGED,
};

#define LPAE_NR_ATTR_SETS	BIT(ARRAY_SIZE(lpae_attrs))

/* The cross product of the tables above, filled by the generator. */
static struct lpae_leaf_case lpae_leaf_cases[ARRAY_SIZE(lpae_fmts) *
					      ARRAY_SIZE(lpae_4k_leaves) *
					      ARRAY_SIZE(lpae_perms) *
					      LPAE_NR_ATTR_SETS];

static void lpae_leaf_cases_init(void)
{
	unsigned int i, n, b;

	for (i = 0; i < ARRAY_SIZE(lpae_leaf_cases); i++) {
		struct lpae_leaf_case *c = &lpae_leaf_cases[i];
		unsigned int attrs = i % LPAE_NR_ATTR_SETS;

		n = i / LPAE_NR_ATTR_SETS;
		c->prot = lpae_perms[n % ARRAY_SIZE(lpae_perms)];
		n /= ARRAY_SIZE(lpae_perms);
		c->leaf = &lpae_4k_leaves[n % ARRAY_SIZE(lpae_4k_leaves)];
		n /= ARRAY_SIZE(lpae_4k_leaves);
		c->fmt = lpae_fmts[n];
		for (b = 0; b < ARRAY_SIZE(lpae_attrs); b++)
			if (attrs & BIT(b))
				c->prot |= lpae_attrs[b];
	}
}

static void lpae_leaf_desc(const struct lpae_leaf_case *c, char *desc)
{
	int n;

	n = scnprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s ",
		      lpae_fmt_name(c->fmt));
	n += lpae_size_str(desc + n, KUNIT_PARAM_DESC_SIZE - n, c->leaf->size);
	n += scnprintf(desc + n, KUNIT_PARAM_DESC_SIZE - n, " ");
	lpae_prot_str(desc + n, KUNIT_PARAM_DESC_SIZE - n, c->prot);
}

static const void *lpae_leaf_gen_params(const void *prev, char *desc)
{
	const struct lpae_leaf_case *c = prev;

	if (!c) {
		lpae_leaf_cases_init();
		c = lpae_leaf_cases;
	} else if (++c == lpae_leaf_cases + ARRAY_SIZE(lpae_leaf_cases)) {
		return NULL;
	}
	lpae_leaf_desc(c, desc);
	return c;
}

static void lpae_test_leaf_encoding(struct kunit *test)
{
	const struct lpae_leaf_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	u64 iova = LPAE_TEST_IOVA + (u64)c->leaf->size * 3;
	u64 paddr = lpae_phys_base(c->fmt) + (u64)c->leaf->size * 5;
	struct iopgtable_test_walk walk;
	struct iopgtable_test_table *t;

	t = iopgtable_test_new(test, c->fmt, &cfg);
	lpae_map_one(test, t, iova, paddr, c->leaf->size, c->prot);
	lpae_expect_leaf_at(test, t, iova, paddr, c->leaf->size,
			    c->leaf->level, c->prot, &walk);

	/* ias 48: both formats start at level 0 */
	KUNIT_EXPECT_EQ(test, walk.levels, c->leaf->level + 1);
	lpae_expect_tables(test, t, &walk);
	/* The root, and one table for each level above the leaf's */
	KUNIT_EXPECT_EQ(test, t->allocs, (unsigned long)c->leaf->level + 1);
}

/* ---- Table entries, with and without ARM_NS ---- */

struct lpae_table_case {
	enum iopgtable_fmt fmt;
	unsigned long quirks;
	unsigned long pgsizes;
	int levels;	/* of the walk to a page, with ias 48 */
	struct lpae_size page, block;
};

static const struct lpae_table_case lpae_table_cases[] = {
	{
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.pgsizes = SZ_4K | SZ_2M | SZ_1G, .levels = 4,
		.page = { SZ_4K, 3 }, .block = { SZ_2M, 2 },
	},
	{
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.quirks = IOPGTABLE_QUIRK_ARM_NS,
		.pgsizes = SZ_4K | SZ_2M | SZ_1G, .levels = 4,
		.page = { SZ_4K, 3 }, .block = { SZ_1G, 1 },
	},
	{
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.quirks = IOPGTABLE_QUIRK_ARM_NS,
		.pgsizes = SZ_16K | SZ_32M, .levels = 4,
		.page = { SZ_16K, 3 }, .block = { SZ_32M, 2 },
	},
	{
		.fmt = IOPGTABLE_ARM_64_LPAE_S1,
		.quirks = IOPGTABLE_QUIRK_ARM_NS,
		.pgsizes = SZ_64K | SZ_512M, .levels = 3,
		.page = { SZ_64K, 3 }, .block = { SZ_512M, 2 },
	},
	{
		.fmt = IOPGTABLE_ARM_MALI_LPAE,
		.pgsizes = SZ_4K | SZ_2M | SZ_1G, .levels = 4,
		.page = { SZ_4K, 3 }, .block = { SZ_2M, 2 },
	},
};

static void lpae_table_desc(const struct lpae_table_case *c, char *desc)
{
	int n;

	n = scnprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s ",
		      lpae_fmt_name(c->fmt));
	n += lpae_sizes_str(desc + n, KUNIT_PARAM_DESC_SIZE - n, c->pgsizes);
	if (c->quirks & IOPGTABLE_QUIRK_ARM_NS)
		scnprintf(desc + n, KUNIT_PARAM_DESC_SIZE - n, " ARM_NS");
}

KUNIT_ARRAY_PARAM(lpae_table, lpae_table_cases, lpae_table_desc);

static void lpae_test_table_entries(struct kunit *test)
{
	const struct lpae_table_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	const struct lpae_size *leaves[] = { &c->page, &c->block };
	struct iopgtable_test_walk walk;
	struct iopgtable_test_table *t;
	unsigned int i;

	cfg.quirks |= c->quirks;
	cfg.pgsize_bitmap = c->pgsizes;
	t = iopgtable_test_new(test, c->fmt, &cfg);

	for (i = 0; i < ARRAY_SIZE(leaves); i++) {
		const struct lpae_size *l = leaves[i];
		u64 iova = LPAE_TEST_IOVA + (u64)l->size * 3;
		u64 paddr = lpae_phys_base(c->fmt) + (u64)l->size * 5;
		int prot = RW | IOPGTABLE_CACHE;

		lpae_map_one(test, t, iova, paddr, l->size, prot);
		lpae_expect_leaf_at(test, t, iova, paddr, l->size, l->level,
				    prot, &walk);
		KUNIT_EXPECT_EQ(test, walk.levels, c->levels - (3 - l->level));
		lpae_expect_tables(test, t, &walk);
	}
}

/* ---- Register values ---- */

static void lpae_test_s1_regs(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	struct iopgtable_test_table *t;
	u64 ttbr;

	t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);
	ttbr = t->cfg.arm_lpae_s1.ttbr;
	/* T0SZ 16, IRGN0 1, ORGN0 1, SH0 3, TG0 0 (4K), IPS 5 (48 bits) */
	lpae_expect_hex(test, "tcr", t->cfg.arm_lpae_s1.tcr, 0x500003510);
	lpae_expect_hex(test, "mair", t->cfg.arm_lpae_s1.mair, EXP_S1_MAIR);
	KUNIT_EXPECT_NE(test, ttbr, 0ULL);
	lpae_expect_hex(test, "ttbr low bits", ttbr & GENMASK_ULL(5, 0), 0);
	KUNIT_EXPECT_EQ(test, t->allocs, 1UL);

	cfg.quirks |= IOPGTABLE_QUIRK_ARM_TTBR1;
	t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);
	ttbr = t->cfg.arm_lpae_s1.ttbr;
	/* T1SZ 16, IRGN1 1, ORGN1 1, SH1 3, TG1 2 (4K), IPS 5 (48 bits) */
	lpae_expect_hex(test, "tcr", t->cfg.arm_lpae_s1.tcr, 0x5b5100000);
	lpae_expect_hex(test, "mair", t->cfg.arm_lpae_s1.mair, EXP_S1_MAIR);
	KUNIT_EXPECT_NE(test, ttbr, 0ULL);
	lpae_expect_hex(test, "ttbr low bits", ttbr & GENMASK_ULL(5, 0), 0);
}

struct lpae_tcr_case {
	unsigned long quirks;
	unsigned long pgsizes;
	unsigned int ias, oas;
	u64 tsz;	/* 64 - ias */
	u64 tg;		/* TG0: 4K 0, 16K 2, 64K 1; TG1: 4K 2, 16K 1, 64K 3 */
	u64 ips;	/* 32, 36, 40, 42, 44, 48 bits: 0 to 5 */
};

#define LPAE_4K		(SZ_4K | SZ_2M | SZ_1G)
#define LPAE_16K	(SZ_16K | SZ_32M)
#define LPAE_64K	(SZ_64K | SZ_512M)

static const struct lpae_tcr_case lpae_tcr_cases[] = {
	{ 0, LPAE_4K, 48, 48, 16, 0, 5 },
	{ 0, LPAE_4K, 48, 44, 16, 0, 4 },
	{ 0, LPAE_4K, 48, 42, 16, 0, 3 },
	{ 0, LPAE_4K, 48, 40, 16, 0, 2 },
	{ 0, LPAE_4K, 48, 36, 16, 0, 1 },
	{ 0, LPAE_4K, 48, 32, 16, 0, 0 },
	{ 0, LPAE_4K, 44, 48, 20, 0, 5 },
	{ 0, LPAE_4K, 42, 40, 22, 0, 2 },
	{ 0, LPAE_4K, 40, 36, 24, 0, 1 },
	{ 0, LPAE_4K, 39, 44, 25, 0, 4 },
	{ 0, LPAE_4K, 36, 32, 28, 0, 0 },
	{ 0, LPAE_4K, 32, 42, 32, 0, 3 },
	{ 0, LPAE_16K, 48, 48, 16, 2, 5 },
	{ 0, LPAE_16K, 36, 40, 28, 2, 2 },
	{ 0, LPAE_64K, 48, 48, 16, 1, 5 },
	{ 0, LPAE_64K, 42, 44, 22, 1, 4 },
	{ IOPGTABLE_QUIRK_ARM_TTBR1, LPAE_4K, 48, 48, 16, 2, 5 },
	{ IOPGTABLE_QUIRK_ARM_TTBR1, LPAE_4K, 39, 36, 25, 2, 1 },
	{ IOPGTABLE_QUIRK_ARM_TTBR1, LPAE_16K, 48, 40, 16, 1, 2 },
	{ IOPGTABLE_QUIRK_ARM_TTBR1, LPAE_64K, 42, 48, 22, 3, 5 },
};

static void lpae_tcr_desc(const struct lpae_tcr_case *c, char *desc)
{
	bool ttbr1 = c->quirks & IOPGTABLE_QUIRK_ARM_TTBR1;
	int n;

	n = scnprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s ",
		      ttbr1 ? "TTBR1" : "TTBR0");
	n += lpae_size_str(desc + n, KUNIT_PARAM_DESC_SIZE - n,
			   BIT_ULL(__ffs(c->pgsizes)));
	scnprintf(desc + n, KUNIT_PARAM_DESC_SIZE - n, " ias %u oas %u",
		  c->ias, c->oas);
}

KUNIT_ARRAY_PARAM(lpae_tcr, lpae_tcr_cases, lpae_tcr_desc);

static void lpae_test_s1_tcr(struct kunit *test)
{
	const struct lpae_tcr_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	bool ttbr1 = c->quirks & IOPGTABLE_QUIRK_ARM_TTBR1;
	struct iopgtable_test_table *t;
	u64 ttbr;

	cfg.quirks |= c->quirks;
	cfg.pgsize_bitmap = c->pgsizes;
	cfg.ias = c->ias;
	cfg.oas = c->oas;
	t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);
	ttbr = t->cfg.arm_lpae_s1.ttbr;

	lpae_expect_hex(test, "tcr", t->cfg.arm_lpae_s1.tcr,
			lpae_expect_tcr(ttbr1, c->tsz, c->tg, c->ips));
	lpae_expect_hex(test, "mair", t->cfg.arm_lpae_s1.mair, EXP_S1_MAIR);
	KUNIT_EXPECT_NE(test, ttbr, 0ULL);
	lpae_expect_hex(test, "ttbr low bits", ttbr & GENMASK_ULL(5, 0), 0);
	KUNIT_EXPECT_EQ(test, t->cfg.ias, c->ias);
	KUNIT_EXPECT_EQ(test, t->cfg.oas, c->oas);
	KUNIT_EXPECT_EQ(test, t->allocs, 1UL);
}

static const unsigned int lpae_ttbr1_ias[] = { 48, 39, 32 };

static void lpae_ias_desc(const unsigned int *ias, char *desc)
{
	scnprintf(desc, KUNIT_PARAM_DESC_SIZE, "ias %u", *ias);
}

KUNIT_ARRAY_PARAM(lpae_ttbr1, lpae_ttbr1_ias, lpae_ias_desc);

/*
 * With TTBR1 the table holds [2^64 - 2^ias, 2^64): an IOVA must carry its
 * sign-extended top bits, as arm_lpae_map_pages() checks.
 */
static void lpae_test_ttbr1(struct kunit *test)
{
	const unsigned int ias = *(const unsigned int *)test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_64_LPAE_S1);
	u64 top = ~GENMASK_ULL(ias - 1, 0);
	u64 offset = 0x12345000 & GENMASK_ULL(ias - 1, 0);
	u64 iova = top | offset;
	u64 paddr = 0x80000000;
	struct iopgtable_test_walk walk;
	struct iopgtable_test_table *t;
	size_t mapped;
	int ret;

	cfg.quirks |= IOPGTABLE_QUIRK_ARM_TTBR1;
	cfg.ias = ias;
	t = iopgtable_test_new(test, IOPGTABLE_ARM_64_LPAE_S1, &cfg);

	lpae_map_one(test, t, iova, paddr, SZ_4K, RW);
	lpae_expect_leaf_at(test, t, iova, paddr, SZ_4K, 3, RW, &walk);
	lpae_expect_tables(test, t, &walk);

	/* The same offset with the top bits clear is out of range... */
	KUNIT_EXPECT_EQ(test, lpae_iova_to_phys(t, offset), 0ULL);
	ret = iopgtable_test_map_pages(t, offset, paddr, SZ_4K, 1, RW, &mapped);
	KUNIT_EXPECT_EQ(test, ret, -ERANGE);
	KUNIT_EXPECT_EQ(test, mapped, 0UL);

	/* ...and so is one with only some of them set. */
	KUNIT_EXPECT_EQ(test, lpae_iova_to_phys(t, iova ^ BIT_ULL(63)), 0ULL);
	ret = iopgtable_test_map_pages(t, iova ^ BIT_ULL(63), paddr, SZ_4K, 1,
				       RW, &mapped);
	KUNIT_EXPECT_EQ(test, ret, -ERANGE);
	KUNIT_EXPECT_EQ(test, mapped, 0UL);

	/* The last page of the 64-bit space is the table's last page. */
	lpae_map_one(test, t, U64_MAX & ~(u64)(SZ_4K - 1), paddr + SZ_4K,
		     SZ_4K, RW);
	lpae_expect_leaf_at(test, t, U64_MAX & ~(u64)(SZ_4K - 1),
			    paddr + SZ_4K, SZ_4K, 3, RW, &walk);

	/* Nothing else moved. */
	KUNIT_EXPECT_EQ(test, lpae_iova_to_phys(t, iova), paddr);
}

static void lpae_test_mali_regs(struct kunit *test)
{
	struct iopgtable_cfg cfg = iopgtable_test_cfg(IOPGTABLE_ARM_MALI_LPAE);
	struct iopgtable_test_walk walk;
	struct iopgtable_test_table *t;
	u64 transtab;

	t = iopgtable_test_new(test, IOPGTABLE_ARM_MALI_LPAE, &cfg);
	transtab = t->cfg.arm_mali_lpae.transtab;

	lpae_expect_hex(test, "memattr", t->cfg.arm_mali_lpae.memattr,
			EXP_MALI_MEMATTR);
	lpae_expect_hex(test, "transtab low bits",
			transtab & EXP_MALI_TRANSTAB_FLAGS,
			EXP_MALI_TRANSTAB_COHERENT);
	KUNIT_EXPECT_NE(test, transtab & ~EXP_MALI_TRANSTAB_FLAGS, 0ULL);
	KUNIT_EXPECT_EQ(test, t->allocs, 1UL);

	/* The walker starts at transtab's address: it must be the root. */
	lpae_map_one(test, t, 0x1000, 0x80000000, SZ_4K, RW);
	lpae_expect_leaf_at(test, t, 0x1000, 0x80000000, SZ_4K, 3, RW, &walk);
	KUNIT_EXPECT_EQ(test, walk.levels, 4);
}

/* ---- Levels of the walk ---- */

struct lpae_levels_case {
	enum iopgtable_fmt fmt;
	unsigned int ias;
	int levels;		/* walked to reach a 4K page */
	unsigned long allocs;	/* tables after a page at 0 and at the top */
};

/*
 * S1 4K: levels = DIV_ROUND_UP(ias - 12, 9). Mali: always four, its level-0
 * root holding a single entry below ias 40.
 */
static const struct lpae_levels_case lpae_levels_cases[] = {
	{ IOPGTABLE_ARM_64_LPAE_S1, 48, 4, 7 },
	{ IOPGTABLE_ARM_64_LPAE_S1, 42, 4, 7 },
	{ IOPGTABLE_ARM_64_LPAE_S1, 40, 4, 7 },
	{ IOPGTABLE_ARM_64_LPAE_S1, 39, 3, 5 },
	{ IOPGTABLE_ARM_64_LPAE_S1, 36, 3, 5 },
	{ IOPGTABLE_ARM_64_LPAE_S1, 32, 3, 5 },
	{ IOPGTABLE_ARM_MALI_LPAE, 48, 4, 7 },
	{ IOPGTABLE_ARM_MALI_LPAE, 40, 4, 7 },
	{ IOPGTABLE_ARM_MALI_LPAE, 39, 4, 6 },
	{ IOPGTABLE_ARM_MALI_LPAE, 32, 4, 6 },
};

static void lpae_levels_desc(const struct lpae_levels_case *c, char *desc)
{
	scnprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s 4K ias %u",
		  lpae_fmt_name(c->fmt), c->ias);
}

KUNIT_ARRAY_PARAM(lpae_levels, lpae_levels_cases, lpae_levels_desc);

static void lpae_test_levels(struct kunit *test)
{
	const struct lpae_levels_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	u64 top = BIT_ULL(c->ias) - SZ_4K;
	struct iopgtable_test_walk walk;
	struct iopgtable_test_table *t;
	size_t mapped;
	int ret;

	cfg.ias = c->ias;
	t = iopgtable_test_new(test, c->fmt, &cfg);
	KUNIT_EXPECT_EQ(test, t->allocs, 1UL);

	lpae_map_one(test, t, 0, 0x80000000, SZ_4K, RW);
	lpae_expect_leaf_at(test, t, 0, 0x80000000, SZ_4K, 3, RW, &walk);
	KUNIT_EXPECT_EQ(test, walk.levels, c->levels);
	lpae_expect_tables(test, t, &walk);
	/* The root, and one table for each level below it */
	KUNIT_EXPECT_EQ(test, t->allocs, (unsigned long)c->levels);

	lpae_map_one(test, t, top, 0x80001000, SZ_4K, RW);
	lpae_expect_leaf_at(test, t, top, 0x80001000, SZ_4K, 3, RW, &walk);
	KUNIT_EXPECT_EQ(test, walk.levels, c->levels);
	lpae_expect_tables(test, t, &walk);
	KUNIT_EXPECT_EQ(test, t->allocs, c->allocs);

	ret = iopgtable_test_map_pages(t, BIT_ULL(c->ias), 0x80002000, SZ_4K,
				       1, RW, &mapped);
	KUNIT_EXPECT_EQ(test, ret, -ERANGE);
	KUNIT_EXPECT_EQ(test, mapped, 0UL);
	KUNIT_EXPECT_EQ(test, t->allocs, c->allocs);
}

/* ---- Page sizes provided ---- */

struct lpae_pgsize_case {
	enum iopgtable_fmt fmt;
	unsigned long wanted;
	unsigned long provided;	/* 0: iopgtable_alloc_ops() fails, -EINVAL */
	int levels;		/* walked to reach a page, with ias 48 */
	struct lpae_size leaves[3];
};

/* The granule is PAGE_SIZE if wanted, else the smallest wanted above it. */
static const struct lpae_pgsize_case lpae_pgsize_cases[] = {
	{
		IOPGTABLE_ARM_64_LPAE_S1, SZ_4K | SZ_2M | SZ_1G,
		SZ_4K | SZ_2M | SZ_1G, 4,
		{ { SZ_4K, 3 }, { SZ_2M, 2 }, { SZ_1G, 1 } },
	},
	{
		IOPGTABLE_ARM_64_LPAE_S1, SZ_4K | SZ_64K | SZ_2M,
		SZ_4K | SZ_2M, 4,
		{ { SZ_4K, 3 }, { SZ_2M, 2 } },
	},
	{
		IOPGTABLE_ARM_64_LPAE_S1, SZ_4K | SZ_16K | SZ_64K,
		SZ_4K, 4,
		{ { SZ_4K, 3 } },
	},
	{
		IOPGTABLE_ARM_64_LPAE_S1, SZ_16K | SZ_32M | SZ_1G,
		SZ_16K | SZ_32M, 4,
		{ { SZ_16K, 3 }, { SZ_32M, 2 } },
	},
	{
		IOPGTABLE_ARM_64_LPAE_S1, SZ_16K | SZ_64K,
		SZ_16K, 4,
		{ { SZ_16K, 3 } },
	},
	{
		IOPGTABLE_ARM_64_LPAE_S1, SZ_64K | SZ_512M,
		SZ_64K | SZ_512M, 3,
		{ { SZ_64K, 3 }, { SZ_512M, 2 } },
	},
	{
		IOPGTABLE_ARM_64_LPAE_S1, SZ_64K | SZ_2M | SZ_512M | SZ_1G,
		SZ_64K | SZ_512M, 3,
		{ { SZ_64K, 3 }, { SZ_512M, 2 } },
	},
	{ IOPGTABLE_ARM_64_LPAE_S1, SZ_2M | SZ_1G, 0 },
	{
		IOPGTABLE_ARM_MALI_LPAE, SZ_4K | SZ_2M | SZ_1G,
		SZ_4K | SZ_2M | SZ_1G, 4,
		{ { SZ_4K, 3 }, { SZ_2M, 2 }, { SZ_1G, 1 } },
	},
	{
		IOPGTABLE_ARM_MALI_LPAE, SZ_4K | SZ_64K | SZ_2M,
		SZ_4K | SZ_2M, 4,
		{ { SZ_4K, 3 }, { SZ_2M, 2 } },
	},
	{ IOPGTABLE_ARM_MALI_LPAE, SZ_16K, 0 },
	{ IOPGTABLE_ARM_MALI_LPAE, SZ_64K | SZ_512M, 0 },
};

static void lpae_pgsize_desc(const struct lpae_pgsize_case *c, char *desc)
{
	int n;

	n = scnprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s wants ",
		      lpae_fmt_name(c->fmt));
	n += lpae_sizes_str(desc + n, KUNIT_PARAM_DESC_SIZE - n, c->wanted);
	if (!c->provided) {
		scnprintf(desc + n, KUNIT_PARAM_DESC_SIZE - n, ": -EINVAL");
		return;
	}
	n += scnprintf(desc + n, KUNIT_PARAM_DESC_SIZE - n, ", gets ");
	lpae_sizes_str(desc + n, KUNIT_PARAM_DESC_SIZE - n, c->provided);
}

KUNIT_ARRAY_PARAM(lpae_pgsize, lpae_pgsize_cases, lpae_pgsize_desc);

/* Expect iopgtable_alloc_ops() to refuse @cfg with -EINVAL. */
static void lpae_expect_einval(struct kunit *test, enum iopgtable_fmt fmt,
			       struct iopgtable_cfg *cfg)
{
	struct iopgtable_ops *ops = iopgtable_alloc_ops(fmt, cfg, NULL);

	KUNIT_EXPECT_NOT_NULL(test, ops);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(ops), -EINVAL);
	if (!IS_ERR_OR_NULL(ops))
		iopgtable_free_ops(ops);
}

static void lpae_test_pgsizes(struct kunit *test)
{
	const struct lpae_pgsize_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	struct iopgtable_test_walk walk;
	struct iopgtable_test_table *t;
	unsigned int i;

	cfg.pgsize_bitmap = c->wanted;
	if (!c->provided) {
		lpae_expect_einval(test, c->fmt, &cfg);
		return;
	}

	t = iopgtable_test_new(test, c->fmt, &cfg);
	lpae_expect_hex(test, "pgsize_bitmap", t->cfg.pgsize_bitmap,
			c->provided);

	for (i = 0; i < ARRAY_SIZE(c->leaves) && c->leaves[i].size; i++) {
		const struct lpae_size *l = &c->leaves[i];
		u64 iova = LPAE_TEST_IOVA + (u64)l->size * 3;
		u64 paddr = lpae_phys_base(c->fmt) + (u64)l->size * 5;

		lpae_map_one(test, t, iova, paddr, l->size, RW);
		lpae_expect_leaf_at(test, t, iova, paddr, l->size, l->level,
				    RW, &walk);
		KUNIT_EXPECT_EQ(test, walk.levels, c->levels - (3 - l->level));
	}
}

/* ---- Configurations the formats refuse ---- */

struct lpae_bad_case {
	const char *desc;
	enum iopgtable_fmt fmt;
	unsigned long quirks;
	unsigned int oas;	/* 0: the default */
};

static const struct lpae_bad_case lpae_bad_cases[] = {
	{
		"Mali with ARM_NS",
		IOPGTABLE_ARM_MALI_LPAE, IOPGTABLE_QUIRK_ARM_NS,
	},
	{
		"Mali with ARM_TTBR1",
		IOPGTABLE_ARM_MALI_LPAE, IOPGTABLE_QUIRK_ARM_TTBR1,
	},
	{
		"Mali with ARM_OUTER_WBWA",
		IOPGTABLE_ARM_MALI_LPAE, IOPGTABLE_QUIRK_ARM_OUTER_WBWA,
	},
	{
		"S1 with ARM_OUTER_WBWA and a coherent walk",
		IOPGTABLE_ARM_64_LPAE_S1, IOPGTABLE_QUIRK_ARM_OUTER_WBWA,
	},
	{ "Mali oas 41", IOPGTABLE_ARM_MALI_LPAE, 0, 41 },
	{ "Mali oas 48", IOPGTABLE_ARM_MALI_LPAE, 0, 48 },
	{ "S1 oas 39 (no IPS encoding)", IOPGTABLE_ARM_64_LPAE_S1, 0, 39 },
	{ "S1 oas 46 (no IPS encoding)", IOPGTABLE_ARM_64_LPAE_S1, 0, 46 },
};

static void lpae_bad_desc(const struct lpae_bad_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(lpae_bad, lpae_bad_cases, lpae_bad_desc);

static void lpae_test_bad_cfg(struct kunit *test)
{
	const struct lpae_bad_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);

	cfg.quirks |= c->quirks;
	if (c->oas)
		cfg.oas = c->oas;
	lpae_expect_einval(test, c->fmt, &cfg);
}

/* The DMA sync count of the case running, one table at a time. */
static struct iopgtable_test_count *lpae_syncs;

/* Start counting the syncs of the next table allocated, and of it only. */
static void lpae_count_syncs(struct kunit *test)
{
	lpae_syncs = kunit_kzalloc(test, sizeof(*lpae_syncs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, lpae_syncs);
	iopgtable_test_count_syncs(test, lpae_syncs);
}

static long lpae_dma_syncs(struct iopgtable_ops *ops)
{
	WRITE_ONCE(lpae_syncs->ops, ops);
	return atomic_long_read(&lpae_syncs->n);
}

/*
 * Map 512 pages across two leaf tables and a block elsewhere, unmap them
 * and a hole. Returns the DMA syncs this issued.
 */
static long lpae_map_unmap_some(struct kunit *test, struct iopgtable_ops *ops)
{
	long before = lpae_dma_syncs(ops);
	size_t mapped = 0;

	KUNIT_EXPECT_EQ(test, ops->map_pages(ops, SZ_2M - SZ_1M, 0x40000000,
					     SZ_4K, 512, RW, GFP_KERNEL,
					     &mapped), 0);
	KUNIT_EXPECT_EQ(test, mapped, SZ_2M);
	KUNIT_EXPECT_EQ(test, iopgtable_map(ops, SZ_1G, SZ_1G, SZ_2M, RW,
					    GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(ops, SZ_2M - SZ_1M, SZ_2M, NULL),
			SZ_2M);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(ops, SZ_1G + SZ_2M, SZ_4K, NULL),
			0);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(ops, SZ_1G, SZ_2M, NULL), SZ_2M);
	return lpae_dma_syncs(ops) - before;
}

/* A coherent walker needs no cache maintenance: not one DMA sync. */
static void lpae_test_coherent_no_sync(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lpae_fmts); i++) {
		struct iopgtable_cfg cfg = iopgtable_test_cfg(lpae_fmts[i]);
		struct iopgtable_test_table *t;

		lpae_count_syncs(test);
		t = iopgtable_test_new(test, lpae_fmts[i], &cfg);
		KUNIT_EXPECT_EQ(test, lpae_map_unmap_some(test, t->ops), 0);
		KUNIT_EXPECT_EQ(test, lpae_dma_syncs(t->ops), 0);
		KUNIT_EXPECT_EQ(test, iopgtable_test_dma_syncs(t), 0);
		iopgtable_test_release(t);
	}
}

/*
 * A non-coherent walker: each table is mapped for DMA when allocated (one
 * sync), each new table entry is cleaned once, and the leaves written in
 * one table are cleaned in one sync, never one per entry. Where the kernel
 * has no DMA (UML) no table can be mapped: -ENOMEM, nothing leaked.
 */
static void lpae_test_noncoherent_sync(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "iopgtable-dma");
	unsigned int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64));

	for (i = 0; i < ARRAY_SIZE(lpae_fmts); i++) {
		struct iopgtable_test_table counter = { .test = test };
		struct iopgtable_cfg cfg = iopgtable_test_cfg(lpae_fmts[i]);
		struct iopgtable_ops *ops;

		cfg.coherent_walk = false;
		cfg.iommu_dev = dev;
		cfg.alloc = iopgtable_test_alloc;
		cfg.free = iopgtable_test_free;
		lpae_count_syncs(test);
		ops = iopgtable_alloc_ops(lpae_fmts[i], &cfg, &counter);
		if (!IS_ENABLED(CONFIG_HAS_DMA)) {
			KUNIT_EXPECT_EQ(test, PTR_ERR(ops), -ENOMEM);
			KUNIT_EXPECT_EQ(test, counter.allocs, 1);
			KUNIT_EXPECT_EQ(test, counter.frees, 1);
			continue;
		}
		KUNIT_ASSERT_FALSE(test, IS_ERR(ops));
		/* The root, mapped for DMA */
		KUNIT_EXPECT_EQ(test, lpae_dma_syncs(ops), 1);
		/*
		 * The pages: 4 new tables (levels 1, 2 and two at 3), each
		 * mapped and its entry cleaned, plus one run of leaves per
		 * leaf table: 10. The block: a new level-2 table, its entry,
		 * the leaf: 3. The first unmap clears two runs of leaves:
		 * 2; the unmap of a hole changes nothing: 0; the block: 1.
		 * A sync per entry would be over 1000.
		 */
		KUNIT_EXPECT_EQ(test, lpae_map_unmap_some(test, ops), 16);
		iopgtable_free_ops(ops);
		KUNIT_EXPECT_EQ(test, counter.frees, counter.allocs);
		KUNIT_EXPECT_EQ(test, counter.allocs, 6);
	}
}

/* What the walker could reload when each TLB callback ran. */
struct lpae_order_probe {
	struct iopgtable_ops *ops;
	long before;
	unsigned int pages;
	long page_syncs[4];
	unsigned int walks;
	long walk_syncs;
};

static void lpae_order_add_page(struct iopgtable_gather *gather, u64 iova,
				size_t granule, void *cookie)
{
	struct lpae_order_probe *p = cookie;

	if (p->pages < ARRAY_SIZE(p->page_syncs))
		p->page_syncs[p->pages] = lpae_dma_syncs(p->ops) - p->before;
	p->pages++;
}

static void lpae_order_flush_walk(u64 iova, u64 size, size_t granule,
				  void *cookie)
{
	struct lpae_order_probe *p = cookie;

	p->walks++;
	p->walk_syncs = lpae_dma_syncs(p->ops) - p->before;
}

static const struct iopgtable_flush_ops lpae_order_flush_ops = {
	.tlb_flush_walk	= lpae_order_flush_walk,
	.tlb_add_page	= lpae_order_add_page,
};

/*
 * A non-coherent walker may reload an entry from memory the moment a TLB
 * callback invalidates it: every cleared entry is synced before the
 * callback for it runs. Four pages across two leaf tables take the general
 * walk: one sync per table's run, each before that run's callbacks; a
 * removed table's entry is synced before tlb_flush_walk.
 */
static void lpae_test_noncoherent_unmap_order(struct kunit *test)
{
	struct device *dev = iopgtable_test_dma_device(test, "iopgtable-dma");
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lpae_fmts); i++) {
		struct iopgtable_cfg cfg = iopgtable_test_cfg(lpae_fmts[i]);
		struct lpae_order_probe p = { };
		struct iopgtable_gather gather;
		struct iopgtable_ops *ops;
		size_t mapped = 0;

		cfg.coherent_walk = false;
		cfg.iommu_dev = dev;
		cfg.tlb = &lpae_order_flush_ops;
		lpae_count_syncs(test);
		ops = iopgtable_alloc_ops(lpae_fmts[i], &cfg, &p);
		KUNIT_ASSERT_FALSE(test, IS_ERR(ops));
		p.ops = ops;

		KUNIT_EXPECT_EQ(test, ops->map_pages(ops, SZ_2M - SZ_8K, SZ_1G, SZ_4K,
						     4, RW, GFP_KERNEL, &mapped), 0);
		iopgtable_gather_init(&gather);
		p.before = lpae_dma_syncs(ops);
		KUNIT_EXPECT_EQ(test, ops->unmap_pages(ops, SZ_2M - SZ_8K, SZ_4K, 4,
						       &gather), 4 * SZ_4K);
		KUNIT_EXPECT_EQ(test, p.pages, 4);
		KUNIT_EXPECT_EQ(test, p.page_syncs[0], 1);
		KUNIT_EXPECT_EQ(test, p.page_syncs[1], 1);
		KUNIT_EXPECT_EQ(test, p.page_syncs[2], 2);
		KUNIT_EXPECT_EQ(test, p.page_syncs[3], 2);
		KUNIT_EXPECT_EQ(test, lpae_dma_syncs(ops) - p.before, 2);

		KUNIT_EXPECT_EQ(test, ops->map_pages(ops, SZ_4M, SZ_1G, SZ_4K, 1, RW,
						     GFP_KERNEL, &mapped), 0);
		p.before = lpae_dma_syncs(ops);
		KUNIT_EXPECT_EQ(test, ops->unmap_pages(ops, SZ_4M, SZ_2M, 1, &gather),
				SZ_2M);
		KUNIT_EXPECT_EQ(test, p.walks, 1);
		KUNIT_EXPECT_EQ(test, p.walk_syncs, 1);
		iopgtable_free_ops(ops);
	}
}

/* ---- The order of TLB maintenance and table frees ---- */

/* What happened, in order: a TLB callback or a table freed. */
enum lpae_event_kind {
	LPAE_EV_FLUSH_WALK,
	LPAE_EV_FLUSH_ALL,
	LPAE_EV_FREE,
};

/**
 * struct lpae_events - a table's TLB callbacks and frees, in sequence
 * @ops: the table.
 * @n: events logged, which may be more than @ev holds.
 * @ev: the first events.
 * @ev.kind: what happened.
 * @ev.iova: the IOVA a flush_walk was given.
 * @ev.size: the size a flush_walk was given.
 * @ev.level: the level of a table freed.
 */
struct lpae_events {
	const void *ops;
	unsigned int n;
	struct {
		enum lpae_event_kind kind;
		u64 iova;
		u64 size;
		unsigned int level;
	} ev[16];
};

static void lpae_event(struct lpae_events *e, enum lpae_event_kind kind,
		       u64 iova, u64 size, unsigned int level)
{
	unsigned int i = e->n++;

	if (i >= ARRAY_SIZE(e->ev))
		return;
	e->ev[i].kind = kind;
	e->ev[i].iova = iova;
	e->ev[i].size = size;
	e->ev[i].level = level;
}

static void lpae_ev_flush_all(void *cookie)
{
	lpae_event(cookie, LPAE_EV_FLUSH_ALL, 0, 0, 0);
}

static void lpae_ev_flush_walk(u64 iova, u64 size, size_t granule,
			       void *cookie)
{
	lpae_event(cookie, LPAE_EV_FLUSH_WALK, iova, size, 0);
}

static const struct iopgtable_flush_ops lpae_ev_flush_ops = {
	.tlb_flush_all	= lpae_ev_flush_all,
	.tlb_flush_walk	= lpae_ev_flush_walk,
};

static void lpae_ev_free(void *data, const void *ops, unsigned int level,
			 u64 paddr, size_t size)
{
	struct lpae_events *e = data;

	if (ops == READ_ONCE(e->ops))
		lpae_event(e, LPAE_EV_FREE, paddr, size, level);
}

static void lpae_ev_unregister(void *data)
{
	unregister_trace_iopgtable_table_free(lpae_ev_free, data);
	tracepoint_synchronize_unregister();
}

/*
 * Tables are freed only after the walker can no longer reach them: an
 * unmap of a whole 1G span calls tlb_flush_walk over the span, then frees
 * its level-2 table and the two leaf tables below; iopgtable_free_ops()
 * calls tlb_flush_all, then frees every table, the root last. The order
 * is checked event by event, not by counts.
 */
static void lpae_test_free_order(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lpae_fmts); i++) {
		struct iopgtable_cfg cfg = iopgtable_test_cfg(lpae_fmts[i]);
		struct iopgtable_ops *ops;
		struct lpae_events *e;
		unsigned int k;

		e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, e);
		KUNIT_ASSERT_EQ(test,
				register_trace_iopgtable_table_free(lpae_ev_free, e),
				0);
		KUNIT_ASSERT_EQ(test,
				kunit_add_action_or_reset(test, lpae_ev_unregister,
							  e), 0);
		cfg.tlb = &lpae_ev_flush_ops;
		ops = iopgtable_alloc_ops(lpae_fmts[i], &cfg, e);
		KUNIT_ASSERT_FALSE(test, IS_ERR(ops));
		WRITE_ONCE(e->ops, ops);

		KUNIT_EXPECT_EQ(test, iopgtable_map(ops, SZ_1G + SZ_2M - SZ_4K,
						    SZ_1G, SZ_8K, RW,
						    GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, iopgtable_map(ops, SZ_4G, SZ_1G, SZ_4K, RW,
						    GFP_KERNEL), 0);
		KUNIT_ASSERT_EQ(test, e->n, 0U);
		KUNIT_EXPECT_EQ(test, iopgtable_unmap(ops, SZ_1G, SZ_1G, NULL),
				SZ_1G);
		KUNIT_ASSERT_EQ(test, e->n, 4U);
		KUNIT_EXPECT_EQ(test, e->ev[0].kind, LPAE_EV_FLUSH_WALK);
		KUNIT_EXPECT_EQ(test, e->ev[0].iova, SZ_1G);
		KUNIT_EXPECT_EQ(test, e->ev[0].size, SZ_1G);
		for (k = 1; k < 4; k++) {
			KUNIT_EXPECT_EQ(test, e->ev[k].kind, LPAE_EV_FREE);
			KUNIT_EXPECT_EQ(test, e->ev[k].level, k < 3 ? 3U : 2U);
		}

		/* What is left, the page at 4G's tables and the root... */
		e->n = 0;
		iopgtable_free_ops(ops);
		KUNIT_ASSERT_GE(test, e->n, 2U);
		KUNIT_ASSERT_LE(test, e->n, (unsigned int)ARRAY_SIZE(e->ev));
		KUNIT_EXPECT_EQ(test, e->ev[0].kind, LPAE_EV_FLUSH_ALL);
		for (k = 1; k < e->n; k++)
			KUNIT_EXPECT_EQ(test, e->ev[k].kind, LPAE_EV_FREE);
		/* ...after the flush, the root (level 0 in both) last. */
		KUNIT_EXPECT_EQ(test, e->n, 5U);
		KUNIT_EXPECT_EQ(test, e->ev[e->n - 1].level, 0U);
	}
}

/* ---- Tables freed and built again: never a freed table used ---- */

/**
 * struct lpae_wc_case - a scenario of tables freed and built again, per
 *	format and granule
 * @fmt: the format.
 * @granule: the granule; its block is one level up (2M for 4K).
 */
struct lpae_wc_case {
	enum iopgtable_fmt fmt;
	size_t granule;
};

static const struct lpae_wc_case lpae_wc_cases[] = {
	{ IOPGTABLE_ARM_64_LPAE_S1, SZ_4K },
	{ IOPGTABLE_ARM_64_LPAE_S1, SZ_16K },
	{ IOPGTABLE_ARM_64_LPAE_S1, SZ_64K },
	{ IOPGTABLE_ARM_MALI_LPAE, SZ_4K },
};

static void lpae_wc_desc(const struct lpae_wc_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s, %zuK granule",
		 c->fmt == IOPGTABLE_ARM_MALI_LPAE ? "Mali" : "AArch64 S1",
		 c->granule / SZ_1K);
}

KUNIT_ARRAY_PARAM(lpae_wc, lpae_wc_cases, lpae_wc_desc);

/* The block one level above the granule's pages: 2M, 32M or 512M. */
static size_t lpae_wc_block(size_t granule)
{
	return granule << (ilog2(granule) - 3);
}

/*
 * A map or unmap right after another one in the same table walks to that
 * table again. Every way a table is freed must keep later walks from
 * reaching it:
 *
 * 1. an unmap of the table's whole span frees it; a map of the same page
 *    then builds a new table (one more allocation), and translates;
 * 2. a block mapped over the emptied table frees it; a page map inside
 *    the block then finds the block: -EEXIST, nothing mapped;
 * 3. an unmap of one page inside that block is a violation, returns 0,
 *    and leaves the block whole.
 *
 * A walk that reached a freed table (as a stale cache of walks would) would
 * in 1 write into the freed table (no allocation, and the page would not
 * translate), in 2 return 0 and in 3 clear an entry of the freed table and
 * report a page unmapped.
 */
static void lpae_test_walk_cache_stale(struct kunit *test)
{
	const struct lpae_wc_case *c = test->param_value;
	size_t g = c->granule, blk = lpae_wc_block(g);
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	u64 base = 4 * (u64)blk, page = base + 3 * g;
	u64 pa = 0x80000000ULL, blk_pa = 16 * (u64)blk;
	struct iopgtable_test_table *t;
	unsigned long allocs, frees, violations;
	size_t mapped;

	if (c->fmt == IOPGTABLE_ARM_MALI_LPAE)
		blk_pa = 0x40000000ULL;
	cfg.pgsize_bitmap = g | blk;
	t = iopgtable_test_new(test, c->fmt, &cfg);
	KUNIT_ASSERT_EQ(test, t->cfg.pgsize_bitmap, (unsigned long)(g | blk));

	/* 1: the page's table goes with an unmap of its whole span. */
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, page, pa, g, 1, RW,
						       &mapped), 0);
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, page + g, g, 1, NULL),
			0);		/* a hole: the table stays */
	allocs = t->allocs;
	frees = t->frees;
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, base, blk, 1, NULL),
			blk);
	KUNIT_EXPECT_EQ(test, t->frees, frees + 1);
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, page, pa, g, 1, RW,
						       &mapped), 0);
	KUNIT_EXPECT_EQ(test, mapped, g);
	KUNIT_EXPECT_EQ(test, t->allocs, allocs + 1);
	iopgtable_test_expect_mapped(t, page, pa, g);
	iopgtable_test_expect_unmapped(t, base, page - base);

	/* 2: a block over the emptied table frees it. */
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, page, g, 1, NULL), g);
	frees = t->frees;
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, base, blk_pa, blk, 1,
						       RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, mapped, blk);
	KUNIT_EXPECT_EQ(test, t->frees, frees + 1);
	violations = iopgtable_test_violations(t);
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, page + g, pa, g, 1,
						       RW, &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, mapped, 0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), violations + 1);
	iopgtable_test_expect_mapped(t, base, blk_pa, blk);

	/* 3: a page of the block cannot be unmapped alone. */
	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, page, g, 1, NULL), 0);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), violations + 2);
	iopgtable_test_expect_mapped(t, base, blk_pa, blk);

	KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, base, blk, 1, NULL),
			blk);
	iopgtable_test_release(t);
}

/*
 * Pages in two tables mapped and unmapped in turn, each call walking to
 * the other table than the call before, all
 * translate as mapped and are gone after their unmap.
 */
static void lpae_test_walk_cache_alternate(struct kunit *test)
{
	const struct lpae_wc_case *c = test->param_value;
	size_t g = c->granule, blk = lpae_wc_block(g);
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	u64 a = 2 * (u64)blk, b = 7 * (u64)blk + 5 * g, pa = 0x80000000ULL;
	struct iopgtable_test_table *t;
	size_t mapped;
	unsigned int i;
	int ret;

	cfg.pgsize_bitmap = g | blk;
	t = iopgtable_test_new(test, c->fmt, &cfg);
	for (i = 0; i < 8; i++) {
		u64 off = (u64)i * g;

		ret = iopgtable_test_map_pages(t, a + off, pa + off, g, 1, RW,
					       &mapped);
		KUNIT_EXPECT_EQ(test, ret, 0);
		ret = iopgtable_test_map_pages(t, b + off, pa + blk + off, g, 1,
					       RW, &mapped);
		KUNIT_EXPECT_EQ(test, ret, 0);
	}
	iopgtable_test_expect_mapped(t, a, pa, 8 * g);
	iopgtable_test_expect_mapped(t, b, pa + blk, 8 * g);
	for (i = 0; i < 8; i += 2) {
		u64 off = (u64)i * g;

		KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, b + off, g,
							  1, NULL), g);
		KUNIT_EXPECT_EQ(test, t->ops->unmap_pages(t->ops, a + off, g,
							  1, NULL), g);
		iopgtable_test_expect_unmapped(t, a + off, g);
		iopgtable_test_expect_unmapped(t, b + off, g);
		iopgtable_test_expect_mapped(t, a + off + g, pa + off + g, g);
		iopgtable_test_expect_mapped(t, b + off + g,
					     pa + blk + off + g, g);
	}
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
	iopgtable_test_release(t);
}

/*
 * The range of a whole-table map: 3 pages below a table span, two whole
 * spans (each a new table of leaves, built before it is installed), then 5
 * pages. In granules; the span is a table's entries times the granule.
 */
#define LPAE_TS_HEAD	3
#define LPAE_TS_TAIL	5

static size_t lpae_ts_pages(size_t g)
{
	return LPAE_TS_HEAD + 2 * (g / 8) + LPAE_TS_TAIL;
}

/* Expect @a and @b to hold the same leaves for @n pages of @g from @iova. */
static void lpae_ts_expect_same(struct kunit *test,
				struct iopgtable_test_table *a,
				struct iopgtable_test_table *b, u64 iova,
				size_t g, size_t n)
{
	struct iopgtable_test_walk wa, wb;
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		u64 va = iova + (u64)i * g;
		u64 pa = iopgtable_test_walk(a, va, &wa);

		if (!pa || pa != iopgtable_test_walk(b, va, &wb) ||
		    wa.level != 3 || wb.level != 3)
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
}

/*
 * A map that covers whole table spans builds each new table of leaves
 * before installing it (without zeroing it first, with the default
 * allocator). The result must be the tables and the leaves a map of the
 * same pages one call each makes (which never builds a table whole): the
 * same number of tables allocated, the same raw leaf for every page. The
 * default allocator gets the same leaves, even from pages freed dirty.
 */
static void lpae_test_table_span(struct kunit *test)
{
	const struct lpae_wc_case *c = test->param_value;
	size_t g = c->granule, span = lpae_wc_block(g), n = lpae_ts_pages(g);
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	u64 iova = 4 * (u64)span - LPAE_TS_HEAD * g, pa = 0x80000000ULL;
	struct iopgtable_test_table *whole, *paged, dflt = { .test = test };
	size_t mapped, i;
	void *dirty[64];

	cfg.pgsize_bitmap = g | span;
	whole = iopgtable_test_new(test, c->fmt, &cfg);
	paged = iopgtable_test_new(test, c->fmt, &cfg);

	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(whole, iova, pa, g, n,
						       RW, &mapped), 0);
	KUNIT_EXPECT_EQ(test, mapped, n * g);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(paged,
							       iova + i * g,
							       pa + i * g, g,
							       1, RW, &mapped),
				0);
	KUNIT_EXPECT_EQ(test, whole->allocs, paged->allocs);
	iopgtable_test_expect_mapped(whole, iova, pa, n * g);
	iopgtable_test_expect_unmapped(whole, iova - g, g);
	iopgtable_test_expect_unmapped(whole, iova + n * g, g);
	lpae_ts_expect_same(test, whole, paged, iova, g, n);

	/* The default allocator, given back dirty pages first. */
	for (i = 0; i < ARRAY_SIZE(dirty); i++) {
		dirty[i] = (void *)__get_free_pages(GFP_KERNEL,
						    get_order(g));
		if (dirty[i])
			memset(dirty[i], 0xa5, g);
	}
	for (i = 0; i < ARRAY_SIZE(dirty); i++)
		if (dirty[i])
			free_pages((unsigned long)dirty[i], get_order(g));
	dflt.cfg = iopgtable_test_cfg(c->fmt);
	dflt.cfg.pgsize_bitmap = g | span;
	dflt.cfg.alloc = NULL;
	dflt.cfg.free = NULL;
	dflt.cfg.tlb = NULL;
	dflt.fmt = c->fmt;
	dflt.ops = iopgtable_alloc_ops(c->fmt, &dflt.cfg, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dflt.ops);
	KUNIT_EXPECT_EQ(test, dflt.ops->map_pages(dflt.ops, iova, pa, g, n, RW,
						  GFP_KERNEL, &mapped), 0);
	lpae_ts_expect_same(test, &dflt, paged, iova, g, n);
	KUNIT_EXPECT_EQ(test, iopgtable_unmap(dflt.ops, iova, n * g, NULL),
			n * g);
	iopgtable_test_expect_unmapped(&dflt, iova, n * g);
	iopgtable_free_ops(dflt.ops);

	KUNIT_EXPECT_EQ(test, iopgtable_unmap(whole->ops, iova, n * g, NULL),
			n * g);
	iopgtable_test_expect_unmapped(whole, iova, n * g);
	iopgtable_test_release(whole);
	iopgtable_test_release(paged);
}

/*
 * Allocation failures in a whole-table map. A page at the span below the
 * range builds every table above it first, so the map allocates exactly
 * the two whole tables, then the tail's table: failing attempt 1, 2 or 3
 * stops the map with -ENOMEM and exactly the pages before that table
 * mapped, and nothing of the failed table reachable. A table emptied by an
 * unmap where a whole one would go is filled in place, not replaced.
 */
static void lpae_test_table_span_fail(struct kunit *test)
{
	const struct lpae_wc_case *c = test->param_value;
	size_t g = c->granule, span = lpae_wc_block(g), n = lpae_ts_pages(g);
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	u64 start = 4 * (u64)span, iova = start - LPAE_TS_HEAD * g;
	u64 pa = 0x80000000ULL, below = start - span;
	struct iopgtable_test_table *t;
	unsigned long allocs;
	size_t mapped, want;
	unsigned int fail;

	cfg.pgsize_bitmap = g | span;
	for (fail = 1; fail <= 3; fail++) {
		t = iopgtable_test_new(test, c->fmt, &cfg);
		KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, below, pa, g,
							       1, RW, &mapped),
				0);
		allocs = t->allocs;
		iopgtable_test_fail_in(t, fail);
		KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, iova, pa, g,
							       n, RW, &mapped),
				-ENOMEM);
		want = LPAE_TS_HEAD * g + (fail - 1) * span;
		KUNIT_EXPECT_EQ(test, mapped, want);
		KUNIT_EXPECT_EQ(test, t->allocs, allocs + fail - 1);
		iopgtable_test_expect_mapped(t, iova, pa, want);
		iopgtable_test_expect_unmapped(t, iova + want, n * g - want);
		KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, iova, want, NULL),
				want);
		iopgtable_test_release(t);
	}

	/* An emptied table in the first span's entry: filled in place. */
	t = iopgtable_test_new(test, c->fmt, &cfg);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, below, pa, g, 1, RW,
						       &mapped), 0);
	KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, start + g, pa, g, 1,
						       RW, &mapped), 0);
	KUNIT_ASSERT_EQ(test, t->ops->unmap_pages(t->ops, start + g, g, 1,
						  NULL), g);
	allocs = t->allocs;
	KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, iova, pa, g, n, RW,
						       &mapped), 0);
	KUNIT_EXPECT_EQ(test, mapped, n * g);
	KUNIT_EXPECT_EQ(test, t->allocs, allocs + 2);
	iopgtable_test_expect_mapped(t, iova, pa, n * g);
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(t), 0);
	iopgtable_test_release(t);
}

/*
 * For a non-coherent walker, a table of leaves built whole is cleaned
 * whole while its entry is still empty, then the entry that publishes it:
 * the walker never finds it part-written.
 */
static void lpae_test_table_span_noncoherent(struct kunit *test)
{
	struct device *dev = iopgtable_test_dma_device(test, "iopgtable-dma");
	struct iopgtable_test_syncs syncs;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lpae_fmts); i++) {
		struct iopgtable_cfg cfg = iopgtable_test_cfg(lpae_fmts[i]);
		struct iopgtable_test_table *t;
		struct iopgtable_test_walk w;
		u64 iova = SZ_1G + SZ_8M, pte, *ptep, *table;
		size_t mapped;

		cfg.coherent_walk = false;
		cfg.iommu_dev = dev;
		t = iopgtable_test_new(test, lpae_fmts[i], &cfg);
		/* The tables above the span, from a page of the one below. */
		KUNIT_ASSERT_EQ(test, iopgtable_test_map_pages(t, iova - SZ_2M,
							       SZ_1G, SZ_4K, 1,
							       RW, &mapped), 0);
		iopgtable_test_walk(t, iova - SZ_2M, &w);
		KUNIT_ASSERT_EQ(test, w.level, 3);
		ptep = (u64 *)phys_to_virt(w.table_ptes[w.levels - 3] &
					   EXP_PTE_OA) + ((iova >> 21) & 511);
		KUNIT_ASSERT_EQ(test, READ_ONCE(*ptep), 0);

		iopgtable_test_syncs_start(t, &syncs, ptep);
		KUNIT_EXPECT_EQ(test, iopgtable_test_map_pages(t, iova, SZ_2G,
							       SZ_4K, 512, RW,
							       &mapped), 0);
		iopgtable_test_syncs_stop(t);
		KUNIT_EXPECT_EQ(test, mapped, SZ_2M);

		pte = READ_ONCE(*ptep);
		table = phys_to_virt(pte & EXP_PTE_OA);
		/*
		 * The table mapped for DMA once written, whole, while its
		 * entry was empty: no sync of the table before or after, and
		 * no uninitialised memory mapped.
		 */
		KUNIT_ASSERT_EQ(test, syncs.n, 2);
		KUNIT_EXPECT_PTR_EQ(test, syncs.ev[0].addr,
				    (const void *)table);
		KUNIT_EXPECT_EQ(test, syncs.ev[0].size, SZ_4K);
		KUNIT_EXPECT_EQ(test, syncs.ev[0].watched, 0);
		KUNIT_EXPECT_EQ(test, syncs.ev[0].first, READ_ONCE(table[0]));
		KUNIT_EXPECT_EQ(test, syncs.ev[0].first & EXP_PTE_OA, SZ_2G);
		KUNIT_EXPECT_EQ(test, syncs.ev[0].last, READ_ONCE(table[511]));
		KUNIT_EXPECT_EQ(test, syncs.ev[0].last & EXP_PTE_OA,
				SZ_2G + 511 * SZ_4K);
		/* Then the entry, once it pointed at the table */
		KUNIT_EXPECT_PTR_EQ(test, syncs.ev[1].addr,
				    (const void *)ptep);
		KUNIT_EXPECT_EQ(test, syncs.ev[1].size, 8);
		KUNIT_EXPECT_EQ(test, syncs.ev[1].watched & EXP_PTE_OA,
				pte & EXP_PTE_OA);
		KUNIT_EXPECT_EQ(test, syncs.ev[1].watched & 3, EXP_PTE_TYPE_TABLE);
		iopgtable_test_expect_mapped(t, iova, SZ_2G, SZ_2M);
		KUNIT_EXPECT_EQ(test, iopgtable_unmap(t->ops, iova - SZ_2M,
						      SZ_4M, NULL), SZ_4M);
		iopgtable_test_release(t);
	}
}

static struct kunit_case lpae_test_cases[] = {
	KUNIT_CASE_PARAM(lpae_test_leaf_golden, lpae_golden_gen_params),
	KUNIT_CASE_PARAM(lpae_test_leaf_encoding, lpae_leaf_gen_params),
	KUNIT_CASE_PARAM(lpae_test_table_entries, lpae_table_gen_params),
	KUNIT_CASE(lpae_test_s1_regs),
	KUNIT_CASE_PARAM(lpae_test_s1_tcr, lpae_tcr_gen_params),
	KUNIT_CASE_PARAM(lpae_test_ttbr1, lpae_ttbr1_gen_params),
	KUNIT_CASE(lpae_test_mali_regs),
	KUNIT_CASE_PARAM(lpae_test_levels, lpae_levels_gen_params),
	KUNIT_CASE_PARAM(lpae_test_pgsizes, lpae_pgsize_gen_params),
	KUNIT_CASE_PARAM(lpae_test_bad_cfg, lpae_bad_gen_params),
	KUNIT_CASE(lpae_test_coherent_no_sync),
	KUNIT_CASE(lpae_test_noncoherent_sync),
	KUNIT_CASE(lpae_test_noncoherent_unmap_order),
	KUNIT_CASE(lpae_test_free_order),
	KUNIT_CASE_PARAM(lpae_test_walk_cache_stale, lpae_wc_gen_params),
	KUNIT_CASE_PARAM(lpae_test_walk_cache_alternate, lpae_wc_gen_params),
	KUNIT_CASE_PARAM(lpae_test_table_span, lpae_wc_gen_params),
	KUNIT_CASE_PARAM(lpae_test_table_span_fail, lpae_wc_gen_params),
	KUNIT_CASE(lpae_test_table_span_noncoherent),
	{}
};

static struct kunit_suite lpae_test_suite = {
	.name = "iopgtable_arm_lpae",
	.test_cases = lpae_test_cases,
};

kunit_test_suites(&lpae_test_suite);
