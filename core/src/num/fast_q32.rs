//! Q32.32 kernels with 32-bit multiplies only, for the softmax and the activations:
//!
//! | function | input range | worst error (measured by this module's tests) |
//! |---|---|---|
//! | [`exp_nonpos_fast_q32`] | `x <= 0` | 2^-28 absolute (16 LSB of Q32.32; measured 2^-29.5) |
//! | [`div_fast_q32`] | all, `b = 0` saturates | relative 2^-28 plus 1 LSB |
//!
//! ```
//! use tinyscore::num::{div_fast_q32, exp_nonpos_fast_q32, SatI32F32};
//! use tinyscore::Real;
//! let (x, _) = SatI32F32::from_f64_saturating(-1.5);
//! let e = exp_nonpos_fast_q32(x).to_f64_lossy();
//! assert!((e - (-1.5f64).exp()).abs() <= 2f64.powi(-28));
//! let q = div_fast_q32(SatI32F32::ONE, x).to_f64_lossy();
//! assert!((q + 2.0 / 3.0).abs() <= 2.0 / 3.0 * 2f64.powi(-28) + 2f64.powi(-32));
//! ```

use super::exp_ln_q32::exp_q32;
use super::table::masked_entry;
use super::SatI32F32;

/// 2^(k/32) in Q2.30 for k = 0..32 (rounded to nearest).
const EXP2_32THS_Q30: [i32; 32] = [
    1073741824, 1097253708, 1121280436, 1145833280, 1170923762, 1196563654, 1222764986, 1249540052, 1276901417,
    1304861917, 1333434672, 1362633090, 1392470869, 1422962010, 1454120821, 1485961921, 1518500250, 1551751076,
    1585730000, 1620452965, 1655936265, 1692196547, 1729250827, 1767116489, 1805811301, 1845353420, 1885761398,
    1927054196, 1969251188, 2012372174, 2056437387, 2101467502,
];

/// 1, 1, 1/2, 1/6 in Q2.30: the cubic Taylor polynomial of exp.
const EXP_CUBIC_Q30: [i32; 4] = [1073741824, 1073741824, 536870912, 178956971];

/// `e^x` for `x <= 0` in Q32.32 with 32-bit arithmetic: absolute error at most 2^-28
/// (16 LSB of Q32.32; measured 2^-29.5), for the softmax of the mixture and the activations
/// of the learned score, where it costs about 50 instructions on a Cortex-M3 instead of a
/// few hundred for [`exp_q32`]. Positive arguments fall back to [`exp_q32`].
///
/// `x = (32 m + k) ln2 / 32 + r` with `|r| <= ln2 / 64`, then
/// `e^x = 2^m 2^(k/32) e^r`: a 32-entry table and a cubic in Q2.30 (truncation 2^-30.7)
/// with 32x32->64 products, and a rounding shift by `m`.
pub fn exp_nonpos_fast_q32(x: SatI32F32) -> SatI32F32 {
    const THIRTY_TWO_OVER_LN2_Q24: i64 = 774_541_002;
    const LN2_OVER_32_Q40: i64 = 23_816_355_775;
    if x.0 > 0 {
        return exp_q32(x);
    }
    // e^-22 < 2^-31.7: below the error bound.
    if x.0 < -22 * (1i64 << 32) {
        return SatI32F32(0);
    }
    // n = round(32 x / ln2) from x in Q.16 (|x| < 2^21 there): n in -1016..=0.
    let xh = x.0 >> 16;
    let n = (xh * THIRTY_TWO_OVER_LN2_Q24 + (1 << 39)) >> 40;
    // r = x - n ln2/32 in Q.40, then Q.31 (|r| < 0.011).
    let r40 = (x.0 << 8) - n * LN2_OVER_32_Q40;
    let r = ((r40 + (1 << 8)) >> 9) as i32;
    let mut p: i32 = EXP_CUBIC_Q30[3];
    for &c in EXP_CUBIC_Q30[..3].iter().rev() {
        p = c + ((p as i64 * r as i64 + (1 << 30)) >> 31) as i32;
    }
    // n = 32 m + k with k in 0..32 (floor division), e^x = 2^m 2^(k/32) e^r.
    let k = (n & 31) as usize;
    let m = n >> 5; // -32..=0
    let t = masked_entry(&EXP2_32THS_Q30, k);
    // v in Q2.30 (< 2^31); Q32.32 is v << 2 >> -m.
    let v = (t as i64 * p as i64 + (1 << 29)) >> 30;
    let shift = (-m).clamp(0, 62) as u32;
    let q = v << 2;
    if shift == 0 {
        SatI32F32(q)
    } else {
        SatI32F32((q + (1i64 << (shift - 1))) >> shift)
    }
}

