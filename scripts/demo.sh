#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The main job (README): prepare the embedded Linux 6.12, build iopgtable out
# of tree against Debian's 6.12 headers, build the UML kernel with iopgtable
# in tree, boot it and show the demonstration module mapping, translating
# and unmapping a GPU-sized buffer.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")

say "out-of-tree build against Debian's linux-headers for 6.12"
kdir=$("$IOPGTABLE_ROOT/scripts/debian-headers.sh" 6.12)
out=$(build_module "$kdir" debian-6.12 W=1)
for ko in "$out"/*.ko; do
	printf '    %-22s %7d bytes   (%s)\n' "${ko##*/}" "$(stat -c %s "$ko")" \
		"$(basename "$kdir")"
done

say "UML kernel with iopgtable in tree (drivers/iopgtable)"
(cd "$src" && python3 tools/testing/kunit/kunit.py build \
	--kunitconfig="$IOPGTABLE_ROOT/tests/.kunitconfig" \
	--build_dir="$BUILD_DIR/kunit-uml" --jobs="$JOBS" >&2) ||
	die "UML kernel build failed"

say "booting it: the demo runs at boot, then the kernel halts"
log=$BUILD_DIR/demo.log
"$BUILD_DIR/kunit-uml/linux" mem=256M console=tty kunit.enable=1 \
	kunit.filter_glob=none.none kunit_shutdown=halt </dev/null >"$log" 2>&1 ||
	true
grep -a 'iopgtable_demo: ' "$log" | sed 's/^.*iopgtable_demo: /    /' || true
grep -aq 'iopgtable_demo: ok' "$log" || die "the demo did not finish (see $log)"
say "done: the demo's full boot log is $log"
