//! Samplers, time grids and the batch API on the device: a handful of samples of the 1-D
//! default mixture with its exact score (Euler-Maruyama, probability flow and
//! predictor-corrector on a short geometric grid, seeded `DefaultRng`), and the batch
//! score and log-density at a few points, in `f32` and `I16F16`.

use core::hint::black_box;

use fixed::types::I16F16;
use rand_core::SeedableRng;
use tinyscore::mixture::GaussianMixture;
use tinyscore::mixture::{MixtureScalar, PreparedBatch};
use tinyscore::sampler::{Method, Sampler, SamplerConfig};
use tinyscore::score_source::MixtureScore;
use tinyscore::start::StartGaussian;
use tinyscore::time_grid::{Spacing, TimeGrid};
use tinyscore::DefaultRng;

use crate::bits::{status_bits, Bits32};
use crate::mixture_part::DEFAULT_MIXTURE;
use crate::Sink;

/// Samples per run: one block of `Sampler::generate`.
const SAMPLES: usize = 8;

/// Points of the batch evaluation: `t` and `x`.
const BATCH_T: f64 = 0.25;
const BATCH_X: [f64; 6] = [-2.5, -0.75, 0.0, 0.5, 2.0, 7.5];

/// Result names of one sampler run: the samples and the status.
struct RunNames {
    samples: &'static str,
    status: &'static str,
}

/// `SAMPLES` samples with `method` in `T`, 8 geometric steps from `t = 4`.
#[inline(never)]
fn sample<T: MixtureScalar + Bits32, S: Sink>(
    out: &mut S,
    gm: &GaussianMixture<1, 4>,
    method: Method,
    names: &RunNames,
) {
    let grid = match TimeGrid::new(black_box(4.0), 1e-3, 8, Spacing::Geometric { t_offset: 0.09 }) {
        Ok(g) => g,
        Err(_) => return out.u32(names.status, 2),
    };
    let sampler = match Sampler::new(SamplerConfig { method, grid, sigma: gm.sigma() }) {
        Ok(s) => s,
        Err(_) => return out.u32(names.status, 3),
    };
    let start = match StartGaussian::from_mixture(gm, grid.t_max()) {
        Ok(s) => s,
        Err(_) => return out.u32(names.status, 4),
    };
    let mut rng = DefaultRng::seed_from_u64(black_box(17));
    let mut samples = [[T::default(); 1]; SAMPLES];
    let status = sampler.generate(&mut MixtureScore::new(gm), &start, &mut rng, &mut samples);
    for (i, x) in (0u32..).zip(samples.iter()) {
        for v in x.iter() {
            out.item32(names.samples, i, v.bits());
        }
    }
    out.u32(names.status, status_bits(status));
}

/// The batch score and log-density at `BATCH_X`, `t = BATCH_T`.
#[inline(never)]
fn batch<T: MixtureScalar + Bits32, S: Sink>(out: &mut S, gm: &GaussianMixture<1, 4>, names: [&'static str; 4]) {
    let [score_name, logp_name, score_status, logp_status] = names;
    let p = match PreparedBatch::<T, 1, 4>::new(gm, black_box(BATCH_T)) {
        Ok(p) => p,
        Err(_) => return out.u32(score_status, 2),
    };
    let xs = BATCH_X.map(|x| [T::from_f64(black_box(x)).0]);
    let mut score = [[T::default(); 1]; BATCH_X.len()];
    let st = p.score_batch(&xs, &mut score);
    for (i, s) in (0u32..).zip(score.iter()) {
        for v in s.iter() {
            out.item32(score_name, i, v.bits());
        }
    }
    out.u32(score_status, status_bits(st));
    let mut logp = [T::default(); BATCH_X.len()];
    let st = p.log_density_batch(&xs, &mut logp);
    for (i, v) in (0u32..).zip(logp.iter()) {
        out.item32(logp_name, i, v.bits());
    }
    out.u32(logp_status, status_bits(st));
}

/// The sampler and batch results.
pub fn run<S: Sink>(out: &mut S) {
    let gm = DEFAULT_MIXTURE;
    let em = Method::EulerMaruyama;
    let pf = Method::ProbabilityFlow;
    let pc = Method::PredictorCorrector { ratio: black_box(0.5) };
    sample::<f32, S>(out, &gm, em, &RunNames { samples: "smp.f32.em", status: "smp.f32.em.status" });
    sample::<f32, S>(out, &gm, pf, &RunNames { samples: "smp.f32.pf", status: "smp.f32.pf.status" });
    sample::<f32, S>(out, &gm, pc, &RunNames { samples: "smp.f32.pc", status: "smp.f32.pc.status" });
    sample::<I16F16, S>(out, &gm, em, &RunNames { samples: "smp.i16f16.em", status: "smp.i16f16.em.status" });
    sample::<I16F16, S>(out, &gm, pf, &RunNames { samples: "smp.i16f16.pf", status: "smp.i16f16.pf.status" });
    batch::<f32, S>(out, &gm, ["batch.f32.score", "batch.f32.logp", "batch.f32.score_status", "batch.f32.logp_status"]);
    batch::<I16F16, S>(
        out,
        &gm,
        ["batch.i16f16.score", "batch.i16f16.logp", "batch.i16f16.score_status", "batch.i16f16.logp_status"],
    );
}
