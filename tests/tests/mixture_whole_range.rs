//! The mixture's promise on the whole finite range: for any valid parameters, any finite
//! `t >= 0` and any finite point, `evaluate` / `score` / `log_density` in `f64` and `f32`
//! return finite values, right within the README's bounds, or clamped to `+-MAX` and
//! flagged `saturated`, and flagged only where a true value is out of the type's range.
//! The truth is the 192-bit reference (`tinyscore_host::reference`, unbounded exponent),
//! and closed forms for the cases of the README's example mixture.

use proptest::prelude::*;
use tinyscore::mixture::{Component, GaussianMixture, MixtureScalar, PreparedBatch};
use tinyscore::{Scalar, Status};
use tinyscore_host::mixture_file::{ComponentSpec, MixtureSpec};
use tinyscore_host::reference::{Reference, ReferenceValue};

/// The README's example mixture, with one component replaced where asked.
fn readme(sigma: f64, second: Option<Component<1>>) -> GaussianMixture<1, 3> {
    let a = Component { weight: 0.25, mean: [-2.0], std: [0.5] };
    let b = Component { weight: 0.75, mean: [1.0], std: [0.3] };
    match second {
        Some(c) => GaussianMixture::new(sigma, &[Component { weight: 0.75, ..b }, Component { weight: 0.25, ..c }]),
        None => GaussianMixture::new(sigma, &[a, b]),
    }
    .unwrap()
}

/// log p and score of `w N(x; mu, v)` alone (the closed form of one dominating component).
fn one(w: f64, mu: f64, v: f64, x: f64) -> (f64, f64) {
    (w.ln() - 0.5 * ((2.0 * std::f64::consts::PI * v).ln() + (x - mu) * (x - mu) / v), -(x - mu) / v)
}

fn close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * (1.0 + want.abs())
}

#[test]
fn extreme_parameters_where_the_other_components_dominate() {
    let x = 0.5;
    // The README mixture at t = 0, x = 0.5, without the replaced component (weight 0.25).
    let (lp_b, s_b) = one(0.75, 1.0, 0.09, x);
    for (name, c) in [
        ("std 1e300", Component { weight: 0.25, mean: [-2.0], std: [1e300] }),
        ("std 1e-300", Component { weight: 0.25, mean: [-2.0], std: [1e-300] }),
        ("mean 1e308", Component { weight: 0.25, mean: [1e308], std: [0.5] }),
    ] {
        let gm = readme(1.0, Some(c));
        for (lp, s, st) in [eval::<f64>(&gm, 0.0, x), eval::<f32>(&gm, 0.0, x)] {
            assert_eq!(st, Status::Ok, "{name}");
            assert!(close(lp, lp_b, 1e-6) && close(s, s_b, 1e-6), "{name}: {lp} {s} vs {lp_b} {s_b}");
        }
        let (lp, s, _) = eval::<f64>(&gm, 0.0, x);
        assert!(close(lp, lp_b, 1e-15) && close(s, s_b, 1e-15), "{name}: {lp} {s}");
    }
    // sigma = 1e200: at t = 0 the README mixture itself, at t > 0 every variance is
    // sigma^2 t (1e400 at t = 1): two equal variances, log p = -0.5 ln(2 pi v) to 1e-400.
    let gm = readme(1e200, None);
    let (lp, s, st) = eval::<f64>(&gm, 0.0, x);
    assert_eq!(st, Status::Ok);
    let want =
        (0.25 * (-0.5 * (2.0f64 * std::f64::consts::PI * 0.25).ln() - 2.5 * 2.5 / 0.5).exp() + (lp_b).exp()).ln();
    assert!(close(lp, want, 1e-14), "{lp} {want}");
    assert!(s.is_finite());
    for t in [1e-300, 1e-100, 1.0, 1e300] {
        for (lp, s, st) in [eval::<f64>(&gm, t, x), eval::<f32>(&gm, t, x)] {
            let ln_v = 400.0 * 10f64.ln() + t.ln();
            let want = -0.5 * ((2.0 * std::f64::consts::PI).ln() + ln_v);
            assert_eq!(st, Status::Ok, "t = {t}");
            assert!(close(lp, want, 1e-6), "t = {t}: {lp} {want}");
            let v_ln = ln_v; // |s| <= 2.5 / v
            assert!(s.abs() <= 2.6 * (-v_ln).exp() + 1e-300, "t = {t}: {s}");
        }
    }
}

