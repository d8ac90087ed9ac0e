//! `ln` of a sum of base-2 weights for the `I16F16` mixture kernel: [`ln_weight_sum_q32`].

use super::table::{masked_entry, mul_hi};
use super::LN2_Q32;

/// `1/3` in Q0.32, rounded down.
const THIRD_Q32: i32 = 1_431_655_765;

/// `[r_i, -ln(r_i / 2^10) in Q0.32]` for `i = 0..64`: `r_i = 2^10 / (1 + (i + 1/2) / 64)`,
/// rounded, so that `m r_i / 2^10` is within `2^-6.9` of 1 for `m` in `[1 + i/64, 1 + (i+1)/64)`;
/// the logarithm rounded to nearest.
const LN_RECIP: [[u32; 2]; 64] = [
    [1016, 33686191],
    [1001, 97568885],
    [986, 162416125],
    [971, 228257486],
    [957, 290633626],
    [943, 353929026],
    [930, 413550459],
    [917, 474011202],
    [904, 535335226],
    [892, 592729852],
    [880, 650901856],
    [868, 709872585],
    [857, 764649722],
    [846, 820134511],
    [835, 876345474],
    [824, 933301872],
    [814, 985744127],
    [804, 1038834634],
    [794, 1092589619],
    [785, 1141551145],
    [776, 1191077261],
    [767, 1241181142],
    [758, 1291876427],
    [749, 1343177243],
    [741, 1389298141],
    [732, 1441783119],
    [724, 1488981037],
    [716, 1536703387],
    [708, 1584961954],
    [701, 1627637637],
    [694, 1670741613],
    [686, 1720538893],
    [679, 1764590226],
    [672, 1809098057],
    [665, 1854071948],
    [659, 1892999410],
    [652, 1938865248],
    [646, 1978572470],
    [639, 2025366351],
    [633, 2065885211],
    [627, 2106789971],
    [621, 2148088052],
    [615, 2189787091],
    [610, 2224848243],
    [604, 2267302961],
    [599, 2303005305],
    [593, 2346243596],
    [588, 2382611021],
    [583, 2419289018],
    [577, 2463720110],
    [572, 2501100392],
    [567, 2538808864],
    [563, 2569215839],
    [558, 2607529807],
    [553, 2646188639],
    [548, 2685198601],
    [544, 2716663704],
    [539, 2756322040],
    [535, 2788314496],
    [531, 2820547047],
    [526, 2861180910],
    [522, 2893967079],
    [518, 2927005452],
    [514, 2960299939],
];

/// `ln(s / 2^27)` in Q.32, for `s >= 1` (the kernel's sums are in `[2^27, 2^32)`).
///
/// `s = 2^(31 - z) m`, `m` in `[1, 2)` (CLZ): `ln m = ln(m r) - ln r`, `r` the 10-bit
/// reciprocal of the 64th of `[1, 2)` that holds `m` (table), `m r = 1 + eps` exact in 64
/// bits, `|eps| < 2^-6.9`, `ln(1 + eps)` by `eps - eps^2 / 2 + eps^3 / 3`.
/// Error (dense sweep of `m` against `f64`): below `2^-28` absolute.
///
/// # Examples
/// ```
/// use tinyscore::num::ln_weight_sum_q32;
/// let v = ln_weight_sum_q32(3 << 27) as f64 / 4_294_967_296.0; // ln 3
/// assert!((v - 3f64.ln()).abs() < 2f64.powi(-28));
/// ```
#[inline(always)]
pub fn ln_weight_sum_q32(s: u32) -> i64 {
    let z = s.leading_zeros();
    let m = s.wrapping_shl(z);
    let i = ((m >> 25) & 63) as usize;
    let [r, t] = masked_entry(&LN_RECIP, i);
    let (r, t) = (r as u64, t as i64);
    // eps in Q.32 (|eps| < 2^25.1): m r = (1 + eps) 2^41.
    let e = (((m as u64 * r) as i64).wrapping_sub(1 << 41) >> 9) as i32;
    let e2 = ((e as i64 * e as i64) >> 32) as i32;
    let e3 = mul_hi(e2, e);
    let poly = (e as i64).wrapping_sub((e2 >> 1) as i64).wrapping_add(mul_hi(e3, THIRD_Q32) as i64);
    let k = (4 - z as i64).wrapping_mul(LN2_Q32 as i64);
    t.wrapping_add(poly).wrapping_add(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn ln_dense_sweep_within_its_bound() {
        // Every 61st input of [2^27, 2^32) and every input within 2^12 of the 64 table
        // boundaries of each binade; error in units of 2^-32.
        let err = |s: u32| {
            let want = libm::log(s as f64 / (1u32 << 27) as f64) * 2f64.powi(32);
            (ln_weight_sum_q32(s) as f64 - want).abs()
        };
        let mut worst: f64 = 0.0;
        for s in ((1u32 << 27)..=u32::MAX).step_by(61) {
            worst = worst.max(err(s));
        }
        for k in 27..32 {
            for i in 0..=64u64 {
                let edge = (1u64 << k) + (i << (k - 6));
                for s in edge.saturating_sub(1 << 12)..(edge + (1 << 12)).min(1 << 32) {
                    worst = worst.max(err(s as u32));
                }
            }
        }
        std::println!("ln_weight_sum_q32: worst error {worst} units of 2^-32");
        assert!(worst <= 16.0, "worst error {worst} units of 2^-32");
        assert!(ln_weight_sum_q32(1 << 27).abs() <= 16);
    }
}
