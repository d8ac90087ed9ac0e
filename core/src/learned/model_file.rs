//! The model file: trained weights as bytes, parsed and written without allocation (so
//! firmware can embed a model with `include_bytes!`).
//!
//! | offset | size | content (little-endian) |
//! |---|---|---|
//! | 0 | 4 | magic `TSSM` |
//! | 4 | 2 | format version, `u16`: 1 ([`FORMAT_VERSION_FLOAT`]) or 2 ([`FORMAT_VERSION`]) |
//! | 6 | 1 | scalar type: 0 `f64`, 1 `f32`, 2 `i16f16`, 3 `i8f24`, 4 `q8` (version 2 only) |
//! | 7 | 1 | architecture: 1 = [`ScoreMlp`] with `tanh` |
//! | 8 | 2 x 4 | `D`, `H`, `L`, `TIME_FEATURES` as `u16` |
//! | 16 | 4 | parameter count, `u32` |
//! | 20 | 8 (2 + 2D) | `sigma`, `noise_floor`, `data_mean[D]`, `data_std[D]` as `f64` |
//! | | P x size | the parameters in [`Tensor::ALL`](super::Tensor::ALL) order, row-major, as the scalar type (fixed point: raw `i32`) |
//! | end - 4 | 4 | CRC-32 (IEEE 802.3) of every preceding byte |
//!
//! Version 2 is version 1 plus the scalar code 4, `q8`: the quantised network
//! [`QuantMlp`](super::quant::QuantMlp), whose body (after the same header and constants)
//! is described in [`super::quant`]. [`ScoreMlp::encode`] writes version 1 (so float and
//! fixed files stay byte for byte what they were); both versions are read.
//!
//! Decoding checks, in order: length of the fixed header, magic, version, scalar code,
//! architecture, shape against the expected `D, H, L`, total length (truncated or trailing
//! bytes), checksum, constants, then every parameter (finite, and within range of the
//! requested scalar type: decoding an `f32` file as `I16F16` quantises it and names the first
//! parameter that does not fit).

use core::fmt;

use super::model::{ParamId, Params, PrecondError, Preconditioning, ScoreMlp, TIME_FEATURES};
use crate::Scalar;

/// The file's magic bytes.
pub const MAGIC: [u8; 4] = *b"TSSM";
/// The newest format version this code reads (and writes for `q8` models).
pub const FORMAT_VERSION: u16 = 2;
/// The format version written for float and fixed-point models (read too).
pub const FORMAT_VERSION_FLOAT: u16 = 1;
/// Architecture code of [`ScoreMlp`] (tanh activations).
pub const ARCH_TANH_MLP: u8 = 1;
/// Length of the fixed part of the header.
pub const HEADER_LEN: usize = 20;

/// The scalar type of the stored parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredScalar {
    /// `f64`, 8 bytes.
    F64,
    /// `f32`, 4 bytes.
    F32,
    /// `I16F16`, raw `i32`.
    I16F16,
    /// `I8F24`, raw `i32`.
    I8F24,
    /// The quantised network (int8 weights), format version 2 only.
    Q8,
}

