//! `clipvg edit`: the command-line front of [`clipvg::edit::edit`], with a progress bar on a terminal,
//! snapshots, an animated preview, and an atomically written output.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clipvg::compute::BackendChoice;
use clipvg::edit::request::{BackgroundLayer, PresetFill, invalid, parse_edit_request_unfilled, resolve_preset};
use clipvg::edit::{CanvasBox, EditMode, EditRequest, Hooks, Model, Preset, Roi, edit_variations, format_duration};
use clipvg::error::{Error, Result};
use clipvg::request::ClipPrecision;
use clipvg::svg::Document;
use clipvg_request::fields::{self, Field};

/// The help of a flag whose default comes from `--preset`: `Iterations (Adam steps) [default:
/// the preset's: 150 paper, 40 fast]`.
fn preset_help(f: &Field, value: impl Fn(clipvg_request::PresetSettings) -> String) -> String {
    format!(
        "{} [default: the preset's: {} paper, {} fast]",
        f.help,
        value(Preset::Paper.settings()),
        value(Preset::Fast.settings())
    )
}

/// The CLIP model of an edit when neither `--model` nor the request file names one.
pub const DEFAULT_MODEL: &str = "clip-vit-base-patch32";

/// Arguments of `clipvg edit`.
#[derive(clap::Args, Debug, Clone)]
pub struct EditArgs {
    /// The SVG to edit, or a PNG/JPEG picture to vectorize first (never modified).
    pub input: PathBuf,
    /// Where to write the edited SVG (written whole or not at all; must not be the input).
    #[arg(short, long)]
    pub output: PathBuf,
    /// The prompt of every ROI without its own (not needed when every ROI has one, or with
    /// --target-image).
    #[arg(long)]
    pub prompt: Option<String>,
    /// Elements the optimizer may change (repeatable); each is also an ROI with the prompt.
    #[arg(long = "select", value_name = "ID")]
    pub select: Vec<String>,
    /// An element ROI with its own prompt: ID=TEXT (repeatable).
    #[arg(long = "roi", value_name = "ID=TEXT")]
    pub roi: Vec<String>,
    /// A box ROI in canvas pixels with its own prompt: X,Y,W,H=TEXT (repeatable).
    #[arg(long = "roi-box", value_name = "X,Y,W,H=TEXT")]
    pub roi_box: Vec<String>,
    /// Add the whole canvas as an ROI with the prompt (as the paper does).
    #[arg(long)]
    pub whole_canvas: bool,
    /// What may change: all, shape (points only) or colour (colours only) [default: all].
    #[arg(long, value_parser = crate::named::named::<EditMode>())]
    pub mode: Option<EditMode>,
    /// Defaults for iterations, patches, render size and learning rates: auto (paper on a
    /// hardware GPU, fast elsewhere), paper (150, 64, 512 px, 0.2, 0.01) or fast, also draft (40,
    /// 8, 384 px, 0.75, 0.0375: the paper's learning rates × 150/40, so the edit moves as far)
    /// [default: auto; with --request, the file's preset and values].
    #[arg(long, value_parser = crate::named::named::<Preset>())]
    pub preset: Option<Preset>,
    /// Iterations (overrides the preset).
    #[arg(long = "iters", help = preset_help(&fields::ITERATIONS, |s| s.iterations.to_string()))]
    pub iterations: Option<usize>,
    /// Random patches per ROI per iteration (overrides the preset).
    #[arg(long, help = preset_help(&fields::N_PATCHES, |s| s.n_patches.to_string()))]
    pub patches: Option<usize>,
    /// Long side of the render the loss sees (overrides the preset).
    #[arg(long, help = preset_help(&fields::RENDER_SIZE, |s| s.render_size.to_string()))]
    pub size: Option<u32>,
    /// Adam learning rate of the control points; 0 freezes shapes (overrides the preset).
    #[arg(long, help = preset_help(&fields::SHAPE_LR, |s| s.shape_lr.to_string()))]
    pub shape_lr: Option<f32>,
    /// Adam learning rate of the colours; 0 freezes colours (overrides the preset).
    #[arg(long, alias = "colour-lr", help = preset_help(&fields::COLOUR_LR, |s| s.colour_lr.to_string()))]
    pub color_lr: Option<f32>,
    /// CLIP model: a registry name (fetched on first use) or a HuggingFace CLIP folder
    /// [default: the request file's `model`, else clip-vit-base-patch32].
    #[arg(long)]
    pub model: Option<String>,
    /// Where CLIP and the rasterizer run: auto (a GPU through wgpu when there is one), cpu or gpu
    /// [default: the request file's `backend`, else auto].
    #[arg(long, value_parser = crate::named::named::<BackendChoice>())]
    pub backend: Option<BackendChoice>,
    /// CLIP's float type: auto (half precision on a hardware GPU whose adapter has it, else
    /// f32), f32, or f16 (an error where the device has none) [default: the request file's
    /// `clip_precision`, else auto].
    #[arg(long, value_parser = crate::named::named::<ClipPrecision>())]
    pub clip_precision: Option<ClipPrecision>,
    /// Seed of every random choice (patches, warps); the same seed gives the same SVG.
    #[arg(long, help = fields::SEED.help_with_default())]
    pub seed: Option<u64>,
    /// Variations: OUT.svg, OUT-2.svg … and a contact sheet OUT-variations.png, in one run.
    #[arg(long, value_name = "N", help = fields::VARIATIONS.help_with_default())]
    pub variations: Option<usize>,
    /// Add a trainable background path under everything (the paper's add_bg_layer), of this
    /// colour (default grey).
    #[arg(long, num_args = 0..=1, default_missing_value = "#808080", value_name = "COLOUR")]
    pub background_layer: Option<String>,
    /// Weight of the Xing regulariser against self-intersecting segments (0 = off).
    #[arg(long, help = fields::XING_WEIGHT.help_with_default())]
    pub xing: Option<f32>,
    /// Guide towards this image instead of a text prompt.
    #[arg(long)]
    pub target_image: Option<PathBuf>,
    /// How far the selection may move: 1 the paper's edit, 0 unchanged (a preservation term).
    #[arg(long, help = fields::STRENGTH.help_with_default())]
    pub strength: Option<f32>,
    /// Colours the fills are pulled towards: #hex,#hex,… or a GIMP .gpl file.
    #[arg(long, value_name = "COLOURS|FILE.gpl", help = fields::PALETTE.help)]
    pub palette: Option<String>,
    /// Snap every trained colour to its nearest palette colour at the end.
    #[arg(long)]
    pub snap: bool,
    /// Write SVG and PNG snapshots (and an animated preview.gif at the end) into this folder.
    #[arg(long)]
    pub snapshots: Option<PathBuf>,
    /// Snapshot interval in iterations.
    #[arg(long, default_value_t = 10)]
    pub every: usize,
    /// A whole edit request as JSON (the fields of `clipvg_request::EditRequest`, the plugin's
    /// and the Inkscape shim's request too, see the README); options given on the command line
    /// override its values, and ROIs given here are added to its ROIs.
    #[arg(long)]
    pub request: Option<PathBuf>,
    /// Ctrl-C stops the edit at the end of its iteration and writes the result so far to -o
    /// (exit code 0); a second Ctrl-C exits at once and writes nothing.
    #[arg(long)]
    pub keep_on_interrupt: bool,
    /// Element ROIs see only the element's own shape (the rest white), not its bounding box.
    #[arg(long)]
    pub roi_mask: bool,
}

