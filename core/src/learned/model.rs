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
//! Each layer is a [`Dense`] (the first also has a bias-free [`Linear`] block for the time
//! features); the activation is [`Act`] (`tanh`: one `exp` and one division per unit, see
//! [`tanh`]).
//!
//! # Precision
//! Everything depending on `t` only is computed once per `t` in `f64` ([`TimeConsts`]) and
//! rounded to the working type. Parameters are stored as the scalar type `S`; the forward pass
//! works in `S::Work` (`SatI32F32`, Q32.32, for the fixed types: every product is rounded to
//! 2^-32 and the sums are exact). [`ScoreMlp::fixed_error_bound`] gives an a-priori bound
//! of the difference between a fixed-point model and the float model it was quantised from.

use core::fmt;

use rand_core::RngCore;

use super::layer::{Activation, Dense, FixedRounding, Linear, Parameters, Tanh};
use super::time::Time;
use crate::mixture::GaussianMixture;
use crate::sampling::uniform_f64;
use crate::score_source::{ScoreSource, TimePrepared};
use crate::{Real, Scalar, Status};

pub use super::layer::tanh;

/// Number of features of `t` fed to the network.
pub const TIME_FEATURES: usize = 2;

/// The activation of the hidden layers (the model file's architecture code 1).
pub type Act = Tanh;

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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
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

impl core::error::Error for PrecondError {}

impl<const D: usize> Preconditioning<D> {
    /// The preconditioning of a mixture (what `tinyscore train` and the firmware use): its
    /// diffusion scale, its mean, its per-dimension std at `t = 0`, and the smallest
    /// component std as the noise floor. Valid for every validated mixture.
    ///
    /// # Examples
    /// ```
    /// use tinyscore::learned::Preconditioning;
    /// use tinyscore::mixture::{Component, GaussianMixture};
    /// let gm = GaussianMixture::<1, 2>::new(
    ///     1.0,
    ///     &[Component { weight: 0.5, mean: [-1.0], std: [0.5] }, Component { weight: 0.5, mean: [1.0], std: [0.25] }],
    /// )?;
    /// let pc = Preconditioning::from_mixture(&gm);
    /// assert_eq!((pc.sigma, pc.noise_floor, pc.data_mean), (1.0, 0.25, [0.0]));
    /// assert!((pc.data_std[0] - (1.0f64 + 0.5 * (0.25 + 0.0625)).sqrt()).abs() < 1e-15);
    /// assert!(pc.validate().is_ok());
    /// # Ok::<(), tinyscore::mixture::MixtureError>(())
    /// ```
    pub fn from_mixture<const K: usize>(gm: &GaussianMixture<D, K>) -> Self {
        let var = gm.marginal_variance(0.0);
        let floor = gm.components().iter().flat_map(|c| c.std.iter().copied()).fold(f64::INFINITY, f64::min);
        Preconditioning { sigma: gm.sigma(), noise_floor: floor, data_mean: gm.mean(), data_std: var.map(libm::sqrt) }
    }

