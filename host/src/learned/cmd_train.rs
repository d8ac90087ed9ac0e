//! `tinyscore train`: fit `s_theta` to the exact score of a mixture by Monte Carlo score
//! matching (J_naive, Eq. 60), write the model, the loss curve and the loss per time bin.
//!
//! Training runs in `f32` ([`Trainer`]): batches of fresh `(t, x)` draws, Adam with a
//! linear warm-up and a cosine decay of the learning rate. At the end the command measures
//! the relative Fisher divergence `R` on fresh draws for the `f32` model and for the model
//! quantised to `i16f16`, and prints the time and the model size.
//!
//! With `--data` instead of `--mixture` it trains by denoising score matching on the samples
//! ([`super::data_train`]) and prints and plots the held-out loss per time bin.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use fixed::types::I16F16;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::learned::train::{TimeSampling, TrainConfig, Trainer};
use tinyscore::learned::ScoreMlp;
use tinyscore::mixture::GaussianMixture;

use super::measure::{relative_fisher, relative_fisher_with, Fisher};
use super::model_io::{encode, precond_for, Model};
use super::WeightingKind;
use crate::report::plots::{line_plot, Series};
use crate::{mixture_file, output, variance, with_mixture};

/// Settings of a training run.
#[derive(Clone, Debug, clap::Args)]
pub struct TrainOptions {
    /// Mixture file (TOML): train on its exact score.
    #[arg(long, required_unless_present = "data", conflicts_with = "data")]
    pub mixture: Option<PathBuf>,
    /// Data file (CSV `x0,...,x{D-1}`): denoising score matching on the samples, 10 % held out.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Diffusion scale sigma of the model trained with --data (default 1).
    // `conflicts_with` as well: clap skips `requires` when the missing argument conflicts
    // with one given (clap-rs/clap#4520), which would ignore `--sigma` with `--mixture`.
    #[arg(long, requires = "data", conflicts_with = "mixture")]
    pub sigma: Option<f64>,
    /// Model file to write; the loss plots go beside it (MODEL.loss.svg, MODEL.bins.svg).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the draws and the initial weights.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Adam steps [default: 20000; with --data: 60000].
    #[arg(long, value_parser = crate::limits::count_in::<u64, 1, { crate::limits::MAX_TRAIN_STEPS }>)]
    pub steps: Option<u64>,
    /// Samples per step [default: 128; with --data: 512: denoising targets are noisier than
    /// the exact score, and at the mixture's defaults a data model stays blurred].
    #[arg(long, value_parser = crate::limits::count_in::<usize, 1, { crate::limits::MAX_TRAIN_BATCH }>)]
    pub batch: Option<usize>,
    /// Peak learning rate.
    #[arg(long, default_value_t = DEFAULT_LR)]
    pub lr: f64,
    /// Time weight lambda(t) of the loss [default: one; with --data: variance, whose
    /// denoising target has a bounded variance as t -> 0].
    #[arg(long, value_enum)]
    pub weighting: Option<WeightingKind>,
    /// Start of the time range.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub t_min: f64,
    /// End of the time range [default: 1; with --data: 16, the start time of `sample`].
    #[arg(long, allow_negative_numbers = true)]
    pub t_max: Option<f64>,
    /// Largest decay of the exponential moving average of the weights that is saved (e.g.
    /// 0.999; 0: the last step's weights).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub ema: f64,
    /// With --data: training samples per step in the reference of the stable target (the
    /// target is the score of the smoothed empirical distribution of the draw's x0 and the
    /// reference: the denoising target with far less noise) [default: 512; 0: the plain
    /// denoising target -eps / (sigma sqrt(t)), 3 to 4 times faster].
    #[arg(long, requires = "data", conflicts_with = "mixture", allow_negative_numbers = true, value_parser = crate::limits::count_in::<usize, 0, { crate::limits::MAX_TRAIN_BATCH }>)]
    pub reference: Option<usize>,
    /// Fresh draws for the final measurement of R, or with --data of the held-out loss (0
    /// skips it).
    #[arg(long, default_value_t = 200_000, value_parser = crate::limits::count_in::<u64, 0, { crate::limits::MAX_LOSS_SAMPLES }>)]
    pub eval_samples: u64,
    /// No progress bar (always shown from the command line).
    #[arg(skip)]
    pub quiet: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            mixture: None,
            data: None,
            sigma: None,
            out: PathBuf::new(),
            seed: 0,
            steps: None,
            batch: None,
            lr: DEFAULT_LR,
            weighting: None,
            t_min: 0.0,
            t_max: None,
            ema: 0.0,
            reference: None,
            eval_samples: 200_000,
            quiet: false,
        }
    }
}

