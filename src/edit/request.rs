//! The engine's edit request: [`clipvg_request::EditRequest`] (the one contract of every front
//! end: the C ABI's JSON, the abi_stable module, `clipvg edit --request FILE`, the command
//! line's flags, the Inkscape shim) with the document crate's budgets. Defaults and ranges come
//! from the one table, [`clipvg_request::fields`].

use crate::error::{Error, Result};

pub use clipvg_request::{BackgroundLayer, CanvasBox, EditMode, Preset, RequestError, Roi};

/// A CLIPVG edit, with [`clipvg_document::Limits`] as its budgets.
pub type EditRequest = clipvg_request::EditRequest<clipvg_document::Limits>;

/// A request error as the engine's error (one sentence naming the field).
pub fn invalid(e: RequestError) -> Error {
    Error::InvalidInput(e.0)
}

/// Parses an edit request from JSON (`clipvg edit --request FILE`), naming the offending field
/// on error, and checks its ranges.
pub fn parse_edit_request(json: &str) -> Result<EditRequest> {
    let request: EditRequest = serde_json::from_str(json).map_err(|e| {
        Error::InvalidInput(format!(
            "invalid edit request: {}",
            clipvg_document::message::bound_quoted(&e.to_string(), '`')
        ))
    })?;
    request.validate().map_err(invalid)?;
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
}
