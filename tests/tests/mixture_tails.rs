//! The far tails: at 40 standard deviations and beyond, the stable form stays finite and
//! accurate in f32 and f64, where the literal Eq. 57 (a ratio of underflowed densities)
//! gives NaN.

use tinyscore::mixture::{Component, GaussianMixture};
use tinyscore_host::eval::ScalarKind;
use tinyscore_host::mixture_file::default_spec;
use tinyscore_host::report::accuracy::{literal_eq57_f32, representable, summarise, Probe, ProbeSet};

#[test]
fn literal_eq57_is_nan_where_the_stable_form_is_not() {
    let spec = default_spec();
    let gm: GaussianMixture<1, 4> = spec.to_core().unwrap();
    let t = 0.0;
    // 40 sd to the right of the widest component.
    let x = 3.0 + 40.0 * 1.0;
    let literal = literal_eq57_f32(&spec, t, &[x]);
    assert!(literal[0].is_nan(), "literal Eq. 57 gave {}", literal[0]);
    let e = gm.prepare::<f32>(t).unwrap().evaluate(&[x as f32]);
    assert!(e.status.is_ok());
    assert!(e.score[0].is_finite() && e.log_density.is_finite());
    // Far right of every component the widest one dominates: s = -(x - 3) / 1.
    assert!((e.score[0] as f64 + 40.0).abs() < 1e-4, "{}", e.score[0]);
}

#[test]
fn floats_are_accurate_from_40_to_1000_sd() {
    let spec = default_spec();
    let mut probes = Vec::new();
    for &t in &[0.0, 0.3, 1.0] {
        for c in &spec.components {
            let sd = (c.std[0] * c.std[0] + t).sqrt();
            for k in [-1000.0, -300.0, -100.0, -40.0, 40.0, 100.0, 300.0, 1000.0] {
                probes.push(Probe { t, x: vec![representable(c.mean[0] + k * sd)] });
            }
        }
    }
    let set = ProbeSet::new("far tails", vec![(spec, probes)]).unwrap();
    for kind in [ScalarKind::F64, ScalarKind::F32] {
        let s = summarise(&set.measure(kind));
        assert_eq!(s.saturated, 0);
        assert!(s.c_log_density <= 6.0 && s.c_score <= 6.0, "{kind}: {s:?}");
    }
}

#[test]
fn float_overflow_is_flagged_not_nan() {
    let gm = GaussianMixture::<1, 2>::new(1.0, &[Component { weight: 1.0, mean: [0.0], std: [1e-3] }]).unwrap();
    let e = gm.prepare::<f32>(0.0).unwrap().evaluate(&[3.0e38]);
    assert!(!e.status.is_ok());
    assert!(!e.score[0].is_nan() && !e.log_density.is_nan(), "{e:?}");
}
