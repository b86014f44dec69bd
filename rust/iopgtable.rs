// SPDX-License-Identifier: GPL-2.0-only

//! Page tables for GPU MMUs that walk the ARM LPAE formats (iopgtable).
//!
//! C header: [`include/linux/iopgtable.h`](srctree/include/linux/iopgtable.h)
//!
//! A [`PageTable`] is built from a [`Config`] for one [`Format`]
//! ([`ArmLpaeS1`] for Panthor and Tyr, [`ArmMaliLpae`] for Midgard GPUs) and
//! freed when dropped. The everyday calls are all or nothing:
//! [`PageTable::map`] and [`PageTable::map_sgtable`] either map the whole
//! range or leave the table as it was. The raw [`PageTable::map_pages`]
//! returns a [`MapOutcome`] that carries both the bytes mapped and the
//! error, so a failure after a mapped prefix cannot be taken for a failure
//! that mapped nothing.
//!
//! Updates that run where nothing may allocate (the dma-fence signalling
//! path of an asynchronous VM_BIND) take their tables from a [`Prealloc`],
//! filled beforehand in process context and released when dropped.
//!
//! The library does not serialise calls on one table: calls on disjoint
//! ranges may run concurrently, calls on overlapping ranges are the
//! caller's to serialise. That obligation, and that the physical pages
//! outlive their mapping, are why the calls that change or read the table
//! are `unsafe`; and since the hardware must no longer walk a table that
//! is freed, so are the two that hand its address to the hardware
//! ([`PageTable::ttbr`], [`PageTable::transtab`]).

use crate::{
    alloc::{Flags, KBox},
    bindings,
    device::Device,
    error::{code::*, from_err_ptr, to_result, Error, Result},
    sync::Arc,
    types::{ARef, Opaque},
};
use core::{ffi::c_void, marker::PhantomData, ops::BitOr, ptr::NonNull};

/// A physical address, as the C side takes it.
pub type PhysAddr = bindings::phys_addr_t;

/// Protection flags of a mapping.
///
/// The values equal the kernel's `IOMMU_*` flags.
///
/// # Examples
///
/// ```
/// use kernel::iopgtable::Prot;
///
/// let rw = Prot::READ | Prot::WRITE;
/// assert_eq!(rw.as_raw(), 3);
/// assert!(rw.contains(Prot::WRITE));
/// assert!(!rw.contains(Prot::NOEXEC));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Prot(i32);

impl Prot {
    /// Readable.
    pub const READ: Prot = Prot(bindings::IOPGTABLE_READ);
    /// Writable.
    pub const WRITE: Prot = Prot(bindings::IOPGTABLE_WRITE);
    /// Cacheable (inner and outer write-back).
    pub const CACHE: Prot = Prot(bindings::IOPGTABLE_CACHE);
    /// Not executable.
    pub const NOEXEC: Prot = Prot(bindings::IOPGTABLE_NOEXEC);
    /// Device memory.
    pub const MMIO: Prot = Prot(bindings::IOPGTABLE_MMIO);
    /// Privileged accesses only.
    pub const PRIVILEGED: Prot = Prot(bindings::IOPGTABLE_PRIVILEGED);

    /// The C value.
    pub fn as_raw(self) -> i32 {
        self.0
    }

    /// Whether every flag of `other` is set in `self`.
    pub fn contains(self, other: Prot) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Prot {
    type Output = Prot;

    fn bitor(self, rhs: Prot) -> Prot {
        Prot(self.0 | rhs.0)
    }
}

/// Quirks of a page table, each the value of the kernel's
/// `IO_PGTABLE_QUIRK_*` of the same meaning.
///
/// A quirk the format does not take makes [`PageTable::new`] fail with
/// `EINVAL`.
///
/// # Examples
///
/// ```
/// use kernel::iopgtable::Quirks;
///
/// let q = Quirks::NO_WARN | Quirks::ARM_TTBR1;
/// assert_eq!(q.as_raw(), (1 << 9) | (1 << 5));
/// assert_eq!(Quirks::NONE.as_raw(), 0);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Quirks(usize);

impl Quirks {
    /// No quirk.
    pub const NONE: Quirks = Quirks(0);
    /// NS in leaf entries, NSTABLE in table entries (AArch64 stage 1).
    pub const ARM_NS: Quirks = Quirks(bindings::IOPGTABLE_QUIRK_ARM_NS);
    /// Translate the top of the address space through TTBR1 (AArch64 stage 1).
    pub const ARM_TTBR1: Quirks = Quirks(bindings::IOPGTABLE_QUIRK_ARM_TTBR1);
    /// Outer write-back write-allocate for a non-coherent walker (AArch64
    /// stage 1).
    pub const ARM_OUTER_WBWA: Quirks = Quirks(bindings::IOPGTABLE_QUIRK_ARM_OUTER_WBWA);
    /// Report `EEXIST` and unmap violations by return value only, no WARN.
    pub const NO_WARN: Quirks = Quirks(bindings::IOPGTABLE_QUIRK_NO_WARN);

    /// The C value.
    pub fn as_raw(self) -> usize {
        self.0
    }
}

impl BitOr for Quirks {
    type Output = Quirks;

    fn bitor(self, rhs: Quirks) -> Quirks {
        Quirks(self.0 | rhs.0)
    }
}

mod private {
    pub trait Sealed {}
}

/// A page-table format.
///
/// Implemented by [`ArmLpaeS1`] and [`ArmMaliLpae`] only.
pub trait Format: private::Sealed + Send + Sync + 'static {
    /// The C format.
    const FMT: bindings::iopgtable_fmt;
}

/// The AArch64 VMSAv8-64 stage-1 format (Panthor, Tyr): granules 4K, 16K
/// and 64K; ias and oas up to 48 bits.
///
/// Its register values are [`PageTable::ttbr`], [`PageTable::tcr`] and
/// [`PageTable::mair`].
pub struct ArmLpaeS1;

/// The Mali LPAE format of Midgard GPUs (Panfrost): 4K, 2M and 1G; ias up
/// to 48, oas up to 40 bits.
///
/// Its register values are [`PageTable::transtab`] and
/// [`PageTable::memattr`].
pub struct ArmMaliLpae;

impl private::Sealed for ArmLpaeS1 {}
impl private::Sealed for ArmMaliLpae {}

impl Format for ArmLpaeS1 {
    const FMT: bindings::iopgtable_fmt = bindings::iopgtable_fmt_IOPGTABLE_ARM_64_LPAE_S1;
}

impl Format for ArmMaliLpae {
    const FMT: bindings::iopgtable_fmt = bindings::iopgtable_fmt_IOPGTABLE_ARM_MALI_LPAE;
}

/// What a page table is built from.
///
/// # Examples
///
/// ```
/// use kernel::iopgtable::{Config, Quirks};
/// use kernel::sizes::SZ_4K;
/// const SZ_2M: usize = 1 << 21;
///
/// let cfg = Config::new(SZ_4K | SZ_2M, 48, 40);
/// assert!(cfg.coherent_walk);
/// assert_eq!(cfg.quirks, Quirks::NONE);
/// ```
pub struct Config {
    /// `IOPGTABLE_QUIRK_*` flags.
    pub quirks: Quirks,
    /// The page sizes wanted; [`PageTable::pgsize_bitmap`] says which were
    /// given.
    pub pgsize_bitmap: usize,
    /// Input (IOVA) address bits, 32 to 48.
    pub ias: u32,
    /// Output (physical) address bits.
    pub oas: u32,
    /// The walker snoops the CPU caches. When false, every table write is
    /// made visible through the DMA API on [`Config::dev`].
    pub coherent_walk: bool,
    /// Split blocks break-before-make in [`PageTable::unmap_split`]; needs
    /// [`Callbacks::tlb_flush_walk`] to invalidate the block's span.
    pub split_bbm: bool,
    /// The device that walks the tables; required when `coherent_walk` is
    /// false.
    pub dev: Option<ARef<Device>>,
}

