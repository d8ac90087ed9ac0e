//! Running an image under QEMU, decoding its defmt frames, and `cargo xtask qemu`.

use std::fs::{self, File};
use std::path::Path;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use defmt_decoder::{DecodeError, Table};

use crate::firmware::{self, Board, MAIN_BIN};
use crate::Options;

/// A result's raw bits, as the firmware reports them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Bits {
    B32(u32),
    B64(u64),
}

impl Bits {
    fn show(self) -> String {
        match self {
            Bits::B32(b) => format!("0x{b:08x} (f32 {:e}, i32 {})", f32::from_bits(b), b as i32),
            Bits::B64(b) => format!("0x{b:016x} (f64 {:e}, i64 {})", f64::from_bits(b), b as i64),
        }
    }
}

/// One `B` frame: a timed loop.
#[derive(Debug)]
pub struct BenchFrame {
    pub operation: String,
    pub scalar: String,
    pub components: u32,
    pub dims: u32,
    pub calls: u32,
    pub ticks: u32,
    pub base_ticks: u32,
}

/// Everything one run of an image reported.
#[derive(Debug, Default)]
pub struct Report {
    pub header: Option<String>,
    pub results: Vec<(String, Bits)>,
    /// (instructions, ticks) of the calibration loop.
    pub calibration: Option<(u32, u32)>,
    pub benches: Vec<BenchFrame>,
    /// (used, painted) stack bytes.
    pub stack: Option<(u32, u32)>,
    pub done: bool,
    /// A PANIC or FAULT frame, or a frame that could not be parsed.
    pub problems: Vec<String>,
    pub exit: Option<i32>,
    pub timed_out: bool,
}

impl Report {
    /// Why the run is not a clean one, if it is not.
    pub fn failure(&self) -> Option<String> {
        if self.timed_out {
            let last = self.problems.last().cloned().unwrap_or_default();
            return Some(format!("timed out (killed) {last}").trim_end().to_string());
        }
        if let Some(p) = self.problems.first() {
            return Some(p.clone());
        }
        if self.exit != Some(0) {
            return Some(format!("QEMU exit status {:?}", self.exit));
        }
        if !self.done {
            return Some("no DONE frame".to_string());
        }
        None
    }
}

fn hex<T>(s: &str, parse: fn(&str, u32) -> Result<T, std::num::ParseIntError>) -> Option<T> {
    parse(s.trim_start_matches("0x"), 16).ok()
}

fn parse_line(report: &mut Report, line: &str) {
    let f: Vec<&str> = line.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|s| s.parse::<u32>().ok());
    let ok = match f.first().copied() {
        Some("T") => {
            report.header = Some(f[1..].join(" "));
            true
        }
        Some("R") if f.len() == 3 => match hex(f[2], u32::from_str_radix) {
            Some(b) => {
                report.results.push((f[1].to_string(), Bits::B32(b)));
                true
            }
            None => false,
        },
        Some("R64") if f.len() == 3 => match hex(f[2], u64::from_str_radix) {
            Some(b) => {
                report.results.push((f[1].to_string(), Bits::B64(b)));
                true
            }
            None => false,
        },
        Some("C") => match (num(1), num(2)) {
            (Some(i), Some(t)) => {
                report.calibration = Some((i, t));
                true
            }
            _ => false,
        },
        Some("B") if f.len() == 8 => match (num(3), num(4), num(5), num(6), num(7)) {
            (Some(components), Some(dims), Some(calls), Some(ticks), Some(base_ticks)) => {
                report.benches.push(BenchFrame {
                    operation: f[1].to_string(),
                    scalar: f[2].to_string(),
                    components,
                    dims,
                    calls,
                    ticks,
                    base_ticks,
                });
                true
            }
            _ => false,
        },
        Some("S") => match (num(1), num(2)) {
            (Some(u), Some(p)) => {
                report.stack = Some((u, p));
                true
            }
            _ => false,
        },
        Some("DONE") => {
            report.done = true;
            true
        }
        Some("PANIC") | Some("FAULT") => {
            report.problems.push(line.to_string());
            true
        }
        _ => false,
    };
    if !ok {
        report.problems.push(format!("unexpected frame: {line}"));
    }
}

