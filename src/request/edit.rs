//! The edit request (also the recolour's): what one CLIPVG edit needs, as the C ABI's JSON, the
//! abi_stable module, `clipvg edit --request FILE`, the command line's flags and the Inkscape
//! shim spell it. Defaults and ranges: [`crate::fields`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::fields::{self, Field};
use crate::{BackendChoice, CanvasBox, ClipPrecision, EditMode, OnCancel, Preset, PresetSettings, RequestError};

/// One region of interest: an element's canvas bounding box or an explicit box, each with
/// optional overrides of the request-wide prompt and weights.
///
/// Exactly one of `element` and `rect` must be set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Roi {
    /// The ROI is the canvas bounding box of this element (and its descendants), whose shapes
    /// become trainable. `id` is accepted too.
    #[serde(alias = "id")]
    pub element: Option<String>,
    /// The ROI is this box (clipped to the canvas).
    pub rect: Option<CanvasBox>,
    /// The ROI's prompt; else the element's label (with `prompts_from_labels`), else `prompt`.
    pub prompt: Option<String>,
    /// Weight of the ROI's whole view in the loss; else the request's `w_roi`.
    pub w_roi: Option<f32>,
    /// Weight of the ROI's patches in the loss; else the request's `w_patch`.
    pub w_patch: Option<f32>,
    /// Random patches per iteration; else the request's `n_patches`.
    pub n_patches: Option<usize>,
    /// Patch side as a fraction of the ROI's longer side; else the request's `crop_ratio`.
    pub crop_ratio: Option<f32>,
}

impl Roi {
    /// The ROI of an element, with the request's prompt and weights.
    pub fn element(id: impl Into<String>) -> Roi {
        Roi { element: Some(id.into()), ..Roi::default() }
    }

    /// The ROI of a box, with the request's weights.
    pub fn rect(rect: impl Into<CanvasBox>) -> Roi {
        Roi { rect: Some(rect.into()), ..Roi::default() }
    }
}

/// The background layer: `true` for the paper's grey, or an RGBA colour (channels in [0, 1]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BackgroundLayer {
    /// `true`: the paper's grey (0.5, 0.5, 0.5, 1); `false`: none.
    Grey(bool),
    /// This straight RGBA colour.
    Colour([f32; 4]),
}

/// The wire names (canonical and aliases) of [`EditRequest`]'s fields.
pub const EDIT_FIELDS: &[&str] = &[
    "prompt",
    "prompts_from_labels",
    "rois",
    "select",
    "whole_canvas_roi",
    "whole_canvas",
    "whole_canvas_patches",
    "reference_text",
    "prompt_templates",
    "templates",
    "target_image",
    "mode",
    "preset",
    "quality",
    "iterations",
    "shape_lr",
    "colour_lr",
    "color_lr",
    "n_patches",
    "crop_ratio",
    "w_roi",
    "w_patch",
    "render_size",
    "size",
    "seed",
    "variations",
    "distortion",
    "xing_weight",
    "background_layer",
    "strength",
    "palette",
    "snap",
    "on_cancel",
    "roi_mask",
    "model",
    "backend",
    "clip_precision",
    "limits",
];

/// The fields a [`Preset`] sets: each canonical wire name with its aliases.
pub const PRESET_FIELDS: &[(&str, &[&str])] = &[
    ("iterations", &[]),
    ("n_patches", &[]),
    ("render_size", &["size"]),
    ("shape_lr", &[]),
    ("colour_lr", &["color_lr"]),
];

