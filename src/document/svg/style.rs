//! Styling: the CSS cascade of `<style>` rules, the `style` attribute and presentation
//! attributes, then inheritance down the tree.
//!
//! Order of precedence (lowest first), as in SVG 1.1/2: presentation attribute < CSS rule (by
//! specificity, then source order) < `style` attribute < `!important` CSS < `!important` style.
//! Every specified value remembers where it came from ([`Origin`]) so that write-back can put a
//! new colour back in the same place.

use std::cell::Cell;

use serde::Serialize;

use super::document::{Document, ElementId};
use crate::error::{Error, Result};
use crate::limits::{LimitExceeded, Limits};
use crate::progress::{Observer, Stage, Ticker, no_progress};

/// Selectors with more compound parts than this are skipped: `simplecss` matches them by
/// recursion (one level per part) with backtracking over ancestors, so their stack and time
/// would grow with the input. Real style sheets use a handful.
pub const MAX_SELECTOR_PARTS: usize = 32;

/// One `name: value` declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct Declaration {
    pub name: String,
    pub value: String,
    pub important: bool,
}

/// Parses the content of a `style` attribute.
pub fn parse_declarations(style: &str) -> Vec<Declaration> {
    simplecss::DeclarationTokenizer::from(style)
        .map(|d| Declaration { name: d.name.to_string(), value: d.value.trim().to_string(), important: d.important })
        .collect()
}

/// Where an element's own value of a property was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A presentation attribute (`fill="red"`).
    Attribute,
    /// A declaration in the `style` attribute.
    Style,
    /// A rule of a `<style>` sheet (e.g. a class).
    Css,
}

/// A specified value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Specified {
    pub value: String,
    pub origin: Origin,
}

/// The properties we read. Anything else is left to the document.
pub const PROPERTIES: &[&str] = &[
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-opacity",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "opacity",
    "display",
    "visibility",
    "color",
    "stop-color",
    "stop-opacity",
    "clip-path",
    "mask",
    "filter",
    "marker-start",
    "marker-mid",
    "marker-end",
    "marker",
    "vector-effect",
    "paint-order",
    "transform",
];

/// Specified (not yet inherited) values of every element.
#[derive(Clone, Debug, Default)]
pub struct Styles {
    /// Per element: property, value, whether the winning declaration was `!important`.
    per_element: Vec<Vec<(&'static str, Specified, bool)>>,
}

impl Styles {
    /// Runs the cascade for every element of `doc`, within the default [`Limits`]. A style
    /// sheet over the CSS budget is left out (its rules do not apply); use
    /// [`compute_with`](Self::compute_with) to get the error instead.
    pub fn compute(doc: &Document) -> Styles {
        match Self::compute_with(doc, &Limits::default(), &mut no_progress()) {
            Ok(s) => s,
            Err(_) => Self::compute_with(doc, &Limits { css_matches: 0, ..Limits::default() }, &mut no_progress())
                .unwrap_or_default(),
        }
    }

    /// Runs the cascade within `limits.css_matches` (rules × elements, checked before any
    /// matching, and every step of selector matching counted against the same budget, so a
    /// backtracking selector cannot run away), reporting [`Stage::Style`] progress.
    /// With `css_matches == 0` the style sheets are ignored rather than refused.
    pub fn compute_with(doc: &Document, limits: &Limits, observer: &mut Observer<'_>) -> Result<Styles> {
        let mut ticker = Ticker::new(observer, Stage::Style);
        Self::compute_ticking(doc, limits, &mut ticker)
    }

    pub(crate) fn compute_ticking(doc: &Document, limits: &Limits, ticker: &mut Ticker<'_, '_>) -> Result<Styles> {
        Self::compute_renamed(doc, limits, ticker, &[])
    }

