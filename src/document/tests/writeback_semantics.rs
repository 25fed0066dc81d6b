//! Write-back must draw what the optimiser wrote: the written document, re-parsed and re-built,
//! gives the new colours (the strict round-trip check of the fuzz targets, on focused cases).

use clipvg_document::scene::{self, BuildOptions, Trainable, WriteBack};
use clipvg_document::svg::Document;

fn build(src: &str) -> (Document, scene::Built) {
    let doc = Document::parse(src).unwrap();
    let built = scene::build(&doc, &BuildOptions { trainable: Trainable::All, ..Default::default() }).unwrap();
    (doc, built)
}

/// Writes `f(colour)` for every colour and returns the output and the colours it draws.
fn write_colours(src: &str, f: impl Fn([f32; 4]) -> [f32; 4]) -> (String, Vec<[f32; 4]>, Vec<[f32; 4]>) {
    let (doc, built) = build(src);
    let mut updated = built.scene.clone();
    for c in &mut updated.colors {
        *c = f(*c);
    }
    let out = scene::write_back(&doc, &built.scene, &built.map, &updated, WriteBack::default()).unwrap();
    let (_, rebuilt) = build(&out);
    (out, updated.colors, rebuilt.scene.colors)
}

fn assert_close(out: &str, want: &[[f32; 4]], got: &[[f32; 4]]) {
    assert_eq!(want.len(), got.len(), "{out}");
    for (w, g) in want.iter().zip(got) {
        assert!(w.iter().zip(g).all(|(a, b)| (a - b).abs() <= 1.0 / 255.0 + 1e-4), "wrote {w:?}, drawn {g:?}:\n{out}");
    }
}

const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">";

#[test]
fn a_colour_with_its_own_alpha_keeps_it_when_only_rgb_changes() {
    for fill in ["fill=\"#f000\"", "fill=\"#ff000080\"", "fill=\"rgba(255,0,0,0.25)\"", "style=\"fill:#f008\""] {
        let src = format!("{SVG}<path {fill} d=\"M0 0H5V5z\"/></svg>");
        let (out, want, got) = write_colours(&src, |c| [0.2, 0.6, c[2], c[3]]);
        assert_close(&out, &want, &got);
        assert!(out.contains("fill-opacity"), "the alpha must be written with the colour:\n{out}");
    }
}

#[test]
fn a_colour_with_its_own_alpha_is_rewritten_when_only_alpha_changes() {
    for fill in ["fill=\"#f008\"", "fill=\"currentColor\" color=\"rgba(255,0,0,0.5)\""] {
        let src = format!("{SVG}<path {fill} d=\"M0 0H5V5z\"/></svg>");
        let (out, want, got) = write_colours(&src, |c| [c[0], c[1], c[2], 0.5 * c[3]]);
        assert_close(&out, &want, &got);
    }
}

#[test]
fn stop_colours_with_alpha_keep_it() {
    let src = format!(
        "{SVG}<linearGradient id=\"g\"><stop offset=\"0\" stop-color=\"#f008\"/><stop offset=\"1\" stop-color=\"rgba(0,0,255,.5)\" stop-opacity=\".5\"/></linearGradient><path fill=\"url(#g)\" d=\"M0 0H5V5z\"/></svg>"
    );
    let (out, want, got) = write_colours(&src, |c| [1.0 - c[0], c[1], 0.5, c[3]]);
    assert_close(&out, &want, &got);
}

#[test]
fn an_opaque_colour_writes_only_what_changed() {
    let src = format!("{SVG}<path fill=\"#f00\" fill-opacity=\".5\" d=\"M0 0H5V5z\"/></svg>");
    let (out, want, got) = write_colours(&src, |c| [0.0, 1.0, c[2], c[3]]);
    assert_close(&out, &want, &got);
    assert_eq!(out, format!("{SVG}<path fill=\"#00ff00\" fill-opacity=\".5\" d=\"M0 0H5V5z\"/></svg>"));
}

#[test]
fn a_colour_under_an_important_rule_is_written_as_important() {
    let src = format!("{SVG}<style>#b{{fill:green!important}}</style><path id=\"b\" d=\"M0 0H5V5z\"/></svg>");
    let (out, want, got) = write_colours(&src, |c| [1.0, 0.5, 0.25, c[3]]);
    assert_close(&out, &want, &got);
    assert!(out.contains("style=\"fill:#ff8040 !important\""), "{out}");
    // The opacity property too, when an important rule sets it.
    let src =
        format!("{SVG}<style>path{{fill-opacity:.5!important}}</style><path fill=\"red\" d=\"M0 0H5V5z\"/></svg>");
    let (out, want, got) = write_colours(&src, |c| [c[0], c[1], c[2], 0.25]);
    assert_close(&out, &want, &got);
    assert!(out.contains("fill-opacity:0.25 !important"), "{out}");
}

#[test]
fn important_inline_declarations_stay_important() {
    // The replaced declaration and an untouched one both keep their `!important`, which they
    // need against the sheet's important rules.
    let src = format!(
        "{SVG}<style>path{{fill:green!important;stroke:green!important}}</style><path style=\"fill:red !important;stroke:blue!important\" d=\"M0 0H5V5z\"/></svg>"
    );
    let (out, want, got) = write_colours(&src, |c| if c[0] > 0.5 { [0.0, 0.0, 1.0, c[3]] } else { c });
    assert_close(&out, &want, &got);
    assert!(out.contains("style=\"fill:#0000ff !important;stroke:blue !important\""), "{out}");
}

