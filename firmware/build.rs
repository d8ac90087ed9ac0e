//! Picks the board's memory layout from the compilation target and passes the linker
//! scripts of the runtime (cortex-m-rt / riscv-rt) and of defmt to the binaries and examples.

use std::{env, fs, path::PathBuf};

/// (target triple, board, memory file). One board per target: the QEMU machine that
/// `cargo xtask qemu` runs the image on.
const BOARDS: &[(&str, &str, &str)] = &[
    ("thumbv6m-none-eabi", "microbit", "memory/microbit.x"),
    ("thumbv7m-none-eabi", "mps2-an385", "memory/mps2.x"),
    ("thumbv7em-none-eabihf", "mps2-an386", "memory/mps2.x"),
    ("riscv32imac-unknown-none-elf", "riscv-virt", "memory/riscv-virt.x"),
];

fn main() {
    let target = env::var("TARGET").expect("TARGET");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let Some(&(_, board, memory)) = BOARDS.iter().find(|(t, _, _)| *t == target) else {
        panic!(
            "tinyscore-firmware: no board for target {target}; build with --target one of {:?} \
             (or use `cargo xtask qemu` at the repository root)",
            BOARDS.iter().map(|b| b.0).collect::<Vec<_>>()
        );
    };
    fs::copy(memory, out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={memory}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=FW_TARGET={target}");
    println!("cargo:rustc-env=FW_BOARD={board}");

    // The images (bins) and the examples link the same way.
    for kind in ["bins", "examples"] {
        if target.starts_with("riscv") {
            // riscv-rt's link.x does not include memory.x unless its `memory` feature is on.
            println!("cargo:rustc-link-arg-{kind}=-Tmemory.x");
            println!("cargo:rustc-link-arg-{kind}=-Tlink.x");
        } else {
            // cortex-m-rt's link.x includes memory.x itself.
            println!("cargo:rustc-link-arg-{kind}=-Tlink.x");
            println!("cargo:rustc-link-arg-{kind}=--nmagic");
        }
        println!("cargo:rustc-link-arg-{kind}=-Tdefmt.x");
    }
}
