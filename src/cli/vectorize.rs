//! `clipvg vectorize`: a bitmap (or the `<image>` elements of an SVG) to a layered SVG, with a
//! per-round report of path counts and PSNR, progress on stderr, and an atomic output.
//!
//! The flags that the plugin's `vectorize` also has become a [`VectorizeRequest`] (`--rounds` is
//! `rounds`, `--refine` is `refine_steps`, `--refine-seconds` is `refine_seconds`, `--max-paths`
//! is `max_paths`, `--backend` is `backend`, `--limit` goes over
//! `limits`; a request's `detail_box` is a fine round), which `--request FILE` gives in the
//! plugin's JSON. The rest are the command line's own: the vtracer knobs a `--rounds` item may
//! carry, any number of `--detail-box` rounds of any precision, the working `--size`, `--select`
//! (the plugin's selection) and `--json`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clipvg::compute::BackendChoice;
use clipvg::edit::request::invalid;
use clipvg::error::{Error, Result};
use clipvg::plugin::request::VectorizeRequest;
use clipvg::svg::Document;
use clipvg::vectorize::{
    DetailRound, Precision, Progress, VectorizeOptions, VectorizeReport, image_elements, parse_box, parse_rounds,
    vectorize_file, vectorize_images,
};
use clipvg_document::Limits;
use clipvg_request::{Named, Round, fields};

/// Arguments of `clipvg vectorize`.
#[derive(clap::Args, Debug, Clone)]
pub struct VectorizeArgs {
    /// A PNG, JPEG, WebP or GIF picture, or an SVG whose <image> elements to vectorize (never
    /// modified).
    pub input: PathBuf,
    /// Where to write the SVG.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The rounds, coarse (bottom) to fine (top): preset names with optional vtracer knobs.
    #[arg(long, help = rounds_help())]
    pub rounds: Option<String>,
    /// An extra round traced only inside this box, in pixels of the input picture (repeatable).
    #[arg(long = "detail-box", value_name = "X,Y,W,H")]
    pub detail_box: Vec<String>,
    /// The precision of --detail-box rounds.
    #[arg(long = "detail-round", value_name = "ROUND", default_value = "fine")]
    pub detail_round: String,
    /// Adam steps fitting points and colours to the picture with the differentiable rasterizer.
    #[arg(long, alias = "refine-steps", value_name = "N", allow_negative_numbers = true, help = fields::REFINE_STEPS.help_with_default())]
    pub refine: Option<i64>,
    /// The refinement's time budget when --refine is not given.
    #[arg(long, value_name = "SECONDS", help = fields::REFINE_SECONDS.help_with_default())]
    pub refine_seconds: Option<f64>,
    /// The most paths over all rounds.
    #[arg(long, value_name = "N", help = fields::MAX_PATHS.help_with_default())]
    pub max_paths: Option<usize>,
    /// Long side of the working image and output canvas in pixels (default: the picture's, at
    /// most 1024).
    #[arg(long, value_name = "LONG_SIDE")]
    pub size: Option<u32>,
    /// For an SVG input: vectorize only this <image> (repeatable; default: all of them).
    #[arg(long = "select", value_name = "ID")]
    pub select: Vec<String>,
    /// Where refinement runs [default: cpu, or the --request file's backend].
    #[arg(long, value_parser = crate::named::named::<BackendChoice>())]
    pub backend: Option<BackendChoice>,
    /// Also print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// A vectorize request as JSON: the fields of the plugin's `vectorize` (`rounds`,
    /// `refine_steps`, `refine_seconds`, `max_paths`, `detail_box`, `base_dir`, `backend`,
    /// `limits`); options given on the
    /// command line override its values, and detail boxes given here are added to its own.
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
}

/// `--rounds`' help: the knobs, and the table's default.
fn rounds_help() -> String {
    format!(
        "{}: preset names ({}) with optional vtracer knobs, e.g. coarse,medium,fine:speckle=2,color=8,layer=8 (knobs: speckle, color, layer, corner, length, splice, hierarchical=stacked|cutout) [default: {}, or the --request file's rounds]",
        fields::ROUNDS.help,
        Round::names(),
        fields::ROUNDS.text()
    )
}

/// Where refinement runs when neither `--backend` nor the request file says.
pub const DEFAULT_BACKEND: BackendChoice = BackendChoice::Cpu;

impl VectorizeArgs {
    /// The arguments of a run on `input` with every option at its default.
    pub fn new(input: impl Into<PathBuf>, output: impl Into<PathBuf>) -> VectorizeArgs {
        VectorizeArgs {
            input: input.into(),
            output: output.into(),
            rounds: None,
            detail_box: Vec::new(),
            detail_round: "fine".into(),
            refine: None,
            refine_seconds: None,
            max_paths: None,
            size: None,
            select: Vec::new(),
            backend: None,
            json: false,
            request: None,
        }
    }

