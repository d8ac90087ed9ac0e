//! Branch-free polynomial `exp` and `ln` that the compiler vectorises (no libm call, no
//! table), for the batch kernel of [`crate::mixture::batch`] and the `f32` mixture kernel.
//!
//! | function | domain | worst error (measured by this module's tests against libm) |
//! |---|---|---|
//! | [`exp_f32`] | `x <= 0` (below -87.3 the result is `e^-87.3`, not 0) | 2 ulp of `f32` for `x >= -87.3` |
//! | [`ln_f64`] | normal positive `f64` | `4e-16 + 2^-51 abs(ln x)` (2 ulp of the result, or 4e-16 near `x = 1`) |
//!
//! `exp_f32`: `x = n ln2 + r` (Cody-Waite, `|r| <= ln2 / 2`), a degree-7 Taylor polynomial
//! (truncation below 5.3e-9 relative, 0.09 ulp), and `2^n` built from the exponent bits.
//! `ln_f64`: `x = 2^e m`, `m` in `[sqrt(1/2), sqrt(2))`, `ln m = 2 atanh(s)` with
//! `s = (m - 1)/(m + 1)`, an odd series to `s^17` (truncation below 2e-17).

use super::table::masked_entry;

/// `e^x` for `x <= 0` in `f32`, to 2 ulp (module documentation). NaN gives NaN;
/// `x < -87.3` is clamped (the result is then about 1.2e-38 instead of smaller).
///
/// # Examples
/// ```
/// use tinyscore::num::exp_f32;
/// let e = exp_f32(-1.0);
/// assert!((e as f64 - (-1.0f64).exp()).abs() <= 2.0 * f32::EPSILON as f64 * e as f64);
/// ```
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4; // 0x3f318000: n * LN2_HI exact for |n| < 2^8
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 * 2^23: adding it rounds to an integer (round to nearest even).
    const SHIFTER: f32 = 12_582_912.0;
    let x = if x < -87.3 { -87.3 } else { x };
    let t = x * LOG2E + SHIFTER;
    let n = t - SHIFTER; // round(x / ln2), an integer in [-126, 0]
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // The low bits of t hold n (two's complement); 2^n has exponent field n + 127 in 1..=127.
    let nbits = t.to_bits().wrapping_sub(SHIFTER.to_bits());
    let scale = f32::from_bits(nbits.wrapping_add(127) << 23);
    p * scale
}

/// `2^(i/32)`, `i = 0..32`, rounded to `f32` (bit patterns).
const EXP2_THIRTYSECONDS_BITS: [u32; 32] = [
    0x3f800000, 0x3f82cd87, 0x3f85aac3, 0x3f88980f, 0x3f8b95c2, 0x3f8ea43a, 0x3f91c3d3, 0x3f94f4f0, 0x3f9837f0,
    0x3f9b8d3a, 0x3f9ef532, 0x3fa27043, 0x3fa5fed7, 0x3fa9a15b, 0x3fad583f, 0x3fb123f6, 0x3fb504f3, 0x3fb8fbaf,
    0x3fbd08a4, 0x3fc12c4d, 0x3fc5672a, 0x3fc9b9be, 0x3fce248c, 0x3fd2a81e, 0x3fd744fd, 0x3fdbfbb8, 0x3fe0ccdf,
    0x3fe5b907, 0x3feac0c7, 0x3fefe4ba, 0x3ff5257d, 0x3ffa83b3,
];

/// `e^x` for `x <= 0` in `f32` with a 32-entry table, for scalar (not vectorised) loops:
/// about 20 instructions on a Cortex-M4F against 30 for [`exp_f32`]. Same contract: 2 ulp
/// for `x >= -87.3` (measured by this module's tests against libm), `x < -87.3` gives
/// `e^-87.3`, NaN gives NaN.
///
/// `x = (32 n + i) ln2 / 32 + r` with `|r| <= ln2 / 64` (Cody-Waite), `e^r - 1` by its cubic
/// Taylor polynomial (truncation 6e-10 relative), `2^(i/32)` from the table, `2^n` added to
/// its exponent bits, and one rounding at the end: `s + s (e^r - 1)`.
#[inline(always)]
pub fn exp_nonpos_f32(x: f32) -> f32 {
    const THIRTYTWO_OVER_LN2: f32 = 46.166_24;
    const LN2_OVER_32_HI: f32 = 0.021_659_851; // 0x3cb17000: k * HI exact for |k| < 2^12
    const LN2_OVER_32_LO: f32 = 9.983_182e-7;
    const SHIFTER: f32 = 12_582_912.0; // 1.5 * 2^23
    let x = if x < -87.3 { -87.3 } else { x };
    let t = x * THIRTYTWO_OVER_LN2 + SHIFTER;
    let kf = t - SHIFTER; // round(32 x / ln2), an integer in [-4031, 0]
    let k = t.to_bits().wrapping_sub(SHIFTER.to_bits()) as i32;
    let r = (x - kf * LN2_OVER_32_HI) - kf * LN2_OVER_32_LO;
    let p_minus_1 = ((r * (1.0 / 6.0) + 0.5) * r + 1.0) * r;
    let frac = masked_entry(&EXP2_THIRTYSECONDS_BITS, (k & 31) as usize);
    // 2^(k >> 5) 2^(i/32): k >> 5 is in [-126, 0], so the result stays normal.
    let scaled = f32::from_bits(frac.wrapping_add(((k >> 5) as u32) << 23));
    scaled + scaled * p_minus_1
}

