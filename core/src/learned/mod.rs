//! A learned score `s_theta(x, t)`: a tiny fixed-size network, its training by score
//! matching (MATH.md sections 3 and 4), the `lambda(t)`-weighted loss and a model file.
//!
//! * [`layer`]: the layers ([`Dense`], [`Linear`]), the activation ([`Tanh`]) and the flat
//!   parameter view ([`Parameters`]) the network and the optimiser are built from.
//! * [`model`]: [`ScoreMlp`], every size a const generic, forward pass in every
//!   [`Scalar`](crate::Scalar) type; implements [`ScoreSource`](crate::score_source::ScoreSource).
//! * [`time`]: validated times ([`Time`]) and training-time distributions ([`TrainingTimes`]).
//! * [`backprop`] and [`adam`]: gradients and the Adam optimiser in `f32`/`f64`
//!   (state in fixed-size arrays: training runs on a microcontroller too).
//! * [`weighting`], [`objective`], [`accumulator`]: the time weights, Monte Carlo draws of
//!   `(t, x)` with the exact or the denoising target, and the streaming loss accumulator
//!   (exact wide sums, standard error, time bins, merge).
//! * [`ema`]: the exponential moving average of the parameters ([`Ema`](ema::Ema)), the
//!   weights a trained model is sampled with.
//! * [`train`]: one Monte Carlo score-matching step against the exact mixture score, or one
//!   denoising score-matching step on clean samples from any [`CleanSamples`] source
//!   (with the denoising target, or the stable target over a reference of clean samples).
//! * [`model_file`]: the byte format of trained weights (header, parameters, CRC-32).
//! * [`quant`]: [`QuantMlp`](quant::QuantMlp), the network in integers (`q8`: int8 weights,
//!   Q15 activations, 32-bit accumulators), its calibration, error bound and report.

pub mod accumulator;
pub mod adam;
pub mod backprop;
pub mod ema;
pub mod layer;
pub mod model;
pub mod model_file;
pub mod objective;
pub mod quant;
pub mod time;
pub mod train;
pub mod weighting;

pub use accumulator::{Estimate, LossAccumulator, MergeMismatch, Moments};
pub use layer::{Activation, Dense, Linear, Parameters, Tanh};
pub use model::{ParamError, ParamId, Params, PrecondError, Preconditioning, ScoreMlp, Tensor, TimeConsts};
pub use model_file::ModelFileError;
pub use objective::{McConfig, ObjectiveError, Target};
pub use time::{Time, TimeError, TimeSampling, TrainingTimes};
pub use train::{CleanSamples, TrainConfig, TrainError, Trainer};
pub use weighting::Weighting;

/// The float types in which the model can be trained (`f32`, `f64`): their own working type.
pub trait Float: crate::mixture::MixtureScalar<Work = Self> + crate::Real {
    /// Round an `f64` (saturation is impossible for finite values that fit `f32`).
    fn lit(v: f64) -> Self {
        Self::from_f64_saturating(v).0
    }
    /// The value as `f64`.
    fn as_f64(self) -> f64 {
        self.to_f64_lossy()
    }
}
impl Float for f32 {}
impl Float for f64 {}
