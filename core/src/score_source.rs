//! Anything that gives a score `s(x, t)`: the exact mixture, or a learned model.
//!
//! Samplers and loss estimators take a [`ScoreSource`], so the same code runs on the exact
//! mixture score and on `s_theta`.

use crate::mixture::{GaussianMixture, MixtureScalar, PreparedMixture};
use crate::{Scalar, Status};

/// A score function `s(x, t)` in the scalar type `S`, `D` dimensions.
pub trait ScoreSource<S: Scalar, const D: usize> {
    /// The score at `(x, t)`, `t >= 0` finite; [`Status::Saturated`] if a value left the
    /// range of `S` (or `t` is invalid, in which case the score is 0).
    fn score_at(&mut self, t: f64, x: &[S; D]) -> ([S; D], Status);
}

/// The exact score of a mixture, re-prepared only when `t` changes.
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

    /// The mixture prepared at `t` (cached while `t` stays the same).
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
