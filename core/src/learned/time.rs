//! Validated times: a diffusion time `t` ([`Time`]: finite, `>= 0`) and the distribution
//! of training times ([`TrainingTimes`]: a checked range and how times are drawn in it).

use core::fmt;

/// A diffusion time `t`: finite and `>= 0` (what every per-`t` constant needs).
///
/// # Examples
/// ```
/// use tinyscore::learned::Time;
/// assert_eq!(Time::new(0.5).map(Time::get), Some(0.5));
/// assert!(Time::new(-1.0).is_none() && Time::new(f64::NAN).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Time(f64);

impl Time {
    /// `t = 0`.
    pub const ZERO: Time = Time(0.0);

    /// `t` if it is finite and `>= 0`.
    pub fn new(t: f64) -> Option<Time> {
        (t.is_finite() && t >= 0.0).then_some(Time(t))
    }

    /// The value.
    pub const fn get(self) -> f64 {
        self.0
    }
}

/// How training draws its times `t` in `[t_min, t_max]`.
///
/// Against the exact score the minimiser does not depend on the time distribution (it only
/// reweights the objective), so the distribution can put its samples where the score is
/// hardest to fit: at small `t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TimeSampling {
    /// `t` uniform: the objective of MATH.md section 4 as written.
    Uniform,
    /// `t + offset` log-uniform (geometric): as many samples in `[0.01, 0.1]` as in
    /// `[1, 10]` when the offset is small; for long time ranges (`t_max` of 16 for sampling).
    Geometric {
        /// Offset, finite and `> 0` (for instance the smallest component variance over
        /// `sigma^2`).
        offset: f64,
    },
}

/// Why a time range or a time distribution is invalid.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TimeError {
    /// Not `0 <= t_min < t_max < inf`.
    InvalidRange {
        /// `t_min`
        t_min: f64,
        /// `t_max`
        t_max: f64,
    },
    /// The offset of [`TimeSampling::Geometric`] is not a finite number `> 0`.
    GeometricOffset {
        /// the offset
        offset: f64,
    },
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::InvalidRange { t_min, t_max } => {
                write!(f, "t-min = {t_min}, t-max = {t_max}: need 0 <= t-min < t-max, both finite")
            }
            TimeError::GeometricOffset { offset } => {
                write!(f, "geometric time sampling: offset {offset} must be a finite number > 0")
            }
        }
    }
}

impl core::error::Error for TimeError {}

/// A checked time distribution: `0 <= t_min < t_max < inf` and a valid [`TimeSampling`].
///
/// # Examples
/// ```
/// use tinyscore::learned::{TimeSampling, TrainingTimes};
/// let times = TrainingTimes::new(0.0, 16.0, TimeSampling::Geometric { offset: 0.09 })?;
/// assert_eq!(times.time(0.0).get(), 0.0);
/// assert!(times.time(0.5).get() < 8.0); // geometric: small t is sampled more
/// assert!(TrainingTimes::new(1.0, 0.5, TimeSampling::Uniform).is_err());
/// # Ok::<(), tinyscore::learned::TimeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainingTimes {
    t_min: f64,
    t_max: f64,
    sampling: TimeSampling,
}

impl TrainingTimes {
    /// Check the range and the sampling.
    ///
    /// # Errors
    /// [`TimeError::InvalidRange`] unless `0 <= t_min < t_max`, both finite;
    /// [`TimeError::GeometricOffset`] for a geometric offset that is not finite and `> 0`.
    pub fn new(t_min: f64, t_max: f64, sampling: TimeSampling) -> Result<Self, TimeError> {
        if !(t_min.is_finite() && t_max.is_finite() && t_min >= 0.0 && t_max > t_min) {
            return Err(TimeError::InvalidRange { t_min, t_max });
        }
        if let TimeSampling::Geometric { offset } = sampling {
            if !(offset.is_finite() && offset > 0.0) {
                return Err(TimeError::GeometricOffset { offset });
            }
        }
        Ok(TrainingTimes { t_min, t_max, sampling })
    }

    /// `(t_min, t_max)`.
    pub const fn range(&self) -> (f64, f64) {
        (self.t_min, self.t_max)
    }

    /// The sampling.
    pub const fn sampling(&self) -> TimeSampling {
        self.sampling
    }

    /// The time for a uniform `u` in `[0, 1)`.
    ///
    /// For `u` in `[0, 1)` both samplings land in `[t_min, t_max]` already (uniform: `t_min +
    /// (t_max - t_min) u`; geometric: `(t_min + offset) ((t_max + offset) / (t_min +
    /// offset))^u - offset`, clamped against rounding); any other `u` is clamped into the
    /// range (NaN gives `t_min`), so the result is always a valid [`Time`].
    pub fn time(&self, u: f64) -> Time {
        let (a, b) = (self.t_min, self.t_max);
        let t = match self.sampling {
            TimeSampling::Uniform => a + (b - a) * u,
            TimeSampling::Geometric { offset } => {
                let lo = a + offset;
                lo * libm::pow((b + offset) / lo, u) - offset
            }
        };
        // `a <= t <= b` with `a >= 0` finite: a valid time (NaN fails both tests and gives `a`).
        Time(if t > b {
            b
        } else if t >= a {
            t
        } else {
            a
        })
    }
}