/// Decodes the defmt frames in `data` with the table of `elf` into text lines.
pub fn decode(elf: &[u8], data: &[u8]) -> Result<(Vec<String>, usize)> {
    let table = Table::parse(elf).context("reading the defmt table")?.context("the image has no defmt table")?;
    let mut decoder = table.new_stream_decoder();
    decoder.received(data);
    let mut lines = Vec::new();
    let mut malformed = 0;
    loop {
        match decoder.decode() {
            Ok(frame) => lines.push(frame.display_message().to_string()),
            Err(DecodeError::UnexpectedEof) => break,
            Err(DecodeError::Malformed) => {
                malformed += 1;
                if malformed > 100 {
                    break;
                }
            }
        }
    }
    Ok((lines, malformed))
}

/// Runs `elf` under QEMU for `board`; `icount` makes virtual time count instructions.
pub fn run_image(board: &Board, elf: &Path, icount: bool, opts: &Options) -> Result<Report> {
    let image = fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
    let dir = firmware::target_dir().join("qemu");
    fs::create_dir_all(&dir)?;
    let mode = if icount { "icount" } else { "plain" };
    let out_path = dir.join(format!("{}.{mode}.defmt", board.target));
    let log_path = dir.join(format!("{}.{mode}.log", board.target));

    // -nodefaults: no serial port or monitor on stdio, so QEMU's stdout carries only
    // what the image writes to semihosting stdout (`:tt`), i.e. the defmt frames. (QEMU
    // 7.2 ignores a semihosting chardev for `:tt` writes, so stdout it is.)
    let mut cmd = firmware::clean_command(board.qemu);
    cmd.args(board.machine_args)
        .args(["-nodefaults", "-display", "none"])
        .args(["-semihosting-config", "enable=on,target=native"]);
    if icount {
        cmd.args(["-icount", "shift=0"]);
    }
    cmd.arg("-kernel").arg(elf);
    cmd.stdin(Stdio::null()).stdout(File::create(&out_path)?).stderr(File::create(&log_path)?);
    let mut child = cmd.spawn().with_context(|| format!("starting {} (run scripts/setup-embedded.sh)", board.qemu))?;

    let start = Instant::now();
    let mut report = Report::default();
    loop {
        if let Some(status) = child.try_wait()? {
            report.exit = status.code();
            break;
        }
        if start.elapsed() > opts.timeout {
            let _ = child.kill();
            let _ = child.wait();
            report.timed_out = true;
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }

    let data = fs::read(&out_path).unwrap_or_default();
    let (lines, malformed) = decode(&image, &data)?;
    for line in &lines {
        if opts.verbose {
            eprintln!("  [{}] {line}", board.target);
        }
        parse_line(&mut report, line);
    }
    let expected = format!("{} {}", board.target, board.board);
    match &report.header {
        Some(h) if *h == expected => {}
        Some(h) => report.problems.push(format!("the image says it is `{h}`, expected `{expected}`")),
        None if !lines.is_empty() => report.problems.push("no T frame first".to_string()),
        None => {}
    }
    if malformed > 0 {
        report.problems.push(format!("{malformed} malformed defmt frame(s)"));
    }
    if report.exit.is_some_and(|c| c != 0) && report.problems.is_empty() {
        let qemu_log = fs::read_to_string(&log_path).unwrap_or_default();
        let qemu_log = qemu_log.trim();
        if !qemu_log.is_empty() {
            report.problems.push(format!(
                "QEMU exit status {:?}: {}",
                report.exit,
                qemu_log.lines().take(3).collect::<Vec<_>>().join(" | ")
            ));
        }
    }
    Ok(report)
}

/// Collects the programme's results on the host, in order.
pub struct HostSink(Vec<(String, Bits)>);

impl tinyscore_programme::Sink for HostSink {
    fn bits32(&mut self, name: &'static str, bits: u32) {
        self.0.push((name.to_string(), Bits::B32(bits)));
    }
    fn bits64(&mut self, name: &'static str, bits: u64) {
        self.0.push((name.to_string(), Bits::B64(bits)));
    }
    fn item32(&mut self, name: &'static str, index: u32, bits: u32) {
        self.0.push((format!("{name}#{index}"), Bits::B32(bits)));
    }
}

/// What an image runs, as the host runs it: `tinyscore_programme::run` or an application.
pub type Programme = fn(&mut HostSink);

/// The programme run by an application image `bin` (one of [`firmware::APP_BINS`]).
pub fn app_programme(bin: &str) -> Option<Programme> {
    match bin {
        "app" => Some(tinyscore_programme::run_app::<HostSink>),
        "app-mixture" => Some(tinyscore_programme::run_app_mixture::<HostSink>),
        _ => None,
    }
}

/// The programme's results computed on the host, or the panic message if it panicked.
pub fn host_results() -> std::result::Result<Vec<(String, Bits)>, String> {
    host_results_of(tinyscore_programme::run::<HostSink>)
}

/// `programme`'s results computed on the host, or the panic message if it panicked.
pub fn host_results_of(programme: Programme) -> std::result::Result<Vec<(String, Bits)>, String> {
    use std::sync::Mutex;
    static PANIC: Mutex<String> = Mutex::new(String::new());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut p) = PANIC.lock() {
            *p = info.to_string().replace('\n', " ");
        }
    }));
    let result = std::panic::catch_unwind(|| {
        let mut sink = HostSink(Vec::new());
        programme(&mut sink);
        sink.0
    });
    std::panic::set_hook(previous);
    result.map_err(|_| {
        let msg = PANIC.lock().map(|p| p.clone()).unwrap_or_default();
        format!("the programme panicked on the host: {msg}")
    })
}

