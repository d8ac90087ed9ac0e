//! Standard normal noise in any working type.
//!
//! Method (all scalar types): a standard normal `f64` from `rand_distr::StandardNormal`
//! (the ziggurat of Marsaglia and Tsang as implemented by `rand_distr`, exact to `f64`
//! precision including the tails), then rounded once to nearest in the working type:
//! `f32` for `f32`, `f64` for `f64`, and Q32.32 ([`SatI32F32`](crate::num::SatI32F32),
//! resolution 2^-32 = 2.3e-10) for `I16F16` and `I8F24`. The fixed-point noise is therefore
//! the ziggurat's normal quantised at 2^-32: its mean is exact and its variance differs
//! from 1 by less than 1e-19. On a microcontroller without an FPU the ziggurat runs in
//! soft-float `f64`; that is slower than a fixed-point generator but has no approximation
//! error to document beyond the final rounding.

use rand_core::RngCore;

use crate::sampling::standard_normal;
use crate::Real;

/// A standard normal draw rounded to the working type `W` (see the module documentation).
///
/// # Examples
/// ```
/// use fixed::types::I16F16;
/// use rand_core::SeedableRng;
/// use tinyscore::noise::normal;
/// use tinyscore::Scalar;
/// let mut rng = tinyscore::DefaultRng::seed_from_u64(1);
/// let z: f32 = normal(&mut rng);
/// assert!(z.abs() < 10.0);
/// // Q32.32, the working type of I16F16:
/// let _q: <I16F16 as Scalar>::Work = normal(&mut rng);
/// ```
#[inline]
pub fn normal<W: Real, R: RngCore + ?Sized>(rng: &mut R) -> W {
    W::from_f64_saturating(standard_normal(rng)).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::SatI32F32;
    use rand_core::SeedableRng;

    fn moments<W: Real>(n: usize) -> (f64, f64, f64) {
        let mut rng = crate::DefaultRng::seed_from_u64(7);
        let (mut s1, mut s2, mut s4) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let z = normal::<W, _>(&mut rng).to_f64_lossy();
            s1 += z;
            s2 += z * z;
            s4 += z * z * z * z;
        }
        let n = n as f64;
        (s1 / n, s2 / n, s4 / n)
    }

    #[test]
    fn moments_match_the_standard_normal() {
        let n = 200_000;
        for (m, v, k) in [moments::<f32>(n), moments::<f64>(n), moments::<SatI32F32>(n)] {
            // Standard errors: mean 1/sqrt(n) = 0.0022, variance sqrt(2/n) = 0.0032,
            // fourth moment sqrt(96/n) = 0.022; allow 5 of them.
            assert!(m.abs() < 0.011, "mean {m}");
            assert!((v - 1.0).abs() < 0.016, "variance {v}");
            assert!((k - 3.0).abs() < 0.11, "fourth moment {k}");
        }
    }
}
