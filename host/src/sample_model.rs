//! `tinyscore sample --model M` without a mixture: the sampler starts from the Gaussian of
//! the model's preconditioning, `N(m, diag(std^2 + sigma^2 T))`, the grid's defaults use the
//! noise floor `n0` where the mixture path uses its smallest component std (offset
//! `n0^2 / sigma^2`, `t_min = n0^2 / sigma^2 / 1000`), and with `--data D.csv` the samples are
//! compared with the data by the sliced W1 distance ([`crate::distance`]) next to the same
//! distance between the two halves of the data.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use tinyscore::learned::Preconditioning;
use tinyscore::sampler::{Sampler, SamplerConfig};
use tinyscore::start::StartGaussian;
use tinyscore::time_grid::TimeGrid;
use tinyscore::Scalar;

use crate::cmd_sample::{check_parent, grid_for, method, run_sampler, SampleArgs, SampleConfig};
use crate::distance::{data_distance, distance_text, overlay_svg, DataDistance};
use crate::learned::model_io::{self, to_scalar, AnyModel, Model};
use crate::numfmt::format_scalar;
use crate::{output, with_model, with_scalar};

/// Samples drawn with a model alone.
#[derive(Clone, Debug)]
pub struct ModelRun {
    /// The samples as `f64` (exact values of the scalar type).
    pub samples: Vec<Vec<f64>>,
    /// The samples as CSV text (header `x0,...`).
    pub csv: String,
    /// Some value saturated or was not finite.
    pub saturated: bool,
    /// The grid used.
    pub grid: TimeGrid,
}

/// The time grid for a model: the mixture path's rule with `n0^2` as the smallest variance.
///
/// # Errors
/// `sigma = 0` (no diffusion to reverse), or an invalid grid.
pub fn model_grid<const D: usize>(pc: &Preconditioning<D>, cfg: &SampleConfig) -> Result<TimeGrid> {
    grid_for(pc.sigma, pc.noise_floor * pc.noise_floor, cfg).map_err(|e| anyhow!("the model's grid: {e}"))
}

/// The start Gaussian of a model at `t_max`: `N(m, diag(std_d^2 + sigma^2 t_max))`.
///
/// # Errors
/// A non-finite covariance (an enormous `t_max`).
pub fn model_start<const D: usize>(pc: &Preconditioning<D>, t_max: f64) -> Result<StartGaussian<D>> {
    let mut cov = [[0.0; D]; D];
    for (d, row) in cov.iter_mut().enumerate() {
        if let (Some(e), Some(s)) = (row.get_mut(d), pc.data_std.get(d)) {
            *e = s * s + pc.sigma * pc.sigma * t_max;
        }
    }
    StartGaussian::new(pc.data_mean, cov).map_err(|e| anyhow!("--t-max {t_max}: {e}"))
}

/// Sample with a model (converted to `S`) from its own start Gaussian.
///
/// # Errors
/// Weights that do not fit `S`, or an invalid grid or start.
pub fn sample_model_alone<S: Scalar, const D: usize>(
    model: &Model<f64, D>,
    what: &str,
    cfg: &SampleConfig,
) -> Result<ModelRun> {
    let pc = &model.precond;
    let grid = model_grid(pc, cfg)?;
    let sampler =
        Sampler::new(SamplerConfig { method: method(cfg), grid, sigma: pc.sigma }).map_err(|e| anyhow!("{e}"))?;
    let start = model_start(pc, cfg.t_max)?;
    let mut source = to_scalar::<S, D>(model, what)?;
    let (xs, status) = run_sampler::<S, _, D>(&sampler, &start, &mut *source, cfg.count, cfg.seed, cfg.progress);
    let mut csv = (0..D).map(|d| format!("x{d}")).collect::<Vec<_>>().join(",");
    csv.push('\n');
    let mut samples = Vec::with_capacity(xs.len());
    for x in &xs {
        csv.push_str(&x.iter().map(|v| format_scalar(*v)).collect::<Vec<_>>().join(","));
        csv.push('\n');
        samples.push(x.iter().map(|v| v.to_f64()).collect());
    }
    Ok(ModelRun { samples, csv, saturated: !status.is_ok(), grid })
}

/// [`sample_model_alone`] for a model of run-time dimension and the configured scalar.
///
/// # Errors
/// As [`sample_model_alone`].
pub fn sample_any_model_alone(model: &AnyModel, what: &str, cfg: &SampleConfig) -> Result<ModelRun> {
    let Some(kind) = cfg.scalar.float() else {
        bail!("--scalar q8: sample --model without --mixture runs in f64, f32, i16f16 or i8f24; the q8 network samples with --mixture");
    };
    with_model!(model, m => with_scalar!(kind, S => sample_model_alone::<S, _>(m, what, cfg)))
}

/// Run `sample --model M [--data D.csv]` (no mixture).
///
/// # Errors
/// Unreadable files, a data file of another dimension, sampling errors, write errors.
pub fn run(args: &SampleArgs) -> Result<()> {
    let Some(model_path) = &args.model else {
        bail!("sample: give --mixture, or --model (with or without --data)");
    };
    let what = model_path.display().to_string();
    let loaded = model_io::load(model_path)?;
    let dims = loaded.model.dims();
    let data = match &args.data {
        Some(p) => {
            let d = crate::data::load(p)?;
            if d.dims != dims {
                bail!("{}: the data has {} dimension(s) but the model {what} has {dims}", p.display(), d.dims);
            }
            Some(d)
        }
        None => None,
    };
    let plot_path = args.plot.clone().unwrap_or_else(|| match &args.output {
        Some(p) => p.with_extension("svg"),
        None => PathBuf::from("samples.svg"),
    });
    if let Some(out) = &args.output {
        check_parent(out, "--output")?;
    }
    check_parent(&plot_path, "--plot")?;
    let run = sample_any_model_alone(&loaded.model, &what, &args.config)?;
    let dist: Option<DataDistance> = match &data {
        Some(d) => Some(data_distance(&run.samples, &d.rows, dims)?),
        None => None,
    };
    let name = model_path.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let title = match &dist {
        Some(d) => format!("{name} ({}): sliced W1 to the data {:.4}", args.config.sampler.name(), d.samples_to_data),
        None => format!("{name} ({}, {} steps)", args.config.sampler.name(), args.config.steps),
    };
    let empty = Vec::new();
    let svg = overlay_svg(&title, data.as_ref().map_or(&empty, |d| &d.rows), &run.samples, 4000)?;
    let mut tx = output::Transaction::new();
    tx.stage(args.output.as_deref(), run.csv.as_bytes())?;
    tx.stage(Some(&plot_path), svg.as_bytes())?;
    tx.commit()?;
    let mut text = format!(
        "{} samples from the model {what}, sampler {}, scalar {}, {} steps, t from {} to {:.4e} then a denoising step, \
         start N(data_mean, diag(data_std^2 + sigma^2 T)), seed {}\n",
        run.samples.len(),
        args.config.sampler.name(),
        args.config.scalar.name(),
        args.config.steps,
        run.grid.t_max(),
        run.grid.t_min(),
        args.config.seed
    );
    if let (Some(d), Some(data)) = (&dist, &data) {
        text.push_str(&distance_text(d, run.samples.len(), data.rows.len()));
    }
    if run.saturated {
        text.push_str("warning: some values saturated (fixed point) or were not finite\n");
    }
    text.push_str(&format!("plot: {}\n", plot_path.display()));
    if args.output.is_some() {
        print!("{text}");
    } else {
        eprint!("{text}");
    }
    Ok(())
}
