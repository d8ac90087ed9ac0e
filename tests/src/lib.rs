//! Shared helpers of the cross-crate integration tests: the mpmath golden fixture.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tinyscore_host::mixture_file::MixtureSpec;
use tinyscore_host::reference::{Reference, ReferenceValue};
use tinyscore_host::report::accuracy::{Probe, ProbeSet};

/// Folder of the reference data.
pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference")
}

/// Read a test mixture by file stem.
pub fn load_spec(name: &str) -> MixtureSpec {
    let path = reference_dir().join("mixtures").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    MixtureSpec::parse(&text, name).expect("test mixture parses")
}

/// `max_j |x_d - mu_jd| / v_jd` per dimension.
pub fn score_scale(spec: &MixtureSpec, t: f64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|d| {
            spec.components
                .iter()
                .map(|c| (x[d] - c.mean[d]).abs() / (c.std[d] * c.std[d] + spec.sigma * spec.sigma * t))
                .fold(0.0, f64::max)
        })
        .collect()
}

/// Distance of `x` to the nearest component in that component's standard deviations
/// (the largest over dimensions): below 4.5 the point is "bulk", else "tail".
pub fn sd_distance(spec: &MixtureSpec, t: f64, x: &[f64]) -> f64 {
    spec.components
        .iter()
        .map(|c| {
            x.iter()
                .enumerate()
                .map(|(d, xd)| (xd - c.mean[d]).abs() / (c.std[d] * c.std[d] + spec.sigma * spec.sigma * t).sqrt())
                .fold(0.0, f64::max)
        })
        .fold(f64::INFINITY, f64::min)
}

/// The golden fixture (mpmath, 50 digits) as probe sets, one per mixture, split into
/// bulk (< 4.5 sd from some component) and tails.
pub fn golden_sets() -> (ProbeSet, ProbeSet) {
    let path = reference_dir().join("golden.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut parser = Reference::new();
    type Group = (Vec<Probe>, Vec<ReferenceValue>);
    let mut bulk: BTreeMap<String, Group> = BTreeMap::new();
    let mut tails: BTreeMap<String, Group> = BTreeMap::new();
    let mut specs: BTreeMap<String, MixtureSpec> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.expect("golden row");
        let name = rec[0].to_string();
        let spec = specs.entry(name.clone()).or_insert_with(|| load_spec(&name)).clone();
        let d = spec.dims();
        let t: f64 = rec[1].parse().expect("t");
        let x: Vec<f64> = (0..d).map(|i| rec[2 + i].parse().expect("x")).collect();
        let log_density = parser.parse_double(&rec[5]);
        let score = (0..d).map(|i| parser.parse_double(&rec[6 + i])).collect();
        let r = ReferenceValue { log_density, score, score_scale: score_scale(&spec, t, &x) };
        let target = if sd_distance(&spec, t, &x) < 4.5 { &mut bulk } else { &mut tails };
        let g = target.entry(name).or_default();
        g.0.push(Probe { t, x });
        g.1.push(r);
    }
    let build = |name: &str, m: BTreeMap<String, Group>| ProbeSet {
        name: name.to_string(),
        groups: m
            .into_iter()
            .map(|(k, (probes, refs))| {
                let spec = specs[&k].clone();
                let any = spec.validate(&k).expect("valid test mixture");
                (spec, any, probes, refs)
            })
            .collect(),
    };
    (build("bulk", bulk), build("tails", tails))
}
