//! Report section: W1 to the mixture against the score evaluations per sample, for every
//! sampler, with the exact score and with a learned model (`train --t-max 16`), in `f32`
//! and `i16f16`, on the 4-component test mixture (the hardest of the three), as a log-log
//! plot: the cheapest sampler for a quality target is the lowest curve at that W1.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use tinyscore::mixture::GaussianMixture;

use super::accuracy::md_table;
use super::plots::{line_plot, Series};
use super::{ReportOptions, Section};
use crate::cmd_sample::{sample_mixture, sample_model, GridKind, SampleConfig, SamplerKind};
use crate::eval::ScalarKind;
use crate::learned::cmd_train::{train, TrainOptions};
use crate::learned::model_io::Model;
use crate::{with_mixture, with_scalar};

/// One curve: sampler, its grid, the scalar, exact or learned score, and its step counts.
struct Curve {
    sampler: SamplerKind,
    grid: GridKind,
    scalar: ScalarKind,
    learned: bool,
    steps: &'static [u32],
}

fn curves(quick: bool) -> Vec<Curve> {
    let c = |sampler, grid, scalar, learned, steps| Curve { sampler, grid, scalar, learned, steps };
    use GridKind::{Geometric, Karras};
    use SamplerKind::*;
    use ScalarKind::{I16f16, F32};
    if quick {
        return vec![
            c(EulerMaruyama, Geometric, F32, false, &[19, 99]),
            c(DpmSolver2M, Karras, F32, false, &[4, 19]),
            c(DpmSolver2MSde, Karras, F32, true, &[9, 19]),
        ];
    }
    vec![
        c(EulerMaruyama, Geometric, F32, false, &[19, 49, 99, 299, 999]),
        c(PfOde, Geometric, F32, false, &[4, 9, 24, 49, 149]),
        c(DpmSolver2M, Karras, F32, false, &[4, 6, 9, 14, 19, 39]),
        c(DpmSolver2M, Karras, I16f16, false, &[4, 9, 19, 39]),
        c(DpmSolver2MSde, Karras, F32, false, &[4, 9, 19, 39]),
        c(EdmHeun, Karras, F32, false, &[2, 4, 9, 19]),
        c(EulerMaruyama, Geometric, F32, true, &[99, 999]),
        c(DpmSolver2M, Karras, F32, true, &[9, 19, 39]),
        c(DpmSolver2MSde, Karras, F32, true, &[4, 9, 19, 39]),
        c(DpmSolver2MSde, Karras, I16f16, true, &[9, 19, 39]),
    ]
}

fn measure<const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    quick: bool,
    count: usize,
) -> Result<(Vec<Vec<String>>, Vec<Series>)> {
    let topts = TrainOptions {
        t_max: Some(16.0),
        seed: 1,
        quiet: true,
        steps: Some(if quick { 2_000 } else { crate::learned::cmd_train::DEFAULT_STEPS }),
        eval_samples: 0,
        ..TrainOptions::default()
    };
    let trained = train(gm, &topts)?;
    let model = Model::<f64, D>::decode(&trained.model_bytes).map_err(|e| anyhow!("{e}"))?;
    let mut rows = Vec::new();
    let mut series = Vec::new();
    for c in curves(quick) {
        let mut points = Vec::new();
        for &steps in c.steps {
            let cfg = SampleConfig {
                sampler: c.sampler,
                steps,
                count,
                scalar: c.scalar.into(),
                grid: c.grid,
                progress: !quick,
                ..SampleConfig::default()
            };
            let run = with_scalar!(c.scalar, S => if c.learned {
                sample_model::<S, D, K>(gm, &model, "the report's model", &cfg)
            } else {
                sample_mixture::<S, D, K>(gm, &cfg)
            })?;
            let w1 = run.w1.first().copied().unwrap_or(f64::NAN);
            rows.push(vec![
                c.sampler.name().to_string(),
                format!("{:?}", c.grid).to_lowercase(),
                c.scalar.name().to_string(),
                if c.learned { "learned".into() } else { "exact".into() },
                steps.to_string(),
                run.score_evaluations.to_string(),
                format!("{w1:.4}"),
            ]);
            points.push(((run.score_evaluations as f64).log10(), w1));
        }
        let score = if c.learned { "learned" } else { "exact" };
        series.push(Series {
            name: format!("{}, {}, {score}", c.sampler.name(), c.scalar.name()),
            points,
            markers: false,
        });
    }
    Ok((rows, series))
}

/// Build the section.
pub fn section(opts: &ReportOptions) -> Result<Section> {
    let count = if opts.quick { 2_000 } else { 100_000 };
    let Some((name, spec)) = super::sampling::test_mixtures().into_iter().last() else {
        return Err(anyhow!("no test mixture"));
    };
    let any = spec.validate(name)?;
    let (rows, series) = with_mixture!(&any, gm => measure(gm, opts.quick, count))?;
    let file = PathBuf::from("few_step_w1.svg");
    line_plot(
        &opts.out_dir.join(&file),
        &format!("W1 against score evaluations per sample ({name}, {count} samples)"),
        "log10 score evaluations per sample",
        "W1",
        &series,
        true,
    )?;
    let mut body = format!(
        "{name} mixture (sigma = 2, T = 16), {count} samples, seed 1; learned model: `train --t-max 16` defaults \
         (seed 1). Karras grid: --rho {}, --sigma-min {} x the smallest std ({} x for at most {} steps). Goals \
         (exact, f32): W1 <= 0.012 at <= 20 evaluations, <= 0.03 at <= 10; learned: <= 0.04 at <= 20.\n\n",
        crate::cmd_sample::DEFAULT_RHO,
        crate::cmd_sample::DEFAULT_SIGMA_MIN_RATIO,
        crate::cmd_sample::SHORT_GRID_SIGMA_MIN_RATIO,
        crate::cmd_sample::SHORT_GRID_STEPS
    );
    body.push_str(&md_table(&["sampler", "grid", "scalar", "score", "steps", "evaluations", "W1"], &rows));
    Ok(Section { title: "Few-step samplers: W1 against score evaluations".into(), body, plots: vec![file] })
}
