#!/usr/bin/env bash
# Train the learned score embedded in the firmware images (width 32, 2 hidden layers, f32,
# on the default mixture) and write it to firmware/programme/models/default_1d.tsm.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p tinyscore-host -- train \
    --mixture firmware/programme/models/default_1d.toml \
    --out firmware/programme/models/default_1d.tsm --seed 1
# The model the device generates samples with (firmware/programme/src/sampler_part.rs): the
# same mixture, trained on t in [0, 16] so that sampling can start from a Gaussian.
cargo run --release -q -p tinyscore-host -- train \
    --mixture firmware/programme/models/default_1d.toml \
    --out firmware/programme/models/default_1d_t16.tsm --seed 1 --t-max 16
