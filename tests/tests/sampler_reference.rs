//! The few-step samplers against an independent NumPy reference
//! (`python/few_step_reference.py`, k-diffusion's `sample_dpmpp_2m` / `sample_heun` /
//! `get_sigmas_karras` in the noise level), and their convergence order on the exact
//! mixture score.

use std::io::Write;
use std::process::{Command, Stdio};

use rand_core::SeedableRng;
use tinyscore::mixture::{Component, GaussianMixture};
use tinyscore::noise::normal;
use tinyscore::sampler::{Churn, Method, Sampler, SamplerConfig};
use tinyscore::score_source::MixtureScore;
use tinyscore::time_grid::{Spacing, TimeGrid};

const SIGMA: f64 = 2.0;
const T_MAX: f64 = 16.0;
const T_MIN: f64 = 4e-4;

fn mixture() -> GaussianMixture<1, 3> {
    let c = |weight, mean, std| Component { weight, mean: [mean], std: [std] };
    GaussianMixture::new(SIGMA, &[c(0.3, -2.0, 0.4), c(0.5, 0.5, 0.6), c(0.2, 3.0, 0.3)]).unwrap()
}

fn python() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new("bash").arg(format!("{root}/scripts/python-env.sh")).output().expect("bash");
    assert!(out.status.success(), "python-env.sh: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn reference(case: &serde_json::Value) -> Vec<f64> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut child = Command::new(python())
        .arg(format!("{root}/python/few_step_reference.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python");
    child.stdin.take().unwrap().write_all(case.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["x"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// Run `method` in f64 from the given start points (no start draw), seed 5 for the churn.
fn run(method: Method, steps: u32, rho: f64, xs: &[f64]) -> Vec<f64> {
    let gm = mixture();
    let grid = TimeGrid::new(T_MAX, T_MIN, steps, Spacing::Karras { rho }).unwrap();
    let sampler = Sampler::new(SamplerConfig { method, grid, sigma: SIGMA }).unwrap();
    let mut state: Vec<[f64; 1]> = xs.iter().map(|&x| [x]).collect();
    let mut scratch = vec![[0.0f64; 1]; 3];
    let mut rng = tinyscore::DefaultRng::seed_from_u64(5);
    let st = sampler.run(&mut MixtureScore::<f64, 1, 3>::new(&gm), &mut rng, &mut state, &mut scratch);
    assert!(st.is_ok());
    state.iter().map(|x| x[0]).collect()
}

fn case(method: &str, steps: u32, rho: f64, xs: &[f64]) -> serde_json::Value {
    serde_json::json!({
        "sigma": SIGMA, "weights": [0.3, 0.5, 0.2], "means": [-2.0, 0.5, 3.0], "stds": [0.4, 0.6, 0.3],
        "t_max": T_MAX, "t_min": T_MIN, "steps": steps, "rho": rho, "method": method, "x": xs,
    })
}

const STARTS: [f64; 7] = [-9.0, -4.5, -1.0, 0.0, 0.7, 3.3, 11.0];

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-9 * (1.0 + w.abs()), "{what}: {g} vs NumPy {w}\n{got:?}\n{want:?}");
    }
}

#[test]
fn dpm_solver_2m_matches_numpy() {
    for (steps, rho) in [(1, 7.0), (2, 7.0), (9, 7.0), (19, 12.0), (40, 3.0)] {
        let got = run(Method::DpmSolver2M, steps, rho, &STARTS);
        let want = reference(&case("dpmpp_2m", steps, rho, &STARTS));
        assert_close(&got, &want, &format!("dpm-solver-2m, {steps} steps, rho {rho}"));
    }
}

#[test]
fn edm_heun_matches_numpy() {
    for (steps, rho) in [(1, 7.0), (4, 7.0), (9, 12.0), (30, 5.0)] {
        let got = run(Method::EdmHeun { churn: Churn::NONE }, steps, rho, &STARTS);
        let want = reference(&case("heun", steps, rho, &STARTS));
        assert_close(&got, &want, &format!("edm-heun, {steps} steps, rho {rho}"));
    }
}

#[test]
fn edm_heun_with_churn_matches_numpy() {
    // Churn between noise levels 0.05 and 3 (part of the grid); the same normal draws are
    // handed to NumPy: per churning grid step, per sample.
    let (steps, rho) = (12u32, 7.0);
    let churn = Churn { s_churn: 5.0, s_tmin: 0.05, s_tmax: 3.0, s_noise: 1.007 };
    let got = run(Method::EdmHeun { churn }, steps, rho, &STARTS);
    let grid = TimeGrid::new(T_MAX, T_MIN, steps, Spacing::Karras { rho }).unwrap();
    let mut rng = tinyscore::DefaultRng::seed_from_u64(5);
    let mut noise = Vec::new();
    for k in 0..steps {
        let s = SIGMA * grid.time(k).sqrt();
        if (0.05..=3.0).contains(&s) {
            noise.push(STARTS.iter().map(|_| normal::<f64, _>(&mut rng)).collect::<Vec<f64>>());
        }
    }
    assert!(noise.len() >= 3 && noise.len() < steps as usize, "the test must churn on some steps only");
    let mut c = case("heun", steps, rho, &STARTS);
    c["churn"] = serde_json::json!({"s_churn": 5.0, "s_tmin": 0.05, "s_tmax": 3.0, "s_noise": 1.007});
    c["noise"] = serde_json::json!(noise);
    assert_close(&got, &reference(&c), "edm-heun with churn");
}

#[test]
fn dpm_solver_2m_sde_matches_numpy() {
    // One block (scratch as long as the state): the noise is drawn per step, per sample.
    let steps = 8u32;
    let gm = mixture();
    let grid = TimeGrid::new(T_MAX, T_MIN, steps, Spacing::Karras { rho: 7.0 }).unwrap();
    let sampler = Sampler::new(SamplerConfig { method: Method::DpmSolver2MSde, grid, sigma: SIGMA }).unwrap();
    let mut state: Vec<[f64; 1]> = STARTS.iter().map(|&x| [x]).collect();
    let mut scratch = vec![[0.0f64; 1]; STARTS.len()];
    let mut rng = tinyscore::DefaultRng::seed_from_u64(11);
    assert!(sampler.run(&mut MixtureScore::<f64, 1, 3>::new(&gm), &mut rng, &mut state, &mut scratch).is_ok());
    let got: Vec<f64> = state.iter().map(|x| x[0]).collect();
    let mut rng = tinyscore::DefaultRng::seed_from_u64(11);
    let noise: Vec<Vec<f64>> =
        (0..steps).map(|_| STARTS.iter().map(|_| normal::<f64, _>(&mut rng)).collect()).collect();
    let mut c = case("dpmpp_2m_sde", steps, 7.0, &STARTS);
    c["noise"] = serde_json::json!(noise);
    assert_close(&got, &reference(&c), "dpm-solver-2m-sde");
}

/// Observed order `log2(e_N / e_2N)` of a deterministic method on the exact score: final
/// samples of `N`, `2N`, `4N`, `8N` steps against a run of 2048 steps from the same starts
/// (the same `t_min`, so the common denoising step cancels).
fn observed_orders(method: Method, rho: f64) -> Vec<f64> {
    let fine = run(method, 2048, rho, &STARTS);
    let err = |n: u32| -> f64 {
        run(method, n, rho, &STARTS).iter().zip(&fine).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
    };
    let errs: Vec<f64> = [32u32, 64, 128, 256].iter().map(|&n| err(n)).collect();
    errs.windows(2).map(|w| (w[0] / w[1]).log2()).collect()
}

#[test]
fn deterministic_samplers_converge_at_second_order() {
    for (method, rho) in [
        (Method::DpmSolver2M, 7.0),
        (Method::EdmHeun { churn: Churn::NONE }, 7.0),
        (Method::ProbabilityFlow, 7.0),
        (Method::DpmSolver2M, 12.0),
    ] {
        let orders = observed_orders(method, rho);
        eprintln!("{method:?} rho {rho}: observed orders {orders:?}");
        for p in &orders {
            assert!(*p > 1.8 && *p < 2.5, "{method:?} rho {rho}: observed orders {orders:?}");
        }
    }
}
