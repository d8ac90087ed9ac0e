//! The few-step samplers in the noise level `S(t) = sigma sqrt(t)` (MATH.md section 6).
//!
//! With the denoiser (Tweedie) `D(x, S) = x + S^2 s(x, t)` the probability-flow ODE is
//! `dx/dS = (x - D) / S = -S s(x, t)`. Both methods below are written with the score
//! directly (no division by `S` in the working type), which is algebraically the
//! published update:
//!
//! * EDM Heun (Karras et al. 2022, Algorithm 2; k-diffusion `sample_heun`), from `S_0` to
//!   `S_1`: optional churn `S^ = S_0 (1 + gamma)`, `x <- x + s_noise sqrt(S^^2 - S_0^2) z`;
//!   then `x' = x + (S^ - S_1) S^ s(x, t^)` and
//!   `x <- x + (S^ - S_1)/2 (S^ s(x, t^) + S_1 s(x', t_1))`. Second order (deterministic,
//!   `gamma = 0`), two score evaluations per step.
//! * DPM-Solver++(2M) (Lu et al. 2022, `alpha = 1`; k-diffusion `sample_dpmpp_2m`), with
//!   `q = S_1 / S_0`, `h = ln(S_0 / S_1)`, `D_0 = x + S_0^2 s(x, t_0)`: the first step
//!   `x <- q x + (1 - q) D_0 = x + (S_0 - S_1) S_0 s`; later steps with
//!   `r = h_prev / h`, `D' = D_0 + (D_0 - D_prev) / (2 r)`:
//!   `x <- q x + (1 - q) D' = x + (S_0 - S_1) S_0 s + (1 - q) (D_0 - D_prev) / (2 r)`.
//!   Second order, one score evaluation per step (it remembers the previous denoised value
//!   `D_prev` of every sample, in the caller's scratch).
//! * DPM-Solver++(2M) SDE (k-diffusion `sample_dpmpp_2m_sde`, `eta = 1`, midpoint): the
//!   same multistep with the stochastic exponential integrator,
//!   `x <- q^2 x + (1 - q^2) D' + S_1 sqrt(1 - q^2) z`. It injects fresh noise every step
//!   like Euler-Maruyama, which corrects the errors of an imperfect (learned) score instead
//!   of carrying them along as the deterministic flow does. One evaluation per step. Use it
//!   on the Karras grid: where the log-noise steps `h` change fast from step to step (the
//!   geometric grid with an offset), its midpoint correction biases the variance (a
//!   Gaussian's variance 0.25 came out 0.28 at 200 steps, 0.249 on the Karras grid).

use rand_core::RngCore;

use super::{axpy, limit_status, score_w, W};
use crate::noise::normal;
use crate::score_source::ScoreSource;
use crate::time_grid::TimeGrid;
use crate::{Real, Scalar, Status};

/// The churn of [`Method::EdmHeun`](super::Method::EdmHeun) (Karras et al. 2022,
/// Algorithm 2): at every grid step whose noise level `S = sigma sqrt(t)` is within
/// `[s_tmin, s_tmax]`, the state is first pushed to the higher level
/// `S (1 + gamma)`, `gamma = min(s_churn / (N + 1), sqrt(2) - 1)` (`N` grid steps), by fresh
/// noise of scale `s_noise`. Noise levels in the data's units. [`Churn::NONE`] (the
/// default) is the deterministic sampler; with churn the sampler draws noise and is only
/// first-order accurate in the strong sense.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Churn {
    /// Total churn, finite and `>= 0` (0: deterministic).
    pub s_churn: f64,
    /// Smallest noise level that gets churn, finite and `>= 0`.
    pub s_tmin: f64,
    /// Largest noise level that gets churn, `>= 0` (may be infinite).
    pub s_tmax: f64,
    /// Scale of the fresh noise, finite and `> 0` (1 in EDM; slightly above 1 compensates
    /// a score that is too small).
    pub s_noise: f64,
}

impl Churn {
    /// No churn: the deterministic second-order sampler.
    pub const NONE: Churn = Churn { s_churn: 0.0, s_tmin: 0.0, s_tmax: f64::INFINITY, s_noise: 1.0 };

    /// `true` if every parameter is in its range.
    pub fn is_valid(&self) -> bool {
        let fin_nonneg = |v: f64| v.is_finite() && v >= 0.0;
        fin_nonneg(self.s_churn)
            && fin_nonneg(self.s_tmin)
            && !self.s_tmax.is_nan()
            && self.s_tmax >= 0.0
            && self.s_noise.is_finite()
            && self.s_noise > 0.0
    }

    /// `gamma` for a grid step at noise level `s` of a grid of `steps` steps.
    pub fn gamma(&self, s: f64, steps: u32) -> f64 {
        if self.s_churn > 0.0 && s >= self.s_tmin && s <= self.s_tmax {
            let g = self.s_churn / (f64::from(steps) + 1.0);
            let cap = core::f64::consts::SQRT_2 - 1.0;
            if g < cap {
                g
            } else {
                cap
            }
        } else {
            0.0
        }
    }
}

impl Default for Churn {
    fn default() -> Self {
        Churn::NONE
    }
}

/// Noise level `sigma sqrt(t)`.
#[inline]
fn level(sigma: f64, t: f64) -> f64 {
    sigma * libm::sqrt(t)
}

/// Round a coefficient to the working type, recording saturation.
#[inline]
fn coef<R: Real>(v: f64, status: &mut Status) -> R {
    let (c, sat) = R::from_f64_saturating(v);
    *status = status.and(Status::from_saturated(sat));
    c
}

