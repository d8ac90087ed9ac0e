//! Accuracy of the mixture log-density and score per scalar type against the 192-bit
//! reference ([`crate::reference`]).
//!
//! Three probe sets:
//! * the built-in default mixture on a grid of `x` across and beyond it, at several `t`;
//! * `bulk`: random mixtures in the accuracy-goal fixed-point domain (|mu| <= 4,
//!   0.25 <= std <= 2, sigma^2 t <= 2.25, up to 8 components, up to 3 dimensions), points
//!   drawn from `p(., t)`;
//! * `tails`: the same mixtures at `mu_j +- k sd_j(t)`, k in 5, 13, 40, 60, 100.
//!
//! Inputs are rounded first so that they are exactly representable in every type
//! (multiples of 2^-16 below 127 in magnitude, `f32` values beyond), and the reference is
//! evaluated at those inputs.

use std::marker::PhantomData;
use std::path::PathBuf;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tinyscore::mixture::GaussianMixture;
use tinyscore::score_source::MixtureScore;
use tinyscore::Scalar;

use super::plots::{line_plot, Series};
use super::{ReportOptions, Section};
use crate::cmd_score::to_scalar_point;
use crate::dims::AnyMixture;
use crate::eval::ScalarKind;
use crate::mixture_file::{default_spec, ComponentSpec, MixtureSpec};
use crate::reference::{Reference, ReferenceValue};
use crate::{with_mixture, with_scalar};

/// A point at which to evaluate.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Time.
    pub t: f64,
    /// Coordinates (representable in every scalar type when `|x| < 127`).
    pub x: Vec<f64>,
}

/// A mixture, its probe points and the reference values there.
pub struct ProbeSet {
    /// Name in tables.
    pub name: String,
    /// The mixtures (one per group of probes).
    pub groups: Vec<(MixtureSpec, AnyMixture, Vec<Probe>, Vec<ReferenceValue>)>,
}

/// The error of one type at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct PointError {
    /// Time.
    pub t: f64,
    /// First coordinate.
    pub x0: f64,
    /// The type's first score component.
    pub score0: f64,
    /// `got - reference` of the log-density.
    pub log_density: f64,
    /// `got - reference` of each score component.
    pub score: Vec<f64>,
    /// `|error| / (u (1 + |log p|))`.
    pub c_log_density: f64,
    /// `max_d |error_d| / (u (1 + max_j |x_d - mu_jd| / v_jd))`.
    pub c_score: f64,
    /// The evaluation (or the input conversion) saturated.
    pub saturated: bool,
}

/// Round a coordinate so that every scalar type represents it exactly.
pub fn representable(x: f64) -> f64 {
    if x.abs() < 127.0 {
        (x * 65536.0).round() / 65536.0
    } else {
        x as f32 as f64
    }
}

/// A random mixture in the accuracy-goal fixed-point domain: `k` components in `d` dimensions,
/// |mu| <= 4, 0.25 <= std <= 2, 0.5 <= sigma <= 1.5.
pub fn random_spec<R: Rng>(rng: &mut R, k: usize, d: usize) -> MixtureSpec {
    let raw: Vec<f64> = (0..k).map(|_| rng.random_range(0.5..1.5)).collect();
    let total: f64 = raw.iter().sum();
    MixtureSpec {
        sigma: rng.random_range(0.5..1.5),
        components: raw
            .iter()
            .map(|w| ComponentSpec {
                weight: w / total,
                mean: (0..d).map(|_| rng.random_range(-4.0..4.0)).collect(),
                std: (0..d).map(|_| rng.random_range(0.25..2.0)).collect(),
            })
            .collect(),
    }
}

