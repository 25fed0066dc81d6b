//! The request every action takes, and the options of an engine: the JSON contract of every host.
//!
//! A host sends one JSON object per run (`clipvg_run`'s `request_json`). Every field is optional:
//! a missing field takes the default listed here, which for the edit is the CLIPVG paper's
//! (Song et al., AAAI 2023, and the reference implementation). Unknown fields are rejected with a message that names them, so a typo in
//! a host never silently falls back to a default. Fields that do not concern an action are
//! ignored by it (a host may send one request shape to every action).
//!
//! Units: canvas pixels (the document's width × height at 96 dpi) for boxes; learning rates per
//! Adam step in the parameter's own unit (pixels for points, [0, 1] for colour channels).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What the optimizer may change on the trainable shapes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Points and colours (the paper's default).
    #[default]
    All,
    /// Points only: every colour stays as it was (colour learning rate taken as 0).
    Shape,
    /// Colours only: every `d` stays as it was (shape learning rate taken as 0).
    #[serde(alias = "color")]
    Colour,
}

/// Where the numeric work runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The GPU when one can be used, else the CPU.
    #[default]
    Auto,
    /// Host code only.
    Cpu,
    /// The GPU (wgpu); an error when none can be used.
    Gpu,
}

/// One precision step of multi-round vectorization, coarse at the bottom of the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Round {
    Coarse,
    Medium,
    Fine,
}

/// One region of interest given explicitly, in addition to (or instead of) the selection.
///
/// Exactly one of `id` and `rect` must be set. Every other field overrides the request-wide value
/// for this ROI only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoiSpec {
    /// The ROI is the canvas bounding box of this element (and its descendants).
    pub id: Option<String>,
    /// The ROI is this box, `[x, y, width, height]` in canvas pixels.
    pub rect: Option<[f64; 4]>,
    /// The ROI's prompt; else the object's label (with `prompts_from_labels`), else `prompt`.
    pub prompt: Option<String>,
    /// Weight of the ROI's whole view in the loss; else `w_roi`.
    pub w_roi: Option<f64>,
    /// Weight of the ROI's patches in the loss; else `w_patch`.
    pub w_patch: Option<f64>,
    /// Number of random patches per iteration; else `n_patches`.
    pub n_patches: Option<u32>,
    /// Patch side as a fraction of the ROI's longer side; else `crop_ratio`.
    pub crop_ratio: Option<f64>,
}

