//! Planning an edit, once for every front end: a request and a document in, the scene (built
//! once, with the background layer when asked for), the ROIs (resolved once, in loss order, each
//! with its prompt and weights), the trainable set and the render size out. [`super::edit`]
//! runs a plan; the plugin plans before it loads CLIP, so user mistakes come back at once.

use clipvg_document::Observer;

use super::EditRequest;
use super::request::invalid;
use crate::error::{Error, Result};
use crate::scene::{BuildOptions, Built, Scene, Trainable, build_with, rois_of};
use crate::svg::{Document, ElementId, INKSCAPE_NS};

/// One region of interest, resolved against the document.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRoi {
    /// The element whose box this is (`None` for a box or the whole canvas).
    pub element: Option<ElementId>,
    /// `[x, y, width, height]` in canvas pixels, clipped to the canvas.
    pub rect: [f64; 4],
    /// The ROI's prompt (`None` only for image guidance).
    pub prompt: Option<String>,
    pub w_roi: f32,
    pub w_patch: f32,
    pub n_patches: usize,
    pub crop_ratio: f32,
}

/// An edit request resolved against a document.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The document's scene with the request's trainable set.
    pub built: Built,
    /// The scene with the trainable background path under everything (`background_layer`).
    pub with_background: Option<Scene>,
    /// The ROIs in loss order: the whole canvas first when asked for, then the request's.
    pub rois: Vec<PlannedRoi>,
    /// The render the loss sees: `(width, height)` in pixels, and canvas pixels → render pixels.
    pub render: (u32, u32),
    pub scale: f64,
}

impl Plan {
    /// The scene the optimizer runs on (with the background path when there is one).
    pub fn scene(&self) -> &Scene {
        self.with_background.as_ref().unwrap_or(&self.built.scene)
    }
}

/// An element's own prompt: `data-clipvg-prompt`, else its `inkscape:label`.
fn label_prompt(doc: &Document, el: ElementId) -> Option<&str> {
    let e = doc.element(el);
    e.attr("data-clipvg-prompt").or_else(|| e.attr_ns(INKSCAPE_NS, "label"))
}

/// Plans `req` on `doc`; every user mistake is an error here. `observer` hears the scene build
/// and may cancel it.
pub fn plan(doc: &Document, req: &EditRequest, observer: &mut Observer<'_>) -> Result<Plan> {
    req.validate_edit().map_err(invalid)?;
    let ids = |names: &[String]| -> Result<Vec<ElementId>> { names.iter().map(|n| Ok(doc.require_id(n)?)).collect() };
    let roi_elements: Vec<Option<ElementId>> = req
        .rois
        .iter()
        .map(|r| r.element.as_deref().map(|n| Ok(doc.require_id(n)?)).transpose())
        .collect::<Result<_>>()?;
    let selected = ids(&req.select)?;
    let trainable = if !selected.is_empty() {
        Trainable::Elements(selected)
    } else if roi_elements.iter().any(Option::is_some) {
        Trainable::Elements(roi_elements.iter().flatten().copied().collect())
    } else {
        Trainable::All
    };
    let built = build_with(doc, &BuildOptions { trainable, limits: req.limits }, observer)?;
    let with_background = req.background_rgba().map(|rgba| super::background::with_background(&built.scene, rgba));
    let scene = with_background.as_ref().unwrap_or(&built.scene);

    let (cw, ch) = (built.canvas.width, built.canvas.height);
    let text_guided = req.target_image.is_none();
    let prompt_for = |el: Option<ElementId>, own: Option<&str>| -> Result<Option<String>> {
        if !text_guided {
            return Ok(None);
        }
        let label = el.filter(|_| req.prompts_from_labels).and_then(|el| label_prompt(doc, el));
        let prompt = [own, label, req.prompt()].into_iter().flatten().map(str::trim).find(|p| !p.is_empty());
        match (prompt, el) {
            (Some(p), _) => Ok(Some(p.to_string())),
            (None, _) if req.prompt().is_none() && !req.prompts_from_labels => {
                Err(Error::InvalidInput("the prompt is empty: type what the selection should look like".into()))
            }
            (None, Some(el)) => Err(Error::InvalidInput(format!(
                "{} has no prompt: type a prompt, or give the object a label",
                doc.describe(el)
            ))),
            (None, None) => Err(Error::InvalidInput("a region has no prompt: type a prompt".into())),
        }
    };
    let mut rois = Vec::new();
    if req.whole_canvas_roi {
        rois.push(PlannedRoi {
            element: None,
            rect: [0.0, 0.0, cw, ch],
            prompt: prompt_for(None, None)?,
            w_roi: req.w_roi,
            w_patch: req.w_patch,
            n_patches: req.whole_canvas_patches(),
            crop_ratio: req.crop_ratio,
        });
    }
    for (r, el) in req.rois.iter().zip(&roi_elements) {
        let rect = match (el, r.rect) {
            (Some(el), _) => rois_of(doc, &built.scene, &built.map, &[*el])?[0].rect,
            (None, Some(b)) => clip_to_canvas(b.to_array(), cw, ch)?,
            (None, None) => unreachable!("EditRequest::validate demands an element or a rect"),
        };
        rois.push(PlannedRoi {
            element: *el,
            rect,
            prompt: prompt_for(*el, r.prompt.as_deref())?,
            w_roi: r.w_roi.unwrap_or(req.w_roi),
            w_patch: r.w_patch.unwrap_or(req.w_patch),
            n_patches: r.n_patches.unwrap_or(req.n_patches),
            crop_ratio: r.crop_ratio.unwrap_or(req.crop_ratio),
        });
    }
    if !scene.shapes.iter().any(|s| s.trainable) {
        return Err(Error::EmptySelection(
            "the selection contains no paths or shapes clipvg can edit (text, images and shapes drawn through <use> cannot be edited)".into(),
        ));
    }

    // Render size: long side `render_size`, aspect kept.
    let scale = req.render_size as f64 / cw.max(ch);
    let render = (((cw * scale).round() as u32).max(1), ((ch * scale).round() as u32).max(1));
    Ok(Plan { built, with_background, rois, render, scale })
}

/// A box in canvas pixels clipped to the `cw × ch` canvas; an error if nothing is left.
fn clip_to_canvas([x, y, w, h]: [f64; 4], cw: f64, ch: f64) -> Result<[f64; 4]> {
    let (x0, y0, x1, y1) = (x.max(0.0), y.max(0.0), (x + w).min(cw), (y + h).min(ch));
    if x1 > x0 && y1 > y0 {
        Ok([x0, y0, x1 - x0, y1 - y0])
    } else {
        Err(Error::InvalidInput(format!("the region [{x}, {y}, {w}, {h}] lies outside the canvas ({cw}×{ch})")))
    }
}
