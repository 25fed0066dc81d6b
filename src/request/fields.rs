//! The one table of the requests' settings: each field's name on the wire, default, accepted
//! range, the range a dialog offers, and a line of help. The request types' `Default` impls and
//! validation, the command line's defaults and help, and the manifests' params
//! (`plugin-manifest/clipvg.json`, the `.inx` files; checked by `tests/plugin/manifest.rs`) all
//! read it, so a default is written once.
//!
//! Units: canvas pixels (the document's width × height at 96 dpi) for sizes and boxes; learning
//! rates per Adam step in the parameter's own unit (pixels for points, [0, 1] for colour
//! channels).

/// A field's default value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldDefault {
    /// A number (integer fields hold whole numbers).
    Number(f64),
    Bool(bool),
    /// A text; for an enum its name, for a list its items joined by `,`. `""` is "none".
    Text(&'static str),
}

/// The values a field accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// Any value of the field's type.
    Any,
    /// A whole number in `min..=max`.
    Int { min: f64, max: f64 },
    /// A finite number ≥ 0.
    NonNegative,
    /// A number in `(0, 1]`.
    OpenUnit,
    /// A number in `[0, 1]`.
    Unit,
}

/// One setting of a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// The name on the wire (JSON key, manifest param name).
    pub name: &'static str,
    pub default: FieldDefault,
    pub range: Range,
    /// The range a dialog's spin box offers (`min`, `max` of the manifests), within `range`.
    pub dialog: Option<(f64, f64)>,
    /// For a field a [`crate::Preset`] sets: the dialog value that means "from the preset"
    /// (the manifests' `unset`; a host leaves the field out of the request). The dialogs
    /// default to it and their range reaches it.
    pub unset: Option<f64>,
    /// One line of help.
    pub help: &'static str,
}

impl Field {
    /// The default of a numeric field.
    pub const fn number(&self) -> f64 {
        match self.default {
            FieldDefault::Number(v) => v,
            _ => panic!("not a numeric field"),
        }
    }

    /// The default of a boolean field.
    pub const fn flag(&self) -> bool {
        match self.default {
            FieldDefault::Bool(v) => v,
            _ => panic!("not a boolean field"),
        }
    }

    /// The default of a text field.
    pub const fn text(&self) -> &'static str {
        match self.default {
            FieldDefault::Text(v) => v,
            _ => panic!("not a text field"),
        }
    }

    /// The smallest accepted value, if the range has one.
    pub fn min(&self) -> Option<f64> {
        match self.range {
            Range::Any => None,
            Range::Int { min, .. } => Some(min),
            Range::NonNegative | Range::OpenUnit | Range::Unit => Some(0.0),
        }
    }

    /// The largest accepted value, if the range has one.
    pub fn max(&self) -> Option<f64> {
        match self.range {
            Range::Int { max, .. } => Some(max),
            Range::OpenUnit | Range::Unit => Some(1.0),
            Range::Any | Range::NonNegative => None,
        }
    }

    /// Whether `v` is in the field's range.
    pub fn accepts(&self, v: f64) -> bool {
        match self.range {
            Range::Any => true,
            Range::Int { min, max } => v.fract() == 0.0 && (min..=max).contains(&v),
            Range::NonNegative => v.is_finite() && v >= 0.0,
            Range::OpenUnit => v > 0.0 && v <= 1.0,
            Range::Unit => (0.0..=1.0).contains(&v),
        }
    }

    /// The rule a value broke, for messages: `between 1 and 100000`, `a number ≥ 0`.
    pub fn rule(&self) -> String {
        match self.range {
            Range::Any => "valid".into(),
            Range::Int { min: 0.0, max } => format!("at most {max}"),
            Range::Int { min, max } => format!("between {min} and {max}"),
            Range::NonNegative => "a number ≥ 0".into(),
            Range::OpenUnit => "in (0, 1]".into(),
            Range::Unit => "in [0, 1]".into(),
        }
    }

    /// The help with the default, for the command line: `Iterations [default: 150]`.
    pub fn help_with_default(&self) -> String {
        match self.default {
            FieldDefault::Number(v) => format!("{} [default: {v}]", self.help),
            FieldDefault::Bool(v) => format!("{} [default: {v}]", self.help),
            FieldDefault::Text("") => self.help.to_string(),
            FieldDefault::Text(v) => format!("{} [default: {v}]", self.help),
        }
    }
}