/// A CLIPVG edit (`edit` and `recolor`).
///
/// `L` is the type of the run's budgets (`clipvg_document::Limits` in the engine; this crate
/// stays serde-only). The selection of a host travels beside the request (`clipvg_run`'s
/// `selected`); the engine turns each selected object into an element ROI and a trainable
/// element before planning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EditRequest<L> {
    // ---- guidance: what the ROIs should become ----
    /// The prompt of every ROI without its own. Default: none.
    pub prompt: Option<String>,
    /// Take each element ROI's prompt from the element: its `data-clipvg-prompt` attribute,
    /// else its `inkscape:label`. Default: false.
    pub prompts_from_labels: bool,
    /// The regions of interest, in loss order after the whole canvas.
    pub rois: Vec<Roi>,
    /// Ids of the elements the optimizer may change (groups: all their shapes). Empty: the
    /// elements of element ROIs; with only box ROIs or the whole canvas, every shape.
    pub select: Vec<String>,
    /// Add the whole canvas as ROI 0 (as the paper does) with the request's prompt and weights;
    /// `whole_canvas` is accepted too.
    #[serde(alias = "whole_canvas")]
    pub whole_canvas_roi: bool,
    /// Random patches per iteration of the whole-canvas ROI; else `n_patches`.
    pub whole_canvas_patches: Option<usize>,
    /// The text that describes the document as it is (`t_ref` of the directional loss).
    pub reference_text: String,
    /// Average each text over the 79 ImageNet prompt templates; `templates` is accepted too.
    #[serde(alias = "templates")]
    pub prompt_templates: bool,
    /// Guide towards this image instead of a text: the direction `E_I(target) − E_I(original)`.
    pub target_image: Option<PathBuf>,

    // ---- what may change ----
    /// `all`, `shape` or `colour` (`color` is accepted too). `recolor` always runs `colour`
    /// and refuses `shape`.
    pub mode: EditMode,

    // ---- optimisation (defaults: the paper's, `fields`) ----
    /// Named defaults (`auto`, `paper`, `fast` or `draft`; `quality` is accepted too) for the
    /// fields of [`PRESET_FIELDS`] the request leaves out; the fields given win. Default: none,
    /// every field at the table's value (the paper's). Applied where the request is read from
    /// JSON (the engine's `parse_edit_request` and the plugin, which see the keys given), with
    /// `auto` resolved for the run's backend; a request built in code calls
    /// [`EditRequest::apply_preset`] or [`EditRequest::fill_preset`] itself.
    #[serde(alias = "quality")]
    pub preset: Option<Preset>,
    pub iterations: usize,
    /// In canvas pixels per step.
    pub shape_lr: f32,
    /// Colour channels in [0, 1] per step; `color_lr` is accepted too.
    #[serde(alias = "color_lr")]
    pub colour_lr: f32,
    /// Random patches per ROI and iteration (ROIs may override it).
    pub n_patches: usize,
    pub crop_ratio: f32,
    pub w_roi: f32,
    pub w_patch: f32,
    /// Long side of the render the loss sees, in pixels (aspect kept); `size` is accepted too.
    #[serde(alias = "size")]
    pub render_size: u32,
    /// Seeds every random choice (patch positions, warps, crops).
    pub seed: u64,
    /// Edits in one run, variation `k` (1-based) from seed `seed + k - 1`; 1 = one edit.
    pub variations: usize,
    /// Perspective distortion of the patches.
    pub distortion: f32,
    /// Weight of the Xing regulariser against self-intersecting segments (LIVE, Ma et al. 2022).
    pub xing_weight: f32,
    /// A trainable background path (the canvas rectangle as four cubics) under everything, as
    /// the reference's `add_bg_layer`; written back as `<path id="clipvg-background">`.
    pub background_layer: Option<BackgroundLayer>,
    /// How far the selection may move, in [0, 1]: 1 is the paper's edit; below 1 a preservation
    /// term pulls the trained points and colours back towards their originals; 0 skips the
    /// optimisation: the selection stays as it is, byte for byte (a background layer, if asked
    /// for, is still added, at its starting colour).
    pub strength: f32,
    /// Colours (`#rrggbb` or `#rgb`; blank entries skipped) the trained colours are pulled
    /// towards, each to its nearest, by a soft term. Default: none.
    pub palette: Vec<String>,
    /// Snap every trained colour to its nearest palette colour (RGB; alpha kept) at the end.
    pub snap: bool,
    /// What a host does with a run cancelled from its progress window: `keep` (apply the result
    /// so far) or `discard`. The engine returns the last good state either way.
    pub on_cancel: OnCancel,
    /// Element ROIs see only the element's own shape (its coverage in the original render; the
    /// rest of the view white) instead of its bounding box. Box ROIs and the whole canvas ignore it.
    pub roi_mask: bool,

    // ---- per-run engine choices ----
    /// The CLIP model: a folder or a registry name. Default (also blank): the front end's.
    pub model: Option<String>,
    /// Where the numeric work runs. Default: the front end's.
    pub backend: Option<BackendChoice>,
    /// The float type CLIP computes in.
    pub clip_precision: ClipPrecision,
    /// Budgets of the run; a request may raise them.
    pub limits: L,
}

