#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The rust lane (make check-rust): the UML kernel of scripts/kunit-rust.sh
# run with every KUnit test it has (the kernel's doctests, kernel::iopgtable's
# among them), the Rust sample's report checked in its console, then the
# kernel's Rust checks over the same tree: rustfmtcheck (and rustfmt
# --check with the kernel's configuration on rust/iopgtable.rs and the
# sample, which the kernel's find does not reach through their symbolic
# links), CLIPPY=1 and rustdoc, each failing on any warning.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$IOPGTABLE_ROOT/scripts/rust.sh"

out=$BUILD_DIR/kunit-rust
"$IOPGTABLE_ROOT/scripts/kunit-rust.sh"
grep -aq 'iopgtable_rust_sample: map, remap and unmap steps ok' "$out/test.log" ||
	die "the Rust sample did not report its steps (see $out/test.log)"
say "Rust sample: $(grep -a 'iopgtable_rust_sample:' "$out/test.log" | head -n1)"

rust_toolchain
src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
kmake() {
	make -s -C "$src" ARCH=um O="$out" "${RUST_MAKE_ARGS[@]}" -j"$JOBS" "$@"
}

# check NAME COMMAND...: run, fail on an error or on any warning.
check() {
	local name=$1 log=$BUILD_DIR/check-rust-$1.log
	shift
	if ! "$@" >"$log" 2>&1 || grep -q 'warning' "$log"; then
		cat "$log" >&2
		die "rust $name is not clean (see $log)"
	fi
	say "rust $name: clean"
}

check rustfmt kmake rustfmtcheck
check rustfmt-iopgtable "$RUSTFMT_BIN" --check --edition 2021 \
	--config-path "$src/.rustfmt.toml" \
	"$IOPGTABLE_ROOT/rust/iopgtable.rs" "$IOPGTABLE_ROOT/samples/iopgtable_rust.rs"
check clippy kmake CLIPPY=1 rust/ drivers/iopgtable/
check rustdoc kmake rustdoc