/// `cargo xtask host-results`: every result of the programme run on the host, one
/// `name 0xbits` line each, in programme order.
pub fn print_host_results() -> Result<bool> {
    let results = host_results().map_err(anyhow::Error::msg)?;
    for (name, bits) in &results {
        match bits {
            Bits::B32(b) => println!("{name} 0x{b:08x}"),
            Bits::B64(b) => println!("{name} 0x{b:016x}"),
        }
    }
    Ok(true)
}

/// [`host_results`] in a thread, given up after `timeout` (a programme that never returns
/// must not hang the task; the thread is left behind and ends with the process).
fn host_results_within(programme: Programme, timeout: Duration) -> std::result::Result<Vec<(String, Bits)>, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(host_results_of(programme));
    });
    rx.recv_timeout(timeout)
        .unwrap_or_else(|_| Err(format!("the programme did not return on the host within {} s", timeout.as_secs())))
}

/// Differences between the target's and the host's results (empty when identical).
pub fn compare(target: &[(String, Bits)], host: &[(String, Bits)]) -> Vec<String> {
    let mut diffs = Vec::new();
    if target.len() != host.len() {
        diffs.push(format!("{} results on the target, {} on the host", target.len(), host.len()));
    }
    for (i, (t, h)) in target.iter().zip(host).enumerate() {
        if t.0 != h.0 {
            diffs.push(format!("result #{i}: named {} on the target, {} on the host", t.0, h.0));
        } else if t.1 != h.1 {
            diffs.push(format!("{}: target {} host {}", t.0, t.1.show(), h.1.show()));
        }
    }
    diffs
}

/// `cargo xtask example`: build `firmware/examples/generate.rs` (thumbv7em by default),
/// run it under QEMU, print what it prints; it passes if it exits with status 0.
pub fn example(opts: &Options) -> Result<bool> {
    let boards: Vec<&Board> = if opts.targets.is_empty() {
        firmware::EXAMPLE_TARGETS.iter().map(|t| firmware::board(t)).collect::<Result<_>>()?
    } else {
        opts.targets.clone()
    };
    let targets: Vec<&str> = boards.iter().map(|b| b.target).collect();
    firmware::build_example(&targets)?;
    let mut all_ok = true;
    for board in boards {
        let elf = firmware::example_path(board.target, firmware::EXAMPLE);
        let (lines, exit, timed_out) = run_plain(board, &elf, opts)?;
        for line in &lines {
            println!("  [{}] {line}", board.target);
        }
        let name = format!("{} ({}): example {}", board.target, board.board, firmware::EXAMPLE);
        match (exit, timed_out) {
            (Some(0), false) if !lines.is_empty() => println!("PASS {name}: exit status 0"),
            (_, true) => {
                all_ok = false;
                println!("FAIL {name}: timed out (killed)");
            }
            (code, _) => {
                all_ok = false;
                println!("FAIL {name}: QEMU exit status {code:?}, {} line(s) printed", lines.len());
            }
        }
    }
    Ok(all_ok)
}

