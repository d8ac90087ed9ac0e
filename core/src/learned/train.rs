//! Training by Monte Carlo score matching against the exact mixture score (`J_naive`).
//!
//! Each step draws `batch` samples `(t, x)` as in [`super::objective`] (times from the
//! configured [`TimeSampling`]), accumulates the gradient of
//! `1/2 lambda(t) |s_theta(x, t) - s(x, t)|^2` and takes one Adam step with the mean
//! gradient. The exact target is evaluated in the training type `F`.
//! State: the model, one gradient and the Adam moments (4 copies of the parameters).
//!
//! [`Trainer::step_denoising`] trains from clean samples alone (denoising score matching):
//! any [`CleanSamples`] source draws `x0` (a mixture, or on the host a slice of data), the
//! step forms `x = x0 + sigma sqrt(t) eps` and regresses on `-eps / (sigma sqrt(t))`.
//! [`Trainer::step_stable_target`] regresses instead on the score at `x` of the smoothed
//! empirical distribution of `x0` and a reference drawn for the step (Xu et al. 2023), a
//! target with the same minimiser and far less variance at larger `t`; the caller owns the
//! reference buffer, so it stays allocation-free.

use core::fmt;

use rand_core::RngCore;

use super::adam::Adam;
use super::layer::Parameters;
use super::model::{Params, ScoreMlp};
use super::objective::{draw, exact_score};
use super::time::{TimeError, TrainingTimes};
use super::weighting::Weighting;
use super::Float;
use crate::mixture::{GaussianMixture, MixtureError};
use crate::sampling::{standard_normal, uniform_f64};

pub use super::time::TimeSampling;

/// Default samples per step (`tinyscore train --batch`).
pub const DEFAULT_BATCH: usize = 128;
/// Default (peak) learning rate (`tinyscore train --lr`).
pub const DEFAULT_LR: f64 = 3e-3;

/// The settings of training; [`Default`] holds the command line's defaults.
///
/// # Examples
/// ```
/// use tinyscore::learned::train::TrainConfig;
/// let cfg = TrainConfig { batch: 8, ..TrainConfig::default() };
/// assert_eq!((cfg.t_min, cfg.t_max, cfg.lr), (0.0, 1.0, 3e-3));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TrainConfig {
    /// Lower end of the time range, `>= 0`.
    pub t_min: f64,
    /// Upper end, `> t_min`, finite.
    pub t_max: f64,
    /// Time weight `lambda(t)` of the loss.
    pub weighting: Weighting,
    /// Samples per step, `>= 1`.
    pub batch: usize,
    /// Learning rate, finite and `>= 0` (change it between steps with
    /// [`Trainer::set_lr`] for a schedule).
    pub lr: f64,
    /// How the times are drawn.
    pub time_sampling: TimeSampling,
}

impl Default for TrainConfig {
    /// `t` uniform in `[0, 1]`, `lambda = 1`, batch 128, learning rate 3e-3.
    fn default() -> Self {
        TrainConfig {
            t_min: 0.0,
            t_max: 1.0,
            weighting: Weighting::One,
            batch: DEFAULT_BATCH,
            lr: DEFAULT_LR,
            time_sampling: TimeSampling::Uniform,
        }
    }
}

/// Why a training configuration is invalid.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TrainError {
    /// The time range or the time sampling.
    Times(TimeError),
    /// `batch` is 0.
    EmptyBatch,
    /// The learning rate is negative or not finite.
    LearningRate {
        /// the rate
        lr: f64,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Times(e) => write!(f, "{e}"),
            TrainError::EmptyBatch => write!(f, "the batch must hold at least one sample"),
            TrainError::LearningRate { lr } => write!(f, "learning rate {lr}: must be a finite number >= 0"),
        }
    }
}

impl core::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            TrainError::Times(e) => Some(e),
            _ => None,
        }
    }
}

fn check_lr(lr: f64) -> Result<(), TrainError> {
    if lr.is_finite() && lr >= 0.0 {
        Ok(())
    } else {
        Err(TrainError::LearningRate { lr })
    }
}

