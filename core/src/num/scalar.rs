//! [`Scalar`]: the types in which inputs and results are stored.
//!
//! A [`Scalar`] is the type of inputs and outputs (`f64`, `f32`, `I16F16`, `I8F24`).
//! Each has a [`Scalar::Work`] type, a [`Real`], in which the evaluation runs:
//!
//! | `Scalar` | `Work` | unit roundoff `u` of the scalar |
//! |---|---|---|
//! | `f64` | `f64` | 2^-53 |
//! | `f32` | `f32` | 2^-24 |
//! | `I16F16` | [`SatI32F32`] | 2^-16 (half an LSB is 2^-17; we quote 1 LSB) |
//! | `I8F24` | [`SatI32F32`] | 2^-24 |
//!
//! Fixed-point types work in a saturating Q32.32 (`i64`) so that the quadratic form and
//! the softmax keep 8 to 16 more fraction bits than the output type; the result is rounded
//! to nearest once at the end.

use core::fmt::Debug;

use fixed::types::{I16F16, I8F24};

use super::SatI32F32;
use crate::{Real, Status};

/// A type in which inputs and results are stored.
///
/// # Examples
/// ```
/// use fixed::types::I16F16;
/// use tinyscore::{Scalar, Status};
/// let (x, status) = I16F16::from_f64(1.25);
/// assert_eq!((x.to_f64(), status), (1.25, Status::Ok));
/// // Out of range: the nearest end of the range, flagged.
/// assert_eq!(I16F16::from_f64(40000.0), (I16F16::MAX, Status::Saturated));
/// assert_eq!(f32::NAME, "f32");
/// ```
pub trait Scalar: Copy + Debug + Default + PartialOrd + Send + Sync + 'static {
    /// The type the evaluation works in.
    type Work: Real;
    /// The name used on the command line: `f64`, `f32`, `i16f16`, `i8f24`.
    const NAME: &'static str;
    /// The unit roundoff `u` in which error bounds are stated (2^-53, 2^-24, 2^-16, 2^-24).
    const UNIT_ROUNDOFF: f64;
    /// `true` for fixed-point types.
    const IS_FIXED: bool;
    /// Round an `f64` to the nearest value of the type; [`Status::Saturated`] if it was out
    /// of range (the value is then the nearest end of the range) or NaN (the value is 0).
    fn from_f64(v: f64) -> (Self, Status);
    /// The exact value as an `f64`.
    fn to_f64(self) -> f64;
    /// Widen to the working type (exact).
    fn to_work(self) -> Self::Work;
    /// Round a working value to the type; [`Status::Saturated`] if it did not fit.
    fn from_work(w: Self::Work) -> (Self, Status);
    /// `acc + sum_j w_j x_j` in the working type, one unit of a network layer: each product
    /// formed in the working type and added to `acc` in input order (`f64` and the fixed
    /// types); for `f32` in four partial sums ([`dot_add_f32`](super::dot_add_f32)).
    #[inline]
    fn dot_add<const N: usize>(acc: Self::Work, w: &[Self; N], x: &[Self::Work; N]) -> Self::Work {
        let mut a = acc;
        for (&wj, &xj) in w.iter().zip(x.iter()) {
            a = a + wj.to_work() * xj;
        }
        a
    }
}

