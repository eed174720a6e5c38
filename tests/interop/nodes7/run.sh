#!/bin/sh
# SPDX-License-Identifier: MIT
# nodes7 -> `wsp listen --proto itot`: its CR (TSAPs 0x0100/0x0102, C0 1024)
# is accepted, our class 0 CC is one nodes7 takes (it insists on a 22-octet
# CC: LI 17 with C1, C2 and C0), and its first S7 PDU reaches wsp's stdout
# intact.  Usage: run.sh WSP_EXE WORKDIR
set -eu
wsp=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
out=$work/nodes7_listen.out
err=$work/nodes7_listen.err
: >"$out"
: >"$err"
lpid=
npid=
cleanup() {
    [ -n "$npid" ] && kill "$npid" 2>/dev/null || true
    [ -n "$lpid" ] && kill "$lpid" 2>/dev/null || true
}
trap cleanup EXIT

"$wsp" listen --proto itot --calling-tsap 0x0102 -v 127.0.0.1 0 </dev/null >"$out" 2>"$err" &
lpid=$!

# The listener prints its port once it listens: wait for that line (guard 20 s).
wait_for() { # FILE PATTERN
    i=0
    while ! grep -q "$2" "$1"; do
        i=$((i + 1))
        if [ "$i" -gt 400 ]; then
            echo "timed out waiting for '$2' in $1:"; cat "$1"; return 1
        fi
        sleep 0.05
    done
}
wait_for "$err" "listening on"
port=$(sed -n 's/^wsp: listening on 127\.0\.0\.1 \([0-9]*\) (itot)$/\1/p' "$err")

node "$here/peer_s7.js" "$port" >"$work/nodes7_peer.out" 2>&1 &
npid=$!

# nodes7's setup communication PDU: protocol id 0x32, job, PDU ref 0,
# parameter length 8, function 0xF0, max AmQ 8/8, PDU size 960 (0x03C0).
want="32 01 00 00 00 00 00 08 00 00 f0 00 00 08 00 08 03 c0"
i=0
while [ "$(wc -c <"$out")" -lt 18 ]; do
    i=$((i + 1))
    if [ "$i" -gt 400 ]; then
        echo "FAIL: the S7 PDU did not arrive; wsp said:"; cat "$err"
        echo "nodes7 said:"; cat "$work/nodes7_peer.out"; exit 1
    fi
    sleep 0.05
done
got=$(od -An -tx1 -v "$out" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
echo "wsp listen stderr:"; cat "$err"
if [ "$got" != "$want" ]; then
    echo "FAIL: got  $got"; echo "      want $want"; exit 1
fi
for line in "negotiated class: 0" "negotiated TPDU size: 1024 octets" \
            "received 18 octets (end of message)"; do
    if ! grep -q "$line" "$err"; then echo "FAIL: no '$line' in wsp's report"; exit 1; fi
done
echo "PASS: nodes7's first S7 PDU arrived intact ($got)"
