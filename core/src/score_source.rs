//! Anything that gives a score `s(x, t)`: the exact mixture, or a learned model.
//!
//! Samplers and loss estimators take a [`ScoreSource`], so the same code runs on the exact
//! mixture score and on `s_theta`.
//!
//! # Examples
//! ```
//! use tinyscore::mixture::{Component, GaussianMixture};
//! use tinyscore::score_source::{MixtureScore, ScoreSource};
//! let gm = GaussianMixture::<1, 1>::new(1.0, &[Component { weight: 1.0, mean: [1.0], std: [0.5] }]).unwrap();
//! let mut score = MixtureScore::<f32, 1, 1>::new(&gm);
//! // p(., t) = N(1, 0.25 + t): the score at x is (1 - x) / (0.25 + t).
//! let (s, status) = score.score_at(0.75, &[3.0]);
//! assert!(status.is_ok());
//! assert!((s[0] + 2.0).abs() < 1e-6);
//! ```

use crate::mixture::{GaussianMixture, MixtureScalar, PreparedMixture};
use crate::{Scalar, Status};

/// A score function `s(x, t)` in the scalar type `S`, `D` dimensions.
pub trait ScoreSource<S: Scalar, const D: usize> {
    /// The score at `(x, t)` (gradient of the log-density in `x`, in inverse units of
    /// `x`), `t >= 0` finite; [`Status::Saturated`] if a value left the range of `S` (or
    /// `t` is invalid, in which case the score is 0).
    fn score_at(&mut self, t: f64, x: &[S; D]) -> ([S; D], Status);
}

/// The exact score of a mixture, re-prepared only when `t` changes (the accuracy of
/// [`PreparedMixture::score`]).
///
/// # Examples
/// ```
/// use tinyscore::mixture::{Component, GaussianMixture};
/// use tinyscore::score_source::{MixtureScore, ScoreSource};
/// let gm = GaussianMixture::<1, 1>::new(1.0, &[Component { weight: 1.0, mean: [0.0], std: [1.0] }]).unwrap();
/// let mut score = MixtureScore::new(&gm);
/// let (s, _) = score.score_at(1.0, &[fixed::types::I16F16::from_num(2)]);
/// assert_eq!(s[0], -1); // -x / (1 + t)
/// ```
#[derive(Clone, Debug)]
pub struct MixtureScore<'a, S: MixtureScalar, const D: usize, const K: usize> {
    mixture: &'a GaussianMixture<D, K>,
    cache: Option<(f64, PreparedMixture<S, D, K>)>,
}

impl<'a, S: MixtureScalar, const D: usize, const K: usize> MixtureScore<'a, S, D, K> {
    /// Wrap a mixture.
    pub fn new(mixture: &'a GaussianMixture<D, K>) -> Self {
        MixtureScore { mixture, cache: None }
    }

    /// The mixture prepared at `t` (cached while `t` stays the same); `None` if `t` is
    /// negative or not finite.
    pub fn prepared(&mut self, t: f64) -> Option<&PreparedMixture<S, D, K>> {
        let stale = !matches!(&self.cache, Some((ct, _)) if *ct == t);
        if stale {
            let p = self.mixture.prepare::<S>(t).ok()?;
            self.cache = Some((t, p));
        }
        self.cache.as_ref().map(|(_, p)| p)
    }
}

impl<S: MixtureScalar, const D: usize, const K: usize> ScoreSource<S, D> for MixtureScore<'_, S, D, K> {
    fn score_at(&mut self, t: f64, x: &[S; D]) -> ([S; D], Status) {
        match self.prepared(t) {
            Some(p) => p.score(x),
            None => ([S::default(); D], Status::Saturated),
        }
    }
}

/// A score whose dependence on `t` can be computed once and reused for many `x`: the
/// learned models ([`ScoreMlp`](crate::learned::ScoreMlp): the preconditioning and time
/// features, [`QuantMlp`](crate::learned::quant::QuantMlp): the same and the first layer's
/// time-folded bias). [`ModelScore`] makes it a [`ScoreSource`] that prepares each `t` once.
pub trait TimePrepared<S: Scalar, const D: usize> {
    /// Everything that depends on `t` only.
    type AtTime;
    /// The constants of `t`; `None` if `t` is negative or not finite.
    fn prepare_time(&self, t: f64) -> Option<Self::AtTime>;
    /// The score at `x` with the constants of `t` (the same bits as the uncached score).
    fn score_at_time(&self, at: &Self::AtTime, x: &[S; D]) -> ([S; D], Status);
}

/// A learned model as a [`ScoreSource`] whose constants of `t` are prepared only when `t`
/// changes: a sampler visits all the samples of a block at one `t`, so a block of `n`
/// samples pays the per-`t` cost (square root, logarithm and divisions in `f64`, costly on
/// a microcontroller without a double-precision FPU) once instead of `n` times. Same
/// results, bit for bit, as the model's own `score`.
///
/// # Examples
/// ```
/// use rand_core::SeedableRng;
/// use tinyscore::learned::{Preconditioning, ScoreMlp};
/// use tinyscore::score_source::{ModelScore, ScoreSource};
/// let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.0], data_std: [1.0] };
/// let mut rng = tinyscore::DefaultRng::seed_from_u64(1);
/// let model = ScoreMlp::<f32, 1, 8, 1>::new_random(pc, &mut rng)?;
/// let mut source = ModelScore::new(&model);
/// let (s, status) = source.score_at(0.5, &[1.0f32]);
/// assert!(status.is_ok());
/// assert_eq!(s, model.score(0.5, &[1.0f32]).0);
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct ModelScore<'a, M: TimePrepared<S, D>, S: Scalar, const D: usize> {
    model: &'a M,
    cache: Option<(f64, M::AtTime)>,
}

impl<'a, M: TimePrepared<S, D>, S: Scalar, const D: usize> ModelScore<'a, M, S, D> {
    /// Wrap a model.
    pub fn new(model: &'a M) -> Self {
        ModelScore { model, cache: None }
    }
}

impl<M: TimePrepared<S, D>, S: Scalar, const D: usize> ScoreSource<S, D> for ModelScore<'_, M, S, D> {
    fn score_at(&mut self, t: f64, x: &[S; D]) -> ([S; D], Status) {
        let stale = !matches!(&self.cache, Some((ct, _)) if *ct == t);
        if stale {
            self.cache = self.model.prepare_time(t).map(|at| (t, at));
        }
        match &self.cache {
            Some((_, at)) => self.model.score_at_time(at, x),
            None => ([S::default(); D], Status::Saturated),
        }
    }
}
