//! `tinyscore quantize`: calibration draws over the model's time range, the range of each
//! layer on them, and the quantised (q8) model.
//!
//! The draws are those of [`calibrate`](super::calibrate) (its documentation states the
//! method; [`DEFAULT_DRAWS`] unless `--draws`): `t` uniform in `[--t-min, --t-max]`, `x`
//! exact from the mixture of `--mixture`, else from the Gaussian of the model's
//! preconditioning diffused to `t`.

use std::path::PathBuf;

use anyhow::{bail, Result};

use super::calibrate::{self, DrawSource, LayerRange, DEFAULT_DRAWS};
use super::model_io::{self, AnyModel, AnyQuant, Model, QModel};
use crate::dims::AnyMixture;
use crate::{mixture_file, output};

/// Settings of the command.
#[derive(Clone, Debug, clap::Args)]
pub struct QuantizeOptions {
    /// Model file (a float model from `tinyscore train`).
    #[arg(long)]
    pub model: PathBuf,
    /// Write the q8 model file here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Calibration draws.
    #[arg(long, default_value_t = DEFAULT_DRAWS, value_parser = crate::limits::count_in::<usize, 1, { crate::limits::MAX_CALIBRATION_DRAWS }>)]
    pub draws: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Draw x exactly from this mixture (TOML) instead of the model's preconditioning Gaussian.
    #[arg(long)]
    pub mixture: Option<PathBuf>,
    /// Start of the model's time range.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub t_min: f64,
    /// End of the model's time range.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub t_max: f64,
}

/// What the command found.
#[derive(Clone, Debug)]
pub struct QuantizeResult {
    /// Each layer's range in `f64` over the draws.
    pub ranges: Vec<LayerRange>,
    /// The q8 model.
    pub quant: AnyQuant,
    /// The per-layer quantisation table and the a-priori bound.
    pub report: String,
    /// The text printed.
    pub text: String,
}

/// One dimension: ranges, the q8 model, its report text.
fn quantize_one<const D: usize, const K: usize>(
    m: &Model<f64, D>,
    src: DrawSource<'_, D, K>,
    opts: &QuantizeOptions,
) -> Result<(Vec<LayerRange>, QModel<D>, String)> {
    let d = calibrate::draws(m, src, opts.t_min, opts.t_max, opts.draws, opts.seed)?;
    let ranges = calibrate::layer_ranges(m, &d)?;
    let (q, rep) = calibrate::quantize(m, &d)?;
    // The model is rounded by GPTQ with bias correction: the bound takes each weight's and
    // bias's actual rounding error from the float model.
    let b = q.error_bound_against(m);
    let mut text = calibrate::format_report(&rep);
    text.push_str(&format!(
        "bound (from the rounding errors): |o_q8 - o_f64| <= {} (output), |score error| <= {:.4e} while |u| <= {:.4}\n",
        b.output.iter().map(|v| format!("{v:.4e}")).collect::<Vec<_>>().join(", "),
        b.score,
        q.input_range()
    ));
    Ok((ranges, q, text))
}

/// The layer ranges of `model` on the calibration draws of `opts`.
///
/// # Errors
/// Mismatched dimensions of model and mixture, a bad time range, a non-finite forward pass.
pub fn quantize_any(
    model: &AnyModel,
    mixture: Option<&AnyMixture>,
    opts: &QuantizeOptions,
) -> Result<(Vec<LayerRange>, AnyQuant, String)> {
    macro_rules! go {
        ($m:expr, $src:expr) => {{
            let (r, q, t) = quantize_one(&**$m, $src, opts)?;
            (r, Box::new(q), t)
        }};
    }
    const K: usize = crate::dims::MAX_COMPONENTS;
    match (model, mixture) {
        (AnyModel::D1(m), None) => {
            let (r, q, t) = go!(m, DrawSource::<1, K>::Preconditioning);
            Ok((r, AnyQuant::D1(q), t))
        }
        (AnyModel::D2(m), None) => {
            let (r, q, t) = go!(m, DrawSource::<2, K>::Preconditioning);
            Ok((r, AnyQuant::D2(q), t))
        }
        (AnyModel::D3(m), None) => {
            let (r, q, t) = go!(m, DrawSource::<3, K>::Preconditioning);
            Ok((r, AnyQuant::D3(q), t))
        }
        (AnyModel::D4(m), None) => {
            let (r, q, t) = go!(m, DrawSource::<4, K>::Preconditioning);
            Ok((r, AnyQuant::D4(q), t))
        }
        (AnyModel::D1(m), Some(AnyMixture::D1(gm))) => {
            let (r, q, t) = go!(m, DrawSource::Mixture(gm));
            Ok((r, AnyQuant::D1(q), t))
        }
        (AnyModel::D2(m), Some(AnyMixture::D2(gm))) => {
            let (r, q, t) = go!(m, DrawSource::Mixture(gm));
            Ok((r, AnyQuant::D2(q), t))
        }
        (AnyModel::D3(m), Some(AnyMixture::D3(gm))) => {
            let (r, q, t) = go!(m, DrawSource::Mixture(gm));
            Ok((r, AnyQuant::D3(q), t))
        }
        (AnyModel::D4(m), Some(AnyMixture::D4(gm))) => {
            let (r, q, t) = go!(m, DrawSource::Mixture(gm));
            Ok((r, AnyQuant::D4(q), t))
        }
        (_, Some(any)) => bail!("the model has {} dimension(s), the mixture {}", model.dims(), any.dims()),
    }
}