#[test]
fn huge_times_and_far_points() {
    let gm = readme(1.0, None);
    // t = 1.7e308: both variances are 1.7e308 to 1e-308 relative.
    let t: f64 = 1.7e308;
    let want = -0.5 * ((2.0 * std::f64::consts::PI).ln() + t.ln());
    for (lp, s, st) in [eval::<f64>(&gm, t, 0.5), eval::<f32>(&gm, t, 0.5)] {
        assert_eq!(st, Status::Ok);
        assert!(close(lp, want, 1e-7) && s.abs() < 1e-300, "{lp} {s}");
    }
    // x = 1e200 at t = 0.5: the component of largest variance (0.25 + 0.5) dominates.
    let (_, s_want) = one(0.25, -2.0, 0.75, 1e200);
    let p = gm.prepare::<f64>(0.5).unwrap();
    let (s, st) = p.score(&[1e200]);
    assert_eq!(st, Status::Ok);
    assert!(close(s[0], s_want, 1e-15), "{s:?} {s_want}");
    // log p = -6.7e399: out of range, clamped and flagged.
    let e = p.evaluate(&[1e200]);
    assert_eq!((e.log_density, e.status), (-f64::MAX, Status::Saturated));
    assert!(close(e.score[0], s_want, 1e-15));
    // f32 at 1e30 and 3.4e38: log p = -6.7e59 and -7.7e76, beyond f32: clamped, flagged;
    // the scores are in range.
    let p = gm.prepare::<f32>(0.5).unwrap();
    for x in [1e30f32, 3.4e38] {
        let (_, s_want) = one(0.25, -2.0, 0.75, x as f64);
        let (s, st) = p.score(&[x]);
        if x < 1e38 {
            assert_eq!(st, Status::Ok, "x = {x}");
            assert!(close(s[0] as f64, s_want, 1e-6), "x = {x}: {s:?}");
        } else {
            // -4.5e38: beyond f32 too.
            assert_eq!((s[0], st), (-f32::MAX, Status::Saturated));
        }
        let (lp, st) = p.log_density(&[x]);
        assert_eq!((lp, st), (-f32::MAX, Status::Saturated), "x = {x}");
    }
}

/// `(log p, score[0], status)` of `evaluate`, checked against `score` and `log_density`.
fn eval<S: MixtureScalar>(gm: &GaussianMixture<1, 3>, t: f64, x: f64) -> (f64, f64, Status) {
    let p = gm.prepare::<S>(t).unwrap();
    let xs = [S::from_f64(x).0];
    let e = p.evaluate(&xs);
    let (s, st_s) = p.score(&xs);
    let (l, st_l) = p.log_density(&xs);
    assert!(e.status.is_ok() || !st_s.is_ok() || !st_l.is_ok());
    let u = S::UNIT_ROUNDOFF;
    assert!(close(s[0].to_f64(), e.score[0].to_f64(), 8.0 * u), "{s:?} {e:?}");
    assert!(close(l.to_f64(), e.log_density.to_f64(), 8.0 * u), "{l:?} {e:?}");
    (e.log_density.to_f64(), e.score[0].to_f64(), e.status)
}

// ---- the property test over the whole finite range ----

/// A log-uniform magnitude from the smallest positive normal to the largest finite `f64`.
fn magnitude() -> impl Strategy<Value = f64> {
    (-1022.0f64..1024.0).prop_map(|e| 2f64.powf(e).min(f64::MAX))
}

fn signed() -> impl Strategy<Value = f64> {
    (any::<bool>(), magnitude(), 0u8..16).prop_map(|(neg, m, zero)| {
        let v = if zero == 0 { 0.0 } else { m };
        if neg {
            -v
        } else {
            v
        }
    })
}

fn time() -> impl Strategy<Value = f64> {
    (magnitude(), 0u8..8).prop_map(|(m, zero)| if zero == 0 { 0.0 } else { m })
}