fn split_prompt(s: &str) -> Result<(&str, &str)> {
    s.split_once('=').filter(|(a, b)| !a.trim().is_empty() && !b.trim().is_empty()).ok_or_else(|| {
        Error::InvalidInput(format!("expected ID=TEXT or X,Y,W,H=TEXT (a prompt after '='), got \"{s}\""))
    })
}

impl EditArgs {
    /// The request these arguments describe.
    // Over 80 lines: one `if let` per flag, each overriding the request file's value in turn.
    pub fn request(&self) -> Result<EditRequest> {
        let (mut req, fill) = match &self.request {
            Some(p) => parse_edit_request_unfilled(&std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?)?,
            None => (EditRequest::default(), PresetFill::default()),
        };
        // The preset: `--preset` over everything the file says, else the file's over what it
        // left out; `auto` (the default without a file) resolved for the backend of the run.
        if self.backend.is_some() {
            req.backend = self.backend;
        }
        if let Some(p) = self.clip_precision {
            req.clip_precision = p;
        }
        let backend = req.backend.unwrap_or_default();
        match self.preset.or(self.request.is_none().then_some(Preset::Auto)) {
            Some(p) => req.apply_preset(resolve_preset(p, backend)),
            None => {
                fill.apply(&mut req, backend);
            }
        }
        // ROIs added here take `--patches`, else the preset's or the file's whole-canvas count.
        let patches = self.patches.unwrap_or(req.whole_canvas_patches());
        let roi = |element: Option<String>, rect: Option<[f64; 4]>, prompt: Option<String>| Roi {
            element,
            rect: rect.map(CanvasBox::from),
            prompt,
            n_patches: Some(patches),
            ..Roi::default()
        };
        if self.prompt.is_some() {
            req.prompt = self.prompt.clone();
        }
        for id in &self.select {
            req.select.push(id.clone());
            req.rois.push(roi(Some(id.clone()), None, None));
        }
        for r in &self.roi {
            let (id, text) = split_prompt(r)?;
            req.rois.push(roi(Some(id.trim().into()), None, Some(text.trim().into())));
        }
        for r in &self.roi_box {
            let (b, text) = split_prompt(r)?;
            let v: Vec<f64> =
                b.split(',').map(|x| x.trim().parse::<f64>()).collect::<std::result::Result<_, _>>().map_err(|_| {
                    Error::InvalidInput(format!("--roi-box expects X,Y,W,H=TEXT with four numbers, got \"{r}\""))
                })?;
            if v.len() != 4 {
                return Err(Error::InvalidInput(format!("--roi-box expects four numbers, got \"{b}\"")));
            }
            req.rois.push(roi(None, Some([v[0], v[1], v[2], v[3]]), Some(text.trim().into())));
        }
        req.whole_canvas_roi |= self.whole_canvas;
        // A bitmap without ROIs is edited as a whole (see `edit_input`).
        req.whole_canvas_roi |= req.rois.is_empty() && crate::edit_input::is_bitmap(&self.input);
        req.roi_mask |= self.roi_mask;
        if let Some(m) = self.mode {
            req.mode = m;
        }
        if let Some(n) = self.iterations {
            req.iterations = n;
        }
        if let Some(n) = self.patches {
            req.set_patches(n);
        }
        if let Some(s) = self.size {
            req.render_size = s;
        }
        if let Some(v) = self.shape_lr {
            req.shape_lr = v;
        }
        if let Some(v) = self.color_lr {
            req.colour_lr = v;
        }
        if let Some(s) = self.seed {
            req.seed = s;
        }
        if let Some(n) = self.variations {
            req.variations = n;
        }
        if let Some(c) = &self.background_layer {
            let rgba = clipvg::svg::paint::parse_color(c)
                .ok_or_else(|| Error::InvalidInput(format!("--background-layer: unknown colour \"{c}\"")))?;
            req.background_layer = Some(BackgroundLayer::Colour(rgba.map(|v| v as f32)));
        }
        if let Some(x) = self.xing {
            req.xing_weight = x;
        }
        if self.target_image.is_some() {
            req.target_image = self.target_image.clone();
        }
        if let Some(s) = self.strength {
            req.strength = s;
        }
        if let Some(p) = &self.palette {
            req.palette = crate::palette::parse_palette(p)?;
        }
        req.snap |= self.snap;
        if self.model.is_some() {
            req.model = self.model.clone();
        }
        req.validate_edit().map_err(invalid)?;
        Ok(req)
    }
}

