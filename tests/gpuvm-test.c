// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopgtable_gpuvm_replay: VM_BIND traffic through the kernel's drm_gpuvm.
 *
 * A drm_gpuvm over a fake DRM device and one GEM object whose sg_table
 * mixes granule-sized and block-aligned segments takes random map and
 * unmap requests. Each request is prepared from the request alone, as a
 * driver does at submission: a reservation with
 * iopgtable_prealloc_map_sgtable() or iopgtable_prealloc_unmap(). Then
 * drm_gpuvm_sm_map() or drm_gpuvm_sm_unmap() runs, and its steps update
 * the table as Panthor's do (a map step maps the sg_table, a remap step
 * unmaps the part removed and splits the blocks its ends cut, an unmap step
 * unmaps a whole mapping) while every allocation of the table fails. After
 * each request every leaf of the window must be exactly the entry drm_gpuvm's
 * own VA tree and the format's rules give: the output address, and the
 * attributes the mapping's protection encodes, written out here from the
 * architecture independently of the library. Deterministic by the
 * gpuvm_seed module parameter, printed.
 *
 * A share of the requests fail, as a driver's do when memory runs out: the
 * allocator fails part way through the reservation, and the request is
 * dropped before any step runs; or the reservation holds fewer tables than
 * the request's (a caller bug the library reports), so that a step runs out
 * of tables part way and the request ends with its error. Either way the
 * table must still translate exactly as the VA tree says: a step that fails
 * leaves both as they were, and the steps before it stay done.
 *
 * In the case "panthor steps, 4K granule" the steps are Panthor's own:
 * panthor_gpuva_sm_step_map(), _remap() and _unmap() and the functions they
 * call, panthor_vm_map_pages() and panthor_vm_unmap_pages() among them,
 * copied byte for byte from drivers/gpu/drm/panthor/panthor_mmu.c as
 * contrib/panthor's series converts it. Each copy stands between a begin
 * and an end "panthor-fit" comment, and the driver-fit lane
 * (scripts/panthor-fit.sh) fails when one differs from the patched driver.
 * Around them, a shim has the Panthor structures with the fields the
 * copies touch, to_panthor_bo() and panthor_vm_flush_range(), which counts
 * the flushes.
 */

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_gpuvm.h>
#include <drm/drm_print.h>
#include <drm/panthor_drm.h>
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/bitops.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include "test-util.h"

static ulong gpuvm_seed = 0x6b1d;
module_param(gpuvm_seed, ulong, 0444);
MODULE_PARM_DESC(gpuvm_seed, "seed of the iopgtable_gpuvm_replay requests");

#define GV_REQUESTS	5000
#define GV_SEGS		24
/* A map takes at most three: its own, and the two pieces it cuts. */
#define GV_SPARES	3

/*
 * Of GV_FAIL_EVERY requests, GV_FAIL_PREPARES fail in their reservation
 * and GV_SHORTS run with a short one. Most requests find their tables
 * there and take none, so that few of those run out.
 */
#define GV_FAIL_EVERY		100
#define GV_FAIL_PREPARES	4
#define GV_SHORTS		15

/*
 * A leaf descriptor as the walker reads it: VMSAv8-64 stage 1 and, where it
 * differs, the Mali "LPAE" mode as Panfrost's io-pgtable-arm format writes
 * it (stage-2 style permissions in 7:6, no access flag, no nG).
 */
#define GV_PTE_VALID	BIT_ULL(0)
#define GV_PTE_TYPE	GENMASK_ULL(1, 0)
#define   GV_TYPE_BLOCK	1	/* levels 1 and 2; Mali: level 3 too */
#define   GV_TYPE_PAGE	3	/* level 3 */
#define GV_PTE_ATTRINDX	GENMASK_ULL(4, 2)	/* MAIR or MEMATTR byte */
#define GV_PTE_AP_EL0	BIT_ULL(6)	/* AP[1]: unprivileged access too */
#define GV_PTE_AP_RO	BIT_ULL(7)	/* AP[2]: read-only */
#define GV_PTE_SH	GENMASK_ULL(9, 8)
#define   GV_SH_OUTER	2
#define   GV_SH_INNER	3
#define GV_PTE_AF	BIT_ULL(10)	/* accessed: no access flag fault */
#define GV_PTE_NG	BIT_ULL(11)	/* not global: tagged with the ASID */
#define GV_PTE_OA	GENMASK_ULL(47, 12)
#define GV_PTE_XN	GENMASK_ULL(54, 53)	/* PXN and UXN */
#define GV_MALI_PERM	GENMASK_ULL(7, 6)
#define   GV_MALI_READ	1
#define   GV_MALI_WRITE	2

/*
 * The memory types behind the attribute indexes, as io-pgtable-arm lays out
 * MAIR_EL1 (Panthor turns it into the GPU's MEMATTR) and Mali's AS_MEMATTR:
 * normal non-cacheable, normal write-back and device.
 */
#define GV_IDX_NC		0
#define GV_IDX_WB		1
#define GV_IDX_DEV		2
#define GV_MAIR_BYTE		GENMASK_ULL(7, 0)
#define GV_MAIR_NC		0x44	/* inner and outer non-cacheable */
#define GV_MAIR_WB		0xff	/* inner and outer WB, RW-allocate */
#define GV_MAIR_DEV		0x04	/* device-nGnRE */
#define GV_MEMATTR_IMP_DEF	0x88	/* Mali: implementation defined */
#define GV_MEMATTR_WB		0x8d	/* Mali: write-back, allocate */

/* Protections are combinations of READ, WRITE, CACHE and NOEXEC. */
#define GV_PROTS	16
static_assert(GV_PROTS <= 32);

#define RO	IOPGTABLE_READ
#define RW	(IOPGTABLE_READ | IOPGTABLE_WRITE)

/**
 * struct gv_case - one configuration
 * @desc: its name.
 * @fmt: the format.
 * @sizes: the page sizes; the segments and windows use the granule and the
 *	next size up, the block. The 4K granule takes 4K and 2M as Panthor
 *	and Panfrost ask for, so that Panthor's count compares.
 * @boundary_lg2: the window is centred on a multiple of 2^@boundary_lg2,
 *	a boundary of the top table level.
 * @panthor: the steps are the converted Panthor driver's, and the map
 *	requests carry Panthor's VM_BIND flags.
 * @noncoherent: a non-coherent walker, whose view (tests/test-dma.c) is
 *	checked after each request; skipped where there is none (UML).
 */
struct gv_case {
	const char *desc;
	enum iopgtable_fmt fmt;
	unsigned long sizes;
	unsigned int boundary_lg2;
	bool panthor;
	bool noncoherent;
};

static const struct gv_case gv_cases[] = {
	{ "arm_64_lpae_s1 4K", IOPGTABLE_ARM_64_LPAE_S1, SZ_4K | SZ_2M, 39 },
	{ "arm_64_lpae_s1 16K", IOPGTABLE_ARM_64_LPAE_S1, SZ_16K | SZ_32M, 36 },
	{ "arm_64_lpae_s1 64K", IOPGTABLE_ARM_64_LPAE_S1, SZ_64K | SZ_512M, 42 },
	{ "mali_lpae 4K", IOPGTABLE_ARM_MALI_LPAE, SZ_4K | SZ_2M, 39 },
	{ "panthor steps, 4K granule", IOPGTABLE_ARM_64_LPAE_S1,
	  SZ_4K | SZ_2M, 39, true },
	/* Where the kernel can give a device view (not UML) */
	{ "arm_64_lpae_s1 4K non-coherent", IOPGTABLE_ARM_64_LPAE_S1,
	  SZ_4K | SZ_2M, 39, false, true },
	{ "panthor steps, 4K granule, non-coherent", IOPGTABLE_ARM_64_LPAE_S1,
	  SZ_4K | SZ_2M, 39, true, true },
};

static void gv_case_desc(const struct gv_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gv, gv_cases, gv_case_desc);

/* ---- the Panthor shim: what the copied functions touch ---- */

/**
 * struct panthor_device - the shim of Panthor's device
 * @base: the DRM device.
 */
struct panthor_device {
	struct drm_device base;
};

/**
 * struct panthor_gem_object - the shim of Panthor's GEM object
 * @base: the GEM object (Panthor's is a shmem object around it).
 * @gpuva_list_lock: protects the object's list of mappings.
 */
struct panthor_gem_object {
	struct drm_gem_object base;
	struct mutex gpuva_list_lock;	/* the list of mappings of @base */
};

static struct panthor_gem_object *to_panthor_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct panthor_gem_object, base);
}

/**
 * struct panthor_vma - Panthor's mapping, as in the driver
 * @base: drm_gpuvm's part.
 * @node: the entry in &panthor_vm_op_ctx.returned_vmas.
 * @flags: its DRM_PANTHOR_VM_BIND_OP_MAP_* flags.
 */
struct panthor_vma {
	struct drm_gpuva base;
	struct list_head node;
	u32 flags;
};

/**
 * struct panthor_vm_op_ctx - the shim of Panthor's VM operation context
 * @rsvd_page_tables: the page tables reserved for the request.
 * @preallocated_vmas: the mappings allocated for its steps.
 * @flags: its DRM_PANTHOR_VM_BIND_OP_* flags.
 * @returned_vmas: the mappings its steps removed, freed after it.
 * @map: for a map, the drm_gpuvm_bo (@map.vm_bo, taken by the map step)
 *	and the sg_table (@map.sgt).
 */
