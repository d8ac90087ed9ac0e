#!/usr/bin/env python3
"""PyTorch version of tinyscore's score network and a denoising-score-matching trainer.

    python tinyscore_torch.py train DATA.csv OUT.safetensors [--sigma 1] [--steps 60000] [--batch 512] [--reference R] [--seed 0]
    python tinyscore_torch.py score W.safetensors POINTS.csv        (prints t,x..,score..)

Then `tinyscore import --in OUT.safetensors --out M.tsm` and `tinyscore score --model M.tsm`.
PyTorch is optional for tinyscore (not in requirements.txt); the tests that need it are
skipped without it.

`ScoreNet` computes exactly the README's architecture (see tinyscore_ref.py, the NumPy
forward the tests compare with): `layers` is an `nn.ModuleList` of `nn.Linear`, so its
`state_dict()` has the names `tinyscore export` writes; the preconditioning is held in
buffers and written to the safetensors `__metadata__`.

Training follows `tinyscore train --data`: 10 % of the shuffled data held out, the
preconditioning from the training part (mean, population std, noise floor 0.1 x min std),
t ~ U[0, t_max] with t_max = 16 drawn geometrically in t + n0^2 / sigma^2 as the Rust trainer
does for long ranges, lambda(t) = sigma^2 t, x = x0 + sigma sqrt(t) eps, Adam with 2 % warm-up and a cosine decay
to 1 %. The target is the stable target (Xu et al. 2023) of `Trainer::step_stable_target`:
-(x - E[x0 | x]) / (sigma^2 t), the posterior mean over the draw's own x0 and a reference of
`--reference` training rows drawn afresh each step and shared by the batch (softmax weights
exp(-|x - r|^2 / (2 sigma^2 t))); `--reference 0` gives the plain denoising target
-eps / (sigma sqrt(t)).
"""
import argparse
import math
import sys

import numpy as np
import torch
from torch import nn
from safetensors.torch import save_file

import tinyscore_ref

NOISE_FLOOR_FRACTION = 0.1
# Reference rows of the stable target per step (`tinyscore train --data --reference`).
DEFAULT_REFERENCE = 512


class ScoreNet(nn.Module):
    def __init__(self, dims, width=32, hidden_layers=1, sigma=1.0, noise_floor=0.1, mean=None, std=None):
        super().__init__()
        self.dims, self.width, self.hidden_layers = dims, width, hidden_layers
        sizes = [dims + 2] + [width] * (hidden_layers + 1) + [dims]
        self.layers = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1]) for i in range(hidden_layers + 2))
        nn.init.zeros_(self.layers[-1].weight)
        nn.init.zeros_(self.layers[-1].bias)
        self.sigma = float(sigma)
        self.noise_floor = float(noise_floor)
        self.register_buffer("mean", torch.tensor(mean if mean is not None else [0.0] * dims, dtype=torch.float64))
        self.register_buffer("std", torch.tensor(std if std is not None else [1.0] * dims, dtype=torch.float64))

    def forward(self, x, t):
        """s_theta(x, t): x [N, D], t [N]; computed in the dtype of x (float64 for checks)."""
        dt = x.dtype
        s2t = (self.sigma ** 2) * t.to(dt)
        c2 = self.std.to(dt)[None, :] ** 2 + s2t[:, None]
        n0 = self.noise_floor
        n = torch.sqrt(n0 * n0 + s2t)
        dev = x - self.mean.to(dt)[None, :]
        h = torch.cat([dev / torch.sqrt(c2), torch.stack([torch.log(n / n0), n0 / n], dim=1)], dim=1)
        for layer in self.layers[:-1]:
            h = torch.tanh(nn.functional.linear(h, layer.weight.to(dt), layer.bias.to(dt)))
        last = self.layers[-1]
        o = nn.functional.linear(h, last.weight.to(dt), last.bias.to(dt))
        return -dev / c2 + o / n[:, None]

    def save(self, path):
        tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in self.state_dict().items() if k.startswith("layers.")}
        meta = tinyscore_ref.metadata(self.dims, self.width, self.hidden_layers, self.sigma, self.noise_floor,
                                      self.mean.tolist(), self.std.tolist())
        save_file(tensors, path, metadata=meta)

    @classmethod
    def load(cls, path):
        tensors, m = tinyscore_ref.load(path)
        net = cls(m["dims"], m["width"], m["hidden_layers"], m["sigma"], m["noise_floor"],
                  m["data_mean"].tolist(), m["data_std"].tolist())
        with torch.no_grad():
            for k, p in net.state_dict().items():
                if k.startswith("layers."):
                    p.copy_(torch.from_numpy(tensors[k]).to(p.dtype))
        return net


