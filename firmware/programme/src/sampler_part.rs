//! Samplers, time grids and the batch API on the device: a handful of samples of the 1-D
//! default mixture with its exact score (Euler-Maruyama, probability flow and
//! predictor-corrector, DPM-Solver++(2M) and EDM Heun with churn on a short geometric grid,
//! seeded `DefaultRng`), and the batch
//! score and log-density at a few points, in `f32` and `I16F16`; and generation on the
//! device: [`GEN_SAMPLES`] samples from the embedded learned model [`GEN_MODEL`] with the
//! few-step sampler
//! DPM-Solver++(2M) on a Karras grid ([`GEN_STEPS`] steps, `GEN_STEPS + 1` score
//! evaluations per sample), starting from the Gaussian matching the default mixture at
//! [`GEN_T_MAX`], seeded `DefaultRng` (Xoshiro128++), in `f32` and `I16F16` and with the
//! model's int8-weight network ([`GEN_MODEL_Q8`]). The model is wrapped in
//! [`ModelScore`], which prepares each time once per block of samples.

use core::hint::black_box;

use fixed::types::I16F16;
use rand_core::SeedableRng;
use tinyscore::mixture::GaussianMixture;
use tinyscore::mixture::{MixtureScalar, PreparedBatch};
use tinyscore::sampler::{Churn, Method, Sampler, SamplerConfig};
use tinyscore::score_source::{MixtureScore, ModelScore, TimePrepared};
use tinyscore::start::StartGaussian;
use tinyscore::time_grid::{Spacing, TimeGrid};
use tinyscore::DefaultRng;
/// The scalar bound and status of [`generate_into`] (re-exported for the host's quality test).
pub use tinyscore::{Scalar, Status};

use crate::bits::{status_bits, Bits32};
use crate::learned_part::{Model, QuantModel};
use crate::mixture_part::DEFAULT_MIXTURE;
use crate::{Bench, Op, Sink};

/// Samples generated from the learned model per scalar type (every one compared bit for bit).
pub const GEN_SAMPLES: usize = 64;

/// Steps of the Karras grid of the generation (DPM-Solver++(2M): `GEN_STEPS + 1` score
/// evaluations per sample, the last step to `t = 0` included).
pub const GEN_STEPS: u32 = 9;

/// Start time of the generation: the end of [`GEN_MODEL`]'s training range (`t` in
/// `[0, 16]`, `sigma = 1`: the noise, standard deviation 4, dominates the data's spread, so
/// the start Gaussian matches `p(x, 16)` closely).
pub const GEN_T_MAX: f64 = 16.0;

/// The model the device generates with: the default mixture's model trained on `t` in
/// `[0, 16]` (`scripts/train-firmware-model.sh`, `train --t-max 16`), same shape as
/// [`learned_part::MODEL`](crate::learned_part::MODEL) (trained on `[0, 1]`, too short a range
/// to start sampling from: the start Gaussian would not match `p(x, 1)`, W1 0.065).
pub static GEN_MODEL: &[u8] = include_bytes!("../models/default_1d_t16.tsm");

/// [`GEN_MODEL`] quantised to int8 weights (`cargo xtask q8-model`: calibration draws over
/// its time range `[0, 16]`).
pub static GEN_MODEL_Q8: &[u8] = include_bytes!("../models/default_1d_t16_q8.tsm");

/// Last grid time before the step to `t = 0`: noise level `sigma sqrt(t_min) = 0.04`.
pub const GEN_T_MIN: f64 = 1.6e-3;

/// Exponent of the Karras grid (the EDM default).
pub const GEN_RHO: f64 = 7.0;

/// Seed of the generation's `DefaultRng`.
pub const GEN_SEED: u64 = 23;

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

/// The generation's sampler and start Gaussian (module documentation); `None` if a
/// parameter were rejected (they are constants: never).
pub fn gen_setup() -> Option<(Sampler, StartGaussian<1>)> {
    let grid = TimeGrid::new(black_box(GEN_T_MAX), GEN_T_MIN, GEN_STEPS, Spacing::Karras { rho: GEN_RHO }).ok()?;
    let gm = DEFAULT_MIXTURE;
    let sampler = Sampler::new(SamplerConfig { method: Method::DpmSolver2M, grid, sigma: gm.sigma() }).ok()?;
    let start = StartGaussian::from_mixture(&gm, grid.t_max()).ok()?;
    Some((sampler, start))
}

