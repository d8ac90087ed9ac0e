//! Every count option has a documented maximum: a huge value is refused up front with the
//! option and the range named (exit 2), never a panic, an allocation failure or a run that
//! never ends.

use std::process::Command;

#[test]
fn huge_counts_are_refused_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.toml"), "sigma = 1.0\n[[components]]\nweight = 1.0\nmean = [0.0]\nstd = [1.0]\n")
        .unwrap();
    let cases: [(&[&str], &str); 8] = [
        (&["train", "--mixture", "m.toml", "--out", "o.tsm", "--steps"], "--steps"),
        (&["train", "--mixture", "m.toml", "--out", "o.tsm", "--batch"], "--batch"),
        (&["train", "--mixture", "m.toml", "--out", "o.tsm", "--eval-samples"], "--eval-samples"),
        (&["sample", "--mixture", "m.toml", "--count"], "--count"),
        (&["sample", "--mixture", "m.toml", "--steps"], "--steps"),
        (&["bench", "--points"], "--points"),
        (&["bench", "--repeats"], "--repeats"),
        (&["loss", "--mixture", "m.toml", "--model", "x.tsm", "--samples"], "--samples"),
    ];
    for (args, option) in cases {
        for value in ["18446744073709551615", "1000000000000", "1e12", "0.5"] {
            let o = Command::new(env!("CARGO_BIN_EXE_tinyscore"))
                .current_dir(dir.path())
                .args(args)
                .arg(value)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?} {value}: {err}");
            assert!(err.contains(option) && err.contains("expected a whole number from"), "{args:?} {value}: {err}");
        }
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no output");
}