impl Config {
    /// A configuration for a coherent walker, no quirk, no device.
    pub fn new(pgsize_bitmap: usize, ias: u32, oas: u32) -> Self {
        Config {
            quirks: Quirks::NONE,
            pgsize_bitmap,
            ias,
            oas,
            coherent_walk: true,
            split_bbm: false,
            dev: None,
        }
    }
}

/// The callbacks a page table makes: TLB maintenance, and optionally a say
/// in every table allocation.
///
/// Every method has a default that does nothing, so `()` is the
/// implementation of a table that needs none.
///
/// # Examples
///
/// A table allocator that fails the `n`th table, as the C suites use for
/// fault injection:
///
/// ```
/// use core::sync::atomic::{AtomicUsize, Ordering};
/// use kernel::iopgtable::Callbacks;
/// use kernel::prelude::*;
///
/// struct FailNth {
///     n: usize,
///     calls: AtomicUsize,
/// }
///
/// impl Callbacks for FailNth {
///     const TABLE_HOOKS: bool = true;
///
///     fn table_alloc(&self, _size: usize) -> Result {
///         if self.calls.fetch_add(1, Ordering::Relaxed) + 1 == self.n {
///             return Err(ENOMEM);
///         }
///         Ok(())
///     }
/// }
///
/// let f = FailNth { n: 2, calls: AtomicUsize::new(0) };
/// assert!(f.table_alloc(4096).is_ok());
/// assert!(f.table_alloc(4096).is_err());
/// assert!(f.table_alloc(4096).is_ok());
/// ```
pub trait Callbacks: Send + Sync + Sized + 'static {
    /// Whether [`Callbacks::table_alloc`] and [`Callbacks::table_free`] are
    /// called: the table then takes its tables from `kmalloc()` after
    /// asking `table_alloc`, instead of from the library's allocator.
    const TABLE_HOOKS: bool = false;

    /// Invalidate everything the table may have cached; called before the
    /// table is freed.
    fn tlb_flush_all(&self) {}

    /// Invalidate walk caches and leaves for `[iova, iova + size)`; called
    /// before a table covering that span is freed, and once by the range
    /// helpers over what they undo on failure.
    fn tlb_flush_walk(&self, _iova: u64, _size: u64, _granule: usize) {}

    /// Queue the invalidation of one leaf of `granule` bytes at `iova`, for
    /// an unmap given a [`Gather`].
    fn tlb_add_page(&self, _iova: u64, _granule: usize) {}

    /// Called before a table of `size` bytes is allocated, when
    /// [`Callbacks::TABLE_HOOKS`] is set; an error fails the allocation
    /// (the call that wanted it sees `ENOMEM`).
    fn table_alloc(&self, _size: usize) -> Result {
        Ok(())
    }

    /// Called when a table of `size` bytes is freed, when
    /// [`Callbacks::TABLE_HOOKS`] is set.
    fn table_free(&self, _size: usize) {}
}

impl Callbacks for () {}

struct Adapter<T>(PhantomData<T>);

impl<T: Callbacks> Adapter<T> {
    const TLB: bindings::iopgtable_flush_ops = bindings::iopgtable_flush_ops {
        tlb_flush_all: Some(Self::tlb_flush_all),
        tlb_flush_walk: Some(Self::tlb_flush_walk),
        tlb_add_page: Some(Self::tlb_add_page),
    };

    /// # Safety
    ///
    /// `cookie` is the cookie of a live [`PageTable`] with callbacks `T`.
    unsafe fn callbacks<'a>(cookie: *mut c_void) -> &'a T {
        // SAFETY: The cookie is the pointer of the `KBox<T>` the page table
        // owns, alive as long as the table, per the function's safety
        // requirements.
        unsafe { &*cookie.cast::<T>() }
    }

    /// # Safety
    ///
    /// Called by the library only, with the cookie of a live table.
    unsafe extern "C" fn tlb_flush_all(cookie: *mut c_void) {
        // SAFETY: The library passes back the cookie of the table.
        unsafe { Self::callbacks(cookie) }.tlb_flush_all();
    }

    /// # Safety
    ///
    /// Called by the library only, with the cookie of a live table.
    unsafe extern "C" fn tlb_flush_walk(iova: u64, size: u64, granule: usize, cookie: *mut c_void) {
        // SAFETY: The library passes back the cookie of the table.
        unsafe { Self::callbacks(cookie) }.tlb_flush_walk(iova, size, granule);
    }

    /// # Safety
    ///
    /// Called by the library only, with the cookie of a live table.
    unsafe extern "C" fn tlb_add_page(
        _gather: *mut bindings::iopgtable_gather,
        iova: u64,
        granule: usize,
        cookie: *mut c_void,
    ) {
        // SAFETY: The library passes back the cookie of the table.
        unsafe { Self::callbacks(cookie) }.tlb_add_page(iova, granule);
    }

    /// # Safety
    ///
    /// Called by the library only, with the cookie of a live table.
    unsafe extern "C" fn alloc(
        cookie: *mut c_void,
        size: usize,
        gfp: bindings::gfp_t,
    ) -> *mut c_void {
        // SAFETY: The library passes back the cookie of the table.
        if unsafe { Self::callbacks(cookie) }
            .table_alloc(size)
            .is_err()
        {
            return core::ptr::null_mut();
        }
        // SAFETY: `krealloc` of NULL allocates. Tables are powers of two in
        // size, and `kmalloc()` aligns those to their size, as the
        // allocator hook must.
        unsafe { bindings::krealloc_noprof(core::ptr::null(), size, gfp | bindings::__GFP_ZERO) }
    }

    /// # Safety
    ///
    /// Called by the library only, with the cookie of a live table and a
    /// table that [`Adapter::alloc`] returned.
    unsafe extern "C" fn free(cookie: *mut c_void, pages: *mut c_void, size: usize) {
        // SAFETY: `pages` came from `alloc` above, that is from `krealloc`.
        unsafe { bindings::kfree(pages) };
        // SAFETY: The library passes back the cookie of the table.
        unsafe { Self::callbacks(cookie) }.table_free(size);
    }
}

/// What one call of [`PageTable::map_pages`] did: the bytes it mapped from
/// `iova` on, and the error if it failed.
///
/// A failure may come after a mapped prefix, `[iova, iova + mapped)`, that
/// the caller now owns: [`MapOutcome::FailedAfterPrefix`] is a variant of
/// its own, and [`MapOutcome::into_result`] turns every failure into a
/// [`MapError`] that carries the length, which does not convert into an
/// [`Error`] by `?`.
///
/// # Examples
///
/// The four outcomes of the contract, from what the C call returned:
///
/// ```
/// use kernel::iopgtable::MapOutcome;
/// use kernel::prelude::*;
///
/// let all = MapOutcome::from_parts(Ok(()), 0x4000, 0x4000);
/// assert!(matches!(all, MapOutcome::Complete(0x4000)));
///
/// let progress = MapOutcome::from_parts(Ok(()), 0x1000, 0x4000);
/// assert!(matches!(progress, MapOutcome::Partial(0x1000)));
/// assert_eq!(progress.into_result().ok(), Some(0x1000));
///
/// let prefix = MapOutcome::from_parts(Err(ENOMEM), 0x2000, 0x4000);
/// assert_eq!(prefix.mapped(), 0x2000);
/// assert_eq!(prefix.error(), Some(ENOMEM));
/// let err = prefix.into_result().unwrap_err();
/// assert_eq!((err.mapped(), err.error()), (0x2000, ENOMEM));
///
/// let none = MapOutcome::from_parts(Err(EINVAL), 0, 0x4000);
/// assert!(matches!(none, MapOutcome::Failed(e) if e == EINVAL));
///
/// // No progress and no error is not an outcome: it is reported as one.
/// let never = MapOutcome::from_parts(Ok(()), 0, 0x4000);
/// assert_eq!((never.mapped(), never.error()), (0, Some(EIO)));
/// ```
#[must_use = "the call may have mapped a prefix that the caller owns"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapOutcome {
    /// Everything asked was mapped; the length.
    Complete(usize),
    /// Progress without an error: the length mapped; call again for the
    /// rest.
    Partial(usize),
    /// Failed after mapping `[iova, iova + mapped)`, which the caller owns;
    /// the rest translates as before the call.
    FailedAfterPrefix {
        /// The bytes mapped from `iova` on.
        mapped: usize,
        /// Why the rest was not mapped.
        error: Error,
    },
    /// Failed, and nothing changed.
    Failed(Error),
}

