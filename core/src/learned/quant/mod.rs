//! The score network in integers (`q8`): int8 weights, 16-bit activations, 32-bit
//! accumulators, for microcontrollers without a floating-point unit.
//!
//! # Scheme
//! [`QuantMlp`] is a [`ScoreMlp`] quantised with symmetric per-output-channel scales (zero
//! point 0), the scheme of TFLite and CMSIS-NN's `arm_fully_connected_s8`/`s16`:
//!
//! ```text
//! uq_d  = round((x_d - m_d) k_d(t))                i16, k_d(t) = 1 / (c_d(t) s_u)   per t
//! a0_i  = B_i(t) + sum_d wx_id uq_d                i32, wx in i16 (scale sx_i)
//! B_i(t)= round((w_t f(t) + b_in)_i / (sx_i s_u))  i32, the time features folded   per t
//! z_i   = rq(a_i, M_i, n_i)                        Q16 i32 pre-activation
//! h_i   = tanh_q15(z_i)                            Q15 i16 (scale 2^-15)
//! a_i   = b_i + sum_j w_ij h_j                     hidden layers, w in i8
//! a_d   = b_d + sum_j w_dj h_j                     output layer, w in i16 (|w| <= QMAX)
//! o_d   = rq(a_d, M_d, n_d)                        Q(output_frac) i32
//! s_d   = o_d 2^-output_frac / n(t) - (x_d - m_d) / c_d(t)^2      in the sampler's S
//! ```
//!
//! * Weights: `w = wq scale_i`, `scale_i = max_j |w_ij| / 127`, `wq = round(w / scale_i)`.
//!   The output layer's `D x H` weights in `i16` with `QMAX` ([`QuantOutput::QMAX`], 1,024
//!   for `H = 32`) in place of 127: its rounding reaches the score undamped (TFLite's 16x8
//!   idea, applied where it matters and costs `D H` multiply-adds).
//!   The first layer's `D x H` weights `wx` are stored in i16 (`scale_i = max_d |wx_id| /
//!   (32767 / D)`, and at least `2 max_t |b_in + w_t f(t)|_i / (2^30 s_u)` over the
//!   calibrated `t`, so that `B_i(t)` fits): that layer sees the unbounded normalised input
//!   and costs only `D H` multiply-adds.
//! * Biases: `b_i = round(b / (scale_i 2^-15))` in i32 (the accumulator's unit).
//! * Requantisation `rq(a, M, n) = (a M + 2^(n-1)) >> n` (arithmetic shift: round to
//!   nearest, ties up; for `n >= 33`, real multipliers below 1/4, computed from the high
//!   word of `a M` in 32-bit arithmetic), with `M` in `[2^30, 2^31)` and `n` in `[1, 62]` chosen so that
//!   `M 2^-n` is the real multiplier (the layer's input scale times `scale_i` over the output
//!   unit) within a relative `2^-31`; the result is clamped to `i32`.
//! * `tanh_q15(z)`: a Q15 table of `tanh(k / 64)`, `k = 0..343`, made odd, linear
//!   interpolation on the 10 fraction bits rounded with ties up, 32767 for `|z| >= 342 / 64`
//!   (where the table is 32767: `tanh > 1 - 2^-16`); within [`TANH_ERROR`] of
//!   `tanh(z 2^-16)`.
//! * Everything depending on `t` only ([`QuantTime`]: `k_d`, `m_d`, `1 / c_d^2`, `1 / n`,
//!   `B_i(t)`) is computed once per `t` in `f64` ([`QuantMlp::prepare`]); the forward pass
//!   for one `x` ([`QuantMlp::score_prepared`]) is integer only, apart from the input
//!   scaling and the output scaling in the sampler's type `S`.
//! * Accumulators cannot overflow: `|a| <= 2^30 + 127 * 32767 * H < 2^31` for `H <= 256`,
//!   and `2^30 + QMAX * 32767 * H < 2^31` in the output layer (biases are limited to
//!   `|b| <= 2^30`).
//!
//! # Calibration
//! The input scale `s_u` and the output format are chosen from draws of `(t, x)` of the
//! float model ([`Calibration`]): `s_u = max(1, 2 max|u|) / 32767` (margin 2 over the largest
//! normalised input seen), and `output_frac` the largest in `0..=24` with
//! `4 max|o| 2^output_frac <= 2^31`, lowered (not below 16) until every output multiplier
//! is below 1/4. The hidden activations need no calibration (tanh is
//! bounded by 1: Q15), the pre-activations neither (Q16 covers `|z| < 32768`, and `tanh` is
//! flat beyond 8). Use about 4,000 draws, `t` over the model's training range and `x` from
//! `p(., t)` (the diffused data): the largest `|u|` of `n` Gaussian draws grows like
//! `sqrt(2 ln n)`, so more draws change `s_u` little.
//!
//! # Errors against the float model
//! [`QuantMlp::error_bound`] bounds `|o_q - o|` (the network output against the float model
//! evaluated exactly) for every input that does not saturate; [`QuantReport`] measures the
//! error layer by layer on given draws (TFLite's quantisation debugger).
//!
//! # File
//! Version 2 of the model file ([`super::model_file`]), scalar code 4: the version-1
//! header and constants, then (little-endian)
//!
//! | field | type |
//! |---|---|
//! | `input_scale` (`s_u`) | `f32` |
//! | `output_frac` | `u32` (0 to 24) |
//! | first: `wx[H][D]`, `w_t[H][TIME_FEATURES]`, `b_in[H]`, `scale[H]`, `mult[H]`, `shift[H]` | `i16`, `f64`, `f64`, `f32`, `i32`, `u8` |
//! | each of `L` hidden: `w[H][H]`, `bias[H]`, `scale[H]`, `mult[H]`, `shift[H]` | `i8`, `i32`, `f32`, `i32`, `u8` |
//! | output: `w[D][H]`, `bias[D]`, `scale[D]`, `mult[D]`, `shift[D]` | `i16`, `i32`, `f32`, `i32`, `u8` |
//! | CRC-32 | `u32` |

mod file;
mod gptq;
mod tanh_table;

use core::fmt;

use super::model::{ScoreMlp, TIME_FEATURES};
use super::{Float, Preconditioning, Time};
use crate::num::SatI32F32;
use crate::score_source::{ScoreSource, TimePrepared};
use crate::{Real, Scalar, Status};

pub use file::q8_encoded_len;
pub use gptq::Curvature;

/// Bound of `|tanh_q15(z) 2^-15 - tanh(z 2^-16)|` for every `z`: table interpolation
/// `(1/64)^2 / 8 * 4 / (3 sqrt 3) = 2.35e-5`, table rounding `2^-16`, interpolation rounding
/// `2^-16`: `5.4e-5 < 2^-14`; beyond the table (`|z| >= 342 / 64`) 32767 is within `2^-15`
/// of `tanh`.
pub const TANH_ERROR: f64 = 1.0 / 16_384.0;

/// Unit of the hidden activations (Q15).
pub const ACT_FRAC: u32 = 15;
/// Unit of the pre-activations given to `tanh` (Q16).
pub const PRE_FRAC: u32 = 16;
/// Largest `|bias|` accepted (keeps the accumulators from overflowing).
pub const MAX_BIAS: i32 = 1 << 30;
/// Largest `output_frac`.
pub const MAX_OUTPUT_FRAC: u32 = 24;

/// Intervals `[k, k + 1] / 64` of the `tanh` table: beyond the last, `tanh` is 32767 (Q15).
/// (The Cortex-M3 and M4 read a longer table, see [`TANH_ODD_HALF`].)
#[cfg(not(all(target_arch = "arm", target_has_atomic = "32")))]
const TANH_INTERVALS: usize = 343;

/// The `|z|` (Q16) beyond which `tanh` is taken from the last table interval (where it is
/// 32767 throughout, as it is beyond).
#[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
const TANH_CLAMP: u32 = ((TANH_INTERVALS as u32) << 10) - 1;

/// `tanh(z 2^-16)` in Q15 (see the module documentation; error at most [`TANH_ERROR`]):
/// the linear interpolation of the odd table `T(k) = sign(k) T[|k|]` (`T[k] =
/// round(32768 tanh(k / 64))`, capped at 32767) on the 10 fraction bits of `z`, rounded to
/// nearest with ties up (`+ 2^9`, then `>> 10`). `tanh_q15(-z) = -tanh_q15(z)` except at
/// those ties (one unit apart, both within the bound).
///
/// # Examples
/// ```
/// use tinyscore::learned::quant::{tanh_q15, TANH_ERROR};
/// let z = (0.5f64 * 65536.0) as i32;
/// assert!((tanh_q15(z) as f64 / 32768.0 - 0.5f64.tanh()).abs() <= TANH_ERROR);
/// assert_eq!(tanh_q15(-z), -tanh_q15(z));
/// assert_eq!(tanh_q15(i32::MIN), -32767);
/// ```
#[inline(always)]
pub fn tanh_q15(z: i32) -> i16 {
    tanh_odd(z)
}

/// [`tanh_q15`] on the Cortex-M0 (the half table, 688 bytes): `|z|` and the sign put back
/// without a branch (`s` is 0 or -1, `(v ^ s) - s` is `v` or `-v`). On the negative side
/// the interval is read mirrored, `-(y_k + (dy f + 2^9 - 1) >> 10)`: the odd table's
/// interpolation with ties up, as the other cores compute it from the whole table.
#[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
#[inline(always)]
fn tanh_odd(z: i32) -> i16 {
    let s = z >> 31;
    // i32::MIN gives 2^31 as u32, clamped like any large |z|.
    let a = ((z ^ s).wrapping_sub(s) as u32).min(TANH_CLAMP);
    let t = &tanh_table::TANH_Q15;
    let i = (a >> 10) as usize;
    let y0 = t.get(i).map_or(32767, |&v| v as i32);
    let dy = t.get(i + 1).map_or(32767, |&v| v as i32) - y0;
    let f = (a & 0x3FF) as i32;
    // 0 <= dy <= 512, f < 2^10: no overflow; y <= 32767.
    let y = y0 + ((dy * f + (1 << 9) + s) >> 10);
    ((y ^ s) - s) as i16
}

/// [`tanh_q15`] on the other cores: one load from [`TANH_ODD`], no sign handling. `z` is
/// clamped into the table's range (on the Cortex-M3 and M4 `[-2^19, 2^19)` in Q16: one
/// `SSAT`; the table is -32767 and 32767 beyond `|z| >= 342 / 64`); the interval of `z` is
/// `(z >> 10) + N` and `z & 0x3FF` its fraction (the offset is a multiple of 2^10).
#[cfg(not(all(target_arch = "arm", not(target_has_atomic = "32"))))]
#[inline(always)]
fn tanh_odd(z: i32) -> i16 {
    let c = z.clamp(-TANH_ODD_CLAMP, TANH_ODD_CLAMP - 1);
    let e = TANH_ODD.get(((c >> 10) + TANH_ODD_HALF as i32) as usize).copied().unwrap_or(0);
    let f = (c & 0x3FF) as u32;
    // e = y_k (as u16) | dy << 16, 0 <= dy <= 512: the sum's low half is y_k + the
    // rounded interpolation, within i16.
    e.wrapping_add(((e >> 16) * f + (1 << 9)) >> 10) as i16
}

/// Intervals of [`TANH_ODD`] on either side of 0 on Arm: `[-8, 8)`, the range of a 20-bit
/// `SSAT`, which clamps in one instruction.
#[cfg(all(target_arch = "arm", target_has_atomic = "32"))]
const TANH_ODD_HALF: usize = 512;
/// Intervals of [`TANH_ODD`] on either side of 0 elsewhere: the table's non-constant part
/// (the same results, the table being flat beyond `342 / 64`; on RISC-V, where a clamp is
/// two compares at any bound, the table's middle stays within a load's 12-bit offset: 64
/// instructions fewer per call than with 512).
#[cfg(not(target_arch = "arm"))]
const TANH_ODD_HALF: usize = TANH_INTERVALS;

/// The clamp of [`tanh_odd`]'s input (Q16): the table's ends.
#[cfg(not(all(target_arch = "arm", not(target_has_atomic = "32"))))]
const TANH_ODD_CLAMP: i32 = (TANH_ODD_HALF as i32) << 10;

