//! A diagonal Gaussian mixture diffused by Brownian motion, its log-density and its score.
//!
//! Component `j` has weight `w_j`, mean `mu_j` and per-dimension standard deviation
//! `std_j`; at time `t >= 0` its variance in dimension `d` is
//! `v_jd(t) = std_jd^2 + sigma^2 t` (MATH.md section 1). The log-density and the score are
//! evaluated in the stable form of MATH.md section 2 (log-sum-exp over the component
//! log-likelihoods `a_j`, softmax responsibilities, every `exp` argument `<= 0`), so they
//! stay finite and accurate in the far tails where the literal Eq. 57 gives 0/0.
//!
//! The mixture's parameters are `f64`: they define the mixture. [`GaussianMixture::prepare`]
//! derives, once per `t`, everything that depends on `t` only, rounded to the working type
//! of the chosen [`Scalar`]; [`PreparedMixture::evaluate`] then costs, per component,
//! `D` subtractions, `2D` multiplications, one `exp` and `D` multiply-adds.
//!
//! # Accuracy
//! With `u` the unit roundoff of the scalar type ([`Scalar::UNIT_ROUNDOFF`]) and inputs
//! representable in the type, the score error is at most `C u (1 + max_j |x_d - mu_jd| / v_jd)`
//! and the log-density error at most `C u (1 + |log p|)`, with `C` as measured by
//! `tinyscore report` (README): `C <= 4` for `f32`/`f64` on points drawn from `p(., t)` and
//! `C <= 6` in the tails out to 40 standard deviations and beyond.
//!
//! # Fixed-point domain
//! `I16F16` and `I8F24` work in Q32.32 and round once at the end. They meet `C = 16` wherever
//! the results are representable, which contains (and is documented in the README as)
//! * `I16F16`: `|x_d|, |mu_jd| <= 1024`, `1/16 <= std_jd <= 64`, `sigma^2 t <= 4096`;
//! * `I8F24`:  `|x_d|, |mu_jd| <= 64`, `1/4 <= std_jd <= 8`, `sigma^2 t <= 64`;
//!
//! where additionally `|log p|` and `|s_d|` stay below the type's range (32768 and 128).
//! Outside, results saturate and [`Evaluation::status`] is [`Status::Saturated`].
//!
//! # Fast score kernels
//! [`PreparedMixture::score`] first tries a kernel in the type's own width ([`fast`]), which
//! answers near the mixture, where that width is accurate enough, and the wide evaluation
//! answers everywhere else:
//! * `f32` ([`fast_f32`]): all in `f32`, one pass, a table `exp`; it answers when the largest
//!   log-likelihood is at most 4 below the largest normaliser (about 90 % of the points drawn
//!   from the mixture), with `C <= 3` measured; about 45 instructions per component on a
//!   Cortex-M4F. It also gives [`PreparedMixture::log_density`] (`C <= 2.2` measured).
//! * `I16F16` ([`fast_q16`]): 32-bit integers and 32x32->64 products; it answers within 8
//!   scaled standard deviations, with `C <= 1` measured; about 50 instructions per component
//!   and 80 per call on a Cortex-M3. It also gives [`PreparedMixture::log_density`] at the
//!   same points (`C <= 0.5` measured, a table logarithm of the weight sum in Q.32; about
//!   290 instructions per call for `K = 4`, `D = 1` on a Cortex-M3, 6368 without it).
//!
//! Both are deterministic, so `score` and `log_density` give the same bits on every target;
//! they may differ from those of [`PreparedMixture::evaluate`] in the last bits, within the
//! same bound.

pub mod batch;
mod constants;
pub mod fast;
pub mod fast_f32;
pub mod fast_q16;
mod mixture_scalar;
pub mod scaled;

use core::fmt;

pub use self::batch::PreparedBatch;
pub use self::constants::TimeConstants;
pub use self::mixture_scalar::MixtureScalar;

use self::fast::FastScore;
use self::scaled::Fallback;
use crate::num::WideReal;
use crate::{Real, Scalar, Status};

