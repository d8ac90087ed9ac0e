//! The high-precision reference: log-density and score of the diffused mixture evaluated
//! in 192-bit binary floating point (`astro-float`), from the exact `f64` parameters and
//! inputs. Results come back as unevaluated sums `hi + lo` of two `f64`, so errors of `f64`
//! code can be measured in units of 2^-53 without the reference's own rounding.

use astro_float::{BigFloat, Consts, Radix, RoundingMode};

use crate::mixture_file::MixtureSpec;

const P: usize = 192;
const RM: RoundingMode = RoundingMode::ToEven;

/// A value as `hi + lo` (`|lo| <= ulp(hi) / 2`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DoubleF64 {
    /// The value rounded to `f64`.
    pub hi: f64,
    /// The rest.
    pub lo: f64,
}

impl DoubleF64 {
    /// `got - self`, accurate to about 2^-100 relative.
    pub fn error_of(&self, got: f64) -> f64 {
        (got - self.hi) - self.lo
    }
}

/// Log-density and score at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceValue {
    /// `log p(x, t)`
    pub log_density: DoubleF64,
    /// `grad log p(x, t)`
    pub score: Vec<DoubleF64>,
    /// `max_j |x_d - mu_jd| / v_jd` per dimension (for the relative score bound).
    pub score_scale: Vec<f64>,
}

/// The high-precision evaluator (keeps astro-float's constant cache).
pub struct Reference {
    cc: Consts,
}

impl Default for Reference {
    fn default() -> Self {
        Self::new()
    }
}

fn big(v: f64) -> BigFloat {
    BigFloat::from_f64(v, P)
}

fn to_f64(v: &BigFloat, cc: &mut Consts) -> f64 {
    if v.is_zero() {
        return 0.0;
    }
    match v.format(Radix::Dec, RoundingMode::ToEven, cc) {
        Ok(s) => s.parse::<f64>().unwrap_or(f64::NAN),
        Err(_) => f64::NAN,
    }
}

impl Reference {
    /// Parse a decimal number (any number of digits) to `hi + lo` exactly as far as 192 bits go.
    pub fn parse_double(&mut self, text: &str) -> DoubleF64 {
        let v = BigFloat::parse(text, Radix::Dec, P, RM, &mut self.cc);
        self.split(&v)
    }

    /// A new evaluator.
    pub fn new() -> Self {
        Reference { cc: Consts::new().expect("astro-float constants") }
    }

    fn split(&mut self, v: &BigFloat) -> DoubleF64 {
        let hi = to_f64(v, &mut self.cc);
        let rest = v.sub(&big(hi), P, RM);
        let lo = to_f64(&rest, &mut self.cc);
        DoubleF64 { hi, lo }
    }

    /// Evaluate at `(t, x)`; the mixture's parameters are taken as their exact `f64` values.
    pub fn evaluate(&mut self, spec: &MixtureSpec, t: f64, x: &[f64]) -> ReferenceValue {
        let cc = &mut self.cc;
        let two_pi = cc.pi(P, RM).mul(&big(2.0), P, RM);
        let sig2t = big(spec.sigma).mul(&big(spec.sigma), P, RM).mul(&big(t), P, RM);
        let d = x.len();
        let mut a: Vec<BigFloat> = Vec::new();
        let mut z: Vec<Vec<BigFloat>> = Vec::new();
        let mut score_scale = vec![0.0f64; d];
        for c in &spec.components {
            let mut aj = big(c.weight).ln(P, RM, cc);
            let mut zj = Vec::new();
            for dd in 0..d {
                let s = big(c.std[dd]);
                let v = s.mul(&s, P, RM).add(&sig2t, P, RM);
                let diff = big(x[dd]).sub(&big(c.mean[dd]), P, RM);
                let zz = diff.div(&v, P, RM);
                let q = diff.mul(&zz, P, RM);
                let lnv = two_pi.mul(&v, P, RM).ln(P, RM, cc);
                aj = aj.sub(&lnv.add(&q, P, RM).div(&big(2.0), P, RM), P, RM);
                let zf = to_f64(&zz, cc).abs();
                score_scale[dd] = score_scale[dd].max(zf);
                zj.push(zz);
            }
            a.push(aj);
            z.push(zj);
        }
        let mut m = a[0].clone();
        for aj in &a[1..] {
            m = m.max(aj);
        }
        let mut sum = big(0.0);
        let mut acc = vec![big(0.0); d];
        for (aj, zj) in a.iter().zip(&z) {
            let e = aj.sub(&m, P, RM).exp(P, RM, cc);
            sum = sum.add(&e, P, RM);
            for (ad, zd) in acc.iter_mut().zip(zj) {
                *ad = ad.add(&e.mul(zd, P, RM), P, RM);
            }
        }
        let log_density = m.add(&sum.ln(P, RM, cc), P, RM);
        let score: Vec<BigFloat> = acc.iter().map(|ad| ad.div(&sum, P, RM).neg()).collect();
        let log_density = self.split(&log_density);
        let score = score.iter().map(|s| self.split(s)).collect();
        ReferenceValue { log_density, score, score_scale }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_gaussian_closed_form() {
        let spec = MixtureSpec {
            sigma: 1.0,
            components: vec![crate::mixture_file::ComponentSpec { weight: 1.0, mean: vec![1.0], std: vec![0.5] }],
        };
        let mut r = Reference::new();
        let v = r.evaluate(&spec, 0.75, &[3.0]);
        // v = 0.25 + 0.75 = 1: log p = -0.5 ln(2 pi) - 2, score = -2.
        let want = -0.5 * (2.0 * std::f64::consts::PI).ln() - 2.0;
        assert!((v.log_density.hi - want).abs() < 1e-15);
        assert_eq!(v.score[0].hi, -2.0);
        assert_eq!(v.score[0].lo, 0.0);
    }
}