/// The odd `tanh` table's intervals `k = -N..N` (index `k + N`, `N` =
/// [`TANH_ODD_HALF`]), one word each: `y_k | (y_(k+1) - y_k) << 16` with `y_k` as `u16`
/// (one load per `tanh`; 4 KiB on Arm, 2,744 bytes on RISC-V, where the Cortex-M0 keeps
/// the 688-byte half table alone).
#[cfg(not(all(target_arch = "arm", not(target_has_atomic = "32"))))]
static TANH_ODD: [u32; 2 * TANH_ODD_HALF] = tanh_odd_segments();

/// [`TANH_ODD`] from the half table (32767 beyond its end), evaluated by the compiler only
/// (an index out of range would be a compile error, never a panic at run time).
#[cfg(not(all(target_arch = "arm", not(target_has_atomic = "32"))))]
#[allow(clippy::indexing_slicing)]
const fn tanh_odd_segments() -> [u32; 2 * TANH_ODD_HALF] {
    const fn half(k: usize) -> i16 {
        let t = &tanh_table::TANH_Q15;
        if k < t.len() {
            t[k]
        } else {
            32767
        }
    }
    let n = TANH_ODD_HALF;
    let mut s = [0u32; 2 * TANH_ODD_HALF];
    let mut k = 0;
    while k < n {
        // Interval k >= 0: [T[k], T[k + 1]]; interval -k - 1: [-T[k + 1], -T[k]].
        let dy = (half(k + 1) - half(k)) as u32;
        s[n + k] = (half(k) as u16 as u32) | (dy << 16);
        s[n - 1 - k] = ((-half(k + 1)) as u16 as u32) | (dy << 16);
        k += 1;
    }
    s
}

/// `(a m + 2^(n-1)) >> n`, clamped to `i32`; `m` in `[2^30, 2^31)` and `n` in `[1, 62]`
/// (checked when the model is built or read).
///
/// # Examples
/// ```
/// use tinyscore::learned::quant::requantize;
/// assert_eq!(requantize(1000, 1 << 30, 31), 500); // 1000 * 0.5
/// assert_eq!(requantize(3, 1 << 30, 32), 1); // 0.75 rounds to 1
/// assert_eq!(requantize(-3, 1 << 30, 33), 0); // -0.375 rounds to 0
/// ```
#[inline(always)]
pub fn requantize(a: i32, m: i32, n: u8) -> i32 {
    let n = n as u32;
    if n >= 33 {
        // a m = hi 2^32 + lo, 0 <= lo < 2^32, and 2^(n-1) = 2^(n-33) 2^32: floor((a m +
        // 2^(n-1)) / 2^n) = floor((hi + 2^(n-33)) / 2^(n-32)), in 32-bit arithmetic (|hi| <
        // 2^30 as |a m| < 2^62, so no overflow). No 64-bit shift: on a Cortex-M0 those are calls.
        let hi = mul_hi(a, m);
        let k = n - 32;
        return hi.wrapping_add(1i32.wrapping_shl(k - 1)).wrapping_shr(k);
    }
    requantize_wide(a, m, n)
}

/// [`requantize`] for shifts below 33 (real multipliers of 1/4 and more: rare), in 64 bits.
#[cold]
#[inline(never)]
fn requantize_wide(a: i32, m: i32, n: u32) -> i32 {
    let p = a as i64 * m as i64;
    let r = p.wrapping_add(1i64.wrapping_shl(n.wrapping_sub(1))).wrapping_shr(n);
    r.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// `floor(a m / 2^32)` for `0 <= m < 2^31`: one long multiply where the core has one.
#[cfg(not(all(target_arch = "arm", not(target_has_atomic = "32"))))]
#[inline(always)]
fn mul_hi(a: i32, m: i32) -> i32 {
    ((a as i64 * m as i64) >> 32) as i32
}

/// `floor(a m / 2^32)` for `0 <= m < 2^31` on ARMv6-M (no `SMULL`; a 64-bit product is a
/// library call): [`mul_hi_split`].
#[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
#[inline(always)]
fn mul_hi(a: i32, m: i32) -> i32 {
    mul_hi_split(a, m)
}

/// `floor(a m / 2^32)` for `0 <= m < 2^31` from four 16 x 16-bit products, exact:
/// with `a = ah 2^16 + al`, `m = mh 2^16 + ml` (`al, ml` in `[0, 2^16)`), `c1 = ah ml`,
/// `c2 = al mh` (both within `i32`), `t = al ml`:
/// `floor(a m / 2^32) = ah mh + (c1 >> 16) + (((c1 & 0xFFFF) + c2 + (t >> 16)) >> 16)`,
/// the last sum below `2^32` in `u32`.
#[inline(always)]
#[allow(dead_code)] // used on ARMv6-M; tested everywhere
fn mul_hi_split(a: i32, m: i32) -> i32 {
    let (ah, al) = (a >> 16, (a & 0xFFFF) as u32);
    let (mh, ml) = ((m >> 16) as u32, (m & 0xFFFF) as u32);
    let c1 = ah.wrapping_mul(ml as i32);
    let c2 = al.wrapping_mul(mh);
    let t = al.wrapping_mul(ml);
    let mid = ((c1 & 0xFFFF) as u32).wrapping_add(c2).wrapping_add(t >> 16) >> 16;
    ah.wrapping_mul(mh as i32).wrapping_add(c1 >> 16).wrapping_add(mid as i32)
}

/// A real multiplier `r > 0` as `(M, n)` with `M` in `[2^30, 2^31)`, `M 2^-n = r` within a
/// relative `2^-31`; `None` if `n` would leave `[1, 62]` or `r` is not a positive number.
///
/// # Examples
/// ```
/// use tinyscore::learned::quant::multiplier;
/// assert_eq!(multiplier(0.5), Some((1 << 30, 31)));
/// assert_eq!(multiplier(3.0), Some((3 << 29, 29)));
/// assert_eq!(multiplier(0.0), None);
/// ```
pub fn multiplier(r: f64) -> Option<(i32, u8)> {
    if !(r.is_finite() && r > 0.0) {
        return None;
    }
    let mut n = 0i32;
    let mut v = r;
    while v < 1_073_741_824.0 && n <= 62 {
        v *= 2.0;
        n += 1;
    }
    while v >= 2_147_483_648.0 && n >= 1 {
        v *= 0.5;
        n -= 1;
    }
    let mut m = round_half_away(v);
    if m >= 2_147_483_648.0 {
        m *= 0.5;
        n -= 1;
    }
    if !(1..=62).contains(&n) || !(1_073_741_824.0..2_147_483_648.0).contains(&m) {
        return None;
    }
    Some((m as i32, n as u8))
}

/// Round to nearest, ties away from zero (`f64`, no `libm`).
pub(crate) fn round_half_away(v: f64) -> f64 {
    let r = if v >= 0.0 { v + 0.5 } else { v - 0.5 };
    // Truncation toward zero; values beyond 2^52 are already integers.
    if r.abs() < 4_503_599_627_370_496.0 {
        (r as i64) as f64
    } else {
        v
    }
}

/// The conversions between the sampler's working type and the network's integers.
pub trait QuantWork: Real {
    /// `round(self)` (ties away from zero for floats, up for fixed point) clamped to
    /// `[lo, hi]`; `true` if it was clamped or the value is at its type's limit.
    fn round_clamped(self, lo: i32, hi: i32) -> (i32, bool);
    /// `v 2^-frac` (`frac <= 32`); exact for fixed point, rounded once for floats.
    fn from_scaled(v: i32, frac: u32) -> Self;
}

macro_rules! float_work {
    ($t:ty, $bits:ty, $mant:expr, $bias:expr) => {
        impl QuantWork for $t {
            #[inline]
            fn round_clamped(self, lo: i32, hi: i32) -> (i32, bool) {
                let r = if self >= 0.0 { self + 0.5 } else { self - 0.5 };
                let v = r as i32; // truncates, saturates, NaN -> 0
                let c = v.clamp(lo, hi);
                (c, c != v || r.is_nan() || r.abs() >= 2_147_483_648.0)
            }
            #[inline]
            fn from_scaled(v: i32, frac: u32) -> Self {
                // 2^-frac exactly, from its bits.
                let p = <$t>::from_bits((($bias - frac.min(32)) as $bits) << $mant);
                v as $t * p
            }
        }
    };
}
float_work!(f32, u32, 23, 127u32);
float_work!(f64, u64, 52, 1023u32);

impl QuantWork for SatI32F32 {
    /// `round(raw 2^-32)` with ties up is the high word plus bit 31 of the low word: 32-bit
    /// arithmetic only. The sum overflows only at `raw >= (2^31 - 1/2) 2^32`, above any
    /// `hi`; a saturated `i64::MAX` is clamped then, and `i64::MIN` too unless
    /// `lo = i32::MIN` (`quant_round_clamped_matches_the_64_bit_rounding`).
    #[inline]
    fn round_clamped(self, lo: i32, hi: i32) -> (i32, bool) {
        let (h, b) = ((self.0 >> 32) as i32, ((self.0 as u32) >> 31) as i32);
        let (v, over) = h.overflowing_add(b);
        let c = if over { hi } else { v.clamp(lo, hi) };
        (c, over || c != v || (lo == i32::MIN && self.0 == i64::MIN))
    }
    #[inline]
    fn from_scaled(v: i32, frac: u32) -> Self {
        SatI32F32((v as i64).wrapping_shl(32u32.saturating_sub(frac)))
    }
}

/// The requantisation of one output channel: `rq(a) = (a mult + 2^(shift-1)) >> shift`
/// ([`requantize`]), with the 32-bit path's shift and rounding term worked out once, when
/// the channel is built or read, rather than at every call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Requant {
    /// `M` in `[2^30, 2^31)`.
    mult: i32,
    /// `2^(fast_shift - 1)`: the 32-bit path's rounding term (0 on the 64-bit path).
    round: i32,
    /// `n` in `[1, 62]`.
    shift: u8,
    /// `n - 32` when `n >= 33` (the 32-bit path, see [`requantize`]), 0 below (64 bits).
    fast_shift: u8,
}

impl Requant {
    /// From `M` and `n` (valid if [`Self::is_valid`]).
    pub const fn from_parts(mult: i32, shift: u8) -> Self {
        let fast_shift = if shift >= 33 && shift <= 62 { shift - 32 } else { 0 };
        let round = if fast_shift > 0 { 1 << (fast_shift - 1) } else { 0 };
        Requant { mult, round, shift, fast_shift }
    }
    /// From a real multiplier (see [`multiplier`]).
    pub fn new(r: f64) -> Option<Self> {
        multiplier(r).map(|(mult, shift)| Self::from_parts(mult, shift))
    }
    /// `M`.
    pub const fn mult(&self) -> i32 {
        self.mult
    }
    /// `n`.
    pub const fn shift(&self) -> u8 {
        self.shift
    }
    /// `true` if `mult` and `shift` are in range.
    pub fn is_valid(&self) -> bool {
        (1 << 30..=i32::MAX).contains(&self.mult) && (1..=62).contains(&self.shift)
    }
    /// `rq(a)`: [`requantize`]`(a, M, n)`, bit for bit. (On the Cortex-M0, whose 64-bit
    /// product takes four multiplies, reloading the precomputed constants costs more than
    /// deriving them from `n`: it calls [`requantize`] as it is.)
    #[inline(always)]
    pub fn apply(&self, a: i32) -> i32 {
        if cfg!(all(target_arch = "arm", not(target_has_atomic = "32"))) {
            return requantize(a, self.mult, self.shift);
        }
        if self.is_fast() {
            self.apply_fast(a)
        } else {
            requantize_wide(a, self.mult, self.shift as u32)
        }
    }
    /// [`requantize`]'s 32-bit path with its constants precomputed (only for a channel that
    /// [`Self::is_fast`]).
    #[inline(always)]
    fn apply_fast(&self, a: i32) -> i32 {
        mul_hi(a, self.mult).wrapping_add(self.round).wrapping_shr(self.fast_shift as u32)
    }
    /// `rq(a)` in a layer whose channels all take the 32-bit path (`FAST`, checked per `t`
    /// by [`QuantMlp::prepare`]: no test of the channel's path), else [`Self::apply`].
    #[inline(always)]
    fn apply_as<const FAST: bool>(&self, a: i32) -> i32 {
        if FAST {
            self.apply_fast(a)
        } else {
            self.apply(a)
        }
    }
    /// `true` if [`Self::apply`] takes the 32-bit path (`n >= 33`).
    #[inline]
    fn is_fast(&self) -> bool {
        self.fast_shift != 0
    }
    /// The real multiplier `M 2^-n`.
    pub fn real(&self) -> f64 {
        self.mult as f64 / libm::exp2(self.shift as f64)
    }
}

