//! Output that is committed whole or not at all, and never leaves a file behind.
//!
//! A command stages every file it writes in one [`Transaction`]: each destination gets a
//! temporary file (beside a regular destination, so that the final step is a rename; in the
//! system's temporary folder for standard output, a device or a FIFO), the command writes
//! into those, and [`Transaction::commit`] puts them all in place at the end:
//!
//! * a regular file (or a new one) is replaced by a rename, keeping the old file's
//!   permissions; if one of several renames fails, the files already replaced get their old
//!   content back;
//! * a symbolic link is followed: the file it points to is replaced, the link stays;
//! * a character device or a FIFO (`/dev/null`, a pipe) is written through, never replaced,
//!   and a write error (`/dev/full`) is reported;
//! * a directory is refused when it is staged, before anything is written.
//!
//! If the command fails, the transaction is dropped and its temporary files are removed;
//! if the process is interrupted (SIGINT, SIGTERM, SIGHUP: [`install_interrupt_handler`]),
//! the handler removes them before it exits with status 130. Destinations keep their old
//! content in both cases.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};

/// Temporary files alive in this process: removed by the interrupt handler. Held during the
/// renames of a commit, so that an interrupt waits for them to finish.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Remove every registered temporary file and exit with status 130 on SIGINT, SIGTERM or
/// SIGHUP. Call once at start-up; later calls do nothing.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        let temps = TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner());
        for p in temps.iter() {
            let _ = std::fs::remove_file(p);
        }
        eprintln!("interrupted: no output written");
        std::process::exit(130);
    });
}

fn register(p: &Path) {
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner()).push(p.to_path_buf());
}

fn unregister(p: &Path) {
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner()).retain(|q| q != p);
}

/// How a staged file reaches its destination.
#[derive(Debug)]
enum Target {
    /// Rename over this path (a regular file, or none yet); the permissions to keep.
    Replace { path: PathBuf, mode: Option<std::fs::Permissions> },
    /// Copy into this device or FIFO.
    WriteThrough(PathBuf),
    /// Copy to standard output.
    Stdout,
}

#[derive(Debug)]
struct Staged {
    /// The destination as the user named it (for messages).
    shown: String,
    temp: PathBuf,
    target: Target,
}

/// Files staged to be committed together (see the module documentation).
#[derive(Debug, Default)]
pub struct Transaction {
    staged: Vec<Staged>,
}

/// Follow symbolic links (at most 40) to the path that is to be written.
fn resolve(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p).with_context(|| format!("{}: cannot read the link", p.display()))?;
                p = match p.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(p),
        }
    }
    bail!("{}: too many levels of symbolic links", path.display())
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

impl Transaction {
    /// An empty transaction.
    pub fn new() -> Self {
        Transaction::default()
    }

    /// Stage `dest` (`None`: standard output) and return the temporary path to write it to.
    /// Fails, naming `dest`, if it is a directory or its folder cannot take a new file.
    pub fn path_for(&mut self, dest: Option<&Path>) -> Result<PathBuf> {
        let (shown, target, folder) = match dest {
            None => ("standard output".to_string(), Target::Stdout, std::env::temp_dir()),
            Some(d) => {
                let shown = d.display().to_string();
                let real = resolve(d)?;
                match std::fs::metadata(&real) {
                    Ok(m) if m.is_dir() => bail!("{shown}: is a directory; give a file name"),
                    Ok(m) if m.is_file() => {
                        let folder = folder_of(&real).to_path_buf();
                        (shown, Target::Replace { path: real, mode: Some(m.permissions()) }, folder)
                    }
                    Ok(_) => (shown, Target::WriteThrough(real), std::env::temp_dir()),
                    Err(_) => {
                        let folder = folder_of(&real).to_path_buf();
                        (shown, Target::Replace { path: real, mode: None }, folder)
                    }
                }
            }
        };
        let temp = tempfile::Builder::new()
            .prefix(".tinyscore-")
            .tempfile_in(&folder)
            .with_context(|| format!("{shown}: cannot create a file in {}", folder.display()))?
            .into_temp_path();
        // The file stays until commit or drop; the registry removes it on an interrupt.
        let temp = temp.keep().with_context(|| format!("{shown}: cannot create a temporary file"))?;
        register(&temp);
        self.staged.push(Staged { shown, temp: temp.clone(), target });
        Ok(temp)
    }

    /// Stage `dest` and return a buffered writer to its temporary file.
    pub fn writer(&mut self, dest: Option<&Path>) -> Result<BufWriter<File>> {
        let shown = dest.map_or_else(|| "standard output".to_string(), |d| d.display().to_string());
        let p = self.path_for(dest)?;
        let f = File::create(&p).with_context(|| format!("{shown}: cannot write"))?;
        Ok(BufWriter::with_capacity(1 << 16, f))
    }

    /// Stage `dest` with this content.
    pub fn stage(&mut self, dest: Option<&Path>, content: &[u8]) -> Result<()> {
        let shown = dest.map_or_else(|| "standard output".to_string(), |d| d.display().to_string());
        let mut w = self.writer(dest)?;
        w.write_all(content).with_context(|| format!("{shown}: write failed"))?;
        finish(w, &shown)
    }

