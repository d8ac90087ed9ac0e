#!/usr/bin/env python3
"""An independent reference of the q8 score network's integer forward pass.

Reads a version-2 (`q8`) model file itself (the byte layout of the format documentation
in core/src/learned/quant/mod.rs, not the Rust decoder), then evaluates the network with
NumPy int64 arithmetic, the rounding rules implemented from that specification:

    uq_d   = round_half_away((x_d - m_d) * k_d),  k_d = 1 / sqrt(c_d^2) / s_u,
             c_d^2 = std_d^2 + sigma^2 t, clamped to [-32767, 32767]
    B_i    = round_half_away((b_in_i + w_t[i][0] f_0 + w_t[i][1] f_1) / (scale_i s_u)),
             f = [ln(n / n0), n0 / n], n = sqrt(n0^2 + sigma^2 t), clamped to [-2^30, 2^30]
    rq(a)  = floor((a M + 2^(n-1)) / 2^n), clamped to the i32 range
    tanh(z)= Q15 table T[k] = min(32767, round(32768 tanh(k / 64))), k < 512, linear
             interpolation on the 10 low bits of |z| (|z| clamped to 511 * 2^10 - 1),
             rounded by adding 2^9 and shifting right 10, odd symmetry (z in Q16)
    h0     = tanh(rq(B + Wx uq)), h_l = tanh(rq(b + W h_{l-1})), out = rq(b + W_out h_L)

Usage: q8_reference.py MODEL.tsm < cases, one case `t x_1 ... x_D` per line; prints one
JSON object per case: {"u": [...], "bias0": [...], "h": [[h0...], [h1...], ...], "out": [...]}.
Exit status 1 with a message on stderr for a malformed file.
"""
import json
import math
import struct
import sys
import zlib

import numpy as np

I32_MIN, I32_MAX = -(2**31), 2**31 - 1


class Reader:
    def __init__(self, data, offset):
        self.data, self.pos = data, offset

    def take(self, fmt, count):
        size = struct.calcsize("<" + fmt) * count
        if self.pos + size > len(self.data):
            sys.exit(f"q8_reference: truncated at byte {self.pos}")
        out = struct.unpack_from(f"<{count}{fmt}", self.data, self.pos)
        self.pos += size
        return np.array(out)


def parse(data):
    if len(data) < 24 or data[:4] != b"TSSM":
        sys.exit("q8_reference: not a model file")
    version, scalar, arch, d, h, l, tf, _params = struct.unpack_from("<HBBHHHHI", data, 4)
    if version != 2 or scalar != 4 or arch != 1 or tf != 2:
        sys.exit(f"q8_reference: not a q8 file (version {version}, scalar {scalar}, arch {arch}, tf {tf})")
    stored = struct.unpack_from("<I", data, len(data) - 4)[0]
    if zlib.crc32(data[:-4]) != stored:
        sys.exit("q8_reference: checksum mismatch")
    r = Reader(data, 20)
    m = {"D": d, "H": h, "L": l}
    m["sigma"], m["n0"] = (float(v) for v in r.take("d", 2))
    m["mean"] = r.take("d", d).astype(np.float64)
    m["std"] = r.take("d", d).astype(np.float64)
    m["su"] = float(np.float32(r.take("f", 1)[0]))
    m["output_frac"] = int(r.take("I", 1)[0])
    first = {
        "w": r.take("h", h * d).astype(np.int64).reshape(h, d),
        "w_t": r.take("d", h * tf).reshape(h, tf),
        "b_in": r.take("d", h),
        "scale": r.take("f", h).astype(np.float64),
        "mult": r.take("i", h).astype(np.int64),
        "shift": r.take("B", h).astype(np.int64),
    }
    m["first"] = first

    def dense(rows, cols, wtype="b"):
        return {
            "w": r.take(wtype, rows * cols).astype(np.int64).reshape(rows, cols),
            "bias": r.take("i", rows).astype(np.int64),
            "scale": r.take("f", rows).astype(np.float64),
            "mult": r.take("i", rows).astype(np.int64),
            "shift": r.take("B", rows).astype(np.int64),
        }

    m["hidden"] = [dense(h, h) for _ in range(l)]
    m["output"] = dense(d, h, "h")  # the output layer's weights are i16
    if r.pos != len(data) - 4:
        sys.exit(f"q8_reference: {len(data) - 4 - r.pos} unexpected bytes before the checksum")
    return m


def round_half_away(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


TABLE = np.array([min(32767, round(32768 * math.tanh(k / 64))) for k in range(513)], dtype=np.int64)


def requantize(acc, mult, shift):
    """floor((acc M + 2^(n-1)) / 2^n) per element, exact (Python integers), clamped to i32."""
    out = []
    for a, mm, n in zip(acc.tolist(), mult.tolist(), shift.tolist()):
        v = (a * mm + (1 << (n - 1))) >> n
        out.append(min(max(v, I32_MIN), I32_MAX))
    return np.array(out, dtype=np.int64)


def tanh_q15(z):
    """The odd table T(k) = sign(k) TABLE[|k|] interpolated on the 10 fraction bits
    (floor division, also for z < 0), rounded to nearest with ties up."""
    c = np.clip(z, -511 * 2**10, 511 * 2**10 - 1)
    k = c >> 10
    f = c & (2**10 - 1)
    y0 = np.where(k < 0, -TABLE[np.abs(k)], TABLE[np.abs(k)])
    k1 = k + 1
    y1 = np.where(k1 < 0, -TABLE[np.abs(k1)], TABLE[np.abs(k1)])
    return y0 + (((y1 - y0) * f + 2**9) >> 10)


def forward(m, t, x):
    d, h = m["D"], m["H"]
    sigma, n0, su = m["sigma"], m["n0"], m["su"]
    uq = []
    for k in range(d):
        c2 = m["std"][k] * m["std"][k] + sigma * sigma * t
        kd = 1.0 / math.sqrt(c2) / su
        uq.append(min(max(round_half_away((x[k] - m["mean"][k]) * kd), -32767), 32767))
    uq = np.array(uq, dtype=np.int64)
    n = math.sqrt(n0 * n0 + sigma * sigma * t)
    feat = [math.log(n / n0), n0 / n]
    f = m["first"]
    bias0 = []
    for i in range(h):
        v = f["b_in"][i]
        for k in range(2):
            v += f["w_t"][i][k] * feat[k]
        b = round_half_away(v / (f["scale"][i] * su))
        bias0.append(min(max(b, -(2**30)), 2**30))
    bias0 = np.array(bias0, dtype=np.int64)
    acc = bias0 + f["w"] @ uq
    hs = [tanh_q15(requantize(acc, f["mult"], f["shift"]))]
    for layer in m["hidden"]:
        acc = layer["bias"] + layer["w"] @ hs[-1]
        hs.append(tanh_q15(requantize(acc, layer["mult"], layer["shift"])))
    o = m["output"]
    out = requantize(o["bias"] + o["w"] @ hs[-1], o["mult"], o["shift"])
    return {
        "u": uq.tolist(),
        "bias0": bias0.tolist(),
        "h": [v.tolist() for v in hs],
        "out": out.tolist(),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: q8_reference.py MODEL.tsm < cases")
    with open(sys.argv[1], "rb") as fh:
        m = parse(fh.read())
    for line in sys.stdin:
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 1 + m["D"]:
            sys.exit(f"q8_reference: case `{line.strip()}`: expected t and {m['D']} coordinates")
        t, *x = (float(v) for v in fields)
        print(json.dumps(forward(m, t, x)))


if __name__ == "__main__":
    main()