/// The first layer: i16 weights on the normalised inputs, and the float time block and
/// bias folded into a per-`t` bias ([`QuantMlp::prepare`]).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct QuantFirst<const D: usize, const H: usize> {
    /// `wx[i][d]`, scale `scale[i]`, `|wx| <= 32767`.
    pub w: [[i16; D]; H],
    /// The time-feature weights `w_t[i][k]` (float: used once per `t`).
    pub w_t: [[f64; TIME_FEATURES]; H],
    /// The bias `b_in[i]` (float: used once per `t`).
    pub b_in: [f64; H],
    /// Weight scale per output channel, `> 0`.
    pub scale: [f32; H],
    /// Accumulator (unit `scale[i] s_u`) to Q16.
    pub rq: [Requant; H],
}

/// A hidden or output layer: i8 weights, i32 biases in the accumulator's unit.
///
/// # Memory layout
/// The weights are kept as `u8` (read with [`Self::weight`]): offset by 128 (`w + 128`) on
/// the Cortex-M0 and the cores with the DSP extension, plain `w` bits elsewhere
/// (`W_OFFSET`). How the layer's inputs are held and multiplied depends on the core; every
/// way gives the plain `b + sum w h` bit for bit (integer sums modulo 2^32 whose result fits
/// `i32`):
///
/// * Cores with the DSP extension (`target_feature = "dsp"`, or an ARM `eabihf` target:
///   Cortex-M4F/M7F, for the compilers that do not show `dsp` to `cfg`): the weights are also kept widened to `i16` (2 more bytes per weight,
///   filled whenever the weights are set or read), the inputs as `i16` (little-endian bytes),
///   so that one 32-bit load brings two of either and `SMLABB`/`SMLATT` do one multiply-add
///   each; four output rows at a time share each input load.
/// * On the Cortex-M0 the inputs are offset by 32768 (`h + 32768` in `u16`): unsigned loads
///   have an immediate-offset form there (the signed ones do not), so a multiply-add is 4
///   instructions, one output row at a time. The offsets cancel exactly:
///   `sum (w + 128)(h + 32768) - 128 sum (h + 32768) - 32768 sum (w + 128) + 2^22 I
///   = sum w h`, the per-row constant folded with the bias (`fold`).
/// * Elsewhere (Cortex-M3, RISC-V, hosts) weights and inputs are plain `w` and `h` (signed
///   loads have immediate offsets there), four output rows at a time sharing each input load.
///
/// `#[repr(C)]`, the per-row constants first: the loads of a layer's constants keep small
/// immediate offsets.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct QuantDense<const I: usize, const O: usize> {
    /// `b[i]` in units of `scale[i] 2^-15`, `|b| <= 2^30`.
    bias: [i32; O],
    /// `b[i] - 32768 sum_j (w_ij + 128) + 2^22 I` (wrapping) on the Cortex-M0, `b[i]` elsewhere.
    fold: [i32; O],
    /// Weight scale per output channel, `> 0`.
    pub scale: [f32; O],
    /// Accumulator (unit `scale[i] 2^-15`) to the layer's output unit (Q16 for hidden
    /// layers, `Q(output_frac)` for the output).
    pub rq: [Requant; O],
    /// `w[i][j] + 128`, `|w| <= 127`.
    w: [[u8; I]; O],
    /// `w[i][j]` as `i16`, little-endian bytes, laid out as [`w16_pos`] says (the DSP
    /// kernel's copy of `w`), word-aligned for its double-word loads at any width.
    #[cfg(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")))]
    w16: WordAligned<[[[u8; 2]; I]; O]>,
}

/// A value aligned to 4 bytes (the `SMLAD` kernel's `LDRD` needs word-aligned weights; a
/// byte array alone may land anywhere in its struct, and the kernel would fall back).
#[cfg(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")))]
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(4))]
struct WordAligned<T>(T);

/// A layer input as the multiply-adds read it: `h` as `i16` little-endian bytes on cores with
/// the DSP extension, `h + 32768` elsewhere (see [`QuantDense`]).
#[cfg(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")))]
type Act = [u8; 2];
/// A layer input as the multiply-adds read it (see [`QuantDense`]): `h + 32768`.
#[cfg(all(
    not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))),
    all(target_arch = "arm", not(target_has_atomic = "32"))
))]
type Act = u16;
/// A layer input as the multiply-adds read it (see [`QuantDense`]): `h`.
#[cfg(not(any(
    any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")),
    all(target_arch = "arm", not(target_has_atomic = "32"))
)))]
type Act = i16;

/// `h` as a layer input ([`Act`]).
#[cfg(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")))]
#[inline(always)]
fn act(h: i16) -> Act {
    h.to_le_bytes()
}

/// `h` as a layer input ([`Act`]).
#[cfg(all(
    not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))),
    all(target_arch = "arm", not(target_has_atomic = "32"))
))]
#[inline(always)]
fn act(h: i16) -> Act {
    offset(h)
}

/// `h` as a layer input ([`Act`]).
#[cfg(not(any(
    any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")),
    all(target_arch = "arm", not(target_has_atomic = "32"))
)))]
#[inline(always)]
fn act(h: i16) -> Act {
    h
}

/// The activation held in a layer input ([`act`] undone).
#[cfg(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")))]
#[inline(always)]
fn act_value(a: Act) -> i16 {
    i16::from_le_bytes(a)
}

/// The activation held in a layer input ([`act`] undone).
#[cfg(all(
    not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))),
    all(target_arch = "arm", not(target_has_atomic = "32"))
))]
#[inline(always)]
fn act_value(a: Act) -> i16 {
    (a ^ 0x8000) as i16
}

/// The activation held in a layer input ([`act`] undone).
#[cfg(not(any(
    any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")),
    all(target_arch = "arm", not(target_has_atomic = "32"))
)))]
#[inline(always)]
fn act_value(a: Act) -> i16 {
    a
}

/// The offset of [`Act`] (`act_raw(act(h)) = h + ACT_OFFSET`).
#[cfg(all(
    not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))),
    all(target_arch = "arm", not(target_has_atomic = "32"))
))]
const ACT_OFFSET: i32 = 32768;
/// The offset of [`Act`] (`act_raw(act(h)) = h + ACT_OFFSET`).
#[cfg(not(all(
    not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))),
    all(target_arch = "arm", not(target_has_atomic = "32"))
)))]
const ACT_OFFSET: i32 = 0;

/// How a hidden layer's weight `w` is held in [`QuantDense`]: `w + 128` (as `u8`) where the
/// kernel reads it unsigned (the Cortex-M0: unsigned loads have an immediate-offset form) or
/// only widens it (the DSP kernel's copy), `w` itself (as `u8` bits) elsewhere, where signed
/// byte loads are as cheap and no correction sum is needed.
#[cfg(any(
    target_feature = "dsp",
    all(target_arch = "arm", target_abi = "eabihf"),
    all(target_arch = "arm", not(target_has_atomic = "32"))
))]
const W_OFFSET: u8 = 0x80;
/// How a hidden layer's weight is held (see the other cores' definition): `w` itself.
#[cfg(not(any(
    target_feature = "dsp",
    all(target_arch = "arm", target_abi = "eabihf"),
    all(target_arch = "arm", not(target_has_atomic = "32"))
)))]
const W_OFFSET: u8 = 0;

/// A layer input as an integer as held: `h + ACT_OFFSET` (one unsigned load on the M0).
#[cfg(all(
    not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))),
    all(target_arch = "arm", not(target_has_atomic = "32"))
))]
#[inline(always)]
fn act_raw(a: Act) -> i32 {
    a as i32
}

/// A layer input as an integer as held: `h + ACT_OFFSET`.
#[cfg(not(all(
    not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))),
    all(target_arch = "arm", not(target_has_atomic = "32"))
)))]
#[inline(always)]
fn act_raw(a: Act) -> i32 {
    act_value(a) as i32
}

impl<const I: usize, const O: usize> QuantDense<I, O> {
    /// All zero (scales 1, multipliers 2^-1: valid, useless).
    pub const fn zeroed() -> Self {
        QuantDense {
            w: [[W_OFFSET; I]; O],
            #[cfg(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")))]
            w16: WordAligned([[[0; 2]; I]; O]),
            bias: [0; O],
            fold: [0; O],
            scale: [1.0; O],
            rq: [Requant::from_parts(1 << 30, 31); O],
        }
    }

    /// The weight `w[i][j]` (0 outside the layer), scale `scale[i]`.
    pub fn weight(&self, i: usize, j: usize) -> i8 {
        self.w.get(i).and_then(|r| r.get(j)).map_or(0, |&b| (b ^ W_OFFSET) as i8)
    }

    /// Set `w[i][j]` (ignored outside the layer; `-128` is stored as `-127`).
    pub fn set_weight(&mut self, i: usize, j: usize, v: i8) {
        if let Some(b) = self.w.get_mut(i).and_then(|r| r.get_mut(j)) {
            *b = (v.max(-127) as u8) ^ W_OFFSET;
        }
        self.refresh();
    }

    /// The biases `b[i]` (units of `scale[i] 2^-15`).
    pub fn bias(&self) -> &[i32; O] {
        &self.bias
    }

    /// Set `b[i]` (clamped to `|b| <= 2^30`; ignored outside the layer).
    pub fn set_bias(&mut self, i: usize, v: i32) {
        if let Some(b) = self.bias.get_mut(i) {
            *b = v.clamp(-MAX_BIAS, MAX_BIAS);
        }
        self.refresh();
    }

