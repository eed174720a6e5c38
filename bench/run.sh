#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bench command: builds Release in out/bench, runs wsp-bench (markdown
# tables on stdout: every row, every figure against its target of issues 11 and
# 9 (the overlapped rows: completion-port echo server, 1 GiB overlapped
# stream), the scaling curve), the same Winsock program built three ways (raw POSIX, wsp,
# mingw-w64 + Wine's ws2_32 when installed), the callgrind instruction count of
# the 64 B send path when valgrind is installed, and writes
# bench/results/results.md, the CSVs and the PNG plots (gnuplot) next to it.
#   bench/run.sh [wsp-bench args...]      e.g. bench/run.sh --quick (about a minute)
# A --quick pass writes into out/bench/quick instead, so that a smoke run never
# replaces the committed figures; RESULTS=dir chooses the directory.
# CALLGRIND=0 skips the callgrind part; CG_SENDS sets its number of calls;
# NO_DEPS=1 skips installing gnuplot; WINE=0 skips the Wine build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=out/bench
jobs=$(nproc 2>/dev/null || echo 2)
quick=0
for a in "$@"; do [ "$a" = --quick ] && quick=1; done
res=${RESULTS:-$([ "$quick" = 1 ] && echo "$out/quick" || echo bench/results)}
cg_sends=${CG_SENDS:-$([ "$quick" = 1 ] && echo 2000 || echo 10000)}

# ---- dependencies of the bench itself (plots); not part of scripts/test.sh ----
if [ "${NO_DEPS:-0}" != 1 ] && ! command -v gnuplot >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing gnuplot-nox for the plots..." >&2
        apt-get install -y -q gnuplot-nox >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q gnuplot-nox >/dev/null 2>&1; } ||
            echo "gnuplot-nox could not be installed: plots skipped" >&2
    fi
fi

cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$out" -j"$jobs" --target wsp-bench wsbench-posix wsbench-wsp >/dev/null
mkdir -p "$res"
md="$out/results.md"
: >"$md"
# everything on stdout also goes into results.md
say() { printf '%s\n' "$*" | tee -a "$md"; }

say "# wsp bench results"
say
say "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')," \
    "kernel $(uname -r), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "$(date -u '+%Y-%m-%d %H:%M UTC')"
# Other load on the machine widens the spread of every figure: say how much there was.
say "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
say "command: bench/run.sh $*"
say
# A failed row does not stop the rest; the exit status reports it.
bench_rc=0
"$out/bin/wsp-bench" --csv "$out/bench.csv" --targets-csv "$res/targets.csv" \
    --scale-csv "$res/scale.csv" "$@" | tee -a "$md" || bench_rc=$?
say

# ---- the same Winsock source, three ways ----
rounds=$([ "$quick" = 1 ] && echo 1 || echo 3)
pp_n=$([ "$quick" = 1 ] && echo 300 || echo 2000)
lc_n=$([ "$quick" = 1 ] && echo 10 || echo 50)
wine64=$(command -v wine64 || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; } || true)
exe="$out/wsbench.exe"
have_wine=0
if [ "${WINE:-1}" != 0 ] && [ -n "$wine64" ] && command -v x86_64-w64-mingw32-gcc >/dev/null; then
    x86_64-w64-mingw32-gcc -O2 -o "$exe" bench/winsock/wsbench.c -lws2_32 && have_wine=1
fi
tw="$out/threeway.txt"
: >"$tw"
for r in $(seq "$rounds"); do
    # alternate the order of the builds from round to round, like the samples
    for v in posix wsp wine; do
        case $v in
        posix) "$out/bin/wsbench-posix" "$pp_n" "$lc_n" ;;
        wsp) "$out/bin/wsbench-wsp" "$pp_n" "$lc_n" ;;
        wine) [ "$have_wine" = 1 ] || continue
              WINEPREFIX="$root/$out/wine-prefix" WINEDEBUG=-all "$wine64" "$exe" "$pp_n" "$lc_n" 2>/dev/null ;;
        esac | sed "s/^/$v $r /" >>"$tw" || true
    done
