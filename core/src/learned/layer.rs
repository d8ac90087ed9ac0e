//! The building blocks of the score network: a fully connected layer ([`Dense`]), a
//! bias-free weight block ([`Linear`]), the activation ([`Activation`], [`Tanh`]) and the
//! flat view of any parameter container ([`Parameters`]).
//!
//! Each block knows its forward pass (in the working type `S::Work`), its back-propagation
//! (floats), its term of the a-priori fixed-point error bound and its tensors as flat
//! slices; [`ScoreMlp`](super::ScoreMlp) only composes them. A new layer kind or a new
//! activation is written here, once.
//!
//! # Operation order
//! A pre-activation starts from the bias and adds `w_ij x_j` in input order, each product
//! formed in the working type (`S::Work`: every product rounded once, the sums exact in
//! Q32.32 for the fixed types); for `f32` rows of 8 or more inputs the products go into four
//! partial sums, added to the bias at the end ([`dot_add_f32`](crate::num::dot_add_f32)).
//! A bias-free block adds its products to a pre-activation the same way. The results do not
//! depend on anything else (bit for bit on every target).

use super::Float;
use crate::{Real, Scalar};

/// An activation applied elementwise after a layer's affine map.
///
/// The fixed-point error bound ([`ScoreMlp::fixed_error_bound`](super::ScoreMlp::fixed_error_bound))
/// assumes the activation is 1-Lipschitz, bounded by [`Activation::OUTPUT_BOUND`] and
/// evaluated in fixed point within [`Activation::FIXED_ERROR`].
pub trait Activation {
    /// `sup |act(a)|`: the magnitude bound of the next layer's inputs.
    const OUTPUT_BOUND: f64;
    /// Bound of `|act_fixed(a) - act(a)|` in the Q32.32 working type.
    const FIXED_ERROR: f64;

    /// `act(a)` in the working type `W`.
    fn apply<W: Real>(a: W) -> W;

    /// `dL/da` from the output `y = act(a)` and `g = dL/dy` (floats).
    fn backward<F: Float>(y: F, g: F) -> F;

    /// Apply the activation to every pre-activation in place; `true` if one of them was at
    /// the limit of `W` (saturated fixed point, or not finite).
    fn apply_all<W: Real>(a: &mut [W]) -> bool {
        let mut lim = false;
        for v in a.iter_mut() {
            lim |= v.is_limit();
            *v = Self::apply(*v);
        }
        lim
    }
}

/// `tanh`: bounded by 1, 1-Lipschitz, `tanh' = 1 - tanh^2`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl Activation for Tanh {
    const OUTPUT_BOUND: f64 = 1.0;
    /// 2^-29 (see [`tanh`]).
    const FIXED_ERROR: f64 = 1.0 / 536_870_912.0;

    #[inline]
    fn apply<W: Real>(a: W) -> W {
        tanh(a)
    }

    #[inline]
    fn backward<F: Float>(y: F, g: F) -> F {
        g * (F::ONE - y * y)
    }

    /// [`Real::tanh_all`] (for `f32` one integer test per value decides both the clamp of
    /// the rational and the limit flag).
    #[inline]
    fn apply_all<W: Real>(a: &mut [W]) -> bool {
        W::tanh_all(a)
    }
}

/// `tanh(a)` as the network evaluates it ([`Real::tanh_fast`]): for `f64` to the working
/// precision and for fixed point within 2^-27, from one `exp` of a non-positive argument,
/// `sign(a) (1 - e) / (1 + e)`, `e = exp(-2|a|) <= 1` (no overflow in fixed point; the fast
/// `exp` and division of [`Real::exp_nonpos`] and [`Real::div_fast`], 32-bit multiplies
/// only); for `f32` the rational [`tanh_f32`](crate::num::tanh_f32), relative error 5e-7.
///
/// # Examples
/// ```
/// use tinyscore::learned::layer::tanh;
/// assert!((tanh(0.5f64) - 0.5f64.tanh()).abs() < 1e-15);
/// assert!((f64::from(tanh(0.5f32)) - 0.5f64.tanh()).abs() < 5e-7 * 0.5f64.tanh());
/// ```
#[inline]
pub fn tanh<W: Real>(a: W) -> W {
    a.tanh_fast()
}

