#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The test command (README, .ci/run): every iopgtable KUnit suite under UML.
# Fails if any test fails or none ran; ends with a "N passed, N failed" line.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$BUILD_DIR"
log=$BUILD_DIR/check-uml.log
status=0
"$IOPGTABLE_ROOT/scripts/kunit.sh" 2>&1 | tee "$log" || status=$?

summary=$(grep -E 'Testing complete\. Ran [0-9]+ tests' "$log" | tail -n1 || true)
[ -n "$summary" ] || die "kunit.py printed no summary (see $log)"
ran=$(sed -E 's/.*Ran ([0-9]+) tests.*/\1/' <<<"$summary")
passed=$(grep -oE 'passed: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
failed=$(grep -oE 'failed: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
skipped=$(grep -oE 'skipped: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
[ "$ran" -gt 0 ] || die "no test ran"
[ $((passed + failed + skipped)) -eq "$ran" ] || status=1
echo "kunit-uml: $passed passed, $failed failed, $skipped skipped"
exit $status
