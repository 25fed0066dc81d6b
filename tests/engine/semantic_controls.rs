//! Strength and palettes with the toy semantic CLIP of `tests/fixtures/clip/semantic` (see its
//! README; the setup is `tests/engine/semantic.rs`'s): the hue change of "a red circle" on a blue circle
//! grows with the strength and is nil, byte for byte, at strength 0; with a palette and the snap
//! every edited fill is a palette colour, and a red/green palette ends red.

use clipvg::edit::{EditMode, EditOutcome, EditRequest, Hooks, Model, Roi, edit};
use clipvg::svg::Document;
use semantic_common::{colour_request, hue, hue_distance, model};

use crate::semantic_common;

/// A 96² white document with a blue circle, a group of two blue circles and a red square
/// (shared by the engine, command-line and Inkscape tests of the controls).
const SVG: &str = include_str!("../fixtures/semantic/circles-and-square.svg");

/// "a red circle" on `id`, colour mode, small enough for CI (as tests/engine/semantic.rs).
fn request(id: &str, seed: u64) -> EditRequest {
    colour_request(&[(id, "a red circle")], seed)
}

fn run(req: &EditRequest, m: &Model) -> EditOutcome {
    let doc = Document::parse(SVG).unwrap();
    let mut progress = |_: &clipvg::edit::Progress| true;
    edit(&doc, req, m, Hooks { progress: &mut progress, snapshot: None }).unwrap()
}

fn fill(svg: &str, id: &str) -> [f64; 3] {
    semantic_common::fill(&Document::parse(svg).unwrap(), id)
}

#[test]
fn the_hue_change_grows_with_the_strength_and_strength_0_changes_nothing() {
    let m = model();
    let before = fill(SVG, "c");
    let mut changes = Vec::new();
    for s in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let out = run(&EditRequest { strength: s, ..request("c", 1) }, &m);
        let after = fill(&out.svg, "c");
        let change = hue_distance(hue(before), hue(after));
        eprintln!("strength {s}: {before:.3?} -> {after:.3?}, hue change {change:.1}°");
        if s == 0.0 {
            assert_eq!(out.svg, SVG, "strength 0 leaves the document byte for byte");
            assert!(out.report.changed.is_empty() && out.report.iterations_done == 0);
        }
        changes.push(change);
    }
    // Measured: 0°, 23°, 59°, 85°, 96°.
    for w in changes.windows(2) {
        assert!(w[1] > w[0] + 5.0, "the hue change grows with the strength: {changes:?}");
    }
    assert!(changes[4] > 60.0, "strength 1 moves the hue well away: {changes:?}");
}

#[test]
fn with_a_red_green_palette_and_the_snap_a_red_circle_ends_red() {
    let m = model();
    let palette = vec!["#ff0000".to_string(), "#00ff00".to_string()];
    let req = EditRequest { palette, snap: true, ..request("c", 1) };
    let out = run(&req, &m);
    // The blue circle starts nearer green (squared distance 1.33 against 1.57 to red).
    assert_eq!(fill(&out.svg, "c"), [1.0, 0.0, 0.0], "{}", out.svg);
    for line in SVG.lines().filter(|l| !l.contains("id=\"c\"")) {
        assert!(out.svg.contains(line), "changed: {line}\n{}", out.svg);
    }
}

#[test]
fn with_the_snap_every_edited_fill_is_a_palette_colour() {
    let m = model();
    let palette: Vec<String> = ["#c0392b", "#f1c40f", "#27ae60", "#8e44ad"].map(String::from).to_vec();
    let rgb = clipvg::request::palette_rgb(&palette).unwrap();
    let req = EditRequest { palette: palette.clone(), snap: true, ..request("pair", 2) };
    let out = run(&req, &m);
    for id in ["p1", "p2"] {
        let f = fill(&out.svg, id);
        assert!(
            rgb.iter().any(|p| (0..3).all(|k| (p[k] as f64 - f[k]).abs() < 1e-6)),
            "{id}: {f:?} is not in the palette {palette:?}"
        );
    }
    assert_eq!(fill(&out.svg, "s"), fill(SVG, "s"), "the unselected square stays");
    // Without the snap the soft pull alone does not promise palette colours, but it does pull:
    // the same edit ends nearer its nearest palette entry than without the palette.
    let soft = fill(&run(&EditRequest { palette, ..request("pair", 2) }, &m).svg, "p1");
    let free = fill(&run(&request("pair", 2), &m).svg, "p1");
    let gap = |c: [f64; 3]| {
        rgb.iter().map(|p| (0..3).map(|k| (p[k] as f64 - c[k]).powi(2)).sum::<f64>()).fold(f64::INFINITY, f64::min)
    };
    eprintln!("p1 soft {soft:.3?} (gap {:.4}), free {free:.3?} (gap {:.4})", gap(soft), gap(free));
    assert!(gap(soft) < gap(free), "the palette term pulls towards the palette");
}

/// Mean displacement of the scene's control points between two documents (canvas pixels).
fn mean_move(a: &str, b: &str) -> f64 {
    let scene = |svg: &str| clipvg::scene::build(&Document::parse(svg).unwrap(), &Default::default()).unwrap().scene;
    let (a, b) = (scene(a), scene(b));
    assert_eq!(a.points.len(), b.points.len());
    let sum: f64 =
        a.points.iter().zip(&b.points).map(|(p, q)| ((p[0] - q[0]) as f64).hypot((p[1] - q[1]) as f64)).sum();
    sum / a.points.len() as f64
}

#[test]
fn in_shape_mode_a_lower_strength_moves_the_points_less() {
    let m = model();
    let shape = |s: f32| EditRequest {
        rois: vec![Roi { prompt: Some("a blue triangle".into()), ..Roi::element("c") }],
        mode: EditMode::Shape,
        iterations: 15,
        n_patches: 4,
        render_size: 96,
        seed: 1,
        strength: s,
        ..Default::default()
    };
    let moves: Vec<f64> = [0.25, 1.0].iter().map(|&s| mean_move(SVG, &run(&shape(s), &m).svg)).collect();
    eprintln!("mean point move at strength 0.25, 1: {moves:.3?}");
    assert!(moves[1] > 0.2, "strength 1 moves the points: {moves:?}");
    assert!(moves[0] < 0.7 * moves[1], "strength 0.25 moves them clearly less: {moves:?}");
}
