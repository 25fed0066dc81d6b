//! Write-back as splices into the original text.
//!
//! An [`Editor`] collects changes per element (set or remove an attribute, set a property inside
//! the `style` attribute, rename the tag, replace the whole element) and [`Editor::finish`]
//! turns them into byte splices. Everything outside the touched attribute values, tag names and
//! replaced elements is copied byte for byte.

use std::collections::BTreeMap;
use std::ops::Range;

use super::document::{Document, ElementId};
use super::style::parse_declarations;

#[derive(Default, Debug)]
struct ElementEdit {
    rename: Option<String>,
    /// Plain attributes to set, in the order first set (last value wins).
    set: Vec<(String, String)>,
    remove: Vec<String>,
    /// `style` properties to set (last value wins).
    style_set: Vec<(String, String)>,
    /// New markup for the whole element (start tag to end tag); other edits of it are moot.
    replace: Option<String>,
}

/// Accumulates changes to a [`Document`] and produces the new text.
pub struct Editor<'a> {
    doc: &'a Document,
    edits: BTreeMap<ElementId, ElementEdit>,
}

impl<'a> Editor<'a> {
    /// An editor with no changes.
    pub fn new(doc: &'a Document) -> Self {
        Editor { doc, edits: BTreeMap::new() }
    }

    /// Whether any change was recorded.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Sets a plain (no-namespace) attribute, replacing its value or adding it.
    pub fn set_attribute(&mut self, el: ElementId, name: &str, value: impl Into<String>) {
        let e = self.edits.entry(el).or_default();
        e.remove.retain(|n| n != name);
        let value = value.into();
        match e.set.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => e.set.push((name.to_string(), value)),
        }
    }

    /// Removes a plain attribute if present.
    pub fn remove_attribute(&mut self, el: ElementId, name: &str) {
        let e = self.edits.entry(el).or_default();
        e.set.retain(|(n, _)| n != name);
        if !e.remove.iter().any(|n| n == name) {
            e.remove.push(name.to_string());
        }
    }

    /// Sets one property inside the element's `style` attribute, keeping the other declarations.
    pub fn set_style_property(&mut self, el: ElementId, property: &str, value: impl Into<String>) {
        let e = self.edits.entry(el).or_default();
        let value = value.into();
        match e.style_set.iter_mut().find(|(n, _)| n == property) {
            Some(slot) => slot.1 = value,
            None => e.style_set.push((property.to_string(), value)),
        }
    }

    /// Changes the tag name (start and end tag), e.g. `rect` → `path`.
    pub fn rename(&mut self, el: ElementId, new_name: &str) {
        self.edits.entry(el).or_default().rename = Some(new_name.to_string());
    }

    /// Replaces the whole element, from its start tag to its end tag, by `markup` (which the
    /// caller makes well-formed). Edits of the element or of its descendants are dropped.
    pub fn replace_element(&mut self, el: ElementId, markup: impl Into<String>) {
        self.edits.entry(el).or_default().replace = Some(markup.into());
    }

    /// Applies every change and returns the new document text.
    pub fn finish(self) -> String {
        let src = self.doc.source();
        let mut splices: Vec<(Range<usize>, String)> = Vec::new();
        let replaced: Vec<Range<usize>> = self
            .edits
            .iter()
            .filter(|(_, e)| e.replace.is_some())
            .map(|(&id, _)| self.doc.element(id).range.clone())
            .collect();
        // An element inside a replaced one (or replaced itself) has nothing left to edit.
        let inside = |r: &Range<usize>, own: bool| {
            replaced.iter().any(|o| o.start <= r.start && r.end <= o.end && (own || o != r))
        };
        for (&id, edit) in &self.edits {
            let el = self.doc.element(id);
            if let Some(markup) = &edit.replace {
                if !inside(&el.range, false) {
                    splices.push((el.range.clone(), markup.clone()));
                }
                continue;
            }
            if inside(&el.range, true) {
                continue;
            }
            if let Some(name) = &edit.rename {
                let old = &src[el.name_range.clone()];
                // Keep a namespace prefix the tag was written with (`svg:rect` → `svg:path`).
                let new = match old.split_once(':') {
                    Some((prefix, _)) => format!("{prefix}:{name}"),
                    None => name.clone(),
                };
                splices.push((el.name_range.clone(), new.clone()));
                if let Some(r) = &el.end_name_range {
                    splices.push((r.clone(), new));
                }
            }
            let mut set = edit.set.clone();
            if !edit.style_set.is_empty() {
                let old = el.attr("style").unwrap_or("");
                set.retain(|(n, _)| n != "style");
                set.push(("style".into(), merge_style(old, &edit.style_set)));
            }
            let mut appended = String::new();
            for (name, value) in &set {
                let existing =
                    el.attributes.iter().find(|a| a.namespace.is_none() && &a.name == name);
                match existing {
                    Some(a) => splices.push((a.value_range.clone(), escape_attr(value, quote_of(src, a.value_range.start)))),
                    None => {
                        appended.push(' ');
                        appended.push_str(name);
                        appended.push_str("=\"");
                        appended.push_str(&escape_attr(value, '"'));
                        appended.push('"');
                    }
                }
            }
            if !appended.is_empty() {
                splices.push((el.attr_insert_at..el.attr_insert_at, appended));
            }
            for name in &edit.remove {
                if let Some(a) = el.attributes.iter().find(|a| a.namespace.is_none() && &a.name == name) {
                    // Remove the attribute with the whitespace before it.
                    let start = src[..a.range.start].trim_end().len();
                    splices.push((start..a.range.end, String::new()));
                }
            }
        }
        splices.sort_by_key(|(r, _)| (r.start, r.end));
        let mut out = String::with_capacity(src.len() + splices.iter().map(|s| s.1.len()).sum::<usize>());
        let mut pos = 0;
        for (range, text) in splices {
            debug_assert!(range.start >= pos, "overlapping splices");
            let start = range.start.max(pos);
            out.push_str(&src[pos..start]);
            out.push_str(&text);
            pos = range.end.max(pos);
        }
        out.push_str(&src[pos..]);
        out
    }
}

