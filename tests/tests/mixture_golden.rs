//! The mixture's log-density and score against the mpmath (50-digit) golden fixture,
//! `reference/golden.csv`, in every scalar type, with the accuracy bounds of the README:
//! `|err| <= C u (1 + |log p|)` and `|err_d| <= C u (1 + max_j |x_d - mu_jd| / v_jd)`.

use tinyscore_host::eval::ScalarKind;
use tinyscore_host::report::accuracy::{summarise, PointError};
use tinyscore_tests::golden_sets;

fn worst(errors: &[PointError]) -> (f64, f64, usize) {
    let s = summarise(errors);
    (s.c_log_density, s.c_score, s.saturated)
}

#[test]
fn floats_meet_their_bounds_on_the_golden_points() {
    let (bulk, tails) = golden_sets();
    assert!(bulk.groups.iter().map(|g| g.2.len()).sum::<usize>() > 500);
    assert!(tails.groups.iter().map(|g| g.2.len()).sum::<usize>() > 500);
    for kind in [ScalarKind::F64, ScalarKind::F32] {
        let (cl, cs, sat) = worst(&bulk.measure(kind));
        assert_eq!(sat, 0, "{kind}: saturated in the bulk");
        assert!(cl <= 4.0 && cs <= 4.0, "{kind} bulk: C log p {cl}, C score {cs}");
        let (cl, cs, sat) = worst(&tails.measure(kind));
        assert_eq!(sat, 0, "{kind}: saturated in the tails");
        assert!(cl <= 6.0 && cs <= 6.0, "{kind} tails: C log p {cl}, C score {cs}");
    }
}

#[test]
fn fixed_point_meets_its_bound_and_flags_the_rest() {
    let (bulk, tails) = golden_sets();
    for kind in [ScalarKind::I16f16, ScalarKind::I8f24] {
        for set in [&bulk, &tails] {
            let errs = set.measure(kind);
            // Every result not flagged saturated is within C = 16.
            let (cl, cs, _) = worst(&errs);
            assert!(cl <= 16.0 && cs <= 16.0, "{kind} {}: C log p {cl}, C score {cs}", set.name);
        }
        // The golden bulk lies in both documented domains: nothing saturates there.
        let (_, _, sat) = worst(&bulk.measure(kind));
        assert_eq!(sat, 0, "{kind}: saturated in the bulk");
    }
    // log p below -128 does not fit I8F24: those tail points must say so.
    let errs = tails.measure(ScalarKind::I8f24);
    assert!(errs.iter().any(|e| e.saturated));
}