/// A source of clean samples `x0 ~ p(., 0)` for denoising score matching
/// ([`Trainer::step_denoising`]); no allocation: a mixture draws them, a data set picks one
/// of its stored samples.
///
/// # Examples
/// ```
/// use rand_core::SeedableRng;
/// use tinyscore::learned::train::CleanSamples;
/// use tinyscore::mixture::{Component, GaussianMixture};
/// let gm = GaussianMixture::<1, 1>::new(1.0, &[Component { weight: 1.0, mean: [3.0], std: [1e-9] }])?;
/// let x0 = gm.draw_x0(&mut tinyscore::DefaultRng::seed_from_u64(1));
/// assert!((x0[0] - 3.0).abs() < 1e-6);
/// # Ok::<(), tinyscore::mixture::MixtureError>(())
/// ```
pub trait CleanSamples<const D: usize> {
    /// One sample `x0` (finite coordinates).
    fn draw_x0<R: RngCore + ?Sized>(&self, rng: &mut R) -> [f64; D];
}

impl<const D: usize, const K: usize> CleanSamples<D> for GaussianMixture<D, K> {
    /// A component picked by weight, then its diagonal Gaussian.
    fn draw_x0<R: RngCore + ?Sized>(&self, rng: &mut R) -> [f64; D] {
        let j = self.pick_component(rng);
        let mut x = [0.0; D];
        if let Some(c) = self.components().get(j) {
            for ((xd, &mu), &sd) in x.iter_mut().zip(c.mean.iter()).zip(c.std.iter()) {
                *xd = mu + sd * standard_normal(rng);
            }
        }
        x
    }
}

/// A model being trained, with its optimiser state and its checked configuration.
///
/// # Examples
/// A few steps on a two-component mixture:
/// ```
/// use rand_core::SeedableRng;
/// use tinyscore::learned::train::{TrainConfig, Trainer};
/// use tinyscore::learned::{Preconditioning, ScoreMlp};
/// use tinyscore::mixture::{Component, GaussianMixture};
/// let gm = GaussianMixture::<1, 2>::new(
///     1.0,
///     &[Component { weight: 0.5, mean: [-1.0], std: [0.4] }, Component { weight: 0.5, mean: [1.0], std: [0.4] }],
/// )
/// .expect("a valid mixture");
/// let mut rng = tinyscore::DefaultRng::seed_from_u64(3);
/// let model = ScoreMlp::<f32, 1, 8, 1>::new_random(Preconditioning::from_mixture(&gm), &mut rng)?;
/// let mut trainer = Trainer::new(model, TrainConfig { batch: 16, ..TrainConfig::default() })?;
/// for _ in 0..3 {
///     let loss = trainer.step(&gm, &mut rng).expect("every drawn time is valid");
///     assert!(loss.is_finite() && loss >= 0.0);
/// }
/// let (s, _) = trainer.model.score(0.5, &[0.25]);
/// assert!(s[0].is_finite());
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Trainer<F: Float, const D: usize, const H: usize, const L: usize> {
    /// The model.
    pub model: ScoreMlp<F, D, H, L>,
    grad: Params<F, D, H, L>,
    adam: Adam<Params<F, D, H, L>>,
    config: TrainConfig,
    times: TrainingTimes,
}

impl<F: Float, const D: usize, const H: usize, const L: usize> Trainer<F, D, H, L> {
    /// Start from a model (fresh or pre-trained: fine-tuning) with a checked configuration.
    ///
    /// # Errors
    /// [`TrainError::Times`] unless `0 <= t_min < t_max < inf` (and a geometric offset is
    /// finite and `> 0`); [`TrainError::EmptyBatch`]; [`TrainError::LearningRate`].
    pub fn new(model: ScoreMlp<F, D, H, L>, config: TrainConfig) -> Result<Self, TrainError> {
        let times = TrainingTimes::new(config.t_min, config.t_max, config.time_sampling).map_err(TrainError::Times)?;
        if config.batch == 0 {
            return Err(TrainError::EmptyBatch);
        }
        check_lr(config.lr)?;
        Ok(Trainer { model, grad: Params::zeroed(), adam: Adam::new(), config, times })
    }

