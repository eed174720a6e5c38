#!/bin/sh
# SPDX-License-Identifier: MIT
# The full "nothing lost" soak: 10,000 connections of up to 4 MiB per provider
# (tcp and itot), 64 at a time, over loopback.  ctest runs a short version.
#
#   tests/soak/run_full.sh [BUILD_DIR] [soak options...]
#
# BUILD_DIR defaults to out/default (configured and built if missing).  Extra
# options go to the soak binary and override the defaults, e.g. --seed 0x50a4
# to repeat a run.  Exits with the binary's status.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/out/default}
[ $# -gt 0 ] && shift
if [ ! -x "$build/bin/soak" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON
  cmake --build "$build" -j2 --target soak
fi
WSP_PROVIDER_PATH="$build/lib/wsp" exec "$build/bin/soak" \
  --connections 10000 --concurrency 64 --max-size 4M --stall-seconds 120 "$@"