const fn field(name: &'static str, default: FieldDefault, range: Range, help: &'static str) -> Field {
    Field { name, default, range, dialog: None, unset: None, help }
}

const fn int(min: f64, max: f64) -> Range {
    Range::Int { min, max }
}

impl Field {
    const fn dialog(self, min: f64, max: f64) -> Field {
        Field { dialog: Some((min, max)), ..self }
    }

    const fn unset(self, marker: f64) -> Field {
        Field { unset: Some(marker), ..self }
    }

    /// The default a dialog shows: the "from the preset" marker if the field has one, else the
    /// default.
    pub fn dialog_default(&self) -> FieldDefault {
        match self.unset {
            Some(v) => FieldDefault::Number(v),
            None => self.default,
        }
    }

    /// The range a dialog offers: the dialog range (else the accepted one), widened to reach
    /// the "from the preset" marker.
    pub fn dialog_range(&self) -> (Option<f64>, Option<f64>) {
        let (lo, hi) = match self.dialog {
            Some((lo, hi)) => (Some(lo), Some(hi)),
            None => (self.min(), self.max()),
        };
        match self.unset {
            Some(u) => (Some(lo.map_or(u, |lo| lo.min(u))), hi.map(|hi| hi.max(u))),
            None => (lo, hi),
        }
    }
}

use FieldDefault::{Bool, Number, Text};

// ---- guidance ----
/// The text the selection should come to look like; used by every ROI without a prompt of its own.
pub const PROMPT: Field = field("prompt", Text(""), Range::Any, "The prompt of every ROI without its own");
/// Take each element ROI's prompt from the element (`data-clipvg-prompt`, else `inkscape:label`).
pub const PROMPTS_FROM_LABELS: Field = field(
    "prompts_from_labels",
    Bool(false),
    Range::Any,
    "Take each element's prompt from its data-clipvg-prompt attribute or its label",
);
/// Add the whole canvas as ROI 0 (as the paper does).
pub const WHOLE_CANVAS_ROI: Field = field(
    "whole_canvas_roi",
    Bool(false),
    Range::Any,
    "Add the whole canvas as an ROI with the prompt (as the paper does)",
);
/// The text that describes the document as it is: the origin of the edit's direction.
pub const REFERENCE_TEXT: Field =
    field("reference_text", Text("A photo"), Range::Any, "The text that describes the document as it is");
/// Average each text's embedding over the 79 ImageNet prompt templates.
pub const PROMPT_TEMPLATES: Field =
    field("prompt_templates", Bool(true), Range::Any, "Average each prompt over the 79 ImageNet prompt templates");
/// What the optimizer may change (`all`, `shape`, `colour`).
pub const MODE: Field =
    field("mode", Text("all"), Range::Any, "What may change: all, shape (points only) or colour (colours only)");
/// The named defaults of iterations, patches, render size and learning rates (`clipvg_request::Preset`).
/// `auto` is the front ends' default (the command line, the dialogs); a JSON request without a
/// preset keeps the table's values, the paper's.
pub const PRESET: Field = field(
    "preset",
    Text("auto"),
    Range::Any,
    "Quality: auto (the paper's settings on a hardware GPU, fast elsewhere), paper, or fast (also draft)",
);

// ---- optimisation (defaults: the paper's) ----
/// Adam steps.
pub const ITERATIONS: Field =
    field("iterations", Number(150.0), int(1.0, 100_000.0), "Iterations (Adam steps)").dialog(1.0, 2000.0).unset(0.0);
/// Adam learning rate of the points, in canvas pixels.
pub const SHAPE_LR: Field =
    field("shape_lr", Number(0.2), Range::NonNegative, "Adam learning rate of the control points; 0 freezes shapes")
        .dialog(0.0, 10.0)
        .unset(0.0);
/// Adam learning rate of the colours (channels in [0, 1]).
pub const COLOUR_LR: Field =
    field("colour_lr", Number(0.01), Range::NonNegative, "Adam learning rate of the colours; 0 freezes colours")
        .dialog(0.0, 1.0)
        .unset(0.0);
/// Random patches per ROI and iteration.
pub const N_PATCHES: Field = field("n_patches", Number(64.0), int(0.0, 512.0), "Random patches per ROI per iteration")
    .dialog(0.0, 256.0)
    .unset(-1.0);
