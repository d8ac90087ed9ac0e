//! Generating data with a score: reverse-time samplers (MATH.md section 5).
//!
//! For `dx = sigma dW` the reverse-time SDE is `dx = -sigma^2 s(x, t) dt + sigma dW_bar`
//! and the probability-flow ODE is `dx/dt = -1/2 sigma^2 s(x, t)`, both run from
//! `t = t_max` down to 0. With a step `h = t_k - t_{k+1} > 0` of a [`TimeGrid`]:
//!
//! * [`Method::EulerMaruyama`]: `x <- x + sigma^2 h s(x, t_k) + sigma sqrt(h) z`.
//! * [`Method::ProbabilityFlow`] (Heun's method, second order):
//!   `x' = x + a s(x, t_k)`, `x <- x + a/2 (s(x, t_k) + s(x', t_{k+1}))`, `a = sigma^2 h / 2`.
//! * [`Method::PredictorCorrector`]: the Euler-Maruyama step, then one Langevin corrector
//!   step at `t_{k+1}`: `x <- x + e s(x, t_{k+1}) + sqrt(2 e) z` with `e = ratio sigma^2 h`
//!   (a step proportional to the predictor's, so that the corrector's own discretisation
//!   error shrinks with the grid).
//! * [`Method::EdmHeun`]: the EDM second-order Heun sampler (Karras et al. 2022) in the noise
//!   level `sigma sqrt(t)`, with optional churn ([`Churn`]).
//! * [`Method::DpmSolver2M`]: DPM-Solver++(2M) (Lu et al. 2022), second-order multistep,
//!   one score evaluation per step.
//! * [`Method::DpmSolver2MSde`]: its stochastic variant (DPM-Solver++(2M) SDE), one score
//!   evaluation per step, for learned scores.
//!
//! The last three are the few-step samplers (module `few_step`, formulas there); with the
//! Karras grid ([`Spacing::Karras`](crate::time_grid::Spacing::Karras)) they reach at 10 to
//! 20 score evaluations what Euler-Maruyama reaches at 1,000.
//!
//!
//! After the last grid time `t_N = t_min` every method takes one noise-free denoising step
//! to `t = 0` (Tweedie's formula, the posterior mean of the clean point):
//! `x <- x + sigma^2 t_min s(x, t_min)`.
//!
//! The samplers start from the Gaussian of [`StartGaussian`] and take any
//! [`ScoreSource`]: the exact mixture score or a learned model.
//!
//! # Two ways to call a sampler
//! * [`Sampler::generate`], for an embedded user: the caller passes the output buffer
//!   `&mut [[S; D]]` and nothing else. The samples are generated in blocks of [`BLOCK`]
//!   with the state on the stack (module section "Memory and cost").
//! * [`Sampler::start`], [`Sampler::run`], [`Sampler::finish`], for long host runs: the
//!   caller allocates the state (and Heun's scratch) in the working type `S::Work` and
//!   chooses the block length itself (the host CLI uses blocks of 4096 samples). The
//!   noise of each step is drawn for the whole block before the next step, so the samples
//!   depend on the block length for the stochastic methods; for `n <= BLOCK` samples the
//!   two ways give the same samples bit for bit (with the state and scratch of length `n`).
//!
//! # State precision and fixed point
//! The state is kept in the scalar's **working type** `S::Work`, and only rounded to `S`
//! to evaluate the score and at the very end. For `f32`/`f64` that is the type itself. For
//! `I16F16` and `I8F24` it is Q32.32 (resolution 2^-32 = 2.3e-10): drift increments
//! `sigma^2 h s` and noise increments far below the LSB of `I16F16` (2^-16 = 1.5e-5), which
//! a state in `I16F16` would silently round away near `t = 0`, accumulate exactly
//! ("wider state"). The step coefficients `sigma^2 h`, `sigma sqrt(h)` are rounded to
//! Q32.32 once per step (absolute error 1.2e-10). The remaining fixed-point effect is the
//! score's own rounding (its position is rounded to `S`, the score to `S`).
//!
//! # Memory and cost
//! No allocation. [`Sampler::generate`] keeps two stack arrays of [`BLOCK`] states,
//! `2 * BLOCK * D * size_of::<S::Work>()` bytes: 128 bytes per dimension for the fixed
//! types and `f64` (8-byte working type), 64 bytes per dimension for `f32` (plus the score
//! source's own stack). The low-level path takes the state and a scratch slice from the
//! caller (the same length as the state is best; Heun's method stores `s(x, t_k)` there).
//! Each step visits all samples of a block at one `t` before moving on, so a
//! [`MixtureScore`](crate::score_source::MixtureScore) prepares each time once per step,
//! per pass and per block. Score evaluations per sample ([`Sampler::score_evaluations`]),
//! with `N` grid steps: `N + 1` (Euler-Maruyama), `2N + 1` (Heun), `2N + 1`
//! (predictor-corrector), `2N + 1` (EDM Heun), `N + 1` (DPM-Solver++(2M) and its SDE).
//!
//! # Order
//! Global error of the deterministic methods in the step size, on a fixed grid family:
//! probability-flow Heun, EDM Heun (no churn) and DPM-Solver++(2M) are second order
//! (halving every step divides the error by about 4); the denoising step is exact in the
//! limit `t_min -> 0` and its error depends on `t_min`, not on `N`. The stochastic methods
//! converge in distribution at weak order 1.
//!
//! # Examples
//! ```
//! use tinyscore::mixture::{Component, GaussianMixture};
//! use tinyscore::sampler::{Method, Sampler, SamplerConfig};
//! use tinyscore::score_source::MixtureScore;
//! use tinyscore::start::StartGaussian;
//! use tinyscore::time_grid::{Spacing, TimeGrid};
//! use tinyscore::DefaultRng;
//! use rand_core::SeedableRng;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let gm = GaussianMixture::<1, 2>::new(
//!     1.0,
//!     &[
//!         Component { weight: 0.5, mean: [-2.0], std: [0.5] },
//!         Component { weight: 0.5, mean: [2.0], std: [0.5] },
//!     ],
//! )
//! .map_err(|e| e.to_string())?;
//! let grid = TimeGrid::new(8.0, 1e-3, 100, Spacing::Geometric { t_offset: 0.25 })?;
//! let sampler = Sampler::new(SamplerConfig { method: Method::EulerMaruyama, grid, sigma: gm.sigma() })?;
//! let start = StartGaussian::from_mixture(&gm, grid.t_max()).map_err(|e| e.to_string())?;
//!
//! let mut score = MixtureScore::new(&gm);
//! let mut rng = DefaultRng::seed_from_u64(1);
//! let mut out = [[0.0f32; 1]; 5];
//! let status = sampler.generate(&mut score, &start, &mut rng, &mut out);
//! assert!(status.is_ok());
//! assert!(out.iter().all(|x| x[0].abs() < 5.0));
//! # Ok(())
//! # }
//! ```

