//! Deterministic reference values of the objectives (MATH.md section 4): Gauss-Legendre on
//! graded segments in `t`, and in `x` a composite rule against the density (1-D) or a
//! Gauss-Hermite rule per component (2-D and up); see [`QuadNodes`].
//!
//! `J_naive = 1/2 \int_{t0}^{t1} lambda(t) sum_j w_j E_{N(mu_j, v_j(t))} |s_theta - s|^2 dt`.
//! The exact score changes sharply between components at small `t`, so the rule in `x`
//! resolves the smallest standard deviation; the rule in `t` is graded toward `t_min`, where
//! the integrand changes fastest. Each value comes with an error estimate: the difference
//! to the same rule with every size doubled ([`QuadNodes::refined`]).

use tinyscore::learned::objective::{exact_score, sample_loss};
use tinyscore::learned::Weighting;
use tinyscore::mixture::GaussianMixture;
use tinyscore::score_source::{ModelScore, ScoreSource};
use tinyscore::Scalar;

use super::model_io::Model;

/// Nodes and weights of the `n`-point Gauss-Legendre rule on `[-1, 1]` (Newton on `P_n`).
pub fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    let mut out = vec![(0.0, 0.0); n];
    for (i, slot) in out.iter_mut().enumerate() {
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut pp = 1.0;
        for _ in 0..100 {
            let (mut p1, mut p2) = (1.0, 0.0);
            for j in 0..n {
                let p3 = p2;
                p2 = p1;
                p1 = ((2 * j + 1) as f64 * z * p2 - j as f64 * p3) / (j + 1) as f64;
            }
            pp = n as f64 * (z * p1 - p2) / (z * z - 1.0);
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() < 1e-15 {
                break;
            }
        }
        *slot = (z, 2.0 / ((1.0 - z * z) * pp * pp));
    }
    out
}

/// Nodes and weights of the `n`-point Gauss-Hermite rule for the weight `e^{-x^2}`
/// (Newton on the normalised Hermite recurrence; weights sum to `sqrt(pi)`).
pub fn gauss_hermite(n: usize) -> Vec<(f64, f64)> {
    const PIM4: f64 = 0.751_125_544_464_942_5; // pi^(-1/4)
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let nf = n as f64;
    let mut z = 0.0f64;
    for i in 0..n.div_ceil(2) {
        z = match i {
            0 => (2.0 * nf + 1.0).sqrt() - 1.85575 * (2.0 * nf + 1.0).powf(-1.0 / 6.0),
            1 => z - 1.14 * nf.powf(0.426) / z,
            2 => 1.86 * z - 0.86 * x[0],
            3 => 1.91 * z - 0.91 * x[1],
            _ => 2.0 * z - x[i - 2],
        };
        let mut pp = 1.0;
        for _ in 0..200 {
            let (mut p1, mut p2) = (PIM4, 0.0);
            for j in 0..n {
                let p3 = p2;
                p2 = p1;
                p1 = z * (2.0 / (j + 1) as f64).sqrt() * p2 - (j as f64 / (j + 1) as f64).sqrt() * p3;
            }
            pp = (2.0 * nf).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() < 1e-14 * z1.abs().max(1.0) {
                break;
            }
        }
        x[i] = z;
        x[n - 1 - i] = -z;
        w[i] = 2.0 / (pp * pp);
        w[n - 1 - i] = w[i];
    }
    x.into_iter().zip(w).collect()
}

/// Sizes of the rules.
///
/// In `t`: `[t_min, t_max]` is cut into segments graded geometrically toward `t_min` (each
/// [`GRADING`] times shorter than the next, [`QuadNodes::segments`] of them, the first
/// reaching down to `t_min`), with `t` Gauss-Legendre nodes each. In `x`:
/// * `D = 1`: composite Gauss-Legendre (5 nodes a panel) against the mixture density
///   `p(x, t)` on `[min_j(mu_j - 12 sd_j), max_j(mu_j + 12 sd_j)]`, with panels at most
///   `min_j sd_j / x` wide: it resolves the sharp transitions of the exact score between
///   components at small `t`, where a Gaussian rule per component does not converge;
/// * `D >= 2`: a tensor-product Gauss-Hermite rule per component with `x` nodes per dimension.
///
/// [`QuadNodes::refined`] doubles every size; the difference between the two values is the
/// error estimate that `tinyscore loss` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuadNodes {
    /// Gauss-Legendre nodes per segment in `t`.
    pub t: usize,
    /// Graded segments in `t`.
    pub segments: usize,
    /// `D = 1`: panels per smallest standard deviation; `D >= 2`: Gauss-Hermite nodes per
    /// dimension and component.
    pub x: usize,
}

