//! The exact (`f64`) per-`t` constants of a mixture: the one place they are derived.

use super::{GaussianMixture, MixtureError};
use crate::num::LN_2PI;

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
    /// `log_norm_j = ln w_j - 1/2 sum_d (ln 2pi + ln v_jd)`.
    pub log_norm: [f64; K],
    /// `mu_jd`.
    pub mean: [[f64; D]; K],
    /// `v_jd = std_jd^2 + sigma^2 t`.
    pub var: [[f64; D]; K],
}

impl<const D: usize, const K: usize> GaussianMixture<D, K> {
    /// The exact constants of the mixture at time `t` ([`TimeConstants`]).
    ///
    /// # Errors
    /// [`MixtureError::InvalidTime`] if `t` is negative or not finite.
    pub fn time_constants(&self, t: f64) -> Result<TimeConstants<D, K>, MixtureError> {
        Self::check_time(t)?;
        let mut c = TimeConstants { len: 0, log_norm: [0.0; K], mean: [[0.0; D]; K], var: [[0.0; D]; K] };
        let rows = c.log_norm.iter_mut().zip(c.mean.iter_mut().zip(c.var.iter_mut()));
        for (comp, (log_norm, (mean, var))) in self.components().iter().zip(rows) {
            let mut ln = libm::log(comp.weight);
            *var = self.variances(comp, t);
            for &vd in var.iter() {
                ln -= 0.5 * (LN_2PI + libm::log(vd));
            }
            *mean = comp.mean;
            *log_norm = ln;
            c.len += 1;
        }
        Ok(c)
    }
}
