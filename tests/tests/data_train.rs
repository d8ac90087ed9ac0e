//! `tinyscore train --data` end to end: trained on draws of a known mixture alone (denoising
//! score matching), the model gets close to the mixture's exact score (the independent
//! reference), far closer than the Gaussian it starts from; the preconditioning is the data's
//! mean and std; bad data and options give clear errors and write nothing.

use std::fmt::Write as _;
use std::path::Path;

use rand_core::SeedableRng;
use tinyscore::learned::Params;
use tinyscore::mixture::{Component, GaussianMixture};
use tinyscore::DefaultRng;
use tinyscore_host::learned::cmd_train::{self, plot_paths, TrainOptions};
use tinyscore_host::learned::data_train::{precond_from_data, NOISE_FLOOR_FRACTION};
use tinyscore_host::learned::measure::relative_fisher;
use tinyscore_host::learned::model_io::{self, AnyModel, Model};

fn truth() -> GaussianMixture<2, 2> {
    GaussianMixture::new(
        1.0,
        &[
            Component { weight: 0.5, mean: [-1.5, 0.5], std: [0.4, 0.5] },
            Component { weight: 0.5, mean: [1.5, -0.5], std: [0.5, 0.3] },
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

fn options(dir: &Path) -> TrainOptions {
    TrainOptions {
        data: Some(dir.join("d.csv")),
        out: dir.join("d.tsm"),
        steps: Some(4000),
        batch: Some(64),
        t_max: Some(1.0),
        eval_samples: 20_000,
        quiet: true,
        ..TrainOptions::default()
    }
}

#[test]
fn learns_the_score_of_the_data_distribution() {
    let dir = tempfile::tempdir().unwrap();
    write_draws(&dir.path().join("d.csv"), 5000, 11);
    let opts = options(dir.path());
    cmd_train::run(&opts).unwrap();
    let (lp, bp) = plot_paths(&opts.out);
    for p in [&opts.out, &lp, &bp] {
        assert!(std::fs::read(p).unwrap().len() > 100, "{}", p.display());
    }
    assert!(std::fs::read_to_string(&bp).unwrap().contains("held-out denoising loss"));
    let loaded = model_io::load(&opts.out).unwrap();
    let AnyModel::D2(m) = loaded.model else { panic!("a 2-D model") };
    // The preconditioning: the mean and std of the mixture (closed form) up to the sampling
    // error of 4500 training draws.
    let (mean, var) = (truth().mean(), truth().marginal_variance(0.0));
    for d in 0..2 {
        assert!((m.precond.data_mean[d] - mean[d]).abs() < 0.06, "{:?}", m.precond);
        assert!((m.precond.data_std[d] / var[d].sqrt() - 1.0).abs() < 0.04, "{:?}", m.precond);
    }
    assert_eq!(m.precond.sigma, 1.0);
    let floor = NOISE_FLOOR_FRACTION * m.precond.data_std[0].min(m.precond.data_std[1]);
    assert!((m.precond.noise_floor - floor).abs() < 1e-12);
    // Relative Fisher divergence to the exact mixture score on t in [0.05, 1]: the trained
    // model against the untrained one (the Gaussian skip term, zero network output).
    let base = Model::<f64, 2> { precond: m.precond, params: Params::zeroed() };
    let r = relative_fisher(&*m, &truth(), 0.05, 1.0, 20_000, 5).unwrap().r;
    let r0 = relative_fisher(&base, &truth(), 0.05, 1.0, 20_000, 5).unwrap().r;
    assert!(r < 0.25 * r0, "R trained {r}, Gaussian {r0}");
}

#[test]
fn preconditioning_is_the_mean_and_std() {
    let pc = precond_from_data(&[[0.0, 1.0], [2.0, 5.0]], 0.5).unwrap();
    assert_eq!((pc.data_mean, pc.data_std, pc.sigma), ([1.0, 3.0], [1.0, 2.0], 0.5));
    assert!((pc.noise_floor - 0.1).abs() < 1e-15);
    let e = precond_from_data(&[[1.0, 1.0], [1.0, 2.0]], 1.0).unwrap_err();
    assert!(e.to_string().contains("coordinate x0 is constant"), "{e}");
}

#[test]
fn bad_data_and_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let err = |o: &TrainOptions| format!("{:#}", cmd_train::run(o).unwrap_err());
    std::fs::write(dir.path().join("d.csv"), "x0,x1\n1,2\n3,oops\n").unwrap();
    assert!(err(&opts).contains("d.csv, line 3, column `x1`: `oops` is not a number"), "{}", err(&opts));
    std::fs::write(dir.path().join("d.csv"), "x0,x1\n1,2\n3,4\n").unwrap();
    assert!(err(&opts).contains("2 samples: train --data needs at least 20"), "{}", err(&opts));
    let text: String = (0..40).map(|i| format!("{i},7\n")).collect();
    std::fs::write(dir.path().join("d.csv"), format!("x0,x1\n{text}")).unwrap();
    assert!(err(&opts).contains("coordinate x1 is constant (7)"), "{}", err(&opts));
    let o = TrainOptions { sigma: Some(-1.0), ..options(dir.path()) };
    assert!(err(&o).contains("--sigma -1"), "{}", err(&o));
    assert!(!opts.out.exists());
}
