#!/usr/bin/env bash
# Sampling quality: W1 distance to the mixture of `tinyscore sample` with the
# exact score, on three 1-D mixtures of 2, 3 and 4 components with sigma = 2, T = 16,
# 1000 steps, 100000 samples, for euler-maruyama and pf-ode in f32 and i16f16; plus the
# uniform-in-t grid for comparison; and the few-step samplers on the Karras grid (their
# defaults --rho 60, --sigma-min 0.2 x the smallest std, 0.3 x at <= 10 steps): dpm-solver-2m at 20 and 10 score
# evaluations, edm-heun at 19, in f32 and i16f16. Prints a Markdown table with the score
# evaluations per sample next to W1. Usage:
#   scripts/measure-sampling.sh [--count N] [--steps N] [--seed S] [--out DIR] [--with-model]
# --with-model also trains a model per mixture (`tinyscore train --t-max 16`) and samples with
# it (Euler-Maruyama 1000 steps, f32; dpm-solver-2m-sde at 20 evaluations, f32 and i16f16):
# a few minutes more.
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
echo "| mixture | sampler | scalar | grid | evaluations per sample | W1 | goal |"
echo "|---|---|---|---|---:|---:|---|"
# run ARGS...: prints "EVALUATIONS W1" of one `tinyscore sample` run.
run() {
  "$BIN" sample --count "$COUNT" --seed "$SEED" --t-max 16 "$@" \
    | awk '/^score_evaluations: / { e = $2 } /^W1 to the mixture, dimension 0: / { w = $NF } END { print e, w }'
}
verdict() { awk -v w="$1" -v g="$2" 'BEGIN { print (w <= g) ? "<= " g " met" : "<= " g " NOT MET" }'; }
for m in 2 3 4; do
  mix=scripts/mixtures/sampling_${m}_1d.toml
  for sampler in euler-maruyama pf-ode; do
    for scalar in f32 i16f16; do
      goal=0.012; [ "$scalar" = i16f16 ] && goal=0.025
      read -r e w < <(run --mixture "$mix" --sampler "$sampler" --steps "$STEPS" --scalar "$scalar" \
        --output "$OUT/m${m}_${sampler}_${scalar}.csv")
      echo "| ${m} components | $sampler | $scalar | geometric | $e | $w | $(verdict "$w" "$goal") |"
    done
  done
  read -r e w < <(run --mixture "$mix" --sampler euler-maruyama --steps "$STEPS" --scalar f32 --grid uniform \
    --output "$OUT/m${m}_uniform.csv")
  echo "| ${m} components | euler-maruyama | f32 | uniform in t | $e | $w | (comparison) |"
  for fs in "dpm-solver-2m 19 0.012" "dpm-solver-2m 9 0.03" "edm-heun 9 0.012"; do
    read -r sampler steps goal <<<"$fs"
    for scalar in f32 i16f16; do
      read -r e w < <(run --mixture "$mix" --sampler "$sampler" --steps "$steps" --scalar "$scalar" --grid karras \
        --output "$OUT/m${m}_${sampler}_${steps}_${scalar}.csv")
      echo "| ${m} components | $sampler | $scalar | karras | $e | $w | $(verdict "$w" "$goal") |"
    done
  done
  if [ "$MODEL" = 1 ]; then
    "$BIN" train --mixture "$mix" --out "$OUT/m${m}.tsm" --t-max 16 --seed "$SEED" >/dev/null 2>&1
    read -r e w < <(run --mixture "$mix" --model "$OUT/m${m}.tsm" --sampler euler-maruyama --steps "$STEPS" \
      --scalar f32 --output "$OUT/m${m}_model.csv")
    echo "| ${m} components | euler-maruyama, learned model (train --t-max 16) | f32 | geometric | $e | $w | $(verdict "$w" 0.04) |"
    for scalar in f32 i16f16; do
      read -r e w < <(run --mixture "$mix" --model "$OUT/m${m}.tsm" --sampler dpm-solver-2m-sde --steps 19 \
        --scalar "$scalar" --grid karras --output "$OUT/m${m}_model_sde_${scalar}.csv")
      echo "| ${m} components | dpm-solver-2m-sde, learned model | $scalar | karras | $e | $w | $(verdict "$w" 0.04) |"
    done
  fi
done
echo
echo "Samples and SVG plots in $OUT/."
