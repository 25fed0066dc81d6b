//! Variations (`variations` in the edit request): N edits from the seeds `seed`, `seed + 1`, …
//! in one batched run, each the edit a single run of its seed makes, and different from each
//! other. With the toy semantic CLIP of `tests/fixtures/clip/semantic` (see its README).
//!
//! "The same edit": the views of all variations go through CLIP together, in batches of another
//! composition than a single run's, which may change the float summation; so the written
//! colours (8-bit channels and the opacity) are compared within 1e-4 (and the paths' numbers
//! within 1e-3 px), and the test says on stderr whether the bytes matched too.

use clipvg::edit::{EditMode, EditOutcome, EditRequest, Hooks, Model, Roi, edit, edit_variations, variation_seeds};
use clipvg::svg::Document;
use semantic_common::model;

use crate::semantic_common;

/// A blue circle, a red square and a green triangle on white, 96².
const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">
  <rect id="bg" width="96" height="96" fill="#ffffff"/>
  <circle id="c" cx="24" cy="24" r="18" fill="#1e3cdc"/>
  <rect id="s" x="56" y="6" width="34" height="34" fill="#dc1e1e"/>
  <path id="t" d="M 74 52 L 90 88 L 58 88 Z" fill="#1eaa32"/>
</svg>
"##;

/// An edit of the circle ("a red circle") and the triangle ("a blue triangle"), shapes and
/// colours, small enough for CI.
fn request(seed: u64, variations: usize) -> EditRequest {
    let roi = |id: &str, p: &str| Roi { prompt: Some(p.to_string()), ..Roi::element(id) };
    EditRequest {
        rois: vec![roi("c", "a red circle"), roi("t", "a blue triangle")],
        mode: EditMode::All,
        iterations: 12,
        colour_lr: 0.03,
        shape_lr: 0.3,
        n_patches: 8,
        render_size: 96,
        seed,
        variations,
        ..Default::default()
    }
}

fn single(doc: &Document, req: &EditRequest, m: &Model) -> EditOutcome {
    let mut progress = |_: &clipvg::edit::Progress| true;
    edit(doc, req, m, Hooks { progress: &mut progress, snapshot: None }).unwrap()
}

/// Every number in the attribute values of `id` (colours as their channels in [0, 1]).
fn numbers(doc: &Document, id: &str) -> Vec<f64> {
    let e = doc.element(doc.require_id(id).unwrap());
    let mut out = Vec::new();
    for a in &e.attributes {
        for part in a.value.split([';', ' ', ',', ':']).filter(|p| !p.is_empty()) {
            if let Some(c) = clipvg::svg::paint::parse_color(part).filter(|_| part.starts_with('#')) {
                out.extend(c.iter().take(3));
            } else {
                let digits: String =
                    part.chars().filter(|ch| ch.is_ascii_digit() || matches!(ch, '.' | '-' | 'e')).collect();
                if let Ok(v) = digits.parse::<f64>() {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// `a` and `b` the same edit: the same bytes, or every number of the edited elements within
/// `tol` (colours) / 1e-3 (coordinates, which are larger than 1).
fn assert_same_edit(a: &str, b: &str, what: &str) {
    if a == b {
        eprintln!("{what}: byte-identical");
        return;
    }
    let (da, db) = (Document::parse(a).unwrap(), Document::parse(b).unwrap());
    let mut worst = 0.0f64;
    for id in ["bg", "c", "s", "t"] {
        let (na, nb) = (numbers(&da, id), numbers(&db, id));
        assert_eq!(na.len(), nb.len(), "{what}: {id} has other attributes");
        for (x, y) in na.iter().zip(&nb) {
            let tol = if x.abs() > 1.0 { 1e-3 } else { 1e-4 };
            assert!((x - y).abs() <= tol, "{what}: {id}: {x} vs {y}");
            worst = worst.max((x - y).abs());
        }
    }
    eprintln!("{what}: not byte-identical; largest difference {worst:e}");
}

#[test]
fn each_variation_is_the_single_edit_of_its_seed() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    let req = request(5, 2);
    assert_eq!(variation_seeds(&req), [5, 6]);
    let mut calls = 0;
    let mut progress = |p: &clipvg::edit::Progress| {
        calls += 1;
        assert_eq!(p.iterations, 12);
        true
    };
    let all = edit_variations(&doc, &req, &m, Hooks { progress: &mut progress, snapshot: None }).unwrap();
    assert_eq!(calls, 12, "progress counts the loop's iterations, once for all variations");
    assert_eq!(all.len(), 2);
    assert_same_edit(&all[0].svg, &single(&doc, &request(5, 1), &m).svg, "variation 1 vs seed 5 alone");
    assert_same_edit(&all[1].svg, &single(&doc, &request(6, 1), &m).svg, "variation 2 vs seed 6 alone");
    // `edit` is one edit whatever `variations` says: variation 1's.
    assert_same_edit(&single(&doc, &req, &m).svg, &all[0].svg, "edit with variations 2 vs variation 1");
    for o in &all {
        assert_eq!(o.report.iterations_done, 12);
        assert_eq!(o.report.changed, ["c", "t"]);
    }
}

#[test]
fn variations_differ_and_leave_the_rest_alone() {
    let m = model();
    let doc = Document::parse(SVG).unwrap();
    let mut progress = |_: &clipvg::edit::Progress| true;
    let all = edit_variations(&doc, &request(0, 3), &m, Hooks { progress: &mut progress, snapshot: None }).unwrap();
    assert_eq!(all.len(), 3);
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a.svg, b.svg, "two variations came out the same");
        }
        for line in SVG.lines().filter(|l| !l.contains("id=\"c\"") && !l.contains("id=\"t\"")) {
            assert!(a.svg.contains(line), "variation {}: changed: {line}", i + 1);
        }
    }
    // Different seeds move the same way: the circle gets redder in every variation.
    for (i, a) in all.iter().enumerate() {
        let new = Document::parse(a.svg.clone()).unwrap();
        let c = numbers(&new, "c");
        let fill = &c[c.len() - 3..];
        assert!(fill[0] > 30.0 / 255.0 + 0.05, "variation {}: the circle's red went up: {fill:?}", i + 1);
    }
}

#[test]
fn variations_out_of_range_are_one_sentence() {
    let e = clipvg::edit::parse_edit_request(r#"{"prompt": "x", "whole_canvas": true, "variations": 0}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`variations` must be between 1 and 64, not 0"), "{e}");
}