/// The request of one run of any action (`inspect`, `render`, `edit`, `recolor`, `vectorize`).
///
/// The selection (the ids of the objects the user selected, in selection order) is not part of
/// the request: it is host state and travels beside it (`clipvg_run`'s `selected`). For `edit` and
/// `recolor` each selected object is a ROI (its canvas bounding box) and its shapes are the
/// trainable set; everything else is rendered as context and written back unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Request {
    // ---- guidance: what the selection should become ----
    /// The text the selection should come to look like ("a watercolour painting of a tower").
    /// Used by every ROI that has no prompt of its own. `edit` and `recolor` need a prompt for
    /// every ROI. Default: none.
    pub prompt: Option<String>,
    /// Take each selected object's prompt from the object itself: its `data-clipvg-prompt`
    /// attribute, else its `inkscape:label`; objects with neither use `prompt`. Default: false.
    pub prompts_from_labels: bool,
    /// ROIs beyond the selection, each by element id or by box, each with optional overrides.
    /// Default: none.
    pub rois: Vec<RoiSpec>,
    /// Add the whole canvas as ROI 0 with `prompt` (as the paper does); the trainable set stays
    /// the selection. Default: false.
    pub whole_canvas_roi: bool,
    /// The text that describes the document as it is; the direction of the edit is
    /// E_T(prompt) − E_T(reference_text). Default: "A photo".
    pub reference_text: String,
    /// Average each text's embedding over the 79 ImageNet prompt templates ("a photo of a {}.").
    /// Default: true.
    pub prompt_templates: bool,
    /// Guide by an image instead of text: the direction E_I(target) − E_I(original). A path to a
    /// PNG/JPEG file, readable by the library. Default: none (text guidance).
    pub target_image: Option<PathBuf>,

    // ---- what may change ----
    /// `all` (points and colours), `shape` (points only) or `colour` (colours only; `color` is
    /// accepted too). Default: `all` for `edit`; `recolor` is always `colour` and refuses `shape`.
    pub mode: Option<Mode>,

    // ---- optimisation (defaults: the paper's) ----
    /// Adam steps. Default: 150. Range 1–100000.
    pub iterations: u32,
    /// Adam learning rate of the points, in canvas pixels. Default: 0.2.
    pub shape_lr: f64,
    /// Adam learning rate of the colours (channels in [0, 1]); `color_lr` is accepted too.
    /// Default: 0.01.
    #[serde(alias = "color_lr")]
    pub colour_lr: f64,
    /// Random patches per ROI and iteration. Default: 64. Range 0–512.
    pub n_patches: u32,
    /// Patch side as a fraction of the ROI's longer side. Default: 0.8. Range (0, 1].
    pub crop_ratio: f64,
    /// Weight of each ROI's whole view in the loss. Default: 30.
    pub w_roi: f64,
    /// Weight of each ROI's patches in the loss. Default: 80.
    pub w_patch: f64,
    /// Long side of the rendered canvas in pixels, aspect kept (`edit`, `recolor`, `render`).
    /// Default: 512. Range 16–8192 (edits: at most 4096).
    pub render_size: u32,
    /// Put an extra grey background path under everything, trainable (the paper's option).
    /// Default: false.
    pub background_layer: bool,
    /// Seed of every random choice (patches, warps): same inputs and seed, same output.
    /// Default: 0.
    pub seed: u64,

    // ---- vectorize ----
    /// Tracing rounds, coarse first; each becomes one `<g>` stacked above the previous.
    /// Default: `["coarse", "medium", "fine"]`.
    pub rounds: Vec<Round>,
    /// Adam steps fitting the traced paths to the bitmap (L2 loss) after tracing; 0 = none.
    /// Default: 0. Range 0–100000.
    pub refine_steps: u32,
    /// An extra fine round restricted to this box `[x, y, width, height]` in bitmap pixels (the
    /// paper's face round). Default: none.
    pub detail_box: Option<[f64; 4]>,
    /// The folder that relative `<image href>` file names resolve against (the document's own
    /// folder; the Inkscape shim fills it from `DOCUMENT_PATH`). Default: none, so only
    /// embedded (data URI) and absolute images can be read.
    pub base_dir: Option<PathBuf>,

    // ---- per-run engine overrides ----
    /// The CLIP model for this run: a folder (config.json + model.safetensors) or a registry name
    /// (`clipvg weights list`). Default (also for an empty string): the engine's model.
    pub model: Option<String>,
    /// The backend for this run. Default: the engine's backend.
    pub backend: Option<Backend>,

    // ---- budgets ----
    /// Budgets for what a document may make clipvg expand or allocate, each optional:
    /// `{"depth": 4096, "render_pixels": 100000000, ...}` (field names and defaults:
    /// `clipvg_document::Limits`, `src/document/limits.rs`). A document over a budget fails with
    /// `CLIPVG_STATUS_LIMIT_EXCEEDED` naming the field to raise. Unknown names are an error.
    pub limits: clipvg_document::Limits,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            prompt: None,
            prompts_from_labels: false,
            rois: Vec::new(),
            whole_canvas_roi: false,
            reference_text: "A photo".into(),
            prompt_templates: true,
            target_image: None,
            mode: None,
            iterations: 150,
            shape_lr: 0.2,
            colour_lr: 0.01,
            n_patches: 64,
            crop_ratio: 0.8,
            w_roi: 30.0,
            w_patch: 80.0,
            render_size: 512,
            background_layer: false,
            seed: 0,
            rounds: vec![Round::Coarse, Round::Medium, Round::Fine],
            refine_steps: 0,
            detail_box: None,
            base_dir: None,
            model: None,
            backend: None,
            limits: clipvg_document::Limits::default(),
        }
    }
}

