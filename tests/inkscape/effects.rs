//! clipvg's Inkscape extension inside real Inkscape 1.2 (headless, see `tests/inkscape/harness.rs`):
//! installed with `clipvg install inkscape`, run from Inkscape's effect actions on a document with
//! a selection and dialog params.
//!
//! (a) An action that fails for a user reason shows exactly one sentence in Inkscape's dialog and
//!     leaves the document unchanged, without hanging.
//! (b) A successful run's output is re-read by Inkscape: the test-only `org.clipvg.test.mark`
//!     effect marks the selected objects, and only those change.
//!
//! (c) Edit with the tiny CLIP model changes the two selected paths and nothing else; recolour
//!     changes only the fills of the selected group.
//!
//! Needs `inkscape xvfb xdotool xclip`; fails (never skips) without them.

use crate::harness as inkscape;

use std::sync::OnceLock;

use inkscape::{Inkscape, changed_elements};

/// The test document as Inkscape exports it with no effect, computed once.
fn baseline(ink: &Inkscape) -> &'static str {
    static BASELINE: OnceLock<String> = OnceLock::new();
    BASELINE.get_or_init(|| ink.export_unchanged(&inkscape::two_paths()))
}

/// Runs `effect` and checks that it showed exactly `message` and changed nothing.
#[track_caller]
fn assert_refused(effect: &str, ids: &[&str], params: &[(&str, &str)], message: &str) {
    let ink = Inkscape::install();
    let run = ink.run_effect(effect, &inkscape::two_paths(), ids, params);
    let output = run.output();
    assert_eq!(run.dialogs, [message], "Inkscape's log:\n{}", run.log);
    assert_eq!(changed_elements(baseline(&ink), output), Vec::<String>::new(), "the document changed");
}

#[test]
fn edit_without_selection_says_so() {
    assert_refused(
        "org.clipvg.edit",
        &[],
        &[("prompt", "a gold statue")],
        "Nothing is selected: select the objects to edit first.",
    );
}

#[test]
fn edit_with_an_unknown_model_says_so() {
    assert_refused(
        "org.clipvg.edit",
        &["left"],
        &[("prompt", "a gold statue"), ("model", "/nonexistent/clip-model")],
        "Unknown model \"/nonexistent/clip-model\": there is no such folder (give a CLIP model folder or a registry name).",
    );
}

#[test]
fn edit_changes_the_two_selected_paths_and_nothing_else() {
    let ink = Inkscape::install();
    let model = inkscape::fixture_model("A");
    let params = inkscape::tiny_edit(&model, &[]);
    let run = ink.run_effect("org.clipvg.edit", &inkscape::two_paths(), &["left", "right"], &params);
    let output = run.output();
    assert!(run.dialogs.is_empty(), "dialogs: {:?}\n{}", run.dialogs, run.log);
    clipvg::svg::Document::parse(output.to_string()).expect("the exported file is valid SVG");
    let changed = changed_elements(baseline(&ink), output);
    assert!(changed.iter().all(|c| c.starts_with("left:") || c.starts_with("right:")), "{changed:#?}");
    for id in ["left:", "right:"] {
        assert!(changed.iter().any(|c| c.starts_with(id)), "{id} did not change: {changed:#?}");
    }
}

#[test]
fn recolor_changes_only_the_fills_of_the_selected_group() {
    let ink = Inkscape::install();
    let model = inkscape::fixture_model("A");
    let params = [
        ("prompt", "autumn leaves"),
        ("iterations", "3"),
        ("n_patches", "2"),
        ("model", model.as_str()),
        ("backend", "cpu"),
        ("colour_lr", "0.1"),
    ];
    let run = ink.run_effect("org.clipvg.recolor", &inkscape::two_paths(), &["group"], &params);
    let output = run.output();
    assert!(run.dialogs.is_empty(), "dialogs: {:?}\n{}", run.dialogs, run.log);
    let changed = changed_elements(baseline(&ink), output);
    assert!(!changed.is_empty(), "nothing changed");
    for c in &changed {
        let attrs = c.strip_prefix("dot: ").unwrap_or_else(|| panic!("outside the group: {c}"));
        for change in attrs.split(", ") {
            let key = change.split(':').next().unwrap_or_default();
            assert!(["fill", "fill-opacity", "style"].contains(&key), "not a fill: {c}");
            if key == "style" {
                assert!(change.contains("fill"), "a style change that is not a fill: {c}");
            }
        }
    }
}

#[test]
fn recolor_without_prompt_says_so() {
    assert_refused(
        "org.clipvg.recolor",
        &["group"],
        &[],
        "The prompt is empty: type what the selection should look like.",
    );
}

#[test]
fn vectorize_of_a_path_says_so() {
    assert_refused(
        "org.clipvg.vectorize",
        &["left"],
        &[("rounds", "coarse,fine")],
        "<path id=\"left\"> is not a bitmap: select an <image> to vectorize.",
    );
}

#[test]
fn shim_output_is_reread_by_inkscape_and_only_the_selection_changes() {
    let ink = Inkscape::install();
    assert!(ink.install_output.contains("Extensions ▸ CLIPVG"), "{}", ink.install_output);
    let run = ink.run_effect("org.clipvg.test.mark", &inkscape::two_paths(), &["right", "left"], &[]);
    let output = run.output();
    assert!(run.dialogs.is_empty(), "the shim wrote to stderr: {:?}", run.dialogs);
    assert_eq!(
        changed_elements(baseline(&ink), output),
        ["left: data-clipvg-test-mark: None → Some(\"2\")", "right: data-clipvg-test-mark: None → Some(\"1\")",],
    );
}

#[test]
fn vectorize_replaces_the_selected_bitmap_with_paths() {
    let ink = Inkscape::install();
    let run = ink.run_effect("org.clipvg.vectorize", &inkscape::two_paths(), &["photo"], &[("rounds", "coarse,fine")]);
    let output = run.output();
    assert!(run.dialogs.is_empty(), "dialogs: {:?}\n{}", run.dialogs, run.log);
    let doc = clipvg::svg::Document::parse(output.to_string()).expect("the exported file is valid SVG");
    let photo = doc.element(doc.require_id("photo").unwrap());
    assert_eq!(photo.name, "g", "the <image> became a group");
    let paths = doc
        .descendants(doc.require_id("photo").unwrap())
        .into_iter()
        .filter(|&e| doc.element(e).name == "path")
        .count();
    assert!(paths >= 1, "no paths traced");
    let changed = changed_elements(baseline(&ink), output);
    assert!(
        changed.iter().all(|c| c.starts_with("photo") || c.starts_with("clipvg-photo")),
        "something besides the bitmap changed: {changed:#?}"
    );
}
