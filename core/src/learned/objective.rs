//! Monte Carlo estimation of the score-matching objectives (MATH.md section 4).
//!
//! A draw: `t ~ U[t_min, t_max]`, component `j` with probability `w_j`, then
//! `x0 = mu_j + std_j eps` and `x = x0 + sigma sqrt(t) z` (`eps`, `z` standard normal), so
//! `x ~ p(., t)`. Targets:
//! * [`Target::Exact`]: the exact mixture score `s(x, t)` (Eq. 60, `J_naive`);
//! * [`Target::Denoising`]: `-(x - x0) / (sigma^2 t) = -z / (sigma sqrt t)`. Its objective
//!   `J_DSM` differs from `J_naive` by the theta-independent constant
//!   `1/2 \int lambda(t) (D / (sigma^2 t) - E_x |s(x, t)|^2) dt`; it needs `t_min > 0`
//!   and `sigma > 0` (the target is unbounded as `t -> 0`).
//!
//! The per-sample value `1/2 lambda(t) |s_theta(x, t) - target|^2` is formed in the working
//! type of the model's scalar (Q32.32 for fixed point), then summed exactly by
//! [`LossAccumulator`].

use core::fmt;

use rand_core::RngCore;

use super::accumulator::LossAccumulator;
use super::weighting::Weighting;
use crate::mixture::{GaussianMixture, MixtureError, MixtureScalar};
use crate::sampling::{standard_normal, uniform_f64};
use crate::score_source::ScoreSource;
use crate::{Real, Scalar, Status};

/// What `s_theta` is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The exact score of the mixture (`J_naive`, Eq. 60).
    Exact,
    /// The score of the noising kernel, `-(x - x0) / (sigma^2 t)` (denoising score matching).
    Denoising,
}

/// The settings of a Monte Carlo estimate; [`Default`] holds the command line's defaults
/// (`tinyscore loss`: `t` in `[0, 1]`, `lambda = 1`, exact target, 100 000 samples).
#[derive(Clone, Copy, Debug)]
pub struct McConfig {
    /// Lower end of the time range, `>= 0` (`> 0` for [`Target::Denoising`]).
    pub t_min: f64,
    /// Upper end, `> t_min`, finite.
    pub t_max: f64,
    /// Time weight.
    pub weighting: Weighting,
    /// Target.
    pub target: Target,
    /// Number of samples.
    pub samples: u64,
}

/// Default number of Monte Carlo samples (`tinyscore loss --samples`).
pub const DEFAULT_SAMPLES: u64 = 100_000;

impl Default for McConfig {
    fn default() -> Self {
        McConfig { t_min: 0.0, t_max: 1.0, weighting: Weighting::One, target: Target::Exact, samples: DEFAULT_SAMPLES }
    }
}

/// Why an estimate cannot be made.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ObjectiveError {
    /// Not `0 <= t_min < t_max < inf`.
    InvalidRange {
        /// `t_min`
        t_min: f64,
        /// `t_max`
        t_max: f64,
    },
    /// The denoising target needs `t_min > 0` and `sigma > 0`.
    DenoisingNeedsPositiveNoise,
    /// The mixture rejected a time.
    Mixture(MixtureError),
}

impl fmt::Display for ObjectiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectiveError::InvalidRange { t_min, t_max } => {
                write!(f, "t-min = {t_min}, t-max = {t_max}: need 0 <= t-min < t-max, both finite")
            }
            ObjectiveError::DenoisingNeedsPositiveNoise => {
                write!(f, "the denoising target needs t-min > 0 and sigma > 0 (it is unbounded at t = 0)")
            }
            ObjectiveError::Mixture(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for ObjectiveError {}

impl McConfig {
    /// Check the range (and, for the denoising target, `t_min > 0`, `sigma > 0`).
    ///
    /// # Errors
    /// [`ObjectiveError::InvalidRange`] unless `0 <= t_min < t_max`, both finite;
    /// [`ObjectiveError::DenoisingNeedsPositiveNoise`].
    pub fn check(&self, sigma: f64) -> Result<(), ObjectiveError> {
        let (a, b) = (self.t_min, self.t_max);
        if !(a.is_finite() && b.is_finite() && a >= 0.0 && b > a) {
            return Err(ObjectiveError::InvalidRange { t_min: a, t_max: b });
        }
        if self.target == Target::Denoising && !(a > 0.0 && sigma > 0.0) {
            return Err(ObjectiveError::DenoisingNeedsPositiveNoise);
        }
        Ok(())
    }
}

/// One draw of `(t, x)` and the denoising target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Draw<const D: usize> {
    /// Time.
    pub t: f64,
    /// `x ~ p(., t)`.
    pub x: [f64; D],
    /// `-(x - x0) / (sigma^2 t)` (infinite at `t = 0` or `sigma = 0`).
    pub denoising: [f64; D],
    /// The component `x0` came from.
    pub component: usize,
}

