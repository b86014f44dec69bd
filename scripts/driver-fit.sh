#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The driver-fit lane: the driver conversions of contrib/ applied to a copy
# of the prepared 6.12 tree and built, with W=1 and sparse, beside the same
# drivers unpatched:
#
#   contrib/panthor/*.patch      drivers/gpu/drm/panthor, arm64
#   contrib/panfrost/*.patch     drivers/gpu/drm/panfrost, arm64 and arm
#   contrib/arm-smmu-v3/*.patch  drivers/iommu/arm/arm-smmu-v3 (with its
#                                KUnit test), arm64
#
# Fails if a series no longer applies or builds, if the patched driver
# has a compiler or sparse warning that the unpatched one does not, or if
# the copies of converted Panthor functions that the drm_gpuvm replay runs
# (tests/gpuvm-test.c, "panthor steps") differ from the patched
# panthor_mmu.c (scripts/panthor-fit.sh). Prints each driver's diffstat
# and the net lines its series removes from the driver's MMU file. Trees
# and objects stay under build/driver-fit, so a rerun rebuilds only the
# driver folders.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf sparse git
src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
out=$BUILD_DIR/driver-fit
drivers=(panthor panfrost arm-smmu-v3)
mkdir -p "$out"

# series_dir DRIVER: the folder a series patches, copied into each tree.
series_dir() {
	case $1 in
	arm-smmu-v3)	echo drivers/iommu ;;
	*)		echo "drivers/gpu/drm/$1" ;;
	esac
}

# mmu_file DRIVER: the file whose page-table lines the series counts.
mmu_file() {
	case $1 in
	arm-smmu-v3)	echo drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c ;;
	*)		echo "drivers/gpu/drm/$1/${1}_mmu.c" ;;
	esac
}

# tree NAME: a copy of the prepared tree in $out/NAME-src, hard-linked (the
# sources are never written), with the driver folders as real copies that
# the series may patch. Prints its path.
tree() {
	local t=$out/$1-src d

	if [ ! -f "$t/.iopgtable-driver-fit" ]; then
		rm -rf "$t"
		cp -al "$src" "$t"
		touch "$t/.iopgtable-driver-fit"
	fi
	for d in "${drivers[@]}"; do
		d=$(series_dir "$d")
		rm -rf "${t:?}/$d"
		cp -a "$src/$d" "$t/$d"
	done
	# The library's links, as prepare-kernel.sh makes them today.
	rm -rf "$t/drivers/iopgtable"
	cp -a "$src/drivers/iopgtable" "$t/drivers/iopgtable"
	echo "$t"
}

# configure TREE OBJ ARCH CROSS DEFCONFIG: a configuration with the GPU
# drivers as modules and, on arm64, arm-smmu-v3 built in with its KUnit
# test; made again when these options change.
configure() {
	local t=$1 o=$2 arch=$3 cross=$4 def=$5
	local mk=(make -s -C "$t" O="$o" ARCH="$arch" CROSS_COMPILE="$cross")
	local opts=(-e DRM -m DRM_PANFROST -e COMPILE_TEST -d WERROR)

	[ "$arch" = arm ] && opts+=(-e ARM_LPAE)
	[ "$arch" = arm64 ] && opts+=(-m DRM_PANTHOR -e IOMMU_SUPPORT
		-e ARM_SMMU_V3 -e ARM_SMMU_V3_SVA -e KUNIT
		-m ARM_SMMU_V3_KUNIT_TEST)
	if [ ! -f "$o/.config" ] ||
	   [ "$(cat "$o/.iopgtable-options" 2>/dev/null)" != "${opts[*]}" ]; then
		mkdir -p "$o"
		"${mk[@]}" "$def" >/dev/null
		"$t/scripts/config" --file "$o/.config" "${opts[@]}"
		"${mk[@]}" olddefconfig >/dev/null
		echo "${opts[*]}" >"$o/.iopgtable-options"
	fi
}

