//! Shared part of the firmware images: runs the programme, reports every result as a
//! defmt frame on semihosting stdout, measures, and exits through semihosting.
//!
//! Frames (one line each once decoded by `cargo xtask`):
//!
//! | frame | meaning |
//! | --- | --- |
//! | `T <target> <board>` | first frame: what this image is |
//! | `R <name> <hex>` | a 32-bit result (raw bits) of the programme (`<name>#<index>` for a series) |
//! | `R64 <name> <hex>` | a 64-bit result (raw bits) of the programme |
//! | `C <instructions> <ticks>` | counter calibration: a loop of known instruction count |
//! | `B <operation> <scalar> <components> <dims> <calls> <ticks> <base_ticks>` | a timed loop of `calls` calls, and the same loop empty |
//! | `S <used> <painted>` | stack high-water mark in bytes, and the size of the painted window |
//! | `DONE` | last frame: the programme ran to the end |
//! | `PANIC <file>:<line>` / `FAULT ...` | the image failed (exit status 101 / 102) |
#![no_std]

mod logger;
mod stack;
mod timer;

use tinyscore_programme::{Bench, Op, Sink};

/// The compilation target of this image.
pub const TARGET: &str = env!("FW_TARGET");
/// The QEMU machine this image is laid out for.
pub const BOARD: &str = env!("FW_BOARD");

/// Instructions of the calibration loop: 2 per iteration.
const CALIBRATION_ITERATIONS: u32 = 50_000;

/// The firmware's [`Sink`]: one defmt frame per result.
pub struct DefmtSink;

impl Sink for DefmtSink {
    fn bits32(&mut self, name: &'static str, bits: u32) {
        defmt::println!("R {=str} {=u32:x}", name, bits);
    }
    fn bits64(&mut self, name: &'static str, bits: u64) {
        defmt::println!("R64 {=str} {=u64:x}", name, bits);
    }
    fn item32(&mut self, name: &'static str, index: u32, bits: u32) {
        defmt::println!("R {=str}#{=u32} {=u32:x}", name, index, bits);
    }
}

struct CounterBench;

impl Bench for CounterBench {
    fn bench_items<F: FnMut()>(&mut self, op: &Op, items: u32, mut f: F) {
        let n = op.calls;
        let t0 = timer::now();
        let mut i = 0;
        while i < n {
            f();
            i += 1;
        }
        let t1 = timer::now();
        let mut i = 0;
        while i < n {
            core::hint::black_box(i);
            i += 1;
        }
        let t2 = timer::now();
        defmt::println!(
            "B {=str} {=str} {=u32} {=u32} {=u32} {=u32} {=u32}",
            op.operation,
            op.scalar,
            op.components,
            op.dims,
            // Results made: the per-call figure is per result (the empty loop of `n`
            // iterations is subtracted whole).
            n.saturating_mul(items),
            timer::elapsed(t0, t1),
            timer::elapsed(t1, t2)
        );
    }
}

/// The whole image: called from the entry point of each binary.
pub fn run() -> ! {
    let painted = stack::paint();
    timer::init();
    defmt::println!("T {=str} {=str}", TARGET, BOARD);

    tinyscore_programme::run(&mut DefmtSink);

    let t0 = timer::now();
    timer::known_loop(CALIBRATION_ITERATIONS);
    let t1 = timer::now();
    defmt::println!("C {=u32} {=u32}", 2 * CALIBRATION_ITERATIONS, timer::elapsed(t0, t1));
    tinyscore_programme::benches(&mut CounterBench);

    defmt::println!("S {=u32} {=u32}", stack::used(), painted);
    defmt::println!("DONE");
    exit(0)
}

/// An application image (`app`: [`tinyscore_programme::run_app`], `app-mixture`:
/// [`tinyscore_programme::run_app_mixture`]): the application alone, then the stack
/// high-water mark.
pub fn run_app(app: fn(&mut DefmtSink)) -> ! {
    let painted = stack::paint();
    defmt::println!("T {=str} {=str}", TARGET, BOARD);
    app(&mut DefmtSink);
    defmt::println!("S {=u32} {=u32}", stack::used(), painted);
    defmt::println!("DONE");
    exit(0)
}

/// Ends the QEMU run with `code` as its exit status (semihosting SYS_EXIT_EXTENDED).
pub fn exit(code: i32) -> ! {
    logger::flush();
    semihosting::process::exit(code)
}

/// Reports a panic (file and line) and exits with status 101.
pub fn report_panic(info: &core::panic::PanicInfo) -> ! {
    match info.location() {
        Some(l) => defmt::println!("PANIC {=str}:{=u32}", l.file(), l.line()),
        None => defmt::println!("PANIC"),
    }
    exit(101)
}

#[cfg(target_arch = "arm")]
#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    defmt::println!("FAULT hardfault pc={=u32:x}", frame.pc());
    exit(102)
}

#[cfg(target_arch = "riscv32")]
#[export_name = "ExceptionHandler"]
fn exception_handler(_frame: &riscv_rt::TrapFrame) -> ! {
    let (cause, pc): (u32, u32);
    // SAFETY: reading machine-mode CSRs has no side effect.
    unsafe {
        core::arch::asm!("csrr {0}, mcause", "csrr {1}, mepc", out(reg) cause, out(reg) pc);
    }
    defmt::println!("FAULT mcause={=u32:x} pc={=u32:x}", cause, pc);
    exit(102)
}
