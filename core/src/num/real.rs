//! [`Real`]: the arithmetic of a working type (`f32`, `f64`, [`SatI32F32`](super::SatI32F32)).

use core::fmt::Debug;
use core::ops::{Add, Mul, Neg, Sub};

use super::wide::{DoubleF64, WideReal};

/// Arithmetic of a working type: floats, or saturating fixed point.
///
/// Operations never panic. Float operations follow IEEE 754 (round to nearest); fixed
/// operations round to nearest and saturate at the ends of the range.
///
/// Its names are distinct from those of [`Scalar`](crate::Scalar) and [`WideReal`], so that
/// `f32`/`f64` (which are both a storage and a working type) need no qualified calls:
/// [`Real::from_f64_saturating`] returns a `bool` flag where
/// [`Scalar::from_f64`](crate::Scalar::from_f64) returns a [`Status`](crate::Status).
///
/// # Examples
/// ```
/// use tinyscore::num::SatI32F32;
/// use tinyscore::Real;
/// let (x, saturated) = SatI32F32::from_f64_saturating(0.75);
/// assert!(!saturated);
/// assert_eq!((x * x).to_f64_lossy(), 0.5625);
/// assert!(SatI32F32::from_f64_saturating(3.0e9).1); // beyond Q32.32
/// ```
pub trait Real:
    Copy + Debug + Default + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Neg<Output = Self>
{
    /// The type in which each component's log-likelihood is formed ([`WideReal`]).
    type Wide: WideReal<Narrow = Self>;
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Round an `f64` to nearest; the flag is set if it was out of range or NaN
    /// (the value is then the nearest end of the range, or 0 for NaN).
    fn from_f64_saturating(v: f64) -> (Self, bool);
    /// The value as an `f64` (exact for every type here but `SatI32F32` beyond 2^21).
    fn to_f64_lossy(self) -> f64;
    /// `self / 2`.
    fn half(self) -> Self;
    /// `self / rhs` (`rhs` != 0; a zero divisor saturates for fixed point).
    fn div(self, rhs: Self) -> Self;
    /// `e^self` (fixed point: saturates above ln(2^31); the mixture only needs `self <= 0`).
    fn exp(self) -> Self;
    /// `self / rhs` where speed matters more than the last bit: correctly rounded for
    /// floats; for `SatI32F32` relative error 2^-28 plus 1 LSB, with 32-bit multiplies only
    /// ([`div_fast_q32`](super::div_fast_q32)).
    fn div_fast(self, rhs: Self) -> Self {
        self.div(rhs)
    }
    /// `e^self` for `self <= 0`, to the accuracy the softmax needs: the same as
    /// [`Real::exp`] for floats; for `SatI32F32` within 2^-28 absolute
    /// ([`exp_nonpos_fast_q32`](super::exp_nonpos_fast_q32)).
    fn exp_nonpos(self) -> Self {
        self.exp()
    }
    /// `tanh(self)`, the activation of the score network: for `f64` and `SatI32F32`
    /// `sign(a) (1 - e) / (1 + e)` with `e = exp_nonpos(-2|a|)` and [`Real::div_fast`] (to
    /// the working precision for `f64`, within 2^-27 for `SatI32F32`); for `f32` the
    /// rational [`tanh_f32`](super::tanh_f32), relative error 5e-7, no `exp`.
    fn tanh_fast(self) -> Self {
        let neg = self < Self::ZERO;
        let abs = if neg { -self } else { self };
        let e = (-(abs + abs)).exp_nonpos();
        let y = (Self::ONE - e).div_fast(Self::ONE + e);
        if neg {
            -y
        } else {
            y
        }
    }
    /// [`Real::tanh_fast`] of every value in place; `true` if one of them was at the limit of
    /// the type ([`Real::is_limit`], tested before the activation).
    fn tanh_all(v: &mut [Self]) -> bool {
        let mut lim = false;
        for x in v.iter_mut() {
            lim |= x.is_limit();
            *x = x.tanh_fast();
        }
        lim
    }
    /// Natural logarithm for `self > 0` (non-positive arguments give the most negative
    /// value for fixed point, `-inf`/NaN for floats).
    fn ln(self) -> Self;
    /// Square root for `self >= 0` (negative arguments give 0 for fixed point).
    fn sqrt(self) -> Self;
    /// The larger of two values.
    fn max(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
    /// `true` if the value is at the end of the range (fixed) or not finite (floats):
    /// a saturated intermediate.
    fn is_limit(self) -> bool;
}

macro_rules! float_real {
    ($t:ty, $wide:ty, $exp:path, $ln:path, $sqrt:path $(, $tanh:path, $tanh_all:path)?) => {
        impl Real for $t {
            type Wide = $wide;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline]
            fn from_f64_saturating(v: f64) -> (Self, bool) {
                let r = v as $t;
                (r, v.is_nan() || (v.is_finite() && !r.is_finite()))
            }
            #[inline]
            fn to_f64_lossy(self) -> f64 {
                self as f64
            }
            #[inline]
            fn half(self) -> Self {
                self * 0.5
            }
            #[inline]
            fn div(self, rhs: Self) -> Self {
                self / rhs
            }
            #[inline]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                $sqrt(self)
            }
            #[inline]
            fn is_limit(self) -> bool {
                !self.is_finite()
            }
            $(
                #[inline]
                fn tanh_fast(self) -> Self {
                    $tanh(self)
                }
                #[inline]
                fn tanh_all(v: &mut [Self]) -> bool {
                    $tanh_all(v)
                }
            )?
        }
    };
}

float_real!(f64, DoubleF64, libm::exp, libm::log, libm::sqrt);
float_real!(f32, f64, libm::expf, libm::logf, libm::sqrtf, super::tanh_f32, super::tanh_all_f32);
