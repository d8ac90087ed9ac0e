//! Time grids for the reverse-time samplers: where to put the steps.
//!
//! A grid runs from `t_0 = t_max` down to `t_N = t_min > 0` in `N` steps; the samplers
//! then take a final denoising step from `t_min` to 0 (see [`crate::sampler`]).
//!
//! * [`Spacing::Geometric`]: geometric in the shifted noise variance
//!   `sigma^2 (t + t_offset)`, i.e. `t_k + t_offset = (t_max + t_offset) rho^k` with
//!   `rho = ((t_min + t_offset) / (t_max + t_offset))^(1/N)`. Every step then changes the
//!   variance of a component of variance `sigma^2 t_offset` at time 0 by the same factor, so
//!   the steps crowd at small `t`, where the score changes fastest, and no step is wasted
//!   on times where the added noise is far below the data's own spread. `t_offset = 0` is
//!   plain geometric spacing in the noise variance `sigma^2 t`. A good `t_offset` is the
//!   time at which the added noise variance equals the smallest component variance,
//!   `min_j std_j^2 / sigma^2`.
//! * [`Spacing::Karras`]: the noise schedule of Karras et al. (2022), equal steps in the
//!   `1/rho`-th power of the noise level `sigma sqrt(t)`:
//!   `sqrt(t_k) = (sqrt(t_max)^(1/rho) + k/N (sqrt(t_min)^(1/rho) - sqrt(t_max)^(1/rho)))^rho`,
//!   i.e. k-diffusion's `get_sigmas_karras(N + 1, sigma sqrt(t_min), sigma sqrt(t_max), rho)`
//!   divided by `sigma` and squared (the final 0 of k-diffusion is the samplers' denoising
//!   step). `rho = 7` is the EDM default; larger `rho` crowds the steps more at small `t`.
//! * [`Spacing::Uniform`]: equal steps in `t` (for comparison; much worse at equal `N`).
//!
//! Times are `f64` (seconds of diffusion time, the unit of `t` in the mixture); relative
//! error of each `t_k` below 1e-15.
//!
//! # Examples
//! ```
//! use tinyscore::time_grid::{Spacing, TimeGrid};
//! # fn main() -> Result<(), tinyscore::time_grid::GridError> {
//! let grid = TimeGrid::new(16.0, 1e-4, 100, Spacing::Geometric { t_offset: 0.02 })?;
//! assert_eq!((grid.time(0), grid.time(100)), (16.0, 1e-4));
//! assert!(grid.time(50) < 1.0); // the steps crowd at small t
//! # Ok(())
//! # }
//! ```

/// How the steps are spaced (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Spacing {
    /// Geometric in `sigma^2 (t + t_offset)`, `t_offset >= 0` (same unit as `t`).
    Geometric {
        /// Shift of the geometric spacing, `>= 0`.
        t_offset: f64,
    },
    /// Equal steps in `t`.
    Uniform,
    /// Equal steps in `sqrt(t)^(1/rho)` (the Karras et al. schedule), `rho` finite and `> 0`.
    Karras {
        /// The schedule's exponent, finite and `> 0` (7 in EDM).
        rho: f64,
    },
}

/// Why a grid was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum GridError {
    /// `t_max` must be finite and larger than `t_min`.
    InvalidTMax,
    /// `t_min` must be finite and `> 0`.
    InvalidTMin,
    /// `t_offset` must be finite and `>= 0`.
    InvalidOffset,
    /// At least one step.
    NoSteps,
    /// The Karras exponent `rho` must be finite and `> 0`.
    InvalidRho,
}

impl core::fmt::Display for GridError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            GridError::InvalidTMax => "t-max must be a finite number larger than t-min",
            GridError::InvalidTMin => "t-min must be a finite number > 0",
            GridError::InvalidOffset => "the grid offset must be a finite number >= 0",
            GridError::NoSteps => "the number of steps must be at least 1",
            GridError::InvalidRho => "the Karras exponent rho must be a finite number > 0",
        })
    }
}