/// The options of an engine (`clipvg_engine_new`), fixed for its life.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineOptions {
    /// The CLIP model: a folder (config.json + model.safetensors) or a registry name. Default
    /// (also for an empty string): the registry's default model.
    pub model: Option<String>,
    /// Where the numeric work runs. Default: `auto`.
    pub backend: Backend,
}

/// Parses JSON into `T`, with messages that say which document was wrong. An empty text (or only
/// whitespace) means `{}`: every field at its default.
fn from_json<T: for<'de> Deserialize<'de> + Default>(what: &str, json: &str) -> Result<T> {
    if json.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(json).map_err(|e| {
        // serde_json's messages name the field ("unknown field `iters`, expected one of ..."),
        // echoing the host's text between backticks: each such piece is bounded.
        Error::InvalidInput(format!(
            "invalid {what} JSON: {}",
            clipvg_document::message::bound_quoted(&e.to_string(), '`')
        ))
    })
}

/// An empty or blank string is the same as no string.
fn non_blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl EngineOptions {
    /// Parses engine options; empty text = defaults.
    pub fn from_json(json: &str) -> Result<Self> {
        let mut options: EngineOptions = from_json("engine options", json)?;
        options.model = non_blank(&options.model).map(str::to_string);
        Ok(options)
    }
}

impl Request {
    /// Parses a request; empty text = defaults. Checks every value's range.
    pub fn from_json(json: &str) -> Result<Self> {
        let mut request: Request = from_json("request", json)?;
        request.model = non_blank(&request.model).map(str::to_string);
        request.validate()?;
        Ok(request)
    }

    /// The request-wide prompt, if it is not blank.
    pub fn prompt(&self) -> Option<&str> {
        non_blank(&self.prompt)
    }

    /// Checks the ranges of every numeric field and the shape of every ROI.
    pub fn validate(&self) -> Result<()> {
        fn bad(field: &str, rule: &str, value: impl std::fmt::Display) -> Error {
            Error::InvalidInput(format!("request field `{field}` must be {rule}, not {value}"))
        }
        let finite_non_negative = |field: &str, v: f64| {
            if v.is_finite() && v >= 0.0 { Ok(()) } else { Err(bad(field, "a number ≥ 0", v)) }
        };
        if !(1..=100_000).contains(&self.iterations) {
            return Err(bad("iterations", "between 1 and 100000", self.iterations));
        }
        finite_non_negative("shape_lr", self.shape_lr)?;
        finite_non_negative("colour_lr", self.colour_lr)?;
        finite_non_negative("w_roi", self.w_roi)?;
        finite_non_negative("w_patch", self.w_patch)?;
        if self.n_patches > 512 {
            return Err(bad("n_patches", "at most 512", self.n_patches));
        }
        if !(self.crop_ratio > 0.0 && self.crop_ratio <= 1.0) {
            return Err(bad("crop_ratio", "in (0, 1]", self.crop_ratio));
        }
        if !(16..=8192).contains(&self.render_size) {
            return Err(bad("render_size", "between 16 and 8192", self.render_size));
        }
        if self.refine_steps > 100_000 {
            return Err(bad("refine_steps", "at most 100000", self.refine_steps));
        }
        if self.rounds.is_empty() {
            return Err(Error::InvalidInput("request field `rounds` must name at least one round".into()));
        }
        if let Some(b) = self.detail_box {
            check_box("detail_box", b)?;
        }
        for (i, roi) in self.rois.iter().enumerate() {
            let field = format!("rois[{i}]");
            match (&roi.id, roi.rect) {
                (Some(_), None) => {}
                (None, Some(r)) => check_box(&format!("{field}.rect"), r)?,
                _ => {
                    return Err(Error::InvalidInput(format!(
                        "request field `{field}` must have exactly one of `id` and `rect`"
                    )));
                }
            }
            for (name, v) in [("w_roi", roi.w_roi), ("w_patch", roi.w_patch)] {
                if let Some(v) = v {
                    finite_non_negative(&format!("{field}.{name}"), v)?;
                }
            }
            if let Some(n) = roi.n_patches.filter(|&n| n > 512) {
                return Err(bad(&format!("{field}.n_patches"), "at most 512", n));
            }
            if let Some(c) = roi.crop_ratio.filter(|&c| !(c > 0.0 && c <= 1.0)) {
                return Err(bad(&format!("{field}.crop_ratio"), "in (0, 1]", c));
            }
        }
        Ok(())
    }
}