/// Patch side as a fraction of the ROI's longer side.
pub const CROP_RATIO: Field =
    field("crop_ratio", Number(0.8), Range::OpenUnit, "Patch side as a fraction of the ROI's longer side");
/// Weight of each ROI's whole view in the loss.
pub const W_ROI: Field =
    field("w_roi", Number(30.0), Range::NonNegative, "Weight of each ROI's whole view in the loss");
/// Weight of each ROI's patches in the loss.
pub const W_PATCH: Field =
    field("w_patch", Number(80.0), Range::NonNegative, "Weight of each ROI's patches in the loss");
/// Long side of the render in pixels, aspect kept (edits: at most [`EDIT_RENDER_SIZE_MAX`]).
pub const RENDER_SIZE: Field =
    field("render_size", Number(512.0), int(16.0, 8192.0), "Long side of the render the loss sees, in pixels");
/// The largest `render_size` of an edit.
pub const EDIT_RENDER_SIZE_MAX: u32 = 4096;
/// Seed of every random choice (patches, warps).
pub const SEED: Field = field(
    "seed",
    Number(0.0),
    Range::Any,
    "Seed of every random choice (patches, warps); the same seed gives the same SVG",
)
.dialog(0.0, 2_147_483_647.0);
/// Edits from seeds `seed`, `seed + 1`, … in one run; 1 = one edit.
pub const VARIATIONS: Field =
    field("variations", Number(1.0), int(1.0, 64.0), "Variations: edits from seeds seed, seed+1, … in one run")
        .dialog(1.0, 16.0);
/// Perspective distortion of the patches.
pub const DISTORTION: Field = field("distortion", Number(0.3), Range::Unit, "Perspective distortion of the patches");
/// Weight of the Xing regulariser against self-intersecting segments (LIVE); 0 = off.
pub const XING_WEIGHT: Field = field(
    "xing_weight",
    Number(0.0),
    Range::NonNegative,
    "Weight of the Xing regulariser against self-intersecting segments (0 = off)",
);
/// Put a trainable grey background path under everything (the paper's `add_bg_layer`).
pub const BACKGROUND_LAYER: Field =
    field("background_layer", Bool(false), Range::Any, "Add a trainable background path under everything");
/// How far the edit may move the selection from its original: 1 = the paper's edit, 0 = unchanged.
pub const STRENGTH: Field = field(
    "strength",
    Number(1.0),
    Range::Unit,
    "How far the selection may move from its original: 1 the paper's edit, 0 unchanged",
);
/// Colours the recoloured fills are pulled towards (hex, comma-separated on a command line).
pub const PALETTE: Field =
    field("palette", Text(""), Range::Any, "Colours the fills are pulled towards: #hex,#hex,… or a GIMP .gpl file");
/// Snap every trained colour to its nearest palette colour at the end.
pub const SNAP: Field =
    field("snap", Bool(false), Range::Any, "Snap every trained colour to its nearest palette colour at the end");
/// What a host does with an edit cancelled from its progress window.
pub const ON_CANCEL: Field = field(
    "on_cancel",
    Text("keep"),
    Range::Any,
    "On stop: keep the result so far, or discard it (leave the document unchanged)",
);
/// Element ROIs see only the element's own rendered shape instead of its bounding box.
pub const ROI_MASK: Field = field(
    "roi_mask",
    Bool(false),
    Range::Any,
    "Shaped regions: an element's views see only its own shape (the rest white), not its box",
);

// ---- vectorize ----
/// Tracing rounds, coarse first.
pub const ROUNDS: Field = field("rounds", Text("coarse,fine"), Range::Any, "Tracing rounds, coarse first");
/// Adam steps fitting the traced paths to the bitmap after tracing; 0 = none, -1 = as many as
/// [`REFINE_SECONDS`] allows.
pub const REFINE_STEPS: Field = field(
    "refine_steps",
    Number(-1.0),
    int(-1.0, 100_000.0),
    "Adam steps fitting points and colours to the picture after tracing; 0 = none, -1 = as many as refine_seconds allows",
)
.dialog(-1.0, 2000.0);
/// The time refinement may take when `refine_steps` is -1: seconds of a 2-core CPU, turned
/// into a step count before the run by a fixed cost model (so a run does not depend on the
/// machine's load).
pub const REFINE_SECONDS: Field = field(
    "refine_seconds",
    Number(30.0),
    Range::NonNegative,
    "Time budget of the refinement in seconds of a 2-core CPU, turned into steps before the run; 0 = none",
)
.dialog(0.0, 600.0);
/// The most paths a vectorization keeps over all rounds.
pub const MAX_PATHS: Field = field(
    "max_paths",
    Number(6000.0),
    int(1.0, 1_000_000.0),
    "Most paths over all rounds; beyond it the shapes of the upper rounds that add the least are dropped",
)
.dialog(1.0, 100_000.0);