    /// Check every constant.
    ///
    /// # Errors
    /// The first invalid constant, in the order `sigma`, `noise_floor`, `data_mean`,
    /// `data_std`.
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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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

impl ParamId {
    /// The parameter `i` places further in the same tensor.
    pub const fn offset(self, i: usize) -> ParamId {
        ParamId { index: self.index + i, ..self }
    }
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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
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

impl core::error::Error for ParamError {}

/// The parameters: `L + 1` hidden layers of width `H` (see the module documentation), as
/// layers. The file's tensors: `w_x` and `b_in` are `input`, `w_t` is `time`, `w_h[l]` and
/// `b_h[l]` are `hidden[l]`, `w_out` and `b_out` are `output`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params<S, const D: usize, const H: usize, const L: usize> {
    /// First layer on the normalised coordinates `u`: `w_x` (H x D) and `b_in`.
    pub input: Dense<S, D, H>,
    /// First-layer weights of the time features, `w_t` (H x TIME_FEATURES), no bias.
    pub time: Linear<S, TIME_FEATURES, H>,
    /// Hidden-to-hidden layers `w_h[l]` (H x H, `[out][in]`) and `b_h[l]`.
    pub hidden: [Dense<S, H, H>; L],
    /// Output layer `w_out` (D x H) and `b_out`.
    pub output: Dense<S, H, D>,
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> Params<S, D, H, L> {
    /// Number of parameters.
    pub const COUNT: usize = H * D + H * TIME_FEATURES + H + L * H * H + L * H + D * H + D;

    /// All zero.
    pub fn zeroed() -> Self {
        Params { input: Dense::zeroed(), time: Linear::zeroed(), hidden: [Dense::zeroed(); L], output: Dense::zeroed() }
    }

    /// The tensors as flat slices in file order ([`Tensor::ALL`]; `w_h` is one slice per
    /// layer, then `b_h` one per layer), each with the identity of its first parameter
    /// (use [`ParamId::offset`] for the others).
    ///
    /// # Examples
    /// ```
    /// use tinyscore::learned::Params;
    /// let p = Params::<f32, 2, 4, 1>::zeroed();
    /// let names: Vec<String> = p.tensors().map(|(id, _)| id.to_string()).collect();
    /// assert_eq!(names, ["w_x[0][0]", "w_t[0][0]", "b_in[0]", "w_h[0][0][0]", "b_h[0][0]", "w_out[0][0]", "b_out[0]"]);
    /// assert_eq!(p.tensors().map(|(_, s)| s.len()).sum::<usize>(), Params::<f32, 2, 4, 1>::COUNT);
    /// ```
    pub fn tensors(&self) -> impl Iterator<Item = (ParamId, &[S])> {
        let id = Self::param_id;
        [
            (id(Tensor::WX, 0), self.input.w.as_flattened()),
            (id(Tensor::WT, 0), self.time.w.as_flattened()),
            (id(Tensor::BIn, 0), self.input.b.as_slice()),
        ]
        .into_iter()
        .chain(self.hidden.iter().enumerate().map(move |(l, d)| (id(Tensor::WH, l * H * H), d.w.as_flattened())))
        .chain(self.hidden.iter().enumerate().map(move |(l, d)| (id(Tensor::BH, l * H), d.b.as_slice())))
        .chain([(id(Tensor::WOut, 0), self.output.w.as_flattened()), (id(Tensor::BOut, 0), self.output.b.as_slice())])
    }

    /// Call `f` on every tensor as a flat mutable slice, in the file order of
    /// [`Params::tensors`], stopping at the first error.
    ///
    /// # Errors
    /// The first error `f` returns.
    pub fn try_for_each_tensor_mut<E>(
        &mut self,
        mut f: impl FnMut(ParamId, &mut [S]) -> Result<(), E>,
    ) -> Result<(), E> {
        let p = self;
        f(Self::param_id(Tensor::WX, 0), p.input.w.as_flattened_mut())?;
        f(Self::param_id(Tensor::WT, 0), p.time.w.as_flattened_mut())?;
        f(Self::param_id(Tensor::BIn, 0), &mut p.input.b)?;
        for (l, layer) in p.hidden.iter_mut().enumerate() {
            f(Self::param_id(Tensor::WH, l * H * H), layer.w.as_flattened_mut())?;
        }
        for (l, layer) in p.hidden.iter_mut().enumerate() {
            f(Self::param_id(Tensor::BH, l * H), &mut layer.b)?;
        }
        f(Self::param_id(Tensor::WOut, 0), p.output.w.as_flattened_mut())?;
        f(Self::param_id(Tensor::BOut, 0), &mut p.output.b)
    }

    /// The parameter `id` (`None` if its index is outside its tensor).
    pub fn param_mut(&mut self, id: ParamId) -> Option<&mut S> {
        let i = id.index;
        match id.tensor {
            Tensor::WX => self.input.w.as_flattened_mut().get_mut(i),
            Tensor::WT => self.time.w.as_flattened_mut().get_mut(i),
            Tensor::BIn => self.input.b.get_mut(i),
            Tensor::WH => {
                let layer = self.hidden.get_mut(i.checked_div(H * H)?)?;
                layer.w.as_flattened_mut().get_mut(i.checked_rem(H * H)?)
            }
            Tensor::BH => self.hidden.get_mut(i.checked_div(H)?)?.b.get_mut(i.checked_rem(H)?),
            Tensor::WOut => self.output.w.as_flattened_mut().get_mut(i),
            Tensor::BOut => self.output.b.get_mut(i),
        }
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
    /// output layer (so a fresh model is the Gaussian skip term). The weights are drawn in
    /// file order: `w_x`, `w_t`, then `w_h` layer by layer.
    pub fn init<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        let mut p = Self::zeroed();
        let mut fill = |s: &mut [S], fan: usize| {
            let a = libm::sqrt(6.0 / fan as f64);
            for v in s.iter_mut() {
                *v = S::from_f64(a * (2.0 * uniform_f64(rng) - 1.0)).0;
            }
        };
        // The first layer's fan-in counts both input blocks.
        fill(p.input.w.as_flattened_mut(), D + TIME_FEATURES + H);
        fill(p.time.tensor_mut(), D + TIME_FEATURES + H);
        for layer in p.hidden.iter_mut() {
            fill(layer.w.as_flattened_mut(), 2 * H);
        }
        p
    }

    /// Convert every parameter to `T` (rounding to nearest).
    ///
    /// # Errors
    /// The first parameter in file order that is out of `T`'s range or not finite.
    pub fn convert<T: Scalar>(&self) -> Result<Params<T, D, H, L>, ParamError> {
        for (id, s) in self.tensors() {
            for (i, v) in s.iter().enumerate() {
                let v = v.to_f64();
                if !T::from_f64(v).1.is_ok() || !v.is_finite() {
                    return Err(ParamError { param: id.offset(i), value: v, scalar: T::NAME });
                }
            }
        }
        let f = |s: S| T::from_f64(s.to_f64()).0;
        Ok(Params {
            input: self.input.map(f),
            time: self.time.map(f),
            hidden: self.hidden.map(|d| d.map(f)),
            output: self.output.map(f),
        })
    }
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> Parameters for Params<S, D, H, L> {
    type Elem = S;

    fn zeroed() -> Self {
        Params::zeroed()
    }

    /// Layer by layer: `w_x`, `b_in`, `w_t`, `w_h[0]`, `b_h[0]`, ..., `w_out`, `b_out`
    /// (file order is [`Params::tensors`]).
    fn slices(&self) -> impl Iterator<Item = &[S]> {
        self.input
            .tensors()
            .into_iter()
            .chain([self.time.tensor()])
            .chain(self.hidden.iter().flat_map(Dense::tensors))
            .chain(self.output.tensors())
    }

    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [S]> {
        let Params { input, time, hidden, output } = self;
        input
            .tensors_mut()
            .into_iter()
            .chain([time.tensor_mut()])
            .chain(hidden.iter_mut().flat_map(Dense::tensors_mut))
            .chain(output.tensors_mut())
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

    /// The last hidden layer `h_L` (`h_0` when `L = 0`).
    pub fn last_hidden(&self) -> &[W; H] {
        self.hs.last().unwrap_or(&self.h0)
    }
}

impl<W: Real, const D: usize, const H: usize, const L: usize> Default for Trace<W, D, H, L> {
    fn default() -> Self {
        Self::new()
    }
}

/// `true` if a value is at the limit of its type (saturated, or not finite).
fn any_limit<W: Real>(a: &[W]) -> bool {
    a.iter().fold(false, |lim, v| lim | v.is_limit())
}

/// The score network (see the module documentation).
///
/// # Examples
/// Build a model (fresh: the Gaussian skip term), score a point, quantise it:
/// ```
/// use rand_core::SeedableRng;
/// use tinyscore::learned::{Preconditioning, ScoreMlp};
/// let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.0], data_std: [1.0] };
/// let mut rng = tinyscore::DefaultRng::seed_from_u64(1);
/// let model = ScoreMlp::<f32, 1, 8, 1>::new_random(pc, &mut rng)?;
/// let (s, status) = model.score(0.5, &[1.0]);
/// assert!(status.is_ok());
/// assert!((s[0] + 1.0 / 1.5).abs() < 1e-6); // -(x - m) / (std^2 + sigma^2 t)
/// let q = model.convert::<fixed::types::I16F16>().expect("weights fit I16F16");
/// let (sq, _) = q.score(0.5, &[fixed::types::I16F16::from_num(1.0)]);
/// assert!((sq[0].to_num::<f64>() - s[0] as f64).abs() < 1e-4);
/// # Ok::<(), tinyscore::learned::PrecondError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreMlp<S, const D: usize, const H: usize, const L: usize> {
    /// Input normalisation and output scaling.
    pub precond: Preconditioning<D>,
    /// Weights and biases.
    pub params: Params<S, D, H, L>,
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> ScoreMlp<S, D, H, L> {
    /// A model with Glorot-initialised weights and a zero output layer.
    ///
    /// # Errors
    /// An invalid preconditioning constant.
    pub fn new_random<R: RngCore + ?Sized>(precond: Preconditioning<D>, rng: &mut R) -> Result<Self, PrecondError> {
        precond.validate()?;
        Ok(ScoreMlp { precond, params: Params::init(rng) })
    }

    /// An all-zero model with placeholder constants (`sigma = 0`, `n0 = 1`, mean 0, std 1):
    /// somewhere to decode a model file into ([`Self::decode_into`]).
    pub fn zeroed() -> Self {
        ScoreMlp {
            precond: Preconditioning { sigma: 0.0, noise_floor: 1.0, data_mean: [0.0; D], data_std: [1.0; D] },
            params: Params::zeroed(),
        }
    }

    /// The same model with its parameters rounded to `T`.
    ///
    /// # Errors
    /// Names the first parameter (file order) that does not fit `T` or is not finite.
    pub fn convert<T: Scalar>(&self) -> Result<ScoreMlp<T, D, H, L>, ParamError> {
        Ok(ScoreMlp { precond: self.precond, params: self.params.convert()? })
    }

    /// The constants at time `t` (`None` if `t` is negative or not finite).
    pub fn time_consts(&self, t: f64) -> Option<TimeConsts<S::Work, D>> {
        Time::new(t).map(|t| self.time_consts_at(t))
    }

    /// The constants at a valid time `t`.
    pub fn time_consts_at(&self, t: Time) -> TimeConsts<S::Work, D> {
        let pc = &self.precond;
        let t = t.get();
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
        TimeConsts { mean, inv_c, inv_c2, inv_n, feat, status: Status::from_saturated(sat) }
    }

    /// Forward pass in the working type, keeping every activation in `tr`.
    pub fn forward_traced(&self, tc: &TimeConsts<S::Work, D>, x: &[S::Work; D], tr: &mut Trace<S::Work, D, H, L>) {
        let p = &self.params;
        let mut lim = !tc.status.is_ok();
        for ((ud, &xd), (&md, &ic)) in tr.u.iter_mut().zip(x.iter()).zip(tc.mean.iter().zip(tc.inv_c.iter())) {
            *ud = (xd - md) * ic;
            lim |= ud.is_limit();
        }
        p.input.forward(&tr.u, &mut tr.h0);
        p.time.accumulate(&tc.feat, &mut tr.h0);
        lim |= Act::apply_all(&mut tr.h0);
        let mut prev = &tr.h0;
        for (layer, out) in p.hidden.iter().zip(tr.hs.iter_mut()) {
            layer.forward(prev, out);
            lim |= Act::apply_all(out);
            prev = out;
        }
        p.output.forward(prev, &mut tr.out);
        tr.limited = lim | any_limit(&tr.out);
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
    /// the activation is 1-Lipschitz and its fixed evaluation is within `e_t`
    /// ([`Activation::FIXED_ERROR`], 2^-29 for `tanh`). Layer by layer, with `e` the input
    /// error bound and `|h| <= 1` ([`Dense::error_bound`]):
    /// `e' = sum_j |w_ij| e_j + q (sum_j |h_j| + 1) + (n_in + 1) r + e_t`.
    /// The bound on the score is `e_out / n(t) + 2^-32 |x - m| + lsb / 2` (final rounding),
    /// computed at the worst `t` (`n(t) = n0`) and the input bound `|u| <= umax`.
    pub fn fixed_error_bound(&self, lsb: f64, umax: f64, xmax: f64) -> f64 {
        let rd = FixedRounding::new(lsb);
        let (et, hmax) = (Act::FIXED_ERROR, Act::OUTPUT_BOUND);
        let p = &self.params;
        // Layer 0: inputs u (|u| <= umax, error ~ 2^-32 |u|) and features (|f| <= 2, error r).
        let eu = umax / 4_294_967_296.0 + rd.product;
        let mut e = [rd.row_start(D + TIME_FEATURES, et); H];
        p.input.error_terms(&rd, &[eu; D], umax, &mut e);
        p.time.error_terms(&rd, &[rd.product; TIME_FEATURES], 2.0, &mut e);
        for layer in p.hidden.iter() {
            e = layer.error_bound(&rd, &e, hmax, et);
        }
        let worst = p.output.error_bound(&rd, &e, hmax, 0.0).iter().fold(0.0f64, |w, &a| w.max(a));
        worst / self.precond.noise_floor + (xmax + 1.0) * 4.0 / 4_294_967_296.0 + lsb * 0.5
    }
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> ScoreSource<S, D> for ScoreMlp<S, D, H, L> {
    fn score_at(&mut self, t: f64, x: &[S; D]) -> ([S; D], Status) {
        self.score(t, x)
    }
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> TimePrepared<S, D> for ScoreMlp<S, D, H, L> {
    type AtTime = TimeConsts<S::Work, D>;
    fn prepare_time(&self, t: f64) -> Option<Self::AtTime> {
        self.time_consts(t)
    }
    fn score_at_time(&self, at: &Self::AtTime, x: &[S; D]) -> ([S; D], Status) {
        self.score_prepared(at, x)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
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
    fn file_order_ids_address_their_parameters() {
        let mut rng = crate::DefaultRng::seed_from_u64(4);
        let mut p = Params::<f64, 2, 3, 2>::init(&mut rng);
        let mut k = 0.0;
        for s in p.slices_mut() {
            for v in s.iter_mut() {
                k += 1.0;
                *v = k;
            }
        }
        assert_eq!(k as usize, Params::<f64, 2, 3, 2>::COUNT);
        let mut seen = 0;
        let ids: std::vec::Vec<(ParamId, std::vec::Vec<f64>)> = p.tensors().map(|(id, s)| (id, s.to_vec())).collect();
        for (id, s) in ids {
            for (i, v) in s.iter().enumerate() {
                assert_eq!(*p.param_mut(id.offset(i)).unwrap(), *v, "{}", id.offset(i));
                seen += 1;
            }
        }
        assert_eq!(seen, Params::<f64, 2, 3, 2>::COUNT);
        assert!(p.param_mut(Params::<f64, 2, 3, 2>::param_id(Tensor::WH, 18)).is_none());
    }

    #[test]
    fn convert_names_the_bad_parameter() {
        let mut rng = crate::DefaultRng::seed_from_u64(2);
        let mut m = ScoreMlp::<f32, 2, 4, 1>::new_random(pc(), &mut rng).unwrap();
        m.params.hidden[0].w[1][2] = 200.0;
        assert!(m.convert::<fixed::types::I16F16>().is_ok());
        let e = m.convert::<fixed::types::I8F24>().unwrap_err();
        assert_eq!(e.param.tensor, Tensor::WH);
        extern crate std;
        assert!(std::format!("{e}").contains("w_h[0][1][2] = 200"));
    }
}
