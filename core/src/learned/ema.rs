//! An exponential moving average (EMA) of a model's parameters: the weights diffusion models
//! are sampled with (EDM, k-diffusion, diffusers' `EMAModel`), smoother than the last
//! optimiser step's. After each step `e <- d e + (1 - d) p`, with the decay
//! `d_n = min(decay, (1 + n) / (10 + n))` at the `n`-th update (`n = 0, 1, ...`; diffusers'
//! default warm-up, so that the first updates follow the weights closely instead of keeping
//! the initial ones). Each update is computed in `f64` and rounded to the parameter type.
//!
//! ```
//! use tinyscore::learned::ema::Ema;
//! let mut ema = Ema::new(&[0.0f32, 1.0], 0.5).unwrap();
//! ema.update(&[1.0, 1.0]); // n = 0: d = min(0.5, 1/10) = 0.1
//! assert_eq!(ema.average(), &[0.9, 1.0]);
//! assert!(Ema::new(&[0.0f32], 1.0).is_none()); // the decay must be in [0, 1)
//! ```

use super::layer::Parameters;
use super::Float;

/// The moving average of parameters `P` (module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct Ema<P> {
    average: P,
    decay: f64,
    updates: u64,
}

impl<P: Parameters + Clone> Ema<P>
where
    P::Elem: Float,
{
    /// Start from `params` with the largest decay `decay` (e.g. 0.999); `None` unless
    /// `0 <= decay < 1`.
    pub fn new(params: &P, decay: f64) -> Option<Self> {
        (0.0..1.0).contains(&decay).then(|| Ema { average: params.clone(), decay, updates: 0 })
    }

    /// The decay the next update uses: `min(decay, (1 + n) / (10 + n))`.
    pub fn next_decay(&self) -> f64 {
        let n = self.updates as f64;
        self.decay.min((1.0 + n) / (10.0 + n))
    }

    /// Move the average towards `params` (call after each optimiser step).
    pub fn update(&mut self, params: &P) {
        let d = self.next_decay();
        for (es, ps) in self.average.slices_mut().zip(params.slices()) {
            for (e, &p) in es.iter_mut().zip(ps.iter()) {
                *e = P::Elem::lit(d * e.as_f64() + (1.0 - d) * p.as_f64());
            }
        }
        self.updates = self.updates.saturating_add(1);
    }

    /// The averaged parameters.
    pub fn average(&self) -> &P {
        &self.average
    }

    /// Updates made so far.
    pub fn updates(&self) -> u64 {
        self.updates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_explicit_weighted_sum() {
        // e_N = prod_k d_k e_0 + sum_k (1 - d_k) prod_{j > k} d_j p_k: the same average
        // written as explicit weights over the whole sequence, in f64.
        let p: [f64; 50] = core::array::from_fn(|k| libm::sin(k as f64 * 0.37) + 0.01 * k as f64);
        let e0 = 0.25;
        let mut ema = Ema::new(&[e0], 0.9).unwrap();
        let d: [f64; 50] = core::array::from_fn(|k| 0.9f64.min((1.0 + k as f64) / (10.0 + k as f64)));
        for &pk in &p {
            ema.update(&[pk]);
        }
        let mut want = e0 * d.iter().product::<f64>();
        for k in 0..50 {
            want += (1.0 - d[k]) * d[k + 1..].iter().product::<f64>() * p[k];
        }
        assert!((ema.average()[0] - want).abs() < 1e-13, "{} vs {want}", ema.average()[0]);
        assert_eq!(ema.updates(), 50);
    }

    #[test]
    fn constant_parameters_stay_put_and_bad_decays_are_refused() {
        let mut ema = Ema::new(&[0.5f32, -2.0], 0.999).unwrap();
        for _ in 0..100 {
            ema.update(&[0.5, -2.0]);
        }
        assert_eq!(ema.average(), &[0.5, -2.0]);
        for bad in [1.0, -0.1, f64::NAN, f64::INFINITY] {
            assert!(Ema::new(&[0.0f32], bad).is_none(), "{bad}");
        }
        assert!(Ema::new(&[0.0f32], 0.0).is_some());
    }
}
