//! `tinyscore sample`: generate data with the reverse-time samplers of
//! [`tinyscore::sampler`], driven by the exact mixture score (or, in a build that has it,
//! a learned model), then compare with the mixture: per-dimension Wasserstein-1 distance
//! and an SVG plot.
//!
//! Defaults (see [`tinyscore::time_grid`]): the grid is geometric in
//! `sigma^2 (t + t_offset)` with `t_offset = min_jd std_jd^2 / sigma^2` (the time at which
//! the added noise equals the narrowest component's variance), from `t_max` down to
//! `t_min = min_jd std_jd^2 / sigma^2 / 1000`, followed by the denoising step to `t = 0`.
//!
//! The few-step samplers (`dpm-solver-2m`, `edm-heun`) are meant for `--grid karras`:
//! equal steps in `(sigma sqrt(t))^(1/rho)`, `--rho` (default [`DEFAULT_RHO`]) from
//! `t_max` down to the noise level `--sigma-min` (default [`DEFAULT_SIGMA_MIN_RATIO`] times
//! the narrowest component's standard deviation, [`SHORT_GRID_SIGMA_MIN_RATIO`] times it for
//! grids of at most [`SHORT_GRID_STEPS`] steps), i.e. `t_min = (sigma_min / sigma)^2`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::mixture::GaussianMixture;
use tinyscore::sampler::{Churn, Method, Sampler, SamplerConfig};
use tinyscore::score_source::{MixtureScore, ScoreSource};
use tinyscore::start::StartGaussian;
use tinyscore::time_grid::{Spacing, TimeGrid};
use tinyscore::{Real, Scalar, Status};

use crate::dims::AnyMixture;
use crate::eval::{ModelScalar, ScalarKind};
use crate::learned::model_io::{self, to_scalar, AnyModel, Model};
use crate::mixture_file::MixtureSpec;
use crate::numfmt::format_scalar;
use crate::wasserstein::Mixture1d;
use crate::{mixture_file, output, sample_plot, variance, with_mixture, with_scalar};

/// The sampler, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SamplerKind {
    /// Euler-Maruyama on the reverse-time SDE.
    EulerMaruyama,
    /// The probability-flow ODE with Heun's method.
    PfOde,
    /// Predictor (Euler-Maruyama) and Langevin corrector.
    Pc,
    /// DPM-Solver++(2M): second-order multistep, steps + 1 score evaluations.
    #[value(name = "dpm-solver-2m")]
    DpmSolver2M,
    /// DPM-Solver++(2M) SDE: stochastic multistep, steps + 1 score evaluations (learned scores).
    #[value(name = "dpm-solver-2m-sde")]
    DpmSolver2MSde,
    /// EDM Heun (Karras et al. 2022): second order, 2 steps + 1 score evaluations.
    EdmHeun,
}

impl SamplerKind {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            SamplerKind::EulerMaruyama => "euler-maruyama",
            SamplerKind::PfOde => "pf-ode",
            SamplerKind::Pc => "pc",
            SamplerKind::DpmSolver2M => "dpm-solver-2m",
            SamplerKind::DpmSolver2MSde => "dpm-solver-2m-sde",
            SamplerKind::EdmHeun => "edm-heun",
        }
    }
}

/// The time grid, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GridKind {
    /// Geometric in the shifted noise variance (the default).
    Geometric,
    /// Equal steps in t (for comparison).
    Uniform,
    /// Karras et al. (2022): equal steps in (sigma sqrt t)^(1/rho).
    Karras,
}

/// Default `--rho` of the Karras grid (chosen by measurement, README "Few-step samplers":
/// better than 12 at 10 and at 20 evaluations on the three sampling mixtures; large `rho`
/// tends to steps geometric in the noise level).
pub const DEFAULT_RHO: f64 = 60.0;

/// Default `--sigma-min` of the Karras grid as a multiple of the narrowest component's
/// standard deviation, above [`SHORT_GRID_STEPS`] steps (chosen by measurement, README
/// "Few-step samplers").
pub const DEFAULT_SIGMA_MIN_RATIO: f64 = 0.2;

/// [`DEFAULT_SIGMA_MIN_RATIO`] for grids of at most [`SHORT_GRID_STEPS`] steps: with so few
/// steps a higher floor (a shorter path) pays more than the final denoising step's shrinking
/// of each component costs.
pub const SHORT_GRID_SIGMA_MIN_RATIO: f64 = 0.3;