    /// The request these arguments describe: `--request FILE`'s (else the defaults), with the
    /// options given here over it, its ranges checked. The rounds of `--rounds` are kept by name
    /// (their knobs reach the run through [`VectorizeArgs::options`]); relative image links
    /// resolve next to `input` unless the file names a `base_dir`. `--limit` is applied by the
    /// caller.
    pub fn request(&self) -> Result<VectorizeRequest> {
        let mut req: VectorizeRequest = match &self.request {
            Some(p) => crate::request::read(p, "vectorize")?,
            None => VectorizeRequest::default(),
        };
        if let Some(spec) = &self.rounds {
            req.rounds = parse_rounds(spec)?
                .iter()
                .map(|p| {
                    Round::from_name(&p.name)
                        .ok_or_else(|| Error::InvalidInput(format!("--rounds: unknown round \"{}\"", p.name)))
                })
                .collect::<Result<_>>()?;
        }
        if let Some(n) = self.refine {
            req.refine_steps = n;
        }
        if let Some(s) = self.refine_seconds {
            req.refine_seconds = s;
        }
        if let Some(n) = self.max_paths {
            req.max_paths = n;
        }
        if self.backend.is_some() {
            req.backend = self.backend;
        }
        if req.base_dir.is_none() {
            req.base_dir = Some(self.input.parent().map(Path::to_path_buf).unwrap_or_default());
        }
        req.validate().map_err(invalid)?;
        Ok(req)
    }

