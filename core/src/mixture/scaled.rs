//! The evaluation that answers where `f64` arithmetic cannot: extreme parameters (a
//! variance `std^2 + sigma^2 t` that overflows, underflows or loses precision in `f64`) and
//! extreme points (a distance, score or log-likelihood beyond the range of the wide type).
//!
//! For `f32` and `f64`, [`PreparedMixture`](super::PreparedMixture) calls it for every point
//! when the parameters are extreme, and otherwise only for a point whose ordinary evaluation
//! left the range (a non-finite intermediate or result, which is then flagged): the
//! ordinary path and its results are unchanged, and cost one comparison more per call.
//!
//! It forms every quantity of MATH.md section 2 in [`ScaledDoubleF64`] (about 104 bits,
//! unbounded exponent): `x - mu`, `v`, `z = (x - mu) / v`, `q = sum_d (x - mu) z` and
//! `a_j = log_norm_j - q / 2`, then the softmax relative to the largest `a_j` (components
//! more than 745 below it weigh 0, exactly as in `f64`). Only the results are rounded to the
//! scalar: a result beyond the type's range is clamped to `+-MAX` and flagged
//! [`Status::Saturated`], so a flag means that a true value is out of range. Its error is
//! within the bounds of the ordinary evaluation (a few `u`, with the same `C`).

use core::fmt::Debug;

use super::constants::scaled_variance;
use super::{Evaluation, GaussianMixture, TimeConstants};
use crate::num::ScaledDoubleF64;
use crate::{Scalar, Status};

/// The scaled evaluation of one scalar type (`f32`, `f64`), or none (the fixed-point types,
/// whose results saturate in their own arithmetic).
pub trait Fallback<S, const D: usize, const K: usize>: Clone + Debug {
    /// `true` if [`Fallback::evaluate`] answers.
    const AVAILABLE: bool;
    /// Keep what the scaled evaluation needs at time `t`.
    fn build(gm: &GaussianMixture<D, K>, exact: &TimeConstants<D, K>, t: f64) -> Self;
    /// Log-density (if `LOGP`) and score (if `SCORE`) at `x`; `None` if not available.
    fn evaluate<const SCORE: bool, const LOGP: bool>(&self, x: &[S; D]) -> Option<Evaluation<S, D>>;
}

/// No scaled evaluation (the fixed-point types).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFallback;

impl<S, const D: usize, const K: usize> Fallback<S, D, K> for NoFallback {
    const AVAILABLE: bool = false;
    #[inline(always)]
    fn build(_: &GaussianMixture<D, K>, _: &TimeConstants<D, K>, _: f64) -> Self {
        NoFallback
    }
    #[inline(always)]
    fn evaluate<const SCORE: bool, const LOGP: bool>(&self, _: &[S; D]) -> Option<Evaluation<S, D>> {
        None
    }
}

/// A float the scaled evaluation rounds its results to.
pub trait ClampFloat: Scalar {
    /// The nearest value, clamped to `+-MAX` (NaN, which finite inputs never give, to 0);
    /// the flag is set if it was clamped.
    fn clamp_from_f64(v: f64) -> (Self, bool);
}

impl ClampFloat for f64 {
    fn clamp_from_f64(v: f64) -> (f64, bool) {
        if v.is_nan() {
            (0.0, true)
        } else if v.is_infinite() {
            (libm::copysign(f64::MAX, v), true)
        } else {
            (v, false)
        }
    }
}

impl ClampFloat for f32 {
    fn clamp_from_f64(v: f64) -> (f32, bool) {
        let r = v as f32;
        if r.is_nan() {
            (0.0, true)
        } else if r.is_infinite() {
            (libm::copysignf(f32::MAX, r), true)
        } else {
            (r, false)
        }
    }
}

/// The parameters of the scaled evaluation at one `t` (module documentation).
#[derive(Clone, Copy, Debug)]
pub struct ScaledEvaluation<const D: usize, const K: usize> {
    len: usize,
    log_norm: [f64; K],
    mean: [[f64; D]; K],
    std: [[f64; D]; K],
    sigma: f64,
    t: f64,
}

impl<S: ClampFloat, const D: usize, const K: usize> Fallback<S, D, K> for ScaledEvaluation<D, K> {
    const AVAILABLE: bool = true;

    fn build(gm: &GaussianMixture<D, K>, exact: &TimeConstants<D, K>, t: f64) -> Self {
        let mut std = [[0.0; D]; K];
        for (row, c) in std.iter_mut().zip(gm.components()) {
            *row = c.std;
        }
        ScaledEvaluation { len: exact.len, log_norm: exact.log_norm, mean: exact.mean, std, sigma: gm.sigma(), t }
    }

    #[inline(never)]
    fn evaluate<const SCORE: bool, const LOGP: bool>(&self, x: &[S; D]) -> Option<Evaluation<S, D>> {
        let xs = x.map(|v| ScaledDoubleF64::from_f64(v.to_f64()));
        let mut a = [ScaledDoubleF64::ZERO; K];
        let mut z = [[ScaledDoubleF64::ZERO; D]; K];
        let mut m: Option<ScaledDoubleF64> = None;
        let params = self.log_norm.iter().zip(self.mean.iter().zip(self.std.iter()));
        for ((&ln, (mean, std)), (aj, zj)) in params.zip(a.iter_mut().zip(z.iter_mut())).take(self.len) {
            let mut q = ScaledDoubleF64::ZERO;
            for (((&xd, &mu), &sd), zd) in xs.iter().zip(mean.iter()).zip(std.iter()).zip(zj.iter_mut()) {
                let diff = xd - ScaledDoubleF64::from_f64(mu);
                *zd = diff / scaled_variance(sd, self.sigma, self.t);
                q = q + diff * *zd;
            }
            *aj = ScaledDoubleF64::from_f64(ln) - q.half();
            m = Some(match m {
                Some(mv) if !aj.gt(mv) => mv,
                _ => *aj,
            });
        }
        let m = m?;
        let mut sum = 0.0;
        let mut acc = [ScaledDoubleF64::ZERO; D];
        for (aj, zj) in a.iter().zip(z.iter()).take(self.len) {
            // exp(-inf) = 0: a component far below the largest weighs nothing.
            let e = libm::exp((*aj - m).to_f64());
            if e > 0.0 {
                sum += e;
                if SCORE {
                    let es = ScaledDoubleF64::from_f64(e);
                    for (ad, zd) in acc.iter_mut().zip(zj.iter()) {
                        *ad = *ad + *zd * es;
                    }
                }
            }
        }
        // A non-finite point (outside the promise) has no true value: flagged.
        let mut clamped = sum == 0.0 || !x.iter().all(|v| v.to_f64().is_finite());
        let mut score = [S::default(); D];
        if SCORE {
            let total = ScaledDoubleF64::from_f64(sum);
            for (sd, ad) in score.iter_mut().zip(acc.iter()) {
                let (v, c) = S::clamp_from_f64((-(*ad / total)).to_f64());
                *sd = v;
                clamped |= c;
            }
        }
        let mut log_density = S::default();
        if LOGP {
            let (v, c) = S::clamp_from_f64((m + ScaledDoubleF64::from_f64(libm::log(sum))).to_f64());
            log_density = v;
            clamped |= c;
        }
        Some(Evaluation { log_density, score, status: Status::from_saturated(clamped) })
    }
}