# build TREE OBJ ARCH CROSS LOG DIRS...: W=1 and sparse (C=2: every file,
# built or not) on the folders, their objects removed first so that every
# warning is printed again.
build() {
	local t=$1 o=$2 arch=$3 cross=$4 log=$5 d
	shift 5

	for d in "$@"; do
		[ -d "$o/$d" ] && find "$o/$d" -name '*.o' -delete
	done
	make -C "$t" O="$o" ARCH="$arch" CROSS_COMPILE="$cross" W=1 C=2 \
		-j"$JOBS" "${@/%//}" >"$log" 2>&1
}

# findings LOG: the warnings and errors of our drivers, without line
# numbers, which the series moves.
findings() {
	{ grep -aE '(warning|error):' "$1" || true; } |
		{ grep -aE 'drivers/(gpu/drm/(panthor|panfrost)|iommu/arm/arm-smmu-v3)/' || true; } |
		sed -E 's|^.*(drivers/[^:]+):[0-9]+(:[0-9]+)?:|\1:|' | sort -u
}

status=0
base=$(tree base)
patched=$(tree patched)
for d in "${drivers[@]}"; do
	for p in "$IOPGTABLE_ROOT"/contrib/"$d"/*.patch; do
		patch -p1 -s -d "$patched" --no-backup-if-mismatch -F0 <"$p" ||
			{ echo "driver-fit: ${p#"$IOPGTABLE_ROOT"/} no longer applies"; status=1; }
	done
done
[ $status -eq 0 ] || exit 1

# The Panthor code tests/gpuvm-test.c runs must be the patched driver's.
"$IOPGTABLE_ROOT/scripts/panthor-fit.sh" \
	"$patched/drivers/gpu/drm/panthor/panthor_mmu.c" || status=1

# The builds: arm64 for every driver, arm (LPAE) for Panfrost.
builds=("arm64 aarch64-linux-gnu- defconfig drivers/gpu/drm/panthor drivers/gpu/drm/panfrost drivers/iommu/arm/arm-smmu-v3"
	"arm arm-linux-gnueabihf- multi_v7_defconfig drivers/gpu/drm/panfrost")
for b in "${builds[@]}"; do
	read -r arch cross def dirs <<<"$b"
	for v in base patched; do
		t=$base
		[ $v = patched ] && t=$patched
		say "driver-fit: $v, $arch, W=1 C=2: $dirs"
		configure "$t" "$out/$v-$arch" "$arch" "$cross" "$def"
		# shellcheck disable=SC2086
		if ! build "$t" "$out/$v-$arch" "$arch" "$cross" "$out/$v-$arch.log" $dirs; then
			grep -aE 'error' "$out/$v-$arch.log" | head -n 20
			echo "driver-fit: the $v drivers do not build for $arch (see $out/$v-$arch.log)"
			status=1
		fi
		findings "$out/$v-$arch.log" >"$out/$v-$arch.findings"
	done
	new=$(comm -13 "$out/base-$arch.findings" "$out/patched-$arch.findings")
	if [ -n "$new" ]; then
		echo "driver-fit: warnings the series add on $arch:"
		echo "$new"
		status=1
	else
		echo "driver-fit: $arch: $(wc -l <"$out/patched-$arch.findings") warnings patched, $(wc -l <"$out/base-$arch.findings") unpatched, none new"
	fi
done

for d in "${drivers[@]}"; do
	mmu=$(mmu_file "$d")
	echo "driver-fit: $d: $(ls "$IOPGTABLE_ROOT"/contrib/"$d"/*.patch | wc -l) patches"
	(cd "$IOPGTABLE_ROOT" && git apply --stat contrib/"$d"/*.patch)
	git apply --numstat "$IOPGTABLE_ROOT"/contrib/"$d"/*.patch |
		awk -v f="$mmu" -v d="$d" '$3 == f { a += $1; r += $2 }
			END { printf "driver-fit: %s: %s: %d lines removed, %d added: ", d, f, r, a
			      if (r >= a) printf "%d page-table lines gone\n", r - a
			      else printf "%d lines more\n", a - r }'
done

[ $status -eq 0 ] && echo "driver-fit: ${drivers[*]}: the series apply and build with no new warning"
exit $status
