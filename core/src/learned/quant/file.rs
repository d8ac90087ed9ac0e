//! The `q8` body of the model file (format version 2, scalar code 4): see the table in
//! the module documentation of [`super`].

use super::{QuantDense, QuantMlp, QuantOutput, Requant, MAX_BIAS, MAX_OUTPUT_FRAC};
use crate::learned::model::{Params, TIME_FEATURES};
use crate::learned::model_file::{
    checked_body, crc32, read_header, ModelFileError, Reader, StoredScalar, Writer, ARCH_TANH_MLP, FORMAT_VERSION,
    HEADER_LEN,
};
use crate::learned::Preconditioning;

/// Length in bytes of a `q8` model file with `D` inputs, width `H` and `L` hidden-to-hidden
/// layers.
///
/// # Examples
/// ```
/// use tinyscore::learned::quant::{q8_encoded_len, QuantMlp};
/// assert_eq!(q8_encoded_len(1, 32, 1), QuantMlp::<1, 32, 1>::ENCODED_LEN);
/// ```
pub const fn q8_encoded_len(d: usize, h: usize, l: usize) -> usize {
    HEADER_LEN
        + 8 * (2 + 2 * d)
        + 8
        + h * (2 * d + 8 * TIME_FEATURES + 8 + 4 + 4 + 1)
        + l * h * (h + 4 + 4 + 4 + 1)
        + d * (2 * h + 4 + 4 + 4 + 1)
        + 4
}

