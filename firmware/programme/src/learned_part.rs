//! The learned score on the device: the host-trained model embedded in the image
//! (`models/default_1d.tsm`, width 32, 2 hidden layers, stored as f32) evaluated in f32 and
//! quantised to I16F16 and I8F24; the same model quantised to int8 weights (`q8`,
//! `models/default_1d_q8.tsm`, written by `cargo xtask q8-model` with [`quantize_embedded`]);
//! a lambda-weighted loss accumulated over Monte Carlo samples drawn on the device (seeded
//! Xoshiro128++); and a few training steps of a small model.

use core::hint::black_box;

use fixed::types::{I16F16, I8F24};
use rand_core::SeedableRng;
use tinyscore::learned::objective::{McConfig, Target};
use tinyscore::learned::quant::{Calibration, Curvature, QuantError, QuantMlp, QuantWork, Requant};
use tinyscore::learned::train::{TrainConfig, Trainer};
use tinyscore::learned::weighting::Weighting;
use tinyscore::learned::{LossAccumulator, Preconditioning, ScoreMlp};
use tinyscore::mixture::GaussianMixture;
use tinyscore::sampling::uniform_f64;
use tinyscore::score_source::ScoreSource;
use tinyscore::{DefaultRng, Scalar};

use crate::bits::{status_bits, Bits32};
use crate::mixture_part::DEFAULT_MIXTURE;
use crate::{Bench, Op, Sink};

/// The embedded model file (`scripts/train-firmware-model.sh` writes it).
pub static MODEL: &[u8] = include_bytes!("../models/default_1d.tsm");

/// The embedded model's shape.
pub type Model<S> = ScoreMlp<S, 1, 32, 1>;

/// The embedded model quantised (`q8`): `cargo xtask q8-model` writes it with
/// [`quantize_embedded`].
pub static MODEL_Q8: &[u8] = include_bytes!("../models/default_1d_q8.tsm");

/// The quantised model's shape.
pub type QuantModel = QuantMlp<1, 32, 1>;

/// Number of calibration draws of [`quantize_embedded`].
pub const CALIBRATION_DRAWS: u32 = 4000;

/// The embedded f32 model quantised to `q8` (what `models/default_1d_q8.tsm` holds):
/// [`quantize_model`] of [`MODEL`] over its training range `t` in `[0, 1]`.
///
/// # Errors
/// As [`quantize_model`].
pub fn quantize_embedded() -> Result<QuantModel, QuantError> {
    quantize_model(MODEL, 1.0)
}

/// An embedded f32 model file quantised to `q8`: calibration on [`CALIBRATION_DRAWS`]
/// exact draws `(t, x)`, `t` uniform in the model's time range `[0, t_max]` and `x` from
/// `p(., t)` of the default mixture (seeded Xoshiro128++), weights rounded by GPTQ on the
/// same draws (host only: 16 KiB of sums).
///
/// # Errors
/// The quantisation's error (none for the embedded models); a model that does not decode
/// gives [`QuantError::NoDraws`].
pub fn quantize_model(file: &[u8], t_max: f64) -> Result<QuantModel, QuantError> {
    let mut model = empty_model::<f32>();
    if model.decode_into(file).is_err() {
        return Err(QuantError::NoDraws);
    }
    let gm = DEFAULT_MIXTURE;
    let mut rng = DefaultRng::seed_from_u64(13);
    let mut cal = Calibration::<1>::new();
    let mut curv = Curvature::<32, 1>::new();
    for _ in 0..CALIBRATION_DRAWS {
        let t = t_max * uniform_f64(&mut rng);
        if let Ok((x, _)) = gm.sample(t, &mut rng) {
            cal.observe(&model, t, &[x[0] as f32]);
            curv.observe(&model, t, &[x[0] as f32]);
        }
    }
    QuantModel::quantize_gptq(&model, &cal, &curv)
}

/// A zero model to decode into (one copy of the parameters on the stack, not three).
fn empty_model<S: Scalar>() -> Model<S> {
    ScoreMlp::zeroed()
}

/// `(t, x)` at which the model is evaluated.
const POINTS: [(f64, f64); 6] = [(0.0, -2.0), (0.0, 0.6), (0.05, 1.5), (0.3, -0.75), (1.0, 3.5), (0.7, 0.0)];