impl MapOutcome {
    /// The outcome of a call asked to map `requested` bytes that returned
    /// `result` after mapping `mapped` bytes.
    ///
    /// The contract forbids no progress without an error; should it
    /// happen, it is reported as a failure with `EIO`, so that a caller's
    /// loop cannot spin.
    pub fn from_parts(result: Result, mapped: usize, requested: usize) -> Self {
        match result {
            Ok(()) if mapped == 0 => MapOutcome::Failed(EIO),
            Ok(()) if mapped >= requested => MapOutcome::Complete(mapped),
            Ok(()) => MapOutcome::Partial(mapped),
            Err(error) if mapped > 0 => MapOutcome::FailedAfterPrefix { mapped, error },
            Err(error) => MapOutcome::Failed(error),
        }
    }

    /// The bytes mapped from `iova` on, whether or not the call failed.
    pub fn mapped(&self) -> usize {
        match *self {
            MapOutcome::Complete(n) | MapOutcome::Partial(n) => n,
            MapOutcome::FailedAfterPrefix { mapped, .. } => mapped,
            MapOutcome::Failed(_) => 0,
        }
    }

    /// The error, if the call failed.
    pub fn error(&self) -> Option<Error> {
        match *self {
            MapOutcome::Complete(_) | MapOutcome::Partial(_) => None,
            MapOutcome::FailedAfterPrefix { error, .. } | MapOutcome::Failed(error) => Some(error),
        }
    }

    /// The bytes mapped, or a [`MapError`] with the bytes mapped before the
    /// failure (0 when nothing changed).
    pub fn into_result(self) -> core::result::Result<usize, MapError> {
        match self.error() {
            None => Ok(self.mapped()),
            Some(error) => Err(MapError {
                mapped: self.mapped(),
                error,
            }),
        }
    }
}

/// A failed [`PageTable::map_pages`]: the error and the prefix it mapped.
///
/// It has no conversion into [`Error`]: a caller that passes the error on
/// reads [`MapError::error`] and has seen [`MapError::mapped`] on the way.
#[must_use = "the call may have mapped a prefix that the caller owns"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapError {
    mapped: usize,
    error: Error,
}

impl MapError {
    /// The bytes mapped from `iova` on before the failure; the caller owns
    /// them (unmaps them, or keeps them).
    pub fn mapped(&self) -> usize {
        self.mapped
    }

    /// Why the call stopped.
    pub fn error(&self) -> Error {
        self.error
    }
}

/// What unmap calls removed, for one deferred invalidation.
///
/// # Examples
///
/// ```
/// use kernel::iopgtable::Gather;
///
/// let g = Gather::new();
/// assert!(g.is_empty());
/// ```
#[repr(transparent)]
pub struct Gather(bindings::iopgtable_gather);

impl Gather {
    /// An empty gather (`iopgtable_gather_init()`).
    pub fn new() -> Self {
        Gather(bindings::iopgtable_gather {
            start: u64::MAX,
            end: 0,
            pgsize: 0,
        })
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.0.start > self.0.end
    }

    /// The lowest IOVA unmapped.
    pub fn start(&self) -> u64 {
        self.0.start
    }

    /// The last byte of the highest range unmapped (inclusive).
    pub fn end(&self) -> u64 {
        self.0.end
    }

    /// The largest page size the unmap calls were given.
    pub fn pgsize(&self) -> usize {
        self.0.pgsize
    }

    fn as_raw(gather: Option<&mut Gather>) -> *mut bindings::iopgtable_gather {
        match gather {
            Some(g) => &mut g.0,
            None => core::ptr::null_mut(),
        }
    }
}

impl Default for Gather {
    fn default() -> Self {
        Self::new()
    }
}

/// The raw entries read on the way to one IOVA, root first.
pub struct Walk(bindings::iopgtable_walk);

impl Walk {
    /// The level of the first entry, the root's.
    pub fn start_level(&self) -> u32 {
        self.0.start_level
    }

    /// The entries, root first; the last is a leaf or an invalid entry.
    pub fn entries(&self) -> &[u64] {
        let nr = (self.0.nr as usize).min(self.0.ptes.len());
        &self.0.ptes[..nr]
    }
}

/// A DMA-mapped scatter-gather table (`struct sg_table`).
///
/// # Examples
///
/// Two DMA segments, 64K and 2M, mapped whole, then mapped again from a
/// reservation:
///
/// ```
/// use kernel::bindings;
/// use kernel::error::to_result;
/// use kernel::iopgtable::{ArmLpaeS1, Config, PageTable, Prealloc, Prot, SgTable};
/// use kernel::prelude::*;
/// use kernel::sizes::{SZ_4K, SZ_64K};
/// const SZ_1G: usize = 1 << 30;
/// const SZ_2M: usize = 1 << 21;
/// use kernel::sync::Arc;
///
/// let mut raw = bindings::sg_table::default();
/// // SAFETY: `raw` is a valid, empty table.
/// to_result(unsafe { bindings::sg_alloc_table(&mut raw, 2, bindings::GFP_KERNEL) })?;
/// for (i, (addr, len)) in [(0x10_0000u64, SZ_64K), (0x4000_0000, SZ_2M)].into_iter().enumerate() {
///     // SAFETY: The table has two entries, in one array.
///     let sg = unsafe { &mut *raw.sgl.add(i) };
///     sg.dma_address = addr;
///     sg.length = len as u32;
///     #[cfg(CONFIG_NEED_SG_DMA_LENGTH)]
///     {
///         sg.dma_length = len as u32;
///     }
/// }
/// // SAFETY: `raw` is valid, has its DMA addresses and lives until freed
/// // below, after the last use.
/// let sgt = unsafe { SgTable::from_raw(&mut raw) };
///
/// let pt = Arc::new(PageTable::<ArmLpaeS1>::new(&Config::new(SZ_4K | SZ_2M, 48, 40), ())?, GFP_KERNEL)?;
/// let size = SZ_64K + SZ_2M;
/// let iova = (SZ_2M - SZ_64K) as u64;
/// // SAFETY: The table is this test's alone; nothing walks it.
/// unsafe { pt.map_sgtable(iova, sgt, 0, size, Prot::READ, GFP_KERNEL)? };
/// // SAFETY: As above.
/// unsafe {
///     assert_eq!(pt.iova_to_phys(iova), 0x10_0000);
///     assert_eq!(pt.iova_to_phys(SZ_2M as u64 + 0x1234), 0x4000_1234);
/// }
///
/// let base = SZ_1G as u64 + iova;
/// let mut pa = Prealloc::new(pt.clone());
/// pa.reserve_map_sgtable(base, sgt, 0, size as u64, GFP_KERNEL)?;
/// // SAFETY: As above.
/// unsafe { pt.map_sgtable_prealloc(base, sgt, 0, size, Prot::READ, &mut pa)? };
/// // SAFETY: As above.
/// assert_eq!(unsafe { pt.iova_to_phys(base + SZ_64K as u64) }, 0x4000_0000);
/// // SAFETY: As above.
/// assert_eq!(unsafe { pt.unmap(iova, size, None) }, size);
/// drop(pa);
/// // SAFETY: `raw` came from `sg_alloc_table()` and `sgt` is no longer used.
/// unsafe { bindings::sg_free_table(&mut raw) };
/// # Ok::<(), Error>(())
/// ```
#[repr(transparent)]
pub struct SgTable(Opaque<bindings::sg_table>);

