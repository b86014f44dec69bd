// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a non-coherent walker reads: a device whose DMA mapping operations
 * keep their own copy of every buffer mapped to it, written only when the
 * DMA API says the device may see the CPU's writes (at map, and at each
 * sync for the device). A walker that does not snoop the CPU's caches
 * reads memory as that copy has it: an entry written and never synced is
 * invisible to it, and a table linked before it was mapped is read from
 * memory the device was never given.
 *
 * The copy is checked three ways. At each sync, every table entry the sync
 * makes visible must link a table already mapped (the walker could follow
 * it at once). After a call, iopgtable_test_device_view_ok() reads the
 * whole tree from the root register through the copy and compares it with
 * the CPU's; iopgtable_test_expect_mapped() and _unmapped() also walk the
 * copy at every page they check. When the table is freed, every table of
 * it must have been unmapped.
 *
 * Only where the kernel lets a device have its own dma_map_ops
 * (CONFIG_ARCH_HAS_DMA_OPS: 32-bit ARM; arm64 with XEN, which the arm64
 * lanes enable for this); elsewhere the cases that need it skip.
 */

#include <kunit/device.h>
#include <linux/bitfield.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "test-util.h"

/**
 * struct iopgtable_test_dma_region - one buffer mapped to the device
 * @next: the next region that starts in the same page (buffers smaller
 *	than a page may share one).
 * @addr: its physical address, which is also its DMA address.
 * @size: bytes.
 * @level: the level of the table it holds, once a synced entry links it
 *	(or it is a root); -1 until then.
 * @data: the bytes as the device reads them.
 */
struct iopgtable_test_dma_region {
	struct iopgtable_test_dma_region *next;
	phys_addr_t addr;
	size_t size;
	int level;
	u8 data[];
};

/**
 * struct iopgtable_test_shadow - the device's copy of what is mapped to it
 * @lock: guards everything here; the DMA API may be called in any context.
 * @regions: the buffers mapped, by each page they cover: the first region
 *	of a chain linked through @next.
 * @nr: how many.
 * @maps: dma_map calls.
 * @syncs: sync-for-device calls.
 * @errors: wrong uses seen in the DMA calls themselves.
 * @error: what the first of them was.
 */
struct iopgtable_test_shadow {
	spinlock_t lock;	/* guards the rest */
	struct xarray regions;
	unsigned long nr;
	unsigned long maps;
	unsigned long syncs;
	unsigned long errors;
	char error[192];
};

/* The region holding [@addr, @addr + @size), or NULL. Under the lock. */
static struct iopgtable_test_dma_region *
shadow_find(struct iopgtable_test_shadow *sh, phys_addr_t addr, size_t size)
{
	struct iopgtable_test_dma_region *r;

	for (r = xa_load(&sh->regions, PHYS_PFN(addr)); r; r = r->next)
		if (addr >= r->addr && addr - r->addr < r->size &&
		    size <= r->size - (addr - r->addr))
			return r;
	return NULL;
}

static __printf(2, 3) void shadow_error(struct iopgtable_test_shadow *sh,
					const char *fmt, ...)
{
	va_list args;

	if (!sh->errors++) {
		va_start(args, fmt);
		vsnprintf(sh->error, sizeof(sh->error), fmt, args);
		va_end(args);
	}
}

#ifdef CONFIG_ARCH_HAS_DMA_OPS

static struct iopgtable_test_shadow *shadow_of(struct device *dev)
{
	return dev_get_drvdata(dev);
}

/*
 * The entries of [@addr, @addr + @size) in @r have just become visible:
 * each that links a table must link one the device can read, which is
 * then known to be a table one level down. Under the lock.
 */
