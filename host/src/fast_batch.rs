//! Runtime CPU dispatch for the batch API on x86-64: the same portable code
//! ([`PreparedBatch::evaluate_batch`]), compiled a second time with AVX2 and FMA enabled
//! and chosen at run time when the CPU has them. The default build stays portable (plain
//! x86-64, SSE2); nothing needs `-C target-cpu`. Results are bit-for-bit those of the
//! portable path except where the compiler contracts `a * b + c` into one FMA (one rounding
//! instead of two: never less accurate).
//!
//! This is the harness's only `unsafe` code: calling a `#[target_feature]` function is
//! `unsafe` because it is undefined on a CPU without the features; the call happens only
//! after `is_x86_feature_detected!` confirmed them.

use tinyscore::mixture::{MixtureScalar, PreparedBatch};
use tinyscore::Status;

/// `log_density[i] = log p(xs[i], t)`, `score[i] = s(xs[i], t)`, on the fastest code path
/// this CPU supports (see the module documentation).
pub fn evaluate_batch<S: MixtureScalar, const D: usize, const K: usize>(
    p: &PreparedBatch<S, D, K>,
    xs: &[[S; D]],
    log_density: &mut [S],
    score: &mut [[S; D]],
) -> Status {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe { evaluate_avx2(p, xs, log_density, score) };
        }
    }
    p.evaluate_batch(xs, log_density, score)
}

/// The portable code compiled with AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn evaluate_avx2<S: MixtureScalar, const D: usize, const K: usize>(
    p: &PreparedBatch<S, D, K>,
    xs: &[[S; D]],
    log_density: &mut [S],
    score: &mut [[S; D]],
) -> Status {
    p.evaluate_batch(xs, log_density, score)
}

/// The name of the code path [`evaluate_batch`] takes on this CPU.
pub fn code_path() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return "x86-64 AVX2+FMA (runtime dispatch)";
        }
    }
    "portable"
}
