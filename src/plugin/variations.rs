//! One document out of an edit's variations, for hosts that take one document back (Inkscape
//! applies it as one undo step): variation 1 as the edit itself, and each other variation `k`
//! as a hidden group beside the selection (`<g id="clipvg-variation-k" inkscape:label="clipvg
//! variation k" style="display:none">`) holding copies of its edited selected elements, their
//! ids (and their descendants' ids) suffixed `-vk`. Every id is made unique against the
//! document. Everything else is variation 1's text, byte for byte; the changes are splices of
//! [`Editor`], checked by [`Editor::finish_checked`].
//!
//! Where the selection spans several parents, each parent gets its own group per variation
//! (right after its last selected element, so that the copies sit under the same transforms);
//! the groups of one variation share the label.

use std::collections::HashSet;

use super::guard;
use crate::error::{Error, Result};
use crate::svg::{Document, Editor, ElementId, INKSCAPE_NS};
use clipvg_document::Limits;

/// The id of variation `k`'s group (before it is made unique).
pub fn group_id(k: usize) -> String {
    format!("clipvg-variation-{k}")
}

/// The label of variation `k`'s group.
pub fn group_label(k: usize) -> String {
    format!("clipvg variation {k}")
}

/// `first` (variation 1's document) with the selected elements of each of `others` (variations
/// 2, 3, …) beside the selection in hidden groups. `selection`: the ids of the edited elements;
/// those inside another selected element go with it. The documents are read within `limits`.
pub fn compose(first: &str, others: &[&str], selection: &[String], limits: &Limits) -> Result<String> {
    let read = |text: &str| Document::parse_with(text, limits, &mut clipvg_document::no_progress());
    let doc = read(first)?;
    let tops = top_selected(&doc, selection)?;
    let mut taken: HashSet<String> =
        doc.element_ids().filter_map(|e| doc.element(e).id().map(str::to_string)).collect();
    // Per parent: its last selected element (where the groups go) and the selected ids in it.
    let mut parents: Vec<(ElementId, ElementId, Vec<String>)> = Vec::new();
    for &el in &tops {
        let parent = doc.element(el).parent.unwrap_or(el);
        let id = doc.element(el).id().unwrap_or_default().to_string();
        match parents.iter_mut().find(|p| p.0 == parent) {
            Some(p) => {
                p.1 = el;
                p.2.push(id);
            }
            None => parents.push((parent, el, vec![id])),
        }
    }
    let mut after: Vec<String> = vec![String::new(); parents.len()];
    for (i, other) in others.iter().enumerate() {
        let k = i + 2;
        let renamed = with_suffixed_ids(&read(other)?, &tops_ids(&doc, &tops), k, &mut taken)?;
        let vdoc = read(&renamed.0)?;
        for (p, (_, anchor, ids)) in parents.iter().enumerate() {
            let mut copies = String::new();
            for id in ids {
                let copy = renamed.1.iter().find(|(old, _)| old == id).and_then(|(_, new)| vdoc.by_id(new));
                let copy = copy.filter(|&el| !vdoc.element(el).is_from_entity()).ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "could not copy variation {k} of \"{}\" beside the selection",
                        guard::echo(id)
                    ))
                })?;
                copies.push_str(&vdoc.source()[vdoc.element(copy).source_range()]);
            }
            after[p].push_str(&group_markup(&doc, *anchor, k, &unique(&group_id(k), &mut taken), &copies));
        }
    }
    let mut editor = Editor::new(&doc);
    for ((_, anchor, _), groups) in parents.iter().zip(&after) {
        let own = &doc.source()[doc.element(*anchor).source_range()];
        editor.replace_element(*anchor, format!("{own}{groups}"));
    }
    Ok(editor.finish_checked()?)
}

/// The selected elements that are not inside another selected element, in document order; an
/// id that is not in the document is an error naming it.
fn top_selected(doc: &Document, selection: &[String]) -> Result<Vec<ElementId>> {
    let mut els: Vec<ElementId> = selection.iter().map(|id| doc.require_id(id)).collect::<Result<_, _>>()?;
    els.sort();
    els.dedup();
    let all = els.clone();
    els.retain(|&e| !all.iter().any(|&a| a != e && doc.is_ancestor_or_self(a, e)));
    Ok(els)
}

fn tops_ids(doc: &Document, tops: &[ElementId]) -> Vec<String> {
    tops.iter().filter_map(|&e| doc.element(e).id().map(str::to_string)).collect()
}

/// `id-vk`, or `id-vk-2`, `id-vk-3`, … whichever is not `taken` (then taken).
fn suffixed(id: &str, k: usize, taken: &mut HashSet<String>) -> String {
    unique(&format!("{id}-v{k}"), taken)
}

/// `base`, or `base-2`, `base-3`, … whichever is not `taken`; it is taken from now on.
fn unique(base: &str, taken: &mut HashSet<String>) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

