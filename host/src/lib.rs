//! The desktop harness of tinyscore: file formats, the high-precision reference, the
//! accuracy report and the `tinyscore` command-line tool.

pub mod cmd_bench;
pub mod cmd_fit;
pub mod cmd_sample;
pub mod cmd_score;
pub mod data;
pub mod dims;
pub mod distance;
pub mod eval;
pub mod fast_batch;
pub mod fit;
pub mod learned;
pub mod limits;
pub mod mixture_file;
pub mod numfmt;
pub mod output;
pub mod points;
pub mod reference;
pub mod report;
pub mod sample_model;
pub mod sample_plot;
pub mod variance;
pub mod wasserstein;
