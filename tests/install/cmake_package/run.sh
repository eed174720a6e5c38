#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh BUILD_DIR SOURCE_DIR CC [EXTRA_FLAGS]: install BUILD_DIR into a
# temporary prefix, build tests/install/cmake_package/downstream against it with
# find_package(wsp CONFIG), run the program linked with wsp::wsp and with
# wsp::wsp_static, check pkg-config's moduledir, then uninstall and check that
# nothing the install wrote is left.
set -eu
build=$1 src=$2 cc=$3 extra=${4:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/wsp-cmake-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
cmake -S "$src/tests/install/cmake_package/downstream" -B "$work/b" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
      -DPROG_C="$src/tests/install/prog.c" >/dev/null
cmake --build "$work/b" >/dev/null
moddir=$(cat "$work/b/module_dir.txt")
[ -f "$moddir/wsp_tcp.so" ] || { echo "WSP_MODULE_DIR=$moddir has no wsp_tcp.so"; exit 1; }
unset WSP_PROVIDER_PATH
echo "== wsp::wsp"
"$work/b/prog_shared"
echo "== wsp::wsp_static (modules from WSP_MODULE_DIR)"
WSP_PROVIDER_PATH=$moddir "$work/b/prog_static"
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name wsp.pc | head -n 1)")
export PKG_CONFIG_PATH
pcmod=$(pkg-config --variable=moduledir wsp)
[ -f "$pcmod/wsp_itot.so" ] || { echo "pkg-config moduledir $pcmod has no wsp_itot.so"; exit 1; }
# uninstall: the target removes every file of install_manifest.txt
cmake --build "$build" --target uninstall >/dev/null
left=$(find "$prefix" -type f | wc -l)
[ "$left" -eq 0 ] || { echo "uninstall left $left files:"; find "$prefix" -type f; exit 1; }
echo "cmake package, static library, moduledir and uninstall: ok"
