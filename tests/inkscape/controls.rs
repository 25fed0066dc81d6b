//! Strength and palettes through Inkscape's dialogs (headless Inkscape 1.2, see
//! `tests/inkscape/harness.rs`), with the toy semantic CLIP of `tests/fixtures/clip/semantic`:
//! a recolour with a palette and "Snap to palette" leaves the selected group's fills in the
//! palette and everything else untouched; an edit at strength 0 changes nothing.
//!
//! Needs `inkscape xvfb xdotool xclip`; fails (never skips) without them.

use crate::harness as inkscape;

use std::path::{Path, PathBuf};

use inkscape::{Inkscape, changed_elements};

/// A 96² white document with a blue circle, a group of two blue circles and a red square
/// (shared by the engine, command-line and Inkscape tests of the controls).
const SVG: &str = include_str!("../fixtures/semantic/circles-and-square.svg");

fn model() -> String {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures/clip/semantic")
        .to_string_lossy()
        .into()
}

fn document(dir: &Path) -> PathBuf {
    let path = dir.join("shapes.svg");
    std::fs::write(&path, SVG).unwrap();
    path
}

/// The fill of `id`: its `fill` attribute, else the `fill` of its `style`.
fn fill(svg: &str, id: &str) -> String {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let e = doc.descendants().find(|n| n.attribute("id") == Some(id)).unwrap_or_else(|| panic!("no {id}"));
    let from_style = e.attribute("style").and_then(|s| {
        s.split(';').filter_map(|d| d.split_once(':')).find(|(k, _)| k.trim() == "fill").map(|(_, v)| v.trim())
    });
    from_style.or(e.attribute("fill")).unwrap_or_else(|| panic!("{id}: no fill")).to_lowercase()
}

fn params<'a>(model: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("prompt", "a red circle"),
        ("iterations", "12"),
        ("n_patches", "2"),
        ("colour_lr", "0.03"),
        ("model", model),
        ("backend", "cpu"),
    ];
    p.extend_from_slice(extra);
    p
}

#[test]
fn recolour_with_a_palette_and_snap_leaves_only_palette_fills_in_the_group() {
    let ink = Inkscape::install();
    let dir = tempfile::tempdir().unwrap();
    let input = document(dir.path());
    let baseline = ink.export_unchanged(&input);
    let model = model();
    let palette = "#c0392b, #f1c40f,#27ae60";
    let run = ink.run_effect(
        "org.clipvg.recolor",
        &input,
        &["pair"],
        &params(&model, &[("palette", palette), ("snap", "true")]),
    );
    let output = run.output();
    assert!(run.dialogs.is_empty(), "dialogs: {:?}\n{}", run.dialogs, run.log);
    for id in ["p1", "p2"] {
        let f = fill(output, id);
        assert!(["#c0392b", "#f1c40f", "#27ae60"].contains(&f.as_str()), "{id}: {f}\n{output}");
    }
    let changed = changed_elements(&baseline, output);
    assert!(!changed.is_empty(), "nothing changed");
    for c in &changed {
        assert!(c.starts_with("p1: ") || c.starts_with("p2: "), "outside the group: {c}");
        assert!(c.contains("fill") && !c.contains(" cx:") && !c.contains(" d:"), "not a fill: {c}");
    }
}

#[test]
fn edit_at_strength_0_changes_nothing() {
    let ink = Inkscape::install();
    let dir = tempfile::tempdir().unwrap();
    let input = document(dir.path());
    let baseline = ink.export_unchanged(&input);
    let model = model();
    let run = ink.run_effect("org.clipvg.edit", &input, &["c", "s"], &params(&model, &[("strength", "0")]));
    let output = run.output();
    assert!(run.dialogs.is_empty(), "dialogs: {:?}\n{}", run.dialogs, run.log);
    assert_eq!(changed_elements(&baseline, output), Vec::<String>::new(), "the document changed");
}
