//! `tinyscore fit` end to end: it recovers a known mixture from its exact draws (the core's
//! sampler), writes a mixture file every reader accepts, beats a one-Gaussian fit on held-out
//! data, and refuses bad data files naming the file, line and column.

use std::fmt::Write as _;
use std::path::Path;

use rand_core::SeedableRng;
use tinyscore::mixture::{Component, GaussianMixture};
use tinyscore::DefaultRng;
use tinyscore_host::cmd_fit::{self, FitOptions};
use tinyscore_host::mixture_file;

fn truth() -> GaussianMixture<2, 4> {
    GaussianMixture::new(
        1.0,
        &[
            Component { weight: 0.6, mean: [-2.0, 1.0], std: [0.5, 0.8] },
            Component { weight: 0.4, mean: [1.5, -1.0], std: [0.3, 0.4] },
        ],
    )
    .unwrap()
}

fn write_draws(path: &Path, n: usize, seed: u64) {
    let gm = truth();
    let mut rng = DefaultRng::seed_from_u64(seed);
    let mut text = String::from("x0,x1\n");
    for _ in 0..n {
        let (x, _) = gm.sample(0.0, &mut rng).unwrap();
        writeln!(text, "{},{}", x[0], x[1]).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn options(dir: &Path, components: &str) -> FitOptions {
    FitOptions {
        data: dir.join("train.csv"),
        out: dir.join("fit.toml"),
        components: components.to_string(),
        sigma: 2.0,
        seed: 1,
        restarts: 2,
        held_out: Some(dir.join("test.csv")),
    }
}

#[test]
fn recovers_a_known_mixture() {
    let dir = tempfile::tempdir().unwrap();
    write_draws(&dir.path().join("train.csv"), 3_000, 1);
    write_draws(&dir.path().join("test.csv"), 3_000, 2);
    let g = cmd_fit::run(&options(dir.path(), "auto")).unwrap();
    assert_eq!(g.len(), 2, "BIC should choose the true K: {g:?}");
    let (spec, _) = mixture_file::load(&dir.path().join("fit.toml")).unwrap();
    assert_eq!(spec.sigma, 2.0);
    let mut comps = spec.components.clone();
    comps.sort_by(|a, b| a.mean[0].total_cmp(&b.mean[0]));
    let want = truth();
    for (got, want) in comps.iter().zip(want.components()) {
        assert!((got.weight - want.weight).abs() < 0.02, "{got:?} vs {want:?}");
        for d in 0..2 {
            assert!((got.mean[d] - want.mean[d]).abs() < 0.05, "{got:?} vs {want:?}");
            assert!((got.std[d] / want.std[d] - 1.0).abs() < 0.05, "{got:?} vs {want:?}");
        }
    }
    // Held out: the fitted mixture is within sampling noise of the truth's own likelihood,
    // and clearly better than a single Gaussian.
    let data = tinyscore_host::data::load(&dir.path().join("test.csv")).unwrap();
    let one = cmd_fit::run(&options(dir.path(), "1")).unwrap();
    let truth_ll: f64 = data
        .rows
        .iter()
        .map(|x| {
            let p = want.prepare::<f64>(0.0).unwrap();
            p.evaluate(&[x[0], x[1]]).log_density
        })
        .sum::<f64>()
        / data.rows.len() as f64;
    let fit_ll = g.mean_log_likelihood(&data.rows);
    assert!((fit_ll - truth_ll).abs() < 0.02, "fit {fit_ll} truth {truth_ll}");
    assert!(one.mean_log_likelihood(&data.rows) < fit_ll - 0.3);
}

#[test]
fn bad_input_is_refused_with_a_named_place_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.csv");
    let run = |text: &str, components: &str| {
        std::fs::write(&train, text).unwrap();
        let mut o = options(dir.path(), components);
        o.held_out = None;
        let e = cmd_fit::run(&o).map(|_| ()).unwrap_err();
        assert!(!o.out.exists(), "no output on error");
        format!("{e:#}")
    };
    let e = run("x0,x1\n1,2\n3,oops\n", "auto");
    assert!(e.contains("train.csv, line 3, column `x1`: `oops` is not a number"), "{e}");
    let e = run("x0,x1\n1,2\n3\n", "auto");
    assert!(e.contains("line 3: expected 2 fields"), "{e}");
    let e = run("a,b\n1,2\n", "auto");
    assert!(e.contains("line 1: the header is `a,b`"), "{e}");
    let e = run("x0,x1\n1,2\n", "17");
    assert!(e.contains("--components: `17`"), "{e}");
    let e = run("x0,x1\n1,2\n", "2");
    assert!(e.contains("more components than the 1 samples"), "{e}");
}
