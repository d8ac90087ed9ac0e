//! Distances between two sample sets (samples against data): the sliced Wasserstein-1
//! distance over a fixed set of directions, and a scatter plot of both sets.
//!
//! Sliced W1: `SW1(A, B) = (1 / M) sum_m W1(<theta_m, A>, <theta_m, B>)`, where `W1` of two
//! 1-D empirical distributions is `integral |F_A(z) - F_B(z)| dz` (exact for unequal sizes).
//! The directions `theta_m` are fixed: in 1-D the axis (`M = 1`: SW1 is W1); in 2-D,
//! `M = 64` angles `pi (m + 1/2) / 64`; in 3-D and 4-D, `M = 128` unit vectors from a fixed
//! seed. Fixed directions make the figures reproducible and comparable between runs.

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The fixed directions for `dims` dimensions (unit vectors; module documentation).
pub fn directions(dims: usize) -> Vec<Vec<f64>> {
    match dims {
        0 => Vec::new(),
        1 => vec![vec![1.0]],
        2 => (0..64)
            .map(|m| {
                let a = std::f64::consts::PI * (m as f64 + 0.5) / 64.0;
                vec![a.cos(), a.sin()]
            })
            .collect(),
        _ => {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x0511_CED1);
            (0..128)
                .map(|_| {
                    let v: Vec<f64> = (0..dims).map(|_| StandardNormal.sample(&mut rng)).collect();
                    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                    v.into_iter().map(|x| x / n).collect()
                })
                .collect()
        }
    }
}

/// `W1` between two 1-D empirical distributions, `integral |F_a - F_b|` (both non-empty).
pub fn w1_empirical(a: &mut [f64], b: &mut [f64]) -> f64 {
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut total = 0.0;
    let mut prev: Option<f64> = None;
    while i < a.len() || j < b.len() {
        let z = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        if let Some(p) = prev {
            total += (i as f64 / na - j as f64 / nb).abs() * (z - p);
        }
        while a.get(i).is_some_and(|&x| x <= z) {
            i += 1;
        }
        while b.get(j).is_some_and(|&y| y <= z) {
            j += 1;
        }
        prev = Some(z);
    }
    total
}

/// Sliced W1 between two sets of `dims`-vectors (module documentation).
///
/// # Errors
/// An empty set or a row of the wrong length.
pub fn sliced_w1(a: &[Vec<f64>], b: &[Vec<f64>], dims: usize) -> Result<f64> {
    if a.is_empty() || b.is_empty() {
        return Err(anyhow!("sliced W1: both sample sets must be non-empty"));
    }
    if a.iter().chain(b.iter()).any(|r| r.len() != dims) {
        return Err(anyhow!("sliced W1: every row must have {dims} coordinates"));
    }
    let dirs = directions(dims);
    let proj = |set: &[Vec<f64>], th: &[f64]| -> Vec<f64> {
        set.iter().map(|r| r.iter().zip(th).map(|(x, t)| x * t).sum()).collect()
    };
    let total: f64 = dirs.iter().map(|th| w1_empirical(&mut proj(a, th), &mut proj(b, th))).sum();
    Ok(total / dirs.len() as f64)
}

/// The two halves of a data set (even and odd rows, robust to sorted files).
pub fn halves(rows: &[Vec<f64>]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let even = rows.iter().step_by(2).cloned().collect();
    let odd = rows.iter().skip(1).step_by(2).cloned().collect();
    (even, odd)
}

/// The distances `sample` prints with `--data`: samples to data and half to half.
#[derive(Clone, Copy, Debug)]
pub struct DataDistance {
    /// Sliced W1 from the samples to the whole data set.
    pub samples_to_data: f64,
    /// Sliced W1 between the two halves of the data set.
    pub half_to_half: f64,
}

/// Compute [`DataDistance`].
///
/// # Errors
/// Fewer than 2 data rows, or rows of the wrong length.
pub fn data_distance(samples: &[Vec<f64>], data: &[Vec<f64>], dims: usize) -> Result<DataDistance> {
    if data.len() < 2 {
        return Err(anyhow!("the data file needs at least 2 samples to compare with its halves"));
    }
    let (h0, h1) = halves(data);
    Ok(DataDistance { samples_to_data: sliced_w1(samples, data, dims)?, half_to_half: sliced_w1(&h0, &h1, dims)? })
}

/// The lines `sample --data` prints.
pub fn distance_text(d: &DataDistance, n_samples: usize, n_data: usize) -> String {
    format!(
        "sliced W1 (fixed directions) from the {n_samples} samples to the {n_data} data samples: {:.6}\n\
         sliced W1 between the two halves of the data (even/odd rows): {:.6} (ratio {:.2})\n",
        d.samples_to_data,
        d.half_to_half,
        d.samples_to_data / d.half_to_half
    )
}

