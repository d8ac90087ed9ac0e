//! Models as safetensors files (`tinyscore export` / `tinyscore import`), named like a
//! PyTorch `nn.ModuleList` of `nn.Linear`:
//!
//! | tensor | shape | content |
//! |---|---|---|
//! | `layers.0.weight` | `[H, D + 2]` | columns `0..D`: `W_x` (normalised x), `D, D + 1`: `W_t` (time features) |
//! | `layers.0.bias` | `[H]` | `b_in` |
//! | `layers.l.weight`, `layers.l.bias` (`l = 1..=L`) | `[H, H]`, `[H]` | hidden-to-hidden |
//! | `layers.{L+1}.weight`, `layers.{L+1}.bias` | `[D, H]`, `[D]` | output |
//!
//! every tensor `F32`, little-endian; `__metadata__` (strings): `format` =
//! [`FORMAT`], `width` (H), `hidden_layers` (L), `dims` (D), `sigma`, `noise_floor`
//! (decimal numbers, shortest round-trip form), `data_mean`, `data_std` (JSON arrays).
//! The architecture is the README's (`learned/model.rs`): `tanh` after every layer but the
//! last, the preconditioning around it.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use tinyscore::learned::Preconditioning;

use super::model_io::{AnyModel, Model, HIDDEN, LAYERS};
use crate::with_model;

/// The value of the `format` metadata field.
pub const FORMAT: &str = "tinyscore-mlp-v1";

fn f32_bytes(v: impl IntoIterator<Item = f64>) -> Vec<u8> {
    v.into_iter().flat_map(|x| (x as f32).to_le_bytes()).collect()
}

/// Whether every parameter of the model is an `f32` value (export is then exact).
pub fn exact_in_f32<const D: usize>(m: &Model<f64, D>) -> bool {
    m.params.tensors().all(|(_, t)| t.iter().all(|&x| (x as f32) as f64 == x))
}

fn num(x: f64) -> String {
    let mut b = ryu::Buffer::new();
    b.format(x).to_string()
}

fn json_array(v: &[f64]) -> String {
    format!("[{}]", v.iter().map(|&x| num(x)).collect::<Vec<_>>().join(", "))
}

/// The safetensors bytes of a model (parameters rounded to `f32`).
///
/// # Errors
/// A serialisation failure.
pub fn export<const D: usize>(m: &Model<f64, D>) -> Result<Vec<u8>> {
    let p = &m.params;
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let first: Vec<f64> =
        p.input.w.iter().zip(p.time.w.iter()).flat_map(|(a, b)| a.iter().chain(b.iter()).copied()).collect();
    tensors.push(("layers.0.weight".into(), vec![HIDDEN, D + 2], f32_bytes(first)));
    tensors.push(("layers.0.bias".into(), vec![HIDDEN], f32_bytes(p.input.b.iter().copied())));
    for (l, layer) in p.hidden.iter().enumerate() {
        tensors.push((
            format!("layers.{}.weight", l + 1),
            vec![HIDDEN, HIDDEN],
            f32_bytes(layer.w.iter().flatten().copied()),
        ));
        tensors.push((format!("layers.{}.bias", l + 1), vec![HIDDEN], f32_bytes(layer.b.iter().copied())));
    }
    let o = LAYERS + 1;
    tensors.push((format!("layers.{o}.weight"), vec![D, HIDDEN], f32_bytes(p.output.w.iter().flatten().copied())));
    tensors.push((format!("layers.{o}.bias"), vec![D], f32_bytes(p.output.b.iter().copied())));
    let views = tensors
        .iter()
        .map(|(n, shape, data)| {
            Ok((n.clone(), TensorView::new(Dtype::F32, shape.clone(), data).map_err(|e| anyhow!("{n}: {e}"))?))
        })
        .collect::<Result<Vec<_>>>()?;
    let pc = &m.precond;
    let meta: HashMap<String, String> = [
        ("format", FORMAT.to_string()),
        ("width", HIDDEN.to_string()),
        ("hidden_layers", LAYERS.to_string()),
        ("dims", D.to_string()),
        ("sigma", num(pc.sigma)),
        ("noise_floor", num(pc.noise_floor)),
        ("data_mean", json_array(&pc.data_mean)),
        ("data_std", json_array(&pc.data_std)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    safetensors::tensor::serialize(views, &Some(meta)).map_err(|e| anyhow!("writing safetensors: {e}"))
}

/// [`export`] for a model of run-time dimension.
///
/// # Errors
/// As [`export`].
pub fn export_any(m: &AnyModel) -> Result<Vec<u8>> {
    with_model!(m, m => export(m))
}

fn meta_field<'a>(meta: &'a HashMap<String, String>, key: &str, what: &str) -> Result<&'a str> {
    meta.get(key).map(String::as_str).ok_or_else(|| anyhow!("{what}: metadata field `{key}` is missing"))
}

