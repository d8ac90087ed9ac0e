//! Small SVG plotting helpers on top of `plotters`.

use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

/// One named series of `(x, y)` points.
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Draw markers instead of a line.
    pub markers: bool,
}

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// The chart type every plot here draws on: two `f64` axes.
pub type Chart2d<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Fill `root` white and put a titled chart with labelled `f64` axes over the given ranges on
/// it: the frame shared by every plot of the project.
pub fn chart_frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    (x_range, x_desc): (std::ops::Range<f64>, &str),
    (y_range, y_desc): (std::ops::Range<f64>, &str),
) -> Result<Chart2d<'a, 'b>> {
    let err = |e: &dyn std::fmt::Debug| anyhow!("{e:?}");
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x_range, y_range)
        .map_err(|e| err(&e))?;
    chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw().map_err(|e| err(&e))?;
    Ok(chart)
}

/// Line (or marker) plot of several series to an SVG file; `log_y` plots log10 of y
/// (non-positive values are dropped) and labels the axis accordingly.
pub fn line_plot(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[Series], log_y: bool) -> Result<()> {
    let tf = |y: f64| if log_y { y.log10() } else { y };
    let mut xr = (f64::INFINITY, f64::NEG_INFINITY);
    let mut yr = (f64::INFINITY, f64::NEG_INFINITY);
    for s in series {
        for &(x, y) in &s.points {
            let y = tf(y);
            if x.is_finite() && y.is_finite() {
                xr = (xr.0.min(x), xr.1.max(x));
                yr = (yr.0.min(y), yr.1.max(y));
            }
        }
    }
    if !xr.0.is_finite() {
        xr = (0.0, 1.0);
        yr = (0.0, 1.0);
    }
    if yr.1 - yr.0 < 1e-12 {
        yr = (yr.0 - 1.0, yr.1 + 1.0);
    }
    let pad = 0.05 * (yr.1 - yr.0);
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    let y_desc = if log_y { format!("log10 {y_label}") } else { y_label.to_string() };
    let mut chart = chart_frame(&root, title, (xr.0..xr.1, x_label), ((yr.0 - pad)..(yr.1 + pad), y_desc.as_str()))?;
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts: Vec<(f64, f64)> =
            s.points.iter().map(|&(x, y)| (x, tf(y))).filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
        if s.markers {
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 2, color.filled())))
                .map_err(|e| anyhow!("{e:?}"))?
                .label(s.name.clone())
                .legend(move |(x, y)| Circle::new((x + 10, y), 3, color.filled()));
        } else {
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(|e| anyhow!("{e:?}"))?
                .label(s.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow!("{e:?}"))?;
    root.present().map_err(|e| anyhow!("{e:?}"))?;
    Ok(())
}