impl TrainOptions {
    /// The weighting: as given, else `one` (mixture) or `variance` (`--data`).
    pub fn weighting(&self) -> WeightingKind {
        self.weighting.unwrap_or(if self.data.is_some() { WeightingKind::Variance } else { WeightingKind::One })
    }

    /// Adam steps: as given, else [`DEFAULT_STEPS`] (mixture) or [`DEFAULT_DATA_STEPS`]
    /// (`--data`).
    pub fn steps(&self) -> u64 {
        self.steps.unwrap_or(if self.data.is_some() { DEFAULT_DATA_STEPS } else { DEFAULT_STEPS })
    }

    /// Samples per step: as given, else [`DEFAULT_BATCH`] (mixture) or
    /// [`DEFAULT_DATA_BATCH`] (`--data`).
    pub fn batch(&self) -> usize {
        self.batch.unwrap_or(if self.data.is_some() { DEFAULT_DATA_BATCH } else { DEFAULT_BATCH })
    }

    /// Reference samples of the stable target: as given, else [`DEFAULT_DATA_REFERENCE`].
    pub fn reference(&self) -> usize {
        self.reference.unwrap_or(DEFAULT_DATA_REFERENCE)
    }

    /// The end of the time range: as given, else 1 (mixture) or 16 (`--data`).
    pub fn t_max(&self) -> f64 {
        self.t_max.unwrap_or(if self.data.is_some() { 16.0 } else { 1.0 })
    }
}

/// The weights to save: an exponential moving average of the training's
/// ([`tinyscore::learned::ema::Ema`]), or the last step's when the decay is 0.
pub struct Averager<P>(Option<tinyscore::learned::ema::Ema<P>>);

impl<P: tinyscore::learned::Parameters + Clone> Averager<P>
where
    P::Elem: tinyscore::learned::Float,
{
    /// Start from `params`; an error unless `0 <= decay < 1`.
    pub fn new(params: &P, decay: f64) -> Result<Self> {
        if decay == 0.0 {
            return Ok(Averager(None));
        }
        tinyscore::learned::ema::Ema::new(params, decay)
            .map(|e| Averager(Some(e)))
            .ok_or_else(|| anyhow!("--ema {decay}: must be a number in [0, 1), e.g. 0.999"))
    }
    /// After each optimiser step.
    pub fn update(&mut self, params: &P) {
        if let Some(e) = &mut self.0 {
            e.update(params);
        }
    }
    /// Replace `params` by the average (nothing when the decay is 0).
    pub fn apply(&self, params: &mut P) {
        if let Some(e) = &self.0 {
            *params = e.average().clone();
        }
    }
}

/// Default number of steps.
pub const DEFAULT_STEPS: u64 = 20_000;
/// Default batch size.
pub const DEFAULT_BATCH: usize = tinyscore::learned::train::DEFAULT_BATCH;
/// Default number of steps with `--data` (denoising score matching): three times the
/// mixture's, at four times its batch. On the two-moons set of `scripts/make-datasets.py`
/// the mixture's defaults leave the samples blurred (their spread across the moons 0.22
/// against the data's 0.155, `scripts/moons-spread.py`); these give 0.17, the fitted
/// mixture's spread, in about 20 s.
pub const DEFAULT_DATA_STEPS: u64 = 60_000;
/// Default batch size with `--data` (see [`DEFAULT_DATA_STEPS`]).
pub const DEFAULT_DATA_BATCH: usize = 512;
/// Default reference samples per step of the stable target of `train --data` (0: the plain denoising target).
pub const DEFAULT_DATA_REFERENCE: usize = 512;
/// Default peak learning rate.
pub const DEFAULT_LR: f64 = tinyscore::learned::train::DEFAULT_LR;

