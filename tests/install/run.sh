#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh BUILD_DIR PROG_C CC [EXTRA_CFLAGS]: install, build prog.c with
# pkg-config, run it. Exit status is the program's (or 1 for a set-up failure).
set -eu
build=$1 prog=$2 cc=$3 extra=${4:-}
prefix=$(mktemp -d "${TMPDIR:-/tmp}/wsp-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name wsp.pc | head -n 1)
[ -n "$pc" ] || { echo "wsp.pc was not installed"; exit 1; }
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
libdir=$(pkg-config --variable=libdir wsp)
echo "installed into $prefix; pkg-config: $(pkg-config --cflags --libs wsp)"
# shellcheck disable=SC2046,SC2086
"$cc" $extra -o "$prefix/prog" "$prog" $(pkg-config --cflags --libs wsp)
unset WSP_PROVIDER_PATH
LD_LIBRARY_PATH=$libdir "$prefix/prog"
