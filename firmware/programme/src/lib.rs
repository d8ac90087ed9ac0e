//! The programme: the code that runs unchanged on every firmware image and on the host,
//! so that `cargo xtask qemu` can compare the results bit for bit.
//!
//! * [`run`] computes the results and hands each one to a [`Sink`]: on the firmware the
//!   sink writes one defmt frame per result (`R <name> <hex bits>`), on the host
//!   (xtask) it collects them in a list.
//! * [`benches`] lists the operations whose instructions per call `cargo xtask measure`
//!   reports; the firmware times each closure with an instruction counter.
//!
//! Rules for code here: `no_std`, no allocation, no panics (the `panic-check` image must
//! still link), inputs passed through [`black_box`] so that the target really computes
//! them rather than the compiler folding them on the build machine, and result names
//! without whitespace, unique within the programme.
#![no_std]

pub mod bits;
pub mod learned_part;
pub mod mixture_part;
pub mod sampler_part;

/// Receives the programme's results. Every result is reported as raw bits, so floating-
/// point values compare exactly (including the sign of zero and NaN payloads).
pub trait Sink {
    /// A 32-bit result.
    fn bits32(&mut self, name: &'static str, bits: u32);
    /// A 64-bit result.
    fn bits64(&mut self, name: &'static str, bits: u64);
    /// The `index`-th 32-bit result of a series: named `<name>#<index>`.
    fn item32(&mut self, name: &'static str, index: u32, bits: u32);

    /// An `f32` result, as its IEEE-754 bits.
    fn f32(&mut self, name: &'static str, value: f32) {
        self.bits32(name, value.to_bits());
    }
    /// An `f64` result, as its IEEE-754 bits.
    fn f64(&mut self, name: &'static str, value: f64) {
        self.bits64(name, value.to_bits());
    }
    /// An `i32` result, as its two's-complement bits.
    fn i32(&mut self, name: &'static str, value: i32) {
        self.bits32(name, value as u32);
    }
    /// A `u32` result.
    fn u32(&mut self, name: &'static str, value: u32) {
        self.bits32(name, value);
    }
}

/// The learned-score application, as a product would ship it: the `q8` network's score at
/// a few points (int8 weights, `I16F16` inputs and outputs), then [`sampler_part::GEN_SAMPLES`]
/// samples generated on the device with the same kind of network; no loss, no benchmarks, no
/// training, one model buffer. Its image (`app`) is the one whose flash and RAM
/// `cargo xtask measure` reports as `image`/`app`, and `cargo xtask qemu` compares its
/// results with this function run on the host.
pub fn run_app<S: Sink>(out: &mut S) {
    let mut model = learned_part::QuantModel::zeroed();
    learned_part::run_app(out, &mut model);
    sampler_part::run_app(out, &mut model);
}

/// The mixture application, as a product would ship it: the mixture score and log-density
/// in `I16F16` (image `app-mixture`; `cargo xtask measure` row `image`/`app-mixture`).
pub fn run_app_mixture<S: Sink>(out: &mut S) {
    mixture_part::run_app(out);
}

/// The programme: every part in turn (see each module).
pub fn run<S: Sink>(out: &mut S) {
    mixture_part::run(out);
    learned_part::run(out);
    sampler_part::run(out);
}

/// Identifies one measured operation; becomes one row of `cargo xtask measure`.
#[derive(Clone, Copy, Debug)]
pub struct Op {
    /// What is measured, e.g. `expf` or `score`.
    pub operation: &'static str,
    /// The scalar type, e.g. `f32`, `f64`, `I16F16`.
    pub scalar: &'static str,
    /// Mixture components (0 where it does not apply).
    pub components: u32,
    /// Dimensions (0 where it does not apply).
    pub dims: u32,
    /// How many calls the timed loop makes (more calls, finer resolution).
    pub calls: u32,
}

/// Times operations: on the firmware, with an instruction counter under `-icount shift=0`.
pub trait Bench {
    /// Calls `f` `op.calls` times and records the cost per result, each call making
    /// `items` results (a block of generated samples: the row is per sample).
    fn bench_items<F: FnMut()>(&mut self, op: &Op, items: u32, f: F);

    /// Calls `f` `op.calls` times and records the cost per call.
    fn bench<F: FnMut()>(&mut self, op: &Op, f: F) {
        self.bench_items(op, 1, f);
    }
}

/// The measured operations.
pub fn benches<B: Bench>(b: &mut B) {
    mixture_part::benches(b);
    learned_part::benches(b);
    sampler_part::benches(b);
}