/// Exact draws from `p(., t)` of a spec, rounded with [`representable`].
pub fn draw_probes<R: Rng>(spec: &MixtureSpec, t: f64, n: usize, rng: &mut R) -> Vec<Probe> {
    (0..n)
        .map(|_| {
            let u: f64 = rng.random();
            let mut acc = 0.0;
            let mut c = &spec.components[spec.components.len() - 1];
            for comp in &spec.components {
                acc += comp.weight;
                if u < acc {
                    c = comp;
                    break;
                }
            }
            let x = c
                .mean
                .iter()
                .zip(&c.std)
                .map(|(m, s)| {
                    let z: f64 = rng.sample(rand_distr::StandardNormal);
                    representable(m + (s * s + spec.sigma * spec.sigma * t).sqrt() * z)
                })
                .collect();
            Probe { t, x }
        })
        .collect()
}

/// Tail points `mu_j + k sd_j(t)` (every coordinate moved) for each component.
pub fn tail_probes(spec: &MixtureSpec, t: f64, ks: &[f64]) -> Vec<Probe> {
    let mut out = Vec::new();
    for c in &spec.components {
        for &k in ks {
            let x = c
                .mean
                .iter()
                .zip(&c.std)
                .map(|(m, s)| representable(m + k * (s * s + spec.sigma * spec.sigma * t).sqrt()))
                .collect();
            out.push(Probe { t, x });
        }
    }
    out
}

/// The tail multiples used by the report and the tests.
pub const TAIL_KS: [f64; 10] = [-100.0, -60.0, -40.0, -13.0, -5.0, 5.0, 13.0, 40.0, 60.0, 100.0];

fn progress(len: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

impl ProbeSet {
    /// Build a set, computing the reference at every probe (with a progress bar).
    pub fn new(name: &str, groups: Vec<(MixtureSpec, Vec<Probe>)>) -> Result<ProbeSet> {
        let total: usize = groups.iter().map(|g| g.1.len()).sum();
        let pb = progress(total, &format!("reference: {name}"));
        let mut reference = Reference::new();
        let mut out = Vec::new();
        for (spec, probes) in groups {
            let mixture = spec.validate("built-in mixture")?;
            let refs = probes
                .iter()
                .map(|p| {
                    pb.inc(1);
                    reference.evaluate(&spec, p.t, &p.x)
                })
                .collect();
            out.push((spec, mixture, probes, refs));
        }
        pb.finish_and_clear();
        Ok(ProbeSet { name: name.to_string(), groups: out })
    }

    /// Errors of one scalar type at every probe.
    pub fn measure(&self, kind: ScalarKind) -> Vec<PointError> {
        let mut out = Vec::new();
        for (_, mixture, probes, refs) in &self.groups {
            let part = with_mixture!(mixture, gm => with_scalar!(kind, S => measure_generic(gm, probes, refs, PhantomData::<S>)));
            out.extend(part);
        }
        out
    }
}

/// The larger in magnitude of two errors; NaN counts as the largest (it must show).
fn worse(a: f64, b: f64) -> f64 {
    if a.is_nan() || (!b.is_nan() && a.abs() >= b.abs()) {
        a
    } else {
        b
    }
}

fn measure_generic<S: tinyscore::mixture::MixtureScalar, const D: usize, const K: usize>(
    gm: &GaussianMixture<D, K>,
    probes: &[Probe],
    refs: &[ReferenceValue],
    _s: PhantomData<S>,
) -> Vec<PointError> {
    let u = S::UNIT_ROUNDOFF;
    // Probes come grouped by t: the mixture is prepared once per run of equal times.
    let mut source = MixtureScore::<S, D, K>::new(gm);
    probes
        .iter()
        .zip(refs)
        .map(|(p, r)| {
            let prepared = source.prepared(p.t).expect("probe times are valid");
            let (x, in_status) = to_scalar_point::<S, D>(&p.x);
            let e = prepared.evaluate(&x);
            // `score` and `log_density` may answer through the type's fast kernel: they are
            // measured besides `evaluate`, and the worse counts.
            let (fast_score, fast_status) = prepared.score(&x);
            let (fast_logp, fast_logp_status) = prepared.log_density(&x);
            let log_density =
                worse(r.log_density.error_of(e.log_density.to_f64()), r.log_density.error_of(fast_logp.to_f64()));
            let c_log_density = log_density.abs() / (u * (1.0 + r.log_density.hi.abs()));
            let score_errors = |s: &[S; D]| -> (Vec<f64>, f64) {
                let errs: Vec<f64> = s.iter().zip(&r.score).map(|(v, rs)| rs.error_of(v.to_f64())).collect();
                let c = errs.iter().zip(&r.score_scale).map(|(err, sc)| err.abs() / (u * (1.0 + sc))).fold(0.0, worse);
                (errs, c)
            };
            let (general, fast) = (score_errors(&e.score), score_errors(&fast_score));
            let (score, c_score) = if worse(general.1, fast.1) == general.1 { general } else { fast };
            PointError {
                t: p.t,
                x0: p.x[0],
                score0: e.score[0].to_f64(),
                log_density,
                score,
                c_log_density,
                c_score,
                saturated: !e.status.and(fast_status).and(fast_logp_status).and(in_status).is_ok(),
            }
        })
        .collect()
}

/// Summary of errors over a probe set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Points evaluated.
    pub points: usize,
    /// Points flagged saturated (excluded from the error figures).
    pub saturated: usize,
    /// Max |error| of log p.
    pub max_log_density: f64,
    /// RMS error of log p.
    pub rms_log_density: f64,
    /// Max |error| of a score component.
    pub max_score: f64,
    /// RMS error of the score components.
    pub rms_score: f64,
    /// Largest `C` of the log-density bound.
    pub c_log_density: f64,
    /// Largest `C` of the score bound.
    pub c_score: f64,
}