use rand_core::RngCore;

use crate::noise::normal;
use crate::score_source::ScoreSource;
use crate::start::StartGaussian;
use crate::time_grid::TimeGrid;
use crate::{Real, Scalar, Status};

mod few_step;
pub use few_step::Churn;

/// Samples per block of [`Sampler::generate`]: the length of its two stack arrays of
/// working-type states (module documentation, "Memory and cost").
pub const BLOCK: usize = 8;

/// The integrator.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Method {
    /// Euler-Maruyama on the reverse-time SDE.
    EulerMaruyama,
    /// The probability-flow ODE with Heun's method.
    ProbabilityFlow,
    /// Euler-Maruyama predictor and one Langevin corrector step per time step.
    PredictorCorrector {
        /// Corrector step `e = ratio sigma^2 h`, `ratio > 0` (0.5 is a good default).
        ratio: f64,
    },
    /// EDM Heun (Karras et al. 2022, Algorithm 2): second order, `2N + 1` evaluations.
    EdmHeun {
        /// Stochastic churn; [`Churn::NONE`] for the deterministic sampler.
        churn: Churn,
    },
    /// DPM-Solver++(2M): second-order multistep, `N + 1` evaluations.
    DpmSolver2M,
    /// DPM-Solver++(2M) SDE: the stochastic multistep variant, `N + 1` evaluations (the
    /// few-step choice for a learned score).
    DpmSolver2MSde,
}

/// Why a sampler configuration was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SamplerError {
    /// `sigma` must be finite and `> 0`.
    InvalidSigma,
    /// The corrector ratio must be finite and `> 0`.
    InvalidRatio,
    /// A churn parameter is out of range ([`Churn`]).
    InvalidChurn,
}

impl core::fmt::Display for SamplerError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SamplerError::InvalidSigma => "sigma must be a finite number > 0 to sample",
            SamplerError::InvalidRatio => "the corrector ratio must be a finite number > 0",
            SamplerError::InvalidChurn => {
                "churn: s_churn and s_tmin must be finite and >= 0, s_tmax >= 0, s_noise finite and > 0"
            }
        })
    }
}

impl core::error::Error for SamplerError {}

/// What a [`Sampler`] is made of: the integrator, the time grid and the diffusion scale
/// `sigma` (the mixture's `sigma`, in units of the data per square root of time).
///
/// [`Sampler::new`] checks it.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SamplerConfig {
    /// The integrator.
    pub method: Method,
    /// Where the steps are.
    pub grid: TimeGrid,
    /// Diffusion scale, finite and `> 0`.
    pub sigma: f64,
}

