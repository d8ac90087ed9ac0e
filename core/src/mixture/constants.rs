//! The exact (`f64`) per-`t` constants of a mixture: the one place they are derived.

use super::{GaussianMixture, MixtureError};
use crate::num::{ScaledDoubleF64, LN_2PI};

/// Above this a variance's reciprocal is no longer a normal `f64`.
const MAX_ORDINARY_VARIANCE: f64 = 8.988_465_674_311_579e307; // 2^1023 / 2

// Whether `std^2 + sigma^2 t` is formed in `f64` to full relative precision (a normal
// number whose reciprocal is normal too); where it overflows, underflows or `sigma^2` lost
// its precision, the parameters are extreme and the evaluation works in `ScaledDoubleF64`.
// The check costs a few comparisons per component: `sigma2_exact` once per `t`, `ordinary`
// on the variance already formed.

/// `sigma^2 t` is formed to full relative precision (or is exactly 0).
#[inline]
fn sigma2_exact(sigma: f64, t: f64) -> bool {
    let g2 = sigma * sigma;
    t == 0.0 || sigma == 0.0 || (g2.is_finite() && g2 >= f64::MIN_POSITIVE)
}

/// A variance `v` formed in `f64` is ordinary: normal, with a normal reciprocal, and
/// `sigma^2` was exact.
#[inline]
fn ordinary(v: f64, sigma2_exact: bool) -> bool {
    sigma2_exact && v.is_finite() && (f64::MIN_POSITIVE..=MAX_ORDINARY_VARIANCE).contains(&v)
}

/// `std^2 + sigma^2 t` for any finite parameters, to about 2^-104 relative.
pub(crate) fn scaled_variance(std: f64, sigma: f64, t: f64) -> ScaledDoubleF64 {
    let s = ScaledDoubleF64::from_f64(std);
    let g = ScaledDoubleF64::from_f64(sigma);
    s * s + g * g * ScaledDoubleF64::from_f64(t)
}

/// A mixture's constants at one time `t`, exact (`f64`): what [`GaussianMixture::prepare`]
/// rounds to the working type, what the fast kernels ([`super::fast`]) derive their tables
/// from, and what the `f32` batch kernel ([`super::batch`]) evaluates with. Rows past `len`
/// are zero.
///
/// # Examples
/// ```
/// use tinyscore::mixture::{Component, GaussianMixture};
/// let gm = GaussianMixture::<1, 2>::new(1.0, &[Component { weight: 1.0, mean: [0.5], std: [0.6] }])?;
/// let c = gm.time_constants(0.64)?;
/// assert_eq!(c.len, 1);
/// assert_eq!(c.var[0][0], 0.6 * 0.6 + 0.64); // std^2 + sigma^2 t
/// # Ok::<(), tinyscore::mixture::MixtureError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TimeConstants<const D: usize, const K: usize> {
    /// Number of components; the fast kernels are given 0 when the general evaluation must
    /// answer everywhere (a constant did not fit the scalar type): they are then disabled.
    pub len: usize,
    /// `log_norm_j = ln w_j - 1/2 sum_d (ln 2pi + ln v_jd)`: finite for every valid mixture
    /// and time (formed from the exact `v_jd` where `var` overflows or underflows).
    pub log_norm: [f64; K],
    /// `mu_jd`.
    pub mean: [[f64; D]; K],
    /// `v_jd = std_jd^2 + sigma^2 t` in `f64`: `inf`, 0 or inexact for extreme parameters
    /// (beyond about 1e154 or below 1e-154).
    pub var: [[f64; D]; K],
    /// Some variance is not ordinary (it overflows, underflows or lost precision in `f64`):
    /// the float types then evaluate every point in [`ScaledDoubleF64`].
    pub extreme: bool,
}

impl<const D: usize, const K: usize> GaussianMixture<D, K> {
    /// The exact constants of the mixture at time `t` ([`TimeConstants`]).
    ///
    /// # Errors
    /// [`MixtureError::InvalidTime`] if `t` is negative or not finite.
    pub fn time_constants(&self, t: f64) -> Result<TimeConstants<D, K>, MixtureError> {
        Self::check_time(t)?;
        let mut c =
            TimeConstants { len: 0, log_norm: [0.0; K], mean: [[0.0; D]; K], var: [[0.0; D]; K], extreme: false };
        let g2_exact = sigma2_exact(self.sigma(), t);
        let rows = c.log_norm.iter_mut().zip(c.mean.iter_mut().zip(c.var.iter_mut()));
        for (comp, (log_norm, (mean, var))) in self.components().iter().zip(rows) {
            let mut ln = libm::log(comp.weight);
            *var = self.variances(comp, t);
            for (&vd, &std) in var.iter().zip(comp.std.iter()) {
                let ln_v = if ordinary(vd, g2_exact) {
                    libm::log(vd)
                } else {
                    c.extreme = true;
                    scaled_variance(std, self.sigma(), t).ln()
                };
                ln -= 0.5 * (LN_2PI + ln_v);
            }
            *mean = comp.mean;
            *log_norm = ln;
            c.len += 1;
        }
        Ok(c)
    }
}
