//! `tinyscore bench`: single-threaded throughput of the batch API
//! ([`tinyscore::mixture::PreparedBatch::evaluate_batch`], log-density and score together,
//! like the peers' `value_and_grad`) on `N` random points of a random mixture.
//!
//! The problem is the one of `bench/peer_bench.py`: means ~ U[-3, 3], stds ~ U[0.3, 1.0],
//! weights ~ U(0, 1) (at least 1e-3) normalised, sigma = 1, t = 0.5, points drawn from
//! `p(., t)`. The per-`t` preparation is inside the timed call. The figure is the best of
//! `repeats` runs after one warm-up run.

use std::hint::black_box;
use std::time::Instant;

use anyhow::{bail, Result};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::mixture::GaussianMixture;
use tinyscore::mixture::{MixtureScalar, PreparedBatch};

use crate::dims::{MAX_COMPONENTS, MAX_DIMS};
use crate::eval::ScalarKind;
use crate::mixture_file::{ComponentSpec, MixtureSpec};
use crate::with_scalar;

/// The time of the benchmark.
pub const T: f64 = 0.5;

/// The benchmark's random mixture: `k` components in `d` dimensions, sigma = 1.
pub fn random_mixture(k: usize, d: usize, seed: u64) -> MixtureSpec {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ (1000 * k + d) as u64);
    let raw: Vec<f64> = (0..k).map(|_| rng.random_range(0.0..1.0f64).max(1e-3)).collect();
    let total: f64 = raw.iter().sum();
    MixtureSpec {
        sigma: 1.0,
        components: raw
            .iter()
            .map(|w| ComponentSpec {
                weight: w / total,
                mean: (0..d).map(|_| rng.random_range(-3.0..3.0)).collect(),
                std: (0..d).map(|_| rng.random_range(0.3..1.0)).collect(),
            })
            .collect(),
    }
}

/// Timing result.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchResult {
    /// Best time per point over the repetitions, in nanoseconds.
    pub best_ns_per_point: f64,
    /// Median time per point.
    pub median_ns_per_point: f64,
}

fn time_batch<S: MixtureScalar, const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    n: usize,
    repeats: usize,
    seed: u64,
) -> Result<BenchResult> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let xs: Vec<[S; D]> = (0..n)
        .map(|_| {
            let (x, _) = gm.sample(T, &mut rng).unwrap_or(([0.0; D], 0));
            x.map(|v| S::from_f64(v).0)
        })
        .collect();
    let mut lp = vec![S::default(); n];
    let mut sc = vec![[S::default(); D]; n];
    let mut times = Vec::with_capacity(repeats);
    for rep in 0..=repeats {
        let t0 = Instant::now();
        let p = PreparedBatch::<S, D, K>::new(black_box(gm), black_box(T)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let st = crate::fast_batch::evaluate_batch(&p, black_box(&xs), &mut lp, &mut sc);
        black_box((&lp, &sc, st));
        let dt = t0.elapsed().as_secs_f64();
        if rep > 0 {
            times.push(dt * 1e9 / n as f64);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(BenchResult { best_ns_per_point: times[0], median_ns_per_point: times[times.len() / 2] })
}

/// Run the benchmark for `k` components, `d` dimensions, `n` points.
pub fn measure(k: usize, d: usize, n: usize, scalar: ScalarKind, repeats: usize, seed: u64) -> Result<BenchResult> {
    if k == 0 || k > MAX_COMPONENTS {
        bail!("--components {k}: must be 1 to {MAX_COMPONENTS}");
    }
    if d == 0 || d > MAX_DIMS {
        bail!("--dims {d}: must be 1 to {MAX_DIMS}");
    }
    if n == 0 {
        bail!("--points: must be at least 1");
    }
    if repeats == 0 {
        bail!("--repeats: must be at least 1");
    }
    let spec = random_mixture(k, d, seed);
    spec.validate("benchmark mixture")?;
    match d {
        1 => with_scalar!(scalar, S => by_capacity::<S, 1>(&spec, n, repeats, seed)),
        2 => with_scalar!(scalar, S => by_capacity::<S, 2>(&spec, n, repeats, seed)),
        3 => with_scalar!(scalar, S => by_capacity::<S, 3>(&spec, n, repeats, seed)),
        _ => with_scalar!(scalar, S => by_capacity::<S, 4>(&spec, n, repeats, seed)),
    }
}

/// Time with the smallest compiled capacity that holds the mixture (8 or 16 components):
/// the kernel's per-block arrays are sized by the capacity, as on a microcontroller.
fn by_capacity<S: MixtureScalar, const D: usize>(
    spec: &MixtureSpec,
    n: usize,
    repeats: usize,
    seed: u64,
) -> Result<BenchResult> {
    let err = |e: tinyscore::mixture::MixtureError| anyhow::anyhow!("benchmark mixture: {e}");
    if spec.components.len() <= 8 {
        let gm: GaussianMixture<D, 8> = spec.to_core().map_err(err)?;
        time_batch::<S, D, 8>(&gm, n, repeats, seed)
    } else {
        let gm: GaussianMixture<D, MAX_COMPONENTS> = spec.to_core().map_err(err)?;
        time_batch::<S, D, MAX_COMPONENTS>(&gm, n, repeats, seed)
    }
}

/// The command: prints the settings, the median, and last `ns_per_point: X` (the best).
pub fn run(k: usize, d: usize, n: usize, scalar: ScalarKind, repeats: usize, seed: u64) -> Result<()> {
    let r = measure(k, d, n, scalar, repeats, seed)?;
    println!(
        "batch log-density + score, K = {k}, D = {d}, N = {n}, scalar {scalar}, t = {T}, 1 thread, best of {repeats}, code path: {}",
        crate::fast_batch::code_path()
    );
    println!("median_ns_per_point: {:.2}", r.median_ns_per_point);
    println!("ns_per_point: {:.2}", r.best_ns_per_point);
    Ok(())
}
