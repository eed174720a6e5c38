#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bench command: builds Release in out/bench, runs wsp-bench (markdown table
# on stdout, CSV in out/bench/bench.csv), then counts instructions of the 64 B
# send path raw vs wsp with callgrind when valgrind is installed.
#   bench/run.sh [wsp-bench args...]      e.g. bench/run.sh --quick
# CALLGRIND=0 skips the callgrind part; CG_SENDS sets its number of sends.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=out/bench
jobs=$(nproc 2>/dev/null || echo 2)
cg_sends=${CG_SENDS:-10000}

cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$out" -j"$jobs" --target wsp-bench >/dev/null

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')," \
     "kernel $(uname -r), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
# Other load on the machine widens the spread of every figure: say how much there was.
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# A failed row does not stop the callgrind part; the exit status reports it.
bench_rc=0
"$out/bin/wsp-bench" --csv "$out/bench.csv" "$@" || bench_rc=$?
echo

if [ "${CALLGRIND:-1}" = 0 ]; then
    exit "$bench_rc"
fi
if ! command -v valgrind >/dev/null; then
    echo "callgrind: valgrind not installed, skipped"
    exit "$bench_rc"
fi

# Instructions of N sends, counted only inside the collected function (setup,
# draining and the kernel are outside it).  Repeatable on any machine.
cg_count() { # raw|wsp
    local f="$out/callgrind.$1.out"
    valgrind --tool=callgrind --callgrind-out-file="$f" \
        --toggle-collect="bench_cg_send_$1" \
        "$out/bin/wsp-bench" --callgrind-send "$1" "$cg_sends" >/dev/null 2>"$out/callgrind.$1.log"
    awk '/^(summary|totals):/ {print $2; exit}' "$f"
}
raw_ir=$(cg_count raw)
wsp_ir=$(cg_count wsp)
echo "callgrind: user-space instructions for $cg_sends sends of 64 B (kernel not counted)"
echo
echo "| path | instructions | per send | wsp - raw per send |"
echo "|---|---:|---:|---:|"
awk -v n="$cg_sends" -v r="$raw_ir" -v w="$wsp_ir" 'BEGIN {
    printf "| send() | %d | %.1f | |\n", r, r / n
    printf "| wsp_send() | %d | %.1f | %.1f |\n", w, w / n, (w - r) / n
}'
exit "$bench_rc"
