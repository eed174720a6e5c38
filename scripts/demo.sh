#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: build the library, the providers and the wsp command, then run
# `wsp demo` on loopback.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh --build
cmake -S . -B out/demo -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build out/demo -j"$(nproc 2>/dev/null || echo 2)"
exec out/demo/bin/wsp demo
