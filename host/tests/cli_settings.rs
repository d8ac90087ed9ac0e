//! Settings out of the working range are refused before any work, with a message that
//! names the mixture file's field or the option that causes them (not a downstream symptom:
//! a rejected start Gaussian blamed on `--t-max`, a `--t-min` nobody gave, a NaN loss
//! blamed on `--lr`), exit 1 and no output file.

use std::process::Command;

/// The README's mixture with `std` of component 0 and `sigma` replaced.
fn mixture(sigma: &str, std0: &str) -> String {
    format!(
        "sigma = {sigma}\n[[components]]\nweight = 0.25\nmean = [-2.0]\nstd = [{std0}]\n\
         [[components]]\nweight = 0.75\nmean = [1.0]\nstd = [0.3]\n"
    )
}

#[test]
fn errors_name_the_field_or_option() {
    let dir = tempfile::tempdir().unwrap();
    for (name, sigma, std0) in [
        ("m.toml", "1.0", "0.5"),
        ("big.toml", "1.0", "1e300"),
        ("small.toml", "1.0", "1e-300"),
        ("s.toml", "1e200", "0.5"),
    ] {
        std::fs::write(dir.path().join(name), mixture(sigma, std0)).unwrap();
    }
    let sample = ["sample", "--steps", "10", "--count", "5", "--output", "out.csv"];
    let train = ["train", "--steps", "5", "--out", "out.tsm"];
    let loss = ["loss", "--model", "none.tsm", "--weighting", "one", "--t-min", "0", "--samples", "100"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        ([&sample[..], &["--mixture", "big.toml"]].concat(), "big.toml: components[0].std[0] = 1e300: "),
        (
            [&sample[..], &["--mixture", "big.toml", "--scalar", "f64"]].concat(),
            "big.toml: components[0].std[0] = 1e300: ",
        ),
        (
            [&sample[..], &["--mixture", "small.toml", "--scalar", "f64"]].concat(),
            "small.toml: components[0].std[0] = 1e-300: ",
        ),
        ([&sample[..], &["--mixture", "s.toml", "--scalar", "f64"]].concat(), "s.toml: sigma = 1e200: "),
        ([&sample[..], &["--mixture", "m.toml", "--t-max", "1e300"]].concat(), "--t-max 1e300: "),
        ([&sample[..], &["--mixture", "m.toml", "--t-max", "1e300", "--sampler", "pc"]].concat(), "--t-max 1e300: "),
        ([&train[..], &["--mixture", "m.toml", "--t-max", "1e300"]].concat(), "--t-max 1e300: "),
        ([&train[..], &["--mixture", "big.toml"]].concat(), "big.toml: components[0].std[0] = 1e300: "),
        ([&train[..], &["--mixture", "small.toml"]].concat(), "small.toml: components[0].std[0] = 1e-300: "),
        ([&loss[..], &["--mixture", "m.toml", "--t-max", "1e300"]].concat(), "--t-max 1e300: "),
        (
            [&loss[..], &["--mixture", "small.toml", "--t-max", "1"]].concat(),
            "small.toml: components[0].std[0] = 1e-300: ",
        ),
    ];
    for (args, start) in cases {
        let o = Command::new(env!("CARGO_BIN_EXE_tinyscore")).current_dir(dir.path()).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.starts_with(&format!("error: {start}")), "{args:?}: {err}");
        assert!(!err.contains("--t-min") && !err.contains("--lr"), "{args:?}: {err}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 4, "no output: {left:?}");
}

#[test]
fn a_bad_ema_decay_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..40).map(|i| format!("{}\n", i as f64 * 0.1)).collect();
    std::fs::write(dir.path().join("d.csv"), format!("x0\n{rows}")).unwrap();
    for bad in ["1", "-0.5", "NaN"] {
        let o = Command::new(env!("CARGO_BIN_EXE_tinyscore"))
            .current_dir(dir.path())
            .args(["train", "--data", "d.csv", "--out", "m.tsm", "--steps", "5", "--ema", bad])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{bad}: {err}");
        assert!(err.contains(&format!("--ema {bad}")) && err.contains("[0, 1)"), "{bad}: {err}");
        assert!(!dir.path().join("m.tsm").exists());
    }
}

/// `--reference` (the stable target of `train --data`): a bad count is refused by name and
/// writes nothing, it needs `--data`, and a valid one trains.
#[test]
fn the_stable_target_reference_is_checked_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..40).map(|i| format!("{},{}\n", i as f64 * 0.1, (i % 7) as f64)).collect();
    std::fs::write(dir.path().join("d.csv"), format!("x0,x1\n{rows}")).unwrap();
    std::fs::write(dir.path().join("m.toml"), "sigma = 1.0\n[[components]]\nweight = 1.0\nmean = [0.0]\nstd = [1.0]\n")
        .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tinyscore")).current_dir(dir.path()).args(args).output().unwrap()
    };
    for bad in ["-1", "x", "2000000"] {
        let o = run(&["train", "--data", "d.csv", "--out", "m.tsm", "--steps", "5", "--reference", bad]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains("--reference"), "{bad}: {err}");
        assert!(!dir.path().join("m.tsm").exists());
    }
    for only_data in [["--reference", "8"], ["--sigma", "2"]] {
        let o =
            run(&[&["train", "--mixture", "m.toml", "--out", "m.tsm", "--steps", "5"][..], &only_data[..]].concat());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(only_data[0]) && err.contains("--mixture"), "{err}");
        assert!(!dir.path().join("m.tsm").exists());
    }
    let o = run(&[
        "train",
        "--data",
        "d.csv",
        "--out",
        "m.tsm",
        "--steps",
        "20",
        "--reference",
        "8",
        "--eval-samples",
        "100",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("m.tsm").exists());
}