/// Grids of at most this many steps get [`SHORT_GRID_SIGMA_MIN_RATIO`].
pub const SHORT_GRID_STEPS: u32 = 10;

/// The default `--sigma-min` ratio of a Karras grid of `steps` steps.
pub fn default_sigma_min_ratio(steps: u32) -> f64 {
    if steps <= SHORT_GRID_STEPS {
        SHORT_GRID_SIGMA_MIN_RATIO
    } else {
        DEFAULT_SIGMA_MIN_RATIO
    }
}

/// What to sample and how.
#[derive(Clone, Debug, PartialEq, clap::Args)]
pub struct SampleConfig {
    /// The integrator.
    #[arg(long, value_enum, default_value_t = SamplerKind::EulerMaruyama)]
    pub sampler: SamplerKind,
    /// Steps of the time grid (plus one denoising step).
    #[arg(long, default_value_t = 1000, value_parser = crate::limits::count_in::<u32, 1, { crate::limits::MAX_SAMPLE_STEPS }>)]
    pub steps: u32,
    /// Number of samples.
    #[arg(long, default_value_t = 10000, value_parser = crate::limits::count_in::<usize, 1, { crate::limits::MAX_SAMPLE_COUNT }>)]
    pub count: usize,
    /// Seed of the random generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Scalar type of the state and the score (`q8`: the int8 network of --model, state in f32).
    #[arg(long, value_enum, default_value_t = ModelScalar::F32)]
    pub scalar: ModelScalar,
    /// Start time T (the sampler starts from the Gaussian matching p(., T)).
    #[arg(long, default_value_t = 16.0)]
    pub t_max: f64,
    /// Last grid time before the denoising step (default: min std^2 / sigma^2 / 1000).
    #[arg(long)]
    pub t_min: Option<f64>,
    /// Time grid.
    #[arg(long, value_enum, default_value_t = GridKind::Geometric)]
    pub grid: GridKind,
    /// Offset of the geometric grid (default: min std^2 / sigma^2).
    #[arg(long)]
    pub t_offset: Option<f64>,
    /// Langevin corrector step as a multiple of sigma^2 h (pc only).
    #[arg(long, default_value_t = 0.5)]
    pub corrector_ratio: f64,
    /// Exponent of the Karras grid (--grid karras).
    #[arg(long, default_value_t = DEFAULT_RHO)]
    pub rho: f64,
    /// Smallest noise level sigma sqrt(t_min) of the grid, in data units (instead of
    /// --t-min; Karras grid default: 0.2 times the smallest component std, 0.3 times it for
    /// at most 10 steps).
    #[arg(long, conflicts_with = "t_min")]
    pub sigma_min: Option<f64>,
    /// EDM churn S_churn (edm-heun only; 0: deterministic).
    #[arg(long, default_value_t = 0.0)]
    pub churn: f64,
    /// Smallest noise level that gets churn (edm-heun).
    #[arg(long, default_value_t = 0.0)]
    pub churn_min: f64,
    /// Largest noise level that gets churn (edm-heun).
    #[arg(long, default_value_t = f64::INFINITY)]
    pub churn_max: f64,
    /// Scale of the churn noise (edm-heun).
    #[arg(long, default_value_t = 1.0)]
    pub churn_noise: f64,
    /// Show a progress bar on stderr (always on from the command line).
    #[arg(skip = true)]
    pub progress: bool,
}

impl Default for SampleConfig {
    /// The command line's defaults, without the progress bar.
    fn default() -> Self {
        SampleConfig {
            sampler: SamplerKind::EulerMaruyama,
            steps: 1000,
            count: 10000,
            seed: 1,
            scalar: ModelScalar::F32,
            t_max: 16.0,
            t_min: None,
            grid: GridKind::Geometric,
            t_offset: None,
            corrector_ratio: 0.5,
            rho: DEFAULT_RHO,
            sigma_min: None,
            churn: 0.0,
            churn_min: 0.0,
            churn_max: f64::INFINITY,
            churn_noise: 1.0,
            progress: false,
        }
    }
}