static void shadow_check_links(struct iopgtable_test_shadow *sh,
			       struct iopgtable_test_dma_region *r,
			       phys_addr_t addr, size_t size)
{
	size_t off = ALIGN(addr - r->addr, 8), end = addr - r->addr + size;

	if (r->level < 0 || r->level >= 3)
		return;
	for (; off + 8 <= end; off += 8) {
		u64 pte = *(u64 *)(r->data + off);
		struct iopgtable_test_dma_region *child;
		phys_addr_t next = pte & TEST_PTE_OA;

		if (FIELD_GET(TEST_PTE_TYPE, pte) != TEST_PTE_TABLE)
			continue;
		/* The smallest table of any granule is 4K long. */
		child = shadow_find(sh, next, SZ_4K);
		if (!child) {
			shadow_error(sh,
				     "level %d entry %#llx at %pa links a table not mapped for DMA",
				     r->level, pte, &(phys_addr_t){ r->addr + off });
			continue;
		}
		child->level = r->level + 1;
	}
}

/*
 * Enter @r under each page it covers: alone in a page of its own, else
 * at the head of the page's chain (a buffer that shares its page is
 * smaller than a page and starts in it). Under the lock.
 */
static bool shadow_insert(struct iopgtable_test_shadow *sh,
			  struct iopgtable_test_dma_region *r)
{
	unsigned long pfn = PHYS_PFN(r->addr), last = PHYS_PFN(r->addr + r->size - 1);

	r->next = xa_load(&sh->regions, pfn);
	if (r->next && last != pfn) {
		shadow_error(sh, "%pa+%zx shares a page with another buffer",
			     &r->addr, r->size);
		return false;
	}
	for (; pfn <= last; pfn++) {
		if (xa_err(xa_store(&sh->regions, pfn, r, GFP_ATOMIC))) {
			while (pfn-- > PHYS_PFN(r->addr))
				xa_erase(&sh->regions, pfn);
			return false;
		}
	}
	return true;
}

static void shadow_remove(struct iopgtable_test_shadow *sh,
			  struct iopgtable_test_dma_region *r)
{
	unsigned long pfn = PHYS_PFN(r->addr), last = PHYS_PFN(r->addr + r->size - 1);
	struct iopgtable_test_dma_region **p, *head = xa_load(&sh->regions, pfn);

	if (head != r) {
		for (p = &head->next; *p != r; p = &(*p)->next)
			;
		*p = r->next;
		return;
	}
	if (r->next) {
		xa_store(&sh->regions, pfn, r->next, GFP_ATOMIC);
		return;
	}
	for (; pfn <= last; pfn++)
		xa_erase(&sh->regions, pfn);
}

static dma_addr_t shadow_map_page(struct device *dev, struct page *page,
				  unsigned long offset, size_t size,
				  enum dma_data_direction dir,
				  unsigned long attrs)
{
	struct iopgtable_test_shadow *sh = shadow_of(dev);
	phys_addr_t addr = page_to_phys(page) + offset;
	struct iopgtable_test_dma_region *r;
	unsigned long flags;

	r = kmalloc(struct_size(r, data, size), GFP_ATOMIC);
	if (!r)
		return DMA_MAPPING_ERROR;
	r->addr = addr;
	r->size = size;
	r->level = -1;

	spin_lock_irqsave(&sh->lock, flags);
	sh->maps++;
	if (dir != DMA_TO_DEVICE)
		shadow_error(sh, "table at %pa mapped %s", &addr,
			     dir == DMA_FROM_DEVICE ? "from the device" :
			     "both ways");
	if (shadow_find(sh, addr, 1) || shadow_find(sh, addr + size - 1, 1))
		shadow_error(sh, "%pa mapped twice", &addr);
	memcpy(r->data, phys_to_virt(addr), size);
	if (!shadow_insert(sh, r)) {
		spin_unlock_irqrestore(&sh->lock, flags);
		kfree(r);
		return DMA_MAPPING_ERROR;
	}
	sh->nr++;
	spin_unlock_irqrestore(&sh->lock, flags);
	return addr;
}

static void shadow_unmap_page(struct device *dev, dma_addr_t dma,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs)
{
	struct iopgtable_test_shadow *sh = shadow_of(dev);
	struct iopgtable_test_dma_region *r;
	unsigned long flags;

	spin_lock_irqsave(&sh->lock, flags);
	r = shadow_find(sh, dma, size);
	if (r && r->addr == dma && r->size == size) {
		shadow_remove(sh, r);
		sh->nr--;
	} else {
		shadow_error(sh, "unmap of %#llx+%zx, which is not a mapping",
			     (u64)dma, size);
		r = NULL;
	}
	spin_unlock_irqrestore(&sh->lock, flags);
	kfree(r);
}

