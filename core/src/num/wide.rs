//! The precision in which each component's log-likelihood is formed.
//!
//! In the tails of a mixture two components can both sit hundreds of standard deviations
//! away with nearly equal log-likelihoods `a_j ~ -10^4`: the softmax then depends on
//! `a_j - a_k` to the last bit, and forming the quadratic form in the scalar's own precision
//! loses `log2 |a_j|` bits. Each working type therefore forms `a_j` (and `x - mu`, and
//! `(x - mu) / v`) in a wider type and rounds once:
//!
//! | working type | wide type | relative precision of `a_j` |
//! |---|---|---|
//! | `f32` | `f64` | 2^-52 |
//! | `f64` | [`DoubleF64`] (double-double, Dekker's algorithms, no FMA needed) | about 2^-104 |
//! | `SatI32F32` | `SatI32F32` (already 8 to 16 bits beyond the fixed scalars) | 2^-32 absolute |
//!
//! Everything here is plain IEEE arithmetic or integer arithmetic: the results are the same
//! bit for bit on every target.

use core::fmt::Debug;

use super::SatI32F32;
use crate::Real;

/// Operations of a wide type: the type in which each mixture component's log-likelihood
/// is formed and rounded once to the working type ([`WideReal::narrow`]):
///
/// | working type | wide type | relative precision of `a_j` |
/// |---|---|---|
/// | `f32` | `f64` | 2^-52 |
/// | `f64` | [`DoubleF64`] (double-double, Dekker's algorithms, no FMA needed) | about 2^-104 |
/// | `SatI32F32` | `SatI32F32` (already 8 to 16 bits beyond the fixed scalars) | 2^-32 absolute |
///
/// Every name is prefixed `wide_` (or is `widen`/`narrow`/`inv_variance`): `f64` is both a
/// [`Real`] and the wide type of `f32`, and the two sets of operations must not collide.
///
/// # Examples
/// ```
/// use tinyscore::num::{DoubleF64, WideReal};
/// let a = DoubleF64::widen(1.0 + f64::EPSILON);
/// let p = a.wide_mul(a); // (1 + e)^2 = 1 + 2e + e^2, all kept
/// assert_eq!((p.hi, p.lo), (1.0 + 2.0 * f64::EPSILON, f64::EPSILON * f64::EPSILON));
/// ```
pub trait WideReal: Copy + Debug + Default {
    /// The working type this widens.
    type Narrow: Real;
    /// 0.
    const WIDE_ZERO: Self;
    /// Round an `f64` parameter to this type; the flag is set if it did not fit.
    fn wide_from_f64(v: f64) -> (Self, bool);
    /// `1 / (std^2 + sigma^2 t)` to this type's precision; the flag is set if it did not fit.
    /// `var` is that variance rounded to `f64` (`std * std + sigma * sigma * t`), which the
    /// `f64` and Q32.32 forms divide by directly; the double-double form recomputes it from
    /// `std`, `sigma` and `t` to keep the bits the `f64` rounding loses.
    fn inv_variance(var: f64, std: f64, sigma: f64, t: f64) -> (Self, bool);
    /// Exact widening.
    fn widen(n: Self::Narrow) -> Self;
    /// Round to the working type.
    fn narrow(self) -> Self::Narrow;
    /// `self + rhs`
    fn wide_add(self, rhs: Self) -> Self;
    /// `self - rhs`
    fn wide_sub(self, rhs: Self) -> Self;
    /// `self * rhs`
    fn wide_mul(self, rhs: Self) -> Self;
    /// `self / 2`
    fn wide_half(self) -> Self;
    /// `self > rhs`
    fn wide_gt(self, rhs: Self) -> bool;
    /// Saturated (fixed) or not finite (floats).
    fn wide_is_limit(self) -> bool;
}

