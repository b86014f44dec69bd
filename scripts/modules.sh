#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Out-of-tree module builds with W=1, failing on any warning, against:
# Debian's newest linux-headers of 6.12 and of 6.1 for amd64, the arm64
# kernel of tests/arm64-modules.kunitconfig and the 32-bit ARM (LPAE) kernel
# of tests/arm32-modules.kunitconfig (both cross-compiled).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

status=0
built() {
	local out=$1 kdir=$2 ko

	for ko in "$out"/*.ko; do
		printf '    %-22s %8d bytes   %s\n' "${ko##*/}" "$(stat -c %s "$ko")" "$kdir"
	done
}

for series in 6.12 6.1; do
	# 6.12 with the debugfs files, 6.1 without: both sides of the option.
	extra=()
	[ "$series" = 6.12 ] && extra=(CONFIG_IOPGTABLE_DEBUGFS=y)
	say "out-of-tree build, W=1, Debian linux-headers $series amd64 ${extra[*]}"
	kdir=$("$IOPGTABLE_ROOT/scripts/debian-headers.sh" "$series")
	if out=$(build_module_clean "$kdir" "debian-$series" W=1 "${extra[@]}"); then
		built "$out" "$(basename "$kdir")"
	else
		status=1
	fi
done

say "out-of-tree build, W=1, arm64 (ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)"
kdir=$(arm64_modules_tree)
if out=$(build_module_clean "$kdir" arm64 W=1 ARCH=arm64 \
	 CROSS_COMPILE=aarch64-linux-gnu-); then
	built "$out" "build/arm64-modules"
	[ -f "$out/iopgtable_test.ko" ] ||
		{ echo "error: no iopgtable_test.ko for a kernel with KUnit and tracepoints" >&2; status=1; }
else
	status=1
fi

say "out-of-tree build, W=1, arm32 LPAE (ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf-)"
if kdir=$(arm32_modules_tree) &&
   out=$(build_module_clean "$kdir" arm32 W=1 ARCH=arm \
	 CROSS_COMPILE=arm-linux-gnueabihf-); then
	built "$out" "build/arm32-modules"
	[ -f "$out/iopgtable_test.ko" ] ||
		{ echo "error: no iopgtable_test.ko for a kernel with KUnit and tracepoints" >&2; status=1; }
else
	status=1
fi

[ $status -eq 0 ] && echo "modules: 4 kernels built, no warnings"
exit $status