/// One component of the mixture at `t = 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Component<const D: usize> {
    /// Mixture weight, `> 0`; the weights sum to 1.
    pub weight: f64,
    /// Mean, per dimension.
    pub mean: [f64; D],
    /// Standard deviation at `t = 0`, per dimension, `> 0`.
    pub std: [f64; D],
}

/// Which number of a component is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Field {
    /// `weight`
    Weight,
    /// `mean`
    Mean,
    /// `std`
    Std,
}

impl Field {
    /// The field's name in the mixture file.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Weight => "weight",
            Field::Mean => "mean",
            Field::Std => "std",
        }
    }
}

/// Why a mixture or a time was rejected. Component and dimension indices count from 0.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum MixtureError {
    /// The mixture has no component.
    NoComponents,
    /// More components than the capacity `K`.
    TooManyComponents {
        /// components given
        count: usize,
        /// the capacity `K`
        capacity: usize,
    },
    /// A parameter is NaN or infinite (`dim` is 0 for the weight).
    NotFinite {
        /// component index
        component: usize,
        /// which parameter
        field: Field,
        /// dimension index
        dim: usize,
    },
    /// A weight is zero or negative.
    WeightNotPositive {
        /// component index
        component: usize,
    },
    /// The weights do not sum to 1 within 1e-6.
    WeightsDoNotSumToOne {
        /// their sum
        sum: f64,
    },
    /// A standard deviation is zero or negative.
    StdNotPositive {
        /// component index
        component: usize,
        /// dimension index
        dim: usize,
    },
    /// `sigma` is negative or not finite.
    InvalidSigma {
        /// the value given
        sigma: f64,
    },
    /// A time `t` is negative or not finite.
    InvalidTime {
        /// the value given
        t: f64,
    },
}

impl fmt::Display for MixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MixtureError::NoComponents => write!(f, "the mixture has no components"),
            MixtureError::TooManyComponents { count, capacity } => {
                write!(f, "{count} components, more than the capacity of {capacity}")
            }
            MixtureError::NotFinite { component, field, dim } => match field {
                Field::Weight => write!(f, "components[{component}].weight is not a finite number"),
                _ => write!(f, "components[{component}].{}[{dim}] is not a finite number", field.name()),
            },
            MixtureError::WeightNotPositive { component } => {
                write!(f, "components[{component}].weight must be > 0")
            }
            MixtureError::WeightsDoNotSumToOne { sum } => {
                write!(f, "the weights sum to {sum}, not 1 (tolerance 1e-6)")
            }
            MixtureError::StdNotPositive { component, dim } => {
                write!(f, "components[{component}].std[{dim}] must be > 0")
            }
            MixtureError::InvalidSigma { sigma } => {
                write!(f, "sigma = {sigma}: it must be a finite number >= 0")
            }
            MixtureError::InvalidTime { t } => {
                write!(f, "t = {t}: it must be a finite number >= 0")
            }
        }
    }
}

impl core::error::Error for MixtureError {}

/// A validated Gaussian mixture in `D` dimensions with at most `K` components, diffused by
/// Brownian motion of scale `sigma`.
///
/// # Examples
/// A mixture checked at compile time, for a `const` or a `static` on a device (an invalid
/// one is a build error):
/// ```
/// use tinyscore::mixture::{Component, GaussianMixture};
/// const GM: GaussianMixture<1, 2> = match GaussianMixture::new(
///     1.0,
///     &[
///         Component { weight: 0.25, mean: [-2.0], std: [0.5] },
///         Component { weight: 0.75, mean: [1.0], std: [0.3] },
///     ],
/// ) {
///     Ok(m) => m,
///     Err(_) => panic!("invalid mixture"),
/// };
/// assert_eq!(GM.components().len(), 2);
/// let e = GM.prepare::<f32>(0.5).unwrap().evaluate(&[0.0]);
/// assert!(e.status.is_ok() && e.score[0] > 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct GaussianMixture<const D: usize, const K: usize> {
    sigma: f64,
    /// `components[..len]` are the mixture's; the rest are zero.
    components: [Component<D>; K],
    /// `1 <= len <= K`.
    len: usize,
}

/// Tolerance on the sum of the weights.
pub const WEIGHT_SUM_TOLERANCE: f64 = 1e-6;