/// Natural logarithm of a positive normal `f64`, within `4e-16 + 2^-51 |ln x|` (2 ulp of the
/// result, or 4e-16 near `x = 1`; this module's tests, a sweep of `[1e-300, 1e300]`). Zero, negative,
/// subnormal or non-finite arguments give meaningless finite values or NaN: callers pass
/// sums of exponentials in `[1, K]`.
#[inline(always)]
pub fn ln_f64(x: f64) -> f64 {
    const LN2: f64 = core::f64::consts::LN_2;
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7FF) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000); // [1, 2)
                                                                                    // Move m into [sqrt(1/2), sqrt(2)).
    let big = m > core::f64::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e = if big { e + 1 } else { e };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut p = 1.0 / 17.0;
    p = p * s2 + 1.0 / 15.0;
    p = p * s2 + 1.0 / 13.0;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    let ln_m = 2.0 * s + 2.0 * s * s2 * p;
    e as f64 * LN2 + ln_m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulp_f32(v: f32) -> f64 {
        let b = v.to_bits();
        (f32::from_bits(b + 1) as f64) - (v as f64)
    }

    /// Worst error in ulp of `f` against libm's `f64` `exp`, on every 37th `f32` from -87.3
    /// to 0 (about 29 million inputs).
    fn worst_ulp_on_nonpos_range(f: fn(f32) -> f32) -> f64 {
        let mut worst: f64 = 0.0;
        let hi = (-87.3f32).to_bits();
        let mut b = 0x8000_0000u32; // -0.0
        while b <= hi {
            let x = f32::from_bits(b);
            let want = libm::exp(x as f64);
            worst = worst.max((f(x) as f64 - want).abs() / ulp_f32(want as f32));
            b += 37;
        }
        worst
    }

    #[test]
    fn exp_f32_within_2_ulp_over_its_range() {
        let worst = worst_ulp_on_nonpos_range(exp_f32);
        assert!(worst <= 2.0, "worst {worst} ulp");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(-1000.0) > 0.0 && exp_f32(-1000.0) < 1.3e-38);
        assert!(exp_f32(f32::NAN).is_nan());
    }

    #[test]
    fn exp_nonpos_f32_within_2_ulp_over_its_range() {
        let worst = worst_ulp_on_nonpos_range(exp_nonpos_f32);
        assert!(worst <= 2.0, "worst {worst} ulp");
        assert_eq!(exp_nonpos_f32(0.0), 1.0);
        assert!(exp_nonpos_f32(-1000.0) > 0.0 && exp_nonpos_f32(-1000.0) < 1.3e-38);
        assert!(exp_nonpos_f32(f32::NEG_INFINITY) < 1.3e-38);
        assert!(exp_nonpos_f32(f32::NAN).is_nan());
    }

    #[test]
    fn exp_table_is_two_to_the_i_over_32() {
        for (i, &v) in EXP2_THIRTYSECONDS_BITS.iter().enumerate() {
            assert_eq!(f32::from_bits(v), libm::exp2(i as f64 / 32.0) as f32, "entry {i}");
        }
    }

    #[test]
    fn ln_f64_accurate() {
        // Allowed: 4e-16 + 2^-51 |ln x|; measure the excess in units of that bound.
        let mut worst: f64 = 0.0;
        let mut check = |y: f64| {
            let want = libm::log(y);
            let err = (ln_f64(y) - want).abs() / (4e-16 + want.abs() * 2f64.powi(-51));
            worst = worst.max(err);
        };
        let mut x = 1e-300f64;
        while x < 1e300 {
            for y in [x, x * 1.000_000_1, x * 1.43, x * 1.999_999] {
                check(y);
            }
            x *= 1.013;
        }
        for i in 0..200_000 {
            check(1.0 + i as f64 * 8.0e-5);
        }
        assert!(worst <= 1.0, "{worst} of the bound");
    }
}
