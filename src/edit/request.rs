//! The edit request: everything one CLIPVG edit needs, as the JSON the plugin ABI takes and the
//! command line builds. Defaults are the reference implementation's (`CLIPVG.md`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use clipvg_request::{EditMode, Preset};

/// One region of interest: an element's bounding box or an explicit box, with its own prompt
/// and loss weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoiRequest {
    /// Element id whose canvas bounding box is the ROI (and whose shapes become trainable).
    pub element: Option<String>,
    /// Explicit box `[x, y, w, h]` in canvas pixels (used when `element` is absent).
    pub rect: Option<[f64; 4]>,
    /// The prompt for this ROI; the request's `prompt` when absent.
    pub prompt: Option<String>,
    /// Weight of the whole-ROI view's directional loss (paper: 30).
    pub w_roi: f32,
    /// Weight of the mean patch loss (paper: 80).
    pub w_patch: f32,
    /// Number of random patches per iteration (paper: 64).
    pub n_patches: usize,
    /// Patch side as a fraction of the ROI's longer side (paper: 0.8).
    pub crop_ratio: f32,
}

impl Default for RoiRequest {
    fn default() -> Self {
        RoiRequest {
            element: None,
            rect: None,
            prompt: None,
            w_roi: 30.0,
            w_patch: 80.0,
            n_patches: 64,
            crop_ratio: 0.8,
        }
    }
}

/// A CLIPVG edit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EditRequest {
    /// Default prompt of every ROI without its own.
    pub prompt: Option<String>,
    /// The regions of interest.
    pub rois: Vec<RoiRequest>,
    /// Ids of the elements the optimizer may change (groups: all their shapes). Empty: the
    /// elements of element ROIs; with only box ROIs or the whole canvas, every shape.
    pub select: Vec<String>,
    /// Add the whole canvas as ROI 0 (as the paper does), with the default prompt and weights.
    pub whole_canvas: bool,
    /// Random patches per iteration of the whole-canvas ROI (paper: 64).
    pub whole_canvas_patches: usize,
    /// The reference text `t_ref` of the directional loss.
    pub reference_text: String,
    /// Average each prompt over the 79 ImageNet prompt templates.
    pub templates: bool,
    pub iterations: usize,
    pub shape_lr: f32,
    pub color_lr: f32,
    pub mode: EditMode,
    /// Long side of the render the loss sees, in pixels (aspect kept).
    pub size: u32,
    /// Seeds every random choice (patch positions, warps, crops).
    pub seed: u64,
    /// Perspective distortion of the patches (paper: 0.3).
    pub distortion: f32,
    /// Guide towards this image instead of a text: the direction `E_I(target) − E_I(original)`.
    pub target_image: Option<PathBuf>,
    /// Use an element's `inkscape:label` (or `data-clipvg-prompt`) as the prompt of its ROI.
    pub prompts_from_labels: bool,
    /// Weight of the Xing regulariser against self-intersecting segments (LIVE, Ma et al.
    /// 2022); 0 (off) as in the paper.
    pub xing_weight: f32,
    /// Add a trainable background path (the canvas rectangle as four cubics, this straight
    /// RGBA) under everything, as the reference's `add_bg_layer` does; written back as a new
    /// `<path id="clipvg-background">`, the root's first child.
    pub background_layer: Option<[f32; 4]>,
    /// Budgets of the run: the rasterizer's `flattened_lines`, `render_pixels` and
    /// `memory_bytes` (render, gradients, views and the CLIP batch, estimated before they are
    /// allocated); a request may raise them.
    pub limits: clipvg_document::Limits,
}

impl Default for EditRequest {
    fn default() -> Self {
        EditRequest {
            prompt: None,
            rois: Vec::new(),
            select: Vec::new(),
            whole_canvas: false,
            whole_canvas_patches: 64,
            reference_text: "A photo".into(),
            templates: true,
            iterations: 150,
            shape_lr: 0.2,
            color_lr: 0.01,
            mode: EditMode::All,
            size: 512,
            seed: 0,
            distortion: 0.3,
            target_image: None,
            prompts_from_labels: false,
            xing_weight: 0.0,
            background_layer: None,
            limits: clipvg_document::Limits::default(),
        }
    }
}

impl EditRequest {
    /// Applies a preset's iterations, patch count and render size.
    pub fn apply_preset(&mut self, preset: Preset) {
        let (iterations, patches, size) = preset.settings();
        self.iterations = iterations;
        self.size = size;
        self.whole_canvas_patches = patches;
        for r in &mut self.rois {
            r.n_patches = patches;
        }
    }
}