impl<const D: usize, const K: usize> GaussianMixture<D, K> {
    /// Check and build a mixture: at least one and at most `K` components, every number
    /// finite, weights `> 0` summing to 1 within 1e-6, standard deviations `> 0`,
    /// `sigma >= 0`. A `const fn`: a mixture can be a `const` checked when the program is
    /// built (see the example of [`GaussianMixture`]).
    ///
    /// # Errors
    /// The first problem found, checking `sigma`, then each component in order (weight,
    /// then mean and standard deviation dimension by dimension), then the weights' sum:
    /// [`MixtureError::InvalidSigma`], [`MixtureError::NoComponents`],
    /// [`MixtureError::NotFinite`], [`MixtureError::WeightNotPositive`],
    /// [`MixtureError::StdNotPositive`], [`MixtureError::TooManyComponents`] (reported at
    /// the first component beyond `K`, once it is checked), [`MixtureError::WeightsDoNotSumToOne`].
    ///
    /// ```
    /// use tinyscore::mixture::{Component, GaussianMixture, MixtureError};
    /// let c = Component { weight: 0.5, mean: [0.0], std: [1.0] };
    /// let r = GaussianMixture::<1, 4>::new(1.0, &[c]);
    /// assert_eq!(r.unwrap_err(), MixtureError::WeightsDoNotSumToOne { sum: 0.5 });
    /// ```
    pub const fn new(sigma: f64, components: &[Component<D>]) -> Result<Self, MixtureError> {
        if !sigma.is_finite() || sigma < 0.0 {
            return Err(MixtureError::InvalidSigma { sigma });
        }
        if components.is_empty() {
            return Err(MixtureError::NoComponents);
        }
        let mut stored = [Component { weight: 0.0, mean: [0.0; D], std: [0.0; D] }; K];
        let mut len = 0;
        let mut sum = 0.0;
        // Cursors over the input and the free slots (`while let` on slices: a `const fn`
        // has no iterators).
        let mut rest = components;
        let mut slots = stored.as_mut_slice();
        while let [c, tail @ ..] = rest {
            rest = tail;
            let j = len;
            if !c.weight.is_finite() {
                return Err(MixtureError::NotFinite { component: j, field: Field::Weight, dim: 0 });
            }
            if c.weight <= 0.0 {
                return Err(MixtureError::WeightNotPositive { component: j });
            }
            let mut d = 0;
            let (mut means, mut stds) = (c.mean.as_slice(), c.std.as_slice());
            while let ([m, m_tail @ ..], [s, s_tail @ ..]) = (means, stds) {
                (means, stds) = (m_tail, s_tail);
                if !m.is_finite() {
                    return Err(MixtureError::NotFinite { component: j, field: Field::Mean, dim: d });
                }
                if !s.is_finite() {
                    return Err(MixtureError::NotFinite { component: j, field: Field::Std, dim: d });
                }
                if *s <= 0.0 {
                    return Err(MixtureError::StdNotPositive { component: j, dim: d });
                }
                d += 1;
            }
            sum += c.weight;
            match slots.split_first_mut() {
                Some((slot, free)) => {
                    *slot = *c;
                    slots = free;
                }
                None => return Err(MixtureError::TooManyComponents { count: components.len(), capacity: K }),
            }
            len += 1;
        }
        if (sum - 1.0).abs() > WEIGHT_SUM_TOLERANCE {
            return Err(MixtureError::WeightsDoNotSumToOne { sum });
        }
        Ok(GaussianMixture { sigma, components: stored, len })
    }

    /// The diffusion scale `sigma`.
    pub const fn sigma(&self) -> f64 {
        self.sigma
    }

    /// The components at `t = 0` (at least one, at most `K`).
    pub fn components(&self) -> &[Component<D>] {
        match self.components.split_at_checked(self.len) {
            Some((used, _)) => used,
            // Unreachable: `new`, the only constructor, keeps `len <= K`.
            None => &self.components,
        }
    }