/// Samples and their comparison with the mixture.
#[derive(Clone, Debug)]
pub struct SampleRun {
    /// The samples as `f64` (exact values of the scalar type), `count` rows of `D`.
    pub samples: Vec<Vec<f64>>,
    /// The samples as CSV text (header `x0,...`), exact decimal values of the type.
    pub csv: String,
    /// W1 distance to the mixture per dimension.
    pub w1: Vec<f64>,
    /// Some value saturated (fixed point) or was not finite (floats).
    pub saturated: bool,
    /// The grid used.
    pub grid: TimeGrid,
    /// Score evaluations per sample.
    pub score_evaluations: u64,
}

/// Samples per block of the core sampler's low-level path (the progress bar's unit). The
/// samples depend on it (the noise of a step is drawn for a whole block): every published
/// W1 figure was made with 4096.
const CHUNK: usize = 4096;

/// Run a sampler on any score source: `count` samples, in chunks, with an optional progress
/// bar. This is where a learned model plugs in: pass its `ScoreSource`. Uses the core's
/// low-level path ([`Sampler::start`], [`Sampler::run`], [`Sampler::finish`]) with a heap
/// state of [`CHUNK`] samples.
pub fn run_sampler<S, Src, const D: usize>(
    sampler: &Sampler,
    start: &StartGaussian<D>,
    source: &mut Src,
    count: usize,
    seed: u64,
    progress: bool,
) -> (Vec<[S; D]>, Status)
where
    S: Scalar,
    Src: ScoreSource<S, D> + ?Sized,
{
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut out = vec![[S::default(); D]; count];
    let mut state = vec![[S::Work::ZERO; D]; CHUNK.min(count)];
    let mut scratch = state.clone();
    let pb = if progress { ProgressBar::new(count as u64) } else { ProgressBar::hidden() };
    pb.set_style(
        ProgressStyle::with_template("sampling [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut status = Status::Ok;
    for chunk in out.chunks_mut(CHUNK) {
        let n = chunk.len();
        let (state, scratch) = (&mut state[..n], &mut scratch[..n]);
        let st = sampler.start(start, &mut rng, state);
        let st = st.and(sampler.run(source, &mut rng, state, scratch));
        status = status.and(st).and(Sampler::finish(state, chunk));
        pb.inc(n as u64);
    }
    pb.finish_and_clear();
    (out, status)
}

/// The default grid for a mixture (module documentation), or the uniform one.
pub fn default_grid<const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    cfg: &SampleConfig,
) -> Result<TimeGrid> {
    let min_var = gm.components().iter().flat_map(|c| c.std.iter()).map(|s| s * s).fold(f64::INFINITY, f64::min);
    grid_for(gm.sigma(), min_var, cfg)
}

/// The grid of the module documentation for a diffusion scale `sigma` and a smallest data
/// variance `min_var` (a mixture's smallest component variance, or a model's `n0^2`).
///
/// # Errors
/// `sigma` too small to diffuse, a bad `--sigma-min`, a default `t_min` that is not a
/// positive normal number below `--t-max`, or an invalid grid.
pub fn grid_for(sigma: f64, min_var: f64, cfg: &SampleConfig) -> Result<TimeGrid> {
    let s2 = sigma * sigma;
    if s2.is_nan() || s2 < f64::MIN_POSITIVE {
        bail!(
            "sigma = {}: sampling needs a diffusion, sigma^2 a positive normal number (sigma >= 1.5e-154)",
            variance::num(sigma)
        );
    }
    let t_offset = cfg.t_offset.unwrap_or(min_var / s2);
    let t_min = match (cfg.t_min, cfg.sigma_min) {
        (Some(t), _) => t,
        (None, Some(s)) => {
            if !(s.is_finite() && s > 0.0) {
                bail!("--sigma-min {s}: must be a finite number > 0");
            }
            s * s / s2
        }
        (None, None) if cfg.grid == GridKind::Karras => {
            let s = default_sigma_min_ratio(cfg.steps) * min_var.sqrt();
            s * s / s2
        }
        (None, None) => min_var / s2 / 1000.0,
    };
    if cfg.t_min.is_none() && !(t_min.is_normal() && t_min < cfg.t_max) {
        bail!(
            "the default --t-min, the smallest variance std^2 = {} over 1000 sigma^2 (sigma = {}), is {}, \
             not a positive normal number below --t-max {}: give --t-min",
            variance::num(min_var),
            variance::num(sigma),
            variance::num(t_min),
            variance::num(cfg.t_max)
        );
    }
    let spacing = match cfg.grid {
        GridKind::Geometric => Spacing::Geometric { t_offset },
        GridKind::Uniform => Spacing::Uniform,
        GridKind::Karras => Spacing::Karras { rho: cfg.rho },
    };
    TimeGrid::new(cfg.t_max, t_min, cfg.steps, spacing).map_err(|e| {
        anyhow::anyhow!("--t-max {} / --t-min {} / --steps {} / --rho {}: {e}", cfg.t_max, t_min, cfg.steps, cfg.rho)
    })
}

/// The core method of the configured sampler.
pub fn method(cfg: &SampleConfig) -> Method {
    match cfg.sampler {
        SamplerKind::EulerMaruyama => Method::EulerMaruyama,
        SamplerKind::PfOde => Method::ProbabilityFlow,
        SamplerKind::Pc => Method::PredictorCorrector { ratio: cfg.corrector_ratio },
        SamplerKind::DpmSolver2M => Method::DpmSolver2M,
        SamplerKind::DpmSolver2MSde => Method::DpmSolver2MSde,
        SamplerKind::EdmHeun => Method::EdmHeun {
            churn: Churn { s_churn: cfg.churn, s_tmin: cfg.churn_min, s_tmax: cfg.churn_max, s_noise: cfg.churn_noise },
        },
    }
}

/// The sampler, its start Gaussian and its grid for a mixture and a configuration.
fn setup<const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    cfg: &SampleConfig,
) -> Result<(Sampler, StartGaussian<D>, TimeGrid)> {
    let grid = default_grid(gm, cfg)?;
    let method = method(cfg);
    let sampler =
        Sampler::new(SamplerConfig { method, grid, sigma: gm.sigma() }).map_err(|e| anyhow::anyhow!("{e}"))?;
    let start = StartGaussian::from_mixture(gm, cfg.t_max).map_err(|e| anyhow::anyhow!("--t-max: {e}"))?;
    Ok((sampler, start, grid))
}