impl SamplerConfig {
    /// Check the configuration (the grid is valid by construction).
    ///
    /// # Errors
    /// [`SamplerError::InvalidSigma`] unless `sigma` is finite and `> 0`;
    /// [`SamplerError::InvalidRatio`] unless a predictor-corrector's ratio is finite and
    /// `> 0`; [`SamplerError::InvalidChurn`] unless an EDM churn [`Churn::is_valid`].
    ///
    /// # Examples
    /// ```
    /// use tinyscore::sampler::{Method, SamplerConfig, SamplerError};
    /// use tinyscore::time_grid::{Spacing, TimeGrid};
    /// let grid = TimeGrid::new(1.0, 0.01, 10, Spacing::Uniform).unwrap();
    /// let cfg = SamplerConfig { method: Method::ProbabilityFlow, grid, sigma: 0.0 };
    /// assert_eq!(cfg.validate(), Err(SamplerError::InvalidSigma));
    /// ```
    pub fn validate(&self) -> Result<(), SamplerError> {
        if !(self.sigma.is_finite() && self.sigma > 0.0) {
            return Err(SamplerError::InvalidSigma);
        }
        match self.method {
            Method::PredictorCorrector { ratio } if !(ratio.is_finite() && ratio > 0.0) => {
                Err(SamplerError::InvalidRatio)
            }
            Method::EdmHeun { churn } if !churn.is_valid() => Err(SamplerError::InvalidChurn),
            _ => Ok(()),
        }
    }
}

impl TryFrom<SamplerConfig> for Sampler {
    type Error = SamplerError;
    fn try_from(config: SamplerConfig) -> Result<Self, SamplerError> {
        Sampler::new(config)
    }
}

/// A checked reverse-time sampler: method, time grid and diffusion scale `sigma`.
///
/// See the [module documentation](self) for the methods and an example.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Sampler {
    method: Method,
    grid: TimeGrid,
    sigma: f64,
}

/// The working type of a scalar.
type W<S> = <S as Scalar>::Work;

/// The score at a working-type position, as working-type values.
#[inline]
fn score_w<S: Scalar, Src: ScoreSource<S, D> + ?Sized, const D: usize>(
    source: &mut Src,
    t: f64,
    x: &[W<S>; D],
) -> ([W<S>; D], Status) {
    let mut xs = [S::default(); D];
    let mut status = Status::Ok;
    for (o, &w) in xs.iter_mut().zip(x.iter()) {
        let (v, st) = S::from_work(w);
        *o = v;
        status = status.and(st);
    }
    let (s, st) = source.score_at(t, &xs);
    (s.map(|v| v.to_work()), status.and(st))
}

/// `x <- x + c s`.
#[inline]
fn axpy<R: Real, const D: usize>(x: &mut [R; D], c: R, s: &[R; D]) {
    for (xd, &sd) in x.iter_mut().zip(s.iter()) {
        *xd = *xd + c * sd;
    }
}

/// `x <- x + c z`, `z` standard normal per coordinate.
#[inline]
fn add_noise<R: Real, G: RngCore + ?Sized, const D: usize>(x: &mut [R; D], c: R, rng: &mut G) {
    for xd in x.iter_mut() {
        *xd = *xd + c * normal::<R, G>(rng);
    }
}

fn limit_status<R: Real, const D: usize>(x: &[R; D]) -> Status {
    Status::from_saturated(x.iter().any(|v| v.is_limit()))
}

impl Sampler {
    /// Check a configuration and build the sampler.
    ///
    /// # Errors
    /// The errors of [`SamplerConfig::validate`].
    ///
    /// # Examples
    /// ```
    /// use tinyscore::sampler::{Method, Sampler, SamplerConfig};
    /// use tinyscore::time_grid::{Spacing, TimeGrid};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let grid = TimeGrid::new(16.0, 1e-4, 50, Spacing::Geometric { t_offset: 0.1 })?;
    /// let sampler = Sampler::new(SamplerConfig { method: Method::ProbabilityFlow, grid, sigma: 2.0 })?;
    /// assert_eq!(sampler.grid().steps(), 50);
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(config: SamplerConfig) -> Result<Self, SamplerError> {
        config.validate()?;
        let SamplerConfig { method, grid, sigma } = config;
        Ok(Sampler { method, grid, sigma })
    }

