//! The lossless document: the original SVG text plus an owned index of its elements.
//!
//! Parsing is done by `roxmltree` (namespaces, entities, DTD), but we keep our own copy of each
//! element with the **byte ranges** of its tag name and attributes in the original text. Writing
//! back is then a set of splices into that text (see [`super::edit`]), so every byte we do not
//! change stays exactly as it was: formatting, comments, namespaced attributes, entity references.

use std::collections::HashMap;
use std::ops::Range;

use crate::error::{Error, Result};
use crate::limits::{LimitExceeded, Limits};
use crate::progress::{Observer, Stage, Ticker, no_progress};

/// The SVG namespace.
pub const SVG_NS: &str = "http://www.w3.org/2000/svg";
/// The XLink namespace (`xlink:href`).
pub const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
/// Inkscape's namespace (`inkscape:label`).
pub const INKSCAPE_NS: &str = "http://www.inkscape.org/namespaces/inkscape";

/// Index of an element in its [`Document`]. Valid only for the document that issued it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ElementId(pub(crate) u32);

impl ElementId {
    /// The position of the element in document order (the root is 0).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One attribute as written in the source.
#[derive(Clone, Debug)]
pub struct Attribute {
    /// Namespace URI, `None` for plain SVG attributes.
    pub namespace: Option<String>,
    /// Local name (`label` for `inkscape:label`).
    pub name: String,
    /// The value with entities expanded.
    pub value: String,
    /// Byte range of `name="value"` in the source.
    pub range: Range<usize>,
    /// Byte range of the value between the quotes.
    pub value_range: Range<usize>,
}

/// One element of the document.
#[derive(Clone, Debug)]
pub struct Element {
    /// Local tag name (`path`, `g`, ...).
    pub name: String,
    /// Namespace URI of the tag.
    pub namespace: Option<String>,
    /// Attributes in source order.
    pub attributes: Vec<Attribute>,
    /// Parent element (`None` for the root).
    pub parent: Option<ElementId>,
    /// Child elements in document order.
    pub children: Vec<ElementId>,
    /// The element's own text (text and CDATA children joined), used for `<style>`.
    pub text: String,
    /// Byte range of the tag name in the start tag.
    pub(crate) name_range: Range<usize>,
    /// Byte range of the tag name in the end tag, if the element is not self-closing.
    pub(crate) end_name_range: Option<Range<usize>>,
    /// Where a new attribute is inserted: just after the last attribute (or the tag name).
    pub(crate) attr_insert_at: usize,
    /// Byte range of the whole element, start tag to end tag.
    pub(crate) range: Range<usize>,
    /// One past the index of the last descendant: the subtree is `self..subtree_end`
    /// (elements are in document order).
    pub(crate) subtree_end: u32,
    /// Position among the parent's element children.
    pub(crate) sibling_index: u32,
    /// Whether the element's text lies outside one plain element of the file (it came from
    /// expanding a DTD entity): its ranges point into the entity's declaration.
    pub(crate) from_entity: bool,
}

impl Element {
    /// Whether this is an SVG element (or an element in no namespace, which lenient files have).
    pub fn is_svg(&self) -> bool {
        matches!(self.namespace.as_deref(), None | Some(SVG_NS))
    }

    /// The value of a plain (no-namespace) attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|a| a.namespace.is_none() && a.name == name).map(|a| a.value.as_str())
    }

    /// The value of a namespaced attribute.
    pub fn attr_ns(&self, namespace: &str, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.as_deref() == Some(namespace) && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// `href` or `xlink:href`, whichever is present (SVG 2 prefers the plain one).
    pub fn href(&self) -> Option<&str> {
        self.attr("href").or_else(|| self.attr_ns(XLINK_NS, "href"))
    }

    /// The element's `id`.
    pub fn id(&self) -> Option<&str> {
        self.attr("id")
    }

    /// Byte range of the whole element in the source, from `<` of its start tag to `>` of its
    /// end tag.
    pub fn source_range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// Whether the element was produced by expanding an internal DTD entity (its text is the
    /// entity's declaration, shared by every reference), so it cannot be edited by splices.
    pub fn is_from_entity(&self) -> bool {
        self.from_entity
    }

    /// The namespace prefix its tag was written with, colon included (`"svg:"`), or `""`.
    pub fn tag_prefix<'s>(&self, source: &'s str) -> &'s str {
        let name = &source[self.name_range.clone()];
        match name.find(':') {
            Some(i) => &name[..=i],
            None => "",
        }
    }
}

