#!/bin/sh
# SPDX-License-Identifier: MIT
# check_man3.sh LIBWSP MAN3_DIR: every function libwsp exports has a section 3
# page, and (when groff is there) every page renders without a warning.
set -eu
lib=$1 dir=$2
missing=0
for sym in $(nm -D --defined-only "$lib" | awk '$2 ~ /^[TW]$/ {sub(/@.*/, "", $3); print $3}'); do
    if [ ! -f "$dir/$sym.3" ]; then
        echo "no man page for exported function $sym (add a section to docs/api.md)"
        missing=$((missing + 1))
    fi
done
[ "$missing" -eq 0 ] || exit 1
pages=$(ls "$dir"/*.3 | wc -l)
if command -v groff >/dev/null 2>&1; then
    for p in "$dir"/*.3; do
        grep -q '^\.so ' "$p" && continue
        out=$(groff -man -ww -z -Tutf8 "$p" 2>&1) || { echo "$p: groff failed: $out"; exit 1; }
        [ -z "$out" ] || { echo "$p: $out"; exit 1; }
    done
fi
echo "$pages man pages, every export covered"
