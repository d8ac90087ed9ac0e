//! The score and log-density of many points at one prepared time: the batch API.
//!
//! [`PreparedBatch`] prepares a mixture at one `t` (like
//! [`GaussianMixture::prepare`](crate::mixture::GaussianMixture::prepare)) and evaluates
//! slices of points:
//!
//! * [`PreparedBatch::score_batch`]: `out[i] = s(xs[i], t)`;
//! * [`PreparedBatch::log_density_batch`]: `out[i] = log p(xs[i], t)`;
//! * both at once: [`PreparedBatch::evaluate_batch`].
//!
//! # The `f32` kernel
//! For `f32` the points are processed in blocks of [`LANES`] in structure-of-arrays form, in
//! straight-line loops over the lanes that the compiler turns into SIMD code (SSE2 on any
//! x86-64, wider with `-C target-cpu`). It follows the scalar path of
//! [`PreparedMixture`] operation for operation — each
//! component's log-likelihood `a_j`, `x - mu` and `(x - mu)/v` are formed in `f64` (the
//! `f32` type's wide type, which is what meets the accuracy bounds in the tails), the
//! softmax and the sums in `f32` — except for two functions: `exp` is the polynomial
//! [`exp_f32`] (2 ulp, instead of libm's `expf`, about 1 ulp) and `log` of the sum of
//! exponentials is the polynomial [`ln_f64`] in `f64` (instead of `logf`). Both change the
//! result by a fraction of the unit roundoff `u = 2^-24`; the batch path meets the same
//! bounds as the scalar path (`C <= 4` bulk, `C <= 6` tails), which the tests in
//! `tests/tests/sampling_batch.rs` check against the 192-bit reference.
//!
//! # Other types
//! `f64`, `I16F16` and `I8F24` evaluate point by point with the scalar path (their
//! double-double and Q32.32 arithmetic do not vectorise profitably); the results are
//! identical to [`PreparedMixture::evaluate`](crate::mixture::PreparedMixture::evaluate).
//!
//! Every function evaluates `min(xs.len(), out.len())` points, never panics, and returns
//! [`Status::Saturated`] if any point's result saturated (was clamped to the type's range).
//! For `f32`, a block in which a value left the range is evaluated again point by point
//! with the scalar path, so every result is finite, as there.

use super::{Evaluation, GaussianMixture, MixtureError, MixtureScalar, PreparedMixture, TimeConstants};
use crate::num::{exp_f32, ln_f64};
use crate::Status;

/// Points per block of the `f32` kernel.
pub const LANES: usize = 16;

/// A mixture prepared at one `t` for batch evaluation.
///
/// # Examples
/// ```
/// use tinyscore::mixture::{Component, GaussianMixture, PreparedBatch};
/// let gm = GaussianMixture::<1, 2>::new(1.0, &[Component { weight: 1.0, mean: [0.0], std: [1.0] }])?;
/// let pb = PreparedBatch::<f32, 1, 2>::new(&gm, 0.0)?;
/// let xs = [[-1.0f32], [0.0], [2.0]];
/// let mut score = [[0.0f32]; 3];
/// assert!(pb.score_batch(&xs, &mut score).is_ok());
/// assert_eq!(score, [[1.0], [0.0], [-2.0]]); // -x for a standard normal
/// # Ok::<(), tinyscore::mixture::MixtureError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PreparedBatch<S: MixtureScalar, const D: usize, const K: usize> {
    scalar: PreparedMixture<S, D, K>,
    /// The exact constants at `t` (the `f32` kernel evaluates with them).
    exact: TimeConstants<D, K>,
    /// `1 / v_jd`, from `exact.var`.
    inv_var: [[f64; D]; K],
    /// Saturated if a constant the `f32` kernel uses is not finite.
    status: Status,
}

