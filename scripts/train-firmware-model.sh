#!/usr/bin/env bash
# Train the learned score embedded in the firmware images (width 32, 2 hidden layers, f32,
# on the default mixture) and write it to firmware/programme/models/default_1d.tsm.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p tinyscore-host -- train \
    --mixture firmware/programme/models/default_1d.toml \
    --out firmware/programme/models/default_1d.tsm --seed 1