impl StoredScalar {
    /// The code in the file.
    pub const fn code(self) -> u8 {
        match self {
            StoredScalar::F64 => 0,
            StoredScalar::F32 => 1,
            StoredScalar::I16F16 => 2,
            StoredScalar::I8F24 => 3,
            StoredScalar::Q8 => 4,
        }
    }
    /// From the code in the file.
    pub const fn from_code(c: u8) -> Option<Self> {
        match c {
            0 => Some(StoredScalar::F64),
            1 => Some(StoredScalar::F32),
            2 => Some(StoredScalar::I16F16),
            3 => Some(StoredScalar::I8F24),
            4 => Some(StoredScalar::Q8),
            _ => None,
        }
    }
    /// From a [`Scalar::NAME`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "f64" => Some(StoredScalar::F64),
            "f32" => Some(StoredScalar::F32),
            "i16f16" => Some(StoredScalar::I16F16),
            "i8f24" => Some(StoredScalar::I8F24),
            "q8" => Some(StoredScalar::Q8),
            _ => None,
        }
    }
    /// The command-line name.
    pub const fn name(self) -> &'static str {
        match self {
            StoredScalar::F64 => "f64",
            StoredScalar::F32 => "f32",
            StoredScalar::I16F16 => "i16f16",
            StoredScalar::I8F24 => "i8f24",
            StoredScalar::Q8 => "q8",
        }
    }
    /// Bytes per parameter (`q8`: 4, unused: its body has its own layout).
    pub const fn size(self) -> usize {
        match self {
            StoredScalar::F64 => 8,
            _ => 4,
        }
    }
    /// Write `v` as this type (fixed point: truncated to the raw integer).
    fn write(self, v: f64, w: &mut Writer<'_>) -> Result<(), ModelFileError> {
        match self {
            StoredScalar::F64 => w.put(&v.to_le_bytes()),
            StoredScalar::F32 => w.put(&(v as f32).to_le_bytes()),
            StoredScalar::I16F16 => w.put(&((v * 65_536.0) as i32).to_le_bytes()),
            StoredScalar::I8F24 => w.put(&((v * 16_777_216.0) as i32).to_le_bytes()),
            StoredScalar::Q8 => Err(ModelFileError::ScalarKind { found: "q8", reader: "ScoreMlp" }),
        }
    }

    /// Read one value of this type.
    fn read(self, r: &mut Reader<'_>) -> Result<f64, ModelFileError> {
        Ok(match self {
            StoredScalar::F64 => f64::from_le_bytes(r.take()?),
            StoredScalar::F32 => f32::from_le_bytes(r.take()?) as f64,
            StoredScalar::I16F16 => i32::from_le_bytes(r.take()?) as f64 / 65_536.0,
            StoredScalar::I8F24 => i32::from_le_bytes(r.take()?) as f64 / 16_777_216.0,
            StoredScalar::Q8 => return Err(ModelFileError::ScalarKind { found: "q8", reader: "ScoreMlp" }),
        })
    }
}

/// The fixed part of the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format version (1 or 2).
    pub version: u16,
    /// Scalar type of the parameters.
    pub scalar: StoredScalar,
    /// Input dimension `D`.
    pub dims: u16,
    /// Hidden width `H`.
    pub hidden: u16,
    /// Number of hidden-to-hidden layers `L`.
    pub layers: u16,
    /// Number of time features.
    pub time_features: u16,
    /// Number of parameters.
    pub params: u32,
}

/// Why a model file was rejected.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ModelFileError {
    /// Shorter than its header says (or than the fixed header).
    Truncated {
        /// bytes expected
        expected: usize,
        /// bytes present
        found: usize,
    },
    /// Longer than its header says.
    TrailingBytes {
        /// bytes expected
        expected: usize,
        /// bytes present
        found: usize,
    },
    /// Not a model file.
    BadMagic,
    /// A format version this code does not read.
    UnsupportedVersion {
        /// the version in the file
        found: u16,
    },
    /// Unknown scalar code.
    UnknownScalar {
        /// the code in the file
        code: u8,
    },
    /// Unknown architecture code.
    UnknownArchitecture {
        /// the code in the file
        code: u8,
    },
    /// A size in the header differs from the model's.
    ShapeMismatch {
        /// `dims`, `hidden`, `layers`, `time_features` or `params`
        field: &'static str,
        /// the model's value
        expected: u32,
        /// the file's value
        found: u32,
    },
    /// The checksum does not match: the file is corrupt.
    ChecksumMismatch {
        /// stored CRC-32
        stored: u32,
        /// CRC-32 of the content
        computed: u32,
    },
    /// A preconditioning constant is invalid.
    Constant(PrecondError),
    /// A parameter is not finite, or out of range of the requested scalar type.
    Parameter {
        /// which
        param: ParamId,
        /// its value
        value: f64,
        /// the requested type
        scalar: &'static str,
    },
    /// The output buffer is too small.
    BufferTooSmall {
        /// bytes needed
        needed: usize,
    },
    /// The file stores another kind of model than the reader's (a `q8` file read as
    /// [`ScoreMlp`], or a float/fixed file read as [`QuantMlp`](super::quant::QuantMlp)).
    ScalarKind {
        /// the file's scalar name
        found: &'static str,
        /// the type that was asked to read it
        reader: &'static str,
    },
    /// A field of a `q8` body is out of its documented range.
    QuantField {
        /// the layer: `input`, `first`, `hidden` or `output`
        layer: &'static str,
        /// index of the hidden layer (0 otherwise)
        layer_index: u16,
        /// the field: `scale`, `w`, `w_t`, `b_in`, `bias`, `mult`, `shift`, `output_frac`
        field: &'static str,
        /// flat index in the field
        index: u32,
    },
}

