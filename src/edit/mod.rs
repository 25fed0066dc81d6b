//! The CLIPVG edit: "make these shapes look like the words".
//!
//! [`edit`] takes a document and an [`EditRequest`]: [`plan`] resolves the ROIs and the
//! trainable set (once, for every front end), [`edit_planned`] embeds the prompts once, then
//! [`optimizer::optimize`]s the scene's points and colours against the
//! directional CLIP loss of every ROI, and writes the result back into the document. Only the
//! trainable elements change; a failure leaves nothing half-written (the caller gets an error
//! and the input document is untouched).
//!
//! The modules, in the order the edit uses them: [`request`] (what to do), [`plan`] (the ROIs,
//! prompts, trainable set and render size, resolved once), [`text`] (prompt
//! embeddings), [`views`] (the views CLIP sees of each ROI, sampled from the render), [`loss`]
//! (the directional CLIP loss and the Xing loss), [`optimizer`] (the loop, with the masked Adam
//! step of [`crate::optim`]), and `background` (the optional background layer).
//! [`variations`] runs the loop for several seeds at once ([`edit_variations`]), and is the loop
//! of the single edit too.

mod background;
pub mod loss;
pub mod mask;
pub mod optimizer;
pub mod palette;
pub mod plan;
pub mod preserve;
pub mod request;
pub mod text;
pub mod variations;
pub mod views;

use std::path::Path;
use std::time::Duration;

use burn::tensor::{Device, FloatDType};
use serde::Serialize;

pub use background::BACKGROUND_ID;
pub use optimizer::{Progress, Stop};
pub use plan::{Plan, PlannedRoi};
pub use request::{CanvasBox, EditMode, EditRequest, Preset, Roi, parse_edit_request};
pub use variations::{edit_planned_variations, edit_variations, variation_seeds};

use crate::clip::{Clip, ClipTokenizer, ImageProcessor, normalize, resolve_model};
use crate::compute::{BackendChoice, device_for};
use crate::error::Result;
use crate::raster::op::{RasterJob, render_tensor};
use crate::raster::params::{scene_tensors, with_params};
use crate::request::ClipPrecision;
use crate::scene::{Built, Scene, WriteBack, write_back};
use crate::svg::Document;
use background::{without_background, write_with_background};
use loss::RoiGuide;
use optimizer::Optimized;
use text::{PromptCache, embed_text};

/// A loaded CLIP model with its tokenizer, on its device. Load once, edit many times.
pub struct Model {
    pub clip: Clip,
    pub tokenizer: ClipTokenizer,
    /// The plain (non-autodiff) device; the model's weights live on its autodiff twin.
    pub device: Device,
}

impl Model {
    /// Loads a registry name (fetched and verified on first use) or a local HuggingFace CLIP
    /// folder, on the chosen backend.
    pub fn load(
        name_or_path: &str,
        backend: BackendChoice,
        precision: ClipPrecision,
        on_fetch: &mut dyn FnMut(&crate::clip::registry::FetchProgress),
    ) -> Result<Model> {
        let device = device_for(backend)?;
        let dtype = clip_dtype(precision, &device)?;
        let dir = resolve_model(name_or_path, on_fetch)?;
        let mut model = Self::from_dir(&dir, device)?;
        model.clip = model.clip.with_dtype(dtype);
        Ok(model)
    }

    /// Loads a model folder on `device`, in f32.
    pub fn from_dir(dir: &Path, device: Device) -> Result<Model> {
        let clip = Clip::load(dir, &device.clone().autodiff())?;
        let tokenizer = ClipTokenizer::for_model(dir)?;
        Ok(Model { clip, tokenizer, device })
    }
}

/// The float type CLIP runs in for `precision` on `device`: `auto` is f16 on a hardware GPU
/// whose adapter has half precision (wgpu's `shader-f16`), f32 elsewhere (the CPU backend, and
/// software adapters such as lavapipe, which emulate it); `f16` where the device has none is an
/// error that says so.
pub fn clip_dtype(precision: ClipPrecision, device: &Device) -> Result<FloatDType> {
    let has_f16 = !crate::compute::is_cpu(device) && device.supports_dtype(FloatDType::F16);
    match precision {
        ClipPrecision::F32 => Ok(FloatDType::F32),
        ClipPrecision::Auto if has_f16 && crate::compute::has_hardware_gpu() => Ok(FloatDType::F16),
        ClipPrecision::Auto => Ok(FloatDType::F32),
        ClipPrecision::F16 if has_f16 => Ok(FloatDType::F16),
        ClipPrecision::F16 => Err(crate::Error::InvalidInput(if crate::compute::is_cpu(device) {
            "clip_precision f16 needs the GPU backend (the CPU backend computes in f32); use --backend gpu, or auto/f32"
                .into()
        } else {
            "clip_precision f16: this GPU adapter has no half precision (wgpu's shader-f16); use auto or f32".into()
        })),
    }
}

