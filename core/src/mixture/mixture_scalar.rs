//! [`MixtureScalar`]: the mixture's one per-type specialisation.

use fixed::types::{I16F16, I8F24};

use super::batch::{self, PreparedBatch};
use super::fast::{FastScore, NoFastScore};
use super::fast_f32::FastScoreF32;
use super::fast_q16::FastScoreQ16;
use super::scaled::{Fallback, NoFallback, ScaledEvaluation};
use crate::{Scalar, Status};

/// A [`Scalar`] the mixture can be evaluated in (all four of the crate): names the type's
/// fast score kernel ([`super::fast`]) and its batch kernel ([`super::batch`]). The exact
/// (wide) evaluation is generic and needs nothing from here.
///
/// | type | fast kernel | batch kernel |
/// |---|---|---|
/// | `f64` | none | point by point |
/// | `f32` | [`FastScoreF32`] | blocks of [`batch::LANES`], vectorised |
/// | `I16F16` | [`FastScoreQ16`] | point by point |
/// | `I8F24` | none | point by point |
pub trait MixtureScalar: Scalar {
    /// The type's fast score kernel, tried before the general evaluation by
    /// [`PreparedMixture::score`](super::PreparedMixture::score) and
    /// [`PreparedMixture::log_density`](super::PreparedMixture::log_density).
    type FastScore<const D: usize, const K: usize>: FastScore<Self, D, K>;

    /// The type's evaluation for extreme parameters and points ([`super::scaled`]): `f32`
    /// and `f64` have one, the fixed-point types none.
    #[doc(hidden)]
    type Fallback<const D: usize, const K: usize>: Fallback<Self, D, K>;

    /// Evaluate `xs` (`lp` / `sc` are written when `LOGP` / `SCORE`); the default evaluates
    /// point by point with the scalar path.
    #[doc(hidden)]
    fn batch_kernel<const D: usize, const K: usize, const SCORE: bool, const LOGP: bool>(
        p: &PreparedBatch<Self, D, K>,
        xs: &[[Self; D]],
        lp: &mut [Self],
        sc: &mut [[Self; D]],
    ) -> Status {
        batch::pointwise::<Self, D, K, SCORE, LOGP>(p.scalar(), xs, lp, sc)
    }
}

impl MixtureScalar for f64 {
    type Fallback<const D: usize, const K: usize> = ScaledEvaluation<D, K>;
    type FastScore<const D: usize, const K: usize> = NoFastScore<D, K>;
}

impl MixtureScalar for f32 {
    type Fallback<const D: usize, const K: usize> = ScaledEvaluation<D, K>;
    type FastScore<const D: usize, const K: usize> = FastScoreF32<D, K>;

    #[inline(always)]
    fn batch_kernel<const D: usize, const K: usize, const SCORE: bool, const LOGP: bool>(
        p: &PreparedBatch<Self, D, K>,
        xs: &[[Self; D]],
        lp: &mut [Self],
        sc: &mut [[Self; D]],
    ) -> Status {
        batch::kernel_f32::<D, K, SCORE, LOGP>(p, xs, lp, sc)
    }
}

impl MixtureScalar for I16F16 {
    type Fallback<const D: usize, const K: usize> = NoFallback;
    type FastScore<const D: usize, const K: usize> = FastScoreQ16<D, K>;
}

impl MixtureScalar for I8F24 {
    type Fallback<const D: usize, const K: usize> = NoFallback;
    type FastScore<const D: usize, const K: usize> = NoFastScore<D, K>;
}
