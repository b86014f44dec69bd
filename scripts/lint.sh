#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make lint: the kernel's own checkers on every source file of ours, each
# failing the target on any finding:
#   checkpatch.pl --strict --no-tree -f, kernel-doc -none -Wall, sparse
#   (C=2) and W=1 on the UML tree with iopgtable in tree, and
#   make coccicheck MODE=report restricted to our folder.
# W=1 out of tree (Debian amd64 headers, arm64) is scripts/modules.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install sparse coccinelle ocaml-nox
src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
uml=$BUILD_DIR/kunit-uml
log=$BUILD_DIR/lint
mkdir -p "$log"
failed=()
clean=

# Every C file and header of ours, sorted, relative to the project root.
sources=$(cd "$IOPGTABLE_ROOT" &&
	  find . -path ./build -prune -o -name '*.[ch]' -print | sed 's|^\./||' | sort)
ours() { grep -aE "(^|/)drivers/iopgtable/|^($(tr '\n' '|' <<<"$sources" | sed 's/|$//'))"; }

say "checkpatch --strict on $(wc -w <<<"$sources") files"
: >"$log/checkpatch.log"
for f in $sources; do
	"$src/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
		-f "$IOPGTABLE_ROOT/$f" >>"$log/checkpatch.log" 2>&1 || true
done
[ -s "$log/checkpatch.log" ] && { cat "$log/checkpatch.log"; failed+=(checkpatch); }

say "kernel-doc -none -Wall"
(cd "$IOPGTABLE_ROOT" && "$src/scripts/kernel-doc" -none -Wall $sources) \
	>"$log/kernel-doc.log" 2>&1 || true
[ -s "$log/kernel-doc.log" ] && { cat "$log/kernel-doc.log"; failed+=(kernel-doc); }

# sparse, W=1 and coccicheck run in the UML tree, configured by kunit.py.
say "configuring the UML tree"
(cd "$src" && python3 tools/testing/kunit/kunit.py build \
	--kunitconfig="$IOPGTABLE_ROOT/tests/.kunitconfig" \
	--build_dir="$uml" --jobs="$JOBS") >"$log/build.log" 2>&1 ||
	{ tail -n 20 "$log/build.log"; die "UML build failed"; }

say "sparse (C=2) and W=1 on drivers/iopgtable"
make -C "$src" ARCH=um O="$uml" C=2 W=1 -j"$JOBS" drivers/iopgtable/ \
	>"$log/sparse-w1.log" 2>&1 || { cat "$log/sparse-w1.log"; failed+=(build); }
if grep -aE 'warning:|error:' "$log/sparse-w1.log" | ours >"$log/findings.log"; then
	cat "$log/findings.log"
	failed+=(sparse/W=1)
fi
# Put the objects back as kunit.py builds them, so its next run is quick.
make -C "$src" ARCH=um O="$uml" -j"$JOBS" drivers/iopgtable/ >/dev/null 2>&1 || true

# scripts/coccicheck turns every "-I" of the kernel's include flags into
# an option of spatch's, one inside a folder's name included, and spatch
# then fails on paths that do not exist: under such a folder coccicheck
# cannot run, and says so.
case $src$uml in
*-I*)
	say "coccicheck: cannot run under a folder named with \"-I\" ($uml); skipped"
	clean="checkpatch, kernel-doc, sparse and W=1 clean; coccicheck skipped"
	;;
*)
	say "coccicheck MODE=report M=drivers/iopgtable"
	make -C "$src" ARCH=um O="$uml" coccicheck MODE=report \
		M=drivers/iopgtable J="$JOBS" >"$log/coccicheck.log" 2>&1 ||
		{ tail -n 20 "$log/coccicheck.log"; failed+=(coccicheck); }
	if grep -aE 'iopgtable/[^ :]+:[0-9]+:' "$log/coccicheck.log" \
		>"$log/cocci-findings.log"; then
		cat "$log/cocci-findings.log"
		failed+=(coccicheck)
	fi
	;;
esac

if [ ${#failed[@]} -gt 0 ]; then
	echo "lint: findings from ${failed[*]} (logs in $log)"
	exit 1
fi
echo "lint: ${clean:-checkpatch, kernel-doc, sparse, W=1 and coccicheck clean}"
