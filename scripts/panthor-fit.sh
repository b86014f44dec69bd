#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Part of the driver-fit lane: the copies of converted Panthor code that
# tests/gpuvm-test.c runs must be the patched driver's, byte for byte.
#
#   panthor-fit.sh PATCHED_PANTHOR_MMU_C [TEST_FILE]
#
# Every block of TEST_FILE (tests/gpuvm-test.c) between the lines
#
#   /* panthor-fit: begin NAME */
#   /* panthor-fit: end */
#
# less the blank lines that end it (before the end line, for checkpatch),
# is compared, whitespace included, with NAME as PATCHED_PANTHOR_MMU_C
# defines it: a function from the line that starts its definition at
# column 0 (the line before, when the name starts the line) to the first
# "}" at column 0, or a macro from "#define NAME" to its last continued
# line. panthor_vm_map_pages and panthor_vm_unmap_pages must be among the
# blocks. Prints the diff and fails when one differs or is missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mmu=${1:?usage: panthor-fit.sh PATCHED_PANTHOR_MMU_C [TEST_FILE]}
test_file=${2:-$IOPGTABLE_ROOT/tests/gpuvm-test.c}
rel=${test_file#"$IOPGTABLE_ROOT"/}
required=(panthor_vm_map_pages panthor_vm_unmap_pages)

# driver_def NAME: NAME's definition in $mmu.
driver_def() {
	if [[ $1 =~ ^[A-Z0-9_]+$ ]]; then
		awk -v n="$1" '
			!on && $0 ~ ("^#define " n "([ \t(]|$)") { on = 1 }
			on { print; if ($0 !~ /\\$/) exit }' "$mmu"
	else
		awk -v n="$1" '
			!on && $0 ~ ("^([a-z].*[ *])?" n "\\(") && $0 !~ /;$/ {
				on = 1
				if ($0 ~ ("^" n "\\(")) print prev
			}
			on { print }
			on && /^}/ { exit }
			{ prev = $0 }' "$mmu"
	fi
}

# test_copy NAME: the block of $test_file for NAME, without the blank
# lines at its end.
test_copy() {
	awk -v n="$1" '
		$0 == "/* panthor-fit: end */" { on = 0 }
		on && $0 == "" { blank = blank "\n"; next }
		on { printf "%s%s\n", blank, $0; blank = "" }
		$0 == "/* panthor-fit: begin " n " */" { on = 1 }' "$test_file"
}

# The names, in the order of the file; begin and end must alternate.
names=$(awk '
	/^\/\* panthor-fit: begin [A-Za-z0-9_]+ \*\/$/ {
		if (open) { print "unterminated " open > "/dev/stderr"; open = ""; exit 1 }
		open = $4; print $4; next
	}
	/^\/\* panthor-fit: end \*\/$/ {
		if (!open) { print "end without begin at line " NR > "/dev/stderr"; exit 1 }
		open = ""; next
	}
	/panthor-fit:/ { print "bad marker at line " NR ": " $0 > "/dev/stderr"; open = ""; exit 1 }
	END { if (open) { print "unterminated " open > "/dev/stderr"; exit 1 } }' \
	"$test_file") ||
	{ echo "driver-fit: $rel: unpaired markers"; exit 1; }

status=0
for r in "${required[@]}"; do
	grep -qx "$r" <<<"$names" ||
		{ echo "driver-fit: $rel has no copy of $r"; status=1; }
done
for n in $names; do
	def=$(driver_def "$n")
	if [ -z "$def" ]; then
		echo "driver-fit: $n: not in the patched ${mmu##*/}"
		status=1
	elif ! diff -u --label "patched ${mmu##*/}: $n" \
		--label "$rel: $n" \
		<(printf '%s\n' "$def") <(test_copy "$n"); then
		echo "driver-fit: $n: $rel's copy differs from the patched driver"
		status=1
	fi
done
[ $status -eq 0 ] || exit 1
list=$(paste -sd, <<<"$names")
echo "driver-fit: ${list//,/, }: test copies match the patched driver"