struct panthor_vm_op_ctx {
	struct iopgtable_prealloc rsvd_page_tables;
	struct panthor_vma *preallocated_vmas[3];
	u32 flags;
	struct list_head returned_vmas;
	struct {
		struct drm_gpuvm_bo *vm_bo;
		struct sg_table *sgt;
	} map;
};

/**
 * struct panthor_vm - the shim of Panthor's VM
 * @base: the drm_gpuvm.
 * @ptdev: the device.
 * @pgtbl_ops: the page table.
 * @as: the address space: @as.id, -1 (none, as for a VM not active).
 * @op_ctx: the request in flight.
 */
struct panthor_vm {
	struct drm_gpuvm base;
	struct panthor_device *ptdev;
	struct iopgtable_ops *pgtbl_ops;
	struct {
		int id;
	} as;
	struct panthor_vm_op_ctx *op_ctx;
};

/**
 * struct gv_bo - the GEM object the requests map
 * @base: the GEM object, in Panthor's shape.
 * @sgt: its pages: synthetic DMA addresses, never dereferenced.
 * @seg_off: offset of each segment in the object; @seg_off[@nsegs] is the
 *	object's size.
 * @seg_phys: the DMA address of each segment.
 * @seg_big: whether a segment is block-aligned and a multiple of blocks.
 * @nsegs: number of segments.
 */
struct gv_bo {
	struct panthor_gem_object base;
	struct sg_table sgt;
	u64 seg_off[GV_SEGS + 1];
	u64 seg_phys[GV_SEGS];
	bool seg_big[GV_SEGS];
	unsigned int nsegs;
};

/**
 * struct gv_va - a mapping, as Panthor's struct panthor_vma
 * @base: drm_gpuvm's part.
 * @prot: the protection it was mapped with.
 */
struct gv_va {
	struct drm_gpuva base;
	int prot;
};

/**
 * struct gv_stats - what the replay did
 * @maps: map requests.
 * @unmaps: unmap requests.
 * @step_map: map steps.
 * @step_remap: remap steps.
 * @step_unmap: unmap steps.
 * @reserved: tables reserved before the requests: [0] unmaps, [1] maps.
 * @used: tables the steps took from the reservations, likewise.
 * @all_used: requests whose steps took every table reserved (reserved > 0).
 * @max_reserved: the most tables one request reserved.
 * @panthor: tables Panthor's formula would have reserved (4K granule),
 *	likewise.
 * @over_panthor: requests that reserved more than Panthor's formula.
 * @worst: what iopgtable_prealloc_map() reserves for the map requests'
 *	ranges.
 * @over_worst: map requests that reserved more than that.
 * @blocks: block leaves seen by the checks, summed over the checks.
 * @max_vas: the most mappings the VA tree held at once.
 * @pages: pages checked, summed over the checks.
 * @flushes: Panthor's steps: panthor_vm_flush_range() calls.
 * @returned: Panthor's steps: mappings returned to the operation context.
 * @failed_prepare: requests dropped because their reservation failed.
 * @short_map: requests with a short reservation whose map step ran out.
 * @short_remap: likewise, whose remap step ran out.
 * @short_ok: requests with a short reservation that still had enough.
 *
 * The requests that fail or run with a short reservation count in none of
 * the fields from @reserved to @over_worst.
 */
struct gv_stats {
	unsigned int maps;
	unsigned int unmaps;
	unsigned int step_map;
	unsigned int step_remap;
	unsigned int step_unmap;
	u64 reserved[2];
	u64 used[2];
	unsigned int all_used;
	unsigned int max_reserved;
	u64 panthor[2];
	unsigned int over_panthor;
	u64 worst;
	unsigned int over_worst;
	u64 blocks;
	unsigned int max_vas;
	u64 pages;
	unsigned int flushes;
	unsigned int returned;
	unsigned int failed_prepare;
	unsigned int short_map;
	unsigned int short_remap;
	unsigned int short_ok;
};

/**
 * enum gv_step - a kind of drm_gpuvm step
 * @GV_STEP_NONE: none.
 * @GV_STEP_MAP: a map step.
 * @GV_STEP_REMAP: a remap step.
 */
enum gv_step {
	GV_STEP_NONE,
	GV_STEP_MAP,
	GV_STEP_REMAP,
};

/**
 * struct gv_vm - the VM under test
 * @pvm: Panthor's VM, with the drm_gpuvm (@pvm.base) in every case.
 * @op_ctx: the request in flight: its reservation in every case, the rest
 *	for Panthor's steps.
 * @test: the test.
 * @t: the page table.
 * @bo: the GEM object.
 * @panthor: the steps are Panthor's.
 * @vm_bo: the map request's drm_gpuvm_bo, obtained before the request
 *	(Panthor's steps: @op_ctx.map.vm_bo).
 * @prot: the map request's protection.
 * @spare: mappings allocated before the request, for its steps to take
 *	(Panthor's steps: @op_ctx.preallocated_vmas).
 * @start: first IOVA of the window the requests use.
 * @size: its size.
 * @granule_lg2: log2 of the granule.
 * @block_lg2: log2 of the block size, the page size above the granule.
 * @block: the block size.
 * @prots_seen: the protections of the leaves the checks met, a bit each.
 * @short_rsv: the request in flight runs with a short reservation: its
 *	steps may fail with the error the contract promises.
 * @ran_out: the step of that request that ran out of tables.
 * @nr_vas: mappings in the VA tree at the last check.
 * @st: the statistics.
 */
struct gv_vm {
	struct panthor_vm pvm;
	struct panthor_vm_op_ctx op_ctx;
	struct kunit *test;
	struct iopgtable_test_table *t;
	struct gv_bo *bo;
	bool panthor;
	struct drm_gpuvm_bo *vm_bo;
	int prot;
	struct gv_va *spare[GV_SPARES];
	u64 start;
	u64 size;
	unsigned int granule_lg2;
	unsigned int block_lg2;
	u64 block;
	u32 prots_seen;
	bool short_rsv;
	enum gv_step ran_out;
	unsigned int nr_vas;
	struct gv_stats st;
};

static struct gv_va *to_gv_va(struct drm_gpuva *va)
{
	return container_of(va, struct gv_va, base);
}

/* Below @n; the counts here stay far below 2^32. */
static u32 gv_rand(struct rnd_state *rnd, u32 n)
{
	return n ? prandom_u32_state(rnd) % n : 0;
}

/* Make every allocation of the table fail from now on, or stop doing so. */
static void gv_fail_all(struct iopgtable_test_table *t, bool on)
{
	if (on) {
		iopgtable_test_fail_in(t, 1);
		t->fail_from = true;
	} else {
		t->fail_at = 0;
		t->fail_from = false;
	}
}

/* Panthor's count for the 4K granule: a table per 512G, 1G and 2M span. */
static u64 gv_panthor_count(u64 iova, u64 size, bool map)
{
	static const unsigned int lg2s[] = { 39, 30, 21 };
	u64 end = iova + size, n = 0;
	unsigned int i;

	if (!map)
		return !IS_ALIGNED(iova, SZ_2M) +
		       (!IS_ALIGNED(end, SZ_2M) &&
			ALIGN(end, SZ_2M) != ALIGN(iova, SZ_2M));
	for (i = 0; i < ARRAY_SIZE(lg2s); i++)
		n += (ALIGN(end, BIT_ULL(lg2s[i])) -
		      ALIGN_DOWN(iova, BIT_ULL(lg2s[i]))) >> lg2s[i];
	return n;
}

/* ---- the GEM object ---- */

static void gv_bo_free(struct drm_gem_object *obj)
{
	struct gv_bo *bo = container_of(obj, struct gv_bo, base.base);

	drm_gem_object_release(obj);
	mutex_destroy(&bo->base.gpuva_list_lock);
	/* The memory is the test's. */
}

static const struct drm_gem_object_funcs gv_bo_funcs = {
	.free = gv_bo_free,
};

static void gv_bo_put(void *data)
{
	struct gv_bo *bo = data;

	drm_gem_object_put(&bo->base.base);
}

static void gv_sgt_free(void *data)
{
	sg_free_table(data);
}

/* The segment of @bo that holds byte @offset. */
static unsigned int gv_seg(const struct gv_bo *bo, u64 offset)
{
	unsigned int i;

	for (i = 0; i + 1 < bo->nsegs; i++)
		if (offset < bo->seg_off[i + 1])
			break;
	return i;
}

static u64 gv_bo_phys(const struct gv_bo *bo, u64 offset)
{
	unsigned int i = gv_seg(bo, offset);

	return bo->seg_phys[i] + offset - bo->seg_off[i];
}

/*
 * One segment in three is a block or two at a block-aligned address, the
 * others 1 to 16 granules anywhere; no two are physically contiguous, so
 * no block may span two.
 */
static struct gv_bo *gv_bo_new(struct kunit *test, struct drm_device *drm,
			       struct rnd_state *rnd, u64 granule, u64 block)
{
	struct scatterlist *sg;
	struct gv_bo *bo;
	u64 phys = SZ_4G, off = 0;
	unsigned int i;

	bo = kunit_kzalloc(test, sizeof(*bo), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bo);
	bo->nsegs = GV_SEGS;
	for (i = 0; i < bo->nsegs; i++) {
		u64 len;

		bo->seg_big[i] = i % 3 == 0;
		if (bo->seg_big[i]) {
			phys = ALIGN(phys, block) + block;
			len = block * (1 + gv_rand(rnd, 2));
		} else {
			phys += granule * (1 + gv_rand(rnd, 4));
			len = granule * (1 + gv_rand(rnd, 16));
		}
		bo->seg_off[i] = off;
		bo->seg_phys[i] = phys;
		off += len;
		phys += len;
	}
	bo->seg_off[i] = off;

