#!/usr/bin/env bash
# The Karras grid's defaults of `tinyscore sample` (--rho, --sigma-min as a multiple of the
# narrowest component's std): W1 of dpm-solver-2m with the exact score, f32, 100,000
# samples, at 10 and 20 score evaluations (--steps 9 and 19), on the three sampling mixtures
# of scripts/mixtures/, for a few candidate settings and seeds 1 to 3 (W1 of a finite sample
# scatters by a few thousandths from seed to seed: a default must meet the goals on every
# seed, not on one). Goals: W1 <= 0.03 at 10 evaluations, <= 0.012 at 20. Prints a Markdown
# table. A few minutes.
#   bash scripts/sweep-karras.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p tinyscore-host
bin=target/release/tinyscore
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| mixture | evaluations | rho | sigma-min / smallest std | W1 seed 1 | seed 2 | seed 3 | max |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for m in 2 3 4; do
  mix=scripts/mixtures/sampling_${m}_1d.toml
  smallest=$(sed -n 's/^std = \[\(.*\)\]/\1/p' "$mix" | tr ', ' '\n\n' | grep . | sort -g | head -1)
  for steps in 9 19; do
    for rho in 12 60; do
      for ratio in 0.2 0.3; do
        smin=$(awk -v r="$ratio" -v s="$smallest" 'BEGIN { print r * s }')
        ws=()
        for seed in 1 2 3; do
          ws+=("$("$bin" sample --mixture "$mix" --sampler dpm-solver-2m --grid karras --steps "$steps" \
            --rho "$rho" --sigma-min "$smin" --count 100000 --seed "$seed" --t-max 16 --output "$out/s.csv" |
            awk '/^W1 to the mixture, dimension 0: / { print $NF }')")
        done
        max=$(printf '%s\n' "${ws[@]}" | sort -g | tail -1)
        echo "| $m components | $((steps + 1)) | $rho | $ratio | ${ws[0]} | ${ws[1]} | ${ws[2]} | $max |"
      done
    done
  done
done