    /// The options of a run of `req` (from [`VectorizeArgs::request`]): its rounds, or those of
    /// `--rounds` with their knobs; its detail box as a fine round, then every `--detail-box`.
    pub fn options(&self, req: &VectorizeRequest) -> Result<VectorizeOptions> {
        // The request's part (the plugin's conversion), then what only the command line has.
        let mut options = VectorizeOptions::from_request(req, DEFAULT_BACKEND)?;
        if let Some(spec) = &self.rounds {
            options.rounds = parse_rounds(spec)?;
        }
        let detail_precision = Precision::parse(&self.detail_round)?;
        for b in &self.detail_box {
            options.detail.push(DetailRound { rect: parse_box(b)?, precision: detail_precision.clone() });
        }
        options.long_side = self.size;
        Ok(options)
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

/// A progress report as a line, and whether it is worth a line of its own in a log: every
/// round, and of the refinement the first and last steps and about ten between (every tenth
/// step at least).
pub fn progress_line(p: Progress<'_>) -> (String, bool) {
    match p {
        Progress::Trace { round, rounds, label } => (format!("tracing round {round}/{rounds} ({label})"), true),
        Progress::Refine { step, steps, loss } => {
            let every = (steps / 10).max(10);
            (format!("refining step {step}/{steps}, loss {loss:.5}"), step == 1 || step == steps || step % every == 0)
        }
    }
}

/// Runs `clipvg vectorize`.
pub fn run(args: &VectorizeArgs) -> Result<()> {
    run_with_limits(args, &|_| Ok(()))
}

/// [`run`] with the command line's `--limit` values applied by `apply_limits` over the request's
/// limits (the defaults, or those of `--request FILE`); an SVG input is read within them.
pub fn run_with_limits(args: &VectorizeArgs, apply_limits: &dyn Fn(&mut Limits) -> Result<()>) -> Result<()> {
    let mut req = args.request()?;
    apply_limits(&mut req.limits)?;
    let limits = &req.limits;
    let options = args.options(&req)?;
    clipvg::util::refuse_overwriting_input(&args.input, &args.output)?;
    let tty = std::io::stderr().is_terminal();
    let bar = tty.then(indicatif::ProgressBar::new_spinner);
    let mut progress = |p: Progress<'_>| {
        let (line, worth_a_line) = progress_line(p);
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
    // With refinement, a column of each stack's PSNR after it.
    let refined = r.refine.as_ref().map(|f| &f.rounds_psnr_db).filter(|v| v.len() == r.rounds.len());
    let refined_head = if refined.is_some() { "  refined     " } else { "" };
    s.push_str(&format!("  round  {:<width$}  paths  segments  PSNR (stack){refined_head}   time\n", "precision"));
    for (k, round) in r.rounds.iter().enumerate() {
        let what = format!("{}:{}", round.label, round.knobs);
        let after = refined.map(|v| format!("  {:>9.2} dB", v[k])).unwrap_or_default();
        s.push_str(&format!(
            "  {:<5}  {:<width$}  {:>5}  {:>8}  {:>9.2} dB{after}  {:>5.1} s\n",
            k + 1,
            what,
            round.paths,
            round.segments,
            round.psnr_db,
            round.seconds
        ));
    }
    if let Some(f) = &r.refine {
        let budget = f.budget_seconds.map(|b| format!(" (budget {b} s of 2 CPU cores)")).unwrap_or_default();
        s.push_str(&format!(
            "  refine {} steps{budget}: PSNR {:.2} → {:.2} dB in {:.1} s\n",
            f.steps, f.psnr_before_db, f.psnr_after_db, f.seconds
        ));
    }
    let thinned = match r.thinned {
        0 => String::new(),
        n => format!(" ({n} traced shapes that added too little over the rounds below left out)"),
    };
    s.push_str(&format!("  total {} paths{thinned}, PSNR {:.2} dB, {:.1} s\n", r.paths(), r.psnr_db, r.elapsed_s));
    s
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use clipvg::vectorize::RefineBudget;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        vectorize: VectorizeArgs,
    }

    fn args(extra: &[&str]) -> VectorizeArgs {
        let mut v = vec!["clipvg", "dir/in.png", "-o", "out.svg"];
        v.extend_from_slice(extra);
        Cli::try_parse_from(v).expect("arguments parse").vectorize
    }

    #[test]
    fn defaults_are_the_tables_and_the_engines() {
        assert_eq!(fields::ROUNDS.text(), clipvg::vectorize::DEFAULT_ROUNDS);
        let a = args(&[]);
        let req = a.request().unwrap();
        assert_eq!((req.refine_steps, req.backend), (fields::REFINE_STEPS.number() as i64, None));
        assert_eq!((req.refine_seconds, req.max_paths), (30.0, 6000));
        assert_eq!(req.base_dir.as_deref(), Some(Path::new("dir")));
        let options = a.options(&req).unwrap();
        assert_eq!(options.rounds, VectorizeOptions::default().rounds);
        assert_eq!((options.refine, options.backend), (RefineBudget::Seconds(30.0), BackendChoice::Cpu));
        assert_eq!(options.max_paths, 6000);
        let a = args(&["--refine", "0", "--max-paths", "10"]);
        let options = a.options(&a.request().unwrap()).unwrap();
        assert_eq!((options.refine, options.max_paths), (RefineBudget::Steps(0), 10));
        let a = args(&["--refine-seconds", "2.5"]);
        assert_eq!(a.options(&a.request().unwrap()).unwrap().refine, RefineBudget::Seconds(2.5));
    }

    #[test]
    fn a_log_gets_every_round_and_about_ten_refinement_lines() {
        let logged = |steps: usize| {
            (1..=steps).filter(|&step| progress_line(Progress::Refine { step, steps, loss: 0.1 }).1).collect::<Vec<_>>()
        };
        assert_eq!(logged(30), [1, 10, 20, 30]);
        assert_eq!(logged(600).len(), 11);
        assert_eq!(logged(1), [1]);
        let (line, logged) = progress_line(Progress::Trace { round: 2, rounds: 3, label: "medium" });
        assert_eq!((line.as_str(), logged), ("tracing round 2/3 (medium)", true));
    }

    #[test]
    fn a_request_file_is_overridden_only_by_options_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.json");
        std::fs::write(
            &path,
            r#"{"rounds": ["fine"], "refine_steps": 3, "backend": "gpu", "detail_box": [1, 2, 3, 4], "base_dir": "/x"}"#,
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let a = args(&["--request", p]);
        let req = a.request().unwrap();
        assert_eq!(
            (req.rounds.as_slice(), req.refine_steps, req.backend),
            (&[Round::Fine][..], 3, Some(BackendChoice::Gpu))
        );
        assert_eq!(req.base_dir.as_deref(), Some(Path::new("/x")));
        let a =
            args(&["--request", p, "--rounds", "coarse,medium:speckle=2", "--refine", "5", "--detail-box", "0,0,2,2"]);
        let req = a.request().unwrap();
        assert_eq!((req.rounds.as_slice(), req.refine_steps), (&[Round::Coarse, Round::Medium][..], 5));
        let options = a.options(&req).unwrap();
        assert_eq!(options.rounds[1].filter_speckle, 2, "the knobs of --rounds reach the run");
        assert_eq!(
            options.detail.iter().map(|d| d.rect).collect::<Vec<_>>(),
            [[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 2.0, 2.0]]
        );
        assert_eq!(options.backend, BackendChoice::Gpu);
        let e = args(&["--refine", "100001"]).request().unwrap_err().to_string();
        assert!(e.contains("`refine_steps` must be between -1 and 100000"), "{e}");
        let e = args(&["--refine", "-2"]).request().unwrap_err().to_string();
        assert!(e.contains("`refine_steps` must be between -1 and 100000, not -2"), "{e}");
    }
}
