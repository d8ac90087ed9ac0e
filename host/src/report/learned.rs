//! The learned score: `s_theta` trained on built-in mixtures, its relative Fisher
//! divergence `R` against the exact score per scalar type, and the loss per time bin.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use tinyscore::mixture::GaussianMixture;

use super::accuracy::md_table;
use super::plots::{line_plot, Series};
use super::{ReportOptions, Section};
use crate::eval::ScalarKind;
use crate::learned::calibrate::{self, DrawSource, DEFAULT_DRAWS};
use crate::learned::cmd_train::{train, TrainOptions};
use crate::learned::measure::{relative_fisher, relative_fisher_with, Fisher};
use crate::learned::model_io::Model;
use crate::mixture_file::{default_spec, ComponentSpec, MixtureSpec};
use crate::{with_mixture, with_scalar};

/// The 2-D mixture of the section: 4 components, std 0.3 to 0.6, means within 3.
pub fn quad_2d_spec() -> MixtureSpec {
    let c =
        |weight: f64, mean: [f64; 2], std: [f64; 2]| ComponentSpec { weight, mean: mean.to_vec(), std: std.to_vec() };
    MixtureSpec {
        sigma: 1.0,
        components: vec![
            c(0.2, [-2.0, -2.0], [0.3, 0.4]),
            c(0.3, [2.0, -1.5], [0.5, 0.3]),
            c(0.25, [-1.0, 2.5], [0.4, 0.6]),
            c(0.25, [2.5, 2.0], [0.6, 0.5]),
        ],
    }
}

/// R per scalar type (the storage types, then `q8`).
type PerType = Vec<(String, Fisher)>;

struct Row {
    mixture: String,
    seconds: f64,
    params: usize,
    per_type: PerType,
    /// The q8 network's per-layer table (`tinyscore quantize`'s).
    q8_layers: String,
}

fn measure_all<const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    opts: &TrainOptions,
    samples: u64,
) -> Result<(f64, usize, PerType, String)> {
    let s = train(gm, &TrainOptions { eval_samples: 0, ..opts.clone() })?;
    let m = Model::<f64, D>::decode(&s.model_bytes).map_err(|e| anyhow!("{e}"))?;
    let mut out = Vec::new();
    for kind in ScalarKind::ALL {
        let f = with_scalar!(kind, S => {
            let ms = m.convert::<S>().map_err(|e| anyhow!("{e}"))?;
            relative_fisher(&ms, gm, opts.t_min, opts.t_max(), samples, 0xF15E)?
        });
        out.push((kind.name().to_string(), f));
    }
    // The q8 network, calibrated as `tinyscore quantize --mixture` does (exact draws over the
    // training range), inputs and outputs in f32.
    let draws = calibrate::draws(&m, DrawSource::Mixture(gm), opts.t_min, opts.t_max(), DEFAULT_DRAWS, 0)?;
    let (q8, layers) = calibrate::quantize(&m, &draws)?;
    let f = relative_fisher_with(|t, x: &[f32; D]| q8.score(t, x), gm, opts.t_min, opts.t_max(), samples, 0xF15E)?;
    out.push(("q8".to_string(), f));
    Ok((s.seconds, s.params, out, calibrate::format_report(&layers)))
}

/// Build the section.
pub fn section(opts: &ReportOptions) -> Result<Section> {
    let (steps, samples) =
        if opts.quick { (2_000, 20_000) } else { (crate::learned::cmd_train::DEFAULT_STEPS, 200_000) };
    let topts = TrainOptions { steps: Some(steps), quiet: true, ..TrainOptions::default() };
    let mut rows = Vec::new();
    for (name, spec) in [("default (1-D, 3 components)", default_spec()), ("quad (2-D, 4 components)", quad_2d_spec())]
    {
        let any = spec.validate(name)?;
        let (seconds, params, per_type, q8_layers) = with_mixture!(&any, gm => measure_all(gm, &topts, samples))?;
        rows.push(Row { mixture: name.to_string(), seconds, params, per_type, q8_layers });
    }
    let mut table = Vec::new();
    let mut plots = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut series = Vec::new();
        for (kind, f) in &row.per_type {
            table.push(vec![
                row.mixture.clone(),
                kind.clone(),
                format!("{:.3e}", f.r),
                format!("{:.1e}", f.r_std_error),
                format!("{:.3e}", f.bins.iter().map(|b| b.error / b.norm).fold(0.0, f64::max)),
                if f.saturated { "yes".into() } else { "no".into() },
                format!("{:.1}", row.seconds),
                row.params.to_string(),
            ]);
            series.push(Series {
                name: format!("{kind}: E|s_theta - s|^2 / E|s|^2 per bin"),
                points: f.bins.iter().map(|b| (0.5 * (b.t_lo + b.t_hi), b.error / b.norm)).collect(),
                markers: false,
            });
        }
        if let Some((_, f)) = row.per_type.first() {
            series.push(Series {
                name: "loss 1/2 E|s_theta - s|^2 per bin (f64)".into(),
                points: f.bins.iter().map(|b| (0.5 * (b.t_lo + b.t_hi), b.error)).collect(),
                markers: true,
            });
        }
        let file = PathBuf::from(format!("learned_bins_{i}.svg"));
        line_plot(
            &opts.out_dir.join(&file),
            &format!("learned score, {}: relative error and loss per time bin", row.mixture),
            "t",
            "value",
            &series,
            true,
        )?;
        plots.push(file);
    }
    let mut body = String::from(
        "s_theta (tanh MLP, width 32, 2 hidden layers) trained in f32 with the defaults of `tinyscore train` \
         (lambda = 1, t in [0, 1]); R = E_t E_x |s_theta - s|^2 / E_t E_x |s|^2 on fresh draws, the model evaluated \
         in each scalar type (fixed types: quantised from f32; q8: the int8-weight network, calibrated on 4,096 \
         exact draws over the training range). Goals: R <= 0.02 (f32), R(i16f16) <= 1.1 R + 0.002, \
         R(q8) <= 2 R(f32) + 0.002.\n\n",
    );
    body.push_str(&md_table(
        &["mixture", "scalar", "R", "+-", "max R per bin", "saturated", "train s", "params"],
        &table,
    ));
    for row in &rows {
        body.push_str(&format!(
            "\nq8 network of {}, layer by layer against f64 on the calibration draws (as `tinyscore quantize` \
             prints it: input u, tanh outputs, output o):\n\n```\n{}```\n",
            row.mixture, row.q8_layers
        ));
    }
    Ok(Section { title: "Learned score".into(), body, plots })
}
