#!/usr/bin/env bash
# The comparison of scripts/data-goals.sh with less sampling noise, for choosing training
# settings: on one set of scripts/make-datasets.py, train with seeds 0-4 (TRAIN_SEEDS),
# draw 100 000 samples of each model and of the fit --components auto mixture (seed 1), and
# print the sliced W1 (scripts/data_goals.py) of each to the held-out data, per training
# seed and the mean. About 10 minutes per set on 2 cores.
#   bash scripts/data-100k.sh SET [WORK_DIR [TRAIN OPTIONS...]]   e.g. moons target/d100k --reference 0
set -euo pipefail
cd "$(dirname "$0")/.."
set_name="${1:?usage: data-100k.sh SET [WORK_DIR [TRAIN OPTIONS...]] (SET: ring or moons)}"
work="${2:-target/data-100k}"
shift $(( $# >= 2 ? 2 : 1 ))
mkdir -p "$work"
py="$(bash scripts/python-env.sh)"
cargo build --release -q -p tinyscore-host
bin=target/release/tinyscore
python3 scripts/make-datasets.py "$work/sets" >/dev/null
tr="$work/sets/$set_name-train.csv"
te="$work/sets/$set_name-test.csv"
[ -f "$tr" ] || { echo "data-100k.sh: no set '$set_name' (ring, moons, mixture)" >&2; exit 2; }
w1() { "$py" -c "import sys; sys.path.insert(0, 'scripts'); from data_goals import load, sliced_w1
print(f'{sliced_w1(load(sys.argv[1]), load(sys.argv[2])):.4f}')" "$1" "$te"; }
"$bin" fit --data "$tr" --components auto --out "$work/$set_name.fit.toml" >/dev/null
"$bin" sample --mixture "$work/$set_name.fit.toml" --count 100000 --seed 1 --output "$work/$set_name.mixture.csv" >/dev/null
mix="$(w1 "$work/$set_name.mixture.csv")"
all=""
for s in ${TRAIN_SEEDS:-0 1 2 3 4}; do
  "$bin" train --data "$tr" --out "$work/$set_name.$s.tsm" --seed "$s" --eval-samples 0 "$@" >"$work/$set_name.train.$s.txt"
  "$bin" sample --model "$work/$set_name.$s.tsm" --count 100000 --seed 1 --output "$work/$set_name.model.$s.csv" >/dev/null
  d="$(w1 "$work/$set_name.model.$s.csv")"
  echo "$set_name: training seed $s: $d" >&2
  all="$all $d"
done
mean="$(echo "$all" | awk '{ for (i = 1; i <= NF; i++) m += $i; printf "%.4f", m / NF }')"
echo "$set_name: sliced W1 to held-out, 100000 samples: model mean $mean (per training seed:$all); fit --components auto mixture $mix"
