//! The `I16F16` fast score and log-density kernel: 32-bit integers and 32x32->64 products
//! only (one `SMULL`/`UMULL`/`SMLAL` each on Cortex-M3), for points near the mixture.
//!
//! Log-likelihoods are in base 2 (units of `log2`), unsigned Q11.21, counted downwards:
//! `b_j = L_j + sum_d (x_d - mu_jd)^2 log2(e) / (2 v_jd) >= 0`, with `L_j >= 0` the
//! component's log-normaliser below the largest one. Per dimension the offset is scaled
//! by a power of two near the component's standard deviation, `n = (x - mu) / 2^e` in
//! Q3.28 (`2^e` in `(sd, 2 sd]`), computed exactly as `x 2^(12 - e) - mu 2^(28 - e)` in
//! 64 bits, so that `|n| < 8` covers every component that can carry responsibility and the
//! products keep 25 to 28 significant bits whatever the variance: `y = n g` (Q.25,
//! `g = 2^(2e) log2(e) / (2 v)` in `(0.72, 2.9]`), the quadratic term `n y` (Q.21) and
//! `z' = y / 2^e = z log2(e)` (Q.20, `z = (x - mu) / (2 v)`) are one high word each.
//!
//! With `b_min = min_j b_j`, the score is `-2 ln2 sum_j 2^(b_min - b_j) z'_j / sum_j
//! 2^(b_min - b_j)` ([`neg_exp2_q21`], Q5.27 weights, 64-bit numerator), divided once by a
//! `UDIV` estimate of the reciprocal and one Newton step. The log-density shares the pass
//! that gives `b_min` and the sum (without the `z'` products and the numerators):
//! `log p = top - ln2 b_min + ln(sum / 2^27)`, `top = max_j log_norm_j` stored in Q.32,
//! [`ln_weight_sum_q32`] (CLZ, a 64-entry table, a cubic; error below `2^-28`), all in Q.32 and rounded
//! once to `I16F16`.
//!
//! The kernel leaves out components whose normaliser is more than 44 below the largest (at
//! build) and components at an offset of 8 or more scaled standard deviations (`b_j >= 46`),
//! and answers only where every component left out, and every weight it rounds to zero, is
//! below `2^-24` of the largest: always when nothing was left out, else when `b_min` is
//! small enough (at most [`MAX_LOG2_DROP`] = 20, about 13.9 in natural units, if a
//! component was too far). Elsewhere, for `len > 31` components, and for mixtures whose
//! constants do not fit (`|mu| >= 65536`, standard deviation outside `[1/16, 4096)`) it
//! returns `None`.
//!
//! # Error
//! Over the documented `I16F16` domain (module [`crate::mixture`]) the score error is at
//! most `C u (1 + max_j |x_d - mu_jd| / v_jd)`, `u = 2^-16`, with `C <= 1` measured by this
//! module's tests (rounding to `I16F16` alone is `C = 0.5`). The result is always
//! representable: `|s| < 512`. The log-density error is at most `C u (1 + |log p|)` with
//! `C <= 0.5` measured: to the rounding (`u / 2`) the arithmetic adds at most about
//! `D 2^-21 + K 2^-24` absolute (the `b_j` to `2^-21` per dimension, the weights and the
//! logarithm to `2^-22` relative, weights dropped below `2^-24` each). It answers where the
//! score does, except where `|log p|` would reach `32768 - 2^-8` or `|top| >= 2^20`.

use fixed::types::I16F16;
use heapless::Vec;

use super::fast::FastScore;
use super::TimeConstants;
use crate::num::{ln_weight_sum_q32, mul_hi, neg_exp2_q21, recip_q58, LN2_Q32, NEG_EXP2_Q21_CUT};

/// The kernel's log-density answers below `2^31 - 2^8` in magnitude (Q16.16 bits), i.e.
/// `|log p| < 32768 - 2^-8`.
const MAX_LOG_DENSITY_BITS: u64 = (1 << 31) - (1 << 8);

