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

use rand_core::RngCore;

use crate::mixture::{GaussianMixture, MixtureError};
use crate::sampling::standard_normal;

/// A `D`-dimensional Gaussian `N(mean, L L^T)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StartGaussian<const D: usize> {
    mean: [f64; D],
    /// Lower-triangular Cholesky factor, row-major.
    chol: [[f64; D]; D],
}

fn at<const D: usize>(m: &[[f64; D]; D], i: usize, j: usize) -> f64 {
    m.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0.0)
}

fn set<const D: usize>(m: &mut [[f64; D]; D], i: usize, j: usize, v: f64) {
    if let Some(e) = m.get_mut(i).and_then(|r| r.get_mut(j)) {
        *e = v;
    }
}

impl<const D: usize> StartGaussian<D> {
    /// The Gaussian with the given mean and covariance; `None` if the covariance is not
    /// symmetric positive definite (or not finite).
    pub fn new(mean: [f64; D], cov: [[f64; D]; D]) -> Option<Self> {
        let mut l = [[0.0; D]; D];
        for i in 0..D {
            for j in 0..=i {
                let mut s = at(&cov, i, j);
                if (s - at(&cov, j, i)).abs() > 1e-12 * s.abs().max(1.0) {
                    return None;
                }
                for k in 0..j {
                    s -= at(&l, i, k) * at(&l, j, k);
                }
                if i == j {
                    if !(s.is_finite() && s > 0.0) {
                        return None;
                    }
                    set(&mut l, i, i, libm::sqrt(s));
                } else {
                    let d = at(&l, j, j);
                    if d.is_nan() || d <= 0.0 {
                        return None;
                    }
                    set(&mut l, i, j, s / d);
                }
            }
        }
        if mean.iter().any(|m| !m.is_finite()) {
            return None;
        }
        Some(StartGaussian { mean, chol: l })
    }

    /// The Gaussian matching the mean and covariance of `p(., t)` (module documentation).
    pub fn from_mixture<const K: usize>(gm: &GaussianMixture<D, K>, t: f64) -> Result<Self, MixtureError> {
        GaussianMixture::<D, K>::check_time(t)?;
        let mean = gm.mean();
        let mut cov = [[0.0; D]; D];
        for c in gm.components() {
            for i in 0..D {
                let di = c.mean.get(i).copied().unwrap_or(0.0) - mean.get(i).copied().unwrap_or(0.0);
                for j in 0..D {
                    let dj = c.mean.get(j).copied().unwrap_or(0.0) - mean.get(j).copied().unwrap_or(0.0);
                    let mut v = di * dj;
                    if i == j {
                        v += gm.variances(c, t).get(i).copied().unwrap_or(0.0);
                    }
                    let old = at(&cov, i, j);
                    set(&mut cov, i, j, old + c.weight * v);
                }
            }
        }
        // A validated mixture has std > 0 in every dimension: Sigma is positive definite.
        Self::new(mean, cov).ok_or(MixtureError::InvalidTime { t })
    }

    /// The mean.
    pub fn mean(&self) -> [f64; D] {
        self.mean
    }

    /// The covariance `L L^T`.
    pub fn covariance(&self) -> [[f64; D]; D] {
        let mut c = [[0.0; D]; D];
        for i in 0..D {
            for j in 0..D {
                let s: f64 = (0..D).map(|k| at(&self.chol, i, k) * at(&self.chol, j, k)).sum();
                set(&mut c, i, j, s);
            }
        }
        c
    }

    /// One draw `m + L z`.
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
        assert!(StartGaussian::new([0.0; 2], [[1.0, 2.0], [2.0, 1.0]]).is_none());
    }
}