/// Sample from a mixture with its exact score.
pub fn sample_mixture<S: tinyscore::mixture::MixtureScalar, const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    cfg: &SampleConfig,
) -> Result<SampleRun> {
    let (sampler, start, _) = setup(gm, cfg)?;
    let mut source = MixtureScore::<S, D, K>::new(gm);
    let (xs, status) = run_sampler::<S, _, D>(&sampler, &start, &mut source, cfg.count, cfg.seed, cfg.progress);
    Ok(summarise(gm, &xs, status, &sampler))
}

/// Sample with a learned score model (converted to `S`, refusing weights that do not fit),
/// comparing with the mixture it was trained on.
pub fn sample_model<S: Scalar, const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    model: &Model<f64, D>,
    what: &str,
    cfg: &SampleConfig,
) -> Result<SampleRun> {
    let (sampler, start, _) = setup(gm, cfg)?;
    let mut source = to_scalar::<S, D>(model, what)?;
    let (xs, status) = run_sampler::<S, _, D>(&sampler, &start, &mut *source, cfg.count, cfg.seed, cfg.progress);
    Ok(summarise(gm, &xs, status, &sampler))
}

/// Sample with any score source (the q8 network), comparing with the mixture.
pub fn sample_source<S: Scalar, Src: ScoreSource<S, D>, const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    source: &mut Src,
    cfg: &SampleConfig,
) -> Result<SampleRun> {
    let (sampler, start, _) = setup(gm, cfg)?;
    let (xs, status) = run_sampler::<S, _, D>(&sampler, &start, source, cfg.count, cfg.seed, cfg.progress);
    Ok(summarise(gm, &xs, status, &sampler))
}

/// [`sample_model`] for a mixture and a model of run-time dimension (which must agree).
pub fn sample_any_model(any: &AnyMixture, model: &AnyModel, what: &str, cfg: &SampleConfig) -> Result<SampleRun> {
    let Some(kind) = cfg.scalar.float() else {
        bail!("--scalar q8: the int8 network runs from a model file, see sample_q8");
    };
    match (any, model) {
        (AnyMixture::D1(gm), AnyModel::D1(m)) => {
            with_scalar!(kind, S => sample_model::<S, _, _>(gm, m, what, cfg))
        }
        (AnyMixture::D2(gm), AnyModel::D2(m)) => {
            with_scalar!(kind, S => sample_model::<S, _, _>(gm, m, what, cfg))
        }
        (AnyMixture::D3(gm), AnyModel::D3(m)) => {
            with_scalar!(kind, S => sample_model::<S, _, _>(gm, m, what, cfg))
        }
        (AnyMixture::D4(gm), AnyModel::D4(m)) => {
            with_scalar!(kind, S => sample_model::<S, _, _>(gm, m, what, cfg))
        }
        _ => bail!("{what}: the model has {} dimension(s) but the mixture has {}", model.dims(), any.dims()),
    }
}

