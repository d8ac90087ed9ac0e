#!/usr/bin/env python3
"""`tinyscore fit` against scikit-learn's GaussianMixture, side by side, on held-out data.

    bench/.venv-fit/bin/python bench/fit_compare.py [--bin target/release/tinyscore]

For each data set of scripts/make-datasets.py: `tinyscore fit --components auto` on the
training half (K chosen by BIC), then `tinyscore fit --components K` and scikit-learn's
`GaussianMixture(K, covariance_type="diag", n_init=5)` on the same training half; both
models' mean log-likelihood per sample on the test half. Goal: tinyscore >= sklearn - 0.01.
Prints a Markdown table; exits 1 if a goal is missed. (scripts/fit-compare.sh sets up the
virtual environment and runs this.)
"""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.mixture import GaussianMixture

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_fit(binary, train, test, out, components):
    cmd = [binary, "fit", "--data", train, "--held-out", test, "--out", out, "--components", str(components)]
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    k = int(re.search(r"^components: (\d+)$", text, re.M).group(1))
    ll = float(re.search(r"^held_out_log_likelihood_per_sample: (\S+)$", text, re.M).group(1))
    return k, ll


def load(path):
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "tinyscore"))
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make-datasets.py"), tmp], check=True)
        print("| data set | K (BIC) | tinyscore held-out ll | sklearn held-out ll | difference | goal >= -0.01 |")
        print("|---|---:|---:|---:|---:|---|")
        for name in ("mixture", "ring", "moons"):
            train, test = f"{tmp}/{name}-train.csv", f"{tmp}/{name}-test.csv"
            k, _ = run_fit(args.bin, train, test, f"{tmp}/{name}-auto.toml", "auto")
            _, ours = run_fit(args.bin, train, test, f"{tmp}/{name}.toml", k)
            gm = GaussianMixture(k, covariance_type="diag", n_init=5, random_state=0).fit(load(train))
            theirs = float(gm.score(load(test)))
            diff = ours - theirs
            met = diff >= -0.01
            ok &= met
            print(f"| {name} | {k} | {ours:.4f} | {theirs:.4f} | {diff:+.4f} | {'met' if met else 'MISSED'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
