//! `tinyscore fit`: a diagonal Gaussian mixture fitted to a data file by EM ([`crate::fit`]),
//! written as a mixture file, so that every mixture command (exact score, sampling, training)
//! applies to the user's data.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::data;
use crate::dims::MAX_COMPONENTS;
use crate::fit::{self, Components, DiagGmm, FitConfig};
use crate::mixture_file::{ComponentSpec, MixtureSpec};
use crate::output::write_atomically;

/// Options of `tinyscore fit`.
#[derive(Args, Clone, Debug)]
pub struct FitOptions {
    /// Data: CSV with the header `x0,...,x{D-1}` (D = 1 to 4), one sample per row.
    #[arg(long)]
    pub data: PathBuf,
    /// Mixture file to write (TOML).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of components, 1 to 16, or `auto` (the smallest BIC over 1 to 16).
    #[arg(long, default_value = "auto")]
    pub components: String,
    /// Diffusion scale `sigma` written into the mixture file (> 0).
    #[arg(long, default_value_t = 1.0)]
    pub sigma: f64,
    /// Seed of the k-means++ initialisation.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Independent EM starts per component count (the best likelihood is kept), 1 to 100.
    #[arg(long, default_value_t = 5)]
    pub restarts: usize,
    /// Held-out data (same format): its mean log-likelihood is printed too.
    #[arg(long)]
    pub held_out: Option<PathBuf>,
}

fn parse_components(text: &str) -> Result<Components> {
    if text == "auto" {
        return Ok(Components::Auto { max: MAX_COMPONENTS });
    }
    match text.parse::<usize>() {
        Ok(k) if (1..=MAX_COMPONENTS).contains(&k) => Ok(Components::Fixed(k)),
        _ => bail!("--components: `{text}`: expected a count from 1 to {MAX_COMPONENTS}, or `auto`"),
    }
}

/// The mixture file of a fitted model.
pub fn to_spec(g: &DiagGmm, sigma: f64) -> MixtureSpec {
    MixtureSpec {
        sigma,
        components: (0..g.len())
            .map(|j| ComponentSpec {
                weight: g.weights[j],
                mean: g.means[j].clone(),
                std: g.vars[j].iter().map(|v| v.sqrt()).collect(),
            })
            .collect(),
    }
}

/// Run `tinyscore fit`; returns the fitted model.
pub fn run(opts: &FitOptions) -> Result<DiagGmm> {
    let components = parse_components(&opts.components)?;
    if !(opts.sigma.is_finite() && opts.sigma > 0.0) {
        bail!("--sigma: {}: it must be a finite number > 0", opts.sigma);
    }
    if !(1..=100).contains(&opts.restarts) {
        bail!("--restarts: {}: it must be from 1 to 100", opts.restarts);
    }
    let d = data::load(&opts.data)?;
    let held_out = match &opts.held_out {
        Some(p) => {
            let h = data::load(p)?;
            if h.dims != d.dims {
                bail!("{}: {} dimension(s), but {} has {}", p.display(), h.dims, opts.data.display(), d.dims);
            }
            Some(h)
        }
        None => None,
    };
    if let Components::Fixed(k) = components {
        if k > d.rows.len() {
            bail!("--components {k}: more components than the {} samples of {}", d.rows.len(), opts.data.display());
        }
    }
    let cfg = FitConfig { components, restarts: opts.restarts, seed: opts.seed, ..FitConfig::default() };
    let steps = match components {
        Components::Fixed(_) => 1,
        Components::Auto { max } => max.min(d.rows.len()),
    };
    let pb = ProgressBar::new(steps as u64);
    pb.set_style(
        ProgressStyle::with_template("fit {bar:30} K {pos}/{len} {msg}").unwrap_or(ProgressStyle::default_bar()),
    );
    let (g, tried) = fit::fit(&d.rows, d.dims, &cfg, |c| {
        pb.set_message(format!("BIC {:.1}", c.bic));
        pb.inc(1);
    })?;
    pb.finish_and_clear();
    let spec = to_spec(&g, opts.sigma);
    // What is written must load: the same validation as every mixture reader.
    let what = opts.out.display().to_string();
    spec.validate(&what)?;
    let text = toml::to_string(&spec)?;
    write_atomically(Some(&opts.out), &format!("# Fitted by `tinyscore fit` to {}\n{text}", opts.data.display()))?;
    if tried.len() > 1 {
        println!("k,log_likelihood_per_sample,bic");
        for c in &tried {
            println!("{},{},{}", c.k, c.mean_ll, c.bic);
        }
    }
    let chosen = tried.iter().find(|c| c.k == g.len());
    println!("components: {}", g.len());
    println!("log_likelihood_per_sample: {}", chosen.map_or(f64::NAN, |c| c.mean_ll));
    println!("bic: {}", chosen.map_or(f64::NAN, |c| c.bic));
    if let Some(h) = &held_out {
        println!("held_out_log_likelihood_per_sample: {}", g.mean_log_likelihood(&h.rows));
    }
    Ok(g)
}