/// Fraction bits of the base-2 log-likelihoods `b_j`.
const FRAC: u32 = 21;

/// When a component is left out for an offset of 8 or more scaled standard deviations (its
/// `b_j` is then at least 46), the kernel answers only if `b_min` is at most this.
pub const MAX_LOG2_DROP: u32 = 20;

/// Weights `2^(b_min - b_j)` below `2^-EXP_CUT` are zero ([`neg_exp2_q21`]).
const EXP_CUT: u32 = NEG_EXP2_Q21_CUT;

/// Components whose normaliser is more than this (base 2) below the largest are left out.
const L_CUT: f64 = (MAX_LOG2_DROP + EXP_CUT) as f64;

/// Range of the scaling exponent `e` (`2^e` in `(sd, 2 sd]`): keeps `2^(12 - e)` and
/// `2^(27 - e)` in `i32` (`sd` in `[1/16, 4096)`).
const E_MIN: i32 = -3;
const E_MAX: i32 = 12;

/// Most components: the Q5.27 weights sum to less than 2^32.
const MAX_LEN: usize = 31;

/// Up to this many dimensions the Q11.21 sum `b_j` cannot overflow (`44 + 185 D < 2048`).
const SAFE_DIMS: usize = 10;

/// `log2(e)`.
const LOG2_E: f64 = core::f64::consts::LOG2_E;

/// `2 ln2` in Q2.30.
const TWO_LN2_Q30: u32 = 1_488_522_236;

/// One dimension of one component.
#[derive(Clone, Copy, Debug, Default)]
struct Dim {
    /// `-mu 2^(28 - e)`, rounded: `n = x_q16 2^(12 - e) + c` in Q3.28 with one `SMLAL`.
    c: i64,
    /// `2^(12 - e)`.
    p: i32,
    /// `2^(2e) log2(e) / (2 v)` in Q3.29.
    g: i32,
    /// `2^(27 - e)`: `z' = y 2^-e` in Q.20 is the high word of `y m`.
    m: i32,
}

/// One component's constants.
#[derive(Clone, Copy, Debug)]
struct Row<const D: usize> {
    /// `(max_k log_norm_k - log_norm_j) log2(e)` in Q11.21, at most 44.
    l: u32,
    dims: [Dim; D],
}

/// The `I16F16` fast kernel (module documentation).
#[derive(Clone, Copy, Debug)]
pub struct FastScoreQ16<const D: usize, const K: usize> {
    /// Rows in use (components left out at build are not stored); 0 disables the kernel.
    len: usize,
    /// Largest `b_min` (Q11.21) for which the components left out at build are negligible:
    /// their smallest `L_j` less [`EXP_CUT`], or `u32::MAX` if none was left out.
    limit: u32,
    /// The largest log-normaliser `max_k log_norm_k` in Q.32, `None` (no fast log-density)
    /// if its magnitude is `2^20` or more.
    top: Option<i64>,
    rows: [Row<D>; K],
}

/// The constants of one dimension, or `None` if they do not fit.
fn build_dim(mu: f64, v: f64) -> Option<Dim> {
    if !(v > 0.0 && v.is_finite()) || mu.is_nan() || mu.abs() >= 65536.0 {
        return None;
    }
    // 2^e in (sd, 2 sd].
    let (_, e) = libm::frexp(libm::sqrt(v));
    if !(E_MIN..=E_MAX).contains(&e) {
        return None;
    }
    let g = libm::ldexp(1.0, 2 * e) / (2.0 * v);
    // (1/2, 2] up to the rounding of sqrt; the bounds of the module documentation allow 1%.
    if !(0.495..=2.02).contains(&g) {
        return None;
    }
    Some(Dim {
        c: -libm::round(mu * libm::ldexp(1.0, 28 - e)) as i64,
        p: 1 << (12 - e),
        g: libm::round(g * LOG2_E * libm::ldexp(1.0, 29)) as i32,
        m: 1 << (27 - e),
    })
}

