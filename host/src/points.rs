//! The points file: CSV with the header `t,x0,...,x{D-1}`, one point per row, read as a
//! stream ([`open`]) so that memory does not grow with the file; lines are limited to
//! [`MAX_LINE_BYTES`](crate::limits::MAX_LINE_BYTES).

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};

use crate::limits::LineLimit;

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
/// is what has them, as error messages say. Holds every row: for large files use [`open`].
pub fn load(path: &Path, dims: usize, owner: &str) -> Result<Points> {
    let (header, rows) = open(path, dims, owner)?;
    Ok(Points { header, rows: rows.collect::<Result<_>>()? })
}

/// Parse points CSV from a reader; `what` names the source in error messages.
pub fn parse<R: std::io::Read>(reader: R, dims: usize, owner: &str, what: &str) -> Result<Points> {
    let (header, rows) = stream(reader, dims, owner, what)?;
    Ok(Points { header, rows: rows.collect::<Result<_>>()? })
}

/// Open a points file and check its header; the rows are read one at a time as the
/// returned iterator is advanced (memory stays flat whatever the file's length).
pub fn open(path: &Path, dims: usize, owner: &str) -> Result<(Vec<String>, PointRows<std::fs::File>)> {
    let what = path.display().to_string();
    let file = std::fs::File::open(path).with_context(|| format!("{what}: cannot open the points file"))?;
    stream(file, dims, owner, &what)
}

/// The rows of a points file, each checked as it is read.
pub struct PointRows<R: std::io::Read> {
    records: csv::StringRecordsIntoIter<LineLimit<R>>,
    expected: Vec<String>,
    what: String,
}

/// The records of a CSV file as the readers here take them: no header handling, rows of
/// any width (each reader checks its own), fields trimmed, lines limited in length.
pub fn csv_records<R: std::io::Read>(reader: R) -> csv::StringRecordsIntoIter<LineLimit<R>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(LineLimit::new(reader))
        .into_records()
}

/// A CSV field as a finite `f64`, or an error naming the source, line and column.
pub fn finite_field(field: &str, what: &str, line: u64, column: &str) -> Result<f64> {
    let v: f64 =
        field.parse().map_err(|_| anyhow!("{what}, line {line}, column `{column}`: `{field}` is not a number"))?;
    if !v.is_finite() {
        bail!("{what}, line {line}, column `{column}`: `{field}` is not a finite number");
    }
    Ok(v)
}

/// Check the header of points CSV from a reader and return the rows to come.
pub fn stream<R: std::io::Read>(
    reader: R,
    dims: usize,
    owner: &str,
    what: &str,
) -> Result<(Vec<String>, PointRows<R>)> {
    let mut records = csv_records(reader);
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
    Ok((header, PointRows { records, expected, what: what.to_string() }))
}

impl<R: std::io::Read> PointRows<R> {
    fn check(&self, rec: csv::StringRecord) -> Result<Option<PointRow>> {
        let what = &self.what;
        let expected = &self.expected;
        let dims = expected.len() - 1;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() == 1 && rec.get(0) == Some("") {
            return Ok(None); // blank line
        }
        if rec.len() != dims + 1 {
            bail!("{what}, line {line}: expected {} fields (`{}`), found {}", dims + 1, expected.join(","), rec.len());
        }
        let mut values = Vec::with_capacity(dims + 1);
        for (field, name) in rec.iter().zip(expected) {
            values.push(finite_field(field, what, line, name)?);
        }
        let t = values[0];
        if t < 0.0 {
            bail!("{what}, line {line}, column `t`: t = {t} is negative; t must be >= 0");
        }
        Ok(Some(PointRow { line, fields: rec.iter().map(str::to_string).collect(), t, x: values[1..].to_vec() }))
    }
}

impl<R: std::io::Read> Iterator for PointRows<R> {
    type Item = Result<PointRow>;

    fn next(&mut self) -> Option<Result<PointRow>> {
        loop {
            let rec = match self.records.next()? {
                Ok(r) => r,
                Err(e) => return Some(Err(anyhow!("{}: {e}", self.what))),
            };
            match self.check(rec) {
                Ok(Some(row)) => return Some(Ok(row)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
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
