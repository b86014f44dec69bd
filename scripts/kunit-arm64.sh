#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The arm64 lane: scripts/kunit.sh with the suites built into an arm64
# kernel and run under qemu-system-aarch64, in build/kunit-arm64. Takes
# the same arguments.
IOPGTABLE_KUNIT_ARCH=arm64 exec "$(dirname "${BASH_SOURCE[0]}")/kunit.sh" "$@"
