//! Range-reduced fixed-point `exp` and `ln` (the `fixed` crate provides neither).
//!
//! Both work on the saturating Q32.32 type [`SatI32F32`] with a Q2.62 polynomial core
//! (`i128` products), so they are accurate to the last bit of Q32.32 and, after rounding,
//! to the last bit of `I16F16` and `I8F24`.
//!
//! | function | input range | worst error (measured by this module's tests) |
//! |---|---|---|
//! | [`exp_q32`] | all of Q32.32 (saturates above ln(2^31) = 21.49) | 0.5 LSB of Q32.32 + 2^-41 e^x (so 0.501 LSB for x <= 0) |
//! | [`ln_q32`] | `x > 0` | 0.5 LSB of Q32.32 + 2^-20 LSB |
//! | [`exp_fixed`] for `I16F16`, `I8F24` | every representable input | 0.5 LSB + 2^-8 LSB of the type |
//! | [`ln_fixed`] for `I16F16`, `I8F24` | every positive input | 0.5 LSB + 2^-8 LSB of the type |
//!
//! ```
//! use fixed::types::I16F16;
//! use tinyscore::num::exp_fixed;
//! let (e, status) = exp_fixed(I16F16::from_num(-1));
//! assert!(status.is_ok());
//! assert!((e.to_num::<f64>() - (-1.0f64).exp()).abs() <= 0.5 / 65536.0 + 1e-12);
//! ```

use super::SatI32F32;
use crate::{Real, Scalar, Status};

/// 2^62 / i! for i = 0..=10: the Taylor coefficients of exp in Q2.62.
const EXP_COEFFS_Q62: [i128; 11] = [
    4611686018427387904,
    4611686018427387904,
    2305843009213693952,
    768614336404564651,
    192153584101141163,
    38430716820228233,
    6405119470038039,
    915017067148291,
    114377133393536,
    12708570377060,
    1270857037706,
];

/// 2^62 / (2k + 1) for k = 0..=7: the series of atanh(s) / s in s^2, Q2.62.
const ATANH_COEFFS_Q62: [i128; 8] = [
    4611686018427387904,
    1537228672809129301,
    922337203685477581,
    658812288346769701,
    512409557603043100,
    419244183493398900,
    354745078340568300,
    307445734561825860,
];

/// ln 2 in Q0.64 (rounded to nearest).
const LN2_Q64: i128 = 12786308645202655660;
/// 1 / ln 2 in Q4.60.
const INV_LN2_Q60: i128 = 1663314137230540311;
/// sqrt(2) in Q2.62.
const SQRT2_Q62: i128 = 6521908912666391106;

/// Largest Q32.32 argument whose exponential is representable: ln(2^31 - 2^-32).
const EXP_MAX_ARG: f64 = 21.487_562_596_892_644;

/// Round `v / 2^shift` to nearest, ties away from zero (`shift` 1..=126), else 0.
#[inline]
fn round_shift(v: i128, shift: u32) -> i128 {
    if shift == 0 {
        v
    } else if shift > 126 {
        0
    } else {
        SatI32F32::round_shift(v, shift)
    }
}

/// `e^x` in Q32.32, rounded to nearest; saturates to the maximum above 21.4876.
///
/// Range reduction `x = n ln2 + r`, `|r| <= ln2 / 2`, then a degree-10 Taylor polynomial
/// in Q2.62 (truncation error below 2^-42) and a final rounding shift by `n`.
///
/// Error (this module's tests, a sweep of `[-23, 21.4]`): at most 0.5 LSB of Q32.32 plus
/// `2^-41 e^x` (0.501 LSB for `x <= 0`).
pub fn exp_q32(x: SatI32F32) -> SatI32F32 {
    // Below this, e^x < 2^-33 rounds to 0; this also keeps the shifts below in range.
    const UNDERFLOW_RAW: i64 = -23 * (1i64 << 32);
    if x.0 < UNDERFLOW_RAW {
        return SatI32F32::ZERO;
    }
    if x.to_f64_lossy() > EXP_MAX_ARG {
        return SatI32F32::MAX;
    }
    let xr = x.0 as i128; // |x| < 2^37 (Q32.32 raw)
                          // n = round(x / ln2): x * (1/ln2) in Q.92.
    let n = round_shift(xr * INV_LN2_Q60, 92);
    // r = x - n ln2 in Q.64, then Q.62.
    let r64 = (xr << 32) - n * LN2_Q64;
    let r = round_shift(r64, 2);
    let mut acc = EXP_COEFFS_Q62[10];
    for c in EXP_COEFFS_Q62[..10].iter().rev() {
        acc = *c + round_shift(acc * r, 62);
    }
    // e^x = acc * 2^n, acc in Q2.62, result in Q32.32.
    let value = if n <= 30 {
        round_shift(acc, (30 - n) as u32)
    } else {
        // n is at most 31 here (x <= 21.49), acc < 2^63: no overflow in i128.
        acc << ((n - 30) as u32)
    };
    SatI32F32::clamp_i128(value)
}

