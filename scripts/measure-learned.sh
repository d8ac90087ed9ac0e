#!/bin/sh
# Train s_theta with the defaults of `tinyscore train` on the quality-check mixtures
# (2 to 4 components, 1 and 2 dimensions, std 0.3 to 0.6, means within 3, sigma = 1) and
# print the relative Fisher divergence R for the f32 model and the model quantised to
# i16f16, the training time and the model size. Goal: R(f32) <= 0.02 and
# R(i16f16) <= 1.1 R(f32) + 0.002.
#
#   scripts/measure-learned.sh [extra train options, e.g. --seed 1]
set -eu
cd "$(dirname "$0")/.."
cargo build --release -q -p tinyscore-host
bin=target/release/tinyscore
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| mixture | R f32 | R i16f16 | goal i16f16 | train s | params | bytes (f32) |\n|---|---|---|---|---|---|---|\n'
for m in scripts/learned-mixtures/*.toml; do
    name=$(basename "$m" .toml)
    log=$("$bin" train --mixture "$m" --out "$out/$name.tsm" "$@" 2>/dev/null)
    r32=$(printf '%s\n' "$log" | sed -n 's/^R (f32) = \([^ ]*\).*/\1/p')
    r16=$(printf '%s\n' "$log" | sed -n 's/^R (i16f16) = \([^ ]*\).*/\1/p')
    secs=$(printf '%s\n' "$log" | sed -n 's/^trained in \([^ ]*\) s.*/\1/p')
    params=$(printf '%s\n' "$log" | sed -n 's/^trained in [^;]*; \([0-9]*\) parameters.*/\1/p')
    bytes=$(printf '%s\n' "$log" | sed -n 's/.*model file \([0-9]*\) bytes (f32).*/\1/p')
    goal=$(awk -v r="$r32" -v q="$r16" 'BEGIN { print (q <= 1.1 * r + 0.002 && r <= 0.02) ? "met" : "MISSED" }')
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$r32" "$r16" "$goal" "$secs" "$params" "$bytes"
done
