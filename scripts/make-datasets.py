#!/usr/bin/env python3
"""Data sets for `tinyscore fit` / `train --data`: CSV files with the header `x0,x1`.

    python3 scripts/make-datasets.py OUT_DIR [--train N] [--test N] [--seed S]

Writes OUT_DIR/{mixture,ring,moons}-{train,test}.csv (2-D):
* mixture: three diagonal Gaussians (weights 0.5/0.3/0.2);
* ring: radius 2 + N(0, 0.15^2) noise, uniform angle (not a mixture);
* moons: scikit-learn's two-moons construction, noise 0.08, scaled by 2 (not a mixture).
Standard library only (random.gauss), so it runs without NumPy.
"""
import argparse
import math
import pathlib
import random


def mixture(rng):
    u = rng.random()
    if u < 0.5:
        return (-2.0 + 0.5 * rng.gauss(0, 1), 1.0 + 0.8 * rng.gauss(0, 1))
    if u < 0.8:
        return (1.5 + 0.3 * rng.gauss(0, 1), -1.0 + 0.4 * rng.gauss(0, 1))
    return (2.5 + 1.0 * rng.gauss(0, 1), 2.0 + 0.6 * rng.gauss(0, 1))


def ring(rng):
    a = rng.uniform(0.0, 2.0 * math.pi)
    r = 2.0 + 0.15 * rng.gauss(0, 1)
    return (r * math.cos(a), r * math.sin(a))


def moons(rng):
    a = rng.uniform(0.0, math.pi)
    if rng.random() < 0.5:
        x, y = math.cos(a), math.sin(a)
    else:
        x, y = 1.0 - math.cos(a), 0.5 - math.sin(a)
    return (2.0 * (x + 0.08 * rng.gauss(0, 1)), 2.0 * (y + 0.08 * rng.gauss(0, 1)))


SETS = {"mixture": mixture, "ring": ring, "moons": moons}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--train", type=int, default=4000)
    ap.add_argument("--test", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for k, (name, draw) in enumerate(SETS.items()):
        rng = random.Random(args.seed * 100 + k)
        for part, n in (("train", args.train), ("test", args.test)):
            rows = [draw(rng) for _ in range(n)]
            text = "x0,x1\n" + "".join(f"{x!r},{y!r}\n" for x, y in rows)
            (out / f"{name}-{part}.csv").write_text(text)
    print(f"wrote {len(SETS) * 2} files to {out}")


if __name__ == "__main__":
    main()