/// Names of one generation run: samples, status, setup error.
struct GenNames {
    samples: &'static str,
    status: &'static str,
    error: &'static str,
}

/// Fill `samples` from the embedded model in `T` as the device does (module documentation):
/// the host runs this with many more samples than [`GEN_SAMPLES`], and the first
/// `GEN_SAMPLES` are the device's bit for bit (the sampler is deterministic after the
/// start draws, which come in the same order). `Err(1)` if the model does not decode,
/// `Err(2)` if the setup is rejected.
pub fn generate_into<T: Scalar>(samples: &mut [[T; 1]]) -> Result<Status, u32> {
    let mut model = Model::<T>::zeroed();
    if model.decode_into(black_box(GEN_MODEL)).is_err() {
        return Err(1);
    }
    generate_with(&model, samples)
}

/// [`generate_into`] with the int8-weight network ([`GEN_MODEL_Q8`], inputs and outputs in
/// `I16F16`, the sampler's state in its working type Q32.32): what the M0 ships.
pub fn generate_q8_into(samples: &mut [[I16F16; 1]]) -> Result<Status, u32> {
    generate_q8_with(&mut QuantModel::zeroed(), samples)
}

/// [`generate_q8_into`] decoding [`GEN_MODEL_Q8`] into `model` (a buffer the caller shares).
pub fn generate_q8_with(model: &mut QuantModel, samples: &mut [[I16F16; 1]]) -> Result<Status, u32> {
    if model.decode_into(black_box(GEN_MODEL_Q8)).is_err() {
        return Err(1);
    }
    generate_with(model, samples)
}

/// The generation's sampler, start and seed applied to a decoded model; `Err(2)` if the
/// setup is rejected.
fn generate_with<T: Scalar, M: TimePrepared<T, 1>>(model: &M, samples: &mut [[T; 1]]) -> Result<Status, u32> {
    let Some((sampler, start)) = gen_setup() else { return Err(2) };
    let mut rng = DefaultRng::seed_from_u64(black_box(GEN_SEED));
    Ok(sampler.generate_blocked::<GEN_SAMPLES, _, _>(&mut ModelScore::new(model), &start, &mut rng, samples))
}

/// [`GEN_SAMPLES`] samples by `fill` (one of the generators above) in `T`.
#[inline(never)]
fn generate<T: Scalar + Bits32, S: Sink>(
    out: &mut S,
    names: &GenNames,
    fill: impl FnOnce(&mut [[T; 1]]) -> Result<Status, u32>,
) {
    let mut samples = [[T::default(); 1]; GEN_SAMPLES];
    let status = match fill(&mut samples) {
        Ok(st) => st,
        Err(e) => return out.u32(names.error, e),
    };
    for (i, x) in (0u32..).zip(samples.iter()) {
        for v in x.iter() {
            out.item32(names.samples, i, v.bits());
        }
    }
    out.u32(names.status, status_bits(status));
}

/// Instructions per generated sample: each timed call generates one batch of
/// [`GEN_SAMPLES`] samples as the device does (the model decoded once, outside), the row
/// divides by the samples.
#[inline(never)]
fn bench_generate<T: Scalar, M: TimePrepared<T, 1>, B: Bench>(b: &mut B, model: &M, scalar: &'static str) {
    let Some((sampler, start)) = gen_setup() else { return };
    let mut rng = DefaultRng::seed_from_u64(GEN_SEED);
    let mut batch = [[T::default(); 1]; GEN_SAMPLES];
    let op = Op { operation: "generate_sample", scalar, components: 0, dims: 1, calls: 1 };
    b.bench_items(&op, GEN_SAMPLES as u32, || {
        let mut source = ModelScore::new(model);
        let _ = black_box(sampler.generate_blocked::<GEN_SAMPLES, _, _>(
            &mut source,
            &start,
            &mut rng,
            black_box(&mut batch),
        ));
    });
}