    /// The configuration.
    pub const fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The learning rate of the next steps (for a schedule).
    ///
    /// # Errors
    /// [`TrainError::LearningRate`] unless `lr` is finite and `>= 0` (the rate is unchanged).
    pub fn set_lr(&mut self, lr: f64) -> Result<(), TrainError> {
        check_lr(lr)?;
        self.config.lr = lr;
        Ok(())
    }

    /// One Adam step on `batch` fresh samples; returns the batch's mean per-sample loss
    /// `1/2 lambda |s_theta - s|^2` (before the step).
    ///
    /// # Errors
    /// The mixture's error if it rejects a time; every drawn time is valid, so this does not
    /// happen for a validated mixture.
    pub fn step<const K: usize, R: RngCore + ?Sized>(
        &mut self,
        gm: &GaussianMixture<D, K>,
        rng: &mut R,
    ) -> Result<f64, MixtureError> {
        for g in self.grad.slices_mut() {
            g.fill(F::ZERO);
        }
        let weighting = self.config.weighting;
        let mut total = 0.0;
        for _ in 0..self.config.batch {
            let t = self.times.time(uniform_f64(rng));
            // The draw takes its time from the degenerate range [t, t] (it still consumes
            // one uniform, part of the random stream).
            let x = draw(gm, t.get(), t.get(), rng).x;
            let (s, _) = exact_score::<F, D, K>(gm, t.get(), &x)?;
            let tc = self.model.time_consts_at(t);
            let x = x.map(|v| F::lit(v));
            let y = s.map(|v| F::lit(v));
            let w = F::lit(weighting.lambda(t.get(), gm.sigma()));
            let l = self.model.add_gradient(&tc, &x, &y, w, &mut self.grad);
            total += l.as_f64();
        }
        let n = self.config.batch as f64;
        let scale = F::lit(1.0 / n);
        self.adam.step(&mut self.model.params, &self.grad, F::lit(self.config.lr), scale);
        Ok(total / n)
    }

    /// One Adam step of denoising score matching on `batch` fresh draws: `t` from the
    /// configured times, `x0` from `samples`, `eps ~ N(0, I)`, `x = x0 + sigma sqrt(t) eps`
    /// with `sigma` the model's [`Preconditioning::sigma`](super::Preconditioning), and the
    /// target `-eps / (sigma sqrt(t))`. Returns the batch's mean per-sample loss
    /// `1/2 lambda |s_theta - target|^2` (before the step). Its minimiser over all functions
    /// is the true score; its minimum is not zero (the target is noisy).
    ///
    /// A draw whose noise scale `sigma sqrt(t)` is zero (`t = 0`, probability about
    /// `2^-53` per draw, or `sigma = 0`) has no finite target and is left out of the mean.
    ///
    /// # Examples
    /// ```
    /// use rand_core::SeedableRng;
    /// use tinyscore::learned::train::{TrainConfig, Trainer};
    /// use tinyscore::learned::{Preconditioning, ScoreMlp};
    /// use tinyscore::mixture::{Component, GaussianMixture};
    /// let gm = GaussianMixture::<1, 1>::new(1.0, &[Component { weight: 1.0, mean: [0.0], std: [0.5] }])?;
    /// let mut rng = tinyscore::DefaultRng::seed_from_u64(3);
    /// let model = ScoreMlp::<f32, 1, 8, 1>::new_random(Preconditioning::from_mixture(&gm), &mut rng).expect("valid");
    /// let cfg = TrainConfig { batch: 16, t_min: 0.1, ..TrainConfig::default() };
    /// let mut trainer = Trainer::new(model, cfg).expect("valid");
    /// let loss = trainer.step_denoising(&gm, &mut rng);
    /// assert!(loss.is_finite() && loss >= 0.0);
    /// # Ok::<(), tinyscore::mixture::MixtureError>(())
    /// ```
    pub fn step_denoising<X: CleanSamples<D> + ?Sized, R: RngCore + ?Sized>(
        &mut self,
        samples: &X,
        rng: &mut R,
    ) -> f64 {
        self.step_on_draws(samples, rng, |_, _, z, noise| z.map(|zd| -zd / noise))
    }

