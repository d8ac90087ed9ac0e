//! [`ScaledDoubleF64`]: a double-double with its own binary exponent, for the rare mixture
//! evaluations whose intermediates leave the range of `f64`.

use core::ops::{Add, Div, Mul, Neg, Sub};

use super::wide::{quick_two_sum, two_prod, two_sum};

/// Beyond this exponent gap the smaller addend is below 2^-1100 of the larger: dropped.
const FAR: i32 = 1200;

/// `(hi + lo) * 2^exp`, with `hi + lo` a normalised double-double and `1/2 <= |hi| < 1`
/// (or all three zero): about 104 bits of precision over an exponent range of `i32`, so
/// that a variance `std^2 + sigma^2 t`, its reciprocal, a squared distance over a variance
/// or a log-likelihood below `-f64::MAX` are all represented, for any finite `f64`
/// parameters.
///
/// Every operation is IEEE arithmetic on `f64` and integer arithmetic (no panics: the
/// exponent saturates): the results are the same bit for bit on every target.
///
/// # Examples
/// ```
/// use tinyscore::num::ScaledDoubleF64;
/// let big = ScaledDoubleF64::from_f64(1e300);
/// let sq = big * big; // 1e600: beyond f64, kept
/// assert_eq!((sq / big).to_f64(), 1e300);
/// assert_eq!(sq.to_f64_clamped(), (f64::MAX, true));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScaledDoubleF64 {
    hi: f64,
    lo: f64,
    exp: i32,
}

impl ScaledDoubleF64 {
    /// 0.
    pub const ZERO: Self = ScaledDoubleF64 { hi: 0.0, lo: 0.0, exp: 0 };

    /// `v`, exactly (`v` finite; a non-finite `v` gives a non-finite value).
    pub fn from_f64(v: f64) -> Self {
        Self::norm(v, 0.0, 0)
    }

    /// `(hi + lo) 2^exp` normalised (`|hi| >= |lo|` or `hi = 0`).
    fn norm(hi: f64, lo: f64, exp: i32) -> Self {
        let (h, l) = quick_two_sum(hi, lo);
        if h == 0.0 {
            return Self::ZERO;
        }
        let (m, e) = libm::frexp(h);
        ScaledDoubleF64 { hi: m, lo: libm::scalbn(l, -e), exp: exp.saturating_add(e) }
    }

    /// `true` for 0.
    pub fn is_zero(self) -> bool {
        self.hi == 0.0
    }

    /// `self / 2`.
    pub fn half(self) -> Self {
        if self.is_zero() {
            return self;
        }
        ScaledDoubleF64 { exp: self.exp.saturating_sub(1), ..self }
    }

    /// `self > rhs`.
    pub fn gt(self, rhs: Self) -> bool {
        (self - rhs).hi > 0.0
    }

    /// The nearest `f64` (`+-inf` beyond the range, 0 or a subnormal below it).
    pub fn to_f64(self) -> f64 {
        libm::scalbn(self.hi + self.lo, self.exp)
    }

    /// The nearest `f64`, clamped to `+-f64::MAX`; the flag is set if it was clamped.
    pub fn to_f64_clamped(self) -> (f64, bool) {
        let v = self.to_f64();
        if v.is_finite() {
            (v, false)
        } else {
            (libm::copysign(f64::MAX, v), true)
        }
    }

    /// Natural logarithm of a positive value (absolute error a few `2^-53 max(1, |ln|)`).
    pub fn ln(self) -> f64 {
        libm::log(self.hi + self.lo) + f64::from(self.exp) * core::f64::consts::LN_2
    }
}

impl Neg for ScaledDoubleF64 {
    type Output = Self;
    /// `-self`.
    fn neg(self) -> Self {
        ScaledDoubleF64 { hi: -self.hi, lo: -self.lo, exp: self.exp }
    }
}

