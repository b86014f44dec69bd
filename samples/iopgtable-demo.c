// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopgtable demonstration: build and tear down a GPU address space the way
 * a Mali driver does, printing each step.
 *
 * No GPU walks this table and nothing reads the memory it points at, so the
 * physical addresses are made up. Load the module and read the kernel log.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/init.h>
#include <linux/iopgtable.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

/*
 * A 64 MiB buffer that starts 4 KiB below a 2 MiB boundary. IOVA and
 * physical address are equal modulo 2 MiB, so iopgtable_map() can use one
 * 4K page, then 31 2M blocks, then 511 4K pages for the tail.
 */
#define DEMO_IOVA	(0x100000000ULL + 0x1ff000)
#define DEMO_PADDR	(0x80000000ULL + 0x1ff000)
#define DEMO_SIZE	SZ_64M

/* A second, small buffer, mapped with the raw map_pages op. */
#define DEMO2_IOVA	0x200000000ULL
#define DEMO2_PADDR	0x90000000ULL
#define DEMO2_PAGES	8
#define DEMO2_SIZE	(DEMO2_PAGES * SZ_4K)

#define DEMO_PROT	(IOPGTABLE_READ | IOPGTABLE_WRITE | IOPGTABLE_CACHE)

/* In the 4K head, in a 2M block, the last byte (4K tail), one past the end */
static const u64 demo_probes[] __initconst = {
	DEMO_IOVA + 0x123,
	DEMO_IOVA + SZ_4K + 0x45678,
	DEMO_IOVA + DEMO_SIZE - 1,
	DEMO_IOVA + DEMO_SIZE,
};

/* What @iova translates to while the 64 MiB buffer is mapped. */
static phys_addr_t __init demo_expected(u64 iova)
{
	if (iova < DEMO_IOVA || iova >= DEMO_IOVA + DEMO_SIZE)
		return 0;
	return DEMO_PADDR + (iova - DEMO_IOVA);
}

/*
 * What the table's debugfs file shows (iopgtable_debugfs_add()): its
 * mappings as coalesced ranges and its tables per level, printed here.
 */
static void __init demo_dump(struct iopgtable_ops *ops)
{
	struct seq_file m = { .size = PAGE_SIZE };
	char *line, *next;

	m.buf = kzalloc(m.size, GFP_KERNEL);
	if (!m.buf)
		return;
	iopgtable_dump(ops, &m);
	m.buf[min(m.count, m.size - 1)] = '\0';
	pr_info("dump, as in debugfs:\n");
	for (line = m.buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		pr_info("  %s\n", line);
	}
	kfree(m.buf);
}

/* Translate every probe, print it, and say whether each gave the expected. */
static bool __init demo_translate(struct iopgtable_ops *ops, bool mapped)
{
	bool ok = true;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(demo_probes); i++) {
		u64 iova = demo_probes[i];
		phys_addr_t phys = ops->iova_to_phys(ops, iova);

		pr_info("  %#llx -> %pa\n", iova, &phys);
		if (phys != (mapped ? demo_expected(iova) : 0))
			ok = false;
	}
	return ok;
}

