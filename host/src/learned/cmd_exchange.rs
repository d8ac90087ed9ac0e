//! `tinyscore export` and `tinyscore import`: a model file to and from safetensors
//! ([`super::safetensors_io`] has the layout).

use std::path::Path;

use anyhow::Result;

use super::model_io::{self, encode, to_scalar, AnyModel};
use super::safetensors_io;
use crate::{output, with_model};

/// The `.tsm` bytes (parameters stored as `f32`) of a model.
///
/// # Errors
/// A parameter that does not fit `f32`.
pub fn tsm_bytes(m: &AnyModel, what: &str) -> Result<Vec<u8>> {
    with_model!(m, m => encode(&*to_scalar::<f32, _>(m, what)?))
}

/// `export --model M --out W.safetensors`.
///
/// # Errors
/// Unreadable model, write errors.
pub fn run_export(model: &Path, out: &Path) -> Result<()> {
    let loaded = model_io::load(model)?;
    let bytes = safetensors_io::export_any(&loaded.model)?;
    let exact = with_model!(&loaded.model, m => safetensors_io::exact_in_f32(m));
    let mut tx = output::Transaction::new();
    tx.stage(Some(out), &bytes)?;
    tx.commit()?;
    println!(
        "wrote {} ({} bytes, D = {}, tensors layers.0 to layers.{} in F32){}",
        out.display(),
        bytes.len(),
        loaded.model.dims(),
        model_io::LAYERS + 1,
        if exact { "" } else { "; note: some parameters were rounded to f32" }
    );
    Ok(())
}

/// `import --in W.safetensors --out M`: the model file stores the parameters as `f32`.
///
/// # Errors
/// Every error of [`safetensors_io::import`], write errors.
pub fn run_import(input: &Path, out: &Path) -> Result<()> {
    let model = safetensors_io::load(input)?;
    let bytes = tsm_bytes(&model, &input.display().to_string())?;
    let mut tx = output::Transaction::new();
    tx.stage(Some(out), &bytes)?;
    tx.commit()?;
    println!("wrote {} ({} bytes, D = {}, parameters f32)", out.display(), bytes.len(), model.dims());
    Ok(())
}
