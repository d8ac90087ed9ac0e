#!/usr/bin/env bash
# `tinyscore fit` against scikit-learn's GaussianMixture (diag, n_init=5) on held-out data of
# the three data sets of scripts/make-datasets.py. Creates bench/.venv-fit (numpy, scikit-learn)
# if it is missing. Prints a Markdown table; exits 1 if tinyscore is more than 0.01 nats per
# sample below scikit-learn on a set.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/.venv-fit/bin/python ]; then
  echo "creating bench/.venv-fit (pip install -r bench/fit-requirements.txt) ..." >&2
  python3 -m venv bench/.venv-fit
  bench/.venv-fit/bin/pip install -q -r bench/fit-requirements.txt
fi
cargo build --release -q -p tinyscore-host
bench/.venv-fit/bin/python bench/fit_compare.py --bin target/release/tinyscore