/// A parsed SVG document that remembers its source text.
#[derive(Clone, Debug)]
pub struct Document {
    source: String,
    elements: Vec<Element>,
    ids: HashMap<String, ElementId>,
}

impl Document {
    /// Parses SVG text with the default [`Limits`] and no progress reports. Fails on malformed
    /// XML, a root that is not `<svg>`, or a document over a limit.
    pub fn parse(source: impl Into<String>) -> Result<Self> {
        Self::parse_with(source, &Limits::default(), &mut no_progress())
    }

    /// Parses SVG text within `limits`, reporting [`Stage::Parse`] progress to `observer`
    /// (which may cancel).
    ///
    /// Before the XML parser runs, one linear pre-scan of the text checks what the parser
    /// itself would let grow without bound: the expanded size of internal DTD entities
    /// (`entity_bytes`, computed from the declarations, so an entity bomb is refused before
    /// anything is expanded) and the attributes of one element (`attributes`). The parser
    /// then stops at `nodes`; indexing is one iterative pass that stops at `depth`.
    pub fn parse_with(source: impl Into<String>, limits: &Limits, observer: &mut Observer<'_>) -> Result<Self> {
        let source = source.into();
        let mut ticker = Ticker::new(observer, Stage::Parse);
        ticker.report(0.0)?;
        Limits::check("document_bytes", "bytes of SVG text", source.len() as u64, limits.document_bytes)
            .map_err(Error::Limit)?;
        super::prescan::check(&source, limits, &mut ticker)?;
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            nodes_limit: u32::try_from(limits.nodes).unwrap_or(u32::MAX),
            ..Default::default()
        };
        let tree = roxmltree::Document::parse_with_options(&source, options).map_err(|e| match e {
            roxmltree::Error::NodesLimitReached => Error::Limit(LimitExceeded {
                field: "nodes",
                what: "XML nodes",
                needed: limits.nodes.saturating_add(1),
                limit: limits.nodes,
            }),
            e => Error::Xml(e),
        })?;
        ticker.report(0.5)?;
        let root = tree.root_element();
        if root.tag_name().name() != "svg" {
            return Err(Error::NotSvg(format!(
                "the root element is <{}>, not <svg>",
                crate::message::escape(root.tag_name().name(), 64)
            )));
        }
        let elements = collect(&source, root, limits, &mut ticker)?;
        drop(tree);
        let mut ids = HashMap::new();
        for (i, el) in elements.iter().enumerate() {
            if let Some(id) = el.id() {
                // The first element with an id wins, as in browsers.
                ids.entry(id.to_string()).or_insert(ElementId(i as u32));
            }
        }
        ticker.report(1.0)?;
        Ok(Document { source, elements, ids })
    }

    /// Reads and parses a file with the default [`Limits`].
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Self> {
        Self::open_with(path, &Limits::default(), &mut no_progress())
    }

    /// Reads and parses a file within `limits` (a file over `document_bytes` is refused before
    /// it is read), reporting progress to `observer`.
    pub fn open_with(path: impl AsRef<std::path::Path>, limits: &Limits, observer: &mut Observer<'_>) -> Result<Self> {
        let path = path.as_ref();
        if let Ok(meta) = std::fs::metadata(path) {
            Limits::check("document_bytes", "bytes of SVG text", meta.len(), limits.document_bytes)
                .map_err(Error::Limit)?;
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|source| Error::NotUtf8 { path: path.to_path_buf(), source })?;
        Self::parse_with(text, limits, observer)
    }

    /// The original text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The root `<svg>` element.
    pub fn root(&self) -> ElementId {
        ElementId(0)
    }

    /// Element data by handle.
    pub fn element(&self, id: ElementId) -> &Element {
        &self.elements[id.index()]
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Whether the document has only its root (never empty: the root always exists).
    pub fn is_empty(&self) -> bool {
        self.elements.len() <= 1
    }

    /// All element handles in document order.
    pub fn element_ids(&self) -> impl Iterator<Item = ElementId> + '_ {
        (0..self.elements.len() as u32).map(ElementId)
    }

    /// The element with the given `id` attribute.
    pub fn by_id(&self, id: &str) -> Option<ElementId> {
        self.ids.get(id).copied()
    }

    /// Like [`by_id`](Self::by_id) but an error naming the id when it is unknown.
    pub fn require_id(&self, id: &str) -> Result<ElementId> {
        self.by_id(id).ok_or_else(|| Error::UnknownId(id.to_string()))
    }

    /// Resolves a local IRI reference (`#name` or `url(#name)`).
    pub fn resolve_iri(&self, iri: &str) -> Option<ElementId> {
        let iri = iri.trim();
        let iri = iri.strip_prefix("url(").and_then(|s| s.strip_suffix(')')).unwrap_or(iri);
        let iri = iri.trim().trim_matches(|c| c == '"' || c == '\'');
        self.by_id(iri.strip_prefix('#')?)
    }

    /// Whether `ancestor` is `el` or one of its ancestors.
    pub fn is_ancestor_or_self(&self, ancestor: ElementId, el: ElementId) -> bool {
        // Document order: a subtree is one contiguous run of indices.
        ancestor.0 <= el.0 && el.0 < self.element(ancestor).subtree_end
    }

    /// One past the last descendant of `el`: its subtree is `el.index()..subtree_end(el)`.
    pub fn subtree_end(&self, el: ElementId) -> usize {
        self.element(el).subtree_end as usize
    }

    /// The element just before `el` among its parent's element children.
    pub fn prev_sibling(&self, el: ElementId) -> Option<ElementId> {
        let e = self.element(el);
        let parent = self.element(e.parent?);
        parent.children.get((e.sibling_index as usize).checked_sub(1)?).copied()
    }

    /// `el` and all its descendants, in document order.
    pub fn descendants(&self, el: ElementId) -> Vec<ElementId> {
        let mut out = Vec::new();
        let mut stack = vec![el];
        while let Some(e) = stack.pop() {
            out.push(e);
            stack.extend(self.element(e).children.iter().rev());
        }
        out
    }

    /// Byte offset just after the `>` of an element's start tag (where a first child goes);
    /// `None` for a self-closing element.
    pub fn start_tag_end(&self, id: ElementId) -> Option<usize> {
        let el = self.element(id);
        let rest = &self.source[el.attr_insert_at..];
        let gt = rest.find('>')?;
        if rest[..gt].trim_end().ends_with('/') {
            return None;
        }
        Some(el.attr_insert_at + gt + 1)
    }

    /// A short human label for messages: `<path id="x">` or `<path> #17`.
    /// Input text in it is escaped and shortened (see [`crate::message::escape`]).
    pub fn describe(&self, id: ElementId) -> String {
        use crate::message::escape;
        let el = self.element(id);
        match el.id() {
            Some(i) => format!("<{} id=\"{}\">", escape(&el.name, 64), escape(i, 64)),
            None => format!("<{}> #{}", escape(&el.name, 64), id.0),
        }
    }
}

