//! Report section: single-threaded throughput of the batch log-density + score
//! (`tinyscore bench`) per scalar type. The peers (NumPy/SciPy, JAX) are measured side by
//! side by `scripts/peer-compare.sh` (Python is not needed for the report).

use anyhow::Result;

use super::accuracy::md_table;
use super::{ReportOptions, Section};
use crate::cmd_bench::measure;
use crate::eval::ScalarKind;

/// The report section.
pub fn section(opts: &ReportOptions) -> Result<Section> {
    let (n, repeats) = if opts.quick { (10_000, 3) } else { (100_000, 10) };
    let mut rows = Vec::new();
    for k in [1, 4, 8] {
        for d in [1, 2] {
            let mut row = vec![k.to_string(), d.to_string()];
            for kind in ScalarKind::ALL {
                let (pts, reps) = if matches!(kind, ScalarKind::F32) { (n, repeats) } else { (n / 10, 2) };
                let r = measure(k, d, pts, kind, reps, 12345)?;
                row.push(format!("{:.1}", r.best_ns_per_point));
            }
            rows.push(row);
        }
    }
    let mut body = format!(
        "ns per point for log p and the score together, batch API at one t (preparation included), one thread,\n\
         best of {repeats} (f32; 2 for the others), code path: {}.\n\n",
        crate::fast_batch::code_path()
    );
    body.push_str(&md_table(&["K", "D", "f64", "f32", "i16f16", "i8f24"], &rows));
    body.push_str(
        "\nPeers on the same machine, same problem: run scripts/peer-compare.sh (NumPy/SciPy logsumexp and\n\
         JAX jit(vmap(value_and_grad(log p))) on CPU, side by side with tinyscore bench); README table.\n",
    );
    Ok(Section { title: "Host throughput".into(), body, plots: Vec::new() })
}
