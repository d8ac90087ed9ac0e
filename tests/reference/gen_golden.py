#!/usr/bin/env python3
"""Golden values for the diffused Gaussian mixture, from an independent
high-precision reference (mpmath, 50 significant digits).

For every mixture file tests/reference/mixtures/<stem>.toml and a set of
points (t, x) this writes tests/reference/golden.csv with

    mixture,t,x0,x1,x2,log_density,score0,score1,score2

where (MATH.md sections 1-2), with v_jd(t) = std_jd^2 + sigma^2 t,

    a_j  = log w_j - 1/2 sum_d log(2 pi v_jd) - 1/2 sum_d (x_d - mu_jd)^2 / v_jd
    log p(x, t) = logsumexp_j a_j
    r_j  = exp(a_j - log p)
    s_d  = -sum_j r_j (x_d - mu_jd) / v_jd

All mixture parameters, t and x are taken as the exact binary f64 values
(mpf(float)); weights are used as written, not renormalised. Every x
coordinate is rounded to f32 first, so it is exact in f32 and in f64.

Points per (mixture, t):
  * bulk: N_BULK points drawn from p(., t) with a fixed-seed Mersenne Twister
    (python `random`), component chosen by inverse CDF on the weights and the
    normal deviates made by Box-Muller evaluated in mpmath (so the draw does
    not depend on the platform's libm);
  * tails: for every component j and k in K_TAIL, x_d = mu_jd + k sqrt(v_jd)
    on all coordinates at once ("diag") and, for D > 1, on one coordinate at
    a time with the others at mu_jd ("axis").

Only mpmath and the standard library are needed. Deterministic: a rerun
writes a byte-identical file. Run from anywhere:

    python3 tests/reference/gen_golden.py [--check]

--check additionally verifies every 25th row against an independent
evaluation (direct sum of densities, no log-sum-exp, and numerical
differentiation of log p with mpmath.diff) and exits non-zero on mismatch.
"""

import os
import random
import struct
import sys
import tomllib
import zlib

import mpmath
from mpmath import mp, mpf
from mpmath.libmp import to_str

mp.dps = 50

HERE = os.path.dirname(os.path.abspath(__file__))
MIXTURE_DIR = os.path.join(HERE, "mixtures")
OUT = os.path.join(HERE, "golden.csv")

MAX_DIMS = 3
TIMES = [0.0, 1e-3, 0.1, 0.5, 1.0]
EXTRA_TIMES = {"octo_1d": [2.25]}  # sigma = 1.5 there: sigma^2 t = 5.0625
N_BULK = 40
K_TAIL = [-100, -60, -40, -13, -5, 5, 13, 40, 60, 100]
OUT_DIGITS = 25


