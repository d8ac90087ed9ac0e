//! `cargo xtask measure`: image sizes from the ELF, the stack high-water mark and the
//! instructions per call reported by the firmware under `-icount shift=0`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use object::elf::{SHF_ALLOC, SHF_WRITE};
use object::{Object, ObjectSection, SectionFlags};

use crate::firmware::{self, MAIN_BIN};
use crate::run::{run_image, Report};
use crate::Options;

/// Flash and static RAM of an image, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Loaded bytes: code, read-only data, vector table and the initial values of .data.
    pub flash: u64,
    /// Statics in RAM: .data, .bss, .uninit (not the stack or heap reservations).
    pub ram: u64,
}

pub fn sizes(elf: &Path) -> Result<Sizes> {
    let data = fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
    let file = object::File::parse(&*data).context("parsing the ELF")?;
    let mut s = Sizes { flash: 0, ram: 0 };
    for section in file.sections() {
        let SectionFlags::Elf { sh_flags } = section.flags() else {
            continue;
        };
        let name = section.name().unwrap_or("");
        // riscv-rt's fictitious regions for the heap and the stack.
        if sh_flags & u64::from(SHF_ALLOC) == 0 || name == ".stack" || name == ".heap" {
            continue;
        }
        // SHT_NOBITS: no bytes in the image.
        let nobits =
            matches!(section.kind(), object::SectionKind::UninitializedData | object::SectionKind::UninitializedTls);
        if !nobits {
            s.flash += section.size();
        }
        if sh_flags & u64::from(SHF_WRITE) != 0 {
            s.ram += section.size();
        }
    }
    Ok(s)
}

/// One row of the output.
struct Row {
    target: &'static str,
    board: &'static str,
    operation: String,
    scalar: Option<String>,
    components: Option<u32>,
    dims: Option<u32>,
    instructions_per_call: Option<f64>,
    image: Option<(Sizes, Option<u32>, bool)>,
}

fn instructions_per_call(report: &Report, ticks: u32, base_ticks: u32, calls: u32) -> Option<f64> {
    let (cal_instructions, cal_ticks) = report.calibration?;
    if cal_ticks == 0 || calls == 0 {
        return None;
    }
    let per_tick = f64::from(cal_instructions) / f64::from(cal_ticks);
    let net = f64::from(ticks) - f64::from(base_ticks);
    Some(net * per_tick / f64::from(calls))
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "null".to_string(), |v| v.to_string())
}

fn to_json(rows: &[Row]) -> String {
    let mut out = String::from("[\n");
    for (i, r) in rows.iter().enumerate() {
        let _ = write!(
            out,
            "  {{\"target\": {}, \"board\": {}, \"scalar\": {}, \"operation\": {}, \
             \"components\": {}, \"dims\": {}, \"instructions_per_call\": {}",
            json_str(r.target),
            json_str(r.board),
            r.scalar.as_deref().map_or("null".into(), json_str),
            json_str(&r.operation),
            json_opt(r.components),
            json_opt(r.dims),
            json_opt(r.instructions_per_call.map(|v| format!("{v:.2}"))),
        );
        if let Some((sizes, stack, _)) = &r.image {
            let _ = write!(
                out,
                ", \"flash_bytes\": {}, \"ram_bytes\": {}, \"stack_bytes\": {}",
                sizes.flash,
                sizes.ram,
                json_opt(*stack)
            );
        }
        out.push('}');
        out.push_str(if i + 1 < rows.len() { ",\n" } else { "\n" });
    }
    out.push(']');
    out
}

/// The image rows with their cells: image name, sizes, stack high-water mark as text
/// (`>=` when the painted stack was used up), the board's RAM.
fn image_rows(rows: &[Row]) -> impl Iterator<Item = (&Row, &str, Sizes, String, u64)> {
    rows.iter().filter_map(|r| {
        let (sizes, stack, capped) = r.image.as_ref()?;
        let board = firmware::board(r.target).map(|b| b.ram).unwrap_or(0);
        let stack = match stack {
            Some(v) if *capped => format!(">={v}"),
            Some(v) => v.to_string(),
            None => "n/a".into(),
        };
        Some((r, r.scalar.as_deref().unwrap_or("test"), *sizes, stack, board))
    })
}

