//! The q8 network's integer forward pass against an independent reference:
//! `python/q8_reference.py` parses the model file bytes itself and evaluates the network
//! with NumPy int64 arithmetic, its rounding rules written from the format's
//! specification. Every integer (quantised inputs, per-t biases, each layer's Q15
//! activations, the output) must agree bit for bit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rand_core::SeedableRng;
use tinyscore::learned::quant::{Calibration, QuantMlp, QuantTrace};
use tinyscore::learned::{Preconditioning, ScoreMlp};
use tinyscore::sampling::{standard_normal, uniform_f64};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> String {
    let out = Command::new("bash").arg(repo().join("scripts/python-env.sh")).output().expect("run python-env.sh");
    assert!(out.status.success(), "python-env.sh failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 path").trim().to_string()
}

/// The reference's integers for each case `(t, x)`.
fn reference(model: &Path, cases: &[(f64, Vec<f64>)]) -> Vec<serde_json::Value> {
    let mut child = Command::new(python())
        .arg(repo().join("python/q8_reference.py"))
        .arg(model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start q8_reference.py");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for (t, x) in cases {
            let xs: Vec<String> = x.iter().map(|v| format!("{v:?}")).collect();
            writeln!(stdin, "{t:?} {}", xs.join(" ")).expect("write a case");
        }
    }
    let out = child.wait_with_output().expect("q8_reference.py output");
    assert!(out.status.success(), "q8_reference.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per case"))
        .collect();
    assert_eq!(lines.len(), cases.len());
    lines
}

fn ints(v: &serde_json::Value) -> Vec<i64> {
    v.as_array().expect("an array").iter().map(|e| e.as_i64().expect("an integer")).collect()
}

/// Compare the Rust integer forward pass with the reference at every case; returns the
/// number of cases whose input or a first-layer bias was clamped (saturated).
fn compare<const D: usize, const H: usize, const L: usize>(q: &QuantMlp<D, H, L>, cases: &[(f64, Vec<f64>)]) -> usize {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("model_q8.tsm");
    let mut buf = vec![0u8; QuantMlp::<D, H, L>::ENCODED_LEN];
    let n = q.encode(&mut buf).expect("encode");
    std::fs::write(&path, &buf[..n]).expect("write the model");
    let refs = reference(&path, cases);
    let mut saturated = 0;
    for ((t, x), r) in cases.iter().zip(refs.iter()) {
        let tc = q.prepare::<f64>(*t).expect("valid t");
        let xa: [f64; D] = x.as_slice().try_into().expect("D coordinates");
        let mut tr = QuantTrace::new();
        q.forward_traced(&tc, &xa, &mut tr);
        saturated += usize::from(!tc.status.is_ok() || tr.saturated);
        let case = format!("t = {t}, x = {x:?}");
        let u: Vec<i64> = tr.u.iter().map(|&v| v as i64).collect();
        assert_eq!(u, ints(&r["u"]), "quantised inputs at {case}");
        let b: Vec<i64> = tc.bias0.iter().map(|&v| v as i64).collect();
        assert_eq!(b, ints(&r["bias0"]), "first-layer biases at {case}");
        let hs = r["h"].as_array().expect("h");
        assert_eq!(hs.len(), L + 1);
        let h0: Vec<i64> = tr.h0.iter().map(|&v| v as i64).collect();
        assert_eq!(h0, ints(&hs[0]), "h0 at {case}");
        for (l, (h, rh)) in tr.hs.iter().zip(hs.iter().skip(1)).enumerate() {
            let h: Vec<i64> = h.iter().map(|&v| v as i64).collect();
            assert_eq!(h, ints(rh), "h{} at {case}", l + 1);
        }
        let o: Vec<i64> = tr.out.iter().map(|&v| v as i64).collect();
        assert_eq!(o, ints(&r["out"]), "output at {case}");
    }
    saturated
}

#[test]
fn embedded_q8_model_matches_the_numpy_reference() {
    let bytes = std::fs::read(repo().join("firmware/programme/models/default_1d_q8.tsm")).expect("the q8 model");
    let q = QuantMlp::<1, 32, 1>::decode(&bytes).expect("decode the embedded q8 model");
    // The firmware's points, then the calibrated range's edges and beyond (clamped).
    let mut cases: Vec<(f64, Vec<f64>)> =
        [(0.0, -2.0), (0.0, 0.6), (0.05, 1.5), (0.3, -0.75), (1.0, 3.5), (0.7, 0.0), (0.25, 0.3)]
            .iter()
            .map(|&(t, x)| (t, vec![x]))
            .collect();
    cases.extend([(0.0, vec![-40.0]), (0.5, vec![25.0]), (1.0, vec![-4.0]), (0.01, vec![1e-9])]);
    compare(&q, &cases);
}

#[test]
fn random_2d_three_layer_model_matches_the_numpy_reference() {
    let pc = Preconditioning { sigma: 1.5, noise_floor: 0.2, data_mean: [0.5, -1.0], data_std: [1.0, 2.5] };
    let mut rng = tinyscore::DefaultRng::seed_from_u64(21);
    let mut m = ScoreMlp::<f32, 2, 16, 2>::new_random(pc, &mut rng).expect("valid constants");
    // A trained model's output layer and biases are not zero.
    for row in m.params.output.w.iter_mut() {
        for w in row.iter_mut() {
            *w = (uniform_f64(&mut rng) * 2.0 - 1.0) as f32;
        }
    }
    for layer in m.params.hidden.iter_mut() {
        for b in layer.b.iter_mut() {
            *b = (standard_normal(&mut rng) * 0.3) as f32;
        }
    }
    for b in m.params.input.b.iter_mut() {
        *b = (standard_normal(&mut rng) * 0.3) as f32;
    }
    let mut cal = Calibration::<2>::new();
    let mut cases = Vec::new();
    for k in 0..400 {
        let t = uniform_f64(&mut rng) * 2.0;
        let x = [
            0.5 + standard_normal(&mut rng) * (1.0 + 2.25 * t).sqrt(),
            -1.0 + standard_normal(&mut rng) * (6.25 + 2.25 * t).sqrt(),
        ];
        assert!(cal.observe(&m, t, &x.map(|v| v as f32)));
        if k % 20 == 0 {
            cases.push((t, x.to_vec()));
        }
    }
    let q = QuantMlp::quantize(&m, &cal).expect("quantise");
    cases.push((0.0, vec![100.0, -100.0]));
    compare(&q, &cases);
}
