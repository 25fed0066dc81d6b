//! Issue 13's edit inputs in real Inkscape 1.2 (headless, `tests/inkscape/harness.rs`): "Shaped
//! regions" (`roi_mask`) runs and changes only the selection; "Edit selection with prompt…" on a
//! selected bitmap vectorizes it in place and edits the result in one step.
//!
//! Needs `inkscape xvfb xdotool xclip`; fails (never skips) without them.

use crate::harness as inkscape;

use inkscape::{Inkscape, changed_elements};

#[test]
fn shaped_regions_change_only_the_selection() {
    let ink = Inkscape::install();
    let baseline = ink.export_unchanged(&inkscape::two_paths());
    let model = inkscape::fixture_model("A");
    let params = inkscape::tiny_edit(&model, &[("roi_mask", "true")]);
    let run = ink.run_effect("org.clipvg.edit", &inkscape::two_paths(), &["left", "right"], &params);
    let output = run.output();
    assert!(run.dialogs.is_empty(), "dialogs: {:?}\n{}", run.dialogs, run.log);
    let changed = changed_elements(&baseline, output);
    assert!(changed.iter().all(|c| c.starts_with("left:") || c.starts_with("right:")), "{changed:#?}");
    assert!(changed.iter().any(|c| c.starts_with("left:")), "left did not change: {changed:#?}");
}

#[test]
fn editing_a_selected_bitmap_vectorizes_it_in_place_and_edits_the_paths() {
    let ink = Inkscape::install();
    let baseline = ink.export_unchanged(&inkscape::two_paths());
    let model = inkscape::fixture_model("A");
    let params = inkscape::tiny_edit(&model, &[]);
    let run = ink.run_effect("org.clipvg.edit", &inkscape::two_paths(), &["photo"], &params);
    let output = run.output();
    assert!(run.dialogs.is_empty(), "dialogs: {:?}\n{}", run.dialogs, run.log);
    let doc = clipvg::svg::Document::parse(output.to_string()).expect("the exported file is valid SVG");
    let photo = doc.require_id("photo").unwrap();
    assert_eq!(doc.element(photo).name, "g", "the <image> became a group");
    assert!(doc.descendants(photo).into_iter().any(|e| doc.element(e).name == "path"), "no paths traced");
    assert!(!doc.descendants(doc.root()).into_iter().any(|e| doc.element(e).name == "image"), "a bitmap is left");
    let changed = changed_elements(&baseline, output);
    assert!(
        changed.iter().all(|c| c.starts_with("photo") || c.starts_with("clipvg-photo")),
        "something besides the bitmap changed: {changed:#?}"
    );
    // The traced paths were edited too: the result is not the vectorize action's alone.
    let vectorized = ink.run_effect("org.clipvg.vectorize", &inkscape::two_paths(), &["photo"], &[]);
    assert!(vectorized.dialogs.is_empty(), "dialogs: {:?}", vectorized.dialogs);
    let edited_paths = changed_elements(vectorized.output(), output);
    assert!(!edited_paths.is_empty(), "the edit changed nothing after vectorizing");
    assert!(edited_paths.iter().all(|c| c.starts_with("clipvg-photo") || c.starts_with('#')), "{edited_paths:#?}");
}
