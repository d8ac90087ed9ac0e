//! Model files on the desktop: the host's model shape, loading with clear errors, and
//! dispatch over the dimension read from the file.

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use tinyscore::learned::model_file::{read_header, StoredScalar};
use tinyscore::learned::{Preconditioning, ScoreMlp};
use tinyscore::mixture::GaussianMixture;
use tinyscore::Scalar;

/// Hidden width of the models the CLI trains and reads.
pub const HIDDEN: usize = 32;
/// Hidden-to-hidden layers (the network has `LAYERS + 1` hidden layers).
pub const LAYERS: usize = 1;

/// The host's model in scalar `S`.
pub type Model<S, const D: usize> = ScoreMlp<S, D, HIDDEN, LAYERS>;

/// A model of any supported dimension, held in `f64` (exact for every stored type).
#[derive(Clone, Debug)]
pub enum AnyModel {
    /// D = 1
    D1(Box<Model<f64, 1>>),
    /// D = 2
    D2(Box<Model<f64, 2>>),
    /// D = 3
    D3(Box<Model<f64, 3>>),
    /// D = 4
    D4(Box<Model<f64, 4>>),
}

impl AnyModel {
    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        match self {
            AnyModel::D1(_) => 1,
            AnyModel::D2(_) => 2,
            AnyModel::D3(_) => 3,
            AnyModel::D4(_) => 4,
        }
    }
}

/// Run `$body` with `$m` bound to the `&Model<f64, D>` inside an [`AnyModel`].
#[macro_export]
macro_rules! with_model {
    ($any:expr, $m:ident => $body:expr) => {
        match $any {
            $crate::learned::model_io::AnyModel::D1($m) => $body,
            $crate::learned::model_io::AnyModel::D2($m) => $body,
            $crate::learned::model_io::AnyModel::D3($m) => $body,
            $crate::learned::model_io::AnyModel::D4($m) => $body,
        }
    };
}

/// A model file as read.
#[derive(Clone, Debug)]
pub struct LoadedModel {
    /// Scalar type of the stored parameters.
    pub stored: StoredScalar,
    /// The model.
    pub model: AnyModel,
}

fn decode<const D: usize>(bytes: &[u8], what: &str) -> Result<Box<Model<f64, D>>> {
    Model::<f64, D>::decode(bytes)
        .map(Box::new)
        .map_err(|e| anyhow!("{what}: {e} (this build reads models with H = {HIDDEN}, L = {LAYERS}, D = 1 to 4)"))
}

/// Parse model bytes; `what` names the source in error messages.
pub fn parse(bytes: &[u8], what: &str) -> Result<LoadedModel> {
    let h = read_header(bytes).map_err(|e| anyhow!("{what}: {e}"))?;
    if h.scalar == StoredScalar::Q8 {
        bail!("{what}: a q8 model file (from `tinyscore quantize`): it runs with --scalar q8 only");
    }
    let model = match h.dims {
        1 => AnyModel::D1(decode(bytes, what)?),
        2 => AnyModel::D2(decode(bytes, what)?),
        3 => AnyModel::D3(decode(bytes, what)?),
        4 => AnyModel::D4(decode(bytes, what)?),
        d => bail!("{what}: header field `dims` is {d}; this build supports 1 to 4 dimensions"),
    };
    Ok(LoadedModel { stored: h.scalar, model })
}

/// Read a model file.
pub fn load(path: &Path) -> Result<LoadedModel> {
    let what = path.display().to_string();
    let bytes = crate::limits::read_limited(path, crate::limits::MAX_MODEL_FILE_BYTES, "model file")?;
    parse(&bytes, &what)
}

/// The model in scalar `S` (quantising if needed); the error names the parameter.
pub fn to_scalar<S: Scalar, const D: usize>(m: &Model<f64, D>, what: &str) -> Result<Box<Model<S, D>>> {
    m.convert::<S>().map(Box::new).map_err(|e| anyhow!("{what}: {e}"))
}

