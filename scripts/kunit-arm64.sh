#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The arm64 lane: every iopgtable KUnit suite built into an arm64 kernel
# and run under qemu-system-aarch64 by kunit.py, in build/kunit-arm64
# (kept, so reruns are incremental). Arguments go to 'kunit.py run' as
# for scripts/kunit.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install gcc-aarch64-linux-gnu qemu-system-arm

filter='iopgtable_*'
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	filter=$1
	shift
fi

src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
cd "$src"
exec python3 tools/testing/kunit/kunit.py run --arch=arm64 \
	--cross_compile=aarch64-linux-gnu- \
	--kunitconfig="$IOPGTABLE_ROOT/tests/.kunitconfig" \
	--build_dir="$BUILD_DIR/kunit-arm64" \
	--jobs="$(nproc)" --timeout=900 "$@" "$filter"