/// Where a decoding error is: layer name and index.
#[derive(Clone, Copy)]
struct At(&'static str, u16);

impl At {
    fn err(self, field: &'static str, index: usize) -> ModelFileError {
        ModelFileError::QuantField { layer: self.0, layer_index: self.1, field, index: index as u32 }
    }
}

fn put_requant(w: &mut Writer<'_>, rq: &[Requant]) -> Result<(), ModelFileError> {
    for r in rq {
        w.put(&r.mult().to_le_bytes())?;
    }
    for r in rq {
        w.put(&[r.shift()])?;
    }
    Ok(())
}

fn put_scales(w: &mut Writer<'_>, s: &[f32]) -> Result<(), ModelFileError> {
    for v in s {
        w.put(&v.to_le_bytes())?;
    }
    Ok(())
}

fn put_dense<const I: usize, const O: usize>(w: &mut Writer<'_>, d: &QuantDense<I, O>) -> Result<(), ModelFileError> {
    for v in d.w.as_flattened() {
        w.put(&[v ^ super::W_OFFSET])?; // the weight as held back to i8
    }
    for v in &d.bias {
        w.put(&v.to_le_bytes())?;
    }
    put_scales(w, &d.scale)?;
    put_requant(w, &d.rq)
}

fn put_output<const I: usize, const O: usize>(w: &mut Writer<'_>, d: &QuantOutput<I, O>) -> Result<(), ModelFileError> {
    for v in d.w.as_flattened() {
        w.put(&v.to_le_bytes())?;
    }
    for v in &d.bias {
        w.put(&v.to_le_bytes())?;
    }
    put_scales(w, &d.scale)?;
    put_requant(w, &d.rq)
}

fn get_output<const I: usize, const O: usize>(
    r: &mut Reader<'_>,
    d: &mut QuantOutput<I, O>,
    at: At,
) -> Result<(), ModelFileError> {
    for (i, v) in d.w.as_flattened_mut().iter_mut().enumerate() {
        *v = i16::from_le_bytes(r.take()?);
        if i32::from(*v).abs() > QuantOutput::<I, O>::QMAX {
            return Err(at.err("w", i));
        }
    }
    for (i, v) in d.bias.iter_mut().enumerate() {
        *v = i32::from_le_bytes(r.take()?);
        if v.unsigned_abs() > MAX_BIAS as u32 {
            return Err(at.err("bias", i));
        }
    }
    d.refresh();
    get_scales(r, &mut d.scale, at)?;
    get_requant(r, &mut d.rq, at)
}

fn get_scales(r: &mut Reader<'_>, s: &mut [f32], at: At) -> Result<(), ModelFileError> {
    for (i, v) in s.iter_mut().enumerate() {
        *v = f32::from_le_bytes(r.take()?);
        if !(v.is_finite() && *v > 0.0) {
            return Err(at.err("scale", i));
        }
    }
    Ok(())
}

fn get_requant(r: &mut Reader<'_>, rq: &mut [Requant], at: At) -> Result<(), ModelFileError> {
    for q in rq.iter_mut() {
        *q = Requant::from_parts(i32::from_le_bytes(r.take()?), 0);
    }
    for (i, q) in rq.iter_mut().enumerate() {
        let [s] = r.take::<1>()?;
        *q = Requant::from_parts(q.mult(), s);
        if !q.is_valid() {
            let field = if (1..=62).contains(&s) { "mult" } else { "shift" };
            return Err(at.err(field, i));
        }
    }
    Ok(())
}

/// A layer's offset weights and biases (one copy for every layer shape: the decoder is
/// code on the device).
#[inline(never)]
fn get_weights(r: &mut Reader<'_>, w: &mut [u8], bias: &mut [i32], at: At) -> Result<(), ModelFileError> {
    for (i, v) in w.iter_mut().enumerate() {
        let [b] = r.take::<1>()?;
        *v = b ^ super::W_OFFSET; // i8 to the weight as held
        if b == 0x80 {
            return Err(at.err("w", i));
        }
    }
    for (i, v) in bias.iter_mut().enumerate() {
        *v = i32::from_le_bytes(r.take()?);
        if v.unsigned_abs() > MAX_BIAS as u32 {
            return Err(at.err("bias", i));
        }
    }
    Ok(())
}

fn get_dense<const I: usize, const O: usize>(
    r: &mut Reader<'_>,
    d: &mut QuantDense<I, O>,
    at: At,
) -> Result<(), ModelFileError> {
    get_weights(r, d.w.as_flattened_mut(), &mut d.bias, at)?;
    d.refresh();
    get_scales(r, &mut d.scale, at)?;
    get_requant(r, &mut d.rq, at)
}

impl<const D: usize, const H: usize, const L: usize> QuantMlp<D, H, L> {
    /// Size of the encoded model in bytes.
    pub const ENCODED_LEN: usize = q8_encoded_len(D, H, L);

    /// A zero model with placeholder constants, somewhere to decode a file into
    /// ([`Self::decode_into`]); valid (every scale and multiplier in range), useless.
    ///
    /// Never inlined: the compiler builds the value in a temporary of its own size and
    /// copies it out, and that temporary must not stay in the caller's stack frame (2.6 KB
    /// on a Cortex-M0 for the width-32 model, live through everything the caller does).
    #[inline(never)]
    pub const fn zeroed() -> Self {
        QuantMlp {
            precond: Preconditioning { sigma: 0.0, noise_floor: 1.0, data_mean: [0.0; D], data_std: [1.0; D] },
            input_scale: 1.0,
            output_frac: 0,
            first: super::QuantFirst {
                w: [[0; D]; H],
                w_t: [[0.0; TIME_FEATURES]; H],
                b_in: [0.0; H],
                scale: [1.0; H],
                rq: [Requant::from_parts(1 << 30, 31); H],
            },
            hidden: [QuantDense::zeroed(); L],
            output: QuantOutput::zeroed(),
        }
    }

    /// Write the model as a version-2 `q8` file into `out`; returns the number of bytes
    /// written ([`Self::ENCODED_LEN`]).
    ///
    /// # Errors
    /// [`ModelFileError::BufferTooSmall`] if `out` is shorter than [`Self::ENCODED_LEN`].
    ///
    /// # Examples
    /// ```
    /// use tinyscore::learned::quant::QuantMlp;
    /// type Q = QuantMlp<1, 4, 1>;
    /// let q = Q::zeroed();
    /// let mut buf = [0u8; Q::ENCODED_LEN];
    /// assert_eq!(q.encode(&mut buf)?, Q::ENCODED_LEN);
    /// assert_eq!(Q::decode(&buf)?, q);
    /// assert!(Q::decode(&buf[..buf.len() - 1]).is_err());
    /// # Ok::<(), tinyscore::learned::ModelFileError>(())
    /// ```
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ModelFileError> {
        let len = Self::ENCODED_LEN;
        let too_small = ModelFileError::BufferTooSmall { needed: len };
        let buf = out.get_mut(..len).ok_or(too_small)?;
        let (body, _) = buf.split_last_chunk_mut::<4>().ok_or(too_small)?;
        let mut w = Writer { rest: body, needed: len };
        w.put(&crate::learned::model_file::MAGIC)?;
        w.put(&FORMAT_VERSION.to_le_bytes())?;
        w.put(&[StoredScalar::Q8.code(), ARCH_TANH_MLP])?;
        for v in [D, H, L, TIME_FEATURES] {
            w.put(&(v as u16).to_le_bytes())?;
        }
        w.put(&(Params::<f32, D, H, L>::COUNT as u32).to_le_bytes())?;
        let pc = &self.precond;
        for v in [pc.sigma, pc.noise_floor].iter().chain(pc.data_mean.iter()).chain(pc.data_std.iter()) {
            w.put(&v.to_le_bytes())?;
        }
        w.put(&self.input_scale.to_le_bytes())?;
        w.put(&self.output_frac.to_le_bytes())?;
        let f = &self.first;
        for v in f.w.as_flattened() {
            w.put(&v.to_le_bytes())?;
        }
        for v in f.w_t.as_flattened().iter().chain(f.b_in.iter()) {
            w.put(&v.to_le_bytes())?;
        }
        put_scales(&mut w, &f.scale)?;
        put_requant(&mut w, &f.rq)?;
        for layer in self.hidden.iter() {
            put_dense(&mut w, layer)?;
        }
        put_output(&mut w, &self.output)?;
        let (body, crc_out) = buf.split_last_chunk_mut::<4>().ok_or(too_small)?;
        *crc_out = crc32(body).to_le_bytes();
        Ok(len)
    }

    /// Read a version-2 `q8` model file.
    ///
    /// # Errors
    /// As [`ScoreMlp::decode`](crate::learned::ScoreMlp::decode) for the header, shape,
    /// length, checksum and constants; [`ModelFileError::ScalarKind`] for a float or
    /// fixed-point file; [`ModelFileError::QuantField`] for the first field out of range
    /// (`input_scale` or a weight scale not a positive finite number, `output_frac > 24`,
    /// an i8 weight `-128`, a first-layer weight beyond [`Self::FIRST_QMAX`] or an output weight
    /// beyond [`QuantOutput::QMAX`], a bias beyond
    /// `2^30`, a multiplier outside `[2^30, 2^31)`, a shift outside `[1, 62]`, a float
    /// `w_t` or `b_in` not finite).
    pub fn decode(bytes: &[u8]) -> Result<Self, ModelFileError> {
        let mut q = Self::zeroed();
        q.decode_into(bytes)?;
        Ok(q)
    }

    /// [`Self::decode`] into an existing model (no temporary copy on the stack). On error
    /// the model is left partly overwritten.
    ///
    /// # Errors
    /// As [`Self::decode`].
    pub fn decode_into(&mut self, bytes: &[u8]) -> Result<(), ModelFileError> {
        let h = read_header(bytes)?;
        if h.scalar != StoredScalar::Q8 {
            return Err(ModelFileError::ScalarKind { found: h.scalar.name(), reader: "QuantMlp" });
        }
        let count = Params::<f32, D, H, L>::COUNT;
        let mut r = checked_body(&h, bytes, [D, H, L, count], Self::ENCODED_LEN)?;
        let mut pc =
            Preconditioning { sigma: r.f64()?, noise_floor: r.f64()?, data_mean: [0.0; D], data_std: [0.0; D] };
        for v in pc.data_mean.iter_mut().chain(pc.data_std.iter_mut()) {
            *v = r.f64()?;
        }
        pc.validate().map_err(ModelFileError::Constant)?;
        self.precond = pc;
        let input = At("input", 0);
        self.input_scale = f32::from_le_bytes(r.take()?);
        if !(self.input_scale.is_finite() && self.input_scale > 0.0) {
            return Err(input.err("scale", 0));
        }
        self.output_frac = u32::from_le_bytes(r.take()?);
        if self.output_frac > MAX_OUTPUT_FRAC {
            return Err(At("output", 0).err("output_frac", 0));
        }
        let at = At("first", 0);
        let f = &mut self.first;
        for (i, v) in f.w.as_flattened_mut().iter_mut().enumerate() {
            *v = i16::from_le_bytes(r.take()?);
            if v.unsigned_abs() > Self::FIRST_QMAX as u16 {
                return Err(at.err("w", i));
            }
        }
        for (i, v) in f.w_t.as_flattened_mut().iter_mut().enumerate() {
            *v = r.f64()?;
            if !v.is_finite() {
                return Err(at.err("w_t", i));
            }
        }
        for (i, v) in f.b_in.iter_mut().enumerate() {
            *v = r.f64()?;
            if !v.is_finite() {
                return Err(at.err("b_in", i));
            }
        }
        get_scales(&mut r, &mut f.scale, at)?;
        get_requant(&mut r, &mut f.rq, at)?;
        for (l, layer) in self.hidden.iter_mut().enumerate() {
            get_dense(&mut r, layer, At("hidden", l as u16))?;
        }
        get_output(&mut r, &mut self.output, At("output", 0))
    }
}