static int __init iopgtable_demo_init(void)
{
	struct iopgtable_cfg cfg = {
		/* The -EEXIST below is on purpose: report it, do not WARN. */
		.quirks		= IOPGTABLE_QUIRK_NO_WARN,
		/* The 4K granule, with 2M and 1G blocks */
		.pgsize_bitmap	= SZ_4K | SZ_2M | SZ_1G,
		.ias		= 48,
		.oas		= 48,
		/* An I/O-coherent GPU: no cache maintenance, no device. */
		.coherent_walk	= true,
	};
	struct iopgtable_walk walk;
	struct iopgtable_ops *ops;
	size_t mapped, prefix, unmapped;
	const char *what;
	int ret;

	ops = iopgtable_alloc_ops(IOPGTABLE_ARM_64_LPAE_S1, &cfg, NULL);
	if (IS_ERR(ops)) {
		pr_err("FAILED: iopgtable_alloc_ops: %ld\n", PTR_ERR(ops));
		return PTR_ERR(ops);
	}

	/* What the driver programs into the GPU's address-space registers */
	pr_info("page sizes %#lx\n", cfg.pgsize_bitmap);
	pr_info("ttbr %#llx tcr %#llx mair %#llx\n", cfg.arm_lpae_s1.ttbr,
		cfg.arm_lpae_s1.tcr, cfg.arm_lpae_s1.mair);

	/*
	 * The range helper picks the page sizes, loops over partial progress
	 * and, on failure, unmaps what it mapped before returning the error.
	 */
	ret = iopgtable_map(ops, DEMO_IOVA, DEMO_PADDR, DEMO_SIZE, DEMO_PROT,
			    GFP_KERNEL);
	pr_info("iopgtable_map %#llx + %#x -> %#llx: %d\n", DEMO_IOVA,
		DEMO_SIZE, DEMO_PADDR, ret);
	if (ret) {
		what = "iopgtable_map";
		goto fail;
	}

	pr_info("iova_to_phys:\n");
	if (!demo_translate(ops, true)) {
		what = "iova_to_phys of the mapped buffer";
		ret = -EINVAL;
		goto fail;
	}

	/*
	 * What a GPU fault handler reports: the entries the walker reads on
	 * the way to the faulting address, raw, and decoded into the kernel
	 * log. The second probe lies in a 2M block: three levels, 0 to 2.
	 */
	ret = iopgtable_walk(ops, demo_probes[1], &walk);
	pr_info("walk %#llx: %d, %u entries from level %u, leaf %#llx\n",
		demo_probes[1], ret, walk.nr, walk.start_level,
		walk.nr ? walk.ptes[walk.nr - 1] : 0);
	if (ret || walk.start_level != 0 || walk.nr != 3) {
		what = "iopgtable_walk of a 2M block";
		ret = -EINVAL;
		goto fail;
	}
	iopgtable_walk_print(ops, demo_probes[1], NULL, KBUILD_MODNAME);
	demo_dump(ops);

	/*
	 * The raw op adds what it mapped to *mapped. Returning 0 with less
	 * than asked means "call again for the rest", so a caller loops;
	 * iopgtable_map() is this loop, with the page size chosen for you.
	 */
	mapped = 0;
	do {
		ret = ops->map_pages(ops, DEMO2_IOVA + mapped,
				     DEMO2_PADDR + mapped, SZ_4K,
				     DEMO2_PAGES - mapped / SZ_4K, DEMO_PROT,
				     GFP_KERNEL, &mapped);
	} while (!ret && mapped < DEMO2_SIZE);
	pr_info("map_pages %#llx, %d x 4K: %d, mapped %#zx\n", DEMO2_IOVA,
		DEMO2_PAGES, ret, mapped);
	if (ret) {
		what = "map_pages of the second buffer";
		goto fail;
	}

	/*
	 * Four pages from two below the second buffer: the third is taken,
	 * so map_pages fails with -EEXIST. It may have mapped the two free
	 * pages first; *mapped says how much, and that prefix is now the
	 * caller's to keep or unmap. Nothing past it was touched.
	 */
	prefix = 0;
	ret = ops->map_pages(ops, DEMO2_IOVA - 2 * SZ_4K,
			     DEMO2_PADDR - 2 * SZ_4K, SZ_4K, 4, DEMO_PROT,
			     GFP_KERNEL, &prefix);
	pr_info("map_pages over a mapped page: %d, mapped %#zx\n", ret, prefix);
	if (ret != -EEXIST || prefix > 2 * SZ_4K) {
		what = "map_pages over a mapped page did not stop with -EEXIST";
		ret = -EINVAL;
		goto fail;
	}

	/*
	 * Unmapping takes consecutive mappings of any page sizes. The prefix
	 * and the second buffer are consecutive, so one call removes both.
	 * A driver with a real GPU would now invalidate its TLB for them.
	 */
	unmapped = iopgtable_unmap(ops, DEMO_IOVA, DEMO_SIZE, NULL);
	pr_info("iopgtable_unmap %#llx: %#zx bytes\n", DEMO_IOVA, unmapped);
	if (unmapped != DEMO_SIZE) {
		what = "iopgtable_unmap of the 64 MiB buffer";
		ret = -EINVAL;
		goto fail;
	}
	unmapped = iopgtable_unmap(ops, DEMO2_IOVA - prefix,
				   prefix + DEMO2_SIZE, NULL);
	pr_info("iopgtable_unmap %#llx: %#zx bytes\n", DEMO2_IOVA - prefix,
		unmapped);
	if (unmapped != prefix + DEMO2_SIZE) {
		what = "iopgtable_unmap of the second buffer";
		ret = -EINVAL;
		goto fail;
	}

	pr_info("iova_to_phys after unmap:\n");
	if (!demo_translate(ops, false) || ops->iova_to_phys(ops, DEMO2_IOVA)) {
		what = "iova_to_phys after unmap";
		ret = -EINVAL;
		goto fail;
	}

	iopgtable_free_ops(ops);
	pr_info("ok\n");
	return 0;

fail:
	/* Freeing the table also frees whatever is still mapped in it. */
	iopgtable_free_ops(ops);
	pr_err("FAILED: %s\n", what);
	return ret;
}

static void __exit iopgtable_demo_exit(void)
{
}

module_init(iopgtable_demo_init);
module_exit(iopgtable_demo_exit);

MODULE_DESCRIPTION("iopgtable demonstration: a GPU address space step by step");
MODULE_LICENSE("GPL");
