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
use super::model_io::{self, AnyModel};
use crate::dims::AnyMixture;
use crate::mixture_file;

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
    /// The text printed.
    pub text: String,
}

/// The layer ranges of `model` on the calibration draws of `opts`.
///
/// # Errors
/// Mismatched dimensions of model and mixture, a bad time range, a non-finite forward pass.
pub fn ranges_any(model: &AnyModel, mixture: Option<&AnyMixture>, opts: &QuantizeOptions) -> Result<Vec<LayerRange>> {
    macro_rules! go {
        ($m:expr, $src:expr) => {{
            let d = calibrate::draws(&**$m, $src, opts.t_min, opts.t_max, opts.draws, opts.seed)?;
            calibrate::layer_ranges(&**$m, &d)
        }};
    }
    const K: usize = crate::dims::MAX_COMPONENTS;
    match (model, mixture) {
        (AnyModel::D1(m), None) => go!(m, DrawSource::<1, K>::Preconditioning),
        (AnyModel::D2(m), None) => go!(m, DrawSource::<2, K>::Preconditioning),
        (AnyModel::D3(m), None) => go!(m, DrawSource::<3, K>::Preconditioning),
        (AnyModel::D4(m), None) => go!(m, DrawSource::<4, K>::Preconditioning),
        (AnyModel::D1(m), Some(AnyMixture::D1(gm))) => go!(m, DrawSource::Mixture(gm)),
        (AnyModel::D2(m), Some(AnyMixture::D2(gm))) => go!(m, DrawSource::Mixture(gm)),
        (AnyModel::D3(m), Some(AnyMixture::D3(gm))) => go!(m, DrawSource::Mixture(gm)),
        (AnyModel::D4(m), Some(AnyMixture::D4(gm))) => go!(m, DrawSource::Mixture(gm)),
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
    let ranges = ranges_any(&loaded.model, mixture.as_ref(), opts)
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
    if opts.out.is_some() {
        bail!("--out: this build has no q8 network to write (the calibration above is all it does)");
    }
    print!("{text}");
    Ok(QuantizeResult { ranges, text })
}