fn mixture<const D: usize>() -> impl Strategy<Value = (f64, Vec<Component<D>>)> {
    let comp = (0.05f64..1.0, prop::array::uniform::<_, D>(signed()), prop::array::uniform::<_, D>(magnitude()))
        .prop_map(|(weight, mean, std)| Component { weight, mean, std });
    (time(), prop::collection::vec(comp, 1..4)).prop_map(|(sigma, mut comps)| {
        let total: f64 = comps.iter().map(|c| c.weight).sum();
        for c in comps.iter_mut() {
            c.weight /= total;
        }
        (sigma, comps)
    })
}

fn spec<const D: usize>(sigma: f64, comps: &[Component<D>]) -> MixtureSpec {
    let components =
        comps.iter().map(|c| ComponentSpec { weight: c.weight, mean: c.mean.to_vec(), std: c.std.to_vec() }).collect();
    MixtureSpec { sigma, components }
}

/// `true` if `v` (the reference value) is at or beyond the end of `S`'s range.
fn out_of_range<S: Scalar>(v: f64) -> bool {
    let max = if S::UNIT_ROUNDOFF < 1e-10 { f64::MAX } else { f32::MAX as f64 };
    v.is_nan() || v.abs() >= max * (1.0 - 4.0 * S::UNIT_ROUNDOFF)
}

/// Check one scalar type at one point against the reference (`None`: the reference cannot
/// resolve the softmax, only finiteness and consistency are checked).
fn check<S: MixtureScalar, const D: usize>(
    gm: &GaussianMixture<D, 3>,
    t: f64,
    x: &[S; D],
    r: Option<&ReferenceValue>,
) -> Result<(), TestCaseError> {
    let p = gm.prepare::<S>(t).unwrap();
    let e = p.evaluate(x);
    let (s, st_s) = p.score(x);
    let (l, st_l) = p.log_density(x);
    let finite = |v: S| v.to_f64().is_finite();
    prop_assert!(finite(e.log_density) && e.score.iter().all(|&v| finite(v)), "{} evaluate {e:?}", S::NAME);
    prop_assert!(finite(l) && s.iter().all(|&v| finite(v)), "{} {s:?} {l:?}", S::NAME);
    // The batch API (the vectorised kernel for f32): finite too.
    let pb = PreparedBatch::<S, D, 3>::new(gm, t).unwrap();
    let (mut lpb, mut scb) = ([S::default()], [[S::default(); D]]);
    let st_b = pb.evaluate_batch(core::slice::from_ref(x), &mut lpb, &mut scb);
    prop_assert!(finite(lpb[0]) && scb[0].iter().all(|&v| finite(v)), "{} batch {lpb:?} {scb:?}", S::NAME);
    let u = S::UNIT_ROUNDOFF;
    // The README's bounds, C = 6 (tails).
    let c = 6.0;
    for (sd, ed) in s.iter().zip(e.score.iter()) {
        if st_s.is_ok() && e.status.is_ok() {
            prop_assert!(close(sd.to_f64(), ed.to_f64(), 2.0 * c * u), "{} score {s:?} vs {e:?}", S::NAME);
        }
    }
    let Some(r) = r else { return Ok(()) };
    let score_out = r.score.iter().any(|v| out_of_range::<S>(v.hi));
    let logp_out = out_of_range::<S>(r.log_density.hi);
    prop_assert!(st_s.is_ok() || score_out, "{}: score flagged, reference {r:?}, got {s:?}", S::NAME);
    prop_assert!(st_l.is_ok() || logp_out, "{}: log p flagged, reference {r:?}, got {l:?}", S::NAME);
    prop_assert!(e.status.is_ok() || score_out || logp_out, "{}: flagged, reference {r:?}, got {e:?}", S::NAME);
    prop_assert!(st_b.is_ok() || score_out || logp_out, "{}: batch flagged, reference {r:?}", S::NAME);
    for ((sd, (ed, rd)), scale) in s.iter().zip(e.score.iter().zip(r.score.iter())).zip(r.score_scale.iter()) {
        // The softmax weights carry the log_norm rounding too (see the log p bound below).
        let bound = c * u * (1.0 + scale) * (1.0 + ln_scale(gm, t));
        for (got, ok) in [(sd.to_f64(), st_s.is_ok()), (ed.to_f64(), e.status.is_ok())] {
            if ok {
                prop_assert!(rd.error_of(got).abs() <= bound, "{}: score {got} vs {rd:?} (bound {bound})", S::NAME);
            } else if out_of_range::<S>(rd.hi) {
                prop_assert!(got.abs() >= max_of::<S>() * 0.99, "{}: score {got} not clamped ({rd:?})", S::NAME);
            }
        }
    }
    // log p is formed from log_norm_j = ln w_j - 1/2 sum_d ln(2 pi v_jd), rounded in f64:
    // where the ln v_jd are large and cancel, that rounding (u times their size) counts too.
    let bound = c * u * (1.0 + r.log_density.hi.abs()) + c * f64::EPSILON * ln_scale(gm, t);
    for (got, ok) in [(l.to_f64(), st_l.is_ok()), (e.log_density.to_f64(), e.status.is_ok())] {
        if ok {
            let err = r.log_density.error_of(got).abs();
            prop_assert!(err <= bound, "{}: log p {got} vs {:?} (bound {bound})", S::NAME, r.log_density);
        } else if logp_out {
            prop_assert!(got.abs() >= max_of::<S>() * 0.99, "{}: log p {got} not clamped", S::NAME);
        }
    }
    Ok(())
}

