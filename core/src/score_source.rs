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