impl SgTable {
    /// Borrows a C scatter-gather table.
    ///
    /// # Safety
    ///
    /// `ptr` points at a valid `struct sg_table` whose DMA addresses are
    /// those of the device that walks the page table, and it stays valid
    /// and unchanged for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::sg_table) -> &'a Self {
        // SAFETY: `SgTable` is a transparent wrapper of `sg_table`, and the
        // pointer is valid for `'a` per the safety requirements.
        unsafe { &*ptr.cast() }
    }

    /// The C table.
    pub fn as_raw(&self) -> *mut bindings::sg_table {
        self.0.get()
    }
}

/// A page table of format `F` with callbacks `T`.
///
/// Freed, after [`Callbacks::tlb_flush_all`], when dropped.
///
/// # Invariants
///
/// `ops` is what `iopgtable_alloc_ops()` returned for `cfg` and the cookie
/// `callbacks`, and is freed only by `drop`.
///
/// # Examples
///
/// Map 4 MiB all or nothing, translate, unmap:
///
/// ```
/// use kernel::iopgtable::{ArmLpaeS1, Config, PageTable, Prot};
/// use kernel::prelude::*;
/// use kernel::sizes::SZ_4K;
/// const SZ_1G: usize = 1 << 30;
/// const SZ_2M: usize = 1 << 21;
/// const SZ_4M: usize = 1 << 22;
///
/// let pt = PageTable::<ArmLpaeS1>::new(&Config::new(SZ_4K | SZ_2M | SZ_1G, 48, 40), ())?;
/// assert_eq!(pt.pgsize_bitmap(), SZ_4K | SZ_2M | SZ_1G);
/// // SAFETY: The table is this function's alone and the physical range is
/// // never accessed: the walker is not running.
/// unsafe { pt.map(0x80_0000, 0x4000_0000, SZ_4M, Prot::READ | Prot::WRITE, GFP_KERNEL)? };
/// // SAFETY: No call runs concurrently.
/// assert_eq!(unsafe { pt.iova_to_phys(0x80_1234) }, 0x4000_1234);
/// // SAFETY: No call runs concurrently.
/// assert_eq!(unsafe { pt.unmap(0x80_0000, SZ_4M, None) }, SZ_4M);
/// // SAFETY: No call runs concurrently.
/// assert_eq!(unsafe { pt.iova_to_phys(0x80_1234) }, 0);
/// # Ok::<(), Error>(())
/// ```
pub struct PageTable<F: Format, T: Callbacks = ()> {
    ops: NonNull<bindings::iopgtable_ops>,
    cfg: bindings::iopgtable_cfg,
    _callbacks: KBox<T>,
    _dev: Option<ARef<Device>>,
    _format: PhantomData<F>,
}

// SAFETY: The library takes no thread-local state; the callbacks are `Send`.
unsafe impl<F: Format, T: Callbacks> Send for PageTable<F, T> {}

// SAFETY: The library takes calls on one table from any thread at once; the
// calls whose concurrency it restricts are `unsafe`, and the callbacks are
// `Sync`.
unsafe impl<F: Format, T: Callbacks> Sync for PageTable<F, T> {}