    /// One Adam step of denoising score matching with the *stable target* of Xu et al.
    /// (ICLR 2023, "Stable Target Field"): as [`Trainer::step_denoising`], but each draw's
    /// target is the score of the Gaussian-smoothed empirical distribution of a reference
    /// set, `-(x - E[x0 | x]) / (sigma^2 t)` with `E[x0 | x]` the posterior mean over
    /// `{x0} + reference` (weights `exp(-|x - r|^2 / (2 sigma^2 t))`, normalised in the log
    /// domain). The reference (`reference.len()` samples, drawn afresh from `samples` at the
    /// start of the step, shared by the batch) always holds the draw's own `x0`, so as
    /// `t -> 0` the target is the denoising one; at larger `t`, where the denoising target is
    /// mostly noise, its variance falls about `reference.len()` times. An empty `reference`
    /// gives [`Trainer::step_denoising`]'s targets (the same draws, rounded the same way up to
    /// the last bit of the target), and so do draws with `t < from_t`: the stable target is a
    /// self-normalised estimate, biased by about the inverse of the number of reference
    /// samples that are plausible origins of `x`, so at small `t`, where few are, the unbiased
    /// denoising target is the better one (`from_t = 0`: the stable target at every `t`).
    /// Returns the batch's mean `1/2 lambda |s_theta - target|^2` (smaller than the denoising
    /// loss: the target is less noisy).
    ///
    /// # Examples
    /// ```
    /// use rand_core::SeedableRng;
    /// use tinyscore::learned::train::{TrainConfig, Trainer};
    /// use tinyscore::learned::{Preconditioning, ScoreMlp};
    /// use tinyscore::mixture::{Component, GaussianMixture};
    /// let gm = GaussianMixture::<1, 1>::new(1.0, &[Component { weight: 1.0, mean: [0.0], std: [0.5] }])?;
    /// let mut rng = tinyscore::DefaultRng::seed_from_u64(3);
    /// let model = ScoreMlp::<f32, 1, 8, 1>::new_random(Preconditioning::from_mixture(&gm), &mut rng).expect("valid");
    /// let mut trainer = Trainer::new(model, TrainConfig { batch: 16, ..TrainConfig::default() }).expect("valid");
    /// let mut reference = [[0.0; 1]; 32];
    /// let loss = trainer.step_stable_target(&gm, &mut reference, 0.0, &mut rng);
    /// assert!(loss.is_finite() && loss >= 0.0);
    /// # Ok::<(), tinyscore::mixture::MixtureError>(())
    /// ```
    pub fn step_stable_target<X: CleanSamples<D> + ?Sized, R: RngCore + ?Sized>(
        &mut self,
        samples: &X,
        reference: &mut [[f64; D]],
        from_t: f64,
        rng: &mut R,
    ) -> f64 {
        for r in reference.iter_mut() {
            *r = samples.draw_x0(rng);
        }
        let reference = &*reference;
        self.step_on_draws(samples, rng, |t, (x, x0), _, noise| {
            stable_target(x, x0, if t >= from_t { reference } else { &[] }, noise * noise)
        })
    }