    /// Check a time: finite and `>= 0`.
    ///
    /// # Errors
    /// [`MixtureError::InvalidTime`] otherwise.
    pub fn check_time(t: f64) -> Result<(), MixtureError> {
        if t.is_finite() && t >= 0.0 {
            Ok(())
        } else {
            Err(MixtureError::InvalidTime { t })
        }
    }

    /// The variances of component `c` at time `t`, per dimension: `v_d = std_d^2 + sigma^2 t`
    /// (in `f64`: `inf` or 0 where it overflows or underflows; `std_d^2` at `t = 0`).
    pub fn variances(&self, c: &Component<D>, t: f64) -> [f64; D] {
        if t == 0.0 {
            return c.std.map(|s| s * s);
        }
        c.std.map(|s| s * s + self.sigma * self.sigma * t)
    }

    /// The mean of `p(., t)` (independent of `t`).
    pub fn mean(&self) -> [f64; D] {
        let mut m = [0.0; D];
        for c in self.components() {
            for (md, mu) in m.iter_mut().zip(c.mean.iter()) {
                *md += c.weight * mu;
            }
        }
        m
    }

    /// The per-dimension variance of `p(., t)` (the diagonal of its covariance).
    pub fn marginal_variance(&self, t: f64) -> [f64; D] {
        let mean = self.mean();
        let mut v = [0.0; D];
        for c in self.components() {
            let var = self.variances(c, t);
            for (vd, (mu, (md, cv))) in v.iter_mut().zip(c.mean.iter().zip(mean.iter().zip(var.iter()))) {
                let dm = mu - md;
                *vd += c.weight * (cv + dm * dm);
            }
        }
        v
    }

    /// Derive everything that depends on `t` only, in the working type of `S`.
    ///
    /// If a derived constant does not fit the working type, every evaluation of the result
    /// reports [`Status::Saturated`].
    ///
    /// # Errors
    /// [`MixtureError::InvalidTime`] if `t` is negative or not finite (the only failure).
    ///
    /// # Examples
    /// ```
    /// use fixed::types::I16F16;
    /// use tinyscore::mixture::{Component, GaussianMixture};
    /// let gm = GaussianMixture::<1, 2>::new(1.0, &[Component { weight: 1.0, mean: [0.0], std: [1.0] }])?;
    /// let p = gm.prepare::<I16F16>(1.0)?; // variance 2
    /// let (s, status) = p.score(&[I16F16::from_num(1)]);
    /// assert!(status.is_ok());
    /// assert!((s[0].to_num::<f64>() + 0.5).abs() <= 1.0 / 65536.0);
    /// assert!(gm.prepare::<f32>(-1.0).is_err());
    /// # Ok::<(), tinyscore::mixture::MixtureError>(())
    /// ```
    pub fn prepare<S: MixtureScalar>(&self, t: f64) -> Result<PreparedMixture<S, D, K>, MixtureError> {
        let exact = self.time_constants(t)?;
        Ok(self.prepare_from(&exact, t))
    }

