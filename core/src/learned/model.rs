//! The score network `s_theta(x, t)`: sizes fixed at compile time, no allocation.
//!
//! # Architecture
//! With `m_d`, `c_d(t) = sqrt(std_d^2 + sigma^2 t)` the data mean and the diffused data
//! scale, and `n(t) = sqrt(n0^2 + sigma^2 t)` a noise scale (`n0`, the noise floor, is
//! about the smallest component std), all in [`Preconditioning`]:
//!
//! ```text
//! u_d  = (x_d - m_d) / c_d(t)                         inputs: D normalised coordinates
//! f    = [ln(n(t) / n0), n0 / n(t)]                   and TIME_FEATURES = 2 features of t
//! h_0  = tanh(W_x u + W_t f + b_in)                   width H
//! h_l  = tanh(W_h[l] h_{l-1} + b_h[l]),  l = 1..=L    (so L + 1 hidden layers)
//! o    = W_out h_L + b_out
//! s_d  = -(x_d - m_d) / c_d(t)^2  +  o_d / n(t)
//! ```
//!
//! The skip term is the exact score of a Gaussian with the data's mean and variance (right
//! for large `t`); the network learns the correction in units of `1 / n(t)`, so its output
//! stays of order 1 while the score itself grows like `1 / v(t)` as `t -> 0`. Inputs and
//! outputs stay bounded, which suits fixed point.
//!
//! `tanh(a) = sign(a) (1 - e) / (1 + e)`, `e = exp(-2|a|) <= 1`: one `exp` and one division
//! per unit, exact to the working type in fixed point (no overflow: the exp argument is `<= 0`).
//!
//! # Precision
//! Everything depending on `t` only is computed once per `t` in `f64` ([`TimeConsts`]) and
//! rounded to the working type. Parameters are stored as the scalar type `S`; the forward pass
//! works in `S::Work` (`SatI32F32`, Q32.32, for the fixed types: every product is rounded to
//! 2^-32 and the sums are exact). [`ScoreMlp::fixed_error_bound`] gives an a-priori bound
//! of the difference between a fixed-point model and the float model it was quantised from.

use core::fmt;

use rand_core::RngCore;

use crate::sampling::uniform_f64;
use crate::score_source::ScoreSource;
use crate::{Real, Scalar, Status};

/// Number of features of `t` fed to the network.
pub const TIME_FEATURES: usize = 2;

/// The constants that normalise inputs and scale outputs (part of the model file).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preconditioning<const D: usize> {
    /// Diffusion scale `sigma >= 0` (the variance grows by `sigma^2 t`).
    pub sigma: f64,
    /// `n0 > 0`: the output scale at `t = 0` (about the smallest data std).
    pub noise_floor: f64,
    /// Data mean `m_d`.
    pub data_mean: [f64; D],
    /// Data standard deviation `std_d > 0` per dimension (of `p(., 0)`).
    pub data_std: [f64; D],
}

/// Which preconditioning constant is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrecondError {
    /// `sigma` is negative or not finite.
    Sigma,
    /// `noise_floor` is not a positive finite number.
    NoiseFloor,
    /// `data_mean[d]` is not finite.
    DataMean(usize),
    /// `data_std[d]` is not a positive finite number.
    DataStd(usize),
}

impl fmt::Display for PrecondError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrecondError::Sigma => write!(f, "sigma must be a finite number >= 0"),
            PrecondError::NoiseFloor => write!(f, "noise_floor must be a finite number > 0"),
            PrecondError::DataMean(d) => write!(f, "data_mean[{d}] must be finite"),
            PrecondError::DataStd(d) => write!(f, "data_std[{d}] must be a finite number > 0"),
        }
    }
}

impl<const D: usize> Preconditioning<D> {
    /// Check every constant.
    pub fn validate(&self) -> Result<(), PrecondError> {
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return Err(PrecondError::Sigma);
        }
        if !(self.noise_floor.is_finite() && self.noise_floor > 0.0) {
            return Err(PrecondError::NoiseFloor);
        }
        for (d, m) in self.data_mean.iter().enumerate() {
            if !m.is_finite() {
                return Err(PrecondError::DataMean(d));
            }
        }
        for (d, s) in self.data_std.iter().enumerate() {
            if !(s.is_finite() && *s > 0.0) {
                return Err(PrecondError::DataStd(d));
            }
        }
        Ok(())
    }

    /// `n(t) = sqrt(n0^2 + sigma^2 t)`.
    pub fn noise_scale(&self, t: f64) -> f64 {
        libm::sqrt(self.noise_floor * self.noise_floor + self.sigma * self.sigma * t)
    }
}

