#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Prepare the embedded default kernel: Debian's linux-source-6.12 unpacked
# under build/ (once), with iopgtable wired in as drivers/iopgtable exactly
# as the README's in-tree recipe says. Prints the source tree's path.
#
# IOPGTABLE_KERNEL_SRC=/path/to/linux uses (and wires into) that tree
# instead of unpacking one.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install make gcc bc bison flex libelf-dev libssl-dev xz-utils python3

if [ -z "${IOPGTABLE_KERNEL_SRC:-}" ] && [ ! -f "$KERNEL_SRC/.iopgtable-unpacked" ]; then
	apt_install "$KERNEL_SRC_PKG"
	tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
	[ -n "$tarball" ] || die "no /usr/src/linux-source-6.12.tar.* after installing $KERNEL_SRC_PKG"
	say "unpacking $tarball into $BUILD_DIR"
	mkdir -p "$BUILD_DIR"
	rm -rf "$KERNEL_SRC"
	tar -C "$BUILD_DIR" -xf "$tarball"
	[ -f "$KERNEL_SRC/Makefile" ] || die "$tarball did not unpack to $KERNEL_SRC"
	touch "$KERNEL_SRC/.iopgtable-unpacked"
fi
[ -f "$KERNEL_SRC/Makefile" ] || die "$KERNEL_SRC is not a kernel source tree"

# The in-tree recipe: the folder as drivers/iopgtable, one line in each
# parent. Each entry is a symbolic link, so edits here rebuild there.
dst=$KERNEL_SRC/drivers/iopgtable
mkdir -p "$dst"
for f in Kconfig Kbuild Makefile iopgtable-internal.h iopgtable-entry.h \
	 io-pgtable-core.c io-pgtable-arm-lpae.c io-pgtable-debug.c include tests \
	 samples; do
	ln -sfn "$IOPGTABLE_ROOT/$f" "$dst/$f"
done
grep -q 'drivers/iopgtable/Kconfig' "$KERNEL_SRC/drivers/Kconfig" ||
	sed -i 's|^endmenu|source "drivers/iopgtable/Kconfig"\n\nendmenu|' \
		"$KERNEL_SRC/drivers/Kconfig"
grep -q 'iopgtable/' "$KERNEL_SRC/drivers/Makefile" ||
	echo 'obj-y += iopgtable/' >> "$KERNEL_SRC/drivers/Makefile"

# For the kernel Rust lane (scripts/kunit-rust.sh): 6.12 gives bindgen no
# target on UML built with GCC (see the patch).
patch -s -p1 -N -r - -d "$KERNEL_SRC" --dry-run \
	<"$IOPGTABLE_ROOT/scripts/patches/rust-bindgen-target-um.patch" \
	>/dev/null 2>&1 &&
	patch -s -p1 -N -d "$KERNEL_SRC" \
		<"$IOPGTABLE_ROOT/scripts/patches/rust-bindgen-target-um.patch"

# The Rust abstraction, as an upstream patch adds it: the header where
# in-tree users include it, rust/kernel/iopgtable.rs with its module line
# in the kernel crate (built only with CONFIG_IOPGTABLE=y: the kernel crate
# is built in and cannot call a module), the header in bindgen's input and
# the flags that bindgen cannot read from BIT() macros.
ln -sfn "$IOPGTABLE_ROOT/include/linux/iopgtable.h" \
	"$KERNEL_SRC/include/linux/iopgtable.h"
ln -sfn "$IOPGTABLE_ROOT/rust/iopgtable.rs" "$KERNEL_SRC/rust/kernel/iopgtable.rs"
grep -q 'pub mod iopgtable;' "$KERNEL_SRC/rust/kernel/lib.rs" ||
	sed -i 's|^pub mod ioctl;|&\n#[cfg(CONFIG_IOPGTABLE)]\npub mod iopgtable;|' \
		"$KERNEL_SRC/rust/kernel/lib.rs"
helper=$KERNEL_SRC/rust/bindings/bindings_helper.h
if ! grep -q 'linux/iopgtable.h' "$helper"; then
	sed -i 's|^#include <linux/jiffies.h>|#include <linux/iopgtable.h>\n&|' "$helper"
	cat >>"$helper" <<'EOH'
const int RUST_CONST_HELPER_IOPGTABLE_READ = IOPGTABLE_READ;
const int RUST_CONST_HELPER_IOPGTABLE_WRITE = IOPGTABLE_WRITE;
const int RUST_CONST_HELPER_IOPGTABLE_CACHE = IOPGTABLE_CACHE;
const int RUST_CONST_HELPER_IOPGTABLE_NOEXEC = IOPGTABLE_NOEXEC;
const int RUST_CONST_HELPER_IOPGTABLE_MMIO = IOPGTABLE_MMIO;
const int RUST_CONST_HELPER_IOPGTABLE_PRIVILEGED = IOPGTABLE_PRIVILEGED;
const unsigned long RUST_CONST_HELPER_IOPGTABLE_QUIRK_ARM_NS = IOPGTABLE_QUIRK_ARM_NS;
const unsigned long RUST_CONST_HELPER_IOPGTABLE_QUIRK_ARM_TTBR1 = IOPGTABLE_QUIRK_ARM_TTBR1;
const unsigned long RUST_CONST_HELPER_IOPGTABLE_QUIRK_ARM_OUTER_WBWA = IOPGTABLE_QUIRK_ARM_OUTER_WBWA;
const unsigned long RUST_CONST_HELPER_IOPGTABLE_QUIRK_NO_WARN = IOPGTABLE_QUIRK_NO_WARN;
EOH
fi

echo "$KERNEL_SRC"
