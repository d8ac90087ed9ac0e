//! GPTQ (Frantar et al. 2022, "GPTQ: accurate post-training quantization for generative
//! pre-trained transformers", Algorithm 1): the weights of a row are rounded one input at a
//! time, and each rounding error is spread over the inputs not yet rounded, weighted by the
//! inverse second moments of the layer's inputs on the calibration draws, so that the
//! layer's *output* error `E|(w - q) h|^2` is small rather than each weight's.
//!
//! Two refinements, as in AIMET's and Nagel et al.'s post-training quantisation: the
//! weights are rounded against the inputs' *covariance* (`E h h^T - mean mean^T`) and each
//! row's mean error `sum_j (w_j - s q_j) mean(h_j)` is then moved into its bias ("bias
//! correction", Nagel et al. 2019): the mean part of the error is removed exactly, so only
//! the centred part is left for GPTQ to make small. On `corners_2d` of
//! `scripts/measure-learned.sh` the sampling W1 of the q8 model went from 0.0158 / 0.0223
//! to 0.0148 / 0.0182 (float model: 0.0137 / 0.0161).
//!
//! On the firmware's generation model (width 32, `t` in `[0, 16]`), sampling W1 of the float
//! model with its hidden weights on the int8 grid: 0.0263 by GPTQ, 0.0312 rounded to nearest,
//! 0.0259 unrounded (`scripts/quant-ablation.py`). Host-side: the arrays are `H x H` `f64`
//! (8 KiB at width 32).

use super::super::model::{ScoreMlp, Trace};
use super::super::Float;

/// Sums of `h h^T` of each layer's input (the tanh outputs feeding the hidden-to-hidden
/// layers and the output layer) over calibration draws ([`Curvature::observe`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Curvature<const H: usize, const L: usize> {
    /// Inputs of hidden layer `l` (`h_l`, `l = 0..L`).
    pub hidden: [[[f64; H]; H]; L],
    /// Inputs of the output layer (`h_L`).
    pub output: [[f64; H]; H],
    /// Sums of `h` of the hidden layers' inputs (`h_l`, `l = 0..L`): their means, for the
    /// bias correction.
    pub hidden_sum: [[f64; H]; L],
    /// Sum of `h_L` (the output layer's input).
    pub output_sum: [f64; H],
    /// Draws observed.
    pub draws: u64,
}

impl<const H: usize, const L: usize> Default for Curvature<H, L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const H: usize, const L: usize> Curvature<H, L> {
    /// No draws yet.
    pub fn new() -> Self {
        Curvature {
            hidden: [[[0.0; H]; H]; L],
            output: [[0.0; H]; H],
            hidden_sum: [[0.0; H]; L],
            output_sum: [0.0; H],
            draws: 0,
        }
    }

    /// Evaluate the float model at `(t, x)` and add its layers' inputs; draws with an
    /// invalid `t` or a non-finite result are ignored (returns `false`).
    pub fn observe<F: Float, const D: usize>(&mut self, model: &ScoreMlp<F, D, H, L>, t: f64, x: &[F; D]) -> bool {
        let Some(tc) = model.time_consts(t) else { return false };
        let mut tr = Trace::new();
        model.forward_traced(&tc, x, &mut tr);
        if tr.limited {
            return false;
        }
        let mut prev = tr.h0.map(|v| v.as_f64());
        for ((m, sum), next) in self.hidden.iter_mut().zip(self.hidden_sum.iter_mut()).zip(tr.hs.iter()) {
            add_outer(m, &prev);
            add(sum, &prev);
            prev = next.map(|v| v.as_f64());
        }
        add_outer(&mut self.output, &prev);
        add(&mut self.output_sum, &prev);
        self.draws += 1;
        true
    }

    /// What quantising layer `l`'s weights needs (`l < L` a hidden layer, `l = L` the
    /// output layer): GPTQ's [`factor`] of its inputs' covariance (`None` if degenerate) and
    /// the inputs' means (for the bias correction); `None` for both without draws.
    pub fn layer(&self, l: usize) -> (Option<[[f64; H]; H]>, Option<[f64; H]>) {
        let stats = match (self.hidden.get(l), self.hidden_sum.get(l)) {
            (Some(m), Some(sum)) => Some((m, sum)),
            _ if l == L => Some((&self.output, &self.output_sum)),
            _ => None,
        };
        let Some((m, sum)) = stats.filter(|_| self.draws > 0) else { return (None, None) };
        let n = self.draws as f64;
        (factor(&centered(m, sum, self.draws), self.draws), Some(sum.map(|v| v / n)))
    }
}

