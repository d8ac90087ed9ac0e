//! `tinyscore score --model`: the learned score `s_theta` at the points of a CSV file.
//!
//! Output: the input columns, then `score0,...,score{D-1},status` (`status` is `saturated`
//! if a coordinate did not fit the scalar type or the evaluation saturated).

use std::marker::PhantomData;
use std::path::Path;

use anyhow::{bail, Result};
use tinyscore::Scalar;

use super::model_io::{self, to_scalar, Model};
use crate::cmd_score::to_scalar_point;
use crate::eval::ScalarKind;
use crate::numfmt::format_scalar;
use crate::points::{self, Points};
use crate::{output, with_model, with_scalar};

/// Run the command: read and check every input first, then write all output at once.
pub fn run(model: &Path, scalar: ScalarKind, input: &Path, out: Option<&Path>) -> Result<()> {
    let loaded = model_io::load(model)?;
    let what = model.display().to_string();
    let pts = points::load(input, loaded.model.dims(), "the model")?;
    let text = with_model!(&loaded.model, m => with_scalar!(scalar, S => {
        let ms = to_scalar::<S, _>(m, &what)?;
        model_table(&ms, &pts, PhantomData::<S>)
    }))?;
    output::write_atomically(out, &text)
}

/// The output table.
pub fn model_table<S: Scalar, const D: usize>(m: &Model<S, D>, pts: &Points, _s: PhantomData<S>) -> Result<String> {
    let mut out = String::new();
    out.push_str(&pts.header.join(","));
    for d in 0..D {
        out.push_str(&format!(",score{d}"));
    }
    out.push_str(",status\n");
    let mut cache = None;
    for row in &pts.rows {
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
    }
    Ok(out)
}
