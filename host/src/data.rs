//! The data file: CSV with the header `x0,...,x{D-1}` (D = 1 to [`MAX_DIMS`]), one sample
//! per row. The same strictness as the points file: every error names the file, the line
//! and the column.
//!
//! Rows are read one at a time (the file is streamed, never read whole); the samples are
//! kept, since fitting needs several passes over them. Limit: [`MAX_ROWS`] rows.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};

use crate::dims::MAX_DIMS;
use crate::points::{csv_records, finite_field};

/// Largest number of samples a data file may hold (8 x 10^6 x D x 8 bytes of memory).
pub const MAX_ROWS: usize = 8_000_000;

/// A parsed data file: `dims` coordinates per sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    /// Dimensions D.
    pub dims: usize,
    /// The samples, each of length `dims`.
    pub rows: Vec<Vec<f64>>,
}

/// Read and check a data file.
pub fn load(path: &Path) -> Result<Data> {
    let what = path.display().to_string();
    let file = std::fs::File::open(path).with_context(|| format!("{what}: cannot open the data file"))?;
    parse(std::io::BufReader::new(file), &what)
}

/// Parse data CSV from a reader; `what` names the source in error messages.
pub fn parse<R: std::io::Read>(reader: R, what: &str) -> Result<Data> {
    let mut records = csv_records(reader);
    let header: Vec<String> = match records.next() {
        None => bail!("{what}: the file is empty; expected a header `x0` to `x0,x1,x2,x3`"),
        Some(r) => r.map_err(|e| anyhow!("{what}: line 1: {e}"))?.iter().map(str::to_string).collect(),
    };
    let dims = header.len();
    let expected: Vec<String> = (0..dims).map(|d| format!("x{d}")).collect();
    if dims == 0 || dims > MAX_DIMS || header != expected {
        bail!(
            "{what}, line 1: the header is `{}`; expected `x0,...,x{{D-1}}` with D from 1 to {MAX_DIMS} (e.g. `x0,x1`)",
            header.join(",")
        );
    }
    let mut rows = Vec::new();
    for rec in records {
        let rec = rec.map_err(|e| anyhow!("{what}: {e}"))?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() == 1 && rec.get(0) == Some("") {
            continue; // blank line
        }
        if rec.len() != dims {
            bail!("{what}, line {line}: expected {dims} fields (`{}`), found {}", expected.join(","), rec.len());
        }
        if rows.len() == MAX_ROWS {
            bail!("{what}, line {line}: more than {MAX_ROWS} samples; split or subsample the data");
        }
        let mut x = Vec::with_capacity(dims);
        for (field, name) in rec.iter().zip(&expected) {
            x.push(finite_field(field, what, line, name)?);
        }
        rows.push(x);
    }
    if rows.is_empty() {
        bail!("{what}: no samples after the header");
    }
    Ok(Data { dims, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match parse(text.as_bytes(), "d.csv") {
            Ok(d) => format!("ok {} {}", d.dims, d.rows.len()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn errors_name_the_line_and_column() {
        assert_eq!(err("x0,x1\n0,1\n0.5,-2\n\n"), "ok 2 2");
        assert!(err("x0\n1\nabc\n").contains("d.csv, line 3, column `x0`: `abc` is not a number"));
        assert!(err("x0\n1,2\n").contains("line 2: expected 1 fields"));
        assert!(err("x0,x1\n0,inf\n").contains("line 2, column `x1`: `inf` is not a finite number"));
        assert!(err("t,x0\n0,1\n").contains("line 1: the header is `t,x0`"));
        assert!(err("x0,x1,x2,x3,x4\n1,2,3,4,5\n").contains("D from 1 to 4"));
        assert!(err("x0\n").contains("no samples"));
        assert!(err("").contains("empty"));
    }
}