/// Natural logarithm in Q32.32, rounded to nearest, for `x > 0`; `x <= 0` gives
/// [`SatI32F32::MIN`] (the saturated value standing for minus infinity).
///
/// `x = 2^e m` with `m` in `[1/sqrt2, sqrt2)`, then `ln m = 2 atanh((m - 1)/(m + 1))` by
/// a degree-15 odd series in Q2.62 (truncation error below 2^-44).
///
/// Error (this module's tests, a geometric sweep of the positive range): at most 0.5 LSB
/// of Q32.32 plus `2^-20` LSB.
pub fn ln_q32(x: SatI32F32) -> SatI32F32 {
    if x.0 <= 0 {
        return SatI32F32::MIN;
    }
    let raw = x.0 as u64;
    let lz = raw.leading_zeros() as i128; // 1..=63
                                          // x = raw 2^-32 = m 2^e with m = raw 2^(lz-1) / 2^62 in [1, 2).
    let mut e: i128 = 63 - lz - 32;
    let mut m: i128 = (raw as i128) << (lz - 1);
    if m > SQRT2_Q62 {
        m = round_shift(m, 1);
        e += 1;
    }
    let one = 1i128 << 62;
    // s = (m - 1) / (m + 1) in Q.62, |s| <= 0.1716; m + 1 >= 1.7 so the division is safe.
    let num = (m - one) << 62;
    let den = m + one;
    let s = num / den;
    let s2 = round_shift(s * s, 62);
    let mut p = ATANH_COEFFS_Q62[7];
    for c in ATANH_COEFFS_Q62[..7].iter().rev() {
        p = *c + round_shift(p * s2, 62);
    }
    // ln x = e ln2 + 2 s p, assembled in Q.64.
    // 2 s p: Q.62 * Q.62 = Q.124, times 2, to Q.64: shift by 59.
    let ln_m_q64 = round_shift(s * p, 59);
    let total_q64 = e * LN2_Q64 + ln_m_q64;
    SatI32F32::clamp_i128(round_shift(total_q64, 32))
}

/// `e^x` for a fixed-point scalar (`I16F16`, `I8F24`), rounded to nearest; results above
/// the range saturate and say so. Error at most 0.5 LSB + 2^-8 LSB of the type (every
/// `I16F16` input, a sample of `I8F24` inputs, tested).
pub fn exp_fixed<F: Scalar<Work = SatI32F32>>(x: F) -> (F, Status) {
    F::from_work(exp_q32(x.to_work()))
}

