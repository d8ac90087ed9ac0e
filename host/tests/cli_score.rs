//! The `score` command's contract: output format, exact round trip, and a clear error
//! (naming the file and field or line), a non-zero exit and no output file on bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

use tinyscore::mixture::{Component, GaussianMixture};

const GOOD_MIXTURE: &str = "sigma = 1.0\n\
[[components]]\nweight = 0.25\nmean = [-2.0]\nstd = [0.5]\n\
[[components]]\nweight = 0.75\nmean = [1.0]\nstd = [0.3]\n";

const GOOD_POINTS: &str = "t,x0\n0,0.5\n0.5,-1.25\n1,40\n";

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(mixture: &str, points: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("m.toml"), mixture).unwrap();
        std::fs::write(dir.path().join("p.csv"), points).unwrap();
        Case { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn run(&self, scalar: &str) -> Output {
        run(&[
            "score",
            "--mixture",
            self.path("m.toml").to_str().unwrap(),
            "--scalar",
            scalar,
            "--input",
            self.path("p.csv").to_str().unwrap(),
            "--output",
            self.path("out.csv").to_str().unwrap(),
        ])
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tinyscore")).args(args).output().expect("run tinyscore")
}

/// Run a bad case: it must fail, leave no output file, and say `needles` on stderr.
fn rejects(mixture: &str, points: &str, needles: &[&str]) {
    let case = Case::new(mixture, points);
    let out = case.run("f32");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted: {mixture}\n{points}");
    assert!(!case.path("out.csv").exists(), "left an output file");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks `{n}`: {err}");
    }
}

#[test]
fn output_has_the_contract_columns_and_reads_back_exactly() {
    let case = Case::new(GOOD_MIXTURE, GOOD_POINTS);
    let gm = GaussianMixture::<1, 2>::new(
        1.0,
        &[Component { weight: 0.25, mean: [-2.0], std: [0.5] }, Component { weight: 0.75, mean: [1.0], std: [0.3] }],
    )
    .unwrap();
    for scalar in ["f64", "f32", "i16f16", "i8f24"] {
        let out = case.run(scalar);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(case.path("out.csv")).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("t,x0,log_density,score0,status"));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 3);
        for r in &rows {
            let t: f64 = r[0].parse().unwrap();
            let x: f64 = r[1].parse().unwrap();
            let (ld, s) = match scalar {
                "f64" => {
                    let e = gm.prepare::<f64>(t).unwrap().evaluate(&[x]);
                    (e.log_density, e.score[0])
                }
                "f32" => {
                    let e = gm.prepare::<f32>(t).unwrap().evaluate(&[x as f32]);
                    (e.log_density as f64, e.score[0] as f64)
                }
                "i16f16" => {
                    let e =
                        gm.prepare::<fixed::types::I16F16>(t).unwrap().evaluate(&[fixed::types::I16F16::from_num(x)]);
                    (e.log_density.to_num(), e.score[0].to_num())
                }
                _ => {
                    let e = gm.prepare::<fixed::types::I8F24>(t).unwrap().evaluate(&[fixed::types::I8F24::from_num(x)]);
                    (e.log_density.to_num(), e.score[0].to_num())
                }
            };
            // Printed values parse back to exactly the computed ones.
            let read = |text: &str| -> f64 {
                if scalar == "f32" {
                    text.parse::<f32>().unwrap() as f64
                } else {
                    text.parse::<f64>().unwrap()
                }
            };
            assert_eq!(read(r[2]), ld, "{scalar} {r:?}");
            assert_eq!(read(r[3]), s, "{scalar} {r:?}");
        }
        // x = 40 at t = 1: log p is about -370, beyond I8F24's range: saturated, said so.
        let last = rows[2][4];
        assert_eq!(last, if scalar == "i8f24" { "saturated" } else { "ok" }, "{scalar}");
    }
}

#[test]
fn stdout_without_output_flag() {
    let case = Case::new(GOOD_MIXTURE, GOOD_POINTS);
    let out = run(&[
        "score",
        "--mixture",
        case.path("m.toml").to_str().unwrap(),
        "--input",
        case.path("p.csv").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("t,x0,log_density,score0,status\n0,0.5,"));
}

#[test]
fn bad_mixtures_are_rejected_with_the_field_named() {
    let g = GOOD_MIXTURE;
    let p = GOOD_POINTS;
    rejects(&g.replace("std = [0.3]", "std = [-0.3]"), p, &["m.toml", "components[1].std[0] must be > 0"]);
    rejects(&g.replace("std = [0.3]", "std = [0.0]"), p, &["m.toml", "components[1].std[0]"]);
    rejects(&g.replace("mean = [1.0]", "mean = [nan]"), p, &["m.toml", "components[1].mean[0]", "finite"]);
    rejects(&g.replace("weight = 0.75", "weight = 0.7"), p, &["m.toml", "sum to 0.95"]);
    rejects(&g.replace("weight = 0.75", "wieght = 0.75"), p, &["m.toml", "wieght"]);
    rejects(&g.replace("std = [0.3]", "std = [0.3, 0.3]"), p, &["m.toml", "components[1].std has 2 values"]);
    rejects(&g.replace("mean = [1.0]", "mean = [1.0, 2.0]"), p, &["m.toml", "components[1].mean has 2 values"]);
    rejects("sigma = 1.0\ncomponents = []\n", p, &["m.toml", "no components"]);
    rejects(&g.replace("sigma = 1.0", "sigma = -1.0"), p, &["m.toml", "sigma"]);
    rejects(&g.replace("sigma = 1.0\n", ""), p, &["m.toml", "sigma"]);
    rejects(&g.replace("weight = 0.25", "weight = \"a\""), p, &["m.toml", "weight"]);
    rejects(&g.replace("weight = 0.25", "weight = -0.25"), p, &["m.toml"]);
}

#[test]
fn bad_points_are_rejected_with_the_line_named() {
    let g = GOOD_MIXTURE;
    rejects(g, "t,x0\n0,1\n-0.5,1\n", &["p.csv", "line 3", "`t`", "negative"]);
    rejects(g, "t,x0\n0,1\n0.5,abc\n", &["p.csv", "line 3", "`x0`", "`abc` is not a number"]);
    rejects(g, "t,x0\n0,1\n0.5,NaN\n", &["p.csv", "line 3", "not a finite number"]);
    rejects(g, "t,x0\n0,1,2\n", &["p.csv", "line 2", "expected 2 fields"]);
    rejects(g, "t,x0,x1\n0,1,2\n", &["p.csv", "line 1", "expected `t,x0`"]);
    rejects(g, "", &["p.csv", "empty"]);
}

#[test]
fn missing_files_are_named() {
    let case = Case::new(GOOD_MIXTURE, GOOD_POINTS);
    let missing = case.path("nope.toml");
    let out = run(&["score", "--mixture", missing.to_str().unwrap(), "--input", case.path("p.csv").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.toml"));
    let out = run(&["score", "--mixture", case.path("m.toml").to_str().unwrap(), "--input", "/no/such/points.csv"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/points.csv"));
}

#[test]
fn an_existing_output_file_is_left_alone_on_error() {
    let case = Case::new(&GOOD_MIXTURE.replace("std = [0.3]", "std = [0.0]"), GOOD_POINTS);
    std::fs::write(case.path("out.csv"), "previous\n").unwrap();
    let out = case.run("f64");
    assert!(!out.status.success());
    assert_eq!(std::fs::read_to_string(case.path("out.csv")).unwrap(), "previous\n");
}
