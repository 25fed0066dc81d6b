//! Multi-round vectorization: bitmap in, layered editable SVG out (CLIPVG §1, "multi-round
//! vectorization").
//!
//! The bitmap is traced several times at increasing precision ([`Precision`]: coarse, fine and
//! medium, or explicit tracer knobs), plus optional rounds restricted to a box (the paper's face
//! round). Each round becomes a group `<g id="clipvg-round-K">` in painter's order, coarse at the
//! bottom, every path with an id (`clipvg-rK-N`) and a plain `fill`. Refinement ([`refine`])
//! then fits points and colours to the bitmap with the differentiable rasterizer.
//!
//! How the rounds fit together: every round is traced *stacked* (the colour clustering's
//! hierarchy, where each shape also covers the shapes on it, so a round alone has no holes), and
//! the rounds above the bottom one are *thinned* ([`select`]): a shape stays only if it brings
//! the picture closer to the bitmap than what lies under it. A round traced on its own covers the
//! whole canvas, so unthinned it hides every round below it, and most of its shapes repeat them
//! (the same region in nearly the same colour: 55–73 % of the fine round's shapes on the test
//! photos). Thinned, the upper rounds hold the detail and the bottom round shows wherever they
//! do not, which is also what fills any crack an edit opens. Measured at 512 px on the three
//! photos (`benches/vectorize_anchors.rs`, refined): coarse + thinned fine is 0.2–0.5 dB closer
//! to the photo than one stacked round of the same path count, and within 0.1 dB of the former
//! stack (coarse, medium, fine with the upper rounds cut out) or closer, with 52–77 % of its paths.
//!
//! Coordinates: the output canvas is the *working image* (the bitmap scaled to `long_side`, or
//! capped at [`bitmap::DEFAULT_MAX_LONG_SIDE`]), one unit per working pixel. Detail boxes are
//! given in pixels of the input bitmap.
//!
//! Entry points: [`vectorize_bitmap`] and [`vectorize_file`] for a picture,
//! [`vectorize_image_element`] (the editor's "Vectorize bitmap" action) and
//! [`vectorize_images`] for `<image>` elements of an SVG document.

pub mod bitmap;
pub mod budget;
pub mod embed;
pub mod metrics;
pub mod precision;
pub mod refine;
pub mod select;
pub mod trace;
pub(crate) mod tracer;

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbaImage;
use kurbo::Affine;
use serde::{Deserialize, Serialize};

pub use embed::{EmbeddedOutcome, image_elements, vectorize_image_element, vectorize_images};
pub use precision::{DEFAULT_ROUNDS, DetailRound, Precision, parse_box, parse_rounds};
pub use refine::{RefineBudget, RefineReport};
pub use trace::{Ids, Round, TracedPath};

use crate::compute::BackendChoice;
use crate::error::{Error, Result};
use crate::svg::Document;
use metrics::{WHITE, psnr};

/// Pixels of the traced crop per canvas pixel in a detail round: the box is traced from the
/// input bitmap at twice the working resolution, so it gains shapes finer than the fine round.
pub const DETAIL_SCALE: f64 = 2.0;

/// Everything a vectorization needs besides the picture.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct VectorizeOptions {
    /// The rounds, bottom (coarse) to top (fine).
    pub rounds: Vec<Precision>,
    /// Extra rounds on boxes of the picture, stacked on top.
    pub detail: Vec<DetailRound>,
    /// How long refinement against the bitmap runs.
    pub refine: RefineBudget,
    /// The most paths kept over all rounds ([`budget::limit_paths`]).
    pub max_paths: usize,
    /// Shapes of the upper rounds that bring the picture less than this much closer to the
    /// bitmap than the rounds below are dropped ([`select::drop_redundant`]); `None` keeps all.
    pub min_gain: Option<f64>,
    /// Long side of the working image in pixels; `None`: the picture's own, capped at
    /// [`bitmap::DEFAULT_MAX_LONG_SIDE`].
    pub long_side: Option<u32>,
    /// Where refinement runs.
    pub backend: BackendChoice,
    /// The folder relative `<image href>` file names are resolved against (the document's
    /// folder); `None` refuses relative file references.
    pub base_dir: Option<PathBuf>,
}