    /// Recompute the folded constants (and the widened weights) from the weights and biases.
    fn refresh(&mut self) {
        for ((f, &b), w) in self.fold.iter_mut().zip(self.bias.iter()).zip(self.w.iter()) {
            let sw = w.iter().fold(0i32, |a, &v| a.wrapping_add(v as i32));
            // b - 32768 sum (w + 128) + 2^22 I on the Cortex-M0 (offset weights and inputs);
            // b where the inputs are not offset (the fold is then unused).
            let all = (I as i32).wrapping_mul(W_OFFSET as i32).wrapping_mul(ACT_OFFSET);
            *f = b.wrapping_sub(sw.wrapping_mul(ACT_OFFSET)).wrapping_add(all);
        }
        #[cfg(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")))]
        {
            let flat = self.w16.0.as_flattened_mut().as_flattened_mut();
            for (i, row) in self.w.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    let p = w16_pos::<I, O>(i, j);
                    if let Some([lo, hi]) = flat.get_mut(p..p + 2) {
                        [*lo, *hi] = ((v ^ W_OFFSET) as i8 as i16).to_le_bytes();
                    }
                }
            }
        }
    }

    /// `out_i = rq_i(b_i + sum_j w_ij h_j)` with the inputs as [`act`] holds them.
    #[cfg(test)]
    fn forward_biased(&self, h: &[Act; I], out: &mut [i32; O]) {
        self.forward_summed::<false, _>(h, act_sum(h), out, |z| z);
    }

    /// `out_i = g(rq_i(b_i + sum_j w_ij h_j))` with the sum of the inputs ([`act_sum`],
    /// kept while they were written) given; the DSP kernel needs none.
    #[cfg(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf")))]
    #[inline(always)]
    fn forward_summed<const FAST: bool, T>(
        &self,
        h: &[Act; I],
        _sum: i32,
        out: &mut [T; O],
        mut g: impl FnMut(i32) -> T,
    ) {
        let mut rows = self.w16.0.chunks_exact(4);
        let mut outs = out.chunks_exact_mut(4);
        let mut biases = self.bias.chunks_exact(4);
        let mut rqs = self.rq.chunks_exact(4);
        for (((w4, o4), b4), q4) in (&mut rows).zip(&mut outs).zip(&mut biases).zip(&mut rqs) {
            if let ([o0, o1, o2, o3], [b0, b1, b2, b3], [q0, q1, q2, q3]) = (o4, b4, q4) {
                let [a0, a1, a2, a3] = dot4_i16(w4.as_flattened().as_flattened(), h.as_flattened());
                *o0 = g(q0.apply_as::<FAST>(b0.wrapping_add(a0)));
                *o1 = g(q1.apply_as::<FAST>(b1.wrapping_add(a1)));
                *o2 = g(q2.apply_as::<FAST>(b2.wrapping_add(a2)));
                *o3 = g(q3.apply_as::<FAST>(b3.wrapping_add(a3)));
            }
        }
        let rest = rows.remainder().iter().zip(biases.remainder().iter().zip(rqs.remainder().iter()));
        for (o, (w, (&b, q))) in outs.into_remainder().iter_mut().zip(rest) {
            *o = g(q.apply_as::<FAST>(b.wrapping_add(dot_i16(w.as_flattened(), h.as_flattened()))));
        }
    }

    /// `out_i = g(rq_i(b_i + sum_j w_ij h_j))` with the sum of the inputs ([`act_sum`])
    /// given: the Cortex-M0's kernel, one row at a time.
    #[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
    #[inline(always)]
    fn forward_summed<const FAST: bool, T>(
        &self,
        hb: &[Act; I],
        sum: i32,
        out: &mut [T; O],
        mut g: impl FnMut(i32) -> T,
    ) {
        let sub = sum.wrapping_mul(128);
        for ((o, w), (&f, rq)) in out.iter_mut().zip(self.w.iter()).zip(self.fold.iter().zip(self.rq.iter())) {
            *o = g(rq.apply(f.wrapping_sub(sub).wrapping_add(dot_u8(w, hb))));
        }
    }

    /// `out_i = g(rq_i(b_i + sum_j w_ij h_j))` (the sum of the inputs is not needed here):
    /// four rows at a time. Weights and inputs are plain `w` and `h` here (signed loads
    /// have immediate offsets on these cores), the bias as it is.
    #[cfg(not(any(
        target_feature = "dsp",
        all(target_arch = "arm", target_abi = "eabihf"),
        all(target_arch = "arm", not(target_has_atomic = "32"))
    )))]
    #[inline(always)]
    fn forward_summed<const FAST: bool, T>(
        &self,
        hb: &[Act; I],
        _sum: i32,
        out: &mut [T; O],
        mut g: impl FnMut(i32) -> T,
    ) {
        let mut rows = self.w.chunks_exact(4);
        let mut outs = out.chunks_exact_mut(4);
        let mut biases = self.bias.chunks_exact(4);
        let mut rqs = self.rq.chunks_exact(4);
        for (((w4, o4), b4), q4) in (&mut rows).zip(&mut outs).zip(&mut biases).zip(&mut rqs) {
            if let ([w0, w1, w2, w3], [o0, o1, o2, o3], [b0, b1, b2, b3], [q0, q1, q2, q3]) = (w4, o4, b4, q4) {
                let [a0, a1, a2, a3] = dot4_i8([w0, w1, w2, w3], hb);
                *o0 = g(q0.apply_as::<FAST>(b0.wrapping_add(a0)));
                *o1 = g(q1.apply_as::<FAST>(b1.wrapping_add(a1)));
                *o2 = g(q2.apply_as::<FAST>(b2.wrapping_add(a2)));
                *o3 = g(q3.apply_as::<FAST>(b3.wrapping_add(a3)));
            }
        }
        let rest = rows.remainder().iter().zip(biases.remainder().iter().zip(rqs.remainder().iter()));
        for (o, (w, (&b, q))) in outs.into_remainder().iter_mut().zip(rest) {
            let [a, _, _, _] = dot4_i8([w, w, w, w], hb);
            *o = g(q.apply_as::<FAST>(b.wrapping_add(a)));
        }
    }
}

/// The output layer: the hidden layers' scheme with wider weights, `i16` with at most
/// [`Self::QMAX`] in magnitude (1,024 for `I = 32`, 16 times the resolution of `i8`): its
/// rounding error reaches the score undamped by any `tanh` and divided by the noise scale
/// `n(t)`, and with 8-bit weights it was the largest error of the network (sampling W1
/// 0.045 against 0.026 for the float model on the firmware's generation model, against 0.031
/// with 8-bit hidden weights alone: `scripts/quant-ablation.py`). `O x I` multiply-adds, a few per call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantOutput<const I: usize, const O: usize> {
    /// `w[o][j]`, scale `scale[o]`, `|w| <= QMAX` ([`Self::weight`]).
    w: [[i16; I]; O],
    /// `b[o]` in units of `scale[o] 2^-15`, `|b| <= 2^30` ([`Self::bias`]).
    bias: [i32; O],
    /// `b[o] - ACT_OFFSET sum_j w[o][j]` (wrapping): the bias seen by inputs held offset.
    fold: [i32; O],
    /// Weight scale per output, `> 0`.
    pub scale: [f32; O],
    /// Accumulator (unit `scale[o] 2^-15`) to `Q(output_frac)`.
    pub rq: [Requant; O],
}

impl<const I: usize, const O: usize> QuantOutput<I, O> {
    /// The largest weight magnitude: the accumulator `|b + sum_j w_j h_j| <= 2^30 + QMAX
    /// 32767 I` stays below 2^31 (`(2^30 - 1) / (32767 I)`, at most 32767, at least 1).
    pub const QMAX: i32 = {
        let q = (MAX_BIAS - 1) / (32767 * if I == 0 { 1 } else { I as i32 });
        if q > 32767 {
            32767
        } else if q < 1 {
            1
        } else {
            q
        }
    };

    /// All zero (scales 1, multipliers 2^-1: valid, useless).
    pub const fn zeroed() -> Self {
        QuantOutput {
            w: [[0; I]; O],
            bias: [0; O],
            fold: [0; O],
            scale: [1.0; O],
            rq: [Requant::from_parts(1 << 30, 31); O],
        }
    }

    /// The weight `w[o][j]` (0 outside the layer), scale `scale[o]`.
    pub fn weight(&self, o: usize, j: usize) -> i16 {
        self.w.get(o).and_then(|r| r.get(j)).copied().unwrap_or(0)
    }

    /// The biases `b[o]` (units of `scale[o] 2^-15`).
    pub fn bias(&self) -> &[i32; O] {
        &self.bias
    }

    /// Recompute the folded biases from the weights and biases.
    fn refresh(&mut self) {
        for ((f, &b), w) in self.fold.iter_mut().zip(self.bias.iter()).zip(self.w.iter()) {
            let sw = w.iter().fold(0i32, |a, &v| a.wrapping_add(v as i32));
            *f = b.wrapping_sub(sw.wrapping_mul(ACT_OFFSET));
        }
    }

    /// `out_o = rq_o(b_o + sum_j w_oj h_j)` with the inputs as the hidden layers hold them
    /// (offset inputs against the folded bias: bit for bit the plain sum, modulo 2^32 with a
    /// result that fits `i32`).
    #[inline(always)]
    fn forward(&self, h: &[Act; I], out: &mut [i32; O]) {
        for ((o, w), (&f, rq)) in out.iter_mut().zip(self.w.iter()).zip(self.fold.iter().zip(self.rq.iter())) {
            *o = rq.apply(f.wrapping_add(output_dot(w, h)));
        }
    }
}

/// `sum_j w_j h_j` (modulo 2^32) of an output row and the inputs as the hidden layers hold
/// them: `SMLAD` in assembly (`tinyscore-dsp`) for the pairs with the `dsp-asm` feature on a
/// core that has it, one product at a time otherwise (offset inputs against the folded bias).
#[inline(always)]
fn output_dot<const I: usize>(w: &[i16; I], h: &[Act; I]) -> i32 {
    #[cfg(all(feature = "dsp-asm", any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))))]
    if let Some((a, done)) = tinyscore_dsp::dot_pairs(w, h.as_flattened()) {
        let tail = w.get(done..).unwrap_or(&[]).iter().zip(h.get(done..).unwrap_or(&[]));
        return tail.fold(a, |a, (&wj, &hj)| a.wrapping_add((wj as i32).wrapping_mul(act_raw(hj))));
    }
    w.iter().zip(h.iter()).fold(0i32, |a, (&wj, &hj)| a.wrapping_add((wj as i32).wrapping_mul(act_raw(hj))))
}

/// The sum of the layer inputs as [`act`] holds them (modulo 2^32; the offset kernels'
/// correction, see [`QuantDense`]); 0 where the inputs are not offset.
#[cfg(test)]
fn act_sum<const I: usize>(h: &[Act; I]) -> i32 {
    h.iter().fold(0i32, |a, &v| a.wrapping_add(act_term(v)))
}

/// One input's term of [`act_sum`]: only the Cortex-M0's kernel, offset weights and
/// inputs, needs the sum.
#[cfg(not(all(
    not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))),
    all(target_arch = "arm", not(target_has_atomic = "32"))
)))]
#[inline(always)]
fn act_term(_v: Act) -> i32 {
    0
}

/// One input's term of [`act_sum`].
#[cfg(all(
    not(any(target_feature = "dsp", all(target_arch = "arm", target_abi = "eabihf"))),
    all(target_arch = "arm", not(target_has_atomic = "32"))
))]
#[inline(always)]
fn act_term(v: Act) -> i32 {
    v as i32
}

/// A layer input widened for the offset-weight kernels: `u16` zero-extended (offset inputs),
/// `i16` sign-extended (plain inputs), both modulo 2^32.
trait Widen: Copy {
    /// The input as a 32-bit word.
    fn widen(self) -> u32;
}

impl Widen for u16 {
    #[inline(always)]
    fn widen(self) -> u32 {
        self as u32
    }
}

impl Widen for i16 {
    #[inline(always)]
    fn widen(self) -> u32 {
        self as i32 as u32
    }
}

/// `sum_j w_j h_j` modulo 2^32 of offset weights and inputs as [`Widen`] gives them,
/// unsigned loads (immediate offsets), unrolled by 8.
#[inline(always)]
#[allow(dead_code)] // the Cortex-M0's kernel (and the other cores' last rows); tested everywhere
fn dot_u8<A: Widen>(w: &[u8], h: &[A]) -> i32 {
    let mut a = 0u32;
    let mut wc = w.chunks_exact(8);
    let mut hc = h.chunks_exact(8);
    for (w8, h8) in (&mut wc).zip(&mut hc) {
        if let ([w0, w1, w2, w3, w4, w5, w6, w7], [h0, h1, h2, h3, h4, h5, h6, h7]) = (w8, h8) {
            a = a
                .wrapping_add((*w0 as u32).wrapping_mul(h0.widen()))
                .wrapping_add((*w1 as u32).wrapping_mul(h1.widen()))
                .wrapping_add((*w2 as u32).wrapping_mul(h2.widen()))
                .wrapping_add((*w3 as u32).wrapping_mul(h3.widen()))
                .wrapping_add((*w4 as u32).wrapping_mul(h4.widen()))
                .wrapping_add((*w5 as u32).wrapping_mul(h5.widen()))
                .wrapping_add((*w6 as u32).wrapping_mul(h6.widen()))
                .wrapping_add((*w7 as u32).wrapping_mul(h7.widen()));
        }
    }
    for (&w0, &h0) in wc.remainder().iter().zip(hc.remainder().iter()) {
        a = a.wrapping_add((w0 as u32).wrapping_mul(h0.widen()));
    }
    a as i32
}

