//! `clipvg edit --strength/--palette/--snap` as a person uses them, with the toy semantic CLIP
//! (`tests/fixtures/clip/semantic`): strength 0 writes the input back byte for byte, a GIMP
//! palette with the snap leaves only palette fills on the edited shapes, and a bad palette is
//! one clear sentence.

use std::path::Path;
use std::process::Output;

use cli_common::{clipvg, stderr};

use crate::cli_common;

fn model() -> String {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/clip/semantic")).to_string_lossy().into()
}

/// A 96² white document with a blue circle, a group of two blue circles and a red square
/// (shared by the engine, command-line and Inkscape tests of the controls).
const SVG: &str = include_str!("../fixtures/semantic/circles-and-square.svg");

/// `clipvg edit IN -o OUT` of "a red circle" on `select` (colour mode, small) plus `extra`.
fn edit(dir: &Path, select: &str, extra: &[&str]) -> (Output, String) {
    let input = dir.join("in.svg");
    std::fs::write(&input, SVG).unwrap();
    let out = dir.join("out.svg");
    let _ = std::fs::remove_file(&out);
    let m = model();
    let mut args = vec![
        "edit",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--prompt",
        "a red circle",
        "--select",
        select,
        "--mode",
        "colour",
        "--model",
        &m,
        "--backend",
        "cpu",
        "--iters",
        "20",
        "--patches",
        "4",
        "--size",
        "96",
        "--color-lr",
        "0.03",
    ];
    args.extend_from_slice(extra);
    let o = clipvg(&args);
    (o, std::fs::read_to_string(&out).unwrap_or_default())
}

fn fill(svg: &str, id: &str) -> String {
    let doc = clipvg::svg::Document::parse(svg).unwrap();
    doc.element(doc.require_id(id).unwrap()).attr("fill").unwrap_or_else(|| panic!("{id}: no fill")).to_string()
}

fn assert_clean_error(o: &Output, needle: &str) {
    let e = stderr(o);
    assert!(!o.status.success(), "expected failure, stderr: {e}");
    assert!(e.starts_with("error: ") && e.contains(needle) && !e.contains("panicked"), "{needle}: {e}");
    assert_eq!(e.trim_end().lines().count(), 1, "one sentence: {e}");
}

#[test]
fn strength_0_writes_the_document_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (o, out) = edit(dir.path(), "pair", &["--strength", "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(out, SVG);
    let (o, out) = edit(dir.path(), "pair", &["--strength", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(fill(&out, "p1"), "#1e3cdc", "strength 1 edits");
}

#[test]
fn a_gimp_palette_with_the_snap_leaves_only_palette_fills() {
    let dir = tempfile::tempdir().unwrap();
    let gpl = dir.path().join("brand.gpl");
    std::fs::write(&gpl, "GIMP Palette\nName: Brand\nColumns: 4\n#\n192  57  43\tPomegranate\n241 196  15 Sunflower\n 39 174  96 Nephritis\n").unwrap();
    let (o, out) = edit(dir.path(), "pair", &["--palette", gpl.to_str().unwrap(), "--snap"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for id in ["p1", "p2"] {
        let f = fill(&out, id);
        assert!(["#c0392b", "#f1c40f", "#27ae60"].contains(&f.as_str()), "{id}: {f}\n{out}");
    }
    for line in SVG.lines().filter(|l| !l.contains("id=\"p")) {
        assert!(out.contains(line), "changed: {line}\n{out}");
    }
    // A red/green palette: the blue circle starts nearer green, "a red circle" ends red.
    let (o, out) = edit(dir.path(), "c", &["--palette", "#ff0000, #00ff00", "--snap"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fill(&out, "c"), "#ff0000", "{out}");
}

#[test]
fn bad_palettes_and_strengths_are_one_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _) = edit(dir.path(), "c", &["--palette", "#ff0000,nope"]);
    assert_clean_error(&o, "\"nope\" is not a hex colour");
    let (o, _) = edit(dir.path(), "c", &["--palette", "/nonexistent/brand.gpl"]);
    assert_clean_error(&o, "cannot read the palette file /nonexistent/brand.gpl");
    let bad = dir.path().join("bad.gpl");
    std::fs::write(&bad, "GIMP Palette\n12 34\n").unwrap();
    let (o, _) = edit(dir.path(), "c", &["--palette", bad.to_str().unwrap()]);
    assert_clean_error(&o, "line 2 of");
    let (o, _) = edit(dir.path(), "c", &["--snap"]);
    assert_clean_error(&o, "palette is empty");
    let (o, _) = edit(dir.path(), "c", &["--strength", "1.5"]);
    assert_clean_error(&o, "`strength` must be in [0, 1], not 1.5");
    assert!(!dir.path().join("out.svg").exists(), "no output after an error");
}