impl WideReal for SatI32F32 {
    type Narrow = SatI32F32;
    const WIDE_ZERO: Self = SatI32F32(0);
    fn wide_from_f64(v: f64) -> (Self, bool) {
        SatI32F32::from_f64_saturating(v)
    }
    fn inv_variance(var: f64, _: f64, _: f64, _: f64) -> (Self, bool) {
        SatI32F32::from_f64_saturating(1.0 / var)
    }
    #[inline]
    fn widen(n: Self) -> Self {
        n
    }
    #[inline]
    fn narrow(self) -> Self {
        self
    }
    #[inline]
    fn wide_add(self, rhs: Self) -> Self {
        self + rhs
    }
    #[inline]
    fn wide_sub(self, rhs: Self) -> Self {
        self - rhs
    }
    #[inline]
    fn wide_mul(self, rhs: Self) -> Self {
        self * rhs
    }
    #[inline]
    fn wide_half(self) -> Self {
        self.half()
    }
    #[inline]
    fn wide_gt(self, rhs: Self) -> bool {
        self > rhs
    }
    #[inline]
    fn wide_is_limit(self) -> bool {
        self.is_limit()
    }
}

impl WideReal for f64 {
    type Narrow = f32;
    const WIDE_ZERO: Self = 0.0;
    fn wide_from_f64(v: f64) -> (Self, bool) {
        (v, !v.is_finite())
    }
    fn inv_variance(var: f64, _: f64, _: f64, _: f64) -> (Self, bool) {
        let r = 1.0 / var;
        (r, !r.is_finite())
    }
    #[inline]
    fn widen(n: f32) -> Self {
        n as f64
    }
    #[inline]
    fn narrow(self) -> f32 {
        self as f32
    }
    #[inline]
    fn wide_add(self, rhs: Self) -> Self {
        self + rhs
    }
    #[inline]
    fn wide_sub(self, rhs: Self) -> Self {
        self - rhs
    }
    #[inline]
    fn wide_mul(self, rhs: Self) -> Self {
        self * rhs
    }
    #[inline]
    fn wide_half(self) -> Self {
        self * 0.5
    }
    #[inline]
    fn wide_gt(self, rhs: Self) -> bool {
        self > rhs
    }
    #[inline]
    fn wide_is_limit(self) -> bool {
        !self.is_finite()
    }
}

/// An unevaluated sum `hi + lo` of two `f64` with `|lo| <= ulp(hi) / 2`: about 106 bits.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DoubleF64 {
    /// Leading part.
    pub hi: f64,
    /// Trailing part.
    pub lo: f64,
}