/// Runs `elf` under QEMU for `board` without instruction counting and decodes its defmt
/// output: (lines, exit status, timed out).
fn run_plain(board: &Board, elf: &Path, opts: &Options) -> Result<(Vec<String>, Option<i32>, bool)> {
    let image = fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
    let dir = firmware::target_dir().join("qemu");
    fs::create_dir_all(&dir)?;
    let stem = elf.file_name().and_then(|n| n.to_str()).unwrap_or("image");
    let out_path = dir.join(format!("{}.{stem}.defmt", board.target));
    let mut cmd = firmware::clean_command(board.qemu);
    cmd.args(board.machine_args)
        .args(["-nodefaults", "-display", "none"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path)?)
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().with_context(|| format!("starting {} (run scripts/setup-embedded.sh)", board.qemu))?;
    let start = Instant::now();
    let (exit, timed_out) = loop {
        if let Some(status) = child.try_wait()? {
            break (status.code(), false);
        }
        if start.elapsed() > opts.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break (None, true);
        }
        thread::sleep(Duration::from_millis(10));
    };
    let (lines, malformed) = decode(&image, &fs::read(&out_path).unwrap_or_default())?;
    if malformed > 0 {
        bail!("{malformed} malformed defmt frame(s) from {}", elf.display());
    }
    Ok((lines, exit, timed_out))
}

/// `cargo xtask qemu`.
pub fn qemu(opts: &Options) -> Result<bool> {
    let boards = firmware::selected(opts);
    firmware::build_images(&boards)?;
    let targets: Vec<&str> = boards.iter().map(|b| b.target).collect();
    for bin in firmware::APP_BINS {
        firmware::build_bin(firmware::route()?, bin, &targets)?;
    }
    let mut images = vec![(MAIN_BIN, tinyscore_programme::run::<HostSink> as Programme)];
    for bin in firmware::APP_BINS {
        images.push((bin, app_programme(bin).with_context(|| format!("no programme for the image {bin}"))?));
    }
    let mut all_ok = true;
    for (bin, programme) in images {
        let host = host_results_within(programme, opts.timeout);
        if let Err(e) = &host {
            eprintln!("xtask: {bin}: {e}");
        }
        if host.as_ref().is_ok_and(|h| h.is_empty()) {
            bail!("the programme of the image {bin} reported no result on the host");
        }
        for board in &boards {
            let name = format!("{} ({}) {bin}", board.target, board.board);
            let elf = firmware::elf_path(board.target, bin);
            let started = Instant::now();
            let report = run_image(board, &elf, false, opts)?;
            let secs = started.elapsed().as_secs_f64();
            let (diffs, host_len, host_error) = match &host {
                Ok(h) => (compare(&report.results, h), h.len(), None),
                Err(e) => (Vec::new(), 0, Some(e.clone())),
            };
            match (report.failure().or(host_error), diffs.is_empty()) {
                (None, true) => {
                    println!("PASS {name}: {host_len} results bit-identical to the host ({secs:.1} s)")
                }
                (failure, _) => {
                    all_ok = false;
                    let reason = failure
                        .unwrap_or_else(|| format!("{} of {host_len} results differ from the host", diffs.len()));
                    println!("FAIL {name}: {reason}");
                    for d in diffs.iter().take(10) {
                        println!("  {d}");
                    }
                }
            }
        }
    }
    Ok(all_ok)
}