/// `sum_j w_kj h_j` modulo 2^32 for four rows `k` sharing each load of `h` (offset weights
/// and inputs, as [`dot_u8`]), unrolled by 4.
#[inline(always)]
#[allow(dead_code)] // the kernel of the cores without DSP extension but Cortex-M0; tested everywhere
fn dot4_u8<const I: usize, A: Widen>(w: [&[u8; I]; 4], h: &[A; I]) -> [u32; 4] {
    let [r0, r1, r2, r3] = w;
    let (hc, ht) = h.as_chunks::<4>();
    let ((c0, t0), (c1, t1), (c2, t2), (c3, t3)) =
        (r0.as_chunks::<4>(), r1.as_chunks::<4>(), r2.as_chunks::<4>(), r3.as_chunks::<4>());
    let (mut a0, mut a1, mut a2, mut a3) = (0u32, 0u32, 0u32, 0u32);
    for ((h4, (x0, x1)), (x2, x3)) in hc.iter().zip(c0.iter().zip(c1.iter())).zip(c2.iter().zip(c3.iter())) {
        let [h0, h1, h2, h3] = *h4;
        let (h0, h1, h2, h3) = (h0.widen(), h1.widen(), h2.widen(), h3.widen());
        let row = |a: u32, x: &[u8; 4]| {
            let [w0, w1, w2, w3] = *x;
            a.wrapping_add((w0 as u32).wrapping_mul(h0))
                .wrapping_add((w1 as u32).wrapping_mul(h1))
                .wrapping_add((w2 as u32).wrapping_mul(h2))
                .wrapping_add((w3 as u32).wrapping_mul(h3))
        };
        (a0, a1, a2, a3) = (row(a0, x0), row(a1, x1), row(a2, x2), row(a3, x3));
    }
    let tail =
        |t: &[u8]| t.iter().zip(ht.iter()).fold(0u32, |a, (&x, &y)| a.wrapping_add((x as u32).wrapping_mul(y.widen())));
    [a0.wrapping_add(tail(t0)), a1.wrapping_add(tail(t1)), a2.wrapping_add(tail(t2)), a3.wrapping_add(tail(t3))]
}

/// `sum_j w_kj h_j` modulo 2^32 for four rows `k` of plain `i8` weights (held as `u8`
/// bits) sharing each load of the plain `i16` inputs, unrolled by 4: the kernel of the cores
/// without DSP extension but the Cortex-M0.
#[inline(always)]
#[allow(dead_code)] // the Cortex-M3's and RISC-V's kernel; tested everywhere
fn dot4_i8<const I: usize>(w: [&[u8; I]; 4], h: &[i16; I]) -> [i32; 4] {
    let [r0, r1, r2, r3] = w;
    let (hc, ht) = h.as_chunks::<4>();
    let ((c0, t0), (c1, t1), (c2, t2), (c3, t3)) =
        (r0.as_chunks::<4>(), r1.as_chunks::<4>(), r2.as_chunks::<4>(), r3.as_chunks::<4>());
    let (mut a0, mut a1, mut a2, mut a3) = (0i32, 0i32, 0i32, 0i32);
    for ((h4, (x0, x1)), (x2, x3)) in hc.iter().zip(c0.iter().zip(c1.iter())).zip(c2.iter().zip(c3.iter())) {
        let [h0, h1, h2, h3] = *h4;
        let (h0, h1, h2, h3) = (h0 as i32, h1 as i32, h2 as i32, h3 as i32);
        let row = |a: i32, x: &[u8; 4]| {
            let [w0, w1, w2, w3] = *x;
            a.wrapping_add((w0 as i8 as i32).wrapping_mul(h0))
                .wrapping_add((w1 as i8 as i32).wrapping_mul(h1))
                .wrapping_add((w2 as i8 as i32).wrapping_mul(h2))
                .wrapping_add((w3 as i8 as i32).wrapping_mul(h3))
        };
        (a0, a1, a2, a3) = (row(a0, x0), row(a1, x1), row(a2, x2), row(a3, x3));
    }
    let tail = |t: &[u8]| t.iter().zip(ht.iter()).fold(0i32, |a, (&x, &y)| a.wrapping_add((x as i8 as i32) * y as i32));
    [a0.wrapping_add(tail(t0)), a1.wrapping_add(tail(t1)), a2.wrapping_add(tail(t2)), a3.wrapping_add(tail(t3))]
}

/// Two products of `i16` pairs packed in 32-bit words, added to `acc` (`SMLABB`, `SMLATT`).
#[inline(always)]
fn mac2(acc: i32, w: i32, h: i32) -> i32 {
    acc.wrapping_add((w as i16 as i32).wrapping_mul(h as i16 as i32)).wrapping_add((w >> 16).wrapping_mul(h >> 16))
}

/// Eight `i16` (little-endian bytes) as four 32-bit words, two each.
#[inline(always)]
fn words(b: &[u8; 16]) -> [i32; 4] {
    let ([b0, b1, b2, b3], _) = b.as_chunks::<4>() else { return [0; 4] };
    [
        u32::from_le_bytes(*b0) as i32,
        u32::from_le_bytes(*b1) as i32,
        u32::from_le_bytes(*b2) as i32,
        u32::from_le_bytes(*b3) as i32,
    ]
}

/// Byte offset of `w[i][j]` in the DSP kernel's copy of an `I x O` layer's weights: rows
/// four at a time, each block of four rows holding, for every two inputs, the four rows'
/// pairs of weights (one 32-bit word each) in turn, then each row's last weight if `I` is
/// odd; the last `O mod 4` rows row by row. One pointer walks a block in the order
/// [`dot4_i16`] reads it.
#[allow(dead_code)] // the DSP kernel's layout; tested everywhere
const fn w16_pos<const I: usize, const O: usize>(i: usize, j: usize) -> usize {
    if i >= O - O % 4 {
        return 2 * I * i + 2 * j;
    }
    let (b, k, n2) = (i / 4, i % 4, I / 2 * 2);
    8 * I * b + if j < n2 { 16 * (j / 2) + 4 * k + 2 * (j % 2) } else { 8 * n2 + 2 * k }
}

/// `sum_j w_kj h_j` modulo 2^32 for four rows `k` of `i16` weights (a block of
/// [`w16_pos`], `8 I` bytes) and inputs (`2 I` little-endian bytes): one 32-bit load brings two
/// of either (`SMLABB`, `SMLATT`), each pair of inputs loaded once for the four rows.
#[inline(always)]
#[allow(dead_code)] // the kernel of the cores with the DSP extension; tested everywhere
fn dot4_i16(block: &[u8], h: &[u8]) -> [i32; 4] {
    let (hw, ht) = h.as_chunks::<4>();
    let Some((pairs, tails)) = block.split_at_checked(16 * hw.len()) else { return [0; 4] };
    let [a0, a1, a2, a3] = dot4_pairs(pairs, hw);
    let t = ht.len();
    let tail = |k: usize| tails.get(k * t..(k + 1) * t).map_or(0, |w| dot_i16_tail(w, ht));
    [a0.wrapping_add(tail(0)), a1.wrapping_add(tail(1)), a2.wrapping_add(tail(2)), a3.wrapping_add(tail(3))]
}

/// The pairs part of [`dot4_i16`]: `SMLAD` in assembly (`tinyscore-dsp`) with the
/// `dsp-asm` feature on a core that has it, else two products per word (`SMLABB`, `SMLATT`).
#[inline(always)]
#[allow(dead_code)] // the kernel of the cores with the DSP extension; tested everywhere
fn dot4_pairs(pairs: &[u8], hw: &[[u8; 4]]) -> [i32; 4] {
    #[cfg(feature = "dsp-asm")]
    if let Some(a) = tinyscore_dsp::dot4_pairs(pairs, hw.as_flattened()) {
        return a;
    }
    let (mut a0, mut a1, mut a2, mut a3) = (0i32, 0i32, 0i32, 0i32);
    for (c, h2) in pairs.as_chunks::<16>().0.iter().zip(hw.iter()) {
        let hv = u32::from_le_bytes(*h2) as i32;
        let [w0, w1, w2, w3] = words(c);
        (a0, a1, a2, a3) = (mac2(a0, w0, hv), mac2(a1, w1, hv), mac2(a2, w2, hv), mac2(a3, w3, hv));
    }
    [a0, a1, a2, a3]
}

/// `sum_j w_j h_j` modulo 2^32 of one row of `i16` weights and the inputs (little-endian
/// bytes), two products per 32-bit load of each.
#[inline(always)]
#[allow(dead_code)] // the DSP kernel's last rows; tested everywhere
fn dot_i16(w: &[u8], h: &[u8]) -> i32 {
    let ((ww, wt), (hw, ht)) = (w.as_chunks::<4>(), h.as_chunks::<4>());
    let a = ww
        .iter()
        .zip(hw.iter())
        .fold(0i32, |a, (x, y)| mac2(a, u32::from_le_bytes(*x) as i32, u32::from_le_bytes(*y) as i32));
    a.wrapping_add(dot_i16_tail(wt, ht))
}

/// `sum_j w_j h_j` modulo 2^32 of `i16` weights and inputs given as little-endian bytes.
#[inline(always)]
#[allow(dead_code)] // the DSP kernel's last rows and inputs; tested everywhere
fn dot_i16_tail(w: &[u8], h: &[u8]) -> i32 {
    w.as_chunks::<2>().0.iter().zip(h.as_chunks::<2>().0.iter()).fold(0i32, |a, (x, y)| {
        a.wrapping_add((i16::from_le_bytes(*x) as i32).wrapping_mul(i16::from_le_bytes(*y) as i32))
    })
}

/// `h + 32768` as `u16` (the offset inputs of [`QuantDense`]).
#[inline(always)]
#[allow(dead_code)] // the inputs of the cores without DSP extension; tested everywhere
fn offset(h: i16) -> u16 {
    (h as u16) ^ 0x8000
}

/// The quantised score network (see the module documentation): `D` inputs, `L + 1` hidden
/// layers of width `H`, as [`ScoreMlp`]. `#[repr(C)]`: the first layer's constants near the
/// start, within the immediate offsets of the loads.
///
/// # Examples
/// Quantise a (fresh) model with calibration draws and score with it:
/// ```
/// use rand_core::SeedableRng;
/// use tinyscore::learned::quant::{Calibration, QuantMlp};
/// use tinyscore::learned::{Preconditioning, ScoreMlp};
/// let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.0], data_std: [1.0] };
/// let mut rng = tinyscore::DefaultRng::seed_from_u64(1);
/// let mut model = ScoreMlp::<f32, 1, 8, 1>::new_random(pc, &mut rng)?;
/// model.params.output.w[0][3] = 0.5;
/// let mut cal = Calibration::new();
/// for k in 0..100 {
///     let (t, x) = (k as f64 / 100.0, [(k as f32 - 50.0) / 20.0]);
///     cal.observe(&model, t, &x);
/// }
/// let q = QuantMlp::quantize(&model, &cal)?;
/// let (s, status) = q.score(0.5, &[1.0f32]);
/// let (f, _) = model.score(0.5, &[1.0f32]);
/// assert!(status.is_ok());
/// assert!((s[0] - f[0]).abs() as f64 <= q.error_bound().score + 1e-5);
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct QuantMlp<const D: usize, const H: usize, const L: usize> {
    /// Input normalisation and output scaling (as the float model's).
    pub precond: Preconditioning<D>,
    /// `s_u`: the unit of the quantised normalised inputs, `> 0`.
    pub input_scale: f32,
    /// The network output `o` is `oq 2^-output_frac`, `output_frac <= 24`.
    pub output_frac: u32,
    /// First hidden layer.
    pub first: QuantFirst<D, H>,
    /// Hidden-to-hidden layers.
    pub hidden: [QuantDense<H, H>; L],
    /// Output layer (16-bit weights).
    pub output: QuantOutput<H, D>,
}

/// Everything that depends on `t` only ([`QuantMlp::prepare`]), in the working type `W`.
#[derive(Clone, Copy, Debug)]
pub struct QuantTime<W, const D: usize, const H: usize> {
    /// `m_d`
    pub mean: [W; D],
    /// `k_d = 1 / (c_d(t) s_u)`: `x` to the quantised input.
    pub k: [W; D],
    /// `1 / c_d(t)^2`
    pub inv_c2: [W; D],
    /// `1 / n(t)`
    pub inv_n: W,
    /// `B_i(t)`: first-layer bias with the time features folded in (accumulator unit).
    pub bias0: [i32; H],
    /// [`Status::Saturated`] if a constant did not fit.
    pub status: Status,
    /// Every channel of the first and hidden layers requantises in 32 bits (`n >= 33`,
    /// multipliers below 1/4, as trained models have): the forward pass skips the test.
    pub fast_requant: bool,
}

/// The integer activations of one forward pass ([`QuantMlp::forward_traced`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantTrace<const D: usize, const H: usize, const L: usize> {
    /// Quantised normalised inputs (unit `s_u`).
    pub u: [i16; D],
    /// First hidden layer (Q15).
    pub h0: [i16; H],
    /// Hidden layers `1..=L` (Q15).
    pub hs: [[i16; H]; L],
    /// Network output (unit `2^-output_frac`).
    pub out: [i32; D],
    /// An input was clamped (outside the calibrated range).
    pub saturated: bool,
}

