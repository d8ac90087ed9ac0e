//! `tinyscore score --mixture`: log-density and score of a mixture at the points of a CSV.

use std::marker::PhantomData;
use std::path::Path;

use anyhow::Result;
use tinyscore::mixture::GaussianMixture;
use tinyscore::score_source::MixtureScore;
use tinyscore::{Scalar, Status};

use crate::eval::ScalarKind;
use crate::numfmt::format_scalar;
use crate::points::{self, Points};
use crate::{mixture_file, output, with_mixture, with_scalar};

/// Run the command: read and check every input first, then write all output at once.
pub fn run(mixture: &Path, scalar: ScalarKind, input: &Path, out: Option<&Path>) -> Result<()> {
    let (_spec, any) = mixture_file::load(mixture)?;
    let pts = points::load(input, any.dims(), "the mixture")?;
    let text = with_mixture!(&any, gm => with_scalar!(scalar, S => score_table(gm, &pts, PhantomData::<S>)));
    output::write_atomically(out, &text)
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

/// The output table: input columns, `log_density,score0..,status`.
pub fn score_table<S: tinyscore::mixture::MixtureScalar, const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    pts: &Points,
    _scalar: PhantomData<S>,
) -> String {
    let mut out = String::new();
    out.push_str(&pts.header.join(","));
    out.push_str(",log_density");
    for d in 0..D {
        out.push_str(&format!(",score{d}"));
    }
    out.push_str(",status\n");
    let mut source = MixtureScore::<S, D, K>::new(gm);
    for row in &pts.rows {
        // t was checked (finite, >= 0) when the file was read; re-prepared only when it changes.
        let prepared = source.prepared(row.t).expect("t checked on input");
        let (x, in_status) = to_scalar_point::<S, D>(&row.x);
        let e = prepared.evaluate(&x);
        out.push_str(&row.fields.join(","));
        out.push(',');
        out.push_str(&format_scalar(e.log_density));
        for s in e.score {
            out.push(',');
            out.push_str(&format_scalar(s));
        }
        out.push(',');
        out.push_str(e.status.and(in_status).as_str());
        out.push('\n');
    }
    out
}
