//! The reciprocal of a sum of weights for the `I16F16` mixture kernel: [`recip_q58`].

use super::table::mul_hi;

/// `2^58 / s` for `s` in `[2^27, 2^32)` (the kernel's weight sums), relative error below
/// `2^-23` (every 4099th input and the ends tested), with one `UDIV` and 32x32->64 products:
/// a `UDIV` estimate from 15 to 20 bits of `s` (relative error below `2^-12`) and one Newton
/// step. `None` for `s < 2^12` (no estimate).
///
/// # Examples
/// ```
/// use tinyscore::num::recip_q58;
/// let y = recip_q58(3 << 27).unwrap() as f64;
/// assert!((y / (2f64.powi(58) / (3 << 27) as f64) - 1.0).abs() < 2f64.powi(-23));
/// ```
#[inline(always)]
pub fn recip_q58(s: u32) -> Option<u32> {
    let y0 = u32::MAX.checked_div(s >> 12)?;
    let y = y0.wrapping_shl(14);
    // (2^58 - s y) / 2^26, |.| < 2^20.
    let err = (((s as u64 * y as u64) >> 26) as u32).wrapping_neg() as i32;
    Some(y.wrapping_add(mul_hi(y as i32, err) as u32)) // to 2^-24
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recip_within_its_bound() {
        let mut worst: f64 = 0.0;
        let mut check = |s: u32| {
            let want = 2f64.powi(58) / s as f64;
            let got = recip_q58(s).unwrap() as f64;
            worst = worst.max((got / want - 1.0).abs());
        };
        for s in ((1u32 << 27)..=u32::MAX).step_by(4099) {
            check(s);
        }
        check(1 << 27);
        check(u32::MAX);
        std::println!("recip_q58: worst relative error 2^{}", worst.log2());
        assert!(worst < 2f64.powi(-23), "2^{}", worst.log2());
        assert_eq!(recip_q58(0), None);
    }
}
