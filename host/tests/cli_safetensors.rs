//! `export` / `import` (safetensors) against the NumPy reference `python/tinyscore_ref.py`:
//! weights written by NumPy, imported, then `score --model` agrees with the NumPy forward
//! (f64: 1e-12, f32: 1e-5, relative to the score's largest component at each point); the
//! round trip is exact; bad files give errors naming the tensor or field.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use safetensors::tensor::{serialize, Dtype, SafeTensors, TensorView};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> String {
    let out = Command::new("bash").arg(root().join("scripts/python-env.sh")).output().expect("bash");
    assert!(out.status.success(), "python-env.sh: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn tinyscore(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tinyscore")).args(args).output().expect("run tinyscore")
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn reference(py: &str, args: &[&str]) -> String {
    let o = Command::new(py).arg(root().join("python/tinyscore_ref.py")).args(args).output().expect("python");
    assert!(o.status.success(), "tinyscore_ref.py: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Rows of score columns (the last `d` before an optional status column).
fn scores(csv: &str, d: usize, status: bool) -> Vec<Vec<f64>> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let end = f.len() - usize::from(status);
            f[end - d..end].iter().map(|v| v.parse().unwrap()).collect()
        })
        .collect()
}

fn points(d: usize) -> String {
    let mut s = std::iter::once("t".to_string()).chain((0..d).map(|i| format!("x{i}"))).collect::<Vec<_>>().join(",");
    s.push('\n');
    for (k, t) in [0.0, 1e-4, 0.01, 0.3, 1.0, 4.0, 16.0].iter().enumerate() {
        for j in 0..6 {
            let xs: Vec<String> =
                (0..d).map(|i| format!("{}", ((k * 7 + j * 3 + i) as f64 * 0.77).sin() * 3.0)).collect();
            s.push_str(&format!("{t},{}\n", xs.join(",")));
        }
    }
    s
}

fn max_rel(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
            x.iter().zip(y).fold(0.0f64, |m, (u, v)| m.max((u - v).abs())) / scale
        })
        .fold(0.0, f64::max)
}

#[test]
fn numpy_weights_score_like_numpy_and_round_trip() {
    let py = python();
    let dir = tempfile::tempdir().unwrap();
    for d in 1..=4 {
        let w = dir.path().join(format!("w{d}.safetensors"));
        let m = dir.path().join(format!("m{d}.tsm"));
        let pts = dir.path().join(format!("p{d}.csv"));
        std::fs::write(&pts, points(d)).unwrap();
        reference(&py, &["write-random", p(&w), "--dims", &d.to_string(), "--seed", &(10 + d).to_string()]);
        ok(tinyscore(&["import", "--in", p(&w), "--out", p(&m)]));
        let want = scores(&reference(&py, &["score", p(&w), p(&pts)]), d, false);
        for (scalar, tol) in [("f64", 1e-12), ("f32", 1e-5)] {
            let got =
                scores(&ok(tinyscore(&["score", "--model", p(&m), "--scalar", scalar, "--input", p(&pts)])), d, true);
            let e = max_rel(&got, &want);
            assert!(e <= tol, "D = {d}, {scalar}: relative difference {e:e} > {tol:e}");
        }
        // Round trip: export what was imported; NumPy reads the same network from it, and
        // importing it again gives the same model file byte for byte.
        let w2 = dir.path().join(format!("w{d}b.safetensors"));
        let m2 = dir.path().join(format!("m{d}b.tsm"));
        ok(tinyscore(&["export", "--model", p(&m), "--out", p(&w2)]));
        assert_eq!(reference(&py, &["score", p(&w2), p(&pts)]), reference(&py, &["score", p(&w), p(&pts)]));
        ok(tinyscore(&["import", "--in", p(&w2), "--out", p(&m2)]));
        assert_eq!(std::fs::read(&m).unwrap(), std::fs::read(&m2).unwrap());
    }
}

/// Rewrite a good file with `edit` applied to its tensors (name, dtype, shape, bytes) and metadata.
fn rewrite(
    good: &[u8],
    edit: impl FnOnce(&mut Vec<(String, Dtype, Vec<usize>, Vec<u8>)>, &mut HashMap<String, String>),
) -> Vec<u8> {
    let st = SafeTensors::deserialize(good).unwrap();
    let (_, meta) = SafeTensors::read_metadata(good).unwrap();
    let mut meta = meta.metadata().clone().unwrap();
    let mut ts: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> =
        st.tensors().into_iter().map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec())).collect();
    edit(&mut ts, &mut meta);
    let views: Vec<(String, TensorView<'_>)> =
        ts.iter().map(|(n, dt, sh, b)| (n.clone(), TensorView::new(*dt, sh.clone(), b).unwrap())).collect();
    let meta = if meta.is_empty() { None } else { Some(meta) };
    serialize(views, &meta).unwrap()
}

