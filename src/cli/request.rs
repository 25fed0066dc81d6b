//! `--request FILE` of `render` and `vectorize`: a request JSON in the plugin's schema (the
//! clipvg-request crate's type of the action), read whole, unknown fields refused by name.
//! (`clipvg edit --request` reads its file with [`clipvg::edit::parse_edit_request`].)

use std::path::Path;

use clipvg::error::{Error, Result};
use serde::de::DeserializeOwned;

/// The request of `action` in the JSON file at `path`; a field that is not the type's, or a
/// value of the wrong type, is an error naming it (`invalid render request: unknown field ...`).
/// Ranges are checked by the caller, after the command line's values are applied.
pub fn read<T: DeserializeOwned>(path: &Path, action: &str) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::InvalidInput(format!(
            "invalid {action} request: {}",
            clipvg_document::message::bound_quoted(&e.to_string(), '`')
        ))
    })
}
