#!/usr/bin/env python3
"""NumPy reference of tinyscore's score network, from the safetensors tensors.

    python tinyscore_ref.py score W.safetensors POINTS.csv [OUT.csv]
    python tinyscore_ref.py write-random W.safetensors --dims D [--seed N] [--width 32] [--hidden-layers 1]

Architecture (the README's, `core/src/learned/model.rs`), in float64 with the stored
float32 weights: with m, std, sigma, n0 from the metadata,
    c_d(t) = sqrt(std_d^2 + sigma^2 t),  n(t) = sqrt(n0^2 + sigma^2 t)
    u = (x - m) / c(t),  f = [ln(n / n0), n0 / n]
    h = tanh(layers.0.weight @ [u, f] + layers.0.bias)
    h = tanh(layers.l.weight @ h + layers.l.bias),  l = 1..L
    o = layers.{L+1}.weight @ h + layers.{L+1}.bias
    s = -(x - m) / c(t)^2 + o / n(t)
Tensor names and metadata as `tinyscore export` writes them (format tinyscore-mlp-v1).
`score` writes `t,x0..,score0..` with shortest round-trip decimals.
"""
import argparse
import json
import sys

import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

FORMAT = "tinyscore-mlp-v1"


def load(path):
    """(tensors as float64 arrays, metadata dict with numbers parsed)."""
    tensors = {k: v for k, v in load_file(path).items()}
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: metadata format is {meta.get('format')!r}, expected {FORMAT!r}")
    m = {
        "width": int(meta["width"]),
        "hidden_layers": int(meta["hidden_layers"]),
        "dims": int(meta["dims"]),
        "sigma": float(meta["sigma"]),
        "noise_floor": float(meta["noise_floor"]),
        "data_mean": np.array(json.loads(meta["data_mean"]), dtype=np.float64),
        "data_std": np.array(json.loads(meta["data_std"]), dtype=np.float64),
    }
    for k, v in tensors.items():
        if v.dtype != np.float32:
            raise ValueError(f"{path}: tensor {k} has dtype {v.dtype}, expected float32")
    return {k: v.astype(np.float64) for k, v in tensors.items()}, m


def score(tensors, meta, t, x):
    """s_theta(x, t) for arrays t [N] and x [N, D], float64."""
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    s2t = meta["sigma"] ** 2 * t
    c2 = meta["data_std"][None, :] ** 2 + s2t[:, None]
    n0 = meta["noise_floor"]
    n = np.sqrt(n0 * n0 + s2t)
    dev = x - meta["data_mean"][None, :]
    u = dev / np.sqrt(c2)
    f = np.stack([np.log(n / n0), n0 / n], axis=1)
    h = np.concatenate([u, f], axis=1)
    last = meta["hidden_layers"] + 1
    for l in range(last):
        h = np.tanh(h @ tensors[f"layers.{l}.weight"].T + tensors[f"layers.{l}.bias"])
    o = h @ tensors[f"layers.{last}.weight"].T + tensors[f"layers.{last}.bias"]
    return -dev / c2 + o / n[:, None]


def metadata(dims, width, hidden_layers, sigma, noise_floor, mean, std):
    """The `__metadata__` strings `tinyscore import` reads."""
    return {
        "format": FORMAT,
        "width": str(width),
        "hidden_layers": str(hidden_layers),
        "dims": str(dims),
        "sigma": repr(float(sigma)),
        "noise_floor": repr(float(noise_floor)),
        "data_mean": json.dumps([float(v) for v in mean]),
        "data_std": json.dumps([float(v) for v in std]),
    }


def write_random(path, dims, seed=0, width=32, hidden_layers=1, scale=0.5):
    """A model with random float32 weights (and a non-trivial preconditioning)."""
    rng = np.random.default_rng(seed)
    sizes = [dims + 2] + [width] * (hidden_layers + 1) + [dims]
    tensors = {}
    for l in range(hidden_layers + 2):
        fan_in, fan_out = sizes[l], sizes[l + 1]
        tensors[f"layers.{l}.weight"] = (rng.standard_normal((fan_out, fan_in)) * scale).astype(np.float32)
        tensors[f"layers.{l}.bias"] = (rng.standard_normal(fan_out) * 0.1).astype(np.float32)
    mean = rng.uniform(-1, 1, dims)
    std = rng.uniform(0.5, 2.0, dims)
    save_file(tensors, path, metadata=metadata(dims, width, hidden_layers, 1.3, 0.2, mean, std))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sc = sub.add_parser("score")
    sc.add_argument("weights")
    sc.add_argument("points")
    sc.add_argument("out", nargs="?")
    wr = sub.add_parser("write-random")
    wr.add_argument("weights")
    wr.add_argument("--dims", type=int, required=True)
    wr.add_argument("--seed", type=int, default=0)
    wr.add_argument("--width", type=int, default=32)
    wr.add_argument("--hidden-layers", type=int, default=1)
    a = ap.parse_args(argv)
    if a.cmd == "write-random":
        write_random(a.weights, a.dims, a.seed, a.width, a.hidden_layers)
        return 0
    tensors, meta = load(a.weights)
    pts = np.loadtxt(a.points, delimiter=",", skiprows=1, ndmin=2)
    s = score(tensors, meta, pts[:, 0], pts[:, 1:])
    d = meta["dims"]
    lines = [",".join(["t"] + [f"x{i}" for i in range(d)] + [f"score{i}" for i in range(d)])]
    for p, r in zip(pts, s):
        lines.append(",".join(repr(float(v)) for v in list(p) + list(r)))
    text = "\n".join(lines) + "\n"
    if a.out:
        open(a.out, "w").write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