#[test]
fn bad_files_are_refused_naming_the_tensor_or_field() {
    let dir = tempfile::tempdir().unwrap();
    let model = root().join("firmware/programme/models/default_1d.tsm");
    let good_path = dir.path().join("good.safetensors");
    ok(tinyscore(&["export", "--model", p(&model), "--out", p(&good_path)]));
    let good = std::fs::read(&good_path).unwrap();
    let f64_bias = |ts: &mut Vec<(String, Dtype, Vec<usize>, Vec<u8>)>, _: &mut HashMap<String, String>| {
        let t = ts.iter_mut().find(|t| t.0 == "layers.0.bias").unwrap();
        t.1 = Dtype::F64;
        t.3 = t.3.chunks(4).flat_map(|c| (f32::from_le_bytes(c.try_into().unwrap()) as f64).to_le_bytes()).collect();
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("dtype", rewrite(&good, f64_bias), "tensor `layers.0.bias` has dtype F64"),
        (
            "shape",
            rewrite(&good, |ts, _| {
                let t = ts.iter_mut().find(|t| t.0 == "layers.1.weight").unwrap();
                t.2 = vec![16, 64];
            }),
            "tensor `layers.1.weight` has shape [16, 64]; expected [32, 32]",
        ),
        ("missing", rewrite(&good, |ts, _| ts.retain(|t| t.0 != "layers.2.bias")), "tensor `layers.2.bias` is missing"),
        (
            "extra",
            rewrite(&good, |ts, _| {
                let t = ts.iter().find(|t| t.0 == "layers.1.bias").unwrap().clone();
                ts.push(("layers.3.bias".into(), t.1, t.2, t.3));
            }),
            "tensor `layers.3.bias` is not part of the architecture",
        ),
        ("no metadata", rewrite(&good, |_, m| m.clear()), "`__metadata__` block is missing"),
        ("no sigma", rewrite(&good, |_, m| drop(m.remove("sigma"))), "metadata field `sigma` is missing"),
        (
            "bad mean",
            rewrite(&good, |_, m| drop(m.insert("data_mean".into(), "[1, 2]".into()))),
            "metadata field `data_mean` has 2 entries",
        ),
        ("width", rewrite(&good, |_, m| drop(m.insert("width".into(), "64".into()))), "metadata field `width` is 64"),
        (
            "format",
            rewrite(&good, |_, m| drop(m.insert("format".into(), "other".into()))),
            "metadata field `format` is `other`",
        ),
        ("truncated", good[..good.len() - 10].to_vec(), "not a readable safetensors file"),
        ("truncated header", good[..20].to_vec(), "not a readable safetensors file"),
    ];
    for (name, bytes, want) in cases {
        let w = dir.path().join(format!("{}.safetensors", name.replace(' ', "_")));
        let out = dir.path().join("out.tsm");
        std::fs::write(&w, bytes).unwrap();
        let o = tinyscore(&["import", "--in", p(&w), "--out", p(&out)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{name}: accepted");
        assert!(err.contains(want) && err.contains(p(&w)), "{name}: {err}");
        assert!(!out.exists(), "{name}: wrote a file");
    }
}

/// With PyTorch present: its `ScoreNet` computes the NumPy forward, and a model it trains
/// imports and scores. Skipped (passes, with a note) without PyTorch, which is optional.
#[test]
fn pytorch_module_matches_numpy_when_present() {
    let py = python();
    let has_torch = Command::new(&py).args(["-c", "import torch"]).output().is_ok_and(|o| o.status.success());
    if !has_torch {
        eprintln!("skipped: PyTorch is not installed in {py}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let torch = |args: &[&str]| {
        let o = Command::new(&py).arg(root().join("python/tinyscore_torch.py")).args(args).output().expect("python");
        assert!(o.status.success(), "tinyscore_torch.py: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let (w, pts, m) = (dir.path().join("w.safetensors"), dir.path().join("p.csv"), dir.path().join("m.tsm"));
    std::fs::write(&pts, points(2)).unwrap();
    reference(&py, &["write-random", p(&w), "--dims", "2", "--seed", "3"]);
    let want = scores(&reference(&py, &["score", p(&w), p(&pts)]), 2, false);
    let got = scores(&torch(&["score", p(&w), p(&pts)]), 2, false);
    assert!(max_rel(&got, &want) <= 1e-12);
    let data = dir.path().join("d.csv");
    let rows: String =
        (0..200).map(|i| format!("{},{}\n", (i as f64 * 0.1).cos() * 2.0, (i as f64 * 0.1).sin() * 2.0)).collect();
    std::fs::write(&data, format!("x0,x1\n{rows}")).unwrap();
    let trained = dir.path().join("t.safetensors");
    torch(&["train", p(&data), p(&trained), "--steps", "200"]);
    ok(tinyscore(&["import", "--in", p(&trained), "--out", p(&m)]));
    let want = scores(&reference(&py, &["score", p(&trained), p(&pts)]), 2, false);
    let got = scores(&ok(tinyscore(&["score", "--model", p(&m), "--scalar", "f64", "--input", p(&pts)])), 2, true);
    assert!(max_rel(&got, &want) <= 1e-12);
}
