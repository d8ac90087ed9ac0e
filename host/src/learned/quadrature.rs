//! Deterministic reference values of the objectives: Gauss-Legendre in `t` and, per
//! mixture component, a tensor-product Gauss-Hermite rule in `x` (MATH.md section 4).
//!
//! `J_naive = 1/2 \int_{t0}^{t1} lambda(t) sum_j w_j E_{N(mu_j, v_j(t))} |s_theta - s|^2 dt`.
//! The integrand is smooth in `t` and, per component, a Gaussian times a smooth function of
//! `x`, so both rules converge fast; the default node counts give about 6 significant
//! digits on the test mixtures (checked by comparing with twice the nodes).

use tinyscore::learned::objective::{exact_score, sample_loss};
use tinyscore::learned::Weighting;
use tinyscore::mixture::GaussianMixture;
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

/// Node counts of the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuadNodes {
    /// Gauss-Legendre nodes in `t`.
    pub t: usize,
    /// Gauss-Hermite nodes per dimension and component.
    pub x: usize,
}

impl QuadNodes {
    /// Defaults by dimension: 48 nodes in `t`; 80, 40, 14, 8 per dimension in `x`.
    pub fn for_dims(d: usize) -> QuadNodes {
        QuadNodes { t: 48, x: [80, 40, 14, 8].get(d.saturating_sub(1)).copied().unwrap_or(6) }
    }
}

/// `\int_{t0}^{t1} sum_j w_j E_{N(mu_j, v_j(t))} f(t, x) dt`.
pub fn integrate<const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    t_min: f64,
    t_max: f64,
    nodes: QuadNodes,
    mut f: impl FnMut(f64, &[f64; D]) -> f64,
) -> f64 {
    let gl = gauss_legendre(nodes.t);
    let gh = gauss_hermite(nodes.x);
    let norm = std::f64::consts::PI.powf(-(D as f64) / 2.0);
    let (mid, half) = (0.5 * (t_max + t_min), 0.5 * (t_max - t_min));
    let mut total = 0.0;
    for &(u, wt) in &gl {
        let t = mid + half * u;
        let mut inner = 0.0;
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
        total += wt * half * inner;
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
    let sigma = gm.sigma();
    integrate(gm, t_min, t_max, nodes, |t, x| {
        let Ok((s, _)) = exact_score::<f64, D, K>(gm, t, x) else { return f64::NAN };
        let xs: [S; D] = x.map(|v| S::from_f64(v).0);
        let (m, _) = model.score(t, &xs);
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
    let kernel: f64 = gauss_legendre(4 * nodes.t)
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