fn add<const N: usize>(sum: &mut [f64; N], h: &[f64; N]) {
    for (s, &v) in sum.iter_mut().zip(h.iter()) {
        *s += v;
    }
}

fn add_outer<const N: usize>(m: &mut [[f64; N]; N], h: &[f64; N]) {
    for (row, &hi) in m.iter_mut().zip(h.iter()) {
        for (v, &hj) in row.iter_mut().zip(h.iter()) {
            *v += hi * hj;
        }
    }
}

fn at<const N: usize>(m: &[[f64; N]; N], i: usize, j: usize) -> f64 {
    m.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0.0)
}

fn set<const N: usize>(m: &mut [[f64; N]; N], i: usize, j: usize, v: f64) {
    if let Some(e) = m.get_mut(i).and_then(|r| r.get_mut(j)) {
        *e = v;
    }
}

/// Lower Cholesky factor `C` of a symmetric positive definite `a` (`a = C C^T`); `None` if a
/// pivot is not positive.
fn cholesky<const N: usize>(a: &[[f64; N]; N]) -> Option<[[f64; N]; N]> {
    let mut c = [[0.0; N]; N];
    for j in 0..N {
        let mut d = at(a, j, j);
        for k in 0..j {
            d -= at(&c, j, k) * at(&c, j, k);
        }
        if !(d > 0.0 && d.is_finite()) {
            return None;
        }
        let djj = libm::sqrt(d);
        set(&mut c, j, j, djj);
        for i in j + 1..N {
            let mut v = at(a, i, j);
            for k in 0..j {
                v -= at(&c, i, k) * at(&c, j, k);
            }
            set(&mut c, i, j, v / djj);
        }
    }
    Some(c)
}

/// GPTQ's factor of a layer from the sum `m` of `h h^T` over `draws` draws: the upper
/// Cholesky factor `U` of `(m / draws + lambda I)^-1`, `lambda` 1 % of the mean diagonal
/// (GPTQ's damping); `None` without draws or for a degenerate `m`.
pub fn factor<const N: usize>(m: &[[f64; N]; N], draws: u64) -> Option<[[f64; N]; N]> {
    if draws == 0 || N == 0 {
        return None;
    }
    let n = draws as f64;
    let mean_diag = (0..N).map(|i| at(m, i, i)).sum::<f64>() / (N as f64 * n);
    if !(mean_diag > 0.0 && mean_diag.is_finite()) {
        return None;
    }
    let mut a = [[0.0; N]; N];
    for (i, (ar, mr)) in a.iter_mut().zip(m.iter()).enumerate() {
        for (j, (v, &mv)) in ar.iter_mut().zip(mr.iter()).enumerate() {
            *v = mv / n + if i == j { 0.01 * mean_diag } else { 0.0 };
        }
    }
    let c = cholesky(&a)?;
    // L^-1 (lower) by forward substitution, then A^-1 = L^-T L^-1.
    let mut li = [[0.0; N]; N];
    for j in 0..N {
        set(&mut li, j, j, 1.0 / at(&c, j, j));
        for i in j + 1..N {
            let mut v = 0.0;
            for k in j..i {
                v -= at(&c, i, k) * at(&li, k, j);
            }
            set(&mut li, i, j, v / at(&c, i, i));
        }
    }
    let mut inv = [[0.0; N]; N];
    for i in 0..N {
        for j in 0..N {
            let mut v = 0.0;
            for k in i.max(j)..N {
                v += at(&li, k, i) * at(&li, k, j);
            }
            set(&mut inv, i, j, v);
        }
    }
    // Upper U with A^-1 = U^T U: the transpose of the lower factor.
    let cl = cholesky(&inv)?;
    let mut u = [[0.0; N]; N];
    for i in 0..N {
        for j in i..N {
            set(&mut u, i, j, at(&cl, j, i));
        }
    }
    Some(u)
}