	KUNIT_ASSERT_EQ(test, sg_alloc_table(&bo->sgt, bo->nsegs, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, gv_sgt_free, &bo->sgt),
			0);
	for_each_sgtable_sg(&bo->sgt, sg, i) {
		u64 len = bo->seg_off[i + 1] - bo->seg_off[i];

		sg->length = len;
		sg_dma_address(sg) = bo->seg_phys[i];
		sg_dma_len(sg) = len;
	}

	mutex_init(&bo->base.gpuva_list_lock);
	bo->base.base.funcs = &gv_bo_funcs;
	/* drm_gpuvm never reads the size; a 32-bit size_t cannot hold 64K's. */
	drm_gem_private_object_init(drm, &bo->base.base,
				    min_t(u64, off, SIZE_MAX & PAGE_MASK));
	drm_gem_gpuva_set_lock(&bo->base.base, &bo->base.gpuva_list_lock);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gv_bo_put, bo), 0);
	return bo;
}

/* ---- the steps, as Panthor's panthor_gpuva_sm_step_*() ---- */

static struct gv_va *gv_take_va(struct gv_vm *vm)
{
	struct gv_va *va;
	unsigned int i;

	for (i = 0; i < GV_SPARES; i++) {
		va = vm->spare[i];
		if (va) {
			vm->spare[i] = NULL;
			return va;
		}
	}
	KUNIT_FAIL(vm->test, "a request took more than %d mappings", GV_SPARES);
	return NULL;
}

static void gv_give_va(struct gv_vm *vm, struct gv_va *va)
{
	unsigned int i;

	for (i = 0; i < GV_SPARES; i++) {
		if (!vm->spare[i]) {
			vm->spare[i] = va;
			return;
		}
	}
	kfree(va);
}

static void gv_link(struct gv_vm *vm, struct gv_va *va,
		    struct drm_gpuvm_bo *vm_bo)
{
	mutex_lock(&vm->bo->base.gpuva_list_lock);
	drm_gpuva_link(&va->base, vm_bo);
	mutex_unlock(&vm->bo->base.gpuva_list_lock);
}

static void gv_unlink_free(struct gv_vm *vm, struct gv_va *va)
{
	mutex_lock(&vm->bo->base.gpuva_list_lock);
	drm_gpuva_unlink(&va->base);
	mutex_unlock(&vm->bo->base.gpuva_list_lock);
	kfree(va);
}

/*
 * Whether a step that failed ran out of a short reservation: the request
 * runs with one and the step failed as the contract has it (@as_promised).
 * Notes the step; the callers fail the test on any other failure.
 */
static bool gv_ran_out(struct gv_vm *vm, enum gv_step step, bool as_promised)
{
	if (!vm->short_rsv || !as_promised || vm->ran_out != GV_STEP_NONE)
		return false;
	vm->ran_out = step;
	return true;
}

static int gv_step_map(struct drm_gpuva_op *op, void *priv)
{
	struct gv_vm *vm = priv;
	struct gv_va *va = gv_take_va(vm);
	int ret;

	if (!va)
		return -EINVAL;
	ret = iopgtable_map_sgtable_prealloc(vm->t->ops, op->map.va.addr,
					     &vm->bo->sgt, op->map.gem.offset,
					     op->map.va.range, vm->prot,
					     &vm->op_ctx.rsvd_page_tables);
	if (ret) {
		/* All or nothing: the VA tree does not get the mapping. */
		if (!gv_ran_out(vm, GV_STEP_MAP, ret == -ENOMEM))
			KUNIT_FAIL(vm->test,
				   "map step [%#llx, +%#llx) at offset %#llx: %d",
				   op->map.va.addr, op->map.va.range,
				   op->map.gem.offset, ret);
		gv_give_va(vm, va);
		return ret;
	}
	va->prot = vm->prot;
	drm_gpuva_map(&vm->pvm.base, &va->base, &op->map);
	gv_link(vm, va, vm->vm_bo);
	vm->st.step_map++;
	return 0;
}

static int gv_step_remap(struct drm_gpuva_op *op, void *priv)
{
	struct gv_vm *vm = priv;
	struct gv_va *old = to_gv_va(op->remap.unmap->va);
	struct gv_va *prev = NULL, *next = NULL;
	u64 start, range;
	size_t unmapped;

	drm_gpuva_op_remap_to_unmap_range(&op->remap, &start, &range);
	unmapped = iopgtable_unmap_split(vm->t->ops, start, range,
					 &vm->op_ctx.rsvd_page_tables, NULL);
	/*
	 * A split that gets no table unmaps nothing: the test's error path
	 * returns -ENOMEM and leaves the mapping whole, as the table has it.
	 */
	if (gv_ran_out(vm, GV_STEP_REMAP, !unmapped))
		return -ENOMEM;
	if (unmapped != range) {
		KUNIT_FAIL(vm->test,
			   "remap step: unmap_split [%#llx, +%#llx) unmapped %#zx",
			   start, range, unmapped);
		return -EINVAL;
	}

	if (op->remap.prev) {
		prev = gv_take_va(vm);
		if (!prev)
			return -EINVAL;
		prev->prot = old->prot;
	}
	if (op->remap.next) {
		next = gv_take_va(vm);
		if (!next)
			return -EINVAL;
		next->prot = old->prot;
	}
	drm_gpuva_remap(prev ? &prev->base : NULL, next ? &next->base : NULL,
			&op->remap);
	if (prev)
		gv_link(vm, prev, old->base.vm_bo);
	if (next)
		gv_link(vm, next, old->base.vm_bo);
	gv_unlink_free(vm, old);
	vm->st.step_remap++;
	return 0;
}

static int gv_step_unmap(struct drm_gpuva_op *op, void *priv)
{
	struct gv_vm *vm = priv;
	struct gv_va *va = to_gv_va(op->unmap.va);
	size_t unmapped;

	unmapped = iopgtable_unmap(vm->t->ops, va->base.va.addr,
				   va->base.va.range, NULL);
	if (unmapped != va->base.va.range) {
		KUNIT_FAIL(vm->test,
			   "unmap step: unmap [%#llx, +%#llx) unmapped %#zx",
			   va->base.va.addr, va->base.va.range, unmapped);
		return -EINVAL;
	}
	drm_gpuva_unmap(&op->unmap);
	gv_unlink_free(vm, va);
	vm->st.step_unmap++;
	return 0;
}

/* ---- Panthor's steps, as contrib/panthor converts them ---- */

static struct gv_vm *to_gv_vm(struct panthor_vm *pvm)
{
	return container_of(pvm, struct gv_vm, pvm);
}

/* The shim of the driver's flush: no GPU, the VM has no address space. */
static int panthor_vm_flush_range(struct panthor_vm *vm, u64 iova, u64 size)
{
	to_gv_vm(vm)->st.flushes++;
	return 0;
}

/*
 * From here to the wrappers below, each block between panthor-fit markers
 * is the patched driver's text, byte for byte: change it only together
 * with contrib/panthor, or the driver-fit lane fails.
 */

/* panthor-fit: begin PANTHOR_VM_MAP_FLAGS */
#define PANTHOR_VM_MAP_FLAGS \
	(DRM_PANTHOR_VM_BIND_OP_MAP_READONLY | \
	 DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC | \
	 DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED)

/* panthor-fit: end */

/* panthor-fit: begin panthor_vm_unmap_pages */
static int panthor_vm_unmap_pages(struct panthor_vm *vm, u64 iova, u64 size)
{
	struct panthor_device *ptdev = vm->ptdev;
	size_t unmapped_sz;

	drm_dbg(&ptdev->base, "unmap: as=%d, iova=%llx, len=%llx", vm->as.id, iova, size);

	/* A 2M block crossing either end is split, the rest of it stays mapped. */
	unmapped_sz = iopgtable_unmap_split(vm->pgtbl_ops, iova, size,
					    &vm->op_ctx->rsvd_page_tables, NULL);
	if (drm_WARN_ON(&ptdev->base, unmapped_sz != size)) {
		drm_err(&ptdev->base, "failed to unmap range %llx-%llx (requested range %llx-%llx)\n",
			iova + unmapped_sz, iova + size, iova, iova + size);
		panthor_vm_flush_range(vm, iova, unmapped_sz);
		return  -EINVAL;
	}

	return panthor_vm_flush_range(vm, iova, size);
}

/* panthor-fit: end */

/* panthor-fit: begin panthor_vm_map_pages */
static int
panthor_vm_map_pages(struct panthor_vm *vm, u64 iova, int prot,
		     struct sg_table *sgt, u64 offset, u64 size)
{
	struct panthor_device *ptdev = vm->ptdev;
	int ret;

	if (!size)
		return 0;

	drm_dbg(&ptdev->base, "map: as=%d, iova=%llx, offset=%llx, len=%llx",
		vm->as.id, iova, offset, size);

	/* All or nothing: on failure, nothing is left mapped. */
	ret = iopgtable_map_sgtable_prealloc(vm->pgtbl_ops, iova, sgt, offset,
					     size, prot,
					     &vm->op_ctx->rsvd_page_tables);
	if (ret) {
		/* The GPU may have cached what was briefly mapped. */
		panthor_vm_flush_range(vm, iova, size);
		return ret;
	}

	return panthor_vm_flush_range(vm, iova, size);
}

/* panthor-fit: end */

