//! Gradients of the per-sample loss `1/2 w |s_theta(x, t) - y|^2` with respect to every
//! parameter, by back-propagation through [`ScoreMlp`] (floats only).
//!
//! `ds_d/do_d = 1 / n(t)` and `tanh' = 1 - tanh^2`; the result is checked against central
//! finite differences in the tests (relative agreement 1e-6 in `f64`).

use super::model::{Params, ScoreMlp, TimeConsts, Trace};
use super::Float;

impl<F: Float, const D: usize, const H: usize, const L: usize> ScoreMlp<F, D, H, L> {
    /// Add the gradient of `1/2 weight |s_theta(x, t) - target|^2` to `grad`; returns the
    /// loss. `tc` are the constants of `t` ([`ScoreMlp::time_consts`]).
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
        // Output layer.
        let last = *tr.last_hidden();
        for ((gw, gb), &go) in grad.w_out.iter_mut().zip(grad.b_out.iter_mut()).zip(g_o.iter()) {
            for (g, &h) in gw.iter_mut().zip(last.iter()) {
                *g = *g + go * h;
            }
            *gb = *gb + go;
        }
        let mut g_h = [F::ZERO; H];
        for (row, &go) in p.w_out.iter().zip(g_o.iter()) {
            for (gh, &w) in g_h.iter_mut().zip(row.iter()) {
                *gh = *gh + w * go;
            }
        }
        // Hidden-to-hidden layers, last first.
        for l in (0..L).rev() {
            let (Some(out), Some(w), Some(gw), Some(gb)) =
                (tr.hs.get(l), p.w_h.get(l), grad.w_h.get_mut(l), grad.b_h.get_mut(l))
            else {
                continue;
            };
            let input = if l == 0 { Some(&tr.h0) } else { tr.hs.get(l - 1) };
            let Some(input) = input else { continue };
            let mut g_a = [F::ZERO; H];
            for ((ga, &gh), &h) in g_a.iter_mut().zip(g_h.iter()).zip(out.iter()) {
                *ga = gh * (F::ONE - h * h);
            }
            let mut g_in = [F::ZERO; H];
            for (((gw_row, gbi), w_row), &ga) in gw.iter_mut().zip(gb.iter_mut()).zip(w.iter()).zip(g_a.iter()) {
                for ((g, gi), (&wij, &hj)) in gw_row.iter_mut().zip(g_in.iter_mut()).zip(w_row.iter().zip(input.iter()))
                {
                    *g = *g + ga * hj;
                    *gi = *gi + wij * ga;
                }
                *gbi = *gbi + ga;
            }
            g_h = g_in;
        }
        // First layer.
        for ((((gwx, gwt), gb), &gh), &h) in
            grad.w_x.iter_mut().zip(grad.w_t.iter_mut()).zip(grad.b_in.iter_mut()).zip(g_h.iter()).zip(tr.h0.iter())
        {
            let ga = gh * (F::ONE - h * h);
            for (g, &u) in gwx.iter_mut().zip(tr.u.iter()) {
                *g = *g + ga * u;
            }
            for (g, &f) in gwt.iter_mut().zip(tc.feat.iter()) {
                *g = *g + ga * f;
            }
            *gb = *gb + ga;
        }
        (weight * sq).half()
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Preconditioning, Tensor};
    use super::*;
    use crate::Real;
    use rand_xoshiro::rand_core::SeedableRng;

    #[test]
    fn gradient_matches_finite_differences() {
        let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.2, -0.1], data_std: [1.2, 0.9] };
        let mut rng = crate::DefaultRng::seed_from_u64(7);
        let mut m = ScoreMlp::<f64, 2, 5, 2>::new_random(pc, &mut rng).unwrap();
        // A non-zero output layer so that every gradient is exercised.
        for (i, v) in m.params.w_out.as_flattened_mut().iter_mut().enumerate() {
            *v = 0.3 * libm::sin(i as f64 + 1.0);
        }
        m.params.b_out = [0.1, -0.2];
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
        for (k, tensor) in Tensor::ALL.iter().enumerate() {
            let n = g.slices()[k].len();
            for i in 0..n {
                let mut mp = m;
                mp.params.slices_mut()[k][i] += h;
                let mut mm = m;
                mm.params.slices_mut()[k][i] -= h;
                let fd = (loss(&mp) - loss(&mm)) / (2.0 * h);
                let an = g.slices()[k][i];
                assert!((fd - an).abs() <= 1e-6 * (1.0 + an.abs()), "{tensor:?}[{i}]: fd {fd} vs {an}");
                checked += 1;
            }
        }
        assert_eq!(checked, Params::<f64, 2, 5, 2>::COUNT);
        let _ = f64::ONE;
    }
}
