//! `tinyscore quantize` and `--scalar q8`: the calibration table, and bad inputs refused
//! with a message naming the option or file (exit 1, or clap's 2 for a bad value).

use std::path::PathBuf;
use std::process::{Command, Output};

fn tinyscore(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tinyscore")).current_dir(dir).args(args).output().unwrap()
}

/// The firmware's 1-D model (H = 32, L = 1) and the mixture it was trained on.
fn fixtures() -> (PathBuf, PathBuf) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../firmware/programme/models");
    (root.join("default_1d.tsm"), root.join("default_1d.toml"))
}

#[test]
fn quantize_prints_the_calibration_table() {
    let dir = tempfile::tempdir().unwrap();
    let (model, mixture) = fixtures();
    let (model, mixture) = (model.to_str().unwrap(), mixture.to_str().unwrap());
    for args in [
        vec!["quantize", "--model", model, "--draws", "300"],
        vec!["quantize", "--model", model, "--draws", "300", "--mixture", mixture, "--seed", "4"],
    ] {
        let o = tinyscore(dir.path(), &args);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(out.starts_with("calibration: 300 draws, t uniform in [0, 1], x from "), "{out}");
        for layer in ["hidden 0 ", "hidden 1 ", "output "] {
            assert!(out.lines().any(|l| l.starts_with(layer)), "{layer}: {out}");
        }
    }
}

#[test]
fn bad_inputs_name_the_option_or_file() {
    let dir = tempfile::tempdir().unwrap();
    let (model, mixture) = fixtures();
    let (model, mixture) = (model.to_str().unwrap(), mixture.to_str().unwrap());
    std::fs::write(dir.path().join("pts.csv"), "t,x0\n0.5,1.0\n").unwrap();
    std::fs::write(
        dir.path().join("quad2.toml"),
        std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/learned-mixtures/quad_2d.toml"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut bad = std::fs::read(model).unwrap();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    std::fs::write(dir.path().join("bad.tsm"), &bad).unwrap();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["quantize", "--model", model, "--draws", "0"], 2, "invalid value '0' for '--draws <DRAWS>'"),
        (vec!["quantize", "--model", model, "--draws", "1e9"], 2, "invalid value '1e9' for '--draws <DRAWS>'"),
        (vec!["quantize", "--model", model, "--t-max", "-1"], 1, "--t-min 0 --t-max -1: need 0 <= t-min < t-max"),
        (vec!["quantize", "--model", "bad.tsm"], 1, "bad.tsm: checksum mismatch"),
        (
            vec!["quantize", "--model", model, "--mixture", "quad2.toml"],
            1,
            "the model has 1 dimension(s), the mixture 2",
        ),
        (
            vec!["score", "--mixture", mixture, "--scalar", "q8", "--input", "pts.csv"],
            1,
            "--scalar q8 is the int8 network of a learned model: give --model",
        ),
        (
            vec!["sample", "--mixture", mixture, "--scalar", "q8", "--steps", "5", "--count", "3", "--output", "s.csv"],
            1,
            "--scalar q8 is the int8 network of a learned model: give --model",
        ),
    ];
    for (args, code, msg) in cases {
        let o = tinyscore(dir.path(), &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 3, "no output written: {left:?}");
}

/// A q8 file written by `quantize --out` scores within its printed error bound of the
/// `f64` model it came from; the same network quantised in memory from the float file
/// gives the same scores; a corrupted or truncated q8 file is refused, naming the file.
#[test]
fn q8_file_scores_within_its_bound() {
    let dir = tempfile::tempdir().unwrap();
    let (model, mixture) = fixtures();
    let (model, mixture) = (model.to_str().unwrap(), mixture.to_str().unwrap());
    let o = tinyscore(dir.path(), &["quantize", "--model", model, "--out", "q.tsm"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    let bound: f64 = text
        .split("|score error| <= ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("{text}"))
        .parse()
        .unwrap();
    let mut pts = String::from("t,x0\n");
    for i in 0..40 {
        pts.push_str(&format!("{},{}\n", 0.02 + 0.024 * i as f64, -2.0 + 0.1 * i as f64));
    }
    std::fs::write(dir.path().join("p.csv"), pts).unwrap();
    let score = |args: &[&str]| {
        let o = tinyscore(dir.path(), args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(2).unwrap().parse::<f64>().unwrap())
            .collect::<Vec<_>>()
    };
    let f = score(&["score", "--model", model, "--scalar", "f64", "--input", "p.csv"]);
    let q = score(&["score", "--model", "q.tsm", "--scalar", "q8", "--input", "p.csv"]);
    let mem = tinyscore(dir.path(), &["score", "--model", model, "--scalar", "q8", "--input", "p.csv"]);
    assert!(String::from_utf8_lossy(&mem.stderr).contains("quantised to q8 in memory"));
    let worst = f.iter().zip(&q).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(worst <= bound, "{worst} > {bound}");
    assert!(worst > 0.0, "q8 should differ from f64 somewhere");
    let mut bytes = std::fs::read(dir.path().join("q.tsm")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x21;
    std::fs::write(dir.path().join("bad.tsm"), &bytes).unwrap();
    std::fs::write(dir.path().join("short.tsm"), &bytes[..bytes.len() - 7]).unwrap();
    for (file, msg) in
        [("bad.tsm", "bad.tsm: "), ("short.tsm", "short.tsm: "), ("q.tsm", "it runs with --scalar q8 only")]
    {
        let scalar = if file == "q.tsm" { "f32" } else { "q8" };
        let o = tinyscore(dir.path(), &["score", "--model", file, "--scalar", scalar, "--input", "p.csv"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains(msg), "{file}: {err}");
    }
    let _ = mixture;
}

/// `loss --scalar q8`: the Monte Carlo estimate and the quadrature (two independent
/// algorithms) agree for the int8 network, and its loss is near the float model's (5.34e-5
/// against 5.32e-5, `loss --scalar q8` on the firmware's model).
#[test]
fn loss_of_the_q8_network() {
    let dir = tempfile::tempdir().unwrap();
    let (model, mixture) = fixtures();
    let q8 = model.with_file_name("default_1d_q8.tsm");
    let (model, mixture, q8) = (model.to_str().unwrap(), mixture.to_str().unwrap(), q8.to_str().unwrap());
    let loss = |m: &str, scalar: &str| -> (f64, f64, f64) {
        let o = tinyscore(
            dir.path(),
            &["loss", "--mixture", mixture, "--model", m, "--scalar", scalar, "--samples", "20000", "--json"],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8_lossy(&o.stdout);
        let json = out.lines().last().unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {out}"));
        let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k}: {out}"));
        (f("estimate"), f("std_error"), f("quadrature"))
    };
    let (mc, se, quad) = loss(q8, "q8");
    assert!((mc - quad).abs() <= 4.0 * se, "q8: Monte Carlo {mc} +- {se}, quadrature {quad}");
    let (_, _, quad_f32) = loss(model, "f32");
    assert!((quad - quad_f32).abs() <= 0.5 * quad_f32, "q8 {quad}, f32 {quad_f32}");
}