impl core::error::Error for GridError {}

/// A validated time grid `t_max = t_0 > t_1 > ... > t_N = t_min > 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimeGrid {
    t_max: f64,
    t_min: f64,
    steps: u32,
    spacing: Spacing,
    /// The spacing's endpoints, derived once by `new` (`time` is called every step):
    /// geometric `(t_max + t_offset, ln((t_min + t_offset) / (t_max + t_offset)))`, Karras
    /// `(sqrt(t_max)^(1/rho), sqrt(t_min)^(1/rho))`, uniform unused.
    ends: (f64, f64),
}

impl TimeGrid {
    /// Check and build a grid of `steps` steps from `t_max` down to `t_min` (both in the
    /// mixture's unit of time).
    ///
    /// # Errors
    /// [`GridError::InvalidTMin`] unless `t_min` is finite and `> 0`;
    /// [`GridError::InvalidTMax`] unless `t_max` is finite and `> t_min`;
    /// [`GridError::InvalidOffset`] unless a geometric `t_offset` is finite and `>= 0`;
    /// [`GridError::InvalidRho`] unless a Karras `rho` is finite and `> 0`;
    /// [`GridError::NoSteps`] if `steps == 0`.
    ///
    /// # Examples
    /// ```
    /// use tinyscore::time_grid::{GridError, Spacing, TimeGrid};
    /// let grid = TimeGrid::new(2.0, 0.5, 3, Spacing::Uniform).unwrap();
    /// assert_eq!([grid.time(0), grid.time(1), grid.time(2), grid.time(3)], [2.0, 1.5, 1.0, 0.5]);
    /// assert_eq!(TimeGrid::new(1.0, 0.0, 3, Spacing::Uniform), Err(GridError::InvalidTMin));
    /// ```
    pub fn new(t_max: f64, t_min: f64, steps: u32, spacing: Spacing) -> Result<Self, GridError> {
        if !(t_min.is_finite() && t_min > 0.0) {
            return Err(GridError::InvalidTMin);
        }
        if !(t_max.is_finite() && t_max > t_min) {
            return Err(GridError::InvalidTMax);
        }
        if let Spacing::Geometric { t_offset } = spacing {
            if !(t_offset.is_finite() && t_offset >= 0.0) {
                return Err(GridError::InvalidOffset);
            }
        }
        if let Spacing::Karras { rho } = spacing {
            if !(rho.is_finite() && rho > 0.0) {
                return Err(GridError::InvalidRho);
            }
        }
        if steps == 0 {
            return Err(GridError::NoSteps);
        }
        let ends = match spacing {
            Spacing::Uniform => (0.0, 0.0),
            Spacing::Geometric { t_offset } => {
                let hi = t_max + t_offset;
                (hi, libm::log((t_min + t_offset) / hi))
            }
            // `sqrt(t)^(1/rho)` as `exp(ln t / (2 rho))`, and `time` raises back by `exp` and
            // `ln` too: no `pow` (2.7 KB of flash on a Cortex-M0), within a few ulps of it.
            Spacing::Karras { rho } => {
                (libm::exp(libm::log(t_max) / (2.0 * rho)), libm::exp(libm::log(t_min) / (2.0 * rho)))
            }
        };
        Ok(TimeGrid { t_max, t_min, steps, spacing, ends })
    }

    /// Number of steps `N` (the denoising step not counted).
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// `t_max`.
    pub fn t_max(&self) -> f64 {
        self.t_max
    }

    /// `t_min`, where the denoising step starts.
    pub fn t_min(&self) -> f64 {
        self.t_min
    }

    /// The spacing.
    pub fn spacing(&self) -> Spacing {
        self.spacing
    }

