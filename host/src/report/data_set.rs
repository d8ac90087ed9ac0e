//! A data set end to end: a 2-D ring (radius 2 plus noise of std 0.15, uniform angle: not a
//! mixture, as `scripts/make-datasets.py` makes it), `fit --components auto` on its training
//! half, `train --data` on the same rows, samples from both, and the sliced W1 of each to the
//! held-out rows next to the distance between two halves of those rows (the sampling noise).

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::accuracy::md_table;
use super::{ReportOptions, Section};
use crate::cmd_fit::to_spec;
use crate::cmd_sample::{sample_mixture, SampleConfig};
use crate::distance::{data_distance, overlay_svg};
use crate::fit::{fit, Components, FitConfig};
use crate::learned::cmd_train::TrainOptions;
use crate::learned::data_train::train_data;
use crate::learned::model_io::Model;
use crate::learned::WeightingKind;
use crate::sample_model::sample_model_alone;
use crate::with_mixture;

/// `n` points of the ring, reproducible from `seed`.
pub fn ring(n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let noise = Normal::new(0.0, 0.15).unwrap_or_else(|_| unreachable!("a valid std"));
    (0..n)
        .map(|_| {
            let a = rng.random_range(0.0..std::f64::consts::TAU);
            let r = 2.0 + noise.sample(&mut rng);
            [r * a.cos(), r * a.sin()]
        })
        .collect()
}

/// Build the section.
pub fn section(opts: &ReportOptions) -> Result<Section> {
    let (n, steps, count) =
        if opts.quick { (1000, 2_000, 2_000) } else { (4000, crate::learned::cmd_train::DEFAULT_DATA_STEPS, 10_000) };
    let train = ring(n, 11);
    let held = ring(n, 12);
    let rows = |v: &[[f64; 2]]| v.iter().map(|x| x.to_vec()).collect::<Vec<_>>();
    let (train_rows, held_rows) = (rows(&train), rows(&held));
    // The mixture: fit --components auto (BIC over K in 1..=16; 1..=8 in quick mode).
    let max = if opts.quick { 8 } else { 16 };
    let cfg = FitConfig { components: Components::Auto { max }, ..FitConfig::default() };
    let (g, _) = fit(&train_rows, 2, &cfg, |_| {})?;
    let any = to_spec(&g, 1.0).validate("the ring's fitted mixture")?;
    let scfg = SampleConfig { count, ..SampleConfig::default() };
    let mix = with_mixture!(&any, gm => sample_mixture::<f32, _, _>(gm, &scfg))?;
    // The model: train --data (its defaults: lambda = sigma^2 t, t in [0, 16]); 10 % of the
    // training rows held out for its loss per bin, as the command does.
    let cut = train.len() - train.len() / 10;
    let topts = TrainOptions {
        steps: Some(steps),
        batch: Some(crate::learned::cmd_train::DEFAULT_DATA_BATCH),
        quiet: true,
        weighting: Some(WeightingKind::Variance),
        t_max: Some(16.0),
        eval_samples: 0,
        ..TrainOptions::default()
    };
    let (summary, _) = train_data(&train[..cut], &train[cut..], &topts, 1.0)?;
    let model = Model::<f64, 2>::decode(&summary.model_bytes).map_err(|e| anyhow!("{e}"))?;
    let learned = sample_model_alone::<f32, 2>(&model, "the ring's model", &scfg)?;
    let d_model = data_distance(&learned.samples, &held_rows, 2)?;
    let d_mix = data_distance(&mix.samples, &held_rows, 2)?;
    let mut plots = Vec::new();
    for (name, samples, d) in [("model", &learned.samples, &d_model), ("mixture", &mix.samples, &d_mix)] {
        let title = format!("ring: {name} samples (sliced W1 to held-out {:.4})", d.samples_to_data);
        let svg = overlay_svg(&title, &held_rows, samples, 2000)?;
        let file = PathBuf::from(format!("data_ring_{name}.svg"));
        crate::output::write_bytes_atomically(&opts.out_dir.join(&file), svg.as_bytes())?;
        plots.push(file);
    }
    let table = vec![
        vec![
            format!(
                "train --data (width 32, {steps} steps of {}, stable target over {} reference samples)",
                crate::learned::cmd_train::DEFAULT_DATA_BATCH,
                crate::learned::cmd_train::DEFAULT_DATA_REFERENCE
            ),
            format!("{:.4}", d_model.samples_to_data),
            format!("{:.2}", d_model.samples_to_data / d_model.half_to_half),
        ],
        vec![
            format!("fit --components auto (K = {})", g.len()),
            format!("{:.4}", d_mix.samples_to_data),
            format!("{:.2}", d_mix.samples_to_data / d_mix.half_to_half),
        ],
        vec!["two halves of the held-out rows".into(), format!("{:.4}", d_model.half_to_half), "1".into()],
    ];
    let mut body = format!(
        "A ring of {n} training and {n} held-out rows (radius 2, noise std 0.15, uniform angle). {count} samples \
         from each (Euler-Maruyama, 1000 steps, f32), sliced W1 over 64 fixed directions to the held-out rows. \
         Goals (issue 13): model <= mixture, model <= 3 x halves.\n\n"
    );
    body.push_str(&md_table(&["samples", "sliced W1 to held-out", "/ halves"], &table));
    Ok(Section { title: "A data set: fit, train --data, sample".into(), body, plots })
}