/// Indexes the element tree in one iterative pre-order pass (no recursion: the depth of the
/// input must not decide the stack the host thread needs), refusing nesting beyond
/// `limits.depth`.
// Long on purpose: one pass builds each element with all its ranges from the same node and the partial output.
fn collect(
    source: &str,
    root: roxmltree::Node<'_, '_>,
    limits: &Limits,
    ticker: &mut Ticker<'_, '_>,
) -> Result<Vec<Element>> {
    let mut out: Vec<Element> = Vec::new();
    let root_start = root.range().start;
    let total = source.len().max(1) as f32;
    // (node, parent, depth of the node)
    let mut stack: Vec<(roxmltree::Node<'_, '_>, Option<ElementId>, u64)> = vec![(root, None, 1)];
    while let Some((node, parent, depth)) = stack.pop() {
        if depth > limits.depth {
            return Err(Error::Limit(LimitExceeded {
                field: "depth",
                what: "levels of nested elements",
                needed: depth,
                limit: limits.depth,
            }));
        }
        let Ok(index) = u32::try_from(out.len()) else {
            return Err(Error::Limit(LimitExceeded {
                field: "nodes",
                what: "elements",
                needed: out.len() as u64,
                limit: limits.nodes,
            }));
        };
        let me = ElementId(index);
        let range = node.range();
        ticker.tick(1, || 0.5 + 0.5 * (range.start as f32 / total))?;
        let from_entity = range.start < root_start
            || parent.is_some_and(|p| {
                let pr = &out[p.index()];
                pr.from_entity || range.start < pr.range.start || range.end > pr.range.end
            });
        let name_start = (range.start + 1).min(source.len());
        let name_len = source[name_start..].find(|c: char| c.is_whitespace() || c == '/' || c == '>').unwrap_or(0);
        let name_range = name_start..name_start + name_len;
        let attributes: Vec<Attribute> = node
            .attributes()
            .map(|a| Attribute {
                namespace: a.namespace().map(str::to_string),
                name: a.name().to_string(),
                value: a.value().to_string(),
                range: a.range(),
                value_range: a.range_value(),
            })
            .collect();
        let attr_insert_at = attributes.iter().map(|a| a.range.end).max().unwrap_or(name_range.end);
        let end_name_range = end_tag_name(source, range.clone(), name_len);
        let text: String = node.children().filter(|c| c.is_text()).filter_map(|c| c.text()).collect();
        let sibling_index = match parent {
            Some(p) => {
                let siblings = &mut out[p.index()].children;
                siblings.push(me);
                (siblings.len() - 1) as u32
            }
            None => 0,
        };
        out.push(Element {
            name: node.tag_name().name().to_string(),
            namespace: node.tag_name().namespace().map(str::to_string),
            attributes,
            parent,
            children: Vec::new(),
            text,
            name_range,
            end_name_range,
            attr_insert_at,
            range,
            subtree_end: index + 1,
            sibling_index,
            from_entity,
        });
        // Reversed, so that popping visits the children in document order.
        let children: Vec<_> = node.children().filter(|c| c.is_element()).collect();
        for child in children.into_iter().rev() {
            stack.push((child, Some(me), depth + 1));
        }
    }
    // Children have larger indices than their parent: one backward pass closes every subtree.
    for i in (0..out.len()).rev() {
        if let Some(&last) = out[i].children.last() {
            out[i].subtree_end = out[last.index()].subtree_end;
        }
    }
    Ok(out)
}

