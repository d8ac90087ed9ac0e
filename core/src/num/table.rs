//! The one audited table lookup of the kernels: a masked index into a power-of-two table.

/// `table[i & (N - 1)]`: the entry of a table of `N` entries, `N` a power of two, at the
/// index reduced modulo `N` (callers pass an index already in `0..N`; the mask makes the
/// bound evident to the compiler, which then emits no bound check and no panic path).
///
/// # Examples
/// ```
/// use tinyscore::num::masked_entry;
/// const T: [u8; 4] = [10, 11, 12, 13];
/// assert_eq!(masked_entry(&T, 2), 12);
/// assert_eq!(masked_entry(&T, 6), 12); // 6 mod 4
/// ```
#[inline(always)]
#[allow(clippy::indexing_slicing)] // in range: see the proof in the body
pub const fn masked_entry<T: Copy, const N: usize>(table: &[T; N], i: usize) -> T {
    const { assert!(N.is_power_of_two(), "masked_entry needs a power-of-two table") };
    // Proof of range: N is a power of two (checked at compile time above), so
    // i & (N - 1) <= N - 1 < N for every i.
    table[i & (N - 1)]
}

/// The high word of the 64-bit product `a b` (one `SMULL` on Cortex-M3).
#[inline(always)]
pub(crate) const fn mul_hi(a: i32, b: i32) -> i32 {
    ((a as i64 * b as i64) >> 32) as i32
}
