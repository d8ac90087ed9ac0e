//! `tinyscore train --data`: denoising score matching on samples alone.
//!
//! * The data are shuffled (seeded by `--seed`); the last 10 % (at least one sample) are held
//!   out, the rest train.
//! * The preconditioning comes from the training part: `sigma` from `--sigma` (default 1),
//!   the per-dimension mean and (population) standard deviation, and the noise floor
//!   `n0 = NOISE_FLOOR_FRACTION x min_d std_d` (a tenth of the narrowest data scale: the
//!   score of a data set has no smallest component std to take, and a tenth keeps the
//!   network's output `o = n(t) (s - skip)` of order 1 down to structures a tenth of the
//!   data's spread, e.g. the ring's width in `scripts/make-datasets.py`).
//! * Each step draws `t` (the same time ranges and weightings as the mixture path), `x0` from
//!   the training samples ([`DataSamples`], a [`CleanSamples`] source), `eps ~ N(0, I)`, and
//!   regresses `s_theta(x = x0 + sigma sqrt(t) eps, t)` on the stable target
//!   ([`Trainer::step_stable_target`]: the score at `x` of the smoothed empirical
//!   distribution of `x0` and `--reference` training samples drawn for the step, default
//!   [`DEFAULT_DATA_REFERENCE`](super::cmd_train::DEFAULT_DATA_REFERENCE)) where the noise
//!   `sigma sqrt(t)` is at least [`STABLE_FROM_FLOORS`] noise floors, and on the denoising
//!   target `-eps / (sigma sqrt(t))` below that and everywhere with `--reference 0`
//!   ([`Trainer::step_denoising`]). Both targets have the true score as their minimiser; the
//!   stable one is far less noisy where many samples are plausible origins of `x` (larger
//!   `t`, where the modes' weights and the data's shape are decided). Below the threshold
//!   few are, it gains little, and on the ring of `scripts/make-datasets.py` it measured
//!   worse there (README, "Training on data").
//! * At the end the held-out samples give the denoising loss per time bin
//!   ([`heldout_bins`]) for the trained model and for the untrained one (the Gaussian skip
//!   term alone): the denoising loss has an irreducible part, the same for both, so the gap
//!   is what the network learned.

use anyhow::{anyhow, bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_core::RngCore;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;
use tinyscore::learned::train::{CleanSamples, TimeSampling, TrainConfig, Trainer};
use tinyscore::learned::{Preconditioning, ScoreMlp, Time};
use tinyscore::sampling::{standard_normal, uniform_f64};

use super::cmd_train::{schedule, Averager, TrainOptions, TrainSummary};
use super::model_io::{encode, Model};
use crate::data::Data;

/// The noise floor as a fraction of the smallest per-dimension data std.
pub const NOISE_FLOOR_FRACTION: f64 = 0.1;
/// The stable target is used where the noise `sigma sqrt(t)` is at least this many noise
/// floors (`t >= (3.16 n0)^2 / sigma^2`), the denoising target below (module documentation).
pub const STABLE_FROM_FLOORS: f64 = 3.162_277_660_168_379_5;
/// Fraction of the data held out for the loss per time bin.
pub const HELD_OUT_FRACTION: f64 = 0.1;
/// Smallest data set `train --data` accepts.
pub const MIN_SAMPLES: usize = 20;
/// Number of time bins of the held-out loss.
pub const BINS: usize = 20;

/// Training samples as a [`CleanSamples`] source: each draw picks one uniformly.
#[derive(Clone, Copy, Debug)]
pub struct DataSamples<'a, const D: usize>(pub &'a [[f64; D]]);

impl<const D: usize> CleanSamples<D> for DataSamples<'_, D> {
    fn draw_x0<R: RngCore + ?Sized>(&self, rng: &mut R) -> [f64; D] {
        let n = self.0.len();
        let i = ((uniform_f64(rng) * n as f64) as usize).min(n.saturating_sub(1));
        self.0.get(i).copied().unwrap_or([0.0; D])
    }
}

