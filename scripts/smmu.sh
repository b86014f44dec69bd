#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The smmu lane: real DMA translated by QEMU's SMMUv3 walking iopgtable's
# tables. contrib/arm-smmu-v3 is applied to a copy of the prepared 6.12
# tree (build/smmu-src), an arm64 kernel of tests/smmu.config is built
# with the driver and iopgtable built in (build/smmu-4k; build/smmu-16k
# and build/smmu-64k with 16K and 64K pages), and booted under
#
#   qemu-system-aarch64 -machine virt,iommu=smmuv3 ... -device nvme
#
# on a zeroed disk image, once with iommu.strict=1 and once with
# iommu.strict=0 (the flush queue). The init (scripts/smmu-init.c) writes
# SMMU_MIB (256) MiB of a pseudo-random pattern with O_DIRECT in requests
# of 4K to 2M, reads it back in other sizes and compares (the block layer
# splits them at the disk's max_sectors_kb, which the init reports: 128
# KiB with 4K pages, iommu-dma's dma_opt_mapping_size, so the maps are
# single pages and runs, not 2M blocks). Fails on a
# mismatch, on any SMMU event (translation fault, C_BAD_*, ...) or GERROR
# of the disk, on any kernel warning or oops, or if the disk is not behind
# a translating DMA domain.
#
# The strict boot also has QEMU's edu device, bound to pci-stub, read
# from an IOVA nothing maps once the disk is done: the lane expects its
# translation fault event and, from the series, iopgtable_walk_print()'s
# decoded walk to that IOVA ending in an invalid entry.
#
# Arguments: the granules, 4k (the default), 16k and 64k: the kernel's
# page size, which the driver's domains take as their granule. QEMU's
# trace of each context descriptor it decodes (smmuv3_decode_cd_tt) must
# show that granule: its SMMUv3 walks all three (the 16K kernel needs
# -cpu max, Cortex-A57 has no 16K granule).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install gcc-aarch64-linux-gnu qemu-system-arm patch
src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
granules=("$@")
[ ${#granules[@]} -gt 0 ] || granules=(4k)
mib=${SMMU_MIB:-256}
tree=$(smmu_tree "$src")

work=$BUILD_DIR/smmu
mkdir -p "$work"
aarch64-linux-gnu-gcc -Wall -Wextra -Werror -O2 -static -nostdlib \
	-ffreestanding -fno-builtin -fno-stack-protector \
	-o "$work/init" "$IOPGTABLE_ROOT/scripts/smmu-init.c" ||
	die "could not build the initramfs init"
cat >"$work/initramfs.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
file /init $work/init 0755 0 0
LIST

# count REGEX, field REGEX: in the console log $log, the lines that match,
# and the first match's group of the init's "smmu-dma: " lines.
count() { grep -acE "$1" "$log" || true; }
field() { sed -nE "s/^.*smmu-dma: $1.*\$/\\1/p" "$log" | head -n1; }

status=0
for g in "${granules[@]}"; do
	out=$BUILD_DIR/smmu-$g
	frag=$work/config-$g
	cp "$IOPGTABLE_ROOT/tests/smmu.config" "$frag"
	case $g in
	4k)	echo CONFIG_ARM64_4K_PAGES=y >>"$frag"; gsz=12 ;;
	16k)	echo CONFIG_ARM64_16K_PAGES=y >>"$frag"; gsz=14 ;;
	64k)	echo CONFIG_ARM64_64K_PAGES=y >>"$frag"; gsz=16 ;;
	*)	die "unknown granule $g (4k, 16k, 64k)" ;;
	esac
	say "smmu: building the $g kernel in $out"
	start=$SECONDS
	smmu_kernel "$tree" "$out" "$frag"
	say "smmu: $g kernel built in $((SECONDS - start))s"
	"$out/usr/gen_init_cpio" "$work/initramfs.list" >"$work/initramfs.cpio" ||
		die "gen_init_cpio failed"

	for strict in 1 0; do
		name=$g-strict$strict
		log=$work/$name.log
		disk=$work/disk.img
		want=DMA
		edu=(-device edu,addr=03.0)
		# pci-stub binds edu, so that it gets its IOMMU group and
		# DMA domain; with no driver at all its stream would abort.
		args="pci-stub.ids=1234:11e8 -- $mib fault"
		if [ $strict = 0 ]; then
			want=DMA-FQ
			edu=()
			args="-- $mib"
		fi
		# A fresh zeroed disk: a write that never reached it cannot
		# pass on the last run's data.
		rm -f "$disk"
		truncate -s $((mib + 16))M "$disk"
		say "smmu: $name: booting, $mib MiB through the NVMe disk"
		start=$SECONDS
		cpu=cortex-a57
		[ "$g" = 16k ] && cpu=max,pauth=off
		trace=$work/$name.trace
		rm -f "$trace"
		timeout 1200 qemu-system-aarch64 -nodefaults \
			-machine virt,iommu=smmuv3 -cpu "$cpu" -smp 2 -m 1G \
			-d trace:smmuv3_decode_cd_tt -D "$trace" \
			-nographic -serial stdio -no-reboot \
			-kernel "$out/arch/arm64/boot/Image" \
			-initrd "$work/initramfs.cpio" \
			-drive "file=$disk,if=none,id=disk,format=raw,cache=unsafe" \
			-device nvme,drive=disk,serial=iopgtable,addr=02.0 \
			"${edu[@]}" \
			-append "console=ttyAMA0 panic=-1 iommu.strict=$strict $args" \
			</dev/null >"$log" 2>&1 || true
		took=$((SECONDS - start))
		grep -a 'smmu-dma: ' "$log" | sed 's/^.*smmu-dma: /    /' >&2 || true

		events=$(count 'arm-smmu-v3 .*(event 0x|EVTQ overflow|global error)')
		warns=$(count 'WARNING:|BUG:|Oops|Unable to handle|Kernel panic|Call trace:')
		domain=$(field 'iommu domain: ([A-Za-z-]+)')
		verified=$(field 'verified bytes: ([0-9]+)')
		# The edu device's fault: its event, and the walk printed.
		walks=$(count '0000:00:03\.0: walk 0xbadb[0-9a-f]{3}: ')
		invalid=$(count '0000:00:03\.0:   level [0-3]: 0x[0-9a-f]{16} invalid')
		# The granules of the CDs QEMU decoded, as log2: one, ours.
		walked=$(grep -aoE 'granule_sz:[0-9]+' "$trace" 2>/dev/null |
			 sort -u | sed 's/granule_sz://' | paste -sd' ' || true)
		echo "smmu: $name: ${verified:-0} bytes verified," \
			"$events SMMU events ($walks from edu's fault, walked)," \
			"$warns kernel warnings, domain ${domain:-none}," \
			"QEMU walked granule 2^${walked:-?}, ${took}s"
		bad=
		[ "$walked" = "$gsz" ] || bad+=" QEMU walked granule 2^${walked:-?}, not 2^$gsz;"
		[ "${verified:-0}" = $((mib << 20)) ] || bad+=" no full verify;"
		[ "$events" = "$walks" ] || bad+=" SMMU events of the disk;"
		if [ ${#edu[@]} -gt 0 ]; then
			grep -aE '0000:00:03\.0: (walk|  level)' "$log" |
				sed 's/^[^]]*] /    /' | head -n 8 >&2 || true
			[ "$walks" -ge 1 ] && [ "$invalid" = "$walks" ] ||
				bad+=" no decoded walk of edu's fault;"
		fi
		[ "$warns" = 0 ] || bad+=" kernel warnings;"
		[ "$domain" = "$want" ] || bad+=" domain ${domain:-none}, not $want;"
		if [ -n "$bad" ]; then
			grep -aE 'arm-smmu-v3|: walk 0x|:   level [0-3]: |nvme' "$log" |
				head -n 60 >&2 || true
			grep -aE -A20 'WARNING:|BUG:|Oops' "$log" | head -n 60 >&2 || true
			echo "smmu: $name FAILED:$bad see $log"
			status=1
		fi
	done
done
[ $status -eq 0 ] && echo "smmu: ${granules[*]}: every byte verified," \
	"no SMMU event from the disk, edu's fault walked, no warning"
exit $status