    /// Put every staged file in place (module documentation). On an error, the
    /// destinations replaced so far get their old content back.
    pub fn commit(mut self) -> Result<()> {
        let staged = std::mem::take(&mut self.staged);
        let guard = TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner());
        let renamed = rename_all(&staged);
        drop(guard);
        // Devices, FIFOs and standard output are written outside the lock (a slow reader
        // must not hold off an interrupt); their temporary files are still registered.
        let result = renamed.and_then(|()| write_through_all(&staged));
        for s in &staged {
            let _ = std::fs::remove_file(&s.temp);
            unregister(&s.temp);
        }
        result
    }
}

/// Flush a staged writer and report a write error (disk full) naming the destination.
pub fn finish(w: BufWriter<File>, shown: &str) -> Result<()> {
    let f = w.into_inner().map_err(|e| e.into_error()).with_context(|| format!("{shown}: write failed"))?;
    f.sync_all().with_context(|| format!("{shown}: write failed"))
}

fn copy_into(src: &Path, dst: &mut dyn Write, shown: &str) -> Result<()> {
    let mut f = File::open(src).with_context(|| format!("{shown}: cannot read the staged output"))?;
    std::io::copy(&mut f, dst).with_context(|| format!("{shown}: write failed"))?;
    dst.flush().with_context(|| format!("{shown}: write failed"))
}

/// Every rename (undone on failure).
fn rename_all(staged: &[Staged]) -> Result<()> {
    // Old contents are moved aside, then the new files renamed in; on a failure the old
    // ones go back.
    let mut done: Vec<(&Path, Option<PathBuf>)> = Vec::new();
    let mut failure = None;
    for s in staged {
        let Target::Replace { path, mode } = &s.target else { continue };
        if let Some(mode) = mode {
            let _ = std::fs::set_permissions(&s.temp, mode.clone());
        } else {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&s.temp, std::fs::Permissions::from_mode(0o644));
            }
        }
        let backup = if path.exists() {
            let b = folder_of(path).join(format!(
                ".tinyscore-old-{}-{}",
                std::process::id(),
                path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            ));
            if let Err(e) = std::fs::rename(path, &b) {
                failure = Some(anyhow::Error::new(e).context(format!("{}: cannot replace the file", s.shown)));
                break;
            }
            Some(b)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&s.temp, path) {
            if let Some(b) = &backup {
                let _ = std::fs::rename(b, path);
            }
            failure = Some(anyhow::Error::new(e).context(format!("{}: cannot write the file", s.shown)));
            break;
        }
        done.push((path, backup));
    }
    if let Some(e) = failure {
        for (path, backup) in done.into_iter().rev() {
            match backup {
                Some(b) => {
                    let _ = std::fs::rename(b, path);
                }
                None => {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
        return Err(e);
    }
    for (_, backup) in done {
        if let Some(b) = backup {
            let _ = std::fs::remove_file(b);
        }
    }
    Ok(())
}

/// The copies to devices, FIFOs and standard output.
fn write_through_all(staged: &[Staged]) -> Result<()> {
    for s in staged {
        match &s.target {
            Target::WriteThrough(dev) => {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(dev)
                    .with_context(|| format!("{}: cannot open for writing", s.shown))?;
                copy_into(&s.temp, &mut f, &s.shown)?;
            }
            Target::Stdout => copy_into(&s.temp, &mut std::io::stdout().lock(), &s.shown)?,
            Target::Replace { .. } => {}
        }
    }
    Ok(())
}

impl Drop for Transaction {
    fn drop(&mut self) {
        for s in &self.staged {
            let _ = std::fs::remove_file(&s.temp);
            unregister(&s.temp);
        }
    }
}

/// Write `content` to `path` (standard output when `None`) as a one-file transaction.
pub fn write_atomically(path: Option<&Path>, content: &str) -> Result<()> {
    let mut tx = Transaction::new();
    tx.stage(path, content.as_bytes())?;
    tx.commit()
}

/// Write bytes to `path` as a one-file transaction.
pub fn write_bytes_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let mut tx = Transaction::new();
    tx.stage(Some(path), content)?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_or_nothing_when_a_destination_is_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        std::fs::write(&a, "old").unwrap();
        std::fs::create_dir(dir.path().join("a.svg")).unwrap();
        let mut tx = Transaction::new();
        tx.stage(Some(&a), b"new").unwrap();
        let e = tx.stage(Some(&dir.path().join("a.svg")), b"plot").unwrap_err();
        assert!(format!("{e:#}").contains("a.svg: is a directory"), "{e:#}");
        drop(tx);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "leftover files: {names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_permissions_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink("real.csv", &link).unwrap();
        write_atomically(Some(&link), "new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_are_written_through_and_write_errors_reported() {
        write_atomically(Some(Path::new("/dev/null")), "discarded").unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
        let e = write_atomically(Some(Path::new("/dev/full")), "x").unwrap_err();
        assert!(format!("{e:#}").contains("/dev/full: write failed"), "{e:#}");
    }
}
