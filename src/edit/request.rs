//! The engine's edit request: [`clipvg_request::EditRequest`] (the one contract of every front
//! end: the C ABI's JSON, the abi_stable module, `clipvg edit --request FILE`, the command
//! line's flags, the Inkscape shim) with the document crate's budgets. Defaults and ranges come
//! from the one table, [`clipvg_request::fields`].
//!
//! Presets: a request's `preset` fills the preset's fields ([`clipvg_request::PRESET_FIELDS`])
//! that its JSON left out, so only the JSON's reader can apply it: it notes the keys given
//! ([`PresetFill`]) and applies the preset once the run's backend is known, because `auto`
//! resolves for the device ([`resolve_preset`]): [`parse_edit_request`] at once, for the
//! request's own `backend`; the command line after its `--backend`; the plugin for the request's
//! backend, else the engine's. Planning never changes the request.

use crate::compute::BackendChoice;
use crate::error::{Error, Result};

pub use clipvg_request::{BackgroundLayer, CanvasBox, EditMode, Preset, PresetSettings, RequestError, Roi};

/// A CLIPVG edit, with [`clipvg_document::Limits`] as its budgets.
pub type EditRequest = clipvg_request::EditRequest<clipvg_document::Limits>;

/// A request error as the engine's error (one sentence naming the field).
pub fn invalid(e: RequestError) -> Error {
    Error::InvalidInput(e.0)
}

/// Whether a run on `backend` runs on a hardware GPU (lavapipe, llvmpipe and other software
/// adapters are not): what `auto` asks for the paper's preset. `cpu` never probes the adapters.
pub fn on_hardware_gpu(backend: BackendChoice) -> bool {
    match backend {
        BackendChoice::Cpu => false,
        BackendChoice::Auto | BackendChoice::Gpu => crate::compute::has_hardware_gpu(),
    }
}

/// `preset` with `auto` resolved for a run on `backend`: the paper's on a hardware GPU, else fast.
pub fn resolve_preset(preset: Preset, backend: BackendChoice) -> Preset {
    match preset {
        Preset::Auto => preset.resolve(on_hardware_gpu(backend)),
        other => other,
    }
}

/// Which of a preset's fields a request's JSON gave (under any spelling): the others are the
/// request's `preset`'s to fill.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PresetFill {
    /// Canonical names of the [`clipvg_request::PRESET_FIELDS`] the JSON gave.
    given: Vec<&'static str>,
}

impl PresetFill {
    /// The fill of a JSON object with these keys.
    pub fn of_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> PresetFill {
        let keys: Vec<&str> = keys.into_iter().collect();
        let given = clipvg_request::PRESET_FIELDS
            .iter()
            .filter(|(name, aliases)| keys.iter().any(|k| k == name || aliases.contains(k)))
            .map(|(name, _)| *name)
            .collect();
        PresetFill { given }
    }

    /// Fills the fields not given from `req.preset` (`auto` resolved for `backend`, the backend
    /// the run will use); the preset applied, if the request has one.
    pub fn apply(&self, req: &mut EditRequest, backend: BackendChoice) -> Option<Preset> {
        let preset = resolve_preset(req.preset?, backend);
        req.fill_preset(preset.settings(), |name| self.given.contains(&name));
        Some(preset)
    }
}

/// Parses an edit request from JSON (`clipvg edit --request FILE`), naming the offending field
/// on error, and checks its ranges. Its `preset` is not applied yet: `PresetFill::apply` does
/// that once the run's backend is known.
pub fn parse_edit_request_unfilled(json: &str) -> Result<(EditRequest, PresetFill)> {
    let request: EditRequest = serde_json::from_str(json).map_err(|e| {
        Error::InvalidInput(format!(
            "invalid edit request: {}",
            clipvg_document::message::bound_quoted(&e.to_string(), '`')
        ))
    })?;
    request.validate().map_err(invalid)?;
    let fill = match request.preset {
        // The text parsed as a request, so it is an object.
        Some(_) => serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json)
            .map(|keys| PresetFill::of_keys(keys.keys().map(String::as_str)))
            .unwrap_or_default(),
        None => PresetFill::default(),
    };
    Ok((request, fill))
}