/// The rounding model of a fixed-point evaluation, for the a-priori error bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FixedRounding {
    /// Rounding of a stored parameter, `q = lsb / 2` (2^-17 for `I16F16`, 2^-25 for `I8F24`).
    pub param: f64,
    /// Rounding of one Q32.32 product, `r = 2^-33`.
    pub product: f64,
}

impl FixedRounding {
    /// The rounding of a fixed type with unit `lsb`, working in Q32.32.
    pub fn new(lsb: f64) -> Self {
        FixedRounding { param: lsb * 0.5, product: 1.0 / 8_589_934_592.0 }
    }

    /// The part of a unit's error bound that does not depend on the weights: its bias
    /// rounding `q`, the activation's error and one product rounding per input and one more.
    pub fn row_start(&self, fan_in: usize, act_error: f64) -> f64 {
        self.param + act_error + (fan_in + 1) as f64 * self.product
    }
}

/// `a_i += sum_j w_ij x_j` by [`Scalar::dot_add`]: in input order, each product in the
/// working type (four partial sums for `f32`).
#[inline]
fn mat_add<S: Scalar, const IN: usize, const OUT: usize>(
    w: &[[S; IN]; OUT],
    x: &[S::Work; IN],
    a: &mut [S::Work; OUT],
) {
    for (ai, row) in a.iter_mut().zip(w.iter()) {
        *ai = S::dot_add(*ai, row, x);
    }
}

/// `g_w_ij += g_a_i x_j`.
#[inline]
fn mat_grad<F: Float, const IN: usize, const OUT: usize>(g_w: &mut [[F; IN]; OUT], x: &[F; IN], g_a: &[F; OUT]) {
    for (row, &ga) in g_w.iter_mut().zip(g_a.iter()) {
        for (g, &xj) in row.iter_mut().zip(x.iter()) {
            *g = *g + ga * xj;
        }
    }
}

/// `acc_i += sum_j (|w_ij| e_j + q m)`: the error carried from the inputs (errors `e_j`,
/// magnitudes `<= m`) and the rounding `q` of each weight.
fn mat_error<S: Scalar, const IN: usize, const OUT: usize>(
    w: &[[S; IN]; OUT],
    rounding: &FixedRounding,
    e_in: &[f64; IN],
    magnitude: f64,
    acc: &mut [f64; OUT],
) {
    let q = rounding.param;
    for (ai, row) in acc.iter_mut().zip(w.iter()) {
        for (wij, ej) in row.iter().zip(e_in.iter()) {
            *ai += libm::fabs(wij.to_f64()) * ej + q * magnitude;
        }
    }
}

/// A bias-free block of weights, `W x` (`W` is `OUT x IN`, row-major `[out][in]`): an
/// extra input of a layer, added to that layer's pre-activation.
///
/// # Examples
/// ```
/// use tinyscore::learned::layer::Linear;
/// let f = Linear::<f64, 2, 1> { w: [[0.5, -1.0]] };
/// let mut a = [1.0];
/// f.accumulate(&[2.0, 0.25], &mut a);
/// assert_eq!(a, [1.75]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear<S, const IN: usize, const OUT: usize> {
    /// Weights, row-major `[out][in]`.
    pub w: [[S; IN]; OUT],
}

impl<S: Scalar, const IN: usize, const OUT: usize> Linear<S, IN, OUT> {
    /// All zero.
    pub fn zeroed() -> Self {
        Linear { w: [[S::default(); IN]; OUT] }
    }

    /// `a_i += sum_j w_ij x_j` in the working type, inputs in order.
    #[inline]
    pub fn accumulate(&self, x: &[S::Work; IN], a: &mut [S::Work; OUT]) {
        mat_add(&self.w, x, a);
    }

    /// Add this block's terms to the error bounds `acc` of the layer's pre-activations:
    /// `sum_j |w_ij| e_j + q magnitude` (inputs with errors `e_in`, magnitudes `<= magnitude`).
    pub fn error_terms(&self, rounding: &FixedRounding, e_in: &[f64; IN], magnitude: f64, acc: &mut [f64; OUT]) {
        mat_error(&self.w, rounding, e_in, magnitude, acc);
    }

