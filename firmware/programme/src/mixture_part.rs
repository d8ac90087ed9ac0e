//! The mixture on the device: log-density and score at fixed points in f32, I16F16 and
//! I8F24, and the timed mixture operations.

use core::hint::black_box;

use fixed::types::{I16F16, I8F24};
use tinyscore::mixture::{Component, GaussianMixture, MixtureScalar};

use crate::bits::{status_bits, Bits32};
use crate::{Bench, Op, Sink};

/// The built-in default mixture of the host's `report`: 1-D, three components (checked when
/// the programme is built).
pub const DEFAULT_MIXTURE: GaussianMixture<1, 4> = match GaussianMixture::new(
    1.0,
    &[
        Component { weight: 0.25, mean: [-2.0], std: [0.5] },
        Component { weight: 0.5, mean: [0.5], std: [0.3] },
        Component { weight: 0.25, mean: [3.0], std: [1.0] },
    ],
) {
    Ok(m) => m,
    Err(_) => panic!("invalid default mixture"),
};

/// A 2-D mixture with unequal per-dimension widths (checked when the programme is built).
pub const MIXTURE_2D: GaussianMixture<2, 4> = match GaussianMixture::new(
    1.0,
    &[
        Component { weight: 0.125, mean: [-2.0, -1.5], std: [0.3, 0.8] },
        Component { weight: 0.375, mean: [2.5, -1.0], std: [1.0, 0.25] },
        Component { weight: 0.5, mean: [-1.0, 2.0], std: [0.6, 0.4] },
    ],
) {
    Ok(m) => m,
    Err(_) => panic!("invalid 2-D mixture"),
};

/// `(t, x)` points for the 1-D mixture: bulk, between components, and a far tail.
const POINTS_1D: [(f64, f64); 8] =
    [(0.0, -2.25), (0.0, 0.5), (0.0, 1.75), (0.1, -0.5), (0.5, 3.0), (1.0, -6.0), (1.0, 12.5), (0.25, 0.0)];

/// `(t, x0, x1)` points for the 2-D mixture.
const POINTS_2D: [(f64, f64, f64); 4] = [(0.0, -1.0, 2.0), (0.2, 2.0, -1.0), (1.0, 0.0, 0.0), (0.5, -8.0, 9.5)];