static void shadow_sync_for_device(struct device *dev, dma_addr_t dma,
				   size_t size, enum dma_data_direction dir)
{
	struct iopgtable_test_shadow *sh = shadow_of(dev);
	struct iopgtable_test_dma_region *r;
	unsigned long flags;

	spin_lock_irqsave(&sh->lock, flags);
	sh->syncs++;
	r = shadow_find(sh, dma, size);
	if (r) {
		memcpy(r->data + (dma - r->addr), phys_to_virt(dma), size);
		shadow_check_links(sh, r, dma, size);
	} else {
		shadow_error(sh, "sync of %#llx+%zx, which is not mapped",
			     (u64)dma, size);
	}
	spin_unlock_irqrestore(&sh->lock, flags);
}

static const struct dma_map_ops shadow_dma_ops = {
	.map_page		= shadow_map_page,
	.unmap_page		= shadow_unmap_page,
	.sync_single_for_device	= shadow_sync_for_device,
};

static void shadow_free(void *data)
{
	struct iopgtable_test_shadow *sh = data;
	struct iopgtable_test_dma_region *r;
	unsigned long pfn;

	/* A region is freed at its first page, with those it chains. */
	xa_for_each(&sh->regions, pfn, r) {
		if (PHYS_PFN(r->addr) != pfn)
			continue;
		while (r) {
			struct iopgtable_test_dma_region *next = r->next;

			kfree(r);
			r = next;
		}
	}
	xa_destroy(&sh->regions);
	kfree(sh);
}

