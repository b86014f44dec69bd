#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The arm32 lane: scripts/kunit.sh with the suites built into a 32-bit ARM
# kernel with LPAE (tests/arm32.kunitconfig: 64-bit phys_addr_t, 32-bit
# size_t) and run under qemu-system-arm on two Cortex-A15 CPUs, in
# build/kunit-arm32. Takes the same arguments.
IOPGTABLE_KUNIT_ARCH=arm exec "$(dirname "${BASH_SOURCE[0]}")/kunit.sh" "$@"
