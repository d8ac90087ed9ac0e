//! The kernels of the `f32` score network: [`tanh_f32`], a rational `tanh` (no `exp`, no
//! branch but the clamp), and [`dot_add_f32`], a row of multiply-adds in four partial sums.

/// Odd numerator coefficients `a_1, a_3, ..., a_13` of `p(a) = a (a_1 + a_3 a^2 + ...)`.
const NUM: [f32; 7] = [
    4.893_524_558_917_86e-3_f64 as f32,
    6.372_619_288_754_36e-4_f64 as f32,
    1.485_722_357_179_79e-5_f64 as f32,
    5.122_297_090_371_14e-8_f64 as f32,
    -8.604_671_522_137_35e-11_f64 as f32,
    2.000_187_904_824_77e-13_f64 as f32,
    -2.760_768_477_423_55e-16_f64 as f32,
];

/// Even denominator coefficients `b_0, b_2, b_4, b_6` of `q(a) = b_0 + b_2 a^2 + ...`.
const DEN: [f32; 4] = [
    4.893_525_185_543_85e-3_f64 as f32,
    2.268_434_632_439e-3_f64 as f32,
    1.185_347_056_866_54e-4_f64 as f32,
    1.198_258_394_667_02e-6_f64 as f32,
];

/// Beyond this `|a|` the result is `±1` (`tanh(CLAMP) = 1 - 2.7e-7`, within the bound).
const CLAMP: f32 = 7.905_311_107_635_498_f64 as f32;

/// `tanh(a)` in `f32` from a [13/6] rational `p(a) / q(a)` (the coefficients of Eigen's
/// `ptanh_float`) for `|a| <= 7.905311`, `±1` beyond: about 20 multiplies and adds and one
/// division, no `exp` (the `f32` network's activation).
///
/// Error bound, every finite `a` (`f32` arithmetic, products and sums rounded separately):
/// `|tanh_f32(a) - tanh(a)| <= 5e-7 |tanh(a)|` (8.4 `f32` ulp; measured 3.95e-7, near
/// `|a| = 5.77`, by the test against `libm::tanh` in `f64` over 4 million points of
/// `[-10, 10]` and a log grid down to 1e-30). The result lies in `[-1, 1]`; `±inf` give
/// `±1`, NaN gives NaN.
///
/// # Examples
/// ```
/// use tinyscore::num::tanh_f32;
/// let y = tanh_f32(0.5);
/// assert!((f64::from(y) - libm::tanh(0.5)).abs() <= 5e-7 * libm::tanh(0.5));
/// assert_eq!(tanh_f32(20.0), 1.0);
/// assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
/// ```
#[inline]
pub fn tanh_f32(a: f32) -> f32 {
    tanh_flag(a).0
}

/// [`tanh_f32`] of every value in place; `true` if one of them was not finite (one integer
/// test per value decides both the clamp and the flag).
///
/// # Examples
/// ```
/// use tinyscore::num::{tanh_all_f32, tanh_f32};
/// let mut v = [0.5f32, -9.0];
/// assert!(!tanh_all_f32(&mut v));
/// assert_eq!(v, [tanh_f32(0.5), -1.0]);
/// assert!(tanh_all_f32(&mut [1.0, f32::INFINITY]));
/// ```
#[inline]
pub fn tanh_all_f32(v: &mut [f32]) -> bool {
    let mut lim = false;
    for x in v.iter_mut() {
        let (y, l) = tanh_flag(*x);
        *x = y;
        lim |= l;
    }
    lim
}

