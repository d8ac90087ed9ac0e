#!/usr/bin/env bash
# Per-instruction profile of the q8 forward pass on RISC-V under QEMU: runs the test image
# (built by `cargo xtask measure` or `cargo xtask qemu --target riscv32imac-unknown-none-elf`)
# with QEMU logging every instruction executed in QuantMlp<1, 32, 1>::score_prepared::<I16F16>
# (-singlestep -d exec,nochain -dfilter START..END), and prints each instruction of the
# function with how many times it ran per call, then the total per call (the called `memset`
# and `requantize_wide` are not counted).
#   bash scripts/profile-q8-riscv.sh [OUT_FILE]   (default target/profile-q8-riscv.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/profile-q8-riscv.txt}"
elf=firmware/target/riscv32imac-unknown-none-elf/release/tinyscore-firmware
[ -f "$elf" ] || cargo xtask qemu --target riscv32imac-unknown-none-elf >/dev/null
objdump="$(ls /usr/lib/llvm-*/bin/llvm-objdump | sort -V | tail -1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$objdump" -d -C --no-show-raw-insn "$elf" >"$work/all.txt"
awk '/^[0-9a-f]+ <<tinyscore::learned::quant::QuantMlp<1, 32, 1>>::score_prepared::<fixed/{p=1} p&&/^$/{exit} p' "$work/all.txt" |
  sed 's/<<tinyscore.*//' >"$work/fn.txt"
start="$(head -1 "$work/fn.txt" | cut -d' ' -f1)"
end="$(tail -1 "$work/fn.txt" | cut -d: -f1 | tr -d ' ')"
timeout 600 qemu-system-riscv32 -machine virt -bios none -nographic \
  -semihosting-config enable=on,target=native -kernel "$elf" \
  -singlestep -d exec,nochain -dfilter "0x$start..0x$end" -D "$work/exec.log" >/dev/null 2>&1 || true
grep -oP "Trace \d+: \S+ \[\K[0-9a-f/]+" "$work/exec.log" | awk -F/ '{print $2}' | sort | uniq -c |
  awk '{print $2, $1}' >"$work/counts"
python3 - "$start" "$work/fn.txt" "$work/counts" "$out" <<'PY'
import sys
start, fn, counts, out = sys.argv[1:]
cnt = {int(a, 16): int(c) for a, c in (l.split() for l in open(counts))}
calls = cnt.get(int(start, 16), 0)
if calls == 0:
    sys.exit("profile-q8-riscv: the function never ran")
rows = []
for l in open(fn):
    head, colon, _ = l.partition(':')  # instruction lines only: `ADDRESS: mnemonic operands`
    if not colon:
        continue
    try:
        a = int(head, 16)
    except ValueError:
        continue
    rows.append((a, cnt.get(a, 0) / calls, ' '.join(l.split(':', 1)[1].split())))
with open(out, 'w') as f:
    for a, c, t in rows:
        f.write(f"{a:x} {c:9.2f} {t}\n")
print(f"{calls} calls; {sum(c for _, c, _ in rows):.1f} instructions per call in the function; per instruction: {out}")
PY