/* panthor-fit: begin flags_to_prot */
static int flags_to_prot(u32 flags)
{
	int prot = 0;

	if (flags & DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC)
		prot |= IOPGTABLE_NOEXEC;

	if (!(flags & DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED))
		prot |= IOPGTABLE_CACHE;

	if (flags & DRM_PANTHOR_VM_BIND_OP_MAP_READONLY)
		prot |= IOPGTABLE_READ;
	else
		prot |= IOPGTABLE_READ | IOPGTABLE_WRITE;

	return prot;
}

/* panthor-fit: end */

/* panthor-fit: begin panthor_vm_op_ctx_return_vma */
static void
panthor_vm_op_ctx_return_vma(struct panthor_vm_op_ctx *op_ctx,
			     struct panthor_vma *vma)
{
	for (u32 i = 0; i < ARRAY_SIZE(op_ctx->preallocated_vmas); i++) {
		if (!op_ctx->preallocated_vmas[i]) {
			op_ctx->preallocated_vmas[i] = vma;
			return;
		}
	}

	WARN_ON_ONCE(1);
}

/* panthor-fit: end */

/* panthor-fit: begin panthor_vm_op_ctx_get_vma */
static struct panthor_vma *
panthor_vm_op_ctx_get_vma(struct panthor_vm_op_ctx *op_ctx)
{
	for (u32 i = 0; i < ARRAY_SIZE(op_ctx->preallocated_vmas); i++) {
		struct panthor_vma *vma = op_ctx->preallocated_vmas[i];

		if (vma) {
			op_ctx->preallocated_vmas[i] = NULL;
			return vma;
		}
	}

	return NULL;
}

/* panthor-fit: end */

/* panthor-fit: begin panthor_vma_link */
static void panthor_vma_link(struct panthor_vm *vm,
			     struct panthor_vma *vma,
			     struct drm_gpuvm_bo *vm_bo)
{
	struct panthor_gem_object *bo = to_panthor_bo(vma->base.gem.obj);

	mutex_lock(&bo->gpuva_list_lock);
	drm_gpuva_link(&vma->base, vm_bo);
	drm_WARN_ON(&vm->ptdev->base, drm_gpuvm_bo_put(vm_bo));
	mutex_unlock(&bo->gpuva_list_lock);
}

/* panthor-fit: end */

/* panthor-fit: begin panthor_vma_unlink */
static void panthor_vma_unlink(struct panthor_vm *vm,
			       struct panthor_vma *vma)
{
	struct panthor_gem_object *bo = to_panthor_bo(vma->base.gem.obj);
	struct drm_gpuvm_bo *vm_bo = drm_gpuvm_bo_get(vma->base.vm_bo);

	mutex_lock(&bo->gpuva_list_lock);
	drm_gpuva_unlink(&vma->base);
	mutex_unlock(&bo->gpuva_list_lock);

	/* drm_gpuva_unlink() release the vm_bo, but we manually retained it
	 * when entering this function, so we can implement deferred VMA
	 * destruction. Re-assign it here.
	 */
	vma->base.vm_bo = vm_bo;
	list_add_tail(&vma->node, &vm->op_ctx->returned_vmas);
}

/* panthor-fit: end */

/* panthor-fit: begin panthor_vma_init */
static void panthor_vma_init(struct panthor_vma *vma, u32 flags)
{
	INIT_LIST_HEAD(&vma->node);
	vma->flags = flags;
}

/* panthor-fit: end */

/* panthor-fit: begin panthor_gpuva_sm_step_map */
static int panthor_gpuva_sm_step_map(struct drm_gpuva_op *op, void *priv)
{
	struct panthor_vm *vm = priv;
	struct panthor_vm_op_ctx *op_ctx = vm->op_ctx;
	struct panthor_vma *vma = panthor_vm_op_ctx_get_vma(op_ctx);
	int ret;

	if (!vma)
		return -EINVAL;

	panthor_vma_init(vma, op_ctx->flags & PANTHOR_VM_MAP_FLAGS);

	ret = panthor_vm_map_pages(vm, op->map.va.addr, flags_to_prot(vma->flags),
				   op_ctx->map.sgt, op->map.gem.offset,
				   op->map.va.range);
	if (ret) {
		panthor_vm_op_ctx_return_vma(op_ctx, vma);
		return ret;
	}

	/* Ref owned by the mapping now, clear the obj field so we don't release the
	 * pinning/obj ref behind GPUVA's back.
	 */
	drm_gpuva_map(&vm->base, &vma->base, &op->map);
	panthor_vma_link(vm, vma, op_ctx->map.vm_bo);
	op_ctx->map.vm_bo = NULL;
	return 0;
}

/* panthor-fit: end */

/* panthor-fit: begin panthor_gpuva_sm_step_remap */
static int panthor_gpuva_sm_step_remap(struct drm_gpuva_op *op,
				       void *priv)
{
	struct panthor_vma *unmap_vma = container_of(op->remap.unmap->va, struct panthor_vma, base);
	struct panthor_vm *vm = priv;
	struct panthor_vm_op_ctx *op_ctx = vm->op_ctx;
	struct panthor_vma *prev_vma = NULL, *next_vma = NULL;
	u64 unmap_start, unmap_range;
	int ret;

	drm_gpuva_op_remap_to_unmap_range(&op->remap, &unmap_start, &unmap_range);
	ret = panthor_vm_unmap_pages(vm, unmap_start, unmap_range);
	if (ret)
		return ret;

	if (op->remap.prev) {
		prev_vma = panthor_vm_op_ctx_get_vma(op_ctx);
		panthor_vma_init(prev_vma, unmap_vma->flags);
	}

	if (op->remap.next) {
		next_vma = panthor_vm_op_ctx_get_vma(op_ctx);
		panthor_vma_init(next_vma, unmap_vma->flags);
	}

	drm_gpuva_remap(prev_vma ? &prev_vma->base : NULL,
			next_vma ? &next_vma->base : NULL,
			&op->remap);

	if (prev_vma) {
		/* panthor_vma_link() transfers the vm_bo ownership to
		 * the VMA object. Since the vm_bo we're passing is still
		 * owned by the old mapping which will be released when this
		 * mapping is destroyed, we need to grab a ref here.
		 */
		panthor_vma_link(vm, prev_vma,
				 drm_gpuvm_bo_get(op->remap.unmap->va->vm_bo));
	}

	if (next_vma) {
		panthor_vma_link(vm, next_vma,
				 drm_gpuvm_bo_get(op->remap.unmap->va->vm_bo));
	}

	panthor_vma_unlink(vm, unmap_vma);
	return 0;
}

/* panthor-fit: end */

/* panthor-fit: begin panthor_gpuva_sm_step_unmap */
static int panthor_gpuva_sm_step_unmap(struct drm_gpuva_op *op,
				       void *priv)
{
	struct panthor_vma *unmap_vma = container_of(op->unmap.va, struct panthor_vma, base);
	struct panthor_vm *vm = priv;
	int ret;

	ret = panthor_vm_unmap_pages(vm, unmap_vma->base.va.addr,
				     unmap_vma->base.va.range);
	if (drm_WARN_ON(&vm->ptdev->base, ret))
		return ret;

	drm_gpuva_unmap(&op->unmap);
	panthor_vma_unlink(vm, unmap_vma);
	return 0;
}

/* panthor-fit: end */

/* The driver's steps, counted, with what failed said. */
static int gv_panthor_step_map(struct drm_gpuva_op *op, void *priv)
{
	struct gv_vm *vm = to_gv_vm(priv);
	int ret = panthor_gpuva_sm_step_map(op, priv);

	/* panthor_vm_map_pages() returns the library's -ENOMEM. */
	if (ret && !gv_ran_out(vm, GV_STEP_MAP, ret == -ENOMEM))
		KUNIT_FAIL(vm->test,
			   "panthor map step [%#llx, +%#llx) at offset %#llx: %d",
			   op->map.va.addr, op->map.va.range,
			   op->map.gem.offset, ret);
	else if (!ret)
		vm->st.step_map++;
	return ret;
}

static int gv_panthor_step_remap(struct drm_gpuva_op *op, void *priv)
{
	struct gv_vm *vm = to_gv_vm(priv);
	int ret = panthor_gpuva_sm_step_remap(op, priv);

	/*
	 * When the split gets no table, panthor_vm_unmap_pages() WARNs (a
	 * backtrace in the log for each such request), logs the range and
	 * returns -EINVAL; the step returns before it touches the VA tree.
	 */
	if (ret && !gv_ran_out(vm, GV_STEP_REMAP, ret == -EINVAL))
		KUNIT_FAIL(vm->test, "panthor remap step of [%#llx, +%#llx): %d",
			   op->remap.unmap->va->va.addr,
			   op->remap.unmap->va->va.range, ret);
	else if (!ret)
		vm->st.step_remap++;
	return ret;
}

static int gv_panthor_step_unmap(struct drm_gpuva_op *op, void *priv)
{
	struct gv_vm *vm = to_gv_vm(priv);
	int ret = panthor_gpuva_sm_step_unmap(op, priv);

	if (ret)
		KUNIT_FAIL(vm->test, "panthor unmap step [%#llx, +%#llx): %d",
			   op->unmap.va->va.addr, op->unmap.va->va.range, ret);
	else
		vm->st.step_unmap++;
	return ret;
}

static void gv_vm_free(struct drm_gpuvm *gpuvm)
{
	/* The memory is the test's. */
}

static const struct drm_gpuvm_ops gv_ops = {
	.vm_free	= gv_vm_free,
	.sm_step_map	= gv_step_map,
	.sm_step_remap	= gv_step_remap,
	.sm_step_unmap	= gv_step_unmap,
};

