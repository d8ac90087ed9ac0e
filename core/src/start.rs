//! The Gaussian the reverse-time samplers start from.
//!
//! The samplers start at `t = T` from `N(m, Sigma)` where `m` and `Sigma` are the mean and
//! the full covariance of the diffused mixture `p(., T)`:
//!
//! ```text
//! m     = sum_j w_j mu_j
//! Sigma = sum_j w_j (diag(v_j(T)) + (mu_j - m)(mu_j - m)^T),   v_jd(T) = std_jd^2 + sigma^2 T
//! ```
//!
//! (the components are diagonal, but their means make `Sigma` a full matrix). When
//! `sigma^2 T` dominates the spread of the data, `p(., T)` is close to this Gaussian: the
//! two share their first two moments, and the rest of the mismatch is what the sampler's
//! contraction (SDE) or transport (ODE) carries to `t = 0`. Draws use the Cholesky factor
//! `Sigma = L L^T`: `x = m + L z`, `z` standard normal, all in `f64`.
//!
//! # Examples
//! ```
//! use rand_core::SeedableRng;
//! use tinyscore::start::StartGaussian;
//! # fn main() -> Result<(), tinyscore::start::StartError> {
//! let g = StartGaussian::new([1.0, -1.0], [[4.0, 2.0], [2.0, 2.0]])?; // L = [[2, 0], [1, 1]]
//! assert_eq!(g.covariance(), [[4.0, 2.0], [2.0, 2.0]]);
//! let x = g.draw(&mut tinyscore::DefaultRng::seed_from_u64(3));
//! assert!(x.iter().all(|v| v.is_finite()));
//! # Ok(())
//! # }
//! ```

use rand_core::RngCore;

use crate::mixture::{GaussianMixture, MixtureError};
use crate::sampling::standard_normal;

/// Why [`StartGaussian::new`] rejected a mean and covariance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StartError {
    /// A mean or a covariance entry is NaN or infinite.
    NotFinite,
    /// The covariance differs from its transpose by more than `1e-12` relative.
    NotSymmetric,
    /// The covariance is not positive definite (a Cholesky pivot is `<= 0`).
    NotPositiveDefinite,
}

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            StartError::NotFinite => "the start Gaussian's mean and covariance must be finite numbers",
            StartError::NotSymmetric => "the start Gaussian's covariance must be symmetric",
            StartError::NotPositiveDefinite => "the start Gaussian's covariance must be positive definite",
        })
    }
}

impl core::error::Error for StartError {}

/// A `D`-dimensional Gaussian `N(mean, L L^T)` (module documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StartGaussian<const D: usize> {
    mean: [f64; D],
    /// Lower-triangular Cholesky factor, row-major.
    chol: [[f64; D]; D],
}

/// `m[i][j]`. The Cholesky factorisation of [`StartGaussian::new`] passes indices
/// from the loops `i in 0..D`, `j in 0..=i`, `k in 0..j`: all `< D`, so the index is in
/// range, and the optimiser removes the check (the panic-check image links
/// `StartGaussian::from_mixture` and proves it).
#[allow(clippy::indexing_slicing)]
#[inline(always)]
fn at<const D: usize>(m: &[[f64; D]; D], i: usize, j: usize) -> f64 {
    m[i][j]
}

/// `m[i][j] = v`, with `i, j < D` (the proof of [`at`]).
#[allow(clippy::indexing_slicing)]
#[inline(always)]
fn set<const D: usize>(m: &mut [[f64; D]; D], i: usize, j: usize, v: f64) {
    m[i][j] = v;
}

impl<const D: usize> StartGaussian<D> {
    /// The Gaussian with the given mean and covariance (Cholesky factor computed once).
    ///
    /// # Errors
    /// [`StartError::NotSymmetric`] if `cov` is not symmetric (relative tolerance 1e-12),
    /// [`StartError::NotPositiveDefinite`] if it is not positive definite,
    /// [`StartError::NotFinite`] if an entry of `mean` or `cov` is NaN or infinite.
    ///
    /// # Examples
    /// ```
    /// use tinyscore::start::{StartError, StartGaussian};
    /// assert!(StartGaussian::new([0.0], [[2.0]]).is_ok());
    /// let r = StartGaussian::new([0.0; 2], [[1.0, 2.0], [2.0, 1.0]]);
    /// assert_eq!(r, Err(StartError::NotPositiveDefinite));
    /// ```
    pub fn new(mean: [f64; D], cov: [[f64; D]; D]) -> Result<Self, StartError> {
        let mut l = [[0.0; D]; D];
        for i in 0..D {
            for j in 0..=i {
                let mut s = at(&cov, i, j);
                if (s - at(&cov, j, i)).abs() > 1e-12 * s.abs().max(1.0) {
                    return Err(StartError::NotSymmetric);
                }
                for k in 0..j {
                    s -= at(&l, i, k) * at(&l, j, k);
                }
                if i == j {
                    if !s.is_finite() {
                        return Err(StartError::NotFinite);
                    }
                    if s <= 0.0 {
                        return Err(StartError::NotPositiveDefinite);
                    }
                    set(&mut l, i, i, libm::sqrt(s));
                } else {
                    let d = at(&l, j, j);
                    if d.is_nan() || d <= 0.0 {
                        return Err(StartError::NotPositiveDefinite);
                    }
                    set(&mut l, i, j, s / d);
                }
            }
        }
        if mean.iter().any(|m| !m.is_finite()) {
            return Err(StartError::NotFinite);
        }
        Ok(StartGaussian { mean, chol: l })
    }

