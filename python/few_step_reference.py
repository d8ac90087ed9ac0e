"""Independent NumPy reference of the few-step samplers, in k-diffusion's own form.

Written from k-diffusion (crowsonkb/k-diffusion, k_diffusion/sampling.py):
get_sigmas_karras, sample_dpmpp_2m and sample_heun (churn included), in the noise level
sigma_k and the denoiser D(x, sigma) = x + sigma^2 s(x, t) (Tweedie), for the variance-exploding
SDE dx = sigma dW of tinyscore, where the noise level of time t is sigma sqrt(t). The score is
the exact score of a 1-D Gaussian mixture, computed here with NumPy (log-sum-exp).

Usage: python few_step_reference.py  (reads a JSON case on stdin, prints JSON on stdout)
Input:  {"sigma": s, "weights": [...], "means": [...], "stds": [...], "t_max": T, "t_min": t,
         "steps": N, "rho": r, "method": "dpmpp_2m" | "dpmpp_2m_sde" | "heun", "x": [...],
         "churn": {"s_churn": .., "s_tmin": .., "s_tmax": .., "s_noise": ..}, "noise": [[...]]}
        (noise: the standard normal draws of the churn, one row per grid step that churns)
Output: {"x": [...], "sigmas": [...]}
"""
import json
import sys

import numpy as np


def score(x, t, sigma, w, mu, sd):
    v = sd[None, :] ** 2 + sigma**2 * t
    a = np.log(w)[None, :] - 0.5 * np.log(2 * np.pi * v) - 0.5 * (x[:, None] - mu[None, :]) ** 2 / v
    a = a - a.max(axis=1, keepdims=True)
    r = np.exp(a)
    r = r / r.sum(axis=1, keepdims=True)
    return -(r * (x[:, None] - mu[None, :]) / v).sum(axis=1)


def get_sigmas_karras(n, sigma_min, sigma_max, rho):
    ramp = np.linspace(0, 1, n)
    min_inv_rho = sigma_min ** (1 / rho)
    max_inv_rho = sigma_max ** (1 / rho)
    sigmas = (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho
    return np.append(sigmas, 0.0)


def main():
    c = json.load(sys.stdin)
    sigma = c["sigma"]
    w, mu, sd = (np.array(c[k], dtype=np.float64) for k in ("weights", "means", "stds"))

    def denoise(x, s):
        t = (s / sigma) ** 2
        return x + s**2 * score(x, t, sigma, w, mu, sd)

    sigmas = get_sigmas_karras(c["steps"] + 1, sigma * np.sqrt(c["t_min"]), sigma * np.sqrt(c["t_max"]), c["rho"])
    x = np.array(c["x"], dtype=np.float64)
    if c["method"] == "dpmpp_2m":
        sigma_fn = lambda t: np.exp(-t)  # noqa: E731
        t_fn = lambda s: -np.log(s)  # noqa: E731
        old_denoised = None
        for i in range(len(sigmas) - 1):
            denoised = denoise(x, sigmas[i])
            if sigmas[i + 1] == 0:
                x = denoised
                break
            t, t_next = t_fn(sigmas[i]), t_fn(sigmas[i + 1])
            h = t_next - t
            if old_denoised is None:
                x = (sigma_fn(t_next) / sigma_fn(t)) * x - np.expm1(-h) * denoised
            else:
                h_last = t - t_fn(sigmas[i - 1])
                r = h_last / h
                denoised_d = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old_denoised
                x = (sigma_fn(t_next) / sigma_fn(t)) * x - np.expm1(-h) * denoised_d
            old_denoised = denoised
    elif c["method"] == "dpmpp_2m_sde":
        # sample_dpmpp_2m_sde, eta = 1, s_noise = 1, solver_type "midpoint"; the standard
        # normal draws of every step come from the input ("noise", one row per step).
        noise = iter(c["noise"])
        old_denoised = None
        h_last = None
        for i in range(len(sigmas) - 1):
            denoised = denoise(x, sigmas[i])
            if sigmas[i + 1] == 0:
                x = denoised
                break
            t, s = -np.log(sigmas[i]), -np.log(sigmas[i + 1])
            h = s - t
            eta_h = 1.0 * h
            x = sigmas[i + 1] / sigmas[i] * np.exp(-eta_h) * x + (-np.expm1(-h - eta_h)) * denoised
            if old_denoised is not None:
                r = h_last / h
                x = x + 0.5 * (-np.expm1(-h - eta_h)) * (1 / r) * (denoised - old_denoised)
            z = np.array(next(noise), dtype=np.float64)
            x = x + z * sigmas[i + 1] * np.sqrt(-np.expm1(-2 * eta_h))
            old_denoised = denoised
            h_last = h
    elif c["method"] == "heun":
        ch = c.get("churn", {"s_churn": 0.0, "s_tmin": 0.0, "s_tmax": float("inf"), "s_noise": 1.0})
        noise = iter(c.get("noise", []))
        n = len(sigmas) - 1
        for i in range(n):
            s_i = sigmas[i]
            gamma = (
                min(ch["s_churn"] / n, 2**0.5 - 1)
                if ch["s_tmin"] <= s_i <= ch["s_tmax"] and sigmas[i + 1] > 0
                else 0.0
            )
            sigma_hat = s_i * (gamma + 1)
            if gamma > 0:
                eps = np.array(next(noise), dtype=np.float64) * ch["s_noise"]
                x = x + eps * np.sqrt(sigma_hat**2 - s_i**2)
            d = (x - denoise(x, sigma_hat)) / sigma_hat
            dt = sigmas[i + 1] - sigma_hat
            if sigmas[i + 1] == 0:
                x = x + d * dt
            else:
                x_2 = x + d * dt
                d_2 = (x_2 - denoise(x_2, sigmas[i + 1])) / sigmas[i + 1]
                x = x + (d + d_2) / 2 * dt
    else:
        raise SystemExit("unknown method " + c["method"])
    json.dump({"x": x.tolist(), "sigmas": sigmas.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
