//! Time weights `lambda(t)` of the score-matching loss (MATH.md section 4), for
//! Brownian noise of scale `sigma`.

/// A time weight `lambda(t) >= 0`.
///
/// # Examples
/// ```
/// use tinyscore::learned::Weighting;
/// let sigma = 2.0;
/// assert_eq!(Weighting::Variance.lambda(0.5, sigma), 2.0); // sigma^2 t
/// assert_eq!(Weighting::Likelihood.lambda(0.5, sigma), 4.0); // sigma^2
/// let w = Weighting::Custom(|t, _| 1.0 / (1.0 + t));
/// assert_eq!((w.lambda(1.0, sigma), w.name()), (0.5, "custom"));
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Weighting {
    /// `lambda(t) = 1`.
    One,
    /// `lambda(t) = sigma^2 t`, the variance of the noise added by time `t`.
    Variance,
    /// `lambda(t) = g(t)^2 = sigma^2` ("likelihood weighting").
    Likelihood,
    /// Any function of `(t, sigma)`.
    Custom(fn(f64, f64) -> f64),
}

impl Weighting {
    /// `lambda(t)` for diffusion scale `sigma`.
    pub fn lambda(&self, t: f64, sigma: f64) -> f64 {
        match self {
            Weighting::One => 1.0,
            Weighting::Variance => sigma * sigma * t,
            Weighting::Likelihood => sigma * sigma,
            Weighting::Custom(f) => f(t, sigma),
        }
    }

    /// The name used on the command line (`custom` for a user function).
    pub const fn name(&self) -> &'static str {
        match self {
            Weighting::One => "one",
            Weighting::Variance => "variance",
            Weighting::Likelihood => "likelihood",
            Weighting::Custom(_) => "custom",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights() {
        assert_eq!(Weighting::One.lambda(0.3, 2.0), 1.0);
        assert_eq!(Weighting::Variance.lambda(0.5, 2.0), 2.0);
        assert_eq!(Weighting::Likelihood.lambda(0.5, 2.0), 4.0);
        assert_eq!(Weighting::Custom(|t, s| t + s).lambda(0.5, 2.0), 2.5);
    }
}