/// Variation `k`'s document with the ids of the elements `ids` and of their descendants
/// suffixed (made unique against `taken`), and the new id of each of `ids`.
fn with_suffixed_ids(
    vdoc: &Document,
    ids: &[String],
    k: usize,
    taken: &mut HashSet<String>,
) -> Result<(String, Vec<(String, String)>)> {
    let mut editor = Editor::new(vdoc);
    let mut new_ids = Vec::new();
    for id in ids {
        let top = vdoc.require_id(id)?;
        for el in vdoc.descendants(top) {
            if let Some(old) = vdoc.element(el).id() {
                let new = suffixed(old, k, taken);
                editor.set_attribute(el, "id", new.clone());
                if el == top {
                    new_ids.push((id.clone(), new));
                }
            }
        }
    }
    // Unchecked: the check refuses a changed id on purpose; the caller re-reads the text and
    // finds every copy by its new id.
    Ok((editor.finish(), new_ids))
}

/// The hidden group of variation `k` holding `copies`, with the tag prefix the document writes
/// `anchor` with; `inkscape:label` declares its namespace when the root does not.
fn group_markup(doc: &Document, anchor: ElementId, k: usize, id: &str, copies: &str) -> String {
    use clipvg_document::svg::edit::escape_attr;
    let prefix = doc.element(anchor).tag_prefix(doc.source());
    let root = doc.element(doc.root());
    let declared = root.attributes.iter().any(|a| a.namespace.as_deref() == Some(INKSCAPE_NS))
        || doc.source()[root.source_range()].split('>').next().is_some_and(|tag| {
            tag.contains(&format!("xmlns:inkscape=\"{INKSCAPE_NS}\""))
                || tag.contains(&format!("xmlns:inkscape='{INKSCAPE_NS}'"))
        });
    let ns = if declared { String::new() } else { format!(" xmlns:inkscape=\"{INKSCAPE_NS}\"") };
    format!(
        "<{prefix}g id=\"{}\"{ns} inkscape:label=\"{}\" style=\"display:none\">{copies}</{prefix}g>",
        escape_attr(id, '"'),
        escape_attr(&group_label(k), '"')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="10" height="10">
  <g id="layer"><path id="a" d="M0 0 L5 0 L5 5 Z" fill="#ff0000"/><g id="b"><path id="b1" d="M1 1 L2 1 L2 2 Z"/></g><path id="a-v2" d="M0 0 L1 1"/></g>
  <rect id="other" width="3" height="3"/>
</svg>"##;

    #[test]
    fn other_variations_sit_hidden_beside_the_selection_with_unique_ids() {
        let v2 = SVG.replace("#ff0000", "#00ff00");
        let v3 = SVG.replace("#ff0000", "#0000ff");
        let sel = vec!["b".to_string(), "a".to_string(), "b1".to_string()];
        let out = compose(SVG, &[&v2, &v3], &sel, &Limits::default()).unwrap();
        let doc = Document::parse(out.as_str()).unwrap();
        // Variation 1 as it was, the rest byte for byte.
        assert!(out.starts_with(&SVG[..SVG.find("<g id=\"layer\">").unwrap()]));
        assert!(out.contains(r##"<path id="a" d="M0 0 L5 0 L5 5 Z" fill="#ff0000"/>"##));
        assert!(out.ends_with("\n  <rect id=\"other\" width=\"3\" height=\"3\"/>\n</svg>"));
        for (k, colour) in [(2, "#00ff00"), (3, "#0000ff")] {
            let g = doc.by_id(&group_id(k)).unwrap_or_else(|| panic!("group {k}"));
            let e = doc.element(g);
            assert_eq!(e.attr("style"), Some("display:none"));
            assert_eq!(e.attr_ns(INKSCAPE_NS, "label"), Some(group_label(k).as_str()));
            assert_eq!(e.parent, doc.by_id("layer"), "beside the selection");
            let kids: Vec<_> = e.children.iter().map(|&c| doc.element(c).id().unwrap().to_string()).collect();
            // `a-v2` exists already: variation 2's copy of `a` takes `a-v2-2`.
            let a = if k == 2 { "a-v2-2".to_string() } else { format!("a-v{k}") };
            assert_eq!(kids, [a.clone(), format!("b-v{k}")]);
            assert_eq!(doc.element(doc.by_id(&a).unwrap()).attr("fill"), Some(colour));
            assert!(doc.by_id(&format!("b1-v{k}")).is_some());
        }
        // Every id once.
        let ids: Vec<_> = doc.element_ids().filter_map(|e| doc.element(e).id()).collect();
        let set: HashSet<_> = ids.iter().collect();
        assert_eq!(ids.len(), set.len(), "{ids:?}");
    }

    #[test]
    fn a_document_without_the_inkscape_namespace_gets_it_on_the_group() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg"><path id="p" d="M0 0 L1 1"/></svg>"#;
        let out = compose(svg, &[svg], &["p".to_string()], &Limits::default()).unwrap();
        let doc = Document::parse(out.as_str()).unwrap();
        let g = doc.element(doc.by_id("clipvg-variation-2").unwrap());
        assert_eq!(g.attr_ns(INKSCAPE_NS, "label"), Some("clipvg variation 2"));
    }
}
