#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the iopgtable KUnit suites with the kernel's own kunit.py, under UML,
# or under qemu-system-aarch64 with IOPGTABLE_KUNIT_ARCH=arm64 (what
# scripts/kunit-arm64.sh sets):
#
#   scripts/kunit.sh                     every iopgtable_* suite
#   scripts/kunit.sh 'iopgtable_core'    one suite (kunit.py filter glob)
#   scripts/kunit.sh 'iopgtable_core.map_pages_all' --raw_output=all
#
# Prepares the kernel first (see prepare-kernel.sh). The build directory,
# build/kunit-uml or build/kunit-arm64, is kept: a rerun after an edit
# rebuilds only what changed. Arguments after the filter go to 'kunit.py run'.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

arch=${IOPGTABLE_KUNIT_ARCH:-um}
case $arch in
um)	arch_args=() build=kunit-uml ;;
arm64)	apt_install gcc-aarch64-linux-gnu qemu-system-arm
	arch_args=(--arch=arm64 --cross_compile=aarch64-linux-gnu- --timeout=900)
	build=kunit-arm64 ;;
*)	die "IOPGTABLE_KUNIT_ARCH=$arch: um or arm64" ;;
esac

filter='iopgtable_*'
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	filter=$1
	shift
fi

src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
cd "$src"
exec python3 tools/testing/kunit/kunit.py run "${arch_args[@]}" \
	--kunitconfig="$IOPGTABLE_ROOT/tests/.kunitconfig" \
	--build_dir="$BUILD_DIR/$build" \
	--jobs="$(nproc)" "$@" "$filter"
