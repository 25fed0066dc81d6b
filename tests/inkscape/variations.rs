//! Variations in Inkscape (headless 1.2, see `tests/inkscape/harness.rs`): one Apply of "Edit
//! selection with prompt…" with Variations = 4 edits the selection in place and adds the three
//! other variations as hidden, labelled groups beside it; every other element stays as it was.
//!
//! Needs `inkscape xvfb xdotool xclip`; fails (never skips) without them.

use crate::harness as inkscape;

use inkscape::{Inkscape, changed_elements};

const INKSCAPE_NS: &str = "http://www.inkscape.org/namespaces/inkscape";

#[test]
fn one_apply_gives_the_edit_and_three_hidden_variations() {
    let document = inkscape::two_paths();
    let model = inkscape::fixture_model("A");
    let ink = Inkscape::install();
    let baseline = ink.export_unchanged(&document);
    let params = inkscape::tiny_edit(&model, &[("variations", "4")]);
    let run = ink.run_effect("org.clipvg.edit", &document, &["left", "right"], &params);
    let output = run.output();
    assert!(run.dialogs.is_empty(), "dialogs: {:?}\n{}", run.dialogs, run.log);
    let changed = changed_elements(&baseline, output);
    let mut expected_added = Vec::new();
    for k in 2..=4 {
        for id in [format!("clipvg-variation-{k}"), format!("left-v{k}"), format!("right-v{k}")] {
            expected_added.push(format!("{id}: added"));
        }
    }
    let (added, edited): (Vec<_>, Vec<_>) = changed.iter().partition(|c| c.ends_with(": added"));
    let mut added: Vec<String> = added.into_iter().cloned().collect();
    added.sort();
    expected_added.sort();
    assert_eq!(added, expected_added, "{changed:#?}");
    assert!(edited.iter().all(|c| c.starts_with("left:") || c.starts_with("right:")), "{changed:#?}");
    for id in ["left:", "right:"] {
        assert!(edited.iter().any(|c| c.starts_with(id)), "{id} did not change: {changed:#?}");
    }
    let doc = roxmltree::Document::parse(output).unwrap();
    let by_id = |id: &str| doc.descendants().find(|n| n.attribute("id") == Some(id)).unwrap();
    let right = by_id("right");
    let mut fills = vec![by_id("left").attribute("fill").map(str::to_string)];
    for k in 2..=4 {
        let g = by_id(&format!("clipvg-variation-{k}"));
        assert_eq!(g.tag_name().name(), "g");
        assert_eq!(g.attribute("style"), Some("display:none"), "variation {k} is hidden");
        assert_eq!(g.attribute((INKSCAPE_NS, "label")), Some(format!("clipvg variation {k}").as_str()));
        assert_eq!(g.parent(), right.parent(), "variation {k} sits beside the selection");
        let kids: Vec<_> = g.children().filter(|n| n.is_element()).map(|n| n.attribute("id").unwrap()).collect();
        assert_eq!(kids, [format!("left-v{k}"), format!("right-v{k}")]);
        fills.push(by_id(&format!("left-v{k}")).attribute("fill").map(str::to_string));
    }
    // Four different edits (each from its own seed), which moved the colour.
    assert!(fills.iter().any(|f| f.as_deref() != Some("#cc2222")), "{fills:?}");
    let svgs: Vec<String> = ["left", "left-v2", "left-v3", "left-v4"]
        .iter()
        .map(|id| {
            let n = by_id(id);
            format!("{:?}{:?}", n.attribute("d"), n.attribute("fill"))
        })
        .collect();
    for i in 0..4 {
        for j in i + 1..4 {
            assert_ne!(svgs[i], svgs[j], "variations {} and {} alike", i + 1, j + 1);
        }
    }
}
