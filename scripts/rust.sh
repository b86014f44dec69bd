#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Rust toolchain of the kernel Rust lane, sourced by the scripts that
# build it: Debian's rustc-web (with its library source, rust-web-src, its
# rustfmt and clippy) and libclang, and bindgen from the crates registry at a pinned version in
# build/bindgen (Debian 12's bindgen 0.60.1 is older than 6.12's minimum,
# 0.65.1). Sets RUST_MAKE_ARGS, the variables that point the kernel's make
# at them whatever else comes first in PATH (a rustup toolchain without
# library source, for one).

# 0.70.1: the last release before 0.71 changed how --rust-target is read
# (6.12 passes "--rust-target 1.68", written for 0.65 to 0.70), and the
# first with the fix for libclang 19's token concatenation that 6.12's
# rust_is_available.sh tests for.
BINDGEN_VERSION=0.70.1

rust_toolchain() {
	local ver

	BINDGEN_ROOT=$BUILD_DIR/bindgen

	apt_install rustc-web cargo-web rust-web-src rustfmt-web \
		rust-web-clippy libclang-dev
	# The -web packages install as /usr/bin/rustc and friends.
	RUSTC_BIN=/usr/bin/rustc
	RUSTFMT_BIN=/usr/bin/rustfmt
	ver=$("$BINDGEN_ROOT/bin/bindgen" --version 2>/dev/null || true)
	if [ "$ver" != "bindgen $BINDGEN_VERSION" ]; then
		say "cargo install bindgen-cli $BINDGEN_VERSION into $BINDGEN_ROOT"
		mkdir -p "$BUILD_DIR"
		# Debian's cargo, with Debian's rustc, not whatever PATH holds.
		RUSTC=$RUSTC_BIN \
			nice -n 19 /usr/bin/cargo install --locked \
			--jobs "$JOBS" bindgen-cli --version "$BINDGEN_VERSION" \
			--root "$BINDGEN_ROOT" >"$BUILD_DIR/bindgen.log" 2>&1 || {
			tail -n 20 "$BUILD_DIR/bindgen.log" >&2
			die "cargo install bindgen-cli $BINDGEN_VERSION failed"
		}
	fi
	RUST_MAKE_ARGS=(
		RUSTC="$RUSTC_BIN"
		RUSTDOC=/usr/bin/rustdoc
		RUSTFMT="$RUSTFMT_BIN"
		CLIPPY_DRIVER=/usr/bin/clippy-driver
		CARGO=/usr/bin/cargo
		BINDGEN="$BINDGEN_ROOT/bin/bindgen"
	)
	RUST_LIB_SRC=$("$RUSTC_BIN" --print sysroot)/lib/rustlib/src/rust/library
	[ -d "$RUST_LIB_SRC/core/src" ] ||
		die "no Rust library source at $RUST_LIB_SRC (rust-web-src)"
	export RUST_LIB_SRC
}

# Run directly: install the toolchain and ask the embedded kernel whether it
# takes it (make rustavailable, UML).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
	rust_toolchain
	src=$("$IOPGTABLE_ROOT/scripts/prepare-kernel.sh")
	make -s -C "$src" ARCH=um "${RUST_MAKE_ARGS[@]}" rustavailable
fi