impl<const D: usize, const H: usize, const L: usize> QuantTrace<D, H, L> {
    /// All zero.
    pub const fn new() -> Self {
        QuantTrace { u: [0; D], h0: [0; H], hs: [[0; H]; L], out: [0; D], saturated: false }
    }
}

impl<const D: usize, const H: usize, const L: usize> Default for QuantTrace<D, H, L> {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a model could not be quantised.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum QuantError {
    /// The calibration saw no valid draw.
    NoDraws,
    /// A parameter of the float model is not finite.
    NotFinite {
        /// the layer: `first`, `hidden` or `output`
        layer: &'static str,
        /// index of the hidden layer (0 otherwise)
        layer_index: u16,
    },
    /// A requantisation multiplier is out of the representable range (a weight scale or
    /// the input scale is extreme).
    Multiplier {
        /// the layer: `first`, `hidden` or `output`
        layer: &'static str,
        /// index of the hidden layer (0 otherwise)
        layer_index: u16,
        /// output channel
        channel: u16,
    },
    /// A bias does not fit `|b| <= 2^30` accumulator units (tiny weights, large bias).
    Bias {
        /// the layer: `hidden` or `output`
        layer: &'static str,
        /// index of the hidden layer (0 otherwise)
        layer_index: u16,
        /// output channel
        channel: u16,
    },
}

impl fmt::Display for QuantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            QuantError::NoDraws => write!(f, "the calibration saw no valid (t, x) draw"),
            QuantError::NotFinite { layer, layer_index } => {
                write!(f, "layer {layer}[{layer_index}] has a parameter that is not finite")
            }
            QuantError::Multiplier { layer, layer_index, channel } => write!(
                f,
                "layer {layer}[{layer_index}] channel {channel}: the requantisation multiplier is out of range"
            ),
            QuantError::Bias { layer, layer_index, channel } => {
                write!(f, "layer {layer}[{layer_index}] channel {channel}: the bias does not fit 2^30 units")
            }
        }
    }
}

impl core::error::Error for QuantError {}

/// Running statistics of calibration draws (fixed arrays, no heap): the largest `|u_d|`
/// (normalised inputs) and `|o_d|` (network outputs) of the float model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration<const D: usize> {
    /// `max |u_d|` seen.
    pub max_u: [f64; D],
    /// `max |o_d|` seen.
    pub max_out: [f64; D],
    /// `max |f_k(t)|` of the time features seen.
    pub max_feat: [f64; TIME_FEATURES],
    /// Number of valid draws observed.
    pub draws: u64,
}

impl<const D: usize> Default for Calibration<D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const D: usize> Calibration<D> {
    /// No draws yet.
    pub const fn new() -> Self {
        Calibration { max_u: [0.0; D], max_out: [0.0; D], max_feat: [0.0; TIME_FEATURES], draws: 0 }
    }

    /// Evaluate the float model at `(t, x)` and record its input and output magnitudes;
    /// draws with an invalid `t` or a non-finite result are ignored (returns `false`).
    pub fn observe<F: Float, const H: usize, const L: usize>(
        &mut self,
        model: &ScoreMlp<F, D, H, L>,
        t: f64,
        x: &[F; D],
    ) -> bool {
        let Some(tc) = model.time_consts(t) else { return false };
        let mut tr = super::model::Trace::new();
        model.forward_traced(&tc, x, &mut tr);
        if tr.limited {
            return false;
        }
        for (m, u) in self.max_u.iter_mut().zip(tr.u.iter()) {
            *m = m.max(u.as_f64().abs());
        }
        for (m, o) in self.max_out.iter_mut().zip(tr.out.iter()) {
            *m = m.max(o.as_f64().abs());
        }
        for (m, f) in self.max_feat.iter_mut().zip(tc.feat.iter()) {
            *m = m.max(f.as_f64().abs());
        }
        self.draws += 1;
        true
    }

    /// `s_u = max(1, 2 max_d max|u_d|) / 32767`.
    pub fn input_scale(&self) -> f64 {
        self.max_u.iter().fold(1.0f64, |a, &u| a.max(2.0 * u)) / 32767.0
    }

    /// The largest `f <= 24` with `4 max|o| 2^f <= 2^31`.
    pub fn output_frac(&self) -> u32 {
        let m = self.max_out.iter().fold(0.0f64, |a, &o| a.max(o));
        let mut f = MAX_OUTPUT_FRAC;
        while f > 0 && 4.0 * m * libm::exp2(f as f64) > 2_147_483_648.0 {
            f -= 1;
        }
        f
    }
}

/// `max |row|` over a float row, and whether every value is finite.
fn row_max<F: Float>(row: &[F]) -> (f64, bool) {
    row.iter().fold((0.0f64, true), |(m, ok), v| {
        let v = v.as_f64();
        (m.max(v.abs()), ok && v.is_finite())
    })
}

/// Per-channel symmetric quantisation of a float row to `[-qmax, qmax]`, with a scale of at
/// least `floor`: the scale (as stored, `f32`) and the integers through `put`.
/// The scale of a row: `max |w| / qmax`, at least `floor`, 1 for a zero row.
fn row_scale<F: Float>(row: &[F], qmax: f64, floor: f32) -> f32 {
    let (m, _) = row_max(row);
    let s = ((m / qmax) as f32).max(floor);
    if s > 0.0 && s.is_finite() {
        s
    } else {
        1.0
    }
}

/// A row's integers: by [`gptq::round_row`] with the layer's factor `u`, else to nearest.
fn quantize_row_with<F: Float, const I: usize>(
    row: &[F; I],
    qmax: f64,
    u: Option<&[[f64; I]; I]>,
    put: impl FnMut(usize, i32),
) -> f32 {
    match u {
        Some(u) => {
            let s = row_scale(row, qmax, 0.0);
            gptq::round_row(row, s as f64, qmax, u, put);
            s
        }
        None => quantize_row(row, qmax, 0.0, put),
    }
}

fn quantize_row<F: Float>(row: &[F], qmax: f64, floor: f32, mut put: impl FnMut(usize, i32)) -> f32 {
    let s = row_scale(row, qmax, floor);
    for (j, v) in row.iter().enumerate() {
        let q = round_half_away(v.as_f64() / s as f64).clamp(-qmax, qmax);
        put(j, q as i32);
    }
    s
}

impl<const D: usize, const H: usize, const L: usize> QuantMlp<D, H, L> {
    /// Largest `|wx|` of the first layer: `32767 / D` (so that `D` products of at most
    /// `32767^2 / D` and a bias of at most `2^30` fit `i32`).
    pub const FIRST_QMAX: i16 = (32767 / if D == 0 { 1 } else { D }) as i16;

    /// Quantise a float model with the scales chosen from `cal` (module documentation).
    ///
    /// # Errors
    /// [`QuantError::NoDraws`] without draws; [`QuantError::NotFinite`] for a non-finite
    /// parameter; [`QuantError::Multiplier`] or [`QuantError::Bias`] for scales out of range.
    pub fn quantize<F: Float>(model: &ScoreMlp<F, D, H, L>, cal: &Calibration<D>) -> Result<Self, QuantError> {
        Self::quantize_with(model, cal, None)
    }

    /// [`Self::quantize`] with the hidden and output weights rounded by GPTQ ([`Curvature`]
    /// of the same draws): the layer outputs' error rather than each weight's is made small
    /// (`scripts/quant-ablation.py` shows what it gains on the firmware's generation
    /// model). A layer whose curvature is degenerate is rounded to nearest. GPTQ works on
    /// the inputs' covariance, and each row's mean error on the draws is moved into its
    /// bias (bias correction, Nagel et al. 2019); bound the result with
    /// [`Self::error_bound_against`].
    ///
    /// # Errors
    /// As [`Self::quantize`].
    pub fn quantize_gptq<F: Float>(
        model: &ScoreMlp<F, D, H, L>,
        cal: &Calibration<D>,
        curv: &Curvature<H, L>,
    ) -> Result<Self, QuantError> {
        Self::quantize_with(model, cal, Some(curv))
    }

    fn quantize_with<F: Float>(
        model: &ScoreMlp<F, D, H, L>,
        cal: &Calibration<D>,
        curv: Option<&Curvature<H, L>>,
    ) -> Result<Self, QuantError> {
        if cal.draws == 0 {
            return Err(QuantError::NoDraws);
        }
        let p = &model.params;
        let input_scale = cal.input_scale() as f32;
        let su = input_scale as f64;
        let output_frac = cal.output_frac();
        let mut first = QuantFirst {
            w: [[0; D]; H],
            w_t: [[0.0; TIME_FEATURES]; H],
            b_in: [0.0; H],
            scale: [1.0; H],
            rq: [Requant::default(); H],
        };
        for (i, ((((wq, wt), b), s), rq)) in first
            .w
            .iter_mut()
            .zip(first.w_t.iter_mut())
            .zip(first.b_in.iter_mut())
            .zip(first.scale.iter_mut())
            .zip(first.rq.iter_mut())
            .enumerate()
        {
            let (Some(wrow), Some(trow), Some(&bi)) = (p.input.w.get(i), p.time.w.get(i), p.input.b.get(i)) else {
                continue;
            };
            let not_finite = QuantError::NotFinite { layer: "first", layer_index: 0 };
            if !(row_max(wrow).1 && row_max(trow).1 && bi.as_f64().is_finite()) {
                return Err(not_finite);
            }
            // The accumulator unit s su must also hold the folded bias |b + w_t f| <= bb
            // (twice the calibrated feature range) within 2^30 units.
            let bb = trow.iter().zip(cal.max_feat.iter()).fold(bi.as_f64().abs(), |a, (w, f)| a + w.as_f64().abs() * f);
            let floor = (2.0 * bb / (MAX_BIAS as f64 * su)) as f32;
            *s = quantize_row(wrow, Self::FIRST_QMAX as f64, floor, |j, q| {
                if let Some(d) = wq.get_mut(j) {
                    *d = q as i16;
                }
            });
            for (d, v) in wt.iter_mut().zip(trow.iter()) {
                *d = v.as_f64();
            }
            *b = bi.as_f64();
            *rq = Requant::new(*s as f64 * su * (1u32 << PRE_FRAC) as f64).ok_or(QuantError::Multiplier {
                layer: "first",
                layer_index: 0,
                channel: i as u16,
            })?;
        }
        let mut hidden = [QuantDense::<H, H>::zeroed(); L];
        let layer = |l: usize| curv.map_or((None, None), |c| c.layer(l));
        for (l, (q, f)) in hidden.iter_mut().zip(p.hidden.iter()).enumerate() {
            let (u, mean) = layer(l);
            quantize_dense(&f.w, &f.b, q, (1u32 << PRE_FRAC) as f64, ("hidden", l as u16), u.as_ref(), mean.as_ref())?;
        }
        let (u_out, m_out) = layer(L);
        let mut output = QuantOutput::<H, D>::zeroed();
        let quantize_out = |output: &mut QuantOutput<H, D>, frac: u32| {
            let unit_inv = libm::exp2(frac as f64);
            quantize_output(&p.output.w, &p.output.b, output, unit_inv, u_out.as_ref(), m_out.as_ref())
        };
        quantize_out(&mut output, output_frac)?;
        // Fewer fraction bits where that keeps every output multiplier below 1/4 (the fast
        // 32-bit requantisation, shift >= 33), down to Q16.
        let mut output_frac = output_frac;
        while output_frac > 16 && output.rq.iter().any(|r| r.shift() < 33) {
            output_frac -= 1;
            quantize_out(&mut output, output_frac)?;
        }
        Ok(QuantMlp { precond: model.precond, input_scale, output_frac, first, hidden, output })
    }