static const struct drm_gpuvm_ops gv_panthor_ops = {
	.vm_free	= gv_vm_free,
	.sm_step_map	= gv_panthor_step_map,
	.sm_step_remap	= gv_panthor_step_remap,
	.sm_step_unmap	= gv_panthor_step_unmap,
};

static void gv_vm_bo_put(struct gv_vm *vm, struct drm_gpuvm_bo *vm_bo)
{
	if (!vm_bo)
		return;
	mutex_lock(&vm->bo->base.gpuva_list_lock);
	drm_gpuvm_bo_put(vm_bo);
	mutex_unlock(&vm->bo->base.gpuva_list_lock);
}

/*
 * After a request through Panthor's steps, what panthor_vm_cleanup_op_ctx()
 * does but for the reservation and the mappings kept for the next: frees
 * the mappings the steps returned, and puts the drm_gpuvm_bo if no map step
 * took it. Returns how many mappings were returned.
 */
static unsigned int gv_panthor_cleanup(struct gv_vm *vm)
{
	struct panthor_vm_op_ctx *op_ctx = &vm->op_ctx;
	struct panthor_vma *vma, *tmp;
	unsigned int n = 0;

	gv_vm_bo_put(vm, op_ctx->map.vm_bo);
	op_ctx->map.vm_bo = NULL;
	list_for_each_entry_safe(vma, tmp, &op_ctx->returned_vmas, node) {
		list_del(&vma->node);
		gv_vm_bo_put(vm, vma->base.vm_bo);
		kfree(vma);
		n++;
	}
	return n;
}

/* Also what a test that failed half way leaves behind. */
static void gv_vm_teardown(void *data)
{
	struct gv_vm *vm = data;
	struct drm_gpuva *va, *next;
	unsigned int i;

	drm_gpuvm_for_each_va_safe(va, next, &vm->pvm.base) {
		drm_gpuva_remove(va);
		if (vm->panthor) {
			mutex_lock(&vm->bo->base.gpuva_list_lock);
			drm_gpuva_unlink(va);
			mutex_unlock(&vm->bo->base.gpuva_list_lock);
			kfree(container_of(va, struct panthor_vma, base));
		} else {
			gv_unlink_free(vm, to_gv_va(va));
		}
	}
	gv_vm_bo_put(vm, vm->vm_bo);
	gv_panthor_cleanup(vm);
	for (i = 0; i < GV_SPARES; i++) {
		kfree(vm->spare[i]);
		kfree(vm->op_ctx.preallocated_vmas[i]);
	}
	if (vm->t->ops)
		iopgtable_prealloc_release(vm->t->ops,
					   &vm->op_ctx.rsvd_page_tables);
	drm_gpuvm_put(&vm->pvm.base);
}

/* ---- the check: the table against drm_gpuvm's VA tree ---- */

static u64 gv_span(const struct gv_vm *vm, int lvl)
{
	return BIT_ULL(vm->granule_lg2 + (3 - lvl) * (vm->granule_lg2 - 3));
}

/*
 * The leaf entry at @lvl that maps @oa with @prot, by the format's rules:
 * the output address, the attributes the protection encodes and the type.
 */
static u64 gv_leaf(const struct gv_vm *vm, u64 oa, int prot, int lvl)
{
	bool mali = vm->t->fmt == IOPGTABLE_ARM_MALI_LPAE;
	bool ro = (prot & (IOPGTABLE_READ | IOPGTABLE_WRITE)) == IOPGTABLE_READ;
	u64 pte = oa;

	/* The memory type: the attribute index whose byte holds it. */
	if (prot & IOPGTABLE_MMIO)
		pte |= FIELD_PREP(GV_PTE_ATTRINDX, GV_IDX_DEV);
	else if (prot & IOPGTABLE_CACHE)
		pte |= FIELD_PREP(GV_PTE_ATTRINDX, GV_IDX_WB);
	else
		pte |= FIELD_PREP(GV_PTE_ATTRINDX, GV_IDX_NC);
	if (prot & IOPGTABLE_NOEXEC)
		pte |= GV_PTE_XN;

	if (mali) {
		/*
		 * Stage-2 style read and write permissions; always outer
		 * shareable, Mali's inner domain being the GPU's own cores.
		 */
		pte |= FIELD_PREP(GV_MALI_PERM,
				  (prot & IOPGTABLE_READ ? GV_MALI_READ : 0) |
				  (prot & IOPGTABLE_WRITE ? GV_MALI_WRITE : 0));
		pte |= FIELD_PREP(GV_PTE_SH, GV_SH_OUTER);
		return pte | FIELD_PREP(GV_PTE_TYPE, GV_TYPE_BLOCK);
	}

	/*
	 * Stage 1: accessed already, tagged with the address space's ASID,
	 * read-only without WRITE, open to unprivileged accesses unless
	 * PRIVILEGED; cacheable memory inner shareable, the rest outer.
	 */
	pte |= GV_PTE_AF | GV_PTE_NG;
	if (ro)
		pte |= GV_PTE_AP_RO;
	if (!(prot & IOPGTABLE_PRIVILEGED))
		pte |= GV_PTE_AP_EL0;
	pte |= FIELD_PREP(GV_PTE_SH, prot & IOPGTABLE_CACHE ? GV_SH_INNER :
							     GV_SH_OUTER);
	return pte | FIELD_PREP(GV_PTE_TYPE,
				lvl == 3 ? GV_TYPE_PAGE : GV_TYPE_BLOCK);
}

/*
 * The attribute bytes the indexes of gv_leaf() must select in the table's
 * MAIR_EL1 or AS_MEMATTR, for the memory types it means.
 */
static void gv_check_memattr(struct gv_vm *vm)
{
	const struct iopgtable_cfg *cfg = &vm->t->cfg;
	bool mali = vm->t->fmt == IOPGTABLE_ARM_MALI_LPAE;
	u64 regs = mali ? cfg->arm_mali_lpae.memattr : cfg->arm_lpae_s1.mair;
	static const u8 s1[] = {
		[GV_IDX_NC] = GV_MAIR_NC,
		[GV_IDX_WB] = GV_MAIR_WB,
		[GV_IDX_DEV] = GV_MAIR_DEV,
	};
	static const u8 gpu[] = {
		[GV_IDX_NC] = GV_MEMATTR_IMP_DEF,
		[GV_IDX_WB] = GV_MEMATTR_WB,
		[GV_IDX_DEV] = GV_MEMATTR_IMP_DEF,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s1); i++) {
		u8 attr = FIELD_GET(GV_MAIR_BYTE, regs >> (8 * i));

		KUNIT_ASSERT_EQ_MSG(vm->test, attr, mali ? gpu[i] : s1[i],
				    "attribute %u of %s %#llx", i,
				    mali ? "AS_MEMATTR" : "MAIR_EL1", regs);
	}
}

static bool gv_page_fail(struct gv_vm *vm, u64 iova, u64 pte, u64 want,
			 int prot)
{
	KUNIT_FAIL(vm->test,
		   "IOVA %#llx: level 3 entry %#llx, wanted %#llx (prot %#x)",
		   iova, pte, want, prot);
	return false;
}

/*
 * [@a, @b) must translate to [@phys, ...) with @prot, or to nothing where
 * @prot is 0: read leaf by leaf by the test's own walker, a level-3 table
 * entry by entry, and through the table's iova_to_phys once per walk.
 */
static bool gv_check_range(struct gv_vm *vm, u64 a, u64 b, u64 phys,
			   int prot)
{
	struct iopgtable_test_table *t = vm->t;
	u64 granule = BIT_ULL(vm->granule_lg2);
	u64 span2 = gv_span(vm, 2);
	u64 pos = a;

	while (pos < b) {
		u64 want = prot ? phys + (pos - a) : 0;
		struct iopgtable_test_walk w;
		phys_addr_t lib;
		u64 pte, span, base;

		pte = iopgtable_test_walk(t, pos, &w);
		lib = t->ops->iova_to_phys(t->ops, pos + granule / 2);
		if (lib != (prot ? want + granule / 2 : 0)) {
			KUNIT_FAIL(vm->test,
				   "IOVA %#llx: iova_to_phys %pa, wanted %#llx",
				   pos + granule / 2, &lib,
				   prot ? want + granule / 2 : 0);
			return false;
		}

		if (w.level == 3) {
			u64 *table = phys_to_virt(w.table_ptes[2] & GV_PTE_OA);
			u64 stop = min(b, ALIGN_DOWN(pos, span2) + span2);
			unsigned int mask = (granule >> 3) - 1;
			u64 *e = &table[(pos >> vm->granule_lg2) & mask];
			u64 bits = prot ? gv_leaf(vm, 0, prot, 3) : 0;

			vm->st.pages += (stop - pos) >> vm->granule_lg2;
			for (; pos < stop; pos += granule, e++) {
				want = prot ? (phys + (pos - a)) | bits : 0;
				if (prot ? *e != want : *e & GV_PTE_VALID)
					return gv_page_fail(vm, pos, *e, want, prot);
			}
			if (prot)
				vm->prots_seen |= BIT(prot);
			continue;
		}

		span = gv_span(vm, w.level);
		base = ALIGN_DOWN(pos, span);
		if (!pte) {
			if (prot) {
				KUNIT_FAIL(vm->test,
					   "IOVA %#llx: nothing mapped at level %d, wanted %#llx",
					   pos, w.level, want);
				return false;
			}
			pos = min(b, base + span);
			continue;
		}
		want = prot ? gv_leaf(vm, phys + (base - a), prot, w.level) : 0;
		if (!prot || base < a || base + span > b || pte != want) {
			KUNIT_FAIL(vm->test,
				   "IOVA %#llx: level %d block %#llx over [%#llx, +%#llx), wanted %#llx (prot %#x) in [%#llx, %#llx)",
				   pos, w.level, pte, base, span, want, prot, a,
				   b);
			return false;
		}
		vm->prots_seen |= BIT(prot);
		vm->st.blocks++;
		vm->st.pages += span >> vm->granule_lg2;
		pos = base + span;
	}
	return true;
}

