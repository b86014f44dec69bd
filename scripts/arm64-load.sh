#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The module-load lane: boot the arm64 kernel of
# tests/arm64-modules.kunitconfig (io-pgtable-arm built in, no iopgtable)
# under qemu-system-aarch64 with an initramfs whose init
# (scripts/initramfs-init.c) loads the out-of-tree iopgtable.ko and
# iopgtable_test.ko. KUnit runs the suites as the test module loads; the
# KTAP on the console goes to 'kunit.py parse'. Fails if a module does not
# load or a test fails.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install gcc-aarch64-linux-gnu qemu-system-arm

src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
kdir=$(arm64_modules_tree)
mods=$(build_module_clean "$kdir" arm64 W=1 ARCH=arm64 \
	CROSS_COMPILE=aarch64-linux-gnu-)
[ -f "$mods/iopgtable_test.ko" ] || die "no iopgtable_test.ko in $mods"

work=$BUILD_DIR/arm64-load
mkdir -p "$work"
aarch64-linux-gnu-gcc -Wall -Wextra -Werror -O2 -static -nostdlib \
	-ffreestanding -fno-builtin -fno-stack-protector \
	-o "$work/init" "$IOPGTABLE_ROOT/scripts/initramfs-init.c" ||
	die "could not build the initramfs init"
cat >"$work/initramfs.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
nod /dev/kmsg 0600 0 0 c 1 11
file /init $work/init 0755 0 0
file /iopgtable.ko $mods/iopgtable.ko 0644 0 0
file /iopgtable_test.ko $mods/iopgtable_test.ko 0644 0 0
LIST
"$kdir/usr/gen_init_cpio" "$work/initramfs.list" >"$work/initramfs.cpio" ||
	die "gen_init_cpio failed"

say "booting arm64 under qemu: loading iopgtable.ko and iopgtable_test.ko"
log=$work/console.log
timeout 900 qemu-system-aarch64 -nodefaults -machine virt -cpu max -m 1G \
	-nographic -serial stdio -no-reboot -kernel "$kdir/arch/arm64/boot/Image.gz" \
	-initrd "$work/initramfs.cpio" \
	-append "console=ttyAMA0 panic=-1 -- /iopgtable.ko /iopgtable_test.ko" \
	</dev/null >"$log" 2>&1 || true

grep -a 'iopgtable-load: ' "$log" | sed 's/^.*iopgtable-load: /    /' >&2 || true
grep -aq 'iopgtable-load: load /iopgtable.ko: 0' "$log" ||
	die "iopgtable.ko did not load (see $log)"
grep -aq 'iopgtable-load: load /iopgtable_test.ko: 0' "$log" ||
	die "iopgtable_test.ko did not load (see $log)"
grep -aq 'iopgtable-load: unload iopgtable_test: 0' "$log" ||
	die "iopgtable_test.ko did not unload (see $log)"
grep -aq 'iopgtable-load: unload iopgtable: 0' "$log" ||
	die "iopgtable.ko did not unload (see $log)"
grep -aq 'iopgtable-load: done, modules failed: 0' "$log" ||
	die "the init did not finish (see $log)"
# Tables left in the module's kmem_cache when it is destroyed.
! grep -a 'kmem_cache_destroy\|still has objects' "$log" ||
	die "iopgtable.ko left tables behind at unload (see $log)"

# The KTAP of the test module: what follows the first load (the kernel's
# own empty KTAP header, printed at boot, comes before it).
sed -n '/iopgtable-load: load \/iopgtable.ko/,$p' "$log" >"$work/ktap.log"
cd "$src"
python3 tools/testing/kunit/kunit.py parse "$work/ktap.log" | tee "$work/parse.log"
summary=$(grep -E 'Testing complete\. Ran [0-9]+ tests' "$work/parse.log" | tail -n1)
[ -n "$summary" ] || die "no KTAP in $log"
! grep -qE 'failed: [1-9]|crashed: [1-9]' <<<"$summary"