/// What a run produced.
#[derive(Clone, Debug)]
pub struct TrainSummary {
    /// Training time (seconds), without the final measurement.
    pub seconds: f64,
    /// Number of parameters.
    pub params: usize,
    /// Size of the model file (f32), bytes.
    pub bytes: usize,
    /// Size of the model file quantised to i16f16, bytes.
    pub bytes_i16f16: usize,
    /// Mean batch loss per step.
    pub curve: Vec<f64>,
    /// R of the f32 model.
    pub r_f32: Option<Fisher>,
    /// R of the model quantised to i16f16.
    pub r_i16f16: Option<Fisher>,
    /// R of the q8 network (calibrated on exact mixture draws over the training range;
    /// state in f32).
    pub r_q8: Option<Fisher>,
    /// The model file.
    pub model_bytes: Vec<u8>,
}

/// Learning rate at `step` of `steps`: linear warm-up over 2 %, then cosine to 1 % of `lr`.
pub fn schedule(lr: f64, step: u64, steps: u64) -> f64 {
    let warm = (steps / 50).max(1);
    if step < warm {
        return lr * (step + 1) as f64 / warm as f64;
    }
    let p = (step - warm) as f64 / (steps - warm).max(1) as f64;
    lr * (0.01 + 0.99 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
}

/// How `train` draws times: uniformly up to `t_max = 1`; beyond (long ranges, for
/// sampling from `t = 16`), geometrically in `t + offset` with `offset` the smallest
/// component variance over `sigma^2`, so that small `t`, where the score is hardest, is not
/// starved of samples.
pub fn time_sampling<const D: usize, const K: usize>(gm: &GaussianMixture<D, K>, t_max: f64) -> TimeSampling {
    let s2 = gm.sigma() * gm.sigma();
    let min_var = gm.components().iter().flat_map(|c| c.std.iter()).map(|s| s * s).fold(f64::INFINITY, f64::min);
    if t_max > 1.0 && s2 > 0.0 {
        TimeSampling::Geometric { offset: min_var / s2 }
    } else {
        TimeSampling::Uniform
    }
}

/// Check the options that do not need the mixture.
pub fn check(opts: &TrainOptions) -> Result<()> {
    if !(opts.t_min.is_finite() && opts.t_max().is_finite() && opts.t_min >= 0.0 && opts.t_max() > opts.t_min) {
        bail!("--t-min {} --t-max {}: need 0 <= t-min < t-max, both finite", opts.t_min, opts.t_max());
    }
    if opts.steps() == 0 || opts.batch() == 0 {
        bail!("--steps and --batch must be at least 1");
    }
    if !(opts.lr.is_finite() && opts.lr > 0.0) {
        bail!("--lr {}: must be a positive number", opts.lr);
    }
    Ok(())
}

/// Train on a mixture; no file is written.
pub fn train<const D: usize, const K: usize>(gm: &GaussianMixture<D, K>, opts: &TrainOptions) -> Result<TrainSummary> {
    check(opts)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
    let model = ScoreMlp::<f32, D, _, _>::new_random(precond_for(gm), &mut rng).map_err(|e| anyhow!("{e}"))?;
    let config = TrainConfig {
        t_min: opts.t_min,
        t_max: opts.t_max(),
        weighting: opts.weighting().weighting(),
        batch: opts.batch(),
        lr: opts.lr,
        time_sampling: time_sampling(gm, opts.t_max()),
    };
    let mut trainer = Box::new(Trainer::new(model, config).map_err(|e| anyhow!("{e}"))?);
    let bar = if opts.quiet { ProgressBar::hidden() } else { ProgressBar::new(opts.steps()) };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} steps, loss {msg} (eta {eta})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    let start = Instant::now();
    let mut curve = Vec::with_capacity(opts.steps() as usize);
    let mut ema = f64::NAN;
    let mut average = Averager::new(&trainer.model.params, opts.ema)?;
    for step in 0..opts.steps() {
        trainer.set_lr(schedule(opts.lr, step, opts.steps())).map_err(|e| anyhow!("{e}"))?;
        let l = trainer.step(gm, &mut rng).map_err(|e| anyhow!("{e}"))?;
        if !l.is_finite() {
            bail!("training diverged at step {step} (loss {l}); try a smaller --lr");
        }
        average.update(&trainer.model.params);
        curve.push(l);
        ema = if ema.is_nan() { l } else { 0.98 * ema + 0.02 * l };
        if step % 50 == 0 {
            bar.set_position(step);
            bar.set_message(format!("{ema:.4}"));
        }
    }
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    average.apply(&mut trainer.model.params);
    let m32: Box<Model<f32, D>> = Box::new(trainer.model);
    let model_bytes = encode(&*m32)?;
    let q = m32.convert::<I16F16>().map_err(|e| anyhow!("quantising to i16f16: {e}"))?;
    let (mut r_f32, mut r_i16f16, mut r_q8) = (None, None, None);
    if opts.eval_samples > 0 {
        let seed = opts.seed ^ 0x5EED_F15E;
        r_f32 = Some(relative_fisher(&*m32, gm, opts.t_min, opts.t_max(), opts.eval_samples, seed)?);
        r_i16f16 = Some(relative_fisher(&q, gm, opts.t_min, opts.t_max(), opts.eval_samples, seed)?);
        let m64 = m32.convert::<f64>().map_err(|e| anyhow!("{e}"))?;
        let draws = super::calibrate::draws(
            &m64,
            super::calibrate::DrawSource::Mixture(gm),
            opts.t_min,
            opts.t_max(),
            super::calibrate::DEFAULT_DRAWS,
            opts.seed,
        )?;
        let (q8, _) = super::calibrate::quantize(&m64, &draws)?;
        r_q8 = Some(relative_fisher_with(
            |t, x: &[f32; D]| q8.score(t, x),
            gm,
            opts.t_min,
            opts.t_max(),
            opts.eval_samples,
            seed,
        )?);
    }
    Ok(TrainSummary {
        seconds,
        params: Model::<f32, D>::PARAMS,
        bytes: model_bytes.len(),
        bytes_i16f16: Model::<I16F16, D>::ENCODED_LEN,
        curve,
        r_f32,
        r_i16f16,
        r_q8,
        model_bytes,
    })
}

