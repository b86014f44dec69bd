// SPDX-License-Identifier: GPL-2.0-only

//! iopgtable from Rust: the page-table side of a Tyr VM_BIND.
//!
//! Tyr's `drivers/gpu/drm/tyr/vm.rs` updates its AArch64 stage-1 table from
//! the drm_gpuvm step callbacks: `sm_step_map` maps a buffer's sg-table,
//! `sm_step_unmap` unmaps a whole VA, `sm_step_remap` unmaps the part of a
//! VA that a new request cuts out, keeping what lies before and after. This
//! sample runs the same three steps on `kernel::iopgtable` when it loads,
//! as an asynchronous VM_BIND would: tables reserved when the request is
//! submitted, the steps taking them without allocating, one TLB flush per
//! update over what the unmaps gathered.
//!
//! The 6.12 kernel has no Rust GEM or scatterlist abstraction, so the
//! buffer is an sg-table built here with two DMA segments of 2 MiB; the
//! addresses are never accessed, and nothing walks the table.

use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::bindings;
use kernel::error::to_result;
use kernel::iopgtable::{
    ArmLpaeS1, Callbacks, Config, Gather, PageTable, Prealloc, Prot, Quirks, SgTable,
};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sizes::{SZ_4K, SZ_64K};
use kernel::sync::{Arc, Mutex};

const SZ_1M: usize = 1 << 20;
const SZ_2M: usize = 1 << 21;
const SZ_1G: usize = 1 << 30;

module! {
    type: IopgtableRustSample,
    name: "iopgtable_rust_sample",
    author: "iopgtable authors",
    description: "iopgtable from Rust: map, remap and unmap steps as Tyr takes them",
    license: "GPL",
}

/// The MMU side: counts what a driver would send to the GPU's MMU.
struct Mmu {
    flush_walks: AtomicUsize,
}

impl Callbacks for Mmu {
    fn tlb_flush_walk(&self, _iova: u64, _size: u64, _granule: usize) {
        self.flush_walks.fetch_add(1, Ordering::Relaxed);
    }
}

/// A buffer object's DMA-mapped pages.
struct Buffer {
    raw: bindings::sg_table,
}