/// [`bench_generate`] with the embedded model decoded into `T` (one model on the stack at a
/// time: the M0 has 16 KiB of RAM).
#[inline(never)]
fn bench_generate_float<T: Scalar, B: Bench>(b: &mut B, scalar: &'static str) {
    let mut model = Model::<T>::zeroed();
    if model.decode_into(GEN_MODEL).is_ok() {
        bench_generate::<T, _, B>(b, &model, scalar);
    }
}

/// [`bench_generate`] with the int8-weight network, and what the generation pays per step
/// of a block: the network's constants of `t` (`time_prepare`) and one grid time
/// (`grid_time`, Karras).
#[inline(never)]
fn bench_generate_q8<B: Bench>(b: &mut B) {
    let mut model = QuantModel::zeroed();
    if model.decode_into(GEN_MODEL_Q8).is_ok() {
        bench_generate::<I16F16, _, B>(b, &model, "q8");
        let op = Op { operation: "time_prepare", scalar: "q8", components: 0, dims: 1, calls: 4 };
        b.bench(&op, || {
            let _ = black_box(black_box(&model).prepare::<<I16F16 as Scalar>::Work>(black_box(0.3)));
        });
    }
    if let Some((sampler, _)) = gen_setup() {
        let op = Op { operation: "grid_time", scalar: "f64", components: 0, dims: 1, calls: 4 };
        b.bench(&op, || {
            let _ = black_box(black_box(sampler.grid()).time(black_box(3)));
        });
    }
}

/// The timed generation, per sample: the embedded model in `f32` and `I16F16`, and its
/// int8-weight network with `I16F16` inputs and outputs.
pub fn benches<B: Bench>(b: &mut B) {
    bench_generate_float::<f32, B>(b, "f32");
    bench_generate_float::<I16F16, B>(b, "i16f16");
    bench_generate_q8(b);
}

/// The application image's generation: [`GEN_SAMPLES`] samples with the int8-weight
/// network, decoded into `model` (the buffer the image's scores used).
pub fn run_app<S: Sink>(out: &mut S, model: &mut QuantModel) {
    let names = GenNames { samples: "gen.q8", status: "gen.q8.status", error: "gen.q8.error" };
    generate::<I16F16, S>(out, &names, |s| generate_q8_with(model, s));
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
    // The few-step samplers with the exact score (EDM Heun with churn: it draws noise).
    let dpm = Method::DpmSolver2M;
    let churn = Churn { s_churn: black_box(1.0), ..Churn::NONE };
    let edm = Method::EdmHeun { churn };
    sample::<f32, S>(out, &gm, dpm, &RunNames { samples: "smp.f32.dpm2m", status: "smp.f32.dpm2m.status" });
    sample::<f32, S>(out, &gm, edm, &RunNames { samples: "smp.f32.edm", status: "smp.f32.edm.status" });
    sample::<I16F16, S>(out, &gm, dpm, &RunNames { samples: "smp.i16f16.dpm2m", status: "smp.i16f16.dpm2m.status" });
    sample::<I16F16, S>(out, &gm, edm, &RunNames { samples: "smp.i16f16.edm", status: "smp.i16f16.edm.status" });
    batch::<f32, S>(out, &gm, ["batch.f32.score", "batch.f32.logp", "batch.f32.score_status", "batch.f32.logp_status"]);
    batch::<I16F16, S>(
        out,
        &gm,
        ["batch.i16f16.score", "batch.i16f16.logp", "batch.i16f16.score_status", "batch.i16f16.logp_status"],
    );
    let names = GenNames { samples: "gen.f32", status: "gen.f32.status", error: "gen.f32.error" };
    generate::<f32, S>(out, &names, generate_into::<f32>);
    let names = GenNames { samples: "gen.i16f16", status: "gen.i16f16.status", error: "gen.i16f16.error" };
    generate::<I16F16, S>(out, &names, generate_into::<I16F16>);
    let names = GenNames { samples: "gen.q8", status: "gen.q8.status", error: "gen.q8.error" };
    generate::<I16F16, S>(out, &names, generate_q8_into);
}