impl<const D: usize, const K: usize> FastScore<I16F16, D, K> for FastScoreQ16<D, K> {
    fn build(p: &TimeConstants<D, K>) -> Self {
        let mut rows = [Row { l: 0, dims: [Dim::default(); D] }; K];
        let len = p.len.min(K);
        let top = p.log_norm.iter().take(len).fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let mut ok = len > 0 && len <= MAX_LEN && top.is_finite();
        let mut kept = 0;
        let mut l_out = f64::INFINITY;
        let src = p.log_norm.iter().zip(p.mean.iter().zip(p.var.iter())).take(len);
        for (&ln, (mean, var)) in src {
            let l = (top - ln) * LOG2_E;
            if l.is_nan() || l < 0.0 {
                ok = false;
                continue;
            }
            if l > L_CUT {
                l_out = l_out.min(l);
                continue;
            }
            let Some(row) = rows.get_mut(kept) else {
                ok = false;
                continue;
            };
            row.l = libm::round(l * (1u32 << FRAC) as f64) as u32;
            for (dim, (&mu, &v)) in row.dims.iter_mut().zip(mean.iter().zip(var.iter())) {
                match build_dim(mu, v) {
                    Some(d) => *dim = d,
                    None => ok = false,
                }
            }
            kept += 1;
        }
        let limit = if l_out.is_finite() {
            libm::floor((l_out - EXP_CUT as f64) * (1u32 << FRAC) as f64).min(u32::MAX as f64) as u32
        } else {
            u32::MAX
        };
        let top = (top.abs() < (1u64 << 20) as f64).then(|| libm::round(libm::ldexp(top, 32)) as i64);
        FastScoreQ16 { len: if ok { kept } else { 0 }, limit, top, rows }
    }

    #[inline]
    fn score(&self, x: &[I16F16; D]) -> Option<[I16F16; D]> {
        let (_, sum, num) = self.weigh::<true>(x)?;
        // y3 = 2 ln2 2^56 / sum, sum in [2^27, 2^32).
        let y1 = recip_q58(sum)?;
        let y3 = ((y1 as u64 * TWO_LN2_Q30 as u64) >> 32) as i64;
        Some(num.map(|a| {
            // a y3 / 2^32 = s 2^44, then Q16.16.
            let lo = ((a as u32 as u64 * y3 as u64) >> 32) as i64;
            let p = ((a >> 32) as i32 as i64 * y3).wrapping_add(lo);
            I16F16::from_bits((p.wrapping_add(1 << 27) >> 28) as i32)
        }))
    }

    #[inline]
    fn log_density(&self, x: &[I16F16; D]) -> Option<I16F16> {
        let top = self.top?;
        let (b_min, sum, _) = self.weigh::<false>(x)?;
        // No component (a disabled kernel).
        if sum < 1 << 27 {
            return None;
        }
        // log p = top - ln2 b_min + ln(sum / 2^27), Q.32.
        let lb = ((b_min as u64 * LN2_Q32 as u64) >> FRAC) as i64;
        let v = top.wrapping_sub(lb).wrapping_add(ln_weight_sum_q32(sum));
        let r = v.wrapping_add(1 << 15) >> 16;
        // Representable with a margin (the general evaluation flags the edge).
        if r.unsigned_abs() >= MAX_LOG_DENSITY_BITS {
            return None;
        }
        Some(I16F16::from_bits(r as i32))
    }
}