/// `MODEL.loss.svg` and `MODEL.bins.svg` beside the model file.
pub fn plot_paths(out: &Path) -> (PathBuf, PathBuf) {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
    (out.with_file_name(format!("{name}.loss.svg")), out.with_file_name(format!("{name}.bins.svg")))
}

/// The loss curve, averaged over blocks of steps so that at most 400 points remain.
pub fn smoothed_curve(curve: &[f64]) -> Vec<(f64, f64)> {
    let block = curve.len().div_ceil(400).max(1);
    curve
        .chunks(block)
        .enumerate()
        .map(|(i, c)| ((i * block + c.len() / 2) as f64, c.iter().sum::<f64>() / c.len() as f64))
        .collect()
}

/// Write the model and its two plots as one unit ([`output::Transaction`]): all three are
/// staged first and put in place together, or none is.
fn write_outputs(opts: &TrainOptions, s: &TrainSummary, held: Option<&[super::data_train::HeldOutBin]>) -> Result<()> {
    let (loss_path, bins_path) = plot_paths(&opts.out);
    let mut tx = output::Transaction::new();
    tx.stage(Some(&opts.out), &s.model_bytes)?;
    let tl = tx.path_for(Some(&loss_path))?;
    let tb = tx.path_for(Some(&bins_path))?;
    let wname = opts.weighting().weighting().name();
    line_plot(
        &tl,
        &format!("training loss (batch mean of 1/2 lambda |s_theta - s|^2, lambda = {wname})"),
        "step",
        "loss",
        &[Series { name: "batch loss (block mean)".into(), points: smoothed_curve(&s.curve), markers: false }],
        true,
    )?;
    let mut series = Vec::new();
    for (name, f) in [("f32", &s.r_f32), ("i16f16", &s.r_i16f16)] {
        if let Some(f) = f {
            series.push(Series {
                name: format!("{name}: E[1/2 |s_theta - s|^2 | t]"),
                points: f.bins.iter().map(|b| (0.5 * (b.t_lo + b.t_hi), b.error)).collect(),
                markers: false,
            });
        }
    }
    if let Some(f) = &s.r_f32 {
        series.push(Series {
            name: "E[1/2 |s|^2 | t]".into(),
            points: f.bins.iter().map(|b| (0.5 * (b.t_lo + b.t_hi), b.norm)).collect(),
            markers: false,
        });
    }
    if let Some(held) = held {
        let mid = |b: &super::data_train::HeldOutBin| 0.5 * (b.t_lo + b.t_hi);
        let series = vec![
            Series {
                name: "trained model".into(),
                points: held.iter().map(|b| (mid(b), b.trained)).collect(),
                markers: false,
            },
            Series {
                name: "Gaussian skip term (untrained)".into(),
                points: held.iter().map(|b| (mid(b), b.gaussian)).collect(),
                markers: false,
            },
        ];
        let title = format!("held-out denoising loss per time bin (lambda = {wname})");
        line_plot(&tb, &title, "t", "mean 1/2 lambda |s - target|^2", &series, true)?;
    } else {
        line_plot(&tb, "loss per time bin (fresh draws, lambda = 1)", "t", "mean per-sample value", &series, true)?;
    }
    tx.commit()
}

