#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench-smmu: map and unmap latency of the DMA API through
# arm-smmu-v3 on iopgtable (contrib/arm-smmu-v3) and on io-pgtable-arm
# (the unpatched driver), measured by the kernel's dma_map_benchmark
# driver and its tool (tools/testing/selftests/dma/dma_map_benchmark.c,
# cross-built static for arm64). Two arm64 kernels of tests/smmu.config
# with CONFIG_DMA_MAP_BENCHMARK, in build/bench-smmu-iopgtable and
# build/bench-smmu-io-pgtable-arm, each booted under
# qemu-system-aarch64 -machine virt,iommu=smmuv3 -smp 4 with iommu.strict=1
# and an edu device at 00:04.0 bound to dma_map_benchmark; the init
# (scripts/smmu-init.c, "bench") runs the tool for 1, 16 and 256 pages on
# 1 and 4 threads, BENCH_SMMU_SECONDS (5) each. Writes the table, with
# io-pgtable-arm's time over iopgtable's per row, to build/bench-smmu.md.
# Under TCG only the ratios mean anything.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm patch
src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
tree=$(smmu_tree "$src")
secs=${BENCH_SMMU_SECONDS:-5}
work=$BUILD_DIR/bench-smmu
mkdir -p "$work"
rows=()
for t in 1 4; do
	for g in 1 16 256; do
		rows+=("-t$t,-g$g,-s$secs")
	done
done

printf 'CONFIG_ARM64_4K_PAGES=y\nCONFIG_DEBUG_FS=y\nCONFIG_DMA_MAP_BENCHMARK=y\n' \
	>"$work/bench.config"
aarch64-linux-gnu-gcc -Wall -Wextra -Werror -O2 -static -nostdlib \
	-ffreestanding -fno-builtin -fno-stack-protector \
	-o "$work/init" "$IOPGTABLE_ROOT/scripts/smmu-init.c" ||
	die "could not build the initramfs init"

for lib in iopgtable io-pgtable-arm; do
	out=$BUILD_DIR/bench-smmu-$lib
	t=$tree
	[ $lib = io-pgtable-arm ] && t=$src
	say "bench-smmu: building the $lib kernel in $out"
	smmu_kernel "$t" "$out" "$IOPGTABLE_ROOT/tests/smmu.config" \
		"$work/bench.config"
done

# The tool, with the uapi headers of the kernel built and
# linux/map_benchmark.h of its tree, as its own Makefile finds them.
make -s -C "$tree" O="$BUILD_DIR/bench-smmu-iopgtable" ARCH=arm64 \
	CROSS_COMPILE=aarch64-linux-gnu- headers >/dev/null
aarch64-linux-gnu-gcc -O2 -static \
	-I"$BUILD_DIR/bench-smmu-iopgtable/usr/include" -I"$src/include" \
	-o "$work/dma_map_benchmark" \
	"$src/tools/testing/selftests/dma/dma_map_benchmark.c" ||
	die "could not build dma_map_benchmark"
cat >"$work/initramfs.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
file /init $work/init 0755 0 0
file /dma_map_benchmark $work/dma_map_benchmark 0755 0 0
LIST
"$BUILD_DIR/bench-smmu-iopgtable/usr/gen_init_cpio" "$work/initramfs.list" \
	>"$work/initramfs.cpio" || die "gen_init_cpio failed"

# results LOG: one line per run: threads pages map_us unmap_us.
results() {
	awk '/dma mapping benchmark: threads:/ {
		match($0, /threads:[0-9]+/); t = substr($0, RSTART + 8, RLENGTH - 8)
		match($0, /granule: *[0-9]+/); g = substr($0, RSTART, RLENGTH)
		sub(/granule: */, "", g) }
	     /average map latency\(us\):/ {
		match($0, /\(us\):[0-9.]+/); m = substr($0, RSTART + 5, RLENGTH - 5) }
	     /average unmap latency\(us\):/ {
		match($0, /\(us\):[0-9.]+/); u = substr($0, RSTART + 5, RLENGTH - 5)
		print t, g, m, u }' "$1" | tr -d '\r'
}

for lib in iopgtable io-pgtable-arm; do
	log=$work/$lib.log
	say "bench-smmu: $lib: ${#rows[@]} runs of ${secs}s"
	timeout 1200 nice -n 19 qemu-system-aarch64 -nodefaults \
		-machine virt,iommu=smmuv3 -cpu cortex-a57 -smp 4 -m 1G \
		-nographic -serial stdio -no-reboot \
		-kernel "$BUILD_DIR/bench-smmu-$lib/arch/arm64/boot/Image" \
		-initrd "$work/initramfs.cpio" -device edu,addr=04.0 \
		-append "console=ttyAMA0 panic=-1 iommu.strict=1 -- bench ${rows[*]}" \
		</dev/null >"$log" 2>&1 || true
	results "$log" >"$work/$lib.txt"
	[ "$(wc -l <"$work/$lib.txt")" -eq ${#rows[@]} ] ||
		die "$lib: $(wc -l <"$work/$lib.txt") of ${#rows[@]} runs reported (see $log)"
	! grep -aqE 'WARNING:|BUG:|Oops|arm-smmu-v3 .*event 0x' "$log" ||
		die "$lib: kernel warning or SMMU event (see $log)"
done

{
	echo "| threads | pages | map iopgtable (us) | map io-pgtable-arm (us) | ratio | unmap iopgtable (us) | unmap io-pgtable-arm (us) | ratio |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	paste -d' ' "$work/iopgtable.txt" "$work/io-pgtable-arm.txt" |
		awk '{ printf "| %s | %s | %s | %s | %.2f | %s | %s | %.2f |\n",
			$1, $2, $3, $7, ($3 > 0 ? $7 / $3 : 0),
			$4, $8, ($4 > 0 ? $8 / $4 : 0) }'
	echo
	echo "dma_map_benchmark, arm-smmu-v3 under QEMU 7.2's SMMUv3 (TCG), iommu.strict=1,"
	echo "4K pages, ${secs}s per row; ratio: io-pgtable-arm's time over iopgtable's."
} >"$BUILD_DIR/bench-smmu.md"
cat "$BUILD_DIR/bench-smmu.md"
