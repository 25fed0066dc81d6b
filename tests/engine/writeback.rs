//! Write-back: only the trained elements change, in their own coordinate systems and in the
//! place their values came from; everything else stays byte for byte.

use clipvg::scene::{BuildOptions, Built, Trainable, WriteBack, build, write_back};
use clipvg::svg::{Document, ElementId};

const DOC: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment that must survive -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" width="200" height="100" viewBox="0 0 100 50">
  <sodipodi:namedview id="nv" inkscape:zoom="1.5"/>
  <style>.blue { fill: #0000ff }</style>
  <defs>
    <linearGradient id="lg"><stop id="s0" offset="0" stop-color="#ff0000"/><stop id="s1" offset="1" style="stop-color:#00ff00"/></linearGradient>
  </defs>
  <g id="layer1" inkscape:groupmode="layer" inkscape:label="Layer 1" transform="translate(5,5)" opacity="0.5">
    <path id="p1" d="M 0,0 H 10 V 10 Z" fill="#ff0000" sodipodi:nodetypes="cccc"/>
    <rect id="r1" x="20" y="0" width="10" height="10" rx="2" class="blue" inkscape:label="box"/>
    <circle id="c1" cx="50" cy="10" r="5" style="fill:#00ff00;stroke:#000000;stroke-width:2" transform="rotate(30 50 10)"/>
    <path id="g1" d="M 60 0 h 20 v 20 h -20 z" fill="url(#lg)"/>
    <path id="frozen" d="M 0 30 h 5 v 5 z"/>
  </g>
</svg>
"##;

fn built(doc: &Document, ids: &[&str]) -> Built {
    let sel: Vec<ElementId> = ids.iter().map(|i| doc.require_id(i).unwrap()).collect();
    build(doc, &BuildOptions { trainable: Trainable::Elements(sel), ..Default::default() }).unwrap()
}

fn shape_index(doc: &Document, b: &Built, id: &str) -> usize {
    let el = doc.require_id(id).unwrap();
    b.map.shapes.iter().position(|s| s.element == el).unwrap()
}

/// Moves every point of a shape by (dx, dy) canvas pixels.
fn shift_shape(b: &Built, k: usize, dx: f32, dy: f32) -> clipvg::scene::Scene {
    let mut s = b.scene.clone();
    for sp in &b.scene.subpaths[b.scene.shapes[k].subpaths.start as usize..b.scene.shapes[k].subpaths.end as usize] {
        for p in &mut s.points[sp.first_point as usize..(sp.first_point + sp.point_count()) as usize] {
            p[0] += dx;
            p[1] += dy;
        }
    }
    s
}

/// Every element's name and attributes, keyed by document position.
fn tree(doc: &Document) -> Vec<(String, Vec<(Option<String>, String, String)>)> {
    doc.element_ids()
        .map(|e| {
            let el = doc.element(e);
            let attrs = el.attributes.iter().map(|a| (a.namespace.clone(), a.name.clone(), a.value.clone())).collect();
            (el.name.clone(), attrs)
        })
        .collect()
}

#[test]
fn unchanged_parameters_write_nothing() {
    let doc = Document::parse(DOC).unwrap();
    let b = built(&doc, &["layer1"]);
    let out = write_back(&doc, &b.scene, &b.map, &b.scene, WriteBack::default()).unwrap();
    assert_eq!(out, DOC);
}

#[test]
fn changing_one_path_leaves_every_other_element_identical() {
    let doc = Document::parse(DOC).unwrap();
    let b = built(&doc, &["p1"]);
    let k = shape_index(&doc, &b, "p1");
    // Change every shape's points: only the selected one may be written.
    let mut updated = shift_shape(&b, k, 2.0, 4.0);
    for p in updated.points.iter_mut().skip(100) {
        p[0] += 1.0;
    }
    for c in &mut updated.colors {
        c[0] = 0.5;
    }
    let out = write_back(&doc, &b.scene, &b.map, &updated, WriteBack::default()).unwrap();
    let new = Document::parse(out.clone()).unwrap();
    let (old_tree, new_tree) = (tree(&doc), tree(&new));
    assert_eq!(old_tree.len(), new_tree.len());
    let p1 = doc.require_id("p1").unwrap().index();
    for (i, (a, b)) in old_tree.iter().zip(&new_tree).enumerate() {
        if i != p1 {
            assert_eq!(a, b, "element {i} changed");
        }
    }
    // p1 keeps its other attributes (namespaced ones too); its colour is written since it is
    // selected and trainable.
    let el = new.element(new.require_id("p1").unwrap());
    assert_eq!(el.attr_ns("http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd", "nodetypes"), Some("cccc"));
    assert_eq!(el.attr("fill"), Some("#800000"));
    // Byte for byte outside p1's start tag.
    let start = DOC.find("<path id=\"p1\"").unwrap();
    let end = start + DOC[start..].find("/>").unwrap() + 2;
    assert!(out.starts_with(&DOC[..start]));
    let tail = &DOC[end..];
    assert!(out.ends_with(tail));
    // The moved shape re-loads where we put it (2 canvas px = 1 user unit at this viewBox).
    let rb = built(&new, &["p1"]);
    let k2 = shape_index(&new, &rb, "p1");
    let sp = rb.scene.subpaths[rb.scene.shapes[k2].subpaths.start as usize];
    let p0 = rb.scene.points[sp.first_point as usize];
    assert!((p0[0] - 12.0).abs() < 1e-4 && (p0[1] - 14.0).abs() < 1e-4, "{p0:?}");
}

#[test]
fn shapes_become_paths_in_their_own_coordinates() {
    let doc = Document::parse(DOC).unwrap();
    let b = built(&doc, &["r1", "c1"]);
    let mut updated = b.scene.clone();
    for k in [shape_index(&doc, &b, "r1"), shape_index(&doc, &b, "c1")] {
        updated = {
            let mut tmp = b.clone();
            tmp.scene = updated;
            shift_shape(&tmp, k, -3.0, 1.5)
        };
    }
    let out = write_back(&doc, &b.scene, &b.map, &updated, WriteBack::default()).unwrap();
    let new = Document::parse(out).unwrap();
    let r = new.element(new.require_id("r1").unwrap());
    assert_eq!(r.name, "path");
    assert!(r.attr("x").is_none() && r.attr("width").is_none() && r.attr("rx").is_none());
    assert_eq!(r.attr("class"), Some("blue"));
    assert_eq!(r.attr_ns("http://www.inkscape.org/namespaces/inkscape", "label"), Some("box"));
    let c = new.element(new.require_id("c1").unwrap());
    assert_eq!(c.name, "path");
    assert_eq!(c.attr("transform"), Some("rotate(30 50 10)"), "the element keeps its transform");
    // Rebuilding gives the updated points.
    let rb = built(&new, &["r1", "c1"]);
    assert_eq!(rb.scene.points.len(), updated.points.len());
    for (a, b) in rb.scene.points.iter().zip(&updated.points) {
        assert!((a[0] - b[0]).abs() < 1e-4 && (a[1] - b[1]).abs() < 1e-4, "{a:?} vs {b:?}");
    }
}

#[test]
fn colours_go_where_they_came_from() {
    let doc = Document::parse(DOC).unwrap();
    let b = built(&doc, &["p1", "r1", "c1", "g1"]);
    let mut updated = b.scene.clone();
    let set = |u: &mut clipvg::scene::Scene, id: &str, prop: &str, rgba: [f32; 4]| {
        let k = shape_index(&doc, &b, id);
        let (ci, _) = b.map.shapes[k].colors.iter().find(|(_, c)| c.property == prop).unwrap();
        u.colors[*ci as usize] = rgba;
    };
    // Group opacity is 0.5, so alpha 0.25 means fill-opacity 0.5.
    set(&mut updated, "p1", "fill", [0.0, 0.0, 1.0, 0.25]);
    set(&mut updated, "r1", "fill", [1.0, 1.0, 0.0, 0.5]);
    set(&mut updated, "c1", "fill", [0.0, 0.0, 0.0, 0.5]);
    set(&mut updated, "g1", "stop-color", [1.0, 1.0, 1.0, 0.25]);
    let out = write_back(&doc, &b.scene, &b.map, &updated, WriteBack::default()).unwrap();
    let new = Document::parse(out).unwrap();
    let el = |id: &str| new.element(new.require_id(id).unwrap()).clone();
    // Attribute stays an attribute.
    assert_eq!(el("p1").attr("fill"), Some("#0000ff"));
    assert_eq!(el("p1").attr("fill-opacity"), None);
    assert_eq!(el("p1").attr("style"), Some("fill-opacity:0.5"));
    // CSS class → inline style on the element (the class stays).
    assert_eq!(el("r1").attr("style"), Some("fill:#ffff00"));
    assert_eq!(el("r1").attr("class"), Some("blue"));
    // style → style, other declarations kept.
    assert_eq!(el("c1").attr("style"), Some("fill:#000000;stroke:#000000;stroke-width:2"));
    // Gradient stop colour on the <stop>.
    assert_eq!(el("s0").attr("stop-color"), Some("#ffffff"));
    assert_eq!(el("s0").attr("style"), Some("stop-opacity:0.5"));
    // Re-loading reproduces the trained colours.
    let rb = built(&new, &["p1", "r1", "c1", "g1"]);
    for (a, b) in rb.scene.colors.iter().zip(&updated.colors) {
        for i in 0..4 {
            assert!((a[i] - b[i]).abs() < 2.0 / 255.0, "{a:?} vs {b:?}");
        }
    }
}

#[test]
fn mismatched_parameters_are_an_error() {
    let doc = Document::parse(DOC).unwrap();
    let b = built(&doc, &["p1"]);
    let mut bad = b.scene.clone();
    bad.points.pop();
    assert!(matches!(
        write_back(&doc, &b.scene, &b.map, &bad, WriteBack::default()),
        Err(clipvg_document::Error::ParamMismatch(_))
    ));
    let mut nan = b.scene.clone();
    nan.points[0][0] = f32::NAN;
    assert!(write_back(&doc, &b.scene, &b.map, &nan, WriteBack::default()).is_err());
}