/// Summarise point errors.
pub fn summarise(errors: &[PointError]) -> Summary {
    let mut s = Summary { points: errors.len(), ..Default::default() };
    let (mut sq_l, mut sq_s, mut n_l, mut n_s) = (0.0, 0.0, 0usize, 0usize);
    for e in errors {
        if e.saturated {
            s.saturated += 1;
            continue;
        }
        s.max_log_density = worse(s.max_log_density, e.log_density.abs());
        sq_l += e.log_density * e.log_density;
        n_l += 1;
        for v in &e.score {
            s.max_score = worse(s.max_score, v.abs());
            sq_s += v * v;
            n_s += 1;
        }
        // NaN shows (f64::max would drop it).
        s.c_log_density = worse(s.c_log_density, e.c_log_density);
        s.c_score = worse(s.c_score, e.c_score);
    }
    s.rms_log_density = (sq_l / n_l.max(1) as f64).sqrt();
    s.rms_score = (sq_s / n_s.max(1) as f64).sqrt();
    s
}

/// A Markdown table with aligned columns.
pub fn md_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let mut s = String::from("|");
        for (c, w) in cells.iter().zip(&widths) {
            s.push_str(&format!(" {c:>w$} |"));
        }
        s.push('\n');
        s
    };
    let mut out = line(headers.iter().map(|h| h.to_string()).collect());
    out.push('|');
    for w in &widths {
        out.push_str(&format!("{}:|", "-".repeat(w + 1)));
    }
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.clone()));
    }
    out
}

fn sci(v: f64) -> String {
    format!("{v:.2e}")
}

/// The bound constant `C` each type must meet on a set.
pub fn target_c(kind: ScalarKind, set: &str) -> Option<f64> {
    match (kind, set) {
        (ScalarKind::F64 | ScalarKind::F32, "bulk") => Some(4.0),
        (ScalarKind::F64 | ScalarKind::F32, "tails") => Some(6.0),
        (_, "bulk") => Some(16.0),
        _ => None,
    }
}

/// The random mixtures of the `bulk` and `tails` sets: `count` mixtures, K in 1..=8, D in 1..=3.
pub fn domain_specs(count: usize, seed: u64) -> Vec<MixtureSpec> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..count)
        .map(|i| {
            let k = 1 + (i * 3 + 1) % 8;
            let d = 1 + i % 3;
            random_spec(&mut rng, k, d)
        })
        .collect()
}

