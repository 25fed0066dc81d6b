//! The document stage's error type. Every message is written for the person who ran the command:
//! it names the element or value at fault and, where there is one, the way out.

/// What can go wrong while reading a document, building its scene or writing changes back.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io { path: std::path::PathBuf, source: std::io::Error },

    /// The input is not well-formed XML.
    #[error("the document is not valid XML: {0}")]
    Xml(String),

    /// The XML is fine but it is not an SVG document (wrong root, unusable size, ...).
    #[error("not a usable SVG document: {0}")]
    NotSvg(String),

    /// A selected id does not name an element of the document.
    #[error("no element with id \"{0}\" in the document")]
    UnknownId(String),

    /// The selection is empty or selects nothing that can be edited.
    #[error("{0}")]
    EmptySelection(String),

    /// A budget of [`crate::Limits`] would be exceeded; nothing was allocated for it.
    #[error("{0}")]
    Limit(crate::LimitExceeded),

    /// The caller cancelled the work through its progress callback.
    #[error("cancelled")]
    Cancelled,

    /// The result cannot be written back into the document text safely: a shape is defined
    /// inside a DTD entity (or elsewhere outside one plain element of the file), or the new
    /// text failed its check (not well-formed, an untouched element changed, an edited id
    /// lost). Nothing was output.
    #[error("cannot write the result back: {0}")]
    WriteBack(String),

    /// A parameter array handed to write-back does not fit the scene it came from.
    #[error("parameter mismatch: {0}")]
    ParamMismatch(String),
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<std::path::PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
