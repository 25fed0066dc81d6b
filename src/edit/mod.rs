//! The CLIPVG edit: "make these shapes look like the words".
//!
//! [`edit`] takes a document and an [`EditRequest`]: [`plan`] resolves the ROIs and the
//! trainable set (once, for every front end), [`edit_planned`] embeds the prompts once, then [`optimize`]s the scene's points and colours against the
//! directional CLIP loss of every ROI, and writes the result back into the document. Only the
//! trainable elements change; a failure leaves nothing half-written (the caller gets an error
//! and the input document is untouched).

pub mod optimize;
pub mod plan;
pub mod request;
pub mod views;

use std::path::Path;
use std::time::Duration;

use burn::tensor::Device;
use serde::Serialize;

pub use optimize::{Progress, Stop};
pub use plan::{Plan, PlannedRoi};
pub use request::{CanvasBox, EditMode, EditRequest, Preset, Roi, parse_edit_request};

use crate::clip::{Clip, ClipTokenizer, ImageProcessor, normalize, resolve_model};
use crate::compute::{BackendChoice, device_for};
use crate::error::{Error, Result};
use crate::raster::op::{render_tensor, scene_tensors};
use crate::scene::{WriteBack, write_back};
use crate::svg::Document;
use optimize::{RoiGuide, catch_gpu, embed_text, job_for, to_nchw, with_params};

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
        on_fetch: &mut dyn FnMut(&crate::clip::registry::FetchProgress),
    ) -> Result<Model> {
        let device = device_for(backend)?;
        let dir = resolve_model(name_or_path, on_fetch)?;
        Self::from_dir(&dir, device)
    }

    /// Loads a model folder on `device`.
    pub fn from_dir(dir: &Path, device: Device) -> Result<Model> {
        let clip = Clip::load(dir, &device.clone().autodiff())?;
        let tokenizer = ClipTokenizer::for_model(dir)?;
        Ok(Model { clip, tokenizer, device })
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

/// Runs a CLIPVG edit of `doc`: plans it ([`plan::plan`]) and runs the plan.
pub fn edit(doc: &Document, req: &EditRequest, model: &Model, hooks: Hooks<'_>) -> Result<EditOutcome> {
    let plan = plan::plan(doc, req, &mut clipvg_document::no_progress())?;
    edit_planned(doc, req, &plan, model, hooks)
}

/// Runs a CLIPVG edit of `doc` that [`plan::plan`] planned from `req`.
// Over 80 lines: the budget check, the guides of every ROI and the optimisation share the
// scene, the device and the hooks inside one `catch_gpu`; split, they would pass all of them.
pub fn edit_planned(
    doc: &Document,
    req: &EditRequest,
    plan: &Plan,
    model: &Model,
    hooks: Hooks<'_>,
) -> Result<EditOutcome> {
    let built = &plan.built;
    let base_scene = &built.scene;
    let with_bg = plan.with_background.as_ref();
    let scene = plan.scene();
    let scale = plan.scale;
    let (rw, rh) = plan.render;
    let job = job_for(scene, rw, rh, &req.limits);
    // Budgets before the big buffers: the render's pixels, its flattened lines, and the memory
    // of the render, its gradients, the views and the CLIP batch of one iteration.
    let views: usize = plan.rois.iter().map(|r| 1 + r.n_patches).sum();
    let other = optimize::views_and_clip_memory(&model.clip, views);
    drop(crate::raster::Frame::with_budget(scene, rw, rh, job.background, &req.limits, true, other)?);

    catch_gpu(&model.device, || {
        let ad = model.device.clone().autodiff();
        let clip = &model.clip;
        let s = clip.image_size();
        // The original render's centred view of each ROI.
        let (p, c, w) = scene_tensors(scene, &ad);
        let original = to_nchw(render_tensor(p, c, w, job.clone()));
        let mut guides = Vec::new();
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
        let mut prompt_cache: Vec<(String, burn::tensor::Tensor<2>)> = Vec::new();
        for r in &plan.rois {
            let rect = r.rect;
            let render_rect = [rect[0] * scale, rect[1] * scale, rect[2] * scale, rect[3] * scale];
            let view = views::whole_view(render_rect, s, None::<&mut rand_chacha::ChaCha8Rng>);
            let orig = clip.encode_image(normalize(optimize::sample_views(original.clone(), &[view], s)));
            let (target, reference) = match (&target_image, &reference_text) {
                (Some(t), _) => (t.clone(), orig.clone()),
                (None, Some(rt)) => {
                    let prompt = r.prompt.clone().unwrap_or_default();
                    let t = match prompt_cache.iter().find(|(p, _)| *p == prompt) {
                        Some((_, t)) => t.clone(),
                        None => {
                            let t = embed_text(clip, &model.tokenizer, &prompt, req.prompt_templates, &ad)?;
                            prompt_cache.push((prompt, t.clone()));
                            t
                        }
                    };
                    (t, rt.clone())
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
            });
        }

        let trainable_points = scene.point_trainable();
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
        let result = optimize::optimize(
            scene,
            &trainable_points,
            req,
            clip,
            &guides,
            job.clone(),
            &model.device,
            progress,
            &mut snap,
            every,
        )?;
        let updated = with_params(scene, &result.points, &result.colors);
        let (svg, changed) = match with_bg {
            None => {
                let svg = write_back(doc, scene, &built.map, &updated, WriteBack::default())?;
                (svg, changed_elements(doc, scene, &updated, &built.map))
            }
            Some(_) => {
                let (bg_points, bg_color) =
                    (&updated.points[base_scene.points.len()..], updated.colors[base_scene.colors.len()]);
                let plain = without_background(base_scene, &updated);
                let svg = write_back(doc, base_scene, &built.map, &plain, WriteBack::default())?;
                let svg = insert_background(&svg, bg_points, bg_color, built.canvas.user_to_canvas)?;
                let mut changed = changed_elements(doc, base_scene, &plain, &built.map);
                changed.insert(0, BACKGROUND_ID.to_string());
                (svg, changed)
            }
        };
        Ok(EditOutcome {
            svg,
            report: EditReport {
                iterations_done: result.iterations_done,
                iterations: req.iterations,
                stop: result.stop,
                losses: result.losses,
                changed,
                rois: plan
                    .rois
                    .iter()
                    .map(|r| (r.prompt.clone().unwrap_or_else(|| "(image target)".into()), r.rect))
                    .collect(),
                elapsed_s: result.elapsed.as_secs_f64(),
            },
        })
    })
}

/// Id of the background path that `background_layer` adds.
pub const BACKGROUND_ID: &str = "clipvg-background";

/// The scene with a trainable canvas rectangle (four cubic segments) under every shape. Its
/// points and colour go at the end of the arrays, its shape first in painter's order.
fn with_background(scene: &crate::scene::Scene, rgba: [f32; 4]) -> crate::scene::Scene {
    use crate::scene::{FillRule, Paint, Shape, Subpath};
    let mut s = scene.clone();
    let (w, h) = (s.width, s.height);
    let corners = [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]];
    let first_point = s.points.len() as u32;
    for i in 0..4 {
        let (a, b) = (corners[i], corners[(i + 1) % 4]);
        let lerp = |t: f32| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
        s.points.extend([a, lerp(1.0 / 3.0), lerp(2.0 / 3.0)]);
    }
    let sp = s.subpaths.len() as u32;
    s.subpaths.push(Subpath { first_point, segments: 4, closed: true });
    let color = s.colors.len() as u32;
    s.colors.push(rgba);
    s.color_trainable.push(true);
    s.shapes.insert(
        0,
        Shape {
            subpaths: sp..sp + 1,
            fill: Paint::Solid(color),
            fill_rule: FillRule::NonZero,
            stroke: None,
            trainable: true,
        },
    );
    s
}