/// `(tanh_f32(a), a is not finite)`.
#[inline(always)]
fn tanh_flag(a: f32) -> (f32, bool) {
    // |a| > CLAMP, infinite or NaN: one compare of the bits without the sign.
    if a.to_bits() & 0x7fff_ffff > CLAMP.to_bits() {
        let y = if a.is_nan() {
            a
        } else if a > 0.0 {
            1.0
        } else {
            -1.0
        };
        return (y, !a.is_finite());
    }
    let a2 = a * a;
    let [n1, n3, n5, n7, n9, n11, n13] = NUM;
    let p = ((((((n13 * a2 + n11) * a2 + n9) * a2 + n7) * a2 + n5) * a2 + n3) * a2 + n1) * a;
    let [d0, d2, d4, d6] = DEN;
    let q = ((d6 * a2 + d4) * a2 + d2) * a2 + d0;
    (p / q, false)
}

/// `acc + sum_j w_j x_j` in `f32`, the pre-activation of one unit: for `N >= 8` the
/// products go into four partial sums `s_k` (`j mod 4 = k`, each in input order, `s_0`
/// starting from `acc`), added as `(s_0 + s_1) + (s_2 + s_3)`, then the last `N mod 4`
/// products in order; for `N < 8` every product is added to `acc` in order. Each product
/// and sum is rounded once (no fused multiply-add), so the result is the same bits on every
/// target; its error is the float sum's, at most `(N + 1) u (|acc| + sum_j |w_j x_j|)` to
/// first order (`u = 2^-24`).
///
/// # Examples
/// ```
/// use tinyscore::num::dot_add_f32;
/// let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
/// let x = [1.0; 9];
/// assert_eq!(dot_add_f32(0.5, &w, &x), 45.5);
/// assert_eq!(dot_add_f32(1.0, &[2.0], &[3.0]), 7.0);
/// ```
#[inline]
pub fn dot_add_f32<const N: usize>(acc: f32, w: &[f32; N], x: &[f32; N]) -> f32 {
    if N < 8 {
        // Slice patterns rather than zipped iterators: a short row unrolls completely.
        let mut a = acc;
        let (mut ws, mut xs): (&[f32], &[f32]) = (w, x);
        while let ([wj, w_rest @ ..], [xj, x_rest @ ..]) = (ws, xs) {
            a += *wj * *xj;
            ws = w_rest;
            xs = x_rest;
        }
        return a;
    }
    // The first four products start the partial sums (`acc` goes into the first).
    let ([w0, w1, w2, w3, w_rest @ ..], [x0, x1, x2, x3, x_rest @ ..]) = (w as &[f32], x as &[f32]) else {
        return acc; // N >= 8: not reached
    };
    let (mut s0, mut s1, mut s2, mut s3) = (acc + *w0 * *x0, *w1 * *x1, *w2 * *x2, *w3 * *x3);
    let (mut ws, mut xs) = (w_rest, x_rest);
    // Eight products per pass (two for each partial sum, in input order), then four.
    while let ([w0, w1, w2, w3, w4, w5, w6, w7, w_rest @ ..], [x0, x1, x2, x3, x4, x5, x6, x7, x_rest @ ..]) = (ws, xs)
    {
        s0 += *w0 * *x0;
        s1 += *w1 * *x1;
        s2 += *w2 * *x2;
        s3 += *w3 * *x3;
        s0 += *w4 * *x4;
        s1 += *w5 * *x5;
        s2 += *w6 * *x6;
        s3 += *w7 * *x7;
        ws = w_rest;
        xs = x_rest;
    }
    if let ([w0, w1, w2, w3, w_rest @ ..], [x0, x1, x2, x3, x_rest @ ..]) = (ws, xs) {
        s0 += *w0 * *x0;
        s1 += *w1 * *x1;
        s2 += *w2 * *x2;
        s3 += *w3 * *x3;
        ws = w_rest;
        xs = x_rest;
    }
    let mut a = (s0 + s1) + (s2 + s3);
    for (&wj, &xj) in ws.iter().zip(xs.iter()) {
        a += wj * xj;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::{dot_add_f32, tanh_all_f32, tanh_f32};

    /// Against the sum in `f64` and its error bound, and the exact order of the partial sums
    /// on values whose sums are exact in `f32` except where the order shows.
    #[test]
    fn dot_within_float_sum_bound() {
        let mut seed = 0x2545_f491_u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (f64::from(seed) / 4_294_967_296.0 - 0.5) as f32 * 4.0
        };
        for _ in 0..200 {
            let w: [f32; 35] = core::array::from_fn(|_| next());
            let x: [f32; 35] = core::array::from_fn(|_| next());
            let acc = next();
            let exact: f64 =
                f64::from(acc) + w.iter().zip(x.iter()).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum::<f64>();
            let mag: f64 = w.iter().zip(x.iter()).map(|(&a, &b)| (f64::from(a) * f64::from(b)).abs()).sum();
            let u = 1.0 / 16_777_216.0;
            let bound = 36.0 * u * mag + u * f64::from(acc).abs() * 2.0;
            let got = f64::from(dot_add_f32(acc, &w, &x));
            assert!((got - exact).abs() <= bound, "{got} vs {exact}, bound {bound}");
        }
        // 2^24 + 1 is not an f32: the order of the partial sums decides the result.
        let big = 16_777_216.0f32;
        let mut w = [0.0f32; 9];
        w[0] = big;
        w[1] = 1.0;
        w[5] = 1.0;
        w[8] = -big;
        let x = [1.0f32; 9];
        // s0 = 2^24, s1 = 1 + 1 = 2 (exact), s0 + s1 = 2^24 + 2; then - 2^24 = 2.
        assert_eq!(dot_add_f32(0.0, &w, &x), 2.0);
        // In input order: 2^24 + 1 rounds to 2^24 (ties to even), + 1 again: 2^24; result 0.
        let seq = w.iter().zip(x.iter()).fold(0.0f32, |a, (&wj, &xj)| a + wj * xj);
        assert_eq!(seq, 0.0);
    }

    /// The relative error against `libm::tanh` in `f64` on a dense grid of `[-10, 10]` and
    /// a logarithmic grid of `[1e-30, 10]` (both signs).
    #[test]
    fn within_bound_of_libm_tanh() {
        let mut worst = 0.0f64;
        let mut check = |a: f32| {
            let want = libm::tanh(f64::from(a));
            let got = f64::from(tanh_f32(a));
            let rel = (got - want).abs() / want.abs().max(f64::MIN_POSITIVE);
            assert!(rel <= 5e-7, "a = {a}: {got} vs {want}, relative {rel}");
            assert!(got.abs() <= 1.0, "a = {a}");
            worst = worst.max(rel);
        };
        let n = 4_000_000;
        for i in 0..=n {
            check((-10.0 + 20.0 * f64::from(i) / f64::from(n)) as f32);
        }
        let m = 200_000;
        for i in 0..=m {
            let a = libm::exp(libm::log(1e-30) + (libm::log(10.0) - libm::log(1e-30)) * f64::from(i) / f64::from(m));
            check(a as f32);
            check(-a as f32);
        }
        assert!(worst > 1e-7, "the grid should reach the kernel's error: {worst}");
    }

    #[test]
    fn limits() {
        assert_eq!(tanh_f32(0.0), 0.0);
        assert_eq!(tanh_f32(f32::INFINITY), 1.0);
        assert_eq!(tanh_f32(-1e30), -1.0);
        assert!(tanh_f32(f32::NAN).is_nan());
        let mut v = [0.25f32, f32::NAN, 3.0];
        assert!(tanh_all_f32(&mut v));
        assert!(v[1].is_nan() && v[0] == tanh_f32(0.25) && v[2] == tanh_f32(3.0));
        let mut v = [-1e30f32, 8.0, 0.0];
        assert!(!tanh_all_f32(&mut v));
        assert_eq!(v, [-1.0, 1.0, 0.0]);
        // Odd: the clamp and the rational are symmetric.
        for a in [1e-3f32, 0.3, 1.7, 4.2, 7.9] {
            assert_eq!(tanh_f32(-a), -tanh_f32(a));
        }
    }
}
