#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: build the library, the providers and the wsp command, then run
# `wsp demo` on loopback.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh
cmake -S . -B out/default -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build out/default -j"$(nproc 2>/dev/null || echo 2)"
if [ -x out/default/bin/wsp ]; then
    exec out/default/bin/wsp demo
else
    exec out/default/bin/wsp-example-halfclose
fi
