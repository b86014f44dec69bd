#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the iopgtable KUnit suites with the kernel's own kunit.py, under UML,
# or under QEMU with IOPGTABLE_KUNIT_ARCH=arm64 (qemu-system-aarch64, what
# scripts/kunit-arm64.sh sets), IOPGTABLE_KUNIT_ARCH=arm (qemu-system-arm,
# 32-bit ARM with LPAE, what scripts/kunit-arm32.sh sets) or
# IOPGTABLE_KUNIT_ARCH=arm64-smp (arm64 with 4 CPUs, KCSAN and lockdep,
# tests/smp-stress.kunitconfig, what scripts/smp-stress.sh sets); and under
# UML with DRM for the drm_gpuvm replay with IOPGTABLE_KUNIT_ARCH=um-gpuvm
# (tests/gpuvm.kunitconfig, build/kunit-gpuvm):
#
#   scripts/kunit.sh                     every iopgtable_* suite
#   scripts/kunit.sh 'iopgtable_core'    one suite (kunit.py filter glob)
#   scripts/kunit.sh 'iopgtable_core.map_pages_all' --raw_output=all
#
# Prepares the kernel first (see prepare-kernel.sh). The build directory,
# build/kunit-uml, build/kunit-arm64, build/kunit-arm32 or
# build/kunit-smp-stress, is kept: a rerun after an edit rebuilds only what
# changed. Arguments after the filter go to 'kunit.py run'.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

arch=${IOPGTABLE_KUNIT_ARCH:-um}
kunitconfigs=(--kunitconfig="$IOPGTABLE_ROOT/tests/.kunitconfig")
arm64_args=(--arch=arm64 --cross_compile=aarch64-linux-gnu- --timeout=900)
case $arch in
# UML also builds DRM, so that the drm_gpuvm replay runs with the rest
# (one kernel for both; um-gpuvm is the same build).
um|um-gpuvm)
	kunitconfigs+=(--kunitconfig="$IOPGTABLE_ROOT/tests/gpuvm.kunitconfig")
	arch_args=() build=kunit-uml ;;
arm64)	apt_install gcc-aarch64-linux-gnu qemu-system-arm
	kunitconfigs+=(--kunitconfig="$IOPGTABLE_ROOT/tests/arm64.kunitconfig"
		       --kunitconfig="$IOPGTABLE_ROOT/tests/gpuvm.kunitconfig")
	arch_args=("${arm64_args[@]}")
	build=kunit-arm64 ;;
arm)	apt_install gcc-arm-linux-gnueabihf qemu-system-arm
	kunitconfigs+=(--kunitconfig="$IOPGTABLE_ROOT/tests/arm32.kunitconfig")
	arch_args=(--arch=arm --cross_compile=arm-linux-gnueabihf-
		   --qemu_args='-cpu cortex-a15 -smp 2' --timeout=900)
	build=kunit-arm32 ;;
arm64-smp)
	apt_install gcc-aarch64-linux-gnu qemu-system-arm
	kunitconfigs+=(--kunitconfig="$IOPGTABLE_ROOT/tests/arm64.kunitconfig"
		       --kunitconfig="$IOPGTABLE_ROOT/tests/smp-stress.kunitconfig")
	arch_args=("${arm64_args[@]}" --qemu_args='-smp 4')
	build=kunit-smp-stress ;;
*)	die "IOPGTABLE_KUNIT_ARCH=$arch: um, um-gpuvm, arm64, arm or arm64-smp" ;;
esac

filter='iopgtable_*'
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	filter=$1
	shift
fi

src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
cd "$src"
exec python3 tools/testing/kunit/kunit.py run "${arch_args[@]}" \
	"${kunitconfigs[@]}" \
	--build_dir="$BUILD_DIR/$build" \
	--jobs="$JOBS" "$@" "$filter"