/// The preconditioning of a data set (module documentation).
pub fn precond_from_data<const D: usize>(rows: &[[f64; D]], sigma: f64) -> Result<Preconditioning<D>> {
    let n = rows.len() as f64;
    let mut mean = [0.0; D];
    for r in rows {
        for (m, v) in mean.iter_mut().zip(r) {
            *m += v;
        }
    }
    let mean = mean.map(|m| m / n);
    let mut var = [0.0; D];
    for r in rows {
        for ((s, v), m) in var.iter_mut().zip(r).zip(&mean) {
            *s += (v - m) * (v - m) / n;
        }
    }
    let std = var.map(f64::sqrt);
    for (d, (s, m)) in std.iter().zip(&mean).enumerate() {
        // Rounding leaves a std of about 1e-16 |mean| for a constant coordinate.
        if s.partial_cmp(&(1e-9 * m.abs())) != Some(std::cmp::Ordering::Greater) {
            bail!("coordinate x{d} is constant ({m}): its std is {s}; the model needs a spread in every dimension");
        }
    }
    let floor = NOISE_FLOOR_FRACTION * std.iter().copied().fold(f64::INFINITY, f64::min);
    let pc = Preconditioning { sigma, noise_floor: floor, data_mean: mean, data_std: std };
    pc.validate().map_err(|e| anyhow!("the data's preconditioning: {e}"))?;
    Ok(pc)
}

/// Training and held-out samples.
pub type Split<const D: usize> = (Vec<[f64; D]>, Vec<[f64; D]>);

/// Split shuffled samples into (training, held out).
pub fn split<const D: usize>(data: &Data, seed: u64) -> Result<Split<D>> {
    if data.dims != D {
        bail!("internal: data of {} dimensions used as {D}", data.dims);
    }
    if data.rows.len() < MIN_SAMPLES {
        bail!("{} samples: train --data needs at least {MIN_SAMPLES}", data.rows.len());
    }
    let mut rows: Vec<[f64; D]> = data
        .rows
        .iter()
        .map(|r| {
            let mut a = [0.0; D];
            for (x, v) in a.iter_mut().zip(r) {
                *x = *v;
            }
            a
        })
        .collect();
    rows.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed ^ 0xDA7A_5B17));
    let held = ((rows.len() as f64 * HELD_OUT_FRACTION).round() as usize).max(1);
    let train = rows.split_off(held);
    Ok((train, rows))
}

/// The denoising loss in one time bin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeldOutBin {
    /// Bin start.
    pub t_lo: f64,
    /// Bin end.
    pub t_hi: f64,
    /// Draws in the bin.
    pub draws: u64,
    /// Mean `1/2 lambda |s_theta - target|^2` of the trained model.
    pub trained: f64,
    /// The same for the untrained model (the Gaussian skip term only).
    pub gaussian: f64,
}

/// `BINS + 1` bin edges from `t_min` to `t_max`: equal widths up to `t_max = 1`, beyond
/// geometric in `t + offset` (as the training times), so that small `t` gets several bins.
pub fn bin_edges(t_min: f64, t_max: f64, offset: f64) -> Vec<f64> {
    let geometric = t_max > 1.0 && offset.is_finite() && offset > 0.0;
    (0..=BINS)
        .map(|i| {
            let p = i as f64 / BINS as f64;
            if geometric {
                let (a, b) = ((t_min + offset).ln(), (t_max + offset).ln());
                ((a + p * (b - a)).exp() - offset).clamp(t_min, t_max)
            } else {
                t_min + p * (t_max - t_min)
            }
        })
        .collect()
}

/// The held-out denoising loss per time bin ([`bin_edges`]): `draws` draws of
/// `(t, x0, eps)` with `x0` cycling through `held`, the bins in turn and `t` uniform in its
/// bin, `lambda` the training weighting.
pub fn heldout_bins<const D: usize>(
    model: &Model<f32, D>,
    held: &[[f64; D]],
    opts: &TrainOptions,
    draws: u64,
) -> Vec<HeldOutBin> {
    let pc = model.precond;
    let base = Model::<f32, D> { precond: pc, params: tinyscore::learned::Params::zeroed() };
    let (t_min, t_max) = (opts.t_min, opts.t_max());
    let edges = bin_edges(t_min, t_max, pc.noise_floor * pc.noise_floor / (pc.sigma * pc.sigma));
    let mut bins: Vec<HeldOutBin> = edges
        .windows(2)
        .map(|e| HeldOutBin { t_lo: e[0], t_hi: e[1], draws: 0, trained: 0.0, gaussian: 0.0 })
        .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed ^ 0x0004_E1D0_u64);
    let w = opts.weighting().weighting();
    for (i, x0) in (0..draws).zip(held.iter().cycle()) {
        let b = (i % BINS as u64) as usize;
        let (lo, hi) = bins.get(b).map_or((t_min, t_max), |x| (x.t_lo, x.t_hi));
        let t = lo + (hi - lo) * uniform_f64(&mut rng);
        let noise = pc.sigma * t.sqrt();
        let mut x = [0f32; D];
        let mut y = [0f64; D];
        for ((xd, yd), x0d) in x.iter_mut().zip(y.iter_mut()).zip(x0) {
            let z = standard_normal(&mut rng);
            *xd = (x0d + noise * z) as f32;
            *yd = -z / noise;
        }
        if noise.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || Time::new(t).is_none() {
            continue;
        }
        let lambda = w.lambda(t, pc.sigma);
        let loss = |m: &Model<f32, D>| {
            let (s, _) = m.score(t, &x);
            0.5 * lambda * s.iter().zip(&y).map(|(a, b)| (f64::from(*a) - b).powi(2)).sum::<f64>()
        };
        if let Some(bin) = bins.get_mut(b) {
            bin.draws += 1;
            bin.trained += loss(model);
            bin.gaussian += loss(&base);
        }
    }
    for b in &mut bins {
        if b.draws > 0 {
            b.trained /= b.draws as f64;
            b.gaussian /= b.draws as f64;
        }
    }
    bins
}

