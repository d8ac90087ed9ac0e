//! `tinyscore score --model`: the learned score `s_theta` at the points of a CSV file.
//!
//! Output: the input columns, then `score0,...,score{D-1},status` (`status` is `saturated`
//! if a coordinate did not fit the scalar type or the evaluation saturated).

use std::marker::PhantomData;
use std::path::Path;

use std::io::Write;

use anyhow::{bail, Context, Result};
use tinyscore::Scalar;

use super::model_io::{self, to_scalar, AnyQuant, Model, QModel};
use crate::cmd_score::to_scalar_point;
use crate::eval::ModelScalar;
use crate::numfmt::format_scalar;
use crate::points::{self, PointRow};
use crate::{output, with_model, with_scalar};

/// Run the command: rows are read, evaluated and written one at a time into a staged
/// output that replaces the destination only when every row is done.
pub fn run(model: &Path, scalar: impl Into<ModelScalar>, input: &Path, out: Option<&Path>) -> Result<()> {
    let Some(scalar) = scalar.into().float() else {
        return run_q8(model, input, out);
    };
    let loaded = model_io::load(model)?;
    let what = model.display().to_string();
    let (header, rows) = points::open(input, loaded.model.dims(), "the model")?;
    let shown = out.map_or_else(|| "standard output".to_string(), |p| p.display().to_string());
    let mut tx = output::Transaction::new();
    let mut w = tx.writer(out)?;
    with_model!(&loaded.model, m => with_scalar!(scalar, S => {
        let ms = to_scalar::<S, _>(m, &what)?;
        write_model_table(&ms, &header, rows, &mut w, &shown, PhantomData::<S>)
    }))?;
    output::finish(w, &shown)?;
    tx.commit()
}

/// Write the output table; `shown` names the destination in write errors.
pub fn write_model_table<S: Scalar, const D: usize>(
    m: &Model<S, D>,
    header: &[String],
    rows: impl Iterator<Item = Result<PointRow>>,
    w: &mut impl Write,
    shown: &str,
    _s: PhantomData<S>,
) -> Result<()> {
    let mut out = header.join(",");
    for d in 0..D {
        out.push_str(&format!(",score{d}"));
    }
    out.push_str(",status\n");
    w.write_all(out.as_bytes()).with_context(|| format!("{shown}: write failed"))?;
    let mut cache = None;
    for row in rows {
        let row = row?;
        out.clear();
        let tc = match cache {
            Some((t, tc)) if t == row.t => tc,
            _ => {
                let Some(tc) = m.time_consts(row.t) else {
                    bail!("line {}: t = {} is not a valid time", row.line, row.t);
                };
                cache = Some((row.t, tc));
                tc
            }
        };
        let (x, in_status) = to_scalar_point::<S, D>(&row.x);
        let (s, st) = m.score_prepared(&tc, &x);
        out.push_str(&row.fields.join(","));
        for v in s {
            out.push(',');
            out.push_str(&format_scalar(v));
        }
        out.push(',');
        out.push_str(st.and(in_status).as_str());
        out.push('\n');
        w.write_all(out.as_bytes()).with_context(|| format!("{shown}: write failed"))?;
    }
    Ok(())
}

/// `--scalar q8`: the int8 network (a q8 file, or a float file quantised in memory), the
/// scaling around it in `f64`.
fn run_q8(model: &Path, input: &Path, out: Option<&Path>) -> Result<()> {
    let q = super::cmd_quantize::q8_model(model)?;
    let (header, rows) = points::open(input, q.dims(), "the model")?;
    let shown = out.map_or_else(|| "standard output".to_string(), |p| p.display().to_string());
    let mut tx = output::Transaction::new();
    let mut w = tx.writer(out)?;
    match &q {
        AnyQuant::D1(q) => write_q8_table(q, &header, rows, &mut w, &shown),
        AnyQuant::D2(q) => write_q8_table(q, &header, rows, &mut w, &shown),
        AnyQuant::D3(q) => write_q8_table(q, &header, rows, &mut w, &shown),
        AnyQuant::D4(q) => write_q8_table(q, &header, rows, &mut w, &shown),
    }?;
    output::finish(w, &shown)?;
    tx.commit()
}

fn write_q8_table<const D: usize>(
    q: &QModel<D>,
    header: &[String],
    rows: impl Iterator<Item = Result<PointRow>>,
    w: &mut impl Write,
    shown: &str,
) -> Result<()> {
    let mut out = header.join(",");
    for d in 0..D {
        out.push_str(&format!(",score{d}"));
    }
    out.push_str(",status\n");
    w.write_all(out.as_bytes()).with_context(|| format!("{shown}: write failed"))?;
    for row in rows {
        let row = row?;
        out.clear();
        let Some(tc) = q.prepare::<f64>(row.t) else {
            bail!("line {}: t = {} is not a valid time", row.line, row.t);
        };
        let (x, in_status) = to_scalar_point::<f64, D>(&row.x);
        let (s, st) = q.score_prepared::<f64>(&tc, &x);
        out.push_str(&row.fields.join(","));
        for v in s {
            out.push(',');
            out.push_str(&format_scalar(v));
        }
        out.push(',');
        out.push_str(st.and(in_status).as_str());
        out.push('\n');
        w.write_all(out.as_bytes()).with_context(|| format!("{shown}: write failed"))?;
    }
    Ok(())
}
