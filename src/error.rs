//! The crate's one error type. Every message is written for the person who ran the command:
//! it names the file, element or value at fault and, where there is one, the way out.

use std::path::PathBuf;

/// Everything that can go wrong in clipvg, as a user would want to read it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    /// The XML is fine but it is not an SVG document (wrong root, unusable size, ...).
    #[error("not a usable SVG document: {0}")]
    NotSvg(String),

    /// A selected id does not name an element of the document.
    #[error("no element with id \"{}\" in the document", crate::plugin::guard::echo(.0))]
    UnknownId(String),

    /// The selection is empty or selects nothing that can be edited.
    #[error("{0}")]
    EmptySelection(String),

    /// A request or argument is invalid (bad number, empty prompt, ROI outside the canvas, ...).
    #[error("{0}")]
    InvalidInput(String),

    /// A parameter array handed to write-back does not fit the scene it came from.
    #[error("parameter mismatch: {0}")]
    ParamMismatch(String),

    /// An image could not be decoded or encoded.
    #[error("image {path}: {message}")]
    Image { path: PathBuf, message: String },

    /// The GPU backend was asked for and cannot be used.
    #[error("{0}")]
    GpuUnavailable(String),

    /// The GPU failed while running (device lost, out of memory, ...).
    #[error("GPU error: {0}")]
    Gpu(String),

    /// Loading or running CLIP failed (weights, tokenizer, images).
    #[error(transparent)]
    Clip(#[from] crate::clip::ClipError),

    /// The document cannot be read (not XML, not UTF-8) or an edit of it cannot be written back
    /// (shapes defined inside a DTD entity; edited text that does not parse again): the
    /// document crate's error, with its cause.
    #[error(transparent)]
    Document(clipvg_document::Error),

    /// A budget of [`clipvg_document::Limits`] would be exceeded.
    #[error("{0}")]
    Limit(clipvg_document::LimitExceeded),

    /// The result could not be written back into the document safely (checked, never output).
    #[error("cannot write the result back: {0}")]
    WriteBack(String),

    /// The run was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,

    /// The engine is already running an action (a call from its own progress callback, or from
    /// another thread); it never waits.
    #[error(
        "this engine is busy with another run (a call from its progress callback or another thread): wait until it returns, or use a second engine"
    )]
    Busy,

    /// A bug in clipvg: a caught panic, or a state the code believed impossible.
    #[error("{}", crate::plugin::guard::internal_message(.0))]
    Internal(String),
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<crate::compute::ComputeError> for Error {
    fn from(e: crate::compute::ComputeError) -> Self {
        Error::GpuUnavailable(e.to_string())
    }
}

impl From<clipvg_raster::RasterError> for Error {
    fn from(e: clipvg_raster::RasterError) -> Self {
        use clipvg_raster::RasterError as R;
        match e {
            R::InvalidInput(m) => Error::InvalidInput(m),
            R::Gpu(m) => Error::Gpu(m),
            R::Limit(l) => Error::Limit(l),
            R::Compute(c) => c.into(),
        }
    }
}

impl From<clipvg_document::Error> for Error {
    fn from(e: clipvg_document::Error) -> Self {
        use clipvg_document::Error as D;
        match e {
            D::Io { path, source } => Error::Io { path, source },
            e @ (D::Xml(_) | D::NotUtf8 { .. } | D::FromEntity { .. } | D::EditedUnparsable(_)) => Error::Document(e),
            D::NotSvg(m) => Error::NotSvg(m),
            D::UnknownId(m) => Error::UnknownId(m),
            D::EmptySelection(m) => Error::EmptySelection(m),
            D::ParamMismatch(m) => Error::ParamMismatch(m),
            D::Limit(l) => Error::Limit(l),
            D::Cancelled => Error::Cancelled,
            D::WriteBack(m) => Error::WriteBack(m),
        }
    }
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
