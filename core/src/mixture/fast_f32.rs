//! The `f32` fast kernel: score and log-density wholly in `f32`, for points near the mixture.
//!
//! Per component and dimension it computes `d = (x - mu_hi) - mu_lo` (the mean is stored
//! as two `f32`, so `d` is exact wherever `x` is within a factor 2 of `mu`, which is where
//! it matters), `z = d / (2 v)` and `a_j = l_j - sum_d d z`, with `l_j` the component's
//! log-normaliser relative to the largest one (so `l_j <= 0`). With `m = max_j a_j`,
//! the score is `-2 sum_j e^(a_j - m) z_j / sum_j e^(a_j - m)` ([`exp_nonpos_f32`], 2 ulp),
//! accumulated in one pass with a running maximum.
//!
//! The rounding error of `a_j` is a few `u (|l_j| + q_j)`, `q_j` the squared Mahalanobis
//! distance; it matters only for components that carry responsibility, and those have
//! `|l_j| + q_j / 2 <= -m + 18` or so. The kernel therefore answers only when
//! `m >= -`[`MAX_LOG_LIKELIHOOD_DROP`]; there the score meets the general evaluation's bound
//! `C <= 4` (measured `C = 3.0` over 20 000 points against `f64` by this module's tests, and
//! by `tinyscore report`), and it answers for about 90 % of the points drawn from the
//! mixture. Elsewhere it returns `None`.
//!
//! The log-density is `top + m + ln(sum_j e^(a_j - m))`, `top` the largest log-normaliser
//! stored as two `f32`, the small terms added first (measured `C = 2.2`, bound 4).
//! `cargo test -p tinyscore fast_f32 -- --nocapture` prints the measured figures.

use super::fast::FastScore;
use super::TimeConstants;
use crate::num::exp_nonpos_f32;

/// The kernel answers when the largest relative log-likelihood `m` is at least minus this.
pub const MAX_LOG_LIKELIHOOD_DROP: f32 = 4.0;

/// Terms with `a_j - m` below `-CUTOFF` are dropped: `e^-20 = 2e-9`, 0.04 `u` of the largest.
const CUTOFF: f32 = 20.0;

/// One component's constants.
#[derive(Clone, Copy, Debug)]
struct Row<const D: usize> {
    mean_hi: [f32; D],
    /// `mu - mean_hi`, rounded.
    mean_lo: [f32; D],
    /// `1 / (2 v)`.
    half_inv_var: [f32; D],
    /// `log_norm_j - max_k log_norm_k`.
    log_norm: f32,
}

/// The `f32` fast kernel (module documentation).
#[derive(Clone, Copy, Debug)]
pub struct FastScoreF32<const D: usize, const K: usize> {
    /// Components in use; 0 disables the kernel.
    len: usize,
    /// The largest log-normaliser `max_k log_norm_k` as `top_hi + top_lo`.
    top_hi: f32,
    top_lo: f32,
    rows: [Row<D>; K],
}

impl<const D: usize, const K: usize> FastScore<f32, D, K> for FastScoreF32<D, K> {
    fn build(p: &TimeConstants<D, K>) -> Self {
        let mut rows = [Row { mean_hi: [0.0; D], mean_lo: [0.0; D], half_inv_var: [0.0; D], log_norm: 0.0 }; K];
        let len = p.len.min(K);
        let top = p.log_norm.iter().take(len).fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let mut ok = len > 0;
        let src = p.log_norm.iter().zip(p.mean.iter().zip(p.var.iter()));
        for (row, (&ln, (mean, var))) in rows.iter_mut().zip(src).take(len) {
            row.log_norm = (ln - top) as f32;
            ok &= row.log_norm.is_finite();
            let dims = row.mean_hi.iter_mut().zip(row.mean_lo.iter_mut().zip(row.half_inv_var.iter_mut()));
            for ((hi, (lo, hiv)), (&mu, &v)) in dims.zip(mean.iter().zip(var.iter())) {
                *hi = mu as f32;
                *lo = (mu - *hi as f64) as f32;
                *hiv = (0.5 / v) as f32;
                // A normal 1 / (2 v): a subnormal one has lost its precision.
                ok &= hi.is_finite() && hiv.is_finite() && *hiv >= f32::MIN_POSITIVE;
            }
        }
        let top_hi = top as f32;
        let top_lo = (top - top_hi as f64) as f32;
        ok &= top_hi.is_finite();
        FastScoreF32 { len: if ok { len } else { 0 }, top_hi, top_lo, rows }
    }

