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

    /// The GPU backend was asked for and cannot be used: the device choice's error.
    #[error(transparent)]
    GpuUnavailable(#[from] crate::compute::ComputeError),

    /// The GPU failed while running (device lost, out of memory, ...), caught as a panic of the
    /// GPU stack or found by the engine; a failure the rasterizer reports is [`Error::Raster`].
    #[error("GPU error: {0}")]
    Gpu(String),

    /// The rasterizer failed on the GPU (device lost, out of memory, a shader error): its
    /// [`clipvg_raster::RasterError::Gpu`], kept as it is. (Its other errors become
    /// [`Error::InvalidInput`], [`Error::Limit`] and [`Error::GpuUnavailable`].)
    #[error(transparent)]
    Raster(clipvg_raster::RasterError),

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

    /// The result could not be written back into the document safely (checked, never output):
    /// what the check found, with the element at fault.
    #[error("cannot write the result back: {0}")]
    WriteBack(clipvg_document::WriteBackFault),

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

impl From<clipvg_raster::RasterError> for Error {
    fn from(e: clipvg_raster::RasterError) -> Self {
        use clipvg_raster::RasterError as R;
        match e {
            R::InvalidInput(m) => Error::InvalidInput(m),
            e @ R::Gpu(_) => Error::Raster(e),
            R::Limit(l) => Error::Limit(l),
            R::Compute(c) => Error::GpuUnavailable(c),
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
            D::WriteBack(fault) => Error::WriteBack(fault),
        }
    }
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::compute::ComputeError;
    use clipvg_raster::RasterError;

    #[test]
    fn typed_causes_are_kept_with_the_same_texts() {
        let e = Error::from(RasterError::Gpu("device lost".into()));
        assert!(matches!(&e, Error::Raster(RasterError::Gpu(m)) if m == "device lost"), "{e:?}");
        assert_eq!(e.to_string(), "GPU error: device lost");

        let e = Error::from(RasterError::Compute(ComputeError::NoGpuAdapter));
        assert!(matches!(e, Error::GpuUnavailable(ComputeError::NoGpuAdapter)), "{e:?}");
        assert_eq!(e.to_string(), ComputeError::NoGpuAdapter.to_string());
        assert!(e.to_string().starts_with("--backend gpu: no GPU adapter found"), "{e}");

        let fault = clipvg_document::WriteBackFault::Overlap { at: 3 };
        let e = Error::from(clipvg_document::Error::WriteBack(fault.clone()));
        assert!(matches!(&e, Error::WriteBack(f) if *f == fault), "{e:?}");
        assert_eq!(
            e.to_string(),
            "cannot write the result back: two changes overlap at byte 3 of the document; nothing was written"
        );

        let e = Error::from(clipvg_document::Error::io("out.svg", std::io::Error::other("disk full")));
        assert!(matches!(&e, Error::Io { .. }) && e.source().is_some(), "{e:?}");
    }
}
