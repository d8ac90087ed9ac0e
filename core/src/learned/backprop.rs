//! Gradients of the per-sample loss `1/2 w |s_theta(x, t) - y|^2` with respect to every
//! parameter, by back-propagation through [`ScoreMlp`]'s layers (floats only).
//!
//! `ds_d/do_d = 1 / n(t)`; each layer adds its own gradient ([`Dense::backward`]) and
//! passes the gradient of its inputs on ([`Dense::input_gradient`]), through the
//! activation's derivative ([`Activation::backward`]). The result is checked against central
//! finite differences in the tests (relative agreement 1e-6 in `f64`).

use super::layer::{Activation, Dense, Linear};
use super::model::{Act, Params, ScoreMlp, TimeConsts, Trace};
use super::Float;

impl<F: Float, const D: usize, const H: usize, const L: usize> ScoreMlp<F, D, H, L> {
    /// Add the gradient of `1/2 weight |s_theta(x, t) - target|^2` to `grad`; returns the
    /// loss. `tc` are the constants of `t` ([`ScoreMlp::time_consts_at`]).
    pub fn add_gradient(
        &self,
        tc: &TimeConsts<F, D>,
        x: &[F; D],
        target: &[F; D],
        weight: F,
        grad: &mut Params<F, D, H, L>,
    ) -> F {
        let p = &self.params;
        let mut tr = Trace::<F, D, H, L>::new();
        self.forward_traced(tc, x, &mut tr);
        let s = Self::score_work(tc, x, &tr);
        let mut sq = F::ZERO;
        let mut g_o = [F::ZERO; D];
        for ((g, &sd), &yd) in g_o.iter_mut().zip(s.iter()).zip(target.iter()) {
            let e = sd - yd;
            sq = sq + e * e;
            *g = weight * e * tc.inv_n;
        }
        let mut g_h = p.output.backward_through(tr.last_hidden(), &g_o, &mut grad.output);
        // Hidden-to-hidden layers, last first; the input of layer l is h_{l-1} (h_0 for the first).
        let inputs = tr.hs.iter().rev().skip(1).chain(core::iter::once(&tr.h0));
        let layers = p.hidden.iter().rev().zip(grad.hidden.iter_mut().rev()).zip(tr.hs.iter().rev());
        for (((layer, g_layer), out), input) in layers.zip(inputs) {
            let g_a = activation_grad(out, &g_h);
            g_h = layer.backward_through(input, &g_a, g_layer);
        }
        // First layer: both input blocks.
        let g_a = activation_grad(&tr.h0, &g_h);
        Dense::backward(&tr.u, &g_a, &mut grad.input);
        Linear::backward(&tc.feat, &g_a, &mut grad.time);
        (weight * sq).half()
    }
}

/// The gradient of the pre-activations from the outputs `y` and their gradient `g`.
fn activation_grad<F: Float, const N: usize>(y: &[F; N], g: &[F; N]) -> [F; N] {
    let mut g_a = [F::ZERO; N];
    for ((ga, &yi), &gi) in g_a.iter_mut().zip(y.iter()).zip(g.iter()) {
        *ga = Act::backward(yi, gi);
    }
    g_a
}

#[cfg(test)]
mod tests {
    use super::super::model::Preconditioning;
    use super::*;
    use crate::Real;
    use rand_xoshiro::rand_core::SeedableRng;

    #[test]
    fn gradient_matches_finite_differences() {
        let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.2, -0.1], data_std: [1.2, 0.9] };
        let mut rng = crate::DefaultRng::seed_from_u64(7);
        let mut m = ScoreMlp::<f64, 2, 5, 2>::new_random(pc, &mut rng).unwrap();
        // A non-zero output layer so that every gradient is exercised.
        for (i, v) in m.params.output.w.as_flattened_mut().iter_mut().enumerate() {
            *v = 0.3 * libm::sin(i as f64 + 1.0);
        }
        m.params.output.b = [0.1, -0.2];
        let t = 0.37;
        let tc = m.time_consts(t).unwrap();
        let x = [0.8, -1.3];
        let y = [-1.5, 2.0];
        let w = 0.7;
        let mut g = Params::zeroed();
        let l0 = m.add_gradient(&tc, &x, &y, w, &mut g);
        let loss = |m: &ScoreMlp<f64, 2, 5, 2>| {
            let (s, _) = m.score(t, &x);
            0.5 * w * s.iter().zip(y.iter()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
        };
        assert!((l0 - loss(&m)).abs() < 1e-12);
        let h = 1e-6;
        let mut checked = 0;
        for (id, grads) in g.tensors() {
            for (i, &an) in grads.iter().enumerate() {
                let pid = id.offset(i);
                let mut mp = m;
                *mp.params.param_mut(pid).unwrap() += h;
                let mut mm = m;
                *mm.params.param_mut(pid).unwrap() -= h;
                let fd = (loss(&mp) - loss(&mm)) / (2.0 * h);
                assert!((fd - an).abs() <= 1e-6 * (1.0 + an.abs()), "{pid}: fd {fd} vs {an}");
                checked += 1;
            }
        }
        assert_eq!(checked, Params::<f64, 2, 5, 2>::COUNT);
        let _ = f64::ONE;
    }
}