/// Train on data of dimension `D` (already split); no file is written.
pub fn train_data<const D: usize>(
    train: &[[f64; D]],
    held: &[[f64; D]],
    opts: &TrainOptions,
    sigma: f64,
) -> Result<(TrainSummary, Vec<HeldOutBin>)> {
    super::cmd_train::check(opts)?;
    let pc = precond_from_data(train, sigma)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
    let model = ScoreMlp::<f32, D, _, _>::new_random(pc, &mut rng).map_err(|e| anyhow!("{e}"))?;
    let s2 = sigma * sigma;
    let time_sampling = if opts.t_max() > 1.0 && s2 > 0.0 {
        TimeSampling::Geometric { offset: pc.noise_floor * pc.noise_floor / s2 }
    } else {
        TimeSampling::Uniform
    };
    let config = TrainConfig {
        t_min: opts.t_min,
        t_max: opts.t_max(),
        weighting: opts.weighting().weighting(),
        batch: opts.batch(),
        lr: opts.lr,
        time_sampling,
    };
    let mut trainer = Box::new(Trainer::new(model, config).map_err(|e| anyhow!("{e}"))?);
    let bar = if opts.quiet { ProgressBar::hidden() } else { ProgressBar::new(opts.steps()) };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} steps, loss {msg} (eta {eta})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    let start = Instant::now();
    let source = DataSamples(train);
    let mut curve = Vec::with_capacity(opts.steps() as usize);
    let mut ema = f64::NAN;
    let mut average = Averager::new(&trainer.model.params, opts.ema)?;
    let mut reference = vec![[0.0; D]; opts.reference()];
    let stable_from_t = STABLE_FROM_FLOORS * STABLE_FROM_FLOORS * pc.noise_floor * pc.noise_floor / s2;
    for step in 0..opts.steps() {
        trainer.set_lr(schedule(opts.lr, step, opts.steps())).map_err(|e| anyhow!("{e}"))?;
        let l = if reference.is_empty() {
            trainer.step_denoising(&source, &mut rng)
        } else {
            trainer.step_stable_target(&source, &mut reference, stable_from_t, &mut rng)
        };
        if !l.is_finite() {
            bail!("training diverged at step {step} (loss {l}); try a smaller --lr or a larger --t-min");
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
    let bins = if opts.eval_samples > 0 { heldout_bins(&m32, held, opts, opts.eval_samples) } else { Vec::new() };
    let summary = TrainSummary {
        seconds,
        params: Model::<f32, D>::PARAMS,
        bytes: model_bytes.len(),
        bytes_i16f16: Model::<fixed::types::I16F16, D>::ENCODED_LEN,
        curve,
        r_f32: None,
        r_i16f16: None,
        r_q8: None,
        model_bytes,
    };
    Ok((summary, bins))
}

/// The held-out table printed by `train --data`.
pub fn bins_text(bins: &[HeldOutBin], weighting: &str) -> String {
    let mut t = format!(
        "held-out denoising loss per time bin (mean 1/2 lambda |s - target|^2, lambda = {weighting}):\n\
         {:>10} {:>10} {:>8} {:>12} {:>12}\n",
        "t_lo", "t_hi", "draws", "model", "gaussian"
    );
    for b in bins {
        t.push_str(&format!(
            "{:>10.4} {:>10.4} {:>8} {:>12.5} {:>12.5}\n",
            b.t_lo, b.t_hi, b.draws, b.trained, b.gaussian
        ));
    }
    let (n, m, g) = bins.iter().fold((0u64, 0.0, 0.0), |(n, m, g), b| {
        (n + b.draws, m + b.trained * b.draws as f64, g + b.gaussian * b.draws as f64)
    });
    if n > 0 {
        t.push_str(&format!(
            "held-out mean over the bins: model {:.5}, gaussian {:.5} ({n} draws)\n",
            m / n as f64,
            g / n as f64
        ));
    }
    t
}