    /// The constants at time `t` (`None` if `t` is negative or not finite): computed once
    /// per `t` in `f64`.
    pub fn prepare<W: QuantWork>(&self, t: f64) -> Option<QuantTime<W, D, H>> {
        let t = Time::new(t)?.get();
        let pc = &self.precond;
        let su = self.input_scale as f64;
        let g2t = pc.sigma * pc.sigma * t;
        let mut sat = false;
        let mut conv = |v: f64| {
            let (w, s) = W::from_f64_saturating(v);
            sat |= s;
            w
        };
        let mut mean = [W::ZERO; D];
        let mut k = [W::ZERO; D];
        let mut inv_c2 = [W::ZERO; D];
        for (((m, kd), ic2), (&md, &sd)) in
            mean.iter_mut().zip(k.iter_mut()).zip(inv_c2.iter_mut()).zip(pc.data_mean.iter().zip(pc.data_std.iter()))
        {
            let c2 = sd * sd + g2t;
            *m = conv(md);
            *kd = conv(1.0 / libm::sqrt(c2) / su);
            *ic2 = conv(1.0 / c2);
        }
        let n = pc.noise_scale(t);
        let inv_n = conv(1.0 / n);
        let feat = [libm::log(n / pc.noise_floor), pc.noise_floor / n];
        let mut bias0 = [0i32; H];
        for (((b, wt), &bi), &s) in
            bias0.iter_mut().zip(self.first.w_t.iter()).zip(self.first.b_in.iter()).zip(self.first.scale.iter())
        {
            let mut v = bi;
            for (&w, &f) in wt.iter().zip(feat.iter()) {
                v += w * f;
            }
            let r = round_half_away(v / (s as f64 * su));
            let c = r.clamp(-(MAX_BIAS as f64), MAX_BIAS as f64);
            sat |= c != r;
            *b = c as i32;
        }
        let fast_requant =
            self.first.rq.iter().chain(self.hidden.iter().flat_map(|l| l.rq.iter())).all(Requant::is_fast);
        Some(QuantTime { mean, k, inv_c2, inv_n, bias0, status: Status::from_saturated(sat), fast_requant })
    }

    /// [`Self::forward_offset`] without the per-channel test of the requantisation's path
    /// when [`QuantTime::fast_requant`] says none is needed (not on the Cortex-M0, whose
    /// flash keeps one copy of the layers).
    #[inline(always)]
    fn forward_dispatch<W: QuantWork>(
        &self,
        tc: &QuantTime<W, D, H>,
        x: &[W; D],
        u: &mut [i16; D],
        h0: &mut [Act; H],
        hs: &mut [[Act; H]; L],
        out: &mut [i32; D],
    ) -> bool {
        if tc.fast_requant && !cfg!(all(target_arch = "arm", not(target_has_atomic = "32"))) {
            self.forward_offset::<true, W>(tc, x, u, h0, hs, out)
        } else {
            self.forward_offset::<false, W>(tc, x, u, h0, hs, out)
        }
    }

    /// The integer forward pass at `x`: quantised inputs into `u`, the hidden activations
    /// (as the layers read them, [`act`]) into `h0`, `hs`, the output into `out`; `true` if an input was
    /// clamped or a constant of `t` saturated.
    #[inline(always)]
    fn forward_offset<const FAST: bool, W: QuantWork>(
        &self,
        tc: &QuantTime<W, D, H>,
        x: &[W; D],
        u: &mut [i16; D],
        h0: &mut [Act; H],
        hs: &mut [[Act; H]; L],
        out: &mut [i32; D],
    ) -> bool {
        let mut sat = !tc.status.is_ok();
        for (uq, (&xd, (&m, &k))) in u.iter_mut().zip(x.iter().zip(tc.mean.iter().zip(tc.k.iter()))) {
            let (v, s) = ((xd - m) * k).round_clamped(-32767, 32767);
            *uq = v as i16;
            sat |= s;
        }
        let f = &self.first;
        let mut sum = 0i32;
        for ((h, (w, &b)), rq) in h0.iter_mut().zip(f.w.iter().zip(tc.bias0.iter())).zip(f.rq.iter()) {
            let mut a = b;
            for (&wd, &ud) in w.iter().zip(u.iter()) {
                a = a.wrapping_add((wd as i32).wrapping_mul(ud as i32));
            }
            *h = act(tanh_q15(rq.apply_as::<FAST>(a)));
            sum = sum.wrapping_add(act_term(*h));
        }
        let mut prev = &*h0;
        for (layer, next) in self.hidden.iter().zip(hs.iter_mut()) {
            let mut next_sum = 0i32;
            layer.forward_summed::<FAST, _>(prev, sum, next, |z| {
                let a = act(tanh_q15(z));
                next_sum = next_sum.wrapping_add(act_term(a));
                a
            });
            sum = next_sum;
            prev = next;
        }
        let _ = sum; // the output layer reads its inputs signed: no correction sum
        self.output.forward(prev, out);
        sat
    }

    /// The integer forward pass at `x` (in the working type), keeping every activation.
    pub fn forward_traced<W: QuantWork>(&self, tc: &QuantTime<W, D, H>, x: &[W; D], tr: &mut QuantTrace<D, H, L>) {
        let mut h0 = [Act::default(); H];
        let mut hs = [[Act::default(); H]; L];
        tr.saturated = self.forward_dispatch(tc, x, &mut tr.u, &mut h0, &mut hs, &mut tr.out);
        for (d, &v) in tr.h0.iter_mut().zip(h0.iter()) {
            *d = act_value(v);
        }
        for (dl, sl) in tr.hs.iter_mut().zip(hs.iter()) {
            for (d, &v) in dl.iter_mut().zip(sl.iter()) {
                *d = act_value(v);
            }
        }
    }

    /// The score from a traced forward pass: `o 2^-output_frac / n - (x - m) / c^2` in `W`.
    pub fn score_work<W: QuantWork>(&self, tc: &QuantTime<W, D, H>, x: &[W; D], tr: &QuantTrace<D, H, L>) -> [W; D] {
        let mut s = [W::ZERO; D];
        for ((sd, (&xd, &o)), (&m, &ic2)) in
            s.iter_mut().zip(x.iter().zip(tr.out.iter())).zip(tc.mean.iter().zip(tc.inv_c2.iter()))
        {
            *sd = W::from_scaled(o, self.output_frac) * tc.inv_n - (xd - m) * ic2;
        }
        s
    }

    /// `s(x, t)` with the constants of `t` from [`Self::prepare`]; [`Status::Saturated`] if
    /// an input was outside the calibrated range (clamped) or a result left `S`'s range.
    pub fn score_prepared<S: Scalar>(&self, tc: &QuantTime<S::Work, D, H>, x: &[S; D]) -> ([S; D], Status)
    where
        S::Work: QuantWork,
    {
        let xw = x.map(|v| v.to_work());
        let mut tr = QuantTrace::new();
        let (mut h0, mut hs) = ([Act::default(); H], [[Act::default(); H]; L]);
        tr.saturated = self.forward_dispatch(tc, &xw, &mut tr.u, &mut h0, &mut hs, &mut tr.out);
        let sw = self.score_work(tc, &xw, &tr);
        let mut status = Status::from_saturated(tr.saturated);
        let mut out = [S::default(); D];
        for (o, &w) in out.iter_mut().zip(sw.iter()) {
            let (v, st) = S::from_work(w);
            *o = v;
            status = status.and(st);
        }
        (out, status)
    }

    /// `s(x, t)`; a zero score and [`Status::Saturated`] for an invalid `t`.
    pub fn score<S: Scalar>(&self, t: f64, x: &[S; D]) -> ([S; D], Status)
    where
        S::Work: QuantWork,
    {
        match self.prepare::<S::Work>(t) {
            Some(tc) => self.score_prepared(&tc, x),
            None => ([S::default(); D], Status::Saturated),
        }
    }

    /// The largest normalised input `|u|` that does not saturate: `32767 s_u`.
    pub fn input_range(&self) -> f64 {
        32767.0 * self.input_scale as f64
    }

    /// A-priori bound of `|o_q - o|` per output, `o` the float model this model was
    /// quantised from evaluated exactly, for every `(t, x)` whose quantised input does not
    /// saturate (`|u| <= `[`Self::input_range`]); and of the score, `max_d / n0`.
    ///
    /// With `|w| <= |wq| s + s / 2` recovered from the stored weights, layer by layer
    /// (`e` the input error, `|in| <= r` the input magnitude):
    /// `e_i = sum_j (s_i / 2 r + |w_ij| e_j) + bias rounding + 2^-27 (multiplier: relative 2^-31 on |z| <= 16;
    /// beyond, both `tanh` are within 2^-20 of +-1)
    /// + the output unit / 2`; after `tanh`, `e + TANH_ERROR`. The input's error is
    /// `s_u (1/2 + 1/64)` (rounding, plus the working type's rounding of `(x - m) k`).
    /// The score's own arithmetic in `S` (`o / n`, the skip term) is not included.
    ///
    /// This assumes every weight and bias rounded to nearest ([`Self::quantize`]); for a
    /// model rounded by GPTQ with its bias correction ([`Self::quantize_gptq`]), whose
    /// weights may move further, use [`Self::error_bound_against`].
    pub fn error_bound(&self) -> QuantBound<D> {
        self.bound_with(|_, _, _| None)
    }

    /// [`Self::error_bound`] with the hidden and output layers' actual rounding errors
    /// `|w - s wq|` and `|b - s 2^-15 bq|` taken from the float `model` this one was
    /// quantised from (valid for any rounding: nearest, GPTQ, bias-corrected biases).
    pub fn error_bound_against<F: Float>(&self, model: &ScoreMlp<F, D, H, L>) -> QuantBound<D> {
        let p = &model.params;
        let act_unit = 1.0 / (1u32 << ACT_FRAC) as f64;
        self.bound_with(|layer, row, col| {
            let (w, b, q, bq, s) = match self.hidden.get(layer) {
                Some(l) => {
                    let f = p.hidden.get(layer)?;
                    let q = col.map(|j| l.weight(row, j) as f64);
                    (f.w.get(row)?, f.b.get(row)?, q, *l.bias.get(row)?, *l.scale.get(row)?)
                }
                None => {
                    let q = col.map(|j| self.output.weight(row, j) as f64);
                    let o = &self.output;
                    (p.output.w.get(row)?, p.output.b.get(row)?, q, *o.bias.get(row)?, *o.scale.get(row)?)
                }
            };
            let s = s as f64;
            Some(match (col, q) {
                (Some(j), Some(q)) => (w.get(j)?.as_f64() - s * q).abs(),
                _ => (b.as_f64() - s * act_unit * bq as f64).abs(),
            })
        })
    }

    /// The bound with `dev(layer, row, col)` the rounding error of weight `col` (bias for
    /// `None`) of row `row` of hidden layer `layer` (the output layer for `layer = L`), in
    /// real units, where known; rounding to nearest assumed where it is `None`.
    fn bound_with(&self, dev: impl Fn(usize, usize, Option<usize>) -> Option<f64>) -> QuantBound<D> {
        let su = self.input_scale as f64;
        let umax = self.input_range();
        let eu = su * (0.5 + 1.0 / 64.0);
        let requant = 1.0 / 1_048_576.0 + 0.5 / (1u32 << PRE_FRAC) as f64; // multiplier + rounding
        let mut e = [0.0f64; H];
        for ((ei, w), &s) in e.iter_mut().zip(self.first.w.iter()).zip(self.first.scale.iter()) {
            let s = s as f64;
            let mut v = 0.5 * s * su + requant;
            for &wd in w.iter() {
                let wabs = (wd as f64).abs() * s + 0.5 * s;
                v += 0.5 * s * (umax + eu) + wabs * eu;
            }
            *ei = v.min(2.0) + TANH_ERROR;
        }
        for (l, layer) in self.hidden.iter().enumerate() {
            let mut next = [0.0f64; H];
            for (i, (o, (w, &s))) in next.iter_mut().zip(layer.w.iter().zip(layer.scale.iter())).enumerate() {
                let w = w.iter().map(|&v| ((v ^ W_OFFSET) as i8) as f64);
                *o = row_bound(w, s as f64, &e, requant, |j| dev(l, i, j));
            }
            e = next.map(|v| v.min(2.0) + TANH_ERROR);
        }
        let unit = libm::exp2(-(self.output_frac as f64));
        // The multiplier's relative 2^-31 on |o| < 2^31 units, and the rounding.
        let out_rq = unit + 0.5 * unit;
        let mut output = [0.0f64; D];
        for (i, (o, (w, &s))) in output.iter_mut().zip(self.output.w.iter().zip(self.output.scale.iter())).enumerate() {
            *o = row_bound(w.iter().map(|&v| v as f64), s as f64, &e, out_rq, |j| dev(L, i, j));
        }
        let worst = output.iter().fold(0.0f64, |a, &b| a.max(b));
        QuantBound { output, score: worst / self.precond.noise_floor }
    }
}

