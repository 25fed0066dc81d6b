//! Write-back as splices into the original text.
//!
//! An [`Editor`] collects changes per element (set or remove an attribute, set a property inside
//! the `style` attribute, rename the tag, replace the whole element, insert a new first child)
//! and [`Editor::finish`] turns them into byte splices. Everything outside the touched attribute
//! values, tag names, replaced elements and inserted children is copied byte for byte.
//!
//! [`Editor::finish_checked`] is what write-back uses: splices cannot be trusted blindly,
//! because an element's text may not be its own (an element expanded from a DTD entity has the
//! entity's declaration as its text, shared by every reference; two edits of it overlap). So it
//! refuses edits of such elements up front, refuses overlapping splices, and re-parses the
//! result to check it: well-formed, every element it did not edit still there with its tag name
//! and attributes byte-identical, every edited element still there with its id. A refused edit
//! is an [`Error::FromEntity`], a result that does not parse an [`Error::EditedUnparsable`], any
//! other failed check an [`Error::WriteBack`]; none is output.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use super::document::{Document, ElementId};
use super::style::parse_declarations;
use crate::error::{ElementProblem, Error, Result, WriteBackFault};
use crate::limits::Limits;
use crate::progress::no_progress;

#[derive(Default, Debug)]
struct ElementEdit {
    rename: Option<String>,
    /// Plain attributes to set, in the order first set (last value wins).
    set: Vec<(String, String)>,
    remove: Vec<String>,
    /// `style` properties to set (last value wins), and whether as `!important`.
    style_set: Vec<(String, String, bool)>,
    /// New markup for the whole element (start tag to end tag); other edits of it are moot.
    replace: Option<String>,
}

/// Accumulates changes to a [`Document`] and produces the new text.
pub struct Editor<'a> {
    doc: &'a Document,
    edits: BTreeMap<ElementId, ElementEdit>,
    /// New empty elements (their markup) to insert before the first child of an element, in
    /// the order asked for. Kept apart from `edits`: the parent's own tag stays untouched.
    inserts: Vec<(ElementId, String)>,
}

impl<'a> Editor<'a> {
    /// An editor with no changes.
    pub fn new(doc: &'a Document) -> Self {
        Editor { doc, edits: BTreeMap::new(), inserts: Vec::new() }
    }

    /// Whether any change was recorded.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty() && self.inserts.is_empty()
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
    /// A declaration that was `!important` stays important.
    pub fn set_style_property(&mut self, el: ElementId, property: &str, value: impl Into<String>) {
        self.set_style(el, property, value.into(), false);
    }

    /// [`set_style_property`](Self::set_style_property) as an `!important` declaration, which
    /// beats `!important` rules of style sheets too.
    pub(crate) fn set_style_property_important(&mut self, el: ElementId, property: &str, value: impl Into<String>) {
        self.set_style(el, property, value.into(), true);
    }