/// Natural logarithm of a fixed-point scalar, rounded to nearest. A non-positive argument
/// gives the most negative value and [`Status::Saturated`]. Error at most 0.5 LSB + 2^-8
/// LSB of the type (tested on every `I16F16` input below 4 and sweeps of both types).
pub fn ln_fixed<F: Scalar<Work = SatI32F32>>(x: F) -> (F, Status) {
    F::from_work(ln_q32(x.to_work()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixed::types::{I16F16, I8F24};

    const Q32: f64 = 4_294_967_296.0;

    fn q(v: f64) -> SatI32F32 {
        SatI32F32::from_f64_saturating(v).0
    }

    #[test]
    fn exp_q32_close_to_f64() {
        let mut worst: f64 = 0.0;
        let mut x = -23.0;
        while x < 21.4 {
            let xq = q(x);
            let want = libm::exp(xq.to_f64_lossy());
            let got = exp_q32(xq).to_f64_lossy();
            // f64 exp has relative error < 2^-52: negligible against 2^-32 only below 2^20.
            // Allowed: 0.5 LSB, plus the polynomial's relative 2^-41.9 (matters for x > 0 only),
            // plus the f64 reference's own rounding.
            let err = (got - want).abs() * Q32 - want * (2f64.powi(-41) + 2f64.powi(-52)) * Q32;
            worst = worst.max(err);
            x += 0.000_731;
        }
        assert!(worst <= 0.5 + 1e-6, "worst {worst} LSB");
    }

    #[test]
    fn ln_q32_close_to_f64() {
        let mut worst: f64 = 0.0;
        let mut raw: i64 = 1;
        while raw < i64::MAX / 3 {
            let xq = SatI32F32(raw);
            let want = libm::log(xq.to_f64_lossy());
            let got = ln_q32(xq).to_f64_lossy();
            let err = (got - want).abs() * Q32 - want.abs() * 2f64.powi(-52) * Q32;
            worst = worst.max(err);
            raw = raw + raw / 997 + 1;
        }
        assert!(worst <= 0.5 + 1e-6, "worst {worst} LSB");
    }

    /// Worst error in LSB of `F` of `exp` and `ln` over inputs `raw = start, start+step, ...`.
    fn worst_lsb<F: Scalar<Work = SatI32F32>>(
        from_bits: fn(i32) -> F,
        f: fn(F) -> (F, Status),
        reference: fn(f64) -> f64,
        range: (i64, i64, i64),
    ) -> f64 {
        let (start, end, step) = range;
        let lsb = F::UNIT_ROUNDOFF;
        let mut worst: f64 = 0.0;
        let mut raw = start;
        while raw <= end {
            let x = from_bits(raw as i32);
            let (got, st) = f(x);
            assert!(st.is_ok(), "saturated at {x:?}");
            let want = reference(x.to_f64());
            worst = worst.max((got.to_f64() - want).abs() / lsb);
            raw += step;
        }
        worst
    }

    #[test]
    fn exp_i16f16_every_input() {
        // Every input from -16 (e^-16 < 2^-17 rounds to 0) to ln(32768) (the range's end).
        let w = worst_lsb(I16F16::from_bits, exp_fixed::<I16F16>, libm::exp, (-16 << 16, 681_390, 1));
        assert!(w <= 0.5 + 1.0 / 256.0, "{w}");
        // Above the range it saturates and says so.
        assert_eq!(exp_fixed(I16F16::from_num(11)).1, Status::Saturated);
    }

    #[test]
    fn exp_i8f24_sampled_inputs() {
        // Every 61st input from -20 to ln(128) = 4.852.
        let w = worst_lsb(I8F24::from_bits, exp_fixed::<I8F24>, libm::exp, (-20 << 24, 81_403_000, 61));
        assert!(w <= 0.5 + 1.0 / 256.0, "{w}");
    }

    #[test]
    fn ln_fixed_sampled_inputs() {
        // Every input below 4, then a geometric sweep over the rest of the positive range.
        let w = worst_lsb(I16F16::from_bits, ln_fixed::<I16F16>, libm::log, (1, 4 << 16, 1));
        assert!(w <= 0.5 + 1.0 / 256.0, "{w}");
        let w = worst_lsb(I8F24::from_bits, ln_fixed::<I8F24>, libm::log, (1, 1 << 24, 7));
        assert!(w <= 0.5 + 1.0 / 256.0, "{w}");
        let mut raw: i64 = 1 << 18;
        while raw < i32::MAX as i64 {
            let bits = raw as i32;
            let x = I16F16::from_bits(bits);
            let e = (ln_fixed(x).0.to_f64() - libm::log(x.to_f64())).abs() * 65536.0;
            assert!(e <= 0.5 + 1.0 / 256.0, "{x}: {e}");
            let y = I8F24::from_bits(bits);
            let e = (ln_fixed(y).0.to_f64() - libm::log(y.to_f64())).abs() * 16_777_216.0;
            assert!(e <= 0.5 + 1.0 / 256.0, "{y}: {e}");
            raw += raw / 4099 + 1;
        }
        assert_eq!(ln_fixed(I16F16::ZERO).1, Status::Saturated);
        assert_eq!(ln_fixed(I8F24::from_num(-1)).1, Status::Saturated);
    }
}
