//! Size limits of every reader, so that no input (`/dev/zero`, a wrong file) can make a
//! command read or allocate without bound. Each limit is stated in the README.

use std::io::{self, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Longest line of a CSV file (points, data): 1 MiB.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Largest mixture file: 1 MiB.
pub const MAX_MIXTURE_FILE_BYTES: u64 = 1 << 20;
/// Largest model file: 16 MiB.
pub const MAX_MODEL_FILE_BYTES: u64 = 16 << 20;
/// Largest safetensors file `import` reads: 16 MiB (the CLI's model is about 5 KiB).
pub const MAX_SAFETENSORS_BYTES: u64 = 16 << 20;

/// Read a whole file of at most `max` bytes; `kind` ("mixture file") names it in errors.
pub fn read_limited(path: &Path, max: u64, kind: &str) -> Result<Vec<u8>> {
    let what = path.display();
    let file = std::fs::File::open(path).with_context(|| format!("{what}: cannot read the {kind}"))?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).with_context(|| format!("{what}: cannot read the {kind}"))?;
    if bytes.len() as u64 > max {
        bail!("{what}: larger than {max} bytes, the limit for a {kind}");
    }
    Ok(bytes)
}

/// A reader that fails once a line runs longer than [`MAX_LINE_BYTES`].
#[derive(Debug)]
pub struct LineLimit<R> {
    inner: R,
    since_newline: usize,
}

impl<R> LineLimit<R> {
    /// Wrap `inner`.
    pub fn new(inner: R) -> Self {
        LineLimit { inner, since_newline: 0 }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in buf.iter().take(n) {
            if b == b'\n' {
                self.since_newline = 0;
            } else {
                self.since_newline += 1;
                if self.since_newline > MAX_LINE_BYTES {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("a line longer than {MAX_LINE_BYTES} bytes (is it a CSV file?)"),
                    ));
                }
            }
        }
        Ok(n)
    }
}

/// Largest `train --steps`.
pub const MAX_TRAIN_STEPS: u64 = 10_000_000;
/// Largest `train --batch`.
pub const MAX_TRAIN_BATCH: u64 = 1_000_000;
/// Largest `train --eval-samples` and `loss --samples`.
pub const MAX_LOSS_SAMPLES: u64 = 1_000_000_000;
/// Largest `sample --count`.
pub const MAX_SAMPLE_COUNT: u64 = 2_000_000;
/// Largest `sample --steps`.
pub const MAX_SAMPLE_STEPS: u64 = 1_000_000;
/// Largest `bench --points`.
pub const MAX_BENCH_POINTS: u64 = 10_000_000;
/// Largest `bench --repeats`.
pub const MAX_BENCH_REPEATS: u64 = 1000;
/// Largest `quantize --draws`.
pub const MAX_CALIBRATION_DRAWS: u64 = 10_000_000;

/// A clap value parser for a count from `MIN` to `MAX`: a clear error naming the range
/// instead of an allocation failure or a run that never ends.
pub fn count_in<T: TryFrom<u64>, const MIN: u64, const MAX: u64>(text: &str) -> Result<T, String> {
    let range = || format!("expected a whole number from {MIN} to {MAX}");
    let v: u64 = text.trim().parse().map_err(|_| range())?;
    if !(MIN..=MAX).contains(&v) {
        return Err(range());
    }
    T::try_from(v).map_err(|_| range())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_without_end_is_refused() {
        let mut r = LineLimit::new(io::repeat(0).take(3 << 20));
        let e = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(e.to_string().contains("a line longer than"));
        let ok = "a\n".repeat(1 << 20);
        assert_eq!(io::copy(&mut LineLimit::new(ok.as_bytes()), &mut io::sink()).unwrap(), 2 << 20);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn dev_zero_is_refused() {
        let e = read_limited(Path::new("/dev/zero"), MAX_MIXTURE_FILE_BYTES, "mixture file").unwrap_err();
        assert!(e.to_string().contains("larger than 1048576 bytes"), "{e}");
    }
}
