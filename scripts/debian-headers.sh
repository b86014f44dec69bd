#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# debian-headers.sh SERIES: unpack the newest Debian linux-headers package of
# a kernel series (6.12, 6.1) for amd64 under build/debian-headers/ and print
# its build directory, for out-of-tree module builds: make KDIR=$(...).
#
# The packages are fetched with apt-get download and unpacked with dpkg -x,
# not installed: installing headers would pull in a kernel image.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

series=${1:?usage: debian-headers.sh SERIES (6.12 or 6.1)}
case $series in
6.12) pattern='^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' ;;
6.1) pattern='^linux-headers-6\.1\.0-[0-9]+-amd64$' ;;
*) die "unknown series $series (6.12 or 6.1)" ;;
esac

apt_install make gcc bc bison flex libelf-dev libssl-dev dpkg-dev dwarves
pick() { apt-cache search --names-only "$pattern" | awk '{ print $1 }' | sort -V | tail -n1; }
pkg=$(pick)
if [ -z "$pkg" ]; then
	apt_update
	pkg=$(pick)
fi
[ -n "$pkg" ] || die "no Debian package matches $pattern"

root=$BUILD_DIR/debian-headers
kdir=$root/usr/src/$pkg
if [ ! -f "$kdir/.iopgtable-unpacked" ]; then
	ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
	# The package's build tree needs its -common headers and its kbuild.
	deps=$(apt-cache show "$pkg=$ver" | sed -n 's/^Depends: //p' | head -n1 |
	       tr ',' '\n' | grep -oE 'linux-(headers|kbuild)-[^ ]+' | sort -u)
	# One folder per series: unpacking another series' packages again
	# would undo the Makefile fix below.
	dl=$root/debs/$pkg
	mkdir -p "$dl"
	for p in "$pkg" $deps; do
		v=$(apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')
		[ -n "$v" ] && [ "$v" != "(none)" ] || die "Debian package $p is not available"
		ls "$dl/${p}_"*.deb >/dev/null 2>&1 && continue
		say "apt-get download $p=$v"
		(cd "$dl" && apt-get download -qq -o APT::Sandbox::User=root "$p=$v" >&2) || die "could not download $p=$v"
	done
	for deb in "$dl"/*.deb; do
		dpkg -x "$deb" "$root"
	done
	[ -f "$kdir/Makefile" ] || die "$pkg did not unpack a build tree at $kdir"
	# Its Makefile includes the -common tree by absolute path.
	sed -i "s|/usr/src/|$root/usr/src/|" "$kdir/Makefile"
	touch "$kdir/.iopgtable-unpacked"
fi
echo "$kdir"
