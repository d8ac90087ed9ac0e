//! The fixed-point forward pass against the f64 forward pass of the float model it was
//! quantised from: within the a-priori bound `ScoreMlp::fixed_error_bound` at every point,
//! and the bound itself small.

use fixed::types::{I16F16, I8F24};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::learned::ScoreMlp;
use tinyscore::mixture::{Component, GaussianMixture};
use tinyscore::Scalar;
use tinyscore_host::learned::cmd_train::{train, TrainOptions};
use tinyscore_host::learned::model_io::Model;

fn check<S: Scalar, const D: usize, const K: usize>(gm: &GaussianMixture<D, K>, lsb: f64, xmax: f64, max_bound: f64) {
    let opts =
        TrainOptions { steps: Some(300), batch: Some(64), eval_samples: 0, quiet: true, ..TrainOptions::default() };
    let bytes = train(gm, &opts).unwrap().model_bytes;
    let m = Model::<f64, D>::decode(&bytes).unwrap();
    let q: ScoreMlp<S, D, 32, 1> = m.convert::<S>().unwrap();
    let pc = &m.precond;
    let cmin = pc.data_std.iter().copied().fold(f64::INFINITY, f64::min);
    let mmax = pc.data_mean.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let umax = (xmax + mmax) / cmin;
    let bound = m.fixed_error_bound(lsb, umax, xmax);
    assert!(bound < max_bound, "{}: bound {bound}", S::NAME);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let mut worst = 0.0f64;
    for _ in 0..20_000 {
        let t: f64 = rng.random_range(0.0..2.0);
        let x: [S; D] = std::array::from_fn(|_| S::from_f64(rng.random_range(-xmax..xmax)).0);
        let xf: [f64; D] = x.map(|v| v.to_f64());
        let (sf, st) = q.score(t, &x);
        let (se, _) = m.score(t, &xf);
        assert!(st.is_ok(), "{} saturated at t={t} x={xf:?}", S::NAME);
        for (a, b) in sf.iter().zip(&se) {
            let e = (a.to_f64() - b).abs();
            worst = worst.max(e);
            assert!(e <= bound, "{}: |error| {e} > bound {bound} at t={t} x={xf:?}", S::NAME);
        }
    }
    assert!(worst > 0.0);
    eprintln!("{}: worst error {worst:.3e}, bound {bound:.3e}", S::NAME);
}

#[test]
fn fixed_forward_pass_within_bound() {
    let gm = GaussianMixture::<2, 4>::new(
        1.0,
        &[
            Component { weight: 0.6, mean: [-1.5, 1.0], std: [0.3, 0.5] },
            Component { weight: 0.4, mean: [2.0, -1.0], std: [0.6, 0.4] },
        ],
    )
    .unwrap();
    check::<I16F16, 2, 4>(&gm, 1.0 / 65536.0, 6.0, 0.05);
    check::<I8F24, 2, 4>(&gm, 1.0 / 16_777_216.0, 6.0, 2e-4);
}
