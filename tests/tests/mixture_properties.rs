//! Properties of the mixture score that hold whatever the parameters, checked with proptest
//! against independent computations (finite differences, closed forms, the 192-bit
//! reference).

use proptest::prelude::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::mixture::{Component, GaussianMixture};
use tinyscore_host::eval::ScalarKind;
use tinyscore_host::report::accuracy::{draw_probes, random_spec, summarise, ProbeSet};

type Gm2 = GaussianMixture<2, 8>;

fn component() -> impl Strategy<Value = Component<2>> {
    (0.1f64..1.0, prop::array::uniform2(-4.0f64..4.0), prop::array::uniform2(0.2f64..2.0))
        .prop_map(|(weight, mean, std)| Component { weight, mean, std })
}

fn mixture() -> impl Strategy<Value = (f64, Vec<Component<2>>)> {
    (0.0f64..2.0, prop::collection::vec(component(), 1..6)).prop_map(|(sigma, mut comps)| {
        let total: f64 = comps.iter().map(|c| c.weight).sum();
        for c in comps.iter_mut() {
            c.weight /= total;
        }
        (sigma, comps)
    })
}

fn eval(gm: &Gm2, t: f64, x: [f64; 2]) -> (f64, [f64; 2]) {
    let e = gm.prepare::<f64>(t).unwrap().evaluate(&x);
    assert!(e.status.is_ok());
    (e.log_density, e.score)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn score_is_the_gradient_of_log_p((sigma, comps) in mixture(), t in 0.0f64..1.0, x in prop::array::uniform2(-6.0f64..6.0)) {
        let gm = Gm2::new(sigma, &comps).unwrap();
        let (_, s) = eval(&gm, t, x);
        for d in 0..2 {
            let h = 1e-5;
            let mut xp = x;
            let mut xm = x;
            xp[d] += h;
            xm[d] -= h;
            let fd = (eval(&gm, t, xp).0 - eval(&gm, t, xm).0) / (2.0 * h);
            // Central differences: O(h^2) truncation plus O(u |log p| / h) rounding.
            prop_assert!((fd - s[d]).abs() <= 1e-5 * (1.0 + s[d].abs()), "d {d}: fd {fd} vs score {}", s[d]);
        }
    }

    #[test]
    fn invariant_under_permuting_components((sigma, comps) in mixture(), t in 0.0f64..1.0, x in prop::array::uniform2(-8.0f64..8.0)) {
        let gm = Gm2::new(sigma, &comps).unwrap();
        let mut rev = comps.clone();
        rev.reverse();
        let (l1, s1) = eval(&gm, t, x);
        let (l2, s2) = eval(&Gm2::new(sigma, &rev).unwrap(), t, x);
        prop_assert!((l1 - l2).abs() <= 1e-14 * (1.0 + l1.abs()));
        for d in 0..2 {
            prop_assert!((s1[d] - s2[d]).abs() <= 1e-13 * (1.0 + s1[d].abs()), "{s1:?} vs {s2:?}");
        }
    }

    #[test]
    fn equivariant_under_translation((sigma, comps) in mixture(), t in 0.0f64..1.0, x in prop::array::uniform2(-8.0f64..8.0), shift in prop::array::uniform2(-3i32..3)) {
        // Shifts by multiples of 1/4 keep every coordinate exactly representable.
        let c = [shift[0] as f64 * 0.25, shift[1] as f64 * 0.25];
        let x = [(x[0] * 1024.0).round() / 1024.0, (x[1] * 1024.0).round() / 1024.0];
        let moved: Vec<Component<2>> = comps
            .iter()
            .map(|k| Component { weight: k.weight, mean: [k.mean[0] + c[0], k.mean[1] + c[1]], std: k.std })
            .collect();
        let (l1, s1) = eval(&Gm2::new(sigma, &comps).unwrap(), t, x);
        let (l2, s2) = eval(&Gm2::new(sigma, &moved).unwrap(), t, [x[0] + c[0], x[1] + c[1]]);
        prop_assert!((l1 - l2).abs() <= 1e-13 * (1.0 + l1.abs()));
        for d in 0..2 {
            prop_assert!((s1[d] - s2[d]).abs() <= 1e-12 * (1.0 + s1[d].abs()), "{s1:?} vs {s2:?}");
        }
    }

    #[test]
    fn one_diagonal_component_is_a_product_of_1d_densities(mean in prop::array::uniform3(-4.0f64..4.0), std in prop::array::uniform3(0.2f64..2.0), sigma in 0.0f64..2.0, t in 0.0f64..1.0, x in prop::array::uniform3(-6.0f64..6.0)) {
        let gm3 = GaussianMixture::<3, 1>::new(sigma, &[Component { weight: 1.0, mean, std }]).unwrap();
        let e = gm3.prepare::<f64>(t).unwrap().evaluate(&x);
        let mut log_p = 0.0;
        for d in 0..3 {
            // The 1-D normal density in closed form.
            let v = std[d] * std[d] + sigma * sigma * t;
            let z = x[d] - mean[d];
            log_p += -0.5 * (2.0 * std::f64::consts::PI * v).ln() - z * z / (2.0 * v);
            prop_assert!((e.score[d] + z / v).abs() <= 1e-13 * (1.0 + (z / v).abs()));
        }
        prop_assert!((e.log_density - log_p).abs() <= 1e-13 * (1.0 + log_p.abs()), "{} vs {log_p}", e.log_density);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The accuracy-goal fixed-point domain: |mu| <= 4, 0.25 <= std <= 2, sigma^2 t <= 2.25,
    /// up to 8 components in up to 3 dimensions, points drawn from p(., t): no saturation
    /// and C <= 16 against the 192-bit reference.
    #[test]
    fn fixed_point_within_bound_on_its_domain(seed in any::<u64>(), k in 1usize..=8, d in 1usize..=3, t in 0.0f64..1.0) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let spec = random_spec(&mut rng, k, d);
        let probes = draw_probes(&spec, t, 8, &mut rng);
        let set = ProbeSet::new("domain", vec![(spec, probes)]).unwrap();
        for kind in [ScalarKind::I16f16, ScalarKind::I8f24] {
            let s = summarise(&set.measure(kind));
            prop_assert_eq!(s.saturated, 0);
            prop_assert!(s.c_log_density <= 16.0 && s.c_score <= 16.0, "{kind}: {s:?}");
        }
    }
}