/// Parses an edit request from JSON, naming the offending field on error, and checks its ranges;
/// its `preset` (if any) fills the fields the JSON left out, `auto` resolved for the request's
/// `backend` (`auto` when absent).
pub fn parse_edit_request(json: &str) -> Result<EditRequest> {
    let (mut request, fill) = parse_edit_request_unfilled(json)?;
    let backend = request.backend.unwrap_or_default();
    fill.apply(&mut request, backend);
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_defaults_aliases_and_unknown_fields() {
        let r = parse_edit_request(r#"{"prompt": "a cat", "rois": [{"element": "p1"}], "mode": "color"}"#).unwrap();
        assert_eq!(r.iterations, 150);
        assert_eq!(r.mode, EditMode::Colour);
        assert_eq!(r.rois[0].n_patches, None);
        r.validate_edit().unwrap();
        let e = parse_edit_request(r#"{"prompt": "a", "iteratons": 3}"#).unwrap_err();
        assert!(e.to_string().starts_with("invalid edit request: unknown field `iteratons`"), "{e}");
        let e = parse_edit_request(r#"{"iterations": 0}"#).unwrap_err();
        assert!(e.to_string().starts_with("request field `iterations`"), "{e}");
        // Budgets: any subset raised, the rest at their defaults; unknown names refused.
        let r = parse_edit_request(r#"{"prompt": "a", "limits": {"memory_bytes": 5}}"#).unwrap();
        assert_eq!(r.limits, clipvg_document::Limits { memory_bytes: 5, ..Default::default() });
        assert!(parse_edit_request(r#"{"prompt": "a", "limits": {"memory": 5}}"#).is_err());
    }

    #[test]
    fn a_preset_fills_what_the_json_left_out() {
        // No preset: the table's values, as before presets existed.
        let r = parse_edit_request(r#"{"prompt": "a", "size": 64}"#).unwrap();
        assert_eq!((r.iterations, r.n_patches, r.render_size, r.shape_lr, r.colour_lr), (150, 64, 64, 0.2, 0.01));
        // Fast: every field it sets that the JSON left out, under any spelling.
        let r = parse_edit_request(r#"{"preset": "fast", "size": 64, "color_lr": 0.5, "iterations": 9}"#).unwrap();
        assert_eq!((r.iterations, r.n_patches, r.render_size, r.shape_lr, r.colour_lr), (9, 8, 64, 0.75, 0.5));
        let r = parse_edit_request(r#"{"quality": "paper", "n_patches": 3}"#).unwrap();
        assert_eq!((r.iterations, r.n_patches, r.render_size, r.colour_lr), (150, 3, 512, 0.01));
        // Auto on the CPU backend: fast, without probing any GPU.
        let r = parse_edit_request(r#"{"preset": "auto", "backend": "cpu"}"#).unwrap();
        assert_eq!((r.iterations, r.n_patches, r.render_size, r.preset), (40, 8, 384, Some(Preset::Auto)));
        // Deferred: the front end's backend decides.
        let (mut r, fill) = parse_edit_request_unfilled(r#"{"preset": "draft", "shape_lr": 1}"#).unwrap();
        assert_eq!(r.iterations, 150, "not filled yet");
        assert_eq!(fill.apply(&mut r, BackendChoice::Cpu), Some(Preset::Fast));
        assert_eq!((r.iterations, r.shape_lr), (40, 1.0));
        assert_eq!(resolve_preset(Preset::Auto, BackendChoice::Cpu), Preset::Fast);
        assert_eq!(resolve_preset(Preset::Paper, BackendChoice::Cpu), Preset::Paper);
        let e = parse_edit_request(r#"{"preset": "slow"}"#).unwrap_err().to_string();
        assert!(e.starts_with("invalid edit request: unknown variant `slow`"), "{e}");
    }
}
