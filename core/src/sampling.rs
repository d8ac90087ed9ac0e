//! Exact sampling from the diffused mixture `p(., t)`.
//!
//! Draws are made in `f64` from any [`rand_core::RngCore`]: pick component `j` with
//! probability `w_j` (one uniform), then `x = mu_j + sqrt(v_j(t)) z` with `z` standard normal
//! (`rand_distr::StandardNormal`, a ziggurat). On 32-bit targets use
//! [`crate::DefaultRng`] (`Xoshiro128PlusPlus`).

use rand_core::RngCore;
use rand_distr::{Distribution, StandardNormal};

use crate::mixture::{GaussianMixture, MixtureError};

/// A uniform `f64` in `[0, 1)` with 53 random bits (one `next_u64`).
///
/// # Examples
/// ```
/// use rand_core::SeedableRng;
/// let u = tinyscore::sampling::uniform_f64(&mut tinyscore::DefaultRng::seed_from_u64(1));
/// assert!((0.0..1.0).contains(&u));
/// ```
pub fn uniform_f64<R: RngCore + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// A standard normal `f64` (`rand_distr`'s ziggurat, exact to `f64` precision).
///
/// # Examples
/// ```
/// use rand_core::SeedableRng;
/// let mut rng = tinyscore::DefaultRng::seed_from_u64(1);
/// let mean = (0..1000).map(|_| tinyscore::sampling::standard_normal(&mut rng)).sum::<f64>() / 1000.0;
/// assert!(mean.abs() < 0.2); // 6 standard errors
/// ```
pub fn standard_normal<R: RngCore + ?Sized>(rng: &mut R) -> f64 {
    let mut r = RngRef(rng);
    StandardNormal.sample(&mut r)
}

/// Adapter so that `?Sized` generators can be used with `rand_distr`.
struct RngRef<'a, R: RngCore + ?Sized>(&'a mut R);

impl<R: RngCore + ?Sized> RngCore for RngRef<'_, R> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst)
    }
}

impl<const D: usize, const K: usize> GaussianMixture<D, K> {
    /// Pick a component index with probability equal to its weight.
    pub fn pick_component<R: RngCore + ?Sized>(&self, rng: &mut R) -> usize {
        let u = uniform_f64(rng);
        let mut cum = 0.0;
        let comps = self.components();
        for (j, c) in comps.iter().enumerate() {
            cum += c.weight;
            if u < cum {
                return j;
            }
        }
        // Rounding of the cumulative sum: the last component takes the rest.
        comps.len().saturating_sub(1)
    }

    /// One exact draw from `p(., t)`, with the index of the component it came from.
    ///
    /// # Errors
    /// [`MixtureError::InvalidTime`] if `t` is negative or not finite.
    ///
    /// # Examples
    /// ```
    /// use rand_core::SeedableRng;
    /// use tinyscore::mixture::{Component, GaussianMixture};
    /// let gm = GaussianMixture::<1, 2>::new(
    ///     1.0,
    ///     &[
    ///         Component { weight: 0.5, mean: [-3.0], std: [0.1] },
    ///         Component { weight: 0.5, mean: [3.0], std: [0.1] },
    ///     ],
    /// )
    /// .unwrap();
    /// let mut rng = tinyscore::DefaultRng::seed_from_u64(5);
    /// let (x, j) = gm.sample(0.0, &mut rng).unwrap();
    /// assert!((x[0] - [-3.0, 3.0][j]).abs() < 1.0);
    /// assert!(gm.sample(-1.0, &mut rng).is_err());
    /// ```
    pub fn sample<R: RngCore + ?Sized>(&self, t: f64, rng: &mut R) -> Result<([f64; D], usize), MixtureError> {
        Self::check_time(t)?;
        let j = self.pick_component(rng);
        let mut x = [0.0; D];
        if let Some(c) = self.components().get(j) {
            for (xd, (mu, v)) in x.iter_mut().zip(c.mean.iter().zip(self.variances(c, t))) {
                *xd = mu + libm::sqrt(v) * standard_normal(rng);
            }
        }
        Ok((x, j))
    }
}