fn print_tables(rows: &[Row]) {
    println!("Images (flash = code + rodata + .data initialisers; RAM = statics; stack = high-water mark)");
    println!(
        "{:<30} {:<11} {:<6} {:>9} {:>9} {:>9} {:>10}",
        "target", "board", "image", "flash", "ram", "stack", "board ram"
    );
    for (r, image, s, stack, board) in image_rows(rows) {
        println!(
            "{:<30} {:<11} {:<6} {:>9} {:>9} {:>9} {:>10}",
            r.target, r.board, image, s.flash, s.ram, stack, board
        );
    }
    println!();
    println!("Instructions per call (counted under QEMU -icount shift=0: instructions under emulation, not cycles on silicon)");
    println!(
        "{:<30} {:<20} {:<8} {:>10} {:>5} {:>12}",
        "target", "operation", "scalar", "components", "dims", "instr/call"
    );
    for r in rows.iter().filter(|r| r.image.is_none()) {
        println!(
            "{:<30} {:<20} {:<8} {:>10} {:>5} {:>12}",
            r.target,
            r.operation,
            r.scalar.as_deref().unwrap_or("-"),
            json_opt(r.components),
            json_opt(r.dims),
            r.instructions_per_call.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}"))
        );
    }
}

/// The column name of a target in the README's tables.
fn core_name(target: &str) -> &'static str {
    match target {
        "thumbv6m-none-eabi" => "M0 (thumbv6m)",
        "thumbv7m-none-eabi" => "M3 (thumbv7m)",
        "thumbv7em-none-eabihf" => "M4F (thumbv7em-eabihf)",
        "riscv32imac-unknown-none-elf" => "RV32IMAC",
        _ => "?",
    }
}

/// Instructions per call of one operation on one target.
fn per_call(rows: &[Row], target: &str, op: &str, scalar: &str, k: u32, d: u32) -> Option<f64> {
    rows.iter()
        .find(|r| {
            r.target == target
                && r.operation == op
                && r.scalar.as_deref() == Some(scalar)
                && r.components == Some(k)
                && r.dims == Some(d)
        })
        .and_then(|r| r.instructions_per_call)
}

fn met(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**not met**"
    }
}

