//! The one error type of the `clip` module. Every message names the file, key or value at fault
//! and, where the fix is in the user's hands, says what to do.

use std::path::PathBuf;

/// What the user types to get the default weights; quoted in the messages below.
pub(crate) const FETCH_HINT: &str = "run `clipvg weights fetch clip-vit-base-patch32` (or another name from `clipvg weights list`) or pass --model PATH to a local HuggingFace CLIP folder";

/// Everything that can go wrong while loading, running or fetching CLIP.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    /// A model folder lacks one of the files a CLIP checkpoint needs.
    #[error("model folder {dir} has no {file}; {FETCH_HINT}")]
    MissingModelFile { dir: PathBuf, file: &'static str },

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `config.json` is not a CLIP config this crate can run.
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },

    /// The weights file is not a readable safetensors container (truncated, corrupt, wrong format).
    #[error("{path} is not a valid safetensors file ({message}); delete it and fetch it again")]
    Safetensors { path: PathBuf, message: String },

    /// A tensor that the config calls for is absent from the weights file.
    #[error(
        "{path} has no tensor `{key}`: the file does not match its config.json (is it a CLIP checkpoint in HuggingFace or OpenCLIP layout?)"
    )]
    MissingTensor { path: PathBuf, key: String },

    /// A tensor's shape disagrees with the config.
    #[error("{path}: tensor `{key}` has shape {found:?}, but config.json implies {expected:?}")]
    ShapeMismatch { path: PathBuf, key: String, expected: Vec<usize>, found: Vec<usize> },

    /// A tensor is stored in a type the loader does not convert.
    #[error("{path}: tensor `{key}` is stored as {dtype}; only F32, F16 and BF16 weights are supported")]
    UnsupportedDtype { path: PathBuf, key: String, dtype: String },

    /// The tokenizer file could not be loaded or used.
    #[error("tokenizer {source_name}: {message}")]
    Tokenizer { source_name: String, message: String },

    /// A prompt with nothing to encode.
    #[error("prompt {index} is empty; give a non-empty --text")]
    EmptyPrompt { index: usize },

    /// Token ids that the text tower cannot embed.
    #[error("token ids: {message}")]
    InvalidTokens { message: String },

    /// An image file that cannot be decoded or preprocessed.
    #[error("image {path}: {message}")]
    Image { path: PathBuf, message: String },

    /// A name that is neither a folder nor a registry entry.
    #[error("`{name}` is neither a model folder nor a known checkpoint (known: {known}); {FETCH_HINT}")]
    UnknownModel { name: String, known: String },

    /// Downloading a checkpoint failed (offline, server error, ...).
    #[error(
        "could not download {url}: {message}\nTo get the weights, run `clipvg weights fetch {name}` when online, or pass --model PATH to a local HuggingFace CLIP folder."
    )]
    Download { name: String, url: String, message: String },

    /// A downloaded or cached file does not have the size or digest the registry pins.
    #[error(
        "{path}: {what} is {found}, the registry expects {expected}; the file was removed, run `clipvg weights fetch {name}` again"
    )]
    Verification { name: String, path: PathBuf, what: &'static str, expected: String, found: String },

    /// The embedded weights registry is malformed (a build defect, caught by the tests).
    #[error("weights registry: {0}")]
    Registry(String),

    /// A tensor could not be read back from the device.
    #[error("reading a tensor back from the device failed: {0}")]
    Backend(String),
}

impl ClipError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ClipError::Io { path: path.into(), source }
    }
}