/// Draw `t ~ U[t_min, t_max]` and `x ~ p(., t)` through `x0 ~ p(., 0)`.
pub fn draw<const D: usize, const K: usize, R: RngCore + ?Sized>(
    gm: &GaussianMixture<D, K>,
    t_min: f64,
    t_max: f64,
    rng: &mut R,
) -> Draw<D> {
    let t = t_min + (t_max - t_min) * uniform_f64(rng);
    let j = gm.pick_component(rng);
    let noise = gm.sigma() * libm::sqrt(t);
    let mut x = [0.0; D];
    let mut den = [0.0; D];
    if let Some(c) = gm.components().get(j) {
        for (((xd, dd), &mu), &sd) in x.iter_mut().zip(den.iter_mut()).zip(c.mean.iter()).zip(c.std.iter()) {
            let x0 = mu + sd * standard_normal(rng);
            let z = standard_normal(rng);
            *xd = x0 + noise * z;
            *dd = -z / noise;
        }
    }
    Draw { t, x, denoising: den, component: j }
}

/// The exact score at `(t, x)` evaluated in the scalar type `S`, returned as `f64`.
///
/// # Errors
/// [`MixtureError::InvalidTime`] for a negative or non-finite `t`.
pub fn exact_score<S: MixtureScalar, const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    t: f64,
    x: &[f64; D],
) -> Result<([f64; D], Status), MixtureError> {
    let p = gm.prepare::<S>(t)?;
    let mut xs = [S::default(); D];
    let mut status = Status::Ok;
    for (d, &v) in xs.iter_mut().zip(x.iter()) {
        let (s, st) = S::from_f64(v);
        *d = s;
        status = status.and(st);
    }
    let (s, st) = p.score(&xs);
    Ok((s.map(|v| v.to_f64()), status.and(st)))
}

/// `1/2 lambda |score - target|^2`, formed in `S::Work` (the target rounded to it).
pub fn sample_loss<S: Scalar, const D: usize>(score: &[S; D], target: &[f64; D], lambda: f64) -> (f64, Status) {
    let mut sat = false;
    let mut sq = S::Work::ZERO;
    for (&s, &y) in score.iter().zip(target.iter()) {
        let (yw, s1) = S::Work::from_f64_saturating(y);
        let e = s.to_work() - yw;
        sq = sq + e * e;
        sat |= s1 | e.is_limit();
    }
    let (lw, s2) = S::Work::from_f64_saturating(lambda);
    let v = (sq * lw).half();
    sat |= s2 | sq.is_limit() | v.is_limit();
    (v.to_f64_lossy(), Status::from_saturated(sat))
}

impl<const B: usize> LossAccumulator<B> {
    /// Add `cfg.samples` Monte Carlo samples of `1/2 lambda |s_theta - target|^2` (the
    /// accumulator's range should be `[cfg.t_min, cfg.t_max]`). The model is evaluated in its
    /// scalar `S` at `x` rounded to `S`; the exact target is evaluated in `f64`.
    ///
    /// Returns [`Status::Saturated`] if any sample saturated (it is still counted).
    ///
    /// # Errors
    /// The configuration's ([`McConfig::check`]), before any sample is drawn.
    ///
    /// # Examples
    /// The loss of a fresh model (the Gaussian skip term) on its own mixture:
    /// ```
    /// use rand_core::SeedableRng;
    /// use tinyscore::learned::objective::McConfig;
    /// use tinyscore::learned::{LossAccumulator, Preconditioning, ScoreMlp};
    /// use tinyscore::mixture::{Component, GaussianMixture};
    /// let gm = GaussianMixture::<1, 1>::new(1.0, &[Component { weight: 1.0, mean: [0.5], std: [0.8] }])
    ///     .expect("a valid mixture");
    /// let mut rng = tinyscore::DefaultRng::seed_from_u64(1);
    /// let mut model = ScoreMlp::<f64, 1, 4, 0>::new_random(Preconditioning::from_mixture(&gm), &mut rng)?;
    /// let mut acc = LossAccumulator::<4>::new(0.0, 1.0);
    /// let status = acc.accumulate(&mut model, &gm, &McConfig { samples: 200, ..McConfig::default() }, &mut rng)?;
    /// // A single Gaussian: the skip term is its exact score, the loss is 0.
    /// assert!(status.is_ok() && acc.estimate().value.abs() < 1e-20);
    /// assert_eq!(acc.total().count(), 200);
    /// # Ok::<(), Box<dyn core::error::Error>>(())
    /// ```
    pub fn accumulate<S, M, R, const D: usize, const K: usize>(
        &mut self,
        model: &mut M,
        gm: &GaussianMixture<D, K>,
        cfg: &McConfig,
        rng: &mut R,
    ) -> Result<Status, ObjectiveError>
    where
        S: Scalar,
        M: ScoreSource<S, D> + ?Sized,
        R: RngCore + ?Sized,
    {
        cfg.check(gm.sigma())?;
        let mut status = Status::Ok;
        for _ in 0..cfg.samples {
            let d = draw(gm, cfg.t_min, cfg.t_max, rng);
            let target = match cfg.target {
                Target::Exact => {
                    let (s, st) = exact_score::<f64, D, K>(gm, d.t, &d.x).map_err(ObjectiveError::Mixture)?;
                    status = status.and(st);
                    s
                }
                Target::Denoising => d.denoising,
            };
            let mut xs = [S::default(); D];
            for (dst, &v) in xs.iter_mut().zip(d.x.iter()) {
                let (s, st) = S::from_f64(v);
                *dst = s;
                status = status.and(st);
            }
            let (score, st) = model.score_at(d.t, &xs);
            let (v, st2) = sample_loss(&score, &target, cfg.weighting.lambda(d.t, gm.sigma()));
            status = status.and(st).and(st2);
            self.add(d.t, v);
        }
        Ok(status)
    }
}