/// `updated` (a [`with_background`] scene) back in the structure of `base`.
fn without_background(base: &crate::scene::Scene, updated: &crate::scene::Scene) -> crate::scene::Scene {
    let mut s = base.clone();
    s.points.copy_from_slice(&updated.points[..base.points.len()]);
    s.colors.copy_from_slice(&updated.colors[..base.colors.len()]);
    s
}

/// Inserts the background path as the first child of the root element.
fn insert_background(svg: &str, points: &[[f32; 2]], rgba: [f32; 4], user_to_canvas: kurbo::Affine) -> Result<String> {
    let doc = Document::parse(svg)?;
    let to_user = user_to_canvas.inverse();
    let pt = |p: [f32; 2]| {
        let q = to_user * kurbo::Point::new(p[0] as f64, p[1] as f64);
        format!("{:.3},{:.3}", q.x, q.y)
    };
    let mut d = format!("M {}", pt(points[0]));
    for k in 0..4 {
        d += &format!(" C {} {} {}", pt(points[3 * k + 1]), pt(points[3 * k + 2]), pt(points[(3 * k + 3) % 12]));
    }
    d += " Z";
    let b = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let element = format!(
        "<path id=\"{BACKGROUND_ID}\" d=\"{d}\" fill=\"#{:02x}{:02x}{:02x}\" fill-opacity=\"{:.4}\"/>",
        b(rgba[0]),
        b(rgba[1]),
        b(rgba[2]),
        rgba[3].clamp(0.0, 1.0)
    );
    let at = doc
        .start_tag_end(doc.root())
        .ok_or_else(|| Error::NotSvg("the root element has no content to add a background to".into()))?;
    Ok(format!("{}{}{}", &svg[..at], element, &svg[at..]))
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