/* The protection a mapping was made with. */
static int gv_va_prot(struct gv_vm *vm, struct drm_gpuva *va)
{
	if (vm->panthor)
		return flags_to_prot(container_of(va, struct panthor_vma,
						  base)->flags);
	return to_gv_va(va)->prot;
}

/* Every page of the window translates as the VA tree says. */
static bool gv_check(struct gv_vm *vm)
{
	struct gv_bo *bo = vm->bo;
	struct drm_gpuva *va;
	u64 pos = vm->start;

	vm->nr_vas = 0;
	drm_gpuvm_for_each_va(va, &vm->pvm.base) {
		u64 at = va->va.addr, end = at + va->va.range;
		u64 off = va->gem.offset;
		unsigned int seg = gv_seg(bo, off);

		vm->nr_vas++;
		if (va->gem.obj != &bo->base.base || at < pos ||
		    off + va->va.range > bo->seg_off[bo->nsegs]) {
			KUNIT_FAIL(vm->test, "VA tree: [%#llx, +%#llx) at %#llx",
				   at, va->va.range, off);
			return false;
		}
		if (!gv_check_range(vm, pos, at, 0, 0))
			return false;
		/* One linear piece per segment the mapping crosses. */
		while (at < end) {
			u64 len = min(end - at, bo->seg_off[seg + 1] - off);

			if (!gv_check_range(vm, at, at + len, bo->seg_phys[seg] +
					    off - bo->seg_off[seg],
					    gv_va_prot(vm, va)))
				return false;
			at += len;
			off += len;
			seg++;
		}
		pos = end;
	}
	vm->st.max_vas = max(vm->st.max_vas, vm->nr_vas);
	if (!gv_check_range(vm, pos, vm->start + vm->size, 0, 0))
		return false;
	/* A non-coherent walker reads the same tables (tests/test-dma.c). */
	return iopgtable_test_device_view_ok(vm->t);
}

/* ---- the requests ---- */

/**
 * enum gv_fail - how a request is made to fail
 * @GV_FAIL_NONE: it is not.
 * @GV_FAIL_PREPARE: an allocation of its reservation fails.
 * @GV_FAIL_SHORT: its reservation holds fewer tables than the preparing
 *	call gives.
 */
enum gv_fail {
	GV_FAIL_NONE,
	GV_FAIL_PREPARE,
	GV_FAIL_SHORT,
};

static const char *const gv_fail_names[] = {
	[GV_FAIL_NONE] = "",
	[GV_FAIL_PREPARE] = ", reservation failing",
	[GV_FAIL_SHORT] = ", reservation short",
};

/**
 * struct gv_req - one VM_BIND request
 * @map: a map (else an unmap).
 * @addr: first IOVA.
 * @range: size.
 * @offset: for a map, the offset in the GEM object.
 * @prot: for a map, the protection.
 * @flags: for a map through Panthor's steps, its
 *	DRM_PANTHOR_VM_BIND_OP_MAP_* flags, READONLY as @prot says.
 * @fail: how it is made to fail; GV_FAIL_NONE again where its
 *	reservation holds no table.
 * @pick: for a request made to fail, a random number that picks the
 *	allocation that fails or how many tables the reservation holds.
 */
struct gv_req {
	bool map;
	u64 addr;
	u64 range;
	u64 offset;
	int prot;
	u32 flags;
	enum gv_fail fail;
	u32 pick;
};

/* A length in granules: often a few, sometimes a block or more. */
static u64 gv_rand_len(struct gv_vm *vm, struct rnd_state *rnd)
{
	u64 granule = BIT_ULL(vm->granule_lg2);
	u32 per_block = BIT(vm->block_lg2 - vm->granule_lg2);

	switch (gv_rand(rnd, 4)) {
	case 0:
		return granule * (1 + gv_rand(rnd, 8));
	case 1:
		return granule * (1 + gv_rand(rnd, per_block));
	case 2:
		return vm->block * (1 + gv_rand(rnd, 2)) +
		       granule * gv_rand(rnd, 2) * gv_rand(rnd, 4);
	default:
		return granule * (1 + gv_rand(rnd, 3 * per_block));
	}
}

static void gv_rand_map(struct gv_vm *vm, struct rnd_state *rnd,
			struct gv_req *req)
{
	struct gv_bo *bo = vm->bo;
	u64 granule = BIT_ULL(vm->granule_lg2);
	u64 bo_size = bo->seg_off[bo->nsegs];
	u32 blocks = vm->size >> vm->block_lg2;
	u64 end = vm->start + vm->size;

	req->map = true;
	req->prot = gv_rand(rnd, 4) ? RW : RO;
	req->flags = 0;
	if (vm->panthor) {
		/* Every combination of the three, the protections they give. */
		if (req->prot == RO)
			req->flags |= DRM_PANTHOR_VM_BIND_OP_MAP_READONLY;
		if (gv_rand(rnd, 2))
			req->flags |= DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC;
		if (!gv_rand(rnd, 4))
			req->flags |= DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED;
	}
	switch (gv_rand(rnd, 4)) {
	case 0: {
		/* Block to block: a big segment at a block-aligned IOVA. */
		unsigned int seg = 3 * gv_rand(rnd, GV_SEGS / 3);
		u64 seg_len = bo->seg_off[seg + 1] - bo->seg_off[seg];

		req->offset = bo->seg_off[seg] +
			      vm->block * gv_rand(rnd, seg_len >> vm->block_lg2);
		req->addr = vm->start + vm->block * gv_rand(rnd, blocks);
		break;
	}
	case 1:
	case 2:
		/* Congruent: blocks where the segment allows them. */
		req->offset = granule * gv_rand(rnd, bo_size >> vm->granule_lg2);
		req->addr = vm->start + vm->block * gv_rand(rnd, blocks) +
			    (gv_bo_phys(bo, req->offset) & (vm->block - 1));
		break;
	default:
		req->offset = granule * gv_rand(rnd, bo_size >> vm->granule_lg2);
		req->addr = vm->start +
			    granule * gv_rand(rnd, vm->size >> vm->granule_lg2);
		break;
	}
	req->range = min3(gv_rand_len(vm, rnd), bo_size - req->offset,
			  end - req->addr);
}

static void gv_rand_unmap(struct gv_vm *vm, struct rnd_state *rnd,
			  struct gv_req *req)
{
	u64 granule = BIT_ULL(vm->granule_lg2);
	u32 per_block = BIT(vm->block_lg2 - vm->granule_lg2);
	u64 end = vm->start + vm->size;
	u64 lo, hi;

	*req = (struct gv_req) { .map = false };
	if (vm->nr_vas && gv_rand(rnd, 2)) {
		unsigned int k = gv_rand(rnd, vm->nr_vas);
		struct drm_gpuva *va;

		drm_gpuvm_for_each_va(va, &vm->pvm.base)
			if (!k--)
				break;
		lo = va->va.addr;
		hi = lo + va->va.range;
		switch (gv_rand(rnd, 3)) {
		case 0:
			/* The whole mapping. */
			break;
		case 1:
			/* A part of it. */
			lo += granule * gv_rand(rnd, (hi - lo) >> vm->granule_lg2);
			hi = lo + granule *
			     (1 + gv_rand(rnd, (hi - lo) >> vm->granule_lg2));
			break;
		default:
			/* It and some on either side. */
			lo -= min(lo - vm->start, granule * gv_rand(rnd, per_block));
			hi += min(end - hi, granule * gv_rand(rnd, per_block));
			break;
		}
	} else {
		lo = vm->start +
		     granule * gv_rand(rnd, vm->size >> vm->granule_lg2);
		hi = lo + min(end - lo, gv_rand_len(vm, rnd));
	}
	req->addr = lo;
	req->range = hi - lo;
}

/*
 * Reserve for @req as a driver does at submission, from the request alone:
 * for a map, or for an unmap of its range where @map is false.
 */
static int gv_prepare(struct gv_vm *vm, const struct gv_req *req, bool map)
{
	struct iopgtable_prealloc *pa = &vm->op_ctx.rsvd_page_tables;

	if (map)
		return iopgtable_prealloc_map_sgtable(vm->t->ops, pa, req->addr,
						      &vm->bo->sgt, req->offset,
						      req->range, GFP_KERNEL);
	return iopgtable_prealloc_unmap(vm->t->ops, pa, req->addr, req->range,
					GFP_KERNEL);
}

/* How many tables gv_prepare() reserves now; the reservation stays empty. */
static unsigned int gv_prepare_count(struct gv_vm *vm, const struct gv_req *req,
				     bool map)
{
	struct iopgtable_prealloc *pa = &vm->op_ctx.rsvd_page_tables;
	unsigned int n;

	KUNIT_ASSERT_EQ(vm->test, gv_prepare(vm, req, map), 0);
	n = iopgtable_prealloc_count(pa);
	iopgtable_prealloc_release(vm->t->ops, pa);
	return n;
}

/*
 * Make the reservation hold @n tables. The library has no call that takes
 * tables out of a reservation, and the tables reserved are interchangeable
 * (a running call takes any for any level): each call here reserves the
 * one table that splitting a block at one unaligned end takes.
 */