def f32(x):
    """Round a Python float (f64) to the nearest f32, returned as a float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def fmt_out(v):
    """25 significant digits, scientific notation, parseable by Rust/C/Python."""
    if v == 0:
        return "0.0"
    return to_str(v._mpf_, OUT_DIGITS, strip_zeros=False, min_fixed=0,
                  max_fixed=0, show_zero_exponent=True)


def load_mixture(path):
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    sigma = float(raw["sigma"])
    comps = []
    dims = None
    for c in raw["components"]:
        mean = [float(m) for m in c["mean"]]
        std = [float(s) for s in c["std"]]
        if dims is None:
            dims = len(mean)
        if len(mean) != dims or len(std) != dims:
            raise ValueError(f"{path}: inconsistent dimensions")
        if not all(s > 0 for s in std):
            raise ValueError(f"{path}: std must be positive")
        w = float(c["weight"])
        if not w > 0:
            raise ValueError(f"{path}: weight must be positive")
        comps.append((w, mean, std))
    if not 1 <= dims <= MAX_DIMS:
        raise ValueError(f"{path}: D = {dims} not in 1..{MAX_DIMS}")
    total = sum(w for w, _, _ in comps)
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{path}: weights sum to {total}")
    return sigma, comps, dims


class Prepared:
    """Mixture at one t, all quantities as 50-digit mpf."""

    def __init__(self, sigma, comps, t):
        s2t = mpf(sigma) ** 2 * mpf(t)
        self.w = [mpf(w) for w, _, _ in comps]
        self.mu = [[mpf(m) for m in mean] for _, mean, _ in comps]
        self.v = [[mpf(s) ** 2 + s2t for s in std] for _, _, std in comps]
        self.const = [
            mpmath.log(w) - sum(mpmath.log(2 * mp.pi * vd) for vd in v) / 2
            for w, v in zip(self.w, self.v)
        ]

    def eval(self, x):
        xs = [mpf(xd) for xd in x]
        a = []
        for c, mu, v in zip(self.const, self.mu, self.v):
            q = sum((xd - md) ** 2 / vd for xd, md, vd in zip(xs, mu, v))
            a.append(c - q / 2)
        m = max(a)
        logp = m + mpmath.log(mpmath.fsum(mpmath.exp(aj - m) for aj in a))
        r = [mpmath.exp(aj - logp) for aj in a]
        score = [
            -mpmath.fsum(rj * (xs[d] - mu[d]) / v[d]
                         for rj, mu, v in zip(r, self.mu, self.v))
            for d in range(len(xs))
        ]
        return logp, score

    # Independent forms, used only by --check.
    def logp_direct(self, xs):
        total = mpf(0)
        for w, mu, v in zip(self.w, self.mu, self.v):
            dens = w
            for xd, md, vd in zip(xs, mu, v):
                dens *= mpmath.npdf(xd, md, mpmath.sqrt(vd))
            total += dens
        return mpmath.log(total)


def bulk_points(rng, prep, n):
    cum = []
    acc = mpf(0)
    for w in prep.w:
        acc += w
        cum.append(acc)
    pts = []
    for _ in range(n):
        u = mpf(rng.random()) * acc
        j = next(i for i, c in enumerate(cum) if u < c)
        x = []
        for mu, v in zip(prep.mu[j], prep.v[j]):
            u1 = mpf(1) - mpf(rng.random())  # (0, 1]
            u2 = mpf(rng.random())
            z = mpmath.sqrt(-2 * mpmath.log(u1)) * mpmath.cos(2 * mp.pi * u2)
            x.append(f32(float(mu + mpmath.sqrt(v) * z)))
        pts.append(("bulk", x))
    return pts


def tail_points(prep, dims):
    pts = []
    for mu, v in zip(prep.mu, prep.v):
        for k in K_TAIL:
            x = [f32(float(md + k * mpmath.sqrt(vd))) for md, vd in zip(mu, v)]
            pts.append(("diag", x))
        if dims > 1:
            for d in range(dims):
                for k in K_TAIL:
                    x = [f32(float(md)) for md in mu]
                    x[d] = f32(float(mu[d] + k * mpmath.sqrt(v[d])))
                    pts.append(("axis", x))
    return pts


def check_row(prep, x, logp, score):
    xs = [mpf(xd) for xd in x]
    lp2 = prep.logp_direct(xs)
    tol = mpf(10) ** -40
    if abs(lp2 - logp) > tol * max(1, abs(logp)):
        return f"log p mismatch: {logp} vs {lp2}"
    for d in range(len(xs)):
        def f(y, d=d):
            z = list(xs)
            z[d] = y
            return prep.eval(z)[0]
        with mp.workdps(80):
            g = mpmath.diff(f, xs[d])
        if abs(g - score[d]) > mpf(10) ** -30 * max(1, abs(score[d])):
            return f"score[{d}] mismatch: {score[d]} vs {g}"
    return None


def main(argv):
    check = "--check" in argv[1:]
    files = sorted(f for f in os.listdir(MIXTURE_DIR) if f.endswith(".toml"))
    lines = ["mixture,t,x0,x1,x2,log_density,score0,score1,score2"]
    failures = 0
    checked = 0
    for fname in files:
        stem = fname[: -len(".toml")]
        sigma, comps, dims = load_mixture(os.path.join(MIXTURE_DIR, fname))
        rng = random.Random(zlib.crc32(stem.encode("utf-8")))
        for t in TIMES + EXTRA_TIMES.get(stem, []):
            prep = Prepared(sigma, comps, t)
            pts = bulk_points(rng, prep, N_BULK) + tail_points(prep, dims)
            for kind, x in pts:
                logp, score = prep.eval(x)
                if check and len(lines) % 25 == 0:
                    err = check_row(prep, x, logp, score)
                    checked += 1
                    if err:
                        failures += 1
                        print(f"{stem} t={t!r} x={x!r} ({kind}): {err}",
                              file=sys.stderr)
                xcols = [repr(xd) for xd in x] + [""] * (MAX_DIMS - dims)
                scols = [fmt_out(s) for s in score] + [""] * (MAX_DIMS - dims)
                lines.append(",".join([stem, repr(float(t))] + xcols
                                      + [fmt_out(logp)] + scols))
    with open(OUT, "w", encoding="ascii", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {OUT}: {len(lines) - 1} rows, mpmath {mpmath.__version__}, "
          f"mp.dps = {mp.dps}")
    if check:
        print(f"checked {checked} rows, {failures} failures")
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