impl fmt::Display for ModelFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ModelFileError::Truncated { expected, found } => {
                write!(f, "truncated: {found} bytes, the header describes {expected}")
            }
            ModelFileError::TrailingBytes { expected, found } => {
                write!(f, "{found} bytes, but the header describes {expected}: trailing data")
            }
            ModelFileError::BadMagic => write!(f, "not a tinyscore model file (bad magic, expected `TSSM`)"),
            ModelFileError::UnsupportedVersion { found } => {
                write!(f, "format version {found}; this build reads version {FORMAT_VERSION}")
            }
            ModelFileError::UnknownScalar { code } => write!(f, "unknown scalar type code {code}"),
            ModelFileError::UnknownArchitecture { code } => write!(f, "unknown architecture code {code}"),
            ModelFileError::ShapeMismatch { field, expected, found } => {
                write!(f, "header field `{field}` is {found}, expected {expected}")
            }
            ModelFileError::ChecksumMismatch { stored, computed } => {
                write!(f, "checksum mismatch (stored {stored:#010x}, content {computed:#010x}): the file is corrupt")
            }
            ModelFileError::Constant(e) => write!(f, "invalid constant: {e}"),
            ModelFileError::Parameter { param, value, scalar } => {
                write!(f, "parameter {param} = {value} is not finite or does not fit {scalar}")
            }
            ModelFileError::BufferTooSmall { needed } => write!(f, "output buffer too small: {needed} bytes needed"),
            ModelFileError::ScalarKind { found, reader } => {
                write!(f, "the file stores a {found} model, which {reader} does not read")
            }
            ModelFileError::QuantField { layer, layer_index, field, index } => {
                if layer == "hidden" {
                    write!(f, "q8 field {layer}[{layer_index}].{field}[{index}] is out of range")
                } else {
                    write!(f, "q8 field {layer}.{field}[{index}] is out of range")
                }
            }
        }
    }
}

impl core::error::Error for ModelFileError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ModelFileError::Constant(e) => Some(e),
            _ => None,
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bitwise (no table).
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            let mask = (c & 1).wrapping_neg();
            c = (c >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !c
}