done
say "### The same Winsock program three ways (bench/winsock/wsbench.c)"
say
say "One thread over loopback: ping-pong = 1 byte a->b then b->a; lifecycle = socket, connect,"
say "accept, 1 KiB each way, shutdown(SD_SEND) both ways, read to end, closesocket both ends."
say "Median of 21 samples per run, median of $rounds run(s) per build (ns)."
say
med() { # build metric
    awk -v v="$1" -v m="$2" '$1 == v && $3 == m {print $4}' "$tw" | sort -g |
        awk '{a[NR] = $1} END {if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'
}
{
    echo "| scenario | raw POSIX ns | wsp ns | wsp/raw | mingw + Wine ws2_32 ns | Wine/raw |"
    echo "|---|---:|---:|---:|---:|---:|"
    for m in pingpong_ns lifecycle_ns; do
        p=$(med posix $m) w=$(med wsp $m) x=$(med wine $m)
        awk -v m="$m" -v p="$p" -v w="$w" -v x="$x" 'BEGIN {
            name = m == "pingpong_ns" ? "1 B ping-pong" : "lifecycle (1 KiB each way)"
            wr = p > 0 && w != "" ? sprintf("%.2f", w / p) : "n/a"
            xr = p > 0 && x != "" ? sprintf("%.2f", x / p) : "n/a"
            printf "| %s | %s | %s | %s | %s | %s |\n", name, p, w, wr, x == "" ? "skipped" : x, xr
        }'
    done
} | tee -a "$md"
[ "$have_wine" = 1 ] || say "(Wine column skipped: x86_64-w64-mingw32-gcc or wine64 not installed, or WINE=0.)"
say

# ---- callgrind: instructions of N sends and N receives, counted only inside the collected function ----
if [ "${CALLGRIND:-1}" = 0 ]; then
    say "callgrind: skipped (CALLGRIND=0)"
elif ! command -v valgrind >/dev/null; then
    say "callgrind: valgrind not installed, skipped"
else
    cg_count() { # send|recv raw|wsp|WSASend|WSARecv
        local f="$out/callgrind.$1.$2.out"
        valgrind --tool=callgrind --callgrind-out-file="$f" \
            --toggle-collect="bench_cg_$1_$2" \
            "$out/bin/wsp-bench" --callgrind-"$1" "$2" "$cg_sends" >/dev/null 2>"$out/callgrind.$1.$2.log"
        awk '/^(summary|totals):/ {print $2; exit}' "$f"
    }
    send_raw=$(cg_count send raw)
    send_wsp=$(cg_count send wsp)
    send_wsa=$(cg_count send WSASend)
    recv_raw=$(cg_count recv raw)
    recv_wsp=$(cg_count recv wsp)
    recv_wsa=$(cg_count recv WSARecv)
    say "### callgrind: user-space instructions for $cg_sends calls of 64 B (kernel not counted)"
    say
    awk -v n="$cg_sends" -v sr="$send_raw" -v sw="$send_wsp" -v sa="$send_wsa" \
        -v rr="$recv_raw" -v rw="$recv_wsp" -v ra="$recv_wsa" 'BEGIN {
        print "| path | instructions | per call | wsp - raw per call | target |"
        print "|---|---:|---:|---:|---:|"
        row("send()", sr, 0); row("wsp_send()", sw, sr); row("WSASend()", sa, sr)
        row("recv()", rr, 0); row("wsp_recv()", rw, rr); row("WSARecv()", ra, rr)
    }
    function row(name, v, raw) {
        if (raw == 0) { printf "| %s | %d | %.1f | | |\n", name, v, v / n; return }
        printf "| %s | %d | %.1f | %.1f | <= 120 (%s) |\n", name, v, v / n, (v - raw) / n,
            (v - raw) / n <= 120 ? "met" : "**missed**"
    }' | tee -a "$md"
    say
fi

# ---- plots ----
if command -v gnuplot >/dev/null; then
    bench/plot.sh "$res" && say "plots: ratios.png (every figure against its target), scale.png (the scaling curve)"
else
    say "plots: skipped (gnuplot not installed)"
fi
cp "$md" "$res/results.md"
exit "$bench_rc"
