//! Training by Monte Carlo score matching against the exact mixture score (`J_naive`).
//!
//! Each step draws `batch` samples `(t, x)` as in [`super::objective`], accumulates the
//! gradient of `1/2 lambda(t) |s_theta(x, t) - s(x, t)|^2` and takes one Adam step with
//! the mean gradient. The exact target is evaluated in the training type `F`.
//! State: the model, one gradient and the Adam moments (4 copies of the parameters).

use rand_core::RngCore;

use super::adam::Adam;
use super::model::{Params, ScoreMlp};
use super::objective::{draw, exact_score, McConfig, ObjectiveError, Target};
use super::weighting::Weighting;
use super::Float;
use crate::mixture::GaussianMixture;
use crate::sampling::uniform_f64;

/// How training draws its times `t` in `[t_min, t_max]`.
///
/// Against the exact score the minimiser does not depend on the time distribution (it only
/// reweights the objective), so the distribution can put its samples where the score is
/// hardest to fit: at small `t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TimeSampling {
    /// `t` uniform: the objective of MATH.md section 4 as written.
    Uniform,
    /// `t + offset` log-uniform (geometric): as many samples in `[0.01, 0.1]` as in
    /// `[1, 10]` when the offset is small; for long time ranges (`t_max` of 16 for sampling).
    Geometric {
        /// Offset, `> 0` (for instance the smallest component variance over `sigma^2`).
        offset: f64,
    },
}

impl TimeSampling {
    /// A time in `[t_min, t_max]` from a uniform `u` in `[0, 1)`.
    pub fn time(self, t_min: f64, t_max: f64, u: f64) -> f64 {
        match self {
            TimeSampling::Geometric { offset } if offset > 0.0 && offset.is_finite() => {
                let lo = t_min + offset;
                let t = lo * libm::pow((t_max + offset) / lo, u) - offset;
                t.clamp(t_min, t_max)
            }
            _ => t_min + (t_max - t_min) * u,
        }
    }
}

/// A model being trained, with its optimiser state.
#[derive(Clone, Debug)]
pub struct Trainer<F, const D: usize, const H: usize, const L: usize> {
    /// The model.
    pub model: ScoreMlp<F, D, H, L>,
    grad: Params<F, D, H, L>,
    adam: Adam<F, D, H, L>,
    times: TimeSampling,
}

impl<F: Float, const D: usize, const H: usize, const L: usize> Trainer<F, D, H, L> {
    /// Start from a model (fresh or pre-trained: fine-tuning).
    pub fn new(model: ScoreMlp<F, D, H, L>) -> Self {
        Trainer { model, grad: Params::zeroed(), adam: Adam::new(), times: TimeSampling::Uniform }
    }

    /// Draw training times from `times` instead of uniformly.
    pub fn with_time_sampling(mut self, times: TimeSampling) -> Self {
        self.times = times;
        self
    }

    /// One Adam step on `batch` fresh samples over `[t_min, t_max]` with weighting `w`;
    /// returns the batch's mean per-sample loss `1/2 lambda |s_theta - s|^2` (before the step).
    #[allow(clippy::too_many_arguments)]
    pub fn step<const K: usize, R: RngCore + ?Sized>(
        &mut self,
        gm: &GaussianMixture<D, K>,
        t_min: f64,
        t_max: f64,
        weighting: Weighting,
        batch: usize,
        lr: f64,
        rng: &mut R,
    ) -> Result<f64, ObjectiveError> {
        McConfig { t_min, t_max, weighting, target: Target::Exact }.check(gm.sigma())?;
        for g in self.grad.slices_mut() {
            g.fill(F::ZERO);
        }
        let mut total = 0.0;
        let mut n = 0usize;
        for _ in 0..batch {
            let t = self.times.time(t_min, t_max, uniform_f64(rng));
            let d = draw(gm, t, t, rng);
            let (s, _) = exact_score::<F, D, K>(gm, d.t, &d.x).map_err(ObjectiveError::Mixture)?;
            let Some(tc) = self.model.time_consts(d.t) else { continue };
            let x = d.x.map(|v| F::lit(v));
            let y = s.map(|v| F::lit(v));
            let w = F::lit(weighting.lambda(d.t, gm.sigma()));
            let l = self.model.add_gradient(&tc, &x, &y, w, &mut self.grad);
            total += l.as_f64();
            n += 1;
        }
        if n > 0 {
            let scale = F::lit(1.0 / n as f64);
            self.adam.step(&mut self.model.params, &self.grad, F::lit(lr), scale);
            total /= n as f64;
        }
        Ok(total)
    }
}