/// The bulk and tail probe sets over [`domain_specs`].
pub fn domain_sets(count: usize, per_t: usize, seed: u64) -> Result<(ProbeSet, ProbeSet)> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5eed);
    let specs = domain_specs(count, seed);
    let mut bulk = Vec::new();
    let mut tails = Vec::new();
    for spec in specs {
        let mut b = Vec::new();
        let mut tl = Vec::new();
        for &t in &[0.0, 0.05, 0.3, 1.0] {
            b.extend(draw_probes(&spec, t, per_t, &mut rng));
            tl.extend(tail_probes(&spec, t, &TAIL_KS));
        }
        bulk.push((spec.clone(), b));
        tails.push((spec, tl));
    }
    Ok((ProbeSet::new("bulk", bulk)?, ProbeSet::new("tails", tails)?))
}

/// The report section.
pub fn section(opts: &ReportOptions) -> Result<Section> {
    let (count, per_t, grid_n) = if opts.quick { (4, 15, 81) } else { (16, 60, 441) };
    // 1. The default mixture on a grid across and beyond it.
    let spec = default_spec();
    let times = [0.0, 0.01, 0.1, 0.25, 0.5, 1.0];
    let mut probes = Vec::new();
    for &t in &times {
        for i in 0..grid_n {
            let x = -10.0 + 22.0 * i as f64 / (grid_n - 1) as f64;
            probes.push(Probe { t, x: vec![representable(x)] });
        }
    }
    let default_set = ProbeSet::new("default", vec![(spec, probes)])?;
    let mut body = String::from(
        "Built-in default mixture (sigma = 1; weights 0.25, 0.5, 0.25; means -2, 0.5, 3; std 0.5, 0.3, 1),\n\
         x on a grid over [-10, 12], t in {0, 0.01, 0.1, 0.25, 0.5, 1}; errors against a 192-bit reference,\n\
         in absolute terms and in units of the type's roundoff u.\n\n",
    );
    let mut rows = Vec::new();
    let mut per_kind = Vec::new();
    for kind in ScalarKind::ALL {
        let errs = default_set.measure(kind);
        let s = summarise(&errs);
        let u = with_scalar!(kind, S => S::UNIT_ROUNDOFF);
        rows.push(vec![
            kind.name().into(),
            sci(s.max_log_density),
            sci(s.rms_log_density),
            format!("{:.2}", s.max_log_density / u),
            sci(s.max_score),
            sci(s.rms_score),
            format!("{:.2}", s.max_score / u),
            format!("{}/{}", s.saturated, s.points),
        ]);
        per_kind.push((kind, errs));
    }
    body.push_str(&md_table(
        &["type", "log p max", "log p RMS", "log p max/u", "score max", "score RMS", "score max/u", "saturated"],
        &rows,
    ));

    // 2. The bound constants on the bulk and the tails of random mixtures.
    let (bulk, tails) = domain_sets(count, per_t, 2026)?;
    body.push_str(&format!(
        "\nBound constants C (score: |err| <= C u (1 + max_j |x_d - mu_jd| / v_jd); log p: |err| <= C u (1 + |log p|))\n\
         over {count} random mixtures (K 1..8, D 1..3, |mu| <= 4, 0.25 <= std <= 2, sigma^2 t <= 2.25):\n\
         bulk = {} points drawn from p(., t); tails = {} points at mu_j +- k sd_j(t), k in 5, 13, 40, 60, 100.\n\n",
        bulk.groups.iter().map(|g| g.2.len()).sum::<usize>(),
        tails.groups.iter().map(|g| g.2.len()).sum::<usize>(),
    ));
    let mut rows = Vec::new();
    for kind in ScalarKind::ALL {
        for set in [&bulk, &tails] {
            let s = summarise(&set.measure(kind));
            let target = target_c(kind, &set.name);
            let verdict = match target {
                Some(c) if s.c_score <= c && s.c_log_density <= c && (!kind_is_fixed(kind) || s.saturated == 0) => {
                    format!("<= {c}: met")
                }
                Some(c) => format!("<= {c}: NOT MET"),
                None => "outside domain".into(),
            };
            rows.push(vec![
                kind.name().into(),
                set.name.clone(),
                format!("{:.2}", s.c_log_density),
                format!("{:.2}", s.c_score),
                format!("{}/{}", s.saturated, s.points),
                verdict,
            ]);
        }
    }
    body.push_str(&md_table(&["type", "set", "C log p", "C score", "saturated", "target"], &rows));
    let nan = literal_nan_count(&tails);
    body.push_str(&format!(
        "\nThe literal Eq. 57 in f32 (density ratio, no log-sum-exp) on the tails set: {} of {} points give NaN or inf; ours: 0.\n",
        nan.0, nan.1
    ));

    // 3. Plots of the default mixture.
    let mut plots = Vec::new();
    let t_plot = 0.1;
    let mut curves = Vec::new();
    let mut score_err = Vec::new();
    let mut logp_err = Vec::new();
    for (kind, errs) in &per_kind {
        let at_t: Vec<&PointError> = errs.iter().filter(|e| e.t == t_plot && !e.saturated).collect();
        let u = with_scalar!(*kind, S => S::UNIT_ROUNDOFF);
        curves.push(Series {
            name: kind.name().into(),
            points: at_t.iter().map(|e| (e.x0, e.score0)).filter(|p| p.0.abs() <= 8.0).collect(),
            markers: false,
        });
        score_err.push(Series {
            name: kind.name().into(),
            points: at_t.iter().map(|e| (e.x0, e.score[0].abs() / u)).collect(),
            markers: true,
        });
        logp_err.push(Series {
            name: kind.name().into(),
            points: at_t.iter().map(|e| (e.x0, e.log_density.abs() / u)).collect(),
            markers: true,
        });
    }
    let out = &opts.out_dir;
    line_plot(
        &out.join("mixture_score.svg"),
        "Score of the default mixture at t = 0.1, per type",
        "x",
        "score",
        &curves,
        false,
    )?;
    line_plot(
        &out.join("mixture_score_error.svg"),
        "|score error| / u at t = 0.1 (zero errors not drawn)",
        "x",
        "|error| / u",
        &score_err,
        true,
    )?;
    line_plot(
        &out.join("mixture_logp_error.svg"),
        "|log-density error| / u at t = 0.1 (zero errors not drawn)",
        "x",
        "|error| / u",
        &logp_err,
        true,
    )?;
    plots.push(PathBuf::from("mixture_score.svg"));
    plots.push(PathBuf::from("mixture_score_error.svg"));
    plots.push(PathBuf::from("mixture_logp_error.svg"));
    Ok(Section { title: "Mixture score accuracy".into(), body, plots })
}

