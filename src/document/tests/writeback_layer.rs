//! Write-back with a new layer ([`scene::write_back_with_layer`], the edit's background path):
//! the path goes right after the root's start tag, formatted like every other written shape,
//! and every other byte of the document stays as it was.

use clipvg_document::scene::{self, BuildOptions, NewPath, Trainable, WriteBack};
use clipvg_document::svg::Document;
use clipvg_document::{ElementProblem, Error, WriteBackFault};

const HEAD: &str = "<?xml version=\"1.0\"?>\n<!-- before the root -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\" viewBox=\"0 0 100 50\">";
const BODY: &str = "\n  <!-- a leading comment -->\n  <defs><linearGradient id=\"g\"><stop offset=\"0\" stop-color=\"red\"/></linearGradient></defs>\n\t<rect id=\"r\" x=\"10\" y=\"10\" width=\"20\" height=\"20\" fill=\"url(#g)\"/>\n  <circle id=\"c\" cx=\"70\" cy=\"25\" r=\"10\" fill=\"#00f\"/>\n</svg>\n";

/// A rectangle over the whole canvas (200 × 100 canvas units), three points per side.
const RECT: [[f32; 2]; 12] = [
    [0.0, 0.0],
    [60.0, 0.0],
    [120.0, 0.0],
    [200.0, 0.0],
    [200.0, 30.0],
    [200.0, 60.0],
    [200.0, 100.0],
    [120.0, 100.0],
    [60.0, 100.0],
    [0.0, 100.0],
    [0.0, 60.0],
    [0.0, 30.0],
];

fn build(src: &str) -> (Document, scene::Built) {
    let doc = Document::parse(src).unwrap();
    let built = scene::build(&doc, &BuildOptions { trainable: Trainable::All, ..Default::default() }).unwrap();
    (doc, built)
}

#[test]
fn the_layer_is_the_first_child_and_every_other_byte_stays() {
    let src = format!("{HEAD}{BODY}");
    let (doc, built) = build(&src);
    let layer = NewPath {
        id: "clipvg-background",
        points: &RECT,
        user_to_canvas: built.canvas.user_to_canvas,
        fill: [0.5, 0.25, 1.0, 0.75],
    };
    let out = scene::write_back_with_layer(&doc, &built.scene, &built.map, &built.scene, WriteBack::default(), &layer)
        .unwrap();
    // Path data in the root's user space (the viewBox halves the canvas), 8-digit numbers with
    // trailing zeros trimmed; `#rrggbb` and the alpha as `fill-opacity`.
    let path = "<path id=\"clipvg-background\" d=\"M 0,0 C 30,0 60,0 100,0 C 100,15 100,30 100,50 C 60,50 30,50 0,50 C 0,30 0,15 0,0 Z\" fill=\"#8040ff\" fill-opacity=\"0.75\"/>";
    assert_eq!(out, format!("{HEAD}{path}{BODY}"));

    // It draws what was asked for: the first shape of the re-built scene.
    let (new, rebuilt) = build(&out);
    let root = new.element(new.root());
    assert_eq!(new.element(root.children[0]).id(), Some("clipvg-background"));
    let first = &rebuilt.scene.shapes[0];
    let sp = rebuilt.scene.subpaths[first.subpaths.start as usize];
    assert_eq!(rebuilt.scene.subpath_points(&sp), &RECT);
    let scene::Paint::Solid(ci) = first.fill else { panic!("{:?}", first.fill) };
    let c = rebuilt.scene.colors[ci as usize];
    let want = [128.0 / 255.0, 64.0 / 255.0, 1.0, 0.75];
    assert!(c.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6), "{c:?}");
    assert_eq!(rebuilt.scene.shapes.len(), built.scene.shapes.len() + 1);
}

#[test]
fn the_layer_goes_with_the_shapes_written_back() {
    let src = format!("{HEAD}{BODY}");
    let (doc, built) = build(&src);
    let mut updated = built.scene.clone();
    for p in &mut updated.points {
        p[0] += 2.0;
    }
    let layer =
        NewPath { id: "bg", points: &RECT, user_to_canvas: built.canvas.user_to_canvas, fill: [1.0, 1.0, 1.0, 1.0] };
    let out =
        scene::write_back_with_layer(&doc, &built.scene, &built.map, &updated, WriteBack::default(), &layer).unwrap();
    let plain = scene::write_back(&doc, &built.scene, &built.map, &updated, WriteBack::default()).unwrap();
    let at = HEAD.len();
    let path = "<path id=\"bg\" d=\"M 0,0 C 30,0 60,0 100,0 C 100,15 100,30 100,50 C 60,50 30,50 0,50 C 0,30 0,15 0,0 Z\" fill=\"#ffffff\" fill-opacity=\"1\"/>";
    assert_eq!(out, format!("{}{path}{}", &plain[..at], &plain[at..]));
    assert!(plain.contains("<path id=\"r\""), "the rect was written back:\n{plain}");
}

#[test]
fn an_empty_root_cannot_take_a_layer() {
    let (doc, built) = build("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>");
    let layer = NewPath { id: "bg", points: &RECT, user_to_canvas: built.canvas.user_to_canvas, fill: [0.0; 4] };
    match scene::write_back_with_layer(&doc, &built.scene, &built.map, &built.scene, WriteBack::default(), &layer) {
        Err(Error::WriteBack(WriteBackFault::Element { problem: ElementProblem::NoContent, id: None, .. })) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
}
