//! `clipvg edit`: the command-line front of [`super::edit`], with a progress bar on a terminal,
//! snapshots, an animated preview, and an atomically written output.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use super::{EditMode, EditRequest, Hooks, Model, Preset, RoiRequest, edit, format_duration};
use crate::compute::BackendChoice;
use crate::error::{Error, Result};
use crate::svg::Document;

/// Arguments of `clipvg edit`.
#[derive(clap::Args, Debug, Clone)]
pub struct EditArgs {
    /// The SVG to edit (never modified).
    pub input: PathBuf,
    /// Where to write the edited SVG.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The prompt of every ROI without its own.
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
    /// What may change: all, shape (points only) or colour (colours only).
    #[arg(long, value_enum, default_value_t = EditMode::All)]
    pub mode: EditMode,
    /// Defaults for iterations, patches and render size.
    #[arg(long, value_enum, default_value_t = Preset::Paper)]
    pub preset: Preset,
    /// Iterations (overrides the preset).
    #[arg(long = "iters")]
    pub iterations: Option<usize>,
    /// Random patches per ROI per iteration (overrides the preset).
    #[arg(long)]
    pub patches: Option<usize>,
    /// Long side of the render the loss sees (overrides the preset).
    #[arg(long)]
    pub size: Option<u32>,
    #[arg(long)]
    pub shape_lr: Option<f32>,
    #[arg(long)]
    pub color_lr: Option<f32>,
    /// CLIP model: a registry name (fetched on first use) or a HuggingFace CLIP folder.
    #[arg(long, default_value = "clip-vit-base-patch32")]
    pub model: String,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Add a trainable background path under everything (the paper's add_bg_layer), of this
    /// colour (default grey).
    #[arg(long, num_args = 0..=1, default_missing_value = "#808080", value_name = "COLOUR")]
    pub background_layer: Option<String>,
    /// Weight of the Xing regulariser against self-intersecting segments (0 = off).
    #[arg(long)]
    pub xing: Option<f32>,
    /// Guide towards this image instead of a text prompt.
    #[arg(long)]
    pub target_image: Option<PathBuf>,
    /// Write SVG and PNG snapshots (and an animated preview.gif at the end) into this folder.
    #[arg(long)]
    pub snapshots: Option<PathBuf>,
    /// Snapshot interval in iterations.
    #[arg(long, default_value_t = 10)]
    pub every: usize,
    /// A whole edit request as JSON (the plugin's format); the options above override it.
    #[arg(long)]
    pub request: Option<PathBuf>,
}

fn split_prompt(s: &str) -> Result<(&str, &str)> {
    s.split_once('=')
        .filter(|(a, b)| !a.trim().is_empty() && !b.trim().is_empty())
        .ok_or_else(|| Error::InvalidInput(format!("expected KEY=TEXT, got \"{s}\"")))
}

impl EditArgs {
    /// The request these arguments describe.
    pub fn request(&self) -> Result<EditRequest> {
        let mut req = match &self.request {
            Some(p) => EditRequest::from_json(&std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?)?,
            None => EditRequest::default(),
        };
        if self.request.is_none() {
            self.preset.apply(&mut req);
        }
        let patches = self.patches.unwrap_or(if self.request.is_some() { 64 } else { self.preset.patches() });
        let roi = |element: Option<String>, rect: Option<[f64; 4]>, prompt: Option<String>| RoiRequest {
            element,
            rect,
            prompt,
            n_patches: patches,
            ..RoiRequest::default()
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
            let v: Vec<f64> = b.split(',').map(|x| x.trim().parse::<f64>()).collect::<std::result::Result<_, _>>().map_err(|_| {
                Error::InvalidInput(format!("--roi-box expects X,Y,W,H=TEXT with four numbers, got \"{r}\""))
            })?;
            if v.len() != 4 {
                return Err(Error::InvalidInput(format!("--roi-box expects four numbers, got \"{b}\"")));
            }
            req.rois.push(roi(None, Some([v[0], v[1], v[2], v[3]]), Some(text.trim().into())));
        }
        req.whole_canvas |= self.whole_canvas;
        if self.mode != EditMode::All {
            req.mode = self.mode;
        }
        if let Some(n) = self.iterations {
            req.iterations = n;
        }
        if let Some(n) = self.patches {
            for r in &mut req.rois {
                r.n_patches = n;
            }
        }
        if let Some(s) = self.size {
            req.size = s;
        }
        if let Some(v) = self.shape_lr {
            req.shape_lr = v;
        }
        if let Some(v) = self.color_lr {
            req.color_lr = v;
        }
        req.seed = self.seed;
        if let Some(c) = &self.background_layer {
            let rgba = crate::svg::paint::parse_color(c)
                .ok_or_else(|| Error::InvalidInput(format!("--background-layer: unknown colour \"{c}\"")))?;
            req.background_layer = Some(rgba.map(|v| v as f32));
        }
        if let Some(x) = self.xing {
            req.xing_weight = x;
        }
        if self.target_image.is_some() {
            req.target_image = self.target_image.clone();
        }
        req.validate()?;
        Ok(req)
    }
}

/// Runs `clipvg edit`.
pub fn run(args: &EditArgs) -> Result<()> {
    let req = args.request()?;
    let doc = Document::open(&args.input)?;
    let tty = std::io::stderr().is_terminal();
    let model = Model::load(&args.model, args.backend, &mut |m| {
        if tty {
            eprint!("\rfetching {m}");
        }
    })?;
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
    let mut progress = |p: &super::Progress| {
        match &bar {
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
                    last_log = std::time::Instant::now();
                }
            }
        }
        true
    };
    let mut frames: Vec<image::RgbaImage> = Vec::new();
    let snap_dir = args.snapshots.clone();
    let mut snapshot = |it: usize, svg: &str| {
        let Some(dir) = &snap_dir else { return };
        let _ = crate::util::write_atomic(&dir.join(format!("iter_{it:05}.svg")), svg.as_bytes());
        if let Ok(img) = preview(svg, 256) {
            let _ = img.save(dir.join(format!("iter_{it:05}.png")));
            frames.push(img);
        }
    };
    let hooks = Hooks {
        progress: &mut progress,
        snapshot: args.snapshots.as_ref().map(|_| (args.every.max(1), &mut snapshot as &mut dyn FnMut(usize, &str))),
    };
    let outcome = edit(&doc, &req, &model, hooks)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    crate::util::write_atomic(&args.output, outcome.svg.as_bytes())?;
    if let Some(dir) = &args.snapshots {
        if let Ok(first) = preview(doc.source(), 256) {
            frames.insert(0, first);
        }
        if let Ok(last) = preview(&outcome.svg, 256) {
            frames.push(last);
        }
        write_gif(&dir.join("preview.gif"), &frames)?;
    }
    let r = &outcome.report;
    let stop = match &r.stop {
        super::Stop::Finished => "finished".to_string(),
        super::Stop::Cancelled => "cancelled".to_string(),
        super::Stop::NonFinite { iteration } => format!("stopped at iteration {iteration}: the step produced NaN/infinity; kept the last good state"),
    };
    eprintln!(
        "{stop}: {} iterations in {:.1} s, final loss {:.4}, {} element(s) changed → {}",
        r.iterations_done,
        r.elapsed_s,
        r.losses.last().copied().unwrap_or(f32::NAN),
        r.changed.len(),
        args.output.display()
    );
    Ok(())
}

/// A small preview render of an SVG text.
pub fn preview(svg: &str, long_side: u32) -> Result<image::RgbaImage> {
    let doc = Document::parse(svg)?;
    let built = crate::scene::build(&doc, &Default::default())?;
    let s = long_side as f64 / built.canvas.width.max(built.canvas.height);
    let (w, h) = (((built.canvas.width * s).round() as u32).max(1), ((built.canvas.height * s).round() as u32).max(1));
    Ok(crate::raster::render(&built.scene, w, h, [1.0; 4])?.to_rgba8())
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
    crate::util::write_atomic(path, &bytes)
}