/// One EDM Heun step (with churn `gamma`) from grid time `t0` to `t1` on every state, in
/// blocks of the scratch's length (one sample at a time if it is empty).
#[allow(clippy::too_many_arguments)]
pub(super) fn edm_heun_pass<S, Src, G, const D: usize>(
    source: &mut Src,
    rng: &mut G,
    state: &mut [[W<S>; D]],
    scratch: &mut [[W<S>; D]],
    sigma: f64,
    t0: f64,
    t1: f64,
    churn: &Churn,
    steps: u32,
) -> Status
where
    S: Scalar,
    Src: ScoreSource<S, D> + ?Sized,
    G: RngCore + ?Sized,
{
    let s0 = level(sigma, t0);
    let s1 = level(sigma, t1);
    let gamma = churn.gamma(s0, steps);
    let s_hat = s0 * (1.0 + gamma);
    let t_hat = t0 * (1.0 + gamma) * (1.0 + gamma);
    let mut status = Status::Ok;
    let c_noise: W<S> = coef(churn.s_noise * libm::sqrt(s_hat * s_hat - s0 * s0), &mut status);
    let c_pred: W<S> = coef((s_hat - s1) * s_hat, &mut status);
    let c_a: W<S> = coef(0.5 * (s_hat - s1) * s_hat, &mut status);
    let c_b: W<S> = coef(0.5 * (s_hat - s1) * s1, &mut status);
    let mut one = [[W::<S>::ZERO; D]; 1];
    let buf: &mut [[W<S>; D]] = if scratch.is_empty() { &mut one } else { scratch };
    let block = buf.len().max(1);
    for xs in state.chunks_mut(block) {
        for (x, sa) in xs.iter_mut().zip(buf.iter_mut()) {
            if gamma > 0.0 {
                for xd in x.iter_mut() {
                    *xd = *xd + c_noise * normal::<W<S>, G>(rng);
                }
            }
            let (s, st) = score_w::<S, _, D>(source, t_hat, x);
            *sa = s;
            status = status.and(st);
        }
        for (x, sa) in xs.iter_mut().zip(buf.iter()) {
            let mut xp = *x;
            axpy(&mut xp, c_pred, sa);
            let (sb, st) = score_w::<S, _, D>(source, t1, &xp);
            axpy(x, c_a, sa);
            axpy(x, c_b, &sb);
            status = status.and(st).and(limit_status(x));
        }
    }
    status
}

/// Every DPM-Solver++(2M) step of the grid on every state, in blocks of the scratch's
/// length (which holds each sample's previous denoised value; one sample at a time if it
/// is empty). Without `sde` the method draws no noise, so the blocking does not change the
/// result; with `sde` it is the SDE variant (k-diffusion `sample_dpmpp_2m_sde`, `eta = 1`,
/// midpoint): `x <- x + (S_0^2 - S_1^2) s + (1 - q^2) (D_0 - D_prev) / (2 r)
/// + S_1 sqrt(1 - q^2) z`, whose noise is drawn per step for the block.
pub(super) fn dpm_solver_2m<S, Src, G, const D: usize>(
    source: &mut Src,
    rng: &mut G,
    state: &mut [[W<S>; D]],
    scratch: &mut [[W<S>; D]],
    sigma: f64,
    grid: &TimeGrid,
    sde: bool,
) -> Status
where
    S: Scalar,
    Src: ScoreSource<S, D> + ?Sized,
    G: RngCore + ?Sized,
{
    let mut status = Status::Ok;
    let mut one = [[W::<S>::ZERO; D]; 1];
    let buf: &mut [[W<S>; D]] = if scratch.is_empty() { &mut one } else { scratch };
    let block = buf.len().max(1);
    for xs in state.chunks_mut(block) {
        let mut h_prev = 0.0;
        // Each grid time and noise level is computed once (the next step starts from t1).
        let mut t0 = grid.time(0);
        let mut s0 = level(sigma, t0);
        for k in 0..grid.steps() {
            let t1 = grid.time(k + 1);
            let s1 = level(sigma, t1);
            let h = libm::log(s0 / s1);
            let q = s1 / s0;
            // ODE: 1 - q and (S_0 - S_1) S_0; SDE: 1 - q^2 and S_0^2 - S_1^2.
            let (one_minus, drift) = if sde { (1.0 - q * q, (s0 - s1) * (s0 + s1)) } else { (1.0 - q, (s0 - s1) * s0) };
            let c_s: W<S> = coef(drift, &mut status);
            let c_d2: W<S> = coef(s0 * s0, &mut status);
            let c_z: W<S> = coef(if sde { s1 * libm::sqrt(1.0 - q * q) } else { 0.0 }, &mut status);
            // (1 - q) / (2 r) with r = h_prev / h; 0 on the first step.
            let c_m: W<S> = if k == 0 { W::<S>::ZERO } else { coef(one_minus * h / (2.0 * h_prev), &mut status) };
            for (x, dp) in xs.iter_mut().zip(buf.iter_mut()) {
                let (s, st) = score_w::<S, _, D>(source, t0, x);
                // D_0 = x + S_0^2 s.
                let mut d0 = *x;
                axpy(&mut d0, c_d2, &s);
                axpy(x, c_s, &s);
                if k > 0 {
                    let mut diff = d0;
                    for (a, &b) in diff.iter_mut().zip(dp.iter()) {
                        *a = *a - b;
                    }
                    axpy(x, c_m, &diff);
                }
                if sde {
                    for xd in x.iter_mut() {
                        *xd = *xd + c_z * normal::<W<S>, G>(rng);
                    }
                }
                *dp = d0;
                status = status.and(st).and(limit_status(x));
            }
            h_prev = h;
            (t0, s0) = (t1, s1);
        }
    }
    status
}
