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
mod raster;

pub use boxes::{CanvasBox, PixelBox};
pub use edit::{BackgroundLayer, EDIT_FIELDS, EditRequest, Roi, non_blank};
pub use named::{Named, NamedValue};
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

/// Named sets of edit defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The paper's settings: 150 iterations, 64 patches per ROI, 512 px renders.
    Paper,
    /// For CPUs: 40 iterations, 8 patches, 384 px (a ViT-B/32 edit of one ROI in about a
    /// minute on two cores; see the README's benchmark).
    Fast,
}

impl Named for Preset {
    const VALUES: &'static [NamedValue<Self>] = &[
        NamedValue::new(
            Self::Paper,
            "paper",
            "The paper's settings: 150 iterations, 64 patches per ROI, 512 px renders",
        ),
        NamedValue::new(
            Self::Fast,
            "fast",
            "For CPUs: 40 iterations, 8 patches, 384 px (a ViT-B/32 edit of one ROI in about a minute on two cores; see the README's benchmark)",
        ),
    ];
}

impl Preset {
    /// `(iterations, patches per ROI, render size)`; the paper's are the table's defaults.
    pub fn settings(self) -> (usize, usize, u32) {
        match self {
            Preset::Paper => (
                fields::ITERATIONS.number() as usize,
                fields::N_PATCHES.number() as usize,
                fields::RENDER_SIZE.number() as u32,
            ),
            Preset::Fast => (40, 8, 384),
        }
    }
}

#[cfg(test)]
mod tests;
