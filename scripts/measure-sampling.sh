#!/usr/bin/env bash
# Sampling quality: W1 distance to the mixture of `tinyscore sample` with the
# exact score, on three 1-D mixtures of 2, 3 and 4 components with sigma = 2, T = 16,
# 1000 steps, 100000 samples, for euler-maruyama and pf-ode in f32 and i16f16; plus the
# uniform-in-t grid for comparison. Prints a Markdown table. Usage:
#   scripts/measure-sampling.sh [--count N] [--steps N] [--seed S] [--out DIR] [--with-model]
# --with-model also trains a model per mixture (`tinyscore train --t-max 16`) and samples with
# it (Euler-Maruyama, f32): a few minutes more.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=100000; STEPS=1000; SEED=1; OUT=target/measure-sampling; MODEL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --count) COUNT=$2; shift 2;; --steps) STEPS=$2; shift 2;;
    --seed) SEED=$2; shift 2;; --out) OUT=$2; shift 2;; --with-model) MODEL=1; shift;;
    *) echo "unknown argument: $1" >&2; exit 2;;
  esac
done
cargo build --release -q -p tinyscore-host
BIN=target/release/tinyscore
mkdir -p "$OUT"
echo "| mixture | sampler | scalar | grid | W1 | goal |"
echo "|---|---|---|---|---:|---|"
for m in 2 3 4; do
  mix=scripts/mixtures/sampling_${m}_1d.toml
  for sampler in euler-maruyama pf-ode; do
    for scalar in f32 i16f16; do
      goal=0.012; [ "$scalar" = i16f16 ] && goal=0.025
      w=$("$BIN" sample --mixture "$mix" --sampler "$sampler" --steps "$STEPS" --count "$COUNT" \
            --seed "$SEED" --scalar "$scalar" --t-max 16 --output "$OUT/m${m}_${sampler}_${scalar}.csv" \
          | sed -n 's/^W1 to the mixture, dimension 0: //p')
      ok=$(awk -v w="$w" -v g="$goal" 'BEGIN { print (w <= g) ? "<= " g " met" : "<= " g " NOT MET" }')
      echo "| ${m} components | $sampler | $scalar | geometric | $w | $ok |"
    done
  done
  w=$("$BIN" sample --mixture "$mix" --sampler euler-maruyama --steps "$STEPS" --count "$COUNT" \
        --seed "$SEED" --scalar f32 --t-max 16 --grid uniform --output "$OUT/m${m}_uniform.csv" \
      | sed -n 's/^W1 to the mixture, dimension 0: //p')
  echo "| ${m} components | euler-maruyama | f32 | uniform in t | $w | (comparison) |"
  if [ "$MODEL" = 1 ]; then
    "$BIN" train --mixture "$mix" --out "$OUT/m${m}.tsm" --t-max 16 --seed "$SEED" >/dev/null 2>&1
    w=$("$BIN" sample --mixture "$mix" --model "$OUT/m${m}.tsm" --sampler euler-maruyama --steps "$STEPS" \
          --count "$COUNT" --seed "$SEED" --scalar f32 --t-max 16 --output "$OUT/m${m}_model.csv" \
        | sed -n 's/^W1 to the mixture, dimension 0: //p')
    ok=$(awk -v w="$w" 'BEGIN { print (w <= 0.04) ? "<= 0.04 met" : "<= 0.04 NOT MET" }')
    echo "| ${m} components | euler-maruyama, learned model (train --t-max 16) | f32 | geometric | $w | $ok |"
  fi
done
echo
echo "Samples and SVG plots in $OUT/."