impl EditRequest {
    /// Parses a JSON request, naming the offending field on error.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::InvalidInput(format!("invalid edit request: {e}")))
    }

    /// Checks every number and prompt a user controls.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidInput(m));
        if self.iterations == 0 || self.iterations > 100_000 {
            return bad(format!("iterations must be 1…100000, got {}", self.iterations));
        }
        for (name, v) in [("shape_lr", self.shape_lr), ("color_lr", self.color_lr)] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(format!("{name} must be a non-negative number, got {v}"));
            }
        }
        if !(16..=4096).contains(&self.size) {
            return bad(format!("size must be 16…4096 pixels, got {}", self.size));
        }
        if !(self.xing_weight.is_finite() && self.xing_weight >= 0.0) {
            return bad(format!("xing_weight must be a non-negative number, got {}", self.xing_weight));
        }
        if let Some(c) = self.background_layer
            && !c.iter().all(|v| (0.0..=1.0).contains(v))
        {
            return bad(format!("background_layer colour must have channels in [0, 1], got {c:?}"));
        }
        if !(0.0..=1.0).contains(&self.distortion) {
            return bad(format!("distortion must be in [0, 1], got {}", self.distortion));
        }
        if self.reference_text.trim().is_empty() {
            return bad("reference_text is empty".into());
        }
        if let Some(p) = &self.prompt
            && p.trim().is_empty()
            && self.target_image.is_none()
        {
            return bad("the prompt is empty".into());
        }
        for (i, r) in self.rois.iter().enumerate() {
            if r.element.is_none() && r.rect.is_none() {
                return bad(format!("ROI {i} has neither an element nor a rect"));
            }
            if let Some(rect) = r.rect
                && !(rect.iter().all(|v| v.is_finite()) && rect[2] > 0.0 && rect[3] > 0.0)
            {
                return bad(format!("ROI {i} has an empty or invalid rect {rect:?}"));
            }
            if !(r.w_roi.is_finite() && r.w_patch.is_finite() && r.w_roi >= 0.0 && r.w_patch >= 0.0) {
                return bad(format!("ROI {i} has invalid weights"));
            }
            if r.n_patches > 512 {
                return bad(format!("ROI {i}: n_patches is at most 512 per iteration, got {}", r.n_patches));
            }
            if !(r.crop_ratio > 0.0 && r.crop_ratio <= 1.0) {
                return bad(format!("ROI {i}: crop_ratio must be in (0, 1], got {}", r.crop_ratio));
            }
            if let Some(p) = &r.prompt
                && p.trim().is_empty()
            {
                return bad(format!("ROI {i} has an empty prompt"));
            }
        }
        if self.whole_canvas_patches > 512 {
            return bad(format!(
                "whole_canvas_patches: at most 512 patches per iteration, got {}",
                self.whole_canvas_patches
            ));
        }
        if self.rois.is_empty() && !self.whole_canvas {
            return bad("nothing to edit: give a selection (--select ID), an ROI (--roi ID=TEXT, --roi-box X,Y,W,H=TEXT) or the whole canvas (--whole-canvas)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_defaults_and_unknown_fields() {
        let r = EditRequest::from_json(r#"{"prompt": "a cat", "rois": [{"element": "p1"}], "mode": "color"}"#).unwrap();
        assert_eq!(r.iterations, 150);
        assert_eq!(r.mode, EditMode::Colour);
        assert_eq!(r.rois[0].n_patches, 64);
        r.validate().unwrap();
        let e = EditRequest::from_json(r#"{"prompt": "a", "iteratons": 3}"#).unwrap_err();
        assert!(e.to_string().contains("iteratons"), "{e}");
        // Budgets: any subset raised, the rest at their defaults; unknown names refused.
        let r = EditRequest::from_json(r#"{"prompt": "a", "limits": {"memory_bytes": 5}}"#).unwrap();
        assert_eq!(r.limits, clipvg_document::Limits { memory_bytes: 5, ..Default::default() });
        assert!(EditRequest::from_json(r#"{"prompt": "a", "limits": {"memory": 5}}"#).is_err());
    }

    #[test]
    fn validation_messages() {
        let mut r = EditRequest { prompt: Some("x".into()), ..Default::default() };
        assert!(r.validate().unwrap_err().to_string().contains("nothing to edit"));
        r.whole_canvas = true;
        r.validate().unwrap();
        r.prompt = Some("  ".into());
        assert!(r.validate().is_err());
        r.prompt = Some("x".into());
        r.rois.push(RoiRequest { rect: Some([0.0, 0.0, 0.0, 5.0]), ..Default::default() });
        assert!(r.validate().unwrap_err().to_string().contains("rect"));
    }
}