/// The bytes of a model file.
pub fn encode<S: Scalar, const D: usize>(m: &Model<S, D>) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; Model::<S, D>::ENCODED_LEN];
    let n = m.encode(&mut buf).map_err(|e| anyhow!("{e}"))?;
    buf.truncate(n);
    Ok(buf)
}

/// The preconditioning the CLI derives from a mixture ([`Preconditioning::from_mixture`]):
/// its mean, its per-dimension std at `t = 0`, and the smallest component std as the noise
/// floor.
pub fn precond_for<const D: usize, const K: usize>(gm: &GaussianMixture<D, K>) -> Preconditioning<D> {
    Preconditioning::from_mixture(gm)
}

/// The host's q8 model (the int8 network of [`Model`]'s shape).
pub type QModel<const D: usize> = tinyscore::learned::quant::QuantMlp<D, HIDDEN, LAYERS>;

/// A q8 model of any supported dimension.
#[derive(Clone, Debug)]
pub enum AnyQuant {
    /// D = 1
    D1(Box<QModel<1>>),
    /// D = 2
    D2(Box<QModel<2>>),
    /// D = 3
    D3(Box<QModel<3>>),
    /// D = 4
    D4(Box<QModel<4>>),
}

impl AnyQuant {
    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        match self {
            AnyQuant::D1(_) => 1,
            AnyQuant::D2(_) => 2,
            AnyQuant::D3(_) => 3,
            AnyQuant::D4(_) => 4,
        }
    }

    /// The bytes of its model file (format version 2).
    pub fn encode(&self) -> Result<Vec<u8>> {
        fn enc<const D: usize>(q: &QModel<D>) -> Result<Vec<u8>> {
            let mut buf = vec![0u8; QModel::<D>::ENCODED_LEN];
            let n = q.encode(&mut buf).map_err(|e| anyhow!("{e}"))?;
            buf.truncate(n);
            Ok(buf)
        }
        match self {
            AnyQuant::D1(q) => enc(q),
            AnyQuant::D2(q) => enc(q),
            AnyQuant::D3(q) => enc(q),
            AnyQuant::D4(q) => enc(q),
        }
    }
}

fn decode_q8<const D: usize>(bytes: &[u8], what: &str) -> Result<Box<QModel<D>>> {
    QModel::<D>::decode(bytes)
        .map(Box::new)
        .map_err(|e| anyhow!("{what}: {e} (this build reads q8 models with H = {HIDDEN}, L = {LAYERS}, D = 1 to 4)"))
}

/// A model file of either kind.
#[derive(Clone, Debug)]
pub enum AnyLoaded {
    /// A float model (f64, f32, i16f16 or i8f24 parameters).
    Float(LoadedModel),
    /// A q8 model.
    Q8(AnyQuant),
}

/// Read a model file of either kind (float, or q8 from `tinyscore quantize`).
pub fn load_any(path: &Path) -> Result<AnyLoaded> {
    let what = path.display().to_string();
    let bytes = crate::limits::read_limited(path, crate::limits::MAX_MODEL_FILE_BYTES, "model file")?;
    let h = read_header(&bytes).map_err(|e| anyhow!("{what}: {e}"))?;
    if h.scalar != StoredScalar::Q8 {
        return parse(&bytes, &what).map(AnyLoaded::Float);
    }
    Ok(AnyLoaded::Q8(match h.dims {
        1 => AnyQuant::D1(decode_q8(&bytes, &what)?),
        2 => AnyQuant::D2(decode_q8(&bytes, &what)?),
        3 => AnyQuant::D3(decode_q8(&bytes, &what)?),
        4 => AnyQuant::D4(decode_q8(&bytes, &what)?),
        d => bail!("{what}: header field `dims` is {d}; this build supports 1 to 4 dimensions"),
    }))
}
