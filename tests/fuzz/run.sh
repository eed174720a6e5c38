#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Usage: tests/fuzz/run.sh DURATION
# Builds every libFuzzer target (tests/fuzz/<name>/ -> fuzz_<name>) with clang in
# its own build tree and runs each for DURATION seconds, starting from the seed
# corpus in the repo.  New inputs go to the build tree, never into the repo.
# Exits non-zero if a build fails or any target reports a finding (crash, leak,
# timeout, out-of-memory, failed check); the finding is kept in the build tree.
set -uo pipefail
duration=${1:?usage: run.sh DURATION-SECONDS}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WSP_FUZZ_BUILD_DIR:-$root/out/fuzz}
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DBUILD_TESTING=ON -DWSP_WERROR=ON -DWSP_FUZZ=ON >/dev/null || { echo "fuzz: configure failed"; exit 1; }

targets=()
for dir in "$root"/tests/fuzz/*/; do
    name=$(basename "$dir")
    [ -f "$dir/CMakeLists.txt" ] || continue
    targets+=("$name")
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets"; exit 1; }

failed=()
for name in "${targets[@]}"; do
    if ! cmake --build "$build" -j"$jobs" --target "fuzz_$name"; then
        echo "fuzz: building fuzz_$name failed"
        failed+=("$name(build)")
        continue
    fi
    bin=$(find "$build" -type f -name "fuzz_$name" -perm -u+x | head -1)
    [ -n "$bin" ] || { failed+=("$name(binary)"); continue; }
    work="$build/fuzz-work/$name"
    mkdir -p "$work/corpus" "$work/artifacts"
    echo "=== fuzz_$name for ${duration}s ==="
    # Per-input limits: a state machine input is small and must finish fast.
    if "$bin" -max_total_time="$duration" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
              -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
              "$work/corpus" "$root/tests/fuzz/$name/corpus" >"$work/log" 2>&1; then
        grep -E '^stat::number_of_executed_runs|^Done' "$work/log" | tr '\n' ' '; echo
    else
        tail -40 "$work/log"
        echo "fuzz: fuzz_$name reported a finding; see $work/artifacts and $work/log"
        failed+=("$name")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzz: ${#targets[@]} target(s), no finding"