/// Read and check the fixed header (magic, version, scalar and architecture codes).
///
/// # Errors
/// [`ModelFileError::BadMagic`], [`ModelFileError::Truncated`] (shorter than the fixed
/// header), [`ModelFileError::UnsupportedVersion`], [`ModelFileError::UnknownScalar`],
/// [`ModelFileError::UnknownArchitecture`], checked in this order.
pub fn read_header(bytes: &[u8]) -> Result<Header, ModelFileError> {
    let Some((head, _)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        // A prefix of something else is still not a model file.
        if bytes.get(..4).is_some_and(|m| m != MAGIC) {
            return Err(ModelFileError::BadMagic);
        }
        return Err(ModelFileError::Truncated { expected: HEADER_LEN, found: bytes.len() });
    };
    let [m0, m1, m2, m3, v0, v1, code, arch, d0, d1, h0, h1, l0, l1, f0, f1, p0, p1, p2, p3] = *head;
    if [m0, m1, m2, m3] != MAGIC {
        return Err(ModelFileError::BadMagic);
    }
    let version = u16::from_le_bytes([v0, v1]);
    if version != FORMAT_VERSION && version != FORMAT_VERSION_FLOAT {
        return Err(ModelFileError::UnsupportedVersion { found: version });
    }
    let scalar = StoredScalar::from_code(code)
        .filter(|s| version == FORMAT_VERSION || *s != StoredScalar::Q8)
        .ok_or(ModelFileError::UnknownScalar { code })?;
    if arch != ARCH_TANH_MLP {
        return Err(ModelFileError::UnknownArchitecture { code: arch });
    }
    Ok(Header {
        version,
        scalar,
        dims: u16::from_le_bytes([d0, d1]),
        hidden: u16::from_le_bytes([h0, h1]),
        layers: u16::from_le_bytes([l0, l1]),
        time_features: u16::from_le_bytes([f0, f1]),
        params: u32::from_le_bytes([p0, p1, p2, p3]),
    })
}

/// Sequential writer into a byte slice.
pub(crate) struct Writer<'a> {
    pub(crate) rest: &'a mut [u8],
    pub(crate) needed: usize,
}

impl Writer<'_> {
    /// Append `b`.
    pub(crate) fn put(&mut self, b: &[u8]) -> Result<(), ModelFileError> {
        let rest = core::mem::take(&mut self.rest);
        let Some((dst, rest)) = rest.split_at_mut_checked(b.len()) else {
            return Err(ModelFileError::BufferTooSmall { needed: self.needed });
        };
        dst.copy_from_slice(b);
        self.rest = rest;
        Ok(())
    }
}

/// Sequential reader of a byte slice.
pub(crate) struct Reader<'a> {
    pub(crate) rest: &'a [u8],
    /// Length of the whole file, and what its header describes (for the error).
    pub(crate) found: usize,
    pub(crate) expected: usize,
}

impl Reader<'_> {
    /// The next `N` bytes.
    pub(crate) fn take<const N: usize>(&mut self) -> Result<[u8; N], ModelFileError> {
        let Some((a, rest)) = self.rest.split_first_chunk::<N>() else {
            return Err(ModelFileError::Truncated { expected: self.expected, found: self.found });
        };
        self.rest = rest;
        Ok(*a)
    }

    pub(crate) fn f64(&mut self) -> Result<f64, ModelFileError> {
        StoredScalar::F64.read(self)
    }
}

impl<S: Scalar, const D: usize, const H: usize, const L: usize> ScoreMlp<S, D, H, L> {
    /// Size of the encoded model in bytes.
    pub const ENCODED_LEN: usize = HEADER_LEN
        + 8 * (2 + 2 * D)
        + Params::<S, D, H, L>::COUNT * if S::IS_FIXED { 4 } else { core::mem::size_of::<S>() }
        + 4;

