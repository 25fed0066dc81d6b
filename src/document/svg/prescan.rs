//! A linear pre-scan of the SVG text for what the XML parser would let grow without bound.
//!
//! `roxmltree` expands internal DTD entities as it parses (its loop detector allows 10 levels
//! of 255 references each: far more than memory), and it checks an element's attributes for
//! duplicates pairwise (quadratic in the attributes of one element). Neither can be
//! interrupted. So before it runs, this scan
//!
//! * reads the internal subset of the `<!DOCTYPE>`, computes the **expanded** length of every
//!   internal entity from its declaration (iteratively, memoised, saturating; a reference loop
//!   counts nothing here and is reported by the parser), adds up the expansion of every
//!   reference in the document body, and refuses it over `limits.entity_bytes` — a billion
//!   laughs costs microseconds, not gigabytes;
//! * counts the attributes of every start tag (including those written inside entity values)
//!   and refuses one over `limits.attributes`.
//!
//! Everything here is one pass over the bytes, no recursion, no allocation proportional to
//! anything but the number of entity declarations.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::limits::{LimitExceeded, Limits};
use crate::progress::Ticker;

/// Runs the checks (see the module docs).
// Long on purpose: one linear byte scan; its arms share the position, the namespace scopes and the running budgets.
pub(super) fn check(source: &str, limits: &Limits, ticker: &mut Ticker<'_, '_>) -> Result<()> {
    let bytes = source.as_bytes();
    let total = bytes.len().max(1) as f32;
    let (entities, body_start) = internal_entities(bytes);
    let expanded = expanded_sizes(&entities);
    let by_name: HashMap<&[u8], usize> = {
        let mut m = HashMap::new();
        for (i, e) in entities.iter().enumerate() {
            m.entry(e.name).or_insert(i); // the first declaration binds, as XML says
        }
        m
    };
    let mut entity_bytes: u64 = 0;
    let mut namespace_work: u64 = 0;
    let mut scopes = Scopes::default();
    let mut steps: u64 = 0;
    let mut i = 0;
    while i < bytes.len() {
        steps += 1;
        if steps.is_multiple_of(65536) {
            ticker.tick(65536, || 0.25 * (i as f32 / total))?;
        }
        match bytes[i] {
            b'&' if i >= body_start && !by_name.is_empty() => {
                if let Some((name, next)) = reference_at(bytes, i)
                    && let Some(&k) = by_name.get(name)
                {
                    let e = expanded[k];
                    entity_bytes = entity_bytes.saturating_add(e.bytes);
                    // Its elements may declare namespaces, nested in any way: at most
                    // (in scope + its declarations)² for each of its declarations, and a
                    // lookup in that many bindings for each name.
                    let k2 = (scopes.in_scope() as u64).saturating_add(e.xmlns);
                    namespace_work = namespace_work.saturating_add(e.xmlns.saturating_mul(k2.saturating_mul(k2)));
                    if k2 > FREE_BINDINGS {
                        namespace_work = namespace_work.saturating_add(e.names.saturating_mul(k2));
                    }
                    i = next;
                    continue;
                }
                i += 1;
            }
            b'<' => {
                let rest = &bytes[i..];
                if rest.starts_with(b"<!--") {
                    i = skip_past(bytes, i + 4, b"-->");
                } else if rest.starts_with(b"<![CDATA[") {
                    i = skip_past(bytes, i + 9, b"]]>");
                } else if rest.starts_with(b"<?") {
                    i = skip_past(bytes, i + 2, b"?>");
                } else if rest.len() > 1 && rest[1] == b'/' {
                    if i >= body_start {
                        scopes.close();
                    }
                    i = skip_past(bytes, i, b">");
                } else if rest.len() > 1 && is_name_start(rest[1]) {
                    let tag = scan_tag(bytes, i + 1);
                    if tag.attributes > limits.attributes {
                        return Err(Error::Limit(LimitExceeded {
                            field: "attributes",
                            what: "attributes on one element",
                            needed: tag.attributes,
                            limit: limits.attributes,
                        }));
                    }
                    if i >= body_start {
                        // References in attribute values expand too.
                        if !by_name.is_empty() {
                            let mut j = i;
                            while j < tag.next {
                                if bytes[j] == b'&'
                                    && let Some((name, after)) = reference_at(bytes, j)
                                {
                                    if let Some(&k) = by_name.get(name) {
                                        entity_bytes = entity_bytes.saturating_add(expanded[k].bytes);
                                    }
                                    j = after;
                                } else {
                                    j += 1;
                                }
                            }
                        }
                        let k = (scopes.in_scope() + tag.prefixes.len()) as u64;
                        if !tag.prefixes.is_empty() {
                            // roxmltree copies the bindings in scope into a new list, checking
                            // each against the list: quadratic in the bindings.
                            namespace_work = namespace_work.saturating_add(k.saturating_mul(k));
                        }
                        if k > FREE_BINDINGS {
                            // Then it looks the tag's and each prefixed attribute's prefix up
                            // in that list, one by one.
                            namespace_work = namespace_work.saturating_add(k.saturating_mul(1 + tag.prefixed));
                        }
                        if !tag.self_closing {
                            scopes.open(tag.prefixes);
                        }
                    }
                    if namespace_work > limits.namespaces {
                        break;
                    }
                    i = tag.next;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    Limits::check("entity_bytes", "bytes of expanded DTD entities", entity_bytes, limits.entity_bytes)
        .map_err(Error::Limit)?;
    Limits::check(
        "namespaces",
        "steps of namespace resolution (bindings in scope², per element declaring namespaces, and per name looked up among many bindings)",
        namespace_work,
        limits.namespaces,
    )
    .map_err(Error::Limit)
}

/// Bindings in scope up to which name lookups are not counted: below this, the parser's
/// lookups are a small constant factor on its linear work.
const FREE_BINDINGS: u64 = 32;

/// The namespace prefixes in scope while scanning the body (distinct prefixes, as roxmltree
/// keeps them).
#[derive(Default)]
struct Scopes<'a> {
    /// Per open element, how many prefixes it declared.
    open: Vec<usize>,
    /// The declared prefixes, in document order of the open elements.
    declared: Vec<&'a [u8]>,
    /// How many open declarations each prefix has.
    counts: HashMap<&'a [u8], u32>,
}

impl<'a> Scopes<'a> {
    fn in_scope(&self) -> usize {
        self.counts.len()
    }

    fn open(&mut self, prefixes: Vec<&'a [u8]>) {
        self.open.push(prefixes.len());
        for p in prefixes {
            *self.counts.entry(p).or_insert(0) += 1;
            self.declared.push(p);
        }
    }

    fn close(&mut self) {
        let Some(n) = self.open.pop() else { return };
        for _ in 0..n {
            let Some(p) = self.declared.pop() else { return };
            if let Some(c) = self.counts.get_mut(p) {
                *c -= 1;
                if *c == 0 {
                    self.counts.remove(p);
                }
            }
        }
    }
}

/// What [`scan_tag`] found in a start tag.
struct Tag<'a> {
    attributes: u64,
    /// Index after the tag's `>`.
    next: usize,
    self_closing: bool,
    /// Attributes with a namespace prefix (other than `xml:` and `xmlns:`).
    prefixed: u64,
    /// Prefixes of its namespace declarations (`b""` for `xmlns=`).
    prefixes: Vec<&'a [u8]>,
}

/// Reads a start tag from just after `<`: its attributes (quotes honoured) and namespace
/// declarations. Malformed input ends the tag early; the parser will refuse it.
fn scan_tag(bytes: &[u8], from: usize) -> Tag<'_> {
    let mut tag = Tag { attributes: 0, next: bytes.len(), self_closing: false, prefixed: 0, prefixes: Vec::new() };
    let mut i = from;
    while i < bytes.len() && is_name_char(bytes[i]) {
        i += 1;
    }
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let Some(&b) = bytes.get(i) else { return tag };
        match b {
            b'>' => {
                tag.next = i + 1;
                return tag;
            }
            b'/' if bytes.get(i + 1) == Some(&b'>') => {
                tag.next = i + 2;
                tag.self_closing = true;
                return tag;
            }
            b'<' => {
                tag.next = i;
                return tag;
            }
            _ => {}
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'>' | b'/' | b'<') {
            i += 1;
        }
        let name = &bytes[name_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            if i == name_start {
                i += 1; // a stray character: step over it
            }
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if let Some(&q) = bytes.get(i).filter(|&&q| q == b'"' || q == b'\'') {
            i = bytes[i + 1..].iter().position(|&c| c == q).map_or(bytes.len(), |p| i + 1 + p + 1);
        }
        tag.attributes += 1;
        if name == b"xmlns" {
            tag.prefixes.push(b"");
        } else if let Some(prefix) = name.strip_prefix(b"xmlns:") {
            tag.prefixes.push(prefix);
        } else if name.contains(&b':') && !name.starts_with(b"xml:") {
            tag.prefixed += 1;
        }
    }
}

/// One `<!ENTITY name "value">` of the internal subset.
#[derive(Debug)]
struct Entity<'a> {
    name: &'a [u8],
    value: &'a [u8],
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

fn is_name_char(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit() || b == b'-' || b == b'.'
}

/// Index just past the first `pattern` at or after `from` (the end if none).
fn skip_past(bytes: &[u8], from: usize, pattern: &[u8]) -> usize {
    let from = from.min(bytes.len());
    bytes[from..].windows(pattern.len()).position(|w| w == pattern).map_or(bytes.len(), |p| from + p + pattern.len())
}

/// `&name;` at `at`: the name and the index after `;`. Character references give `None`.
fn reference_at(bytes: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let start = at + 1;
    let mut end = start;
    while end < bytes.len() && is_name_char(bytes[end]) {
        end += 1;
    }
    (end > start && bytes.get(end) == Some(&b';') && is_name_start(bytes[start])).then(|| (&bytes[start..end], end + 1))
}

/// The internal entities of the DOCTYPE (if any) and the index where the body starts (after
/// the DOCTYPE; 0 if there is none).
// Long on purpose: a hand-written scanner of the prolog and internal subset; every step moves the same cursor.
fn internal_entities(bytes: &[u8]) -> (Vec<Entity<'_>>, usize) {
    let mut out = Vec::new();
    // Prolog: whitespace, XML declaration, comments and PIs, then maybe `<!DOCTYPE`.
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &bytes[i.min(bytes.len())..];
        if rest.starts_with(b"\xEF\xBB\xBF") {
            i += 3;
        } else if rest.starts_with(b"<?") {
            i = skip_past(bytes, i + 2, b"?>");
        } else if rest.starts_with(b"<!--") {
            i = skip_past(bytes, i + 4, b"-->");
        } else if rest.starts_with(b"<!DOCTYPE") {
            break;
        } else {
            return (out, 0);
        }
    }
    // Up to `[` (the external id may hold quoted strings) or `>` (no internal subset).
    i += b"<!DOCTYPE".len();
    i = match find_unquoted(bytes, i, b"[>") {
        Some(k) if bytes[k] == b'>' => return (out, k + 1),
        Some(k) => k + 1,
        None => bytes.len() + 1,
    };
    // The internal subset, up to `]`, tokenized as roxmltree does (its grammar decides which
    // entities exist): whitespace, `<!ENTITY` (general and parameter entities alike: roxmltree
    // makes both referable as `&name;`), comments, PIs, and `<!ELEMENT`/`<!ATTLIST`/`<!NOTATION`
    // up to the first `>` (quotes not honoured). Anything else is an error there, so the scan
    // stops.
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= bytes.len() {
            return (out, bytes.len());
        }
        let rest = &bytes[i..];
        if rest[0] == b']' {
            return (out, skip_past(bytes, i, b">"));
        } else if rest.starts_with(b"<!--") {
            i = skip_past(bytes, i + 4, b"-->");
        } else if rest.starts_with(b"<?") {
            i = skip_past(bytes, i + 2, b"?>");
        } else if rest.starts_with(b"<!ENTITY") {
            i += b"<!ENTITY".len();
            skip_ws(&mut i);
            if bytes.get(i) == Some(&b'%') {
                i += 1;
                skip_ws(&mut i);
            }
            let name_start = i;
            while i < bytes.len() && is_name_char(bytes[i]) {
                i += 1;
            }
            let name = &bytes[name_start..i];
            skip_ws(&mut i);
            if let Some(&q) = bytes.get(i).filter(|&&q| q == b'"' || q == b'\'') {
                let value_start = i + 1;
                let value_end = bytes[value_start.min(bytes.len())..]
                    .iter()
                    .position(|&b| b == q)
                    .map_or(bytes.len(), |p| value_start + p);
                if !name.is_empty() {
                    out.push(Entity { name, value: &bytes[value_start.min(value_end)..value_end] });
                }
                i = value_end + 1;
                skip_ws(&mut i);
                if bytes.get(i) != Some(&b'>') {
                    return (out, bytes.len()); // the parser refuses it
                }
                i += 1;
            } else {
                // An external entity: never loaded, so never expanded.
                i = skip_declaration(bytes, i);
            }
        } else if rest.starts_with(b"<!ELEMENT") || rest.starts_with(b"<!ATTLIST") || rest.starts_with(b"<!NOTATION") {
            i = skip_past(bytes, i, b">");
        } else {
            return (out, bytes.len()); // the parser refuses it
        }
    }
}