    /// The weights as one flat row-major slice.
    pub fn tensor(&self) -> &[S] {
        self.w.as_flattened()
    }

    /// The weights as one flat row-major mutable slice.
    pub fn tensor_mut(&mut self) -> &mut [S] {
        self.w.as_flattened_mut()
    }

    /// Every weight through `f`.
    pub fn map<T>(&self, mut f: impl FnMut(S) -> T) -> Linear<T, IN, OUT> {
        Linear { w: self.w.map(|row| row.map(&mut f)) }
    }
}

impl<F: Float, const IN: usize, const OUT: usize> Linear<F, IN, OUT> {
    /// Add the gradient of the weights, `g_a x^T`, to `grad` (`g_a`: gradient of the
    /// pre-activations).
    #[inline]
    pub fn backward(x: &[F; IN], g_a: &[F; OUT], grad: &mut Self) {
        mat_grad(&mut grad.w, x, g_a);
    }
}

/// A fully connected layer `a = b + W x` (`W` is `OUT x IN`, row-major `[out][in]`); the
/// activation, if any, is applied by the network.
///
/// # Examples
/// ```
/// use tinyscore::learned::layer::Dense;
/// let layer = Dense::<f64, 2, 1> { w: [[1.0, 2.0]], b: [0.5] };
/// let mut a = [0.0];
/// layer.forward(&[3.0, -1.0], &mut a);
/// assert_eq!(a, [1.5]);
/// // Back-propagation: gradient of the weights and bias, and of the inputs.
/// let mut grad = Dense::zeroed();
/// Dense::backward(&[3.0, -1.0], &[1.0], &mut grad);
/// assert_eq!((grad.w, grad.b), ([[3.0, -1.0]], [1.0]));
/// assert_eq!(layer.input_gradient(&[1.0]), [1.0, 2.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dense<S, const IN: usize, const OUT: usize> {
    /// Weights, row-major `[out][in]`.
    pub w: [[S; IN]; OUT],
    /// Bias.
    pub b: [S; OUT],
}

impl<S: Scalar, const IN: usize, const OUT: usize> Dense<S, IN, OUT> {
    /// All zero.
    pub fn zeroed() -> Self {
        Dense { w: [[S::default(); IN]; OUT], b: [S::default(); OUT] }
    }

    /// The pre-activations `a_i = b_i + sum_j w_ij x_j` in the working type (bias first,
    /// then the inputs in order).
    #[inline]
    pub fn forward(&self, x: &[S::Work; IN], a: &mut [S::Work; OUT]) {
        for (ai, &bi) in a.iter_mut().zip(self.b.iter()) {
            *ai = bi.to_work();
        }
        mat_add(&self.w, x, a);
    }

    /// The error bounds of the pre-activations in a fixed-point evaluation, given input
    /// errors `e_in`, input magnitudes `<= magnitude` and the error `act_error` of the
    /// activation that follows (0 for none):
    /// `q + act_error + (IN + 1) r + sum_j (|w_ij| e_j + q magnitude)`.
    pub fn error_bound(
        &self,
        rounding: &FixedRounding,
        e_in: &[f64; IN],
        magnitude: f64,
        act_error: f64,
    ) -> [f64; OUT] {
        let mut acc = [rounding.row_start(IN, act_error); OUT];
        self.error_terms(rounding, e_in, magnitude, &mut acc);
        acc
    }

    /// Add the weights' terms `sum_j |w_ij| e_j + q magnitude` to `acc` (for a layer with
    /// further input blocks, whose [`FixedRounding::row_start`] counts every input).
    pub fn error_terms(&self, rounding: &FixedRounding, e_in: &[f64; IN], magnitude: f64, acc: &mut [f64; OUT]) {
        mat_error(&self.w, rounding, e_in, magnitude, acc);
    }

    /// The tensors as flat slices: weights (row-major), bias.
    pub fn tensors(&self) -> [&[S]; 2] {
        [self.w.as_flattened(), &self.b]
    }