    /// [`GaussianMixture::prepare`] from the exact constants at `t` (of this mixture).
    pub(crate) fn prepare_from<S: MixtureScalar>(
        &self,
        exact: &TimeConstants<D, K>,
        t: f64,
    ) -> PreparedMixture<S, D, K> {
        let mut len = 0;
        let mut log_norm = [Wide::<S>::WIDE_ZERO; K];
        let mut mean = [[Wide::<S>::WIDE_ZERO; D]; K];
        let mut inv_var = [[Wide::<S>::WIDE_ZERO; D]; K];
        let mut saturated = false;
        let extreme = exact.extreme;
        let rows = log_norm.iter_mut().zip(mean.iter_mut().zip(inv_var.iter_mut()));
        let exact_rows = exact.log_norm.iter().zip(exact.mean.iter().zip(exact.var.iter()));
        for ((c, (&ln, (mean_exact, var_exact))), (log_norm, (mean, inv_var))) in
            self.components().iter().zip(exact_rows).zip(rows)
        {
            // The wide reciprocal of the variance (the double-double one recomputes it from
            // std, sigma and t, keeping the bits that `1 / v` in f64 rounds away).
            let exact_dims = mean_exact.iter().zip(var_exact.iter()).zip(c.std.iter());
            for (((&mu, &var), &std), (m, iv)) in exact_dims.zip(mean.iter_mut().zip(inv_var.iter_mut())) {
                let (mw, s1) = Wide::<S>::wide_from_f64(mu);
                let (ivw, s2) = Wide::<S>::inv_variance(var, std, self.sigma, t);
                *m = mw;
                *iv = ivw;
                saturated |= s1 | s2;
            }
            let (lw, s3) = Wide::<S>::wide_from_f64(ln);
            *log_norm = lw;
            saturated |= s3;
            len += 1;
        }
        // Extreme parameters (floats): every point goes to the scaled evaluation.
        let extreme = S::Fallback::<D, K>::AVAILABLE && (extreme || saturated);
        // A mixture whose constants saturate goes to the general evaluation, which flags it.
        let disabled;
        let kernel_constants = if saturated || extreme {
            disabled = TimeConstants { len: 0, ..*exact };
            &disabled
        } else {
            exact
        };
        let fast = S::FastScore::<D, K>::build(kernel_constants);
        let fallback = S::Fallback::<D, K>::build(self, exact, t);
        PreparedMixture {
            len,
            log_norm,
            mean,
            inv_var,
            status: Status::from_saturated(saturated),
            fast,
            extreme,
            fallback,
        }
    }
}

/// The wide type of a scalar's working type.
type Wide<S> = <<S as Scalar>::Work as Real>::Wide;

/// A mixture at one time `t`, ready to evaluate many points (see [`GaussianMixture::prepare`]).
///
/// # Examples
/// ```
/// use tinyscore::mixture::{Component, GaussianMixture};
/// let gm = GaussianMixture::<1, 2>::new(
///     1.0,
///     &[Component { weight: 0.5, mean: [-1.0], std: [0.5] }, Component { weight: 0.5, mean: [1.0], std: [0.5] }],
/// )?;
/// let p = gm.prepare::<f64>(0.0)?;
/// // Symmetric mixture: the score vanishes at 0, where log p = ln(N(1; 0, 1/4)).
/// let e = p.evaluate(&[0.0]);
/// assert!(e.status.is_ok() && e.score[0].abs() < 1e-15);
/// let want = -0.5 * (2.0 * core::f64::consts::PI * 0.25f64).ln() - 2.0;
/// assert!((e.log_density - want).abs() < 1e-15);
/// // score() and log_density() alone agree with evaluate() within the same bound.
/// assert!((p.score(&[0.5]).0[0] - p.evaluate(&[0.5]).score[0]).abs() < 1e-14);
/// assert!((p.log_density(&[0.5]).0 - p.evaluate(&[0.5]).log_density).abs() < 1e-14);
/// # Ok::<(), tinyscore::mixture::MixtureError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PreparedMixture<S: MixtureScalar, const D: usize, const K: usize> {
    len: usize,
    /// `log w_j - 1/2 sum_d log(2 pi v_jd)`
    log_norm: [Wide<S>; K],
    mean: [[Wide<S>; D]; K],
    /// `1 / v_jd`
    inv_var: [[Wide<S>; D]; K],
    status: Status,
    /// The type's fast score kernel, tried first by [`PreparedMixture::score`].
    fast: S::FastScore<D, K>,
    /// The parameters are extreme: the scaled evaluation answers every point.
    extreme: bool,
    /// The scaled evaluation ([`scaled`]), for extreme parameters and points.
    fallback: S::Fallback<D, K>,
}

/// The log-density and the score at one point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation<S, const D: usize> {
    /// `log p(x, t)`
    pub log_density: S,
    /// `grad_x log p(x, t)`
    pub score: [S; D],
    /// [`Status::Saturated`] if any value (or an intermediate that mattered) left the range.
    pub status: Status,
}

impl<S: MixtureScalar, const D: usize, const K: usize> PreparedMixture<S, D, K> {
    /// Number of components.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: a mixture has at least one component.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Log-density and score at `x`.
    pub fn evaluate(&self, x: &[S; D]) -> Evaluation<S, D> {
        self.run::<true, true>(x)
    }

