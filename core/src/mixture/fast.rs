//! Fast score kernels, one per scalar type, tried first by [`PreparedMixture::score`] (and,
//! where the kernel has one, by [`PreparedMixture::log_density`]).
//!
//! A kernel works in the scalar's own width (`f32` arithmetic for `f32`, 32-bit integers
//! for `I16F16`) and answers only where that width is enough for the accuracy the
//! general evaluation guarantees: near the mixture, where the largest responsibility-
//! carrying log-likelihood is small. Everywhere else (tails, saturation, non-finite
//! input) it returns `None` and the general evaluation, with its wide log-likelihoods,
//! answers. Both paths are deterministic, so results stay bit for bit the same on every
//! target.
//!
//! [`PreparedMixture::score`]: super::PreparedMixture::score
//! [`PreparedMixture::log_density`]: super::PreparedMixture::log_density

use core::fmt::Debug;

use super::TimeConstants;

/// A fast score kernel for the scalar type `S` (see the module documentation).
pub trait FastScore<S, const D: usize, const K: usize>: Clone + Debug {
    /// Derive the kernel's tables. A mixture the kernel cannot represent gives a kernel
    /// whose [`FastScore::score`] always returns `None`.
    fn build(params: &TimeConstants<D, K>) -> Self;
    /// The score at `x`, or `None` where the general evaluation must answer.
    fn score(&self, x: &[S; D]) -> Option<[S; D]>;
    /// The log-density at `x`, or `None` where the general evaluation must answer (the
    /// default: no fast log-density).
    #[inline(always)]
    fn log_density(&self, _x: &[S; D]) -> Option<S> {
        None
    }
}

/// No fast kernel: the general evaluation always answers (`f64`, `I8F24`).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFastScore<const D: usize, const K: usize>;

impl<S, const D: usize, const K: usize> FastScore<S, D, K> for NoFastScore<D, K> {
    #[inline(always)]
    fn build(_: &TimeConstants<D, K>) -> Self {
        NoFastScore
    }
    #[inline(always)]
    fn score(&self, _: &[S; D]) -> Option<[S; D]> {
        None
    }
}