impl Buffer {
    /// Two DMA segments of 2 MiB each, at `first` and `second`.
    fn new(first: u64, second: u64) -> Result<KBox<Self>> {
        let mut buf = KBox::new(
            Buffer {
                raw: bindings::sg_table::default(),
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `buf.raw` is an empty table.
        to_result(unsafe { bindings::sg_alloc_table(&mut buf.raw, 2, bindings::GFP_KERNEL) })?;
        for (i, addr) in [first, second].into_iter().enumerate() {
            // SAFETY: The table has two entries, in one array.
            let sg = unsafe { &mut *buf.raw.sgl.add(i) };
            sg.dma_address = addr;
            sg.length = SZ_2M as u32;
            #[cfg(CONFIG_NEED_SG_DMA_LENGTH)]
            {
                sg.dma_length = SZ_2M as u32;
            }
        }
        Ok(buf)
    }

    fn sgt(&mut self) -> &SgTable {
        // SAFETY: The table was filled by `new` and lives as long as `self`.
        unsafe { SgTable::from_raw(&mut self.raw) }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: The table came from `sg_alloc_table()`.
        unsafe { bindings::sg_free_table(&mut self.raw) };
    }
}

/// A GPU VM: the page table and the lock that serialises its updates
/// (Tyr's `gpuvm_unique` mutex, held across the steps of one request).
struct Vm {
    pt: Arc<PageTable<ArmLpaeS1, Mmu>>,
    lock: Pin<KBox<Mutex<()>>>,
}

impl Vm {
    fn new() -> Result<Self> {
        let mut cfg = Config::new(SZ_4K | SZ_2M | SZ_1G, 48, 40);
        cfg.quirks = Quirks::NO_WARN;
        let mmu = Mmu {
            flush_walks: AtomicUsize::new(0),
        };
        Ok(Vm {
            pt: Arc::new(PageTable::new(&cfg, mmu)?, GFP_KERNEL)?,
            lock: KBox::pin_init(new_mutex!(()), GFP_KERNEL)?,
        })
    }

    /// `sm_step_map`: the buffer's pages from `offset`, `len` bytes at `va`,
    /// all or nothing, with tables reserved at submission.
    fn step_map(
        &self,
        va: u64,
        sgt: &SgTable,
        offset: u64,
        len: usize,
        prot: Prot,
        pa: &mut Prealloc<ArmLpaeS1, Mmu>,
    ) -> Result {
        // SAFETY: The caller holds `lock`, so no other update of the VM
        // runs, and drm_gpuvm has unmapped whatever overlapped the range;
        // the buffer outlives its VA (the VA holds a reference to it).
        unsafe { self.pt.map_sgtable_prealloc(va, sgt, offset, len, prot, pa) }
    }

    /// `sm_step_unmap`: the whole VA `[va, va + len)`.
    fn step_unmap(&self, va: u64, len: usize, gather: &mut Gather) -> Result {
        // SAFETY: The caller holds `lock`; `[va, va + len)` is one VA, which
        // was mapped whole, so the range is legal.
        let unmapped = unsafe { self.pt.unmap(va, len, Some(gather)) };
        if unmapped != len {
            pr_err!("unmap {:#x}+{:#x}: {:#x} unmapped\n", va, len, unmapped);
            return Err(EINVAL);
        }
        Ok(())
    }

    /// `sm_step_remap`: what lies between the VA's `prev` and `next` parts
    /// goes; a block crossing either end is split with a reserved table,
    /// with no moment where prev or next are unmapped.
    fn step_remap(
        &self,
        unmap: core::ops::Range<u64>,
        pa: &mut Prealloc<ArmLpaeS1, Mmu>,
        gather: &mut Gather,
    ) -> Result {
        let len = usize::try_from(unmap.end - unmap.start)?;
        // SAFETY: The caller holds `lock` and the GPU's AS lock region over
        // the VA (Tyr's start_vm_update()), so the single-store split is
        // not seen half way.
        let unmapped = unsafe {
            self.pt
                .unmap_split(unmap.start, len, Some(pa), Some(gather))
        };
        if unmapped != len {
            pr_err!(
                "remap {:#x}..{:#x}: {:#x} unmapped\n",
                unmap.start,
                unmap.end,
                unmapped
            );
            return Err(EINVAL);
        }
        Ok(())
    }

    fn translates(&self, va: u64, expect: u64) -> Result {
        let _guard = self.lock.lock();
        // SAFETY: `lock` is held: no update runs.
        let pa = unsafe { self.pt.iova_to_phys(va) };
        if pa != expect {
            pr_err!("{:#x} translates to {:#x}, not {:#x}\n", va, pa, expect);
            return Err(EINVAL);
        }
        Ok(())
    }
}

struct IopgtableRustSample;

fn run() -> Result {
    let vm = Vm::new()?;
    let (seg0, seg1) = (0x8000_0000u64, 0x9000_0000u64);
    let mut bo = Buffer::new(seg0, seg1)?;
    let va = 0x100_0000u64;
    let size = 2 * SZ_2M;
    let prot = Prot::READ | Prot::WRITE | Prot::CACHE;

    // VM_BIND map, submission (may sleep): reserve for the request.
    let mut pa = Prealloc::new(vm.pt.clone());
    pa.reserve_map_sgtable(va, bo.sgt(), 0, size as u64, GFP_KERNEL)?;
    // The job: one step, no allocation.
    {
        let _guard = vm.lock.lock();
        vm.step_map(va, bo.sgt(), 0, size, prot, &mut pa)?;
    }
    drop(pa);
    vm.translates(va + 0x1234, seg0 + 0x1234)?;
    vm.translates(va + SZ_2M as u64, seg1)?;

    // VM_BIND unmap of [va + 1M, va + 1M + 64K): drm_gpuvm asks for a remap
    // of the VA, keeping prev = [va, va + 1M) and next = the rest.
    let hole = va + SZ_1M as u64..va + (SZ_1M + SZ_64K) as u64;
    let mut pa = Prealloc::new(vm.pt.clone());
    pa.reserve_unmap(hole.start, hole.end - hole.start, GFP_KERNEL)?;
    let mut gather = Gather::new();
    {
        let _guard = vm.lock.lock();
        vm.step_remap(hole.clone(), &mut pa, &mut gather)?;
    }
    drop(pa);
    vm.translates(hole.start - SZ_4K as u64, seg0 + (SZ_1M - SZ_4K) as u64)?;
    vm.translates(hole.start, 0)?;
    vm.translates(hole.end, seg0 + (SZ_1M + SZ_64K) as u64)?;

    // VM_BIND unmap of everything: one unmap step per VA, prev and next.
    {
        let _guard = vm.lock.lock();
        vm.step_unmap(va, SZ_1M, &mut gather)?;
        vm.step_unmap(
            hole.end,
            (va + size as u64 - hole.end) as usize,
            &mut gather,
        )?;
    }
    vm.translates(va + SZ_2M as u64, 0)?;
    // One flush over what the update removed (Tyr's flush_vm()).
    pr_info!(
        "map, remap and unmap steps ok: flush {:#x}..={:#x}, {} walk flushes\n",
        gather.start(),
        gather.end(),
        vm.pt.callbacks().flush_walks.load(Ordering::Relaxed)
    );
    Ok(())
}

impl kernel::Module for IopgtableRustSample {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        run().inspect_err(|e| pr_err!("failed: {:?}\n", e))?;
        Ok(IopgtableRustSample)
    }
}
