//! The Monte Carlo loss against the deterministic quadrature, the quadrature against closed
//! forms, and the denoising objective against J_naive plus its theta-independent constant.

use std::path::PathBuf;

use fixed::types::I16F16;
use tinyscore::learned::Weighting;
use tinyscore::mixture::{Component, GaussianMixture};
use tinyscore_host::eval::ScalarKind;
use tinyscore_host::learned::cmd_loss::{compute, LossOptions};
use tinyscore_host::learned::cmd_train::{train, TrainOptions};
use tinyscore_host::learned::model_io::{precond_for, Model};
use tinyscore_host::learned::quadrature::{dsm_constant, j_naive, QuadNodes};
use tinyscore_host::learned::{TargetKind, WeightingKind};

fn trimodal() -> GaussianMixture<1, 16> {
    GaussianMixture::new(
        1.0,
        &[
            Component { weight: 0.3, mean: [-2.0], std: [0.5] },
            Component { weight: 0.45, mean: [0.5], std: [0.4] },
            Component { weight: 0.25, mean: [2.5], std: [0.6] },
        ],
    )
    .unwrap()
}

fn trained(gm: &GaussianMixture<1, 16>, steps: u64, seed: u64) -> Model<f64, 1> {
    let opts = TrainOptions {
        steps: Some(steps),
        seed,
        eval_samples: 0,
        quiet: true,
        batch: Some(64),
        ..TrainOptions::default()
    };
    let s = train(gm, &opts).unwrap();
    Model::<f64, 1>::decode(&s.model_bytes).unwrap()
}

fn opts(weighting: WeightingKind, target: TargetKind, t_min: f64, scalar: ScalarKind, seed: u64) -> LossOptions {
    LossOptions {
        mixture: PathBuf::new(),
        model: PathBuf::new(),
        weighting,
        t_min,
        t_max: 1.0,
        samples: 40_000,
        seed,
        scalar: scalar.into(),
        target,
        json: true,
    }
}

#[test]
fn monte_carlo_agrees_with_quadrature() {
    let gm = trimodal();
    let m = trained(&gm, 150, 1);
    let m16 = m.convert::<I16F16>().unwrap();
    let m32 = m.convert::<f32>().unwrap();
    for (i, w) in [WeightingKind::One, WeightingKind::Variance, WeightingKind::Likelihood].into_iter().enumerate() {
        let o = opts(w, TargetKind::Exact, 0.0, ScalarKind::F64, 10 + i as u64);
        let r = compute(&m, &gm, &o).unwrap();
        assert!(r.z().abs() < 4.0, "{w:?} f64: MC {} +- {} vs quadrature {}", r.mc.value, r.mc.std_error, r.quadrature);
        assert!(r.mc.std_error < 0.05 * r.mc.value, "{w:?}: too noisy to mean anything");
        let r = compute(&m32, &gm, &o).unwrap();
        assert!(r.z().abs() < 4.0, "{w:?} f32: {r:?}");
        let r = compute(&m16, &gm, &o).unwrap();
        assert!(r.z().abs() < 4.0 && !r.mc.saturated, "{w:?} i16f16: {r:?}");
    }
}

#[test]
fn denoising_objective_is_j_naive_plus_a_theta_independent_constant() {
    let gm = trimodal();
    let t_min = 0.05;
    let nodes = QuadNodes::for_dims(1);
    let c = dsm_constant(&gm, Weighting::Variance, t_min, 1.0, nodes);
    let mut naive = Vec::new();
    let base = trained(&gm, 200, 3);
    let mut shifted = base;
    shifted.params.output.b[0] += 0.3;
    for (steps, m) in [(200, base), (0, shifted)] {
        let jn = j_naive(&m, &gm, Weighting::Variance, t_min, 1.0, nodes);
        let o = opts(WeightingKind::Variance, TargetKind::Denoising, t_min, ScalarKind::F64, 5);
        let r = compute(&m, &gm, &o).unwrap();
        // The quadrature value of the denoising objective is J_naive + C.
        assert!((r.quadrature - (jn + c)).abs() < 1e-12 * (1.0 + c.abs()));
        let diff = r.mc.value - jn;
        assert!(
            (diff - c).abs() < 4.0 * r.mc.std_error,
            "steps {steps}: J_DSM (MC) - J_naive = {diff}, constant {c}, std error {}",
            r.mc.std_error
        );
        naive.push((jn, r.mc.std_error));
    }
    // The two models really differ, by much more than the Monte Carlo noise.
    assert!((naive[0].0 - naive[1].0).abs() > 10.0 * naive[0].1, "{naive:?}");
}

