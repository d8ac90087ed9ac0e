#!/usr/bin/env python3
"""Sliced W1 (the definition of host/src/distance.rs, computed independently with NumPy) for
scripts/data-goals.sh: model samples, fitted-mixture samples and the two halves of the
held-out data, against the held-out data.

    python data_goals.py TEST.csv MODEL_SAMPLES.csv MIXTURE_SAMPLES.csv

Prints one line `name model mixture halves` of distances and `PASS`/`FAIL` for the goals
(model <= mixture and model <= 3 x halves).
"""
import sys

import numpy as np


def load(path):
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def directions(dims):
    if dims == 1:
        return np.array([[1.0]])
    if dims == 2:
        a = np.pi * (np.arange(64) + 0.5) / 64
        return np.stack([np.cos(a), np.sin(a)], axis=1)
    raise SystemExit("data_goals.py: only 1-D and 2-D data (the goal sets are 2-D)")


def w1(a, b):
    """integral |F_a - F_b| of two 1-D empirical distributions."""
    z = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), z[:-1], side="right") / len(a)
    fb = np.searchsorted(np.sort(b), z[:-1], side="right") / len(b)
    return float(np.sum(np.abs(fa - fb) * np.diff(z)))


def sliced_w1(a, b):
    th = directions(a.shape[1])
    return float(np.mean([w1(a @ t, b @ t) for t in th]))


def main():
    test, model, mix = (load(p) for p in sys.argv[1:4])
    d_model = sliced_w1(model, test)
    d_mix = sliced_w1(mix, test)
    d_halves = sliced_w1(test[0::2], test[1::2])
    ok = d_model <= d_mix and d_model <= 3 * d_halves
    print(f"{d_model:.4f} {d_mix:.4f} {d_halves:.4f} {d_model / d_halves:.2f} {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