    /// The configuration the sampler was built from.
    pub fn config(&self) -> SamplerConfig {
        SamplerConfig { method: self.method, grid: self.grid, sigma: self.sigma }
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The time grid.
    pub fn grid(&self) -> &TimeGrid {
        &self.grid
    }

    /// The diffusion scale `sigma`.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// Score evaluations per generated sample (the denoising step included): `N + 1` for
    /// Euler-Maruyama and DPM-Solver++(2M), `2N + 1` for the others (`N` grid steps).
    ///
    /// # Examples
    /// ```
    /// use tinyscore::sampler::{Method, Sampler, SamplerConfig};
    /// use tinyscore::time_grid::{Spacing, TimeGrid};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let grid = TimeGrid::new(16.0, 1e-4, 19, Spacing::Karras { rho: 7.0 })?;
    /// let sampler = Sampler::new(SamplerConfig { method: Method::DpmSolver2M, grid, sigma: 2.0 })?;
    /// assert_eq!(sampler.score_evaluations(), 20);
    /// # Ok(())
    /// # }
    /// ```
    pub fn score_evaluations(&self) -> u64 {
        let n = u64::from(self.grid.steps());
        match self.method {
            Method::EulerMaruyama | Method::DpmSolver2M | Method::DpmSolver2MSde => n + 1,
            Method::ProbabilityFlow | Method::PredictorCorrector { .. } | Method::EdmHeun { .. } => 2 * n + 1,
        }
    }

    /// Fill `out` with samples: start Gaussian, every step of the grid, the denoising
    /// step, rounding to `S` (module documentation).
    ///
    /// The samples are made in blocks of [`BLOCK`] (the last one shorter), each block with
    /// [`Sampler::start`], [`Sampler::run`] and [`Sampler::finish`] on a stack state of
    /// `2 * BLOCK * D * size_of::<S::Work>()` bytes. For `out.len() <= BLOCK` the samples
    /// are bit for bit those of the low-level path with state and scratch of length
    /// `out.len()`; beyond, the stochastic methods draw their noise in another order (same
    /// distribution). Every type is inferred from the arguments.
    ///
    /// Returns [`Status::Saturated`] if a value left the range of the working type or of
    /// `S` on the way (for floats: was not finite), or the score source reported it.
    ///
    /// # Examples
    /// Five samples of a two-component mixture in `I16F16` with its exact score:
    /// ```
    /// use fixed::types::I16F16;
    /// use rand_core::SeedableRng;
    /// use tinyscore::mixture::{Component, GaussianMixture};
    /// use tinyscore::sampler::{Method, Sampler, SamplerConfig};
    /// use tinyscore::score_source::MixtureScore;
    /// use tinyscore::start::StartGaussian;
    /// use tinyscore::time_grid::{Spacing, TimeGrid};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let comps = [
    ///     Component { weight: 0.25, mean: [-1.0, 0.0], std: [0.3, 0.3] },
    ///     Component { weight: 0.75, mean: [1.0, 0.5], std: [0.4, 0.2] },
    /// ];
    /// let gm = GaussianMixture::<2, 2>::new(1.0, &comps).map_err(|e| e.to_string())?;
    /// let grid = TimeGrid::new(9.0, 1e-3, 40, Spacing::Geometric { t_offset: 0.04 })?;
    /// let sampler = Sampler::new(SamplerConfig { method: Method::ProbabilityFlow, grid, sigma: 1.0 })?;
    /// let start = StartGaussian::from_mixture(&gm, 9.0).map_err(|e| e.to_string())?;
    ///
    /// let mut out = [[I16F16::ZERO; 2]; 5];
    /// let mut rng = tinyscore::DefaultRng::seed_from_u64(7);
    /// let status = sampler.generate(&mut MixtureScore::new(&gm), &start, &mut rng, &mut out);
    /// assert!(status.is_ok());
    /// assert!(out.iter().all(|x| x[0].abs() < 3 && x[1].abs() < 3));
    /// # Ok(())
    /// # }
    /// ```
    pub fn generate<S: Scalar, const D: usize>(
        &self,
        source: &mut (impl ScoreSource<S, D> + ?Sized),
        start: &StartGaussian<D>,
        rng: &mut (impl RngCore + ?Sized),
        out: &mut [[S; D]],
    ) -> Status {
        self.generate_blocked::<BLOCK, S, D>(source, start, rng, out)
    }

    /// [`Sampler::generate`] in blocks of `N` samples: the per-step work that does not
    /// depend on the sample (grid times, step coefficients, and a [`ModelScore`]'s constants
    /// of `t`: about 160,000 instructions per step on a Cortex-M0 for the width-32 `q8`
    /// network) is paid once per block, so a larger block costs `2 N D size_of::<S::Work>()`
    /// bytes of stack and fewer instructions per sample. The deterministic methods give the
    /// same samples for every `N`. `N = 0` makes nothing and returns
    /// [`Status::Saturated`] unless `out` is empty.
    ///
    /// [`ModelScore`]: crate::score_source::ModelScore
    pub fn generate_blocked<const N: usize, S: Scalar, const D: usize>(
        &self,
        source: &mut (impl ScoreSource<S, D> + ?Sized),
        start: &StartGaussian<D>,
        rng: &mut (impl RngCore + ?Sized),
        out: &mut [[S; D]],
    ) -> Status {
        if N == 0 {
            return if out.is_empty() { Status::Ok } else { Status::Saturated };
        }
        let mut state = [[W::<S>::ZERO; D]; N];
        let mut scratch = [[W::<S>::ZERO; D]; N];
        let mut status = Status::Ok;
        for block in out.chunks_mut(N) {
            // chunks_mut gives at most N = state.len() items: the split is in range
            // (the `min` lets the optimiser see it; the panic-check image proves it).
            let (state, _) = state.split_at_mut(block.len().min(N));
            let st = self.start(start, rng, state);
            let st = st.and(self.run(source, rng, state, &mut scratch));
            status = status.and(st).and(Self::finish(state, block));
        }
        status
    }

    /// Low-level path: fill `state` with draws from the start Gaussian, rounded to the
    /// working type `W` (`S::Work` of the scalar to sample in); [`Status::Saturated`] if a
    /// draw left the type's range.
    pub fn start<W: Real, const D: usize>(
        &self,
        start: &StartGaussian<D>,
        rng: &mut (impl RngCore + ?Sized),
        state: &mut [[W; D]],
    ) -> Status {
        let mut status = Status::Ok;
        for x in state.iter_mut() {
            for (xd, v) in x.iter_mut().zip(start.draw(rng).iter()) {
                let (w, sat) = W::from_f64_saturating(*v);
                *xd = w;
                status = status.and(Status::from_saturated(sat));
            }
        }
        status
    }

    /// Low-level path: run every step of the grid and the final denoising step on `state`
    /// (module documentation). `scratch` holds Heun's intermediate scores; any length
    /// works (an empty slice too), the same length as `state` is fastest.
    pub fn run<S: Scalar, const D: usize>(
        &self,
        source: &mut (impl ScoreSource<S, D> + ?Sized),
        rng: &mut (impl RngCore + ?Sized),
        state: &mut [[W<S>; D]],
        scratch: &mut [[W<S>; D]],
    ) -> Status {
        let mut status = Status::Ok;
        let s2 = self.sigma * self.sigma;
        if matches!(self.method, Method::DpmSolver2M | Method::DpmSolver2MSde) {
            let sde = self.method == Method::DpmSolver2MSde;
            status = few_step::dpm_solver_2m(source, rng, state, scratch, self.sigma, &self.grid, sde);
        }
        for k in 0..self.grid.steps() {
            let t0 = self.grid.time(k);
            let t1 = self.grid.time(k + 1);
            let h = t0 - t1;
            status = status.and(match self.method {
                Method::EulerMaruyama => self.em_pass(source, rng, state, t0, h),
                Method::PredictorCorrector { ratio } => {
                    let p = self.em_pass(source, rng, state, t0, h);
                    p.and(langevin_pass(source, rng, state, t1, ratio * s2 * h))
                }
                Method::ProbabilityFlow => heun_pass(source, state, scratch, t0, t1, 0.5 * s2 * h),
                Method::EdmHeun { churn } => {
                    few_step::edm_heun_pass(source, rng, state, scratch, self.sigma, t0, t1, &churn, self.grid.steps())
                }
                Method::DpmSolver2M | Method::DpmSolver2MSde => Status::Ok,
            });
        }
        // Denoising step (Tweedie): x <- x + sigma^2 t_min s(x, t_min).
        let t_min = self.grid.t_min();
        let (c, sat) = W::<S>::from_f64_saturating(s2 * t_min);
        status = status.and(Status::from_saturated(sat));
        for x in state.iter_mut() {
            let (s, st) = score_w::<S, _, D>(source, t_min, x);
            axpy(x, c, &s);
            status = status.and(st).and(limit_status(x));
        }
        status
    }

    fn em_pass<S, Src, G, const D: usize>(
        &self,
        source: &mut Src,
        rng: &mut G,
        state: &mut [[W<S>; D]],
        t: f64,
        h: f64,
    ) -> Status
    where
        S: Scalar,
        Src: ScoreSource<S, D> + ?Sized,
        G: RngCore + ?Sized,
    {
        drift_noise_pass::<S, _, _, D>(source, rng, state, t, self.sigma * self.sigma * h, self.sigma * libm::sqrt(h))
    }

    /// Low-level path: convert the final state to `S` (rounding to nearest once), the
    /// first `min(state.len(), out.len())` samples.
    pub fn finish<S: Scalar, const D: usize>(state: &[[W<S>; D]], out: &mut [[S; D]]) -> Status {
        let mut status = Status::Ok;
        for (o, x) in out.iter_mut().zip(state.iter()) {
            for (od, &xd) in o.iter_mut().zip(x.iter()) {
                let (v, st) = S::from_work(xd);
                *od = v;
                status = status.and(st);
            }
        }
        status
    }
}

/// One Langevin corrector step at `t`: `x <- x + e s(x, t) + sqrt(2 e) z`.
fn langevin_pass<S, Src, G, const D: usize>(
    source: &mut Src,
    rng: &mut G,
    state: &mut [[W<S>; D]],
    t: f64,
    e: f64,
) -> Status
where
    S: Scalar,
    Src: ScoreSource<S, D> + ?Sized,
    G: RngCore + ?Sized,
{
    drift_noise_pass::<S, _, _, D>(source, rng, state, t, e, libm::sqrt(2.0 * e))
}

/// `x <- x + drift s(x, t) + noise z` for every state (the Euler-Maruyama predictor and the
/// Langevin corrector differ only in the two coefficients).
fn drift_noise_pass<S, Src, G, const D: usize>(
    source: &mut Src,
    rng: &mut G,
    state: &mut [[W<S>; D]],
    t: f64,
    drift: f64,
    noise: f64,
) -> Status
where
    S: Scalar,
    Src: ScoreSource<S, D> + ?Sized,
    G: RngCore + ?Sized,
{
    let (c1, sat1) = W::<S>::from_f64_saturating(drift);
    let (c2, sat2) = W::<S>::from_f64_saturating(noise);
    let mut status = Status::from_saturated(sat1 | sat2);
    for x in state.iter_mut() {
        let (s, st) = score_w::<S, _, D>(source, t, x);
        axpy(x, c1, &s);
        add_noise(x, c2, rng);
        status = status.and(st).and(limit_status(x));
    }
    status
}

/// One Heun step from `t0` to `t1` with `a = sigma^2 h / 2`, block by block of the
/// scratch's length (one sample at a time if the scratch is empty).
fn heun_pass<S, Src, const D: usize>(
    source: &mut Src,
    state: &mut [[W<S>; D]],
    scratch: &mut [[W<S>; D]],
    t0: f64,
    t1: f64,
    a: f64,
) -> Status
where
    S: Scalar,
    Src: ScoreSource<S, D> + ?Sized,
{
    let (ca, sat1) = W::<S>::from_f64_saturating(a);
    let (ch, sat2) = W::<S>::from_f64_saturating(0.5 * a);
    let mut status = Status::from_saturated(sat1 | sat2);
    let mut one = [[W::<S>::ZERO; D]; 1];
    let buf: &mut [[W<S>; D]] = if scratch.is_empty() { &mut one } else { scratch };
    let block = buf.len().max(1);
    for xs in state.chunks_mut(block) {
        for (x, s1) in xs.iter_mut().zip(buf.iter_mut()) {
            let (s, st) = score_w::<S, _, D>(source, t0, x);
            *s1 = s;
            status = status.and(st);
        }
        for (x, s1) in xs.iter_mut().zip(buf.iter()) {
            let mut xp = *x;
            axpy(&mut xp, ca, s1);
            let (s2, st) = score_w::<S, _, D>(source, t1, &xp);
            let mut sum = *s1;
            for (a, b) in sum.iter_mut().zip(s2.iter()) {
                *a = *a + *b;
            }
            axpy(x, ch, &sum);
            status = status.and(st).and(limit_status(x));
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixture::{Component, GaussianMixture};
    use crate::score_source::MixtureScore;
    use crate::time_grid::Spacing;
    use fixed::types::I16F16;
    use rand_core::SeedableRng;

    /// A single Gaussian N(1, 0.5^2), sigma = 1: the exact score is linear, and every sampler
    /// must return its mean and variance.
    fn check<S: crate::mixture::MixtureScalar>(method: Method, tol_mean: f64, tol_var: f64) {
        let gm = GaussianMixture::<1, 1>::new(1.0, &[Component { weight: 1.0, mean: [1.0], std: [0.5] }]).unwrap();
        // The SDE multistep is meant for the Karras grid: on a grid whose log-noise steps
        // change fast (this geometric one) its midpoint correction biases the variance.
        let spacing = match method {
            Method::DpmSolver2MSde => Spacing::Karras { rho: 7.0 },
            _ => Spacing::Geometric { t_offset: 0.25 },
        };
        let grid = TimeGrid::new(4.0, 1e-4, 200, spacing).unwrap();
        let sampler = Sampler::new(SamplerConfig { method, grid, sigma: 1.0 }).unwrap();
        let start = StartGaussian::from_mixture(&gm, 4.0).unwrap();
        let mut src = MixtureScore::<S, 1, 1>::new(&gm);
        let mut rng = crate::DefaultRng::seed_from_u64(3);
        let n = 4000;
        let mut state = [[W::<S>::ZERO; 1]; 4000];
        let mut scratch = [[W::<S>::ZERO; 1]; 4000];
        let mut out = [[S::default(); 1]; 4000];
        // The low-level path, one block of 4000 samples.
        let st = sampler.start(&start, &mut rng, &mut state);
        let st = st.and(sampler.run(&mut src, &mut rng, &mut state, &mut scratch));
        let st = st.and(Sampler::finish(&state, &mut out));
        assert!(st.is_ok());
        let xs: [f64; 4000] = core::array::from_fn(|i| out[i][0].to_f64());
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < tol_mean, "{method:?} {}: mean {mean}", S::NAME);
        assert!((var - 0.25).abs() < tol_var, "{method:?} {}: var {var}", S::NAME);
    }

    #[test]
    fn samplers_recover_a_gaussian() {
        // Standard errors for n = 4000: mean 0.008, variance 0.0056.
        let churn = Churn { s_churn: 40.0, s_tmin: 0.05, s_tmax: 1.0, s_noise: 1.0 };
        for m in [
            Method::EulerMaruyama,
            Method::ProbabilityFlow,
            Method::PredictorCorrector { ratio: 0.5 },
            Method::DpmSolver2M,
            Method::DpmSolver2MSde,
            Method::EdmHeun { churn: Churn::NONE },
            Method::EdmHeun { churn },
        ] {
            check::<f32>(m, 0.04, 0.03);
            check::<f64>(m, 0.04, 0.03);
            check::<I16F16>(m, 0.04, 0.03);
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let grid = TimeGrid::new(1.0, 0.1, 3, Spacing::Uniform).unwrap();
        let em = SamplerConfig { method: Method::EulerMaruyama, grid, sigma: 0.0 };
        assert_eq!(Sampler::new(em), Err(SamplerError::InvalidSigma));
        let pc = SamplerConfig { method: Method::PredictorCorrector { ratio: f64::NAN }, grid, sigma: 1.0 };
        assert_eq!(Sampler::new(pc), Err(SamplerError::InvalidRatio));
        assert_eq!(Sampler::try_from(pc), Err(SamplerError::InvalidRatio));
        for churn in [
            Churn { s_churn: -1.0, ..Churn::NONE },
            Churn { s_tmin: f64::NAN, ..Churn::NONE },
            Churn { s_tmax: -1.0, ..Churn::NONE },
            Churn { s_noise: 0.0, ..Churn::NONE },
        ] {
            let edm = SamplerConfig { method: Method::EdmHeun { churn }, grid, sigma: 1.0 };
            assert_eq!(Sampler::new(edm), Err(SamplerError::InvalidChurn));
        }
        assert!(!SamplerError::InvalidChurn.to_string().is_empty());
        let ok = SamplerConfig { sigma: 2.0, ..pc };
        let ok = SamplerConfig { method: Method::ProbabilityFlow, ..ok };
        assert_eq!(Sampler::new(ok).map(|s| s.config()), Ok(ok));
        assert!(!SamplerError::InvalidSigma.to_string().is_empty());
    }

    /// `generate` against the low-level path on one buffer of `n` samples.
    fn low_level<S: crate::mixture::MixtureScalar, const N: usize>(
        method: Method,
        seed: u64,
    ) -> ([[S; 2]; N], [[S; 2]; N], Status, Status) {
        let comps = [
            Component { weight: 0.25, mean: [-1.0, 0.5], std: [0.3, 0.6] },
            Component { weight: 0.75, mean: [1.5, -0.5], std: [0.4, 0.2] },
        ];
        let gm = GaussianMixture::<2, 2>::new(1.5, &comps).unwrap();
        let grid = TimeGrid::new(6.0, 1e-3, 12, Spacing::Geometric { t_offset: 0.05 }).unwrap();
        let sampler = Sampler::new(SamplerConfig { method, grid, sigma: gm.sigma() }).unwrap();
        let start = StartGaussian::from_mixture(&gm, 6.0).unwrap();
        let mut src = MixtureScore::<S, 2, 2>::new(&gm);

        let mut rng = crate::DefaultRng::seed_from_u64(seed);
        let mut state = [[W::<S>::ZERO; 2]; N];
        let mut scratch = [[W::<S>::ZERO; 2]; N];
        let mut want = [[S::default(); 2]; N];
        let st = sampler.start(&start, &mut rng, &mut state);
        let st = st.and(sampler.run(&mut src, &mut rng, &mut state, &mut scratch));
        let st_want = st.and(Sampler::finish(&state, &mut want));

        let mut rng = crate::DefaultRng::seed_from_u64(seed);
        let mut got = [[S::default(); 2]; N];
        let st_got = sampler.generate(&mut src, &start, &mut rng, &mut got);
        (want, got, st_want, st_got)
    }

    #[test]
    fn generate_matches_the_low_level_path_up_to_a_block() {
        let churn = Churn { s_churn: 10.0, s_tmin: 0.0, s_tmax: f64::INFINITY, s_noise: 1.003 };
        let methods = [
            Method::EulerMaruyama,
            Method::ProbabilityFlow,
            Method::PredictorCorrector { ratio: 0.5 },
            Method::DpmSolver2M,
            Method::DpmSolver2MSde,
            Method::EdmHeun { churn: Churn::NONE },
            Method::EdmHeun { churn },
        ];
        for (seed, m) in methods.into_iter().enumerate() {
            let (want, got, sw, sg) = low_level::<f32, BLOCK>(m, seed as u64);
            assert_eq!((want, sw), (got, sg), "{m:?}");
            let (want, got, sw, sg) = low_level::<I16F16, 3>(m, seed as u64);
            assert_eq!((want, sw), (got, sg), "{m:?}");
            let (want, got, sw, sg) = low_level::<f64, 1>(m, seed as u64);
            assert_eq!((want, sw), (got, sg), "{m:?}");
        }
        // The deterministic methods draw no noise after the start: any count matches.
        for m in [Method::ProbabilityFlow, Method::DpmSolver2M, Method::EdmHeun { churn: Churn::NONE }] {
            let (want, got, sw, sg) = low_level::<I16F16, { 2 * BLOCK + 3 }>(m, 9);
            assert_eq!((want, sw), (got, sg), "{m:?}");
        }
        // Euler-Maruyama beyond a block: the first block is the same, the rest differs.
        let (want, got, _, sg) = low_level::<f32, { 2 * BLOCK }>(Method::EulerMaruyama, 9);
        assert!(sg.is_ok());
        assert_ne!(want, got);
    }

    #[test]
    fn blocked_generation_with_a_cached_model_is_the_plain_generation() {
        use crate::learned::{Preconditioning, ScoreMlp};
        use crate::score_source::ModelScore;
        let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.5], data_std: [1.2] };
        let mut rng = crate::DefaultRng::seed_from_u64(4);
        let mut model = ScoreMlp::<f32, 1, 8, 1>::new_random(pc, &mut rng).unwrap();
        model.params.output.w[0][2] = 0.4;
        let grid = TimeGrid::new(9.0, 2e-3, 9, Spacing::Karras { rho: 7.0 }).unwrap();
        let sampler = Sampler::new(SamplerConfig { method: Method::DpmSolver2M, grid, sigma: 1.0 }).unwrap();
        let start = StartGaussian::new([0.5], [[1.44 + 9.0]]).unwrap();
        let run = |blocked: bool| {
            let mut out = [[0.0f32; 1]; 21];
            let mut rng = crate::DefaultRng::seed_from_u64(8);
            let st = if blocked {
                sampler.generate_blocked::<21, _, _>(&mut ModelScore::new(&model), &start, &mut rng, &mut out)
            } else {
                sampler.generate(&mut model.clone(), &start, &mut rng, &mut out)
            };
            assert!(st.is_ok());
            out
        };
        let (plain, cached) = (run(false), run(true));
        assert_eq!(plain, cached);
        assert!(plain.iter().all(|x| x[0].is_finite()) && plain[0] != plain[1]);
        // A block of nothing makes nothing, and says so.
        let mut out = [[0.0f32; 1]; 2];
        let st = sampler.generate_blocked::<0, _, _>(&mut ModelScore::new(&model), &start, &mut rng, &mut out);
        assert_eq!(st, Status::Saturated);
    }

    #[test]
    fn generate_handles_empty_and_ragged_buffers() {
        let gm = GaussianMixture::<1, 1>::new(1.0, &[Component { weight: 1.0, mean: [1.0], std: [0.5] }]).unwrap();
        let grid = TimeGrid::new(4.0, 1e-3, 20, Spacing::Uniform).unwrap();
        let cfg = SamplerConfig { method: Method::PredictorCorrector { ratio: 0.5 }, grid, sigma: 1.0 };
        let sampler = Sampler::new(cfg).unwrap();
        let start = StartGaussian::from_mixture(&gm, 4.0).unwrap();
        let mut rng = crate::DefaultRng::seed_from_u64(1);
        let mut none: [[f32; 1]; 0] = [];
        assert!(sampler.generate(&mut MixtureScore::new(&gm), &start, &mut rng, &mut none).is_ok());
        let mut out = [[f32::NAN; 1]; 2 * BLOCK + 1];
        assert!(sampler.generate(&mut MixtureScore::new(&gm), &start, &mut rng, &mut out).is_ok());
        assert!(out.iter().all(|x| x[0].is_finite() && (x[0] - 1.0).abs() < 3.0), "{out:?}");
    }
}
