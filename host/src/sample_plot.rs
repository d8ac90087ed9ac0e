//! SVG plots of generated samples against the mixture: a density-normalised histogram
//! under the mixture density (1-D), or a scatter over density contours (2-D and more:
//! the first two coordinates, against the marginal density of those two). The functions
//! return the SVG text; callers write it atomically ([`crate::output`]).

use anyhow::{anyhow, Result};
use plotters::prelude::*;

use crate::report::plots::chart_frame;
use crate::wasserstein::Mixture1d;

/// A diagonal mixture as `(weight, mean, std)` rows, per-dimension vectors.
pub type Rows = [(f64, Vec<f64>, Vec<f64>)];

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("plot: {e:?}")
}

/// The range `[lo, hi]` covering the mixture's components (+-4.5 sd) in dimension `d`.
fn range(rows: &Rows, d: usize) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for (_, m, s) in rows {
        let (m, s) = (m.get(d).copied().unwrap_or(0.0), s.get(d).copied().unwrap_or(1.0));
        lo = lo.min(m - 4.5 * s);
        hi = hi.max(m + 4.5 * s);
    }
    (lo, hi)
}

/// Histogram of `xs` (density-normalised, `bins` bins) under the mixture density.
pub fn histogram_svg(title: &str, rows: &Rows, xs: &[f64], bins: usize) -> Result<String> {
    let m = Mixture1d::marginal(rows, 0);
    let (lo, hi) = range(rows, 0);
    let bins = bins.max(1);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for &x in xs {
        if x >= lo && x < hi {
            let b = (((x - lo) / width) as usize).min(bins - 1);
            counts[b] += 1;
        }
    }
    let n = xs.len().max(1) as f64;
    let dens: Vec<f64> = counts.iter().map(|&c| c as f64 / (n * width)).collect();
    let curve: Vec<(f64, f64)> = (0..=600).map(|i| lo + (hi - lo) * i as f64 / 600.0).map(|x| (x, m.pdf(x))).collect();
    let ymax = dens.iter().copied().chain(curve.iter().map(|p| p.1)).fold(0.0, f64::max) * 1.08;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (900, 520)).into_drawing_area();
        let mut chart = chart_frame(&root, title, (lo..hi, "x"), (0.0..ymax.max(1e-9), "density"))?;
        let bar = RGBColor(31, 119, 180);
        chart
            .draw_series(dens.iter().enumerate().map(|(i, &h)| {
                let x0 = lo + i as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, h)], bar.mix(0.45).filled())
            }))
            .map_err(err)?
            .label(format!("samples ({})", xs.len()))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], bar.mix(0.45).filled()));
        let red = RGBColor(214, 39, 40);
        chart
            .draw_series(LineSeries::new(curve, red.stroke_width(2)))
            .map_err(err)?
            .label("mixture density p(x, 0)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2)));
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(buf)
}

/// The density of the first two coordinates' marginal.
fn pdf2(rows: &Rows, x: f64, y: f64) -> f64 {
    let mx = Mixture1d::marginal(rows, 0);
    let my = Mixture1d::marginal(rows, 1);
    mx.components
        .iter()
        .zip(&my.components)
        .map(|(&(w, m0, s0), &(_, m1, s1))| {
            let (a, b) = ((x - m0) / s0, (y - m1) / s1);
            w * (-0.5 * (a * a + b * b)).exp() / (2.0 * std::f64::consts::PI * s0 * s1)
        })
        .sum()
}

/// Contour segments of a grid function at `level` (marching squares, linear interpolation).
fn contour_segments(xs: &[f64], ys: &[f64], f: &[Vec<f64>], level: f64) -> Vec<[(f64, f64); 2]> {
    let mut out = Vec::new();
    for i in 0..xs.len().saturating_sub(1) {
        for j in 0..ys.len().saturating_sub(1) {
            // Corners counter-clockwise: (i,j) (i+1,j) (i+1,j+1) (i,j+1).
            let c = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let mut pts = Vec::new();
            for k in 0..4 {
                let (p, q) = (c[k], c[(k + 1) % 4]);
                let (fp, fq) = (f[p.0][p.1] - level, f[q.0][q.1] - level);
                if (fp < 0.0) != (fq < 0.0) {
                    let s = fp / (fp - fq);
                    let x = xs[p.0] + s * (xs[q.0] - xs[p.0]);
                    let y = ys[p.1] + s * (ys[q.1] - ys[p.1]);
                    pts.push((x, y));
                }
            }
            if pts.len() >= 2 {
                out.push([pts[0], pts[1]]);
            }
            if pts.len() == 4 {
                out.push([pts[2], pts[3]]);
            }
        }
    }
    out
}

/// Scatter of the first two coordinates (at most `max_points`) over density contours.
pub fn scatter_svg(title: &str, rows: &Rows, pts: &[(f64, f64)], max_points: usize) -> Result<String> {
    let (x0, x1) = range(rows, 0);
    let (y0, y1) = range(rows, 1);
    let g = 160;
    let gx: Vec<f64> = (0..=g).map(|i| x0 + (x1 - x0) * i as f64 / g as f64).collect();
    let gy: Vec<f64> = (0..=g).map(|i| y0 + (y1 - y0) * i as f64 / g as f64).collect();
    let f: Vec<Vec<f64>> = gx.iter().map(|&x| gy.iter().map(|&y| pdf2(rows, x, y)).collect()).collect();
    let fmax = f.iter().flatten().copied().fold(0.0, f64::max);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (760, 700)).into_drawing_area();
        let mut chart = chart_frame(&root, title, (x0..x1, "x0"), (y0..y1, "x1"))?;
        let blue = RGBColor(31, 119, 180);
        let step = (pts.len() / max_points.max(1)).max(1);
        chart
            .draw_series(
                pts.iter()
                    .step_by(step)
                    .filter(|p| p.0 >= x0 && p.0 <= x1 && p.1 >= y0 && p.1 <= y1)
                    .map(|&p| Circle::new(p, 1, blue.mix(0.5).filled())),
            )
            .map_err(err)?
            .label(if step == 1 {
                format!("samples ({})", pts.len())
            } else {
                format!("samples (every {step}th of {})", pts.len())
            })
            .legend(move |(x, y)| Circle::new((x + 10, y), 3, blue.filled()));
        let red = RGBColor(214, 39, 40);
        for (i, frac) in [0.02, 0.1, 0.3, 0.6, 0.9].iter().enumerate() {
            let segs = contour_segments(&gx, &gy, &f, frac * fmax);
            let s = chart
                .draw_series(segs.into_iter().map(|s| PathElement::new(s.to_vec(), red.stroke_width(2))))
                .map_err(err)?;
            if i == 0 {
                s.label("density contours (2, 10, 30, 60, 90 % of max)")
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2)));
            }
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(buf)
}
