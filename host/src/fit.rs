//! Fitting a diagonal Gaussian mixture to data by expectation-maximisation.
//!
//! * Initialisation: k-means++ seeding, then Lloyd iterations; each component starts from
//!   its cluster's fraction, mean and per-dimension variance.
//! * E step in the log domain: `log r_ij = log w_j + log N(x_i; mu_j, v_j) - log sum_k (...)`
//!   with a log-sum-exp, so far-away samples never give 0/0.
//! * M step: weights `N_j / N`, means, variances plus a floor of [`VAR_FLOOR`] times the
//!   data's variance in that dimension (scale-invariant; it keeps a component from
//!   collapsing onto one sample). A component whose responsibility mass falls below
//!   `1e-9 N` is restarted at a random sample.
//! * Stop when the mean log-likelihood changes by less than `tol` (relative), or after
//!   `max_iter` iterations; `restarts` independent starts, the best likelihood kept.
//! * `--components auto`: K = 1 to 16, the smallest BIC
//!   (`-2 N mean_ll + p ln N`, `p = K (2D + 1) - 1`).

use anyhow::{bail, Result};
use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::num::LN_2PI;

/// Variance floor, relative to the data's variance per dimension.
pub const VAR_FLOOR: f64 = 1e-6;

/// How many components to fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Components {
    /// Exactly this many.
    Fixed(usize),
    /// 1 to `max`, chosen by BIC.
    Auto {
        /// Largest K tried.
        max: usize,
    },
}

/// Settings of the fit.
#[derive(Clone, Copy, Debug)]
pub struct FitConfig {
    /// Number of components.
    pub components: Components,
    /// Independent starts per K (the best likelihood is kept).
    pub restarts: usize,
    /// Iteration limit per start.
    pub max_iter: usize,
    /// Stop when the mean log-likelihood changes by less than `tol * |ll|`.
    pub tol: f64,
    /// Seed of the initialisation.
    pub seed: u64,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig { components: Components::Auto { max: 16 }, restarts: 5, max_iter: 1000, tol: 1e-7, seed: 1 }
    }
}

/// A diagonal Gaussian mixture with `f64` parameters (the fit's result).
#[derive(Clone, Debug, PartialEq)]
pub struct DiagGmm {
    /// Dimensions D.
    pub dims: usize,
    /// Weights, summing to 1.
    pub weights: Vec<f64>,
    /// Means, K rows of D.
    pub means: Vec<Vec<f64>>,
    /// Variances, K rows of D.
    pub vars: Vec<Vec<f64>>,
}

impl DiagGmm {
    /// Number of components.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// `true` if there is no component.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The per-component constants of the log-likelihood.
    fn prepared(&self) -> Prepared {
        Prepared {
            log_norm: (0..self.len())
                .map(|j| self.weights[j].ln() - 0.5 * self.vars[j].iter().map(|v| LN_2PI + v.ln()).sum::<f64>())
                .collect(),
            inv_var: self.vars.iter().map(|v| v.iter().map(|x| 1.0 / x).collect()).collect(),
        }
    }

    /// `log N(x; mu_j, v_j) + log w_j` for every component, into `out`.
    fn component_ll(&self, p: &Prepared, x: &[f64], out: &mut [f64]) {
        for (((o, &ln), mean), iv) in out.iter_mut().zip(&p.log_norm).zip(&self.means).zip(&p.inv_var) {
            let mut q = 0.0;
            for ((&xd, &m), &ivd) in x.iter().zip(mean).zip(iv) {
                let diff = xd - m;
                q += diff * diff * ivd;
            }
            *o = ln - 0.5 * q;
        }
    }

    /// `log p(x)`.
    pub fn log_density(&self, x: &[f64]) -> f64 {
        let mut a = vec![0.0; self.len()];
        self.component_ll(&self.prepared(), x, &mut a);
        log_sum_exp(&a)
    }

    /// Mean of `log p(x)` over the samples.
    pub fn mean_log_likelihood(&self, data: &[Vec<f64>]) -> f64 {
        let p = self.prepared();
        let mut a = vec![0.0; self.len()];
        let total: f64 = data
            .iter()
            .map(|x| {
                self.component_ll(&p, x, &mut a);
                log_sum_exp(&a)
            })
            .sum();
        total / data.len() as f64
    }