impl<const D: usize, const K: usize> FastScoreQ16<D, K> {
    /// The pass shared by [`FastScore::score`] and [`FastScore::log_density`]: `(b_min, sum,
    /// num)` with `b_min` in Q11.21, `sum = sum_j 2^(b_min - b_j)` in Q5.27 (in `[2^27, 2^32)`)
    /// and, if `SCORE`, `num = -sum_j 2^(b_min - b_j) z'_j` (Q5.27 times Q.20); `None` where
    /// the kernel does not answer.
    #[inline(always)]
    fn weigh<const SCORE: bool>(&self, x: &[I16F16; D]) -> Option<(u32, u32, [i64; D])> {
        // Pass 1: b_j and z'_j of the components within 8 scaled standard deviations.
        let mut near: Vec<(u32, [i32; D]), K> = Vec::new();
        let mut b_min = u32::MAX;
        let mut any_far = false;
        let rows = self.rows.get(..self.len)?;
        for row in rows {
            let mut b = row.l;
            let mut z = [0i32; D];
            let mut far = false;
            for ((xd, dim), zd) in x.iter().zip(row.dims.iter()).zip(z.iter_mut()) {
                // Exact in 64 bits; |n| < 8 (Q3.28) or the component is too far.
                let n64 = (xd.to_bits() as i64 * dim.p as i64).wrapping_add(dim.c);
                let n = n64 as i32;
                // y = n g (Q.25); n y >= 0 (y has the sign of n) is the quadratic term (Q.21).
                let y = mul_hi(n, dim.g);
                b = b.wrapping_add(mul_hi(n, y) as u32);
                if D > SAFE_DIMS {
                    b = b.min(1 << 31);
                }
                if SCORE {
                    *zd = mul_hi(y, dim.m);
                }
                // Checked after the products, which then stay 32x32 bits; in one dimension
                // after the loop (which then unrolls, 13 instructions fewer on Cortex-M3).
                far |= n64 != n as i64;
                if D > 1 && far {
                    break;
                }
            }
            if far {
                any_far = true;
                continue;
            }
            b_min = b_min.min(b);
            if near.push((b, z)).is_err() {
                return None;
            }
        }
        if b_min > if any_far { MAX_LOG2_DROP << FRAC } else { self.limit } {
            return None;
        }
        // Beyond SAFE_DIMS the b_j are clamped at 2^31: b_min and the weights must stay below.
        if D > SAFE_DIMS && b_min >= (1 << 31) - (EXP_CUT << FRAC) {
            return None;
        }
        // Pass 2: weights (the smallest b_j has weight 2^27 exactly), sums; num = -sum e z'.
        let mut sum: u32 = 0;
        let mut num = [0i64; D];
        for (b, z) in near.iter() {
            let e = neg_exp2_q21(b.wrapping_sub(b_min));
            sum = sum.wrapping_sub(e as u32);
            if SCORE {
                // Two dimensions written out: the compiler then keeps both sums in registers
                // (it stopped unrolling this loop once, +17% on RV32IMAC for K = 8).
                match (num.as_mut_slice(), z.as_slice()) {
                    ([a0, a1], [z0, z1]) => {
                        *a0 = a0.wrapping_add(e as i64 * *z0 as i64);
                        *a1 = a1.wrapping_add(e as i64 * *z1 as i64);
                    }
                    (num, z) => {
                        for (a, &zd) in num.iter_mut().zip(z.iter()) {
                            *a = a.wrapping_add(e as i64 * zd as i64);
                        }
                    }
                }
            }
        }
        Some((b_min, sum, num))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use crate::num::LN_2PI;
    use std::vec::Vec;

    const U: f64 = 1.0 / 65536.0;

    /// xorshift64*: a small deterministic generator for the tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn range(&mut self, a: f64, b: f64) -> f64 {
            a + (b - a) * self.unit()
        }
        fn log_range(&mut self, a: f64, b: f64) -> f64 {
            libm::exp(self.range(libm::log(a), libm::log(b)))
        }
    }

    /// Exact parameters of a mixture with weights `w`, means and variances.
    fn params<const D: usize, const K: usize>(w: &[f64], mean: &[[f64; D]], var: &[[f64; D]]) -> TimeConstants<D, K> {
        let mut p =
            TimeConstants { len: w.len(), log_norm: [0.0; K], mean: [[0.0; D]; K], var: [[0.0; D]; K], extreme: false };
        let total: f64 = w.iter().sum();
        for (j, &wj) in w.iter().enumerate() {
            p.log_norm[j] = libm::log(wj / total) - 0.5 * var[j].iter().map(|&v| LN_2PI + libm::log(v)).sum::<f64>();
            p.mean[j] = mean[j];
            p.var[j] = var[j];
        }
        p
    }

    /// The exact score (f64 log-sum-exp, independent of the kernel) and the bound's
    /// `max_j |x_d - mu_jd| / v_jd`.
    #[allow(clippy::needless_range_loop)]
    fn exact_score<const D: usize, const K: usize>(p: &TimeConstants<D, K>, x: &[f64; D]) -> ([f64; D], f64) {
        let mut a = Vec::new();
        let mut worst: f64 = 0.0;
        for j in 0..p.len {
            let mut q = 0.0;
            for d in 0..D {
                let diff = x[d] - p.mean[j][d];
                q += diff * diff / p.var[j][d];
                worst = worst.max((diff / p.var[j][d]).abs());
            }
            a.push(p.log_norm[j] - 0.5 * q);
        }
        let m = a.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let mut s = [0.0; D];
        let mut sum = 0.0;
        for j in 0..p.len {
            let e = libm::exp(a[j] - m);
            sum += e;
            for d in 0..D {
                s[d] -= e * (x[d] - p.mean[j][d]) / p.var[j][d];
            }
        }
        (s.map(|v| v / sum), worst)
    }

    /// The exact log-density (f64 log-sum-exp, independent of the kernel).
    fn exact_log_density<const D: usize, const K: usize>(p: &TimeConstants<D, K>, x: &[f64; D]) -> f64 {
        let a: Vec<f64> = (0..p.len)
            .map(|j| {
                let q: f64 = (0..D).map(|d| (x[d] - p.mean[j][d]) * (x[d] - p.mean[j][d]) / p.var[j][d]).sum();
                p.log_norm[j] - 0.5 * q
            })
            .collect();
        let m = a.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        m + libm::log(a.iter().map(|&v| libm::exp(v - m)).sum::<f64>())
    }

    /// `C` of the kernel's log-density at `x`, in units of `u (1 + |log p|)` (`None` if it
    /// does not answer).
    fn c_logp_at<const D: usize, const K: usize>(
        p: &TimeConstants<D, K>,
        k: &FastScoreQ16<D, K>,
        x: &[I16F16; D],
    ) -> Option<f64> {
        let v = k.log_density(x)?;
        let want = exact_log_density(p, &x.map(|v| v.to_num::<f64>()));
        Some((v.to_num::<f64>() - want).abs() / (U * (1.0 + want.abs())))
    }

    /// `C` of the kernel's answer at `x` (`None` if it does not answer).
    fn c_at<const D: usize, const K: usize>(
        p: &TimeConstants<D, K>,
        k: &FastScoreQ16<D, K>,
        x: &[I16F16; D],
    ) -> Option<f64> {
        let s = k.score(x)?;
        let (want, m) = exact_score(p, &x.map(|v| v.to_num::<f64>()));
        let err = s.iter().zip(want.iter()).fold(0.0f64, |e, (g, w)| e.max((g.to_num::<f64>() - w).abs()));
        Some(err / (U * (1.0 + m)))
    }

    fn q16(v: f64) -> I16F16 {
        I16F16::from_num(v.clamp(-32768.0, 32767.0))
    }

    /// Random mixtures over the documented `I16F16` domain (|mu| <= 1024, 1/16 <= std <= 64,
    /// sigma^2 t <= 4096), clustered so that components overlap, and points near them.
    /// Returns (worst C, points answered, points tried) of the score, then (worst C, points
    /// answered) of the log-density.
    fn random_domain<const D: usize>(seed: u64, mixtures: usize) -> ((f64, usize, usize), (f64, usize)) {
        let mut rng = Rng(seed);
        let (mut worst, mut answered, mut tried) = (0.0f64, 0, 0);
        let (mut worst_logp, mut answered_logp) = (0.0f64, 0);
        for _ in 0..mixtures {
            let k = 1 + (rng.next() % 8) as usize;
            let centre: [f64; D] = core::array::from_fn(|_| rng.range(-1000.0, 1000.0));
            let spread = rng.log_range(1.0 / 16.0, 256.0);
            let s2t = if rng.next() & 3 == 0 { 0.0 } else { rng.log_range(1e-3, 4096.0) };
            let mut w = Vec::new();
            let mut mean = Vec::new();
            let mut var = Vec::new();
            for _ in 0..k {
                w.push(if rng.next() & 7 == 0 { 1e-9 } else { rng.range(0.05, 1.0) });
                mean.push(core::array::from_fn(|d| (centre[d] + spread * rng.range(-1.0, 1.0)).clamp(-1024.0, 1024.0)));
                var.push(core::array::from_fn(|_| {
                    let sd = rng.log_range(1.0 / 16.0, 64.0);
                    sd * sd + s2t
                }));
            }
            let p = params::<D, 8>(&w, &mean, &var);
            let kernel = FastScoreQ16::<D, 8>::build(&p);
            assert!(kernel.len > 0, "domain mixture disabled the kernel");
            for i in 0..24 {
                let j = i % k;
                let r = if i % 3 == 0 { 12.0 } else { 4.0 };
                let x: [I16F16; D] = core::array::from_fn(|d| {
                    q16((mean[j][d] + libm::sqrt(var[j][d]) * rng.range(-r, r)).clamp(-1024.0, 1024.0))
                });
                tried += 1;
                let score = c_at(&p, &kernel, &x);
                if let Some(c) = score {
                    answered += 1;
                    assert!(c <= 16.0, "C = {c} at {x:?}, {p:?}");
                    worst = worst.max(c);
                }
                let logp = c_logp_at(&p, &kernel, &x);
                // Both answer at the same points (one shared pass).
                assert_eq!(score.is_some(), logp.is_some(), "{x:?}, {p:?}");
                if let Some(c) = logp {
                    answered_logp += 1;
                    assert!(c <= 16.0, "log-density C = {c} at {x:?}, {p:?}");
                    worst_logp = worst_logp.max(c);
                }
            }
        }
        ((worst, answered, tried), (worst_logp, answered_logp))
    }

    #[test]
    fn matches_the_exact_score_on_random_domain_mixtures() {
        let r1 = random_domain::<1>(1, 3000);
        let r2 = random_domain::<2>(2, 2000);
        let r3 = random_domain::<3>(3, 1000);
        std::println!(
            "worst C ((score, answered, tried), (log-density, answered)): D=1 {r1:?}, D=2 {r2:?}, D=3 {r3:?}"
        );
        for ((worst, answered, tried), (worst_logp, answered_logp)) in [r1, r2, r3] {
            assert!(worst <= 1.0, "worst C {worst}");
            assert!(worst_logp <= 1.0, "worst log-density C {worst_logp}");
            // Most points within 4 standard deviations of a component are answered.
            assert!(answered * 2 > tried, "{answered} of {tried} answered");
            assert_eq!(answered, answered_logp);
        }
    }

    /// The bench mixture of the firmware: the first `k` of 8 components at
    /// -3.5 + j (+ d/4), std 0.5, sigma 1, t = 0.25.
    fn bench<const D: usize>(k: usize) -> TimeConstants<D, 8> {
        let w = std::vec![1.0 / k as f64; k];
        let mean: Vec<[f64; D]> = (0..k).map(|j| core::array::from_fn(|d| -3.5 + j as f64 + 0.25 * d as f64)).collect();
        let var = std::vec![[0.5; D]; k];
        params::<D, 8>(&w, &mean, &var)
    }

    #[test]
    fn answers_at_the_bench_point_and_in_the_bulk() {
        for k in [1, 4, 8] {
            let p = bench::<1>(k);
            let kernel = FastScoreQ16::build(&p);
            let c = c_at(&p, &kernel, &[q16(0.3)]).expect("bench point answered");
            assert!(c <= 1.0, "k {k}: C {c}");
            let c = c_logp_at(&p, &kernel, &[q16(0.3)]).expect("bench point answered");
            assert!(c <= 1.0, "k {k}: log-density C {c}");
            let p2 = bench::<2>(k);
            let kernel2 = FastScoreQ16::build(&p2);
            let c = c_at(&p2, &kernel2, &[q16(0.3); 2]).expect("bench point answered");
            assert!(c <= 1.0, "k {k}: C {c}");
            let c = c_logp_at(&p2, &kernel2, &[q16(0.3); 2]).expect("bench point answered");
            assert!(c <= 1.0, "k {k}: log-density C {c}");
        }
        // The host's default mixture: every point from -4 to 5 in steps of 1/64, t = 0.1.
        let w = [0.25, 0.5, 0.25];
        let var = [[0.25 + 0.1], [0.09 + 0.1], [1.0 + 0.1]];
        let p = params::<1, 4>(&w, &[[-2.0], [0.5], [3.0]], &var);
        let kernel = FastScoreQ16::build(&p);
        for i in -256..=320 {
            let c = c_at(&p, &kernel, &[q16(i as f64 / 64.0)]).expect("bulk point answered");
            assert!(c <= 2.0, "x {}: C {c}", i as f64 / 64.0);
            let c = c_logp_at(&p, &kernel, &[q16(i as f64 / 64.0)]).expect("bulk point answered");
            assert!(c <= 1.0, "x {}: log-density C {c}", i as f64 / 64.0);
        }
    }

    #[test]
    fn declines_far_tails_and_unrepresentable_mixtures() {
        let p = bench::<1>(4);
        let kernel = FastScoreQ16::build(&p);
        for x in [-30.0, 8.0, 100.0, 1024.0, -32768.0, 32767.0] {
            assert!(kernel.score(&[q16(x)]).is_none(), "{x}");
            assert!(kernel.log_density(&[q16(x)]).is_none(), "{x}");
        }
        // Standard deviation below 1/16, mean beyond the range, too many components.
        let tiny = params::<1, 4>(&[0.5, 0.5], &[[0.0], [1.0]], &[[1e-4], [1.0]]);
        assert_eq!(FastScoreQ16::build(&tiny).len, 0);
        assert!(FastScoreQ16::build(&tiny).score(&[q16(0.5)]).is_none());
        assert!(FastScoreQ16::build(&tiny).log_density(&[q16(0.5)]).is_none());
        let huge = params::<1, 4>(&[0.5, 0.5], &[[70000.0], [1.0]], &[[1.0], [1.0]]);
        assert_eq!(FastScoreQ16::build(&huge).len, 0);
        let many = params::<1, 40>(&[1.0; 40], &[[0.0]; 40], &[[1.0]; 40]);
        assert_eq!(FastScoreQ16::build(&many).len, 0);
        // A negligible component is left out, the others answer.
        let light = params::<1, 4>(&[1.0, 1e-20], &[[0.0], [0.5]], &[[1.0], [1.0]]);
        let kernel = FastScoreQ16::build(&light);
        assert_eq!(kernel.len, 1);
        assert!(c_at(&light, &kernel, &[q16(0.25)]).unwrap() <= 1.0);
        assert!(c_logp_at(&light, &kernel, &[q16(0.25)]).unwrap() <= 1.0);
    }

    #[test]
    fn log_density_declines_beyond_the_range_of_i16f16() {
        // One component with many wide dimensions: log p at the mean is
        // -D/2 ln(2 pi v), -26 628 for D = 3000 (answered) and -35 504 for D = 4000 (not).
        fn at_mean<const D: usize>() -> (Option<f64>, f64) {
            let p = std::boxed::Box::new(params::<D, 1>(&[1.0], &[[0.5; D]], &[[8.0e6; D]]));
            let kernel = std::boxed::Box::new(FastScoreQ16::build(&p));
            let x = [q16(0.5); D];
            (kernel.log_density(&x).map(|v| v.to_num::<f64>()), exact_log_density(&p, &[0.5; D]))
        }
        let (got, want) = at_mean::<3000>();
        let got = got.expect("in range");
        assert!((got - want).abs() <= U * (1.0 + want.abs()), "{got} vs {want}");
        let (got, want) = at_mean::<4000>();
        assert!(want < -32768.0);
        assert!(got.is_none(), "{got:?}");
    }

    #[test]
    fn no_panic_and_accurate_or_none_on_extreme_inputs() {
        let xs = [I16F16::MIN, I16F16::MAX, I16F16::ZERO, I16F16::DELTA, -I16F16::DELTA, q16(1024.0), q16(-1024.0)];
        let mixtures = [
            params::<2, 4>(&[0.5, 0.5], &[[1024.0, -1024.0], [-1024.0, 1024.0]], &[[1.0 / 256.0; 2], [8192.0; 2]]),
            params::<2, 4>(&[0.3, 0.7], &[[32767.0, -32768.0], [0.0, 0.0]], &[[1e6; 2], [1.0 / 900.0; 2]]),
            params::<2, 4>(&[0.5, 0.5], &[[0.0, 0.0], [1e-5, -1e-5]], &[[1.0 / 1000.0; 2], [1.6e7; 2]]),
        ];
        for p in &mixtures {
            let kernel = FastScoreQ16::build(p);
            for &a in &xs {
                for &b in &xs {
                    if let Some(c) = c_at(p, &kernel, &[a, b]) {
                        assert!(c <= 16.0, "{a} {b}: C {c}");
                    }
                    if let Some(c) = c_logp_at(p, &kernel, &[a, b]) {
                        assert!(c <= 16.0, "{a} {b}: log-density C {c}");
                    }
                }
            }
        }
    }

    #[test]
    fn prepared_mixture_score_and_log_density_agree_with_evaluate() {
        use crate::mixture::{Component, GaussianMixture};
        let comps = [
            Component { weight: 0.25, mean: [-2.0, 1.0], std: [0.5, 0.3] },
            Component { weight: 0.5, mean: [0.5, -0.7], std: [0.3, 1.5] },
            Component { weight: 0.25, mean: [3.0, 0.1], std: [1.0, 0.2] },
        ];
        let gm = GaussianMixture::<2, 4>::new(1.0, &comps).unwrap();
        for t in [0.0, 0.01, 0.3, 2.0] {
            let p = gm.prepare::<I16F16>(t).unwrap();
            let mut answered = 0;
            for i in -40..=40 {
                for j in -10..=10 {
                    let x = [q16(i as f64 / 8.0), q16(j as f64 / 4.0)];
                    let (s, st) = p.score(&x);
                    let e = p.evaluate(&x);
                    assert_eq!(st, e.status);
                    // Both within C = 0.6 of the exact score: at most 2 LSB apart here.
                    for (a, b) in s.iter().zip(e.score.iter()) {
                        assert!((a.to_bits() - b.to_bits()).abs() <= 2, "t {t} x {x:?}: {s:?} vs {:?}", e.score);
                    }
                    let (l, lst) = p.log_density(&x);
                    assert_eq!(lst, e.status);
                    assert!(
                        (l.to_bits() - e.log_density.to_bits()).abs() <= 2,
                        "t {t} x {x:?}: {l} vs {}",
                        e.log_density
                    );
                    let params = params::<2, 4>(
                        &[0.25, 0.5, 0.25],
                        &comps.map(|c| c.mean),
                        &comps.map(|c| c.std.map(|sd| sd * sd + t)),
                    );
                    if FastScoreQ16::build(&params).score(&x).is_some() {
                        answered += 1;
                    }
                }
            }
            assert!(answered > 81 * 21 / 2, "t {t}: {answered}");
        }
    }
}