/// Monte Carlo samples of the loss on the device.
const LOSS_SAMPLES: u64 = 24;

#[inline(never)]
fn model_results<S: Scalar + Bits32, K: Sink>(out: &mut K, names: [&'static str; 6]) {
    let [score, status, loss, loss_se, loss_sat, error] = names;
    let mut model = empty_model::<S>();
    if model.decode_into(black_box(MODEL)).is_err() {
        out.u32(error, 1);
        return;
    }
    for (i, &(t, x)) in POINTS.iter().enumerate() {
        let (xs, _) = S::from_f64(black_box(x));
        let (s, st) = model.score(black_box(t), &[xs]);
        out.item32(score, i as u32, s[0].bits());
        out.item32(status, i as u32, status_bits(st));
    }
    let gm = DEFAULT_MIXTURE;
    loss_results::<S, _, K>(out, &mut model, &gm, [loss, loss_se, loss_sat]);
}

/// The q8 model's score at [`POINTS`] with inputs and outputs in `S`, and a loss in `S`.
#[inline(never)]
fn q8_results<S: Scalar + Bits32, K: Sink>(out: &mut K, names: [&'static str; 6])
where
    S::Work: QuantWork,
{
    let [score, status, loss, loss_se, loss_sat, error] = names;
    let mut model = QuantModel::zeroed();
    if q8_scores::<S, K>(out, &mut model, [score, status, error]) {
        let gm = DEFAULT_MIXTURE;
        loss_results::<S, _, K>(out, &mut model, &gm, [loss, loss_se, loss_sat]);
    }
}

/// Decode the q8 model into `model` and report its score at [`POINTS`] (names: score,
/// status, decode error); `false` if the model did not decode.
#[inline(never)]
fn q8_scores<S: Scalar + Bits32, K: Sink>(out: &mut K, model: &mut QuantModel, names: [&'static str; 3]) -> bool
where
    S::Work: QuantWork,
{
    let [score, status, error] = names;
    if model.decode_into(black_box(MODEL_Q8)).is_err() {
        out.u32(error, 1);
        return false;
    }
    for (i, &(t, x)) in POINTS.iter().enumerate() {
        let (xs, _) = S::from_f64(black_box(x));
        let (s, st) = model.score(black_box(t), &[xs]);
        out.item32(score, i as u32, s[0].bits());
        out.item32(status, i as u32, status_bits(st));
    }
    true
}

fn loss_results<S: Scalar, M: ScoreSource<S, 1>, K: Sink>(
    out: &mut K,
    model: &mut M,
    gm: &GaussianMixture<1, 4>,
    names: [&'static str; 3],
) {
    let cfg =
        McConfig { t_min: 0.0, t_max: 1.0, weighting: Weighting::One, target: Target::Exact, samples: LOSS_SAMPLES };
    let mut rng = DefaultRng::seed_from_u64(black_box(7));
    let mut acc = LossAccumulator::<4>::new(0.0, 1.0);
    let status = acc.accumulate(model, gm, &cfg, &mut rng);
    let e = acc.estimate();
    out.f64(names[0], e.value);
    out.f64(names[1], e.std_error);
    out.u32(names[2], u32::from(e.saturated) | (u32::from(status.is_err()) << 1));
}

/// A small model trained on the device: width 8, 2 hidden layers, f32.
pub type SmallModel = ScoreMlp<f32, 1, 8, 1>;

/// The training settings on the device: `t` uniform in `[0, 1]`, `lambda = 1`, `batch`
/// samples per step.
fn train_config(batch: usize, lr: f64) -> TrainConfig {
    TrainConfig { t_min: 0.0, t_max: 1.0, weighting: Weighting::One, batch, lr, ..TrainConfig::default() }
}

/// A q8 network of odd width (11: the kernels' remainders of rows, of input pairs and of
/// the output layer's pairs all run), quantised on the device from a seeded random float
/// model (calibration on 256 seeded draws, weights to nearest), its score at [`POINTS`] in
/// `I16F16`: the same bits on every core, whatever kernel (the M4F's `SMLAD` assembly, the
/// M0's offset kernel, the portable one) it takes.
#[inline(never)]
fn odd_width_results<K: Sink>(out: &mut K) {
    let gm = DEFAULT_MIXTURE;
    let mut rng = DefaultRng::seed_from_u64(black_box(21));
    let Ok(mut m) = ScoreMlp::<f32, 1, 11, 1>::new_random(Preconditioning::from_mixture(&gm), &mut rng) else {
        out.u32("net.q8odd.error", 1);
        return;
    };
    for v in m.params.output.w.iter_mut().flat_map(|r| r.iter_mut()) {
        *v = (2.0 * uniform_f64(&mut rng) - 1.0) as f32;
    }
    let mut cal = Calibration::new();
    let mut i = 0;
    while i < 256 {
        let t = uniform_f64(&mut rng);
        let x = [(6.0 * uniform_f64(&mut rng) - 3.0) as f32];
        cal.observe(&m, t, &x);
        i += 1;
    }
    let Ok(q) = QuantMlp::quantize(&m, &cal) else {
        out.u32("net.q8odd.error", 2);
        return;
    };
    for (i, &(t, x)) in POINTS.iter().enumerate() {
        let (xs, _) = I16F16::from_f64(black_box(x));
        let (s, st) = q.score(black_box(t), &[xs]);
        out.item32("net.q8odd.i16f16.score", i as u32, s[0].bits());
        out.item32("net.q8odd.i16f16.status", i as u32, status_bits(st));
    }
    // Two channels with multipliers of 1/2 or more (`n < 33`): the forward pass that tests
    // each channel's requantisation path, where the one above skips the test.
    let mut slow = q;
    if let Some(r) = slow.first.rq.get_mut(3) {
        *r = Requant::from_parts(1 << 30, 30);
    }
    if let Some(r) = slow.hidden.first_mut().and_then(|l| l.rq.get_mut(6)) {
        *r = Requant::from_parts(3 << 29, 31);
    }
    for (i, &(t, x)) in POINTS.iter().enumerate() {
        let (xs, _) = I16F16::from_f64(black_box(x));
        let (s, st) = slow.score(black_box(t), &[xs]);
        out.item32("net.q8slow.i16f16.score", i as u32, s[0].bits());
        out.item32("net.q8slow.i16f16.status", i as u32, status_bits(st));
    }
}

#[inline(never)]
fn training_results<K: Sink>(out: &mut K) {
    let gm = DEFAULT_MIXTURE;
    let mut rng = DefaultRng::seed_from_u64(black_box(11));
    let model = SmallModel::new_random(Preconditioning::from_mixture(&gm), &mut rng).ok();
    let Some(mut trainer) = model.and_then(|m| Trainer::new(m, train_config(8, 3e-3)).ok()) else {
        out.u32("train.error", 1);
        return;
    };
    let mut i = 0u32;
    while i < 3 {
        match trainer.step(&gm, &mut rng) {
            Ok(l) => out.item32("train.loss", i, (l as f32).to_bits()),
            Err(_) => out.item32("train.loss", i, u32::MAX),
        }
        i += 1;
    }
    // A digest of every parameter after the steps: any difference in any bit shows.
    let mut digest: u32 = 0;
    for (_, s) in trainer.model.params.tensors() {
        for p in s.iter() {
            digest = digest.rotate_left(5) ^ p.to_bits();
        }
    }
    out.u32("train.param_digest", digest);
    let (s, _) = trainer.model.score(0.5, &[0.25]);
    out.f32("train.score", s[0]);
}

/// Result names of the `I16F16` model: score, status, loss value, its standard error, loss
/// flags, decode error.
const I16F16_NAMES: [&str; 6] = [
    "net.i16f16.score",
    "net.i16f16.status",
    "loss.i16f16.value",
    "loss.i16f16.se",
    "loss.i16f16.flags",
    "net.i16f16.error",
];

/// Result names of the `q8` model with `I16F16` inputs and outputs.
const Q8_I16F16_NAMES: [&str; 6] = [
    "net.q8.i16f16.score",
    "net.q8.i16f16.status",
    "loss.q8.i16f16.value",
    "loss.q8.i16f16.se",
    "loss.q8.i16f16.flags",
    "net.q8.i16f16.error",
];

/// The learned-score results of the application image: the `q8` score at the points,
/// inputs and outputs in `I16F16` (the loss, an evaluation tool, stays in the test image),
/// the model decoded into `model`.
pub fn run_app<K: Sink>(out: &mut K, model: &mut QuantModel) {
    let [score, status, _, _, _, error] = Q8_I16F16_NAMES;
    q8_scores::<I16F16, K>(out, model, [score, status, error]);
}

/// The learned-score results.
pub fn run<K: Sink>(out: &mut K) {
    model_results::<f32, K>(
        out,
        ["net.f32.score", "net.f32.status", "loss.f32.value", "loss.f32.se", "loss.f32.flags", "net.f32.error"],
    );
    model_results::<I16F16, K>(out, I16F16_NAMES);
    model_results::<I8F24, K>(
        out,
        [
            "net.i8f24.score",
            "net.i8f24.status",
            "loss.i8f24.value",
            "loss.i8f24.se",
            "loss.i8f24.flags",
            "net.i8f24.error",
        ],
    );
    q8_results::<f32, K>(
        out,
        [
            "net.q8.f32.score",
            "net.q8.f32.status",
            "loss.q8.f32.value",
            "loss.q8.f32.se",
            "loss.q8.f32.flags",
            "net.q8.f32.error",
        ],
    );
    q8_results::<I16F16, K>(out, Q8_I16F16_NAMES);
    odd_width_results(out);
    training_results(out);
}

#[inline(never)]
fn bench_model<S: Scalar, B: Bench>(b: &mut B, scalar: &'static str) {
    let mut model = empty_model::<S>();
    if model.decode_into(MODEL).is_err() {
        return;
    }
    let x = [S::from_f64(0.3).0];
    let Some(tc) = model.time_consts(0.25) else { return };
    b.bench(&Op { operation: "net_forward", scalar, components: 0, dims: 1, calls: 10 }, || {
        black_box(black_box(&model).score_prepared(black_box(&tc), black_box(&x)));
    });
    let gm = DEFAULT_MIXTURE;
    let cfg = McConfig { t_min: 0.0, t_max: 1.0, weighting: Weighting::One, target: Target::Exact, samples: 1 };
    let mut rng = DefaultRng::seed_from_u64(3);
    let mut acc = LossAccumulator::<4>::new(0.0, 1.0);
    b.bench(&Op { operation: "loss_step", scalar, components: 3, dims: 1, calls: 10 }, || {
        let _ = black_box(acc.accumulate(&mut model, &gm, &cfg, &mut rng));
    });
}

/// The q8 forward pass with `I16F16` input and output (what the application image runs).
#[inline(never)]
fn bench_q8<B: Bench>(b: &mut B) {
    let mut model = QuantModel::zeroed();
    if model.decode_into(MODEL_Q8).is_err() {
        return;
    }
    let x = [I16F16::from_f64(0.3).0];
    let Some(tc) = model.prepare::<<I16F16 as Scalar>::Work>(0.25) else { return };
    b.bench(&Op { operation: "net_forward", scalar: "q8", components: 0, dims: 1, calls: 10 }, || {
        black_box(black_box(&model).score_prepared(black_box(&tc), black_box(&x)));
    });
}

#[inline(never)]
fn bench_train<B: Bench>(b: &mut B) {
    let gm = DEFAULT_MIXTURE;
    let mut rng = DefaultRng::seed_from_u64(5);
    let Ok(model) = SmallModel::new_random(Preconditioning::from_mixture(&gm), &mut rng) else { return };
    let Ok(mut trainer) = Trainer::new(model, train_config(1, 1e-3)) else { return };
    b.bench(&Op { operation: "train_step", scalar: "f32", components: 3, dims: 1, calls: 4 }, || {
        let _ = black_box(trainer.step(&gm, &mut rng));
    });
}

/// The timed learned-score operations: forward pass (width 32; f32, I16F16, I8F24, q8), one loss sample, one
/// training step on one sample (width 8).
pub fn benches<B: Bench>(b: &mut B) {
    bench_model::<f32, B>(b, "f32");
    bench_model::<I16F16, B>(b, "i16f16");
    bench_model::<I8F24, B>(b, "i8f24");
    bench_q8(b);
    bench_train(b);
}