impl<S: MixtureScalar, const D: usize, const K: usize> PreparedBatch<S, D, K> {
    /// Prepare `gm` at time `t` (finite, `>= 0`).
    ///
    /// # Errors
    /// [`MixtureError::InvalidTime`] if `t` is negative or not finite.
    pub fn new(gm: &GaussianMixture<D, K>, t: f64) -> Result<Self, MixtureError> {
        let exact = gm.time_constants(t)?;
        let scalar = gm.prepare_from::<S>(&exact, t);
        let inv_var = exact.var.map(|row| row.map(|v| 1.0 / v));
        let rows = exact.log_norm.iter().zip(inv_var.iter()).take(exact.len);
        let bad = rows.fold(false, |bad, (ln, iv)| bad | !ln.is_finite() | iv.iter().any(|v| !v.is_finite()));
        Ok(PreparedBatch { scalar, exact, inv_var, status: Status::from_saturated(bad) })
    }

    /// The scalar-path preparation at the same `t`.
    pub fn scalar(&self) -> &PreparedMixture<S, D, K> {
        &self.scalar
    }

    /// `out[i] = s(xs[i], t)`.
    #[inline]
    pub fn score_batch(&self, xs: &[[S; D]], out: &mut [[S; D]]) -> Status {
        let n = xs.len().min(out.len());
        S::batch_kernel::<D, K, true, false>(self, first(xs, n), &mut [], out)
    }

    /// `out[i] = log p(xs[i], t)`.
    #[inline]
    pub fn log_density_batch(&self, xs: &[[S; D]], out: &mut [S]) -> Status {
        let n = xs.len().min(out.len());
        S::batch_kernel::<D, K, false, true>(self, first(xs, n), out, &mut [])
    }

    /// `log_density[i] = log p(xs[i], t)` and `score[i] = s(xs[i], t)`.
    #[inline(always)]
    pub fn evaluate_batch(&self, xs: &[[S; D]], log_density: &mut [S], score: &mut [[S; D]]) -> Status {
        let n = xs.len().min(log_density.len()).min(score.len());
        S::batch_kernel::<D, K, true, true>(self, first(xs, n), log_density, score)
    }
}

/// The first `min(n, xs.len())` points (`split_at` at a point `<= xs.len()` cannot fail).
#[inline(always)]
fn first<T>(xs: &[T], n: usize) -> &[T] {
    xs.split_at(n.min(xs.len())).0
}

/// The point-by-point kernel (scalar path).
pub(super) fn pointwise<S: MixtureScalar, const D: usize, const K: usize, const SCORE: bool, const LOGP: bool>(
    p: &PreparedMixture<S, D, K>,
    xs: &[[S; D]],
    lp: &mut [S],
    sc: &mut [[S; D]],
) -> Status {
    let mut status = Status::Ok;
    for (i, x) in xs.iter().enumerate() {
        let e = match (SCORE, LOGP) {
            (true, true) => p.evaluate(x),
            (true, false) => {
                let (score, status) = p.score(x);
                Evaluation { log_density: S::default(), score, status }
            }
            _ => {
                let (log_density, status) = p.log_density(x);
                Evaluation { log_density, score: [S::default(); D], status }
            }
        };
        if SCORE {
            if let Some(o) = sc.get_mut(i) {
                *o = e.score;
            }
        }
        if LOGP {
            if let Some(o) = lp.get_mut(i) {
                *o = e.log_density;
            }
        }
        status = status.and(e.status);
    }
    status
}

