#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The sanitizers lane: every iopgtable KUnit suite under UML with KASAN and
# UBSAN (tests/.kunitconfig plus tests/sanitizers.kunitconfig), in
# build/kunit-sanitizers, kept between runs. Takes the same arguments as
# scripts/kunit.sh.
#
# KASAN and UBSAN fail the test during which they report. The lane also
# reads the whole console log (build/kunit-sanitizers/test.log) and fails
# on any report there, in a test or not: "BUG:", "UBSAN:", an oops or a
# panic, and any WARNING except those whose message starts with
# "iopgtable: " (the library's contract violations, which some cases
# provoke on purpose and expect).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

filter='iopgtable_*'
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	filter=$1
	shift
fi

src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh") || exit 1
out=$BUILD_DIR/kunit-sanitizers
log=$out/test.log
rm -f "$log"
status=0
(cd "$src" && python3 tools/testing/kunit/kunit.py run \
	--kunitconfig="$IOPGTABLE_ROOT/tests/.kunitconfig" \
	--kunitconfig="$IOPGTABLE_ROOT/tests/sanitizers.kunitconfig" \
	--build_dir="$out" --timeout=900 --jobs="$JOBS" "$@" "$filter") ||
	status=$?
[ -s "$log" ] || die "no console log in $log"

# A WARN's message is printed on the line just before the WARNING line
# (architectures that trap, x86) or just after it (UML): a WARNING is
# expected when one of its neighbours is an "iopgtable: " message.
reports=$(awk '
	{ sub(/^\[ *[0-9.]+\] /, ""); line[NR] = $0 }
	END {
		for (i = 1; i <= NR; i++) {
			l = line[i]
			if (l ~ /^WARNING:/) {
				if (line[i - 1] ~ /^iopgtable: / ||
				    line[i + 1] ~ /^iopgtable: /)
					continue
			} else if (l !~ /BUG: |UBSAN:|Oops|Kernel panic|kmemleak:.*leak/) {
				continue
			}
			printf "%s:%d: %s\n", FILENAME, i, l
		}
	}' "$log")
if [ -n "$reports" ]; then
	printf '%s\n' "$reports" >&2
	echo "error: sanitizer or kernel reports in $log (above)" >&2
	status=1
else
	echo "sanitizers: no KASAN, UBSAN, BUG or unexpected WARNING report in $log"
fi
exit $status