/// Round `row` to integers of scale `s` in `[-qmax, qmax]` the GPTQ way with the factor `u`
/// of [`factor`]; `put(j, q)` receives each integer.
pub fn round_row<F: Float, const N: usize>(
    row: &[F; N],
    s: f64,
    qmax: f64,
    u: &[[f64; N]; N],
    mut put: impl FnMut(usize, i32),
) {
    let mut w = row.map(|v| v.as_f64());
    for j in 0..N {
        let wj = w.get(j).copied().unwrap_or(0.0);
        let q = super::round_half_away(wj / s).clamp(-qmax, qmax);
        put(j, q as i32);
        let e = (wj - q * s) / at(u, j, j);
        for (k, wk) in w.iter_mut().enumerate().skip(j + 1) {
            *wk -= e * at(u, j, k);
        }
    }
}

/// `m - sum sum^T / draws`: the sums of `(h - mean)(h - mean)^T` from those of `h h^T` and `h`.
fn centered<const N: usize>(m: &[[f64; N]; N], sum: &[f64; N], draws: u64) -> [[f64; N]; N] {
    let n = draws.max(1) as f64;
    let mut c = *m;
    for (row, &si) in c.iter_mut().zip(sum.iter()) {
        for (v, &sj) in row.iter_mut().zip(sum.iter()) {
            *v -= si * sj / n;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn factor_inverts() {
        // m = sum of h h^T for a few fixed h: U^T U (m/n + lambda I) = I.
        let hs = [[1.0, 0.5, -0.2], [0.3, -1.0, 0.8], [-0.7, 0.2, 0.9], [0.1, 0.1, 0.1]];
        let mut m = [[0.0; 3]; 3];
        for h in &hs {
            add_outer(&mut m, h);
        }
        let u = factor(&m, 4).unwrap();
        let lambda = 0.01 * (0..3).map(|i| m[i][i]).sum::<f64>() / 12.0;
        for i in 0..3 {
            for j in 0..3 {
                let mut v = 0.0;
                for k in 0..3 {
                    let utu: f64 = (0..3).map(|r| u[r][i] * u[r][k]).sum();
                    v += utu * (m[k][j] / 4.0 + if k == j { lambda } else { 0.0 });
                }
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12, "{i} {j}: {v}");
            }
        }
        assert!(factor(&[[0.0; 3]; 3], 4).is_none());
        assert!(factor(&m, 0).is_none());
    }

    #[test]
    fn gptq_rounding_lowers_the_output_error() {
        // Correlated inputs: the output error E|(w - q) h|^2 over the draws is smaller than
        // rounding to nearest's.
        let mut rng = 12345u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        let draws: std::vec::Vec<[f64; 8]> = (0..500)
            .map(|_| {
                let a = next();
                core::array::from_fn(|k| 0.8 * a + 0.3 * next() * (k as f64 + 1.0) / 8.0)
            })
            .collect();
        let mut m = [[0.0; 8]; 8];
        for h in &draws {
            add_outer(&mut m, h);
        }
        let u = factor(&m, draws.len() as u64).unwrap();
        let (mut total_g, mut total_r) = (0.0, 0.0);
        for _ in 0..20 {
            let row: [f64; 8] = core::array::from_fn(|_| next());
            let s = row.iter().fold(0.0f64, |a, v| a.max(v.abs())) / 7.0; // a coarse grid: 4 bits
            let (mut g, mut r) = ([0.0; 8], [0.0; 8]);
            round_row(&row, s, 7.0, &u, |j, q| g[j] = q as f64 * s);
            for (d, v) in r.iter_mut().zip(row.iter()) {
                *d = super::super::round_half_away(v / s).clamp(-7.0, 7.0) * s;
            }
            let err = |q: &[f64; 8]| -> f64 {
                let out = |h: &[f64; 8]| {
                    h.iter().zip(q.iter().zip(row.iter())).map(|(hj, (qj, wj))| (wj - qj) * hj).sum::<f64>()
                };
                draws.iter().map(|h| out(h) * out(h)).sum()
            };
            total_g += err(&g);
            total_r += err(&r);
        }
        assert!(total_g < 0.7 * total_r, "gptq {total_g} nearest {total_r}");
    }
}