/// Ratio of the lengths of neighbouring segments in `t`.
pub const GRADING: f64 = 2.0;

/// Nodes of the composite rule in `x` (`D = 1`) per panel.
const PANEL_NODES: usize = 5;

impl QuadNodes {
    /// Defaults by dimension: 24 segments of 6 Gauss-Legendre nodes in `t`; in `x`, 3 panels
    /// per smallest standard deviation in 1-D, else 40, 14, 8 Gauss-Hermite nodes.
    pub fn for_dims(d: usize) -> QuadNodes {
        let x = match d {
            0 | 1 => 3,
            2 => 40,
            3 => 14,
            _ => 8,
        };
        QuadNodes { t: 6, segments: 24, x }
    }

    /// Every size doubled (for the error estimate).
    pub fn refined(self) -> QuadNodes {
        QuadNodes { t: 2 * self.t, segments: 2 * self.segments, x: 2 * self.x }
    }

    /// What the rule is, for the printed report.
    pub fn describe(&self, dims: usize) -> String {
        let x = if dims == 1 {
            format!("composite Gauss-Legendre in x, {} panels per smallest std", self.x)
        } else {
            format!("{} Gauss-Hermite nodes per dimension and component", self.x)
        };
        format!("{} graded segments x {} Gauss-Legendre nodes in t; {x}", self.segments, self.t)
    }
}

/// The `(t, weight)` nodes of the graded rule on `[t0, t1]`.
pub fn t_rule(t0: f64, t1: f64, nodes: QuadNodes) -> Vec<(f64, f64)> {
    let gl = gauss_legendre(nodes.t);
    let n = nodes.segments.max(1);
    // Breakpoints t0 + (t1 - t0) g^{k - n}, k = 1..n, and t0 itself.
    let mut bounds = vec![t0];
    bounds.extend((1..=n).map(|k| t0 + (t1 - t0) * GRADING.powi(k as i32 - n as i32)));
    let mut out = Vec::with_capacity(n * gl.len());
    for w in bounds.windows(2) {
        let (mid, half) = (0.5 * (w[1] + w[0]), 0.5 * (w[1] - w[0]));
        out.extend(gl.iter().map(|&(u, wt)| (mid + half * u, wt * half)));
    }
    out
}

/// The `(x, weight)` nodes of the 1-D rule at `t`: weights include the density `p(x, t)`.
fn x_rule_1d<const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    t: f64,
    nodes: QuadNodes,
) -> Vec<([f64; D], f64)> {
    let gl = gauss_legendre(PANEL_NODES);
    let comps: Vec<(f64, f64, f64)> = gm
        .components()
        .iter()
        .map(|c| (c.weight, c.mean.first().copied().unwrap_or(0.0), gm.variances(c, t).first().copied().unwrap_or(1.0)))
        .collect();
    let sd_min = comps.iter().map(|c| c.2.sqrt()).fold(f64::INFINITY, f64::min);
    let lo = comps.iter().map(|c| c.1 - 12.0 * c.2.sqrt()).fold(f64::INFINITY, f64::min);
    let hi = comps.iter().map(|c| c.1 + 12.0 * c.2.sqrt()).fold(f64::NEG_INFINITY, f64::max);
    let panels = (((hi - lo) / sd_min) * nodes.x as f64).ceil().clamp(1.0, 1e6) as usize;
    let width = (hi - lo) / panels as f64;
    let mut out = Vec::with_capacity(panels * PANEL_NODES);
    for p in 0..panels {
        let mid = lo + (p as f64 + 0.5) * width;
        for &(u, wt) in &gl {
            let x = mid + 0.5 * width * u;
            let density: f64 = comps
                .iter()
                .map(|&(w, m, v)| w * (-(x - m) * (x - m) / (2.0 * v)).exp() / (2.0 * std::f64::consts::PI * v).sqrt())
                .sum();
            let mut xd = [0.0; D];
            if let Some(first) = xd.first_mut() {
                *first = x;
            }
            out.push((xd, 0.5 * width * wt * density));
        }
    }
    out
}

