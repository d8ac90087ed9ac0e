//! A streaming, mergeable accumulator of per-sample losses: running mean, standard error,
//! and the same per time bin, with no storage of samples.
//!
//! # Exact wide sums
//! Each value `v` is rounded once to Q64.64 (an `i128` counting 2^-64) and so is `v^2`;
//! the sums are then exact integer sums. Hence
//! * no rounding error accumulates, whatever the number of samples (the compensated
//!   summation problem disappears), and the result does not depend on the order in which
//!   samples were added or chunks merged: bit for bit;
//! * no overflow: a sum saturates (and [`Moments::saturated`] is set) only after more than
//!   2^31 samples of the largest admissible value; values with `|v| >= 2^31` (or `v^2 >= 2^63`)
//!   and NaN are counted but flagged saturated. Fixed-point losses (Q32.32) are exact in Q64.64.
//!
//! The variance is formed in `f64` from the exact sums,
//! `var = (S2 - S1^2 / n) / (n - 1)`, with relative error about `2^-52 (1 + mean^2 / var)`.

/// 2^64 as `f64`.
const TWO64: f64 = 18_446_744_073_709_551_616.0;

/// Count, sum and sum of squares of a stream of values, exact in Q64.64.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Moments {
    n: u64,
    s1: i128,
    s2: i128,
    saturated: bool,
}

/// Round `v 2^64` to an `i128`; `None` if it does not fit comfortably (|v| >= 2^62) or is NaN.
fn to_q64(v: f64) -> Option<i128> {
    if v.is_nan() || libm::fabs(v) >= 4_611_686_018_427_387_904.0 {
        None
    } else {
        Some(libm::round(v * TWO64) as i128)
    }
}

impl Moments {
    /// Nothing seen.
    pub const fn new() -> Self {
        Moments { n: 0, s1: 0, s2: 0, saturated: false }
    }

    /// Add one value.
    pub fn add(&mut self, v: f64) {
        self.n = self.n.saturating_add(1);
        let (a, b) = (to_q64(v), if libm::fabs(v) < 2_147_483_648.0 { to_q64(v * v) } else { None });
        match (a, b) {
            (Some(a), Some(b)) => {
                let (s1, o1) = self.s1.overflowing_add(a);
                let (s2, o2) = self.s2.overflowing_add(b);
                if o1 || o2 {
                    self.saturated = true;
                    self.s1 = self.s1.saturating_add(a);
                    self.s2 = self.s2.saturating_add(b);
                } else {
                    self.s1 = s1;
                    self.s2 = s2;
                }
            }
            _ => self.saturated = true,
        }
    }

    /// Add everything another accumulator has seen.
    pub fn merge(&mut self, other: &Moments) {
        self.n = self.n.saturating_add(other.n);
        let (s1, o1) = self.s1.overflowing_add(other.s1);
        let (s2, o2) = self.s2.overflowing_add(other.s2);
        self.saturated |= other.saturated | o1 | o2;
        self.s1 = if o1 { self.s1.saturating_add(other.s1) } else { s1 };
        self.s2 = if o2 { self.s2.saturating_add(other.s2) } else { s2 };
    }

    /// Number of values.
    pub const fn count(&self) -> u64 {
        self.n
    }

    /// `true` if a value was NaN or too large, or a sum saturated.
    pub const fn saturated(&self) -> bool {
        self.saturated
    }

    /// Mean (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.s1 as f64 / TWO64 / self.n as f64
        }
    }

    /// Sample variance (unbiased; 0 with fewer than two values).
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as f64;
        let s1 = self.s1 as f64 / TWO64;
        let s2 = self.s2 as f64 / TWO64;
        ((s2 - s1 * (s1 / n)) / (n - 1.0)).max(0.0)
    }

    /// Standard error of the mean, `sqrt(var / n)` (0 with fewer than two values).
    pub fn std_error(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            libm::sqrt(self.variance() / self.n as f64)
        }
    }
}

/// A Monte Carlo estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Number of samples.
    pub samples: u64,
    /// A value or sum saturated (the estimate is not to be trusted).
    pub saturated: bool,
}

/// Accumulators cannot be merged: their time ranges differ (bin counts are part of the type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct MergeMismatch;

impl core::fmt::Display for MergeMismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the accumulators have different time ranges")
    }
}

impl core::error::Error for MergeMismatch {}

