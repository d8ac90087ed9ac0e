//! The `tinyscore` command-line tool.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tinyscore_host::eval::ScalarKind;
use tinyscore_host::{cmd_score, report};

/// Score-based generative models on microcontrollers: the desktop harness.
#[derive(Parser)]
#[command(name = "tinyscore", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log-density and score of a mixture at the points of a CSV file.
    Score {
        /// Mixture file (TOML).
        #[arg(long)]
        mixture: PathBuf,
        /// Scalar type to evaluate in.
        #[arg(long, value_enum, default_value_t = ScalarKind::F64)]
        scalar: ScalarKind,
        /// Points: CSV with the header `t,x0,...,x{D-1}`.
        #[arg(long)]
        input: PathBuf,
        /// Output CSV (stdout if absent).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// The project's measurements on built-in defaults: tables, SVG plots and an HTML page.
    Report {
        /// Folder for the plots and report.html.
        #[arg(long, default_value = "report")]
        out: PathBuf,
        /// Fewer points, for a quick look.
        #[arg(long)]
        quick: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Score { mixture, scalar, input, output } => {
            cmd_score::run(&mixture, scalar, &input, output.as_deref())
        }
        Command::Report { out, quick } => report::run(&report::ReportOptions { out_dir: out, quick }).map(|_| ()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