/// One block of up to [`LANES`] points: log-densities, scores, and whether a valid lane
/// produced a non-finite value.
#[inline(always)]
fn block_f32<const D: usize, const K: usize, const SCORE: bool, const LOGP: bool>(
    p: &PreparedBatch<f32, D, K>,
    xb: &[[f32; D]],
) -> ([f32; LANES], [[f32; LANES]; D], bool) {
    // Structure of arrays: x[d][lane].
    let mut x = [[0.0f64; LANES]; D];
    for (l, pt) in xb.iter().enumerate().take(LANES) {
        for (xd, &v) in x.iter_mut().zip(pt.iter()) {
            if let Some(slot) = xd.get_mut(l) {
                *slot = v as f64;
            }
        }
    }
    // Pass 1 (f64): a_j, z_jd = (x_d - mu_jd) / v_jd, and the running maximum of a_j.
    let mut a = [[0.0f64; LANES]; K];
    let mut z = [[[0.0f32; LANES]; D]; K];
    let mut m = [f64::NEG_INFINITY; LANES];
    let c = &p.exact;
    let comps = c.log_norm.iter().zip(c.mean.iter().zip(p.inv_var.iter()));
    for ((&ln, (mean, iv)), (aj, zj)) in comps.zip(a.iter_mut().zip(z.iter_mut())).take(c.len) {
        let mut q = [0.0f64; LANES];
        for (((xd, &mu), &ivd), zjd) in x.iter().zip(mean.iter()).zip(iv.iter()).zip(zj.iter_mut()) {
            for ((qv, zv), &xv) in q.iter_mut().zip(zjd.iter_mut()).zip(xd.iter()) {
                let diff = xv - mu;
                let zz = diff * ivd;
                *qv += diff * zz;
                *zv = zz as f32;
            }
        }
        for ((av, mv), &qv) in aj.iter_mut().zip(m.iter_mut()).zip(q.iter()) {
            *av = ln - qv * 0.5;
            *mv = if *av > *mv { *av } else { *mv };
        }
    }
    // Pass 2 (f32): weights e^(a_j - m), their sum and the weighted sums of z.
    let mut sum = [0.0f32; LANES];
    let mut acc = [[0.0f32; LANES]; D];
    for (aj, zj) in a.iter().zip(z.iter()).take(c.len) {
        let mut e = [0.0f32; LANES];
        for ((ev, &av), &mv) in e.iter_mut().zip(aj.iter()).zip(m.iter()) {
            *ev = exp_f32((av - mv) as f32);
        }
        for (sv, &ev) in sum.iter_mut().zip(e.iter()) {
            *sv += ev;
        }
        if SCORE {
            for (accd, zjd) in acc.iter_mut().zip(zj.iter()) {
                for ((av, &ev), &zv) in accd.iter_mut().zip(e.iter()).zip(zjd.iter()) {
                    *av += ev * zv;
                }
            }
        }
    }
    let mut score = [[0.0f32; LANES]; D];
    let mut lp = [0.0f32; LANES];
    let mut finite = [true; LANES];
    if SCORE {
        for (sd, accd) in score.iter_mut().zip(acc.iter()) {
            for (((sv, &av), &s), f) in sd.iter_mut().zip(accd.iter()).zip(sum.iter()).zip(finite.iter_mut()) {
                *sv = -(av / s);
                *f &= sv.is_finite();
            }
        }
    }
    if LOGP {
        for (((lv, &mv), &s), f) in lp.iter_mut().zip(m.iter()).zip(sum.iter()).zip(finite.iter_mut()) {
            *lv = (mv + ln_f64(s as f64)) as f32;
            *f &= lv.is_finite();
        }
    }
    let bad = finite.iter().take(xb.len()).any(|f| !f);
    (lp, score, bad)
}

