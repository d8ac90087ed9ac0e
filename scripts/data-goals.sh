#!/usr/bin/env bash
# Goals of `train --data` / `sample --model` on the two non-mixture sets of
# scripts/make-datasets.py (ring, moons): for each set,
#   tinyscore train --data SET-train.csv --seed T [TRAIN OPTIONS]  (defaults: 60000 steps of 512, t in [0, 16], lambda = sigma^2 t,
#                                                                   the stable target over 512 reference rows)
#   tinyscore sample --model M --seed S                            (10000 samples, Euler-Maruyama, 1000 steps, f32)
#   tinyscore fit --data SET-train.csv --components auto, then sample --mixture --seed S (the same sampler)
# and the sliced W1 distance (64 fixed directions) of both sample sets to the held-out data,
# next to the distance between the two halves (even/odd rows) of the held-out data. One
# draw of 10000 samples moves these distances by up to 0.01, and the trained model moves
# them by as much with its training seed, so the model is trained with seeds T = 0 to 4
# (TRAIN_SEEDS) and each model and the mixture sampled with seeds S = 1 to 5; the goal is
# on the means: model <= mixture and model <= 3 x halves. Prints a Markdown table (means,
# the models' mean per training seed, and the mixture's range over the sampling seeds);
# exits 1 if a goal fails.
#   bash scripts/data-goals.sh [WORK_DIR [TRAIN OPTIONS...]]   e.g. target/dg-ema --ema 0.999
#   TRAIN_SEEDS="0" bash scripts/data-goals.sh                  one training seed (faster)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-target/data-goals}"
shift || true
mkdir -p "$work"
py="$(bash scripts/python-env.sh)"
cargo build --release -q -p tinyscore-host
bin=target/release/tinyscore
python3 scripts/make-datasets.py "$work/sets" >/dev/null
seeds="${TRAIN_SEEDS:-0 1 2 3 4}"
echo "| set | sliced W1 model -> held-out (mean; per training seed $seeds) | fit --components auto mixture -> held-out (mean; range over sampling seeds) | two halves of held-out | model / halves | goal |"
echo "|---|---|---|---|---|---|"
status=0
for set in ring moons; do
  tr="$work/sets/$set-train.csv"
  te="$work/sets/$set-test.csv"
  "$bin" fit --data "$tr" --components auto --out "$work/$set.fit.toml" >"$work/$set.fit.txt" 2>&1
  rm -f "$work/$set.mixture-samples."*.csv
  rows="$work/$set.seeds.txt"
  : >"$rows"
  per_seed=""
  for tseed in $seeds; do
    "$bin" train --data "$tr" --out "$work/$set.$tseed.tsm" --seed "$tseed" "$@" >"$work/$set.train.$tseed.txt" 2>&1
    : >"$rows.$tseed"
    for seed in 1 2 3 4 5; do
      "$bin" sample --model "$work/$set.$tseed.tsm" --data "$te" --seed "$seed" \
        --output "$work/$set.model-samples.$tseed.$seed.csv" >"$work/$set.sample.$tseed.$seed.txt" 2>&1
      [ -f "$work/$set.mixture-samples.$seed.csv" ] || "$bin" sample --mixture "$work/$set.fit.toml" --seed "$seed" \
        --output "$work/$set.mixture-samples.$seed.csv" >"$work/$set.mixture-sample.$seed.txt" 2>&1
      "$py" scripts/data_goals.py "$te" "$work/$set.model-samples.$tseed.$seed.csv" "$work/$set.mixture-samples.$seed.csv" >>"$rows.$tseed"
    done
    cat "$rows.$tseed" >>"$rows"
    per_seed="$per_seed $(awk '{ m += $1; n++ } END { printf "%.4f", m / n }' "$rows.$tseed")"
  done
  # The mixture's distances repeat for each training seed: its mean and range are those of the sampling seeds.
  read -r dm dx xlo xhi dh ratio verdict < <(awk '
    { m += $1; x += $2; h = $3; n++
      if (n == 1 || $2 < xlo) xlo = $2; if (n == 1 || $2 > xhi) xhi = $2 }
    END { m /= n; x /= n; ok = (m <= x && m <= 3 * h)
          printf "%.4f %.4f %.4f %.4f %.4f %.2f %s\n", m, x, xlo, xhi, h, m / h, ok ? "PASS" : "FAIL" }' "$rows")
  k="$(sed -n 's/^components: \([0-9]*\).*/K = \1/p' "$work/$set.fit.txt" | head -1)"
  echo "| $set | $dm (${per_seed# }) | $dx ($xlo to $xhi; ${k:-K ?}) | $dh | $ratio | $verdict |"
  [ "$verdict" = PASS ] || status=1
done
exit $status