    #[inline]
    fn score(&self, x: &[f32; D]) -> Option<[f32; D]> {
        let (_, sum, acc) = self.softmax::<true>(x)?;
        let r = -2.0 / sum;
        let s = acc.map(|v| v * r);
        let finite = s.iter().fold(true, |ok, v| ok & (v.abs() < f32::INFINITY));
        finite.then_some(s)
    }

    #[inline]
    fn log_density(&self, x: &[f32; D]) -> Option<f32> {
        let (m, sum, _) = self.softmax::<false>(x)?;
        // log p = top + m + ln(sum): the small terms first, one rounding of the large one.
        let v = self.top_hi + ((self.top_lo + m) + libm::logf(sum));
        (v.abs() < f32::INFINITY).then_some(v)
    }
}

impl<const D: usize, const K: usize> FastScoreF32<D, K> {
    /// One pass, softmax with a running maximum `m` (the first component's `a` to begin
    /// with): `sum = sum_j e^(a_j - m)` and, if `SCORE`, `acc = sum_j e^(a_j - m) z_j`, both
    /// rescaled when `m` grows; terms below e^-CUTOFF are dropped. `None` when
    /// `m < -MAX_LOG_LIKELIHOOD_DROP` (or the kernel is disabled).
    #[inline(always)]
    fn softmax<const SCORE: bool>(&self, x: &[f32; D]) -> Option<(f32, f32, [f32; D])> {
        let (first, rest) = self.rows.get(..self.len)?.split_first()?;
        let (mut m, mut acc) = first.terms(x);
        let mut sum = 1.0f32;
        for row in rest {
            let (a, z) = row.terms(x);
            if a > m {
                let s = if m - a > -CUTOFF { exp_nonpos_f32(m - a) } else { 0.0 };
                sum = sum * s + 1.0;
                if SCORE {
                    for (ad, &zd) in acc.iter_mut().zip(z.iter()) {
                        *ad = *ad * s + zd;
                    }
                }
                m = a;
            } else if a - m > -CUTOFF {
                let e = exp_nonpos_f32(a - m);
                sum += e;
                if SCORE {
                    for (ad, &zd) in acc.iter_mut().zip(z.iter()) {
                        *ad += e * zd;
                    }
                }
            }
        }
        // False for NaN too, which the callers' finiteness tests then catch.
        if m < -MAX_LOG_LIKELIHOOD_DROP {
            return None;
        }
        Some((m, sum, acc))
    }
}

impl<const D: usize> Row<D> {
    /// `(a_j, z_j)` at `x`.
    #[inline(always)]
    fn terms(&self, x: &[f32; D]) -> (f32, [f32; D]) {
        let mut z = [0.0f32; D];
        // -0.0 + v is v for every v: the compiler drops the first addition.
        let mut q_half = -0.0f32;
        let dims = self.mean_hi.iter().zip(self.mean_lo.iter().zip(self.half_inv_var.iter()));
        for ((&xd, zd), (&hi, (&lo, &hiv))) in x.iter().zip(z.iter_mut()).zip(dims) {
            let d = (xd - hi) - lo;
            *zd = d * hiv;
            q_half += d * *zd;
        }
        (self.log_norm - q_half, z)
    }
}

#[cfg(test)]
mod tests {
    use rand_core::{RngCore, SeedableRng};

    use super::*;
    use crate::mixture::{Component, GaussianMixture};
    use crate::DefaultRng;

    fn uniform(rng: &mut DefaultRng, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (rng.next_u32() as f64 / 4_294_967_296.0)
    }

    fn random_mixture<const D: usize>(rng: &mut DefaultRng) -> GaussianMixture<D, 8> {
        let k = 1 + (rng.next_u32() % 8) as usize;
        let mut comps = [Component { weight: 1.0 / k as f64, mean: [0.0; D], std: [1.0; D] }; 8];
        for c in comps.iter_mut().take(k) {
            for (m, s) in c.mean.iter_mut().zip(c.std.iter_mut()) {
                *m = uniform(rng, -4.0, 4.0);
                *s = uniform(rng, 0.1, 2.0);
            }
        }
        GaussianMixture::new(uniform(rng, 0.2, 1.5), &comps[..k]).unwrap()
    }