/// The `f32` batch kernel (module documentation).
#[inline(always)]
pub(super) fn kernel_f32<const D: usize, const K: usize, const SCORE: bool, const LOGP: bool>(
    p: &PreparedBatch<f32, D, K>,
    xs: &[[f32; D]],
    lp: &mut [f32],
    sc: &mut [[f32; D]],
) -> Status {
    let mut bad = false;
    for (b, xb) in xs.chunks(LANES).enumerate() {
        let (lpb, scb, blk_bad) = block_f32::<D, K, SCORE, LOGP>(p, xb);
        let start = b * LANES;
        let range = start..start + xb.len();
        if SCORE {
            if let Some(out) = sc.get_mut(range.clone()) {
                // Transpose: lane by lane, the next value of each dimension's column.
                let mut cols = scb.map(IntoIterator::into_iter);
                for o in out.iter_mut() {
                    for (od, col) in o.iter_mut().zip(cols.iter_mut()) {
                        if let Some(v) = col.next() {
                            *od = v;
                        }
                    }
                }
            }
        }
        if LOGP {
            if let Some(out) = lp.get_mut(range.clone()) {
                for (o, &v) in out.iter_mut().zip(lpb.iter()) {
                    *o = v;
                }
            }
        }
        if blk_bad || p.status != Status::Ok {
            // A value (or a constant) left the range: the scalar path answers this block,
            // clamped and flagged only where a true value is out of range (rare: the
            // ordinary blocks never come here).
            let lpo: &mut [f32] = match lp.get_mut(range.clone()) {
                Some(o) if LOGP => o,
                _ => &mut [],
            };
            let sco: &mut [[f32; D]] = match sc.get_mut(range) {
                Some(o) if SCORE => o,
                _ => &mut [],
            };
            bad |= !pointwise::<f32, D, K, SCORE, LOGP>(p.scalar(), xb, lpo, sco).is_ok();
        }
    }
    Status::from_saturated(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixture::Component;

    #[test]
    fn f32_batch_matches_the_scalar_path() {
        let gm = GaussianMixture::<2, 4>::new(
            1.0,
            &[
                Component { weight: 0.3, mean: [-2.0, 1.0], std: [0.5, 0.7] },
                Component { weight: 0.5, mean: [0.5, -1.0], std: [0.3, 1.0] },
                Component { weight: 0.2, mean: [3.0, 0.0], std: [1.0, 0.2] },
            ],
        )
        .unwrap();
        let pb = PreparedBatch::<f32, 2, 4>::new(&gm, 0.3).unwrap();
        // 101 points (not a multiple of LANES), across and far beyond the mixture.
        let xs: [[f32; 2]; 101] = core::array::from_fn(|i| [-60.0 + 1.2 * i as f32, 30.0 - 0.7 * i as f32]);
        let mut lp = [0.0f32; 101];
        let mut sc = [[0.0f32; 2]; 101];
        assert!(pb.evaluate_batch(&xs, &mut lp, &mut sc).is_ok());
        let mut sc2 = [[0.0f32; 2]; 101];
        assert!(pb.score_batch(&xs, &mut sc2).is_ok());
        let mut lp2 = [0.0f32; 101];
        assert!(pb.log_density_batch(&xs, &mut lp2).is_ok());
        assert_eq!(sc, sc2);
        assert_eq!(lp, lp2);
        for ((x, l), s) in xs.iter().zip(lp.iter()).zip(sc.iter()) {
            let e = pb.scalar().evaluate(x);
            // Both paths round differently in exp/log only: a few ulp apart.
            let tol = |v: f32| 8.0 * f32::EPSILON * (1.0 + v.abs());
            assert!((l - e.log_density).abs() <= tol(e.log_density), "{x:?}: {l} {}", e.log_density);
            for (a, b) in s.iter().zip(e.score.iter()) {
                assert!((a - b).abs() <= tol(*b), "{x:?}: {a} {b}");
            }
        }
    }

    #[test]
    fn non_finite_inputs_are_flagged_and_short_outputs_are_safe() {
        let gm = GaussianMixture::<1, 2>::new(1.0, &[Component { weight: 1.0, mean: [0.0], std: [1.0] }]).unwrap();
        let pb = PreparedBatch::<f32, 1, 2>::new(&gm, 0.0).unwrap();
        let xs = [[0.0f32], [f32::NAN], [1.0]];
        let mut out = [[0.0f32]; 3];
        assert_eq!(pb.score_batch(&xs, &mut out), Status::Saturated);
        assert_eq!(out[0], [0.0]);
        assert_eq!(out[2], [-1.0]);
        let mut short = [[9.0f32]; 1];
        assert!(pb.score_batch(&xs, &mut short).is_ok());
        assert_eq!(short[0], [0.0]);
    }
}