impl Default for VectorizeOptions {
    fn default() -> Self {
        VectorizeOptions {
            rounds: parse_rounds(DEFAULT_ROUNDS).expect("the default rounds parse"),
            detail: Vec::new(),
            refine: RefineBudget::default(),
            max_paths: clipvg_request::fields::MAX_PATHS.number() as usize,
            min_gain: Some(select::DEFAULT_MIN_GAIN),
            long_side: None,
            backend: BackendChoice::Cpu,
            base_dir: None,
        }
    }
}

impl VectorizeOptions {
    /// The options a [`clipvg_request::VectorizeRequest`] asks for (the C ABI JSON and
    /// `clipvg vectorize --request`): its rounds (none: the default rounds), its detail box as a
    /// fine round on top, its refinement steps and base folder; `backend` is where refinement
    /// runs (the request's, else the caller's default). The working size is the picture's own.
    pub fn from_request<L>(req: &clipvg_request::VectorizeRequest<L>, backend: BackendChoice) -> Result<Self> {
        use clipvg_request::Named;
        let preset = |name: &str| {
            Precision::preset(name).ok_or_else(|| Error::InvalidInput(format!("unknown round \"{name}\"")))
        };
        let mut options = VectorizeOptions::default();
        if !req.rounds.is_empty() {
            options.rounds = req.rounds.iter().map(|r| preset(r.name())).collect::<Result<_>>()?;
        }
        if let Some(rect) = req.detail_box {
            options.detail.push(DetailRound { rect: rect.to_array(), precision: preset("fine")? });
        }
        options.refine = RefineBudget::from_request(req.refine_steps, req.refine_seconds);
        options.max_paths = req.max_paths;
        options.backend = req.backend.unwrap_or(backend);
        options.base_dir = req.base_dir.clone();
        Ok(options)
    }
}

/// What a long vectorization reports as it goes; the callback returns `false` to cancel.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// Round `round` (1-based) of `rounds` is being traced.
    Trace { round: usize, rounds: usize, label: &'a str },
    /// Refinement step `step` (1-based) of `steps`, with its loss.
    Refine { step: usize, steps: usize, loss: f32 },
}

/// One round as reported.
#[derive(Clone, Debug, Serialize)]
pub struct RoundReport {
    pub label: String,
    /// The knobs, as `--rounds` reads them after `NAME:`.
    pub knobs: String,
    pub paths: usize,
    /// Cubic segments of all its paths.
    pub segments: usize,
    /// PSNR (dB, over white) of the stack up to and including this round against the bitmap.
    pub psnr_db: f64,
    pub seconds: f64,
}

/// What a vectorization did.
#[derive(Clone, Debug, Serialize)]
pub struct VectorizeReport {
    /// The input bitmap's size in pixels.
    pub source_size: [u32; 2],
    /// The working (output canvas) size.
    pub size: [u32; 2],
    pub rounds: Vec<RoundReport>,
    /// Shapes of the upper rounds left out by the thinning ([`select::thin`]: they added too
    /// little over the rounds below, at the default threshold or the one `max_paths` needed);
    /// the rounds' path counts are after it.
    pub thinned: usize,
    pub refine: Option<RefineReport>,
    /// PSNR of the final SVG's render against the working bitmap, dB (over white).
    pub psnr_db: f64,
    /// Things the user should know (a capped size, ...).
    pub notes: Vec<String>,
    pub elapsed_s: f64,
}

impl VectorizeReport {
    /// Paths over all rounds.
    pub fn paths(&self) -> usize {
        self.rounds.iter().map(|r| r.paths).sum()
    }
}

/// The result: the SVG text, the working bitmap it was measured against, and the report.
#[derive(Clone, Debug)]
pub struct Vectorized {
    pub svg: String,
    pub working: RgbaImage,
    pub report: VectorizeReport,
}