/// Runs `clipvg edit`.
pub fn run(args: &EditArgs) -> Result<()> {
    let req = args.request()?;
    run_request(args, req)
}

/// Runs `clipvg edit` with the command line's `--limit` values applied by `apply_limits` over the
/// request's limits (the defaults, or those of `--request FILE`).
pub fn run_with_limits(
    args: &EditArgs,
    apply_limits: &dyn Fn(&mut clipvg_document::Limits) -> Result<()>,
) -> Result<()> {
    let mut req = args.request()?;
    apply_limits(&mut req.limits)?;
    run_request(args, req)
}

fn run_request(args: &EditArgs, req: EditRequest) -> Result<()> {
    let outputs: Vec<PathBuf> =
        (1..=req.variations.max(1)).map(|k| crate::variations::variation_path(&args.output, k)).collect();
    let sheet = (outputs.len() > 1).then(|| crate::variations::sheet_path(&args.output));
    for out in outputs.iter().chain(&sheet) {
        clipvg::util::refuse_overwriting_input(&args.input, out)?;
    }
    let doc = crate::edit_input::open(&args.input, &req.limits)?;
    let tty = std::io::stderr().is_terminal();
    let mut fetching = false;
    let mut show = crate::clip::stderr_progress();
    let (backend, precision) = (req.backend.unwrap_or_default(), req.clip_precision);
    let model = Model::load(req.model().unwrap_or(DEFAULT_MODEL), backend, precision, &mut |p| {
        fetching = true;
        show(p)
    })?;
    if fetching {
        eprintln!();
    }
    if let Some(dir) = &args.snapshots {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new(req.iterations as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} it  loss {msg}  {per_sec}  ETA {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut last_log = std::time::Instant::now();
    let mut progress = |p: &clipvg::edit::Progress| {
        show_progress(bar.as_ref(), &mut last_log, p);
        !clipvg_document::fs::interrupted()
    };
    let mut frames: Vec<image::RgbaImage> = Vec::new();
    let snap_dir = args.snapshots.clone();
    let mut snapshot = |it: usize, svg: &str| {
        let Some(dir) = &snap_dir else { return };
        let _ = clipvg::util::write_atomic(&dir.join(format!("iter_{it:05}.svg")), svg.as_bytes());
        if let Ok(img) = preview(svg, 256) {
            let _ = img.save(dir.join(format!("iter_{it:05}.png")));
            frames.push(img);
        }
    };
    let hooks = Hooks {
        progress: &mut progress,
        snapshot: args.snapshots.as_ref().map(|_| (args.every.max(1), &mut snapshot as &mut dyn FnMut(usize, &str))),
    };
    clipvg_document::fs::keep_on_interrupt(args.keep_on_interrupt);
    let outcomes = edit_variations(&doc, &req, &model, hooks);
    // From here on a Ctrl-C ends the process (and removes the temporary file) as before.
    clipvg_document::fs::keep_on_interrupt(false);
    let outcomes = outcomes?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    for (outcome, path) in outcomes.iter().zip(&outputs) {
        clipvg::util::write_atomic(path, outcome.svg.as_bytes())?;
    }
    let outcome = &outcomes[0];
    if let Some(dir) = &args.snapshots {
        if let Ok(first) = preview(doc.source(), 256) {
            frames.insert(0, first);
        }
        if let Ok(last) = preview(&outcome.svg, 256) {
            frames.push(last);
        }
        write_gif(&dir.join("preview.gif"), &frames)?;
    }
    if let Some(path) = &sheet {
        let svgs: Vec<&str> = outcomes.iter().map(|o| o.svg.as_str()).collect();
        crate::variations::write_sheet(path, &svgs)?;
    }
    let r = &outcome.report;
    if r.stop == clipvg::edit::Stop::Cancelled && clipvg_document::fs::interrupted() {
        let written: Vec<String> = outputs.iter().chain(&sheet).map(|p| p.display().to_string()).collect();
        eprintln!(
            "interrupted after {} of {} iterations; result so far written to {}",
            r.iterations_done,
            r.iterations,
            written.join(", ")
        );
        return Ok(());
    }
    for line in crate::variations::summary(&outcomes, &outputs, req.seed, sheet.as_deref()) {
        eprintln!("{line}");
    }
    Ok(())
}

/// One iteration's progress: the bar on a terminal, else a line now and then; after the first
/// iteration, the expected duration of the run.
fn show_progress(bar: Option<&indicatif::ProgressBar>, last_log: &mut std::time::Instant, p: &clipvg::edit::Progress) {
    if p.iteration == 1 && p.iterations > 1 {
        let line = expected_duration(p.elapsed, p.iterations);
        match bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }
    match bar {
        Some(b) => {
            b.set_position(p.iteration as u64);
            b.set_message(format!("{:.4}", p.loss));
        }
        None => {
            if p.iteration == 1 || p.iteration == p.iterations || last_log.elapsed() > Duration::from_secs(30) {
                eprintln!(
                    "iteration {}/{}  loss {:.4}  elapsed {}  eta {}",
                    p.iteration,
                    p.iterations,
                    p.loss,
                    format_duration(p.elapsed),
                    format_duration(p.eta)
                );
                *last_log = std::time::Instant::now();
            }
        }
    }
}

/// What the first iteration's time says about the whole run: `first iteration 1.2 s: about 48 s
/// for 40 iterations` (the first one also warms up, so the guess errs long).
fn expected_duration(first: Duration, iterations: usize) -> String {
    let total = first.mul_f64(iterations as f64);
    let about =
        if total.as_secs() < 90 { format!("{} s", total.as_secs_f64().round()) } else { format_duration(total) };
    format!("first iteration {:.1} s: about {about} for {iterations} iterations", first.as_secs_f64())
}

/// A small preview render of an SVG text.
pub fn preview(svg: &str, long_side: u32) -> Result<image::RgbaImage> {
    let doc = Document::parse(svg)?;
    let built = clipvg::scene::build(&doc, &Default::default())?;
    let s = long_side as f64 / built.canvas.width.max(built.canvas.height);
    let (w, h) = (((built.canvas.width * s).round() as u32).max(1), ((built.canvas.height * s).round() as u32).max(1));
    Ok(clipvg::raster::render(&built.scene, w, h, [1.0; 4])?.to_rgba8())
}

/// Writes an animated GIF of the frames (the edit unfolding).
pub fn write_gif(path: &std::path::Path, frames: &[image::RgbaImage]) -> Result<()> {
    use image::codecs::gif::{GifEncoder, Repeat};
    let mut bytes = Vec::new();
    {
        let mut enc = GifEncoder::new_with_speed(&mut bytes, 10);
        let _ = enc.set_repeat(Repeat::Infinite);
        for f in frames {
            let frame = image::Frame::from_parts(f.clone(), 0, 0, image::Delay::from_numer_denom_ms(200, 1));
            enc.encode_frame(frame).map_err(|e| Error::Image { path: path.into(), message: e.to_string() })?;
        }
    }
    clipvg::util::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        edit: EditArgs,
    }

    fn request(args: &[&str]) -> Result<EditRequest> {
        let mut v = vec!["clipvg", "in.svg", "-o", "out.svg"];
        v.extend_from_slice(args);
        Cli::try_parse_from(v).expect("arguments parse").edit.request()
    }

    #[test]
    fn presets_reach_every_roi_including_the_whole_canvas() {
        let r = request(&["--whole-canvas", "--prompt", "x", "--preset", "fast"]).unwrap();
        assert_eq!((r.iterations, r.render_size, r.whole_canvas_patches()), (40, 384, 8));
        assert_eq!((r.shape_lr, r.colour_lr), (0.75, 0.0375));
        let r = request(&[
            "--whole-canvas",
            "--prompt",
            "x",
            "--roi-box",
            "0,0,5,5=y",
            "--patches",
            "3",
            "--preset",
            "paper",
        ])
        .unwrap();
        assert_eq!((r.iterations, r.whole_canvas_patches(), r.rois[0].n_patches.unwrap_or(r.n_patches)), (150, 3, 3));
        let r = request(&["--whole-canvas", "--prompt", "x", "--preset", "paper"]).unwrap();
        assert_eq!((r.whole_canvas_patches(), r.mode, r.seed), (64, EditMode::All, 0));
        assert_eq!((r.model(), r.backend), (None, None));
        // The default is auto: fast on the CPU, flags over it.
        let r = request(&["--whole-canvas", "--prompt", "x", "--backend", "cpu", "--iters", "9"]).unwrap();
        assert_eq!((r.iterations, r.whole_canvas_patches(), r.render_size, r.colour_lr), (9, 8, 384, 0.0375));
        let r = request(&["--whole-canvas", "--prompt", "x", "--preset", "draft", "--color-lr", "0.5"]).unwrap();
        assert_eq!((r.iterations, r.colour_lr), (40, 0.5));
        let r = request(&["--whole-canvas", "--prompt", "x"]).unwrap();
        let auto = resolve_preset(Preset::Auto, BackendChoice::Auto).settings();
        assert_eq!((r.iterations, r.n_patches, r.render_size), (auto.iterations, auto.n_patches, auto.render_size));
    }

    #[test]
    fn the_first_iteration_tells_the_expected_duration() {
        let d = Duration::from_millis(1200);
        assert_eq!(expected_duration(d, 40), "first iteration 1.2 s: about 48 s for 40 iterations");
        assert_eq!(
            expected_duration(Duration::from_secs(14), 150),
            "first iteration 14.0 s: about 35m00s for 150 iterations"
        );
    }

    #[test]
    fn a_request_file_is_overridden_only_by_options_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(
            &path,
            r#"{"prompt": "a cat", "whole_canvas": true, "whole_canvas_patches": 5, "iterations": 7,
                "mode": "shape", "seed": 9, "rois": [{"rect": [0, 0, 4, 4], "n_patches": 6}]}"#,
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let r = request(&["--request", p]).unwrap();
        assert_eq!((r.iterations, r.mode, r.seed, r.whole_canvas_patches()), (7, EditMode::Shape, 9, 5));
        assert_eq!(r.rois[0].n_patches, Some(6));
        let r = request(&["--request", p, "--seed", "3", "--mode", "all", "--roi", "g=z", "--backend", "cpu"]).unwrap();
        assert_eq!((r.iterations, r.mode, r.seed, r.rois.len()), (7, EditMode::All, 3, 2));
        assert_eq!(r.rois[1].n_patches, Some(5), "added ROIs take the file's patch count");
        assert_eq!(r.backend, Some(BackendChoice::Cpu));
        let r = request(&["--request", p, "--preset", "fast"]).unwrap();
        assert_eq!((r.iterations, r.whole_canvas_patches(), r.rois[0].n_patches.unwrap_or(r.n_patches)), (40, 8, 8));
        // The file's preset fills what the file left out, for the backend of the run.
        std::fs::write(&path, r#"{"prompt": "a cat", "whole_canvas": true, "quality": "auto", "iterations": 7}"#)
            .unwrap();
        let r = request(&["--request", p, "--backend", "cpu"]).unwrap();
        assert_eq!((r.iterations, r.n_patches, r.render_size, r.shape_lr), (7, 8, 384, 0.75));
        let r = request(&["--request", p, "--backend", "cpu", "--size", "64", "--preset", "paper"]).unwrap();
        assert_eq!((r.iterations, r.n_patches, r.render_size, r.shape_lr), (150, 64, 64, 0.2));
        std::fs::write(&path, r#"{"prompt": "a cat", "whole_canvas": true, "iteratons": 3}"#).unwrap();
        assert!(request(&["--request", p]).unwrap_err().to_string().contains("iteratons"));
    }

    #[test]
    fn roi_syntax_errors_name_the_form() {
        let e = request(&["--roi", "justtext"]).unwrap_err().to_string();
        assert!(e.contains("ID=TEXT"), "{e}");
    }
}