/// Print the summary lines (`R`, time, size).
pub fn summary_text(s: &TrainSummary) -> String {
    let mut t = format!(
        "trained in {:.1} s; {} parameters; model file {} bytes (f32), {} bytes as i16f16\n",
        s.seconds, s.params, s.bytes, s.bytes_i16f16
    );
    for (name, f) in [("f32", &s.r_f32), ("i16f16", &s.r_i16f16), ("q8", &s.r_q8)] {
        if let Some(f) = f {
            t.push_str(&format!(
                "R ({name}) = {:.3e} +- {:.1e} ({} fresh draws, t ~ U[{}, {}]){}\n",
                f.r,
                f.r_std_error,
                f.error.samples,
                f.bins.first().map_or(0.0, |b| b.t_lo),
                f.bins.last().map_or(0.0, |b| b.t_hi),
                if f.saturated { ", some evaluations saturated" } else { "" }
            ));
        }
    }
    t
}

/// Run the command.
pub fn run(opts: &TrainOptions) -> Result<TrainSummary> {
    check(opts)?;
    if let Some(data) = &opts.data {
        return run_data(opts, data);
    }
    let Some(mixture) = &opts.mixture else {
        bail!("give --mixture M.toml or --data D.csv");
    };
    let (spec, any) = mixture_file::load(mixture)?;
    variance::check(&spec, &mixture.display().to_string(), opts.t_max(), "--t-max", variance::MODEL)?;
    let s = with_mixture!(&any, gm => train(gm, opts))?;
    write_outputs(opts, &s, None)?;
    let (lp, bp) = plot_paths(&opts.out);
    print!("{}", summary_text(&s));
    println!("wrote {}, {}, {}", opts.out.display(), lp.display(), bp.display());
    Ok(s)
}

/// `train --data`: read, split, train, print and write.
fn run_data(opts: &TrainOptions, path: &Path) -> Result<TrainSummary> {
    use super::data_train::{bins_text, split, train_data};
    let sigma = opts.sigma.unwrap_or(1.0);
    if !(sigma.is_finite() && sigma > 0.0) {
        bail!("--sigma {sigma}: must be a finite number > 0");
    }
    let data = crate::data::load(path)?;
    let what = path.display().to_string();
    macro_rules! go {
        ($d:literal) => {{
            let (tr, held) = split::<$d>(&data, opts.seed).map_err(|e| anyhow!("{what}: {e}"))?;
            let (s, bins) = train_data::<$d>(&tr, &held, opts, sigma).map_err(|e| anyhow!("{what}: {e}"))?;
            (s, bins, tr.len(), held.len())
        }};
    }
    let (s, bins, n_train, n_held) = match data.dims {
        1 => go!(1),
        2 => go!(2),
        3 => go!(3),
        4 => go!(4),
        d => bail!("{what}: {d} dimensions; 1 to 4 are supported"),
    };
    write_outputs(opts, &s, (!bins.is_empty()).then_some(&bins[..]))?;
    let (lp, bp) = plot_paths(&opts.out);
    println!("{n_train} training samples, {n_held} held out; sigma = {sigma}");
    print!("{}", summary_text(&s));
    print!("{}", bins_text(&bins, opts.weighting().weighting().name()));
    println!("wrote {}, {}, {}", opts.out.display(), lp.display(), bp.display());
    Ok(s)
}
