//! The batch API against the 192-bit reference: the `f32` kernel (portable and AVX2 paths)
//! meets the mixture accuracy bounds `C <= 4` (bulk) and `C <= 6` (tails), like the scalar path.

use tinyscore::mixture::GaussianMixture;
use tinyscore::mixture::PreparedBatch;
use tinyscore::Scalar;
use tinyscore_host::cmd_score::to_scalar_point;
use tinyscore_host::reference::ReferenceValue;
use tinyscore_host::report::accuracy::{domain_sets, Probe, ProbeSet};
use tinyscore_host::{fast_batch, with_mixture};

/// Largest C of log p and of the score over the probes (batch path), and saturated count.
fn worst_c<const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    probes: &[Probe],
    refs: &[ReferenceValue],
    dispatch: bool,
) -> (f64, f64, usize) {
    let u = f32::UNIT_ROUNDOFF;
    let (mut cl, mut cs, mut sat) = (0.0f64, 0.0f64, 0);
    // Group the probes by t so that each batch shares one preparation.
    let mut i = 0;
    while i < probes.len() {
        let t = probes[i].t;
        let j = probes[i..].iter().position(|p| p.t != t).map_or(probes.len(), |k| i + k);
        let pb = PreparedBatch::<f32, D, K>::new(gm, t).unwrap();
        let xs: Vec<[f32; D]> = probes[i..j].iter().map(|p| to_scalar_point::<f32, D>(&p.x).0).collect();
        let mut lp = vec![0.0f32; xs.len()];
        let mut sc = vec![[0.0f32; D]; xs.len()];
        let st = if dispatch {
            fast_batch::evaluate_batch(&pb, &xs, &mut lp, &mut sc)
        } else {
            pb.evaluate_batch(&xs, &mut lp, &mut sc)
        };
        if !st.is_ok() {
            sat += 1;
        }
        for ((l, s), r) in lp.iter().zip(&sc).zip(&refs[i..j]) {
            cl = cl.max(r.log_density.error_of(*l as f64).abs() / (u * (1.0 + r.log_density.hi.abs())));
            for ((sd, rs), scale) in s.iter().zip(&r.score).zip(&r.score_scale) {
                cs = cs.max(rs.error_of(*sd as f64).abs() / (u * (1.0 + scale)));
            }
        }
        i = j;
    }
    (cl, cs, sat)
}

fn check(set: &ProbeSet, bound: f64, dispatch: bool) {
    let (mut cl, mut cs, mut sat) = (0.0f64, 0.0f64, 0);
    for (_, mixture, probes, refs) in &set.groups {
        let (a, b, s) = with_mixture!(mixture, gm => worst_c(gm, probes, refs, dispatch));
        cl = cl.max(a);
        cs = cs.max(b);
        sat += s;
    }
    assert_eq!(sat, 0, "{}: saturated batches", set.name);
    assert!(
        cl <= bound && cs <= bound,
        "{} (dispatch {dispatch}): C log p {cl:.2}, C score {cs:.2} > {bound}",
        set.name
    );
    // The bound is not vacuous: the errors are not all zero.
    assert!(cl > 0.01 && cs > 0.01, "{}: C log p {cl}, C score {cs}", set.name);
}

#[test]
fn f32_batch_meets_the_accuracy_bounds() {
    let (bulk, tails) = domain_sets(6, 20, 2026).unwrap();
    for dispatch in [false, true] {
        check(&bulk, 4.0, dispatch);
        check(&tails, 6.0, dispatch);
    }
}

#[test]
fn other_types_batch_equals_the_scalar_path() {
    use fixed::types::I16F16;
    let spec = tinyscore_host::mixture_file::default_spec();
    let gm: GaussianMixture<1, 4> = spec.to_core().unwrap();
    let xs: Vec<[f64; 1]> = (0..37).map(|i| [-8.0 + 0.45 * i as f64]).collect();
    let pb = PreparedBatch::<f64, 1, 4>::new(&gm, 0.3).unwrap();
    let mut lp = vec![0.0; 37];
    let mut sc = vec![[0.0; 1]; 37];
    assert!(pb.evaluate_batch(&xs, &mut lp, &mut sc).is_ok());
    for ((x, l), s) in xs.iter().zip(&lp).zip(&sc) {
        let e = pb.scalar().evaluate(x);
        assert_eq!((e.log_density, e.score), (*l, *s));
    }
    let xq: Vec<[I16F16; 1]> = xs.iter().map(|x| [I16F16::from_num(x[0])]).collect();
    let pq = PreparedBatch::<I16F16, 1, 4>::new(&gm, 0.3).unwrap();
    let mut out = vec![[I16F16::ZERO; 1]; 37];
    assert!(pq.score_batch(&xq, &mut out).is_ok());
    for (x, s) in xq.iter().zip(&out) {
        assert_eq!(pq.scalar().score(x).0, *s);
    }
}