/// The README's tables: images, then instructions per call with one column per target, then
/// the goals checked against the figures.
fn to_markdown(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("| target | board | image | flash (bytes) | static RAM (bytes) | stack high-water (bytes) | board RAM (bytes) |\n");
    out.push_str("|---|---|---|---:|---:|---:|---:|\n");
    for (r, image, s, stack, board) in image_rows(rows) {
        let _ = writeln!(out, "| {} | {} | {image} | {} | {} | {stack} | {board} |", r.target, r.board, s.flash, s.ram);
    }
    let mut targets: Vec<&str> = Vec::new();
    let mut keys: Vec<(String, String, u32, u32)> = Vec::new();
    for r in rows.iter().filter(|r| r.image.is_none()) {
        if !targets.contains(&r.target) {
            targets.push(r.target);
        }
        let key =
            (r.operation.clone(), r.scalar.clone().unwrap_or_default(), r.components.unwrap_or(0), r.dims.unwrap_or(0));
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    out.push_str("\n| operation | scalar | K | D |");
    for t in &targets {
        let _ = write!(out, " {} |", core_name(t));
    }
    out.push_str("\n|---|---|---:|---:|");
    out.push_str(&"---:|".repeat(targets.len()));
    out.push('\n');
    for (op, scalar, k, d) in &keys {
        let k_text = if *k == 0 { "-".to_string() } else { k.to_string() };
        let _ = write!(out, "| {op} | {scalar} | {k_text} | {d} |");
        for t in &targets {
            let v = per_call(rows, t, op, scalar, *k, *d).map_or_else(|| "n/a".into(), |v| format!("{v:.0}"));
            let _ = write!(out, " {v} |");
        }
        out.push('\n');
    }
    out.push_str("\nGoals (mixture score: K = 4, D = 1, prepared t; generated sample: D = 1):\n\n");
    if let Some(v) = per_call(rows, "thumbv7em-none-eabihf", "mixture_score", "f32", 4, 1) {
        let _ = writeln!(
            out,
            "- Cortex-M4F `f32`: {v:.0} per call, {:.1} per component (goal 200, 50): {}",
            v / 4.0,
            met(v <= 200.0)
        );
    }
    let m3 = |s| per_call(rows, "thumbv7m-none-eabi", "mixture_score", s, 4, 1);
    if let (Some(fx), Some(fl)) = (m3("i16f16"), m3("f32")) {
        let _ = writeln!(
            out,
            "- Cortex-M3 `i16f16`: {fx:.0} per call, {:.1} per component (goal 320, 80): {}; {:.1}x fewer than \
             soft-float `f32` ({fl:.0}; goal 5x): {}",
            fx / 4.0,
            met(fx <= 320.0),
            fl / fx,
            met(fl >= 5.0 * fx)
        );
    }
    // One sample generated on the device from the embedded model (DPM-Solver++(2M), Karras
    // grid, 10 score evaluations, per sample of a block of 8; firmware/programme/src/sampler_part.rs).
    if let Some(v) = per_call(rows, "thumbv7em-none-eabihf", "generate_sample", "f32", 0, 1) {
        let _ =
            writeln!(out, "- Cortex-M4F `f32`, one generated sample: {v:.0} (goal 200000): {}", met(v <= 200_000.0));
    }
    if let Some(v) = per_call(rows, "thumbv6m-none-eabi", "generate_sample", "q8", 0, 1) {
        let _ = writeln!(
            out,
            "- Cortex-M0 `q8` (int8-weight network), one generated sample: {v:.0} (goal 300000): {}",
            met(v <= 300_000.0)
        );
    }
    for (target, name, goal) in [
        ("thumbv6m-none-eabi", "Cortex-M0", 12_000.0),
        ("thumbv7m-none-eabi", "Cortex-M3", 6_000.0),
        ("thumbv7em-none-eabihf", "Cortex-M4F", 4_000.0),
        ("riscv32imac-unknown-none-elf", "RV32IMAC", 6_000.0),
    ] {
        if let Some(v) = per_call(rows, target, "net_forward", "q8", 0, 1) {
            let _ = writeln!(out, "- {name} `q8` forward pass (width 32): {v:.0} (goal {goal:.0}): {}", met(v <= goal));
        }
    }
    if let Some(v) = per_call(rows, "thumbv7em-none-eabihf", "net_forward", "f32", 0, 1) {
        let _ = writeln!(out, "- Cortex-M4F `f32` forward pass (width 32): {v:.0} (goal 8000): {}", met(v <= 8_000.0));
    }
    if let Some(v) = per_call(rows, "thumbv6m-none-eabi", "generate_sample", "i16f16", 0, 1) {
        let _ = writeln!(
            out,
            "- Cortex-M0 `i16f16`, one generated sample: {v:.0} (goal 8500000): {}",
            met(v <= 8_500_000.0)
        );
    }
    let app = rows.iter().find(|r| r.target == "thumbv6m-none-eabi" && r.scalar.as_deref() == Some("app"));
    if let Some((s, Some(stack), _)) = app.and_then(|r| r.image.as_ref()) {
        let ram = s.ram + u64::from(*stack);
        let _ = writeln!(
            out,
            "- Cortex-M0 application image: {} bytes of flash (goal 32768), {} bytes of statics + {stack} of stack = \
             {ram} of RAM (goal 8192): {}",
            s.flash,
            s.ram,
            met(s.flash <= 32768 && ram <= 8192)
        );
    }
    out
}

/// `cargo xtask measure`.
pub fn measure(opts: &Options) -> Result<bool> {
    let boards = firmware::selected(opts);
    firmware::build_images(&boards)?;
    let targets: Vec<&str> = boards.iter().map(|b| b.target).collect();
    for bin in firmware::APP_BINS {
        firmware::build_bin(firmware::route()?, bin, &targets)?;
    }
    let mut rows = Vec::new();
    let mut ok = true;
    for board in &boards {
        let elf = firmware::elf_path(board.target, MAIN_BIN);
        let image_sizes = sizes(&elf)?;
        let report = run_image(board, &elf, true, opts)?;
        if let Some(f) = report.failure() {
            eprintln!("xtask: {} ({}): {f}", board.target, board.board);
            ok = false;
        }
        let stack = report.stack.map(|(used, _)| used);
        let capped = report.stack.is_some_and(|(used, painted)| used >= painted);
        rows.push(Row {
            target: board.target,
            board: board.board,
            operation: "image".into(),
            scalar: None,
            components: None,
            dims: None,
            instructions_per_call: None,
            image: Some((image_sizes, stack, capped)),
        });
        for bin in firmware::APP_BINS {
            let app_elf = firmware::elf_path(board.target, bin);
            let app_sizes = sizes(&app_elf)?;
            let app = run_image(board, &app_elf, false, opts)?;
            if let Some(f) = app.failure() {
                eprintln!("xtask: {} ({}) {bin} image: {f}", board.target, board.board);
                ok = false;
            }
            rows.push(Row {
                target: board.target,
                board: board.board,
                operation: "image".into(),
                scalar: Some(bin.into()),
                components: None,
                dims: None,
                instructions_per_call: None,
                image: Some((app_sizes, app.stack.map(|(used, _)| used), app.stack.is_some_and(|(u, p)| u >= p))),
            });
        }
        for b in &report.benches {
            rows.push(Row {
                target: board.target,
                board: board.board,
                operation: b.operation.clone(),
                scalar: Some(b.scalar.clone()),
                components: Some(b.components),
                dims: Some(b.dims),
                instructions_per_call: instructions_per_call(&report, b.ticks, b.base_ticks, b.calls),
                image: None,
            });
        }
    }
    if opts.json {
        println!("{}", to_json(&rows));
    } else if opts.markdown {
        print!("{}", to_markdown(&rows));
    } else {
        print_tables(&rows);
    }
    Ok(ok)
}
