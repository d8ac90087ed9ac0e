//! The mixture file (TOML), as the CLI contract defines it:
//!
//! ```toml
//! sigma = 1.0            # component j at time t has variance std_j^2 + sigma^2 * t
//! [[components]]
//! weight = 0.25
//! mean = [-2.0]          # length D; every component has the same D
//! std = [0.5]
//! ```

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};
use tinyscore::mixture::{Component, GaussianMixture, MixtureError};

use crate::dims::{AnyMixture, MAX_COMPONENTS, MAX_DIMS};

/// One component as written in the file.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    /// Mixture weight.
    pub weight: f64,
    /// Mean, length D.
    pub mean: Vec<f64>,
    /// Standard deviation at t = 0, length D.
    pub std: Vec<f64>,
}

/// A mixture as written in the file, before validation.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MixtureSpec {
    /// Diffusion scale: variance grows by sigma^2 t.
    pub sigma: f64,
    /// The components.
    pub components: Vec<ComponentSpec>,
}

impl MixtureSpec {
    /// Number of dimensions (length of the first mean).
    pub fn dims(&self) -> usize {
        self.components.first().map_or(0, |c| c.mean.len())
    }

    /// Check shapes and values; `what` names the source in error messages.
    pub fn validate(&self, what: &str) -> Result<AnyMixture> {
        if self.components.is_empty() {
            bail!("{what}: `components`: the mixture has no components");
        }
        if self.components.len() > MAX_COMPONENTS {
            bail!(
                "{what}: `components`: {} components, more than the {MAX_COMPONENTS} this build supports",
                self.components.len()
            );
        }
        let d = self.dims();
        if d == 0 || d > MAX_DIMS {
            bail!("{what}: components[0].mean has {d} values; 1 to {MAX_DIMS} dimensions are supported");
        }
        for (j, c) in self.components.iter().enumerate() {
            if c.mean.len() != d {
                bail!("{what}: components[{j}].mean has {} values, but components[0].mean has {d}", c.mean.len());
            }
            if c.std.len() != d {
                bail!("{what}: components[{j}].std has {} values, but components[{j}].mean has {d}", c.std.len());
            }
        }
        AnyMixture::from_spec(self).map_err(|e| anyhow!("{what}: {e}"))
    }

    /// Parse TOML text; `what` names the source in error messages.
    pub fn parse(text: &str, what: &str) -> Result<MixtureSpec> {
        toml::from_str::<MixtureSpec>(text).map_err(|e| anyhow!("{what}: {}", e.to_string().trim_end()))
    }

    /// The spec of a core mixture (for the built-in defaults).
    pub fn from_mixture<const D: usize, const K: usize>(gm: &GaussianMixture<D, K>) -> MixtureSpec {
        MixtureSpec {
            sigma: gm.sigma(),
            components: gm
                .components()
                .iter()
                .map(|c| ComponentSpec { weight: c.weight, mean: c.mean.to_vec(), std: c.std.to_vec() })
                .collect(),
        }
    }

    /// The components in core form for dimension `D` (shapes must have been validated).
    pub fn core_components<const D: usize>(&self) -> Vec<Component<D>> {
        self.components
            .iter()
            .map(|c| {
                let mut mean = [0.0; D];
                let mut std = [0.0; D];
                for (dst, src) in mean.iter_mut().zip(&c.mean) {
                    *dst = *src;
                }
                for (dst, src) in std.iter_mut().zip(&c.std) {
                    *dst = *src;
                }
                Component { weight: c.weight, mean, std }
            })
            .collect()
    }

    /// Build the core mixture for dimension `D`.
    pub fn to_core<const D: usize, const K: usize>(&self) -> Result<GaussianMixture<D, K>, MixtureError> {
        GaussianMixture::new(self.sigma, &self.core_components::<D>())
    }
}

/// Read, parse and validate a mixture file.
pub fn load(path: &Path) -> Result<(MixtureSpec, AnyMixture)> {
    let what = path.display().to_string();
    let bytes = crate::limits::read_limited(path, crate::limits::MAX_MIXTURE_FILE_BYTES, "mixture file")?;
    let text = String::from_utf8(bytes).map_err(|e| anyhow!("{what}: not UTF-8 text: {e}"))?;
    let spec = MixtureSpec::parse(&text, &what)?;
    let mixture = spec.validate(&what)?;
    Ok((spec, mixture))
}

/// The built-in default mixture: three components in one dimension, unequal widths.
pub fn default_spec() -> MixtureSpec {
    MixtureSpec {
        sigma: 1.0,
        components: vec![
            ComponentSpec { weight: 0.25, mean: vec![-2.0], std: vec![0.5] },
            ComponentSpec { weight: 0.5, mean: vec![0.5], std: vec![0.3] },
            ComponentSpec { weight: 0.25, mean: vec![3.0], std: vec![1.0] },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match MixtureSpec::parse(text, "m.toml").and_then(|s| s.validate("m.toml")) {
            Ok(_) => String::from("ok"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        let ok = "sigma = 1.0\n[[components]]\nweight = 1.0\nmean = [0.0]\nstd = [1.0]\n";
        assert_eq!(err(ok), "ok");
        assert!(err(&ok.replace("std = [1.0]", "std = [0.0]")).contains("components[0].std[0] must be > 0"));
        assert!(err(&ok.replace("std = [1.0]", "sdt = [1.0]")).contains("sdt"));
        assert!(err(&ok.replace("weight = 1.0", "weight = 0.5")).contains("sum to 0.5"));
        assert!(err(&ok.replace("sigma = 1.0", "sigma = -1.0")).contains("sigma"));
        assert!(err(&ok.replace("mean = [0.0]", "mean = [nan]")).contains("components[0].mean[0]"));
        assert!(err(&ok.replace("std = [1.0]", "std = [1.0, 2.0]")).contains("components[0].std has 2 values"));
        assert!(err("sigma = 1.0\ncomponents = []\n").contains("no components"));
        assert!(err("sigma = 1.0\n").contains("components"));
    }
}