/// CSV text, `f64` copies and W1 per dimension of a sample set.
fn summarise<S: Scalar, const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    xs: &[[S; D]],
    status: Status,
    sampler: &Sampler,
) -> SampleRun {
    let mut csv = (0..D).map(|d| format!("x{d}")).collect::<Vec<_>>().join(",");
    csv.push('\n');
    let mut samples = Vec::with_capacity(xs.len());
    for x in xs {
        let row: Vec<String> = x.iter().map(|v| format_scalar(*v)).collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
        samples.push(x.iter().map(|v| v.to_f64()).collect::<Vec<f64>>());
    }
    let rows = mixture_rows(gm);
    let w1 = (0..D)
        .map(|d| {
            let col: Vec<f64> = samples.iter().map(|r| r[d]).collect();
            Mixture1d::marginal(&rows, d).w1(&col)
        })
        .collect();
    SampleRun {
        samples,
        csv,
        w1,
        saturated: !status.is_ok(),
        grid: *sampler.grid(),
        score_evaluations: sampler.score_evaluations(),
    }
}

/// The mixture as `(weight, mean, std)` rows.
pub fn mixture_rows<const D: usize, const K: usize>(gm: &GaussianMixture<D, K>) -> Vec<(f64, Vec<f64>, Vec<f64>)> {
    gm.components().iter().map(|c| (c.weight, c.mean.to_vec(), c.std.to_vec())).collect()
}

/// Sample from a validated mixture in the chosen scalar type.
pub fn sample_any(any: &AnyMixture, cfg: &SampleConfig) -> Result<SampleRun> {
    let kind = cfg.scalar.for_mixture()?;
    with_mixture!(any, gm => with_scalar!(kind, S => sample_mixture::<S, _, _>(gm, cfg)))
}

/// The SVG plot of a run: histogram over the density (1-D) or scatter over contours.
pub fn plot_svg(spec: &MixtureSpec, run: &SampleRun, title: &str) -> Result<String> {
    let rows: Vec<(f64, Vec<f64>, Vec<f64>)> =
        spec.components.iter().map(|c| (c.weight, c.mean.clone(), c.std.clone())).collect();
    if spec.dims() == 1 {
        let xs: Vec<f64> = run.samples.iter().map(|r| r[0]).collect();
        sample_plot::histogram_svg(title, &rows, &xs, 120)
    } else {
        let pts: Vec<(f64, f64)> = run.samples.iter().map(|r| (r[0], r[1])).collect();
        sample_plot::scatter_svg(title, &rows, &pts, 4000)
    }
}

/// The text printed after sampling.
pub fn summary_text(cfg: &SampleConfig, run: &SampleRun) -> String {
    let grid = match run.grid.spacing() {
        Spacing::Geometric { t_offset } => format!("geometric in sigma^2 (t + {t_offset:.4e})"),
        Spacing::Uniform => "uniform in t".to_string(),
        Spacing::Karras { rho } => format!("Karras in (sigma sqrt t)^(1/{rho})"),
    };
    let mut s = format!(
        "{} samples, sampler {}, scalar {}, {} steps {}, t from {} to {:.4e} then a denoising step, seed {}\n",
        run.samples.len(),
        cfg.sampler.name(),
        cfg.scalar.name(),
        cfg.steps,
        grid,
        run.grid.t_max(),
        run.grid.t_min(),
        cfg.seed
    );
    s.push_str(&format!("score_evaluations: {}\n", run.score_evaluations));
    for (d, w) in run.w1.iter().enumerate() {
        s.push_str(&format!("W1 to the mixture, dimension {d}: {w:.6}\n"));
    }
    if run.saturated {
        s.push_str("warning: some values saturated (fixed point) or were not finite\n");
    }
    s
}