/// `a / b` in Q32.32 with 32-bit multiplies only (no 128-bit division): relative error at
/// most 2^-28 plus 1 LSB, saturating; `b = 0` saturates toward the sign of `a`.
///
/// `|b|` is normalised to `m` in [0.5, 1) (its top 32 bits), `1/m` refined from a linear
/// guess by four Newton steps `y <- y (2 - m y)` in Q2.30, then `a y` shifted back. On
/// Cortex-M this replaces a call to `__divti3` (thousands of instructions) by about a
/// hundred.
pub fn div_fast_q32(a: SatI32F32, b: SatI32F32) -> SatI32F32 {
    if b.0 == 0 {
        return if a.0 >= 0 { SatI32F32::MAX } else { SatI32F32::MIN };
    }
    let negative = (a.0 < 0) != (b.0 < 0);
    let b_abs = b.0.unsigned_abs();
    let lz = b_abs.leading_zeros(); // 0..=63
    let m = ((b_abs << lz) >> 32) as u32 as u64; // Q0.32, in [2^31, 2^32)
                                                 // 1/m in Q2.30: linear guess 2.9142 - 2m, then Newton (the error squares each step).
    const C0: u64 = 3_129_107_008; // 2.9142 in Q2.30
    let mut y: u64 = C0 - (m >> 1);
    for _ in 0..4 {
        let my = (m * y) >> 32; // Q2.30
        let two_minus = (2u64 << 30).saturating_sub(my);
        y = (y * two_minus) >> 30;
    }
    // |a| / |b| = |a| y 2^(lz - 62) in raw units.
    let a_abs = a.0.unsigned_abs();
    let (ah, al) = (a_abs >> 32, a_abs & 0xFFFF_FFFF);
    let prod = (((ah * y) as u128) << 32) + (al * y) as u128;
    let shift = 62 - lz as i32;
    let q: u128 = if shift > 0 {
        (prod + (1u128 << (shift - 1))) >> shift
    } else if prod > (u64::MAX as u128) >> (-shift) {
        u64::MAX as u128
    } else {
        prod << (-shift)
    };
    // q < 2^94 here: the clamp below saturates anything beyond Q32.32.
    let q = q as i128;
    SatI32F32::clamp_i128(if negative { -q } else { q })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Real;

    const Q32: f64 = 4_294_967_296.0;

    fn q(v: f64) -> SatI32F32 {
        SatI32F32::from_f64_saturating(v).0
    }

    #[test]
    fn fast_division_within_its_bound() {
        let vals = [1.0, 1.5, 2.0, 3.0, 7.999, 0.001, 1e-9, 12345.678, 2.0e9, -0.75, -5.5, 0.3333];
        for &a in &vals {
            for &b in &vals {
                let (qa, qb) = (q(a), q(b));
                let got = div_fast_q32(qa, qb).to_f64_lossy();
                let want = qa.to_f64_lossy() / qb.to_f64_lossy();
                if want.abs() >= 2.1e9 {
                    assert!(div_fast_q32(qa, qb).is_limit(), "{a}/{b}");
                    continue;
                }
                let err = (got - want).abs();
                assert!(err <= want.abs() * 2f64.powi(-28) + 1.0 / Q32, "{a}/{b}: {got} vs {want}");
            }
        }
        assert!(div_fast_q32(q(1.0), SatI32F32(0)).is_limit());
    }

    #[test]
    fn fast_exp_within_its_bound() {
        let mut worst: f64 = 0.0;
        let mut raw: i64 = 0;
        // Every 997th Q32.32 input below 2^-12, then a geometric sweep down to -23.
        while raw > -23 * (1i64 << 32) {
            let x = SatI32F32(raw);
            let got = exp_nonpos_fast_q32(x).to_f64_lossy();
            worst = worst.max((got - libm::exp(x.to_f64_lossy())).abs());
            raw -= if raw > -(1 << 20) { 997 } else { -raw / 5003 };
        }
        std::println!("fast exp worst 2^{}", worst.log2());
        assert!(worst <= 2f64.powi(-28), "worst {} = 2^{}", worst, worst.log2());
    }
}