/// Vectorizes an image file (PNG, JPEG, WebP, GIF) into a standalone layered SVG.
pub fn vectorize_file(
    path: &Path,
    options: &VectorizeOptions,
    progress: &mut dyn FnMut(Progress<'_>) -> bool,
) -> Result<Vectorized> {
    let img = bitmap::open(path)?;
    vectorize_bitmap(&img, path, options, progress)
}

/// Vectorizes a decoded picture into a standalone layered SVG with the default ids
/// (`clipvg-round-K`, `clipvg-rK-N`). `source` names the picture in messages.
pub fn vectorize_bitmap(
    img: &RgbaImage,
    source: &Path,
    options: &VectorizeOptions,
    progress: &mut dyn FnMut(Progress<'_>) -> bool,
) -> Result<Vectorized> {
    vectorize_with(img, source, options, &Ids { prefix: "clipvg".into() }, "", progress)
}

/// The whole pipeline with explicit ids and tag prefix (`""` or `"svg:"`, for embedding).
pub(crate) fn vectorize_with(
    img: &RgbaImage,
    source: &Path,
    options: &VectorizeOptions,
    ids: &Ids,
    tag_prefix: &str,
    progress: &mut dyn FnMut(Progress<'_>) -> bool,
) -> Result<Vectorized> {
    let start = Instant::now();
    if options.rounds.is_empty() {
        return Err(Error::InvalidInput("no rounds to trace: give at least one, e.g. --rounds fine".into()));
    }
    bitmap::check_content(img, source)?;
    let (sw, sh) = img.dimensions();
    let (w, h) = bitmap::working_size(sw, sh, options.long_side)?;
    let mut notes = Vec::new();
    if options.long_side.is_none() && (w, h) != (sw, sh) {
        notes.push(format!(
            "{} is {sw}×{sh} px; vectorized at {w}×{h} (the default cap is {} px on the long side; pass --size to choose)",
            source.display(),
            bitmap::DEFAULT_MAX_LONG_SIDE
        ));
    }
    let working = bitmap::resize(img, w, h);
    let scale = w as f64 / sw as f64;

    let (mut rounds, seconds) = trace_rounds(img, &working, options, scale, source, progress)?;
    let target = bitmap::to_float_over(&working, WHITE);
    let (thinned, gains) = match options.min_gain {
        Some(gain) => {
            let t = select::thin(&mut rounds, &target, w, h, gain, options.max_paths);
            if t.min_gain > gain {
                notes.push(format!(
                    "to keep at most {} paths (max_paths) the upper rounds kept only shapes that remove a squared colour error of {:.2} (default {gain})",
                    options.max_paths, t.min_gain
                ));
            }
            (t.dropped, t.gains)
        }
        None => (0, Vec::new()),
    };
    let dropped = budget::limit_paths(&mut rounds, options.max_paths, &gains);
    if dropped > 0 {
        notes.push(format!(
            "{dropped} more shapes were dropped to keep {} paths (max_paths): the upper rounds' that added the least, then the bottom round's smallest",
            options.max_paths
        ));
    }
    let comment = format!(
        "clipvg vectorize: {} round(s) on {w}×{h} px: {}",
        rounds.len(),
        rounds.iter().map(|r| format!("{}:{}", r.label, r.precision.knobs())).collect::<Vec<_>>().join(" | ")
    );
    let mut svg = trace::to_document(w, h, &rounds, ids, tag_prefix, &comment);

    let reports = round_reports(&svg, &rounds, seconds, &target, (w, h))?;
    let mut psnr_db = reports.last().map_or(f64::NAN, |r| r.psnr_db);
    let mut refine_report = None;
    let segments: Vec<usize> = reports.iter().map(|r| r.segments).collect();
    let steps = options.refine.steps((w, h), &segments);
    if steps > 0 {
        let (text, mut rep) = refine::refine(&svg, &target, (w, h), steps, options.backend, progress)?;
        if let RefineBudget::Seconds(s) = options.refine {
            rep.budget_seconds = Some(s);
        }
        let after = round_reports(&text, &rounds, vec![0.0; rounds.len()], &target, (w, h))?;
        rep.rounds_psnr_db = after.iter().map(|r| r.psnr_db).collect();
        svg = text;
        psnr_db = rep.psnr_after_db;
        refine_report = Some(rep);
    }
    let report = VectorizeReport {
        source_size: [sw, sh],
        size: [w, h],
        rounds: reports,
        thinned,
        refine: refine_report,
        psnr_db,
        notes,
        elapsed_s: start.elapsed().as_secs_f64(),
    };
    Ok(Vectorized { svg, working, report })
}

/// Traces the stacked rounds on the working image, then the detail rounds on their boxes of
/// the source image (`scale`: working pixels per source pixel); returns the rounds and the
/// seconds each took.
fn trace_rounds(
    img: &RgbaImage,
    working: &RgbaImage,
    options: &VectorizeOptions,
    scale: f64,
    source: &Path,
    progress: &mut dyn FnMut(Progress<'_>) -> bool,
) -> Result<(Vec<Round>, Vec<f64>)> {
    let total = options.rounds.len() + options.detail.len();
    let mut rounds: Vec<Round> = Vec::with_capacity(total);
    let mut seconds = Vec::with_capacity(total);
    for precision in &options.rounds {
        let t = Instant::now();
        tell(progress, Progress::Trace { round: rounds.len() + 1, rounds: total, label: &precision.name })?;
        let precision = precision.resolved();
        let paths = trace::trace(working, &precision)?;
        rounds.push(Round { label: precision.name.clone(), precision, detail: None, paths });
        seconds.push(t.elapsed().as_secs_f64());
    }
    for d in &options.detail {
        let t = Instant::now();
        tell(progress, Progress::Trace { round: rounds.len() + 1, rounds: total, label: "detail" })?;
        let d = DetailRound { precision: d.precision.resolved(), ..d.clone() };
        rounds.push(detail_round(img, &d, scale, source)?);
        seconds.push(t.elapsed().as_secs_f64());
    }
    Ok((rounds, seconds))
}

/// Measures every prefix of the stack in `svg`: the render of rounds 1..=k against `target`
/// (`w × h`, over white), one report per round.
fn round_reports(
    svg: &str,
    rounds: &[Round],
    seconds: Vec<f64>,
    target: &[f32],
    (w, h): (u32, u32),
) -> Result<Vec<RoundReport>> {
    let doc = Document::parse(svg)?;
    let built = crate::scene::build(&doc, &Default::default())?;
    // Shapes are in painter's order, round by round; a round ends after its last shape.
    let groups = &doc.element(doc.root()).children;
    let round_of: Vec<usize> = built
        .map
        .shapes
        .iter()
        .map(|s| doc.element(s.element).parent.and_then(|g| groups.iter().position(|&x| x == g)).unwrap_or(0))
        .collect();
    let mut reports = Vec::with_capacity(rounds.len());
    for (k, (r, secs)) in rounds.iter().zip(seconds).enumerate() {
        let mut partial = built.scene.clone();
        partial.shapes.truncate(round_of.iter().filter(|&&g| g <= k).count());
        let img = crate::raster::render(&partial, w, h, WHITE)?;
        reports.push(RoundReport {
            label: r.label.clone(),
            knobs: r.precision.knobs(),
            paths: r.paths.len(),
            segments: r.paths.iter().map(TracedPath::segments).sum(),
            psnr_db: psnr(&img.data, target),
            seconds: secs,
        });
    }
    Ok(reports)
}

fn tell(progress: &mut dyn FnMut(Progress<'_>) -> bool, p: Progress<'_>) -> Result<()> {
    if progress(p) { Ok(()) } else { Err(Error::Cancelled) }
}

/// Traces one box of the input picture at [`DETAIL_SCALE`] times the working resolution and
/// places its paths on the canvas (`scale`: canvas pixels per input pixel).
fn detail_round(img: &RgbaImage, d: &DetailRound, scale: f64, source: &Path) -> Result<Round> {
    let (sw, sh) = img.dimensions();
    let [x, y, bw, bh] = d.rect;
    let (x0, y0) = (x.max(0.0).floor() as u32, y.max(0.0).floor() as u32);
    let (x1, y1) = (((x + bw).min(sw as f64)).ceil() as u32, ((y + bh).min(sh as f64)).ceil() as u32);
    if x1 <= x0 || y1 <= y0 || x0 >= sw || y0 >= sh {
        return Err(Error::InvalidInput(format!(
            "--detail-box {x},{y},{bw},{bh} lies outside the {sw}×{sh} px picture {}",
            source.display()
        )));
    }
    let crop = image::imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image();
    let px = |v: u32| ((v as f64 * scale * DETAIL_SCALE).round() as u32).clamp(1, bitmap::MAX_LONG_SIDE);
    let (tw, th) = (px(crop.width()), px(crop.height()));
    let traced = bitmap::resize(&crop, tw, th);
    let mut paths =
        if traced.pixels().all(|p| p.0[3] < 128) { Vec::new() } else { trace::trace(&traced, &d.precision)? };
    // Trace pixels → input pixels → canvas pixels.
    let place = Affine::scale(scale)
        * Affine::translate((x0 as f64, y0 as f64))
        * Affine::scale_non_uniform(crop.width() as f64 / tw as f64, crop.height() as f64 / th as f64);
    for p in &mut paths {
        p.transform(place);
    }
    let rect = [x0 as f64 * scale, y0 as f64 * scale, (x1 - x0) as f64 * scale, (y1 - y0) as f64 * scale];
    Ok(Round { label: "detail".into(), precision: d.precision.clone(), detail: Some(rect), paths })
}