#[test]
fn without_important_rules_nothing_is_written_important() {
    let src =
        format!("{SVG}<style>#b{{fill:green}}</style><path id=\"b\" style=\"stroke:red\" d=\"M0 0H5V5z\"/></svg>");
    let (out, want, got) = write_colours(&src, |c| [0.0, 0.0, 1.0, c[3]]);
    assert_close(&out, &want, &got);
    assert!(out.contains("style=\"stroke:#0000ff;fill:#0000ff\""), "{out}");
}

/// Moves every point and changes every colour; returns the output, the written scene's colours
/// and the colours and shape count the output draws.
fn write_all(src: &str) -> (String, Vec<[f32; 4]>, Vec<[f32; 4]>, usize) {
    let (doc, built) = build(src);
    let mut updated = built.scene.clone();
    for p in &mut updated.points {
        p[0] += 0.5;
    }
    for c in &mut updated.colors {
        *c = [1.0 - c[0], 0.5, 0.25, c[3]];
    }
    let out = scene::write_back(&doc, &built.scene, &built.map, &updated, WriteBack::default()).unwrap();
    let (_, rebuilt) = build(&out);
    assert_eq!(rebuilt.scene.points.len(), updated.points.len(), "{out}");
    for (a, b) in rebuilt.scene.points.iter().zip(&updated.points) {
        assert!((a[0] - b[0]).abs() < 1e-4 && (a[1] - b[1]).abs() < 1e-4, "{a:?} vs {b:?}:\n{out}");
    }
    (out, updated.colors, rebuilt.scene.colors, rebuilt.scene.shapes.len())
}

#[test]
fn renaming_to_path_keeps_what_type_selectors_did() {
    // Lost: `rect {…}` no longer matches the path.
    let src = format!("{SVG}<style>rect{{opacity:.5}}</style><rect width=\"5\" height=\"5\" fill=\"red\"/></svg>");
    let (out, want, got, _) = write_all(&src);
    assert_close(&out, &want, &got);
    assert!(out.contains("style=\"opacity:.5\""), "{out}");
    // Gained: `path {…}` newly matches, for a property also written (fill: the written value
    // must beat the rule, important or not) and one that is not (opacity: pinned to 1).
    for imp in ["", "!important"] {
        let src = format!(
            "{SVG}<style>path{{opacity:.5;fill:blue{imp}}}</style><rect width=\"5\" height=\"5\" fill=\"red\"/></svg>"
        );
        let (out, want, got, _) = write_all(&src);
        assert_close(&out, &want, &got);
        assert!(out.contains("opacity:1"), "{out}");
    }
    // Gained `display:none` would hide the shape.
    let src = format!("{SVG}<style>path{{display:none}}</style><circle r=\"3\" fill=\"red\"/></svg>");
    let (out, want, got, n) = write_all(&src);
    assert_eq!(n, 1, "{out}");
    assert_close(&out, &want, &got);
}

#[test]
fn renaming_keeps_sibling_and_attribute_selectors() {
    // The circle's style depends on its previous sibling being a rect; the ellipse's on
    // the geometry attribute `rx` of its own tag, which the rename removes.
    let src = format!(
        "{SVG}<style>rect+circle{{fill-opacity:.5}} [rx]{{stroke:red}}</style><rect id=\"r\" width=\"5\" height=\"5\"/><circle id=\"c\" r=\"3\" fill=\"red\"/><ellipse rx=\"2\" ry=\"1\" fill=\"red\"/></svg>"
    );
    let (doc, built) = build(&src);
    // Only the rect and the ellipse move: the circle stays a circle.
    let mut updated = built.scene.clone();
    for (shape, s) in built.scene.shapes.iter().zip(&built.map.shapes) {
        if doc.element(s.element).id() == Some("c") {
            continue;
        }
        for sp in &built.scene.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize] {
            for p in &mut updated.points[sp.first_point as usize..(sp.first_point + sp.point_count()) as usize] {
                p[1] += 1.0;
            }
        }
    }
    let out = scene::write_back(&doc, &built.scene, &built.map, &updated, WriteBack::default()).unwrap();
    let (_, rebuilt) = build(&out);
    assert_eq!(rebuilt.scene.shapes.len(), built.scene.shapes.len(), "{out}");
    assert_close(&out, &built.scene.colors, &rebuilt.scene.colors);
    assert!(out.contains("<circle id=\"c\" r=\"3\" fill=\"red\" style=\"fill-opacity:.5\"/>"), "{out}");
}

#[test]
fn renaming_without_type_selectors_adds_nothing() {
    let src =
        format!("{SVG}<style>.a{{opacity:.5}}</style><rect class=\"a\" width=\"5\" height=\"5\" fill=\"red\"/></svg>");
    let (out, want, got, _) = write_all(&src);
    assert_close(&out, &want, &got);
    assert!(!out.contains("style="), "{out}");
}

#[test]
fn a_gained_css_transform_is_pinned_only_where_no_attribute_sets_one() {
    let src = format!(
        "{SVG}<style>path{{transform:scale(2)}}</style><rect id=\"a\" width=\"5\" height=\"5\"/><rect id=\"b\" width=\"5\" height=\"5\" transform=\"translate(1 1)\"/></svg>"
    );
    let (out, ..) = write_all(&src);
    assert_eq!(out.matches("transform:none").count(), 1, "{out}");
    assert!(out.contains(";transform:none\"/><path id=\"b\""), "pinned on a only:\n{out}");
}