    /// Worst `C` of the fast score and log-density, and how many points they answered.
    struct Check {
        total: usize,
        answered: usize,
        c_score: f64,
        c_log_density: f64,
    }

    /// The fast score and log-density against the `f64` evaluation (double-double
    /// log-likelihoods, error about 2^-51 relative), in units of the bounds
    /// `u (1 + max_j |x_d - mu_jd| / v_jd)` and `u (1 + |log p|)`, on points drawn from the
    /// mixture and points up to 8 sd away.
    fn check_against_f64<const D: usize>(seed: u64) -> Check {
        let u = f32::EPSILON as f64 * 0.5;
        let mut rng = DefaultRng::seed_from_u64(seed);
        let mut check = Check { total: 0, answered: 0, c_score: 0.0, c_log_density: 0.0 };
        for _ in 0..200 {
            let gm = random_mixture::<D>(&mut rng);
            let t = uniform(&mut rng, 0.0, 1.0);
            let fast = gm.prepare::<f32>(t).unwrap();
            let exact = gm.prepare::<f64>(t).unwrap();
            for i in 0..50 {
                let (mut x, _) = gm.sample(t, &mut rng).unwrap();
                if i % 5 == 0 {
                    x[0] += uniform(&mut rng, -8.0, 8.0);
                }
                let xf = x.map(|v| v as f32);
                let xd = xf.map(|v| v as f64);
                check.total += 1;
                let r = exact.evaluate(&xd);
                let lp = fast.fast.log_density(&xf);
                if let Some(v) = lp {
                    let c = (v as f64 - r.log_density).abs() / (u * (1.0 + r.log_density.abs()));
                    check.c_log_density = check.c_log_density.max(c);
                }
                let Some(s) = fast.fast.score(&xf) else {
                    assert!(lp.is_none(), "both answer or neither");
                    continue;
                };
                check.answered += 1;
                for (d, (&sd, &rd)) in s.iter().zip(r.score.iter()).enumerate() {
                    // max_j |x_d - mu_jd| / v_jd
                    let scale = gm
                        .components()
                        .iter()
                        .map(|c| (xd[d] - c.mean[d]).abs() / gm.variances(c, t)[d])
                        .fold(0.0, f64::max);
                    check.c_score = check.c_score.max((sd as f64 - rd).abs() / (u * (1.0 + scale)));
                }
            }
        }
        check
    }

    #[test]
    fn meets_the_bound_of_the_general_evaluation_where_it_answers() {
        let (one, two) = (check_against_f64::<1>(1), check_against_f64::<2>(2));
        for (d, c) in [(1, &one), (2, &two)] {
            // The figures of the module documentation: `cargo test -p tinyscore fast_f32 -- --nocapture`.
            std::eprintln!(
                "fast f32, D = {d}: C score {:.2}, C log p {:.2}, answered {} of {}",
                c.c_score,
                c.c_log_density,
                c.answered,
                c.total
            );
            assert!(c.c_score <= 4.0 && c.c_log_density <= 4.0, "D = {d}: C = {}, {}", c.c_score, c.c_log_density);
        }
        // It answers for most points (measured: 93 % for D = 1, 88 % for D = 2).
        for c in [&one, &two] {
            assert!(c.answered * 10 > c.total * 8, "answered {}/{}", c.answered, c.total);
        }
    }

    #[test]
    fn declines_tails_non_finite_input_and_unrepresentable_mixtures() {
        let gm = GaussianMixture::<1, 4>::new(
            1.0,
            &[Component { weight: 0.5, mean: [-1.0], std: [0.5] }, Component { weight: 0.5, mean: [2.0], std: [0.25] }],
        )
        .unwrap();
        let p = gm.prepare::<f32>(0.1).unwrap();
        assert!(p.fast.score(&[0.0]).is_some());
        for x in [50.0, -1e4, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, f32::MAX, f32::MIN] {
            assert!(p.fast.score(&[x]).is_none(), "x = {x}");
            // The general evaluation answers instead: finite, or flagged.
            let (s, status) = p.score(&[x]);
            assert!(s[0].is_finite() || !status.is_ok(), "x = {x}");
        }
        let tiny = GaussianMixture::<1, 4>::new(0.0, &[Component { weight: 1.0, mean: [0.0], std: [1e-30] }]).unwrap();
        assert!(tiny.prepare::<f32>(0.0).unwrap().fast.score(&[0.0]).is_none());
    }
}
