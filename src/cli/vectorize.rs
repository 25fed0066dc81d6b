//! `clipvg vectorize`: a bitmap (or the `<image>` elements of an SVG) to a layered SVG, with a
//! per-round report of path counts and PSNR, progress on stderr, and an atomic output.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clipvg::compute::BackendChoice;
use clipvg::error::{Error, Result};
use clipvg::svg::Document;
use clipvg::vectorize::{
    DetailRound, Precision, Progress, VectorizeOptions, VectorizeReport, image_elements, parse_box, parse_rounds,
    vectorize_file, vectorize_images,
};

/// Arguments of `clipvg vectorize`.
#[derive(clap::Args, Debug, Clone)]
pub struct VectorizeArgs {
    /// A PNG, JPEG, WebP or GIF picture, or an SVG whose <image> elements to vectorize (never
    /// modified).
    pub input: PathBuf,
    /// Where to write the SVG.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The rounds, coarse (bottom) to fine (top): preset names with optional vtracer knobs,
    /// e.g. coarse,medium,fine:speckle=2,color=8,layer=8 (knobs: speckle, color, layer,
    /// corner, length, splice, hierarchical=stacked|cutout).
    #[arg(long, default_value = clipvg::vectorize::DEFAULT_ROUNDS)]
    pub rounds: String,
    /// An extra round traced only inside this box, in pixels of the input picture (repeatable).
    #[arg(long = "detail-box", value_name = "X,Y,W,H")]
    pub detail_box: Vec<String>,
    /// The precision of --detail-box rounds.
    #[arg(long = "detail-round", value_name = "ROUND", default_value = "fine")]
    pub detail_round: String,
    /// Adam steps fitting points and colours to the picture with the differentiable rasterizer.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub refine: usize,
    /// Long side of the working image and output canvas in pixels (default: the picture's, at
    /// most 1024).
    #[arg(long, value_name = "LONG_SIDE")]
    pub size: Option<u32>,
    /// For an SVG input: vectorize only this <image> (repeatable; default: all of them).
    #[arg(long = "select", value_name = "ID")]
    pub select: Vec<String>,
    /// Where refinement runs.
    #[arg(long, value_parser = crate::named::named::<BackendChoice>(), default_value = "cpu")]
    pub backend: BackendChoice,
    /// Also print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

impl VectorizeArgs {
    /// The options these arguments describe (relative image links resolve next to `input`).
    pub fn options(&self) -> Result<VectorizeOptions> {
        let detail_precision = Precision::parse(&self.detail_round)?;
        let detail = self
            .detail_box
            .iter()
            .map(|b| Ok(DetailRound { rect: parse_box(b)?, precision: detail_precision.clone() }))
            .collect::<Result<Vec<_>>>()?;
        Ok(VectorizeOptions {
            rounds: parse_rounds(&self.rounds)?,
            detail,
            refine_steps: self.refine,
            long_side: self.size,
            backend: self.backend,
            base_dir: Some(self.input.parent().map(Path::to_path_buf).unwrap_or_default()),
        })
    }
}

/// Whether a file is SVG: by its extension, else by its first non-blank byte being `<`.
fn is_svg(path: &Path) -> Result<bool> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if let Some(e) = ext.as_deref() {
        if e == "svg" {
            return Ok(true);
        }
        if ["png", "jpg", "jpeg", "webp", "gif"].contains(&e) {
            return Ok(false);
        }
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    Ok(text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<'))
}

/// Runs `clipvg vectorize`.
pub fn run(args: &VectorizeArgs) -> Result<()> {
    run_with_limits(args, &clipvg_document::Limits::default())
}

/// [`run`], reading an SVG input within `limits`.
pub fn run_with_limits(args: &VectorizeArgs, limits: &clipvg_document::Limits) -> Result<()> {
    let options = args.options()?;
    clipvg::util::refuse_overwriting_input(&args.input, &args.output)?;
    let tty = std::io::stderr().is_terminal();
    let bar = tty.then(indicatif::ProgressBar::new_spinner);
    let mut progress = |p: Progress<'_>| {
        let line = match p {
            Progress::Trace { round, rounds, label } => format!("tracing round {round}/{rounds} ({label})"),
            Progress::Refine { step, steps, loss } => format!("refining step {step}/{steps}, loss {loss:.5}"),
        };
        // Without a terminal, log every round but only every tenth refinement step.
        let worth_a_line = match p {
            Progress::Trace { .. } => true,
            Progress::Refine { step, steps, .. } => step == 1 || step == steps || step % 10 == 0,
        };
        match &bar {
            Some(b) => b.set_message(line),
            None if worth_a_line => eprintln!("{line}"),
            None => {}
        }
        true
    };
    let (svg, reports) = if is_svg(&args.input)? {
        if !args.select.is_empty() && args.select.iter().any(|s| s.trim().is_empty()) {
            return Err(Error::InvalidInput("--select needs an element id".into()));
        }
        let doc = Document::open_with(&args.input, limits, &mut clipvg_document::no_progress())?;
        let elements = if args.select.is_empty() {
            image_elements(&doc)
        } else {
            args.select.iter().map(|id| Ok(doc.require_id(id)?)).collect::<Result<Vec<_>>>()?
        };
        if elements.is_empty() {
            return Err(Error::EmptySelection(format!("{} has no <image> element to vectorize", args.input.display())));
        }
        let out = vectorize_images(&doc, &elements, &options, &mut progress)?;
        (out.svg, out.images.into_iter().map(|i| (i.element, i.report)).collect::<Vec<_>>())
    } else {
        if !args.select.is_empty() {
            return Err(Error::InvalidInput(
                "--select picks <image> elements of an SVG input; the input is a bitmap".into(),
            ));
        }
        let v = vectorize_file(&args.input, &options, &mut progress)?;
        (v.svg, vec![(args.input.display().to_string(), v.report)])
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    clipvg::util::write_atomic(&args.output, svg.as_bytes())?;
    for (name, report) in &reports {
        print!("{}", report_text(name, report));
    }
    if args.json {
        let json = serde_json::to_string_pretty(&reports).map_err(|e| Error::InvalidInput(format!("report: {e}")))?;
        println!("{json}");
    }
    eprintln!("wrote {}", args.output.display());
    Ok(())
}

/// The per-round table of one vectorized picture.
pub fn report_text(name: &str, r: &VectorizeReport) -> String {
    let mut s = String::new();
    for n in &r.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    s.push_str(&format!("{name}: {}×{} px → {}×{} canvas\n", r.source_size[0], r.source_size[1], r.size[0], r.size[1]));
    let width = r.rounds.iter().map(|x| x.label.len() + x.knobs.len() + 1).max().unwrap_or(0).max(9);
    s.push_str(&format!("  round  {:<width$}  paths  segments  PSNR (stack)   time\n", "precision"));
    for (k, round) in r.rounds.iter().enumerate() {
        let what = format!("{}:{}", round.label, round.knobs);
        s.push_str(&format!(
            "  {:<5}  {:<width$}  {:>5}  {:>8}  {:>9.2} dB  {:>5.1} s\n",
            k + 1,
            what,
            round.paths,
            round.segments,
            round.psnr_db,
            round.seconds
        ));
    }
    if let Some(f) = &r.refine {
        s.push_str(&format!(
            "  refine {} steps: PSNR {:.2} → {:.2} dB in {:.1} s\n",
            f.steps, f.psnr_before_db, f.psnr_after_db, f.seconds
        ));
    }
    s.push_str(&format!("  total {} paths, PSNR {:.2} dB, {:.1} s\n", r.paths(), r.psnr_db, r.elapsed_s));
    s
}