/// The command line's arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct SampleArgs {
    /// Mixture file (TOML): the data distribution (and the exact score without --model).
    /// Without it, --model alone: the start from the model's preconditioning.
    #[arg(long, required_unless_present = "model")]
    pub mixture: Option<PathBuf>,
    /// Learned score model driving the sampler instead of the exact score.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Data file (CSV `x0,...`) to compare the samples with (sliced W1; with --model only).
    #[arg(long, conflicts_with = "mixture")]
    pub data: Option<PathBuf>,
    /// How to sample.
    #[command(flatten)]
    pub config: SampleConfig,
    /// Samples CSV, header x0,...,x{D-1} (stdout if absent).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// SVG plot (default: the output path with .svg, or samples.svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Run the command: check everything, sample, then write the CSV and the plot.
pub fn run(args: &SampleArgs) -> Result<()> {
    let Some(mixture) = &args.mixture else {
        return crate::sample_model::run(args);
    };
    let (spec, any) = mixture_file::load(mixture)?;
    if args.config.count == 0 {
        bail!("--count: must be at least 1");
    }
    variance::check_diffusion(&spec, &mixture.display().to_string())?;
    let range = variance::range_for(args.config.scalar.float().unwrap_or(ScalarKind::F32), args.model.is_some());
    variance::check(&spec, &mixture.display().to_string(), args.config.t_max, "--t-max", range)?;
    let plot_path = args.plot.clone().unwrap_or_else(|| match &args.output {
        Some(p) => p.with_extension("svg"),
        None => PathBuf::from("samples.svg"),
    });
    if let Some(out) = &args.output {
        check_parent(out, "--output")?;
    }
    check_parent(&plot_path, "--plot")?;
    let run = match &args.model {
        Some(path) if args.config.scalar == ModelScalar::Q8 => {
            crate::learned::cmd_quantize::sample_q8(&any, path, &args.config)?
        }
        Some(path) => {
            let loaded = model_io::load(path)?;
            sample_any_model(&any, &loaded.model, &path.display().to_string(), &args.config)?
        }
        None => sample_any(&any, &args.config)?,
    };
    let title = format!(
        "{} ({}, {}, {} steps): W1 = {}",
        mixture.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
        args.config.sampler.name(),
        args.config.scalar.name(),
        args.config.steps,
        run.w1.iter().map(|w| format!("{w:.4}")).collect::<Vec<_>>().join(", ")
    );
    let svg = plot_svg(&spec, &run, &title)?;
    // The samples and the plot are committed together, or neither is.
    let mut tx = output::Transaction::new();
    tx.stage(args.output.as_deref(), run.csv.as_bytes())?;
    tx.stage(Some(&plot_path), svg.as_bytes())?;
    tx.commit()?;
    let text = summary_text(&args.config, &run) + &format!("plot: {}\n", plot_path.display());
    if args.output.is_some() {
        print!("{text}");
    } else {
        eprint!("{text}");
    }
    Ok(())
}

/// Check that a path's folder exists (for early, clear errors).
pub fn check_parent(path: &Path, flag: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() && !dir.is_dir() {
            bail!("{flag} {}: the folder {} does not exist", path.display(), dir.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karras_default_floor_depends_on_the_step_count() {
        // sigma = 2, smallest std 0.3: sigma_min = ratio x 0.3, t_min = (sigma_min / 2)^2.
        let (sigma, min_var) = (2.0, 0.09);
        let grid = |steps| {
            let cfg = SampleConfig { grid: GridKind::Karras, steps, ..SampleConfig::default() };
            grid_for(sigma, min_var, &cfg).unwrap()
        };
        let t_min = |ratio: f64| (ratio * 0.3 / sigma).powi(2);
        assert!((grid(9).t_min() - t_min(0.3)).abs() < 1e-15);
        assert!((grid(10).t_min() - t_min(0.3)).abs() < 1e-15);
        assert!((grid(11).t_min() - t_min(0.2)).abs() < 1e-15);
        assert!((grid(19).t_min() - t_min(0.2)).abs() < 1e-15);
        assert_eq!(grid(19).spacing(), Spacing::Karras { rho: DEFAULT_RHO });
        // An explicit --sigma-min wins whatever the step count.
        let cfg = SampleConfig { grid: GridKind::Karras, steps: 9, sigma_min: Some(0.04), ..SampleConfig::default() };
        assert!((grid_for(sigma, min_var, &cfg).unwrap().t_min() - 0.0004).abs() < 1e-15);
    }
}