fn f32_of(f: &Field) -> f32 {
    f.number() as f32
}

impl<L: Default> Default for EditRequest<L> {
    fn default() -> Self {
        EditRequest {
            prompt: None,
            prompts_from_labels: fields::PROMPTS_FROM_LABELS.flag(),
            rois: Vec::new(),
            select: Vec::new(),
            whole_canvas_roi: fields::WHOLE_CANVAS_ROI.flag(),
            whole_canvas_patches: None,
            reference_text: fields::REFERENCE_TEXT.text().into(),
            prompt_templates: fields::PROMPT_TEMPLATES.flag(),
            target_image: None,
            mode: EditMode::default(),
            preset: None,
            iterations: fields::ITERATIONS.number() as usize,
            shape_lr: f32_of(&fields::SHAPE_LR),
            colour_lr: f32_of(&fields::COLOUR_LR),
            n_patches: fields::N_PATCHES.number() as usize,
            crop_ratio: f32_of(&fields::CROP_RATIO),
            w_roi: f32_of(&fields::W_ROI),
            w_patch: f32_of(&fields::W_PATCH),
            render_size: fields::RENDER_SIZE.number() as u32,
            seed: fields::SEED.number() as u64,
            variations: fields::VARIATIONS.number() as usize,
            distortion: f32_of(&fields::DISTORTION),
            xing_weight: f32_of(&fields::XING_WEIGHT),
            background_layer: None,
            strength: f32_of(&fields::STRENGTH),
            palette: Vec::new(),
            snap: fields::SNAP.flag(),
            on_cancel: OnCancel::default(),
            roi_mask: fields::ROI_MASK.flag(),
            model: None,
            backend: None,
            clip_precision: ClipPrecision::default(),
            limits: L::default(),
        }
    }
}

/// An error unless `field` accepts `v`.
pub(crate) fn check(field: &Field, at: &str, v: f64) -> Result<(), RequestError> {
    if field.accepts(v) {
        Ok(())
    } else {
        let shown = if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") };
        Err(RequestError(format!("request field `{at}` must be {}, not {shown}", field.rule())))
    }
}

