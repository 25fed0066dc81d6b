//! The part of `clipvg-inkscape` that does not need the plugin library: Inkscape's arguments
//! turned into the action, the selection and the request JSON the shim sends through
//! `clipvg_run`. A library so that tests can produce exactly that JSON (tests/cli/commands.rs checks that
//! `clipvg edit --request FILE` accepts it unchanged).

pub mod args;

use std::path::Path;

/// The request JSON the shim sends for `invocation`. `document_path` is Inkscape's
/// `DOCUMENT_PATH` (the document's real path; the document argument is a temporary copy):
/// relative `<image>` links of `vectorize` resolve against its folder.
pub fn request_json(invocation: &args::Invocation, document_path: Option<&Path>) -> String {
    let mut request = invocation.request.clone();
    if let Some(dir) = document_path.and_then(Path::parent)
        && invocation.action == "vectorize"
        && !dir.as_os_str().is_empty()
    {
        request.insert("base_dir".into(), serde_json::Value::from(dir.to_string_lossy().into_owned()));
    }
    serde_json::Value::Object(request).to_string()
}

/// Whether a run cancelled from the progress window hands its result so far back to Inkscape:
/// the request's `on_cancel` is not "discard" (the default is "keep").
pub fn keeps_cancelled(request: &serde_json::Map<String, serde_json::Value>) -> bool {
    request.get("on_cancel").and_then(serde_json::Value::as_str) != Some("discard")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_cancel_keeps_unless_it_says_discard() {
        let request = |v: serde_json::Value| v.as_object().cloned().unwrap();
        assert!(keeps_cancelled(&request(serde_json::json!({}))));
        assert!(keeps_cancelled(&request(serde_json::json!({"on_cancel": "keep"}))));
        assert!(!keeps_cancelled(&request(serde_json::json!({"on_cancel": "discard"}))));
    }
}