/// Everything that depends on `t` only, in the working type `W`.
#[derive(Clone, Copy, Debug)]
pub struct TimeConsts<W, const D: usize> {
    /// `m_d`
    pub mean: [W; D],
    /// `1 / c_d(t)`
    pub inv_c: [W; D],
    /// `1 / c_d(t)^2`
    pub inv_c2: [W; D],
    /// `1 / n(t)`
    pub inv_n: W,
    /// The time features.
    pub feat: [W; TIME_FEATURES],
    /// [`Status::Saturated`] if a constant did not fit `W`.
    pub status: Status,
}

/// The tensors of the network, in file order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Tensor {
    /// `w_x[i][d]`, H x D
    WX,
    /// `w_t[i][k]`, H x TIME_FEATURES
    WT,
    /// `b_in[i]`, H
    BIn,
    /// `w_h[l][i][j]`, L x H x H
    WH,
    /// `b_h[l][i]`, L x H
    BH,
    /// `w_out[d][j]`, D x H
    WOut,
    /// `b_out[d]`, D
    BOut,
}

impl Tensor {
    /// All tensors in file order.
    pub const ALL: [Tensor; 7] =
        [Tensor::WX, Tensor::WT, Tensor::BIn, Tensor::WH, Tensor::BH, Tensor::WOut, Tensor::BOut];

    /// The name used in messages.
    pub const fn name(self) -> &'static str {
        match self {
            Tensor::WX => "w_x",
            Tensor::WT => "w_t",
            Tensor::BIn => "b_in",
            Tensor::WH => "w_h",
            Tensor::BH => "b_h",
            Tensor::WOut => "w_out",
            Tensor::BOut => "b_out",
        }
    }
}

/// One parameter: a tensor and the flat index in it (row-major).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamId {
    /// The tensor.
    pub tensor: Tensor,
    /// Flat (row-major) index in the tensor.
    pub index: usize,
    /// Length of the tensor's last axis.
    pub cols: usize,
    /// Length of the tensor's middle axis (for `w_h`; 0 otherwise).
    pub rows: usize,
}

impl fmt::Display for ParamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.tensor.name();
        let (Some(q), Some(c)) = (self.index.checked_div(self.cols), self.index.checked_rem(self.cols)) else {
            return write!(f, "{name}[{}]", self.index);
        };
        match self.tensor {
            Tensor::BIn | Tensor::BOut => write!(f, "{name}[{}]", self.index),
            Tensor::WH => match (q.checked_div(self.rows), q.checked_rem(self.rows)) {
                (Some(l), Some(r)) => write!(f, "{name}[{l}][{r}][{c}]"),
                _ => write!(f, "{name}[{}]", self.index),
            },
            _ => write!(f, "{name}[{q}][{c}]"),
        }
    }
}

/// A parameter that does not fit the target scalar type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamError {
    /// Which parameter.
    pub param: ParamId,
    /// Its value.
    pub value: f64,
    /// The target type's name.
    pub scalar: &'static str,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "parameter {} = {} does not fit {}", self.param, self.value, self.scalar)
    }
}