    /// The Gaussian matching the mean and covariance of `p(., t)` (module documentation).
    ///
    /// # Errors
    /// [`MixtureError::InvalidTime`] if `t` is negative or not finite (a validated mixture
    /// has `std > 0` in every dimension, so its covariance is positive definite).
    ///
    /// # Examples
    /// ```
    /// use tinyscore::mixture::{Component, GaussianMixture};
    /// use tinyscore::start::StartGaussian;
    /// let gm = GaussianMixture::<1, 1>::new(2.0, &[Component { weight: 1.0, mean: [3.0], std: [1.0] }]).unwrap();
    /// let g = StartGaussian::from_mixture(&gm, 4.0).unwrap();
    /// assert_eq!((g.mean(), g.covariance()), ([3.0], [[17.0]])); // 1 + 2^2 * 4
    /// ```
    pub fn from_mixture<const K: usize>(gm: &GaussianMixture<D, K>, t: f64) -> Result<Self, MixtureError> {
        GaussianMixture::<D, K>::check_time(t)?;
        let mean = gm.mean();
        let mut cov = [[0.0; D]; D];
        for c in gm.components() {
            let mut dev = c.mean;
            for (d, m) in dev.iter_mut().zip(mean.iter()) {
                *d -= m;
            }
            for (i, (row, &di)) in cov.iter_mut().zip(dev.iter()).enumerate() {
                for (j, (e, &dj)) in row.iter_mut().zip(dev.iter()).enumerate() {
                    let mut v = di * dj;
                    if i == j {
                        v += gm.variances(c, t).get(i).copied().unwrap_or(0.0);
                    }
                    *e += c.weight * v;
                }
            }
        }
        // A validated mixture has std > 0 in every dimension: Sigma is positive definite.
        Self::new(mean, cov).map_err(|_| MixtureError::InvalidTime { t })
    }

    /// The mean.
    pub fn mean(&self) -> [f64; D] {
        self.mean
    }

    /// The covariance `L L^T`.
    pub fn covariance(&self) -> [[f64; D]; D] {
        let mut c = [[0.0; D]; D];
        for (crow, li) in c.iter_mut().zip(self.chol.iter()) {
            for (e, lj) in crow.iter_mut().zip(self.chol.iter()) {
                *e = li.iter().zip(lj.iter()).map(|(a, b)| a * b).sum();
            }
        }
        c
    }

    /// One draw `m + L z` (`D` standard normal `f64` draws from `rng`).
    pub fn draw<R: RngCore + ?Sized>(&self, rng: &mut R) -> [f64; D] {
        let mut z = [0.0; D];
        for zi in z.iter_mut() {
            *zi = standard_normal(rng);
        }
        let mut x = self.mean;
        for (xi, row) in x.iter_mut().zip(self.chol.iter()) {
            *xi += row.iter().zip(z.iter()).map(|(l, z)| l * z).sum::<f64>();
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixture::Component;

    #[test]
    fn matches_the_mixture_moments() {
        let gm = GaussianMixture::<2, 4>::new(
            0.5,
            &[
                Component { weight: 0.5, mean: [-1.0, -2.0], std: [0.3, 0.4] },
                Component { weight: 0.5, mean: [1.0, 2.0], std: [0.5, 0.2] },
            ],
        )
        .unwrap();
        let g = StartGaussian::from_mixture(&gm, 2.0).unwrap();
        assert_eq!(g.mean(), [0.0, 0.0]);
        let c = g.covariance();
        // Var x0 = 0.5 (0.09 + 0.5) + 0.5 (0.25 + 0.5) + 1 = 1.67; Cov = 2; Var x1 = 0.5 (0.16
        // + 0.5) + 0.5 (0.04 + 0.5) + 4 = 4.6.
        let want = [[1.67, 2.0], [2.0, 4.6]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((c[i][j] - want[i][j]).abs() < 1e-12, "{c:?}");
            }
        }
        assert_eq!(StartGaussian::new([0.0; 2], [[1.0, 2.0], [2.0, 1.0]]), Err(StartError::NotPositiveDefinite));
        assert_eq!(StartGaussian::new([0.0; 2], [[1.0, 0.5], [0.0, 1.0]]), Err(StartError::NotSymmetric));
        assert_eq!(StartGaussian::new([f64::NAN; 2], [[1.0, 0.0], [0.0, 1.0]]), Err(StartError::NotFinite));
        assert_eq!(StartGaussian::new([0.0; 2], [[f64::INFINITY, 0.0], [0.0, 1.0]]), Err(StartError::NotFinite));
        assert!(!StartError::NotSymmetric.to_string().is_empty());
    }
}
