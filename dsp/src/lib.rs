//! The dual 16-bit multiply-add kernels of the q8 network's hidden and output layers on cores with the
//! DSP extension (Cortex-M4/M7), in inline assembly: `SMLAD` does two multiply-adds in one
//! instruction, and LLVM forms it only from single-use 16-bit loads (its ARMParallelDSP
//! pass, at opt-level 3), not from the four-row kernel that shares each input load.
//!
//! `tinyscore` (whose core has no `unsafe`) calls [`dot4_pairs`] and [`dot_pairs`] when its `dsp-asm`
//! feature is on and falls back to its portable kernel whenever this returns `None`:
//! on every other core, and for a block that is not word-aligned. The results are the same
//! bits (integer sums modulo 2^32), which `cargo xtask qemu` checks on the Cortex-M4F
//! against the host's portable kernel.
#![no_std]
#![deny(missing_docs, unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

/// `sum_p w_kp . h_p` for four rows `k` (modulo 2^32, each `.` two `i16` products added),
/// where `h` holds `P = h.len() / 4` words of two little-endian `i16` inputs and `block`
/// the four rows' weights as `16 P` bytes: for each pair `p`, row 0's two `i16` weights,
/// then rows 1, 2 and 3's. `None` (nothing computed) where there is no `SMLAD`, if `P = 0`,
/// if `block` is shorter than `16 P` bytes or not word-aligned (`LDRD`).
///
/// 9 instructions per pair of inputs (8 multiply-adds): one input load, two double-word
/// weight loads, four `SMLAD`, the loop count and branch.
#[cfg(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")))]
#[inline]
pub fn dot4_pairs(block: &[u8], h: &[u8]) -> Option<[i32; 4]> {
    let pairs = h.len() / 4;
    if pairs == 0 || block.len() < 16 * pairs || block.as_ptr() as usize % 4 != 0 {
        return None;
    }
    let (mut a0, mut a1, mut a2, mut a3) = (0i32, 0i32, 0i32, 0i32);
    // SAFETY: the loop runs `pairs >= 1` times; it reads `4 pairs <= h.len()` bytes from
    // `h` (LDR, which ARMv7E-M allows unaligned, as the compiler's own code for this
    // target assumes) and `16 pairs <= block.len()` bytes from `block`, word-aligned as
    // LDRD needs (both checked above); it writes no memory and uses no stack, and every
    // register it changes is an operand.
    unsafe {
        core::arch::asm!(
            "2:",
            "ldr {h}, [{hp}], #4",
            "ldrd {w0}, {w1}, [{wp}], #8",
            "smlad {a0}, {w0}, {h}, {a0}",
            "smlad {a1}, {w1}, {h}, {a1}",
            "ldrd {w0}, {w1}, [{wp}], #8",
            "smlad {a2}, {w0}, {h}, {a2}",
            "smlad {a3}, {w1}, {h}, {a3}",
            "subs {n}, {n}, #1",
            "bne 2b",
            hp = inout(reg) h.as_ptr() => _,
            wp = inout(reg) block.as_ptr() => _,
            n = inout(reg) pairs => _,
            h = out(reg) _,
            w0 = out(reg) _,
            w1 = out(reg) _,
            a0 = inout(reg) a0,
            a1 = inout(reg) a1,
            a2 = inout(reg) a2,
            a3 = inout(reg) a3,
            options(nostack, readonly),
        );
    }
    Some([a0, a1, a2, a3])
}

/// `(sum_(j < n) w_j h_j (modulo 2^32), n)` for the first `n = 8 Q` of the `i16` weights
/// `w` and inputs `h` (little-endian `i16` bytes), `Q = min(w.len() / 8, h.len() / 16)`
/// groups of four pairs; the caller adds the rest. `None` where there is no `SMLAD` or if
/// `Q = 0`. 14 instructions per group (8 multiply-adds): eight loads, four `SMLAD`, the
/// loop count and branch.
#[cfg(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")))]
#[inline]
pub fn dot_pairs(w: &[i16], h: &[u8]) -> Option<(i32, usize)> {
    let groups = (w.len() / 8).min(h.len() / 16);
    if groups == 0 {
        return None;
    }
    let mut a = 0i32;
    // SAFETY: the loop runs `groups >= 1` times and reads `16 groups` bytes from each of `w`
    // (`2 w.len() >= 16 groups`) and `h` (`h.len() >= 16 groups`) with LDR, which ARMv7E-M
    // allows unaligned (as the compiler's own code for this target assumes); it writes no
    // memory and uses no stack, and every register it changes is an operand.
    unsafe {
        core::arch::asm!(
            "2:",
            "ldr {x}, [{wp}], #4",
            "ldr {y}, [{hp}], #4",
            "smlad {a}, {x}, {y}, {a}",
            "ldr {x}, [{wp}], #4",
            "ldr {y}, [{hp}], #4",
            "smlad {a}, {x}, {y}, {a}",
            "ldr {x}, [{wp}], #4",
            "ldr {y}, [{hp}], #4",
            "smlad {a}, {x}, {y}, {a}",
            "ldr {x}, [{wp}], #4",
            "ldr {y}, [{hp}], #4",
            "smlad {a}, {x}, {y}, {a}",
            "subs {n}, {n}, #1",
            "bne 2b",
            wp = inout(reg) w.as_ptr() => _,
            hp = inout(reg) h.as_ptr() => _,
            n = inout(reg) groups => _,
            x = out(reg) _,
            y = out(reg) _,
            a = inout(reg) a,
            options(nostack, readonly),
        );
    }
    Some((a, 8 * groups))
}

/// Where there is no `SMLAD`: always `None` (the caller's portable kernel runs).
#[cfg(not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))))]
#[inline]
pub fn dot_pairs(_w: &[i16], _h: &[u8]) -> Option<(i32, usize)> {
    None
}

/// Where there is no `SMLAD`: always `None` (the caller's portable kernel runs).
#[cfg(not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))))]
#[inline]
pub fn dot4_pairs(_block: &[u8], _h: &[u8]) -> Option<[i32; 4]> {
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_dsp_no_result() {
        // The host has no SMLAD: the portable kernel must run (the assembly is checked
        // bit for bit under QEMU on the Cortex-M4F, `cargo xtask qemu`).
        assert_eq!(super::dot4_pairs(&[0; 16], &[0; 4]), None);
        assert_eq!(super::dot_pairs(&[0; 8], &[0; 16]), None);
    }
}
