//! The `tinyscore` command-line tool.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tinyscore_host::cmd_fit::FitOptions;
use tinyscore_host::cmd_sample::SampleArgs;
use tinyscore_host::eval::{ModelScalar, ScalarKind};
use tinyscore_host::learned::cmd_loss::LossOptions;
use tinyscore_host::learned::cmd_quantize::QuantizeOptions;
use tinyscore_host::learned::cmd_train::TrainOptions;
use tinyscore_host::{cmd_bench, cmd_fit, cmd_sample, cmd_score, learned, limits, report};

/// Score-based generative models on microcontrollers: the desktop harness.
#[derive(Parser)]
#[command(name = "tinyscore", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log-density and score of a mixture (or the learned score of a model) at the points of a CSV file.
    #[command(group(clap::ArgGroup::new("source").required(true).args(["mixture", "model"])))]
    Score {
        /// Mixture file (TOML).
        #[arg(long)]
        mixture: Option<PathBuf>,
        /// Model file (from `tinyscore train`): output `score0..,status` of s_theta.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Scalar type to evaluate in (`q8`: the int8 network, with --model only).
        #[arg(long, value_enum, default_value_t = ModelScalar::F64)]
        scalar: ModelScalar,
        /// Points: CSV with the header `t,x0,...,x{D-1}`.
        #[arg(long)]
        input: PathBuf,
        /// Output CSV (stdout if absent).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Fit a diagonal Gaussian mixture to a data file (EM, k-means++ starts, BIC for
    /// `--components auto`) and write it as a mixture file.
    Fit(FitOptions),
    /// Train a learned score s_theta on a mixture (Monte Carlo score matching, J_naive) or on
    /// data (--data: denoising score matching).
    Train(TrainOptions),
    /// Monte Carlo estimate of the lambda-weighted score-matching loss of a model, its
    /// standard error, and a quadrature value to check it against.
    Loss(LossOptions),
    /// Calibrate a model on draws over its time range: each layer's range, and the q8
    /// (int8-weight) model.
    Quantize(QuantizeOptions),
    /// Generate samples with a reverse-time sampler; print the W1 distance to the mixture
    /// and draw an SVG (histogram over the density in 1-D, scatter over contours in 2-D).
    Sample(SampleArgs),
    /// Write a model file as safetensors (PyTorch `nn.Linear` names, preconditioning in the metadata).
    Export {
        /// Model file (from `train` or `import`).
        #[arg(long)]
        model: PathBuf,
        /// safetensors file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Read a safetensors file (as `export` writes it, or the PyTorch/NumPy scripts) into a model file.
    Import {
        /// safetensors file.
        #[arg(long = "in")]
        input: PathBuf,
        /// Model file to write (parameters stored as f32).
        #[arg(long)]
        out: PathBuf,
    },
    /// Single-threaded throughput of the batch log-density + score; last line `ns_per_point: X`.
    Bench {
        /// Mixture components K.
        #[arg(long, default_value_t = 8)]
        components: usize,
        /// Dimensions D.
        #[arg(long, default_value_t = 1)]
        dims: usize,
        /// Points N.
        #[arg(long, default_value_t = 100_000, value_parser = limits::count_in::<usize, 1, { limits::MAX_BENCH_POINTS }>)]
        points: usize,
        /// Scalar type.
        #[arg(long, value_enum, default_value_t = ScalarKind::F32)]
        scalar: ScalarKind,
        /// Timed repetitions (the best is reported).
        #[arg(long, default_value_t = 20, value_parser = limits::count_in::<usize, 1, { limits::MAX_BENCH_REPEATS }>)]
        repeats: usize,
        /// Seed of the random mixture and points.
        #[arg(long, default_value_t = 12345)]
        seed: u64,
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
    tinyscore_host::output::install_interrupt_handler();
    let result = match cli.command {
        Command::Score { mixture, model, scalar, input, output } => match (mixture, model) {
            (Some(mixture), _) => {
                scalar.for_mixture().and_then(|kind| cmd_score::run(&mixture, kind, &input, output.as_deref()))
            }
            (None, Some(model)) => learned::cmd_score_model::run(&model, scalar, &input, output.as_deref()),
            (None, None) => unreachable!("clap requires --mixture or --model"),
        },
        Command::Fit(opts) => cmd_fit::run(&opts).map(|_| ()),
        Command::Train(opts) => learned::cmd_train::run(&opts).map(|_| ()),
        Command::Loss(opts) => learned::cmd_loss::run(&opts).map(|_| ()),
        Command::Quantize(opts) => learned::cmd_quantize::run(&opts).map(|_| ()),
        Command::Sample(args) => cmd_sample::run(&args),
        Command::Export { model, out } => learned::cmd_exchange::run_export(&model, &out),
        Command::Import { input, out } => learned::cmd_exchange::run_import(&input, &out),
        Command::Bench { components, dims, points, scalar, repeats, seed } => {
            cmd_bench::run(components, dims, points, scalar, repeats, seed)
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
