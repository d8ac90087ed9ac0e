//! The learned score on the desktop: model files of any dimension, training, the loss
//! (Monte Carlo and quadrature) and the relative Fisher divergence.

pub mod calibrate;
pub mod cmd_exchange;
pub mod cmd_loss;
pub mod cmd_quantize;
pub mod cmd_score_model;
pub mod cmd_train;
pub mod data_train;
pub mod measure;
pub mod model_io;
pub mod quadrature;
pub mod safetensors_io;

use clap::ValueEnum;
use tinyscore::learned::Weighting;

/// Time weights as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WeightingKind {
    /// lambda(t) = 1
    One,
    /// lambda(t) = sigma^2 t
    Variance,
    /// lambda(t) = sigma^2
    Likelihood,
}

impl WeightingKind {
    /// The core weighting.
    pub fn weighting(self) -> Weighting {
        match self {
            WeightingKind::One => Weighting::One,
            WeightingKind::Variance => Weighting::Variance,
            WeightingKind::Likelihood => Weighting::Likelihood,
        }
    }
}

/// Targets as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetKind {
    /// The exact mixture score (J_naive, Eq. 60).
    Exact,
    /// The denoising target -(x - x0) / (sigma^2 t).
    Denoising,
}
