//! The learned-score commands end to end: `train` writes the model and its plots, `score
//! --model` writes the documented columns, bad inputs give clear errors and no output.

use std::path::Path;

use tinyscore_host::eval::ScalarKind;
use tinyscore_host::learned::cmd_loss::{self, LossOptions};
use tinyscore_host::learned::cmd_score_model;
use tinyscore_host::learned::cmd_train::{self, plot_paths, TrainOptions};
use tinyscore_host::learned::{TargetKind, WeightingKind};

const MIXTURE: &str = "sigma = 1.0\n[[components]]\nweight = 0.5\nmean = [-1.0, 0.5]\nstd = [0.4, 0.5]\n\
                       [[components]]\nweight = 0.5\nmean = [1.5, -0.5]\nstd = [0.5, 0.3]\n";

fn train_into(dir: &Path) -> std::path::PathBuf {
    let mix = dir.join("m.toml");
    std::fs::write(&mix, MIXTURE).unwrap();
    let out = dir.join("m.tsm");
    let opts = TrainOptions {
        mixture: Some(mix),
        out: out.clone(),
        steps: Some(200),
        batch: Some(64),
        eval_samples: 2_000,
        quiet: true,
        ..TrainOptions::default()
    };
    let s = cmd_train::run(&opts).unwrap();
    assert!(s.r_f32.is_some() && s.r_i16f16.is_some());
    out
}

#[test]
fn train_then_score_and_loss() {
    let dir = tempfile::tempdir().unwrap();
    let model = train_into(dir.path());
    let (lp, bp) = plot_paths(&model);
    for p in [&model, &lp, &bp] {
        assert!(p.exists(), "{} missing", p.display());
    }
    assert!(std::fs::read_to_string(&lp).unwrap().contains("<svg"));
    let pts = dir.path().join("p.csv");
    std::fs::write(&pts, "t,x0,x1\n0,-1,0.5\n0.5,0.25,0\n1,3,-3\n").unwrap();
    for kind in ScalarKind::ALL {
        let out = dir.path().join(format!("s_{kind}.csv"));
        cmd_score_model::run(&model, kind, &pts, Some(&out)).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "t,x0,x1,score0,score1,status");
        assert_eq!(lines.len(), 4);
        assert!(lines[1].starts_with("0,-1,0.5,") && lines[1].ends_with(",ok"), "{}", lines[1]);
        // Near the mean of component 0 at t = 0 the score is small; far out it points back.
        let f: Vec<f64> = lines[3].split(',').take(5).map(|v| v.parse().unwrap()).collect();
        assert!(f[3] < 0.0 && f[4] > 0.0, "{kind}: {}", lines[3]);
    }
    let o = LossOptions {
        mixture: dir.path().join("m.toml"),
        model: model.clone(),
        weighting: WeightingKind::One,
        t_min: 0.0,
        t_max: 1.0,
        samples: 5_000,
        seed: 1,
        scalar: ScalarKind::I16f16.into(),
        target: TargetKind::Exact,
        json: true,
    };
    let r = cmd_loss::run(&o).unwrap();
    let text = cmd_loss::text(&r, &o);
    let last = text.lines().last().unwrap();
    let j: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(j["estimate"].as_f64().unwrap(), r.mc.value);
    assert_eq!(j["std_error"].as_f64().unwrap(), r.mc.std_error);
}

#[test]
fn errors_name_the_file_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = train_into(dir.path());
    let pts = dir.path().join("p.csv");
    std::fs::write(&pts, "t,x0,x1\n0,1,2\n").unwrap();
    let out = dir.path().join("out.csv");
    // Corrupt model.
    let mut b = std::fs::read(&model).unwrap();
    let n = b.len();
    b[n / 2] ^= 4;
    let bad = dir.path().join("bad.tsm");
    std::fs::write(&bad, &b).unwrap();
    let e = cmd_score_model::run(&bad, ScalarKind::F32, &pts, Some(&out)).unwrap_err();
    assert!(format!("{e:#}").contains("bad.tsm: checksum mismatch"), "{e:#}");
    assert!(!out.exists());
    // Wrong dimension of the points.
    std::fs::write(&pts, "t,x0\n0,1\n").unwrap();
    let e = cmd_score_model::run(&model, ScalarKind::F32, &pts, Some(&out)).unwrap_err();
    assert!(format!("{e:#}").contains("line 1: the header is `t,x0`, but the model has 2 dimension(s)"), "{e:#}");
    assert!(!out.exists());
    // Bad time range.
    let opts = TrainOptions {
        mixture: Some(dir.path().join("m.toml")),
        out: dir.path().join("never.tsm"),
        t_min: 1.0,
        t_max: Some(0.5),
        ..TrainOptions::default()
    };
    let e = cmd_train::run(&opts).unwrap_err();
    assert!(format!("{e:#}").contains("--t-min 1 --t-max 0.5"), "{e:#}");
    assert!(!dir.path().join("never.tsm").exists());
    // Model and mixture of different dimensions.
    let mix1 = dir.path().join("one.toml");
    std::fs::write(&mix1, "sigma = 1.0\n[[components]]\nweight = 1.0\nmean = [0.0]\nstd = [1.0]\n").unwrap();
    let o = LossOptions {
        mixture: mix1,
        model,
        weighting: WeightingKind::One,
        t_min: 0.0,
        t_max: 1.0,
        samples: 100,
        seed: 1,
        scalar: ScalarKind::F32.into(),
        target: TargetKind::Denoising,
        json: false,
    };
    let e = cmd_loss::run(&o).unwrap_err();
    assert!(format!("{e:#}").contains("2 dimension(s), the mixture 1"), "{e:#}");
}
