//! The streaming loss accumulator: chunking and merging do not change the result (bit for
//! bit), mean and standard error match a two-pass reference, and fixed-point-sized sums
//! over millions of samples neither overflow nor drift.

use proptest::prelude::*;
use tinyscore::learned::{LossAccumulator, Moments};

fn two_pass(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

proptest! {
    #[test]
    fn chunked_merge_equals_one_by_one(
        vals in prop::collection::vec((0.0f64..1.0, 0.0f64..50.0), 2..400),
        cuts in prop::collection::vec(0usize..400, 0..8),
    ) {
        let mut one = LossAccumulator::<8>::new(0.0, 1.0);
        for &(t, v) in &vals {
            one.add(t, v);
        }
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % vals.len()).collect();
        cuts.push(0);
        cuts.push(vals.len());
        cuts.sort_unstable();
        // Merge the chunks in reverse order: order must not matter either.
        let mut merged = LossAccumulator::<8>::new(0.0, 1.0);
        for w in cuts.windows(2).rev() {
            let mut chunk = LossAccumulator::<8>::new(0.0, 1.0);
            for &(t, v) in &vals[w[0]..w[1]] {
                chunk.add(t, v);
            }
            merged.merge(&chunk).unwrap();
        }
        prop_assert_eq!(one, merged);
        let v: Vec<f64> = vals.iter().map(|p| p.1).collect();
        let (mean, se) = two_pass(&v);
        let e = one.estimate();
        prop_assert!((e.value - mean).abs() <= 1e-12 * (1.0 + mean));
        prop_assert!((e.std_error - se).abs() <= 1e-9 * (1.0 + se));
        // Bins partition the samples.
        prop_assert_eq!(one.bins().iter().map(Moments::count).sum::<u64>(), vals.len() as u64);
    }
}

#[test]
fn millions_of_fixed_point_samples_do_not_overflow_or_drift() {
    // Q32.32 values up to 2^20 (far beyond any loss), 3 million of them.
    let mut m = Moments::new();
    let mut exact_sum: i128 = 0;
    let mut x: u64 = 0x243F_6A88_85A3_08D3;
    let n = 3_000_000u64;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let raw = (x >> 20) as i64; // up to 2^44 raw = 2^12 in value
        exact_sum += raw as i128;
        m.add(raw as f64 / 4_294_967_296.0);
    }
    assert!(!m.saturated());
    assert_eq!(m.count(), n);
    let mean = exact_sum as f64 / 4_294_967_296.0 / n as f64;
    assert!((m.mean() - mean).abs() <= 1e-15 * mean, "{} vs {mean}", m.mean());
    // Uniform on [0, 2^12): standard deviation 2^12 / sqrt(12).
    let sd = m.variance().sqrt();
    assert!((sd - 4096.0 / 12f64.sqrt()).abs() < 2.0, "{sd}");
}

#[test]
fn mismatched_ranges_do_not_merge() {
    let mut a = LossAccumulator::<4>::new(0.0, 1.0);
    assert!(a.merge(&LossAccumulator::new(0.0, 0.5)).is_err());
    assert!(a.merge(&LossAccumulator::new(0.0, 1.0)).is_ok());
}
