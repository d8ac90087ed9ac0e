//! The scalar types the algorithms are generic over.
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
use core::ops::{Add, Mul, Neg, Sub};

use fixed::types::{I16F16, I8F24};

use crate::fixed_math;
use crate::mixture::fast::{FastScore, NoFastScore};
use crate::mixture::fast_f32::FastScoreF32;
use crate::mixture::fast_q16::FastScoreQ16;
use crate::wide::{DoubleF64, WideReal};
use crate::Status;

/// Arithmetic of a working type: floats, or saturating fixed point.
///
/// Operations never panic. Float operations follow IEEE 754 (round to nearest); fixed
/// operations round to nearest and saturate at the ends of the range.
pub trait Real:
    Copy + Debug + Default + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Neg<Output = Self>
{
    /// The type in which each component's log-likelihood is formed ([`crate::wide`]).
    type Wide: WideReal<Narrow = Self>;
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Round an `f64` to nearest; the flag is set if it was out of range or NaN
    /// (the value is then the nearest end of the range, or 0 for NaN).
    fn from_f64(v: f64) -> (Self, bool);
    /// The value as an `f64` (exact for every type here but `SatI32F32` beyond 2^21).
    fn to_f64(self) -> f64;
    /// `self / 2`.
    fn half(self) -> Self;
    /// `self / rhs` (`rhs` != 0; a zero divisor saturates for fixed point).
    fn div(self, rhs: Self) -> Self;
    /// `e^self` (fixed point: saturates above ln(2^31); the mixture only needs `self <= 0`).
    fn exp(self) -> Self;
    /// `self / rhs` where speed matters more than the last bit: correctly rounded for
    /// floats; for `SatI32F32` relative error 2^-28 plus 1 LSB, with 32-bit multiplies only
    /// ([`fixed_math::div_fast_q32`]).
    fn div_fast(self, rhs: Self) -> Self {
        self.div(rhs)
    }
    /// `e^self` for `self <= 0`, to the accuracy the softmax needs: the same as
    /// [`Real::exp`] for floats; for `SatI32F32` within 2^-28 absolute
    /// ([`fixed_math::exp_nonpos_fast_q32`]).
    fn exp_nonpos(self) -> Self {
        self.exp()
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

/// A type in which inputs and results are stored.
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
    /// The type's fast score kernel ([`crate::mixture::fast`]), tried before the general
    /// evaluation by [`PreparedMixture::score`](crate::mixture::PreparedMixture::score).
    type FastScore<const D: usize, const K: usize>: FastScore<Self, D, K>;
}

macro_rules! float_real {
    ($t:ty, $wide:ty, $fast:ident, $exp:path, $ln:path, $sqrt:path) => {
        impl Real for $t {
            type Wide = $wide;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline]
            fn from_f64(v: f64) -> (Self, bool) {
                let r = v as $t;
                (r, v.is_nan() || (v.is_finite() && !r.is_finite()))
            }
            #[inline]
            fn to_f64(self) -> f64 {
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
        }

        impl Scalar for $t {
            type Work = $t;
            type FastScore<const D: usize, const K: usize> = $fast<D, K>;
            const NAME: &'static str = stringify!($t);
            const UNIT_ROUNDOFF: f64 = (<$t>::EPSILON as f64) * 0.5;
            const IS_FIXED: bool = false;
            #[inline]
            fn from_f64(v: f64) -> (Self, Status) {
                let (r, sat) = <$t as Real>::from_f64(v);
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
        }
    };
}

float_real!(f64, DoubleF64, NoFastScore, libm::exp, libm::log, libm::sqrt);
float_real!(f32, f64, FastScoreF32, libm::expf, libm::logf, libm::sqrtf);

/// A saturating Q32.32 fixed-point number (an `i64` counting 2^-32): the working type of
/// the fixed-point scalars. Range about ±2.1e9, resolution 2.3e-10.
///
/// Addition, subtraction and negation saturate; multiplication and division round to
/// nearest (ties away from zero) and saturate. Nothing panics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct SatI32F32(pub i64);

impl SatI32F32 {
    /// Number of fraction bits.
    pub const FRAC_BITS: u32 = 32;
    /// The largest value.
    pub const MAX: Self = SatI32F32(i64::MAX);
    /// The smallest (most negative) value.
    pub const MIN: Self = SatI32F32(i64::MIN);

    /// Saturate an `i128` to the `i64` range.
    #[inline]
    pub(crate) const fn clamp_i128(v: i128) -> Self {
        if v > i64::MAX as i128 {
            Self::MAX
        } else if v < i64::MIN as i128 {
            Self::MIN
        } else {
            SatI32F32(v as i64)
        }
    }

    /// Round `v / 2^shift` to nearest (ties away from zero), `shift` in 1..=126.
    #[inline]
    pub(crate) const fn round_shift(v: i128, shift: u32) -> i128 {
        let half = 1i128 << (shift - 1);
        if v >= 0 {
            (v + half) >> shift
        } else {
            -((-v + half) >> shift)
        }
    }
}

impl Add for SatI32F32 {
    type Output = Self;
    #[inline]
    fn add(self, rhs: Self) -> Self {
        SatI32F32(self.0.saturating_add(rhs.0))
    }
}

impl Sub for SatI32F32 {
    type Output = Self;
    #[inline]
    fn sub(self, rhs: Self) -> Self {
        SatI32F32(self.0.saturating_sub(rhs.0))
    }
}

impl Neg for SatI32F32 {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        SatI32F32(self.0.saturating_neg())
    }
}

impl Mul for SatI32F32 {
    type Output = Self;
    #[inline]
    fn mul(self, rhs: Self) -> Self {
        mul_q32(self.0, rhs.0)
    }
}

/// `round(a b / 2^32)` (ties toward +inf), saturated: the Q32.32 product.
///
/// On 64-bit hosts one `i128` multiply; on 32-bit targets [`mul_q32_split`] (four
/// 32x32->64 multiplies, one `SMULL`/`UMULL` each on Cortex-M3/M4, instead of a call to
/// `__multi3`). Both give the same result bit for bit (tested).
#[inline]
fn mul_q32(a: i64, b: i64) -> SatI32F32 {
    #[cfg(target_pointer_width = "64")]
    {
        let p = a as i128 * b as i128;
        SatI32F32::clamp_i128((p + (1i128 << 31)) >> 32)
    }
    #[cfg(not(target_pointer_width = "64"))]
    {
        mul_q32_split(a, b)
    }
}

/// The Q32.32 product from 32-bit halves, with 64-bit sums in the common case and `i128`
/// only when a partial sum overflows.
#[inline]
#[cfg_attr(target_pointer_width = "64", allow(dead_code))] // used on 32-bit targets and in tests
pub(crate) fn mul_q32_split(a: i64, b: i64) -> SatI32F32 {
    let (ah, al) = ((a >> 32) as i32, a as u32);
    let (bh, bl) = ((b >> 32) as i32, b as u32);
    let hh = ah as i64 * bh as i64; // |.| <= 2^62
    let hl = ah as i64 * bl as i64; // |.| < 2^63
    let lh = al as i64 * bh as i64;
    // ll < 2^64; (ll + 2^31) >> 32 without overflowing u64:
    let ll = al as u64 * bl as u64;
    let low = (((ll >> 31) + 1) >> 1) as i64;
    if let (Ok(hh32), Some(mid)) = (i32::try_from(hh), hl.checked_add(lh)) {
        // hh 2^32 + low cannot overflow: |hh| < 2^31 and 0 <= low <= 2^32.
        let base = ((hh32 as i64) << 32) + low;
        if let Some(v) = base.checked_add(mid) {
            return SatI32F32(v);
        }
    }
    let sum = ((hh as i128) << 32) + hl as i128 + lh as i128 + low as i128;
    SatI32F32::clamp_i128(sum)
}

impl Real for SatI32F32 {
    type Wide = SatI32F32;
    const ZERO: Self = SatI32F32(0);
    const ONE: Self = SatI32F32(1 << 32);

    fn from_f64(v: f64) -> (Self, bool) {
        if v.is_nan() {
            return (<Self as Real>::ZERO, true);
        }
        let scaled = v * 4_294_967_296.0;
        // 2^63 is exactly representable; anything at or beyond it saturates.
        if scaled >= 9_223_372_036_854_775_808.0 {
            (Self::MAX, true)
        } else if scaled < -9_223_372_036_854_775_808.0 {
            (Self::MIN, true)
        } else {
            (SatI32F32(libm::round(scaled) as i64), false)
        }
    }

    #[inline]
    fn to_f64(self) -> f64 {
        self.0 as f64 / 4_294_967_296.0
    }

    #[inline]
    fn half(self) -> Self {
        // Round to nearest, ties toward +inf, like the product.
        SatI32F32((self.0 >> 1) + (self.0 & 1))
    }

    fn div(self, rhs: Self) -> Self {
        if rhs.0 == 0 {
            return if self.0 >= 0 { Self::MAX } else { Self::MIN };
        }
        let num = (self.0 as i128) << 32;
        let den = rhs.0 as i128;
        // Round to nearest, ties away from zero.
        let q = num / den;
        let r = num % den;
        let adjust = if 2 * r.unsigned_abs() >= den.unsigned_abs() {
            if (num < 0) == (den < 0) {
                1
            } else {
                -1
            }
        } else {
            0
        };
        Self::clamp_i128(q + adjust)
    }

    #[inline]
    fn exp(self) -> Self {
        fixed_math::exp_q32(self)
    }

    #[inline]
    fn exp_nonpos(self) -> Self {
        fixed_math::exp_nonpos_fast_q32(self)
    }

    #[inline]
    fn div_fast(self, rhs: Self) -> Self {
        fixed_math::div_fast_q32(self, rhs)
    }

    #[inline]
    fn ln(self) -> Self {
        fixed_math::ln_q32(self)
    }

    fn sqrt(self) -> Self {
        if self.0 <= 0 {
            return <Self as Real>::ZERO;
        }
        // sqrt(raw * 2^32) in integer arithmetic, rounded to nearest.
        let n = (self.0 as u128) << 32;
        let mut x = isqrt_u128(n);
        // Round to nearest: compare n with (x + 1/2)^2 = x^2 + x + 1/4.
        if n > x * x + x {
            x += 1;
        }
        SatI32F32(x as i64)
    }

    #[inline]
    fn is_limit(self) -> bool {
        self.0 == i64::MAX || self.0 == i64::MIN
    }
}

/// Floor of the square root of a `u128` by Newton's method (no panics, no floats).
fn isqrt_u128(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let bits = 128 - n.leading_zeros();
    let mut x: u128 = 1u128 << bits.div_ceil(2);
    loop {
        let y = (x + n / x) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}

macro_rules! fixed_scalar {
    ($t:ty, $name:literal, $frac:expr, $u:expr, $fast:ident) => {
        impl Scalar for $t {
            type Work = SatI32F32;
            type FastScore<const D: usize, const K: usize> = $fast<D, K>;
            const NAME: &'static str = $name;
            const UNIT_ROUNDOFF: f64 = $u;
            const IS_FIXED: bool = true;

            fn from_f64(v: f64) -> (Self, Status) {
                let (w, sat) = <SatI32F32 as Real>::from_f64(v);
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

            #[inline]
            fn from_work(w: SatI32F32) -> (Self, Status) {
                let raw = SatI32F32::round_shift(w.0 as i128, 32 - $frac);
                if raw > i32::MAX as i128 {
                    (<$t>::MAX, Status::Saturated)
                } else if raw < i32::MIN as i128 {
                    (<$t>::MIN, Status::Saturated)
                } else {
                    (<$t>::from_bits(raw as i32), Status::from_saturated(Real::is_limit(w)))
                }
            }
        }
    };
}

fixed_scalar!(I16F16, "i16f16", 16, 1.0 / 65536.0, FastScoreQ16);
fixed_scalar!(I8F24, "i8f24", 24, 1.0 / 16_777_216.0, NoFastScore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q32_mul_rounds_to_nearest() {
        let a = SatI32F32(3); // 3 * 2^-32
        let half = <SatI32F32 as Real>::from_f64(0.5).0;
        assert_eq!((a * half).0, 2); // 1.5 LSB -> 2 (ties toward +inf)
        assert_eq!(((-a) * half).0, -1);
        let third = <SatI32F32 as Real>::from_f64(1.0 / 3.0).0;
        assert_eq!((SatI32F32(7) * third).0, 2); // 2.333 LSB -> 2
    }

    #[test]
    fn q32_mul_split_form_matches_i128_form() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let edge = [0, 1, -1, i64::MAX, i64::MIN, 1 << 32, -(1 << 32), (1 << 31) - 1, 1 << 31, -(1 << 31)];
        for &a in &edge {
            for &b in &edge {
                assert_eq!(mul_q32_split(a, b).0, (SatI32F32(a) * SatI32F32(b)).0, "{a} {b}");
            }
        }
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let a = x as i64 >> (x % 40);
            let b = (x.rotate_left(29)) as i64 >> ((x >> 8) % 40);
            assert_eq!(mul_q32_split(a, b).0, (SatI32F32(a) * SatI32F32(b)).0, "{a} {b}");
        }
    }

    #[test]
    fn q32_saturates() {
        let big = <SatI32F32 as Real>::from_f64(1e9).0;
        assert!(Real::is_limit(big * big));
        assert!(Real::is_limit(SatI32F32::MIN - <SatI32F32 as Real>::ONE));
        assert!(Real::is_limit(-SatI32F32::MIN));
        assert!(Real::is_limit(<SatI32F32 as Real>::ONE.div(<SatI32F32 as Real>::ZERO)));
    }

    #[test]
    fn q32_sqrt_and_div_match_f64() {
        for v in [1e-9, 0.25, 2.0, 3.0, 1234.5678, 2.0e9] {
            let (x, _) = <SatI32F32 as Real>::from_f64(v);
            let s = x.sqrt().to_f64();
            assert!((s - libm::sqrt(x.to_f64())).abs() <= 0.5 / 4_294_967_296.0 + 1e-15 * s);
            let (three, _) = <SatI32F32 as Real>::from_f64(3.0);
            let q = x.div(three).to_f64();
            assert!((q - x.to_f64() / 3.0).abs() <= 0.5 / 4_294_967_296.0 + 1e-16 * q);
        }
    }

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
}
