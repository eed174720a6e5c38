#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The test command: installs what is missing, then builds and runs every test
#   1. normal build (gcc, -Werror)           — all tests
#   2. AddressSanitizer + UndefinedBehaviorSanitizer, gcc — all tests
#   3. the same with clang                   — all tests (clang's UBSan also
#      checks arithmetic on a NULL pointer, which gcc's does not)
#   4. ThreadSanitizer (clang)               — the tests labelled "concurrency"
#   5. libFuzzer targets for a bounded time  — no finding allowed
#   and first scripts/lint.sh: clang-format and clang-tidy must be clean
# Build trees go to ./out/ (git-ignored). FUZZ_SECONDS overrides the fuzz time.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${FUZZ_SECONDS:-60}

bash scripts/deps.sh || { echo "test: installing dependencies failed"; exit 1; }

failed_stages=()
total_pass=0
total_fail=0

run_ctest() { # dir [ctest args...]
    local dir=$1; shift
    local log="$dir/ctest.log"
    (cd "$dir" && ctest --output-on-failure -j"$jobs" "$@") 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local line
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
    if [ -n "$line" ]; then
        local nfail ntot
        nfail=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
        ntot=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
        total_pass=$((total_pass + ntot - nfail))
        total_fail=$((total_fail + nfail))
    fi
    return "$rc"
}

stage() { # name builddir cmake-args... -- ctest-args...
    local name=$1 dir=$2; shift 2
    local cargs=() targs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do cargs+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    targs=("$@")
    echo "=== stage: $name ==="
    if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON -DWSP_WERROR=ON \
               "${cargs[@]}" >/dev/null ||
       ! cmake --build "$dir" -j"$jobs"; then
        echo "=== stage $name: BUILD FAILED ==="
        failed_stages+=("$name(build)")
        return
    fi
    run_ctest "$dir" "${targs[@]}" || failed_stages+=("$name")
}

echo "=== stage: lint (format, clang-tidy) ==="
if bash scripts/lint.sh; then
    total_pass=$((total_pass + 1))
else
    total_fail=$((total_fail + 1))
    failed_stages+=("lint")
fi

stage "default" out/default
stage "asan+ubsan" out/asan -DWSP_SANITIZE=address,undefined
stage "asan+ubsan-clang" out/asan-clang -DCMAKE_C_COMPILER=clang -DWSP_SANITIZE=address,undefined
stage "tsan" out/tsan -DCMAKE_C_COMPILER=clang -DWSP_SANITIZE=thread -- -L concurrency

if [ -f tests/fuzz/run.sh ]; then
    echo "=== stage: fuzz (${fuzz_seconds}s per target) ==="
    if bash tests/fuzz/run.sh "$fuzz_seconds"; then
        total_pass=$((total_pass + 1))
    else
        total_fail=$((total_fail + 1))
        failed_stages+=("fuzz")
    fi
fi

echo
if [ ${#failed_stages[@]} -gt 0 ]; then
    echo "failed stages: ${failed_stages[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ ${#failed_stages[@]} -eq 0 ] && [ "$total_fail" -eq 0 ]
