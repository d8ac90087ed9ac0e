//! `tinyscore loss`: the Monte Carlo estimate of `J_naive` (or of the denoising objective)
//! of a model against a mixture, with its standard error, the loss per time bin, and the
//! deterministic quadrature value to check it against.
//!
//! With `--json` the last line is `{"estimate": .., "std_error": .., "quadrature": ..,
//! "z": .., ...}`, where `z = (estimate - quadrature) / std_error`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::learned::objective::{McConfig, Target};
use tinyscore::learned::{Estimate, LossAccumulator};
use tinyscore::mixture::GaussianMixture;
use tinyscore::score_source::{ModelScore, ScoreSource};
use tinyscore::Scalar;

use super::cmd_quantize::q8_model;
use super::measure::BINS;
use super::model_io::{self, to_scalar, AnyModel, AnyQuant, Model};
use super::quadrature::{dsm_constant, j_naive_source, QuadNodes};
use super::{TargetKind, WeightingKind};
use crate::dims::AnyMixture;
use crate::eval::ModelScalar;
use crate::{mixture_file, output, variance, with_scalar};

/// Settings of the command.
#[derive(Clone, Debug, clap::Args)]
pub struct LossOptions {
    /// Mixture file (TOML).
    #[arg(long)]
    pub mixture: PathBuf,
    /// Model file.
    #[arg(long)]
    pub model: PathBuf,
    /// Time weight lambda(t).
    #[arg(long, value_enum, default_value_t = WeightingKind::One)]
    pub weighting: WeightingKind,
    /// Start of the time range.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub t_min: f64,
    /// End of the time range.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub t_max: f64,
    /// Monte Carlo samples.
    #[arg(long, default_value_t = 100_000, value_parser = crate::limits::count_in::<u64, 2, { crate::limits::MAX_LOSS_SAMPLES }>)]
    pub samples: u64,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Scalar type the model is evaluated in (`q8`: the int8 network).
    #[arg(long, value_enum, default_value_t = ModelScalar::F32)]
    pub scalar: ModelScalar,
    /// Target: the exact score (J_naive) or the denoising target.
    #[arg(long, value_enum, default_value_t = TargetKind::Exact)]
    pub target: TargetKind,
    /// End with a JSON line {"estimate": .., "std_error": .., ...}.
    #[arg(long)]
    pub json: bool,
}

/// The result.
#[derive(Clone, Debug)]
pub struct LossResult {
    /// Monte Carlo estimate.
    pub mc: Estimate,
    /// Quadrature value of the same objective.
    pub quadrature: f64,
    /// Its error estimate: the difference to the rule of half the size.
    pub quadrature_error: f64,
    /// Quadrature nodes used.
    pub nodes: QuadNodes,
    /// Dimensions of the problem.
    pub dims: usize,
    /// `(t_lo, t_hi, mean, std_error, samples)` per time bin.
    pub bins: Vec<(f64, f64, f64, f64, u64)>,
}

impl LossResult {
    /// `(estimate - quadrature) / std_error`.
    pub fn z(&self) -> f64 {
        (self.mc.value - self.quadrature) / self.mc.std_error
    }
}

/// Estimate and quadrature for one model in `S`.
pub fn compute<S: Scalar, const D: usize, const K: usize>(
    model: &Model<S, D>,
    gm: &GaussianMixture<D, K>,
    opts: &LossOptions,
) -> Result<LossResult> {
    compute_source(&mut ModelScore::new(model), gm, opts)
}

/// Estimate and quadrature for any score source in `S` (a float model, the q8 network).
pub fn compute_source<S: Scalar, Src: ScoreSource<S, D>, const D: usize, const K: usize>(
    source: &mut Src,
    gm: &GaussianMixture<D, K>,
    opts: &LossOptions,
) -> Result<LossResult> {
    let target = match opts.target {
        TargetKind::Exact => Target::Exact,
        TargetKind::Denoising => Target::Denoising,
    };
    let weighting = opts.weighting.weighting();
    let cfg = McConfig { t_min: opts.t_min, t_max: opts.t_max, weighting, target, samples: opts.samples };
    cfg.check(gm.sigma()).map_err(|e| anyhow!("{e}"))?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
    let mut acc = LossAccumulator::<BINS>::new(opts.t_min, opts.t_max);
    acc.accumulate(source, gm, &cfg, &mut rng).map_err(|e| anyhow!("{e}"))?;
    // The quadrature with the default rule and with every size doubled: the second is the
    // value, their difference the error estimate.
    let mut quad = |nodes: QuadNodes| {
        let mut q = j_naive_source(source, gm, weighting, opts.t_min, opts.t_max, nodes);
        if target == Target::Denoising {
            q += dsm_constant(gm, weighting, opts.t_min, opts.t_max, nodes);
        }
        q
    };
    let coarse = QuadNodes::for_dims(D);
    let nodes = coarse.refined();
    let quadrature = quad(nodes);
    let quadrature_error = (quadrature - quad(coarse)).abs();
    let bins =
        (0..BINS).filter_map(|i| acc.bin(i).map(|(a, b, mo)| (a, b, mo.mean(), mo.std_error(), mo.count()))).collect();
    Ok(LossResult { mc: acc.estimate(), quadrature, quadrature_error, nodes, dims: D, bins })
}

