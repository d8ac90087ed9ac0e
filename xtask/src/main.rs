//! Repository tasks (the cargo-xtask pattern): `cargo xtask <command>` from anywhere in the
//! repository.
//!
//! * `qemu`: build every firmware image, run each under QEMU, decode its defmt frames, run
//!   the same programme on the host and compare the results bit for bit; the same for the
//!   application images (`app`, `app-mixture`) and their programmes.
//! * `panic-check`: link the `panic-check` image, whose panic handler calls an undefined
//!   function, so that linking fails if any panic path survives optimisation.
//! * `example`: build `firmware/examples/generate.rs` (the core used as an application
//!   would: a mixture, its score, a few samples), run it under QEMU (thumbv7em by
//!   default), print its output, fail unless it exits with status 0.
//! * `host-results`: the programme's results on the host, `name bits` per line (a snapshot
//!   to diff before and after a refactor that must not change a bit).
//! * `measure [--json]`: flash, static RAM and stack per image, and instructions per call
//!   of the programme's benchmarks, counted under `qemu -icount shift=0`.
//! * `q8-model`: quantise the embedded models (`firmware/programme/models/default_1d.tsm`
//!   and the generation's `default_1d_t16.tsm`) to int8 weights with calibration draws from
//!   the default mixture over each model's time range and write `default_1d_q8.tsm` and
//!   `default_1d_t16_q8.tsm` beside them.
//!
//! See `firmware/README.md`.

mod firmware;
mod measure;
mod run;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  qemu          build the firmware images, run them under QEMU, compare every result
                bit for bit with the same programme run on the host
  panic-check   link the panic-check image (thumbv6m, thumbv7m by default): fails if a
                panic path survives optimisation
  example       build firmware/examples/generate.rs (tinyscore used as an application
                would) for thumbv7em-none-eabihf, run it under QEMU, print its output;
                fails unless it exits with status 0
  measure       flash / static RAM / stack per image and instructions per call
                (instructions under emulation, not cycles on silicon)
  host-results  print the programme's results computed on the host, one `name bits`
                line each: diff two runs to show a change keeps every result bit for bit
  q8-model      quantise firmware/programme/models/default_1d.tsm (t in [0, 1]) and
                default_1d_t16.tsm (t in [0, 16], the generation's model) to int8
                weights (calibration: 4,000 exact draws of the default mixture over the
                model's time range) and write default_1d_q8.tsm, default_1d_t16_q8.tsm

options:
  --target T    only this target (repeatable); one of the four firmware targets
  --timeout S   QEMU time limit per run in seconds (default 60)
  --json        measure: print one JSON array instead of tables
  --markdown    measure: print the README's tables (one column per target) and the goals
  -v, --verbose print every decoded defmt frame (to stderr)

environment:
  TINYSCORE_FW_ROUTE=rustup|debian   force how the firmware is built (default: rustup if
                                     all four targets are installed, else Debian's deb196)";

struct Options {
    targets: Vec<&'static firmware::Board>,
    timeout: Duration,
    json: bool,
    markdown: bool,
    verbose: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut opts =
        Options { targets: Vec::new(), timeout: Duration::from_secs(60), json: false, markdown: false, verbose: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--target" => {
                let t = it.next().context("--target needs a value")?;
                opts.targets.push(firmware::board(t)?);
            }
            "--timeout" => {
                let s = it.next().context("--timeout needs a value")?;
                let secs: u64 = s.parse().with_context(|| format!("bad --timeout {s}"))?;
                opts.timeout = Duration::from_secs(secs);
            }
            "--json" => opts.json = true,
            "--markdown" => opts.markdown = true,
            "-v" | "--verbose" => opts.verbose = true,
            other => bail!("unknown option {other}\n\n{USAGE}"),
        }
    }
    Ok(opts)
}

/// `cargo xtask q8-model`: the embedded model quantised, written next to it.
fn q8_model() -> Result<bool> {
    use tinyscore_programme::learned_part::{quantize_embedded, quantize_model, QuantModel};
    use tinyscore_programme::sampler_part::{GEN_MODEL, GEN_T_MAX};
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware/programme/models");
    for (q, name) in
        [(quantize_embedded(), "default_1d_q8.tsm"), (quantize_model(GEN_MODEL, GEN_T_MAX), "default_1d_t16_q8.tsm")]
    {
        let q = q.map_err(|e| anyhow::anyhow!("quantising the embedded model for {name}: {e}"))?;
        let mut buf = vec![0u8; QuantModel::ENCODED_LEN];
        let n = q.encode(&mut buf).map_err(|e| anyhow::anyhow!("encoding the q8 model {name}: {e}"))?;
        buf.truncate(n);
        let path = models.join(name);
        std::fs::write(&path, &buf).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {} ({n} bytes)", path.display());
    }
    Ok(true)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let result = parse(&args[1..]).and_then(|opts| match cmd.as_str() {
        "qemu" => run::qemu(&opts),
        "panic-check" => firmware::panic_check(&opts),
        "example" => run::example(&opts),
        "measure" => measure::measure(&opts),
        "host-results" => run::print_host_results(),
        "q8-model" => q8_model(),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(true)
        }
        other => bail!("unknown command {other}\n\n{USAGE}"),
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