/// The parameters: `L + 1` hidden layers of width `H` (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params<S, const D: usize, const H: usize, const L: usize> {
    /// Input weights for `u`, H x D.
    pub w_x: [[S; D]; H],
    /// Input weights for the time features, H x TIME_FEATURES.
    pub w_t: [[S; TIME_FEATURES]; H],
    /// First-layer bias.
    pub b_in: [S; H],
    /// Hidden-to-hidden weights, L x H x H (`[l][out][in]`).
    pub w_h: [[[S; H]; H]; L],
    /// Hidden biases, L x H.
    pub b_h: [[S; H]; L],
    /// Output weights, D x H.
    pub w_out: [[S; H]; D],
    /// Output bias.
    pub b_out: [S; D],
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> Params<S, D, H, L> {
    /// Number of parameters.
    pub const COUNT: usize = H * D + H * TIME_FEATURES + H + L * H * H + L * H + D * H + D;

    /// All zero.
    pub fn zeroed() -> Self {
        let z = S::default();
        Params {
            w_x: [[z; D]; H],
            w_t: [[z; TIME_FEATURES]; H],
            b_in: [z; H],
            w_h: [[[z; H]; H]; L],
            b_h: [[z; H]; L],
            w_out: [[z; H]; D],
            b_out: [z; D],
        }
    }

    /// The tensors as flat slices, in [`Tensor::ALL`] order.
    pub fn slices(&self) -> [&[S]; 7] {
        [
            self.w_x.as_flattened(),
            self.w_t.as_flattened(),
            &self.b_in,
            self.w_h.as_flattened().as_flattened(),
            self.b_h.as_flattened(),
            self.w_out.as_flattened(),
            &self.b_out,
        ]
    }

    /// The tensors as flat mutable slices, in [`Tensor::ALL`] order.
    pub fn slices_mut(&mut self) -> [&mut [S]; 7] {
        [
            self.w_x.as_flattened_mut(),
            self.w_t.as_flattened_mut(),
            &mut self.b_in,
            self.w_h.as_flattened_mut().as_flattened_mut(),
            self.b_h.as_flattened_mut(),
            self.w_out.as_flattened_mut(),
            &mut self.b_out,
        ]
    }

    /// The identity of parameter `index` of `tensor`.
    pub const fn param_id(tensor: Tensor, index: usize) -> ParamId {
        let (cols, rows) = match tensor {
            Tensor::WX => (D, 0),
            Tensor::WT => (TIME_FEATURES, 0),
            Tensor::BIn | Tensor::BH => (H, 0),
            Tensor::WH => (H, H),
            Tensor::WOut => (H, 0),
            Tensor::BOut => (D, 0),
        };
        ParamId { tensor, index, cols, rows }
    }

    /// Glorot-uniform weights (`+-sqrt(6 / (fan_in + fan_out))`), zero biases, and a zero
    /// output layer (so a fresh model is the Gaussian skip term).
    pub fn init<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        let mut p = Self::zeroed();
        let mut fill = |s: &mut [S], fan: usize| {
            let a = libm::sqrt(6.0 / fan as f64);
            for v in s.iter_mut() {
                *v = S::from_f64(a * (2.0 * uniform_f64(rng) - 1.0)).0;
            }
        };
        fill(p.w_x.as_flattened_mut(), D + TIME_FEATURES + H);
        fill(p.w_t.as_flattened_mut(), D + TIME_FEATURES + H);
        fill(p.w_h.as_flattened_mut().as_flattened_mut(), 2 * H);
        p
    }

    /// Convert every parameter to `T` (rounding to nearest); fails on the first parameter
    /// that is out of `T`'s range or not finite.
    pub fn convert<T: Scalar>(&self) -> Result<Params<T, D, H, L>, ParamError> {
        let mut out = Params::<T, D, H, L>::zeroed();
        for ((src, dst), tensor) in self.slices().into_iter().zip(out.slices_mut()).zip(Tensor::ALL) {
            for (i, (s, d)) in src.iter().zip(dst.iter_mut()).enumerate() {
                let v = s.to_f64();
                let (c, st) = T::from_f64(v);
                if !st.is_ok() || !v.is_finite() {
                    return Err(ParamError { param: Self::param_id(tensor, i), value: v, scalar: T::NAME });
                }
                *d = c;
            }
        }
        Ok(out)
    }
}

/// The activations of one forward pass (for back-propagation).
#[derive(Clone, Copy, Debug)]
pub struct Trace<W, const D: usize, const H: usize, const L: usize> {
    /// Normalised inputs `u`.
    pub u: [W; D],
    /// First hidden layer.
    pub h0: [W; H],
    /// Hidden layers `1..=L`.
    pub hs: [[W; H]; L],
    /// Network output `o` (before the `1 / n(t)` scaling).
    pub out: [W; D],
    /// An intermediate saturated (fixed) or was not finite (floats).
    pub limited: bool,
}

impl<W: Real, const D: usize, const H: usize, const L: usize> Trace<W, D, H, L> {
    /// All zero.
    pub fn new() -> Self {
        Trace { u: [W::ZERO; D], h0: [W::ZERO; H], hs: [[W::ZERO; H]; L], out: [W::ZERO; D], limited: false }
    }

