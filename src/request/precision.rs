//! The float type CLIP computes in (`clip_precision`).

use serde::{Deserialize, Serialize};

use crate::{Named, NamedValue};

/// The float type of CLIP's weights and computation in an edit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClipPrecision {
    /// Half precision on a hardware GPU that has it (wgpu's `shader-f16`), else f32.
    #[default]
    Auto,
    /// Single precision everywhere.
    F32,
    /// Half precision; an error where the device has none (the CPU backend).
    F16,
}

impl Named for ClipPrecision {
    const VALUES: &'static [NamedValue<Self>] = &[
        NamedValue::new(Self::Auto, "auto", "Half precision on a hardware GPU that has it, else f32"),
        NamedValue::new(Self::F32, "f32", "Single precision everywhere"),
        NamedValue::new(Self::F16, "f16", "Half precision; an error where the device has none"),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_the_tables() {
        assert_eq!(ClipPrecision::default(), ClipPrecision::Auto);
        assert_eq!(ClipPrecision::from_name(crate::fields::CLIP_PRECISION.text()), Some(ClipPrecision::Auto));
        assert_eq!(serde_json::from_str::<ClipPrecision>("\"f16\"").unwrap(), ClipPrecision::F16);
    }
}
