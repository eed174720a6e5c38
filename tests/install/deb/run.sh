#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh BUILD_DIR: make the Debian package with cpack, check what it holds,
# install it with dpkg -i into a private root (its own dpkg database, so the
# system is not touched) and run `wsp demo` from it.
set -eu
build=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/wsp-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work/pkg" >/dev/null)
deb=$(find "$work/pkg" -maxdepth 1 -name 'wsp_*.deb' | head -n 1)
[ -n "$deb" ] || { echo "cpack made no wsp_*.deb"; exit 1; }
dpkg-deb -c "$deb" >"$work/contents"
for f in ./usr/lib/libwsp.so ./usr/lib/wsp/wsp_tcp.so ./usr/lib/wsp/wsp_itot.so \
         ./usr/include/wsp/winsock2.h ./usr/lib/pkgconfig/wsp.pc ./usr/lib/cmake/wsp/wspConfig.cmake \
         ./usr/bin/wsp ./usr/share/man/man1/wsp.1 ./usr/share/man/man3/WSASendDisconnect.3; do
    grep -q " $f\( \|$\)" "$work/contents" || { echo "not in the package: $f"; exit 1; }
done
mkdir -p "$work/root" "$work/admin/updates" "$work/admin/info"
: >"$work/admin/status"
dpkg --force-not-root --force-script-chrootless --force-depends --log=/dev/null \
     --admindir="$work/admin" --instdir="$work/root" -i "$deb" >/dev/null
dpkg --admindir="$work/admin" -s wsp | grep -q '^Status: install ok installed'
unset WSP_PROVIDER_PATH
"$work/root/usr/bin/wsp" --version | grep -q 'License: MIT'
"$work/root/usr/bin/wsp" demo >"$work/demo.out" 2>&1 || { cat "$work/demo.out"; exit 1; }
tail -n 1 "$work/demo.out"
