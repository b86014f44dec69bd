# SPDX-License-Identifier: GPL-2.0-only
#
# Out of tree:  make KDIR=/path/to/kernel/build   (iopgtable.ko, and
#               iopgtable_test.ko where that kernel has KUnit)
# The project:  make demo         prepare the 6.12 kernel, build, run the demo
#               make check        every test lane (what CI runs)
#               make check-uml    the KUnit suites under UML only
#               make check-arm64  the arm64 lanes: KUnit and module load
#               make check-arm32  the KUnit suites on 32-bit ARM with LPAE
#               make check-sanitizers  the suites under UML, KASAN and UBSAN
#               make check-smp-stress  the KUnit suites on 4 arm64 CPUs
#                                 under QEMU with KCSAN and lockdep
#               make lint         checkpatch, kernel-doc, sparse, W=1, coccicheck
#               make modules-all  out-of-tree W=1 builds: 6.12, 6.1, arm64,
#                                 arm32
#               make check-driver-fit  contrib/'s driver series, applied and built
#               make check-gpuvm  the drm_gpuvm replay alone (UML, with DRM)
#               make check-rust   kernel::iopgtable: doctests as KUnit under
#                                 UML, the Rust sample, rustfmt, clippy and
#                                 rustdoc
#               make check-smmu   arm-smmu-v3 on iopgtable: NVMe DMA under
#                                 QEMU's SMMUv3, strict and lazy, 4K, 16K
#                                 and 64K pages
#               make bench-smmu   DMA map/unmap latency through arm-smmu-v3
#                                 on iopgtable and on io-pgtable-arm (QEMU)
#               make bench        iopgtable beside io-pgtable-arm, timed
#                                 (BENCH_ONLY=text: only the matching cases;
#                                 BENCH_TRACE=n: tracepoints not compiled in)
#
# In a kernel tree the Kbuild file is used instead of this one.

KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules modules_install clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

demo:
	scripts/demo.sh

check:
	scripts/check.sh

check-uml:
	scripts/check.sh uml

check-arm64:
	scripts/check.sh arm64 arm64-load

check-arm32:
	scripts/check.sh arm32

check-sanitizers:
	scripts/check.sh sanitizers
check-smp-stress:
	scripts/check.sh smp-stress

lint:
	scripts/check.sh lint

modules-all:
	scripts/check.sh modules

check-driver-fit:
	scripts/check.sh driver-fit

check-gpuvm:
	scripts/check.sh gpuvm

check-rust:
	scripts/check.sh rust
check-smmu:
	scripts/check.sh smmu smmu-16k smmu-64k

bench:
	scripts/bench.sh

bench-smmu:
	scripts/bench-smmu.sh

.PHONY: all modules modules_install clean demo check check-uml check-arm64 \
	check-arm32 check-sanitizers check-smp-stress \
	lint modules-all check-driver-fit check-gpuvm check-rust check-smmu \
	bench bench-smmu