/// What an edit did.
#[derive(Clone, Debug, Serialize)]
pub struct EditReport {
    pub iterations_done: usize,
    pub iterations: usize,
    pub stop: Stop,
    /// Total loss per iteration.
    pub losses: Vec<f32>,
    /// Ids (or descriptions) of the elements whose values changed.
    pub changed: Vec<String>,
    /// The ROIs used, `[x, y, w, h]` in canvas pixels, with their prompts.
    pub rois: Vec<(String, [f64; 4])>,
    pub elapsed_s: f64,
}

/// The result: the new document text and the report.
#[derive(Clone, Debug)]
pub struct EditOutcome {
    pub svg: String,
    pub report: EditReport,
}

/// Callbacks of a running edit.
pub struct Hooks<'a> {
    /// After each iteration; return `false` to cancel (the result is the last good state).
    pub progress: &'a mut dyn FnMut(&Progress) -> bool,
    /// Every `snapshot_every` iterations: the iteration and the document text at that point.
    pub snapshot: Option<(usize, &'a mut dyn FnMut(usize, &str))>,
}

/// Runs a CLIPVG edit of `doc`: plans it ([`plan::plan`]) and runs the plan. One edit, from
/// `req.seed` (`req.variations` is for [`edit_variations`]).
pub fn edit(doc: &Document, req: &EditRequest, model: &Model, hooks: Hooks<'_>) -> Result<EditOutcome> {
    let plan = plan::plan(doc, req, &mut clipvg_document::no_progress())?;
    edit_planned(doc, req, &plan, model, hooks)
}

/// Runs a CLIPVG edit of `doc` that [`plan::plan`] planned from `req`: one edit, from
/// `req.seed` (variation 1 of [`edit_planned_variations`]).
pub fn edit_planned(
    doc: &Document,
    req: &EditRequest,
    plan: &Plan,
    model: &Model,
    hooks: Hooks<'_>,
) -> Result<EditOutcome> {
    let mut all = variations::edit_seeds(doc, req, plan, model, hooks, &[req.seed])?;
    Ok(all.remove(0))
}

/// The guide of every ROI: its rectangle in render pixels, the direction's end points (the
/// prompt's embedding from the reference text's, or the target image's from the ROI's original
/// view) and the original render's centred view of it (through the ROI's mask, if any).
#[allow(clippy::too_many_arguments)] // the plan's parts the guides need
fn roi_guides(
    model: &Model,
    req: &EditRequest,
    scene: &Scene,
    job: &RasterJob,
    rois: &[PlannedRoi],
    masks: &[Option<Vec<f32>>],
    scale: f64,
) -> Result<Vec<RoiGuide>> {
    let ad = model.device.clone().autodiff();
    let clip = &model.clip;
    let s = clip.image_size();
    let (p, c, w) = scene_tensors(scene, &ad);
    let original = render_tensor(p, c, w, job.clone());
    let reference_text = if req.target_image.is_none() {
        Some(embed_text(clip, &model.tokenizer, &req.reference_text, req.prompt_templates, &ad)?)
    } else {
        None
    };
    let target_image = match &req.target_image {
        Some(path) => {
            let proc = ImageProcessor::new(s);
            let pre = proc.preprocess_file(path)?;
            Some(clip.encode_image(proc.to_tensor(&[pre], &ad)))
        }
        None => None,
    };
    let mut prompts = PromptCache::default();
    let mut guides = Vec::new();
    for (r, m) in rois.iter().zip(masks) {
        let rect = r.rect;
        let render_rect = [rect[0] * scale, rect[1] * scale, rect[2] * scale, rect[3] * scale];
        let mask = m.as_ref().map(|m| mask::to_tensor(m, job.width, job.height, &ad));
        let orig = clip.encode_image(normalize(mask::original_view(original.clone(), mask.as_ref(), render_rect, s)));
        let (target, reference) = match (&target_image, &reference_text) {
            (Some(t), _) => (t.clone(), orig.clone()),
            (None, Some(rt)) => {
                let prompt = r.prompt.clone().unwrap_or_default();
                (prompts.get(clip, &model.tokenizer, &prompt, req.prompt_templates, &ad)?, rt.clone())
            }
            (None, None) => unreachable!("text or image guidance"),
        };
        guides.push(RoiGuide {
            rect: render_rect,
            target: target.detach(),
            reference: reference.detach(),
            original: orig.detach(),
            w_roi: r.w_roi,
            w_patch: r.w_patch,
            n_patches: r.n_patches,
            crop_ratio: r.crop_ratio,
            mask,
        });
    }
    Ok(guides)
}

