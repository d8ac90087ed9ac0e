//! The relative Fisher divergence of a learned score,
//! `R = E_t E_x |s_theta - s|^2 / E_t E_x |s|^2` with `t ~ U[t_min, t_max]`, `x ~ p(., t)`,
//! by Monte Carlo (the same draws for numerator and denominator), overall and per time bin.
//!
//! The model is evaluated in the scalar type `S`, the exact score in `f64`. The draws depend
//! only on the seed, so every scalar type sees the same points.

use anyhow::{anyhow, Result};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::learned::objective::{draw, exact_score, sample_loss};
use tinyscore::learned::{Estimate, LossAccumulator};
use tinyscore::mixture::GaussianMixture;
use tinyscore::{Scalar, Status};

use super::model_io::Model;

/// Number of time bins in reports and plots.
pub const BINS: usize = 20;

/// One time bin of [`Fisher`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FisherBin {
    /// Start of the bin.
    pub t_lo: f64,
    /// End of the bin.
    pub t_hi: f64,
    /// Mean of `1/2 |s_theta - s|^2` in the bin.
    pub error: f64,
    /// Mean of `1/2 |s|^2` in the bin.
    pub norm: f64,
    /// Samples in the bin.
    pub samples: u64,
}

/// The measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Fisher {
    /// `R`.
    pub r: f64,
    /// Standard error of `R` (delta method on the ratio of means).
    pub r_std_error: f64,
    /// `1/2 \int E|s_theta - s|^2 dt` (J_naive with lambda = 1).
    pub error: Estimate,
    /// `1/2 \int E|s|^2 dt`.
    pub norm: Estimate,
    /// Per time bin.
    pub bins: Vec<FisherBin>,
    /// Some evaluation saturated.
    pub saturated: bool,
}

/// Measure `R` of `model` (in `S`) on `samples` fresh draws.
pub fn relative_fisher<S: Scalar, const D: usize, const K: usize>(
    model: &Model<S, D>,
    gm: &GaussianMixture<D, K>,
    t_min: f64,
    t_max: f64,
    samples: u64,
    seed: u64,
) -> Result<Fisher> {
    relative_fisher_with(|t, x: &[S; D]| model.score(t, x), gm, t_min, t_max, samples, seed)
}

/// [`relative_fisher`] of any score function in `S` (the q8 network).
pub fn relative_fisher_with<S: Scalar, const D: usize, const K: usize>(
    mut score: impl FnMut(f64, &[S; D]) -> ([S; D], Status),
    gm: &GaussianMixture<D, K>,
    t_min: f64,
    t_max: f64,
    samples: u64,
    seed: u64,
) -> Result<Fisher> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut err = LossAccumulator::<BINS>::new(t_min, t_max);
    let mut norm = LossAccumulator::<BINS>::new(t_min, t_max);
    // For the delta method: sum of products of the two per-sample values.
    let (mut sab, mut saturated) = (0.0f64, false);
    for _ in 0..samples {
        let d = draw(gm, t_min, t_max, &mut rng);
        let (s, st) = exact_score::<f64, D, K>(gm, d.t, &d.x).map_err(|e| anyhow!("{e}"))?;
        let mut xs = [S::default(); D];
        for (dst, &v) in xs.iter_mut().zip(d.x.iter()) {
            *dst = S::from_f64(v).0;
        }
        let (m, st2) = score(d.t, &xs);
        let (e, st3) = sample_loss(&m, &s, 1.0);
        let n = 0.5 * s.iter().map(|v| v * v).sum::<f64>();
        saturated |= !(st.is_ok() && st2.is_ok() && st3.is_ok());
        err.add(d.t, e);
        norm.add(d.t, n);
        sab += e * n;
    }
    let (a, b) = (err.total(), norm.total());
    let r = a.mean() / b.mean();
    let nn = samples.max(2) as f64;
    let cov = (sab - nn * a.mean() * b.mean()) / (nn - 1.0);
    let rel_var =
        a.variance() / (a.mean() * a.mean()) + b.variance() / (b.mean() * b.mean()) - 2.0 * cov / (a.mean() * b.mean());
    let r_std_error = r * (rel_var.max(0.0) / nn).sqrt();
    let bins = (0..BINS)
        .filter_map(|i| {
            let (t_lo, t_hi, me) = err.bin(i)?;
            let (_, _, mn) = norm.bin(i)?;
            Some(FisherBin { t_lo, t_hi, error: me.mean(), norm: mn.mean(), samples: me.count() })
        })
        .collect();
    Ok(Fisher { r, r_std_error, error: err.estimate(), norm: norm.estimate(), bins, saturated })
}
