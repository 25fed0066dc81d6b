//! `clipvg inspect`: what clipvg sees in an SVG (canvas, shapes, what it does not understand),
//! as text or JSON on stdout.

use std::path::PathBuf;

use clipvg::error::{Error, Result};
use clipvg::svg::Document;
use clipvg_document::Limits;

/// Arguments of `clipvg inspect`.
#[derive(clap::Args, Debug, Clone)]
pub struct InspectArgs {
    /// The SVG file.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `clipvg inspect` within `limits`.
pub fn run(args: &InspectArgs, limits: &Limits) -> Result<()> {
    let doc = Document::open_with(&args.file, limits, &mut clipvg_document::no_progress())?;
    let report = clipvg::inspect::inspect_with(&doc, limits, &mut clipvg_document::no_progress())?;
    if args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| Error::InvalidInput(format!("report: {e}")))?;
        clipvg::util::print_stdout(&format!("{text}\n"))
    } else {
        clipvg::util::print_stdout(&report.to_text(50))
    }
}
