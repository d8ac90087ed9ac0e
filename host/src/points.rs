//! The points file: CSV with the header `t,x0,...,x{D-1}`, one point per row.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};

/// One row of the points file.
#[derive(Clone, Debug, PartialEq)]
pub struct PointRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// The fields as written.
    pub fields: Vec<String>,
    /// Time, `>= 0`.
    pub t: f64,
    /// Coordinates, length D.
    pub x: Vec<f64>,
}

/// A parsed points file.
#[derive(Clone, Debug, PartialEq)]
pub struct Points {
    /// The header fields.
    pub header: Vec<String>,
    /// The rows.
    pub rows: Vec<PointRow>,
}

/// The header a `D`-dimensional points file must have.
pub fn expected_header(dims: usize) -> Vec<String> {
    std::iter::once("t".to_string()).chain((0..dims).map(|d| format!("x{d}"))).collect()
}

/// Read and check a points file for `dims` dimensions; `owner` ("the mixture", "the model")
/// is what has them, as error messages say.
pub fn load(path: &Path, dims: usize, owner: &str) -> Result<Points> {
    let what = path.display().to_string();
    let file = std::fs::File::open(path).with_context(|| format!("{what}: cannot open the points file"))?;
    parse(file, dims, owner, &what)
}

/// Parse points CSV from a reader; `what` names the source in error messages.
pub fn parse<R: std::io::Read>(reader: R, dims: usize, owner: &str, what: &str) -> Result<Points> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(reader);
    let mut records = rdr.records();
    let expected = expected_header(dims);
    let header: Vec<String> = match records.next() {
        None => bail!("{what}: the file is empty; expected the header `{}`", expected.join(",")),
        Some(r) => r.map_err(|e| anyhow!("{what}: line 1: {e}"))?.iter().map(str::to_string).collect(),
    };
    if header != expected {
        bail!(
            "{what}, line 1: the header is `{}`, but {owner} has {dims} dimension(s): expected `{}`",
            header.join(","),
            expected.join(",")
        );
    }
    let mut rows = Vec::new();
    for rec in records {
        let rec = rec.map_err(|e| anyhow!("{what}: {e}"))?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() == 1 && rec.get(0) == Some("") {
            continue; // blank line
        }
        if rec.len() != dims + 1 {
            bail!("{what}, line {line}: expected {} fields (`{}`), found {}", dims + 1, expected.join(","), rec.len());
        }
        let mut values = Vec::with_capacity(dims + 1);
        for (field, name) in rec.iter().zip(&expected) {
            let v: f64 = field
                .parse()
                .map_err(|_| anyhow!("{what}, line {line}, column `{name}`: `{field}` is not a number"))?;
            if !v.is_finite() {
                bail!("{what}, line {line}, column `{name}`: `{field}` is not a finite number");
            }
            values.push(v);
        }
        let t = values[0];
        if t < 0.0 {
            bail!("{what}, line {line}, column `t`: t = {t} is negative; t must be >= 0");
        }
        rows.push(PointRow { line, fields: rec.iter().map(str::to_string).collect(), t, x: values[1..].to_vec() });
    }
    Ok(Points { header, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str, dims: usize) -> String {
        match parse(text.as_bytes(), dims, "the mixture", "p.csv") {
            Ok(p) => format!("ok {}", p.rows.len()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn errors_name_the_line_and_column() {
        assert_eq!(err("t,x0\n0,1\n0.5,-2\n", 1), "ok 2");
        assert!(err("t,x0\n0,1\n0.5,abc\n", 1).contains("line 3, column `x0`: `abc` is not a number"));
        assert!(err("t,x0\n0,1,2\n", 1).contains("line 2: expected 2 fields"));
        assert!(err("t,x0\n-1,1\n", 1).contains("line 2, column `t`"));
        assert!(err("t,x0\n0,NaN\n", 1).contains("not a finite number"));
        assert!(err("t,x0\n", 2).contains("expected `t,x0,x1`"));
        assert!(err("", 1).contains("empty"));
    }
}
