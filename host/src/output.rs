//! Output that never leaves a partial file: everything is written to a temporary file in
//! the destination's folder, which replaces the destination only when complete.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Write `content` to `path` atomically, or to stdout when `path` is `None`.
pub fn write_atomically(path: Option<&Path>, content: &str) -> Result<()> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(content.as_bytes()).context("cannot write to stdout")?;
            out.flush().context("cannot write to stdout")
        }
        Some(p) => write_bytes_atomically(p, content.as_bytes()),
    }
}

/// Write bytes to `path` atomically.
pub fn write_bytes_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let what = path.display();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("{what}: cannot create a file in {}", dir.display()))?;
    tmp.write_all(content).with_context(|| format!("{what}: write failed"))?;
    // Temporary files are private (0600); the result gets the usual permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path).map_err(|e| e.error).with_context(|| format!("{what}: cannot write the file"))?;
    Ok(())
}
