//! The Adam optimiser (Kingma & Ba, 2015) with its moments in fixed-size arrays.
//!
//! State: two copies of the parameters (first and second moments) plus the running powers
//! of `beta1` and `beta2` for the bias correction; no allocation.

use super::model::Params;
use super::Float;

/// Adam state for a [`Params`] of the same shape.
#[derive(Clone, Copy, Debug)]
pub struct Adam<F, const D: usize, const H: usize, const L: usize> {
    m: Params<F, D, H, L>,
    v: Params<F, D, H, L>,
    beta1_pow: F,
    beta2_pow: F,
    /// First-moment decay (default 0.9).
    pub beta1: F,
    /// Second-moment decay (default 0.999).
    pub beta2: F,
    /// Denominator guard (default 1e-8).
    pub eps: F,
}

impl<F: Float, const D: usize, const H: usize, const L: usize> Default for Adam<F, D, H, L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Float, const D: usize, const H: usize, const L: usize> Adam<F, D, H, L> {
    /// Zero moments, `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`.
    pub fn new() -> Self {
        Adam {
            m: Params::zeroed(),
            v: Params::zeroed(),
            beta1_pow: F::ONE,
            beta2_pow: F::ONE,
            beta1: F::lit(0.9),
            beta2: F::lit(0.999),
            eps: F::lit(1e-8),
        }
    }

    /// One update `p -= lr m_hat / (sqrt(v_hat) + eps)` with the gradient `scale * grad`.
    pub fn step(&mut self, params: &mut Params<F, D, H, L>, grad: &Params<F, D, H, L>, lr: F, scale: F) {
        let (b1, b2) = (self.beta1, self.beta2);
        self.beta1_pow = self.beta1_pow * b1;
        self.beta2_pow = self.beta2_pow * b2;
        let c1 = F::ONE - self.beta1_pow;
        let c2 = F::ONE - self.beta2_pow;
        let tensors =
            params.slices_mut().into_iter().zip(grad.slices()).zip(self.m.slices_mut()).zip(self.v.slices_mut());
        for (((p, g), m), v) in tensors {
            for (((pi, &gi), mi), vi) in p.iter_mut().zip(g.iter()).zip(m.iter_mut()).zip(v.iter_mut()) {
                let gs = gi * scale;
                *mi = b1 * *mi + (F::ONE - b1) * gs;
                *vi = b2 * *vi + (F::ONE - b2) * gs * gs;
                let mh = mi.div(c1);
                let vh = vi.div(c2);
                *pi = *pi - lr * mh.div(vh.sqrt() + self.eps);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_by_lr_against_the_gradient() {
        let mut p = Params::<f64, 1, 2, 0>::zeroed();
        let mut g = Params::<f64, 1, 2, 0>::zeroed();
        g.b_in = [3.0, -0.5];
        let mut a = Adam::new();
        a.step(&mut p, &g, 0.01, 1.0);
        // m_hat = g, v_hat = g^2: the first step is -lr sign(g).
        assert!((p.b_in[0] + 0.01).abs() < 1e-9 && (p.b_in[1] - 0.01).abs() < 1e-9);
        assert_eq!(p.w_x[0][0], 0.0);
    }
}
