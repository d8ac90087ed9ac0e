//! The quality of the samples the device generates: the host runs the programme's own
//! generation (`tinyscore_programme::sampler_part::generate_into`, the same code and seed as
//! the firmware, whose first `GEN_SAMPLES` samples `cargo xtask qemu` compares bit for bit)
//! with many more samples, and checks their Wasserstein-1 distance to the default mixture
//! (`firmware/programme/models/default_1d.toml`, the model's training data) against the
//! learned-model goal W1 <= 0.04, in `f32`, `I16F16` and with the int8-weight network (`q8`).
//!
//! The reference is independent of the code under test: the mixture's CDF from `erf`, and
//! W1 = integral of |F_n(x) - F(x)| dx on a fine grid.

use fixed::types::I16F16;
use tinyscore_programme::sampler_part::{generate_into, generate_q8_into, Scalar, Status, GEN_SAMPLES};

/// (weight, mean, std) of the default mixture (sigma = 1).
const MIXTURE: [(f64, f64, f64); 3] = [(0.25, -2.0, 0.5), (0.5, 0.5, 0.3), (0.25, 3.0, 1.0)];

fn cdf(x: f64) -> f64 {
    MIXTURE.iter().map(|&(w, m, s)| w * 0.5 * libm::erfc(-(x - m) / (s * std::f64::consts::SQRT_2))).sum()
}

/// W1 between the empirical distribution of `xs` and the mixture: trapezoid rule on
/// |F_n - F| over [-12, 16] with step 1e-4 (the tails beyond carry < 1e-12).
fn w1(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    let (lo, hi, h) = (-12.0f64, 16.0f64, 1e-4f64);
    let steps = ((hi - lo) / h).round() as usize;
    let mut j = 0usize;
    let mut sum = 0.0;
    let mut prev = None;
    for i in 0..=steps {
        let x = lo + h * i as f64;
        while j < xs.len() && xs[j] <= x {
            j += 1;
        }
        let d = (j as f64 / n - cdf(x)).abs();
        if let Some(p) = prev {
            sum += 0.5 * h * (p + d);
        }
        prev = Some(d);
    }
    sum
}

/// The first `GEN_SAMPLES` of a long run are what a `GEN_SAMPLES` run gives (so the long
/// run's W1 is the device's), and the long run is within the goal.
fn check<T: Scalar + PartialEq + std::fmt::Debug>(
    name: &str,
    n: usize,
    generate: fn(&mut [[T; 1]]) -> Result<Status, u32>,
    to_f64: fn(T) -> f64,
) -> f64 {
    let mut short = vec![[T::default(); 1]; GEN_SAMPLES];
    assert!(generate(&mut short).map(|s| s.is_ok()) == Ok(true), "{name}: short run failed");
    let mut long = vec![[T::default(); 1]; n];
    let st = generate(&mut long).unwrap_or_else(|e| panic!("{name}: setup error {e}"));
    assert!(st.is_ok(), "{name}: {st:?}");
    assert_eq!(&long[..GEN_SAMPLES], &short[..], "{name}: the long run does not extend the device's");
    let mut xs: Vec<f64> = long.iter().map(|x| to_f64(x[0])).collect();
    let w = w1(&mut xs);
    eprintln!("device generation {name}: W1 = {w:.4} over {n} samples");
    w
}

#[test]
fn w1_reference_is_sane() {
    // Exact quantiles of the mixture (bisection on the CDF) have W1 ~ 1/n.
    let n = 20_000;
    let mut xs: Vec<f64> = (0..n)
        .map(|i| {
            let p = (i as f64 + 0.5) / n as f64;
            let (mut a, mut b) = (-12.0, 16.0);
            for _ in 0..80 {
                let m = 0.5 * (a + b);
                if cdf(m) < p {
                    a = m;
                } else {
                    b = m;
                }
            }
            0.5 * (a + b)
        })
        .collect();
    assert!(w1(&mut xs) < 2e-3);
    // Shifting every point by 0.1 gives W1 = 0.1.
    let mut shifted: Vec<f64> = xs.iter().map(|x| x + 0.1).collect();
    assert!((w1(&mut shifted) - 0.1).abs() < 3e-3);
}

#[test]
fn device_generation_meets_the_learned_model_goal() {
    let w_f32 = check::<f32>("f32", 100_000, generate_into, f64::from);
    let w_fx = check::<I16F16>("i16f16", 100_000, generate_into, |v| v.to_num::<f64>());
    let w_q8 = check::<I16F16>("q8", 100_000, generate_q8_into, |v| v.to_num::<f64>());
    assert!(w_f32 <= 0.04, "f32: W1 {w_f32}");
    assert!(w_fx <= 0.04, "i16f16: W1 {w_fx}");
    assert!(w_q8 <= 0.04, "q8: W1 {w_q8}");
    // The int8-weight network's own goal: within 0.005 of the float model's W1.
    assert!((w_q8 - w_f32).abs() <= 0.005, "q8: W1 {w_q8} against f32 {w_f32}");
}