    /// The step both denoising steps share: `batch` draws of `t`, `x0` and `eps` (in that
    /// order from `rng`), `x = x0 + sigma sqrt(t) eps`, the target from
    /// `target(t, (x, x0), eps, sigma sqrt(t))`, one Adam step on the mean gradient; draws
    /// whose noise scale is not finite and `> 0` are left out. Returns the mean loss.
    fn step_on_draws<X, R, T>(&mut self, samples: &X, rng: &mut R, mut target: T) -> f64
    where
        X: CleanSamples<D> + ?Sized,
        R: RngCore + ?Sized,
        T: FnMut(f64, (&[f64; D], &[f64; D]), &[f64; D], f64) -> [f64; D],
    {
        for g in self.grad.slices_mut() {
            g.fill(F::ZERO);
        }
        let weighting = self.config.weighting;
        let sigma = self.model.precond.sigma;
        let mut total = 0.0;
        let mut used = 0usize;
        for _ in 0..self.config.batch {
            let t = self.times.time(uniform_f64(rng));
            let x0 = samples.draw_x0(rng);
            let noise = sigma * libm::sqrt(t.get());
            let mut x = [0.0; D];
            let mut eps = [0.0; D];
            for ((xd, ed), &x0d) in x.iter_mut().zip(eps.iter_mut()).zip(x0.iter()) {
                *ed = standard_normal(rng);
                *xd = x0d + noise * *ed;
            }
            if !(noise > 0.0 && noise.is_finite()) {
                continue;
            }
            let y = target(t.get(), (&x, &x0), &eps, noise);
            let tc = self.model.time_consts_at(t);
            let w = F::lit(weighting.lambda(t.get(), sigma));
            let l = self.model.add_gradient(&tc, &x.map(|v| F::lit(v)), &y.map(|v| F::lit(v)), w, &mut self.grad);
            total += l.as_f64();
            used += 1;
        }
        if used == 0 {
            return 0.0;
        }
        let n = used as f64;
        let scale = F::lit(1.0 / n);
        self.adam.step(&mut self.model.params, &self.grad, F::lit(self.config.lr), scale);
        total / n
    }
}

/// The stable target's weights below `exp(-STABLE_TARGET_CUTOFF)` (2.3e-16) times the
/// largest are taken as that: each is below the rounding of the largest term, so a
/// reference of `R` samples moves the target by less than `R x 2.3e-16` relative.
pub const STABLE_TARGET_CUTOFF: f64 = 36.0;

/// `e^x` for `x` in `[-STABLE_TARGET_CUTOFF, 0]`, relative error below 2e-8 (the weights of
/// the stable target, an estimate whose Monte Carlo error is far larger): `x = k ln 2 + f`
/// with `|f| <= ln(2) / 2`, `e^f` by its Taylor polynomial of degree 7, `2^k` by the
/// exponent bits. No call and no branch, unlike `libm::exp`, which dominated the step.
#[inline(always)]
fn exp_weight(x: f64) -> f64 {
    // Adding and subtracting 1.5 x 2^52 rounds to the nearest integer (|x log2 e| < 2^51).
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let k = (x * core::f64::consts::LOG2_E + ROUND) - ROUND;
    let f = x - k * core::f64::consts::LN_2;
    let p = 1.0
        + f * (1.0
            + f * (0.5 + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f / 5040.0))))));
    // k is an integer in [-52, 0] for the inputs taken here (the clamp only keeps the
    // exponent field 1023 + k valid for any input); the cast saturates, it cannot panic.
    let bits = (1023 + (k as i64).clamp(-1022, 1023)) as u64;
    p * f64::from_bits(bits << 52)
}

