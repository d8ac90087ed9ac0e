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

/// The parameters of a mixture at one time `t`, exact (`f64`), from which a kernel
/// derives its tables. Rows past `len` are zero.
#[derive(Clone, Copy, Debug)]
pub struct ExactParams<const D: usize, const K: usize> {
    /// Number of components; 0 when the general evaluation must answer everywhere (a
    /// constant did not fit the scalar type): the kernel is then disabled.
    pub len: usize,
    /// `log w_j - 1/2 sum_d log(2 pi v_jd)`.
    pub log_norm: [f64; K],
    /// `mu_jd`.
    pub mean: [[f64; D]; K],
    /// `v_jd = std_jd^2 + sigma^2 t`.
    pub var: [[f64; D]; K],
}

/// A fast score kernel for the scalar type `S` (see the module documentation).
pub trait FastScore<S, const D: usize, const K: usize>: Clone + Debug {
    /// Derive the kernel's tables. A mixture the kernel cannot represent gives a kernel
    /// whose [`FastScore::score`] always returns `None`.
    fn build(params: &ExactParams<D, K>) -> Self;
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
    fn build(_: &ExactParams<D, K>) -> Self {
        NoFastScore
    }
    #[inline(always)]
    fn score(&self, _: &[S; D]) -> Option<[S; D]> {
        None
    }
}