    /// The cascade as it will be once each element of `renamed` (sorted by id) is a `path`
    /// without the given (geometry) attributes: what write-back's `rect` → `path` does to
    /// which style-sheet selectors match.
    pub(crate) fn compute_renamed(
        doc: &Document,
        limits: &Limits,
        ticker: &mut Ticker<'_, '_>,
        renamed: &[(ElementId, &[&str])],
    ) -> Result<Styles> {
        ticker.stage(Stage::Style)?;
        let css = author_css(doc);
        let sheet = author_sheet(&css, limits, ticker)?;
        let total = doc.len() as u64;
        let planned = (sheet.rules.len() as u64).saturating_mul(total);
        if !sheet.rules.is_empty() {
            Limits::check("css_matches", "style rule × element matches", planned, limits.css_matches)
                .map_err(Error::Limit)?;
        }
        let work = Cell::new(0u64);
        let budget = limits.css_matches;
        let mut per_element = Vec::with_capacity(doc.len());
        for id in doc.element_ids() {
            let el = doc.element(id);
            ticker.tick(1 + sheet.rules.len() as u64, || id.index() as f32 / total.max(1) as f32)?;
            // (priority, value): larger priority wins; equal priority → later wins.
            let mut slots: Vec<(&'static str, u8, Specified)> = Vec::new();
            let mut put = |name: &str, value: &str, prio: u8, origin: Origin| {
                let Some(&prop) = PROPERTIES.iter().find(|p| **p == name) else { return };
                let spec = Specified { value: value.trim().to_string(), origin };
                match slots.iter_mut().find(|s| s.0 == prop) {
                    Some(slot) if slot.1 <= prio => *slot = (prop, prio, spec),
                    Some(_) => {}
                    None => slots.push((prop, prio, spec)),
                }
            };
            for a in el.attributes.iter().filter(|a| a.namespace.is_none()) {
                if a.name != "style" && a.name != "transform" {
                    put(&a.name, &a.value, 0, Origin::Attribute);
                }
            }
            if !sheet.rules.is_empty() {
                let handle = CssElement { doc, id, work: &work, budget, renamed };
                for rule in &sheet.rules {
                    work.set(work.get().saturating_add(1));
                    if rule.selector.matches(&handle) {
                        for d in &rule.declarations {
                            put(d.name, d.value, if d.important { 3 } else { 1 }, Origin::Css);
                        }
                    }
                }
                if work.get() > budget {
                    return Err(Error::Limit(LimitExceeded {
                        field: "css_matches",
                        what: "style rule × element matches (counting each ancestor a selector visits)",
                        needed: work.get(),
                        limit: budget,
                    }));
                }
            }
            if let Some(style) = el.attr("style") {
                for d in parse_declarations(style) {
                    put(&d.name, &d.value, if d.important { 4 } else { 2 }, Origin::Style);
                }
            }
            per_element.push(slots.into_iter().map(|(p, prio, s)| (p, s, prio >= 3)).collect());
        }
        Ok(Styles { per_element })
    }

    /// The element's own specified value of `property`, if any.
    pub fn get(&self, el: ElementId, property: &str) -> Option<&Specified> {
        self.per_element.get(el.index())?.iter().find(|(p, ..)| *p == property).map(|(_, s, _)| s)
    }

    /// Whether the element's own value of `property` won the cascade as an `!important`
    /// declaration (of a style sheet or of its `style` attribute): a new value must then be
    /// written as an important inline declaration to take effect.
    pub(crate) fn is_important(&self, el: ElementId, property: &str) -> bool {
        self.per_element
            .get(el.index())
            .and_then(|v| v.iter().find(|(p, ..)| *p == property))
            .is_some_and(|(.., important)| *important)
    }

    /// The element's own value, treating `inherit` as absent.
    pub fn own(&self, el: ElementId, property: &str) -> Option<&Specified> {
        self.get(el, property).filter(|s| s.value != "inherit")
    }

    /// The inherited value: the element's own, else the nearest ancestor's, with the element it
    /// was found on.
    pub fn inherited<'a>(
        &'a self,
        doc: &Document,
        el: ElementId,
        property: &str,
    ) -> Option<(ElementId, &'a Specified)> {
        let mut cur = Some(el);
        while let Some(c) = cur {
            if let Some(s) = self.own(c, property) {
                return Some((c, s));
            }
            cur = doc.element(c).parent;
        }
        None
    }
}
/// The text of the document's CSS style sheets: every `<style>` of type CSS, in document order.
fn author_css(doc: &Document) -> String {
    doc.element_ids()
        .filter(|&e| {
            let el = doc.element(e);
            el.name == "style"
                && el.is_svg()
                && el.attr("type").is_none_or(|t| t.trim().is_empty() || t.trim() == "text/css")
        })
        .map(|e| doc.element(e).text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rules of `css` ([`author_css`]), less those with selectors of too many parts; none when
/// `css_matches` is 0.
fn author_sheet<'a>(css: &'a str, limits: &Limits, ticker: &mut Ticker<'_, '_>) -> Result<simplecss::StyleSheet<'a>> {
    let mut sheet = if limits.css_matches == 0 { simplecss::StyleSheet::new() } else { parse_sheet(css, ticker)? };
    // Over-counts the parts (a combinator character inside an attribute selector's value
    // counts too); that only errs on the side of skipping.
    sheet.rules.retain(|r| {
        let text = r.selector.to_string();
        text.bytes().filter(|&b| b == b' ' || b == b'>' || b == b'+').count() < MAX_SELECTOR_PARTS
    });
    Ok(sheet)
}

/// Parses a style sheet rule by rule. `simplecss` computes a line/column (by scanning from the
/// start of its text) for every recoverable error, and a rule without a final `;` is one, so
/// one `parse` of a whole sheet is quadratic in its size (100,000 rules: minutes). Each rule
/// is therefore parsed on its own slice, and the rules are then sorted by specificity with a
/// stable sort, which keeps source order among equals exactly as one `parse` would.
fn parse_sheet<'a>(css: &'a str, ticker: &mut Ticker<'_, '_>) -> Result<simplecss::StyleSheet<'a>> {
    let mut rules = Vec::new();
    let bytes = css.as_bytes();
    let total = bytes.len().max(1) as f32;
    let (mut start, mut depth, mut i) = (0usize, 0usize, 0usize);
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == b'\\' {
                i += 1;
            } else if b == q {
                quote = None;
            }
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i = css[i + 2..].find("*/").map_or(bytes.len(), |p| i + 2 + p + 1);
        } else {
            match b {
                b'"' | b'\'' => quote = Some(b),
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        rules.extend(simplecss::StyleSheet::parse(&css[start..=i]).rules);
                        start = i + 1;
                        ticker.tick(1, || i as f32 / total)?;
                    }
                }
                b';' if depth == 0 => {
                    rules.extend(simplecss::StyleSheet::parse(&css[start..=i]).rules);
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if start < bytes.len() {
        rules.extend(simplecss::StyleSheet::parse(&css[start..]).rules);
    }
    rules.sort_by_cached_key(|r| r.selector.specificity());
    Ok(simplecss::StyleSheet { rules })
}