impl<F: Format, T: Callbacks> PageTable<F, T> {
    /// Builds an empty page table (`iopgtable_alloc_ops()`).
    ///
    /// Fails with `EINVAL` for an ias or oas the format cannot hold, page
    /// sizes with no supported granule, a quirk the format does not take,
    /// a non-coherent walker without a device; with `ENOMEM` when memory runs
    /// out.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::iopgtable::{ArmLpaeS1, ArmMaliLpae, Config, PageTable, Quirks};
    /// use kernel::prelude::*;
    /// use kernel::sizes::SZ_4K;
    /// const SZ_2M: usize = 1 << 21;
    ///
    /// let mut cfg = Config::new(SZ_4K | SZ_2M, 48, 40);
    /// cfg.quirks = Quirks::ARM_TTBR1;
    /// assert!(PageTable::<ArmMaliLpae>::new(&cfg, ()).err() == Some(EINVAL));
    /// assert!(PageTable::<ArmLpaeS1>::new(&Config::new(SZ_4K, 49, 40), ()).is_err());
    /// let mut cfg = Config::new(SZ_4K, 48, 40);
    /// cfg.coherent_walk = false;
    /// assert!(PageTable::<ArmLpaeS1>::new(&cfg, ()).err() == Some(EINVAL));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(config: &Config, callbacks: T) -> Result<Self> {
        let callbacks = KBox::new(callbacks, crate::alloc::flags::GFP_KERNEL)?;
        let mut cfg = bindings::iopgtable_cfg {
            quirks: config.quirks.0,
            pgsize_bitmap: config.pgsize_bitmap,
            ias: config.ias,
            oas: config.oas,
            coherent_walk: config.coherent_walk,
            split_bbm: config.split_bbm,
            tlb: &Adapter::<T>::TLB,
            iommu_dev: config
                .dev
                .as_ref()
                .map_or(core::ptr::null_mut(), |d| d.as_raw()),
            ..Default::default()
        };
        if T::TABLE_HOOKS {
            cfg.alloc = Some(Adapter::<T>::alloc);
            cfg.free = Some(Adapter::<T>::free);
        }
        let cookie: *const T = &*callbacks;
        // SAFETY: `cfg` is valid and copied by the call; the cookie and the
        // vtable outlive the table (the box is freed after it, the vtable
        // is static).
        let ops = from_err_ptr(unsafe {
            bindings::iopgtable_alloc_ops(F::FMT, &mut cfg, cookie as *mut c_void)
        })?;
        let ops = NonNull::new(ops).ok_or(ENOMEM)?;
        Ok(PageTable {
            ops,
            cfg,
            _callbacks: callbacks,
            _dev: config.dev.clone(),
            _format: PhantomData,
        })
    }

    fn ops(&self) -> *mut bindings::iopgtable_ops {
        self.ops.as_ptr()
    }

    /// The page sizes the table provides.
    pub fn pgsize_bitmap(&self) -> usize {
        self.cfg.pgsize_bitmap
    }

    /// Input address bits.
    pub fn ias(&self) -> u32 {
        self.cfg.ias
    }

    /// Output address bits.
    pub fn oas(&self) -> u32 {
        self.cfg.oas
    }

    /// Maps `pgcount` pages of `pgsize` bytes at `iova` to `paddr`, in one
    /// call of `ops->map_pages`.
    ///
    /// The outcome says how much was mapped and why it stopped; after a
    /// failure the prefix is mapped and the rest translates as before. Bad
    /// arguments fail with nothing changed: `EINVAL` (zero pages, a page
    /// size not provided, misaligned addresses, `prot` with neither read
    /// nor write) or `ERANGE` (past the address sizes).
    ///
    /// # Safety
    ///
    /// - No call whose range overlaps `[iova, iova + pgsize * pgcount)`
    ///   runs concurrently on this table: the range is the caller's to
    ///   serialise.
    /// - The physical pages outlive the mapping: they stay allocated to
    ///   the caller until it is unmapped and the TLBs invalidated.
    ///
    /// # Examples
    ///
    /// The outcomes from the library, with a table allocator that fails the
    /// `n`th table:
    ///
    /// ```
    /// use core::sync::atomic::{AtomicUsize, Ordering};
    /// use kernel::iopgtable::{ArmLpaeS1, Callbacks, Config, MapOutcome, PageTable, Prot};
    /// use kernel::prelude::*;
    /// use kernel::sizes::SZ_4K;
    /// const SZ_1G: usize = 1 << 30;
    /// const SZ_2M: usize = 1 << 21;
    ///
    /// struct FailNth(AtomicUsize);
    /// impl Callbacks for FailNth {
    ///     const TABLE_HOOKS: bool = true;
    ///     fn table_alloc(&self, _size: usize) -> Result {
    ///         // Fails when the count reaches 1; 0 means never.
    ///         match self.0.fetch_sub(1, Ordering::Relaxed) {
    ///             1 => Err(ENOMEM),
    ///             0 => {
    ///                 self.0.store(0, Ordering::Relaxed);
    ///                 Ok(())
    ///             }
    ///             _ => Ok(()),
    ///         }
    ///     }
    /// }
    ///
    /// let cfg = Config::new(SZ_4K | SZ_2M | SZ_1G, 48, 40);
    /// let rw = Prot::READ | Prot::WRITE;
    /// // 4 pages before a 2M boundary, 4 after: two leaf tables.
    /// let iova = (SZ_1G - 4 * SZ_4K) as u64;
    ///
    /// // All mapped, across the boundary. Tables: root, level 1, two
    /// // level 2, two leaf tables.
    /// let pt = PageTable::<ArmLpaeS1, _>::new(&cfg, FailNth(AtomicUsize::new(0)))?;
    /// // SAFETY: The table is this test's alone; nothing walks it.
    /// let out = unsafe { pt.map_pages(iova, 0x1000_0000, SZ_4K, 8, rw, GFP_KERNEL) };
    /// assert_eq!(out, MapOutcome::Complete(8 * SZ_4K));
    ///
    /// // The second leaf table cannot be had (the 6th table): the first 4
    /// // pages are mapped, and the caller owns them.
    /// let pt = PageTable::<ArmLpaeS1, _>::new(&cfg, FailNth(AtomicUsize::new(6)))?;
    /// // SAFETY: As above.
    /// let out = unsafe { pt.map_pages(iova, 0x1000_0000, SZ_4K, 8, rw, GFP_KERNEL) };
    /// assert_eq!(out, MapOutcome::FailedAfterPrefix { mapped: 4 * SZ_4K, error: ENOMEM });
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.iova_to_phys(iova + 3 * SZ_4K as u64) }, 0x1000_3000);
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.iova_to_phys(iova + 4 * SZ_4K as u64) }, 0);
    /// let err = out.into_result().unwrap_err();
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.unmap(iova, err.mapped(), None) }, 4 * SZ_4K);
    ///
    /// // The first table below the root (the 2nd) cannot be had: nothing
    /// // changed.
    /// let pt = PageTable::<ArmLpaeS1, _>::new(&cfg, FailNth(AtomicUsize::new(2)))?;
    /// // SAFETY: As above.
    /// let out = unsafe { pt.map_pages(iova, 0x1000_0000, SZ_4K, 8, rw, GFP_KERNEL) };
    /// assert_eq!(out, MapOutcome::Failed(ENOMEM));
    ///
    /// // Bad input is an error, never a panic.
    /// // SAFETY: As above.
    /// let out = unsafe { pt.map_pages(iova + 1, 0x1000_0000, SZ_4K, 8, rw, GFP_KERNEL) };
    /// assert_eq!(out, MapOutcome::Failed(EINVAL));
    /// // SAFETY: As above.
    /// let out = unsafe { pt.map_pages(1 << 48, 0, SZ_4K, 1, rw, GFP_KERNEL) };
    /// assert_eq!(out, MapOutcome::Failed(ERANGE));
    /// # Ok::<(), Error>(())
    /// ```
    pub unsafe fn map_pages(
        &self,
        iova: u64,
        paddr: PhysAddr,
        pgsize: usize,
        pgcount: usize,
        prot: Prot,
        flags: Flags,
    ) -> MapOutcome {
        let map_pages = match self.raw_ops().map_pages {
            Some(f) => f,
            None => return MapOutcome::Failed(EINVAL),
        };
        let mut mapped = 0usize;
        // SAFETY: `ops` is valid by the type invariants, `mapped` is a local;
        // the caller keeps the range serialised and the pages alive.
        let ret = unsafe {
            map_pages(
                self.ops(),
                iova,
                paddr,
                pgsize,
                pgcount,
                prot.0,
                flags.as_raw(),
                &mut mapped,
            )
        };
        MapOutcome::from_parts(to_result(ret), mapped, pgsize.saturating_mul(pgcount))
    }

    fn raw_ops(&self) -> &bindings::iopgtable_ops {
        // SAFETY: `ops` is valid by the type invariants and its function
        // pointers are never changed.
        unsafe { self.ops.as_ref() }
    }

    /// Maps `size` bytes at `iova` to `paddr`, all or nothing
    /// (`iopgtable_map()`): the page sizes are chosen for each step and, on
    /// failure, what was mapped is unmapped again, after
    /// [`Callbacks::tlb_flush_walk`] over it.
    ///
    /// Errors as [`PageTable::map_pages`], and `EINVAL` for a `size` of 0 or
    /// not aligned to the smallest page size.
    ///
    /// # Safety
    ///
    /// - No call whose range overlaps `[iova, iova + size)` runs
    ///   concurrently on this table: the range is the caller's to
    ///   serialise.
    /// - The physical pages outlive the mapping: they stay allocated to
    ///   the caller until it is unmapped and the TLBs invalidated.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicUsize, Ordering};
    /// use kernel::iopgtable::{ArmMaliLpae, Callbacks, Config, PageTable, Prot};
    /// use kernel::prelude::*;
    /// use kernel::sizes::SZ_4K;
    /// const SZ_1G: usize = 1 << 30;
    /// const SZ_2M: usize = 1 << 21;
    ///
    /// struct FailFifth(AtomicUsize, AtomicUsize);
    /// impl Callbacks for FailFifth {
    ///     const TABLE_HOOKS: bool = true;
    ///     fn table_alloc(&self, _size: usize) -> Result {
    ///         if self.0.fetch_add(1, Ordering::Relaxed) == 4 {
    ///             return Err(ENOMEM);
    ///         }
    ///         Ok(())
    ///     }
    ///     fn tlb_flush_walk(&self, _iova: u64, _size: u64, _granule: usize) {
    ///         self.1.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// }
    ///
    /// let cfg = Config::new(SZ_4K | SZ_2M | SZ_1G, 48, 40);
    /// let pt = PageTable::<ArmMaliLpae, _>::new(&cfg, FailFifth(AtomicUsize::new(0), AtomicUsize::new(0)))?;
    /// let iova = (SZ_1G - SZ_4K) as u64;
    /// // SAFETY: The table is this test's alone; nothing walks it.
    /// let r = unsafe { pt.map(iova, 0x2000_0000, 2 * SZ_4K, Prot::READ, GFP_KERNEL) };
    /// assert_eq!(r, Err(ENOMEM));
    /// // The first page was mapped and is gone again, and the walker was
    /// // told.
    /// assert!(pt.callbacks().1.load(Ordering::Relaxed) >= 1);
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.iova_to_phys(iova) }, 0);
    /// # Ok::<(), Error>(())
    /// ```
    pub unsafe fn map(
        &self,
        iova: u64,
        paddr: PhysAddr,
        size: usize,
        prot: Prot,
        flags: Flags,
    ) -> Result {
        // SAFETY: `ops` is valid by the type invariants; the caller keeps the
        // range serialised and the pages alive.
        to_result(unsafe {
            bindings::iopgtable_map(self.ops(), iova, paddr, size, prot.0, flags.as_raw())
        })
    }

    /// Maps `size` bytes of `sgt`, from `offset` bytes into it, at `iova`,
    /// all or nothing (`iopgtable_map_sgtable()`).
    ///
    /// # Safety
    ///
    /// - No call whose range overlaps `[iova, iova + size)` runs
    ///   concurrently on this table: the range is the caller's to
    ///   serialise.
    /// - The physical pages outlive the mapping: they stay allocated (and
    ///   DMA-mapped) until it is unmapped and the TLBs invalidated.
    pub unsafe fn map_sgtable(
        &self,
        iova: u64,
        sgt: &SgTable,
        offset: u64,
        size: usize,
        prot: Prot,
        flags: Flags,
    ) -> Result {
        // SAFETY: `ops` is valid by the type invariants and `sgt` by its
        // own; the caller keeps the range serialised and the pages alive.
        to_result(unsafe {
            bindings::iopgtable_map_sgtable(
                self.ops(),
                iova,
                sgt.as_raw(),
                offset,
                size,
                prot.0,
                flags.as_raw(),
            )
        })
    }

    /// Unmaps the consecutive mappings that cover `[iova, iova + size)`
    /// (`iopgtable_unmap()`), and returns the bytes unmapped.
    ///
    /// It never splits a block: where a mapping straddles an end of the
    /// range, or a hole lies inside a span the range covers in part, it
    /// stops there and returns what it unmapped before (0 for bad
    /// arguments). Leaves it clears are added to `gather`.
    ///
    /// # Safety
    ///
    /// No call whose range overlaps `[iova, iova + size)` runs concurrently
    /// on this table: the range is the caller's to serialise.
    pub unsafe fn unmap(&self, iova: u64, size: usize, gather: Option<&mut Gather>) -> usize {
        // SAFETY: `ops` is valid by the type invariants and the gather, if
        // any, is borrowed for the call; the caller serialises the range.
        unsafe { bindings::iopgtable_unmap(self.ops(), iova, size, Gather::as_raw(gather)) }
    }

    /// Unmaps `pgcount` pages of `pgsize` bytes at `iova`
    /// (`ops->unmap_pages`), as [`PageTable::unmap`] does.
    ///
    /// # Safety
    ///
    /// No call whose range overlaps the range unmapped runs concurrently on
    /// this table: the range is the caller's to serialise.
    pub unsafe fn unmap_pages(
        &self,
        iova: u64,
        pgsize: usize,
        pgcount: usize,
        gather: Option<&mut Gather>,
    ) -> usize {
        match self.raw_ops().unmap_pages {
            // SAFETY: `ops` is valid by the type invariants and the gather,
            // if any, is borrowed for the call; the caller serialises the
            // range.
            Some(f) => unsafe { f(self.ops(), iova, pgsize, pgcount, Gather::as_raw(gather)) },
            None => 0,
        }
    }

    /// The physical address `iova` translates to, page offset included, or
    /// 0 where nothing is mapped or `iova` is out of range.
    ///
    /// # Safety
    ///
    /// No call whose range contains `iova` runs concurrently: it may free
    /// the tables under it.
    pub unsafe fn iova_to_phys(&self, iova: u64) -> PhysAddr {
        match self.raw_ops().iova_to_phys {
            // SAFETY: `ops` is valid by the type invariants; the caller
            // keeps calls that contain `iova` away.
            Some(f) => unsafe { f(self.ops(), iova) },
            None => 0,
        }
    }

    /// The raw entries read on the way to `iova`, root first, for a fault
    /// report (`iopgtable_walk()`); `ERANGE` for an `iova` outside the
    /// input range.
    ///
    /// # Safety
    ///
    /// No call whose range contains `iova` runs concurrently: it may free
    /// the tables under it.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::iopgtable::{ArmLpaeS1, Config, PageTable, Prot};
    /// use kernel::prelude::*;
    /// use kernel::sizes::SZ_4K;
    /// const SZ_2M: usize = 1 << 21;
    ///
    /// let pt = PageTable::<ArmLpaeS1>::new(&Config::new(SZ_4K | SZ_2M, 48, 40), ())?;
    /// // SAFETY: The table is this test's alone; nothing walks it.
    /// unsafe { pt.map(SZ_2M as u64, SZ_2M as u64, SZ_2M, Prot::READ, GFP_KERNEL)? };
    /// // SAFETY: As above.
    /// let walk = unsafe { pt.walk(SZ_2M as u64 + 0x10)? };
    /// assert_eq!(walk.start_level(), 0);
    /// // Root, level 1, then the 2M block at level 2.
    /// assert_eq!(walk.entries().len(), 3);
    /// assert_eq!(walk.entries()[2] & 3, 1);
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.walk(1 << 48) }.err(), Some(ERANGE));
    /// # Ok::<(), Error>(())
    /// ```
    pub unsafe fn walk(&self, iova: u64) -> Result<Walk> {
        let mut walk = Walk(bindings::iopgtable_walk::default());
        // SAFETY: `ops` is valid by the type invariants and `walk` is a
        // local; the caller keeps calls that contain `iova` away.
        to_result(unsafe { bindings::iopgtable_walk(self.ops(), iova, &mut walk.0) })?;
        Ok(walk)
    }

    /// Checks that `pa` reserves for this table.
    fn check_prealloc(&self, pa: &Prealloc<F, T>) -> Result {
        if pa.pt.ops != self.ops {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Maps as [`PageTable::map`], taking every table from `pa`
    /// (`iopgtable_map_prealloc()`): never allocates, never sleeps. A `pa`
    /// that runs short, or reserves for another table, is `ENOMEM` or
    /// `EINVAL` with the table as it was.
    ///
    /// # Safety
    ///
    /// - No call whose range overlaps `[iova, iova + size)` runs
    ///   concurrently on this table: the range is the caller's to
    ///   serialise.
    /// - The physical pages outlive the mapping: they stay allocated to
    ///   the caller until it is unmapped and the TLBs invalidated.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::iopgtable::{ArmLpaeS1, Config, PageTable, Prealloc, Prot};
    /// use kernel::prelude::*;
    /// use kernel::sizes::SZ_4K;
    /// const SZ_2M: usize = 1 << 21;
    /// use kernel::sync::Arc;
    ///
    /// let cfg = Config::new(SZ_4K | SZ_2M, 48, 40);
    /// let pt = Arc::new(PageTable::<ArmLpaeS1>::new(&cfg, ())?, GFP_KERNEL)?;
    /// let other = Arc::new(PageTable::<ArmLpaeS1>::new(&cfg, ())?, GFP_KERNEL)?;
    /// let mut pa = Prealloc::new(pt.clone());
    /// pa.reserve_map(0, SZ_4K as u64, GFP_KERNEL)?;
    /// // SAFETY: The table is this test's alone; nothing walks it.
    /// assert_eq!(unsafe { other.map_prealloc(0, 0, SZ_4K, Prot::READ, &mut pa) }, Err(EINVAL));
    /// // SAFETY: As above.
    /// unsafe { pt.map_prealloc(0, 0x10_0000, SZ_4K, Prot::READ, &mut pa)? };
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.iova_to_phys(0) }, 0x10_0000);
    /// # Ok::<(), Error>(())
    /// ```
    pub unsafe fn map_prealloc(
        &self,
        iova: u64,
        paddr: PhysAddr,
        size: usize,
        prot: Prot,
        pa: &mut Prealloc<F, T>,
    ) -> Result {
        self.check_prealloc(pa)?;
        // SAFETY: `ops` is valid by the type invariants and `pa` is borrowed
        // mutably; the caller keeps the range serialised and the pages
        // alive.
        to_result(unsafe {
            bindings::iopgtable_map_prealloc(self.ops(), iova, paddr, size, prot.0, &mut pa.raw)
        })
    }

    /// Maps as [`PageTable::map_sgtable`], taking every table from `pa`
    /// (`iopgtable_map_sgtable_prealloc()`): never allocates, never sleeps.
    ///
    /// # Safety
    ///
    /// - No call whose range overlaps `[iova, iova + size)` runs
    ///   concurrently on this table: the range is the caller's to
    ///   serialise.
    /// - The physical pages outlive the mapping: they stay allocated (and
    ///   DMA-mapped) until it is unmapped and the TLBs invalidated.
    pub unsafe fn map_sgtable_prealloc(
        &self,
        iova: u64,
        sgt: &SgTable,
        offset: u64,
        size: usize,
        prot: Prot,
        pa: &mut Prealloc<F, T>,
    ) -> Result {
        self.check_prealloc(pa)?;
        // SAFETY: `ops` is valid by the type invariants, `sgt` by its own,
        // `pa` is borrowed mutably; the caller keeps the range serialised
        // and the pages alive.
        to_result(unsafe {
            bindings::iopgtable_map_sgtable_prealloc(
                self.ops(),
                iova,
                sgt.as_raw(),
                offset,
                size,
                prot.0,
                &mut pa.raw,
            )
        })
    }

    /// Unmaps `[iova, iova + size)` as [`PageTable::unmap`] does, but first
    /// splits a block crossing either end (`iopgtable_unmap_split()`), with
    /// tables from `pa`, or allocated with `GFP_KERNEL` (process context)
    /// when `pa` is `None`. If a split cannot get a table nothing is
    /// unmapped and it returns 0; so does a `pa` made for another table.
    ///
    /// Without [`Config::split_bbm`] each split is one store: the walker
    /// must be held off the span (Mali's AS lock region) or implement
    /// FEAT_BBM level 2.
    ///
    /// # Safety
    ///
    /// No call whose range overlaps the blocks split or the range unmapped
    /// runs concurrently on this table: the range is the caller's to
    /// serialise.
    ///
    /// # Examples
    ///
    /// Cut 4K out of a 2M block, with a reservation made beforehand, while
    /// every allocation fails:
    ///
    /// ```
    /// use core::sync::atomic::{AtomicBool, Ordering};
    /// use kernel::iopgtable::{ArmLpaeS1, Callbacks, Config, PageTable, Prealloc, Prot, Quirks};
    /// use kernel::prelude::*;
    /// use kernel::sizes::SZ_4K;
    /// const SZ_2M: usize = 1 << 21;
    /// use kernel::sync::Arc;
    ///
    /// struct Failing(AtomicBool);
    /// impl Callbacks for Failing {
    ///     const TABLE_HOOKS: bool = true;
    ///     fn table_alloc(&self, _size: usize) -> Result {
    ///         if self.0.load(Ordering::Relaxed) { Err(ENOMEM) } else { Ok(()) }
    ///     }
    /// }
    ///
    /// let mut cfg = Config::new(SZ_4K | SZ_2M, 48, 40);
    /// cfg.quirks = Quirks::NO_WARN;
    /// let pt = Arc::new(PageTable::<ArmLpaeS1, _>::new(&cfg, Failing(AtomicBool::new(false)))?, GFP_KERNEL)?;
    /// let (block, cut) = (SZ_2M as u64, SZ_2M as u64 + 0x1000);
    /// // SAFETY: The table is this test's alone; nothing walks it.
    /// unsafe { pt.map(block, 0x4000_0000, SZ_2M, Prot::READ, GFP_KERNEL)? };
    /// let mut pa = Prealloc::new(pt.clone());
    /// pa.reserve_unmap(cut, SZ_4K as u64, GFP_KERNEL)?;
    /// // One leaf table; both ends may count it.
    /// assert!(matches!(pa.count(), 1 | 2));
    ///
    /// pt.callbacks().0.store(true, Ordering::Relaxed);
    /// // The plain unmap refuses to cut into the block.
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.unmap(cut, SZ_4K, None) }, 0);
    /// // Without a reservation the split cannot get its table.
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.unmap_split(cut, SZ_4K, None, None) }, 0);
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.unmap_split(cut, SZ_4K, Some(&mut pa), None) }, SZ_4K);
    /// assert!(pa.count() <= 1);
    /// // SAFETY: As above.
    /// unsafe {
    ///     assert_eq!(pt.iova_to_phys(block), 0x4000_0000);
    ///     assert_eq!(pt.iova_to_phys(cut), 0);
    ///     assert_eq!(pt.iova_to_phys(cut + SZ_4K as u64), 0x4000_2000);
    /// }
    /// # Ok::<(), Error>(())
    /// ```
    pub unsafe fn unmap_split(
        &self,
        iova: u64,
        size: usize,
        pa: Option<&mut Prealloc<F, T>>,
        gather: Option<&mut Gather>,
    ) -> usize {
        let raw = match pa {
            Some(pa) => {
                if self.check_prealloc(pa).is_err() {
                    return 0;
                }
                &mut pa.raw as *mut _
            }
            None => core::ptr::null_mut(),
        };
        // SAFETY: `ops` is valid by the type invariants; `pa` and the gather,
        // if any, are borrowed mutably; the caller serialises the range.
        unsafe {
            bindings::iopgtable_unmap_split(self.ops(), iova, size, raw, Gather::as_raw(gather))
        }
    }

    /// The callbacks the table was built with.
    pub fn callbacks(&self) -> &T {
        &self._callbacks
    }
}

