//! clipvg's requests: the values a caller chooses for each action, shared by the C ABI's JSON,
//! the abi_stable module, `clipvg … --request FILE`, the command line's flags and the host shims.
//!
//! serde only: a host or a fuzzer can build and check requests without the engine.

mod named;

pub use named::{Named, NamedValue};

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
    /// `(iterations, patches per ROI, render size)`.
    pub fn settings(self) -> (usize, usize, u32) {
        match self {
            Preset::Paper => (150, 64, 512),
            Preset::Fast => (40, 8, 384),
        }
    }
}
