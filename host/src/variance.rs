//! The range of component variances the commands that integrate over time (`sample`,
//! `train`, `loss`) work in, checked before any work starts so that a setting out of range
//! is refused with a message naming the field of the mixture file or the option that
//! causes it (not a downstream symptom such as a NaN loss or a rejected start Gaussian).
//!
//! Component `j` has, in dimension `d` at time `t`, the variance
//! `v_jd(t) = std_jd^2 + sigma^2 t`. Over `0 <= t <= t_max` every `v_jd(t)` must lie in
//! the command's [`VarianceRange`]; `sigma^2` must not overflow it either. The ranges keep
//! a margin to the ends of the working type, so that squared distances of points many
//! standard deviations out, reciprocals and the sampler's default `t_min` (the smallest
//! variance over `1000 sigma^2`) stay finite and normal.

use anyhow::{bail, Result};

use crate::eval::ScalarKind;
use crate::mixture_file::MixtureSpec;

/// The variances a command works with, `min <= v <= max` (up to a relative `1e-12`, so
/// that a `std` of exactly `sqrt(max)` is accepted although its square rounds above).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VarianceRange {
    /// Smallest variance.
    pub min: f64,
    /// Largest variance.
    pub max: f64,
    /// What works in this range, for messages.
    pub why: &'static str,
}

/// The state and the score in `f64` (`sample --scalar f64` with the exact score; the
/// `loss` quadrature): `1e-100` to `1e100`, far inside the type's `2.2e-308` to `1.8e308`,
/// so that squared distances of points far out and products with step sizes stay finite.
pub const F64: VarianceRange = VarianceRange { min: 1e-100, max: 1e100, why: "f64 sampling" };

/// The exact score in `f32` or a fixed-point type (`sample --scalar f32|i16f16|i8f24`):
/// `1e-30` to `1e30`, inside the range of `f32` (`1.2e-38` to `3.4e38`); fixed-point
/// values beyond their own range are clamped and flagged.
pub const F32: VarianceRange = VarianceRange { min: 1e-30, max: 1e30, why: "f32 and fixed-point sampling" };

/// A score model (`train`, `loss`, `sample --model`): `1e-12` to `1e8`. The network works
/// in `f32`; its losses sum squared scores of size `1 / v`, and beyond this range the
/// training draws and the Monte Carlo loss lose every significant digit.
pub const MODEL: VarianceRange = VarianceRange { min: 1e-12, max: 1e8, why: "a score model" };

/// The range for a run in scalar `kind`, with a score model or the exact score.
pub fn range_for(kind: ScalarKind, model: bool) -> VarianceRange {
    match (model, kind) {
        (true, _) => MODEL,
        (false, ScalarKind::F64) => F64,
        (false, _) => F32,
    }
}

const TOLERANCE: f64 = 1e-12;

/// Check the mixture's variances over `0 <= t <= t_max` (module documentation); `what`
/// names the mixture file, `t_max_flag` the option that sets `t_max` (`--t-max`).
///
/// # Errors
/// The first setting out of range, in this order: `t_max` not a finite number `>= 0`; a
/// `std` whose square is out of range (`what: components[j].std[d] = ...`); `sigma^2`
/// above the range (`what: sigma = ...`); then `t_max` making a variance too large
/// (`--t-max ...`, with the largest `t_max` the mixture allows).
///
/// # Examples
/// ```
/// use tinyscore_host::mixture_file::MixtureSpec;
/// use tinyscore_host::variance::{check, F32};
/// let m = MixtureSpec::parse("sigma = 1.0\n[[components]]\nweight = 1.0\nmean = [0.0]\nstd = [1e300]\n", "m.toml")?;
/// let e = check(&m, "m.toml", 1.0, "--t-max", F32).unwrap_err();
/// assert!(format!("{e}").starts_with("m.toml: components[0].std[0] = 1e300"));
/// assert!(check(&m, "m.toml", 1.0, "--t-max", F32).is_err());
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn check(spec: &MixtureSpec, what: &str, t_max: f64, t_max_flag: &str, range: VarianceRange) -> Result<()> {
    let VarianceRange { min, max, why } = range;
    let (lo, hi) = (min * (1.0 - TOLERANCE), max * (1.0 + TOLERANCE));
    if !(t_max.is_finite() && t_max >= 0.0) {
        bail!("{t_max_flag} {t_max}: it must be a finite number >= 0");
    }
    let mut largest = 0.0f64;
    for (j, c) in spec.components.iter().enumerate() {
        for (d, &s) in c.std.iter().enumerate() {
            let v = s * s;
            if !(lo..=hi).contains(&v) {
                let (side, bound, std_bound) =
                    if v < min { ("below", min, "at least") } else { ("above", max, "at most") };
                bail!(
                    "{what}: components[{j}].std[{d}] = {}: its variance std^2 {}, {side} {bound:e}, \
                     the range of {why}; std must be {std_bound} {:e}",
                    num(s),
                    square(v),
                    bound.sqrt()
                );
            }
            largest = largest.max(v);
        }
    }
    let sigma = spec.sigma;
    let s2 = sigma * sigma;
    if s2 > hi {
        bail!(
            "{what}: sigma = {}: the diffusion's variance sigma^2 t at t = 1 {}, above {max:e}, \
             the range of {why}; sigma must be at most {:e}",
            num(sigma),
            square(s2),
            max.sqrt()
        );
    }
    let v = largest + s2 * t_max;
    if v.is_nan() || v > hi {
        bail!(
            "{t_max_flag} {}: at t = {} the variance std^2 + sigma^2 t (sigma = {} in {what}) \
             reaches {}, above {max:e}, the range of {why}; {t_max_flag} must be at most {}",
            num(t_max),
            num(t_max),
            num(sigma),
            num(v),
            num((max - largest) / s2)
        );
    }
    Ok(())
}