static void gv_reserve_tables(struct gv_vm *vm, unsigned int n)
{
	struct iopgtable_prealloc *pa = &vm->op_ctx.rsvd_page_tables;
	u64 granule = BIT_ULL(vm->granule_lg2);
	unsigned int i;

	for (i = 1; i <= n; i++) {
		KUNIT_ASSERT_EQ(vm->test,
				iopgtable_prealloc_unmap(vm->t->ops, pa,
							 vm->start + granule,
							 granule, GFP_KERNEL),
				0);
		KUNIT_ASSERT_EQ(vm->test, iopgtable_prealloc_count(pa), i);
	}
}

/*
 * The allocator fails at one of the @n allocations of @req's reservation,
 * picked by @req->pick: the preparing call must fail with -ENOMEM, having
 * freed what it allocated, and leave the reservation empty and releasable.
 * The request is dropped, as a driver's ioctl returns the error before
 * anything runs. Returns that error.
 */
static int gv_fail_prepare(struct gv_vm *vm, const struct gv_req *req,
			   unsigned int n)
{
	struct iopgtable_prealloc *pa = &vm->op_ctx.rsvd_page_tables;
	struct iopgtable_test_table *t = vm->t;
	unsigned long attempts = t->attempts;
	unsigned long allocs = t->allocs;
	unsigned long frees = t->frees;
	unsigned int at = 1 + req->pick % n;
	struct kunit *test = vm->test;
	int ret;

	iopgtable_test_fail_in(t, at);
	ret = gv_prepare(vm, req, req->map);
	t->fail_at = 0;
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	KUNIT_EXPECT_EQ_MSG(test, t->attempts - attempts, at,
			    "allocations tried until the one failing");
	KUNIT_EXPECT_EQ_MSG(test, t->frees - frees, t->allocs - allocs,
			    "the failed reservation kept tables");
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(pa), 0);
	iopgtable_prealloc_release(t->ops, pa);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(pa), 0);
	vm->st.failed_prepare++;
	return ret;
}

/*
 * After @req ran with @reserved tables, fewer than its reservation would
 * hold: either its steps had enough, or one ran out as the contract says
 * (-ENOMEM, or Panthor's -EINVAL for its split, one report of the caller
 * bug, that step's range as it was) and the request ended with the error,
 * the steps before it done. @splits is what a reservation for unmapping
 * the request's range holds, enough for every split its remap steps make;
 * @violations the contract violations the library reported meanwhile.
 */
static void gv_check_short(struct gv_vm *vm, const struct gv_req *req,
			   int ret, unsigned int reserved, unsigned int splits,
			   unsigned long violations)
{
	struct kunit *test = vm->test;

	if (!ret) {
		KUNIT_EXPECT_EQ(test, vm->ran_out, GV_STEP_NONE);
		KUNIT_EXPECT_EQ_MSG(test, violations, 0,
				    "violations reported by a request that had enough tables");
		vm->st.short_ok++;
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, violations, 1,
			    "reports of the reservation that ran short");
	KUNIT_EXPECT_EQ_MSG(test,
			    iopgtable_prealloc_count(&vm->op_ctx.rsvd_page_tables),
			    0, "ran out with tables left");
	switch (vm->ran_out) {
	case GV_STEP_MAP:
		/*
		 * The map step was the last: the steps before it removed
		 * whatever the range held, and it added nothing.
		 */
		KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
		KUNIT_EXPECT_TRUE_MSG(test,
				      drm_gpuvm_interval_empty(&vm->pvm.base,
							       req->addr,
							       req->range),
				      "the VA tree holds mappings of the failed map");
		vm->st.short_map++;
		break;
	case GV_STEP_REMAP:
		/* The mapping it was cutting stays whole, in both. */
		KUNIT_EXPECT_EQ(test, ret, vm->panthor ? -EINVAL : -ENOMEM);
		KUNIT_EXPECT_LT_MSG(test, reserved, splits,
				    "a split ran out of the tables reserved for it");
		vm->st.short_remap++;
		break;
	default:
		KUNIT_FAIL(test, "the request failed with %d, no step ran out",
			   ret);
	}
}

/*
 * Run one request as a driver does: reserve from the request alone, then
 * let drm_gpuvm split it into steps that may not allocate. A request made
 * to fail fails in its reservation, or runs with a short one.
 */
