#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Rust lane's kernel: UML with CONFIG_RUST, the kernel's doctests as
# KUnit (rust_doctests_kernel, iopgtable's among them) and the Rust sample,
# built with kunit.py from tests/rust.kunitconfig in build/kunit-rust and
# the toolchain of scripts/rust.sh. Arguments go to 'kunit.py run'.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$IOPGTABLE_ROOT/scripts/rust.sh"

rust_toolchain
src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
make_options=()
for arg in "${RUST_MAKE_ARGS[@]}"; do
	make_options+=(--make_options="$arg")
done
cd "$src"
exec python3 tools/testing/kunit/kunit.py run \
	--kunitconfig="$IOPGTABLE_ROOT/tests/rust.kunitconfig" \
	--build_dir="$BUILD_DIR/kunit-rust" \
	"${make_options[@]}" --jobs="$JOBS" "$@"
