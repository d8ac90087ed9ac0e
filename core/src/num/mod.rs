//! The numeric leaf: storage types, working arithmetic and every `exp`/`ln`/reciprocal kernel.
//!
//! Nothing here knows about mixtures, networks or samplers; every algorithm module builds
//! on it.
//!
//! * [`Scalar`]: the storage types `f64`, `f32`, [`I16F16`](fixed::types::I16F16),
//!   [`I8F24`](fixed::types::I8F24) (inputs and results).
//! * [`Real`]: the arithmetic each works in (`f64`, `f32`, and the saturating Q32.32
//!   [`SatI32F32`] for the fixed types).
//! * [`WideReal`]: the wider type in which each mixture component's log-likelihood is
//!   formed (`f64` for `f32`, the double-double [`DoubleF64`] for `f64`), and
//!   [`ScaledDoubleF64`], a double-double with its own exponent for the rare evaluations
//!   whose intermediates leave the range of `f64`.
//! * Kernels, each with its accuracy in its documentation and a test that proves it:
//!
//! | kernel | type | job | error |
//! |---|---|---|---|
//! | [`exp_q32`], [`ln_q32`] | Q32.32 | exact-to-the-LSB `exp`, `ln` | 0.5 LSB + 2^-41 e^x; 0.5 LSB + 2^-20 LSB |
//! | [`exp_fixed`], [`ln_fixed`] | `I16F16`, `I8F24` | the same, rounded to the type | 0.5 LSB + 2^-8 LSB |
//! | [`exp_nonpos_fast_q32`] | Q32.32, `x <= 0` | softmax `exp`, 32-bit products | 2^-28 absolute |
//! | [`div_fast_q32`] | Q32.32 | division, 32-bit products | 2^-28 relative + 1 LSB |
//! | [`exp_f32`] | `f32`, `x <= 0` | branch-free `exp` (vectorises) | 2 ulp |
//! | [`exp_nonpos_f32`] | `f32`, `x <= 0` | table `exp` for scalar loops | 2 ulp |
//! | [`tanh_f32`] | `f32` | the network's `tanh`, rational, no `exp` | 5e-7 relative |
//! | [`dot_add_f32`] | `f32` | the network's rows, 4 partial sums | the float sum's (`N u`) |
//! | [`ln_f64`] | `f64` | branch-free `ln` (vectorises) | 4e-16 + 2^-51 abs(ln x) |
//! | [`neg_exp2_q21`] | Q11.21 to Q5.27 | `-2^-y` of the `I16F16` mixture kernel | 2^-22 relative + 2^-26 |
//! | [`ln_weight_sum_q32`] | Q5.27 to Q.32 | `ln` of its weight sum | 2^-28 absolute |
//! | [`recip_q58`] | `u32` | `2^58 / s` of its weight sum | 2^-23 relative |
//!
//! # Names
//! `f32` and `f64` are both a [`Scalar`] and a [`Real`] (and `f64` is also the [`WideReal`]
//! of `f32`), so the three traits share no method or constant name:
//! [`Scalar::from_f64`] gives a [`Status`](crate::Status), [`Real::from_f64_saturating`] a
//! `bool`; [`Real::to_f64_lossy`] is exact except for `SatI32F32` beyond 2^21; every
//! [`WideReal`] operation is prefixed `wide_` (`WIDE_ZERO`, `wide_add`, ...).

mod exp2_q21;
mod exp_ln_q32;
mod fast_q32;
mod ln_sum_q32;
mod net_f32;
mod poly;
mod q32;
mod real;
mod recip_q58;
mod scalar;
mod scaled;
mod table;
mod wide;

pub use exp2_q21::{neg_exp2_q21, NEG_EXP2_Q21_CUT};
pub use exp_ln_q32::{exp_fixed, exp_q32, ln_fixed, ln_q32};
pub use fast_q32::{div_fast_q32, exp_nonpos_fast_q32};
pub use ln_sum_q32::ln_weight_sum_q32;
pub use net_f32::{dot_add_f32, tanh_all_f32, tanh_f32};
pub use poly::{exp_f32, exp_nonpos_f32, ln_f64};
pub use q32::SatI32F32;
pub use real::Real;
pub use recip_q58::recip_q58;
pub use scalar::Scalar;
pub use scaled::ScaledDoubleF64;
pub use table::masked_entry;
pub(crate) use table::mul_hi;
pub use wide::{DoubleF64, WideReal};

/// `ln(2 pi)`, rounded to `f64`: the normalising constant of a Gaussian, `-1/2 ln(2 pi v)`
/// per dimension.
pub const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// `ln 2` in Q0.32 (rounded to nearest): `2_977_044_472 / 2^32`.
pub const LN2_Q32: u32 = 2_977_044_472;

#[cfg(test)]
mod tests {
    #[test]
    fn ln_2pi_is_ln_of_2pi() {
        assert!((super::LN_2PI - libm::log(2.0 * core::f64::consts::PI)).abs() <= 4.5e-16);
    }
}
