//! Real-world corpus: every file loads, builds a scene, and round-trips through a forced
//! write-back (every shape rewritten as a path, every colour rewritten) to the same scene.
//!
//! Always: the 50 twemoji fixtures and the two CLIPVG example documents. With `CLIPVG_CORPUS`
//! set to a folder (CI sets it to the whole `@twemoji/svg` package, 3,720 files), every SVG in
//! it as well.

use std::path::{Path, PathBuf};

use clipvg::scene::{BuildOptions, Scene, Trainable, WriteBack, build, write_back};
use clipvg::svg::Document;

/// Round-trip tolerance, relative to max(1, |value|): coordinates are written with 9
/// significant digits in user space and mapped back through the element's transform in f64,
/// so the error stays within a few f32 ulps of the canvas value.
const POINT_TOLERANCE: f32 = 1e-6;
/// Colours are written as 8-bit hex; corpus colours are 8-bit already, so they are exact up to
/// the f32 rounding of v/255 and of opacity products.
const COLOR_TOLERANCE: f32 = 1e-6;

fn svg_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    v.sort();
    v
}

fn max_rel_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / x.abs().max(1.0)).fold(0.0, f32::max)
}

fn compare(path: &Path, a: &Scene, b: &Scene) {
    let name = path.display();
    assert_eq!(a.shapes.len(), b.shapes.len(), "{name}: shape count");
    assert_eq!(a.subpaths, b.subpaths, "{name}: subpath structure");
    assert_eq!(a.colors.len(), b.colors.len(), "{name}: colour count");
    let (pa, pb): (Vec<f32>, Vec<f32>) =
        (a.points.iter().flatten().copied().collect(), b.points.iter().flatten().copied().collect());
    let d = max_rel_diff(&pa, &pb);
    assert!(d <= POINT_TOLERANCE, "{name}: points differ by {d:e}");
    let (ca, cb): (Vec<f32>, Vec<f32>) =
        (a.colors.iter().flatten().copied().collect(), b.colors.iter().flatten().copied().collect());
    let d = max_rel_diff(&ca, &cb);
    assert!(d <= COLOR_TOLERANCE, "{name}: colours differ by {d:e}");
    let d = max_rel_diff(&a.stroke_widths, &b.stroke_widths);
    assert!(d <= POINT_TOLERANCE, "{name}: stroke widths differ by {d:e}");
}

/// Returns the number of shapes, so callers can check the corpus was not empty.
fn round_trip(path: &Path) -> usize {
    let doc = Document::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let options = BuildOptions { trainable: Trainable::All, ..Default::default() };
    let first = build(&doc, &options).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = write_back(&doc, &first.scene, &first.map, &first.scene, WriteBack { force: true }).unwrap();
    let doc2 =
        Document::parse(text).unwrap_or_else(|e| panic!("{}: rewritten file does not parse: {e}", path.display()));
    let second = build(&doc2, &options).unwrap();
    compare(path, &first.scene, &second.scene);
    // Nothing that was not a shape changed: same elements in the same order.
    assert_eq!(doc.len(), doc2.len(), "{}: element count", path.display());
    first.scene.shapes.len()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn twemoji_fixtures_round_trip() {
    let files = svg_files(&fixtures().join("twemoji"));
    assert_eq!(files.len(), 50);
    let shapes: usize = files.iter().map(|f| round_trip(f)).sum();
    assert!(shapes > 200, "only {shapes} shapes in 50 emoji");
}

#[test]
fn clipvg_examples_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let horse = round_trip(&dir.join("horseriding.svg"));
    let taj = round_trip(&dir.join("tajmahal.svg"));
    // 10,675 paths, of which 1,566 sit in a `display:none` group (the second tracing round;
    // the reference's own parser ignores `display` and draws them, browsers and resvg do not).
    assert_eq!(horse, 10_675 - 1_566);
    assert!(taj > 3_000, "tajmahal has ~3.3k paths, got {taj}");
}

#[test]
fn external_corpus_round_trips() {
    let Ok(dir) = std::env::var("CLIPVG_CORPUS") else {
        eprintln!("CLIPVG_CORPUS not set: only the fixtures were checked");
        return;
    };
    let files = svg_files(Path::new(&dir));
    assert!(!files.is_empty(), "CLIPVG_CORPUS={dir} holds no SVG files");
    let mut shapes = 0;
    for f in &files {
        shapes += round_trip(f);
    }
    eprintln!("{} files, {shapes} shapes round-tripped", files.len());
}
