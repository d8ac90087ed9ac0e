//! The firmware targets, how to build them (rustup targets or Debian's toolchain with
//! `-Z build-std=core`), and the panic-freedom check.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::Options;

/// One firmware target and the QEMU machine that runs it.
pub struct Board {
    pub target: &'static str,
    pub board: &'static str,
    pub qemu: &'static str,
    pub machine_args: &'static [&'static str],
    /// RAM of the board in bytes (the budget for statics + stack).
    pub ram: u64,
    /// The release profile's `opt-level` for this target: `"s"` (size) where flash is the
    /// constraint (the Cortex-M0's 32 KiB application image; the Cortex-M3 meets its goals
    /// at `"s"`); `"3"` on the Cortex-M4F (its images build at 3 since the DSP kernels were
    /// first tuned there) and on RISC-V (q8 `net_forward` 6,478 -> 6,342 instructions:
    /// the compiler schedules the kernel's loads and keeps more in registers).
    pub opt_level: &'static str,
}

pub const BOARDS: &[Board] = &[
    Board {
        target: "thumbv6m-none-eabi",
        board: "microbit",
        qemu: "qemu-system-arm",
        machine_args: &["-machine", "microbit"],
        ram: 16 * 1024,
        opt_level: "s",
    },
    Board {
        target: "thumbv7m-none-eabi",
        board: "mps2-an385",
        qemu: "qemu-system-arm",
        machine_args: &["-machine", "mps2-an385", "-cpu", "cortex-m3"],
        ram: 4 * 1024 * 1024,
        opt_level: "s",
    },
    Board {
        target: "thumbv7em-none-eabihf",
        board: "mps2-an386",
        qemu: "qemu-system-arm",
        machine_args: &["-machine", "mps2-an386", "-cpu", "cortex-m4"],
        ram: 4 * 1024 * 1024,
        opt_level: "3",
    },
    Board {
        target: "riscv32imac-unknown-none-elf",
        board: "riscv-virt",
        qemu: "qemu-system-riscv32",
        machine_args: &["-machine", "virt", "-bios", "none"],
        ram: 16 * 1024 * 1024,
        opt_level: "3",
    },
];

/// Targets of `panic-check` unless `--target` is given.
const PANIC_CHECK_TARGETS: &[&str] = &["thumbv6m-none-eabi", "thumbv7m-none-eabi"];

/// The binary run under QEMU.
pub const MAIN_BIN: &str = "tinyscore-firmware";
/// The application-only images (sizes reported by `measure`, results compared by `qemu`):
/// the learned score with generation (`app`, the one with the goals) and the mixture score.
pub const APP_BINS: [&str; 2] = ["app", "app-mixture"];
/// The binary whose panic handler calls an undefined function.
const PANIC_CHECK_BIN: &str = "panic-check";
/// The undefined function called by the panic-check image's panic handler.
const PANIC_SYMBOL: &str = "tinyscore_panic_path_survived_optimisation";
/// The Debian toolchain linked into rustup by scripts/setup-embedded.sh.
const DEB_TOOLCHAIN: &str = "deb196";

pub fn board(target: &str) -> Result<&'static Board> {
    BOARDS.iter().find(|b| b.target == target).with_context(|| {
        let all: Vec<_> = BOARDS.iter().map(|b| b.target).collect();
        format!("unknown target {target}; one of {all:?}")
    })
}

/// The selected boards, or all of them.
pub fn selected(opts: &Options) -> Vec<&'static Board> {
    if opts.targets.is_empty() {
        BOARDS.iter().collect()
    } else {
        opts.targets.clone()
    }
}

pub fn repo_root() -> PathBuf {
    // xtask/ is one level below the repository root.
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask has a parent directory").to_path_buf()
}

pub fn firmware_dir() -> PathBuf {
    repo_root().join("firmware")
}

pub fn target_dir() -> PathBuf {
    firmware_dir().join("target")
}

pub fn elf_path(target: &str, bin: &str) -> PathBuf {
    target_dir().join(target).join("release").join(bin)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Route {
    /// `cargo build --target T` with targets installed by `rustup target add`.
    Rustup,
    /// Debian's rustc 1.96 (`+deb196`) with `RUSTC_BOOTSTRAP=1 -Z build-std=core`.
    Debian,
}

/// A command with the variables that the outer `cargo xtask` (cargo, rustup) set removed,
/// so the inner build picks its own toolchain and configuration.
pub fn clean_command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let Some(k) = key.to_str() else { continue };
        let keep = ["CARGO_HOME", "CARGO_NET_", "CARGO_HTTP_", "CARGO_REGISTR", "CARGO_TERM_"]
            .iter()
            .any(|p| k.starts_with(p));
        let cargo_set = (k.starts_with("CARGO") || k.starts_with("__CARGO")) && !keep;
        let toolchain_set = matches!(
            k,
            "RUSTUP_TOOLCHAIN"
                | "RUSTC"
                | "RUSTDOC"
                | "RUSTC_WRAPPER"
                | "RUSTC_WORKSPACE_WRAPPER"
                | "RUSTFLAGS"
                | "RUSTDOCFLAGS"
                | "RUSTC_BOOTSTRAP"
        );
        if cargo_set || toolchain_set {
            cmd.env_remove(&key);
        }
    }
    cmd
}

fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Which toolchain builds the firmware (same test as scripts/setup-embedded.sh).
pub fn route() -> Result<Route> {
    match std::env::var("TINYSCORE_FW_ROUTE").as_deref() {
        Ok("rustup") => return Ok(Route::Rustup),
        Ok("debian") => return Ok(Route::Debian),
        Ok(other) => bail!("TINYSCORE_FW_ROUTE={other}: expected rustup or debian"),
        Err(_) => {}
    }
    let installed =
        output_of(clean_command("rustup").args(["target", "list", "--installed"]).current_dir(firmware_dir()))
            .unwrap_or_default();
    if BOARDS.iter().all(|b| installed.lines().any(|l| l.trim() == b.target)) {
        return Ok(Route::Rustup);
    }
    let toolchains = output_of(clean_command("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if toolchains.lines().any(|l| l.starts_with(DEB_TOOLCHAIN)) {
        return Ok(Route::Debian);
    }
    bail!(
        "no toolchain for the firmware: neither are the targets installed in rustup nor is \
         the `{DEB_TOOLCHAIN}` toolchain linked; run `bash scripts/setup-embedded.sh`"
    )
}

/// `cargo build --release` of `bin` for `targets`, inside firmware/.
pub fn build_command(route: Route, bin: &str, targets: &[&str]) -> Command {
    cargo_build(route, &["--bin", bin], targets)
}

/// `cargo build --release <what>` (e.g. `--bin B`, `--example E`) for `targets`, inside
/// firmware/.
pub fn cargo_build(route: Route, what: &[&str], targets: &[&str]) -> Command {
    let mut cmd = match route {
        Route::Rustup => clean_command("cargo"),
        Route::Debian => {
            let mut c = clean_command("rustup");
            c.args(["run", DEB_TOOLCHAIN, "cargo"]);
            c
        }
    };
    cmd.current_dir(firmware_dir()).args(["build", "--release"]).args(what).arg("--target-dir").arg(target_dir());
    if route == Route::Debian {
        cmd.env("RUSTC_BOOTSTRAP", "1").args(["-Z", "build-std=core"]);
    }
    for t in targets {
        cmd.args(["--target", t]);
    }
    // One cargo run builds one opt-level (`opt_level_groups` splits the targets).
    if let Some(level) = targets.first().map(|t| opt_level(t)).filter(|&l| l != PROFILE_OPT_LEVEL) {
        let value = if level.parse::<u8>().is_ok() { level.to_string() } else { format!("\"{level}\"") };
        cmd.args(["--config", &format!("profile.release.opt-level={value}")]);
    }
    cmd
}

/// The release profile's opt-level in firmware/Cargo.toml.
const PROFILE_OPT_LEVEL: &str = "s";

/// The opt-level a target is built at ([`Board::opt_level`]; the profile's for an unknown one).
pub fn opt_level(target: &str) -> &'static str {
    BOARDS.iter().find(|b| b.target == target).map_or(PROFILE_OPT_LEVEL, |b| b.opt_level)
}

/// `targets` grouped by opt-level (one cargo run each), in their order.
pub fn opt_level_groups<'a>(targets: &[&'a str]) -> Vec<Vec<&'a str>> {
    let mut groups: Vec<Vec<&'a str>> = Vec::new();
    for &t in targets {
        match groups.iter_mut().find(|g| g.first().map(|f| opt_level(f)) == Some(opt_level(t))) {
            Some(g) => g.push(t),
            None => groups.push(vec![t]),
        }
    }
    groups
}

/// Builds the images run under QEMU for `boards`.
pub fn build_images(boards: &[&Board]) -> Result<()> {
    let route = route()?;
    let targets: Vec<&str> = boards.iter().map(|b| b.target).collect();
    build_bin(route, MAIN_BIN, &targets)
}

/// Builds one binary of the firmware crate for `targets`.
pub fn build_bin(route: Route, bin: &str, targets: &[&str]) -> Result<()> {
    for group in opt_level_groups(targets) {
        let level = group.first().map_or(PROFILE_OPT_LEVEL, |t| opt_level(t));
        eprintln!("xtask: building {bin} for {} ({route:?} route, opt-level {level})", group.join(", "));
        let status = build_command(route, bin, &group).status().context("running cargo for the firmware")?;
        if !status.success() {
            bail!("firmware build failed ({status})");
        }
    }
    Ok(())
}