impl<T: Callbacks> PageTable<ArmLpaeS1, T> {
    /// The TTBR value (TTBR0, or TTBR1 with [`Quirks::ARM_TTBR1`]): the
    /// table's address, for the hardware.
    ///
    /// # Safety
    ///
    /// The hardware must no longer walk the table when it is dropped: a
    /// caller that hands this value to the walker points it elsewhere, or
    /// stops it, first.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::iopgtable::{ArmLpaeS1, Config, PageTable};
    /// use kernel::prelude::*;
    /// use kernel::sizes::SZ_4K;
    ///
    /// let pt = PageTable::<ArmLpaeS1>::new(&Config::new(SZ_4K, 48, 40), ())?;
    /// // SAFETY: No hardware is given the value.
    /// let ttbr = unsafe { pt.ttbr() };
    /// assert!(ttbr != 0);
    /// assert_eq!(ttbr & 0xfff, 0);
    /// // T0SZ = 64 - 48, IPS = 40 bits.
    /// assert_eq!(pt.tcr() & 0x3f, 16);
    /// assert_eq!((pt.tcr() >> 32) & 7, 2);
    /// assert!(pt.mair() != 0);
    /// # Ok::<(), Error>(())
    /// ```
    pub unsafe fn ttbr(&self) -> u64 {
        // SAFETY: The library wrote the `arm_lpae_s1` member for this format.
        unsafe { self.cfg.__bindgen_anon_1.arm_lpae_s1.ttbr }
    }

