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

/// Runs both checks (see the module docs).
pub(super) fn check(source: &str, limits: &Limits, ticker: &mut Ticker<'_, '_>) -> Result<()> {
    let bytes = source.as_bytes();
    let total = bytes.len().max(1) as f32;
    let (entities, body_start) = internal_entities(bytes);
    let expanded = expanded_lengths(&entities);
    let by_name: HashMap<&[u8], usize> = {
        let mut m = HashMap::new();
        for (i, e) in entities.iter().enumerate() {
            m.entry(e.name).or_insert(i); // the first declaration binds, as XML says
        }
        m
    };
    let mut entity_bytes: u64 = 0;
    let mut max_attributes: u64 = 0;
    let mut i = 0;
    while i < bytes.len() {
        if i % 65536 == 0 {
            ticker.tick(65536, || 0.25 * (i as f32 / total))?;
        }
        match bytes[i] {
            b'&' if i >= body_start && !by_name.is_empty() => {
                if let Some((name, next)) = reference_at(bytes, i)
                    && let Some(&k) = by_name.get(name)
                {
                    entity_bytes = entity_bytes.saturating_add(expanded[k]);
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
                } else if rest.len() > 1 && is_name_start(rest[1]) {
                    let (count, next) = count_attributes(bytes, i + 1);
                    max_attributes = max_attributes.max(count);
                    // References in attribute values expand too.
                    if i >= body_start && !by_name.is_empty() {
                        let mut j = i;
                        while j < next {
                            if bytes[j] == b'&'
                                && let Some((name, after)) = reference_at(bytes, j)
                            {
                                if let Some(&k) = by_name.get(name) {
                                    entity_bytes = entity_bytes.saturating_add(expanded[k]);
                                }
                                j = after;
                            } else {
                                j += 1;
                            }
                        }
                    }
                    if count > limits.attributes {
                        return Err(Error::Limit(LimitExceeded {
                            field: "attributes",
                            what: "attributes on one element",
                            needed: count,
                            limit: limits.attributes,
                        }));
                    }
                    i = next;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    Limits::check("entity_bytes", "bytes of expanded DTD entities", entity_bytes, limits.entity_bytes)
        .map_err(Error::Limit)
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
    bytes[from..]
        .windows(pattern.len())
        .position(|w| w == pattern)
        .map_or(bytes.len(), |p| from + p + pattern.len())
}

/// `&name;` at `at`: the name and the index after `;`. Character references give `None`.
fn reference_at(bytes: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let start = at + 1;
    let mut end = start;
    while end < bytes.len() && is_name_char(bytes[end]) {
        end += 1;
    }
    (end > start && bytes.get(end) == Some(&b';') && is_name_start(bytes[start]))
        .then(|| (&bytes[start..end], end + 1))
}

/// Counts `=` outside quotes from just after `<` to the closing `>`; returns the count and
/// the index after `>`.
fn count_attributes(bytes: &[u8], from: usize) -> (u64, usize) {
    let mut count = 0u64;
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'=' => count += 1,
                b'>' => return (count, i + 1),
                b'<' => return (count, i), // malformed; the parser will say so
                _ => {}
            },
        }
        i += 1;
    }
    (count, i)
}

/// The internal entities of the DOCTYPE (if any) and the index where the body starts (after
/// the DOCTYPE; 0 if there is none).
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
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'[' => break,
                b'>' => return (out, i + 1),
                _ => {}
            },
        }
        i += 1;
    }
    i += 1;
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
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'>' => return i + 1,
                _ => {}
            },
        }
        i += 1;
    }
    i
}

/// Expanded length of every entity: its literal length plus the expanded length of every
/// entity it references. Iterative depth-first with memo; a reference back into the current
/// chain (a loop, which the parser refuses) adds nothing.
fn expanded_lengths(entities: &[Entity<'_>]) -> Vec<u64> {
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
    let mut len = vec![0u64; entities.len()];
    for start in 0..entities.len() {
        if state[start] != State::New {
            continue;
        }
        // (entity, next reference to visit)
        let mut stack = vec![(start, 0usize)];
        state[start] = State::Open;
        len[start] = entities[start].value.len() as u64;
        while let Some(&mut (e, ref mut next)) = stack.last_mut() {
            if let Some(&r) = refs[e].get(*next) {
                *next += 1;
                match state[r] {
                    State::Done => len[e] = len[e].saturating_add(len[r]),
                    State::Open => {} // a loop: the parser refuses it
                    State::New => {
                        state[r] = State::Open;
                        len[r] = entities[r].value.len() as u64;
                        stack.push((r, 0));
                    }
                }
            } else {
                state[e] = State::Done;
                stack.pop();
                if let Some(&(parent, _)) = stack.last() {
                    len[parent] = len[parent].saturating_add(len[e]);
                }
            }
        }
    }
    len
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
        let len = expanded_lengths(&entities);
        assert_eq!(len[0], 10);
        assert_eq!(len[1], 10 * 10 + 30);
        assert_eq!(len[2], 10 * 130 + 30);
        assert_eq!(len[3], 3 + len[2]);
    }

    #[test]
    fn attributes_are_counted_outside_quotes() {
        assert_eq!(count_attributes(b"g a=\"1=2\" b='x>y' c=\"\">rest", 1), (3, 23));
    }
}
