//! Calibration draws for quantising a model, and the float ranges of each layer on them.
//!
//! # Method
//! `n` draws `(t, x)` ([`DEFAULT_DRAWS`] unless told): `t` uniform in `[t_min, t_max]`
//! (the model's time range: `train`'s defaults are 0 and 1), then `x` an exact draw from
//! `p(., t)`, of the mixture when one is given, else of the Gaussian of the model's
//! preconditioning diffused to `t`, `N(m_d, std_d^2 + sigma^2 t)` (the distribution the
//! network was normalised for). Each draw runs the `f64` forward pass ([`ScoreMlp::forward_traced`]),
//! so the time features are included; a layer's range is the largest `|value|` of its
//! outputs over the draws (pre-activation of each hidden layer, the network output `o`),
//! its RMS the root mean square.
//!
//! 4,096 draws put about 40 draws in each 1 % of the time range: the maximum of a layer
//! then changes by a few percent between seeds (`calibration_is_stable_across_seeds`).

use anyhow::{bail, Result};
use rand::SeedableRng;
use rand_core::RngCore;
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::learned::model::Trace;
use tinyscore::learned::quant::{Calibration, Curvature, QuantReport};
use tinyscore::mixture::{Component, GaussianMixture};
use tinyscore::Real;

use super::model_io::{Model, QModel, HIDDEN, LAYERS};

/// Draws `quantize` takes when not told.
pub const DEFAULT_DRAWS: usize = 4096;

/// One calibration point: a time and a position.
pub type Draw<const D: usize> = (f64, [f64; D]);

/// Where the positions of the draws come from.
#[derive(Clone, Copy, Debug)]
pub enum DrawSource<'a, const D: usize, const K: usize> {
    /// Exact draws of this mixture's `p(., t)`.
    Mixture(&'a GaussianMixture<D, K>),
    /// The Gaussian of the model's preconditioning, diffused to `t`.
    Preconditioning,
}

/// `n` calibration draws (module documentation), reproducible from `seed`.
///
/// # Errors
/// A time range that is not `0 <= t_min < t_max`, finite; a preconditioning that does
/// not make a valid Gaussian.
pub fn draws<const D: usize, const K: usize>(
    model: &Model<f64, D>,
    source: DrawSource<'_, D, K>,
    t_min: f64,
    t_max: f64,
    n: usize,
    seed: u64,
) -> Result<Vec<Draw<D>>> {
    if !(t_min.is_finite() && t_max.is_finite() && t_min >= 0.0 && t_max > t_min) {
        bail!("--t-min {t_min} --t-max {t_max}: need 0 <= t-min < t-max, both finite");
    }
    let pc = &model.precond;
    let gauss =
        GaussianMixture::<D, 1>::new(pc.sigma, &[Component { weight: 1.0, mean: pc.data_mean, std: pc.data_std }])
            .map_err(|e| anyhow::anyhow!("the model's preconditioning is not a valid Gaussian: {e}"))?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let t = t_min + (t_max - t_min) * u;
        let drawn = match source {
            DrawSource::Mixture(gm) => gm.sample(t, &mut rng).map(|(x, _)| x),
            DrawSource::Preconditioning => gauss.sample(t, &mut rng).map(|(x, _)| x),
        };
        let x = drawn.map_err(|e| anyhow::anyhow!("draw at t = {t}: {e}"))?;
        out.push((t, x));
    }
    Ok(out)
}

/// The range of one layer's outputs over the draws.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerRange {
    /// `"hidden 0"`, ..., `"output"`.
    pub name: String,
    /// Units of the layer.
    pub units: usize,
    /// Largest `|value|`.
    pub max_abs: f64,
    /// Root mean square of the values.
    pub rms: f64,
}

/// Running maximum and sum of squares of one layer.
#[derive(Clone, Copy, Debug, Default)]
struct Running {
    max_abs: f64,
    sum_sq: f64,
    count: u64,
}

impl Running {
    fn add(&mut self, values: &[f64]) {
        for &v in values {
            self.max_abs = self.max_abs.max(v.abs());
            self.sum_sq += v * v;
            self.count += 1;
        }
    }

    fn finish(self, name: String, units: usize) -> LayerRange {
        let rms = if self.count == 0 { 0.0 } else { (self.sum_sq / self.count as f64).sqrt() };
        LayerRange { name, units, max_abs: self.max_abs, rms }
    }
}