/// An empty or blank string is the same as none.
pub fn non_blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl<L> EditRequest<L> {
    /// Applies a preset's settings over the request's: iterations, patch count (request-wide:
    /// every ROI takes it), render size and learning rates. `auto` should be resolved first
    /// ([`Preset::resolve`]).
    pub fn apply_preset(&mut self, preset: Preset) {
        let s = preset.settings();
        self.iterations = s.iterations;
        self.render_size = s.render_size;
        self.shape_lr = s.shape_lr;
        self.colour_lr = s.colour_lr;
        self.set_patches(s.n_patches);
    }

    /// Sets each field of [`PRESET_FIELDS`] for which `given` (called with the canonical name)
    /// is false to the preset's value. An ROI's own `n_patches` and `whole_canvas_patches` were
    /// given and stay.
    pub fn fill_preset(&mut self, s: PresetSettings, given: impl Fn(&str) -> bool) {
        let fill = |name: &str| !given(name);
        if fill("iterations") {
            self.iterations = s.iterations;
        }
        if fill("n_patches") {
            self.n_patches = s.n_patches;
        }
        if fill("render_size") {
            self.render_size = s.render_size;
        }
        if fill("shape_lr") {
            self.shape_lr = s.shape_lr;
        }
        if fill("colour_lr") {
            self.colour_lr = s.colour_lr;
        }
    }

    /// Sets the patch count of every ROI, the whole canvas included.
    pub fn set_patches(&mut self, patches: usize) {
        self.n_patches = patches;
        self.whole_canvas_patches = None;
        for r in &mut self.rois {
            r.n_patches = None;
        }
    }

    /// The whole canvas ROI's patch count.
    pub fn whole_canvas_patches(&self) -> usize {
        self.whole_canvas_patches.unwrap_or(self.n_patches)
    }

    /// The request-wide prompt, if it is not blank.
    pub fn prompt(&self) -> Option<&str> {
        non_blank(&self.prompt)
    }

    /// The model, if it is not blank.
    pub fn model(&self) -> Option<&str> {
        non_blank(&self.model)
    }

    /// The background layer's colour, if there is one.
    pub fn background_rgba(&self) -> Option<[f32; 4]> {
        match self.background_layer? {
            BackgroundLayer::Grey(true) => Some([0.5, 0.5, 0.5, 1.0]),
            BackgroundLayer::Grey(false) => None,
            BackgroundLayer::Colour(c) => Some(c),
        }
    }

    /// Checks the range of every number and the shape of every ROI (what any action that reads
    /// this request checks; [`EditRequest::validate_edit`] adds what an edit needs).
    pub fn validate(&self) -> Result<(), RequestError> {
        check(&fields::ITERATIONS, "iterations", self.iterations as f64)?;
        check(&fields::SHAPE_LR, "shape_lr", self.shape_lr as f64)?;
        check(&fields::COLOUR_LR, "colour_lr", self.colour_lr as f64)?;
        check(&fields::W_ROI, "w_roi", self.w_roi as f64)?;
        check(&fields::W_PATCH, "w_patch", self.w_patch as f64)?;
        check(&fields::N_PATCHES, "n_patches", self.n_patches as f64)?;
        check(&fields::CROP_RATIO, "crop_ratio", self.crop_ratio as f64)?;
        check(&fields::RENDER_SIZE, "render_size", self.render_size as f64)?;
        check(&fields::DISTORTION, "distortion", self.distortion as f64)?;
        check(&fields::XING_WEIGHT, "xing_weight", self.xing_weight as f64)?;
        check(&fields::STRENGTH, "strength", self.strength as f64)?;
        crate::palette_rgb(&self.palette)?;
        check(&fields::VARIATIONS, "variations", self.variations as f64)?;
        if let Some(n) = self.whole_canvas_patches {
            check(&fields::N_PATCHES, "whole_canvas_patches", n as f64)?;
        }
        if let Some(BackgroundLayer::Colour(c)) = self.background_layer
            && !c.iter().all(|v| (0.0..=1.0).contains(v))
        {
            return Err(RequestError(format!(
                "request field `background_layer` must be a colour with channels in [0, 1], not {c:?}"
            )));
        }
        for (i, roi) in self.rois.iter().enumerate() {
            let at = |name: &str| format!("rois[{i}].{name}");
            match (&roi.element, roi.rect) {
                (Some(_), None) => {}
                (None, Some(r)) => r.validate(&at("rect"))?,
                _ => {
                    return Err(RequestError(format!(
                        "request field `rois[{i}]` must have exactly one of `element` (or `id`) and `rect`"
                    )));
                }
            }
            if let Some(v) = roi.w_roi {
                check(&fields::W_ROI, &at("w_roi"), v as f64)?;
            }
            if let Some(v) = roi.w_patch {
                check(&fields::W_PATCH, &at("w_patch"), v as f64)?;
            }
            if let Some(n) = roi.n_patches {
                check(&fields::N_PATCHES, &at("n_patches"), n as f64)?;
            }
            if let Some(c) = roi.crop_ratio {
                check(&fields::CROP_RATIO, &at("crop_ratio"), c as f64)?;
            }
        }
        Ok(())
    }

    /// What an edit needs beyond [`EditRequest::validate`]: a render size an edit can afford, a
    /// reference text, no blank prompts, and something to edit.
    pub fn validate_edit(&self) -> Result<(), RequestError> {
        self.validate()?;
        if self.render_size > fields::EDIT_RENDER_SIZE_MAX {
            return Err(RequestError(format!(
                "render_size: edits render at most {} pixels on the long side, got {}",
                fields::EDIT_RENDER_SIZE_MAX,
                self.render_size
            )));
        }
        if self.reference_text.trim().is_empty() {
            return Err(RequestError("reference_text is empty".into()));
        }
        for (i, r) in self.rois.iter().enumerate() {
            if r.prompt.as_deref().is_some_and(|p| p.trim().is_empty()) {
                return Err(RequestError(format!("ROI {i} has an empty prompt")));
            }
        }
        if self.snap && crate::palette_rgb(&self.palette)?.is_empty() {
            return Err(RequestError(
                "snap to palette is on but the palette is empty: give the colours to snap to".into(),
            ));
        }
        if self.rois.is_empty() && !self.whole_canvas_roi {
            return Err(RequestError("nothing to edit: give a selection (--select ID), an ROI (--roi ID=TEXT, --roi-box X,Y,W,H=TEXT) or the whole canvas (--whole-canvas)".into()));
        }
        Ok(())
    }
}