    /// Write the model (parameters as `S`) into `out`; returns the number of bytes written
    /// ([`Self::ENCODED_LEN`]).
    ///
    /// # Errors
    /// [`ModelFileError::BufferTooSmall`] if `out` is shorter than [`Self::ENCODED_LEN`];
    /// [`ModelFileError::UnknownScalar`] (code 255) for a scalar type the format has no code for.
    ///
    /// # Examples
    /// A round trip, and a quantising read:
    /// ```
    /// use rand_core::SeedableRng;
    /// use tinyscore::learned::{Preconditioning, ScoreMlp};
    /// type M = ScoreMlp<f32, 1, 4, 1>;
    /// let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.0], data_std: [1.0] };
    /// let m = M::new_random(pc, &mut tinyscore::DefaultRng::seed_from_u64(2))?;
    /// let mut buf = [0u8; M::ENCODED_LEN];
    /// assert_eq!(m.encode(&mut buf)?, M::ENCODED_LEN);
    /// assert_eq!(M::decode(&buf)?, m);
    /// let q = ScoreMlp::<fixed::types::I16F16, 1, 4, 1>::decode(&buf)?;
    /// assert_eq!(Ok(q), m.convert());
    /// assert!(M::decode(&buf[..40]).is_err());
    /// # Ok::<(), Box<dyn core::error::Error>>(())
    /// ```
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ModelFileError> {
        let len = Self::ENCODED_LEN;
        let scalar = StoredScalar::from_name(S::NAME).ok_or(ModelFileError::UnknownScalar { code: u8::MAX })?;
        let too_small = ModelFileError::BufferTooSmall { needed: len };
        let buf = out.get_mut(..len).ok_or(too_small)?;
        let (body, _) = buf.split_last_chunk_mut::<4>().ok_or(too_small)?;
        let mut w = Writer { rest: body, needed: len };
        w.put(&MAGIC)?;
        w.put(&FORMAT_VERSION_FLOAT.to_le_bytes())?;
        w.put(&[scalar.code(), ARCH_TANH_MLP])?;
        for v in [D, H, L, TIME_FEATURES] {
            w.put(&(v as u16).to_le_bytes())?;
        }
        w.put(&(Params::<S, D, H, L>::COUNT as u32).to_le_bytes())?;
        let pc = &self.precond;
        for v in [pc.sigma, pc.noise_floor].iter().chain(pc.data_mean.iter()).chain(pc.data_std.iter()) {
            w.put(&v.to_le_bytes())?;
        }
        for (_, tensor) in self.params.tensors() {
            for v in tensor {
                scalar.write(v.to_f64(), &mut w)?;
            }
        }
        let (body, crc_out) = buf.split_last_chunk_mut::<4>().ok_or(too_small)?;
        *crc_out = crc32(body).to_le_bytes();
        Ok(len)
    }

    /// Read a model stored in any scalar type, converting the parameters to `S` (rounding to
    /// nearest); see the module documentation for the checks.
    ///
    /// # Errors
    /// The first check that fails, in the order of the module documentation: header
    /// ([`read_header`]), [`ModelFileError::ShapeMismatch`], [`ModelFileError::Truncated`] or
    /// [`ModelFileError::TrailingBytes`], [`ModelFileError::ChecksumMismatch`],
    /// [`ModelFileError::Constant`], [`ModelFileError::Parameter`] (the first in file order).
    pub fn decode(bytes: &[u8]) -> Result<Self, ModelFileError> {
        let mut model = Self::zeroed();
        model.decode_into(bytes)?;
        Ok(model)
    }

    /// [`Self::decode`] into an existing model, without a temporary copy on the stack (for
    /// small RAM: a width-32 model is 5 KB). On error the model is left partly overwritten.
    ///
    /// # Errors
    /// As [`Self::decode`].
    pub fn decode_into(&mut self, bytes: &[u8]) -> Result<(), ModelFileError> {
        let h = read_header(bytes)?;
        if h.scalar == StoredScalar::Q8 {
            return Err(ModelFileError::ScalarKind { found: "q8", reader: "ScoreMlp" });
        }
        let mut r = Self::checked_body(&h, bytes)?;
        let mut pc =
            Preconditioning { sigma: r.f64()?, noise_floor: r.f64()?, data_mean: [0.0; D], data_std: [0.0; D] };
        for v in pc.data_mean.iter_mut().chain(pc.data_std.iter_mut()) {
            *v = r.f64()?;
        }
        pc.validate().map_err(ModelFileError::Constant)?;
        self.precond = pc;
        self.params.try_for_each_tensor_mut(|id, dst| {
            for (i, d) in dst.iter_mut().enumerate() {
                let v = h.scalar.read(&mut r)?;
                let (s, st) = S::from_f64(v);
                if !v.is_finite() || !st.is_ok() {
                    return Err(ModelFileError::Parameter { param: id.offset(i), value: v, scalar: S::NAME });
                }
                *d = s;
            }
            Ok(())
        })
    }

