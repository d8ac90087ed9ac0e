//! The Adam optimiser (Kingma & Ba, 2015) over any [`Parameters`] container.
//!
//! State: two containers of the parameters' shape (first and second moments) plus the
//! running powers of `beta1` and `beta2` for the bias correction; no allocation. Adam does
//! not know the network: it steps flat slices, element by element.

use super::layer::Parameters;
use super::Float;
use crate::Real;

/// Adam state for parameters of type `P` (a [`Params`](super::Params), a layer, an array).
///
/// # Examples
/// ```
/// use tinyscore::learned::adam::Adam;
/// let mut p = [0.0f64, 1.0];
/// let mut adam = Adam::<[f64; 2]>::new();
/// // First step: m_hat = g, v_hat = g^2, so each parameter moves by lr against sign(g).
/// adam.step(&mut p, &[3.0, -0.5], 0.01, 1.0);
/// assert!((p[0] + 0.01).abs() < 1e-9 && (p[1] - 1.01).abs() < 1e-9);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Adam<P: Parameters> {
    m: P,
    v: P,
    beta1_pow: P::Elem,
    beta2_pow: P::Elem,
    /// First-moment decay (default 0.9).
    pub beta1: P::Elem,
    /// Second-moment decay (default 0.999).
    pub beta2: P::Elem,
    /// Denominator guard (default 1e-8).
    pub eps: P::Elem,
}

impl<P: Parameters> Default for Adam<P>
where
    P::Elem: Float,
{
    fn default() -> Self {
        Self::new()
    }
}

/// The constants of one Adam step.
#[derive(Clone, Copy, Debug)]
struct StepConsts<F> {
    b1: F,
    b2: F,
    /// `1 - beta1^k`
    c1: F,
    /// `1 - beta2^k`
    c2: F,
    lr: F,
    scale: F,
    eps: F,
}

/// One Adam update of the parameters `p` (moments `m`, `v`) with the gradient `scale * g`.
#[inline]
fn update<F: Float>(p: &mut [F], g: &[F], m: &mut [F], v: &mut [F], k: &StepConsts<F>) {
    for (((pi, &gi), mi), vi) in p.iter_mut().zip(g.iter()).zip(m.iter_mut()).zip(v.iter_mut()) {
        let gs = gi * k.scale;
        *mi = k.b1 * *mi + (F::ONE - k.b1) * gs;
        *vi = k.b2 * *vi + (F::ONE - k.b2) * gs * gs;
        let mh = mi.div(k.c1);
        let vh = vi.div(k.c2);
        *pi = *pi - k.lr * mh.div(vh.sqrt() + k.eps);
    }
}

impl<P: Parameters> Adam<P>
where
    P::Elem: Float,
{
    /// Zero moments, `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`.
    pub fn new() -> Self {
        Adam {
            m: P::zeroed(),
            v: P::zeroed(),
            beta1_pow: P::Elem::ONE,
            beta2_pow: P::Elem::ONE,
            beta1: P::Elem::lit(0.9),
            beta2: P::Elem::lit(0.999),
            eps: P::Elem::lit(1e-8),
        }
    }

    /// One update `p -= lr m_hat / (sqrt(v_hat) + eps)` with the gradient `scale * grad`.
    pub fn step(&mut self, params: &mut P, grad: &P, lr: P::Elem, scale: P::Elem) {
        let (b1, b2) = (self.beta1, self.beta2);
        self.beta1_pow = self.beta1_pow * b1;
        self.beta2_pow = self.beta2_pow * b2;
        let one = P::Elem::ONE;
        let k = StepConsts { b1, b2, c1: one - self.beta1_pow, c2: one - self.beta2_pow, lr, scale, eps: self.eps };
        let slices = params.slices_mut().zip(grad.slices()).zip(self.m.slices_mut()).zip(self.v.slices_mut());
        for (((p, g), m), v) in slices {
            update(p, g, m, v, &k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learned::Params;

    #[test]
    fn first_step_moves_by_lr_against_the_gradient() {
        let mut p = Params::<f64, 1, 2, 0>::zeroed();
        let mut g = Params::<f64, 1, 2, 0>::zeroed();
        g.input.b = [3.0, -0.5];
        let mut a = Adam::new();
        a.step(&mut p, &g, 0.01, 1.0);
        // m_hat = g, v_hat = g^2: the first step is -lr sign(g).
        assert!((p.input.b[0] + 0.01).abs() < 1e-9 && (p.input.b[1] - 0.01).abs() < 1e-9);
        assert_eq!(p.input.w[0][0], 0.0);
    }
}