    /// `t_k` for `k` in `0..=N` (`k > N` gives `t_min`); strictly decreasing in `k`.
    pub fn time(&self, k: u32) -> f64 {
        if k == 0 {
            return self.t_max;
        }
        if k >= self.steps {
            return self.t_min;
        }
        let frac = f64::from(k) / f64::from(self.steps);
        let t = match self.spacing {
            Spacing::Uniform => return self.t_max - (self.t_max - self.t_min) * frac,
            Spacing::Geometric { t_offset } => {
                let (hi, ln_ratio) = self.ends;
                hi * libm::exp(frac * ln_ratio) - t_offset
            }
            Spacing::Karras { rho } => {
                let (hi, lo) = self.ends;
                libm::exp(2.0 * rho * libm::log(hi + frac * (lo - hi)))
            }
        };
        // Guard against rounding taking t_k outside (t_min, t_max). (`f64::clamp`
        // without its `min <= max` assertion, which the optimiser cannot drop: a
        // validated grid has t_min < t_max.)
        if t < self.t_min {
            self.t_min
        } else if t > self.t_max {
            self.t_max
        } else {
            t
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_grid_is_geometric_in_shifted_variance() {
        let g = TimeGrid::new(16.0, 1e-4, 100, Spacing::Geometric { t_offset: 0.02 }).unwrap();
        assert_eq!(g.time(0), 16.0);
        assert_eq!(g.time(100), 1e-4);
        let ratio = (g.time(1) + 0.02) / (g.time(0) + 0.02);
        for k in 1..100 {
            assert!(g.time(k + 1) < g.time(k));
            let r = (g.time(k + 1) + 0.02) / (g.time(k) + 0.02);
            assert!((r - ratio).abs() < 1e-12, "{k}: {r} vs {ratio}");
        }
        // Half the steps are below t where sigma^2 (t + t_offset) is the geometric middle.
        let mid = libm::sqrt(16.02 * 0.0201) - 0.02;
        assert!((g.time(50) - mid).abs() < 1e-12);
    }

    #[test]
    fn karras_grid_matches_the_formula_in_the_noise_level() {
        // get_sigmas_karras(n = 11, sigma_min = 0.04, sigma_max = 8, rho = 7) for sigma = 2,
        // written out independently in the noise level and mapped to t = (S / sigma)^2.
        let (sigma, s_min, s_max, rho) = (2.0f64, 0.04f64, 8.0f64, 7.0f64);
        let (t_max, t_min) = ((s_max / sigma).powi(2), (s_min / sigma).powi(2));
        let g = TimeGrid::new(t_max, t_min, 10, Spacing::Karras { rho }).unwrap();
        for k in 0..=10u32 {
            let ramp = f64::from(k) / 10.0;
            let s = (s_max.powf(1.0 / rho) + ramp * (s_min.powf(1.0 / rho) - s_max.powf(1.0 / rho))).powf(rho);
            let want = (s / sigma).powi(2);
            assert!((g.time(k) - want).abs() <= 1e-13 * want, "{k}: {} vs {want}", g.time(k));
            if k < 10 {
                assert!(g.time(k + 1) < g.time(k));
            }
        }
        let bad = Spacing::Karras { rho: 0.0 };
        assert_eq!(TimeGrid::new(1.0, 0.1, 3, bad), Err(GridError::InvalidRho));
    }

    #[test]
    fn uniform_grid_and_errors() {
        let g = TimeGrid::new(2.0, 0.5, 3, Spacing::Uniform).unwrap();
        assert_eq!([g.time(0), g.time(1), g.time(2), g.time(3)], [2.0, 1.5, 1.0, 0.5]);
        assert_eq!(TimeGrid::new(1.0, 0.0, 3, Spacing::Uniform), Err(GridError::InvalidTMin));
        assert_eq!(TimeGrid::new(1.0, 2.0, 3, Spacing::Uniform), Err(GridError::InvalidTMax));
        assert_eq!(TimeGrid::new(1.0, 0.1, 0, Spacing::Uniform), Err(GridError::NoSteps));
        let bad = Spacing::Geometric { t_offset: -1.0 };
        assert_eq!(TimeGrid::new(1.0, 0.1, 3, bad), Err(GridError::InvalidOffset));
        assert!(!GridError::NoSteps.to_string().is_empty());
    }
}
