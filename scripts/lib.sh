# SPDX-License-Identifier: GPL-2.0-only
# Shared by the scripts: paths, messages and Debian package installation.

IOPGTABLE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${IOPGTABLE_BUILD_DIR:-$IOPGTABLE_ROOT/build}
KERNEL_SRC_PKG=linux-source-6.12
KERNEL_SRC=${IOPGTABLE_KERNEL_SRC:-$BUILD_DIR/linux-source-6.12}
# Parallel build jobs: every core unless IOPGTABLE_JOBS says otherwise.
JOBS=${IOPGTABLE_JOBS:-$(nproc)}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

_apt_updated=
# apt_update: refresh the package lists, once per run.
apt_update() {
	[ -n "$_apt_updated" ] && return 0
	say "apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	_apt_updated=1
}

# apt_install PKG...: install the missing packages, each at the exact
# version apt offers as its candidate.
apt_install() {
	local pkg ver missing=() pinned=()

	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
			grep -q 'ok installed' || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null ||
		die "missing ${missing[*]} and no apt-get to install them"
	[ "$(id -u)" -eq 0 ] ||
		die "missing ${missing[*]}: run as root, or install them first"
	apt_update
	for pkg in "${missing[@]}"; do
		ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
		[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
			die "Debian package $pkg is not available from apt"
		pinned+=("$pkg=$ver")
	done
	say "apt-get install ${pinned[*]}"
	mkdir -p "$BUILD_DIR"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${pinned[@]}" >"$BUILD_DIR/apt.log" 2>&1 || {
		tail -n 20 "$BUILD_DIR/apt.log" >&2
		die "could not install ${pinned[*]}"
	}
}

# build_module KDIR NAME [MAKE ARGS...]: build the out-of-tree modules against
# KDIR in build/module/NAME (a copy of the sources, so that builds against
# several kernels do not share objects). Prints the folder.
build_module() {
	local kdir=$1 name=$2 out=$BUILD_DIR/module/$2
	shift 2
	mkdir -p "$out"
	(cd "$IOPGTABLE_ROOT" &&
	 cp -a --parents Kbuild Makefile iopgtable-*.h io-pgtable-*.c \
		include tests samples "$out/")
	make -s -C "$kdir" M="$out" "$@" modules >&2 ||
		die "module build against $kdir failed"
	echo "$out"
}

# modules_tree ARCH CROSS_COMPILE NAME: configure and build (incrementally)
# with kunit.py the ARCH kernel of tests/NAME.kunitconfig in build/NAME.
# Prints the build folder, the KDIR for out-of-tree builds.
modules_tree() {
	local arch=$1 cross=$2 name=$3 src out=$BUILD_DIR/$3

	src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
	(cd "$src" && python3 tools/testing/kunit/kunit.py build --arch="$arch" \
		--cross_compile="$cross" \
		--kunitconfig="$IOPGTABLE_ROOT/tests/$name.kunitconfig" \
		--build_dir="$out" --jobs="$JOBS" >"$BUILD_DIR/$name.log" 2>&1) || {
		tail -n 30 "$BUILD_DIR/$name.log" >&2
		die "$arch kernel build failed (see $BUILD_DIR/$name.log)"
	}
	echo "$out"
}

# arm64_modules_tree: the arm64 kernel of tests/arm64-modules.kunitconfig
# in build/arm64-modules: modules and KUnit, io-pgtable-arm built in, no
# iopgtable. Prints the KDIR for out-of-tree arm64 builds.
arm64_modules_tree() {
	apt_install gcc-aarch64-linux-gnu
	modules_tree arm64 aarch64-linux-gnu- arm64-modules
}

# arm32_modules_tree: the 32-bit ARM kernel of
# tests/arm32-modules.kunitconfig in build/arm32-modules: LPAE, modules and
# KUnit, io-pgtable-arm built in, no iopgtable. Prints the KDIR for
# out-of-tree arm32 builds.
arm32_modules_tree() {
	apt_install gcc-arm-linux-gnueabihf
	modules_tree arm arm-linux-gnueabihf- arm32-modules
}

# build_module_clean KDIR NAME [MAKE ARGS...]: build_module, failing on any
# compiler or kernel-doc warning. Prints the folder.
build_module_clean() {
	local log=$BUILD_DIR/module-$2.log out

	mkdir -p "$BUILD_DIR"
	out=$(build_module "$@" 2>"$log") || { cat "$log" >&2; exit 1; }
	if grep -E 'warning:|error:' "$log" >&2; then
		die "module build against $1 has warnings (see $log)"
	fi
	echo "$out"
}

# smmu_tree SRC: a copy of the prepared tree SRC with contrib/arm-smmu-v3
# applied, in build/smmu-src: hard links to SRC, drivers/iommu a real copy
# that the series patches; made again when the series changes. Prints its
# path.
smmu_tree() {
	local src=$1 tree=$BUILD_DIR/smmu-src sum p
	local series=("$IOPGTABLE_ROOT"/contrib/arm-smmu-v3/*.patch)

	sum=$(cat "${series[@]}" | sha1sum | cut -d' ' -f1)
	if [ "$(cat "$tree/.iopgtable-smmu" 2>/dev/null)" != "$sum" ]; then
		say "applying contrib/arm-smmu-v3 to $tree"
		rm -rf "$tree"
		cp -al "$src" "$tree"
		rm -rf "$tree/drivers/iommu"
		cp -a "$src/drivers/iommu" "$tree/drivers/iommu"
		for p in "${series[@]}"; do
			patch -p1 -s -d "$tree" --no-backup-if-mismatch -F0 <"$p" ||
				die "${p#"$IOPGTABLE_ROOT"/} does not apply"
		done
		echo "$sum" >"$tree/.iopgtable-smmu"
	fi
	echo "$tree"
}

# smmu_kernel TREE OUT FRAGMENT...: configure (allnoconfig plus the
# fragments, when they change) and build the arm64 Image of TREE in OUT.
smmu_kernel() {
	local tree=$1 out=$2 opt
	local mk=(make -s -C "$tree" O="$out" ARCH=arm64
		  CROSS_COMPILE=aarch64-linux-gnu-)
	shift 2

	mkdir -p "$out"
	cat "$@" >"$out/.iopgtable-fragment.new"
	if ! cmp -s "$out/.iopgtable-fragment.new" "$out/.iopgtable-fragment"; then
		KCONFIG_ALLCONFIG=$out/.iopgtable-fragment.new "${mk[@]}" \
			allnoconfig >/dev/null
		for opt in $(grep -oE '^CONFIG_[A-Z0-9_]+=y' "$out/.iopgtable-fragment.new"); do
			grep -qx "$opt" "$out/.config" ||
				die "$opt did not stick in $out/.config"
		done
		mv "$out/.iopgtable-fragment.new" "$out/.iopgtable-fragment"
	fi
	"${mk[@]}" -j"$JOBS" Image >"$out/build.log" 2>&1 || {
		tail -n 30 "$out/build.log" >&2
		die "kernel build in $out failed (see $out/build.log)"
	}
}
