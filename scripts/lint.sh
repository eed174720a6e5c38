#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Format and static checks, part of the test command (scripts/test.sh):
#   1. clang-format --dry-run -Werror on every C source and header in the
#      repository (the style is .clang-format);
#   2. clang-tidy with .clang-tidy on the library, the providers and the tool
#      (src/, tools/), every warning an error. Tests are left to the compilers'
#      -Wall -Wextra -Werror and the sanitizers.
# Exit 0 only when both are clean. LINT_JOBS sets clang-tidy's parallelism.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${LINT_JOBS:-$(nproc 2>/dev/null || echo 2)}
rc=0

for tool in clang-format clang-tidy; do
    command -v "$tool" >/dev/null || { echo "lint: $tool is missing (scripts/deps.sh installs it)"; exit 1; }
done

list() { git ls-files "$@" 2>/dev/null; }

echo "--- clang-format ($(clang-format --version | head -1))"
mapfile -t sources < <(list '*.c' '*.h')
if ! clang-format --dry-run -Werror "${sources[@]}"; then
    echo "lint: files differ from .clang-format (fix: clang-format -i FILE)"
    rc=1
fi

echo "--- clang-tidy"
# Only the compile commands are needed (no build): a configure of its own.
cmake -S . -B out/tidy -DCMAKE_C_COMPILER=clang -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
      -DBUILD_TESTING=ON >/dev/null || { echo "lint: cmake configure failed"; exit 1; }
mapfile -t tidy_files < <(list 'src/*.c' 'tools/*.c')
log=out/tidy/clang-tidy.log
printf '%s\n' "${tidy_files[@]}" |
    xargs -P "$jobs" -n 6 clang-tidy -p out/tidy --quiet --warnings-as-errors='*' >"$log" 2>&1
tidy_rc=$?
grep -E "(warning|error):" "$log" | grep -v "^[0-9]* warnings* generated" || true
if [ "$tidy_rc" -ne 0 ]; then
    echo "lint: clang-tidy found problems (full output: $log)"
    rc=1
fi
[ "$rc" -eq 0 ] && echo "lint: clean (${#sources[@]} files formatted, ${#tidy_files[@]} checked by clang-tidy)"
exit "$rc"