def train(data_path, out, sigma=1.0, steps=60000, batch=512, lr=3e-3, t_max=16.0, seed=0, reference=DEFAULT_REFERENCE):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = np.loadtxt(data_path, delimiter=",", skiprows=1, ndmin=2)
    rng.shuffle(x)
    held = max(1, int(round(0.1 * len(x))))
    tr, te = x[:-held], x[-held:]
    mean, std = tr.mean(0), tr.std(0)
    n0 = NOISE_FLOOR_FRACTION * float(std.min())
    net = ScoreNet(x.shape[1], sigma=sigma, noise_floor=n0, mean=mean.tolist(), std=std.tolist())
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    warm = max(1, steps // 50)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warm if s < warm else
                                              0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm))))
    data = torch.tensor(tr, dtype=torch.float32)
    off = n0 * n0 / (sigma * sigma)

    def draw_t(k):
        u = torch.rand(k)
        return off * torch.exp(u * math.log((t_max + off) / off)) - off  # geometric in t + off

    def loss_of(x0, t, ref=None):
        eps = torch.randn_like(x0)
        st = sigma * torch.sqrt(t).clamp_min(1e-12)
        xt = x0 + st[:, None] * eps
        if ref is None:
            target = -eps / st[:, None]
        else:
            # Stable target: the posterior over {own x0} + reference, in float64.
            pts = torch.cat([x0[:, None, :], ref[None].expand(len(x0), -1, -1)], 1).double()
            d = xt.double()[:, None, :] - pts
            w = torch.softmax(-(d * d).sum(2) / (2 * st.double()[:, None] ** 2), 1)
            target = (-(w[:, :, None] * d).sum(1) / st.double()[:, None] ** 2).float()
        lam = sigma * sigma * t
        return 0.5 * (lam[:, None] * (net(xt, t) - target) ** 2).sum(1).mean()

    for step in range(steps):
        idx = torch.randint(len(data), (batch,))
        ref = data[torch.randint(len(data), (reference,))] if reference > 0 else None
        loss = loss_of(data[idx], draw_t(batch), ref)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 1000 == 0:
            print(f"step {step}: loss {loss.item():.4f}", file=sys.stderr)
    with torch.no_grad():
        hx = torch.tensor(te, dtype=torch.float32)
        print(f"held-out denoising loss: {loss_of(hx, draw_t(len(hx))).item():.4f}")
    net.save(out)
    print(f"wrote {out}")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("data")
    t.add_argument("out")
    t.add_argument("--sigma", type=float, default=1.0)
    t.add_argument("--steps", type=int, default=60000)  # the defaults of `tinyscore train --data`
    t.add_argument("--batch", type=int, default=512)
    t.add_argument("--reference", type=int, default=DEFAULT_REFERENCE)
    t.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("score")
    s.add_argument("weights")
    s.add_argument("points")
    a = ap.parse_args(argv)
    if a.cmd == "train":
        train(a.data, a.out, a.sigma, a.steps, batch=a.batch, seed=a.seed, reference=a.reference)
        return 0
    net = ScoreNet.load(a.weights)
    pts = np.loadtxt(a.points, delimiter=",", skiprows=1, ndmin=2)
    with torch.no_grad():
        sc = net(torch.tensor(pts[:, 1:], dtype=torch.float64), torch.tensor(pts[:, 0], dtype=torch.float64)).numpy()
    d = net.dims
    print(",".join(["t"] + [f"x{i}" for i in range(d)] + [f"score{i}" for i in range(d)]))
    for p, r in zip(pts, sc):
        print(",".join(repr(float(v)) for v in list(p) + list(r)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
