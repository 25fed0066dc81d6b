//! clipvg's requests: the values a caller chooses for each action, shared by the C ABI's JSON,
//! the abi_stable module, `clipvg … --request FILE`, the command line's flags and the host shims.
//!
//! One request type per action: [`EditRequest`] (edit and recolour, with one ROI type,
//! [`Roi`]), [`RenderRequest`] and [`VectorizeRequest`]; boxes carry their unit in their type
//! ([`CanvasBox`], [`PixelBox`]); every default and range comes from one table, [`fields`].
//! Unknown fields are rejected by name; the old spellings stay accepted as aliases.
//!
//! serde only: a host or a fuzzer can build and check requests without the engine. The budgets
//! (`limits`) are a type parameter, `clipvg_document::Limits` in the engine.

mod boxes;
mod edit;
pub mod fields;
mod named;
mod on_cancel;
mod palette;
mod precision;
mod raster;

pub use boxes::{CanvasBox, PixelBox};
pub use edit::{BackgroundLayer, EDIT_FIELDS, EditRequest, PRESET_FIELDS, Roi, non_blank};
pub use named::{Named, NamedValue};
pub use on_cancel::OnCancel;
pub use palette::{palette_rgb, parse_hex};
pub use precision::ClipPrecision;
pub use raster::{RENDER_FIELDS, RenderRequest, Round, VECTORIZE_FIELDS, VectorizeRequest};

/// A request value out of its range or a request that cannot run: one sentence naming the
/// field (`request field `iterations` must be between 1 and 100000, not 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError(pub String);

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RequestError {}

use serde::{Deserialize, Serialize};

/// The user's choice of compute device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// A hardware GPU if there is one, else the CPU.
    #[default]
    Auto,
    /// The CPU backend.
    Cpu,
    /// wgpu on the best adapter, software ones included; an error if there is none.
    Gpu,
}

impl Named for BackendChoice {
    const VALUES: &'static [NamedValue<Self>] = &[
        NamedValue::new(Self::Auto, "auto", "A hardware GPU if there is one, else the CPU"),
        NamedValue::new(Self::Cpu, "cpu", "The CPU backend"),
        NamedValue::new(
            Self::Gpu,
            "gpu",
            "wgpu on the best adapter, software ones included; an error if there is none",
        ),
    ];
}

/// Which parameters the optimizer may change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EditMode {
    /// Shapes and colours.
    #[default]
    All,
    /// Control points only (colours frozen).
    Shape,
    /// Colours only (every `d` unchanged); also accepts `color`.
    #[serde(alias = "color")]
    Colour,
}

impl Named for EditMode {
    const VALUES: &'static [NamedValue<Self>] = &[
        NamedValue::new(Self::All, "all", "Shapes and colours"),
        NamedValue::new(Self::Shape, "shape", "Control points only (colours frozen)"),
        NamedValue::new(Self::Colour, "colour", "Colours only (every `d` unchanged); also accepts `color`")
            .aliases(&["color"]),
    ];
}

/// Named sets of edit defaults: the preset fills `iterations`, `n_patches`, `render_size`,
/// `shape_lr` and `colour_lr` ([`PresetSettings`]).
///
/// The fast preset moves as far as the paper's: Adam moves a parameter by about its learning
/// rate per step (the step is `lr · m̂ / (√v̂ + ε)`, with `|m̂ / √v̂| ≈ 1` while the gradient keeps
/// its sign), so a run of `n` iterations covers about `n · lr`. Fewer iterations therefore take
/// the paper's learning rates scaled by `paper iterations / n` (150 / 40 = 3.75 for fast: shape
/// 0.75 px, colour 0.0375 per step); patches and render size only trade the loss's noise and
/// detail for speed and are not scaled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The paper's on a hardware GPU, fast elsewhere (on the CPU, or a software GPU such as
    /// lavapipe): the front ends' default. The engine resolves it for the run's backend.
    #[default]
    Auto,
    /// The paper's settings: 150 iterations, 64 patches per ROI, 512 px renders, learning rates
    /// 0.2 (shape) and 0.01 (colour).
    Paper,
    /// For CPUs: 40 iterations, 8 patches, 384 px, learning rates 0.75 and 0.0375 (the paper's
    /// × 150/40, so that the edit moves as far); a ViT-B/32 edit of one ROI in about a minute on
    /// two cores (see the README's benchmark). `draft` is accepted too.
    #[serde(alias = "draft")]
    Fast,
}

impl Named for Preset {
    const VALUES: &'static [NamedValue<Self>] = &[
        NamedValue::new(Self::Auto, "auto", "The paper's settings on a hardware GPU, fast elsewhere"),
        NamedValue::new(
            Self::Paper,
            "paper",
            "The paper's settings: 150 iterations, 64 patches per ROI, 512 px renders, learning rates 0.2 and 0.01",
        ),
        NamedValue::new(
            Self::Fast,
            "fast",
            "For CPUs: 40 iterations, 8 patches, 384 px, the paper's learning rates × 150/40 (0.75 and 0.0375) so that the edit moves as far; also accepts `draft`",
        )
        .aliases(&["draft"]),
    ];
}

/// What a preset sets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PresetSettings {
    /// Adam steps.
    pub iterations: usize,
    /// Random patches per ROI and iteration (request-wide).
    pub n_patches: usize,
    /// Long side of the render the loss sees, in pixels.
    pub render_size: u32,
    /// Learning rate of the control points, in canvas pixels per step.
    pub shape_lr: f32,
    /// Learning rate of the colours, channels in [0, 1] per step.
    pub colour_lr: f32,
}

/// The fast preset's iterations.
const FAST_ITERATIONS: usize = 40;

impl Preset {
    /// `auto` resolved: the paper's preset when the run is on a hardware GPU, else fast. Other
    /// presets are themselves.
    pub fn resolve(self, on_hardware_gpu: bool) -> Preset {
        match self {
            Preset::Auto if on_hardware_gpu => Preset::Paper,
            Preset::Auto => Preset::Fast,
            other => other,
        }
    }

    /// The preset's settings; the paper's are the table's defaults ([`fields`]). `auto` is meant
    /// to be [`Preset::resolve`]d first; unresolved it gives fast's, which fit every machine.
    pub fn settings(self) -> PresetSettings {
        let paper = PresetSettings {
            iterations: fields::ITERATIONS.number() as usize,
            n_patches: fields::N_PATCHES.number() as usize,
            render_size: fields::RENDER_SIZE.number() as u32,
            shape_lr: fields::SHAPE_LR.number() as f32,
            colour_lr: fields::COLOUR_LR.number() as f32,
        };
        match self {
            Preset::Paper => paper,
            Preset::Fast | Preset::Auto => {
                // Fewer steps, each as much longer: the edit moves as far (see [`Preset`]).
                let scale = fields::ITERATIONS.number() / FAST_ITERATIONS as f64;
                PresetSettings {
                    iterations: FAST_ITERATIONS,
                    n_patches: 8,
                    render_size: 384,
                    shape_lr: (fields::SHAPE_LR.number() * scale) as f32,
                    colour_lr: (fields::COLOUR_LR.number() * scale) as f32,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
