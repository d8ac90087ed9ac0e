//! [`SatI32F32`]: the saturating Q32.32 working type of the fixed-point scalars.

use core::ops::{Add, Mul, Neg, Sub};

use super::exp_ln_q32::{exp_q32, ln_q32};
use super::fast_q32::{div_fast_q32, exp_nonpos_fast_q32};
use crate::Real;

/// A saturating Q32.32 fixed-point number (an `i64` counting 2^-32): the working type of
/// the fixed-point scalars. Range about ±2.1e9, resolution 2.3e-10.
///
/// Addition, subtraction and negation saturate; multiplication and division round to
/// nearest (ties away from zero) and saturate. Nothing panics.
///
/// # Examples
/// ```
/// use tinyscore::num::SatI32F32;
/// use tinyscore::Real;
/// let (third, _) = SatI32F32::from_f64_saturating(1.0 / 3.0);
/// let x = third * SatI32F32::from_f64_saturating(3.0).0;
/// assert!((x.to_f64_lossy() - 1.0).abs() <= 1.0 / 4_294_967_296.0);
/// // Saturation instead of wrap-around, and it is visible:
/// assert_eq!(SatI32F32::MAX + SatI32F32::ONE, SatI32F32::MAX);
/// assert!((SatI32F32::MAX + SatI32F32::ONE).is_limit());
/// ```
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

    fn from_f64_saturating(v: f64) -> (Self, bool) {
        if v.is_nan() {
            return (Self::ZERO, true);
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
    fn to_f64_lossy(self) -> f64 {
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
        exp_q32(self)
    }

    #[inline]
    fn exp_nonpos(self) -> Self {
        exp_nonpos_fast_q32(self)
    }

    #[inline]
    fn div_fast(self, rhs: Self) -> Self {
        div_fast_q32(self, rhs)
    }

    #[inline]
    fn ln(self) -> Self {
        ln_q32(self)
    }

    fn sqrt(self) -> Self {
        if self.0 <= 0 {
            return Self::ZERO;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q32_mul_rounds_to_nearest() {
        let a = SatI32F32(3); // 3 * 2^-32
        let half = SatI32F32::from_f64_saturating(0.5).0;
        assert_eq!((a * half).0, 2); // 1.5 LSB -> 2 (ties toward +inf)
        assert_eq!(((-a) * half).0, -1);
        let third = SatI32F32::from_f64_saturating(1.0 / 3.0).0;
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
        let big = SatI32F32::from_f64_saturating(1e9).0;
        assert!((big * big).is_limit());
        assert!((SatI32F32::MIN - SatI32F32::ONE).is_limit());
        assert!((-SatI32F32::MIN).is_limit());
        assert!((SatI32F32::ONE.div(SatI32F32::ZERO)).is_limit());
    }

    #[test]
    fn q32_sqrt_and_div_match_f64() {
        for v in [1e-9, 0.25, 2.0, 3.0, 1234.5678, 2.0e9] {
            let (x, _) = SatI32F32::from_f64_saturating(v);
            let s = x.sqrt().to_f64_lossy();
            assert!((s - libm::sqrt(x.to_f64_lossy())).abs() <= 0.5 / 4_294_967_296.0 + 1e-15 * s);
            let (three, _) = SatI32F32::from_f64_saturating(3.0);
            let q = x.div(three).to_f64_lossy();
            assert!((q - x.to_f64_lossy() / 3.0).abs() <= 0.5 / 4_294_967_296.0 + 1e-16 * q);
        }
    }
}
