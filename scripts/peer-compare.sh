#!/usr/bin/env bash
# Throughput side by side, in one run on this machine: `tinyscore bench`
# (batch log-density + score, f32, 1 thread) against NumPy/SciPy and JAX jit(vmap(value_and_grad))
# on CPU (bench/peer_bench.py), same problem (bench/README.md), N points, best of R runs.
# Creates bench/.venv from bench/requirements.txt if it is missing. Prints a Markdown table.
#   scripts/peer-compare.sh [--components "1 4 8"] [--dims "1 2"] [--points N] [--repeats R]
set -euo pipefail
cd "$(dirname "$0")/.."
KS="1 4 8"; DS="1 2"; N=100000; R=20
while [ $# -gt 0 ]; do
  case "$1" in
    --components) KS=$2; shift 2;; --dims) DS=$2; shift 2;;
    --points) N=$2; shift 2;; --repeats) R=$2; shift 2;;
    *) echo "unknown argument: $1" >&2; exit 2;;
  esac
done
if [ ! -x bench/.venv/bin/python ]; then
  echo "creating bench/.venv (pip install -r bench/requirements.txt) ..." >&2
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q -r bench/requirements.txt
fi
cargo build --release -q -p tinyscore-host
BIN=target/release/tinyscore
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
echo "# $("$BIN" bench --components 1 --dims 1 --points 1000 --repeats 1 | head -1 | sed 's/.*code path: /tinyscore code path: /')" >&2
for k in $KS; do
  for d in $DS; do
    for s in f32 f64; do
      v=$("$BIN" bench --components "$k" --dims "$d" --points "$N" --repeats "$R" --scalar "$s" | sed -n 's/^ns_per_point: //p')
      echo "$k $d $s $v" >> "$TMP/rust.txt"
    done
    bench/.venv/bin/python bench/peer_bench.py --components "$k" --dims "$d" --points "$N" \
      --repeats "$R" --json > "$TMP/peer_${k}_${d}.json"
  done
done
bench/.venv/bin/python - "$TMP" <<'PY'
import glob, json, sys
tmp = sys.argv[1]
rust = {}
for line in open(f"{tmp}/rust.txt"):
    k, d, s, v = line.split()
    rust[(int(k), int(d), s)] = float(v)
peer = {}
for f in sorted(glob.glob(f"{tmp}/peer_*.json")):
    for r in json.load(open(f)):
        peer[(r["components"], r["dims"], r["library"])] = r["ns_per_point"]
print("| K | D | tinyscore f32 | tinyscore f64 | numpy (scipy lse) | numpy_manual | jax jit | jax / tinyscore f32 |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for (k, d) in sorted({(k, d) for (k, d, _) in rust}):
    f32, f64 = rust[(k, d, "f32")], rust[(k, d, "f64")]
    np_, npm, jx = (peer.get((k, d, l), float("nan")) for l in ("numpy", "numpy_manual", "jax"))
    print(f"| {k} | {d} | {f32:.2f} | {f64:.1f} | {np_:.1f} | {npm:.1f} | {jx:.1f} | {jx / f32:.1f}x |")
print("\nns per point (log-density and score together), single thread, best of repeats; same machine, same run.")
PY