/// SVG: the data (grey) and the samples (blue), first two coordinates (a histogram of both
/// in 1-D).
///
/// # Errors
/// A plotting failure.
pub fn overlay_svg(title: &str, data: &[Vec<f64>], samples: &[Vec<f64>], max_points: usize) -> Result<String> {
    let err = |e: &dyn std::fmt::Display| anyhow!("plot: {e}");
    let all = || data.iter().chain(samples.iter());
    let lim = |d: usize| {
        let (lo, hi) = all()
            .filter_map(|r| r.get(d).copied())
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        if lo.is_finite() && hi > lo {
            let m = 0.05 * (hi - lo);
            (lo - m, hi + m)
        } else {
            (-1.0, 1.0)
        }
    };
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (760, 700)).into_drawing_area();
        let (x0, x1) = lim(0);
        let grey = RGBColor(120, 120, 120);
        let blue = RGBColor(31, 119, 180);
        let two_d = data.first().is_some_and(|r| r.len() >= 2);
        if two_d {
            let (y0, y1) = lim(1);
            let mut chart = crate::report::plots::chart_frame(&root, title, (x0..x1, "x0"), (y0..y1, "x1"))?;
            for (set, col, name) in [(data, grey, "data"), (samples, blue, "samples")] {
                let step = (set.len() / max_points.max(1)).max(1);
                chart
                    .draw_series(
                        set.iter()
                            .step_by(step)
                            .filter_map(|r| Some((*r.first()?, *r.get(1)?)))
                            .map(move |p| Circle::new(p, 1, col.mix(0.5).filled())),
                    )
                    .map_err(|e| err(&e))?
                    .label(format!(
                        "{name} ({}{})",
                        set.len(),
                        if step > 1 { format!(", every {step}th") } else { String::new() }
                    ))
                    .legend(move |(x, y)| Circle::new((x + 10, y), 3, col.filled()));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| err(&e))?;
        } else {
            let bins = 80usize;
            let w = (x1 - x0) / bins as f64;
            let hist = |set: &[Vec<f64>]| {
                let mut h = vec![0.0; bins];
                for r in set {
                    if let Some(&v) = r.first() {
                        let k = (((v - x0) / w) as usize).min(bins - 1);
                        h[k] += 1.0 / (set.len() as f64 * w);
                    }
                }
                h
            };
            let (hd, hs) = (hist(data), hist(samples));
            let ymax = hd.iter().chain(hs.iter()).copied().fold(0.0, f64::max).max(1e-12) * 1.1;
            let mut chart = crate::report::plots::chart_frame(&root, title, (x0..x1, "x0"), (0.0..ymax, "density"))?;
            for (h, col, name) in [(hd, grey, "data"), (hs, blue, "samples")] {
                let pts: Vec<(f64, f64)> = h.iter().enumerate().map(|(k, &v)| (x0 + (k as f64 + 0.5) * w, v)).collect();
                chart
                    .draw_series(LineSeries::new(pts, col.stroke_width(2)))
                    .map_err(|e| err(&e))?
                    .label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(2)));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w1_of_a_shift_is_the_shift() {
        let mut a: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut b: Vec<f64> = a.iter().map(|x| x + 0.25).collect();
        assert!((w1_empirical(&mut a, &mut b) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn w1_of_unequal_sizes_matches_the_cdf_integral() {
        // {0, 1} against {0.5}: |F_a - F_b| = 1/2 on [0, 1]: W1 = 1/2.
        assert!((w1_empirical(&mut [0.0, 1.0], &mut [0.5]) - 0.5).abs() < 1e-15);
        // {0} against {0, 3, 3}: F differs by 2/3 on [0, 3]: W1 = 2.
        assert!((w1_empirical(&mut [0.0], &mut [0.0, 3.0, 3.0]) - 2.0).abs() < 1e-15);
    }

    #[test]
    fn sliced_w1_of_a_shift_is_the_mean_projection() {
        // Closed form for B = A + v: SW1 = mean over directions of |<theta, v>|, which for
        // the 64 fixed angles tends to (2 / pi) |v|.
        let a: Vec<Vec<f64>> = (0..50).map(|i| vec![(i as f64).sin(), (i as f64 * 1.7).cos()]).collect();
        let v = [0.3, -0.4];
        let b: Vec<Vec<f64>> = a.iter().map(|r| vec![r[0] + v[0], r[1] + v[1]]).collect();
        let expect: f64 = directions(2).iter().map(|t| (t[0] * v[0] + t[1] * v[1]).abs()).sum::<f64>() / 64.0;
        let got = sliced_w1(&a, &b, 2).unwrap();
        assert!((got - expect).abs() < 1e-12, "{got} {expect}");
        assert!((got - 2.0 / std::f64::consts::PI * 0.5).abs() < 1e-3);
        for d in [3, 4] {
            assert!(directions(d).iter().all(|t| (t.iter().map(|x| x * x).sum::<f64>() - 1.0).abs() < 1e-12));
        }
    }
}