impl Mul for ScaledDoubleF64 {
    type Output = Self;
    /// `self * rhs` (relative error about 2^-104).
    fn mul(self, rhs: Self) -> Self {
        // |hi| < 1: Veltkamp's split cannot overflow.
        let (p, e) = two_prod(self.hi, rhs.hi);
        Self::norm(p, e + (self.hi * rhs.lo + self.lo * rhs.hi), self.exp.saturating_add(rhs.exp))
    }
}

impl Div for ScaledDoubleF64 {
    type Output = Self;
    /// `self / rhs` (relative error about 2^-104); 0 if `rhs` is 0.
    fn div(self, rhs: Self) -> Self {
        if rhs.is_zero() {
            return Self::ZERO;
        }
        let y0 = self.hi / rhs.hi;
        // self - rhs * y0, exactly to double-double precision (Sterbenz: p is within a
        // factor 2 of self.hi).
        let (p, pe) = two_prod(rhs.hi, y0);
        let r = (((self.hi - p) - pe) + self.lo) - rhs.lo * y0;
        Self::norm(y0, r / rhs.hi, self.exp.saturating_sub(rhs.exp))
    }
}

impl Add for ScaledDoubleF64 {
    type Output = Self;
    /// `self + rhs` (error about 2^-104 of the larger).
    fn add(self, rhs: Self) -> Self {
        if rhs.is_zero() {
            return self;
        }
        if self.is_zero() {
            return rhs;
        }
        let (big, small) = if self.exp >= rhs.exp { (self, rhs) } else { (rhs, self) };
        let shift = big.exp.saturating_sub(small.exp);
        if shift > FAR {
            return big;
        }
        let (sh, sl) = (libm::scalbn(small.hi, -shift), libm::scalbn(small.lo, -shift));
        let (s, e) = two_sum(big.hi, sh);
        let (t, f) = two_sum(big.lo, sl);
        let (s, e) = quick_two_sum(s, e + t);
        Self::norm(s, e + f, big.exp)
    }
}

impl Sub for ScaledDoubleF64 {
    type Output = Self;
    /// `self - rhs`.
    fn sub(self, rhs: Self) -> Self {
        self + -rhs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beyond_the_range_of_f64() {
        let tiny = ScaledDoubleF64::from_f64(1e-300);
        let sq = tiny * tiny;
        assert_eq!(sq.to_f64(), 0.0);
        assert!((sq.ln() - 2.0 * libm::log(1e-300)).abs() < 1e-12);
        let r = ScaledDoubleF64::from_f64(1.0) / sq; // 1e600
        assert_eq!(r.to_f64_clamped(), (f64::MAX, true));
        assert_eq!((r * sq).to_f64(), 1.0);
        let third = ScaledDoubleF64::from_f64(1.0) / ScaledDoubleF64::from_f64(3.0);
        let err = third * ScaledDoubleF64::from_f64(3.0) - ScaledDoubleF64::from_f64(1.0);
        assert!(err.to_f64().abs() < 2f64.powi(-100));
    }

    #[test]
    fn sums_and_comparisons() {
        let a = ScaledDoubleF64::from_f64(f64::MAX);
        let b = ScaledDoubleF64::from_f64(-f64::MAX);
        assert_eq!((a - b).half().to_f64(), f64::MAX);
        assert!(a.gt(b) && !b.gt(a) && !a.gt(a));
        assert_eq!(a + b, ScaledDoubleF64::ZERO);
        let one = ScaledDoubleF64::from_f64(1.0);
        let eps = ScaledDoubleF64::from_f64(f64::EPSILON * f64::EPSILON);
        assert_eq!((one + eps - one).to_f64(), f64::EPSILON * f64::EPSILON);
        assert_eq!((one + ScaledDoubleF64::from_f64(5e-324) - one).to_f64(), 0.0);
        assert_eq!(ScaledDoubleF64::from_f64(5e-324).to_f64(), 5e-324);
    }
}
