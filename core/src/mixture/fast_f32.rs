//! The `f32` fast score kernel: the whole evaluation in `f32`, for points near the mixture.
//!
//! Per component and dimension it computes `d = (x - mu_hi) - mu_lo` (the mean is stored
//! as two `f32`, so `d` is exact wherever `x` is within a factor 2 of `mu`, which is where
//! it matters), `z = d / (2 v)` and `a_j = l_j - sum_d d z`, with `l_j` the component's
//! log-normaliser relative to the largest one (so `l_j <= 0`). With `m = max_j a_j`,
//! the score is `-2 sum_j e^(a_j - m) z_j / sum_j e^(a_j - m)` ([`exp_f32`], 2 ulp).
//!
//! The rounding error of `a_j` is a few `u (|l_j| + q_j)`, `q_j` the squared Mahalanobis
//! distance; it matters only for components that carry responsibility, and those have
//! `|l_j| + q_j / 2 <= -m + 18` or so. The kernel therefore answers only when
//! `m >= -`[`MAX_LOG_LIKELIHOOD_DROP`]: measured on the accuracy report's points, the score
//! then meets the same `C` as the general evaluation (README). Elsewhere it returns `None`.

use super::fast::{ExactParams, FastScore};
use crate::poly_math::exp_f32;

/// The kernel answers when the largest relative log-likelihood `m` is at least minus this.
pub const MAX_LOG_LIKELIHOOD_DROP: f32 = 6.0;

/// One component's constants.
#[derive(Clone, Copy, Debug)]
struct Row<const D: usize> {
    mean_hi: [f32; D],
    /// `mu - mean_hi`, rounded.
    mean_lo: [f32; D],
    /// `1 / (2 v)`.
    half_inv_var: [f32; D],
    /// `log_norm_j - max_k log_norm_k`.
    log_norm: f32,
}

/// The `f32` fast kernel (module documentation).
#[derive(Clone, Copy, Debug)]
pub struct FastScoreF32<const D: usize, const K: usize> {
    /// Components in use; 0 disables the kernel.
    len: usize,
    rows: [Row<D>; K],
}

impl<const D: usize, const K: usize> FastScore<f32, D, K> for FastScoreF32<D, K> {
    fn build(p: &ExactParams<D, K>) -> Self {
        let mut rows = [Row { mean_hi: [0.0; D], mean_lo: [0.0; D], half_inv_var: [0.0; D], log_norm: 0.0 }; K];
        let len = p.len.min(K);
        let top = p.log_norm.iter().take(len).fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let mut ok = len > 0;
        let src = p.log_norm.iter().zip(p.mean.iter().zip(p.var.iter()));
        for (row, (&ln, (mean, var))) in rows.iter_mut().zip(src).take(len) {
            row.log_norm = (ln - top) as f32;
            ok &= row.log_norm.is_finite();
            let dims = row.mean_hi.iter_mut().zip(row.mean_lo.iter_mut().zip(row.half_inv_var.iter_mut()));
            for ((hi, (lo, hiv)), (&mu, &v)) in dims.zip(mean.iter().zip(var.iter())) {
                *hi = mu as f32;
                *lo = (mu - *hi as f64) as f32;
                *hiv = (0.5 / v) as f32;
                ok &= hi.is_finite() && hiv.is_finite() && *hiv > 0.0;
            }
        }
        FastScoreF32 { len: if ok { len } else { 0 }, rows }
    }

    #[inline]
    fn score(&self, x: &[f32; D]) -> Option<[f32; D]> {
        let mut a = [0.0f32; K];
        let mut z = [[0.0f32; D]; K];
        let mut m = f32::NEG_INFINITY;
        for (row, (aj, zj)) in self.rows.iter().zip(a.iter_mut().zip(z.iter_mut())).take(self.len) {
            let mut q_half = 0.0f32;
            let dims = row.mean_hi.iter().zip(row.mean_lo.iter().zip(row.half_inv_var.iter()));
            for ((&xd, zd), (&hi, (&lo, &hiv))) in x.iter().zip(zj.iter_mut()).zip(dims) {
                let d = (xd - hi) - lo;
                let zz = d * hiv;
                q_half += d * zz;
                *zd = zz;
            }
            *aj = row.log_norm - q_half;
            if *aj > m {
                m = *aj;
            }
        }
        // `m` is never NaN: a NaN `a_j` fails `a_j > m`.
        if m < -MAX_LOG_LIKELIHOOD_DROP {
            return None;
        }
        let mut sum = 0.0f32;
        let mut acc = [0.0f32; D];
        for (&aj, zj) in a.iter().zip(z.iter()).take(self.len) {
            let e = exp_f32(aj - m);
            sum += e;
            for (ad, &zd) in acc.iter_mut().zip(zj.iter()) {
                *ad += e * zd;
            }
        }
        let r = -2.0 / sum;
        let s = acc.map(|v| v * r);
        if s.iter().all(|v| v.is_finite()) {
            Some(s)
        } else {
            None
        }
    }
}