/// The layers' ranges in `f64` over `draws`, in network order: the pre-activations of
/// hidden layers `0..=L`, then the output `o` (before `1 / n(t)`).
///
/// The pre-activations are recomputed from the traced activations (`a = b + W h`), so
/// the ranges are those of what a quantised layer accumulates before its `tanh`.
///
/// # Errors
/// A draw whose time is not valid, or whose forward pass is not finite.
pub fn layer_ranges<const D: usize>(model: &Model<f64, D>, draws: &[Draw<D>]) -> Result<Vec<LayerRange>> {
    let p = &model.params;
    let mut run = vec![Running::default(); LAYERS + 2];
    let mut tr = Trace::<f64, D, HIDDEN, LAYERS>::new();
    for (i, (t, x)) in draws.iter().enumerate() {
        let Some(tc) = model.time_consts(*t) else { bail!("draw {i}: t = {t} is not a valid time") };
        model.forward_traced(&tc, x, &mut tr);
        if tr.limited {
            bail!("draw {i}: the f64 forward pass at t = {t}, x = {x:?} is not finite");
        }
        let mut a0 = [0.0; HIDDEN];
        p.input.forward(&tr.u, &mut a0);
        p.time.accumulate(&tc.feat, &mut a0);
        if let Some(r) = run.get_mut(0) {
            r.add(&a0);
        }
        let mut prev = &tr.h0;
        for ((layer, h), r) in p.hidden.iter().zip(tr.hs.iter()).zip(run.iter_mut().skip(1)) {
            let mut a = [0.0; HIDDEN];
            layer.forward(prev, &mut a);
            r.add(&a);
            prev = h;
        }
        if let Some(r) = run.last_mut() {
            r.add(&tr.out.map(|v| v.to_f64_lossy()));
        }
    }
    Ok(run
        .into_iter()
        .enumerate()
        .map(
            |(i, r)| {
                if i <= LAYERS {
                    r.finish(format!("hidden {i}"), HIDDEN)
                } else {
                    r.finish("output".to_string(), D)
                }
            },
        )
        .collect())
}

/// Calibrate on `draws`, quantise, and measure each layer's error against the `f64`
/// model on the same draws.
///
/// # Errors
/// No usable draw, or a parameter the q8 format cannot hold ([`QuantError`](tinyscore::learned::quant::QuantError)).
pub fn quantize<const D: usize>(model: &Model<f64, D>, draws: &[Draw<D>]) -> Result<(QModel<D>, QuantReport<LAYERS>)> {
    let mut cal = Calibration::<D>::new();
    let mut curv = Box::new(Curvature::<HIDDEN, LAYERS>::new());
    for (t, x) in draws {
        cal.observe(model, *t, x);
        curv.observe(model, *t, x);
    }
    let q = QModel::<D>::quantize_gptq(model, &cal, &curv).map_err(|e| anyhow::anyhow!("quantisation: {e}"))?;
    let mut rep = QuantReport::new(&q);
    for (t, x) in draws {
        rep.observe(&q, model, *t, x);
    }
    Ok((q, rep))
}

/// The per-layer quantisation table: scales, and max and RMS error against `f64`.
pub fn format_report(rep: &QuantReport<LAYERS>) -> String {
    let mut s = format!(
        "{:<10} {:>11} {:>23} {:>11} {:>11} {:>11}\n",
        "layer", "act scale", "weight scales", "max |f64|", "max error", "rms error"
    );
    for l in rep.layers() {
        let name = if l.layer == "hidden" { format!("hidden {}", l.index + 1) } else { l.layer.to_string() };
        let w = if l.weight_scale.1 > 0.0 {
            format!("{:.3e}..{:.3e}", l.weight_scale.0, l.weight_scale.1)
        } else {
            "-".to_string()
        };
        s.push_str(&format!(
            "{:<10} {:>11.4e} {:>23} {:>11.4e} {:>11.4e} {:>11.4e}\n",
            name,
            l.act_scale,
            w,
            l.max_abs,
            l.max_error,
            l.rms()
        ));
    }
    s
}