    /// The TCR_EL1 fields for the TTBR, and IPS.
    pub fn tcr(&self) -> u64 {
        // SAFETY: The library wrote the `arm_lpae_s1` member for this format.
        unsafe { self.cfg.__bindgen_anon_1.arm_lpae_s1.tcr }
    }

    /// The MAIR_EL1 value whose indexes the leaf entries use.
    pub fn mair(&self) -> u64 {
        // SAFETY: The library wrote the `arm_lpae_s1` member for this format.
        unsafe { self.cfg.__bindgen_anon_1.arm_lpae_s1.mair }
    }
}

impl<T: Callbacks> PageTable<ArmMaliLpae, T> {
    /// The AS_TRANSTAB value: the table's address, for the hardware.
    ///
    /// # Safety
    ///
    /// The hardware must no longer walk the table when it is dropped: a
    /// caller that hands this value to the walker points it elsewhere, or
    /// stops it, first.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::iopgtable::{ArmMaliLpae, Config, PageTable};
    /// use kernel::prelude::*;
    /// use kernel::sizes::SZ_4K;
    ///
    /// let pt = PageTable::<ArmMaliLpae>::new(&Config::new(SZ_4K, 48, 40), ())?;
    /// // SAFETY: No hardware is given the value.
    /// assert!(unsafe { pt.transtab() } != 0);
    /// assert!(pt.memattr() != 0);
    /// # Ok::<(), Error>(())
    /// ```
    pub unsafe fn transtab(&self) -> u64 {
        // SAFETY: The library wrote the `arm_mali_lpae` member for this format.
        unsafe { self.cfg.__bindgen_anon_1.arm_mali_lpae.transtab }
    }

    /// The AS_MEMATTR value.
    pub fn memattr(&self) -> u64 {
        // SAFETY: The library wrote the `arm_mali_lpae` member for this format.
        unsafe { self.cfg.__bindgen_anon_1.arm_mali_lpae.memattr }
    }
}

impl<F: Format, T: Callbacks> Drop for PageTable<F, T> {
    fn drop(&mut self) {
        // SAFETY: `ops` is valid by the type invariants and freed only here;
        // the callbacks box is freed after this, with the other fields.
        unsafe { bindings::iopgtable_free_ops(self.ops()) };
    }
}