struct device *iopgtable_test_shadow_device(struct kunit *test,
					    const char *name)
{
	static atomic_t seq = ATOMIC_INIT(0);
	struct iopgtable_test_shadow *sh;
	struct device *dev;
	char unique[64];

	/* A case may need more than one: names must differ. */
	snprintf(unique, sizeof(unique), "%s-%d", name, atomic_inc_return(&seq));
	dev = kunit_device_register(test, unique);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	sh = kzalloc(sizeof(*sh), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sh);
	spin_lock_init(&sh->lock);
	xa_init(&sh->regions);
	/* The device goes first (registered before), then its copy. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, shadow_free, sh),
			0);
	dev_set_drvdata(dev, sh);
	set_dma_ops(dev, &shadow_dma_ops);
	KUNIT_ASSERT_EQ(test, dma_coerce_mask_and_coherent(dev,
							   DMA_BIT_MASK(64)),
			0);
	return dev;
}

struct iopgtable_test_shadow *iopgtable_test_shadow_of(struct device *dev)
{
	return dev && get_dma_ops(dev) == &shadow_dma_ops ? shadow_of(dev) :
	       NULL;
}

#else /* !CONFIG_ARCH_HAS_DMA_OPS */

struct device *iopgtable_test_shadow_device(struct kunit *test,
					    const char *name)
{
	kunit_skip(test, "no per-device DMA ops here: no device view");
	return NULL;
}

struct iopgtable_test_shadow *iopgtable_test_shadow_of(struct device *dev)
{
	return NULL;
}

#endif /* CONFIG_ARCH_HAS_DMA_OPS */

/* The device's reading of the 8 bytes at @pa; false where it has none. */
static bool shadow_read(struct iopgtable_test_shadow *sh, phys_addr_t pa,
			u64 *pte)
{
	struct iopgtable_test_dma_region *r;
	unsigned long flags;

	spin_lock_irqsave(&sh->lock, flags);
	r = shadow_find(sh, pa, 8);
	if (r)
		*pte = *(u64 *)(r->data + (pa - r->addr));
	spin_unlock_irqrestore(&sh->lock, flags);
	return r;
}

void iopgtable_test_shadow_set_root(struct iopgtable_test_shadow *sh,
				    phys_addr_t root, int level)
{
	struct iopgtable_test_dma_region *r;
	unsigned long flags;

	spin_lock_irqsave(&sh->lock, flags);
	r = shadow_find(sh, root, 8);
	if (r)
		r->level = level;
	else
		shadow_error(sh, "root table %pa not mapped for DMA", &root);
	spin_unlock_irqrestore(&sh->lock, flags);
}

unsigned long iopgtable_test_shadow_nr(struct iopgtable_test_shadow *sh)
{
	unsigned long flags, nr;

	spin_lock_irqsave(&sh->lock, flags);
	nr = sh->nr;
	spin_unlock_irqrestore(&sh->lock, flags);
	return nr;
}

bool iopgtable_test_read_pte(struct iopgtable_test_table *t, bool device,
			     phys_addr_t pa, u64 *pte)
{
	if (device)
		return shadow_read(t->shadow, pa, pte);
	*pte = READ_ONCE(*(u64 *)phys_to_virt(pa));
	return true;
}

/* Reports the first wrong DMA use the device saw since the last call. */
static bool shadow_errors_ok(struct iopgtable_test_table *t)
{
	struct iopgtable_test_shadow *sh = t->shadow;
	unsigned long flags, errors;
	char error[sizeof(sh->error)];

	spin_lock_irqsave(&sh->lock, flags);
	errors = sh->errors;
	sh->errors = 0;
	memcpy(error, sh->error, sizeof(error));
	spin_unlock_irqrestore(&sh->lock, flags);
	if (errors)
		KUNIT_FAIL(t->test,
			   "the walker's view: %lu wrong DMA uses, the first: %s",
			   errors, error);
	return !errors;
}

/*
 * Compare the table of @size bytes at @pa, at @lvl, which translates from
 * @base, in memory and as the device reads it; then each table it links.
 */
static bool device_table_ok(struct iopgtable_test_table *t,
			    const struct iopgtable_test_geometry *g,
			    phys_addr_t pa, size_t size, int lvl, u64 base)
{
	struct iopgtable_test_shadow *sh = t->shadow;
	unsigned int shift = g->granule_lg2 + (3 - lvl) * g->bits;
	const u64 *cpu = phys_to_virt(pa);
	struct iopgtable_test_dma_region *r;
	unsigned int i, n = size / 8;
	unsigned long flags;
	int diff = -1;
	u64 dev_pte = 0;

	spin_lock_irqsave(&sh->lock, flags);
	r = shadow_find(sh, pa, size);
	if (r) {
		const u64 *dev = (const u64 *)(r->data + (pa - r->addr));

		for (i = 0; i < n; i++) {
			if ((dev[i] ^ READ_ONCE(cpu[i])) & ~TEST_PTE_SW) {
				diff = i;
				dev_pte = dev[i];
				break;
			}
		}
	}
	spin_unlock_irqrestore(&sh->lock, flags);

	if (!r) {
		KUNIT_FAIL(t->test,
			   "the walker's view: the level %d table at %pa for IOVA %#llx is not mapped for DMA",
			   lvl, &pa, base);
		return false;
	}
	if (diff >= 0) {
		KUNIT_FAIL(t->test,
			   "the walker's view: IOVA %#llx, level %d entry %#llx in memory, %#llx as the walker reads it",
			   base + ((u64)diff << shift), lvl, cpu[diff], dev_pte);
		return false;
	}
	if (lvl == 3)
		return true;
	for (i = 0; i < n; i++) {
		u64 pte = READ_ONCE(cpu[i]);

		if (FIELD_GET(TEST_PTE_TYPE, pte) != TEST_PTE_TABLE)
			continue;
		if (!device_table_ok(t, g, pte & TEST_PTE_OA,
				     BIT(g->granule_lg2), lvl + 1,
				     base + ((u64)i << shift)))
			return false;
	}
	return true;
}

bool iopgtable_test_device_view_ok(struct iopgtable_test_table *t)
{
	struct iopgtable_test_geometry g;

	if (!t->shadow)
		return true;
	if (!shadow_errors_ok(t))
		return false;
	iopgtable_test_geometry(t, &g);
	return device_table_ok(t, &g, g.root, g.root_size, g.start,
			       g.ttbr1 ? ~0ULL << t->cfg.ias : 0);
}