fn kind_is_fixed(kind: ScalarKind) -> bool {
    matches!(kind, ScalarKind::I16f16 | ScalarKind::I8f24)
}

/// The literal Eq. 57 in `f32`: `-(1/p) sum_j w_j (x - mu_j)/v_j N_j` with `p = sum_j w_j N_j`.
pub fn literal_eq57_f32(spec: &MixtureSpec, t: f64, x: &[f64]) -> Vec<f32> {
    let s2t = (spec.sigma * spec.sigma * t) as f32;
    let mut p = 0.0f32;
    let mut num = vec![0.0f32; x.len()];
    for c in &spec.components {
        let mut n = c.weight as f32;
        for (d, &xd) in x.iter().enumerate() {
            let v = (c.std[d] * c.std[d]) as f32 + s2t;
            let diff = xd as f32 - c.mean[d] as f32;
            n *= (-0.5 * diff * diff / v).exp() / (2.0 * std::f32::consts::PI * v).sqrt();
        }
        p += n;
        for (d, &xd) in x.iter().enumerate() {
            let v = (c.std[d] * c.std[d]) as f32 + s2t;
            num[d] += n * (xd as f32 - c.mean[d] as f32) / v;
        }
    }
    num.iter().map(|v| -v / p).collect()
}

fn literal_nan_count(set: &ProbeSet) -> (usize, usize) {
    let mut bad = 0;
    let mut n = 0;
    for (spec, _, probes, _) in &set.groups {
        for p in probes {
            n += 1;
            if literal_eq57_f32(spec, p.t, &p.x).iter().any(|v| !v.is_finite()) {
                bad += 1;
            }
        }
    }
    (bad, n)
}
