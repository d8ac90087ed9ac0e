//! Run-time dimension and component count over the core's compile-time ones.
//!
//! The core fixes `D` and the capacity `K` at compile time; the CLI reads them from a file.
//! [`AnyMixture`] holds a mixture for each supported `D` with capacity [`MAX_COMPONENTS`],
//! and [`with_mixture!`](crate::with_mixture) runs generic code on whichever it holds.

use tinyscore::mixture::{GaussianMixture, MixtureError};

use crate::mixture_file::MixtureSpec;

/// Largest number of components the CLI accepts.
pub const MAX_COMPONENTS: usize = 16;
/// Largest number of dimensions the CLI accepts.
pub const MAX_DIMS: usize = 4;

/// A validated mixture in 1 to [`MAX_DIMS`] dimensions.
///
/// Variants differ in size (up to 1.2 KiB); there are only ever a handful alive.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum AnyMixture {
    /// D = 1
    D1(GaussianMixture<1, MAX_COMPONENTS>),
    /// D = 2
    D2(GaussianMixture<2, MAX_COMPONENTS>),
    /// D = 3
    D3(GaussianMixture<3, MAX_COMPONENTS>),
    /// D = 4
    D4(GaussianMixture<4, MAX_COMPONENTS>),
}

impl AnyMixture {
    /// Build from a spec whose shapes are consistent.
    pub fn from_spec(spec: &MixtureSpec) -> Result<AnyMixture, MixtureError> {
        Ok(match spec.dims() {
            1 => AnyMixture::D1(spec.to_core()?),
            2 => AnyMixture::D2(spec.to_core()?),
            3 => AnyMixture::D3(spec.to_core()?),
            _ => AnyMixture::D4(spec.to_core()?),
        })
    }

    /// The number of dimensions.
    pub fn dims(&self) -> usize {
        match self {
            AnyMixture::D1(_) => 1,
            AnyMixture::D2(_) => 2,
            AnyMixture::D3(_) => 3,
            AnyMixture::D4(_) => 4,
        }
    }
}

/// Run `$body` with `$gm` bound to the `GaussianMixture<D, MAX_COMPONENTS>` inside an
/// [`AnyMixture`]; `D` is available as a const in the body via `{ $gm.dims() }` patterns.
#[macro_export]
macro_rules! with_mixture {
    ($any:expr, $gm:ident => $body:expr) => {
        match $any {
            $crate::dims::AnyMixture::D1($gm) => $body,
            $crate::dims::AnyMixture::D2($gm) => $body,
            $crate::dims::AnyMixture::D3($gm) => $body,
            $crate::dims::AnyMixture::D4($gm) => $body,
        }
    };
}