/// `a + b` exactly, as `(sum, error)` (Knuth's TwoSum).
#[inline]
pub(super) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `a + b` exactly when `|a| >= |b|` (Dekker's FastTwoSum).
#[inline]
pub(super) fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// Veltkamp's split of `a` into two 26-bit halves.
#[inline]
fn split(a: f64) -> (f64, f64) {
    let c = 134_217_729.0 * a; // 2^27 + 1
    let hi = c - (c - a);
    (hi, a - hi)
}

/// `a * b` exactly, as `(product, error)` (Dekker's TwoProduct; no FMA needed).
#[inline]
pub(super) fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

/// Above this magnitude `134217729 a` in [`split`] overflows.
const SPLIT_LIMIT: f64 = 6.696_928_794_914_171e299; // 2^996

/// [`two_prod`] for any finite factors whose product is finite (the same bits where
/// both factors are below 2^996): a larger factor is scaled by 2^-28 first and the product
/// and its error scaled back (both exact unless the error underflows).
fn two_prod_any(a: f64, b: f64) -> (f64, f64) {
    const DOWN: f64 = 3.725_290_298_461_914e-9; // 2^-28
    const UP: f64 = 268_435_456.0; // 2^28
    let (p, e) = if a.abs() > SPLIT_LIMIT {
        two_prod(a * DOWN, b)
    } else if b.abs() > SPLIT_LIMIT {
        two_prod(a, b * DOWN)
    } else {
        return two_prod(a, b);
    };
    (p * UP, e * UP)
}

impl DoubleF64 {
    /// `hi + lo` renormalised.
    #[inline]
    fn norm(hi: f64, lo: f64) -> Self {
        let (h, l) = quick_two_sum(hi, lo);
        DoubleF64 { hi: h, lo: l }
    }

    /// [`WideReal::wide_mul`] for factors of any finite size (for the constants; the
    /// evaluation's products use the faster split).
    fn mul_any(self, rhs: Self) -> Self {
        let (p, e) = two_prod_any(self.hi, rhs.hi);
        Self::norm(p, e + (self.hi * rhs.lo + self.lo * rhs.hi))
    }
}

impl WideReal for DoubleF64 {
    type Narrow = f64;
    const WIDE_ZERO: Self = DoubleF64 { hi: 0.0, lo: 0.0 };
    fn wide_from_f64(v: f64) -> (Self, bool) {
        (DoubleF64 { hi: v, lo: 0.0 }, !v.is_finite())
    }
    fn inv_variance(_: f64, std: f64, sigma: f64, t: f64) -> (Self, bool) {
        // Once per t: the products use the split that is safe for any finite factor.
        let (s2, s2e) = two_prod_any(std, std);
        let (g2, g2e) = two_prod_any(sigma, sigma);
        let g2t = DoubleF64 { hi: g2, lo: g2e }.mul_any(DoubleF64 { hi: t, lo: 0.0 });
        let v = DoubleF64 { hi: s2, lo: s2e }.wide_add(g2t);
        // One Newton step from the f64 reciprocal doubles its precision.
        let y0 = 1.0 / v.hi;
        let residual = DoubleF64 { hi: 1.0, lo: 0.0 }.wide_sub(v.mul_any(DoubleF64 { hi: y0, lo: 0.0 }));
        let y = DoubleF64 { hi: y0, lo: 0.0 }.wide_add(DoubleF64 { hi: y0 * residual.hi, lo: 0.0 });
        (y, !y.hi.is_finite())
    }
    #[inline]
    fn widen(n: f64) -> Self {
        DoubleF64 { hi: n, lo: 0.0 }
    }
    #[inline]
    fn narrow(self) -> f64 {
        self.hi + self.lo
    }
    #[inline]
    fn wide_add(self, rhs: Self) -> Self {
        let (s, e) = two_sum(self.hi, rhs.hi);
        let (t, f) = two_sum(self.lo, rhs.lo);
        let (s, e) = quick_two_sum(s, e + t);
        Self::norm(s, e + f)
    }
    #[inline]
    fn wide_sub(self, rhs: Self) -> Self {
        self.wide_add(DoubleF64 { hi: -rhs.hi, lo: -rhs.lo })
    }
    #[inline]
    fn wide_mul(self, rhs: Self) -> Self {
        let (p, e) = two_prod(self.hi, rhs.hi);
        Self::norm(p, e + (self.hi * rhs.lo + self.lo * rhs.hi))
    }
    #[inline]
    fn wide_half(self) -> Self {
        DoubleF64 { hi: self.hi * 0.5, lo: self.lo * 0.5 }
    }
    #[inline]
    fn wide_gt(self, rhs: Self) -> bool {
        self.hi > rhs.hi || (self.hi == rhs.hi && self.lo > rhs.lo)
    }
    #[inline]
    fn wide_is_limit(self) -> bool {
        !self.hi.is_finite()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_double_products_are_exact() {
        let a = 1.0 + f64::EPSILON;
        let p = DoubleF64::widen(a).wide_mul(DoubleF64::widen(a));
        // (1 + e)^2 = 1 + 2e + e^2: all three parts kept.
        assert_eq!(p.hi, 1.0 + 2.0 * f64::EPSILON);
        assert_eq!(p.lo, f64::EPSILON * f64::EPSILON);
    }

    #[test]
    fn products_of_huge_factors() {
        assert!(two_prod(1e305, 1e-300).1.is_nan());
        for (a, b) in [(1e305, 1e-300), (f64::MAX, 0.5), (3.0e299, 7.0e-10)] {
            let (p, e) = two_prod_any(a, b);
            assert!(p.is_finite() && e.is_finite(), "{a} {b}");
            // p + e is a * b exactly: compare with the product of the scaled factors.
            let (ps, es) = two_prod(a * 2f64.powi(-100), b);
            assert_eq!((p * 2f64.powi(-100), e * 2f64.powi(-100)), (ps, es));
        }
        let (y, sat) = DoubleF64::inv_variance(0.0, 1.0, 1.0, 1e305);
        assert!(!sat && (y.hi - 1e-305).abs() < 1e-320, "{y:?}");
    }

    #[test]
    fn double_double_inverse_variance() {
        // 1 / 3 to ~2^-104: 3 * y - 1 is below 2^-100.
        let (y, sat) = DoubleF64::inv_variance(3.0, 1.0, 1.0, 2.0);
        assert!(!sat);
        let r = DoubleF64::widen(3.0).wide_mul(y).wide_sub(DoubleF64::widen(1.0));
        assert!(r.narrow().abs() < 2f64.powi(-100), "{r:?}");
    }
}
