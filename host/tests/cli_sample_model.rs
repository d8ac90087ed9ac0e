//! `sample --model` without a mixture: a model whose network outputs zero has the exact
//! score of `N(data_mean, diag(data_std^2 + sigma^2 t))`, so its samples must have the data
//! mean and std (closed form); `--data` prints the sliced W1 lines; a data file of another
//! dimension is refused.

use std::collections::HashMap;
use std::process::Command;

use safetensors::tensor::{serialize, Dtype, TensorView};

fn zero_model(dir: &std::path::Path) -> std::path::PathBuf {
    let shapes: [(&str, Vec<usize>); 6] = [
        ("layers.0.weight", vec![32, 4]),
        ("layers.0.bias", vec![32]),
        ("layers.1.weight", vec![32, 32]),
        ("layers.1.bias", vec![32]),
        ("layers.2.weight", vec![2, 32]),
        ("layers.2.bias", vec![2]),
    ];
    let data: Vec<Vec<u8>> = shapes.iter().map(|(_, s)| vec![0u8; 4 * s.iter().product::<usize>()]).collect();
    let views: Vec<(String, TensorView<'_>)> = shapes
        .iter()
        .zip(&data)
        .map(|((n, s), d)| (n.to_string(), TensorView::new(Dtype::F32, s.clone(), d).unwrap()))
        .collect();
    let meta: HashMap<String, String> = [
        ("format", "tinyscore-mlp-v1"),
        ("width", "32"),
        ("hidden_layers", "1"),
        ("dims", "2"),
        ("sigma", "1.5"),
        ("noise_floor", "0.1"),
        ("data_mean", "[1.0, -2.0]"),
        ("data_std", "[0.5, 2.0]"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let w = dir.join("zero.safetensors");
    std::fs::write(&w, serialize(views, &Some(meta)).unwrap()).unwrap();
    let m = dir.join("zero.tsm");
    let o = Command::new(env!("CARGO_BIN_EXE_tinyscore"))
        .args(["import", "--in", w.to_str().unwrap(), "--out", m.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    m
}

#[test]
fn a_gaussian_model_samples_its_gaussian() {
    let dir = tempfile::tempdir().unwrap();
    let m = zero_model(dir.path());
    let out = dir.path().join("s.csv");
    let data = dir.path().join("d.csv");
    std::fs::write(&data, "x0,x1\n1,-2\n1.5,0\n0.5,-4\n1,-1\n").unwrap();
    let n = 4000;
    let o = Command::new(env!("CARGO_BIN_EXE_tinyscore"))
        .args(["sample", "--model", m.to_str().unwrap(), "--data", data.to_str().unwrap(), "--sampler", "pf-ode"])
        .args(["--steps", "200", "--count", &n.to_string(), "--scalar", "f64", "--output", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("sliced W1 (fixed directions) from the 4000 samples to the 4 data samples"), "{stdout}");
    assert!(stdout.contains("sliced W1 between the two halves of the data"), "{stdout}");
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<f64>> = csv.lines().skip(1).map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), n);
    for (d, (mean, std)) in [(1.0, 0.5), (-2.0, 2.0)].into_iter().enumerate() {
        let m: f64 = rows.iter().map(|r| r[d]).sum::<f64>() / n as f64;
        let s = (rows.iter().map(|r| (r[d] - m).powi(2)).sum::<f64>() / n as f64).sqrt();
        let se = std / (n as f64).sqrt();
        assert!((m - mean).abs() < 5.0 * se, "dimension {d}: mean {m}, expected {mean}");
        assert!((s / std - 1.0).abs() < 0.06, "dimension {d}: std {s}, expected {std}");
    }
}

#[test]
fn data_of_another_dimension_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = zero_model(dir.path());
    let data = dir.path().join("d.csv");
    std::fs::write(&data, "x0\n1\n2\n").unwrap();
    let out = dir.path().join("s.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_tinyscore"))
        .args(["sample", "--model", m.to_str().unwrap(), "--data", data.to_str().unwrap()])
        .args(["--output", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("the data has 1 dimension(s) but the model"), "{err}");
    assert!(!out.exists());
}
