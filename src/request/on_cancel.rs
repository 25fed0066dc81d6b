//! What a host does with an edit stopped from its progress window (`on_cancel`).

use serde::{Deserialize, Serialize};

use crate::{Named, NamedValue};

/// What a host does with an edit cancelled from its progress window: the engine always returns
/// the last good state on cancel; `keep` applies it, `discard` leaves the document unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnCancel {
    /// Hand the result so far back to the host.
    #[default]
    Keep,
    /// Leave the document as it was.
    Discard,
}

impl Named for OnCancel {
    const VALUES: &'static [NamedValue<Self>] = &[
        NamedValue::new(Self::Keep, "keep", "Apply the result so far"),
        NamedValue::new(Self::Discard, "discard", "Leave the document unchanged"),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_is_the_default_and_the_table_says_so() {
        assert_eq!(OnCancel::default(), OnCancel::Keep);
        assert_eq!(OnCancel::from_name(crate::fields::ON_CANCEL.text()), Some(OnCancel::Keep));
        assert_eq!(OnCancel::from_name("discard"), Some(OnCancel::Discard));
        let v: OnCancel = serde_json::from_str("\"discard\"").unwrap();
        assert_eq!(v, OnCancel::Discard);
    }
}