    /// The last hidden layer `h_L`.
    pub fn last_hidden(&self) -> &[W; H] {
        self.hs.last().unwrap_or(&self.h0)
    }
}

impl<W: Real, const D: usize, const H: usize, const L: usize> Default for Trace<W, D, H, L> {
    fn default() -> Self {
        Self::new()
    }
}

/// `tanh(a)` from one `exp` of a non-positive argument: to the working precision for floats;
/// for fixed point within 2^-27 (the fast `exp` and division of [`Real::exp_nonpos`] and
/// [`Real::div_fast`], 32-bit multiplies only).
#[inline]
pub fn tanh<W: Real>(a: W) -> W {
    let neg = a < W::ZERO;
    let abs = if neg { -a } else { a };
    let e = (-(abs + abs)).exp_nonpos();
    let y = (W::ONE - e).div_fast(W::ONE + e);
    if neg {
        -y
    } else {
        y
    }
}

/// `b + W h` for one output row.
#[inline]
fn dot_row<S: Scalar, const N: usize>(b: S, row: &[S; N], h: &[S::Work; N]) -> S::Work {
    let mut a = b.to_work();
    for (&w, &v) in row.iter().zip(h.iter()) {
        a = a + w.to_work() * v;
    }
    a
}

/// The score network (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreMlp<S, const D: usize, const H: usize, const L: usize> {
    /// Input normalisation and output scaling.
    pub precond: Preconditioning<D>,
    /// Weights and biases.
    pub params: Params<S, D, H, L>,
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> ScoreMlp<S, D, H, L> {
    /// A model with Glorot-initialised weights and a zero output layer.
    pub fn new_random<R: RngCore + ?Sized>(precond: Preconditioning<D>, rng: &mut R) -> Result<Self, PrecondError> {
        precond.validate()?;
        Ok(ScoreMlp { precond, params: Params::init(rng) })
    }

    /// The same model with its parameters rounded to `T`; fails naming the first parameter
    /// that does not fit.
    pub fn convert<T: Scalar>(&self) -> Result<ScoreMlp<T, D, H, L>, ParamError> {
        Ok(ScoreMlp { precond: self.precond, params: self.params.convert()? })
    }

    /// The constants at time `t` (`None` if `t` is negative or not finite).
    pub fn time_consts(&self, t: f64) -> Option<TimeConsts<S::Work, D>> {
        if !(t.is_finite() && t >= 0.0) {
            return None;
        }
        let pc = &self.precond;
        let g2t = pc.sigma * pc.sigma * t;
        let mut sat = false;
        let mut conv = |v: f64| {
            let (w, s) = S::Work::from_f64_saturating(v);
            sat |= s;
            w
        };
        let mut mean = [S::Work::ZERO; D];
        let mut inv_c = [S::Work::ZERO; D];
        let mut inv_c2 = [S::Work::ZERO; D];
        for (((m, ic), ic2), (&md, &sd)) in mean
            .iter_mut()
            .zip(inv_c.iter_mut())
            .zip(inv_c2.iter_mut())
            .zip(pc.data_mean.iter().zip(pc.data_std.iter()))
        {
            let c2 = sd * sd + g2t;
            *m = conv(md);
            *ic = conv(1.0 / libm::sqrt(c2));
            *ic2 = conv(1.0 / c2);
        }
        let n = pc.noise_scale(t);
        let inv_n = conv(1.0 / n);
        let feat = [conv(libm::log(n / pc.noise_floor)), conv(pc.noise_floor / n)];
        Some(TimeConsts { mean, inv_c, inv_c2, inv_n, feat, status: Status::from_saturated(sat) })
    }

    /// Forward pass in the working type, keeping every activation in `tr`.
    pub fn forward_traced(&self, tc: &TimeConsts<S::Work, D>, x: &[S::Work; D], tr: &mut Trace<S::Work, D, H, L>) {
        let p = &self.params;
        let mut lim = !tc.status.is_ok();
        for ((ud, &xd), (&md, &ic)) in tr.u.iter_mut().zip(x.iter()).zip(tc.mean.iter().zip(tc.inv_c.iter())) {
            *ud = (xd - md) * ic;
            lim |= ud.is_limit();
        }
        for (((h, wx), wt), &b) in tr.h0.iter_mut().zip(p.w_x.iter()).zip(p.w_t.iter()).zip(p.b_in.iter()) {
            let mut a = dot_row(b, wx, &tr.u);
            for (&w, &f) in wt.iter().zip(tc.feat.iter()) {
                a = a + w.to_work() * f;
            }
            lim |= a.is_limit();
            *h = tanh(a);
        }
        let mut prev = tr.h0;
        for ((w, b), out) in p.w_h.iter().zip(p.b_h.iter()).zip(tr.hs.iter_mut()) {
            for ((o, row), &bi) in out.iter_mut().zip(w.iter()).zip(b.iter()) {
                let a = dot_row(bi, row, &prev);
                lim |= a.is_limit();
                *o = tanh(a);
            }
            prev = *out;
        }
        for ((o, row), &b) in tr.out.iter_mut().zip(p.w_out.iter()).zip(p.b_out.iter()) {
            *o = dot_row(b, row, &prev);
            lim |= o.is_limit();
        }
        tr.limited = lim;
    }

    /// The score from a traced forward pass: `-(x - m) / c^2 + o / n`, in the working type.
    pub fn score_work(tc: &TimeConsts<S::Work, D>, x: &[S::Work; D], tr: &Trace<S::Work, D, H, L>) -> [S::Work; D] {
        let mut s = [S::Work::ZERO; D];
        for (((sd, &xd), &o), (&md, &ic2)) in
            s.iter_mut().zip(x.iter()).zip(tr.out.iter()).zip(tc.mean.iter().zip(tc.inv_c2.iter()))
        {
            *sd = o * tc.inv_n - (xd - md) * ic2;
        }
        s
    }

    /// `s_theta(x, t)` with the constants of `t` prepared by [`Self::time_consts`].
    pub fn score_prepared(&self, tc: &TimeConsts<S::Work, D>, x: &[S; D]) -> ([S; D], Status) {
        let xw = x.map(|v| v.to_work());
        let mut tr = Trace::new();
        self.forward_traced(tc, &xw, &mut tr);
        let sw = Self::score_work(tc, &xw, &tr);
        let mut status = Status::from_saturated(tr.limited);
        let mut out = [S::default(); D];
        for (o, &w) in out.iter_mut().zip(sw.iter()) {
            let (v, st) = S::from_work(w);
            *o = v;
            status = status.and(st);
        }
        (out, status)
    }

    /// `s_theta(x, t)`; a zero score and [`Status::Saturated`] for an invalid `t`.
    pub fn score(&self, t: f64, x: &[S; D]) -> ([S; D], Status) {
        match self.time_consts(t) {
            Some(tc) => self.score_prepared(&tc, x),
            None => ([S::default(); D], Status::Saturated),
        }
    }

    /// Number of parameters.
    pub const PARAMS: usize = Params::<S, D, H, L>::COUNT;

    /// A-priori bound of `max_d |s_fixed - s_float|` for this (float) model quantised to a
    /// fixed type with unit `lsb` (2^-16 for `I16F16`, 2^-24 for `I8F24`), at any `x`
    /// representable in that type and any `t >= 0`.
    ///
    /// Each weight is rounded by at most `q = lsb / 2`; each Q32.32 product by `r = 2^-33`;
    /// `tanh` is 1-Lipschitz and its fixed evaluation is within `e_t = 2^-29`. Layer by layer,
    /// with `e` the input error bound and `|h| <= 1`:
    /// `e' = sum_j |w_ij| e_j + q (sum_j |h_j| + 1) + (n_in + 1) r + e_t`.
    /// The bound on the score is `e_out / n(t) + 2^-32 |x - m| + lsb / 2` (final rounding),
    /// computed at the worst `t` (`n(t) = n0`) and the input bound `|u| <= umax`.
    pub fn fixed_error_bound(&self, lsb: f64, umax: f64, xmax: f64) -> f64 {
        let q = lsb * 0.5;
        let r = 1.0 / 8_589_934_592.0;
        let et = 1.0 / 536_870_912.0;
        let p = &self.params;
        // Layer 0: inputs u (|u| <= umax, error ~ 2^-32 |u|) and features (|f| <= 2).
        let eu = umax / 4_294_967_296.0 + r;
        let mut e = [0.0f64; H];
        for ((ei, wx), wt) in e.iter_mut().zip(p.w_x.iter()).zip(p.w_t.iter()) {
            let mut acc = q + et + (D + TIME_FEATURES + 1) as f64 * r;
            for w in wx.iter() {
                acc += libm::fabs(w.to_f64()) * eu + q * umax;
            }
            for w in wt.iter() {
                acc += libm::fabs(w.to_f64()) * r + q * 2.0;
            }
            *ei = acc;
        }
        for w in p.w_h.iter() {
            let mut next = [0.0f64; H];
            for (ni, row) in next.iter_mut().zip(w.iter()) {
                let mut acc = q + et + (H + 1) as f64 * r;
                for (wij, ej) in row.iter().zip(e.iter()) {
                    acc += libm::fabs(wij.to_f64()) * ej + q;
                }
                *ni = acc;
            }
            e = next;
        }
        let mut worst = 0.0f64;
        for row in p.w_out.iter() {
            let mut acc = q + (H + 1) as f64 * r;
            for (wij, ej) in row.iter().zip(e.iter()) {
                acc += libm::fabs(wij.to_f64()) * ej + q;
            }
            worst = worst.max(acc);
        }
        worst / self.precond.noise_floor + (xmax + 1.0) * 4.0 / 4_294_967_296.0 + lsb * 0.5
    }
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> ScoreSource<S, D> for ScoreMlp<S, D, H, L> {
    fn score_at(&mut self, t: f64, x: &[S; D]) -> ([S; D], Status) {
        self.score(t, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;

    fn pc() -> Preconditioning<2> {
        Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.5, -0.5], data_std: [1.5, 1.0] }
    }

    #[test]
    fn tanh_matches_libm() {
        for a in [-30.0, -3.0, -0.5, -1e-9, 0.0, 1e-6, 0.7, 2.0, 25.0] {
            assert!((tanh(a) - libm::tanh(a)).abs() < 1e-15, "{a}");
            let (w, _) = crate::num::SatI32F32::from_f64_saturating(a);
            assert!((tanh(w).to_f64_lossy() - libm::tanh(a)).abs() < 4.0 / 4_294_967_296.0, "{a}");
        }
    }

    #[test]
    fn fresh_model_is_the_gaussian_skip_term() {
        let mut rng = crate::DefaultRng::seed_from_u64(1);
        let m = ScoreMlp::<f64, 2, 8, 1>::new_random(pc(), &mut rng).unwrap();
        let (s, st) = m.score(0.5, &[1.0, 2.0]);
        assert!(st.is_ok());
        assert!((s[0] + 0.5 / (2.25 + 0.5)).abs() < 1e-15);
        assert!((s[1] + 2.5 / (1.0 + 0.5)).abs() < 1e-15);
        assert_eq!(m.score(-1.0, &[0.0, 0.0]).1, Status::Saturated);
    }

    #[test]
    fn param_names() {
        type P = Params<f32, 2, 4, 2>;
        assert_eq!(P::COUNT, 8 + 8 + 4 + 32 + 8 + 8 + 2);
        let id = P::param_id(Tensor::WH, 16 + 4 * 2 + 3);
        extern crate std;
        assert_eq!(std::format!("{id}"), "w_h[1][2][3]");
        assert_eq!(std::format!("{}", P::param_id(Tensor::WX, 5)), "w_x[2][1]");
        assert_eq!(std::format!("{}", P::param_id(Tensor::BOut, 1)), "b_out[1]");
    }

    #[test]
    fn convert_names_the_bad_parameter() {
        let mut rng = crate::DefaultRng::seed_from_u64(2);
        let mut m = ScoreMlp::<f32, 2, 4, 1>::new_random(pc(), &mut rng).unwrap();
        m.params.w_h[0][1][2] = 200.0;
        assert!(m.convert::<fixed::types::I16F16>().is_ok());
        let e = m.convert::<fixed::types::I8F24>().unwrap_err();
        assert_eq!(e.param.tensor, Tensor::WH);
        extern crate std;
        assert!(std::format!("{e}").contains("w_h[0][1][2] = 200"));
    }
}