macro_rules! float_scalar {
    ($t:ty $(, $dot:path)?) => {
        impl Scalar for $t {
            type Work = $t;
            const NAME: &'static str = stringify!($t);
            const UNIT_ROUNDOFF: f64 = (<$t>::EPSILON as f64) * 0.5;
            const IS_FIXED: bool = false;
            #[inline]
            fn from_f64(v: f64) -> (Self, Status) {
                let (r, sat) = <$t>::from_f64_saturating(v);
                (r, Status::from_saturated(sat))
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn to_work(self) -> Self {
                self
            }
            #[inline]
            fn from_work(w: Self) -> (Self, Status) {
                (w, Status::from_saturated(!w.is_finite()))
            }
            $(
                #[inline]
                fn dot_add<const N: usize>(acc: Self, w: &[Self; N], x: &[Self; N]) -> Self {
                    $dot(acc, w, x)
                }
            )?
        }
    };
}

float_scalar!(f64);
float_scalar!(f32, super::dot_add_f32);

macro_rules! fixed_scalar {
    ($t:ty, $name:literal, $frac:expr, $u:expr) => {
        impl Scalar for $t {
            type Work = SatI32F32;
            const NAME: &'static str = $name;
            const UNIT_ROUNDOFF: f64 = $u;
            const IS_FIXED: bool = true;

            fn from_f64(v: f64) -> (Self, Status) {
                let (w, sat) = SatI32F32::from_f64_saturating(v);
                let (r, st) = Self::from_work(w);
                (r, st.and(Status::from_saturated(sat)))
            }

            #[inline]
            fn to_f64(self) -> f64 {
                self.to_bits() as f64 / (1u64 << $frac) as f64
            }

            #[inline]
            fn to_work(self) -> SatI32F32 {
                SatI32F32((self.to_bits() as i64) << (32 - $frac))
            }

            /// `round(w 2^-(32 - F))`, ties away from zero ([`SatI32F32::round_shift`]), in
            /// 64 bits: `(w + 2^(S-1) - [w < 0]) >> S`, the sum saturated (a sum past
            /// `i64::MAX` is out of range either way). A saturated `w` (`i64::MIN` or
            /// `MAX`) is out of range too, so the range check alone gives the status
            /// (`from_work_matches_the_i128_rounding`).
            #[inline]
            fn from_work(w: SatI32F32) -> (Self, Status) {
                const S: u32 = 32 - $frac;
                let v = w.0;
                let raw = v.saturating_add((1i64 << (S - 1)) - (v < 0) as i64) >> S;
                match i32::try_from(raw) {
                    Ok(r) => (<$t>::from_bits(r), Status::Ok),
                    Err(_) if raw > 0 => (<$t>::MAX, Status::Saturated),
                    Err(_) => (<$t>::MIN, Status::Saturated),
                }
            }
        }
    };
}

fixed_scalar!(I16F16, "i16f16", 16, 1.0 / 65536.0);
fixed_scalar!(I8F24, "i8f24", 24, 1.0 / 16_777_216.0);

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::{RngCore, SeedableRng};

    #[test]
    fn fixed_round_trip_and_saturation() {
        let (v, st) = I16F16::from_f64(1.25);
        assert!(st.is_ok());
        assert_eq!(v.to_f64(), 1.25);
        let (v, st) = I16F16::from_f64(40000.0);
        assert_eq!(st, Status::Saturated);
        assert_eq!(v, I16F16::MAX);
        let (v, st) = I8F24::from_f64(-200.0);
        assert_eq!(st, Status::Saturated);
        assert_eq!(v, I8F24::MIN);
        let (_, st) = I8F24::from_f64(f64::NAN);
        assert_eq!(st, Status::Saturated);
    }

    /// The 64-bit `from_work` against the definition in `i128` (round half away from zero,
    /// saturate, a saturated input flagged), on edges and pseudo-random raw values.
    #[test]
    fn from_work_matches_the_i128_rounding() {
        fn reference(w: i64, s: u32) -> (i32, Status) {
            let raw = SatI32F32::round_shift(w as i128, s);
            if raw > i32::MAX as i128 {
                (i32::MAX, Status::Saturated)
            } else if raw < i32::MIN as i128 {
                (i32::MIN, Status::Saturated)
            } else {
                (raw as i32, Status::from_saturated(w == i64::MIN || w == i64::MAX))
            }
        }
        let mut cases = vec![0i64, 1, -1, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1];
        for s in [8u32, 16] {
            for k in [31i64, 32] {
                for base in [(1i64 << (k + s as i64)) - (1 << (s - 1)), -(1i64 << (k + s as i64)) - (1 << (s - 1))] {
                    cases.extend((-3..=3).map(|d| base + d));
                }
            }
            for m in -5i64..=5 {
                cases.extend((-2..=2).map(|d| m * (1 << (s - 1)) + d));
            }
        }
        let mut rng = crate::DefaultRng::seed_from_u64(17);
        for _ in 0..200_000 {
            let x = rng.next_u64();
            cases.push((x as i64) >> (x % 40));
        }
        for &w in &cases {
            let (a, sa) = I16F16::from_work(SatI32F32(w));
            assert_eq!((a.to_bits(), sa), reference(w, 16), "I16F16 w = {w}");
            let (b, sb) = I8F24::from_work(SatI32F32(w));
            assert_eq!((b.to_bits(), sb), reference(w, 8), "I8F24 w = {w}");
        }
    }
}