/// Index after the `>` that ends a markup declaration, quotes honoured.
fn skip_declaration(bytes: &[u8], from: usize) -> usize {
    find_unquoted(bytes, from, b">").map_or(from.max(bytes.len()), |k| k + 1)
}

/// Index of the first byte of `stops` at or after `from` that is outside a `"…"` or `'…'` literal.
fn find_unquoted(bytes: &[u8], from: usize, stops: &[u8]) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if stops.contains(&b) => return Some(i),
            None => {}
        }
    }
    None
}

/// What an entity expands to: bytes of text, namespace declarations (every `xmlns` in it) and
/// names the parser resolves (every `<` and `:`) — over-counts, never under.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Size {
    bytes: u64,
    xmlns: u64,
    names: u64,
}

impl Size {
    fn of_literal(value: &[u8]) -> Size {
        let xmlns = value.windows(5).filter(|w| *w == b"xmlns").count() as u64;
        let names = value.iter().filter(|&&b| b == b'<' || b == b':').count() as u64;
        Size { bytes: value.len() as u64, xmlns, names }
    }

    fn add(&mut self, other: Size) {
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.xmlns = self.xmlns.saturating_add(other.xmlns);
        self.names = self.names.saturating_add(other.names);
    }
}

/// Expanded size of every entity: its literal plus the expanded size of every entity it
/// references. Iterative depth-first with memo; a reference back into the current chain (a
/// loop, which the parser refuses) adds nothing.
fn expanded_sizes(entities: &[Entity<'_>]) -> Vec<Size> {
    let mut by_name: HashMap<&[u8], usize> = HashMap::new();
    for (i, e) in entities.iter().enumerate() {
        by_name.entry(e.name).or_insert(i);
    }
    let refs: Vec<Vec<usize>> = entities
        .iter()
        .map(|e| {
            let mut r = Vec::new();
            let mut i = 0;
            while i < e.value.len() {
                if e.value[i] == b'&'
                    && let Some((name, next)) = reference_at(e.value, i)
                {
                    if let Some(&k) = by_name.get(name) {
                        r.push(k);
                    }
                    i = next;
                } else {
                    i += 1;
                }
            }
            r
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut state = vec![State::New; entities.len()];
    let mut size = vec![Size::default(); entities.len()];
    for start in 0..entities.len() {
        if state[start] != State::New {
            continue;
        }
        // (entity, next reference to visit)
        let mut stack = vec![(start, 0usize)];
        state[start] = State::Open;
        size[start] = Size::of_literal(entities[start].value);
        while let Some(&mut (e, ref mut next)) = stack.last_mut() {
            if let Some(&r) = refs[e].get(*next) {
                *next += 1;
                match state[r] {
                    State::Done => {
                        let s = size[r];
                        size[e].add(s);
                    }
                    State::Open => {} // a loop: the parser refuses it
                    State::New => {
                        state[r] = State::Open;
                        size[r] = Size::of_literal(entities[r].value);
                        stack.push((r, 0));
                    }
                }
            } else {
                state[e] = State::Done;
                stack.pop();
                if let Some(&(parent, _)) = stack.last() {
                    let s = size[e];
                    size[parent].add(s);
                }
            }
        }
    }
    size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_entities_are_measured_without_expanding() {
        let src = br#"<?xml version="1.0"?><!DOCTYPE svg [
          <!-- a comment with <!ENTITY fake "x"> -->
          <!ENTITY a "0123456789">
          <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
          <!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>
          <!ENTITY % p "&c;">
          <!ATTLIST svg x CDATA "ab">
        ]><svg/>"#;
        let (entities, body) = internal_entities(src);
        assert_eq!(entities.iter().map(|e| e.name).collect::<Vec<_>>(), [&b"a"[..], b"b", b"c", b"p"]);
        assert!(src[body..].starts_with(b"<svg/>"));
        let len: Vec<u64> = expanded_sizes(&entities).iter().map(|s| s.bytes).collect();
        assert_eq!(len[0], 10);
        assert_eq!(len[1], 10 * 10 + 30);
        assert_eq!(len[2], 10 * 130 + 30);
        assert_eq!(len[3], 3 + len[2]);
    }

    #[test]
    fn tags_are_read_with_quotes_and_namespaces() {
        let t = scan_tag(b"<g a=\"1=2\" xmlns:p='x>y' xmlns=\"\">rest", 1);
        assert_eq!((t.attributes, t.next, t.self_closing), (3, 34, false));
        assert_eq!(t.prefixes, [&b"p"[..], b""]);
        let t = scan_tag(b"<rect x='1'/>", 1);
        assert_eq!((t.attributes, t.next, t.self_closing), (1, 13, true));
    }
}
