#!/usr/bin/env bash
# Installs what the firmware images and `cargo xtask qemu | panic-check | measure` need.
#
# Idempotent and quiet when everything is present; prints one line at the end naming the
# route in use. Run as root (CI does) or with sudo available, on Debian 12.
#
# Two routes build the firmware (xtask picks the same one by the same test):
#   * "rustup": the active rustup toolchain already has all four embedded targets
#     (`rustup target add thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf
#     riscv32imac-unknown-none-elf` on a machine with network access). Then the Debian
#     toolchain is not installed; only QEMU is.
#   * "debian": rustup cannot download targets here, so Debian's rustc-web 1.96 with its
#     matching standard-library source (rust-web-src) is installed and linked as the rustup
#     toolchain `deb196`; the firmware is built with
#     `RUSTC_BOOTSTRAP=1 cargo +deb196 build --release -Z build-std=core --target ...`.
#     rust-web-llvm provides rust-lld, a link to lld-22.
# Set TINYSCORE_FW_ROUTE=debian to force the Debian route (both xtask and this script).
set -euo pipefail

TARGETS=(thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf riscv32imac-unknown-none-elf)
DEB_TOOLCHAIN=deb196
DEB_RUST_PKGS=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
QEMU_PKGS=(qemu-system-arm qemu-system-misc)

log=$(mktemp)
trap 'rm -f "$log"' EXIT

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

# Run a command quietly; on failure show its output and stop.
quiet() {
    if ! "$@" >"$log" 2>&1; then
        echo "setup-embedded: failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
}

# Packages in "$@" that are not installed.
missing_pkgs() {
    local p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            echo "$p"
        fi
    done
}

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        quiet "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=1
    fi
    quiet "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

rustup_has_targets() {
    command -v rustup >/dev/null 2>&1 || return 1
    local installed t
    # Ask from a neutral directory so that no rust-toolchain file changes the answer.
    installed=$(cd / && env -u RUSTUP_TOOLCHAIN rustup target list --installed 2>/dev/null) || return 1
    for t in "${TARGETS[@]}"; do
        grep -qx "$t" <<<"$installed" || return 1
    done
}

route=debian
if [ "${TINYSCORE_FW_ROUTE:-}" != debian ] && rustup_has_targets; then
    route=rustup
fi

# --- QEMU ---------------------------------------------------------------------------
mapfile -t need < <(missing_pkgs "${QEMU_PKGS[@]}")
if [ "${#need[@]}" -gt 0 ]; then
    extra=()
    # Some images carry qemu-utils from bookworm-backports (10.x), which Breaks
    # qemu-system-common (< 8.0); apt would then remove it or give up. Keep qemu-utils,
    # at the version matching the QEMU that Debian 12 ships.
    if dpkg-query -W -f='${Status}' qemu-utils 2>/dev/null | grep -q 'install ok installed'; then
        if [ "$apt_updated" -eq 0 ]; then
            quiet "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
            apt_updated=1
        fi
        want=$(apt-cache policy qemu-system-common | awk '/Candidate:/ {print $2}')
        have=$(dpkg-query -W -f='${Version}' qemu-utils)
        if [ -n "$want" ] && [ "$want" != "(none)" ] && [ "$have" != "$want" ]; then
            extra=(--allow-downgrades "qemu-utils=$want")
        fi
    fi
    # No recommends: the GUI, audio and network-boot ROMs are not needed (-nic none).
    apt_install --no-install-recommends "${extra[@]}" "${QEMU_PKGS[@]}"
fi
for tool in qemu-system-arm qemu-system-riscv32; do
    command -v "$tool" >/dev/null 2>&1 || { echo "setup-embedded: $tool not found after install" >&2; exit 1; }
done

# --- Rust toolchain for the firmware -------------------------------------------------
if [ "$route" = debian ]; then
    mapfile -t need < <(missing_pkgs "${DEB_RUST_PKGS[@]}")
    if [ "${#need[@]}" -gt 0 ]; then
        apt_install --no-install-recommends "${DEB_RUST_PKGS[@]}"
    fi
    if ! command -v rustup >/dev/null 2>&1; then
        echo "setup-embedded: rustup is needed (to link the Debian toolchain as +$DEB_TOOLCHAIN)" >&2
        exit 1
    fi
    if ! rustup toolchain list 2>/dev/null | grep -q "^$DEB_TOOLCHAIN"; then
        quiet rustup toolchain link "$DEB_TOOLCHAIN" /usr
    fi
    ver=$(/usr/bin/rustc --version)
    src=$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/core
    [ -d "$src" ] || { echo "setup-embedded: $src missing (rust-web-src)" >&2; exit 1; }
    command -v rust-lld >/dev/null 2>&1 || [ -x /usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld ] ||
        { echo "setup-embedded: rust-lld missing (rust-web-llvm, lld-22)" >&2; exit 1; }
    echo "setup-embedded: route debian: $ver as rustup toolchain +$DEB_TOOLCHAIN with -Z build-std=core; $(qemu-system-arm --version | head -n1)"
else
    echo "setup-embedded: route rustup: $(cd / && rustc --version) with installed targets ${TARGETS[*]}; $(qemu-system-arm --version | head -n1)"
fi
