"""W1 distance between N exact draws from a 1-D mixture and the mixture itself (the floor
that any sampler's W1 sits on at that sample size), over several seeds.

    bench/.venv/bin/python bench/exact_w1.py scripts/mixtures/sampling_4_1d.toml [--count N] [--seeds K]
"""
import argparse
import tomllib

import numpy as np
from scipy.special import ndtr


def w1_exact_draws(path, count, seed):
    d = tomllib.load(open(path, "rb"))
    w = np.array([c["weight"] for c in d["components"]])
    mu = np.array([c["mean"][0] for c in d["components"]])
    sd = np.array([c["std"][0] for c in d["components"]])
    rng = np.random.default_rng(seed)
    j = rng.choice(len(w), size=count, p=w / w.sum())
    x = np.sort(mu[j] + sd[j] * rng.standard_normal(count))
    grid = np.linspace(x[0] - 1.0, x[-1] + 1.0, 400_001)
    cdf = (w[None, :] * ndtr((grid[:, None] - mu[None, :]) / sd[None, :])).sum(1)
    emp = np.searchsorted(x, grid, side="right") / count
    return float(np.trapezoid(np.abs(emp - cdf), grid))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mixtures", nargs="+")
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seeds", type=int, default=5)
    a = ap.parse_args()
    print("| mixture | W1 of exact draws, per seed | mean |")
    print("|---|---|---:|")
    for m in a.mixtures:
        v = [w1_exact_draws(m, a.count, s) for s in range(a.seeds)]
        print(f"| {m} | {', '.join(f'{x:.4f}' for x in v)} | {np.mean(v):.4f} |")


if __name__ == "__main__":
    main()
