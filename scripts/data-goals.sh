#!/usr/bin/env bash
# Goals of `train --data` / `sample --model` on the two non-mixture sets of
# scripts/make-datasets.py (ring, moons): for each set,
#   tinyscore train --data SET-train.csv            (defaults: 20000 steps, t in [0, 16], lambda = sigma^2 t)
#   tinyscore sample --model M --data SET-test.csv  (10000 samples, Euler-Maruyama, 1000 steps, f32)
#   tinyscore fit --data SET-train.csv --components auto, then sample --mixture (the same sampler)
# and the sliced W1 distance (64 fixed directions) of both sample sets to the held-out data,
# next to the distance between the two halves (even/odd rows) of the held-out data. Goal:
# model <= mixture and model <= 3 x halves. Prints a Markdown table; exits 1 if a goal fails.
#   bash scripts/data-goals.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-target/data-goals}"
mkdir -p "$work"
py="$(bash scripts/python-env.sh)"
cargo build --release -q -p tinyscore-host
bin=target/release/tinyscore
python3 scripts/make-datasets.py "$work/sets" >/dev/null
echo "| set | sliced W1 model -> held-out | fit --components auto mixture -> held-out | two halves of held-out | model / halves | goal |"
echo "|---|---|---|---|---|---|"
status=0
for set in ring moons; do
  tr="$work/sets/$set-train.csv"
  te="$work/sets/$set-test.csv"
  "$bin" train --data "$tr" --out "$work/$set.tsm" >"$work/$set.train.txt" 2>&1
  "$bin" sample --model "$work/$set.tsm" --data "$te" --output "$work/$set.model-samples.csv" >"$work/$set.sample.txt" 2>&1
  "$bin" fit --data "$tr" --components auto --out "$work/$set.fit.toml" >"$work/$set.fit.txt" 2>&1
  "$bin" sample --mixture "$work/$set.fit.toml" --output "$work/$set.mixture-samples.csv" >"$work/$set.mixture-sample.txt" 2>&1
  read -r dm dx dh ratio verdict < <("$py" scripts/data_goals.py "$te" "$work/$set.model-samples.csv" "$work/$set.mixture-samples.csv")
  k="$(grep -o 'K = [0-9]*' "$work/$set.fit.txt" | head -1 || true)"
  echo "| $set | $dm | $dx (${k:-K ?}) | $dh | $ratio | $verdict |"
  [ "$verdict" = PASS ] || status=1
done
exit $status
