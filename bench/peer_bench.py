#!/usr/bin/env python3
"""Peer throughput for batch evaluation of the score and log-density of a
K-component diagonal Gaussian mixture in D dimensions at one t (MATH.md
sections 1-2), in float32:

  numpy : NumPy + scipy.special.logsumexp, vectorised over the points;
  numpy_manual : the same, with a hand-written max-shifted log-sum-exp in
          NumPy instead of scipy's (scipy's is most of the numpy time);
  jax   : jax.jit(jax.vmap(jax.value_and_grad(logp))) on CPU, logp built on
          jax.scipy.special.logsumexp.

Mixture (fixed seed): means ~ U[-3, 3], stds ~ U[0.3, 1.0], weights ~ U(0, 1)
normalised, sigma = 1, t = 0.5; the N points are drawn from p(., t).
Each timing is the best of --repeats runs after warm-up; the per-t
preparation (v = std^2 + sigma^2 t, log-normalisers) is inside the timed call.

    bench/.venv/bin/python bench/peer_bench.py [--components 1 4 8] [--dims 1 2]
        [--points 100000] [--repeats 20] [--json]
"""

import argparse
import json
import os
import sys
import time

# JAX on CPU only; never look for accelerators or plugins.
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("JAX_ENABLE_X64", "0")

import numpy as np  # noqa: E402
from scipy.special import logsumexp as sp_logsumexp  # noqa: E402

SIGMA = 1.0
T = 0.5
DTYPE = np.float32


def make_problem(k, d, n, seed):
    rng = np.random.default_rng(seed + 1000 * k + d)
    mu = rng.uniform(-3.0, 3.0, size=(k, d))
    std = rng.uniform(0.3, 1.0, size=(k, d))
    w = rng.uniform(0.0, 1.0, size=k)
    w = np.maximum(w, 1e-3)
    w /= w.sum()
    comp = rng.choice(k, size=n, p=w)
    v = std ** 2 + SIGMA ** 2 * T
    x = mu[comp] + np.sqrt(v[comp]) * rng.standard_normal((n, d))
    return (np.log(w).astype(DTYPE), mu.astype(DTYPE), std.astype(DTYPE),
            x.astype(DTYPE))


# ---------------------------------------------------------------- NumPy/SciPy
def manual_logsumexp(a, axis):
    m = a.max(axis=axis, keepdims=True)
    s = np.exp(a - m).sum(axis=axis, keepdims=True)
    return np.squeeze(m + np.log(s), axis=axis)


def numpy_eval(x, t, sigma, logw, mu, std, lse=sp_logsumexp):
    """Return (log p, score) for x of shape (N, D), all float32."""
    v = std * std + np.float32(sigma * sigma) * np.float32(t)        # (K, D)
    inv_v = np.float32(1.0) / v
    c = logw - np.float32(0.5) * np.log(np.float32(2 * np.pi) * v).sum(-1)
    diff = x[:, None, :] - mu[None, :, :]                              # (N, K, D)
    scaled = diff * inv_v                                              # (N, K, D)
    a = c - np.float32(0.5) * np.einsum("nkd,nkd->nk", diff, scaled)   # (N, K)
    logp = lse(a, axis=1)                                   # (N,)
    r = np.exp(a - logp[:, None])                                      # (N, K)
    score = -np.einsum("nk,nkd->nd", r, scaled)                        # (N, D)
    return logp, score


# ------------------------------------------------------------------------ JAX
_JAX_FN = None


def jax_fn():
    global _JAX_FN
    if _JAX_FN is None:
        import jax
        import jax.numpy as jnp
        from jax.scipy.special import logsumexp as jax_logsumexp

        def logp(x, t, sigma, logw, mu, std):
            v = std * std + sigma * sigma * t                          # (K, D)
            c = logw - 0.5 * jnp.sum(jnp.log(2 * jnp.pi * v), axis=-1)
            a = c - 0.5 * jnp.sum((x - mu) ** 2 / v, axis=-1)          # (K,)
            return jax_logsumexp(a)

        _JAX_FN = jax.jit(jax.vmap(jax.value_and_grad(logp),
                                   in_axes=(0, None, None, None, None, None)))
    return _JAX_FN


def jax_eval_factory(x, logw, mu, std):
    import jax
    import jax.numpy as jnp

    f = jax_fn()
    args = [jax.device_put(jnp.asarray(a)) for a in (x, logw, mu, std)]
    t = jnp.float32(T)
    sigma = jnp.float32(SIGMA)

    def run():
        lp, sc = f(args[0], t, sigma, args[1], args[2], args[3])
        lp.block_until_ready()
        sc.block_until_ready()
        return lp, sc

    return run


# --------------------------------------------------------------------- driver
def best_time(run, repeats, warmup=2):
    for _ in range(warmup):
        run()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def flat_ints(values):
    out = []
    for v in values:
        out.extend(int(p) for p in str(v).replace(",", " ").split())
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--components", nargs="+", action="extend", default=None,
                    help="K values (repeatable, or a list; default 1 4 8)")
    ap.add_argument("--dims", nargs="+", action="extend", default=None,
                    help="D values (repeatable, or a list; default 1 2)")
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--libraries", nargs="+",
                    default=["numpy", "numpy_manual", "jax"],
                    choices=["numpy", "numpy_manual", "jax"])
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--json", action="store_true",
                    help="print a JSON array instead of text lines")
    args = ap.parse_args(argv)
    ks = flat_ints(args.components or ["1", "4", "8"])
    ds = flat_ints(args.dims or ["1", "2"])
    n = args.points

    results = []
    for k in ks:
        for d in ds:
            logw, mu, std, x = make_problem(k, d, n, args.seed)
            ref = numpy_eval(x, T, SIGMA, logw, mu, std)
            assert ref[0].dtype == DTYPE and ref[1].dtype == DTYPE, \
                (ref[0].dtype, ref[1].dtype)
            for lib in args.libraries:
                if lib == "numpy":
                    def run():
                        return numpy_eval(x, T, SIGMA, logw, mu, std)
                elif lib == "numpy_manual":
                    def run():
                        return numpy_eval(x, T, SIGMA, logw, mu, std,
                                          lse=manual_logsumexp)
                    lp, sc = run()
                    assert lp.dtype == DTYPE and sc.dtype == DTYPE
                    assert np.allclose(lp, ref[0], rtol=1e-5, atol=1e-5)
                    assert np.allclose(sc, ref[1], rtol=1e-4, atol=1e-4)
                else:
                    run = jax_eval_factory(x, logw, mu, std)
                    lp, sc = run()
                    # Sanity: both libraries compute the same thing.
                    lp, sc = np.asarray(lp), np.asarray(sc)
                    err_lp = np.max(np.abs(lp - ref[0]) / np.maximum(1, np.abs(ref[0])))
                    err_sc = np.max(np.abs(sc - ref[1]) / np.maximum(1, np.abs(ref[1])))
                    if not (err_lp < 1e-4 and err_sc < 1e-3):
                        print(f"warning: jax vs numpy K={k} D={d}: "
                              f"log p {err_lp:.2e}, score {err_sc:.2e}",
                              file=sys.stderr)
                secs = best_time(run, args.repeats)
                rec = {"library": lib, "components": k, "dims": d,
                       "points": n, "ns_per_point": round(secs / n * 1e9, 3)}
                results.append(rec)
                if not args.json:
                    print(f"{lib:<12} K={k:<3} D={d:<2} N={n}  "
                          f"ns_per_point={rec['ns_per_point']:.2f}", flush=True)
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