/// Tables reserved for updates that cannot allocate
/// (`struct iopgtable_prealloc`), released when dropped.
///
/// Filled in process context by the `reserve_*` calls, then handed by
/// `&mut` to [`PageTable::map_prealloc`],
/// [`PageTable::map_sgtable_prealloc`] and [`PageTable::unmap_split`],
/// which run in any context. It holds a reference to its table, so that
/// it can move into a job that outlives the caller's borrow.
///
/// # Invariants
///
/// `raw` was initialised by `iopgtable_prealloc_init()` and holds tables
/// of `pt` only.
///
/// # Examples
///
/// Reserved when a bind is submitted, moved into the job, used and dropped
/// where the job runs:
///
/// ```
/// use kernel::iopgtable::{ArmLpaeS1, Config, PageTable, Prealloc, Prot};
/// use kernel::prelude::*;
/// use kernel::sizes::SZ_4K;
/// const SZ_2M: usize = 1 << 21;
/// use kernel::sync::Arc;
///
/// struct BindJob {
///     iova: u64,
///     size: usize,
///     pa: Prealloc<ArmLpaeS1>,
/// }
///
/// let pt = Arc::new(PageTable::<ArmLpaeS1>::new(&Config::new(SZ_4K | SZ_2M, 48, 40), ())?, GFP_KERNEL)?;
/// let mut pa = Prealloc::new(pt.clone());
/// pa.reserve_map(0x10_0000, 2 * SZ_2M as u64, GFP_KERNEL)?;
/// let mut job = KBox::new(BindJob { iova: 0x10_0000, size: 2 * SZ_2M, pa }, GFP_KERNEL)?;
///
/// // Where the job runs: no allocation.
/// let pt = job.pa.page_table().clone();
/// // SAFETY: The table is this test's alone; nothing walks it.
/// unsafe { pt.map_prealloc(job.iova, 0x8000_0000, job.size, Prot::READ, &mut job.pa)? };
/// // The job is done: what it did not use goes back.
/// drop(job);
/// # Ok::<(), Error>(())
/// ```
pub struct Prealloc<F: Format, T: Callbacks = ()> {
    raw: bindings::iopgtable_prealloc,
    pt: Arc<PageTable<F, T>>,
}

// SAFETY: The tables it holds belong to no thread; it is released through
// the table's callbacks, which are `Send`.
unsafe impl<F: Format, T: Callbacks> Send for Prealloc<F, T> {}

impl<F: Format, T: Callbacks> Prealloc<F, T> {
    /// An empty reservation for `pt` (`iopgtable_prealloc_init()`).
    pub fn new(pt: Arc<PageTable<F, T>>) -> Self {
        let mut raw = bindings::iopgtable_prealloc::default();
        // SAFETY: `raw` is a valid local.
        unsafe { bindings::iopgtable_prealloc_init(&mut raw) };
        Prealloc { raw, pt }
    }

    /// The table it reserves for.
    pub fn page_table(&self) -> &Arc<PageTable<F, T>> {
        &self.pt
    }

    /// How many tables it holds.
    pub fn count(&self) -> u32 {
        // SAFETY: `raw` is valid by the type invariants.
        unsafe { bindings::iopgtable_prealloc_count(&self.raw) }
    }

    /// Reserves enough for [`PageTable::map_prealloc`] of any physical
    /// range onto `[iova, iova + size)`, and for
    /// [`PageTable::unmap_split`] at its two ends
    /// (`iopgtable_prealloc_map()`). May sleep with `GFP_KERNEL`.
    ///
    /// # Examples
    ///
    /// An allocator that fails every call once the table is built:
    ///
    /// ```
    /// use core::sync::atomic::{AtomicBool, Ordering};
    /// use kernel::iopgtable::{ArmLpaeS1, Callbacks, Config, PageTable, Prealloc, Prot, Quirks};
    /// use kernel::prelude::*;
    /// use kernel::sizes::SZ_4K;
    /// const SZ_2M: usize = 1 << 21;
    /// use kernel::sync::Arc;
    ///
    /// struct Failing(AtomicBool);
    /// impl Callbacks for Failing {
    ///     const TABLE_HOOKS: bool = true;
    ///     fn table_alloc(&self, _size: usize) -> Result {
    ///         if self.0.load(Ordering::Relaxed) { Err(ENOMEM) } else { Ok(()) }
    ///     }
    /// }
    ///
    /// let mut cfg = Config::new(SZ_4K | SZ_2M, 48, 40);
    /// cfg.quirks = Quirks::NO_WARN;
    /// let pt = Arc::new(PageTable::<ArmLpaeS1, _>::new(&cfg, Failing(AtomicBool::new(false)))?, GFP_KERNEL)?;
    ///
    /// // Reserved while memory is there: the update runs while it is not.
    /// let mut pa = Prealloc::new(pt.clone());
    /// pa.reserve_map(0, 3 * SZ_4K as u64, GFP_KERNEL)?;
    /// assert_eq!(pa.count(), 3);
    /// pt.callbacks().0.store(true, Ordering::Relaxed);
    /// // SAFETY: The table is this test's alone; nothing walks it.
    /// unsafe { pt.map_prealloc(0, 0x8000_0000, 3 * SZ_4K, Prot::READ, &mut pa)? };
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.iova_to_phys(0x2000) }, 0x8000_2000);
    ///
    /// // Reserving now fails, holds nothing, and the update it was for
    /// // fails with the table as it was.
    /// let mut pa = Prealloc::new(pt.clone());
    /// assert_eq!(pa.reserve_map(SZ_2M as u64, SZ_4K as u64, GFP_KERNEL), Err(ENOMEM));
    /// assert_eq!(pa.reserve_unmap(SZ_2M as u64, SZ_4K as u64, GFP_KERNEL), Err(ENOMEM));
    /// assert_eq!(pa.count(), 0);
    /// // SAFETY: As above.
    /// let r = unsafe { pt.map_prealloc(SZ_2M as u64, 0, SZ_4K, Prot::READ, &mut pa) };
    /// assert_eq!(r, Err(ENOMEM));
    /// // SAFETY: As above.
    /// assert_eq!(unsafe { pt.iova_to_phys(SZ_2M as u64) }, 0);
    /// // Bad input is an error.
    /// assert_eq!(pa.reserve_map(1, SZ_4K as u64, GFP_KERNEL), Err(EINVAL));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn reserve_map(&mut self, iova: u64, size: u64, flags: Flags) -> Result {
        // SAFETY: `ops` is valid while `pt` is held and `raw` by the type
        // invariants.
        to_result(unsafe {
            bindings::iopgtable_prealloc_map(
                self.pt.ops(),
                &mut self.raw,
                iova,
                size,
                flags.as_raw(),
            )
        })
    }

    /// Reserves exactly enough for [`PageTable::map_sgtable_prealloc`] of
    /// that `sgt`, `offset` and `size` at `iova`, and for
    /// [`PageTable::unmap_split`] at its ends
    /// (`iopgtable_prealloc_map_sgtable()`). May sleep with `GFP_KERNEL`.
    pub fn reserve_map_sgtable(
        &mut self,
        iova: u64,
        sgt: &SgTable,
        offset: u64,
        size: u64,
        flags: Flags,
    ) -> Result {
        // SAFETY: `ops` is valid while `pt` is held, `raw` by the type
        // invariants, `sgt` by its own.
        to_result(unsafe {
            bindings::iopgtable_prealloc_map_sgtable(
                self.pt.ops(),
                &mut self.raw,
                iova,
                sgt.as_raw(),
                offset,
                size,
                flags.as_raw(),
            )
        })
    }

    /// Reserves enough for [`PageTable::unmap_split`] of
    /// `[iova, iova + size)` (`iopgtable_prealloc_unmap()`). May sleep with
    /// `GFP_KERNEL`.
    pub fn reserve_unmap(&mut self, iova: u64, size: u64, flags: Flags) -> Result {
        // SAFETY: `ops` is valid while `pt` is held and `raw` by the type
        // invariants.
        to_result(unsafe {
            bindings::iopgtable_prealloc_unmap(
                self.pt.ops(),
                &mut self.raw,
                iova,
                size,
                flags.as_raw(),
            )
        })
    }
}

impl<F: Format, T: Callbacks> Drop for Prealloc<F, T> {
    fn drop(&mut self) {
        // SAFETY: `raw` holds tables of `pt` only, by the type invariants,
        // and `pt` is alive.
        unsafe { bindings::iopgtable_prealloc_release(self.pt.ops(), &mut self.raw) };
    }
}
