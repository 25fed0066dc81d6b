//! Stop and keep in real Inkscape 1.2 (headless, `tests/inkscape/harness.rs`): Cancel in the shim's
//! progress window — a fake `zenity` on `PATH` that "presses Cancel" at once (exits 1) when the
//! window opens, one second into the run — keeps the edit so far with the dialog's "On stop:
//! keep" (the default), and leaves the document unchanged with "discard".
//!
//! Needs `inkscape xvfb xdotool xclip`; fails (never skips) without them.

use crate::harness as inkscape;

use inkscape::{Inkscape, changed_elements};

/// A folder holding a fake `zenity` that appends a line to `opened.log` each time it opens and
/// "presses Cancel" (exits 1).
fn fake_zenity() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("zenity");
    let log = dir.path().join("opened.log");
    std::fs::write(&script, format!("#!/bin/sh\necho opened >> '{}'\nexit 1\n", log.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Runs a long edit of `left` and `right` that the fake zenity cancels, with `on_cancel`;
/// returns the paths Inkscape reports changed.
fn cancelled_edit(on_cancel: &str) -> Vec<String> {
    let zenity = fake_zenity();
    let mut ink = Inkscape::install();
    ink.path_prefix = Some(zenity.path().to_path_buf());
    let baseline = ink.export_unchanged(&inkscape::two_paths());
    let model = inkscape::fixture_model("A");
    let params = [
        ("prompt", "a gold statue"),
        ("iterations", "2000"),
        ("n_patches", "2"),
        ("model", model.as_str()),
        ("backend", "cpu"),
        ("on_cancel", on_cancel),
    ];
    let started = std::time::Instant::now();
    let run = ink.run_effect("org.clipvg.edit", &inkscape::two_paths(), &["left", "right"], &params);
    let output = run.output();
    assert!(run.dialogs.is_empty(), "dialogs: {:?}\n{}", run.dialogs, run.log);
    let opened = std::fs::read_to_string(zenity.path().join("opened.log")).unwrap_or_default().lines().count();
    assert_eq!(opened, 1, "the progress window opened once (and pressed Cancel)");
    assert!(started.elapsed().as_secs() < 100, "cancelled long before 2000 iterations");
    changed_elements(&baseline, output)
}

#[test]
fn cancel_with_keep_applies_the_edit_so_far_to_the_selection_only() {
    let changed = cancelled_edit("keep");
    assert!(!changed.is_empty(), "the result so far was not applied");
    assert!(changed.iter().all(|c| c.starts_with("left:") || c.starts_with("right:")), "{changed:#?}");
}

#[test]
fn cancel_with_discard_leaves_the_document_unchanged() {
    assert_eq!(cancelled_edit("discard"), Vec::<String>::new());
}