/// Adapter that lets simplecss match selectors against our elements.
#[derive(Clone, Copy)]
///
/// Every step to a parent or sibling is counted in `work`; past `budget` there are no more
/// parents or siblings, so matching ends at once (and the caller reports the limit).
struct CssElement<'a> {
    doc: &'a Document,
    id: ElementId,
    work: &'a Cell<u64>,
    budget: u64,
    /// Elements matched as `path`s without these attributes (see [`Styles::compute_renamed`]).
    renamed: &'a [(ElementId, &'a [&'a str])],
}

impl CssElement<'_> {
    fn renamed(&self) -> Option<&[&str]> {
        self.renamed.binary_search_by_key(&self.id, |r| r.0).ok().map(|i| self.renamed[i].1)
    }

    fn step(&self) -> bool {
        let w = self.work.get().saturating_add(1);
        self.work.set(w);
        w <= self.budget
    }
}

impl simplecss::Element for CssElement<'_> {
    fn parent_element(&self) -> Option<Self> {
        if !self.step() {
            return None;
        }
        Some(CssElement { id: self.doc.element(self.id).parent?, ..*self })
    }

    fn prev_sibling_element(&self) -> Option<Self> {
        if !self.step() {
            return None;
        }
        Some(CssElement { id: self.doc.prev_sibling(self.id)?, ..*self })
    }

    fn has_local_name(&self, name: &str) -> bool {
        match self.renamed() {
            Some(_) => name == "path",
            None => self.doc.element(self.id).name == name,
        }
    }

    fn attribute_matches(&self, local_name: &str, operator: simplecss::AttributeOperator<'_>) -> bool {
        if self.renamed().is_some_and(|removed| removed.contains(&local_name)) {
            return false;
        }
        match self.doc.element(self.id).attr(local_name) {
            Some(v) if local_name == "class" => match operator {
                // Classes are separated by any whitespace, not only spaces.
                simplecss::AttributeOperator::Contains(c) => v.split_whitespace().any(|s| s == c),
                op => op.matches(v),
            },
            Some(v) => operator.matches(v),
            None => false,
        }
    }

    fn pseudo_class_matches(&self, class: simplecss::PseudoClass<'_>) -> bool {
        match class {
            simplecss::PseudoClass::FirstChild => self.prev_sibling_element().is_none(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cascade_order_and_origins() {
        let src = r#"<svg xmlns="http://www.w3.org/2000/svg">
            <style>.a{fill:#111} #p2{fill:#222} rect{stroke:green} .imp{fill:#333 !important}</style>
            <path id="p1" class="a" fill="red" d="M0 0"/>
            <path id="p2" class="a" d="M0 0"/>
            <path id="p3" class="a" style="fill:blue" d="M0 0"/>
            <path id="p4" class="imp" style="fill:blue" d="M0 0"/>
            <path id="p5" fill="red" d="M0 0"/>
            <g fill="inherit"><rect id="r" width="1" height="1"/></g>
        </svg>"#;
        let doc = Document::parse(src).unwrap();
        let st = Styles::compute(&doc);
        let get = |id: &str| st.get(doc.by_id(id).unwrap(), "fill").cloned();
        assert_eq!(get("p1").unwrap(), Specified { value: "#111".into(), origin: Origin::Css });
        assert_eq!(get("p2").unwrap().value, "#222");
        assert_eq!(get("p3").unwrap(), Specified { value: "blue".into(), origin: Origin::Style });
        assert_eq!(get("p4").unwrap().value, "#333");
        assert_eq!(get("p5").unwrap().origin, Origin::Attribute);
        let r = doc.by_id("r").unwrap();
        assert_eq!(st.get(r, "stroke").unwrap().value, "green");
        assert!(st.inherited(&doc, r, "fill").is_none());
    }

    #[test]
    fn class_lists_with_tabs_match() {
        let src = "<svg xmlns=\"http://www.w3.org/2000/svg\"><style>.b{fill:#0f0}</style><path id=\"p\" class=\"a\tb\" d=\"M0 0\"/></svg>";
        let doc = Document::parse(src).unwrap();
        let st = Styles::compute(&doc);
        assert_eq!(st.get(doc.by_id("p").unwrap(), "fill").unwrap().value, "#0f0");
    }
}