/// `max_j (|ln w_j| + 1/2 sum_d |ln(2 pi v_jd)|)`, roughly.
fn ln_scale<const D: usize>(gm: &GaussianMixture<D, 3>, t: f64) -> f64 {
    let ln_sq = |v: f64| 2.0 * v.ln();
    gm.components()
        .iter()
        .map(|c| {
            let dims: f64 = c
                .std
                .iter()
                .map(|&sd| {
                    let lv =
                        if gm.sigma() > 0.0 && t > 0.0 { ln_sq(sd).max(ln_sq(gm.sigma()) + t.ln()) } else { ln_sq(sd) };
                    (lv + 2.0).abs()
                })
                .sum();
            c.weight.ln().abs() + 0.5 * dims
        })
        .fold(0.0, f64::max)
}

fn max_of<S: Scalar>() -> f64 {
    if S::UNIT_ROUNDOFF < 1e-10 {
        f64::MAX
    } else {
        f32::MAX as f64
    }
}

/// The 192-bit reference resolves the softmax when the log-likelihoods are below 1e30
/// (or there is one component).
fn resolvable(r: &ReferenceValue, k: usize) -> bool {
    k == 1 || r.log_density.hi.abs() < 1e30
}

fn run_case<const D: usize>(sigma: f64, comps: &[Component<D>], t: f64, x: [f64; D]) -> Result<(), TestCaseError> {
    let gm = GaussianMixture::<D, 3>::new(sigma, comps).unwrap();
    let sp = spec(sigma, comps);
    let mut reference = Reference::new();
    let r = reference.evaluate(&sp, t, &x);
    check::<f64, D>(&gm, t, &x, resolvable(&r, comps.len()).then_some(&r))?;
    // f32: the point rounded to f32 (within its range).
    let x32 = x.map(|v| v.clamp(-(f32::MAX as f64), f32::MAX as f64) as f32);
    let r = reference.evaluate(&sp, t, &x32.map(|v| v as f64));
    check::<f32, D>(&gm, t, &x32, resolvable(&r, comps.len()).then_some(&r))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn whole_range_1d((sigma, comps) in mixture::<1>(), t in time(), x in signed()) {
        run_case::<1>(sigma, &comps, t, [x])?;
    }

    #[test]
    fn whole_range_2d((sigma, comps) in mixture::<2>(), t in time(), x in prop::array::uniform2(signed())) {
        run_case::<2>(sigma, &comps, t, x)?;
    }

    /// One component near its mean (scaled): the closed form's values are ordinary numbers
    /// however extreme the parameters.
    #[test]
    fn one_component_near_its_mean(mu in signed(), std in magnitude(), sigma in time(), t in time(), k in -4.0f64..4.0) {
        let comps = [Component { weight: 1.0, mean: [mu], std: [std] }];
        let v = std * std + sigma * sigma * t;
        let x = mu + k * v.sqrt();
        if x.is_finite() {
            run_case::<1>(sigma, &comps, t, [x])?;
        }
    }
}
