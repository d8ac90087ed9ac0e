//! Criterion benchmarks of the batch API (the operations of `tinyscore bench`): log-density
//! and score of N = 10000 points of the benchmark mixture at t = 0.5, per scalar type, plus
//! the scalar path point by point for comparison.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::mixture::GaussianMixture;
use tinyscore::mixture::{MixtureScalar, PreparedBatch};
use tinyscore_host::cmd_bench::{random_mixture, T};
use tinyscore_host::fast_batch;

const N: usize = 10_000;

fn points<S: MixtureScalar, const D: usize>(gm: &GaussianMixture<D, 8>) -> Vec<[S; D]> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    (0..N).map(|_| gm.sample(T, &mut rng).unwrap().0.map(|v| S::from_f64(v).0)).collect()
}

fn bench_type<S: MixtureScalar, const D: usize>(c: &mut Criterion, k: usize) {
    let gm: GaussianMixture<D, 8> = random_mixture(k, D, 12345).to_core().unwrap();
    let xs = points::<S, D>(&gm);
    let mut lp = vec![S::default(); N];
    let mut sc = vec![[S::default(); D]; N];
    let mut g = c.benchmark_group(format!("batch_{}_K{k}_D{D}", S::NAME));
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function(BenchmarkId::new("evaluate_batch", N), |b| {
        b.iter(|| {
            let p = PreparedBatch::<S, D, 8>::new(black_box(&gm), T).unwrap();
            fast_batch::evaluate_batch(&p, black_box(&xs), &mut lp, &mut sc)
        })
    });
    g.bench_function(BenchmarkId::new("scalar_path", N), |b| {
        b.iter(|| {
            let p = gm.prepare::<S>(T).unwrap();
            for (x, (l, s)) in xs.iter().zip(lp.iter_mut().zip(sc.iter_mut())) {
                let e = p.evaluate(black_box(x));
                *l = e.log_density;
                *s = e.score;
            }
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    for k in [1, 8] {
        bench_type::<f32, 1>(c, k);
        bench_type::<f32, 2>(c, k);
    }
    bench_type::<f64, 1>(c, 8);
    bench_type::<fixed::types::I16F16, 1>(c, 8);
}

criterion_group!(batch, benches);
criterion_main!(batch);