/// A random mixture and points over the whole documented domain of a fixed type.
fn documented_domain_set(seed: u64, k: usize, d: usize, pos: f64, std: (f64, f64), max_s2t: f64) -> ProbeSet {
    use rand::Rng;
    use tinyscore_host::mixture_file::{ComponentSpec, MixtureSpec};
    use tinyscore_host::report::accuracy::{representable, Probe};
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let raw: Vec<f64> = (0..k).map(|_| rng.random_range(0.5..1.5)).collect();
    let total: f64 = raw.iter().sum();
    // Log-uniform standard deviations over the whole range.
    let (lo, hi) = (std.0.ln(), std.1.ln());
    let spec = MixtureSpec {
        sigma: 1.0,
        components: raw
            .iter()
            .map(|w| ComponentSpec {
                weight: w / total,
                mean: (0..d).map(|_| representable(rng.random_range(-pos..pos))).collect(),
                std: (0..d).map(|_| rng.random_range(lo..hi).exp()).collect(),
            })
            .collect(),
    };
    let probes = (0..6)
        .map(|i| {
            // Half the points near a component, half anywhere in the domain.
            let c = &spec.components[i % k];
            let t = rng.random_range(0.0..max_s2t);
            let x = (0..d)
                .map(|dd| {
                    let v = if i % 2 == 0 {
                        c.mean[dd] + rng.random_range(-3.0..3.0) * (c.std[dd] * c.std[dd] + t).sqrt()
                    } else {
                        rng.random_range(-pos..pos)
                    };
                    representable(v.clamp(-pos, pos))
                })
                .collect();
            Probe { t, x }
        })
        .collect();
    ProbeSet::new("documented domain", vec![(spec, probes)]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The README's fixed-point domains: every result either meets C = 16 or is flagged
    /// saturated, and it is flagged only where a true value is beyond the type's range.
    #[test]
    fn fixed_point_meets_its_bound_on_the_documented_domain(seed in any::<u64>(), k in 1usize..=8, d in 1usize..=3) {
        for (kind, pos, std, s2t, range) in [
            (ScalarKind::I16f16, 1024.0, (1.0 / 16.0, 64.0), 4096.0, 32768.0),
            (ScalarKind::I8f24, 64.0, (0.25, 8.0), 64.0, 128.0),
        ] {
            let set = documented_domain_set(seed, k, d, pos, std, s2t);
            let errs = set.measure(kind);
            let refs = &set.groups[0].3;
            for (e, r) in errs.iter().zip(refs) {
                let beyond = r.log_density.hi.abs() >= range * 0.999
                    || r.score.iter().any(|s| s.hi.abs() >= range * 0.999);
                if e.saturated {
                    prop_assert!(beyond, "{kind}: saturated at t {} x0 {} though log p = {} and s = {:?} fit",
                        e.t, e.x0, r.log_density.hi, r.score.iter().map(|s| s.hi).collect::<Vec<_>>());
                } else {
                    prop_assert!(e.c_log_density <= 16.0 && e.c_score <= 16.0, "{kind}: {e:?}");
                }
            }
        }
    }
}