    /// The tensors as flat mutable slices: weights (row-major), bias.
    pub fn tensors_mut(&mut self) -> [&mut [S]; 2] {
        [self.w.as_flattened_mut(), &mut self.b]
    }

    /// Every parameter through `f`.
    pub fn map<T>(&self, mut f: impl FnMut(S) -> T) -> Dense<T, IN, OUT> {
        Dense { w: self.w.map(|row| row.map(&mut f)), b: self.b.map(f) }
    }
}

impl<F: Float, const IN: usize, const OUT: usize> Dense<F, IN, OUT> {
    /// Add the gradient of the weights and bias (`g_a x^T` and `g_a`) to `grad`, `g_a`
    /// being the gradient of the pre-activations at inputs `x`.
    #[inline]
    pub fn backward(x: &[F; IN], g_a: &[F; OUT], grad: &mut Self) {
        mat_grad(&mut grad.w, x, g_a);
        for (g, &ga) in grad.b.iter_mut().zip(g_a.iter()) {
            *g = *g + ga;
        }
    }

    /// [`Dense::backward`] and [`Dense::input_gradient`] in one pass over the weights: the
    /// same operations in the same order (so the same bits), one loop instead of two.
    #[inline]
    pub fn backward_through(&self, x: &[F; IN], g_a: &[F; OUT], grad: &mut Self) -> [F; IN] {
        let mut g_x = [F::ZERO; IN];
        let rows = self.w.iter().zip(grad.w.iter_mut()).zip(g_a.iter().zip(grad.b.iter_mut()));
        for ((row, g_row), (&ga, gb)) in rows {
            for (((gx, &wij), g), &xj) in g_x.iter_mut().zip(row.iter()).zip(g_row.iter_mut()).zip(x.iter()) {
                *g = *g + ga * xj;
                *gx = *gx + wij * ga;
            }
            *gb = *gb + ga;
        }
        g_x
    }

    /// The gradient of the inputs, `W^T g_a` (rows summed in order).
    #[inline]
    pub fn input_gradient(&self, g_a: &[F; OUT]) -> [F; IN] {
        let mut g_x = [F::ZERO; IN];
        for (row, &ga) in self.w.iter().zip(g_a.iter()) {
            for (gx, &wij) in g_x.iter_mut().zip(row.iter()) {
                *gx = *gx + wij * ga;
            }
        }
        g_x
    }
}

/// A container of parameters seen as flat slices, in one fixed order (the same for every
/// value of the type): what an optimiser steps.
///
/// # Examples
/// ```
/// use tinyscore::learned::layer::Parameters;
/// let mut p = <[f32; 3] as Parameters>::zeroed();
/// for s in p.slices_mut() {
///     s.fill(1.5);
/// }
/// assert_eq!(p.slices().map(|s| s.len()).sum::<usize>(), 3);
/// assert_eq!(p, [1.5; 3]);
/// ```
pub trait Parameters {
    /// The parameter type.
    type Elem: Copy + Default + core::fmt::Debug;

    /// All zero (the default value of `Elem`).
    fn zeroed() -> Self;

    /// The parameters as flat slices.
    fn slices(&self) -> impl Iterator<Item = &[Self::Elem]>;

    /// The parameters as flat mutable slices, in the order of [`Parameters::slices`].
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [Self::Elem]>;
}

impl<T: Copy + Default + core::fmt::Debug, const N: usize> Parameters for [T; N] {
    type Elem = T;

    fn zeroed() -> Self {
        [T::default(); N]
    }

    fn slices(&self) -> impl Iterator<Item = &[T]> {
        core::iter::once(self.as_slice())
    }

    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [T]> {
        core::iter::once(self.as_mut_slice())
    }
}

impl<S: Scalar, const IN: usize, const OUT: usize> Parameters for Dense<S, IN, OUT> {
    type Elem = S;

    fn zeroed() -> Self {
        Dense::zeroed()
    }

    fn slices(&self) -> impl Iterator<Item = &[S]> {
        self.tensors().into_iter()
    }

    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [S]> {
        self.tensors_mut().into_iter()
    }
}