/// Run the command.
///
/// # Errors
/// Unreadable or invalid files, a bad time range, mismatched dimensions.
pub fn run(opts: &QuantizeOptions) -> Result<QuantizeResult> {
    let loaded = model_io::load(&opts.model)?;
    let mixture = match &opts.mixture {
        Some(p) => Some(mixture_file::load(p)?.1),
        None => None,
    };
    let (ranges, quant, report) = quantize_any(&loaded.model, mixture.as_ref(), opts)
        .map_err(|e| e.context(format!("{}", opts.model.display())))?;
    let source = match &opts.mixture {
        Some(p) => format!("exact draws of {}", p.display()),
        None => "the model's preconditioning Gaussian diffused to t".to_string(),
    };
    let mut text = format!(
        "calibration: {} draws, t uniform in [{}, {}], x from {source}, seed {}\n",
        opts.draws, opts.t_min, opts.t_max, opts.seed
    );
    text.push_str("f64 range of each layer (pre-activations, output o before 1/n(t)):\n");
    text.push_str(&calibrate::format_ranges(&ranges));
    text.push_str("q8 layers against f64 on the same draws (input u, tanh outputs, output o):\n");
    text.push_str(&report);
    if let Some(out) = &opts.out {
        let bytes = quant.encode()?;
        text.push_str(&format!("q8 model file {} bytes: {}\n", bytes.len(), out.display()));
        let mut tx = output::Transaction::new();
        tx.stage(Some(out), &bytes)?;
        tx.commit()?;
    }
    print!("{text}");
    Ok(QuantizeResult { ranges, quant, report, text })
}

/// The q8 network of a model file: a q8 file as stored; a float file quantised in memory
/// with the default calibration ([`DEFAULT_DRAWS`] draws of the preconditioning Gaussian
/// over `t` in `[0, 1]`, seed 0), saying so on stderr.
///
/// # Errors
/// An unreadable or invalid file, or a model the q8 format cannot hold.
pub fn q8_model(path: &std::path::Path) -> Result<AnyQuant> {
    match model_io::load_any(path)? {
        model_io::AnyLoaded::Q8(q) => Ok(q),
        model_io::AnyLoaded::Float(loaded) => {
            eprintln!(
                "{}: a float model; quantised to q8 in memory ({DEFAULT_DRAWS} calibration draws of its preconditioning Gaussian, t in [0, 1]; `tinyscore quantize` to choose)",
                path.display()
            );
            let opts = QuantizeOptions {
                model: path.to_path_buf(),
                out: None,
                draws: DEFAULT_DRAWS,
                seed: 0,
                mixture: None,
                t_min: 0.0,
                t_max: 1.0,
            };
            let (_, q, _) =
                quantize_any(&loaded.model, None, &opts).map_err(|e| e.context(format!("{}", path.display())))?;
            Ok(q)
        }
    }
}

/// `sample --model M --scalar q8`: the samplers driven by the int8 network, state in `f32`.
///
/// # Errors
/// Unreadable model, mismatched dimensions, or a sampler setting refused.
pub fn sample_q8(
    any: &AnyMixture,
    path: &std::path::Path,
    cfg: &crate::cmd_sample::SampleConfig,
) -> Result<crate::cmd_sample::SampleRun> {
    let q = q8_model(path)?;
    match (any, &q) {
        (AnyMixture::D1(gm), AnyQuant::D1(q)) => {
            crate::cmd_sample::sample_source::<f32, _, _, _>(gm, &mut *q.clone(), cfg)
        }
        (AnyMixture::D2(gm), AnyQuant::D2(q)) => {
            crate::cmd_sample::sample_source::<f32, _, _, _>(gm, &mut *q.clone(), cfg)
        }
        (AnyMixture::D3(gm), AnyQuant::D3(q)) => {
            crate::cmd_sample::sample_source::<f32, _, _, _>(gm, &mut *q.clone(), cfg)
        }
        (AnyMixture::D4(gm), AnyQuant::D4(q)) => {
            crate::cmd_sample::sample_source::<f32, _, _, _>(gm, &mut *q.clone(), cfg)
        }
        _ => bail!("{}: the model has {} dimension(s) but the mixture has {}", path.display(), q.dims(), any.dims()),
    }
}