/// Per-sample values `v = 1/2 lambda(t) |s_theta - target|^2` at times `t` in
/// `[t_min, t_max]`, overall and in `B` equal time bins.
///
/// The estimate of `J = 1/2 \int lambda E|.|^2 dt` is `(t_max - t_min) mean(v)`
/// ([`LossAccumulator::estimate`]); a bin's mean is `E[v | t in bin]`. Samples from a model
/// are added by [`LossAccumulator::accumulate`].
///
/// # Examples
/// ```
/// use tinyscore::learned::LossAccumulator;
/// let mut a = LossAccumulator::<2>::new(0.0, 2.0);
/// a.add(0.5, 1.0);
/// a.add(1.5, 3.0);
/// let mut b = LossAccumulator::<2>::new(0.0, 2.0);
/// b.add(1.0, 2.0);
/// a.merge(&b)?;
/// let e = a.estimate();
/// assert_eq!((e.value, e.samples), (4.0, 3)); // (t_max - t_min) * mean
/// assert_eq!(a.bins()[1].count(), 2);
/// # Ok::<(), tinyscore::learned::accumulator::MergeMismatch>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossAccumulator<const B: usize> {
    t_min: f64,
    t_max: f64,
    total: Moments,
    bins: [Moments; B],
}

impl<const B: usize> LossAccumulator<B> {
    /// Empty accumulator over `[t_min, t_max]` (the bins split it evenly).
    pub fn new(t_min: f64, t_max: f64) -> Self {
        LossAccumulator { t_min, t_max, total: Moments::new(), bins: [Moments::new(); B] }
    }

    /// The index of the bin holding `t` (times outside the range go to the end bins).
    pub fn bin_of(&self, t: f64) -> usize {
        let span = self.t_max - self.t_min;
        let f = if span > 0.0 { (t - self.t_min) / span } else { 0.0 };
        // `as` saturates (NaN gives 0).
        let i = (f * B as f64) as usize;
        i.min(B.saturating_sub(1))
    }

    /// Add the value of one sample drawn at time `t`.
    pub fn add(&mut self, t: f64, v: f64) {
        self.total.add(v);
        // `bin_of` is `< B`, so a bin exists unless `B = 0` (no bins: only the total is kept).
        let i = self.bin_of(t);
        if let Some(b) = self.bins.get_mut(i) {
            b.add(v);
        }
    }

    /// Add everything another accumulator over the same range has seen.
    ///
    /// # Errors
    /// [`MergeMismatch`] if the time ranges differ (bit for bit); nothing is added then.
    pub fn merge(&mut self, other: &Self) -> Result<(), MergeMismatch> {
        if self.t_min.to_bits() != other.t_min.to_bits() || self.t_max.to_bits() != other.t_max.to_bits() {
            return Err(MergeMismatch);
        }
        self.total.merge(&other.total);
        for (a, b) in self.bins.iter_mut().zip(other.bins.iter()) {
            a.merge(b);
        }
        Ok(())
    }

    /// All values.
    pub const fn total(&self) -> &Moments {
        &self.total
    }

    /// The time range.
    pub const fn range(&self) -> (f64, f64) {
        (self.t_min, self.t_max)
    }

    /// `(t_lo, t_hi, moments)` of bin `i`.
    pub fn bin(&self, i: usize) -> Option<(f64, f64, &Moments)> {
        let m = self.bins.get(i)?;
        let w = (self.t_max - self.t_min) / B as f64;
        Some((self.t_min + w * i as f64, self.t_min + w * (i + 1) as f64, m))
    }

    /// The bins' moments.
    pub fn bins(&self) -> &[Moments; B] {
        &self.bins
    }

    /// `J = (t_max - t_min) mean(v)` and its standard error.
    pub fn estimate(&self) -> Estimate {
        let span = self.t_max - self.t_min;
        Estimate {
            value: span * self.total.mean(),
            std_error: span * self.total.std_error(),
            samples: self.total.count(),
            saturated: self.total.saturated(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_std_error_match_two_pass() {
        let vals: [f64; 7] = [0.5, 1.25, 3.0, 0.125, 2.0, 7.5, 0.75];
        let mut m = Moments::new();
        for v in vals {
            m.add(v);
        }
        let n = vals.len() as f64;
        let mean = vals.iter().sum::<f64>() / n;
        let var = vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
        assert!((m.mean() - mean).abs() < 1e-15);
        assert!((m.variance() - var).abs() < 1e-14);
        assert!((m.std_error() - (var / n).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn overflow_and_nan_are_flagged_not_panicking() {
        let mut m = Moments::new();
        m.add(f64::NAN);
        m.add(1e300);
        assert!(m.saturated());
        let mut big = Moments::new();
        for _ in 0..10 {
            big.add(2.0e9);
        }
        let mut acc = big;
        for _ in 0..40 {
            let c = acc;
            acc.merge(&c);
        }
        assert!(acc.saturated());
    }

    #[test]
    fn bins_cover_the_range() {
        let mut a = LossAccumulator::<4>::new(0.0, 1.0);
        a.add(0.0, 1.0);
        a.add(0.999, 3.0);
        a.add(1.0, 5.0);
        a.add(-1.0, 1.0);
        assert_eq!(a.bins()[0].count(), 2);
        assert_eq!(a.bins()[3].count(), 2);
        assert_eq!(a.bin(3).unwrap().0, 0.75);
        assert_eq!(a.estimate().value, 2.5);
        assert!(a.merge(&LossAccumulator::new(0.0, 2.0)).is_err());
    }
}