fn check_box(field: &str, [x, y, w, h]: [f64; 4]) -> Result<()> {
    if [x, y, w, h].iter().all(|v| v.is_finite()) && w > 0.0 && h > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "request field `{field}` must be [x, y, width, height] with a positive width and height"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_request_is_the_paper_defaults() {
        let r = Request::from_json("").unwrap();
        assert_eq!(r, Request::default());
        assert_eq!(Request::from_json(" {} ").unwrap(), r);
        assert_eq!((r.iterations, r.shape_lr, r.colour_lr, r.n_patches), (150, 0.2, 0.01, 64));
        assert_eq!((r.crop_ratio, r.w_roi, r.w_patch), (0.8, 30.0, 80.0));
    }

    #[test]
    fn unknown_field_is_named() {
        let e = Request::from_json(r#"{"prompt":"x","iters":3}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `iters`"), "{e}");
        let e = Request::from_json(r#"{"rois":[{"id":"a","promt":"x"}]}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `promt`"), "{e}");
        let e = EngineOptions::from_json(r#"{"modle":"x"}"#).unwrap_err().to_string();
        assert!(e.contains("engine options") && e.contains("`modle`"), "{e}");
    }

    #[test]
    fn aliases_and_blank_model() {
        let r = Request::from_json(r#"{"mode":"color","color_lr":0.5,"model":"  "}"#).unwrap();
        assert_eq!((r.mode, r.colour_lr, r.model), (Some(Mode::Colour), 0.5, None));
        let r = Request::from_json(r#"{"rounds":["coarse","fine"],"backend":"cpu"}"#).unwrap();
        assert_eq!((r.rounds.len(), r.backend), (2, Some(Backend::Cpu)));
    }

    #[test]
    fn limits_are_optional_and_checked_by_name() {
        let r = Request::from_json(r#"{"limits":{"depth":5000}}"#).unwrap();
        assert_eq!(r.limits.depth, 5000);
        assert_eq!(r.limits.nodes, clipvg_document::Limits::default().nodes);
        let e = Request::from_json(r#"{"limits":{"dpeth":5}}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `dpeth`"), "{e}");
        let e = Request::from_json(&format!(r#"{{"{}":1}}"#, "y".repeat(100_000))).unwrap_err().to_string();
        assert!(e.len() < 1000 && e.contains("unknown field `yyy"), "{e}");
    }

    #[test]
    fn ranges_are_checked() {
        for bad in [
            r#"{"iterations":0}"#,
            r#"{"shape_lr":-1}"#,
            r#"{"crop_ratio":1.5}"#,
            r#"{"render_size":3}"#,
            r#"{"rounds":[]}"#,
            r#"{"rois":[{}]}"#,
            r#"{"rois":[{"id":"a","rect":[0,0,1,1]}]}"#,
            r#"{"rois":[{"rect":[0,0,0,1]}]}"#,
            r#"{"mode":"everything"}"#,
            r#"{"iterations":"ten"}"#,
        ] {
            let e = Request::from_json(bad).expect_err(bad).to_string();
            assert!(e.starts_with("request field") || e.starts_with("invalid request JSON"), "{bad}: {e}");
        }
    }
}
