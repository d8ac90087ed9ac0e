//! Branch-free polynomial `exp` and `ln` that the compiler vectorises (no libm call, no
//! table), for the batch kernel of [`crate::batch`].
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

/// `e^x` for `x <= 0` in `f32`, to 2 ulp (module documentation). NaN gives NaN;
/// `x < -87.3` is clamped (the result is then about 1.2e-38 instead of smaller).
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

/// Natural logarithm of a positive normal `f64` (module documentation). Zero, negative,
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

    #[test]
    fn exp_f32_within_2_ulp_over_its_range() {
        // Every 37th f32 from -87.3 to 0 (about 29 million inputs).
        let mut worst: f64 = 0.0;
        let hi = (-87.3f32).to_bits();
        let mut b = 0x8000_0000u32; // -0.0
        while b <= hi {
            let x = f32::from_bits(b);
            let got = exp_f32(x) as f64;
            let want = libm::exp(x as f64);
            let err = (got - want).abs() / ulp_f32(want as f32);
            worst = worst.max(err);
            b += 37;
        }
        assert!(worst <= 2.0, "worst {worst} ulp");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(-1000.0) > 0.0 && exp_f32(-1000.0) < 1.3e-38);
        assert!(exp_f32(f32::NAN).is_nan());
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
