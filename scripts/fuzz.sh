#!/usr/bin/env bash
# Build and run the coverage-guided fuzz targets in fuzz/ (cargo-fuzz, libFuzzer).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS: how long each target runs (default 30). TARGETs: the targets to run (default:
# FUZZ_TARGETS if set, else every target of fuzz/Cargo.toml). Each run starts from and adds
# to fuzz/corpus/<target>/; a crashing input is saved in fuzz/artifacts/<target>/.
# Exits non-zero if any target crashes (panic, failed assertion, timeout, out of memory),
# after running all of them. cargo-fuzz needs nightly features: RUSTC_BOOTSTRAP=1 lets the
# stable toolchain build it. Run it under `nice -n 19` on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-30}"
[ $# -gt 0 ] && shift
case "$seconds" in
'' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, not \`$seconds'" >&2; exit 2 ;;
esac
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if [ $# -gt 0 ]; then
    targets=("$@")
elif [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo fuzz list)
fi

echo "==> building ${targets[*]}"
cargo fuzz build --sanitizer none -O

failed=()
for t in "${targets[@]}"; do
    echo "==> fuzzing $t for ${seconds} s"
    mkdir -p "corpus/$t"
    if ! cargo fuzz run "$t" --sanitizer none -O -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1; then
        failed+=("$t")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: crash in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s), ${seconds} s each, no crash"