// ---- engine overrides ----
/// The CLIP model for this run: a folder or a registry name; empty: the engine's.
pub const MODEL: Field = field("model", Text(""), Range::Any, "A CLIP model folder or a registry name");
/// Where the numeric work runs.
pub const BACKEND: Field = field("backend", Text("auto"), Range::Any, "Where the numeric work runs: auto, cpu or gpu");
/// The float type CLIP computes in.
pub const CLIP_PRECISION: Field = field(
    "clip_precision",
    Text("auto"),
    Range::Any,
    "CLIP's float type: auto (half precision on a hardware GPU that has it), f32 or f16",
);

/// Every field, in the order of the dialogs.
pub const FIELDS: &[&Field] = &[
    &PROMPT,
    &PROMPTS_FROM_LABELS,
    &WHOLE_CANVAS_ROI,
    &REFERENCE_TEXT,
    &PROMPT_TEMPLATES,
    &MODE,
    &PRESET,
    &ITERATIONS,
    &SHAPE_LR,
    &COLOUR_LR,
    &N_PATCHES,
    &CROP_RATIO,
    &W_ROI,
    &W_PATCH,
    &RENDER_SIZE,
    &SEED,
    &VARIATIONS,
    &DISTORTION,
    &XING_WEIGHT,
    &BACKGROUND_LAYER,
    &STRENGTH,
    &PALETTE,
    &SNAP,
    &ON_CANCEL,
    &ROI_MASK,
    &ROUNDS,
    &REFINE_STEPS,
    &REFINE_SECONDS,
    &MAX_PATHS,
    &MODEL,
    &BACKEND,
    &CLIP_PRECISION,
];

/// The field of a wire name.
pub fn by_name(name: &str) -> Option<&'static Field> {
    FIELDS.iter().copied().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_dialog_ranges_lie_within_the_accepted_ones() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert!(FIELDS[..i].iter().all(|g| g.name != f.name), "{} twice", f.name);
            if let FieldDefault::Number(v) = f.default {
                assert!(f.accepts(v), "{}: default {v} outside its range", f.name);
            }
            if let Some((lo, hi)) = f.dialog {
                assert!(f.accepts(lo) || f.range == Range::Any, "{}", f.name);
                assert!(f.accepts(hi) || f.range == Range::Any, "{}", f.name);
                assert!(lo <= hi, "{}", f.name);
            }
        }
        assert_eq!(by_name("colour_lr"), Some(&COLOUR_LR));
        assert_eq!(ITERATIONS.rule(), "between 1 and 100000");
        assert_eq!(N_PATCHES.rule(), "at most 512");
        assert!(!CROP_RATIO.accepts(0.0) && CROP_RATIO.accepts(1.0));
        assert_eq!(SHAPE_LR.help_with_default(), format!("{} [default: 0.2]", SHAPE_LR.help));
        // The "from the preset" markers: a preset field's dialog defaults to it and reaches it.
        for f in FIELDS {
            let preset_field = crate::PRESET_FIELDS.iter().any(|(name, _)| *name == f.name);
            assert_eq!(f.unset.is_some(), preset_field && f.dialog.is_some(), "{}", f.name);
        }
        assert_eq!(ITERATIONS.dialog_default(), Number(0.0));
        assert_eq!(ITERATIONS.dialog_range(), (Some(0.0), Some(2000.0)));
        assert_eq!(N_PATCHES.dialog_range(), (Some(-1.0), Some(256.0)));
        assert_eq!(CROP_RATIO.dialog_range(), (Some(0.0), Some(1.0)));
        assert_eq!(SEED.dialog_default(), Number(0.0));
        assert!(!ITERATIONS.accepts(0.0) && !N_PATCHES.accepts(-1.0), "markers no request can mean otherwise");
    }
}