/// The example of the firmware crate (`firmware/examples/generate.rs`): tinyscore used as
/// an application would, run by `cargo xtask example`.
pub const EXAMPLE: &str = "generate";
/// Targets of `example` unless `--target` is given.
pub const EXAMPLE_TARGETS: &[&str] = &["thumbv7em-none-eabihf"];

/// The path of a built example.
pub fn example_path(target: &str, example: &str) -> PathBuf {
    target_dir().join(target).join("release").join("examples").join(example)
}

/// Builds the example for `targets`.
pub fn build_example(targets: &[&str]) -> Result<()> {
    let route = route()?;
    eprintln!("xtask: building example {EXAMPLE} for {} ({route:?} route)", targets.join(", "));
    for group in opt_level_groups(targets) {
        let status =
            cargo_build(route, &["--example", EXAMPLE], &group).status().context("running cargo for the example")?;
        if !status.success() {
            bail!("example build failed ({status})");
        }
    }
    Ok(())
}

/// `cargo xtask panic-check`.
pub fn panic_check(opts: &Options) -> Result<bool> {
    let route = route()?;
    let targets: Vec<&str> = if opts.targets.is_empty() {
        PANIC_CHECK_TARGETS.to_vec()
    } else {
        opts.targets.iter().map(|b| b.target).collect()
    };
    let mut ok = true;
    // One target per build, so that each one gets its own verdict.
    for target in targets {
        let out = build_command(route, PANIC_CHECK_BIN, &[target])
            .stdout(Stdio::inherit())
            .output()
            .context("running cargo for the panic-check image")?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            println!("PASS {target}: no panic path in the image");
        } else if stderr.contains(PANIC_SYMBOL) {
            ok = false;
            println!("FAIL {target}: a panic path survived optimisation (undefined {PANIC_SYMBOL})");
            for line in stderr.lines().filter(|l| l.contains(">>>") || l.contains("undefined symbol")).take(12) {
                println!("  {}", line.trim());
            }
            match panic_callers(route, target) {
                Some(callers) if !callers.is_empty() => {
                    println!("  calls into the panic machinery, in the {MAIN_BIN} image:");
                    for c in callers.iter().take(12) {
                        println!("    {c}");
                    }
                }
                _ => println!(
                    "  find the caller: disassemble firmware/target/{target}/release/{MAIN_BIN} \
                     (llvm-objdump -d -C) and look for calls into core::panicking, or run it \
                     under `cargo xtask qemu` (a panic taken prints PANIC file:line)"
                ),
            }
        } else {
            ok = false;
            eprint!("{stderr}");
            println!("FAIL {target}: the panic-check image did not build (see the errors above)");
        }
    }
    Ok(ok)
}

/// An LLVM tool from PATH or from Debian's llvm-N packages.
fn llvm_tool(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()));
    on_path.or_else(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("llvm-")))
            .collect();
        dirs.sort();
        dirs.into_iter().rev().map(|d| d.join("bin").join(name)).find(|p| p.is_file())
    })
}

fn is_panic_machinery(symbol: &str) -> bool {
    symbol.contains("panic")
        || symbol.contains("unwrap_failed")
        || symbol.contains("expect_failed")
        || symbol.ends_with("_fail")
        || symbol.contains("rust_begin_unwind")
}

/// Functions of the normal image that call into the panic machinery, as
/// `caller -> callee` lines (None when no disassembler is available).
fn panic_callers(route: Route, target: &str) -> Option<Vec<String>> {
    let objdump = llvm_tool("llvm-objdump")?;
    let built = build_command(route, MAIN_BIN, &[target]).stdout(Stdio::null()).stderr(Stdio::null()).status().ok()?;
    if !built.success() {
        return None;
    }
    let out =
        Command::new(objdump).args(["-d", "-C", "--no-show-raw-insn"]).arg(elf_path(target, MAIN_BIN)).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut function = String::new();
    let mut found: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some((_, name)) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")) {
            // `$t`, `$d`, `$x`: ARM / RISC-V mapping symbols, not functions.
            if !name.starts_with('$') {
                function = name.to_string();
            }
            continue;
        }
        let Some(callee) = line
            .rsplit_once('<')
            .and_then(|(_, rest)| rest.split_once('>'))
            .map(|(callee, _)| callee.split('+').next().unwrap_or(callee))
        else {
            continue;
        };
        if is_panic_machinery(callee) && !is_panic_machinery(&function) {
            let entry = format!("{function} -> {callee}");
            if !found.contains(&entry) {
                found.push(entry);
            }
        }
    }
    Some(found)
}
