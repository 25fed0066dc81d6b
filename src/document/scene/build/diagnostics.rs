//! Diagnostics of a build: what in the document was not understood or is only approximated,
//! recorded escaped, shortened and bounded in number.

use serde::Serialize;

use super::Builder;
use crate::svg::ElementId;

/// Something in the document that was not understood or is only approximated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The element's `id`, if it has one.
    pub id: Option<String>,
    /// Its tag name.
    pub tag: String,
    /// What is wrong, in words.
    pub message: String,
}

/// Most diagnostics one build records (the rest are counted).
pub const MAX_DIAGNOSTICS: usize = 1000;

/// The diagnostics of the root `<svg>` (the canvas warnings), escaped and shortened.
pub(super) fn of_canvas(warnings: Vec<String>) -> Vec<Diagnostic> {
    warnings
        .into_iter()
        .map(|m| Diagnostic { id: None, tag: "svg".into(), message: crate::message::escape(&m, 300) })
        .collect()
}

impl Builder<'_> {
    /// Records a diagnostic. Input text in it is escaped and shortened, and past
    /// [`MAX_DIAGNOSTICS`] they are only counted (one line says how many were left out), so a
    /// document of a million unknown elements cannot make a million messages.
    pub(super) fn report(&mut self, el: ElementId, message: impl Into<String>) {
        use crate::message::escape;
        if self.diagnostics.len() >= MAX_DIAGNOSTICS {
            self.suppressed += 1;
            return;
        }
        let e = self.doc.element(el);
        self.diagnostics.push(Diagnostic {
            id: e.id().map(|i| escape(i, 64)),
            tag: escape(&e.name, 64),
            message: escape(&message.into(), 300),
        });
    }

    /// Ends the list with one line saying how many diagnostics [`Self::report`] left out.
    pub(super) fn report_suppressed(&mut self) {
        if self.suppressed > 0 {
            let message = format!("{} more diagnostics not listed", self.suppressed);
            self.diagnostics.push(Diagnostic { id: None, tag: "svg".into(), message });
        }
    }
}
