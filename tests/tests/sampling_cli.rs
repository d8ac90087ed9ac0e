//! The `sample` command's files and errors (through the library entry point).

use std::path::PathBuf;

use tinyscore_host::cmd_sample::{run, SampleArgs, SampleConfig, SamplerKind};

fn args(dir: &std::path::Path, mixture: &str) -> SampleArgs {
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference/mixtures").join(mixture);
    SampleArgs {
        mixture: Some(m),
        model: None,
        data: None,
        config: SampleConfig { sampler: SamplerKind::PfOde, steps: 50, count: 500, seed: 3, ..SampleConfig::default() },
        output: Some(dir.join("s.csv")),
        plot: None,
    }
}

#[test]
fn writes_samples_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    for (mix, header) in [("trimodal_1d.toml", "x0"), ("quad_2d.toml", "x0,x1")] {
        run(&args(dir.path(), mix)).unwrap();
        let csv = std::fs::read_to_string(dir.path().join("s.csv")).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some(header));
        assert_eq!(lines.count(), 500);
        let svg = std::fs::read_to_string(dir.path().join("s.svg")).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}

#[test]
fn errors_are_clear_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = args(dir.path(), "trimodal_1d.toml");
    let models = tempfile::tempdir().unwrap();
    a.model = Some(models.path().join("m.bin"));
    let e = format!("{:#}", run(&a).unwrap_err());
    assert!(e.contains("m.bin") && e.contains("cannot read the model file"), "{e}");
    std::fs::write(models.path().join("m.bin"), b"not a model").unwrap();
    let e = format!("{:#}", run(&a).unwrap_err());
    assert!(e.contains("m.bin"), "{e}");
    assert!(!dir.path().join("s.csv").exists());
    let mut a = args(dir.path(), "trimodal_1d.toml");
    a.config.t_max = 0.0;
    let e = format!("{:#}", run(&a).unwrap_err());
    assert!(e.contains("--t-max"), "{e}");
    let mut a = args(dir.path(), "trimodal_1d.toml");
    a.config.count = 0;
    assert!(format!("{:#}", run(&a).unwrap_err()).contains("--count"));
    let mut a = args(dir.path(), "trimodal_1d.toml");
    a.output = Some(dir.path().join("missing/s.csv"));
    assert!(format!("{:#}", run(&a).unwrap_err()).contains("does not exist"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no partial output");
}
