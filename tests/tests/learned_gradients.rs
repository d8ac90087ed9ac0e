//! Back-propagation against central finite differences (f64), for several network shapes,
//! and a short training run that must reduce the loss.

use rand_core::SeedableRng;
use tinyscore::learned::model::{Params, Tensor};
use tinyscore::learned::train::{TrainConfig, Trainer};
use tinyscore::learned::{Preconditioning, ScoreMlp, Weighting};
use tinyscore::mixture::{Component, GaussianMixture};
use tinyscore::DefaultRng;

fn check_gradient<const D: usize, const H: usize, const L: usize>(seed: u64) {
    let pc = Preconditioning {
        sigma: 0.8,
        noise_floor: 0.25,
        data_mean: [0.3; D],
        data_std: std::array::from_fn(|d| 0.7 + 0.2 * d as f64),
    };
    let mut rng = DefaultRng::seed_from_u64(seed);
    let mut m = ScoreMlp::<f64, D, H, L>::new_random(pc, &mut rng).unwrap();
    // Non-zero output layer and biases: every path carries gradient.
    m.params
        .try_for_each_tensor_mut(|id, s| {
            let k = Tensor::ALL.iter().position(|&t| t == id.tensor).unwrap();
            for (i, v) in s.iter_mut().enumerate() {
                *v += 0.2 * ((7 * k + 3 * (id.index + i)) as f64).sin();
            }
            Ok::<(), ()>(())
        })
        .unwrap();
    for t in [0.0, 0.3, 1.7] {
        let tc = m.time_consts(t).unwrap();
        let x: [f64; D] = std::array::from_fn(|d| 0.9 - 1.1 * d as f64);
        let y: [f64; D] = std::array::from_fn(|d| -0.4 + 0.8 * d as f64);
        let w = 1.3;
        let mut g = Params::zeroed();
        let l0 = m.add_gradient(&tc, &x, &y, w, &mut g);
        let loss = |m: &ScoreMlp<f64, D, H, L>| {
            let s = m.score(t, &x).0;
            0.5 * w * s.iter().zip(&y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
        };
        assert!((l0 - loss(&m)).abs() <= 1e-13 * (1.0 + l0));
        let h = 1e-6;
        let mut checked = 0;
        for (id, grads) in g.tensors() {
            for (i, &an) in grads.iter().enumerate() {
                let pid = id.offset(i);
                let (mut mp, mut mm) = (m, m);
                *mp.params.param_mut(pid).unwrap() += h;
                *mm.params.param_mut(pid).unwrap() -= h;
                let fd = (loss(&mp) - loss(&mm)) / (2.0 * h);
                assert!(
                    (fd - an).abs() <= 2e-6 * (1.0 + an.abs()),
                    "D={D} H={H} L={L} t={t} {pid}: finite difference {fd}, backprop {an}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, Params::<f64, D, H, L>::COUNT);
    }
}

#[test]
fn gradients_match_finite_differences() {
    check_gradient::<1, 6, 0>(1);
    check_gradient::<2, 5, 1>(2);
    check_gradient::<3, 4, 2>(3);
}

#[test]
fn short_training_reduces_the_loss() {
    let gm = GaussianMixture::<1, 4>::new(
        1.0,
        &[Component { weight: 0.5, mean: [-1.5], std: [0.4] }, Component { weight: 0.5, mean: [1.5], std: [0.4] }],
    )
    .unwrap();
    let pc = Preconditioning { sigma: 1.0, noise_floor: 0.4, data_mean: [0.0], data_std: [1.55] };
    let mut rng = DefaultRng::seed_from_u64(9);
    let cfg = TrainConfig { t_min: 0.0, t_max: 1.0, weighting: Weighting::One, batch: 64, ..TrainConfig::default() };
    let mut tr = Trainer::new(ScoreMlp::<f32, 1, 16, 1>::new_random(pc, &mut rng).unwrap(), cfg).unwrap();
    let mean = |tr: &mut Trainer<f32, 1, 16, 1>, rng: &mut DefaultRng, lr: f64, n: usize| {
        tr.set_lr(lr).unwrap();
        (0..n).map(|_| tr.step(&gm, rng).unwrap()).sum::<f64>() / n as f64
    };
    let first = mean(&mut tr, &mut rng, 0.0, 20);
    tr.set_lr(3e-3).unwrap();
    for _ in 0..600 {
        tr.step(&gm, &mut rng).unwrap();
    }
    let last = mean(&mut tr, &mut rng, 0.0, 20);
    assert!(last < 0.2 * first, "loss {first} -> {last}");
}