/// The bound of one output unit: weights `w` (integers, scale `s`), inputs with errors `e`
/// (magnitudes at most 1), requantisation error `rq`; `dev(j)` the rounding error of weight
/// `j` (bias: `None`) where known, else half a unit (rounding to nearest):
/// `e = bias rounding + rq + sum_j (dev_j + (|w_j| s + dev_j) e_j)`.
fn row_bound<const I: usize>(
    w: impl Iterator<Item = f64>,
    s: f64,
    e: &[f64; I],
    rq: f64,
    dev: impl Fn(Option<usize>) -> Option<f64>,
) -> f64 {
    let mut v = dev(None).unwrap_or(0.5 * s / (1u32 << ACT_FRAC) as f64) + rq;
    for (j, (wj, &ej)) in w.zip(e.iter()).enumerate() {
        let d = dev(Some(j)).unwrap_or(0.5 * s);
        v += d + (wj.abs() * s + d) * ej;
    }
    v
}

/// Quantise a float dense layer: i8 weights, biases in accumulator units, multipliers to
/// the output unit `2^-frac` (`out_unit_inv = 2^frac`).
/// [`quantize_dense`] for the output layer: weights to `QuantOutput::QMAX` in `i16`.
fn quantize_output<F: Float, const I: usize, const O: usize>(
    w: &[[F; I]; O],
    b: &[F; O],
    q: &mut QuantOutput<I, O>,
    out_unit_inv: f64,
    u: Option<&[[f64; I]; I]>,
    mean: Option<&[f64; I]>,
) -> Result<(), QuantError> {
    let qmax = QuantOutput::<I, O>::QMAX;
    let parts = (&mut q.w, &mut q.bias, &mut q.scale, &mut q.rq);
    quantize_layer(w, b, parts, qmax, |v| v as i16, out_unit_inv, ("output", 0), u, mean)?;
    q.refresh();
    Ok(())
}

/// A hidden layer: weights to 127 in `i8`, stored offset.
fn quantize_dense<F: Float, const I: usize, const O: usize>(
    w: &[[F; I]; O],
    b: &[F; O],
    q: &mut QuantDense<I, O>,
    out_unit_inv: f64,
    at: (&'static str, u16),
    u: Option<&[[f64; I]; I]>,
    mean: Option<&[f64; I]>,
) -> Result<(), QuantError> {
    let parts = (&mut q.w, &mut q.bias, &mut q.scale, &mut q.rq);
    quantize_layer(w, b, parts, 127, |v| (v as i8 as u8) ^ W_OFFSET, out_unit_inv, at, u, mean)?;
    q.refresh();
    Ok(())
}

/// The weights, biases, scales and requantisation of a layer being quantised.
type LayerParts<'a, T, const I: usize, const O: usize> =
    (&'a mut [[T; I]; O], &'a mut [i32; O], &'a mut [f32; O], &'a mut [Requant; O]);

/// Quantise one layer: per row the scale `max |w| / qmax` and the integers (GPTQ with the
/// factor `u`, else to nearest) stored by `store`, the bias in the accumulator's unit, and
/// the requantisation to the output unit (`out_unit_inv` per unit).
#[allow(clippy::too_many_arguments)]
fn quantize_layer<F: Float, T, const I: usize, const O: usize>(
    w: &[[F; I]; O],
    b: &[F; O],
    (wq, bias, scale, rqs): LayerParts<'_, T, I, O>,
    qmax: i32,
    store: impl Fn(i32) -> T,
    out_unit_inv: f64,
    (layer, layer_index): (&'static str, u16),
    u: Option<&[[f64; I]; I]>,
    mean: Option<&[f64; I]>,
) -> Result<(), QuantError> {
    let act_unit = 1.0 / (1u32 << ACT_FRAC) as f64;
    for (i, ((((wrow, &bi), wq), (bq, s)), rq)) in w
        .iter()
        .zip(b.iter())
        .zip(wq.iter_mut())
        .zip(bias.iter_mut().zip(scale.iter_mut()))
        .zip(rqs.iter_mut())
        .enumerate()
    {
        if !(row_max(wrow).1 && bi.as_f64().is_finite()) {
            return Err(QuantError::NotFinite { layer, layer_index });
        }
        let mut ints = [0i32; I];
        *s = quantize_row_with(wrow, qmax as f64, u, |j, v| {
            if let Some(d) = wq.get_mut(j) {
                *d = store(v);
            }
            if let Some(d) = ints.get_mut(j) {
                *d = v;
            }
        });
        // Bias correction: the rounded weights' mean error on the draws, `sum_j (w_j - s q_j)
        // mean(h_j)`, moved into the bias.
        let corr = mean.map_or(0.0, |m| {
            wrow.iter()
                .zip(ints.iter())
                .zip(m.iter())
                .fold(0.0, |a, ((w, &q), &mu)| a + (w.as_f64() - *s as f64 * q as f64) * mu)
        });
        let unit = *s as f64 * act_unit;
        let r = round_half_away((bi.as_f64() + corr) / unit);
        if r.abs() > MAX_BIAS as f64 {
            return Err(QuantError::Bias { layer, layer_index, channel: i as u16 });
        }
        *bq = r as i32;
        *rq = Requant::new(unit * out_unit_inv).ok_or(QuantError::Multiplier {
            layer,
            layer_index,
            channel: i as u16,
        })?;
    }
    Ok(())
}

/// The a-priori error bound ([`QuantMlp::error_bound`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantBound<const D: usize> {
    /// Bound of `|o_q,d - o_d|` (network output, units of the output `o`).
    pub output: [f64; D],
    /// Bound of the score's difference, `max_d output_d / n0` (at the worst `t`).
    pub score: f64,
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> ScoreSource<S, D> for QuantMlp<D, H, L>
where
    S::Work: QuantWork,
{
    fn score_at(&mut self, t: f64, x: &[S; D]) -> ([S; D], Status) {
        self.score(t, x)
    }
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> TimePrepared<S, D> for QuantMlp<D, H, L>
where
    S::Work: QuantWork,
{
    type AtTime = QuantTime<S::Work, D, H>;
    fn prepare_time(&self, t: f64) -> Option<Self::AtTime> {
        self.prepare::<S::Work>(t)
    }
    fn score_at_time(&self, at: &Self::AtTime, x: &[S; D]) -> ([S; D], Status) {
        self.score_prepared(at, x)
    }
}

/// The error of one layer's output against the float model, over the observed draws.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerError {
    /// The layer: `input`, `first`, `hidden` or `output`.
    pub layer: &'static str,
    /// Index of the hidden layer (0 otherwise).
    pub index: u16,
    /// Unit of the layer's quantised output (`s_u`, `2^-15`, `2^-output_frac`).
    pub act_scale: f64,
    /// Smallest and largest weight scale over the output channels (0 for `input`).
    pub weight_scale: (f64, f64),
    /// Largest `|value|` of the float model's layer output.
    pub max_abs: f64,
    /// Largest `|quantised - float|`.
    pub max_error: f64,
    /// Sum of squared errors.
    pub sum_sq: f64,
    /// Number of values compared.
    pub count: u64,
}

impl LayerError {
    const fn new(layer: &'static str, index: u16) -> Self {
        LayerError {
            layer,
            index,
            act_scale: 0.0,
            weight_scale: (0.0, 0.0),
            max_abs: 0.0,
            max_error: 0.0,
            sum_sq: 0.0,
            count: 0,
        }
    }

    /// Root mean square error (0 without values).
    pub fn rms(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            libm::sqrt(self.sum_sq / self.count as f64)
        }
    }

    fn add(&mut self, q: f64, f: f64) {
        let e = (q - f).abs();
        self.max_abs = self.max_abs.max(f.abs());
        self.max_error = self.max_error.max(e);
        self.sum_sq += e * e;
        self.count += 1;
    }
}

fn scale_range(s: &[f32]) -> (f64, f64) {
    s.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| (lo.min(v as f64), hi.max(v as f64)))
}

/// The per-layer quantisation report: each layer's scales and the error of its output
/// against the float model, the float model's layer fed with the float inputs (so each
/// row shows the error accumulated up to that layer).
///
/// # Examples
/// ```
/// # use rand_core::SeedableRng;
/// # use tinyscore::learned::quant::{Calibration, QuantMlp, QuantReport};
/// # use tinyscore::learned::{Preconditioning, ScoreMlp};
/// # let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.0], data_std: [1.0] };
/// # let model = ScoreMlp::<f32, 1, 8, 1>::new_random(pc, &mut tinyscore::DefaultRng::seed_from_u64(1))?;
/// # let mut cal = Calibration::new();
/// # cal.observe(&model, 0.5, &[1.0]);
/// let q = QuantMlp::quantize(&model, &cal)?;
/// let mut report = QuantReport::new(&q);
/// report.observe(&q, &model, 0.5, &[1.0]);
/// for row in report.layers() {
///     assert!(row.max_error <= 1e-2, "{}: {}", row.layer, row.max_error);
/// }
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantReport<const L: usize> {
    /// The quantised normalised input `u`.
    pub input: LayerError,
    /// The first hidden layer (after `tanh`).
    pub first: LayerError,
    /// The hidden layers `1..=L` (after `tanh`).
    pub hidden: [LayerError; L],
    /// The network output `o`.
    pub output: LayerError,
}

impl<const L: usize> QuantReport<L> {
    /// An empty report with the scales of `q`.
    pub fn new<const D: usize, const H: usize>(q: &QuantMlp<D, H, L>) -> Self {
        let act = 1.0 / (1u32 << ACT_FRAC) as f64;
        let mut hidden = [LayerError::new("hidden", 0); L];
        for (l, (h, layer)) in hidden.iter_mut().zip(q.hidden.iter()).enumerate() {
            *h = LayerError { index: l as u16, act_scale: act, weight_scale: scale_range(&layer.scale), ..*h };
        }
        QuantReport {
            input: LayerError { act_scale: q.input_scale as f64, ..LayerError::new("input", 0) },
            first: LayerError {
                act_scale: act,
                weight_scale: scale_range(&q.first.scale),
                ..LayerError::new("first", 0)
            },
            hidden,
            output: LayerError {
                act_scale: libm::exp2(-(q.output_frac as f64)),
                weight_scale: scale_range(&q.output.scale),
                ..LayerError::new("output", 0)
            },
        }
    }

    /// Compare every layer of `q` with the float `model` at `(t, x)` (in `f64`); `false`
    /// (nothing recorded) for an invalid `t` or a non-finite float result.
    pub fn observe<F: Float, const D: usize, const H: usize>(
        &mut self,
        q: &QuantMlp<D, H, L>,
        model: &ScoreMlp<F, D, H, L>,
        t: f64,
        x: &[F; D],
    ) -> bool {
        let (Some(tc), Some(qt)) = (model.time_consts(t), q.prepare::<f64>(t)) else { return false };
        let mut tr = super::model::Trace::new();
        model.forward_traced(&tc, x, &mut tr);
        if tr.limited {
            return false;
        }
        let mut qtr = QuantTrace::new();
        q.forward_traced(&qt, &x.map(|v| v.as_f64()), &mut qtr);
        let su = q.input_scale as f64;
        let act = 1.0 / (1u32 << ACT_FRAC) as f64;
        for (&uq, &u) in qtr.u.iter().zip(tr.u.iter()) {
            self.input.add(uq as f64 * su, u.as_f64());
        }
        for (&hq, &h) in qtr.h0.iter().zip(tr.h0.iter()) {
            self.first.add(hq as f64 * act, h.as_f64());
        }
        for (rep, (qh, fh)) in self.hidden.iter_mut().zip(qtr.hs.iter().zip(tr.hs.iter())) {
            for (&hq, &h) in qh.iter().zip(fh.iter()) {
                rep.add(hq as f64 * act, h.as_f64());
            }
        }
        let unit = libm::exp2(-(q.output_frac as f64));
        for (&oq, &o) in qtr.out.iter().zip(tr.out.iter()) {
            self.output.add(oq as f64 * unit, o.as_f64());
        }
        true
    }

    /// The rows in order: input, first, hidden `0..L`, output.
    pub fn layers(&self) -> impl Iterator<Item = &LayerError> {
        [&self.input, &self.first].into_iter().chain(self.hidden.iter()).chain([&self.output])
    }
}

#[cfg(test)]
mod tests;
