#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: iopgtable beside the kernel's io-pgtable-arm in one UML run
# (tests/bench.c and tests/bench-prealloc.c, their own build in
# build/bench-uml). Prints the table and writes it, with the date, the
# machine and the command, to build/bench.md.
#
# BENCH_ONLY=text (make bench BENCH_ONLY=1_x) runs only the cases whose
# name contains text, '_' standing for a space; the floor always runs.
# BENCH_TRACE=n builds the kernel without tracepoints (CONFIG_FTRACE=n, in
# build/bench-uml-notrace, table in build/bench-notrace.md), to compare with
# the default, where they are compiled in and off.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
name=bench
build=bench-uml
kunitconfig=$IOPGTABLE_ROOT/tests/bench.kunitconfig
cmd="make bench"
args=()
mkdir -p "$BUILD_DIR"
case ${BENCH_TRACE:-y} in
y) ;;
n)
	name=bench-notrace
	build=bench-uml-notrace
	kunitconfig=$BUILD_DIR/bench-notrace.kunitconfig
	sed -e '/^CONFIG_ENABLE_DEFAULT_TRACERS=/d' \
	    -e 's/^CONFIG_FTRACE=y$/CONFIG_FTRACE=n/' \
	    "$IOPGTABLE_ROOT/tests/bench.kunitconfig" >"$kunitconfig"
	grep -qx 'CONFIG_FTRACE=n' "$kunitconfig" ||
		die "tests/bench.kunitconfig no longer sets CONFIG_FTRACE=y"
	cmd="make bench BENCH_TRACE=n"
	;;
*) die "BENCH_TRACE: y (tracepoints compiled in, the default) or n" ;;
esac
log=$BUILD_DIR/$name.log
out=$BUILD_DIR/$name.md
if [ -n "${BENCH_ONLY:-}" ]; then
	case $BENCH_ONLY in
	*[!A-Za-z0-9_+.-]*) die "BENCH_ONLY: letters, digits and _+.- only ('_' is a space)" ;;
	esac
	args=(--kernel_args="iopgtable_bench.bench_only=$BENCH_ONLY"
	      --kernel_args="iopgtable_bench_prealloc.bench_only=$BENCH_ONLY")
	cmd="$cmd BENCH_ONLY=$BENCH_ONLY"
fi
(cd "$src" && python3 tools/testing/kunit/kunit.py run \
	--kunitconfig="$kunitconfig" \
	--build_dir="$BUILD_DIR/$build" --jobs="$JOBS" \
	--raw_output=all "${args[@]}" 'iopgtable_bench*') >"$log" 2>&1 ||
	{ tail -n 30 "$log"; die "the benchmark did not run (see $log)"; }

rows=$(grep -a 'bench| ' "$log" | sed 's/^.*bench| /| /')
[ -n "$rows" ] || die "the benchmark printed no table (see $log)"
{
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), UML 6.12, \`$cmd\`"
	echo
	echo "$rows"
} >"$out"
cat "$out"
echo "(written to $out)" >&2
# The suites check what they time once per case; the raw output is not
# parsed by kunit.py, so a failed check is found here.
! grep -aq '^not ok' "$log" || die "a benchmark's check failed (see $log)"