/// Independent closed forms for one Gaussian component and a fresh model (zero network
/// output: s_theta = -(x - m) / c(t)^2 with m, c deliberately different from the data's).
#[test]
fn quadrature_matches_closed_forms() {
    let (mu, s0, sigma) = (0.7, 0.5, 1.3);
    let gm = GaussianMixture::<1, 16>::new(sigma, &[Component { weight: 1.0, mean: [mu], std: [s0] }]).unwrap();
    let mut pc = precond_for(&gm);
    pc.data_mean = [-0.4];
    pc.data_std = [0.9];
    let m: Model<f64, 1> = Model { precond: pc, params: tinyscore::learned::Params::zeroed() };
    let (t0, t1) = (0.1, 2.0);
    // E over N(mu, v) of (a x + b)^2 with a = 1/v - 1/c^2, b = m/c^2 - mu/v.
    let integrand = |t: f64| {
        let v = s0 * s0 + sigma * sigma * t;
        let c2 = 0.81 + sigma * sigma * t;
        let a = 1.0 / v - 1.0 / c2;
        let b = -0.4 / c2 - mu / v;
        0.5 * (a * a * (v + mu * mu) + 2.0 * a * b * mu + b * b)
    };
    // Composite Simpson, 20000 intervals: an independent rule.
    let n = 20_000;
    let h = (t1 - t0) / n as f64;
    let simpson: f64 = (0..=n)
        .map(|i| {
            let w = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            w * integrand(t0 + h * i as f64)
        })
        .sum::<f64>()
        * h
        / 3.0;
    let q = j_naive(&m, &gm, Weighting::One, t0, t1, QuadNodes::for_dims(1));
    assert!((q - simpson).abs() < 1e-9 * simpson, "quadrature {q}, closed form {simpson}");
    // C = 1/2 \int (1 / (sigma^2 t) - 1 / v(t)) dt for lambda = 1.
    let s2 = sigma * sigma;
    let exact = 0.5 * ((t1 / t0).ln() / s2 - ((s0 * s0 + s2 * t1) / (s0 * s0 + s2 * t0)).ln() / s2);
    let c = dsm_constant(&gm, Weighting::One, t0, t1, QuadNodes::for_dims(1));
    assert!((c - exact).abs() < 1e-9 * exact, "constant {c}, closed form {exact}");
}

/// Where the exact score turns sharply between narrow, separated components (small t), the
/// quadrature must converge: against an independent brute-force rule (trapezoid on a fine
/// uniform x grid, Simpson in sqrt(t)), and its error estimate must bound the difference.
/// (A Gauss-Hermite rule per component was 3 % off here.)
#[test]
fn quadrature_converges_between_sharp_components() {
    let gm = GaussianMixture::<1, 16>::new(
        1.0,
        &[
            Component { weight: 0.5, mean: [-2.0], std: [0.4] },
            Component { weight: 0.3, mean: [0.5], std: [0.3] },
            Component { weight: 0.2, mean: [2.5], std: [0.6] },
        ],
    )
    .unwrap();
    let m: Model<f64, 1> = Model { precond: precond_for(&gm), params: tinyscore::learned::Params::zeroed() };
    let w = Weighting::Variance;
    let f = |t: f64, x: f64| {
        let (s, _) = tinyscore::learned::objective::exact_score::<f64, 1, 16>(&gm, t, &[x]).unwrap();
        let (ms, _) = m.score(t, &[x]);
        let density: f64 = gm
            .components()
            .iter()
            .map(|c| {
                let v = c.std[0] * c.std[0] + t;
                c.weight * (-(x - c.mean[0]) * (x - c.mean[0]) / (2.0 * v)).exp()
                    / (2.0 * std::f64::consts::PI * v).sqrt()
            })
            .sum();
        density * 0.5 * w.lambda(t, 1.0) * (ms[0] - s[0]) * (ms[0] - s[0])
    };
    // Trapezoid in x on [-9, 9], 6001 points; Simpson in u = sqrt(t) on [0, 1], 160 intervals.
    let (nx, nu) = (6000, 160);
    let inner = |t: f64| {
        let h = 18.0 / nx as f64;
        (0..=nx).map(|i| if i == 0 || i == nx { 0.5 } else { 1.0 } * f(t, -9.0 + h * i as f64)).sum::<f64>() * h
    };
    let hu = 1.0 / nu as f64;
    let brute: f64 = (0..=nu)
        .map(|i| {
            let u = hu * i as f64;
            let sw = if i == 0 || i == nu {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            sw * inner(u * u) * 2.0 * u
        })
        .sum::<f64>()
        * hu
        / 3.0;
    let nodes = QuadNodes::for_dims(1);
    let fine = j_naive(&m, &gm, w, 0.0, 1.0, nodes.refined());
    let coarse = j_naive(&m, &gm, w, 0.0, 1.0, nodes);
    assert!((fine - brute).abs() < 2e-5 * brute, "quadrature {fine}, brute force {brute}");
    assert!((fine - coarse).abs() < 2e-5 * brute, "error estimate {} too large", (fine - coarse).abs());
}
