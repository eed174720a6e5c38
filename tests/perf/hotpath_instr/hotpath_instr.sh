#!/bin/sh
# SPDX-License-Identifier: MIT
# usage: hotpath_instr.sh VALGRIND WSP_BENCH OUTDIR
# Fails when wsp adds more user-space instructions per 64-byte call than its
# budget over the raw syscall (callgrind, collected only inside the bench's
# call loops, so setup and the kernel are not counted).
#
# The budgets hold what the tcp hot path reaches (docs/performance.md, "tcp
# send and recv": 230 / 244 / 261 / 275 with gcc 12 -O3, 233 / 247 / 264 /
# 278 at -O2) with a margin for another gcc; issue 11's target is 120 on
# each, not met yet: the budget is there so that the path does not grow
# back, and comes down with it.
set -u
vg=$1 bench=$2 out=$3
n=2000
send_budget=260
recv_budget=295
issue_target=120

count() { # send|recv raw|wsp|WSASend|WSARecv
    f="$out/callgrind.$1.$2.out"
    if ! "$vg" --tool=callgrind --callgrind-out-file="$f" --toggle-collect="bench_cg_$1_$2" \
        "$bench" --callgrind-"$1" "$2" "$n" >"$out/callgrind.$1.$2.log" 2>&1; then
        echo "valgrind failed for $1 $2:" >&2
        cat "$out/callgrind.$1.$2.log" >&2
        exit 1
    fi
    awk '/^(summary|totals):/ {print $2; exit}' "$f"
}

fail=0
check() { # what raw_total total budget
    awk -v what="$1" -v r="$2" -v w="$3" -v b="$4" -v t="$issue_target" -v n="$n" 'BEGIN {
        if (r == "" || w == "" || r <= 0 || w <= 0) { printf "%s: no count\n", what; exit 1 }
        extra = (w - r) / n
        printf "%-8s %7.1f instructions per call, raw %5.1f, extra %6.1f (budget %d, issue 11 target %d)\n",
            what, w / n, r / n, extra, b, t
        exit extra <= b ? 0 : 1
    }' || fail=1
}

send_raw=$(count send raw) || exit 1
check wsp_send "$send_raw" "$(count send wsp)" "$send_budget"
check WSASend "$send_raw" "$(count send WSASend)" "$send_budget"
recv_raw=$(count recv raw) || exit 1
check wsp_recv "$recv_raw" "$(count recv wsp)" "$recv_budget"
check WSARecv "$recv_raw" "$(count recv WSARecv)" "$recv_budget"
[ "$fail" = 0 ] || echo "FAILED: a path is over its instruction budget" >&2
exit "$fail"
