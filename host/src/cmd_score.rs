//! `tinyscore score --mixture`: log-density and score of a mixture at the points of a CSV,
//! streamed (memory stays flat whatever the number of rows).

use std::marker::PhantomData;
use std::path::Path;

use std::io::Write;

use anyhow::{bail, Context, Result};
use tinyscore::mixture::GaussianMixture;
use tinyscore::score_source::MixtureScore;
use tinyscore::{Scalar, Status};

use crate::eval::ScalarKind;
use crate::numfmt::format_scalar;
use crate::points::{self, PointRow};
use crate::{mixture_file, output, with_mixture, with_scalar};

/// Run the command: the points are read, evaluated and written one row at a time into a
/// staged output, which replaces the destination only once every row is done (on an error
/// in any row, nothing is written).
pub fn run(mixture: &Path, scalar: ScalarKind, input: &Path, out: Option<&Path>) -> Result<()> {
    let (_spec, any) = mixture_file::load(mixture)?;
    let (header, rows) = points::open(input, any.dims(), "the mixture")?;
    let shown = out.map_or_else(|| "standard output".to_string(), |p| p.display().to_string());
    let mut tx = output::Transaction::new();
    let mut w = tx.writer(out)?;
    with_mixture!(&any, gm => with_scalar!(scalar, S => write_score_table(gm, &header, rows, &mut w, &shown, PhantomData::<S>)))?;
    output::finish(w, &shown)?;
    tx.commit()
}

/// Convert coordinates to `S`, reporting whether any was out of the type's range.
pub fn to_scalar_point<S: Scalar, const D: usize>(x: &[f64]) -> ([S; D], Status) {
    let mut p = [S::default(); D];
    let mut status = Status::Ok;
    for (dst, &v) in p.iter_mut().zip(x) {
        let (s, st) = S::from_f64(v);
        *dst = s;
        status = status.and(st);
    }
    (p, status)
}

/// Write the output table: input columns, `log_density,score0..,status`; `shown` names the
/// destination in write errors.
pub fn write_score_table<S: tinyscore::mixture::MixtureScalar, const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    header: &[String],
    rows: impl Iterator<Item = Result<PointRow>>,
    w: &mut impl Write,
    shown: &str,
    _scalar: PhantomData<S>,
) -> Result<()> {
    let mut line = header.join(",");
    line.push_str(",log_density");
    for d in 0..D {
        line.push_str(&format!(",score{d}"));
    }
    line.push_str(",status\n");
    w.write_all(line.as_bytes()).with_context(|| format!("{shown}: write failed"))?;
    let mut source = MixtureScore::<S, D, K>::new(gm);
    for row in rows {
        let row = row?;
        line.clear();
        let Some(prepared) = source.prepared(row.t) else {
            bail!("line {}: t = {} is not a valid time", row.line, row.t);
        };
        let (x, in_status) = to_scalar_point::<S, D>(&row.x);
        let e = prepared.evaluate(&x);
        line.push_str(&row.fields.join(","));
        line.push(',');
        line.push_str(&format_scalar(e.log_density));
        for s in e.score {
            line.push(',');
            line.push_str(&format_scalar(s));
        }
        line.push(',');
        line.push_str(e.status.and(in_status).as_str());
        line.push('\n');
        w.write_all(line.as_bytes()).with_context(|| format!("{shown}: write failed"))?;
    }
    Ok(())
}