fn meta_usize(meta: &HashMap<String, String>, key: &str, what: &str) -> Result<usize> {
    let s = meta_field(meta, key, what)?;
    s.trim().parse().map_err(|_| anyhow!("{what}: metadata field `{key}` is `{s}`, not a whole number"))
}

fn meta_f64(meta: &HashMap<String, String>, key: &str, what: &str) -> Result<f64> {
    let s = meta_field(meta, key, what)?;
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => bail!("{what}: metadata field `{key}` is `{s}`, not a finite number"),
    }
}

fn meta_array<const D: usize>(meta: &HashMap<String, String>, key: &str, what: &str) -> Result<[f64; D]> {
    let s = meta_field(meta, key, what)?;
    let v: Vec<f64> = serde_json::from_str(s)
        .map_err(|e| anyhow!("{what}: metadata field `{key}` is `{s}`, not a JSON array of numbers ({e})"))?;
    <[f64; D]>::try_from(v.as_slice())
        .map_err(|_| anyhow!("{what}: metadata field `{key}` has {} entries; `dims` is {D}", v.len()))
}

/// One tensor as `f64` values, checked for dtype `F32`, the expected shape and finite values.
fn tensor(st: &SafeTensors<'_>, name: &str, shape: &[usize], what: &str) -> Result<Vec<f64>> {
    let t = st.tensor(name).map_err(|_| anyhow!("{what}: tensor `{name}` is missing (expected shape {shape:?})"))?;
    if t.dtype() != Dtype::F32 {
        bail!("{what}: tensor `{name}` has dtype {:?}; expected F32 (little-endian)", t.dtype());
    }
    if t.shape() != shape {
        bail!(
            "{what}: tensor `{name}` has shape {:?}; expected {shape:?} (this build runs width H = {HIDDEN}, \
             hidden_layers L = {LAYERS}, D = 1 to 4)",
            t.shape()
        );
    }
    let vals: Vec<f64> =
        t.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64).collect();
    if let Some(i) = vals.iter().position(|v| !v.is_finite()) {
        bail!("{what}: tensor `{name}` entry {i} is not finite");
    }
    Ok(vals)
}

