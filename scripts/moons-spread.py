#!/usr/bin/env python3
"""How blurred samples of the two-moons set (scripts/make-datasets.py) are: for each CSV
(`x0,x1` header), the standard deviation of the signed distance to the nearer moon's
centre line (the arcs of radius 2 about (0, 0) and (2, 1), in the data's units), per moon,
and the fraction of points nearer the upper moon. The data's own spread is 2 x 0.08 = 0.16
(0.155 on the held-out file).

    python scripts/moons-spread.py FILE.csv [FILE.csv ...]
"""
import sys

import numpy as np


def spread(path):
    a = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if a.shape[1] != 2:
        raise SystemExit(f"moons-spread.py: {path}: expected 2 columns, found {a.shape[1]}")
    x, y = a[:, 0] / 2, a[:, 1] / 2
    d_up = np.hypot(x, y) - 1
    d_lo = np.hypot(x - 1, y - 0.5) - 1
    up = np.abs(d_up) < np.abs(d_lo)
    return 2 * d_up[up].std(), 2 * d_lo[~up].std(), up.mean()


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    print("| file | spread, upper moon | spread, lower moon | fraction upper |")
    print("|---|---|---|---|")
    for p in sys.argv[1:]:
        su, sl, fu = spread(p)
        print(f"| {p} | {su:.3f} | {sl:.3f} | {fu:.3f} |")


if __name__ == "__main__":
    main()
