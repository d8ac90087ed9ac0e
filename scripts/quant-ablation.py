#!/usr/bin/env python3
"""Where the q8 network's sampling error comes from: the generation model
(firmware/programme/models/default_1d_t16.tsm) with only some layers' weights rounded to the
int8 grid (per output channel, max |w| / 127), to nearest or by GPTQ, everything else float;
each variant imported back as a float model and sampled on the host in f32 as the device
does (DPM-Solver++(2M), Karras grid, 9 steps, rho 7, smallest noise 0.04, 100,000 samples).
Prints W1 to the mixture per variant.

    python3 scripts/quant-ablation.py        (uses target/pyenv: scripts/python-env.sh)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODELS = os.path.join(ROOT, "firmware/programme/models")
BIN = os.path.join(ROOT, "target/release/tinyscore")
# The default mixture (models/default_1d.toml), for the calibration draws.
W, MU, SD = np.array([0.25, 0.5, 0.25]), np.array([-2.0, 0.5, 3.0]), np.array([0.5, 0.3, 1.0])


def run(*args):
    return subprocess.run([BIN, *args], check=True, capture_output=True, text=True).stdout


def nearest(w):
    s = np.abs(w).max(axis=1, keepdims=True) / 127.0
    return np.clip(np.round(w / s), -127, 127) * s


def gptq(w, x, damp=0.01):
    """GPTQ (Frantar et al. 2022, Algorithm 1) on the layer's inputs x [N, I]."""
    h = x.T @ x / len(x)
    h += damp * np.mean(np.diag(h)) * np.eye(len(h))
    u = np.linalg.cholesky(np.linalg.inv(h)).T
    s = np.abs(w).max(axis=1) / 127.0
    w, q = w.copy(), np.zeros_like(w)
    for j in range(w.shape[1]):
        q[:, j] = np.clip(np.round(w[:, j] / s), -127, 127) * s
        e = (w[:, j] - q[:, j]) / u[j, j]
        w[:, j + 1:] -= np.outer(e, u[j, j + 1:])
    return q


def main():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tinyscore-host"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp()
    src = os.path.join(tmp, "t16.safetensors")
    run("export", "--model", os.path.join(MODELS, "default_1d_t16.tsm"), "--out", src)
    t = {k: v.astype(np.float64) for k, v in load_file(src).items()}
    with safe_open(src, "np") as f:
        meta = f.metadata()
    # Calibration draws as cargo xtask q8-model makes them: t uniform in [0, 16], x ~ p(., t).
    rng = np.random.default_rng(0)
    n = 4000
    tt = 16 * rng.random(n)
    k = rng.choice(3, size=n, p=W)
    x = MU[k] + np.sqrt(SD[k] ** 2 + tt) * rng.standard_normal(n)
    sigma, n0 = float(meta["sigma"]), float(meta["noise_floor"])
    mean, std = json.loads(meta["data_mean"])[0], json.loads(meta["data_std"])[0]
    nn = np.sqrt(n0 * n0 + sigma * sigma * tt)
    u = (x - mean) / np.sqrt(std * std + sigma * sigma * tt)
    feat = np.stack([np.log(nn / n0), n0 / nn], axis=1)
    h0 = np.tanh(np.concatenate([u[:, None], feat], 1) @ t["layers.0.weight"].T + t["layers.0.bias"])
    h1 = np.tanh(h0 @ t["layers.1.weight"].T + t["layers.1.bias"])
    variants = {
        "float": {},
        "output layer to nearest": {"layers.2.weight": nearest(t["layers.2.weight"])},
        "hidden layer to nearest": {"layers.1.weight": nearest(t["layers.1.weight"])},
        "hidden layer by GPTQ": {"layers.1.weight": gptq(t["layers.1.weight"], h0)},
        "hidden and output by GPTQ": {
            "layers.1.weight": gptq(t["layers.1.weight"], h0),
            "layers.2.weight": gptq(t["layers.2.weight"], h1),
        },
    }
    print("| weights rounded to the int8 grid | W1 (f32, 10 evaluations, 100,000 samples) |")
    print("|---|---:|")
    for name, change in variants.items():
        path = os.path.join(tmp, "v.safetensors")
        save_file({kk: change.get(kk, v).astype(np.float32) for kk, v in t.items()}, path, metadata=meta)
        model = os.path.join(tmp, "v.tsm")
        run("import", "--in", path, "--out", model)
        out = run("sample", "--mixture", os.path.join(MODELS, "default_1d.toml"), "--model", model,
                  "--scalar", "f32", "--sampler", "dpm-solver-2m", "--steps", "9", "--grid", "karras",
                  "--rho", "7", "--sigma-min", "0.04", "--t-max", "16", "--count", "100000",
                  "--output", os.path.join(tmp, "s.csv"), "--plot", os.path.join(tmp, "s.svg"))
        w1 = [line.split()[-1] for line in out.splitlines() if line.startswith("W1 to the mixture")]
        print(f"| {name} | {w1[0]} |")


if __name__ == "__main__":
    sys.exit(main())
