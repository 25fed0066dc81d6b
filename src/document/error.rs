//! The document stage's error type. Every message is written for the person who ran the command:
//! it names the element or value at fault and, where there is one, the way out.
//!
//! Where an underlying error caused it (a file that cannot be read, XML the parser refuses, an
//! edited document that no longer parses), the variant keeps it as its
//! [`source`](std::error::Error::source); the message also quotes it, so the one-line text stays
//! complete for a reader who does not walk the chain.

use std::path::PathBuf;

/// What can go wrong while reading a document, building its scene or writing changes back.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The input is not well-formed XML (the parser's message is quoted escaped and shortened).
    #[error("the document is not valid XML: {}", crate::message::escape(&.0.to_string(), 300))]
    Xml(#[source] roxmltree::Error),

    /// A file is not UTF-8 text (so not an XML document this crate reads).
    #[error("the document is not valid XML: {} is not UTF-8 text", .path.display())]
    NotUtf8 {
        path: PathBuf,
        #[source]
        source: std::string::FromUtf8Error,
    },

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

    /// An element to be edited is defined inside a DTD entity (`<!ENTITY ...>` in the DOCTYPE):
    /// its text is shared by every reference to the entity, so it cannot be edited by splices.
    /// `element` describes it ([`crate::svg::Document::describe`]); `in_selection`: it was
    /// selected for editing, and the way out includes selecting other elements.
    #[error(
        "cannot write the result back: {element} is defined inside a DTD entity (<!ENTITY ...> in the DOCTYPE), so its text is shared by every reference to the entity and cannot be edited in place; replace the entity reference by the element itself in the file{}",
        if *.in_selection { ", or select other elements" } else { "" }
    )]
    FromEntity { element: String, in_selection: bool },

    /// The edited document text does not parse again (the check of write-back found a bug);
    /// nothing was output.
    #[error("cannot write the result back: the edited document does not parse ({0}); nothing was written")]
    EditedUnparsable(#[source] Box<Error>),

    /// The result cannot be written back into the document text safely: the new text failed
    /// its check ([`WriteBackFault`]: changes overlap, an untouched element changed, an edited
    /// id lost). Nothing was output.
    #[error("cannot write the result back: {0}")]
    WriteBack(WriteBackFault),

    /// A parameter array handed to write-back does not fit the scene it came from.
    #[error("parameter mismatch: {0}")]
    ParamMismatch(String),
}

/// What write-back's check of its own result found ([`Error::WriteBack`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteBackFault {
    /// Two changes overlap at byte `at` of the original text.
    #[error("two changes overlap at byte {at} of the document; nothing was written")]
    Overlap { at: usize },

    /// An element of the original document is wrong in the edited text.
    #[error("checking the edited document: {described} {problem}; nothing was written")]
    Element {
        /// The element's `id` attribute, if it has one.
        id: Option<String>,
        /// The element as messages name it ([`crate::svg::Document::describe`]).
        described: String,
        /// What is wrong with it.
        problem: ElementProblem,
    },
}

/// What is wrong with one element of the edited text ([`WriteBackFault::Element`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ElementProblem {
    /// It is not in the edited text any more.
    #[error("is missing")]
    Missing,
    /// It was edited and lost its `id` attribute.
    #[error("lost its id")]
    LostId,
    /// It was not edited, yet its tag name or attributes changed.
    #[error("changed although it was not edited")]
    ChangedUnedited,
    /// A child was to be inserted into it, but it is an empty element (`<g/>`).
    #[error("has no content to insert a child into")]
    NoContent,
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
    use crate::svg::{Document, Editor};

    #[test]
    fn underlying_errors_are_kept_as_sources() {
        let e = Document::parse("<svg><g></svg>").unwrap_err();
        assert!(matches!(e, Error::Xml(_)) && e.source().is_some(), "{e:?}");
        assert_eq!(e.to_string(), "the document is not valid XML: expected 'g' tag, not 'svg' at 1:9");

        let path = std::env::temp_dir().join(format!("clipvg-document-not-utf8-{}.svg", std::process::id()));
        std::fs::write(&path, b"<svg>\xff</svg>").unwrap();
        let e = Document::open(&path).unwrap_err();
        let _ = std::fs::remove_file(&path);
        assert!(matches!(e, Error::NotUtf8 { .. }) && e.source().is_some(), "{e:?}");
        assert_eq!(e.to_string(), format!("the document is not valid XML: {} is not UTF-8 text", path.display()));

        let doc = Document::parse(r#"<svg><rect id="a"/></svg>"#).unwrap();
        let mut ed = Editor::new(&doc);
        ed.replace_element(doc.by_id("a").unwrap(), "<g><rect></g>");
        let e = ed.finish_checked().unwrap_err();
        assert!(matches!(e.source(), Some(s) if s.to_string().starts_with("the document is not valid XML")), "{e:?}");
        assert!(e.to_string().starts_with("cannot write the result back: the edited document does not parse ("), "{e}");
    }
}
