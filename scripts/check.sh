#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The test command (README, .ci/run): every lane, or the ones named.
#
#   uml         every iopgtable KUnit suite under UML (kunit.py), with DRM
#               so that iopgtable_gpuvm_replay runs among them
#   lint        checkpatch, kernel-doc, sparse, W=1, coccicheck
#   modules     out-of-tree W=1 builds: Debian 6.12 and 6.1 amd64, arm64,
#               arm32 (LPAE)
#   arm64       the KUnit suites built in, arm64 under QEMU (kunit.py)
#   arm64-load  the out-of-tree modules loaded into arm64 under QEMU
#   arm32       the KUnit suites built in, 32-bit ARM with LPAE under QEMU
#   sanitizers  the KUnit suites under UML with KASAN and UBSAN, failing on
#               any report
#   driver-fit  contrib/'s Panthor and Panfrost series applied and built
#   gpuvm       iopgtable_gpuvm_replay alone, on the uml lane's kernel;
#               named only (the uml lane runs it)
#   smp-stress  the KUnit suites, arm64 under QEMU with 4 CPUs, KCSAN and
#               lockdep; also fails on any kernel report in the console
#   rust        kernel::iopgtable: the UML kernel with CONFIG_RUST and its
#               doctests as KUnit, the Rust sample's report, rustfmtcheck,
#               CLIPPY=1 and rustdoc without a warning
#   smmu        contrib/'s arm-smmu-v3 series in an arm64 kernel (4K
#               pages) under QEMU's SMMUv3: 256 MiB of NVMe DMA written,
#               read back and compared, strict and lazy; a fault walked
#   smmu-16k    the same with 16K pages (16K granule, -cpu max); named only
#   smmu-64k    the same with 64K pages (64K granule)
#
# Runs every lane named even after one fails, prints each lane's result
# and wall time, and ends with "check: N passed, N failed, N skipped" over
# the KUnit lanes. Exits non-zero if any lane failed or a KUnit lane ran no
# test.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lanes=("$@")
[ ${#lanes[@]} -gt 0 ] ||
	lanes=(uml lint modules arm64 arm64-load arm32 sanitizers smp-stress
	       driver-fit rust smmu smmu-64k)

mkdir -p "$BUILD_DIR"
passed=0 failed=0 skipped=0
results=()
bad=0

# kunit_lane NAME COMMAND...: run a KUnit lane and add up its summary.
kunit_lane() {
	local name=$1 log=$BUILD_DIR/check-$1.log summary ran p f s status=0
	shift
	"$@" 2>&1 | tee "$log" || status=$?
	summary=$(grep -aE 'Testing complete\. Ran [0-9]+ tests' "$log" | tail -n1)
	ran=$(sed -nE 's/.*Ran ([0-9]+) tests.*/\1/p' <<<"$summary")
	p=$(grep -oE 'passed: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
	f=$(grep -oE '(failed|crashed|errors): [0-9]+' <<<"$summary" |
	    awk '{ n += $2 } END { print n + 0 }')
	s=$(grep -oE 'skipped: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
	[ -n "$f" ] || f=0
	if [ -z "$ran" ] || [ "$ran" -eq 0 ]; then
		status=1
		results+=("$name: no test ran (see $log)")
	else
		[ $((p + f + s)) -eq "$ran" ] || status=1
		results+=("$name: $p passed, $f failed, $s skipped$(
			[ "$status" -eq 0 ] || [ "$f" -gt 0 ] ||
			echo " (FAILED, see $log)")")
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	fi
	[ "$status" -eq 0 ] && [ "$f" -eq 0 ] || bad=1
}

# plain_lane NAME COMMAND...: a lane that passes or fails as a whole.
plain_lane() {
	local name=$1 log=$BUILD_DIR/check-$1.log
	shift
	if "$@" 2>&1 | tee "$log"; then
		results+=("$name: ok")
	else
		results+=("$name: FAILED (see $log)")
		bad=1
	fi
}

for lane in "${lanes[@]}"; do
	say "lane $lane"
	start=$SECONDS
	case $lane in
	uml)		kunit_lane kunit-uml "$IOPGTABLE_ROOT/scripts/kunit.sh" ;;
	arm64)		kunit_lane kunit-arm64 "$IOPGTABLE_ROOT/scripts/kunit-arm64.sh" ;;
	arm64-load)	kunit_lane arm64-load "$IOPGTABLE_ROOT/scripts/arm64-load.sh" ;;
	arm32)		kunit_lane kunit-arm32 "$IOPGTABLE_ROOT/scripts/kunit-arm32.sh" ;;
	sanitizers)	kunit_lane sanitizers "$IOPGTABLE_ROOT/scripts/sanitizers.sh" ;;
	smp-stress)	kunit_lane smp-stress "$IOPGTABLE_ROOT/scripts/smp-stress.sh" ;;
	rust)		kunit_lane rust "$IOPGTABLE_ROOT/scripts/check-rust.sh" ;;
	lint)		plain_lane lint "$IOPGTABLE_ROOT/scripts/lint.sh" ;;
	modules)	plain_lane modules "$IOPGTABLE_ROOT/scripts/modules.sh" ;;
	driver-fit)	plain_lane driver-fit "$IOPGTABLE_ROOT/scripts/driver-fit.sh" ;;
	smmu)		plain_lane smmu "$IOPGTABLE_ROOT/scripts/smmu.sh" 4k ;;
	smmu-16k)	plain_lane smmu-16k "$IOPGTABLE_ROOT/scripts/smmu.sh" 16k ;;
	smmu-64k)	plain_lane smmu-64k "$IOPGTABLE_ROOT/scripts/smmu.sh" 64k ;;
	gpuvm)		kunit_lane kunit-gpuvm "$IOPGTABLE_ROOT/scripts/kunit.sh" \
				'iopgtable_gpuvm*' ;;
	*)		die "unknown lane $lane (uml lint modules arm64 arm64-load" \
			"arm32 sanitizers smp-stress driver-fit gpuvm rust smmu" \
			"smmu-16k smmu-64k)" ;;
	esac
	took=$((SECONDS - start))
	results[${#results[@]} - 1]+=" in $((took / 60))m$((took % 60))s"
done

echo
for r in "${results[@]}"; do
	echo "==> $r"
done
echo "check: $passed passed, $failed failed, $skipped skipped"
exit $bad