    /// Number of free parameters: `K (2D + 1) - 1`.
    pub fn free_parameters(&self) -> usize {
        self.len() * (2 * self.dims + 1) - 1
    }

    /// Bayesian information criterion on `data` (smaller is better).
    pub fn bic(&self, data: &[Vec<f64>]) -> f64 {
        let n = data.len() as f64;
        -2.0 * n * self.mean_log_likelihood(data) + self.free_parameters() as f64 * n.ln()
    }
}

/// `ln w_j - 1/2 sum_d ln(2 pi v_jd)` and `1 / v_jd`, once per EM iteration.
struct Prepared {
    log_norm: Vec<f64>,
    inv_var: Vec<Vec<f64>>,
}

/// `log sum_j e^{a_j}`, stable.
fn log_sum_exp(a: &[f64]) -> f64 {
    let m = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + a.iter().map(|&v| (v - m).exp()).sum::<f64>().ln()
}

/// A uniform draw in `[0, 1)`.
fn uniform(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Per-dimension mean and variance of the data.
fn moments(data: &[Vec<f64>], dims: usize) -> (Vec<f64>, Vec<f64>) {
    let n = data.len() as f64;
    let mut mean = vec![0.0; dims];
    for x in data {
        for (m, &v) in mean.iter_mut().zip(x) {
            *m += v / n;
        }
    }
    let mut var = vec![0.0; dims];
    for x in data {
        for ((s, &v), &m) in var.iter_mut().zip(x).zip(&mean) {
            *s += (v - m) * (v - m) / n;
        }
    }
    (mean, var)
}

fn sq_dist(a: &[f64], b: &[f64], scale: &[f64]) -> f64 {
    a.iter().zip(b).zip(scale).map(|((x, y), s)| (x - y) * (x - y) / s).sum()
}

/// k-means++ seeding and Lloyd iterations (distances scaled by the data's variance).
fn kmeans(data: &[Vec<f64>], k: usize, scale: &[f64], rng: &mut impl RngCore) -> Vec<usize> {
    let n = data.len();
    let mut centers: Vec<Vec<f64>> = vec![data[(rng.next_u64() % n as u64) as usize].clone()];
    let mut d2: Vec<f64> = data.iter().map(|x| sq_dist(x, &centers[0], scale)).collect();
    while centers.len() < k {
        let total: f64 = d2.iter().sum();
        let pick = if total > 0.0 {
            let mut u = uniform(rng) * total;
            let mut idx = n - 1;
            for (i, &d) in d2.iter().enumerate() {
                if u < d {
                    idx = i;
                    break;
                }
                u -= d;
            }
            idx
        } else {
            (rng.next_u64() % n as u64) as usize
        };
        centers.push(data[pick].clone());
        let c = centers.last().cloned().unwrap_or_default();
        for (d, x) in d2.iter_mut().zip(data) {
            *d = d.min(sq_dist(x, &c, scale));
        }
    }
    let mut label = vec![0usize; n];
    for _ in 0..20 {
        let mut changed = false;
        for (l, x) in label.iter_mut().zip(data) {
            let best = (0..k)
                .min_by(|&a, &b| sq_dist(x, &centers[a], scale).total_cmp(&sq_dist(x, &centers[b], scale)))
                .unwrap_or(0);
            changed |= best != *l;
            *l = best;
        }
        let mut sums = vec![vec![0.0; scale.len()]; k];
        let mut counts = vec![0usize; k];
        for (&l, x) in label.iter().zip(data) {
            counts[l] += 1;
            for (s, &v) in sums[l].iter_mut().zip(x) {
                *s += v;
            }
        }
        for ((c, s), &m) in centers.iter_mut().zip(sums).zip(&counts) {
            if m > 0 {
                *c = s.into_iter().map(|v| v / m as f64).collect();
            }
        }
        if !changed {
            break;
        }
    }
    label
}

/// One EM run with `k` components from a k-means++ start; returns the model and its mean
/// log-likelihood on `data`.
fn em_once(data: &[Vec<f64>], dims: usize, k: usize, cfg: &FitConfig, rng: &mut impl RngCore) -> (DiagGmm, f64) {
    let n = data.len();
    let (_, data_var) = moments(data, dims);
    let scale: Vec<f64> = data_var.iter().map(|&v| if v > 0.0 { v } else { 1.0 }).collect();
    let floor: Vec<f64> = scale.iter().map(|&v| v * VAR_FLOOR).collect();
    let label = kmeans(data, k, &scale, rng);
    // Responsibilities start as the hard k-means assignment.
    let mut resp = vec![0.0f64; n * k];
    for (i, &l) in label.iter().enumerate() {
        resp[i * k + l] = 1.0;
    }
    let mut gmm = DiagGmm {
        dims,
        weights: vec![1.0 / k as f64; k],
        means: vec![vec![0.0; dims]; k],
        vars: vec![scale.clone(); k],
    };
    let mut prev = f64::NEG_INFINITY;
    let mut ll = f64::NEG_INFINITY;
    let mut a = vec![0.0; k];
    for _ in 0..cfg.max_iter {
        m_step(data, &resp, &floor, &scale, &mut gmm, rng);
        // E step.
        let mut total = 0.0;
        let p = gmm.prepared();
        for (i, x) in data.iter().enumerate() {
            gmm.component_ll(&p, x, &mut a);
            let l = log_sum_exp(&a);
            total += l;
            for (r, &aj) in resp[i * k..(i + 1) * k].iter_mut().zip(&a) {
                *r = (aj - l).exp();
            }
        }
        ll = total / n as f64;
        if (ll - prev).abs() <= cfg.tol * ll.abs().max(1.0) {
            break;
        }
        prev = ll;
    }
    (gmm, ll)
}

/// The M step: weights, means and floored variances from the responsibilities. A component
/// with almost no mass is restarted at a random sample with the data's variance.
fn m_step(data: &[Vec<f64>], resp: &[f64], floor: &[f64], scale: &[f64], gmm: &mut DiagGmm, rng: &mut impl RngCore) {
    let n = data.len();
    let k = gmm.len();
    for j in 0..k {
        let mass: f64 = (0..n).map(|i| resp[i * k + j]).sum();
        if mass < 1e-9 * n as f64 {
            let pick = (rng.next_u64() % n as u64) as usize;
            gmm.means[j] = data[pick].clone();
            gmm.vars[j] = scale.to_vec();
            gmm.weights[j] = 1.0 / n as f64;
            continue;
        }
        let mut mean = vec![0.0; gmm.dims];
        for (i, x) in data.iter().enumerate() {
            let r = resp[i * k + j];
            for (m, &v) in mean.iter_mut().zip(x) {
                *m += r * v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= mass);
        let mut var = vec![0.0; gmm.dims];
        for (i, x) in data.iter().enumerate() {
            let r = resp[i * k + j];
            for ((s, &v), &m) in var.iter_mut().zip(x).zip(&mean) {
                *s += r * (v - m) * (v - m);
            }
        }
        for (s, &f) in var.iter_mut().zip(floor) {
            *s = *s / mass + f;
        }
        gmm.weights[j] = mass / n as f64;
        gmm.means[j] = mean;
        gmm.vars[j] = var;
    }
    let sum: f64 = gmm.weights.iter().sum();
    gmm.weights.iter_mut().for_each(|w| *w /= sum);
}

/// The best of `cfg.restarts` EM runs with `k` components.
pub fn fit_k(data: &[Vec<f64>], dims: usize, k: usize, cfg: &FitConfig) -> Result<(DiagGmm, f64)> {
    if k == 0 || k > data.len() {
        bail!("cannot fit {k} components to {} samples", data.len());
    }
    let mut best: Option<(DiagGmm, f64)> = None;
    for r in 0..cfg.restarts.max(1) {
        let mut rng =
            Xoshiro256PlusPlus::seed_from_u64(cfg.seed ^ ((k as u64) << 32) ^ (r as u64).wrapping_mul(0x9E37_79B9));
        let (g, ll) = em_once(data, dims, k, cfg, &mut rng);
        if best.as_ref().is_none_or(|(_, b)| ll > *b) {
            best = Some((g, ll));
        }
    }
    best.ok_or_else(|| anyhow::anyhow!("no EM run finished"))
}

/// One candidate of a fit: K, the mean log-likelihood and the BIC.
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    /// Components.
    pub k: usize,
    /// Mean log-likelihood per sample on the training data.
    pub mean_ll: f64,
    /// Bayesian information criterion.
    pub bic: f64,
}

/// Fit as `cfg` says; `progress` is called after each K. Returns the chosen model and every
/// candidate tried.
pub fn fit(
    data: &[Vec<f64>],
    dims: usize,
    cfg: &FitConfig,
    mut progress: impl FnMut(&Candidate),
) -> Result<(DiagGmm, Vec<Candidate>)> {
    let ks: Vec<usize> = match cfg.components {
        Components::Fixed(k) => vec![k],
        Components::Auto { max } => (1..=max.min(data.len())).collect(),
    };
    let mut best: Option<(DiagGmm, f64)> = None;
    let mut tried = Vec::new();
    for k in ks {
        let (g, ll) = fit_k(data, dims, k, cfg)?;
        let n = data.len() as f64;
        let bic = -2.0 * n * ll + g.free_parameters() as f64 * n.ln();
        let c = Candidate { k, mean_ll: ll, bic };
        progress(&c);
        tried.push(c);
        if best.as_ref().is_none_or(|(_, b)| bic < *b) {
            best = Some((g, bic));
        }
    }
    best.map(|(g, _)| (g, tried)).ok_or_else(|| anyhow::anyhow!("no component count to try"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, StandardNormal};

    fn draws(n: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                if uniform(&mut rng) < 0.3 {
                    vec![-3.0 + 0.5 * z]
                } else {
                    vec![2.0 + 1.0 * z]
                }
            })
            .collect()
    }

    #[test]
    fn recovers_a_two_component_mixture() {
        let data = draws(20_000, 7);
        let cfg = FitConfig { components: Components::Fixed(2), ..FitConfig::default() };
        let (g, _) = fit_k(&data, 1, 2, &cfg).unwrap();
        let (lo, hi) = if g.means[0][0] < g.means[1][0] { (0, 1) } else { (1, 0) };
        assert!((g.weights[lo] - 0.3).abs() < 0.02, "{g:?}");
        assert!((g.means[lo][0] + 3.0).abs() < 0.05 && (g.means[hi][0] - 2.0).abs() < 0.05, "{g:?}");
        assert!((g.vars[lo][0].sqrt() - 0.5).abs() < 0.03 && (g.vars[hi][0].sqrt() - 1.0).abs() < 0.03, "{g:?}");
    }

    #[test]
    fn bic_picks_two_components() {
        let data = draws(5_000, 8);
        let cfg = FitConfig { components: Components::Auto { max: 5 }, restarts: 2, ..FitConfig::default() };
        let (g, tried) = fit(&data, 1, &cfg, |_| {}).unwrap();
        assert_eq!(g.len(), 2, "{tried:?}");
    }

    #[test]
    fn log_density_matches_the_closed_form() {
        let g = DiagGmm {
            dims: 1,
            weights: vec![0.4, 0.6],
            means: vec![vec![0.0], vec![3.0]],
            vars: vec![vec![1.0], vec![4.0]],
        };
        let x = 1.3f64;
        let p = 0.4 * (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt()
            + 0.6 * (-(x - 3.0) * (x - 3.0) / 8.0).exp() / (8.0 * std::f64::consts::PI).sqrt();
        assert!((g.log_density(&[x]) - p.ln()).abs() < 1e-14);
        // Far out, where both densities underflow: the log-sum-exp of the two exponents.
        let a = 0.4f64.ln() - 0.5 * (LN_2PI + 3600.0);
        let b = 0.6f64.ln() - 0.5 * (LN_2PI + 4f64.ln() + 63.0 * 63.0 / 4.0);
        assert!((g.log_density(&[-60.0]) - (b + (a - b).exp().ln_1p())).abs() < 1e-12);
    }
}
