//! A learned score `s_theta(x, t)`: a tiny fixed-size network, its training by score
//! matching (MATH.md sections 3 and 4), the `lambda(t)`-weighted loss and a model file.
//!
//! * [`model`]: [`ScoreMlp`], every size a const generic, forward pass in every
//!   [`Scalar`](crate::Scalar) type; implements [`ScoreSource`](crate::score_source::ScoreSource).
//! * [`backprop`] and [`adam`]: gradients and the Adam optimiser in `f32`/`f64`
//!   (state in fixed-size arrays: training runs on a microcontroller too).
//! * [`weighting`], [`objective`], [`accumulator`]: the time weights, Monte Carlo draws of
//!   `(t, x)` with the exact or the denoising target, and the streaming loss accumulator
//!   (exact wide sums, standard error, time bins, merge).
//! * [`train`]: one Monte Carlo score-matching step against the exact mixture score.
//! * [`model_file`]: the byte format of trained weights (header, parameters, CRC-32).

pub mod accumulator;
pub mod adam;
pub mod backprop;
pub mod model;
pub mod model_file;
pub mod objective;
pub mod train;
pub mod weighting;

pub use accumulator::{Estimate, LossAccumulator, Moments};
pub use model::{Params, Preconditioning, ScoreMlp, Tensor, TimeConsts};
pub use objective::Target;
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