/// The stable target at `x` with variance `v = sigma^2 t > 0`: `-(x - m) / v` with `m` the
/// mean of `{x0} + reference` weighted by `exp(-|x - r|^2 / (2 v))`. Two passes: the
/// smallest distance first, so the weights are taken relative to the largest (none
/// overflows, the sum is `>= 1`); log-weights below `-STABLE_TARGET_CUTOFF` count as
/// `-STABLE_TARGET_CUTOFF` (no branch in the loop; such a weight is below the rounding of the
/// largest).
fn stable_target<const D: usize>(x: &[f64; D], x0: &[f64; D], reference: &[[f64; D]], v: f64) -> [f64; D] {
    let dist2 = |r: &[f64; D]| -> f64 { x.iter().zip(r).map(|(a, b)| (a - b) * (a - b)).sum() };
    let nearest = reference.iter().map(dist2).fold(dist2(x0), f64::min);
    let scale = -0.5 / v;
    let weight = |r: &[f64; D]| exp_weight(((dist2(r) - nearest) * scale).max(-STABLE_TARGET_CUTOFF));
    // Two interleaved sums (even and odd references): independent chains for the pipeline.
    let mut sum_w = [weight(x0), 0.0];
    let mut diff = [x.map(|_| 0.0); 2];
    for ((d, a), b) in diff[0].iter_mut().zip(x).zip(x0) {
        *d = sum_w[0] * (a - b);
    }
    let mut pairs = reference.chunks_exact(2);
    for pair in &mut pairs {
        for ((r, s), df) in pair.iter().zip(sum_w.iter_mut()).zip(diff.iter_mut()) {
            let w = weight(r);
            *s += w;
            for ((d, a), b) in df.iter_mut().zip(x).zip(r) {
                *d += w * (a - b);
            }
        }
    }
    for r in pairs.remainder() {
        let w = weight(r);
        sum_w[0] += w;
        for ((d, a), b) in diff[0].iter_mut().zip(x).zip(r) {
            *d += w * (a - b);
        }
    }
    let total = sum_w[0] + sum_w[1];
    let mut y = [0.0; D];
    for ((yd, a), b) in y.iter_mut().zip(&diff[0]).zip(&diff[1]) {
        *yd = -(a + b) / (total * v);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learned::Preconditioning;
    use rand_xoshiro::rand_core::SeedableRng;

    #[test]
    fn invalid_configurations_are_refused() {
        let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.0], data_std: [1.0] };
        let m = ScoreMlp::<f32, 1, 4, 0>::new_random(pc, &mut crate::DefaultRng::seed_from_u64(1)).unwrap();
        let bad = |c: TrainConfig| Trainer::new(m, c).unwrap_err();
        let d = TrainConfig::default();
        assert!(matches!(bad(TrainConfig { t_min: 1.0, ..d }), TrainError::Times(TimeError::InvalidRange { .. })));
        assert!(matches!(bad(TrainConfig { t_max: f64::INFINITY, ..d }), TrainError::Times(_)));
        let geo = TimeSampling::Geometric { offset: 0.0 };
        assert!(matches!(
            bad(TrainConfig { time_sampling: geo, ..d }),
            TrainError::Times(TimeError::GeometricOffset { .. })
        ));
        assert_eq!(bad(TrainConfig { batch: 0, ..d }), TrainError::EmptyBatch);
        assert!(matches!(bad(TrainConfig { lr: f64::NAN, ..d }), TrainError::LearningRate { .. }));
        let mut t = Trainer::new(m, d).unwrap();
        assert!(t.set_lr(-1.0).is_err() && t.config().lr == DEFAULT_LR);
    }

    /// Denoising score matching on draws from a bimodal mixture learns the mixture's exact
    /// score (an independent closed form): the mean squared error over fresh `(t, x)` falls
    /// far below that of the untrained model (the Gaussian skip term).
    #[test]
    fn denoising_learns_the_exact_score() {
        use crate::mixture::Component;
        let c = |m: f64| Component { weight: 0.5, mean: [m], std: [0.3] };
        let gm = GaussianMixture::<1, 2>::new(1.0, &[c(-1.5), c(1.5)]).unwrap();
        let mut rng = crate::DefaultRng::seed_from_u64(7);
        let pc = crate::learned::Preconditioning::from_mixture(&gm);
        let model = ScoreMlp::<f32, 1, 16, 1>::new_random(pc, &mut rng).unwrap();
        let cfg = TrainConfig { batch: 64, t_min: 0.05, t_max: 1.0, ..TrainConfig::default() };
        let mut tr = Trainer::new(model, cfg).unwrap();
        let mse = |m: &ScoreMlp<f32, 1, 16, 1>| {
            let mut r = crate::DefaultRng::seed_from_u64(99);
            let mut acc = 0.0;
            for _ in 0..2000 {
                let d = draw(&gm, 0.05, 1.0, &mut r);
                let (s, _) = exact_score::<f64, 1, 2>(&gm, d.t, &d.x).unwrap();
                let (p, _) = m.score(d.t, &[d.x[0] as f32]);
                acc += (p[0] as f64 - s[0]).powi(2);
            }
            acc / 2000.0
        };
        let before = mse(&tr.model);
        let start = tr.clone();
        for step in 0..1500u32 {
            tr.set_lr(if step < 1000 { 3e-3 } else { 1e-3 }).unwrap();
            let l = tr.step_denoising(&gm, &mut rng);
            assert!(l.is_finite());
        }
        let after = mse(&tr.model);
        assert!(after < 0.1 * before, "mse before {before}, after {after}");
        // The same with the stable target (a reference of 32 draws per step).
        let mut tr = start;
        let mut reference = [[0.0; 1]; 32];
        for step in 0..1500u32 {
            tr.set_lr(if step < 1000 { 3e-3 } else { 1e-3 }).unwrap();
            let l = tr.step_stable_target(&gm, &mut reference, 0.0, &mut rng);
            assert!(l.is_finite());
        }
        let stable = mse(&tr.model);
        assert!(stable < 0.1 * before, "stable target: mse before {before}, after {stable}");
    }

    /// `exp_weight` against `libm::exp` over its whole range (and a little beyond).
    #[test]
    fn exp_weight_is_within_its_bound() {
        let n = 200_000;
        let mut worst = 0.0f64;
        for i in 0..=n {
            let x = -(STABLE_TARGET_CUTOFF + 1.0) * f64::from(i) / f64::from(n);
            let r = libm::exp(x);
            worst = worst.max(((exp_weight(x) - r) / r).abs());
        }
        assert!(worst < 2e-8, "largest relative error {worst:e}");
    }

    /// The stable target is the exact score (Eq. 57, the mixture code) of the equal-weight
    /// mixture of narrow Gaussians at `{x0} + reference`, at small and large `t`, near the
    /// points and far from them; with an empty reference it is the denoising target.
    #[test]
    fn stable_target_is_the_score_of_the_smoothed_reference() {
        use crate::mixture::Component;
        let pts = [[-1.0, 0.5], [0.3, 0.2], [2.0, -1.0], [0.0, 0.0], [0.3, 0.25]];
        let comps = pts.map(|m| Component { weight: 0.2, mean: m, std: [1e-6; 2] });
        let sigma = 1.5;
        let gm = GaussianMixture::<2, 5>::new(sigma, &comps).unwrap();
        for t in [1e-3, 0.01, 0.3, 2.0, 40.0] {
            let v = sigma * sigma * t;
            for x in [[0.1, 0.1], [-3.0, 4.0], [1.0, -0.5], [0.3, 0.22]] {
                let y = stable_target(&x, &pts[0], &pts[1..], v);
                let (s, _) = exact_score::<f64, 2, 5>(&gm, t, &x).unwrap();
                for (a, b) in y.iter().zip(&s) {
                    assert!((a - b).abs() <= 1e-8 * b.abs().max(1.0 / v), "t {t} x {x:?}: {y:?} against {s:?}");
                }
                let alone = stable_target(&x, &pts[0], &[], v);
                assert_eq!(alone, [0, 1].map(|d| -(x[d] - pts[0][d]) / v));
            }
        }
    }

    #[test]
    fn drawn_times_stay_in_range() {
        for s in [TimeSampling::Uniform, TimeSampling::Geometric { offset: 0.05 }] {
            let tt = TrainingTimes::new(0.25, 16.0, s).unwrap();
            for u in [0.0, 0.3, 0.999_999_999, 1.0, 7.0, -1.0, f64::NAN] {
                let t = tt.time(u).get();
                assert!((0.25..=16.0).contains(&t), "{s:?} {u} -> {t}");
            }
        }
    }
}
