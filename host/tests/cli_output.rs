//! What a command leaves on disk, whatever happens: outputs committed together or not at all,
//! nothing left behind on an error or an interrupt, special files written through (never
//! replaced), links followed, permissions kept, and memory flat on a long points file.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const MIXTURE: &str = "sigma = 1.0\n[[components]]\nweight = 0.5\nmean = [-1.0]\nstd = [0.5]\n\
                       [[components]]\nweight = 0.5\nmean = [1.0]\nstd = [0.3]\n";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tinyscore")
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin()).current_dir(dir).args(args).output().unwrap()
}

fn setup(rows: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.toml"), MIXTURE).unwrap();
    let mut p = String::from("t,x0\n");
    for i in 0..rows {
        p.push_str(&format!("{},{}\n", (i % 97) as f64 / 50.0, (i % 1013) as f64 / 100.0 - 5.0));
    }
    std::fs::write(dir.path().join("p.csv"), p).unwrap();
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn score_to(dir: &Path, out: &str) -> Output {
    run(dir, &["score", "--mixture", "m.toml", "--input", "p.csv", "--output", out])
}

#[test]
fn sample_is_all_or_nothing() {
    let dir = setup(1);
    std::fs::write(dir.path().join("s.csv"), "old").unwrap();
    std::fs::create_dir(dir.path().join("s.svg")).unwrap();
    let o = run(dir.path(), &["sample", "--mixture", "m.toml", "--count", "100", "--steps", "20", "--output", "s.csv"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("s.svg: is a directory"), "{o:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join("s.csv")).unwrap(), "old");
    assert_eq!(names(dir.path()), ["m.toml", "p.csv", "s.csv", "s.svg"]);
}

#[test]
fn train_is_all_or_nothing() {
    let dir = setup(1);
    std::fs::write(dir.path().join("k.tsm"), "old").unwrap();
    std::fs::create_dir(dir.path().join("k.tsm.bins.svg")).unwrap();
    let o = run(
        dir.path(),
        &["train", "--mixture", "m.toml", "--out", "k.tsm", "--steps", "20", "--batch", "8", "--eval-samples", "200"],
    );
    assert!(!o.status.success(), "{o:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join("k.tsm")).unwrap(), "old");
    assert_eq!(names(dir.path()), ["k.tsm", "k.tsm.bins.svg", "m.toml", "p.csv"]);
}

#[cfg(target_os = "linux")]
#[test]
fn special_files_are_written_through_links_followed_permissions_kept() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let dir = setup(10);
    let d = dir.path();
    // A FIFO: read by another process, stays a FIFO.
    let fifo = d.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = Command::new("cat").arg(&fifo).stdout(Stdio::piped()).spawn().unwrap();
    assert!(score_to(d, "fifo").status.success());
    let text = String::from_utf8(reader.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(text.lines().count(), 11);
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    // A device: written through, and a full device is an error.
    assert!(score_to(d, "/dev/null").status.success());
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    let o = score_to(d, "/dev/full");
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("/dev/full: write failed"));
    // A link: the target is replaced, the link stays; a 0600 file stays 0600.
    std::fs::write(d.join("real.csv"), "old").unwrap();
    std::fs::set_permissions(d.join("real.csv"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("real.csv", d.join("link.csv")).unwrap();
    assert!(score_to(d, "link.csv").status.success());
    assert!(std::fs::symlink_metadata(d.join("link.csv")).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(d.join("real.csv")).unwrap().starts_with("t,x0,log_density"));
    assert_eq!(std::fs::metadata(d.join("real.csv")).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(names(d), ["fifo", "link.csv", "m.toml", "p.csv", "real.csv"]);
}

#[cfg(target_os = "linux")]
#[test]
fn an_interrupt_leaves_nothing_behind() {
    let dir = setup(400_000);
    let d = dir.path();
    std::fs::write(d.join("out.csv"), "old").unwrap();
    for signal in ["TERM", "INT"] {
        let mut child = Command::new(bin())
            .current_dir(d)
            .args(["score", "--mixture", "m.toml", "--input", "p.csv", "--output", "out.csv"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the staged output exists (the run is under way), then interrupt.
        let start = std::time::Instant::now();
        while !names(d).iter().any(|n| n.starts_with(".tinyscore-")) && start.elapsed().as_secs() < 20 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let kill = Command::new("kill").args([format!("-{signal}"), child.id().to_string()]).status().unwrap();
        assert!(kill.success());
        let status = child.wait().unwrap();
        if status.success() {
            continue; // finished before the signal arrived: nothing to check
        }
        assert_eq!(status.code(), Some(130), "{signal}");
        assert_eq!(std::fs::read_to_string(d.join("out.csv")).unwrap(), "old", "{signal}");
        assert_eq!(names(d), ["m.toml", "out.csv", "p.csv"], "{signal}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn unbounded_inputs_are_refused() {
    let dir = setup(1);
    let d = dir.path();
    let o = run(d, &["score", "--mixture", "/dev/zero", "--input", "p.csv"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("/dev/zero: larger than 1048576 bytes"), "{o:?}");
    let o = run(d, &["score", "--mixture", "m.toml", "--input", "/dev/zero"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("a line longer than"), "{o:?}");
    let o = run(d, &["score", "--model", "/dev/zero", "--input", "p.csv"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("/dev/zero: larger than"), "{o:?}");
    assert_eq!(names(d), ["m.toml", "p.csv"]);
}