/// Runs the optimiser on `scene`, one run per seed, with the caller's hooks (snapshots of the
/// first run are written back into `doc` as they come).
#[allow(clippy::too_many_arguments)] // the loop's inputs, passed through
fn run_loop(
    doc: &Document,
    built: &Built,
    scene: &Scene,
    req: &EditRequest,
    model: &Model,
    guides: &[RoiGuide],
    job: RasterJob,
    hooks: Hooks<'_>,
    seeds: &[u64],
) -> Result<Vec<Optimized>> {
    let Hooks { progress, snapshot } = hooks;
    let (every, mut snap_fn): (Option<usize>, Option<&mut dyn FnMut(usize, &str)>) = match snapshot {
        Some((k, f)) => (Some(k), Some(f)),
        None => (None, None),
    };
    let mut snap = |it: usize, pts: &[[f32; 2]], cols: &[[f32; 4]]| {
        if let Some(f) = snap_fn.as_mut() {
            let updated = with_params(scene, pts, cols);
            if let Ok(svg) = write_back(doc, scene, &built.map, &updated, WriteBack::default()) {
                f(it, &svg);
            }
        }
    };
    let trainable_points = scene.point_trainable();
    let inputs = optimizer::Inputs::new(scene, &trainable_points, req, &model.clip, guides, job, &model.device);
    let hooks = variations::LoopHooks { progress, snapshot: &mut snap, snapshot_every: every };
    variations::optimize_seeds(scene, &trainable_points, &inputs, &model.device, seeds, hooks)
}

/// The edited document text and the elements that changed; with a background layer
/// (`scene` is then the built scene plus the background), the shapes are written back without
/// it and the background path is inserted as the root's first child.
fn write_result(
    doc: &Document,
    built: &Built,
    scene: &Scene,
    with_background: bool,
    result: &Optimized,
) -> Result<(String, Vec<String>)> {
    let updated = with_params(scene, &result.points, &result.colors);
    if !with_background {
        let svg = write_back(doc, scene, &built.map, &updated, WriteBack::default())?;
        return Ok((svg, changed_elements(doc, scene, &updated, &built.map)));
    }
    let svg = write_with_background(doc, built, &updated)?;
    let base_scene = &built.scene;
    let plain = without_background(base_scene, &updated);
    let mut changed = changed_elements(doc, base_scene, &plain, &built.map);
    changed.insert(0, BACKGROUND_ID.to_string());
    Ok((svg, changed))
}

fn changed_elements(
    doc: &Document,
    old: &crate::scene::Scene,
    new: &crate::scene::Scene,
    map: &crate::scene::SceneMap,
) -> Vec<String> {
    let mut out = Vec::new();
    for (shape, src) in old.shapes.iter().zip(&map.shapes) {
        let pts = |s: &crate::scene::Scene| -> Vec<[f32; 2]> {
            old.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize]
                .iter()
                .flat_map(|sp| s.subpath_points(sp).to_vec())
                .collect()
        };
        let colors_changed = src.colors.iter().any(|(ci, _)| old.colors[*ci as usize] != new.colors[*ci as usize]);
        if pts(old) != pts(new) || colors_changed {
            out.push(doc.element(src.element).id().map_or_else(|| doc.describe(src.element), str::to_string));
        }
    }
    out.dedup();
    out
}

/// How long an edit's iterations have taken, for progress lines.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 { format!("{}h{:02}m", s / 3600, s / 60 % 60) } else { format!("{}m{:02}s", s / 60, s % 60) }
}