/// The ranges as a text table (one row per layer).
pub fn format_ranges(ranges: &[LayerRange]) -> String {
    let mut s = format!("{:<10} {:>5} {:>12} {:>12}\n", "layer", "units", "max |a|", "rms");
    for r in ranges {
        s.push_str(&format!("{:<10} {:>5} {:>12.5e} {:>12.5e}\n", r.name, r.units, r.max_abs, r.rms));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use tinyscore::learned::Preconditioning;

    fn model() -> Model<f64, 1> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let pc = Preconditioning { sigma: 2.0, noise_floor: 0.1, data_mean: [0.5], data_std: [1.5] };
        let mut m = Model::<f64, 1>::new_random(pc, &mut rng).unwrap();
        // The output layer starts at zero; give it values so that its range is tested.
        for (i, w) in m.params.output.w[0].iter_mut().enumerate() {
            *w = 0.1 * (i as f64 - 15.5);
        }
        m.params.output.b = [0.2];
        m
    }

    /// The preconditioning draws have the moments of `N(m, std^2 + sigma^2 t)` averaged
    /// over `t ~ U(0, 1)`: mean `m`, variance `std^2 + sigma^2 / 2` (closed form).
    #[test]
    fn preconditioning_draws_have_the_diffused_moments() {
        let m = model();
        let d = draws::<1, 1>(&m, DrawSource::Preconditioning, 0.0, 1.0, 200_000, 3).unwrap();
        let n = d.len() as f64;
        let mean = d.iter().map(|(_, x)| x[0]).sum::<f64>() / n;
        let var = d.iter().map(|(_, x)| (x[0] - mean).powi(2)).sum::<f64>() / n;
        let t_mean = d.iter().map(|(t, _)| *t).sum::<f64>() / n;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        assert!((var - (2.25 + 2.0)).abs() < 0.05, "{var}");
        assert!((t_mean - 0.5).abs() < 0.005, "{t_mean}");
        assert!(d.iter().all(|(t, _)| (0.0..1.0).contains(t)));
    }

    /// The ranges match a direct evaluation of `b + W tanh(...)` written out here.
    #[test]
    fn ranges_match_a_direct_forward() {
        let m = model();
        let d = draws::<1, 1>(&m, DrawSource::Preconditioning, 0.0, 1.0, 500, 4).unwrap();
        let r = layer_ranges(&m, &d).unwrap();
        assert_eq!(r.len(), LAYERS + 2);
        let p = &m.params;
        let pc = &m.precond;
        let mut max0: f64 = 0.0;
        let mut max_out: f64 = 0.0;
        for (t, x) in &d {
            let c = (pc.data_std[0].powi(2) + pc.sigma.powi(2) * t).sqrt();
            let u = (x[0] - pc.data_mean[0]) / c;
            let n = pc.noise_scale(*t);
            let f = [(n / pc.noise_floor).ln(), pc.noise_floor / n];
            let mut h = [0.0; HIDDEN];
            for (i, hi) in h.iter_mut().enumerate() {
                let a = p.input.b[i] + p.input.w[i][0] * u + p.time.w[i][0] * f[0] + p.time.w[i][1] * f[1];
                max0 = max0.max(a.abs());
                *hi = a.tanh();
            }
            for layer in &p.hidden {
                let mut next = [0.0; HIDDEN];
                for (i, ni) in next.iter_mut().enumerate() {
                    let a = layer.b[i] + layer.w[i].iter().zip(&h).map(|(w, v)| w * v).sum::<f64>();
                    *ni = a.tanh();
                }
                h = next;
            }
            let o = p.output.b[0] + p.output.w[0].iter().zip(&h).map(|(w, v)| w * v).sum::<f64>();
            max_out = max_out.max(o.abs());
        }
        assert!((r[0].max_abs - max0).abs() <= 1e-9 * max0, "{} vs {max0}", r[0].max_abs);
        let out = r.last().unwrap();
        assert!((out.max_abs - max_out).abs() <= 1e-6 * max_out.max(1.0), "{} vs {max_out}", out.max_abs);
        assert!(r.iter().all(|l| l.rms > 0.0 && l.rms <= l.max_abs));
    }

    #[test]
    fn calibration_is_stable_across_seeds() {
        let m = model();
        let a = layer_ranges(&m, &draws::<1, 1>(&m, DrawSource::Preconditioning, 0.0, 1.0, DEFAULT_DRAWS, 1).unwrap())
            .unwrap();
        let b = layer_ranges(&m, &draws::<1, 1>(&m, DrawSource::Preconditioning, 0.0, 1.0, DEFAULT_DRAWS, 2).unwrap())
            .unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x.rms - y.rms).abs() <= 0.05 * x.rms, "{x:?} {y:?}");
        }
    }

    #[test]
    fn bad_time_range_is_refused() {
        let m = model();
        for (lo, hi) in [(-1.0, 1.0), (1.0, 1.0), (0.0, f64::NAN)] {
            let e = draws::<1, 1>(&m, DrawSource::Preconditioning, lo, hi, 10, 1).unwrap_err();
            assert!(e.to_string().contains("t-min"), "{e}");
        }
    }
}