/// The quote character that opens the value starting at `value_start`.
fn quote_of(src: &str, value_start: usize) -> char {
    if value_start > 0 && src.as_bytes()[value_start - 1] == b'\'' { '\'' } else { '"' }
}

/// Escapes a value for an attribute delimited by `quote`.
pub(crate) fn escape_attr(value: &str, quote: char) -> String {
    let mut s = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '"' if quote == '"' => s.push_str("&quot;"),
            '\'' if quote == '\'' => s.push_str("&apos;"),
            _ => s.push(c),
        }
    }
    s
}

/// Rewrites a `style` attribute with some properties replaced or appended.
fn merge_style(old: &str, set: &[(String, String)]) -> String {
    let mut decls: Vec<(String, String)> =
        parse_declarations(old).into_iter().map(|d| (d.name, d.value)).collect();
    for (name, value) in set {
        match decls.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.clone(),
            None => decls.push((name.clone(), value.clone())),
        }
    }
    decls.iter().map(|(n, v)| format!("{n}:{v}")).collect::<Vec<_>>().join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\">\n  <!-- keep me -->\n  <rect id=\"r\" x='1' y=\"2\" width=\"3\" height=\"4\" style=\"fill:red;stroke : blue\"></rect>\n  <circle id=\"c\" r=\"1\"/>\n</svg>\n";

    #[test]
    fn untouched_document_is_identical() {
        let doc = Document::parse(SRC).unwrap();
        assert_eq!(Editor::new(&doc).finish(), SRC);
    }

    #[test]
    fn rename_set_remove_and_style() {
        let doc = Document::parse(SRC).unwrap();
        let r = doc.by_id("r").unwrap();
        let mut ed = Editor::new(&doc);
        ed.rename(r, "path");
        for a in ["x", "y", "width", "height"] {
            ed.remove_attribute(r, a);
        }
        ed.set_attribute(r, "d", "M0 0L1 1Z");
        ed.set_style_property(r, "fill", "#00ff00");
        ed.set_style_property(r, "fill-opacity", "0.5");
        let out = ed.finish();
        assert_eq!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\">\n  <!-- keep me -->\n  <path id=\"r\" style=\"fill:#00ff00;stroke:blue;fill-opacity:0.5\" d=\"M0 0L1 1Z\"></path>\n  <circle id=\"c\" r=\"1\"/>\n</svg>\n"
        );
        let re = Document::parse(out).unwrap();
        assert_eq!(re.element(re.by_id("r").unwrap()).name, "path");
    }

    #[test]
    fn replace_element_keeps_every_other_byte() {
        let doc = Document::parse(SRC).unwrap();
        let (r, c) = (doc.by_id("r").unwrap(), doc.by_id("c").unwrap());
        let mut ed = Editor::new(&doc);
        ed.set_attribute(r, "x", "9"); // moot: the element is replaced
        ed.replace_element(r, "<g id=\"r\"><path d=\"M0 0H1V1Z\"/></g>");
        ed.set_attribute(c, "r", "2");
        let out = ed.finish();
        assert_eq!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\">\n  <!-- keep me -->\n  <g id=\"r\"><path d=\"M0 0H1V1Z\"/></g>\n  <circle id=\"c\" r=\"2\"/>\n</svg>\n"
        );
        // Replacing an ancestor drops the replacement of a descendant.
        let src = "<svg xmlns=\"http://www.w3.org/2000/svg\"><g id=\"g\"><image id=\"i\"/></g></svg>";
        let doc = Document::parse(src).unwrap();
        let mut ed = Editor::new(&doc);
        ed.replace_element(doc.by_id("i").unwrap(), "<rect/>");
        ed.replace_element(doc.by_id("g").unwrap(), "<circle/>");
        assert_eq!(ed.finish(), "<svg xmlns=\"http://www.w3.org/2000/svg\"><circle/></svg>");
    }

    #[test]
    fn values_are_escaped() {
        let doc = Document::parse(SRC).unwrap();
        let c = doc.by_id("c").unwrap();
        let mut ed = Editor::new(&doc);
        ed.set_attribute(c, "data-x", "a\"<&");
        let out = ed.finish();
        let re = Document::parse(out).unwrap();
        assert_eq!(re.element(re.by_id("c").unwrap()).attr("data-x"), Some("a\"<&"));
    }
}