#[inline(never)]
fn eval_1d<T: MixtureScalar + Bits32, S: Sink>(out: &mut S, gm: &GaussianMixture<1, 4>, name: [&'static str; 6]) {
    for (i, &(t, x)) in POINTS_1D.iter().enumerate() {
        let i = i as u32;
        let (xs, _) = T::from_f64(black_box(x));
        match gm.prepare::<T>(black_box(t)) {
            Ok(p) => {
                let e = p.evaluate(&[xs]);
                out.item32(name[0], i, e.log_density.bits());
                out.item32(name[1], i, e.score[0].bits());
                out.item32(name[2], i, status_bits(e.status));
                // score() alone: the type's fast kernel where it answers.
                let (s, st) = p.score(&[xs]);
                out.item32(name[3], i, s[0].bits());
                out.item32(name[4], i, status_bits(st));
                // log_density() alone: the f32 and I16F16 kernels have one too.
                out.item32(name[5], i, p.log_density(&[xs]).0.bits());
            }
            Err(_) => out.item32(name[2], i, 2),
        }
    }
}

#[inline(never)]
fn eval_2d<T: MixtureScalar + Bits32, S: Sink>(out: &mut S, gm: &GaussianMixture<2, 4>, name: [&'static str; 8]) {
    for (i, &(t, x0, x1)) in POINTS_2D.iter().enumerate() {
        let i = i as u32;
        let x = [T::from_f64(black_box(x0)).0, T::from_f64(black_box(x1)).0];
        match gm.prepare::<T>(black_box(t)) {
            Ok(p) => {
                let e = p.evaluate(&x);
                out.item32(name[0], i, e.log_density.bits());
                out.item32(name[1], i, e.score[0].bits());
                out.item32(name[2], i, e.score[1].bits());
                out.item32(name[3], i, status_bits(e.status));
                // score() alone: the type's fast kernel where it answers.
                let (s, st) = p.score(&x);
                out.item32(name[4], i, s[0].bits());
                out.item32(name[5], i, s[1].bits());
                out.item32(name[6], i, status_bits(st));
                out.item32(name[7], i, p.log_density(&x).0.bits());
            }
            Err(_) => out.item32(name[3], i, 2),
        }
    }
}

/// Result names of the 1-D mixture in `I16F16`: log-density, score, status of evaluate(),
/// then score and status of score(), and log_density().
const MIX1_I16F16_NAMES: [&str; 6] = [
    "mix1.i16f16.logp",
    "mix1.i16f16.score",
    "mix1.i16f16.status",
    "mix1.i16f16.fast",
    "mix1.i16f16.fast_status",
    "mix1.i16f16.fast_logp",
];

/// The mixture results of the application image: `I16F16`, 1-D.
pub fn run_app<S: Sink>(out: &mut S) {
    eval_1d::<I16F16, S>(out, &DEFAULT_MIXTURE, MIX1_I16F16_NAMES);
}

/// The mixture results.
pub fn run<S: Sink>(out: &mut S) {
    {
        let gm = DEFAULT_MIXTURE;
        eval_1d::<f32, S>(
            out,
            &gm,
            [
                "mix1.f32.logp",
                "mix1.f32.score",
                "mix1.f32.status",
                "mix1.f32.fast",
                "mix1.f32.fast_status",
                "mix1.f32.fast_logp",
            ],
        );
        eval_1d::<I16F16, S>(out, &gm, MIX1_I16F16_NAMES);
        eval_1d::<I8F24, S>(
            out,
            &gm,
            [
                "mix1.i8f24.logp",
                "mix1.i8f24.score",
                "mix1.i8f24.status",
                "mix1.i8f24.fast",
                "mix1.i8f24.fast_status",
                "mix1.i8f24.fast_logp",
            ],
        );
    }
    {
        let gm = MIXTURE_2D;
        eval_2d::<f32, S>(
            out,
            &gm,
            [
                "mix2.f32.logp",
                "mix2.f32.score0",
                "mix2.f32.score1",
                "mix2.f32.status",
                "mix2.f32.fast0",
                "mix2.f32.fast1",
                "mix2.f32.fast_status",
                "mix2.f32.fast_logp",
            ],
        );
        eval_2d::<I16F16, S>(
            out,
            &gm,
            [
                "mix2.i16f16.logp",
                "mix2.i16f16.score0",
                "mix2.i16f16.score1",
                "mix2.i16f16.status",
                "mix2.i16f16.fast0",
                "mix2.i16f16.fast1",
                "mix2.i16f16.fast_status",
                "mix2.i16f16.fast_logp",
            ],
        );
        eval_2d::<I8F24, S>(
            out,
            &gm,
            [
                "mix2.i8f24.logp",
                "mix2.i8f24.score0",
                "mix2.i8f24.score1",
                "mix2.i8f24.status",
                "mix2.i8f24.fast0",
                "mix2.i8f24.fast1",
                "mix2.i8f24.fast_status",
                "mix2.i8f24.fast_logp",
            ],
        );
    }
}

/// Eight components spread over [-3.5, 3.5], equal weights; the first `k` of them
/// (`k` in 1..=8; evaluated when the programme is built).
const fn bench_mixture_const<const D: usize>(k: usize) -> GaussianMixture<D, 8> {
    let mut comps = [Component { weight: 0.0, mean: [0.0; D], std: [0.5; D] }; 8];
    let mut j = 0;
    while j < 8 {
        comps[j].weight = 1.0 / k as f64;
        let mut d = 0;
        while d < D {
            comps[j].mean[d] = -3.5 + j as f64 + 0.25 * d as f64;
            d += 1;
        }
        j += 1;
    }
    let Some((used, _)) = comps.split_at_checked(k) else { panic!("more than 8 bench components") };
    match GaussianMixture::new(1.0, used) {
        Ok(m) => m,
        Err(_) => panic!("invalid bench mixture"),
    }
}

/// The bench mixtures with 1, 4 and 8 components, as constants.
struct BenchMixtures<const D: usize>;

impl<const D: usize> BenchMixtures<D> {
    const K1: GaussianMixture<D, 8> = bench_mixture_const(1);
    const K4: GaussianMixture<D, 8> = bench_mixture_const(4);
    const K8: GaussianMixture<D, 8> = bench_mixture_const(8);
}

/// The bench mixture with `k` components (1, 4 or 8).
fn bench_mixture<const D: usize>(k: usize) -> Option<GaussianMixture<D, 8>> {
    match k {
        1 => Some(BenchMixtures::<D>::K1),
        4 => Some(BenchMixtures::<D>::K4),
        8 => Some(BenchMixtures::<D>::K8),
        _ => None,
    }
}

#[inline(never)]
fn bench_one<T: MixtureScalar, B: Bench, const D: usize>(b: &mut B, scalar: &'static str, k: usize) {
    let Some(gm) = bench_mixture::<D>(k) else { return };
    let Ok(p) = gm.prepare::<T>(0.25) else { return };
    // A point among the components: 0.3 right of the middle of the means.
    let middle = -3.5 + 0.5 * (k as f64 - 1.0) + 0.3;
    let x = [T::from_f64(middle).0; D];
    let calls = 20;
    b.bench(&Op { operation: "mixture_score", scalar, components: k as u32, dims: D as u32, calls }, || {
        black_box(black_box(&p).score(black_box(&x)));
    });
    b.bench(&Op { operation: "mixture_log_density", scalar, components: k as u32, dims: D as u32, calls }, || {
        black_box(black_box(&p).log_density(black_box(&x)));
    });
    if k == 4 {
        // In the tail, 8 standard deviations (sqrt(0.5) each) beyond the last mean: no fast
        // kernel answers there.
        let tail = [T::from_f64(-3.5 + 3.0 + 8.0 * core::f64::consts::FRAC_1_SQRT_2).0; D];
        let op = Op { operation: "mixture_score_tail", scalar, components: k as u32, dims: D as u32, calls };
        b.bench(&op, || {
            black_box(black_box(&p).score(black_box(&tail)));
        });
    }
}

/// The timed mixture operations: score and log-density at a prepared t, K = 1, 4, 8, D = 1, 2.
pub fn benches<B: Bench>(b: &mut B) {
    for k in [1, 4, 8] {
        bench_one::<f32, B, 1>(b, "f32", k);
        bench_one::<I16F16, B, 1>(b, "i16f16", k);
        bench_one::<I8F24, B, 1>(b, "i8f24", k);
        bench_one::<f32, B, 2>(b, "f32", k);
        bench_one::<I16F16, B, 2>(b, "i16f16", k);
        bench_one::<I8F24, B, 2>(b, "i8f24", k);
    }
}
