//! The core's evaluate / score / log_density with arbitrary `f64` parameters, times and
//! points, in every scalar type: no panic, and every result finite (a value out of range is
//! clamped and flagged, never NaN or infinite).
#![no_main]

use fixed::types::{I16F16, I8F24};
use libfuzzer_sys::{arbitrary::Arbitrary, fuzz_target};
use tinyscore::mixture::{Component, GaussianMixture, MixtureScalar};

#[derive(Arbitrary, Debug)]
struct Input {
    sigma: f64,
    comps: [(f64, [f64; 2], [f64; 2]); 3],
    n: u8,
    t: f64,
    x: [f64; 2],
}

fn check<S: MixtureScalar>(gm: &GaussianMixture<2, 3>, t: f64, x: [f64; 2], finite: impl Fn(S) -> bool) {
    let Ok(p) = gm.prepare::<S>(t) else { return };
    let xs = x.map(|v| S::from_f64(v).0);
    let e = p.evaluate(&xs);
    assert!(finite(e.log_density) && e.score.iter().all(|&v| finite(v)), "{} evaluate: {e:?}", S::NAME);
    let (s, _) = p.score(&xs);
    assert!(s.iter().all(|&v| finite(v)), "{} score: {s:?}", S::NAME);
    let (l, _) = p.log_density(&xs);
    assert!(finite(l), "{} log_density: {l:?}", S::NAME);
}

fuzz_target!(|inp: Input| {
    let n = 1 + inp.n as usize % 3;
    let total: f64 = inp.comps.iter().take(n).map(|c| c.0.abs()).sum();
    let comps: Vec<Component<2>> = inp
        .comps
        .iter()
        .take(n)
        .map(|&(w, mean, std)| Component { weight: if total > 0.0 { w.abs() / total } else { w }, mean, std })
        .collect();
    let Ok(gm) = GaussianMixture::<2, 3>::new(inp.sigma, &comps) else { return };
    check::<f64>(&gm, inp.t, inp.x, |v| v.is_finite());
    check::<f32>(&gm, inp.t, inp.x, |v| v.is_finite());
    check::<I16F16>(&gm, inp.t, inp.x, |_| true);
    check::<I8F24>(&gm, inp.t, inp.x, |_| true);
});
