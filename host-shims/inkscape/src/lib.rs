//! The part of `clipvg-inkscape` that does not need the plugin library: Inkscape's arguments
//! turned into the action, the selection and the request JSON the shim sends through
//! `clipvg_run`. A library so that tests can produce exactly that JSON (tests/cli.rs checks that
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
