//! # tinyscore
//!
//! A `no_std`, allocation-free numerical core for score-based generative models, meant
//! to run unchanged on a desktop and on 32-bit microcontrollers.
//!
//! * [`mixture`]: a diagonal Gaussian mixture diffused by Brownian motion of scale
//!   `sigma` (variance `std^2 + sigma^2 t`), its log-density and its score
//!   (MATH.md, Eq. 57) in the numerically stable log-sum-exp form, and exact sampling.
//! * [`num`]: the scalar types every algorithm is generic over (`f64`, `f32`,
//!   [`I16F16`](fixed::types::I16F16) and [`I8F24`](fixed::types::I8F24)), the arithmetic
//!   they work in, and every `exp`/`ln`/reciprocal kernel, each with its measured worst error.
//!
//! Nothing here allocates, uses `unsafe` or panics: bad parameters are reported as typed
//! errors, and fixed-point results that leave the representable range saturate and are
//! flagged with [`Status::Saturated`].
//!
//! ```
//! use tinyscore::mixture::{Component, GaussianMixture};
//! let gm = GaussianMixture::<1, 4>::new(
//!     1.0,
//!     &[
//!         Component { weight: 0.25, mean: [-2.0], std: [0.5] },
//!         Component { weight: 0.75, mean: [1.0], std: [0.3] },
//!     ],
//! )
//! .unwrap();
//! let at_t = gm.prepare::<f32>(0.5).unwrap();
//! let e = at_t.evaluate(&[0.0f32]);
//! assert!(e.status.is_ok());
//! assert!(e.log_density < 0.0 && e.score[0] > 0.0);
//! ```
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
// "No panics" enforced, not by convention: indexing, unwrap, expect and panic! are compile
// errors in the core (tests may use them).
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![deny(missing_docs)]

pub mod learned;
pub mod mixture;
pub mod noise;
pub mod num;
pub mod sampler;
pub mod sampling;
pub mod score_source;
pub mod start;
mod status;
pub mod time_grid;

pub use num::{Real, Scalar};
pub use status::Status;

/// The pseudo-random generator recommended on 32-bit targets: small state (16 bytes),
/// 32-bit output, fast on cores without 64-bit arithmetic.
pub type DefaultRng = rand_xoshiro::Xoshiro128PlusPlus;
