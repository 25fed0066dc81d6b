//! The plugin's manifests, embedded: the host-neutral `plugin-manifest/clipvg.json` (every menu
//! command, the action it runs and its params) and the Inkscape `.inx` files that say the same
//! to Inkscape. `tests/plugin/manifest.rs` checks that the two agree; `install` writes the `.inx`
//! files out; hosts read the neutral one through `clipvg_manifest_json`.

use serde::Deserialize;

use crate::error::{Error, Result};

/// `plugin-manifest/clipvg.json`.
pub const NEUTRAL_MANIFEST: &str = include_str!("../../plugin-manifest/clipvg.json");

/// The same, NUL-terminated, for the C ABI.
pub(crate) const NEUTRAL_MANIFEST_NUL: &str = concat!(include_str!("../../plugin-manifest/clipvg.json"), "\0");

/// The Inkscape `.inx` files: `(file name, contents)`.
pub const INKSCAPE_INX: [(&str, &str); 3] = [
    ("clipvg-edit.inx", include_str!("../../plugin-manifest/inkscape/clipvg-edit.inx")),
    ("clipvg-recolor.inx", include_str!("../../plugin-manifest/inkscape/clipvg-recolor.inx")),
    ("clipvg-vectorize.inx", include_str!("../../plugin-manifest/inkscape/clipvg-vectorize.inx")),
];

/// The neutral manifest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub manifest_version: u32,
    pub abi_version: u32,
    pub library: String,
    pub about: String,
    /// The submenu path the commands live in.
    pub menu: Vec<String>,
    pub actions: Vec<ManifestAction>,
}

/// One menu command.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestAction {
    /// Host-visible id (`org.clipvg.edit`); also the Inkscape effect id.
    pub id: String,
    /// The action passed to `clipvg_run`.
    pub action: String,
    /// Menu text.
    pub name: String,
    pub description: String,
    pub needs_selection: bool,
    /// Whether a host may re-run it on every change of a param (off for slow actions).
    pub live_preview: bool,
    pub params: Vec<ManifestParam>,
}

/// One param: its `name` is the request field it sets.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestParam {
    pub name: String,
    /// The dialog page it sits on, if the dialog has pages.
    pub group: Option<String>,
    #[serde(rename = "type")]
    pub kind: ParamKind,
    pub default: serde_json::Value,
    pub label: String,
    pub description: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Decimals shown for a float.
    pub precision: Option<u32>,
    #[serde(default)]
    pub options: Vec<ParamOption>,
    /// The value is split at this separator into a JSON array of strings.
    pub list_separator: Option<String>,
    /// The value that leaves the field out of the request ("from the Quality preset").
    pub unset: Option<f64>,
}

/// The type of a param's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    String,
    Bool,
    Int,
    Float,
    Enum,
}

/// One choice of an enum param.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamOption {
    pub value: String,
    pub label: String,
}

impl Manifest {
    /// The embedded neutral manifest.
    pub fn embedded() -> Result<Manifest> {
        serde_json::from_str(NEUTRAL_MANIFEST)
            .map_err(|e| Error::InvalidInput(format!("plugin-manifest/clipvg.json is malformed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Action, Request};

    #[test]
    fn every_param_is_a_request_field_and_its_default_is_valid() {
        let manifest = Manifest::embedded().unwrap();
        assert_eq!(manifest.abi_version, crate::plugin::ABI_VERSION);
        for action in &manifest.actions {
            Action::from_name(&action.action).unwrap();
            let mut request = serde_json::Map::new();
            for p in action.params.iter().filter(|p| p.unset.is_none_or(|u| p.default.as_f64() != Some(u))) {
                let value = match (&p.list_separator, &p.default) {
                    (Some(sep), serde_json::Value::String(s)) => {
                        s.split(sep.as_str()).map(serde_json::Value::from).collect()
                    }
                    (_, v) => v.clone(),
                };
                request.insert(p.name.clone(), value);
            }
            let json = serde_json::Value::Object(request).to_string();
            Request::from_json(&json).unwrap_or_else(|e| panic!("{}: {e}", action.id));
        }
    }
}