/// Dispatch over matching mixture and model dimensions (a float model in `--scalar`'s type).
pub fn compute_any(any: &AnyMixture, model: &AnyModel, opts: &LossOptions, what: &str) -> Result<LossResult> {
    let Some(kind) = opts.scalar.float() else {
        bail!("--scalar q8: the int8 network runs from a model file, see compute_q8");
    };
    macro_rules! go {
        ($gm:expr, $m:expr) => {
            with_scalar!(kind, S => compute(&*to_scalar::<S, _>($m, what)?, $gm, opts))
        };
    }
    match (any, model) {
        (AnyMixture::D1(gm), AnyModel::D1(m)) => go!(gm, m),
        (AnyMixture::D2(gm), AnyModel::D2(m)) => go!(gm, m),
        (AnyMixture::D3(gm), AnyModel::D3(m)) => go!(gm, m),
        (AnyMixture::D4(gm), AnyModel::D4(m)) => go!(gm, m),
        _ => bail!("{what}: the model has {} dimension(s), the mixture {}", model.dims(), any.dims()),
    }
}

/// `--scalar q8`: the int8 network of the model file (a q8 file, or a float model quantised
/// in memory as `sample --scalar q8` does), inputs and outputs in `f32`.
pub fn compute_q8(any: &AnyMixture, opts: &LossOptions) -> Result<LossResult> {
    let q = q8_model(&opts.model)?;
    match (any, &q) {
        (AnyMixture::D1(gm), AnyQuant::D1(q)) => compute_source::<f32, _, _, _>(&mut ModelScore::new(&**q), gm, opts),
        (AnyMixture::D2(gm), AnyQuant::D2(q)) => compute_source::<f32, _, _, _>(&mut ModelScore::new(&**q), gm, opts),
        (AnyMixture::D3(gm), AnyQuant::D3(q)) => compute_source::<f32, _, _, _>(&mut ModelScore::new(&**q), gm, opts),
        (AnyMixture::D4(gm), AnyQuant::D4(q)) => compute_source::<f32, _, _, _>(&mut ModelScore::new(&**q), gm, opts),
        _ => bail!("{}: the model has {} dimension(s), the mixture {}", opts.model.display(), q.dims(), any.dims()),
    }
}

/// The printed report.
pub fn text(r: &LossResult, opts: &LossOptions) -> String {
    let tname = match opts.target {
        TargetKind::Exact => "J_naive (exact target)",
        TargetKind::Denoising => "J_DSM (denoising target)",
    };
    let w = opts.weighting.weighting().name();
    let mut s = String::new();
    let _ = writeln!(s, "{tname}, lambda = {w}, t in [{}, {}], model in {}:", opts.t_min, opts.t_max, opts.scalar);
    let _ = writeln!(
        s,
        "  Monte Carlo: {:.6e} +- {:.2e} ({} samples, seed {})",
        r.mc.value, r.mc.std_error, r.mc.samples, opts.seed
    );
    let _ = writeln!(
        s,
        "  quadrature:  {:.6e} +- {:.1e} ({}; error: difference to the rule of half the size)",
        r.quadrature,
        r.quadrature_error,
        r.nodes.describe(r.dims)
    );
    let _ = writeln!(s, "  difference:  {:+.2} standard errors", r.z());
    if r.mc.saturated {
        let _ = writeln!(s, "  warning: some samples saturated");
    }
    let _ = writeln!(s, "  per time bin (mean of 1/2 lambda |s_theta - target|^2):");
    for (a, b, m, se, n) in &r.bins {
        let _ = writeln!(s, "    [{a:.3}, {b:.3})  {m:.4e} +- {se:.1e}  ({n})");
    }
    if opts.json {
        let j = serde_json::json!({
            "estimate": r.mc.value,
            "std_error": r.mc.std_error,
            "quadrature": r.quadrature,
            "quadrature_error": r.quadrature_error,
            "z": r.z(),
            "samples": r.mc.samples,
            "saturated": r.mc.saturated,
            "target": if opts.target == TargetKind::Exact { "exact" } else { "denoising" },
            "weighting": w,
            "scalar": opts.scalar.name(),
            "t_min": opts.t_min,
            "t_max": opts.t_max,
        });
        let _ = writeln!(s, "{j}");
    }
    s
}

/// Run the command.
pub fn run(opts: &LossOptions) -> Result<LossResult> {
    if opts.samples < 2 {
        bail!("--samples {}: at least 2 are needed for a standard error", opts.samples);
    }
    let (spec, any) = mixture_file::load(&opts.mixture)?;
    variance::check(&spec, &opts.mixture.display().to_string(), opts.t_max, "--t-max", variance::MODEL)?;
    let r = if opts.scalar.float().is_none() {
        compute_q8(&any, opts)?
    } else {
        let loaded = model_io::load(&opts.model)?;
        compute_any(&any, &loaded.model, opts, &opts.model.display().to_string())?
    };
    output::write_atomically(None, &text(&r, opts))?;
    Ok(r)
}