    /// The score at `x` only (skips the logarithm).
    ///
    /// Near the mixture a kernel in the type's own width answers ([`fast`]); it meets the
    /// same error bound as [`PreparedMixture::evaluate`], whose score it may differ from in
    /// the last bits.
    pub fn score(&self, x: &[S; D]) -> ([S; D], Status) {
        if let Some(s) = self.fast.score(x) {
            return (s, Status::Ok);
        }
        let e = self.run::<true, false>(x);
        (e.score, e.status)
    }

    /// The log-density at `x` only (skips the score sums).
    ///
    /// Near the mixture the `f32` and `I16F16` kernels answer ([`fast`]), within the same
    /// error bound as [`PreparedMixture::evaluate`].
    pub fn log_density(&self, x: &[S; D]) -> (S, Status) {
        if let Some(v) = self.fast.log_density(x) {
            return (v, Status::Ok);
        }
        let e = self.run::<false, true>(x);
        (e.log_density, e.status)
    }

    #[inline]
    fn run<const SCORE: bool, const LOGP: bool>(&self, x: &[S; D]) -> Evaluation<S, D> {
        if self.extreme {
            if let Some(e) = self.fallback.evaluate::<SCORE, LOGP>(x) {
                return e;
            }
        }
        let xw = x.map(|v| Wide::<S>::widen(v.to_work()));
        let mut a = [Wide::<S>::WIDE_ZERO; K];
        let mut z = [[S::Work::ZERO; D]; K];
        let mut limited = [false; K];
        let mut m: Option<Wide<S>> = None;
        let comps = self.log_norm.iter().zip(self.mean.iter().zip(self.inv_var.iter()));
        let outs = a.iter_mut().zip(z.iter_mut().zip(limited.iter_mut()));
        for ((&ln, (mean, inv_var)), (aj, (zj, lim))) in comps.zip(outs).take(self.len) {
            let mut q = Wide::<S>::WIDE_ZERO;
            let mut hit = false;
            for (((&xd, &mu), &iv), zd) in xw.iter().zip(mean.iter()).zip(inv_var.iter()).zip(zj.iter_mut()) {
                let diff = xd.wide_sub(mu);
                let zz = diff.wide_mul(iv);
                q = q.wide_add(diff.wide_mul(zz));
                *zd = zz.narrow();
                hit |= diff.wide_is_limit() | zz.wide_is_limit();
            }
            *lim = hit | q.wide_is_limit();
            *aj = ln.wide_sub(q.wide_half());
            m = Some(match m {
                Some(mv) if !aj.wide_gt(mv) => mv,
                _ => *aj,
            });
        }
        let m = m.unwrap_or(Wide::<S>::WIDE_ZERO);
        let mut saturated = self.status != Status::Ok || m.wide_is_limit();
        let mut sum = S::Work::ZERO;
        let mut acc = [S::Work::ZERO; D];
        for (&aj, (zj, &lim)) in a.iter().zip(z.iter().zip(limited.iter())).take(self.len) {
            let e = aj.wide_sub(m).narrow().exp_nonpos();
            if lim && e > S::Work::ZERO {
                saturated = true;
            }
            sum = sum + e;
            if SCORE {
                for (ad, &zd) in acc.iter_mut().zip(zj.iter()) {
                    *ad = *ad + e * zd;
                }
            }
        }
        let mut status = Status::from_saturated(saturated);
        let mut score = [S::default(); D];
        if SCORE {
            for (sd, &ad) in score.iter_mut().zip(acc.iter()) {
                let (v, st) = S::from_work(-(ad.div_fast(sum)));
                *sd = v;
                status = status.and(st);
            }
        }
        let mut log_density = S::default();
        if LOGP {
            let (v, st) = S::from_work(m.wide_add(Wide::<S>::widen(sum.ln())).narrow());
            log_density = v;
            status = status.and(st);
        }
        if !status.is_ok() {
            // A value left the range (or an intermediate did): the scaled evaluation
            // (floats) gives the true values, clamped and flagged only if out of range.
            if let Some(e) = self.fallback.evaluate::<SCORE, LOGP>(x) {
                return e;
            }
        }
        Evaluation { log_density, score, status }
    }
}