    fn set_style(&mut self, el: ElementId, property: &str, value: String, important: bool) {
        let e = self.edits.entry(el).or_default();
        match e.style_set.iter_mut().find(|(n, ..)| n == property) {
            Some(slot) => *slot = (property.to_string(), value, important),
            None => e.style_set.push((property.to_string(), value, important)),
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

    /// Inserts a new empty element `<name a="v" .../>` right after the start tag of `parent`,
    /// before its first child (and before any whitespace or comment there). The tag gets the
    /// namespace prefix `parent` was written with (`svg:`); attribute values are escaped here.
    /// Several inserts into one element appear in the order of the calls. An empty `parent`
    /// (`<g/>`) cannot take one: [`finish_checked`](Self::finish_checked) refuses it
    /// ([`ElementProblem::NoContent`]) and [`finish`](Self::finish) leaves it out.
    pub fn insert_first_child(&mut self, parent: ElementId, name: &str, attributes: &[(&str, &str)]) {
        let prefix = self.doc.element(parent).tag_prefix(self.doc.source());
        let mut markup = format!("<{prefix}{name}");
        for (n, v) in attributes {
            markup.push_str(&format!(" {n}=\"{}\"", escape_attr(v, '"')));
        }
        markup.push_str("/>");
        self.inserts.push((parent, markup));
    }

    /// Applies every change and returns the new document text, unchecked (overlapping
    /// changes are clamped). Prefer [`finish_checked`](Self::finish_checked).
    pub fn finish(self) -> String {
        let splices = self.splices();
        apply(self.doc.source(), &splices).0
    }

    /// Applies every change, then verifies the result (see the module docs): an edit of an
    /// element that is not one plain element of the file, overlapping changes, or a result
    /// that fails the check give an error naming the element ([`Error::FromEntity`],
    /// [`Error::EditedUnparsable`], [`Error::WriteBack`]).
    pub fn finish_checked(self) -> Result<String> {
        let doc = self.doc;
        for id in self.edits.keys().chain(self.inserts.iter().map(|(p, _)| p)) {
            if doc.element(*id).is_from_entity() {
                return Err(Error::FromEntity { element: doc.describe(*id), in_selection: false });
            }
        }
        if let Some(&(parent, _)) = self.inserts.iter().find(|(p, _)| doc.start_tag_end(*p).is_none()) {
            return Err(element_fault(doc, parent, ElementProblem::NoContent));
        }
        let splices = self.splices();
        let (out, overlap) = apply(doc.source(), &splices);
        if let Some(at) = overlap {
            return Err(Error::WriteBack(WriteBackFault::Overlap { at }));
        }
        self.verify(&out, &splices)?;
        Ok(out)
    }

    /// Re-parses `out` and compares it with the original (see the module docs).
    // Long on purpose: the offset map, the index of new elements and the comparison are one check over shared state.
    fn verify(&self, out: &str, splices: &[(Range<usize>, String)]) -> Result<()> {
        let doc = self.doc;
        let src = doc.source();
        // The result has the structure of a document already accepted within the caller's
        // limits; only edited values differ, so it is re-read without them.
        let unlimited = Limits {
            document_bytes: u64::MAX,
            nodes: u64::MAX,
            depth: u64::MAX,
            attributes: u64::MAX,
            namespaces: u64::MAX,
            entity_bytes: u64::MAX,
            ..Limits::default()
        };
        let new = Document::parse_with(out, &unlimited, &mut no_progress())
            .map_err(|e| Error::EditedUnparsable(Box::new(e)))?;
        let new_src = new.source();
        // Old offset → new offset, for offsets outside every splice.
        let mut ends = Vec::with_capacity(splices.len());
        let mut shift = Vec::with_capacity(splices.len() + 1);
        shift.push(0i64);
        for (r, text) in splices {
            ends.push(r.end);
            let d = text.len() as i64 - r.len() as i64;
            shift.push(shift.last().copied().unwrap_or(0) + d);
        }
        let map = |p: usize| -> usize {
            let k = ends.partition_point(|&e| e <= p);
            (p as i64 + shift[k]) as usize
        };
        let mut at: HashMap<usize, ElementId> = HashMap::with_capacity(new.len());
        for id in new.element_ids() {
            at.entry(new.element(id).range.start).or_insert(id);
        }
        let replaced: Vec<Range<usize>> = self
            .edits
            .iter()
            .filter(|(_, e)| e.replace.is_some())
            .map(|(&id, _)| doc.element(id).range.clone())
            .collect();
        let mut skip_until = 0usize; // element index: inside a replaced subtree
        for id in doc.element_ids() {
            if id.index() < skip_until {
                continue;
            }
            let el = doc.element(id);
            if replaced.contains(&el.range) {
                skip_until = doc.subtree_end(id);
                continue;
            }
            let fail = |problem| Err(element_fault(doc, id, problem));
            let Some(&nid) = at.get(&map(el.range.start)) else { return fail(ElementProblem::Missing) };
            let ne = new.element(nid);
            match self.edits.get(&id) {
                Some(_) => {
                    if el.id().is_some() && ne.id() != el.id() {
                        return fail(ElementProblem::LostId);
                    }
                }
                None => {
                    let same = src[el.name_range.clone()] == new_src[ne.name_range.clone()]
                        && el.attributes.len() == ne.attributes.len()
                        && el
                            .attributes
                            .iter()
                            .zip(&ne.attributes)
                            .all(|(a, b)| src[a.range.clone()] == new_src[b.range.clone()]);
                    if !same {
                        return fail(ElementProblem::ChangedUnedited);
                    }
                }
            }
        }
        Ok(())
    }

    /// The byte splices of every change, sorted by position.
    fn splices(&self) -> Vec<(Range<usize>, String)> {
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
                let existing = el.attributes.iter().find(|a| a.namespace.is_none() && &a.name == name);
                match existing {
                    Some(a) => {
                        splices.push((a.value_range.clone(), escape_attr(value, quote_of(src, a.value_range.start))))
                    }
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
        for (parent, markup) in &self.inserts {
            if let Some(at) = self.doc.start_tag_end(*parent)
                && !inside(&self.doc.element(*parent).range, true)
            {
                splices.push((at..at, markup.clone()));
            }
        }
        // Stable: inserts at one place stay in the order they were asked for.
        splices.sort_by_key(|(r, _)| (r.start, r.end));
        splices
    }
}

/// The [`Error::WriteBack`] for `problem` with element `id` of `doc`.
fn element_fault(doc: &Document, id: ElementId, problem: ElementProblem) -> Error {
    let (id_attr, described) = (doc.element(id).id().map(str::to_string), doc.describe(id));
    Error::WriteBack(WriteBackFault::Element { id: id_attr, described, problem })
}

/// Applies sorted splices to `src`; also returns where the first overlap was, if any (the
/// overlapping part is then clamped).
fn apply(src: &str, splices: &[(Range<usize>, String)]) -> (String, Option<usize>) {
    let mut out = String::with_capacity(src.len() + splices.iter().map(|s| s.1.len()).sum::<usize>());
    let mut pos = 0;
    let mut overlap = None;
    for (range, text) in splices {
        if range.start < pos && overlap.is_none() {
            overlap = Some(range.start);
        }
        let start = range.start.max(pos);
        out.push_str(&src[pos..start]);
        out.push_str(text);
        pos = range.end.max(pos);
    }
    out.push_str(&src[pos..]);
    (out, overlap)
}

/// The quote character that opens the value starting at `value_start`.
fn quote_of(src: &str, value_start: usize) -> char {
    if value_start > 0 && src.as_bytes()[value_start - 1] == b'\'' { '\'' } else { '"' }
}

/// Escapes a value for an attribute delimited by `quote`.
pub fn escape_attr(value: &str, quote: char) -> String {
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

/// Rewrites a `style` attribute with some properties replaced or appended. `!important` is kept
/// on the declarations that had it (a replaced value included) and added where asked for.
fn merge_style(old: &str, set: &[(String, String, bool)]) -> String {
    let mut decls: Vec<(String, String, bool)> =
        parse_declarations(old).into_iter().map(|d| (d.name, d.value, d.important)).collect();
    for (name, value, important) in set {
        match decls.iter_mut().find(|(n, ..)| n == name) {
            Some(slot) => {
                slot.1 = value.clone();
                slot.2 |= *important;
            }
            None => decls.push((name.clone(), value.clone(), *important)),
        }
    }
    decls
        .iter()
        .map(|(n, v, important)| if *important { format!("{n}:{v} !important") } else { format!("{n}:{v}") })
        .collect::<Vec<_>>()
        .join(";")
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
    fn a_first_child_is_inserted_right_after_the_start_tag() {
        let doc = Document::parse(SRC).unwrap();
        let mut ed = Editor::new(&doc);
        ed.insert_first_child(doc.root(), "path", &[("id", "new"), ("d", "M0 0H1Z"), ("data-q", "a\"<&")]);
        ed.insert_first_child(doc.root(), "g", &[]);
        ed.set_attribute(doc.by_id("c").unwrap(), "r", "2");
        let out = ed.finish_checked().unwrap();
        assert_eq!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><path id=\"new\" d=\"M0 0H1Z\" data-q=\"a&quot;&lt;&amp;\"/><g/>\n  <!-- keep me -->\n  <rect id=\"r\" x='1' y=\"2\" width=\"3\" height=\"4\" style=\"fill:red;stroke : blue\"></rect>\n  <circle id=\"c\" r=\"2\"/>\n</svg>\n"
        );
        let re = Document::parse(out).unwrap();
        assert_eq!(re.element(re.by_id("new").unwrap()).attr("data-q"), Some("a\"<&"));
        // The parent's namespace prefix is kept.
        let doc = Document::parse("<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\"><svg:g/></svg:svg>").unwrap();
        let mut ed = Editor::new(&doc);
        ed.insert_first_child(doc.root(), "path", &[("id", "p")]);
        let re = Document::parse(ed.finish_checked().unwrap()).unwrap();
        assert_eq!(re.element(re.by_id("p").unwrap()).namespace.as_deref(), Some("http://www.w3.org/2000/svg"));
        // An empty element has no content to insert into.
        let doc = Document::parse("<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
        let mut ed = Editor::new(&doc);
        ed.insert_first_child(doc.root(), "path", &[]);
        match ed.finish_checked() {
            Err(Error::WriteBack(WriteBackFault::Element { problem: ElementProblem::NoContent, .. })) => {}
            other => panic!("expected a refusal, got {other:?}"),
        }
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
