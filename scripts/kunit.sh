#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the iopgtable KUnit suites under UML with the kernel's own kunit.py:
#
#   scripts/kunit.sh                     every iopgtable_* suite
#   scripts/kunit.sh 'iopgtable_core'    one suite (kunit.py filter glob)
#   scripts/kunit.sh 'iopgtable_core.map_pages_all' --raw_output=all
#
# Prepares the kernel first (see prepare-kernel.sh). The build directory,
# build/kunit-uml, is kept: a rerun after an edit rebuilds only what changed.
# Arguments after the filter go to 'kunit.py run'.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

filter='iopgtable_*'
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	filter=$1
	shift
fi

src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
cd "$src"
exec python3 tools/testing/kunit/kunit.py run \
	--kunitconfig="$IOPGTABLE_ROOT/tests/.kunitconfig" \
	--build_dir="$BUILD_DIR/kunit-uml" \
	--jobs="$(nproc)" "$@" "$filter"