/// Finds the tag name in `</name >` at the end of an element's range; `None` if self-closing.
fn end_tag_name(source: &str, range: Range<usize>, name_len: usize) -> Option<Range<usize>> {
    let text = &source[range.clone()];
    if text.ends_with("/>") && !text[..text.len() - 2].contains('>') {
        return None;
    }
    let close = text.rfind("</")?;
    let start = range.start + close + 2;
    Some(start..start + name_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ranges_and_namespaces() {
        let src = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" xmlns:xlink="http://www.w3.org/1999/xlink"><g inkscape:label="Layer 1" id="g1"><path id="p" d="M0 0L1 1"/><use xlink:href="#p"/></g></svg>"##;
        let doc = Document::parse(src).unwrap();
        let g = doc.by_id("g1").unwrap();
        assert_eq!(doc.element(g).attr_ns(INKSCAPE_NS, "label"), Some("Layer 1"));
        assert_eq!(doc.element(g).attr("label"), None);
        let p = doc.by_id("p").unwrap();
        let el = doc.element(p);
        assert_eq!(&src[el.name_range.clone()], "path");
        assert!(el.end_name_range.is_none());
        let a = &el.attributes[1];
        assert_eq!(&src[a.value_range.clone()], "M0 0L1 1");
        let u = doc.element(g).children[1];
        assert_eq!(doc.element(u).href(), Some("#p"));
        let gel = doc.element(g);
        assert_eq!(&src[gel.end_name_range.clone().unwrap()], "g");
        assert!(src[gel.source_range()].starts_with("<g inkscape:label") && src[gel.source_range()].ends_with("</g>"));
        assert_eq!(&src[el.source_range()], "<path id=\"p\" d=\"M0 0L1 1\"/>");
        assert_eq!(el.tag_prefix(src), "");
    }

    #[test]
    fn rejects_bad_xml_and_non_svg() {
        assert!(matches!(Document::parse("<svg><g></svg>"), Err(Error::Xml(_))));
        assert!(matches!(Document::parse(""), Err(Error::Xml(_))));
        assert!(matches!(Document::parse("<html/>"), Err(Error::NotSvg(_))));
    }

    #[test]
    fn entities_in_dtd_are_expanded() {
        let src = r##"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY ns_svg "http://www.w3.org/2000/svg"><!ENTITY c "#ff0000">]><svg xmlns="&ns_svg;"><rect id="r" fill="&c;" width="1" height="1"/></svg>"##;
        let doc = Document::parse(src).unwrap();
        let r = doc.by_id("r").unwrap();
        assert_eq!(doc.element(r).attr("fill"), Some("#ff0000"));
        assert!(doc.element(r).is_svg());
    }
}
