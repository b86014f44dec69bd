#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The smp-stress lane: the iopgtable KUnit suites in an arm64 kernel with
# KCSAN and lockdep (tests/smp-stress.kunitconfig), run under
# qemu-system-aarch64 with 4 CPUs, in build/kunit-smp-stress; takes the
# arguments of scripts/kunit.sh. Without a filter it runs
# iopgtable_smp_stress only: under KCSAN one iopgtable_oracle row takes
# 2 to 5 minutes there, and the suites' single-threaded calls are the
# arm64 lane's. Besides failing tests it fails on any
# KCSAN, lockdep or other kernel report in the console log, which it keeps
# as build/kunit-smp-stress/test.log. The WARNs that the suites provoke on
# purpose, whose message starts with "iopgtable: ", are expected.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

log=$BUILD_DIR/kunit-smp-stress/test.log
rm -f "$log"
if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
	set -- iopgtable_smp_stress "$@"
fi
IOPGTABLE_KUNIT_ARCH=arm64-smp "$IOPGTABLE_ROOT/scripts/kunit.sh" "$@"
status=$?
[ -f "$log" ] || die "no console log at $log"

# A report's first line: BUG (KCSAN's "BUG: KCSAN: data-race"), Oops,
# panic, hung task, or WARNING (lockdep's "WARNING: possible circular
# locking dependency detected" and the like), unless the message printed
# just before the WARNING, after the "cut here" line, is one of iopgtable's.
reports=$(sed -E 's/^\[[^]]*\] //' "$log" | awk '
	/BUG: |Oops|Kernel panic|INFO: task .* blocked/ { print; prev = $0; next }
	/WARNING:/ && prev !~ /^iopgtable: / { print }
	{ prev = $0 }')
if [ -n "$reports" ]; then
	printf '%s\n' "$reports" >&2
	say "smp-stress: $(wc -l <<<"$reports") kernel report(s) in $log"
	exit 1
fi
say "smp-stress: no KCSAN, lockdep or other kernel report in $log"
exit $status
