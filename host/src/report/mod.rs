//! `tinyscore report`: the project's measurements on built-in defaults, as terminal tables,
//! SVG plots and one self-contained HTML page.

pub mod accuracy;
pub mod data_set;
pub mod few_step;
pub mod learned;
pub mod plots;
pub mod sampling;
pub mod throughput;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// One section of the report: a title, the text printed on the terminal (Markdown tables),
/// and the SVG files it wrote.
#[derive(Clone, Debug, Default)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Markdown body (tables and notes).
    pub body: String,
    /// SVG plots written into the report folder (file names).
    pub plots: Vec<PathBuf>,
}

/// Options of the report.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Folder that receives the plots and `report.html`.
    pub out_dir: PathBuf,
    /// Fewer points (for tests and a quick look).
    pub quick: bool,
}

/// Run every section, print it, and write the plots and `report.html` into `out_dir`.
pub fn run(opts: &ReportOptions) -> Result<Vec<Section>> {
    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("{}: cannot create the report folder", opts.out_dir.display()))?;
    let mut sections = Vec::new();
    for make in [
        accuracy::section,
        learned::section,
        sampling::section,
        few_step::section,
        data_set::section,
        throughput::section,
    ] {
        let s = make(opts)?;
        println!("\n## {}\n\n{}", s.title, s.body);
        for p in &s.plots {
            println!("plot: {}", opts.out_dir.join(p).display());
        }
        sections.push(s);
    }
    let html = html_page(&opts.out_dir, &sections)?;
    let page = opts.out_dir.join("report.html");
    crate::output::write_atomically(Some(&page), &html)?;
    println!("\nreport written to {}", page.display());
    Ok(sections)
}

/// One self-contained HTML page: tables as preformatted text, plots inlined as SVG.
fn html_page(dir: &Path, sections: &[Section]) -> Result<String> {
    let mut h = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>tinyscore report</title>\
         <style>body{font-family:sans-serif;max-width:1100px;margin:auto}pre{background:#f6f6f6;padding:8px;overflow-x:auto}</style>\
         </head><body><h1>tinyscore report</h1>\n",
    );
    for s in sections {
        let _ = write!(h, "<h2>{}</h2>\n<pre>{}</pre>\n", escape(&s.title), escape(&s.body));
        for p in &s.plots {
            let svg = std::fs::read_to_string(dir.join(p)).with_context(|| format!("{}: cannot read", p.display()))?;
            let _ = writeln!(h, "<div>{}</div>", strip_xml_decl(&svg));
        }
    }
    h.push_str("</body></html>\n");
    Ok(h)
}

fn strip_xml_decl(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
