#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Plots of a bench run (called by bench/run.sh): DIR/targets.csv and
# DIR/scale.csv (written by wsp-bench) -> DIR/ratios.png and DIR/scale.png.
#   bench/plot.sh DIR
set -euo pipefail
dir=$1
t="$dir/targets.csv" s="$dir/scale.csv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ratios.png: one bar per scenario (the ratio figure, with its spread), and its
# target as a red mark; bytes-valued targets go to scale.png instead.
# The scenario may hold commas: the 7 numeric fields are counted from the end.
awk -F, 'NR > 1 {
    name = $1
    for (i = 2; i <= NF - 7; i++) name = name "," $i
    gsub(/"/, "", name)
    if (name ~ /RSS per idle/) next
    sub(/ vs .*/, "", name); gsub(/ /, "_", name)
    printf "%d %s %s %s %s %s %s\n", n++, name, $(NF-5), $(NF-4), $(NF-3), $(NF-2), $(NF-6)
}' "$t" >"$tmp/ratios.dat"
# Rows as written: index name figure lo hi target kind
if [ -s "$tmp/ratios.dat" ]; then
    rows=$(wc -l <"$tmp/ratios.dat")
    gnuplot <<GP
set terminal pngcairo size 1400,$((300 + rows * 28)) font ",10" noenhanced
set output "$dir/ratios.png"
set title "wsp against raw, every figure with its target (time: lower is better; rate: higher is better)"
set style fill solid 0.5
set yrange [-1:$rows]
set ytics nomirror
set grid x
set xlabel "ratio wsp/raw (bars: median, whiskers: 25th..75th percentile; red: target)"
set logscale x 2
unset key
plot "$tmp/ratios.dat" using (\$3):1:(\$3 < 1 ? \$3 : 1):(\$3 < 1 ? 1 : \$3):(\$1-0.35):(\$1+0.35):ytic(stringcolumn(2)." (".stringcolumn(7).")") with boxxyerror lc rgb "#4477aa", \
     "" using 3:1:4:5 with xerrorbars lc rgb "black" pt 0, \
     "" using 6:1:(0):(0.45) with vectors nohead lw 3 lc rgb "red", \
     "" using 6:1:(0):(-0.45) with vectors nohead lw 3 lc rgb "red"
GP
fi

# scale.png: release time and RSS per endpoint against n
if [ -s "$s" ] && [ "$(wc -l <"$s")" -gt 1 ]; then
    for v in raw itot0 itot2; do
        awk -F, -v v="$v" 'NR > 1 && $1 == v {print $2, $3, $4, $5, $8}' "$s" >"$tmp/$v.dat"
    done
    gnuplot <<GP
set terminal pngcairo size 1400,500 font ",10" noenhanced
set output "$dir/scale.png"
set multiplot layout 1,3 title "n concurrent connections in one process (loopback, both ends in the process)"
set logscale x 10
set grid
set key top left
set xlabel "n connections"
set title "release all (disconnect + read to end + close)"
set ylabel "ns per connection"
plot "$tmp/raw.dat" using 1:4 with linespoints title "raw TCP", \
     "$tmp/itot0.dat" using 1:4 with linespoints title "itot class 0 (64 octets DR)", \
     "$tmp/itot2.dat" using 1:4 with linespoints title "itot class 2 (64 octets DR)", \
     "$tmp/raw.dat" using 1:(\$4 * 2) with lines dt 2 lc rgb "red" title "target: 2 x raw"
set title "user-space memory per idle endpoint (RSS growth / 2n)"
set ylabel "bytes"
plot "$tmp/itot0.dat" using 1:3 with linespoints title "itot class 0", \
     "$tmp/itot2.dat" using 1:3 with linespoints title "itot class 2", \
     "$tmp/raw.dat" using 1:3 with linespoints title "raw TCP", \
     2048 with lines dt 2 lc rgb "red" title "target: 2 KiB"
set title "opening (connect + accept), untimed setup of the pools"
set ylabel "ns per connection"
set logscale y 10
plot "$tmp/raw.dat" using 1:5 with linespoints title "raw TCP", \
     "$tmp/itot0.dat" using 1:5 with linespoints title "itot class 0", \
     "$tmp/itot2.dat" using 1:5 with linespoints title "itot class 2"
unset multiplot
GP
fi
