#!/bin/sh
# Train s_theta with the defaults of `tinyscore train` on the quality-check mixtures
# (2 to 4 components, 1 and 2 dimensions, std 0.3 to 0.6, means within 3, sigma = 1) and
# print the relative Fisher divergence R for the f32 model, the model quantised to
# i16f16 and the q8 network (calibrated on 4,096 exact mixture draws over the training
# range), the training time and the model size. Goals: R(f32) <= 0.02,
# R(i16f16) <= 1.1 R(f32) + 0.002, R(q8) <= 2 R(f32) + 0.002.
# Then the sampling W1 (models trained again with --t-max 16 and sampled from there,
# Euler-Maruyama, default grid, 100,000 samples, seed 1) with the f32 model and with the q8
# network (GPTQ-rounded, calibrated over t in [0, 16]); goal: |W1(q8) - W1(f32)| <= 0.005
# in each dimension.
#
#   scripts/measure-learned.sh [extra train options, e.g. --seed 1]
set -eu
cd "$(dirname "$0")/.."
cargo build --release -q -p tinyscore-host
bin=target/release/tinyscore
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| mixture | R f32 | R i16f16 | goal i16f16 | R q8 | goal q8 | W1 f32 | W1 q8 | goal W1 | train s | params | bytes (f32) | bytes (q8) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for m in scripts/learned-mixtures/*.toml; do
    name=$(basename "$m" .toml)
    log=$("$bin" train --mixture "$m" --out "$out/$name.tsm" "$@" 2>/dev/null)
    r32=$(printf '%s\n' "$log" | sed -n 's/^R (f32) = \([^ ]*\).*/\1/p')
    r16=$(printf '%s\n' "$log" | sed -n 's/^R (i16f16) = \([^ ]*\).*/\1/p')
    rq8=$(printf '%s\n' "$log" | sed -n 's/^R (q8) = \([^ ]*\).*/\1/p')
    secs=$(printf '%s\n' "$log" | sed -n 's/^trained in \([^ ]*\) s.*/\1/p')
    params=$(printf '%s\n' "$log" | sed -n 's/^trained in [^;]*; \([0-9]*\) parameters.*/\1/p')
    bytes=$(printf '%s\n' "$log" | sed -n 's/.*model file \([0-9]*\) bytes (f32).*/\1/p')
    goal=$(awk -v r="$r32" -v q="$r16" 'BEGIN { print (q <= 1.1 * r + 0.002 && r <= 0.02) ? "met" : "MISSED" }')
    goal8=$(awk -v r="$r32" -v q="$rq8" 'BEGIN { print (q <= 2 * r + 0.002) ? "met" : "MISSED" }')
    qlog=$("$bin" quantize --model "$out/$name.tsm" --mixture "$m" --out "$out/$name.q8.tsm")
    qbytes=$(printf '%s\n' "$qlog" | sed -n 's/^q8 model file \([0-9]*\) bytes.*/\1/p')
    # Sampling needs a model trained up to the start time (t in [0, 1] is too short a range
    # to start from: its start Gaussian does not match p(., 1)): the W1 columns train again
    # with --t-max 16 and sample from there.
    "$bin" train --mixture "$m" --out "$out/$name.t16.tsm" --t-max 16 --eval-samples 0 "$@" >/dev/null 2>&1
    "$bin" quantize --model "$out/$name.t16.tsm" --mixture "$m" --t-max 16 --out "$out/$name.t16.q8.tsm" >/dev/null
    w1() {
        "$bin" sample --mixture "$m" --model "$1" --scalar "$2" --t-max 16 --count 100000 --seed 1 \
            --output "$out/s.csv" --plot "$out/s.svg" 2>/dev/null |
            sed -n 's/^W1 to the mixture, dimension [0-9]*: \([^ ]*\).*/\1/p' | paste -sd ' ' -
    }
    w32=$(w1 "$out/$name.t16.tsm" f32)
    wq8=$(w1 "$out/$name.t16.q8.tsm" q8)
    goalw=$(awk -v a="$w32" -v b="$wq8" 'BEGIN { n = split(a, x, " "); split(b, y, " "); ok = 1;
        for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > 0.005) ok = 0 }
        print ok ? "met" : "MISSED" }')
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$r32" "$r16" "$goal" \
        "$rq8" "$goal8" "$w32" "$wq8" "$goalw" "$secs" "$params" "$bytes" "$qbytes"
done
