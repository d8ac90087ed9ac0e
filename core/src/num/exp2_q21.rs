//! `-2^(-y)` for the base-2 log-likelihoods of the `I16F16` mixture kernel: [`neg_exp2_q21`].

use super::table::{masked_entry, mul_hi};
use super::LN2_Q32;

/// [`neg_exp2_q21`] is 0 from `y = NEG_EXP2_Q21_CUT` (in units of 1, i.e. `y >= 24 2^21`):
/// the weights it gives are then below `2^-24` of the largest.
pub const NEG_EXP2_Q21_CUT: u32 = 24;

/// `-2^(-k/64)` in Q2.29, `k = 0..64`, rounded to nearest (negative: see [`neg_exp2_q21`]).
const NEG_EXP2_64THS_Q29: [i32; 64] = [
    -536870912, -531087746, -525366875, -519707630, -514109347, -508571368, -503093043, -497673732, -492312797,
    -487009610, -481763549, -476573998, -471440350, -466362000, -461338355, -456368824, -451452825, -446589781,
    -441779122, -437020283, -432312707, -427655840, -423049137, -418492057, -413984066, -409524635, -405113241,
    -400749367, -396432500, -392162134, -387937769, -383758908, -379625062, -375535746, -371490480, -367488790,
    -363530205, -359614263, -355740503, -351908471, -348117717, -344367798, -340658272, -336988706, -333358668,
    -329767733, -326215479, -322701490, -319225354, -315786663, -312385013, -309020006, -305691246, -302398344,
    -299140913, -295918571, -292730940, -289577647, -286458320, -283372595, -280320109, -277300504, -274313427,
    -271358526,
];

/// `-2^(-y / 2^21)` in Q5.27 (so `-2^27` at `y = 0`), for `y` in Q11.21; 0 from
/// `y = 24 2^21`. Negative so that the kernel's weighted sums are signed `SMLAL`s.
///
/// `y = (64 i + k) 2^15 + f`: `2^(-k/64)` from a table, `2^(-f 2^-21) = e^-w`
/// (`w < ln2 / 64`) by `1 - w + w^2 / 2` (relative error below `2^-22`), `2^-i` by a shift.
/// Error (every input tested): at most `2^-22` relative plus 2 units of `2^-27`.
///
/// # Examples
/// ```
/// use tinyscore::num::neg_exp2_q21;
/// assert_eq!(neg_exp2_q21(0), -(1 << 27)); // -2^0 in Q5.27
/// assert_eq!(neg_exp2_q21(1 << 21), -(1 << 26)); // -2^-1
/// assert_eq!(neg_exp2_q21(24 << 21), 0); // below 2^-24: zero
/// ```
#[inline(always)]
pub fn neg_exp2_q21(y: u32) -> i32 {
    if y >= NEG_EXP2_Q21_CUT << 21 {
        return 0;
    }
    let int = y >> 21;
    let k = ((y >> 15) & 63) as usize;
    let t = masked_entry(&NEG_EXP2_64THS_Q29, k);
    // w = f ln2 in Q.38 (below 2^32), f = y mod 2^15 at the top of a word.
    let w = ((y.wrapping_shl(17) as u64 * LN2_Q32 as u64) >> 32) as u32;
    // w^2 / 2 in Q.30.
    let w2 = ((w as u64 * w as u64) >> 47) as u32;
    // t (1 + dp) with dp = w^2 / 2 - w in Q.30: t / 4 + t dp / 2^32 in Q5.27, negative.
    let dp = w2.wrapping_sub(w >> 8) as i32;
    let v = mul_hi(t, dp).wrapping_add(t >> 2);
    v.wrapping_shr(int)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAC: u32 = 21;
    const EXP_CUT: u32 = NEG_EXP2_Q21_CUT;

    #[test]
    fn exp2_every_input_within_its_bound() {
        let mut worst: f64 = 0.0;
        for y in 0..(EXP_CUT << FRAC) {
            let want = libm::exp2(-(y as f64) / (1u32 << FRAC) as f64) * (1u32 << 27) as f64;
            let got = -neg_exp2_q21(y) as f64;
            let excess = (got - want).abs() - want * 2f64.powi(-22);
            worst = worst.max(excess);
        }
        assert!(worst <= 2.0, "worst excess {worst} units of 2^-27");
        assert_eq!(neg_exp2_q21(0), -1 << 27);
        assert_eq!(neg_exp2_q21(EXP_CUT << FRAC), 0);
        assert_eq!(neg_exp2_q21(u32::MAX), 0);
    }
}
