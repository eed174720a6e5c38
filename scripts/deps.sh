#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what the build and the tests need, from Debian's archive and the npm
# registry only. Idempotent: installs nothing when everything is there.
#   deps.sh           everything the tests use (scripts/test.sh)
#   deps.sh --build   only what building the library and running the demo needs
set -euo pipefail
mode=${1:-all}

build_pkgs=(build-essential cmake pkg-config liburing-dev)
test_pkgs=(clang clang-format clang-tidy libclang-rt-14-dev libcmocka-dev tshark libfiu-dev fiu-utils valgrind libuv1-dev)
# mingw-w64 and Wine: the examples are also built for Windows and run under
# Wine, a second opinion on what Windows does. Installed when they can be; the
# tests that need them are registered only when they are found.
optional_pkgs=(gcc-mingw-w64-x86-64 wine64 wine)
pkgs=("${build_pkgs[@]}")
[ "$mode" = --build ] || pkgs+=("${test_pkgs[@]}")
need=()
for pkg in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ "$mode" != --build ]; then
    # Node.js may come from outside Debian's packages (with its own npm): a
    # command on PATH is enough; Debian's packages only when there is none.
    command -v node >/dev/null 2>&1 || need+=(nodejs)
    command -v npm >/dev/null 2>&1 || need+=(npm)
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "deps: installing ${need[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

[ "$mode" = --build ] && exit 0

opt_need=()
for pkg in "${optional_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || opt_need+=("$pkg")
done
if [ ${#opt_need[@]} -gt 0 ]; then
    echo "deps: installing ${opt_need[*]} (optional: Windows builds of the examples, Wine)"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    { $SUDO apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
            "${opt_need[@]}" >/dev/null; } ||
        echo "deps: ${opt_need[*]} could not be installed; the _mingw and _wine tests are skipped"
fi
# Test peers from the npm registry (never shipped): each folder that needs one
# has an idempotent install.sh.
root=$(cd "$(dirname "$0")/.." && pwd)
for inst in "$root"/tests/interop/*/install.sh; do
    [ -x "$inst" ] || [ -f "$inst" ] || continue
    bash "$inst"
done