fn build<const D: usize>(
    st: &SafeTensors<'_>,
    meta: &HashMap<String, String>,
    what: &str,
) -> Result<Box<Model<f64, D>>> {
    let mut m = Box::new(Model::<f64, D>::zeroed());
    m.precond = Preconditioning {
        sigma: meta_f64(meta, "sigma", what)?,
        noise_floor: meta_f64(meta, "noise_floor", what)?,
        data_mean: meta_array::<D>(meta, "data_mean", what)?,
        data_std: meta_array::<D>(meta, "data_std", what)?,
    };
    m.precond.validate().map_err(|e| anyhow!("{what}: metadata: {e}"))?;
    let w0 = tensor(st, "layers.0.weight", &[HIDDEN, D + 2], what)?;
    let b0 = tensor(st, "layers.0.bias", &[HIDDEN], what)?;
    let p = &mut m.params;
    for (i, row) in w0.chunks_exact(D + 2).enumerate() {
        p.input.w[i].copy_from_slice(&row[..D]);
        p.time.w[i].copy_from_slice(&row[D..]);
    }
    p.input.b.copy_from_slice(&b0);
    for (l, layer) in p.hidden.iter_mut().enumerate() {
        let w = tensor(st, &format!("layers.{}.weight", l + 1), &[HIDDEN, HIDDEN], what)?;
        let b = tensor(st, &format!("layers.{}.bias", l + 1), &[HIDDEN], what)?;
        for (dst, src) in layer.w.iter_mut().zip(w.chunks_exact(HIDDEN)) {
            dst.copy_from_slice(src);
        }
        layer.b.copy_from_slice(&b);
    }
    let o = LAYERS + 1;
    let w = tensor(st, &format!("layers.{o}.weight"), &[D, HIDDEN], what)?;
    let b = tensor(st, &format!("layers.{o}.bias"), &[D], what)?;
    for (dst, src) in p.output.w.iter_mut().zip(w.chunks_exact(HIDDEN)) {
        dst.copy_from_slice(src);
    }
    p.output.b.copy_from_slice(&b);
    let extra: Vec<String> = st
        .names()
        .into_iter()
        .filter(|n| !(0..=o).any(|l| **n == format!("layers.{l}.weight") || **n == format!("layers.{l}.bias")))
        .cloned()
        .collect();
    if let Some(n) = extra.first() {
        bail!(
            "{what}: tensor `{n}` is not part of the architecture (layers.0 to layers.{o}: this build runs \
             hidden_layers L = {LAYERS})"
        );
    }
    Ok(m)
}

/// Parse safetensors bytes into a model; `what` names the source in every error.
///
/// # Errors
/// Truncated or malformed files, missing or malformed metadata, an architecture this build
/// does not run, a missing tensor, a wrong dtype or shape, a non-finite value (each message
/// names the tensor or the field).
pub fn import(bytes: &[u8], what: &str) -> Result<AnyModel> {
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| anyhow!("{what}: not a readable safetensors file ({e}); truncated or not safetensors?"))?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| anyhow!("{what}: not a readable safetensors file ({e})"))?;
    let meta = header.metadata().clone().ok_or_else(|| {
        anyhow!("{what}: the `__metadata__` block is missing (needs format, width, hidden_layers, dims, sigma, noise_floor, data_mean, data_std)")
    })?;
    let format = meta_field(&meta, "format", what)?;
    if format != FORMAT {
        bail!("{what}: metadata field `format` is `{format}`; expected `{FORMAT}`");
    }
    let width = meta_usize(&meta, "width", what)?;
    if width != HIDDEN {
        bail!("{what}: metadata field `width` is {width}; this build runs width H = {HIDDEN} (tensor `layers.0.weight` [H, D + 2])");
    }
    let layers = meta_usize(&meta, "hidden_layers", what)?;
    if layers != LAYERS {
        bail!("{what}: metadata field `hidden_layers` is {layers}; this build runs L = {LAYERS} (tensors layers.1 to layers.{LAYERS})");
    }
    Ok(match meta_usize(&meta, "dims", what)? {
        1 => AnyModel::D1(build::<1>(&st, &meta, what)?),
        2 => AnyModel::D2(build::<2>(&st, &meta, what)?),
        3 => AnyModel::D3(build::<3>(&st, &meta, what)?),
        4 => AnyModel::D4(build::<4>(&st, &meta, what)?),
        d => bail!("{what}: metadata field `dims` is {d}; this build runs D = 1 to 4"),
    })
}

/// Read a safetensors file (at most [`crate::limits::MAX_SAFETENSORS_BYTES`]).
///
/// # Errors
/// As [`import`], and read errors.
pub fn load(path: &Path) -> Result<AnyModel> {
    let bytes = crate::limits::read_limited(path, crate::limits::MAX_SAFETENSORS_BYTES, "safetensors file")?;
    import(&bytes, &path.display().to_string())
}