    /// Check the shape against the model's, the length and the checksum; a reader of the
    /// constants and parameters that follow the fixed header.
    fn checked_body<'a>(h: &Header, bytes: &'a [u8]) -> Result<Reader<'a>, ModelFileError> {
        let count = Params::<S, D, H, L>::COUNT;
        let expected = HEADER_LEN + 8 * (2 + 2 * D) + count * h.scalar.size() + 4;
        checked_body(h, bytes, [D, H, L, count], expected)
    }
}

/// Check the header's shape against `[D, H, L, parameter count]`, the total length
/// against `expected` and the checksum; a reader of what follows the fixed header.
pub(crate) fn checked_body<'a>(
    h: &Header,
    bytes: &'a [u8],
    [d, hidden, layers, count]: [usize; 4],
    expected: usize,
) -> Result<Reader<'a>, ModelFileError> {
    for (field, expected, found) in [
        ("dims", d as u32, h.dims as u32),
        ("hidden", hidden as u32, h.hidden as u32),
        ("layers", layers as u32, h.layers as u32),
        ("time_features", TIME_FEATURES as u32, h.time_features as u32),
        ("params", count as u32, h.params),
    ] {
        if expected != found {
            return Err(ModelFileError::ShapeMismatch { field, expected, found });
        }
    }
    let found = bytes.len();
    if found > expected {
        return Err(ModelFileError::TrailingBytes { expected, found });
    }
    let truncated = ModelFileError::Truncated { expected, found };
    let (body, stored) = bytes.split_last_chunk::<4>().filter(|_| found == expected).ok_or(truncated)?;
    let (stored, computed) = (u32::from_le_bytes(*stored), crc32(body));
    if stored != computed {
        return Err(ModelFileError::ChecksumMismatch { stored, computed });
    }
    let rest = body.get(HEADER_LEN..).ok_or(truncated)?;
    Ok(Reader { rest, found, expected })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixed::types::I16F16;
    use rand_xoshiro::rand_core::SeedableRng;

    type M = ScoreMlp<f32, 2, 4, 1>;

    fn model() -> M {
        let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.1, 0.2], data_std: [1.0, 2.0] };
        let mut m = M::new_random(pc, &mut crate::DefaultRng::seed_from_u64(3)).unwrap();
        m.params.output.b = [0.5, -0.25];
        m
    }

    #[test]
    fn crc_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn round_trip_and_quantise() {
        let m = model();
        let mut buf = [0u8; M::ENCODED_LEN];
        assert_eq!(m.encode(&mut buf), Ok(M::ENCODED_LEN));
        assert_eq!(M::decode(&buf), Ok(m));
        let q = ScoreMlp::<I16F16, 2, 4, 1>::decode(&buf).unwrap();
        assert_eq!(q, m.convert::<I16F16>().unwrap());
        assert!(matches!(M::decode(&buf[..buf.len() - 1]), Err(ModelFileError::Truncated { .. })));
        assert!(matches!(
            ScoreMlp::<f32, 1, 4, 1>::decode(&buf),
            Err(ModelFileError::ShapeMismatch { field: "dims", .. })
        ));
        let mut bad = buf;
        bad[40] ^= 1;
        assert!(matches!(M::decode(&bad), Err(ModelFileError::ChecksumMismatch { .. })));
        assert!(matches!(M::encode(&m, &mut [0u8; 10]), Err(ModelFileError::BufferTooSmall { .. })));
    }
}