/// Check that the mixture diffuses: `sampling` needs `sigma^2` a positive normal number.
///
/// # Errors
/// `what: sigma = ...` naming the smallest sigma that works.
pub fn check_diffusion(spec: &MixtureSpec, what: &str) -> Result<()> {
    let sigma = spec.sigma;
    if (sigma * sigma).is_nan() || sigma * sigma < f64::MIN_POSITIVE {
        bail!(
            "{what}: sigma = {}: sampling needs a diffusion, and sigma^2 {}, not a positive normal number; \
             sigma must be at least 1.5e-154",
            num(sigma),
            square(sigma * sigma)
        );
    }
    Ok(())
}

/// A computed square for a message: its value, or that it overflowed or underflowed.
fn square(v: f64) -> String {
    if v.is_infinite() {
        "overflows".into()
    } else if v == 0.0 {
        "underflows to 0".into()
    } else {
        format!("= {}", num(v))
    }
}

/// `x` as written by hand: plain for ordinary magnitudes, in exponent form otherwise.
pub fn num(x: f64) -> String {
    if x == 0.0 || (1e-4..1e6).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(sigma: f64, std: f64) -> MixtureSpec {
        let text = format!(
            "sigma = {sigma:e}\n[[components]]\nweight = 0.25\nmean = [-2.0]\nstd = [0.5]\n\
             [[components]]\nweight = 0.75\nmean = [1.0]\nstd = [{std:e}]\n"
        );
        MixtureSpec::parse(&text, "m.toml").unwrap()
    }

    fn err(m: &MixtureSpec, t_max: f64, r: VarianceRange) -> String {
        check(m, "m.toml", t_max, "--t-max", r).map_or_else(|e| format!("{e:#}"), |()| "ok".into())
    }

    #[test]
    fn names_the_cause() {
        assert_eq!(err(&spec(1.0, 0.3), 16.0, F64), "ok");
        assert_eq!(err(&spec(1.0, 0.3), 1e29, F32), "ok");
        assert_eq!(err(&spec(1.0, 1e50), 0.0, F64), "ok");
        assert_eq!(err(&spec(1.0, 1e-15), 0.0, F32), "ok");
        assert!(err(&spec(1.0, 1e300), 16.0, F64).starts_with("m.toml: components[1].std[0] = 1e300: "));
        assert!(err(&spec(1.0, 1e-300), 16.0, F64).starts_with("m.toml: components[1].std[0] = 1e-300: "));
        assert!(err(&spec(1.0, 1e-20), 1.0, F32).contains("below 1e-30"));
        assert!(err(&spec(1.0, 1e-7), 1.0, MODEL).contains("below 1e-12"));
        assert!(err(&spec(1.0, 0.3), 1e9, MODEL).starts_with("--t-max 1e9: "));
        assert_eq!(range_for(ScalarKind::F64, true), MODEL);
        assert!(err(&spec(1e200, 0.3), 1.0, F64).starts_with("m.toml: sigma = 1e200: "));
        let e = err(&spec(1.0, 0.3), 1e300, F64);
        assert!(e.starts_with("--t-max 1e300: ") && e.contains("at most 1e100"), "{e}");
        assert!(err(&spec(1.0, 0.3), 1e31, F32).starts_with("--t-max 1e31: "));
    }
}