/// `\int_{t0}^{t1} sum_j w_j E_{N(mu_j, v_j(t))} f(t, x) dt` (see [`QuadNodes`]).
pub fn integrate<const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    t_min: f64,
    t_max: f64,
    nodes: QuadNodes,
    mut f: impl FnMut(f64, &[f64; D]) -> f64,
) -> f64 {
    let gh = gauss_hermite(nodes.x);
    let norm = std::f64::consts::PI.powf(-(D as f64) / 2.0);
    let mut total = 0.0;
    for (t, wt) in t_rule(t_min, t_max, nodes) {
        let mut inner = 0.0;
        if D == 1 {
            for (x, w) in x_rule_1d(gm, t, nodes) {
                if w > 0.0 {
                    inner += w * f(t, &x);
                }
            }
            total += wt * inner;
            continue;
        }
        for c in gm.components() {
            let scale: [f64; D] = gm.variances(c, t).map(|v| (2.0 * v).sqrt());
            let mut idx = [0usize; D];
            'outer: loop {
                let mut x = [0.0; D];
                let mut w = c.weight * norm;
                for (((xd, &i), &mu), &sc) in x.iter_mut().zip(idx.iter()).zip(c.mean.iter()).zip(scale.iter()) {
                    let (node, weight) = gh[i];
                    *xd = mu + sc * node;
                    w *= weight;
                }
                inner += w * f(t, &x);
                for i in idx.iter_mut() {
                    *i += 1;
                    if *i < gh.len() {
                        continue 'outer;
                    }
                    *i = 0;
                }
                break;
            }
        }
        total += wt * inner;
    }
    total
}

/// `J_naive` of a model evaluated in `S` (the same per-point value as the Monte Carlo).
pub fn j_naive<S: Scalar, const D: usize, const K: usize>(
    model: &Model<S, D>,
    gm: &GaussianMixture<D, K>,
    weighting: Weighting,
    t_min: f64,
    t_max: f64,
    nodes: QuadNodes,
) -> f64 {
    j_naive_source(&mut ModelScore::new(model), gm, weighting, t_min, t_max, nodes)
}

/// [`j_naive`] of any score source in `S` (the q8 network among them).
pub fn j_naive_source<S: Scalar, Src: ScoreSource<S, D> + ?Sized, const D: usize, const K: usize>(
    source: &mut Src,
    gm: &GaussianMixture<D, K>,
    weighting: Weighting,
    t_min: f64,
    t_max: f64,
    nodes: QuadNodes,
) -> f64 {
    let sigma = gm.sigma();
    integrate(gm, t_min, t_max, nodes, |t, x| {
        let Ok((s, _)) = exact_score::<f64, D, K>(gm, t, x) else { return f64::NAN };
        let xs: [S; D] = x.map(|v| S::from_f64(v).0);
        let (m, _) = source.score_at(t, &xs);
        sample_loss(&m, &s, weighting.lambda(t, sigma)).0
    })
}

/// `J_DSM - J_naive = 1/2 \int lambda(t) (D / (sigma^2 t) - E|s(x, t)|^2) dt` (needs
/// `t_min > 0`, `sigma > 0`). The first term is integrated in `ln t` (smooth there).
pub fn dsm_constant<const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    weighting: Weighting,
    t_min: f64,
    t_max: f64,
    nodes: QuadNodes,
) -> f64 {
    let sigma = gm.sigma();
    let (a, b) = (t_min.ln(), t_max.ln());
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    let kernel: f64 = gauss_legendre(32 * nodes.t)
        .iter()
        .map(|&(u, w)| {
            let t = (mid + half * u).exp();
            w * half * t * weighting.lambda(t, sigma) * D as f64 / (sigma * sigma * t)
        })
        .sum();
    let score = integrate(gm, t_min, t_max, nodes, |t, x| {
        let Ok((s, _)) = exact_score::<f64, D, K>(gm, t, x) else { return f64::NAN };
        weighting.lambda(t, sigma) * s.iter().map(|v| v * v).sum::<f64>()
    });
    0.5 * (kernel - score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_integrate_polynomials() {
        let gl = gauss_legendre(10);
        assert!((gl.iter().map(|p| p.1).sum::<f64>() - 2.0).abs() < 1e-14);
        assert!((gl.iter().map(|p| p.1 * p.0.powi(18)).sum::<f64>() - 2.0 / 19.0).abs() < 1e-14);
        for n in [8, 40, 80] {
            let gh = gauss_hermite(n);
            let sp = std::f64::consts::PI.sqrt();
            assert!((gh.iter().map(|p| p.1).sum::<f64>() - sp).abs() < 1e-12, "{n}");
            assert!((gh.iter().map(|p| p.1 * p.0 * p.0).sum::<f64>() - sp / 2.0).abs() < 1e-12, "{n}");
            assert!((gh.iter().map(|p| p.1 * p.0.powi(4)).sum::<f64>() - 0.75 * sp).abs() < 1e-11, "{n}");
        }
    }
}
