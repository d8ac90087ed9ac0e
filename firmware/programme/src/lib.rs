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

use core::hint::black_box;

/// Receives the programme's results. Every result is reported as raw bits, so floating-
/// point values compare exactly (including the sign of zero and NaN payloads).
pub trait Sink {
    /// A 32-bit result.
    fn bits32(&mut self, name: &'static str, bits: u32);
    /// A 64-bit result.
    fn bits64(&mut self, name: &'static str, bits: u64);

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

/// The programme. Placeholder until the real one is dropped in: a few `libm` calls and
/// integer operations on fixed inputs.
pub fn run<S: Sink>(out: &mut S) {
    let x = black_box(0.5f32);
    let y = black_box(-3.25f32);
    out.f32("expf(0.5)", libm::expf(x));
    out.f32("expf(-3.25)", libm::expf(y));
    out.f32("logf(0.5)", libm::logf(x));
    out.f32("sqrtf(2)", libm::sqrtf(black_box(2.0f32)));
    out.f32("x*y+x", x * y + x);
    out.f32("x/y", x / y);
    out.f64("exp(0.5f64)", libm::exp(black_box(0.5f64)));

    let a = black_box(-123_456i32);
    let b = black_box(789i32);
    out.i32("a*b", a.wrapping_mul(b));
    out.i32("a/b", a.checked_div(b).unwrap_or(0));
    out.i32("a>>3", a >> 3);
    out.i32("(a*b)>>16", ((i64::from(a) * i64::from(b)) >> 16) as i32);

    // A short reduction: the kind of loop the real programme is made of.
    let mut acc = 0.0f32;
    let mut i = 0u32;
    while i < 16 {
        acc += libm::expf(black_box(-(i as f32) * 0.25));
        i += 1;
    }
    out.f32("sum_expf", acc);
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
    /// Calls `f` `op.calls` times and records the cost per call.
    fn bench<F: FnMut()>(&mut self, op: &Op, f: F);
}

/// The measured operations. Placeholder: `libm::expf`.
pub fn benches<B: Bench>(b: &mut B) {
    let x = 0.5f32;
    b.bench(&Op { operation: "expf", scalar: "f32", components: 0, dims: 1, calls: 1000 }, || {
        black_box(libm::expf(black_box(x)));
    });
}