static int gv_run(struct gv_vm *vm, struct gv_req *req, bool formula)
{
	struct iopgtable_prealloc *pa = &vm->op_ctx.rsvd_page_tables;
	struct panthor_vm_op_ctx *op_ctx = &vm->op_ctx;
	struct iopgtable_test_table *t = vm->t;
	unsigned int i, reserved, used, n = 0, splits = 0;
	unsigned int maps, remaps, unmaps;
	struct kunit *test = vm->test;
	unsigned long attempts, violations;
	struct drm_gpuvm_bo *vm_bo;
	u64 count = 0;
	void *priv;
	int ret;

	for (i = 0; i < GV_SPARES; i++) {
		if (vm->panthor) {
			struct panthor_vma **vma = &op_ctx->preallocated_vmas[i];

			if (!*vma)
				*vma = kzalloc(sizeof(**vma), GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, *vma);
			continue;
		}
		if (!vm->spare[i])
			vm->spare[i] = kzalloc(sizeof(*vm->spare[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, vm->spare[i]);
	}
	if (req->fail != GV_FAIL_NONE) {
		n = gv_prepare_count(vm, req, req->map);
		/* Nothing to allocate, nothing to hold back. */
		if (!n)
			req->fail = GV_FAIL_NONE;
	}
	if (req->fail == GV_FAIL_PREPARE)
		return gv_fail_prepare(vm, req, n);
	if (req->fail == GV_FAIL_SHORT) {
		splits = req->map ? gv_prepare_count(vm, req, false) : n;
		/* Every table taken out one time in two, else some. */
		gv_reserve_tables(vm, req->pick & 1 ? 0 : (req->pick >> 1) % n);
	} else {
		if (req->map) {
			/* The worst case for the range, to compare with. */
			ret = iopgtable_prealloc_map(t->ops, pa, req->addr,
						     req->range, GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, ret, 0);
			count = iopgtable_prealloc_count(pa);
			vm->st.worst += count;
			iopgtable_prealloc_release(t->ops, pa);
		}
		KUNIT_ASSERT_EQ(test, gv_prepare(vm, req, req->map), 0);
	}
	reserved = iopgtable_prealloc_count(pa);
	if (req->map && !req->fail && reserved > count)
		vm->st.over_worst++;

	if (req->map) {
		mutex_lock(&vm->bo->base.gpuva_list_lock);
		vm_bo = drm_gpuvm_bo_obtain(&vm->pvm.base, &vm->bo->base.base);
		mutex_unlock(&vm->bo->base.gpuva_list_lock);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm_bo);
		if (vm->panthor) {
			op_ctx->flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP |
					req->flags;
			op_ctx->map.vm_bo = vm_bo;
			op_ctx->map.sgt = &vm->bo->sgt;
		} else {
			vm->vm_bo = vm_bo;
			vm->prot = req->prot;
		}
	} else {
		op_ctx->flags = DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP;
	}

	/* Panthor's steps take their VM; the test's, the test's. */
	priv = vm->panthor ? (void *)&vm->pvm : vm;
	maps = vm->st.step_map;
	remaps = vm->st.step_remap;
	unmaps = vm->st.step_unmap;
	violations = iopgtable_test_violations(t);
	vm->short_rsv = req->fail == GV_FAIL_SHORT;
	vm->ran_out = GV_STEP_NONE;
	attempts = t->attempts;
	gv_fail_all(t, true);
	if (req->map)
		ret = drm_gpuvm_sm_map(&vm->pvm.base, priv, req->addr,
				       req->range, &vm->bo->base.base,
				       req->offset);
	else
		ret = drm_gpuvm_sm_unmap(&vm->pvm.base, priv, req->addr,
					 req->range);
	gv_fail_all(t, false);
	vm->short_rsv = false;
	KUNIT_EXPECT_EQ_MSG(test, t->attempts, attempts,
			    "the steps tried to allocate tables");
	maps = vm->st.step_map - maps;
	remaps = vm->st.step_remap - remaps;
	unmaps = vm->st.step_unmap - unmaps;
	violations = iopgtable_test_violations(t) - violations;

	used = reserved - iopgtable_prealloc_count(pa);
	if (req->fail == GV_FAIL_SHORT)
		gv_check_short(vm, req, ret, reserved, splits, violations);
	else
		KUNIT_EXPECT_EQ_MSG(test, violations, 0,
				    "contract violations reported");
	iopgtable_prealloc_release(t->ops, pa);
	KUNIT_EXPECT_EQ(test, iopgtable_prealloc_count(pa), 0);
	if (vm->panthor) {
		/*
		 * A map step that succeeds takes the drm_gpuvm_bo, and the
		 * other steps that succeed return a VMA.
		 */
		if (req->map)
			KUNIT_EXPECT_EQ(test, !op_ctx->map.vm_bo, maps == 1);
		i = gv_panthor_cleanup(vm);
		KUNIT_EXPECT_EQ(test, i, remaps + unmaps);
		vm->st.returned += i;
	}
	gv_vm_bo_put(vm, vm->vm_bo);
	vm->vm_bo = NULL;

	if (req->fail)
		return ret;
	vm->st.reserved[req->map] += reserved;
	vm->st.used[req->map] += used;
	vm->st.max_reserved = max(vm->st.max_reserved, reserved);
	if (reserved && used == reserved)
		vm->st.all_used++;
	if (formula) {
		count = gv_panthor_count(req->addr, req->range, req->map);
		vm->st.panthor[req->map] += count;
		if (reserved > count)
			vm->st.over_panthor++;
	}
	return ret;
}

/* A driver of GEM objects whose mappings drm_gpuvm tracks, nothing else. */
static const struct drm_driver gv_driver = {
	.driver_features	= DRIVER_GEM | DRIVER_GEM_GPUVA,
	.name			= "iopgtable-gpuvm",
};

static void gv_replay(struct kunit *test)
{
	const struct gv_case *c = test->param_value;
	struct iopgtable_cfg cfg = iopgtable_test_cfg(c->fmt);
	struct drm_gem_object *r_obj;
	struct drm_device *drm;
	struct rnd_state rnd;
	struct device *dev;
	struct gv_req req;
	struct panthor_device *ptdev;
	unsigned int i, j, prots;
	struct gv_vm *vm;
	bool formula;
	u64 granule;
	ktime_t t0;
	int ret;

	dev = kunit_device_register(test, "iopgtable-gpuvm");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	ptdev = devm_drm_dev_alloc(dev, &gv_driver, struct panthor_device, base);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ptdev);
	drm = &ptdev->base;

	vm = kunit_kzalloc(test, sizeof(*vm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vm);
	vm->test = test;
	vm->panthor = c->panthor;
	cfg.pgsize_bitmap = c->sizes;
	if (c->noncoherent) {
		cfg.coherent_walk = false;
		cfg.iommu_dev = iopgtable_test_shadow_device(test,
							     "iopgtable-gpuvm-walker");
	}
	vm->t = iopgtable_test_new(test, c->fmt, &cfg);
	gv_check_memattr(vm);
	vm->granule_lg2 = __ffs(c->sizes);
	granule = BIT_ULL(vm->granule_lg2);
	vm->block_lg2 = __ffs(c->sizes & ~granule);
	vm->block = BIT_ULL(vm->block_lg2);
	/* 16 blocks, or 32768 pages where that is less (64K: 4 blocks). */
	vm->size = min(16 * vm->block, granule << 15);
	vm->start = BIT_ULL(c->boundary_lg2) - vm->size / 2;
	formula = granule == SZ_4K;

	prandom_seed_state(&rnd, gpuvm_seed ^ (u64)(c - gv_cases) << 32);
	vm->bo = gv_bo_new(test, drm, &rnd, granule, vm->block);

	r_obj = drm_gpuvm_resv_object_alloc(drm);
	KUNIT_ASSERT_NOT_NULL(test, r_obj);
	drm_gpuvm_init(&vm->pvm.base, "iopgtable-gpuvm", 0, drm, r_obj,
		       vm->start, vm->size, 0, 0,
		       vm->panthor ? &gv_panthor_ops : &gv_ops);
	drm_gem_object_put(r_obj);
	vm->pvm.ptdev = ptdev;
	vm->pvm.pgtbl_ops = vm->t->ops;
	vm->pvm.as.id = -1;
	vm->pvm.op_ctx = &vm->op_ctx;
	iopgtable_prealloc_init(&vm->op_ctx.rsvd_page_tables);
	INIT_LIST_HEAD(&vm->op_ctx.returned_vmas);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, gv_vm_teardown, vm), 0);

	t0 = ktime_get();
	for (i = 0; i < GV_REQUESTS; i++) {
		if (gv_rand(&rnd, 100) < 55) {
			gv_rand_map(vm, &rnd, &req);
			vm->st.maps++;
		} else {
			gv_rand_unmap(vm, &rnd, &req);
			vm->st.unmaps++;
		}
		j = gv_rand(&rnd, GV_FAIL_EVERY);
		if (j < GV_FAIL_PREPARES)
			req.fail = GV_FAIL_PREPARE;
		else if (j < GV_FAIL_PREPARES + GV_SHORTS)
			req.fail = GV_FAIL_SHORT;
		else
			req.fail = GV_FAIL_NONE;
		req.pick = prandom_u32_state(&rnd);
		ret = gv_run(vm, &req, formula);
		/*
		 * gv_run() expects how each request ends, the requests made
		 * to fail included: stop at the first that went wrong.
		 */
		KUNIT_ASSERT_TRUE_MSG(test, (req.fail || !ret) && gv_check(vm) &&
				      test->status != KUNIT_FAILURE,
				      "request %u: %s [%#llx, +%#llx) offset %#llx%s: %d",
				      i, req.map ? "map" : "unmap", req.addr,
				      req.range, req.offset,
				      gv_fail_names[req.fail], ret);
	}

	/* Unbind everything, then every table allocated must be freed. */
	req = (struct gv_req) { .addr = vm->start, .range = vm->size };
	KUNIT_ASSERT_EQ(test, gv_run(vm, &req, false), 0);
	KUNIT_ASSERT_TRUE(test, gv_check(vm));
	KUNIT_EXPECT_EQ(test, vm->nr_vas, 0);
	KUNIT_EXPECT_TRUE(test, drm_gpuvm_interval_empty(&vm->pvm.base, vm->start,
							 vm->size));

	kunit_info(test,
		   "seed %#lx: %u requests (%u map, %u unmap) in %lld ms; steps: %u map, %u remap, %u unmap; at most %u mappings",
		   gpuvm_seed, GV_REQUESTS, vm->st.maps, vm->st.unmaps,
		   ktime_ms_delta(ktime_get(), t0), vm->st.step_map,
		   vm->st.step_remap, vm->st.step_unmap, vm->st.max_vas);
	kunit_info(test,
		   "tables reserved %llu, used %llu: maps %llu/%llu, unmaps %llu/%llu; every one reserved used in %u requests, at most %u for one",
		   vm->st.reserved[1] + vm->st.reserved[0],
		   vm->st.used[1] + vm->st.used[0], vm->st.reserved[1],
		   vm->st.used[1], vm->st.reserved[0], vm->st.used[0],
		   vm->st.all_used, vm->st.max_reserved);
	kunit_info(test,
		   "iopgtable_prealloc_map() for the map ranges: %llu, exceeded by %u map requests",
		   vm->st.worst, vm->st.over_worst);
	if (formula)
		kunit_info(test,
			   "Panthor's formula: maps %llu, unmaps %llu, exceeded by %u requests",
			   vm->st.panthor[1], vm->st.panthor[0],
			   vm->st.over_panthor);
	kunit_info(test,
		   "checked %llu pages, %llu block leaves among them; table allocations %lu",
		   vm->st.pages, vm->st.blocks, vm->t->allocs);
	if (vm->panthor)
		kunit_info(test,
			   "panthor_vm_flush_range() calls %u, mappings returned %u",
			   vm->st.flushes, vm->st.returned);
	kunit_info(test,
		   "failed requests: %u in their reservation's allocations, %u with a short reservation (%u in a map step, %u in a remap step); %u short had enough",
		   vm->st.failed_prepare,
		   vm->st.short_map + vm->st.short_remap, vm->st.short_map,
		   vm->st.short_remap, vm->st.short_ok);

	/* The replay must have met what it is for. */
	KUNIT_EXPECT_GT(test, vm->st.step_remap, 0);
	KUNIT_EXPECT_GT(test, vm->st.step_unmap, 0);
	KUNIT_EXPECT_GT(test, vm->st.used[0], 0);
	KUNIT_EXPECT_GT(test, vm->st.used[1], 0);
	KUNIT_EXPECT_GT(test, vm->st.blocks, 0);
	/* Reservations as Panthor's formula or smaller, never more. */
	if (formula)
		KUNIT_EXPECT_EQ(test, vm->st.over_panthor, 0);
	/* Both kinds of failure, and both kinds of step running out. */
	KUNIT_EXPECT_GT(test, vm->st.failed_prepare, 0);
	KUNIT_EXPECT_GT(test, vm->st.short_map, 0);
	KUNIT_EXPECT_GT(test, vm->st.short_remap, 0);
	/*
	 * Panthor's remap step WARNs when its split runs out: the driver's
	 * WARNs, one per such step, are the only ones besides violations.
	 */
	if (vm->panthor)
		vm->t->other_warns = vm->st.short_remap;
	/*
	 * The checks met every protection the requests use: RO and RW, or
	 * Panthor's READONLY, NOEXEC and UNCACHED in their 8 combinations.
	 */
	prots = hweight32(vm->prots_seen);
	KUNIT_EXPECT_EQ_MSG(test, prots, vm->panthor ? 8 : 2,
			    "protections met: %#x, a bit each", vm->prots_seen);
	/*
	 * One flush per step, as the driver's map and unmap do, the step
	 * that failed included.
	 */
	if (vm->panthor) {
		KUNIT_EXPECT_EQ(test, vm->st.flushes, vm->st.step_map +
				vm->st.step_remap + vm->st.step_unmap +
				vm->st.short_map + vm->st.short_remap);
		KUNIT_EXPECT_EQ(test, vm->st.returned,
				vm->st.step_remap + vm->st.step_unmap);
	}

	/* The one report of each reservation that ran short, and no other. */
	KUNIT_EXPECT_EQ(test, iopgtable_test_violations(vm->t),
			vm->st.short_map + vm->st.short_remap);
	iopgtable_test_release(vm->t);
}

static struct kunit_case gv_test_cases[] = {
	KUNIT_CASE_PARAM(gv_replay, gv_gen_params),
	{}
};

static struct kunit_suite gv_test_suite = {
	.name = "iopgtable_gpuvm_replay",
	.test_cases = gv_test_cases,
};

kunit_test_suites(&gv_test_suite);
